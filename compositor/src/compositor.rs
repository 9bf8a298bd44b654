//! The compositor proper: takes the newest submission of every app, the newest camera frame
//! and the display's eyes for this frame, and produces the output frame — each app rendered
//! into its own color+depth layer per eye, each layer brought to the display pose (copied, or
//! reprojected when the app drew for another pose), all of them z-composited over the camera,
//! and finally the lens correction when the display has one.
//!
//! A layer is re-rendered only when its app handed in a new submission (or the targets were
//! rebuilt), and re-warped only when its submission or the display pose changed: an app
//! running slower than the display costs its render once, and a warp per display frame only
//! while the head moves.
//!
//! Where the GPU can time passes, the layer passes are submitted ahead of the composite and
//! timed (`watchdog`): a layer over the GPU budget is left out of that frame, and an app over
//! it [`STRIKES`](crate::watchdog::STRIKES) frames running is reported by
//! [`Compositor::take_gpu_offenders`] for the shell to stop.

use std::sync::Arc;
use std::time::Instant;

use image::RgbaImage;
use visor_types::frame::{FrameInfo, Viewport};
use visor_types::layer::{AppId, Pipeline};
use visor_types::{CameraFrame, LayerSubmission};

use crate::camera::CameraTexture;
use crate::composite::{Chrome, CompositePass, MAX_LAYERS};
use crate::config::{CPU_ADAPTER_BUDGET_FACTOR, CompositorConfig, DEFAULT_GPU_BUDGET_MS};
use crate::coverage::{self, Rect, TileMasks};
use crate::display::{self, Shown, Update};
use crate::error::CompositorError;
use crate::gpu::Gpu;
use crate::hit_test::{self, Hit, HitProbe};
use crate::layers::EyeLayers;
use crate::optics::OpticsPass;
use crate::pass_timer::{GpuStageTimes, Mark, PassTimer};
use crate::pipelines::{AppPipelines, COLOR_FORMAT};
use crate::readback::read_texture;
use crate::renderer::{LayerRenderer, begin_layer_pass};
use crate::reproject::WarpPass;
use crate::resources::ResourceCache;
use crate::watchdog::GpuWatchdog;
use crate::world::World;

/// What one frame cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameStats {
    /// From the start of `render` until the GPU finished the frame, in milliseconds.
    pub ms: f64,
    /// Layers composited.
    pub layers: u32,
    /// Layers re-rendered this frame (the rest were unchanged).
    pub layers_rendered: u32,
    /// Layer images (one per app per eye) reprojected to the display pose this frame.
    pub layers_reprojected: u32,
    /// Layers left out because their app ran past its GPU budget.
    pub layers_over_budget: u32,
    /// The GPU's own time per stage, where the adapter can time them.
    pub gpu: Option<GpuStageTimes>,
}

/// The lens correction and the composited frame it reads.
struct Optics {
    pass: OpticsPass,
    composited: wgpu::Texture,
    composited_view: wgpu::TextureView,
}

pub struct Compositor {
    gpu: Gpu,
    config: CompositorConfig,
    pipelines: AppPipelines,
    resources: ResourceCache,
    renderer: LayerRenderer,
    composite: CompositePass,
    camera: CameraTexture,
    /// Per eye: the layers as rendered from the apps' draws.
    eyes: Vec<EyeLayers>,
    /// Per eye: the layers at the display pose, which the composite and the hit test read.
    display: Vec<EyeLayers>,
    /// What each display slot holds, slot-major (`config.eyes` entries per slot).
    shown: Vec<Option<Shown>>,
    warp: WarpPass,
    probe: HitProbe,
    optics: Option<Optics>,
    output: wgpu::Texture,
    output_view: wgpu::TextureView,
    /// What each layer slot holds now: (app, submission sequence).
    slots: Vec<Option<(AppId, u64)>>,
    layer_count: u32,
    warned_too_many: bool,
    watchdog: GpuWatchdog,
    /// The shell's own apps (the launcher): their layers go over every app's.
    trusted: Vec<AppId>,
    /// The chrome the last composite drew with.
    chrome: Chrome,
    /// Per eye: which display slots reach which tiles, for the composite.
    coverage: Vec<TileMasks>,
    /// Bin layers by their bounds (off: every tile walks every layer, for comparison).
    binning: bool,
    /// GPU timestamps between the frame's stages.
    timer: PassTimer,
    /// The camera's placement and the real world's depth.
    world: World,
    /// Slots the real world never hides: the shell's own, and draws that opted out.
    exempt_mask: u32,
    /// This frame's submissions split by whether the real world hides their draws (see
    /// `split_for_world`), kept while their submissions are current.
    split: Vec<Split>,
    /// The display eyes of the last frame (for the hit test's real-world depth).
    last_display: Option<FrameInfo>,
    /// Whether the last composite took the real world into account.
    world_on: bool,
}

