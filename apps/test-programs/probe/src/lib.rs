//! A test app. What it does is chosen by the environment the host gives it, so one component
//! covers every scenario the test suite needs, friendly and hostile alike:
//!
//! | `VISOR_PROBE`   | behaviour                                                               |
//! |-----------------|-------------------------------------------------------------------------|
//! | `slab` (default)| a flat quad x∈[-0.5,0.5], y∈[-0.4,0.4]; `PROBE_Z="zl,zr"` tilts it in  |
//! |                 | depth, `PROBE_COLOR="r,g,b,a"` colors it, `PROBE_X="x0,x1"` moves it    |
//! | `custom-shader` | first sends invalid WGSL (must be refused with naga's message), then a |
//! |                 | valid shader of its own, and draws the slab with it                    |
//! | `out-of-range`  | passes bad sizes and ids to every gfx call; each must be an error value|
//! |                 | of the right kind; then draws the slab (so a test sees it survived)    |
//! | `bad-pointer`   | hands the host call `PROBE_CALL` a pointer far outside its memory      |
//! | `spin`          | loops forever in `frame`                                               |
//! | `memory-bomb`   | allocates without end in `frame`                                       |
//! | `recurse`       | recurses without end in `frame`                                        |
//! | `flood`         | publishes 20000 messages per frame                                     |
//! | `forbidden`     | publishes and subscribes where it may not, forges a reply              |
//! | `escape`        | reads files outside its preopened folder                               |
//! | `connect`       | opens TCP connections to the addresses in `PROBE_CONNECT`              |
//! |                 | then, with `PROBE_LISTEN=ADDR:PORT`, tries to listen there              |
//! | `echo`          | republishes `probe/in` on `probe/out`, answers requests on `probe/rpc` |
//! |                 | (`PROBE_POLL`: the SDK's `poll_batch` by default, `owned` its `poll`,  |
//! |                 | `list` the plain `poll` import, `skip-frames` never taking frames)     |
//! | `hoard`         | subscribes to `probe/hoard` with the largest queue and never reads it  |
//! | `gpu-spin`      | draws the slab with a shader whose fragment loop never ends            |
//! | `chaos`         | 40 host calls a frame, arguments from `PROBE_SEED` or the bytes of     |
//! |                 | `PROBE_CHAOS` (hex, the `host_calls` fuzz target), good and bad alike  |
//!
//! `PROBE_TRAP_AT=N` makes any scenario trap (`unreachable`) in `frame` number N.
//!
//! `PROBE_TELL` (any value) makes any scenario log the `frame-info` of every frame, every
//! number of it (`frame-info <number> t=<ns> head=[…] eye view=[…] projection=[…]
//! viewport=x,y,w,h …`), and `echo` log every message it polls.
//!
//! Every scenario logs each input event it receives as one line, `input <kind> [detail]`
//! (`input pointer-down eye=0 hit=0.100,0.000,-1.000`, `input key-down a text=a`,
//! `input focus-gained`), so tests can see exactly who got what.

use visor_sdk::gfx::{self, Draw, Error};
use visor_sdk::glam::{Mat4, Vec2, Vec3, Vec4};
use visor_sdk::{App, FrameInfo, InputEvent, Pointer, mesh};

mod chaos;
mod hostile;

const CUSTOM_WGSL: &str = "
@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return visor_transform(v);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    visor_clip(in.world_position);
    // Swizzle the vertex color so a test can tell this shader ran.
    return vec4<f32>(in.color.b, in.color.g, in.color.r, in.color.a);
}
";

/// A fragment shader whose loop no compiler can fold away or bound: `x` stays in [0, 1), so
/// the exit is never taken. Unbounded, it hangs the GPU queue.
const SPIN_WGSL: &str = "
@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return visor_transform(v);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    var x = fract(in.color.r + in.world_position.x);
    loop {
        x = fract(x * 1.618 + 0.137);
        if x < -1.0 {
            break;
        }
    }
    return vec4<f32>(x, 0.0, 1.0, 1.0);
}
";

struct Probe {
    scenario: String,
    chaos: Option<chaos::Chaos>,
    pipeline: gfx::PipelineId,
    vertices: gfx::BufferId,
    indices: gfx::BufferId,
    trap_at: Option<u64>,
}

fn env_floats<const N: usize>(name: &str, default: [f32; N]) -> [f32; N] {
    let Ok(text) = std::env::var(name) else { return default };
    let mut out = default;
    for (slot, part) in out.iter_mut().zip(text.split(',')) {
        *slot = part.trim().parse().unwrap_or(*slot);
    }
    out
}

