//! The z-composite pass (`shaders/composite.wgsl`): per eye, every app layer merged by depth
//! over the camera, into that eye's viewport of the output frame — the shell's trusted layers
//! above every app whatever their depth, and the chrome band (the top rows, where no app
//! draws) showing the trusted marker while the shell asks the user something. Where the
//! real world takes part (`world.rs`: the camera placed per eye, real depth hiding layers),
//! each region is drawn by the `_world` twin of its entry point. Where it does not, each eye
//! starts as a copy of the backdrop (`backdrop.rs`: the camera picture as shown, rendered only
//! when it changes); regions no layer reaches are then done, and the layers' regions blend
//! their premultiplied result over it (`BlendState::PREMULTIPLIED_ALPHA_BLENDING`: the
//! backdrop is read by the blender, not by the shader). Everything else the composite draws
//! is opaque, so the same blending leaves it exactly as drawn.

use bytemuck::{Pod, Zeroable};
use visor_types::frame::Viewport;

use crate::backdrop::{Backdrop, BackdropKey};
use crate::camera::CameraTexture;
use crate::coverage::{Rect, TileMasks};
use crate::fullscreen::{self, SAMPLER, UNIFORM, UNIFORM_PER_DRAW, fullscreen_pipelines, per_draw, texture};
use crate::layers::EyeLayers;
use crate::world::World;

const SHADER: &str = include_str!("../../shaders/composite.wgsl");
/// Must match `MAX_LAYERS` in the shader.
pub const MAX_LAYERS: u32 = 16;

/// Draw entries sit at multiples of this in the params buffer (wgpu's dynamic-offset alignment).
const ALIGN: usize = 256;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    origin: [u32; 2],
    size: [u32; 2],
    layer_count: u32,
    camera_weight: f32,
    camera_stale: u32,
    trusted_mask: u32,
    marker: u32,
    mask: u32,
    layer: u32,
    brightness: f32,
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
    /// Nobody wears the glasses: the whole display dims.
    pub dimmed: bool,
}

/// How bright the display is while dimmed.
const DIMMED: f32 = 0.1;

/// What a region of the composite shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Band,
    Camera,
    Single,
    Walk,
}

/// The shader's entry points, in the order of `CompositePass::pipelines`.
const ENTRIES: [&str; 6] = ["fs_band", "fs_single", "fs_walk", "fs_camera_world", "fs_single_world", "fs_walk_world"];

impl Kind {
    /// The pipeline (index into `ENTRIES`) that draws this kind of region; `None` for the
    /// camera alone without the real world, which is a copy of the backdrop.
    fn pipeline(self, with_world: bool) -> Option<usize> {
        match (self, with_world) {
            (Kind::Band, _) => Some(0),
            (Kind::Single, false) => Some(1),
            (Kind::Walk, false) => Some(2),
            (Kind::Camera, false) => None,
            (Kind::Camera, true) => Some(3),
            (Kind::Single, true) => Some(4),
            (Kind::Walk, true) => Some(5),
        }
    }
}

/// One scissored draw: a rectangle of one eye, by one entry point, with its params entry.
struct Draw {
    eye: usize,
    rect: Rect,
    /// Index into `ENTRIES`.
    pipeline: usize,
    offset: u32,
}

pub struct CompositePass {
    pipelines: Vec<wgpu::RenderPipeline>,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    backdrop: Backdrop,
    /// Every draw's params, `ALIGN` apart.
    params: Option<wgpu::Buffer>,
    staging: Vec<u8>,
}

