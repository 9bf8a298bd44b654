//! Render pipelines for app layers: the three built-ins and apps' own shaders.
//!
//! All app pipelines share one layout (`shaders/app/prelude.wgsl`): group 0 the eye, group 1
//! the draw (both dynamic offsets into one per-frame uniform buffer), group 2 the texture.
//! They render into the app's layer: sRGB color with premultiplied-alpha "over" blending, and
//! reverse-Z depth (cleared to 0, the greater depth wins). An app shader was validated by naga
//! in the runtime already (and its loops bounded there); it is compiled here inside an error
//! scope, so a shader that passes naga but not the device only loses its draws (logged once)
//! and never the shell.
//!
//! Apps' shaders compile off the render thread, on one compiler thread (driver compiles can
//! take tens of milliseconds, and an app could send one per frame): until its pipeline is
//! ready, a draw that uses it is skipped, and the renderer draws the layer again next frame.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use visor_shader::{BUILTIN, FRAGMENT_ENTRY, VERTEX_ENTRY, builtin_fragment_entry, with_prelude};
use visor_types::layer::{BuiltinPipeline, ContentId, Pipeline, Vertex};

pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

pub struct AppPipelines {
    pub eye_layout: wgpu::BindGroupLayout,
    pub draw_layout: wgpu::BindGroupLayout,
    pub texture_layout: wgpu::BindGroupLayout,
    layout: wgpu::PipelineLayout,
    /// In [`BuiltinPipeline::ALL`] order.
    builtin: [wgpu::RenderPipeline; BuiltinPipeline::ALL.len()],
    /// Apps' shaders by content.
    custom: HashMap<ContentId, Custom>,
    /// The compiler thread's inbox, started with the first app shader.
    compiler: Option<Sender<CompileJob>>,
}

/// One app shader's pipeline.
enum Custom {
    Compiling(Receiver<Option<wgpu::RenderPipeline>>),
    /// `None` when the device refused it.
    Ready(Option<wgpu::RenderPipeline>),
}

struct CompileJob {
    source: String,
    done: Sender<Option<wgpu::RenderPipeline>>,
}

/// What [`AppPipelines::get`] found for a draw.
pub enum Lookup<'a> {
    Ready(&'a wgpu::RenderPipeline),
    /// Still compiling: draw again next frame.
    Pending,
    /// Refused by the device: the draw is lost.
    Refused,
}

fn uniform_layout(device: &wgpu::Device, label: &str) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: true, min_binding_size: None },
            count: None,
        }],
    })
}

impl AppPipelines {
    pub fn new(device: &wgpu::Device) -> AppPipelines {
        let eye_layout = uniform_layout(device, "app eye");
        let draw_layout = uniform_layout(device, "app draw");
        let texture_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("app texture"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("app"),
            bind_group_layouts: &[Some(&eye_layout), Some(&draw_layout), Some(&texture_layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("builtin app pipelines"),
            source: wgpu::ShaderSource::Wgsl(with_prelude(BUILTIN).into()),
        });
        let builtin = BuiltinPipeline::ALL.map(|which| build(device, &layout, &module, builtin_fragment_entry(which)));
        AppPipelines { eye_layout, draw_layout, texture_layout, layout, builtin, custom: HashMap::new(), compiler: None }
    }

    /// The pipeline for a draw. An app's shader is sent to the compiler thread the first time
    /// it is seen, and is [`Lookup::Pending`] until compiled.
    pub fn get(&mut self, device: &wgpu::Device, pipeline: &Pipeline) -> Lookup<'_> {
        let shader = match pipeline {
            Pipeline::Builtin(which) => return Lookup::Ready(&self.builtin[which.index()]),
            Pipeline::Custom(shader) => shader,
        };
        if !self.custom.contains_key(&shader.id) {
            let compiling = self.compile(device, shader.source.clone());
            self.custom.insert(shader.id, compiling);
        }
        let Some(entry) = self.custom.get_mut(&shader.id) else { return Lookup::Refused };
        if let Custom::Compiling(done) = entry {
            match done.try_recv() {
                Ok(pipeline) => *entry = Custom::Ready(pipeline),
                Err(TryRecvError::Empty) => return Lookup::Pending,
                Err(TryRecvError::Disconnected) => *entry = Custom::Ready(None),
            }
        }
        match entry {
            Custom::Ready(Some(pipeline)) => Lookup::Ready(pipeline),
            _ => Lookup::Refused,
        }
    }