fn slab() -> (Vec<gfx::Vertex>, Vec<u32>) {
    let [zl, zr] = env_floats("PROBE_Z", [-2.0, -2.0]);
    let [x0, x1] = env_floats("PROBE_X", [-0.5, 0.5]);
    let color = Vec4::from(env_floats("PROBE_COLOR", [1.0, 0.0, 0.0, 1.0]));
    let n = Vec3::Z;
    let v = |x: f32, y: f32, z: f32, u: f32, w: f32| mesh::vertex(Vec3::new(x, y, z), n, color, Vec2::new(u, w));
    let vertices = vec![v(x0, -0.4, zl, 0.0, 1.0), v(x1, -0.4, zr, 1.0, 1.0), v(x1, 0.4, zr, 1.0, 0.0), v(x0, 0.4, zl, 0.0, 0.0)];
    (vertices, vec![0, 1, 2, 0, 2, 3])
}

fn expect(what: &str, result: Result<impl Sized, Error>, kind: fn(&Error) -> bool) -> Result<(), String> {
    match result {
        Err(e) if kind(&e) => {
            visor_sdk::info(&format!("refused as expected: {what}: {e}"));
            Ok(())
        }
        Err(e) => Err(format!("{what}: wrong error kind: {e}")),
        Ok(_) => Err(format!("{what}: accepted, but it should have been refused")),
    }
}

fn limit(e: &Error) -> bool {
    matches!(e, Error::LimitExceeded(_))
}

fn invalid(e: &Error) -> bool {
    matches!(e, Error::InvalidArgument(_))
}

/// Every gfx call with sizes and ids a careless or hostile app might send.
fn out_of_range(vb: gfx::BufferId, ib: gfx::BufferId, pipeline: gfx::PipelineId) -> Result<(), String> {
    expect("huge vertex buffer", gfx::create_vertex_buffer(u32::MAX), limit)?;
    expect("huge index buffer", gfx::create_index_buffer(u32::MAX), limit)?;
    let (verts, idx) = slab();
    expect("vertex write past the end", gfx::update_vertex_buffer(vb, u32::MAX - 1, &verts), invalid)?;
    expect("index write past the end", gfx::update_index_buffer(ib, 5, &idx), invalid)?;
    expect("vertex write to unknown buffer", gfx::update_vertex_buffer(9999, 0, &verts), invalid)?;
    expect("texture larger than the limit", gfx::create_texture(1 << 20, 1 << 20, &[0; 16]), limit)?;
    expect("texture bytes not matching size", gfx::create_texture(4, 4, &[0; 15]), invalid)?;
    let tex = gfx::create_texture(2, 2, &[255; 16]).map_err(|e| e.to_string())?;
    expect("texture update of the wrong length", gfx::update_texture(tex, &[0; 3]), invalid)?;
    expect("shader larger than the limit", gfx::create_shader_pipeline(&"/".repeat(2 << 20)), limit)?;
    // With the buffers above, a 16 MiB texture and one rewrite of it pass the frame's 32 MiB
    // upload budget: the rewrite is refused.
    let big = vec![7u8; 2048 * 2048 * 4];
    let canvas = gfx::create_texture(2048, 2048, &big).map_err(|e| e.to_string())?;
    expect("a frame's uploads past the budget", gfx::update_texture(canvas, &big), limit)?;
    let draw = |first: u32, count: u32, indices: Option<u32>, texture: Option<u32>, pipeline: u32| Draw {
        pipeline,
        vertices: vb,
        indices,
        first,
        count,
        model: Mat4::IDENTITY.into(),
        texture,
        clip: None,
        clip_planes: Vec::new(),
    };
    expect("draw past the index buffer", gfx::submit_draw(&draw(4, 6, Some(ib), None, pipeline)), invalid)?;
    expect("draw past the vertex buffer", gfx::submit_draw(&draw(0, u32::MAX, None, None, pipeline)), invalid)?;
    expect("draw with an unknown texture", gfx::submit_draw(&draw(0, 6, Some(ib), Some(77), pipeline)), invalid)?;
    expect("draw with an unknown pipeline", gfx::submit_draw(&draw(0, 6, Some(ib), None, 1234)), invalid)?;
    let mut planes = draw(0, 6, Some(ib), None, pipeline);
    planes.clip_planes = vec![Vec4::ZERO.into(); 5];
    expect("five clip planes", gfx::submit_draw(&planes), invalid)?;
    Ok(())
}

