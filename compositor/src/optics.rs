//! The optics pass (`shaders/optics.wgsl`): the lens correction of
//! [`Optics`](visor_types::profile::Optics), per eye, from the composited frame into the
//! output. It runs last, so everything before it (layers, composite, hit test) works in
//! undistorted render space.

use bytemuck::{Pod, Zeroable};
use visor_types::frame::Viewport;
use visor_types::profile::Optics;

use crate::fullscreen::{self, UNIFORM, fullscreen_pass, texture};

const SHADER: &str = include_str!("../../shaders/optics.wgsl");

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    origin: [u32; 2],
    size: [u32; 2],
    distortion: [f32; 2],
    _pad: [f32; 2],
    chromatic: [f32; 4],
}

pub struct OpticsPass {
    pipeline: wgpu::RenderPipeline,
    /// One bind group per eye: the composited frame and that eye's parameters.
    groups: Vec<wgpu::BindGroup>,
    viewports: Vec<Viewport>,
}

impl OpticsPass {
    /// The pass for `optics` over `frame` (the composited image), one viewport per eye.
    pub fn new(
        device: &wgpu::Device,
        output_format: wgpu::TextureFormat,
        frame: &wgpu::TextureView,
        optics: &Optics,
        viewports: Vec<Viewport>,
    ) -> OpticsPass {
        let frame_binding = texture(wgpu::TextureSampleType::Float { filterable: false }, wgpu::TextureViewDimension::D2);
        let (pipeline, layout) = fullscreen_pass(device, "optics", SHADER, &[frame_binding, UNIFORM], output_format);
        let groups = viewports
            .iter()
            .map(|v| {
                let [r, g, b] = optics.chromatic;
                let params = Params {
                    origin: [v.x, v.y],
                    size: [v.width, v.height],
                    distortion: optics.distortion,
                    _pad: [0.0; 2],
                    chromatic: [r, g, b, 0.0],
                };
                let buffer = wgpu::util::DeviceExt::create_buffer_init(
                    device,
                    &wgpu::util::BufferInitDescriptor {
                        label: Some("optics params"),
                        contents: bytemuck::bytes_of(&params),
                        usage: wgpu::BufferUsages::UNIFORM,
                    },
                );
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("optics"),
                    layout: &layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(frame) },
                        wgpu::BindGroupEntry { binding: 1, resource: buffer.as_entire_binding() },
                    ],
                })
            })
            .collect();
        OpticsPass { pipeline, groups, viewports }
    }

    /// Records the correction of every eye into `output`.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder, output: &wgpu::TextureView) {
        let mut pass = fullscreen::begin(encoder, "optics", output, &self.pipeline);
        for (v, group) in self.viewports.iter().zip(&self.groups) {
            pass.set_viewport(v.x as f32, v.y as f32, v.width as f32, v.height as f32, 0.0, 1.0);
            pass.set_bind_group(0, group, &[]);
            pass.draw(0..3, 0..1);
        }
    }
}

#[cfg(test)]
mod mirrors {
    use visor_shader::mirror_layout;
    use visor_shader::reflect::Reflection;

    use super::*;

    #[test]
    fn the_shader_and_its_mirror_agree() {
        let wgsl = Reflection::parse(SHADER).unwrap();
        assert_eq!(wgsl.struct_layout("Params").unwrap(), mirror_layout!(Params { origin, size, distortion, chromatic }));
    }
}
