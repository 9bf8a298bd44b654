//! The GPU watchdog: an app whose layer takes too long on the GPU is dropped from the frame,
//! and stopped if it keeps at it.
//!
//! Loops in app shaders are bounded before they reach the GPU (`visor-shader`'s
//! `bound_loops`), so no layer can run forever; but a bounded shader can still be slow enough
//! to take the display's frame rate with it. Where the adapter has timestamp queries, every
//! layer pass writes a timestamp at its start and end; the layer passes are submitted ahead of
//! the composite, and their times read back before it is encoded. An app whose passes this
//! frame took longer than the budget is left out of this frame's composite, and one that does
//! so [`STRIKES`] frames in a row is reported as an offender for the shell to stop.
//!
//! Without timestamp queries (some drivers) the watchdog is off and says so once; loop
//! bounding still holds every shader to a finite cost.

use std::collections::HashMap;

use visor_types::layer::AppId;

use crate::readback::map_buffer;

/// Consecutive frames over budget before an app is reported.
pub const STRIKES: u32 = 3;

pub struct GpuWatchdog {
    /// Timestamps: the query set and its buffers, sized for `capacity` passes.
    queries: Option<Queries>,
    enabled: bool,
    /// Nanoseconds per timestamp tick.
    period_ns: f64,
    strikes: HashMap<AppId, u32>,
    offenders: Vec<(AppId, f64)>,
    /// Every layer pass of the last judged frame, summed, in milliseconds.
    last_total_ms: f64,
}

struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    capacity: u32,
}

impl GpuWatchdog {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> GpuWatchdog {
        let enabled = device.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        if !enabled {
            tracing::warn!("this GPU has no timestamp queries: the watchdog cannot time app layers (their loops are still bounded)");
        }
        let period_ns = f64::from(queue.get_timestamp_period());
        GpuWatchdog { queries: None, enabled, period_ns, strikes: HashMap::new(), offenders: Vec::new(), last_total_ms: 0.0 }
    }

    /// Makes room to time `passes` layer passes this frame.
    pub fn begin(&mut self, device: &wgpu::Device, passes: usize) {
        if !self.enabled || passes == 0 || self.queries.as_ref().is_some_and(|q| q.capacity as usize >= passes) {
            return;
        }
        let capacity = (passes as u32).next_power_of_two().clamp(8, wgpu::QUERY_SET_MAX_QUERIES / 2);
        let bytes = u64::from(capacity) * 2 * 8;
        let buffer = |label, usage| {
            device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes, usage, mapped_at_creation: false })
        };
        self.queries = Some(Queries {
            set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("layer timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: capacity * 2,
            }),
            resolve: buffer("layer timestamps", wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC),
            readback: buffer("layer timestamps readback", wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ),
            capacity,
        });
    }

    /// Where layer pass `index` writes its start and end times; `None` when not timed.
    pub fn timestamp_writes(&self, index: usize) -> Option<wgpu::RenderPassTimestampWrites<'_>> {
        let queries = self.queries.as_ref().filter(|q| self.enabled && (index as u32) < q.capacity)?;
        let first = index as u32 * 2;
        Some(wgpu::RenderPassTimestampWrites {
            query_set: &queries.set,
            beginning_of_pass_write_index: Some(first),
            end_of_pass_write_index: Some(first + 1),
        })
    }

    /// Copies the times of `passes` passes to where [`Self::judge`] reads them; whether they
    /// were timed at all.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder, passes: usize) -> bool {
        let Some(q) = self.queries.as_ref().filter(|q| self.enabled && passes > 0 && passes as u32 <= q.capacity) else { return false };
        let count = passes as u32 * 2;
        encoder.resolve_query_set(&q.set, 0..count, &q.resolve, 0);
        encoder.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, u64::from(count) * 8);
        true
    }

    /// After the timed passes ran (the caller waited for them): each app's GPU time this frame
    /// from `apps` (the app of each pass, in pass order). Returns the apps over `budget_ms`, to
    /// be left out of this frame; counts their strikes, and clears those of apps back in budget.
    pub fn judge(&mut self, device: &wgpu::Device, apps: &[AppId], budget_ms: f64) -> Vec<AppId> {
        let Some(q) = &self.queries else { return Vec::new() };
        let bytes = match map_buffer(device, &q.readback) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!("layer timestamps could not be read: {e}");
                return Vec::new();
            }
        };
        q.readback.unmap();
        let ticks: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        let mut per_app: HashMap<AppId, f64> = HashMap::new();
        for (pass, app) in apps.iter().enumerate() {
            let (Some(&start), Some(&end)) = (ticks.get(pass * 2), ticks.get(pass * 2 + 1)) else { break };
            *per_app.entry(*app).or_default() += end.saturating_sub(start) as f64 * self.period_ns / 1e6;
        }
        self.last_total_ms = per_app.values().sum();
        let mut over = Vec::new();
        for (app, ms) in per_app {
            if ms <= budget_ms {
                self.strikes.remove(&app);
                continue;
            }
            over.push(app);
            let strikes = self.strikes.entry(app).or_default();
            *strikes += 1;
            tracing::warn!(?app, ms, budget_ms, strikes = *strikes, "an app's layer ran past its GPU budget; left out of this frame");
            if *strikes == STRIKES {
                self.offenders.push((app, ms));
            }
        }
        over
    }

    /// The GPU time of every layer pass of the last judged frame, in milliseconds.
    pub fn last_total_ms(&self) -> f64 {
        self.last_total_ms
    }

    /// Apps over budget [`STRIKES`] frames in a row since the last call, with their last time.
    pub fn take_offenders(&mut self) -> Vec<(AppId, f64)> {
        std::mem::take(&mut self.offenders)
    }
}