mod raw {
    // The same imports wit-bindgen declares, spelled out in the canonical ABI's flattened form
    // so this test can hand the host pointers no well-behaved binding would produce.
    #[link(wasm_import_module = "visor:app/gfx@0.2.0")]
    unsafe extern "C" {
        #[link_name = "update-texture"]
        pub fn update_texture(id: i32, ptr: i32, len: i32, ret: *mut u8);
        #[link_name = "create-texture"]
        pub fn create_texture(width: i32, height: i32, ptr: i32, len: i32, ret: *mut u8);
        #[link_name = "update-vertex-buffer"]
        pub fn update_vertex_buffer(id: i32, offset: i32, ptr: i32, len: i32, ret: *mut u8);
        #[link_name = "update-index-buffer"]
        pub fn update_index_buffer(id: i32, offset: i32, ptr: i32, len: i32, ret: *mut u8);
        #[link_name = "create-shader-pipeline"]
        pub fn create_shader_pipeline(ptr: i32, len: i32, ret: *mut u8);
    }

    #[link(wasm_import_module = "visor:app/bus@0.2.0")]
    unsafe extern "C" {
        pub fn publish(topic_ptr: i32, topic_len: i32, kind: i32, ptr: i32, len: i32, ret: *mut u8);
        pub fn subscribe(ptr: i32, len: i32, capacity: i32, overflow: i32, ret: *mut u8);
    }

    #[link(wasm_import_module = "visor:app/log@0.2.0")]
    unsafe extern "C" {
        pub fn write(level: i32, ptr: i32, len: i32);
    }
}

/// Far outside any app's linear memory.
const WILD: i32 = 0x7fff_0000;
const HUGE: i32 = 1 << 24;

/// Hands the host call named by `PROBE_CALL` a list or string that lies outside linear memory.
fn bad_pointer(call: &str, texture: gfx::TextureId) -> Result<(), String> {
    let mut ret = [0u8; 32];
    let r = ret.as_mut_ptr();
    let ok = 0x1000; // a valid address, for the arguments that are not under test
    // SAFETY: deliberately not: the host must refuse lists that lie outside linear memory.
    unsafe {
        match call {
            "update-texture" => raw::update_texture(texture as i32, WILD, HUGE, r),
            "create-texture" => raw::create_texture(64, 64, WILD, 64 * 64 * 4, r),
            "update-vertex-buffer" => raw::update_vertex_buffer(0, 0, WILD, 4, r),
            "update-index-buffer" => raw::update_index_buffer(0, 0, WILD, HUGE, r),
            "create-shader-pipeline" => raw::create_shader_pipeline(WILD, 64, r),
            "publish-topic" => raw::publish(WILD, 16, 0, 0, 0, r),
            "publish-bytes" => raw::publish(ok, 1, 1, WILD, HUGE, r),
            "subscribe" => raw::subscribe(WILD, HUGE, 4, 0, r),
            "log" => raw::write(2, WILD, 64),
            other => return Err(format!("unknown PROBE_CALL '{other}'")),
        }
    }
    visor_sdk::warn(&format!("the host accepted an out-of-bounds pointer in {call}"));
    Ok(())
}

impl App for Probe {
    fn init() -> Result<Self, String> {
        let scenario = std::env::var("VISOR_PROBE").unwrap_or_else(|_| "slab".into());
        let trap_at = std::env::var("PROBE_TRAP_AT").ok().and_then(|s| s.parse().ok());
        let (v, i) = slab();
        let vertices = gfx::create_vertex_buffer(4).map_err(|e| e.to_string())?;
        gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
        let indices = gfx::create_index_buffer(6).map_err(|e| e.to_string())?;
        gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
        let mut pipeline = gfx::builtin(gfx::BuiltinPipeline::Unlit);
        match scenario.as_str() {
            "custom-shader" => {
                expect("invalid WGSL", gfx::create_shader_pipeline("fn vs_main( {"), |e| matches!(e, Error::ShaderInvalid(_)))?;
                pipeline = gfx::create_shader_pipeline(CUSTOM_WGSL).map_err(|e| e.to_string())?;
            }
            "out-of-range" => out_of_range(vertices, indices, pipeline)?,
            "forbidden" => hostile::forbidden()?,
            "echo" => hostile::echo_setup()?,
            "hoard" => hostile::hoard()?,
            "gpu-spin" => pipeline = gfx::create_shader_pipeline(SPIN_WGSL).map_err(|e| e.to_string())?,
            "escape" => hostile::escape(),
            "connect" => hostile::connect(),
            _ => {}
        }
        visor_sdk::info(&format!("probe '{scenario}' ready"));
        let chaos = (scenario == "chaos").then(chaos::Chaos::from_env);
        Ok(Probe { scenario, chaos, pipeline, vertices, indices, trap_at })
    }