impl Compositor {
    pub fn new(gpu: Gpu, config: CompositorConfig) -> Result<Compositor, CompositorError> {
        let max = gpu.device.limits().max_texture_dimension_2d;
        let (width, height) = (config.eye_width * config.eyes, config.eye_height);
        if width == 0 || height == 0 || width > max || height > max {
            return Err(CompositorError::BadSize { width, height, max });
        }
        let mut config = config;
        if gpu.adapter.get_info().device_type == wgpu::DeviceType::Cpu && config.gpu_budget_ms == DEFAULT_GPU_BUDGET_MS {
            // A software rasterizer shares the CPU with everything else: an honest layer can
            // take several times longer on a busy machine, and only a runaway one should trip.
            config.gpu_budget_ms = DEFAULT_GPU_BUDGET_MS * CPU_ADAPTER_BUDGET_FACTOR;
        }
        let device = &gpu.device;
        let pipelines = AppPipelines::new(device);
        let resources = ResourceCache::new(device, &gpu.queue, &pipelines.texture_layout);
        let frame_texture = |label| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: COLOR_FORMAT,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::COPY_SRC
                    | wgpu::TextureUsages::COPY_DST
                    | wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            })
        };
        let output = frame_texture("output frame");
        let optics = config.optics.map(|lens| {
            let composited = frame_texture("composited frame");
            let composited_view = composited.create_view(&Default::default());
            let viewports = (0..config.eyes).map(|eye| config.viewport(eye)).collect();
            let pass = OpticsPass::new(device, COLOR_FORMAT, &composited_view, &lens, viewports);
            Optics { pass, composited, composited_view }
        });
        let layers = |capacity| (0..config.eyes).map(|_| EyeLayers::new(device, config.eye_width, config.eye_height, capacity)).collect();
        Ok(Compositor {
            composite: CompositePass::new(device, COLOR_FORMAT),
            camera: CameraTexture::new(device),
            eyes: layers(1),
            display: layers(1),
            shown: Vec::new(),
            warp: WarpPass::new(device, config.eye_width, config.eye_height, config.eyes as usize),
            probe: HitProbe::new(device),
            optics,
            output_view: output.create_view(&Default::default()),
            output,
            renderer: LayerRenderer::new(),
            slots: Vec::new(),
            layer_count: 0,
            warned_too_many: false,
            watchdog: GpuWatchdog::new(device, &gpu.queue),
            trusted: Vec::new(),
            chrome: Chrome::default(),
            coverage: Vec::new(),
            binning: true,
            timer: PassTimer::new(device, &gpu.queue),
            world: World::new(device, config.eyes as usize),
            exempt_mask: 0,
            split: Vec::new(),
            last_display: None,
            world_on: false,
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

    /// Composites one frame for the display's eyes (`display`: the head pose predicted for
    /// when this frame shows) and waits for the GPU to finish it.
    pub fn render(&mut self, camera: Option<&CameraFrame>, layers: &[Arc<LayerSubmission>], display: &FrameInfo) -> FrameStats {
        let started = Instant::now();
        let (layers, unoccluded) = self.split_for_world(layers);
        let layers = self.admit(&layers);
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
        self.watchdog.begin(device, jobs.len());
        // Slots to draw again next frame: a shader was still compiling, or the app was over budget.
        let mut redraw = Vec::new();
        for (index, job) in jobs.iter().enumerate() {
            let eye_layers = &self.eyes[job.eye];
            let timestamps = self.watchdog.timestamp_writes(index);
            if !self.renderer.encode(&mut encoder, device, queue, &mut self.pipelines, &mut self.resources, eye_layers, job, timestamps) {
                redraw.push(job.slot);
            }
        }
        let mut over_budget = Vec::new();
        let layers_timed = self.watchdog.resolve(&mut encoder, jobs.len());
        if layers_timed {
            // The layers first, timed, so an app over budget can be left out of this frame.
            queue.submit([encoder.finish()]);
            let apps: Vec<AppId> = jobs.iter().map(|j| j.submission.app).collect();
            let over = self.watchdog.judge(device, &apps, self.config.gpu_budget_ms);
            over_budget = layers.iter().enumerate().filter(|(_, s)| over.contains(&s.app)).map(|(slot, _)| slot as u32).collect();
            encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        }
        let count = layers.len() as u32;
        self.chrome.trusted_mask =
            layers.iter().enumerate().filter(|(_, s)| self.trusted.contains(&s.app)).fold(0, |mask, (slot, _)| mask | 1 << slot);
        // The band exists while the shell has UI of its own to vouch for.
        self.chrome.band_rows = if self.trusted.is_empty() { 0 } else { chrome_band_rows(self.config.eye_height) };
        self.exempt_mask = self.chrome.trusted_mask | (unoccluded & (u32::MAX >> (32 - MAX_LAYERS)));
        self.world_on = self.world.prepare(queue, display, self.config.show_camera, self.exempt_mask);
        self.last_display = Some(display.clone());
        self.timer.mark(&mut encoder, Mark::Start);
        let reprojected = self.update_display(&mut encoder, layers, display);
        self.update_coverage(layers);
        for &slot in &over_budget {
            for eye in &self.display {
                drop(begin_layer_pass(&mut encoder, eye, slot, None));
            }
        }
        self.timer.mark(&mut encoder, Mark::DisplayDone);
        self.encode_composite(&mut encoder, count);
        self.gpu.queue.submit([encoder.finish()]);
        self.gpu.wait_idle();
        let gpu = self
            .timer
            .read(&self.gpu.device)
            .map(|t| GpuStageTimes { layers_ms: if layers_timed { self.watchdog.last_total_ms() } else { 0.0 }, ..t });

        self.slots = layers.iter().map(|s| Some((s.app, s.sequence))).collect();
        for &slot in redraw.iter().chain(&over_budget) {
            self.slots[slot as usize] = None;
        }
        let eyes = self.config.eyes as usize;
        for &slot in redraw.iter().chain(&over_budget) {
            // What shows there now is incomplete or nothing: the next rendering must be shown afresh.
            self.shown.iter_mut().skip(slot as usize * eyes).take(eyes).for_each(|shown| *shown = None);
        }
        self.layer_count = count;
        self.pipelines
            .retain_custom(|id| layers.iter().flat_map(|s| &s.draws).any(|d| matches!(&d.pipeline, Pipeline::Custom(c) if c.id == *id)));
        FrameStats {
            ms: started.elapsed().as_secs_f64() * 1e3,
            layers: count,
            layers_rendered: stale.len() as u32,
            layers_reprojected: reprojected,
            layers_over_budget: over_budget.len() as u32,
            gpu,
        }
    }

    /// Apps whose layers ran past the GPU budget several frames in a row (see `watchdog`),
    /// each with its last GPU time in milliseconds; reported once each time.
    pub fn take_gpu_offenders(&mut self) -> Vec<(AppId, f64)> {
        self.watchdog.take_offenders()
    }

    /// The shell's own apps (the launcher): their layers are composited over every app's,
    /// whatever the depth, and while there are any, the top rows of each eye are the chrome
    /// band no app draws in.
    pub fn set_trusted_apps(&mut self, apps: Vec<AppId>) {
        self.trusted = apps;
    }

    /// Shows the trusted marker in the chrome band: the shell is asking the user something
    /// (a consent dialog is up), and no app can fake the band.
    pub fn set_marker(&mut self, on: bool) {
        self.chrome.marker = on;
    }

    /// Marks the camera picture as too old to pass for the world now: it is dimmed and
    /// hatched until a fresh one arrives.
    pub fn set_camera_stale(&mut self, stale: bool) {
        self.chrome.camera_stale = stale;
    }

    /// Dims the whole display (nobody is wearing the glasses), or brings it back.
    pub fn set_dimmed(&mut self, dimmed: bool) {
        self.chrome.dimmed = dimmed;
    }

    /// Where the camera sits and how it sees: the picture is then placed per eye through its
    /// lens and mount (when `reproject`), and depth can hide layers. `None`: the picture is
    /// stretched over each eye as it comes and nothing real hides anything.
    pub fn set_passthrough(&mut self, passthrough: Option<visor_types::Passthrough>) {
        self.world.set_passthrough(passthrough);
    }

    /// The head pose (world from head) when the camera picture was captured, so the picture is
    /// placed where the camera saw it, not where the head is now (`None`: the display's pose).
    pub fn set_camera_head(&mut self, world_from_head: Option<glam::Mat4>) {
        self.world.camera_head = world_from_head;
    }

    /// The real world's depth from now on, in the camera's pixels (`None`: none known).
    pub fn set_world_depth(&mut self, depth: Option<visor_types::DepthFrame>) {
        let Gpu { device, queue, .. } = &self.gpu;
        self.world.set_depth(device, queue, depth);
    }

    /// Changes the GPU time one app's layer may take per frame.
    pub fn set_gpu_budget_ms(&mut self, budget_ms: f64) {
        self.config.gpu_budget_ms = budget_ms;
    }

    /// Waits until every app shader seen so far is compiled (they compile off this thread),
    /// so the next frame has every draw: for tests and benchmarks.
    pub fn finish_shader_compiles(&mut self) {
        self.pipelines.finish_compiling();
    }

    /// Brings every display slot to the display pose: a copy of the rendered layer where the
    /// poses match, a warp where they differ; nothing where it is already up to date.
    fn update_display(&mut self, encoder: &mut wgpu::CommandEncoder, layers: &[Arc<LayerSubmission>], display: &FrameInfo) -> u32 {
        let c = &self.config;
        let (updates, warps) = display::plan(&mut self.shown, layers, display, c.eyes as usize, c.reproject);
        for update in &updates {
            let Update::Copy { eye, slot } = *update else { continue };
            let (from, to) = (&self.eyes[eye], &self.display[eye]);
            for (source, target) in [(from.color_texture(), to.color_texture()), (from.depth_texture(), to.depth_texture())] {
                let at = |texture| wgpu::TexelCopyTextureInfo {
                    texture,
                    mip_level: 0,
                    origin: wgpu::Origin3d { x: 0, y: 0, z: slot },
                    aspect: wgpu::TextureAspect::All,
                };
                let size = wgpu::Extent3d { width: c.eye_width, height: c.eye_height, depth_or_array_layers: 1 };
                encoder.copy_texture_to_texture(at(source), at(target), size);
            }
        }
        let Gpu { device, queue, .. } = &self.gpu;
        self.warp.plan(device, queue, &warps);
        self.warp.encode(device, encoder, &warps, &self.eyes, &self.display);
        warps.len() as u32
    }

    /// Bins the display slots into each eye's tiles by where their pixels can be.
    fn update_coverage(&mut self, layers: &[Arc<LayerSubmission>]) {
        let (width, height, eyes) = (self.config.eye_width, self.config.eye_height, self.config.eyes as usize);
        self.coverage.resize_with(eyes, TileMasks::default);
        for (eye, masks) in self.coverage.iter_mut().enumerate() {
            masks.clear(width, height);
            for (slot, submission) in layers.iter().enumerate() {
                let bounds = match self.shown.get(slot * eyes + eye) {
                    Some(Some(shown)) if self.binning => coverage::layer_bounds(submission, &shown.eye, width, height, shown.warped),
                    // Unknown contents (or binning off): the slot may be anywhere.
                    _ => Some(Rect::full(width, height)),
                };
                if let Some(bounds) = bounds {
                    masks.cover(slot as u32, bounds);
                }
            }
        }
    }

    /// Bins layers into tiles by their bounds (the default), or not: every tile then walks
    /// every layer, as the composite did before binning. For comparing the two.
    pub fn set_layer_binning(&mut self, on: bool) {
        self.binning = on;
    }

    /// Per eye, the share of tiles that no layer, one layer and several layers reach in the
    /// last frame.
    pub fn tile_census(&self) -> Vec<[f64; 3]> {
        self.coverage.iter().map(TileMasks::census).collect()
    }

    /// Shows `frame` as the camera picture from the next composite on, without rendering a
    /// frame: for benchmarks that time composites with a new picture each time.
    pub fn show_camera_frame(&mut self, frame: &CameraFrame) {
        self.camera.update(&self.gpu.device, &self.gpu.queue, frame);
    }

    /// Re-runs only the z-composite (and the optics pass) over the display layers already in
    /// place and waits for it: what the composite costs on its own, for benchmarks.
    /// Returns the GPU's own time for it, where the adapter can time it.
    pub fn composite_only(&mut self) -> Option<GpuStageTimes> {
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        self.timer.mark(&mut encoder, Mark::Start);
        self.timer.mark(&mut encoder, Mark::DisplayDone);
        self.encode_composite(&mut encoder, self.layer_count);
        self.gpu.queue.submit([encoder.finish()]);
        self.gpu.wait_idle();
        self.timer.read(&self.gpu.device)
    }

    fn encode_composite(&mut self, encoder: &mut wgpu::CommandEncoder, layer_count: u32) {
        let (width, height) = (self.config.eye_width, self.config.eye_height);
        self.coverage.resize_with(self.display.len(), || {
            let mut masks = TileMasks::default();
            masks.clear(width, height);
            masks
        });
        let eyes: Vec<(Viewport, &EyeLayers, &TileMasks)> =
            self.display.iter().zip(&self.coverage).enumerate().map(|(i, (l, t))| (self.config.viewport(i as u32), l, t)).collect();
        let weight = if self.config.show_camera { 1.0 } else { 0.0 };
        let Gpu { device, queue, .. } = &self.gpu;
        let (target, target_view) = self.optics.as_ref().map_or((&self.output, &self.output_view), |o| (&o.composited, &o.composited_view));
        let (world, with_world) = (&self.world, self.world_on);
        let camera = &self.camera;
        self.composite.encode(
            device,
            queue,
            encoder,
            target,
            target_view,
            camera,
            world,
            with_world,
            &eyes,
            layer_count,
            weight,
            self.chrome,
        );
        self.timer.mark(encoder, Mark::CompositeDone);
        if let Some(optics) = &self.optics {
            optics.pass.encode(encoder, &self.output_view);
        }
        self.timer.mark(encoder, Mark::OpticsDone);
        self.timer.resolve(encoder);
    }

    /// Where the real world takes part, a submission whose draws differ on whether it hides
    /// them (`DrawCmd::world_occludes`) goes in as two layers — the hidden draws and the rest —
    /// which the composite merges by depth like any two. Returns the layers and the mask of
    /// those the real world never hides.
    fn split_for_world(&mut self, layers: &[Arc<LayerSubmission>]) -> (Vec<Arc<LayerSubmission>>, u32) {
        let mut out = Vec::with_capacity(layers.len());
        let mut unoccluded = 0u64;
        let mut kept = Vec::new();
        let world = self.world.active(self.config.show_camera);
        for submission in layers {
            let hud = submission.draws.iter().filter(|d| !d.world_occludes).count();
            if !world || hud == 0 {
                out.push(submission.clone());
                continue;
            }
            if hud == submission.draws.len() {
                unoccluded |= 1 << out.len().min(63);
                out.push(submission.clone());
                continue;
            }
            let key = (submission.app, submission.sequence);
            let split = match self.split.iter().position(|s| s.key == key) {
                Some(i) => self.split.swap_remove(i),
                None => Split::of(submission),
            };
            out.push(split.occluded.clone());
            unoccluded |= 1 << out.len().min(63);
            out.push(split.hud.clone());
            kept.push(split);
        }
        self.split = kept;
        (out, unoccluded as u32)
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
        let layers = || (0..c.eyes).map(|_| EyeLayers::new(&self.gpu.device, c.eye_width, c.eye_height, capacity)).collect();
        self.eyes = layers();
        self.display = layers();
        self.slots.clear();
        self.shown.clear();
        self.warp.forget_layers();
    }

    /// What shows at pixel (`x`, `y`) of the output frame (render space, before optics): the
    /// app with the nearest surface there in the last rendered frame, or `None` where no app
    /// drew (or the pixel is outside the frame). `world` is that surface point unprojected
    /// with the eye its layer was shown for — the display eye of that frame (the app's own
    /// when reprojection is off) — so it is in the world space all apps draw in. Reads one
    /// pixel back from the GPU and waits for it.
    pub fn hit_test(&self, x: u32, y: u32) -> Option<Hit> {
        let c = &self.config;
        let eye = (x / c.eye_width) as usize;
        if y >= c.eye_height || eye >= self.display.len() {
            return None;
        }
        let pixel = [x % c.eye_width, y];
        let Gpu { device, queue, .. } = &self.gpu;
        let depths = self
            .probe
            .depths(device, queue, &self.display[eye], pixel, self.layer_count)
            .inspect_err(|e| tracing::warn!("hit test at ({x}, {y}): {e}"))
            .ok()?;
        if y < self.chrome.band_rows {
            // The chrome band: no app shows there.
            return None;
        }
        let (slot, depth) = hit_test::nearest(&depths, self.chrome.trusted_mask)?;
        let shown = self.shown.get(slot * c.eyes as usize + eye).copied().flatten()?;
        if self.world_on && self.exempt_mask & (1 << slot) == 0 {
            // Nobody clicks through a wall: a real surface nearer than the app's hides it.
            let display = self.last_display.as_ref()?;
            let view = display.eyes.get(eye)?.view_projection();
            let real = self.world.real_depth(display.head, view, pixel, [c.eye_width, c.eye_height]);
            if real > depth {
                return None;
            }
        }
        let world = hit_test::unproject(shown.eye.view_projection(), pixel, [c.eye_width, c.eye_height], depth);
        Some(Hit { app: shown.app, eye, depth, world })
    }

    /// The last composited frame, both eyes side by side.
    pub fn read_frame(&self) -> Result<RgbaImage, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let pixels = read_texture(device, queue, &self.output, 0, wgpu::TextureAspect::All, 4)?;
        RgbaImage::from_raw(self.output.width(), self.output.height(), pixels)
            .ok_or_else(|| CompositorError::Readback("frame size does not match its pixels".into()))
    }

    /// One app layer's depth for one eye as rendered (reverse-Z: 0 where it drew nothing).
    pub fn read_layer_depth(&self, eye: usize, slot: u32) -> Result<Vec<f32>, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let texture = self.eyes[eye].depth_texture();
        let bytes = read_texture(device, queue, texture, slot, wgpu::TextureAspect::DepthOnly, 4)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// One app layer's premultiplied color for one eye, as rendered.
    pub fn read_layer_color(&self, eye: usize, slot: u32) -> Result<RgbaImage, CompositorError> {
        let Gpu { device, queue, .. } = &self.gpu;
        let texture = self.eyes[eye].color_texture();
        let pixels = read_texture(device, queue, texture, slot, wgpu::TextureAspect::All, 4)?;
        RgbaImage::from_raw(texture.width(), texture.height(), pixels)
            .ok_or_else(|| CompositorError::Readback("layer size does not match its pixels".into()))
    }
}

/// One submission as two layers: the draws the real world hides, and the rest.
struct Split {
    key: (AppId, u64),
    occluded: Arc<LayerSubmission>,
    hud: Arc<LayerSubmission>,
}

impl Split {
    fn of(submission: &LayerSubmission) -> Split {
        let part = |occludes: bool| {
            let draws = submission.draws.iter().filter(|d| d.world_occludes == occludes).cloned().collect();
            let LayerSubmission { app, sequence, ref frame, cpu_time, .. } = *submission;
            Arc::new(LayerSubmission { app, sequence, frame: frame.clone(), draws, cpu_time })
        };
        Split { key: (submission.app, submission.sequence), occluded: part(true), hud: part(false) }
    }
}

/// Rows of the chrome band at the top of an eye `eye_height` pixels tall: a fortieth of it,
/// at least two.
fn chrome_band_rows(eye_height: u32) -> u32 {
    (eye_height / 40).max(2)
}
