//! The compositor proper: takes the newest submission of every app and the newest camera
//! frame, and produces the output frame — each app rendered into its own color+depth layer per
//! eye, then all layers z-composited over the camera.
//!
//! A layer is re-rendered only when its app handed in a new submission (or the targets were
//! rebuilt): an app running slower than the display costs its render once, not every frame.

use std::sync::Arc;
use std::time::Instant;

use image::RgbaImage;
use visor_types::frame::Viewport;
use visor_types::layer::{AppId, Pipeline};
use visor_types::profile::{DeviceProfile, DisplayKind};
use visor_types::{CameraFrame, LayerSubmission};

use crate::camera::CameraTexture;
use crate::composite::{CompositePass, MAX_LAYERS};
use crate::error::CompositorError;
use crate::gpu::Gpu;
use crate::layers::EyeLayers;
use crate::pipelines::{AppPipelines, COLOR_FORMAT};
use crate::readback::read_texture;
use crate::renderer::LayerRenderer;
use crate::resources::ResourceCache;

/// What the compositor renders: the display's eyes, and whether the camera shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CompositorConfig {
    pub eye_width: u32,
    pub eye_height: u32,
    pub eyes: u32,
    /// Passthrough displays draw the camera behind the apps; additive ones draw black.
    pub show_camera: bool,
}

impl CompositorConfig {
    pub fn from_profile(profile: &DeviceProfile) -> CompositorConfig {
        CompositorConfig {
            eye_width: profile.display.eye_width,
            eye_height: profile.display.eye_height,
            eyes: profile.display.eyes,
            show_camera: profile.display.kind == DisplayKind::Passthrough,
        }
    }

    fn viewport(&self, eye: u32) -> Viewport {
        Viewport { x: eye * self.eye_width, y: 0, width: self.eye_width, height: self.eye_height }
    }
}

/// What one frame cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    /// From the start of `render` until the GPU finished the frame, in milliseconds.
    pub ms: f64,
    /// Layers composited.
    pub layers: u32,
    /// Layers re-rendered this frame (the rest were unchanged).
    pub layers_rendered: u32,
}

pub struct Compositor {
    gpu: Gpu,
    config: CompositorConfig,
    pipelines: AppPipelines,
    resources: ResourceCache,
    renderer: LayerRenderer,
    composite: CompositePass,
    camera: CameraTexture,
    eyes: Vec<EyeLayers>,
    output: wgpu::Texture,
    output_view: wgpu::TextureView,
    /// What each layer slot holds now: (app, submission sequence).
    slots: Vec<Option<(AppId, u64)>>,
    layer_count: u32,
    warned_too_many: bool,
}

impl Compositor {
    pub fn new(gpu: Gpu, config: CompositorConfig) -> Result<Compositor, CompositorError> {
        let max = gpu.device.limits().max_texture_dimension_2d;
        let (width, height) = (config.eye_width * config.eyes, config.eye_height);
        if width == 0 || height == 0 || width > max || height > max {
            return Err(CompositorError::BadSize { width, height, max });
        }
        let device = &gpu.device;
        let pipelines = AppPipelines::new(device);
        let resources = ResourceCache::new(device, &gpu.queue, &pipelines.texture_layout);
        let output = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("output frame"),
            size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: COLOR_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        Ok(Compositor {
            composite: CompositePass::new(device, COLOR_FORMAT),
            camera: CameraTexture::new(device),
            eyes: (0..config.eyes).map(|_| EyeLayers::new(device, config.eye_width, config.eye_height, 1)).collect(),
            output_view: output.create_view(&Default::default()),
            output,
            renderer: LayerRenderer::new(),
            slots: Vec::new(),
            layer_count: 0,
            warned_too_many: false,
            pipelines,
            resources,
            config,
            gpu,
        })
    }

    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    pub fn config(&self) -> &CompositorConfig {
        &self.config
    }

    /// The composited frame, for sinks that present on the GPU.
    pub fn output(&self) -> &wgpu::Texture {
        &self.output
    }

