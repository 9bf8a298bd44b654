//! The z-composite pass (`shaders/composite.wgsl`): per eye, every app layer merged by depth
//! over the camera, into that eye's viewport of the output frame — the shell's trusted layers
//! above every app whatever their depth, and the chrome band (the top rows, where no app
//! draws) showing the trusted marker while the shell asks the user something.

use bytemuck::{Pod, Zeroable};
use visor_types::frame::Viewport;

use crate::camera::CameraTexture;
use crate::coverage::TileMasks;
use crate::fullscreen::{self, SAMPLER, STORAGE, UNIFORM, fullscreen_pass, texture};
use crate::layers::EyeLayers;

const SHADER: &str = include_str!("../../shaders/composite.wgsl");
/// Must match `MAX_LAYERS` in the shader.
pub const MAX_LAYERS: u32 = 16;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    origin: [u32; 2],
    size: [u32; 2],
    layer_count: u32,
    camera_weight: f32,
    camera_stale: u32,
    trusted_mask: u32,
    band_rows: u32,
    marker: u32,
    tile_columns: u32,
    _pad: u32,
}

/// What the shell adds to the composite of apps: its trusted layers, its chrome band and the
/// state of the camera picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chrome {
    /// Bit i: layer slot i is the shell's own.
    pub trusted_mask: u32,
    /// Rows at the top of each eye that no app reaches.
    pub band_rows: u32,
    /// The band shows the trusted marker.
    pub marker: bool,
    /// The camera picture is old: dim and hatch it.
    pub camera_stale: bool,
}

pub struct CompositePass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    params: Vec<wgpu::Buffer>,
    /// Per eye: its tile masks (see `coverage`).
    tiles: Vec<wgpu::Buffer>,
}

impl CompositePass {
    pub fn new(device: &wgpu::Device, output_format: wgpu::TextureFormat) -> CompositePass {
        use wgpu::TextureSampleType::{Depth, Float};
        use wgpu::TextureViewDimension::{D2, D2Array};
        let bindings = [
            texture(Float { filterable: true }, D2),
            SAMPLER,
            texture(Float { filterable: false }, D2Array),
            texture(Depth, D2Array),
            UNIFORM,
            STORAGE,
        ];
        let (pipeline, layout) = fullscreen_pass(device, "composite", SHADER, &bindings, output_format);
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("camera"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        CompositePass { pipeline, layout, sampler, params: Vec::new(), tiles: Vec::new() }
    }

    /// Records the composite of every eye into `output`, one viewport per eye, each walking
    /// the layers its `TileMasks` say reach a pixel.
    #[allow(clippy::too_many_arguments, reason = "the frame's GPU state, passed down rather than bundled")]
    pub fn encode(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        output: &wgpu::TextureView,
        camera: &CameraTexture,
        eyes: &[(Viewport, &EyeLayers, &TileMasks)],
        layer_count: u32,
        camera_weight: f32,
        chrome: Chrome,
    ) {
        while self.params.len() < eyes.len() {
            self.params.push(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("composite params"),
                size: size_of::<Params>() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        for (eye, (_, _, masks)) in eyes.iter().enumerate() {
            let bytes: &[u8] = bytemuck::cast_slice(&masks.masks);
            if self.tiles.get(eye).is_none_or(|b| b.size() != bytes.len() as u64) {
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("composite tiles"),
                    size: bytes.len() as u64,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                if eye < self.tiles.len() {
                    self.tiles[eye] = buffer;
                } else {
                    self.tiles.push(buffer);
                }
            }
            queue.write_buffer(&self.tiles[eye], 0, bytes);
        }
        let groups: Vec<wgpu::BindGroup> = eyes
            .iter()
            .zip(&self.params)
            .zip(&self.tiles)
            .map(|(((viewport, layers, masks), params), tiles)| {
                let value = Params {
                    origin: [viewport.x, viewport.y],
                    size: [viewport.width, viewport.height],
                    layer_count: layer_count.min(layers.capacity).min(MAX_LAYERS),
                    camera_weight,
                    camera_stale: u32::from(chrome.camera_stale),
                    trusted_mask: chrome.trusted_mask,
                    band_rows: chrome.band_rows,
                    marker: u32::from(chrome.marker),
                    tile_columns: masks.columns,
                    _pad: 0,
                };
                queue.write_buffer(params, 0, bytemuck::bytes_of(&value));
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("composite"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&camera.view) },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                        wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&layers.color_array) },
                        wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&layers.depth_array) },
                        wgpu::BindGroupEntry { binding: 4, resource: params.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 5, resource: tiles.as_entire_binding() },
                    ],
                })
            })
            .collect();
        let mut pass = fullscreen::begin(encoder, "z-composite", output, &self.pipeline);
        for ((viewport, _, _), group) in eyes.iter().zip(&groups) {
            pass.set_viewport(viewport.x as f32, viewport.y as f32, viewport.width as f32, viewport.height as f32, 0.0, 1.0);
            pass.set_bind_group(0, group, &[]);
            pass.draw(0..3, 0..1);
        }
    }
}

#[cfg(test)]
mod mirrors {
    //! `shaders/composite.wgsl`'s uniforms and constants, as naga reads them, against their
    //! Rust mirrors here and in the hit probe (which writes `Probe` as four `u32`s).
    use visor_shader::mirror_layout;
    use visor_shader::reflect::Reflection;

    use super::*;

    #[test]
    fn the_shader_and_its_mirrors_agree() {
        let wgsl = Reflection::parse(SHADER).unwrap();
        let (shader, rust) = (
            wgsl.struct_layout("Params").unwrap(),
            mirror_layout!(Params {
                origin,
                size,
                layer_count,
                camera_weight,
                camera_stale,
                trusted_mask,
                band_rows,
                marker,
                tile_columns
            }),
        );
        assert_eq!(shader.members, rust.members);
        // The mirror rounds the buffer up to 16 bytes (uniform buffers bind in 16-byte units);
        // the shader reads the first `shader.size` of them.
        assert!(rust.size >= shader.size && rust.size % 16 == 0, "{shader:?} vs {rust:?}");
        assert_eq!(wgsl.u32_const("MAX_LAYERS"), Some(MAX_LAYERS));
        assert_eq!(wgsl.u32_const("TILE_PIXELS"), Some(crate::coverage::TILE_PIXELS));
        let probe = wgsl.struct_layout("Probe").unwrap();
        assert!(probe.size <= 16, "the hit probe writes 16 bytes: {probe:?}");
        assert_eq!(probe.members, [("pixel".to_owned(), 0), ("layer_count".to_owned(), 8)]);
    }
}
