//! Renders apps' layer submissions into their layer targets.
//!
//! A frame is encoded in two steps. [`LayerRenderer::plan`] lays every eye and draw uniform of
//! the frame out in one buffer (256-byte aligned, addressed by dynamic offsets), so the frame
//! makes one upload however many apps and draws it has; [`LayerRenderer::encode`] then
//! records one render pass per (layer, eye), which clears the layer and replays the app's
//! draws with the eye the app was handed — so depth is the same metric quantity in every
//! layer and the composite can compare it across apps.

use bytemuck::{Pod, Zeroable};
use glam::Mat4;
use visor_types::frame::EyeView;
use visor_types::layer::{DrawCmd, LayerSubmission};

use crate::display::eye_for;
use crate::layers::EyeLayers;
use crate::pipelines::{AppPipelines, Lookup};
use crate::resources::ResourceCache;

/// Uniform entries are placed at multiples of this (wgpu's minimum dynamic-offset alignment).
const ALIGN: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct EyeUniform {
    view_proj: [f32; 16],
    position: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct DrawUniform {
    model: [f32; 16],
    normal_matrix: [f32; 16],
    clip_planes: [[f32; 4]; 4],
    clip_plane_count: u32,
    _pad: [u32; 3],
}

/// One layer pass: which slot of which eye, and where its uniforms sit.
pub struct LayerJob<'a> {
    pub slot: u32,
    pub eye: usize,
    pub submission: &'a LayerSubmission,
    eye_offset: u32,
    draw_offsets: Vec<u32>,
}

pub struct LayerRenderer {
    staging: Vec<u8>,
    buffer: Option<wgpu::Buffer>,
    eye_group: Option<wgpu::BindGroup>,
    draw_group: Option<wgpu::BindGroup>,
}

impl LayerRenderer {
    pub fn new() -> LayerRenderer {
        LayerRenderer { staging: Vec::new(), buffer: None, eye_group: None, draw_group: None }
    }

    fn push<T: Pod>(&mut self, value: &T) -> u32 {
        let offset = self.staging.len();
        self.staging.extend_from_slice(bytemuck::bytes_of(value));
        self.staging.resize(offset + ALIGN, 0);
        offset as u32
    }

    /// Lays out the uniforms for `(slot, eye, submission)` passes and uploads them.
    pub fn plan<'a>(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pipelines: &AppPipelines,
        passes: impl IntoIterator<Item = (u32, usize, &'a LayerSubmission)>,
    ) -> Vec<LayerJob<'a>> {
        self.staging.clear();
        let mut jobs = Vec::new();
        for (slot, eye, submission) in passes {
            let eye_offset = self.push(&eye_uniform(eye_for(&submission.frame, eye)));
            let draw_offsets = submission.draws.iter().map(|d| self.push(&draw_uniform(d))).collect();
            jobs.push(LayerJob { slot, eye, submission, eye_offset, draw_offsets });
        }
        if !self.staging.is_empty() {
            self.upload(device, queue, pipelines);
        }
        jobs
    }

    fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, pipelines: &AppPipelines) {
        let needed = self.staging.len() as u64;
        if self.buffer.as_ref().is_none_or(|b| b.size() < needed) {
            let size = needed.next_power_of_two().max(64 * ALIGN as u64);
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("layer uniforms"),
                size,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let group = |layout, size: usize| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("layer uniforms"),
                    layout,
                    entries: &[wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &buffer,
                            offset: 0,
                            size: wgpu::BufferSize::new(size as u64),
                        }),
                    }],
                })
            };
            self.eye_group = Some(group(&pipelines.eye_layout, size_of::<EyeUniform>()));
            self.draw_group = Some(group(&pipelines.draw_layout, size_of::<DrawUniform>()));
            self.buffer = Some(buffer);
        }
        if let Some(buffer) = &self.buffer {
            queue.write_buffer(buffer, 0, &self.staging);
        }
    }

    /// Records the layer pass for one job: clear the slot, then the app's draws, timed when
    /// `timestamps` says where. Returns false when a draw was skipped because its shader is
    /// still compiling, so the layer must be drawn again next frame.
    #[allow(clippy::too_many_arguments, reason = "the frame's GPU state, passed down rather than bundled")]
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        pipelines: &mut AppPipelines,
        resources: &mut ResourceCache,
        layers: &EyeLayers,
        job: &LayerJob<'_>,
        timestamps: Option<wgpu::RenderPassTimestampWrites<'_>>,
    ) -> bool {
        let mut pass = begin_layer_pass(encoder, layers, job.slot, timestamps);
        let (Some(eye_group), Some(draw_group)) = (&self.eye_group, &self.draw_group) else { return true };
        pass.set_bind_group(0, eye_group, &[job.eye_offset]);
        let mut complete = true;
        for (draw, &offset) in job.submission.draws.iter().zip(&job.draw_offsets) {
            let Some(scissor) = scissor(draw, layers.width, layers.height) else { continue };
            let pipeline = match pipelines.get(device, &draw.pipeline) {
                Lookup::Ready(pipeline) => pipeline,
                Lookup::Pending => {
                    complete = false;
                    continue;
                }
                Lookup::Refused => continue,
            };
            pass.set_pipeline(pipeline);
            pass.set_bind_group(1, draw_group, &[offset]);
            pass.set_bind_group(2, resources.texture(device, queue, &pipelines.texture_layout, draw.texture.as_ref()), &[]);
            pass.set_scissor_rect(scissor[0], scissor[1], scissor[2], scissor[3]);
            pass.set_vertex_buffer(0, resources.vertices(device, queue, &draw.vertices).slice(..));
            let range = draw.first..draw.first + draw.count;
            match &draw.indices {
                Some(indices) => {
                    pass.set_index_buffer(resources.indices(device, queue, indices).slice(..), wgpu::IndexFormat::Uint32);
                    pass.draw_indexed(range, 0, 0..1);
                }
                None => pass.draw(range, 0..1),
            }
        }
        complete
    }
}