impl CompositePass {
    pub fn new(device: &wgpu::Device, output_format: wgpu::TextureFormat) -> CompositePass {
        use wgpu::TextureSampleType::{Depth, Float};
        use wgpu::TextureViewDimension::{D2, D2Array};
        let bindings = [
            (0, texture(Float { filterable: true }, D2)),
            (1, SAMPLER),
            (2, texture(Float { filterable: false }, D2Array)),
            (3, texture(Depth, D2Array)),
            (4, UNIFORM_PER_DRAW),
            (5, UNIFORM),
            (6, texture(Float { filterable: false }, D2)),
        ];
        let target = wgpu::ColorTargetState {
            format: output_format,
            blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
            write_mask: wgpu::ColorWrites::ALL,
        };
        let (pipelines, layout) = fullscreen_pipelines(device, "composite", SHADER, &bindings, target, &ENTRIES);
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("camera"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let backdrop = Backdrop::new(device, SHADER, output_format);
        CompositePass { pipelines, layout, sampler, backdrop, params: None, staging: Vec::new() }
    }

    /// Records the composite of every eye into `output` (whose view is `output_view`), one
    /// viewport per eye: the chrome band, then one draw per region of equal coverage
    /// (`TileMasks::regions`), each by the entry point its layers call for (its `_world` twin
    /// when `with_world`: `world` is then prepared for this frame), over a copy of the backdrop
    /// without the world, where regions of the camera alone need no draw.
    #[allow(clippy::too_many_arguments, reason = "the frame's GPU state, passed down rather than bundled")]
    pub fn encode(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        output: &wgpu::Texture,
        output_view: &wgpu::TextureView,
        camera: &CameraTexture,
        world: &World,
        with_world: bool,
        eyes: &[(Viewport, &EyeLayers, &TileMasks)],
        layer_count: u32,
        camera_weight: f32,
        chrome: Chrome,
    ) {
        self.staging.clear();
        let mut draws = Vec::new();
        let brightness = if chrome.dimmed { DIMMED } else { 1.0 };
        let backdrop = match (with_world, eyes.first()) {
            (false, Some((viewport, _, _))) => {
                let key = BackdropKey {
                    camera: camera.generation(),
                    width: viewport.width,
                    height: viewport.height,
                    weight: camera_weight.to_bits(),
                    brightness: brightness.to_bits(),
                    stale: chrome.camera_stale,
                };
                // Only the camera's fields: the backdrop has no layers, band or marker.
                let params = Params {
                    size: [viewport.width, viewport.height],
                    camera_weight,
                    camera_stale: u32::from(chrome.camera_stale),
                    brightness,
                    ..Params::zeroed()
                };
                self.backdrop.is_stale(&key).then(|| (key, self.push(&params)))
            }
            _ => None,
        };
        for (eye, (viewport, layers, masks)) in eyes.iter().enumerate() {
            let count = layer_count.min(layers.capacity).min(MAX_LAYERS);
            let base = Params {
                origin: [viewport.x, viewport.y],
                size: [viewport.width, viewport.height],
                layer_count: count,
                camera_weight,
                camera_stale: u32::from(chrome.camera_stale),
                trusted_mask: chrome.trusted_mask,
                marker: u32::from(chrome.marker),
                mask: 0,
                layer: 0,
                brightness,
            };
            let band = chrome.band_rows.min(viewport.height);
            if band > 0 {
                let offset = self.push(&base);
                let rect = Rect { x0: 0, y0: 0, x1: viewport.width, y1: band };
                draws.push(Draw { eye, rect, pipeline: Kind::Band.pipeline(with_world).unwrap_or_default(), offset });
            }
            let all = if count == 0 { 0 } else { u32::MAX >> (32 - count) };
            for (rect, mask) in masks.regions(viewport.width, viewport.height, band) {
                let mask = mask & all;
                let kind = match mask.count_ones() {
                    0 => Kind::Camera,
                    1 => Kind::Single,
                    _ => Kind::Walk,
                };
                let Some(pipeline) = kind.pipeline(with_world) else { continue };
                let offset = self.push(&Params { mask, layer: mask.trailing_zeros().min(31), ..base });
                draws.push(Draw { eye, rect, pipeline, offset });
            }
        }
        self.upload(device, queue);
        let Some(params) = &self.params else { return };
        let params_size = size_of::<Params>() as u64;
        if let Some((key, offset)) = backdrop {
            self.backdrop.render(device, encoder, camera, &self.sampler, params, params_size, offset, key);
        }
        if !with_world {
            for (viewport, _, _) in eyes {
                self.backdrop.copy_into(encoder, output, [viewport.x, viewport.y]);
            }
        }
        let groups: Vec<wgpu::BindGroup> = eyes
            .iter()
            .enumerate()
            .map(|(eye, (_, layers, _))| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("composite"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&camera.view) },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(&self.sampler) },
                        wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&layers.color_array) },
                        wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&layers.depth_array) },
                        wgpu::BindGroupEntry { binding: 4, resource: per_draw(params, params_size) },
                        wgpu::BindGroupEntry {
                            binding: 5,
                            resource: world.uniforms[eye.min(world.uniforms.len() - 1)].as_entire_binding(),
                        },
                        wgpu::BindGroupEntry { binding: 6, resource: wgpu::BindingResource::TextureView(&world.view) },
                    ],
                })
            })
            .collect();
        // The copies (or with the world, the band and the opaque regions) cover every pixel of
        // every eye, and the eyes the whole target: nothing needs clearing first, and the copies
        // must stay.
        let walk = Kind::Walk.pipeline(with_world).unwrap_or_default();
        let mut pass = fullscreen::begin_over(encoder, "z-composite", output_view, &self.pipelines[walk]);
        let mut current = walk;
        for (eye, (viewport, _, _)) in eyes.iter().enumerate() {
            pass.set_viewport(viewport.x as f32, viewport.y as f32, viewport.width as f32, viewport.height as f32, 0.0, 1.0);
            for draw in draws.iter().filter(|d| d.eye == eye) {
                if draw.pipeline != current {
                    pass.set_pipeline(&self.pipelines[draw.pipeline]);
                    current = draw.pipeline;
                }
                let Rect { x0, y0, x1, y1 } = draw.rect;
                pass.set_scissor_rect(viewport.x + x0, viewport.y + y0, x1 - x0, y1 - y0);
                pass.set_bind_group(0, &groups[eye], &[draw.offset]);
                pass.draw(0..3, 0..1);
            }
        }
    }

    /// Appends one draw's params; returns its offset.
    fn push(&mut self, params: &Params) -> u32 {
        let offset = self.staging.len();
        self.staging.extend_from_slice(bytemuck::bytes_of(params));
        self.staging.resize(offset + ALIGN, 0);
        offset as u32
    }

    /// Uploads the frame's params, growing the buffer when they outgrow it.
    fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue) {
        let needed = (self.staging.len() as u64).max(ALIGN as u64);
        if self.params.as_ref().is_some_and(|b| b.size() < needed) {
            self.params = None;
        }
        let buffer = self.params.get_or_insert_with(|| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("composite params"),
                size: needed.next_power_of_two().max(64 * ALIGN as u64),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        });
        if !self.staging.is_empty() {
            queue.write_buffer(buffer, 0, &self.staging);
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
                marker,
                mask,
                layer,
                brightness
            }),
        );
        assert_eq!(shader.members, rust.members);
        // The mirror rounds the buffer up to 16 bytes (uniform buffers bind in 16-byte units);
        // the shader reads the first `shader.size` of them.
        assert!(rust.size >= shader.size && rust.size % 16 == 0, "{shader:?} vs {rust:?}");
        assert_eq!(wgsl.u32_const("MAX_LAYERS"), Some(MAX_LAYERS));
        let probe = wgsl.struct_layout("Probe").unwrap();
        assert!(probe.size <= 16, "the hit probe writes 16 bytes: {probe:?}");
        assert_eq!(probe.members, [("pixel".to_owned(), 0), ("layer_count".to_owned(), 8)]);
    }
}
