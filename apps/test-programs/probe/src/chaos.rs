//! `chaos`: every host call, with arguments drawn from a seed (`PROBE_SEED`), many per frame —
//! a fuzzing guest. Ids that exist and ids that do not, sizes from zero to far past every
//! limit, NaN and infinite floats, garbage WGSL, topic names and patterns good and bad,
//! payloads up to twice the bus's cap, requests that time out, replies to nothing. Results
//! are only counted: the host must answer every call with a value (or contain the app alone),
//! never crash, and keep every other app drawing.
//!
//! The choices come from one stream. With `PROBE_SEED=N` (default 1) it is xorshift64 from
//! `N`, a word per choice: [`CALLS_PER_FRAME`] calls every frame, forever. With
//! `PROBE_CHAOS=HEX` (which wins over the seed) it is those bytes: a fuzzer's input (the
//! `host_calls` target in `fuzz/`), read so that each mutation changes the calls directly. A
//! choice among `n` takes the fewest little-endian bytes that hold `n - 1` (one byte picks the
//! call), a raw id or word takes eight. The bytes are spent once: a frame makes calls (up to
//! [`CALLS_PER_FRAME`]) only while some are left, and a call that runs out midway reads zeros
//! for the rest; once they are gone the frames make no calls. Decoding stops at the first pair
//! of characters that is not hex.

use visor_sdk::bus::{self, Outgoing, Overflow};
use visor_sdk::gfx::{self, ClipRect, Draw, Vertex};
use visor_sdk::glam::{Mat4, Vec2, Vec3, Vec4};

/// The calls' choices: the same calls for the same seed or bytes, nothing to link.
pub struct Chaos {
    source: Source,
    /// Ids the host handed out, so some calls hit real resources.
    buffers: Vec<u32>,
    textures: Vec<u32>,
    pipelines: Vec<u32>,
    subscriptions: Vec<u32>,
}

const CALLS_PER_FRAME: u32 = 40;
const TOPICS: [&str; 8] = ["chaos/a", "chaos/b/c", "", "/", "chaos/#", "camera/frames", "shell/cmd/open", "Chaos/UPPER"];
const PATTERNS: [&str; 7] = ["chaos/#", "#", "+/+", "chaos/+/x", "a/#/b", "", "chaos/a"];
const SHADERS: [&str; 4] = [
    "@vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }\n\
     @fragment fn fs_main(in: VertexOut) -> @location(0) vec4<f32> { var i = 0u; loop { i += 1u; } }",
    "fn (",
    "@group(5) @binding(0) var<uniform> x: f32;",
    "",
];

/// Where [`Chaos::next`] gets its words; see the module guide.
enum Source {
    /// xorshift64's state (never 0).
    Seed(u64),
    /// A fuzzer's bytes and how many of them are spent.
    Bytes { bytes: Vec<u8>, at: usize },
}

