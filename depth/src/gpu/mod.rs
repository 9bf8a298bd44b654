//! The matcher on the GPU: the same census, eight-path semi-global aggregation and
//! winner-takes-all as [`crate::cpu`], as wgpu compute passes (WGSL in `shaders/depth/`), so the
//! two give the same disparities. Integer maths throughout makes them agree exactly; the
//! sub-pixel `f32`, the 3x3 median and the left-right check run on the CPU from the winners the
//! GPU hands back ([`crate::cpu::finish`]), which is small next to the aggregation.
//!
//! A [`GpuMatcher`] either shares a device (the compositor's: [`GpuMatcher::new`]) or opens its
//! own ([`GpuMatcher::headless`]). Its pipelines are built once; its buffers once per image size
//! and disparity range, so a stream of frames of one shape allocates nothing new on the GPU.
//!
//! Layout: `pipelines.rs` (the four compute pipelines), `shape.rs` (a frame's shape and the
//! shaders' uniforms), `frame.rs` (the buffers of one shape, and one frame's passes and
//! readback).

mod frame;
mod pipelines;
mod shape;

use std::sync::Mutex;

use frame::Frame;
use pipelines::Pipelines;
use shape::Shape;

use crate::cpu::{check_pair, finish};
use crate::{DepthError, Disparity, Gray, StereoParams};

pub struct GpuMatcher {
    gpu: Gpu,
    /// The buffers of the last frame shape matched; another shape replaces them.
    frame: Mutex<Option<Frame>>,
}

impl GpuMatcher {
    /// A matcher on a device someone else opened (wgpu's `Device` and `Queue` are shared
    /// handles, so the caller keeps using its clones). The device's limits decide the largest
    /// pair it can match: `S` takes `width * height * max_disparity * 2` bytes in one storage
    /// buffer.
    pub fn new(device: wgpu::Device, queue: wgpu::Queue) -> Result<GpuMatcher, DepthError> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipelines = Pipelines::new(&device);
        if let Some(error) = pollster::block_on(scope.pop()) {
            return Err(DepthError::Gpu(format!("the depth shaders do not build on this device: {error}")));
        }
        Ok(GpuMatcher { gpu: Gpu { device, queue, pipelines }, frame: Mutex::new(None) })
    }

    /// Opens an adapter of its own, the way the compositor's headless GPU does (`WGPU_BACKEND`,
    /// `WGPU_ADAPTER_NAME`, `WGPU_POWER_PREF` honoured), asking for storage buffers as large as
    /// the adapter allows, since the sums are large (47 MB for 741x500 at 64 disparities).
    pub fn headless() -> Result<GpuMatcher, DepthError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(&instance, None)).map_err(|e| {
            DepthError::Gpu(format!(
                "no GPU adapter opens ({e}); install a Vulkan driver (lavapipe: apt-get install mesa-vulkan-drivers libvulkan1) or match on the CPU"
            ))
        })?;
        let info = adapter.get_info();
        let available = adapter.limits();
        let mut required_limits = wgpu::Limits::downlevel_defaults().using_resolution(available.clone());
        required_limits.max_storage_buffer_binding_size = available.max_storage_buffer_binding_size;
        required_limits.max_buffer_size = available.max_buffer_size;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("visor depth"),
            required_limits,
            ..Default::default()
        }))
        .map_err(|e| DepthError::Gpu(format!("adapter {} refused a device ({e}); update its driver or match on the CPU", info.name)))?;
        device.on_uncaptured_error(std::sync::Arc::new(|error: wgpu::Error| {
            tracing::error!("GPU error in the depth matcher: {error}");
        }));
        tracing::info!(adapter = %info.name, backend = ?info.backend, "depth matcher's GPU ready");
        GpuMatcher::new(device, queue)
    }

    /// "name (backend, device type)" of the adapter, for logs and benchmark tables.
    pub fn adapter_name(&self) -> String {
        let info = self.gpu.device.adapter_info();
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
    }

    /// Matches a rectified pair: disparity of every left pixel, with confidence; the same
    /// checks, and the same result, as [`crate::cpu::match_pair`].
    pub fn match_pair(&self, left: &Gray, right: &Gray, params: &StereoParams) -> Result<Disparity, DepthError> {
        check_pair(left, right, params)?;
        let shape = Shape { width: left.width, height: left.height, max_disparity: params.max_disparity };
        self.check_fits(&shape)?;
        // A poisoned lock only means an earlier frame panicked mid-way; its buffers are rewritten
        // in full by the next frame, so they are still fine to use.
        let mut cached = self.frame.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let scope = self.gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        if cached.as_ref().is_none_or(|f| f.shape != shape) {
            *cached = None;
            *cached = Some(Frame::new(&self.gpu, shape));
        }
        let frame = cached.as_ref().expect("made above");
        let result = frame.run(&self.gpu, left, right, params);
        let out_of_memory = pollster::block_on(memory.pop());
        let invalid = pollster::block_on(scope.pop());
        if let Some(error) = out_of_memory.or(invalid) {
            *cached = None;
            return Err(DepthError::Gpu(format!("matching {}x{} failed on the GPU: {error}", shape.width, shape.height)));
        }
        Ok(finish(shape.width, shape.height, result?, params))
    }

    /// `S` must fit one storage binding of this device.
    fn check_fits(&self, shape: &Shape) -> Result<(), DepthError> {
        let limits = self.gpu.device.limits();
        let largest = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        if shape.sum_bytes() > largest {
            return Err(DepthError::Gpu(format!(
                "{}x{} at {} disparities needs {} MB of sums, and this device binds at most {} MB; \
                 lower max_disparity, match smaller images, or match on the CPU",
                shape.width,
                shape.height,
                shape.max_disparity,
                shape.sum_bytes() >> 20,
                largest >> 20
            )));
        }
        Ok(())
    }
}

/// What every pass is encoded with: the device, its queue and the matcher's pipelines.
pub(crate) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub pipelines: Pipelines,
}
