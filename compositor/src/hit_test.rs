//! The hit test for input routing: which app shows the nearest surface at a pixel of the
//! output frame (render space, before optics), and where that surface is in the world.
//!
//! The probe (`cs_probe` in `shaders/composite.wgsl`) gathers every display layer's depth at
//! the pixel into a small buffer, which is read back (64 bytes); the CPU then applies the
//! composite's rule — the greatest reverse-Z depth above 0 wins, ties go to the lower slot —
//! and unprojects the pixel with the eye that layer is seen from. The shell's trusted layers
//! win over every app's wherever they are visible, as they are drawn over them. A layer counts only where it
//! is visible: where its alpha is at most `HIT_ALPHA` (in the shader) the probe reports no
//! surface, so an app cannot lay an invisible pane over another to steal its input.

use glam::{Mat4, Vec3, Vec4};
use visor_types::layer::AppId;

use crate::composite::MAX_LAYERS;
use crate::error::CompositorError;
use crate::layers::EyeLayers;

const SHADER: &str = include_str!("../../shaders/composite.wgsl");

/// What is under one pixel of the output frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub app: AppId,
    /// The eye whose viewport holds the pixel.
    pub eye: usize,
    /// Reverse-Z depth of the surface (1 at the near plane, toward 0 far away).
    pub depth: f32,
    /// The surface point in the world space all apps draw in.
    pub world: Vec3,
}

pub struct HitProbe {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl HitProbe {
    pub fn new(device: &wgpu::Device) -> HitProbe {
        let buffer = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("hit probe"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2Array,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Depth,
                        view_dimension: wgpu::TextureViewDimension::D2Array,
                        multisampled: false,
                    },
                    count: None,
                },
                buffer(7, wgpu::BufferBindingType::Uniform),
                buffer(8, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("composite (hit probe)"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("hit probe"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("hit probe"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("cs_probe"),
            compilation_options: Default::default(),
            cache: None,
        });
        HitProbe { pipeline, layout }
    }

    /// Every layer's depth at `pixel` of an eye's display layers (`count` of them), 0 where
    /// the layer is not visible there.
    pub fn depths(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        layers: &EyeLayers,
        pixel: [u32; 2],
        count: u32,
    ) -> Result<Vec<f32>, CompositorError> {
        use wgpu::util::DeviceExt;
        let count = count.min(MAX_LAYERS);
        let size = u64::from(MAX_LAYERS) * 4;
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("hit probe params"),
            contents: bytemuck::cast_slice(&[pixel[0], pixel[1], count, 0]),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let storage = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hit probe depths"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hit probe readback"),
            size,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("hit probe"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&layers.color_array) },
                wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&layers.depth_array) },
                wgpu::BindGroupEntry { binding: 7, resource: params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 8, resource: storage.as_entire_binding() },
            ],
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("hit probe") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("hit probe"), timestamp_writes: None });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(1, 1, 1);
        }
        encoder.copy_buffer_to_buffer(&storage, 0, &readback, 0, size);
        queue.submit([encoder.finish()]);
        let bytes = crate::readback::map_buffer(device, &readback)?;
        let mut depths: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes);
        depths.truncate(count as usize);
        Ok(depths)
    }
}

/// The composite's rule: a trusted slot (bit set in `trusted_mask`) over any other, then the
/// greatest depth above 0, ties to the lower slot. Returns the slot and its own depth.
pub fn nearest(depths: &[f32], trusted_mask: u32) -> Option<(usize, f32)> {
    let rank = |slot: usize, d: f32| if trusted_mask >> slot & 1 == 1 { d + 1.0 } else { d };
    depths.iter().copied().enumerate().filter(|&(_, d)| d > 0.0).fold(None, |best: Option<(usize, f32)>, (slot, d)| match best {
        Some((best_slot, best_depth)) if rank(best_slot, best_depth) >= rank(slot, d) => best,
        _ => Some((slot, d)),
    })
}

/// The world point under `pixel` (eye pixels) at reverse-Z `depth`, seen through `view_projection`.
pub fn unproject(view_projection: Mat4, pixel: [u32; 2], size: [u32; 2], depth: f32) -> Vec3 {
    let x = (pixel[0] as f32 + 0.5) / size[0] as f32 * 2.0 - 1.0;
    let y = 1.0 - (pixel[1] as f32 + 0.5) / size[1] as f32 * 2.0;
    let world = view_projection.inverse() * Vec4::new(x, y, depth, 1.0);
    world.truncate() / world.w
}

#[cfg(test)]
mod tests {
    use super::*;
    use visor_types::math::{Fov, NEAR_PLANE, depth_at, projection};

    #[test]
    fn nearest_wins_and_ties_go_to_the_lower_slot() {
        assert_eq!(nearest(&[0.0, 0.0], 0), None);
        assert_eq!(nearest(&[0.01, 0.03, 0.02], 0), Some((1, 0.03)));
        assert_eq!(nearest(&[0.0, 0.02, 0.02], 0), Some((1, 0.02)));
    }

    #[test]
    fn a_trusted_layer_wins_wherever_it_shows_whatever_its_depth() {
        assert_eq!(nearest(&[0.01, 0.9], 0b01), Some((0, 0.01)));
        assert_eq!(nearest(&[0.0, 0.9], 0b01), Some((1, 0.9)), "not where it is not visible");
    }

    #[test]
    fn the_centre_pixel_unprojects_onto_the_view_axis() {
        let p = projection(Fov::symmetric(90f32.to_radians(), 1.0), NEAR_PLANE);
        let world = unproject(p, [50, 50], [100, 100], depth_at(2.0, NEAR_PLANE));
        assert!((world - Vec3::new(0.02, -0.02, -2.0)).length() < 1e-3, "{world}");
    }
}
