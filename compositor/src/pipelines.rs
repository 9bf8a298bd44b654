//! Render pipelines for app layers: the three built-ins and apps' own shaders.
//!
//! All app pipelines share one layout (`shaders/app/prelude.wgsl`): group 0 the eye, group 1
//! the draw (both dynamic offsets into one per-frame uniform buffer), group 2 the texture.
//! They render into the app's layer: sRGB color with premultiplied-alpha "over" blending, and
//! reverse-Z depth (cleared to 0, the greater depth wins). An app shader was validated by naga
//! in the runtime already; it is compiled here inside an error scope, so a shader that passes
//! naga but not the device only loses its draws (logged once) and never the shell.

use std::collections::HashMap;

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
    /// Apps' shaders by content; `None` when the device refused one.
    custom: HashMap<ContentId, Option<wgpu::RenderPipeline>>,
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
        AppPipelines { eye_layout, draw_layout, texture_layout, layout, builtin, custom: HashMap::new() }
    }

    /// The pipeline for a draw, compiling an app's shader the first time it is seen.
    pub fn get(&mut self, device: &wgpu::Device, pipeline: &Pipeline) -> Option<&wgpu::RenderPipeline> {
        match pipeline {
            Pipeline::Builtin(which) => Some(&self.builtin[which.index()]),
            Pipeline::Custom(shader) => self
                .custom
                .entry(shader.id)
                .or_insert_with(|| {
                    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
                    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some("app shader"),
                        source: wgpu::ShaderSource::Wgsl(shader.source.as_str().into()),
                    });
                    let pipeline = build(device, &self.layout, &module, FRAGMENT_ENTRY);
                    match pollster::block_on(scope.pop()) {
                        None => Some(pipeline),
                        Some(error) => {
                            tracing::warn!("an app shader passed naga but the device refused it: {error}");
                            None
                        }
                    }
                })
                .as_ref(),
        }
    }

    /// Forgets app shaders no submission uses any more.
    pub fn retain_custom(&mut self, live: impl Fn(&ContentId) -> bool) {
        self.custom.retain(|id, _| live(id));
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