    /// Hands `source` to the compiler thread, starting it if need be.
    fn compile(&mut self, device: &wgpu::Device, source: String) -> Custom {
        let (done, result) = mpsc::channel();
        let mut job = CompileJob { source, done };
        if let Some(compiler) = &self.compiler {
            match compiler.send(job) {
                Ok(()) => return Custom::Compiling(result),
                // The thread is gone (a driver panic): start another.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        let (inbox, jobs) = mpsc::channel::<CompileJob>();
        let (device, layout) = (device.clone(), self.layout.clone());
        let started = std::thread::Builder::new().name("shader-compiler".into()).spawn(move || {
            for job in jobs {
                let _ = job.done.send(compile_app_shader(&device, &layout, &job.source));
            }
        });
        if let Err(e) = started {
            tracing::warn!("no thread to compile app shaders on ({e}); their draws are skipped");
            return Custom::Ready(None);
        }
        let _ = inbox.send(job);
        self.compiler = Some(inbox);
        Custom::Compiling(result)
    }

    /// Waits until every app shader sent to the compiler is compiled (or refused): for tests
    /// and benchmarks that want a first frame with every draw in it.
    pub fn finish_compiling(&mut self) {
        for entry in self.custom.values_mut() {
            if let Custom::Compiling(done) = entry {
                *entry = Custom::Ready(done.recv().ok().flatten());
            }
        }
    }

    /// Forgets app shaders no submission uses any more.
    pub fn retain_custom(&mut self, live: impl Fn(&ContentId) -> bool) {
        self.custom.retain(|id, _| live(id));
    }
}

/// Compiles one app shader inside an error scope (this thread's own: wgpu keeps error scopes
/// per thread), so a shader the device refuses is logged and lost, never fatal.
fn compile_app_shader(device: &wgpu::Device, layout: &wgpu::PipelineLayout, source: &str) -> Option<wgpu::RenderPipeline> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device
        .create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("app shader"), source: wgpu::ShaderSource::Wgsl(source.into()) });
    let pipeline = build(device, layout, &module, FRAGMENT_ENTRY);
    match pollster::block_on(scope.pop()) {
        None => Some(pipeline),
        Some(error) => {
            tracing::warn!("an app shader passed naga but the device refused it: {error}");
            None
        }
    }
}

const VERTEX_ATTRIBUTES: [wgpu::VertexAttribute; 4] =
    wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x4, 3 => Float32x2];

fn build(device: &wgpu::Device, layout: &wgpu::PipelineLayout, module: &wgpu::ShaderModule, fragment: &str) -> wgpu::RenderPipeline {
    let blend = wgpu::BlendState {
        // Shaders return straight alpha; the layer stores premultiplied color.
        color: wgpu::BlendComponent {
            src_factor: wgpu::BlendFactor::SrcAlpha,
            dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha,
            operation: wgpu::BlendOperation::Add,
        },
        alpha: wgpu::BlendComponent::OVER,
    };
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(fragment),
        layout: Some(layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some(VERTEX_ENTRY),
            compilation_options: Default::default(),
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<Vertex>() as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &VERTEX_ATTRIBUTES,
            })],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(true),
            depth_compare: Some(wgpu::CompareFunction::Greater),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(fragment),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState { format: COLOR_FORMAT, blend: Some(blend), write_mask: wgpu::ColorWrites::ALL })],
        }),
        multiview_mask: None,
        cache: None,
    })
}
