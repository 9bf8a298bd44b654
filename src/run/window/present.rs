//! The present pass (`shaders/present.wgsl`): draws the compositor's output frame into the
//! window's surface texture, letterboxed by [`super::view::View`], with the overlay image on
//! top. It reads the output frame on the GPU — no copy back to the CPU — so presenting costs
//! one small full-window pass.

use bytemuck::{Pod, Zeroable};

use visor_compositor::fullscreen::{self, SAMPLER, UNIFORM, fullscreen_pass, texture};

use super::overlay::Raster;
use super::view::Rect;

const SHADER: &str = include_str!("../../../shaders/present.wgsl");

/// The bars around the frame: a dark grey, so an optical see-through display's black (which
/// the glasses show as clear) stays distinguishable from the window's edge.
const BARS: [f32; 4] = [0.012, 0.012, 0.014, 1.0];

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    frame_rect: [f32; 4],
    source_uv: [f32; 4],
    overlay_rect: [f32; 4],
    bars: [f32; 4],
}

/// Where things go in one presented frame.
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    pub frame: Rect,
    pub source_uv: [f32; 4],
    /// The overlay's rectangle in window pixels, or `None` when it is hidden.
    pub overlay: Option<Rect>,
}

pub struct PresentPass {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    params: wgpu::Buffer,
    frame_view: wgpu::TextureView,
    overlay: wgpu::Texture,
    bind_group: wgpu::BindGroup,
}

impl PresentPass {
    /// A pass that shows `frame` (the compositor's output) on a surface of `format`.
    pub fn new(device: &wgpu::Device, frame: &wgpu::Texture, format: wgpu::TextureFormat) -> PresentPass {
        let frame_texture = |filterable| texture(wgpu::TextureSampleType::Float { filterable }, wgpu::TextureViewDimension::D2);
        let bindings = [frame_texture(true), SAMPLER, frame_texture(false), UNIFORM];
        let (pipeline, layout) = fullscreen_pass(device, "present", SHADER, &bindings, format);
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("present frame"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("present params"),
            size: size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let frame_view = frame.create_view(&Default::default());
        let overlay = overlay_texture(device, 1, 1);
        let bind_group = bind_group(device, &layout, &frame_view, &sampler, &overlay, &params);
        PresentPass { pipeline, layout, sampler, params, frame_view, overlay, bind_group }
    }

    /// Replaces the overlay image (a new texture only when its size changed).
    pub fn set_overlay(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, raster: &Raster) {
        if (self.overlay.width(), self.overlay.height()) != (raster.width, raster.height) {
            self.overlay = overlay_texture(device, raster.width, raster.height);
            self.bind_group = bind_group(device, &self.layout, &self.frame_view, &self.sampler, &self.overlay, &self.params);
        }
        queue.write_texture(
            self.overlay.as_image_copy(),
            &raster.pixels,
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(raster.width * 4), rows_per_image: None },
            self.overlay.size(),
        );
    }

    /// The overlay image's size in texels.
    pub fn overlay_size(&self) -> (u32, u32) {
        (self.overlay.width(), self.overlay.height())
    }

    /// Records the pass into `target` (the surface texture's view).
    pub fn encode(&self, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, at: &Placement) {
        let rect = |r: &Rect| [r.x, r.y, r.width, r.height];
        let params = Params {
            frame_rect: rect(&at.frame),
            source_uv: at.source_uv,
            overlay_rect: at.overlay.as_ref().map_or([0.0; 4], rect),
            bars: BARS,
        };
        queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let mut pass = fullscreen::begin(encoder, "present", target, &self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

fn overlay_texture(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Texture {
    visor_compositor::srgb_picture(device, "overlay", width, height)
}

fn bind_group(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    frame: &wgpu::TextureView,
    sampler: &wgpu::Sampler,
    overlay: &wgpu::Texture,
    params: &wgpu::Buffer,
) -> wgpu::BindGroup {
    let overlay_view = overlay.create_view(&Default::default());
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("present"),
        layout,
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(frame) },
            wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(sampler) },
            wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&overlay_view) },
            wgpu::BindGroupEntry { binding: 3, resource: params.as_entire_binding() },
        ],
    })
}

#[cfg(test)]
mod mirrors {
    use visor_shader::mirror_layout;
    use visor_shader::reflect::Reflection;

    use super::*;

    #[test]
    fn the_shader_and_its_mirror_agree() {
        let wgsl = Reflection::parse(SHADER).unwrap();
        assert_eq!(wgsl.struct_layout("Params").unwrap(), mirror_layout!(Params { frame_rect, source_uv, overlay_rect, bars }));
    }
}