    /// Composites one frame and waits for the GPU to finish it.
    pub fn render(&mut self, camera: Option<&CameraFrame>, layers: &[Arc<LayerSubmission>]) -> FrameStats {
        let started = Instant::now();
        let layers = self.admit(layers);
        self.ensure_capacity(layers.len() as u32);
        let Gpu { device, queue, .. } = &self.gpu;
        self.resources.begin_frame();
        if let Some(frame) = camera {
            self.camera.update(device, queue, frame);
        }

        let stale: Vec<(u32, &LayerSubmission)> = layers
            .iter()
            .enumerate()
            .filter(|(slot, s)| self.slots.get(*slot).copied().flatten() != Some((s.app, s.sequence)))
            .map(|(slot, s)| (slot as u32, s.as_ref()))
            .collect();
        let eyes = self.config.eyes as usize;
        let passes = stale.iter().flat_map(|&(slot, s)| (0..eyes).map(move |eye| (slot, eye, s)));
        let jobs = self.renderer.plan(device, queue, &self.pipelines, passes);

        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        for job in &jobs {
            let eye_layers = &self.eyes[job.eye];
            self.renderer.encode(&mut encoder, device, queue, &mut self.pipelines, &mut self.resources, eye_layers, job);
        }
        let count = layers.len() as u32;
        self.encode_composite(&mut encoder, count);
        self.gpu.queue.submit([encoder.finish()]);
        self.gpu.wait_idle();

        self.slots = layers.iter().map(|s| Some((s.app, s.sequence))).collect();
        self.layer_count = count;
        self.pipelines.retain_custom(|id| {
            layers.iter().flat_map(|s| &s.draws).any(|d| matches!(&d.pipeline, Pipeline::Custom(c) if c.id == *id))
        });
        FrameStats { ms: started.elapsed().as_secs_f64() * 1e3, layers: count, layers_rendered: stale.len() as u32 }
    }

    /// Re-runs only the z-composite over the layers already rendered and waits for it: what
    /// the composite costs on its own, for benchmarks.
    pub fn composite_only(&mut self) {
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        self.encode_composite(&mut encoder, self.layer_count);
        self.gpu.queue.submit([encoder.finish()]);
        self.gpu.wait_idle();
    }

    fn encode_composite(&mut self, encoder: &mut wgpu::CommandEncoder, layer_count: u32) {
        let eyes: Vec<(Viewport, &EyeLayers)> =
            self.eyes.iter().enumerate().map(|(i, l)| (self.config.viewport(i as u32), l)).collect();
        let weight = if self.config.show_camera { 1.0 } else { 0.0 };
        let Gpu { device, queue, .. } = &self.gpu;
        self.composite.encode(device, queue, encoder, &self.output_view, &self.camera, &eyes, layer_count, weight);
    }

    /// Caps the layers at what the composite can merge, saying so once.
    fn admit<'a>(&mut self, layers: &'a [Arc<LayerSubmission>]) -> &'a [Arc<LayerSubmission>] {
        if layers.len() > MAX_LAYERS as usize {
            if !self.warned_too_many {
                tracing::warn!("{} apps are drawing; only the first {MAX_LAYERS} are composited", layers.len());
                self.warned_too_many = true;
            }
            return &layers[..MAX_LAYERS as usize];
        }
        layers
    }

    fn ensure_capacity(&mut self, layers: u32) {
        if self.eyes[0].capacity >= layers {
            return;
        }
        let capacity = layers.next_power_of_two().min(MAX_LAYERS);
        let c = &self.config;
        self.eyes = (0..c.eyes).map(|_| EyeLayers::new(&self.gpu.device, c.eye_width, c.eye_height, capacity)).collect();
        self.slots.clear();
    }

    /// The last composited frame, both eyes side by side.
    pub fn read_frame(&self) -> Result<RgbaImage, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let pixels = read_texture(device, queue, &self.output, 0, wgpu::TextureAspect::All, 4)?;
        RgbaImage::from_raw(self.output.width(), self.output.height(), pixels)
            .ok_or_else(|| CompositorError::Readback("frame size does not match its pixels".into()))
    }

    /// One app layer's depth for one eye (reverse-Z: 0 where it drew nothing).
    pub fn read_layer_depth(&self, eye: usize, slot: u32) -> Result<Vec<f32>, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let texture = self.eyes[eye].depth_texture();
        let bytes = read_texture(device, queue, texture, slot, wgpu::TextureAspect::DepthOnly, 4)?;
        Ok(bytemuck::cast_slice(&bytes).to_vec())
    }

    /// One app layer's premultiplied color for one eye.
    pub fn read_layer_color(&self, eye: usize, slot: u32) -> Result<RgbaImage, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let texture = self.eyes[eye].color_texture();
        let pixels = read_texture(device, queue, texture, slot, wgpu::TextureAspect::All, 4)?;
        RgbaImage::from_raw(texture.width(), texture.height(), pixels)
            .ok_or_else(|| CompositorError::Readback("layer size does not match its pixels".into()))
    }
}