/// Begins a pass on layer slot `slot` that clears it: transparent, and reverse-Z depth 0
/// (infinitely far, so an empty pixel loses to any surface). Ended as it stands, it leaves
/// the slot empty.
pub fn begin_layer_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    layers: &EyeLayers,
    slot: u32,
    timestamps: Option<wgpu::RenderPassTimestampWrites<'_>>,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some("app layer"),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: &layers.color_slots[slot as usize],
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT), store: wgpu::StoreOp::Store },
        })],
        depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
            view: &layers.depth_slots[slot as usize],
            depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0.0), store: wgpu::StoreOp::Store }),
            stencil_ops: None,
        }),
        timestamp_writes: timestamps,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

impl Default for LayerRenderer {
    fn default() -> Self {
        Self::new()
    }
}

fn eye_uniform(eye: Option<&EyeView>) -> EyeUniform {
    let (view_proj, position) = match eye {
        Some(e) => (e.view_projection(), e.view.inverse().w_axis),
        None => (Mat4::ZERO, glam::Vec4::W),
    };
    EyeUniform { view_proj: view_proj.to_cols_array(), position: position.to_array() }
}

fn draw_uniform(draw: &DrawCmd) -> DrawUniform {
    let normal = if draw.model.determinant().abs() > f32::EPSILON { draw.model.inverse().transpose() } else { draw.model };
    DrawUniform {
        model: draw.model.to_cols_array(),
        normal_matrix: normal.to_cols_array(),
        clip_planes: draw.clip_planes.map(|p| p.to_array()),
        clip_plane_count: draw.clip_plane_count,
        _pad: [0; 3],
    }
}

/// The draw's clip rectangle in layer pixels, `None` when it covers nothing.
pub(crate) fn scissor(draw: &DrawCmd, width: u32, height: u32) -> Option<[u32; 4]> {
    let Some(r) = draw.clip else { return Some([0, 0, width, height]) };
    let to_px = |v: f32, size: u32| (v * size as f32).clamp(0.0, size as f32);
    let (x0, y0) = (to_px(r.x, width).floor() as u32, to_px(r.y, height).floor() as u32);
    let (x1, y1) = (to_px(r.x + r.width, width).ceil() as u32, to_px(r.y + r.height, height).ceil() as u32);
    (x1 > x0 && y1 > y0).then_some([x0, y0, x1 - x0, y1 - y0])
}

#[cfg(test)]
mod mirrors {
    //! The app prelude's uniforms (`shaders/app/prelude.wgsl`), which every app shader reads.
    use visor_shader::reflect::Reflection;
    use visor_shader::{PRELUDE, mirror_layout};

    use super::*;

    #[test]
    fn the_prelude_and_its_mirrors_agree() {
        let wgsl = Reflection::parse(PRELUDE).unwrap();
        assert_eq!(wgsl.struct_layout("VisorEye").unwrap(), mirror_layout!(EyeUniform { view_proj, position }));
        let draw = mirror_layout!(DrawUniform { model, normal_matrix, clip_planes, clip_plane_count });
        // WGSL pads the struct to its 16-byte alignment; the mirror spells the padding out.
        assert_eq!(wgsl.struct_layout("VisorDraw").unwrap(), draw);
    }
}
