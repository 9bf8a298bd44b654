//! The backdrop: the camera picture as an eye shows it behind the apps — stretched to the eye's
//! size and filtered, weighted (black on optical see-through), hatched when stale and dimmed
//! with the display — rendered once whenever one of those changes (`fs_backdrop` in
//! `shaders/composite.wgsl`) instead of at every composite.
//!
//! Camera frames arrive at 30 fps while displays run at 60 to 120 Hz, and on every composite
//! most of the view is usually the camera alone: each eye starts as a plain copy of the
//! backdrop ([`Backdrop::copy_into`]), regions no layer reaches are done with that, and the
//! layers' regions blend over it where they used to filter four camera texels per pixel. Both
//! eyes share it: stretched, the camera shows the same picture at the same pixels of each eye. Where the real world takes part (the
//! camera placed per eye through its lens), the picture differs per eye and per pose, and the
//! composite looks it up itself; the backdrop is then left alone.
//!
//! A region of the backdrop copied into the frame holds exactly what the composite's camera
//! draw wrote there before: the same filtered sample, the same arithmetic, rounded once into
//! the same format. Under the layers, the backdrop is that rounded picture, where it used to
//! be the unrounded sample: a difference of at most one step of the format where a layer is
//! translucent.

use crate::camera::CameraTexture;
use crate::fullscreen::{self, SAMPLER, UNIFORM_PER_DRAW, fullscreen_pipelines, per_draw, texture};

/// Everything the backdrop's pixels depend on; it is rendered again when this changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackdropKey {
    /// The camera picture ([`CameraTexture::generation`]).
    pub camera: u64,
    pub width: u32,
    pub height: u32,
    /// Bit patterns of the camera weight and the display brightness.
    pub weight: u32,
    pub brightness: u32,
    pub stale: bool,
}

pub struct Backdrop {
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    format: wgpu::TextureFormat,
    /// What the texture holds now; `None` before the first rendering.
    shown: Option<BackdropKey>,
}

impl Backdrop {
    /// A backdrop in `format` (the composite's target format, so its regions copy as they are),
    /// drawn by `shader`'s `fs_backdrop`.
    pub fn new(device: &wgpu::Device, shader: &str, format: wgpu::TextureFormat) -> Backdrop {
        use wgpu::TextureSampleType::Float;
        use wgpu::TextureViewDimension::D2;
        // The camera, its sampler and the per-draw params: the bindings `fs_backdrop` reads.
        let bindings = [(0, texture(Float { filterable: true }, D2)), (1, SAMPLER), (4, UNIFORM_PER_DRAW)];
        let (mut pipelines, layout) = fullscreen_pipelines(device, "backdrop", shader, &bindings, format.into(), &["fs_backdrop"]);
        let texture = create(device, format, 1, 1);
        let view = texture.create_view(&Default::default());
        Backdrop { texture, view, pipeline: pipelines.remove(0), layout, format, shown: None }
    }

    /// Whether the backdrop must be rendered for `key`.
    pub fn is_stale(&self, key: &BackdropKey) -> bool {
        self.shown.as_ref() != Some(key)
    }

    /// Renders the backdrop for `key` from `camera`, with the composite's params entry at
    /// `offset` of `params` (origin 0, the eye's size).
    #[allow(clippy::too_many_arguments, reason = "the frame's GPU state, passed down rather than bundled")]
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        camera: &CameraTexture,
        sampler: &wgpu::Sampler,
        params: &wgpu::Buffer,
        params_size: u64,
        offset: u32,
        key: BackdropKey,
    ) {
        if self.texture.width() != key.width || self.texture.height() != key.height {
            self.texture = create(device, self.format, key.width, key.height);
            self.view = self.texture.create_view(&Default::default());
        }
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("backdrop"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&camera.view) },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(sampler) },
                wgpu::BindGroupEntry { binding: 4, resource: per_draw(params, params_size) },
            ],
        });
        let mut pass = fullscreen::begin(encoder, "backdrop", &self.view, &self.pipeline);
        pass.set_bind_group(0, &group, &[offset]);
        pass.draw(0..3, 0..1);
        drop(pass);
        self.shown = Some(key);
    }

    /// Copies the backdrop into `target` as the eye whose viewport starts at `origin` (and is
    /// the backdrop's size).
    pub fn copy_into(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::Texture, origin: [u32; 2]) {
        let to = wgpu::TexelCopyTextureInfo {
            texture: target,
            mip_level: 0,
            origin: wgpu::Origin3d { x: origin[0], y: origin[1], z: 0 },
            aspect: wgpu::TextureAspect::All,
        };
        encoder.copy_texture_to_texture(self.texture.as_image_copy(), to, self.texture.size());
    }
}

fn create(device: &wgpu::Device, format: wgpu::TextureFormat, width: u32, height: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("backdrop"),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    })
}