impl Chaos {
    /// `PROBE_CHAOS`'s bytes if it is set, else xorshift from `PROBE_SEED`.
    pub fn from_env() -> Chaos {
        let source = match std::env::var("PROBE_CHAOS") {
            Ok(hex) => Source::Bytes { bytes: decode_hex(&hex), at: 0 },
            Err(_) => Source::Seed(std::env::var("PROBE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1u64).max(1)),
        };
        Chaos { source, buffers: vec![0], textures: vec![0], pipelines: vec![0, 1, 2], subscriptions: Vec::new() }
    }

    fn next(&mut self) -> u64 {
        self.word(8)
    }

    /// The stream's next word: xorshift's for a seed; for bytes, the next `width` (at most 8)
    /// of them, little-endian, zero-padded at the end.
    fn word(&mut self, width: usize) -> u64 {
        match &mut self.source {
            Source::Seed(state) => {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                *state
            }
            Source::Bytes { bytes, at } => {
                let mut word = [0u8; 8];
                let rest = &bytes[(*at).min(bytes.len())..];
                let n = rest.len().min(width.min(8));
                word[..n].copy_from_slice(&rest[..n]);
                *at += n;
                u64::from_le_bytes(word)
            }
        }
    }

    /// Whether the stream has nothing left for another call (only fuzzer bytes run out).
    fn spent(&self) -> bool {
        matches!(&self.source, Source::Bytes { bytes, at } if *at >= bytes.len())
    }

    /// A number below `n`. From bytes it takes only as many as `n` needs (one for a choice
    /// among up to 256), so that one mutated byte is one changed choice.
    fn below(&mut self, n: u64) -> u64 {
        let width = (u64::BITS - n.saturating_sub(1).leading_zeros()).div_ceil(8);
        self.word(width as usize) % n.max(1)
    }

    /// A size: mostly small, sometimes at or past the limits.
    fn size(&mut self) -> u32 {
        match self.below(8) {
            0 => 0,
            1 => u32::MAX,
            2 => 1 << self.below(24),
            _ => self.below(64) as u32,
        }
    }

    fn float(&mut self) -> f32 {
        match self.below(10) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -1e30,
            _ => (self.below(2000) as f32 - 1000.0) / 100.0,
        }
    }

    fn pick(&mut self, known: &[u32]) -> u32 {
        match (self.below(4), known.is_empty()) {
            (0, _) | (_, true) => self.next() as u32,
            _ => known[self.below(known.len() as u64) as usize],
        }
    }

    fn vertices(&mut self, n: usize) -> Vec<Vertex> {
        (0..n)
            .map(|_| {
                let f = [self.float(), self.float(), self.float(), self.float()];
                let (position, normal) = (Vec3::new(f[0], f[1], f[2]), Vec3::new(f[1], f[2], f[3]));
                Vertex { position: position.into(), normal: normal.into(), color: Vec4::from(f).into(), uv: Vec2::new(f[3], f[0]).into() }
            })
            .collect()
    }

    fn payload(&mut self) -> Outgoing {
        match self.below(4) {
            0 => Outgoing::Empty,
            1 => Outgoing::Text("chaos".repeat(self.below(64) as usize)),
            // Up to twice the bus's 1 MiB cap.
            2 => Outgoing::Bytes(vec![0x5a; self.below(2 << 20) as usize]),
            _ => Outgoing::Bytes(self.next().to_le_bytes().to_vec()),
        }
    }

    /// One frame of calls; returns (answered with a value, of which errors).
    pub fn frame(&mut self) -> (u32, u32) {
        let (mut calls, mut errors) = (0, 0);
        while calls < CALLS_PER_FRAME && !self.spent() {
            calls += 1;
            if !self.call() {
                errors += 1;
            }
        }
        (calls, errors)
    }

    /// One call; whether it succeeded.
    fn call(&mut self) -> bool {
        match self.below(15) {
            0 => self.created(|c| gfx::create_vertex_buffer(c.size().min(1 << 20)), |c, id| c.buffers.push(id)),
            1 => {
                let (id, offset, n) = (self.pick(&self.buffers.clone()), self.size(), self.below(300) as usize);
                let data = self.vertices(n);
                gfx::update_vertex_buffer(id, offset, &data).is_ok()
            }
            2 => self.created(|c| gfx::create_index_buffer(c.size().min(1 << 20)), |c, id| c.buffers.push(id)),
            3 => {
                let (id, offset) = (self.pick(&self.buffers.clone()), self.size());
                let data: Vec<u32> = (0..self.below(300)).map(|_| self.next() as u32 % 70_000).collect();
                gfx::update_index_buffer(id, offset, &data).is_ok()
            }
            4 => {
                let (w, h) = (self.size().min(4096), self.size().min(4096));
                let len = if self.below(4) == 0 { self.below(1 << 16) as usize } else { (w as usize * h as usize * 4).min(16 << 20) };
                let pixels = vec![0x80; len];
                self.created(|_| gfx::create_texture(w, h, &pixels), |c, id| c.textures.push(id))
            }
            5 => {
                let id = self.pick(&self.textures.clone());
                let pixels = vec![0x40; self.below(1 << 18) as usize];
                gfx::update_texture(id, &pixels).is_ok()
            }
            6 => {
                let shader = SHADERS[self.below(SHADERS.len() as u64) as usize];
                self.created(|_| gfx::create_shader_pipeline(shader), |c, id| c.pipelines.push(id))
            }
            7 | 8 => self.draw(),
            9 => {
                let topic = TOPICS[self.below(TOPICS.len() as u64) as usize];
                let payload = self.payload();
                bus::publish(topic, &payload).is_ok()
            }
            10 => {
                let pattern = PATTERNS[self.below(PATTERNS.len() as u64) as usize];
                let overflow = if self.below(2) == 0 { Overflow::DropOldest } else { Overflow::Reject };
                let capacity = self.size();
                self.created(|_| bus::subscribe(pattern, capacity, overflow), |c, id| c.subscriptions.push(id))
            }
            11 => {
                let id = self.pick(&self.subscriptions.clone());
                bus::unsubscribe(id);
                true
            }
            12 => {
                let messages = bus::poll(self.size());
                // Reply to some of what came, and to ids that never did.
                for m in messages.iter().take(4) {
                    let _ = bus::reply(m.reply_id.unwrap_or(self.next()), &Outgoing::Empty);
                }
                true
            }
            13 => {
                // The packed poll's imports straight: slots that may not exist, frames taken
                // twice or left for the next poll to drop, and the plain list poll beside it.
                use visor_sdk::bindings::visor::app::bus as raw;
                let packed = raw::poll_packed(self.size());
                for _ in 0..self.below(4) {
                    let slot = if self.below(2) == 0 { self.below(4) as u32 } else { self.size() };
                    drop(raw::polled_frame(slot));
                }
                let listed = raw::poll(self.size());
                !packed.is_empty() || !listed.is_empty()
            }
            _ => {
                let topic = TOPICS[self.below(TOPICS.len() as u64) as usize];
                let payload = self.payload();
                bus::request(topic, &payload, self.below(20) as u32).is_ok()
            }
        }
    }

    fn draw(&mut self) -> bool {
        let clip = (self.below(3) == 0).then(|| ClipRect { x: self.float(), y: self.float(), width: self.float(), height: self.float() });
        let planes = (0..self.below(6)).map(|_| Vec4::new(self.float(), self.float(), self.float(), self.float()).into()).collect();
        let model = [0; 16].map(|_| self.float());
        let call = Draw {
            pipeline: self.pick(&self.pipelines.clone()),
            vertices: self.pick(&self.buffers.clone()),
            indices: (self.below(2) == 0).then(|| self.pick(&self.buffers.clone())),
            first: self.size(),
            count: self.size(),
            model: Mat4::from_cols_array(&model).into(),
            texture: (self.below(2) == 0).then(|| self.pick(&self.textures.clone())),
            clip,
            clip_planes: planes,
        };
        gfx::submit_draw(&call).is_ok()
    }

    /// Runs a call that creates something; keeps its id.
    fn created<E>(&mut self, call: impl FnOnce(&mut Chaos) -> Result<u32, E>, keep: impl FnOnce(&mut Chaos, u32)) -> bool {
        match call(self) {
            Ok(id) => {
                keep(self, id);
                true
            }
            Err(_) => false,
        }
    }
}

/// `hex`'s bytes, up to the first pair of characters that is not hex (an odd last one is
/// dropped).
fn decode_hex(hex: &str) -> Vec<u8> {
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    hex.as_bytes().chunks_exact(2).map_while(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}
