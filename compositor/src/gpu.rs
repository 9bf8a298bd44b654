//! The wgpu instance, adapter, device and queue, opened headless or for a window's surface.
//!
//! Any adapter will do: a real GPU when there is one, lavapipe (Vulkan on the CPU) otherwise,
//! which is what CI renders on. A window (the simulator) opens the GPU with
//! [`Gpu::for_surface`], so the adapter chosen can present to it. GPU validation errors the
//! compositor does not capture itself are logged rather than allowed to abort the process:
//! nothing an app sends should be able to take the shell down through the GPU either.

use crate::error::CompositorError;

pub struct Gpu {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
}

impl Gpu {
    /// Opens the best adapter available without a window (`WGPU_BACKEND`, `WGPU_ADAPTER_NAME`
    /// and `WGPU_POWER_PREF` from the environment are honoured).
    pub fn headless() -> Result<Gpu, CompositorError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(&instance, None))
            .map_err(|_| CompositorError::NoAdapter)?;
        Self::with_adapter(instance, adapter)
    }

    /// Opens an adapter that can present to `surface` (made from `instance`), honouring the
    /// same environment variables as [`Gpu::headless`]. The caller keeps the surface and
    /// configures it with this GPU's device.
    pub fn for_surface(instance: wgpu::Instance, surface: &wgpu::Surface<'_>) -> Result<Gpu, CompositorError> {
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(&instance, Some(surface)))
            .map_err(|_| CompositorError::NoAdapter)?;
        Self::with_adapter(instance, adapter)
    }

    pub fn with_adapter(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Gpu, CompositorError> {
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("visor"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            // For the watchdog's per-layer GPU times and the per-stage times, where the adapter
            // has them.
            required_features: adapter.features() & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS),
            ..Default::default()
        }))
        .map_err(|e| CompositorError::Device { adapter: info.name.clone(), message: e.to_string() })?;
        device.on_uncaptured_error(std::sync::Arc::new(|error: wgpu::Error| {
            tracing::error!("GPU error: {error}");
        }));
        tracing::info!(adapter = %info.name, backend = ?info.backend, "GPU ready");
        Ok(Gpu { instance, adapter, device, queue })
    }

    /// "name (backend, device type)", for logs and benchmark tables.
    pub fn describe(&self) -> String {
        let info = self.adapter.get_info();
        format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
    }

    /// Blocks until the GPU has finished all submitted work.
    pub fn wait_idle(&self) {
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
    }
}