    fn input(&mut self, event: &InputEvent) {
        let pointer = |p: &Pointer| {
            let hit = p.hit.map_or("none".to_string(), |h| format!("{:.3},{:.3},{:.3}", h.x, h.y, h.z));
            format!("eye={} hit={hit}", p.eye)
        };
        let line = match event {
            InputEvent::PointerMove(p) => format!("pointer-move {}", pointer(p)),
            InputEvent::PointerDown(p) => format!("pointer-down {}", pointer(p)),
            InputEvent::PointerUp(p) => format!("pointer-up {}", pointer(p)),
            InputEvent::PointerLeave => "pointer-leave".into(),
            InputEvent::KeyDown(k) => format!("key-down {} text={}", k.key, k.text.as_deref().unwrap_or("")),
            InputEvent::KeyUp(k) => format!("key-up {}", k.key),
            InputEvent::FocusGained => "focus-gained".into(),
            InputEvent::FocusLost => "focus-lost".into(),
        };
        visor_sdk::info(&format!("input {line}"));
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        if tell() {
            visor_sdk::info(&describe_frame(info));
        }
        if self.trap_at == Some(info.frame_number) {
            visor_sdk::info("trapping now");
            // The wasm `unreachable` instruction: a trap, not a Rust panic. (The guest is linted
            // for the host target too, where an abort stands in for it.)
            #[cfg(target_arch = "wasm32")]
            core::arch::wasm32::unreachable();
            #[cfg(not(target_arch = "wasm32"))]
            std::process::abort();
        }
        match self.scenario.as_str() {
            "bad-pointer" => {
                let tex = gfx::create_texture(1, 1, &[0; 4]).map_err(|e| e.to_string())?;
                let call = std::env::var("PROBE_CALL").unwrap_or_else(|_| "update-texture".into());
                bad_pointer(&call, tex)?;
            }
            "spin" => hostile::spin(),
            "memory-bomb" => hostile::memory_bomb(),
            "recurse" => visor_sdk::info(&format!("{}", hostile::recurse(0))),
            "flood" => hostile::flood(info.frame_number),
            "chaos" => {
                if let Some(chaos) = &mut self.chaos {
                    let (calls, errors) = chaos.frame();
                    visor_sdk::info(&format!("chaos frame {}: {calls} calls, {errors} refused", info.frame_number));
                }
            }
            "echo" => hostile::echo()?,
            _ => {}
        }
        let slab = gfx::submit_draw(&Draw {
            pipeline: self.pipeline,
            vertices: self.vertices,
            indices: Some(self.indices),
            first: 0,
            count: 6,
            model: Mat4::IDENTITY.into(),
            texture: None,
            clip: None,
            clip_planes: Vec::new(),
        });
        match slab {
            // Chaos may have spent the frame's draws already: a refusal, not a failure.
            Err(_) if self.chaos.is_some() => Ok(()),
            other => other.map_err(|e| e.to_string()),
        }
    }
}

visor_sdk::app!(Probe);

/// Whether `PROBE_TELL` asks for what the probe receives to be logged (read once).
fn tell() -> bool {
    static TELL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TELL.get_or_init(|| std::env::var_os("PROBE_TELL").is_some())
}

/// A frame's info as one log line, every number of it (floats as Rust prints them, which
/// reads back exactly).
fn describe_frame(info: &FrameInfo) -> String {
    let mat = |m: &visor_sdk::bindings::visor::app::types::Mat4| {
        let floats: Vec<String> =
            [&m.c0, &m.c1, &m.c2, &m.c3].iter().flat_map(|c| [c.x, c.y, c.z, c.w]).map(|f| format!("{f:?}")).collect();
        format!("[{}]", floats.join(","))
    };
    let mut line = format!("frame-info {} t={} head={}", info.frame_number, info.display_time_ns, mat(&info.head));
    for eye in &info.eyes {
        let v = &eye.viewport;
        line +=
            &format!(" eye view={} projection={} viewport={},{},{},{}", mat(&eye.view), mat(&eye.projection), v.x, v.y, v.width, v.height);
    }
    line
}
