//! GPU time per stage of a frame: bringing the display layers to the display pose (copies and
//! warps), the z-composite, and the lens correction — read from timestamps the GPU writes
//! between them, where the adapter can write timestamps inside a command encoder.
//!
//! These are the GPU's own clock, not the CPU's wait: on a real GPU they say what each stage
//! costs the device, which the wall-clock frame time (submit to done) cannot separate. The
//! layer passes are timed per app by the watchdog; their sum comes back here too.

use crate::readback::map_buffer;

/// Timestamps per frame: before the display update, after it, after the composite, after the
/// optics.
const MARKS: u32 = 4;

/// One frame's GPU milliseconds per stage.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GpuStageTimes {
    /// The apps' layer passes, summed (from the watchdog's per-layer timestamps).
    pub layers_ms: f64,
    /// Copies and warps of layers to the display pose.
    pub display_ms: f64,
    pub composite_ms: f64,
    /// Zero without optics.
    pub optics_ms: f64,
}

/// Which mark a timestamp is.
#[derive(Clone, Copy, Debug)]
pub enum Mark {
    Start = 0,
    DisplayDone = 1,
    CompositeDone = 2,
    OpticsDone = 3,
}

pub struct PassTimer {
    queries: Option<Queries>,
    /// Nanoseconds per timestamp tick.
    period_ns: f64,
}

struct Queries {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
}

impl PassTimer {
    /// A timer, off where the device cannot write timestamps between passes.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> PassTimer {
        let wanted = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
        let queries = device.features().contains(wanted).then(|| {
            let bytes = u64::from(MARKS) * 8;
            let buffer = |label, usage| {
                device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes, usage, mapped_at_creation: false })
            };
            Queries {
                set: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("stage timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: MARKS,
                }),
                resolve: buffer("stage timestamps", wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC),
                readback: buffer("stage timestamps readback", wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ),
            }
        });
        PassTimer { queries, period_ns: f64::from(queue.get_timestamp_period()) }
    }

    /// Writes timestamp `mark` once the GPU has done everything recorded before it.
    pub fn mark(&self, encoder: &mut wgpu::CommandEncoder, mark: Mark) {
        if let Some(q) = &self.queries {
            encoder.write_timestamp(&q.set, mark as u32);
        }
    }

    /// Copies the frame's timestamps to where [`Self::read`] finds them (after every mark).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        if let Some(q) = &self.queries {
            encoder.resolve_query_set(&q.set, 0..MARKS, &q.resolve, 0);
            encoder.copy_buffer_to_buffer(&q.resolve, 0, &q.readback, 0, u64::from(MARKS) * 8);
        }
    }

    /// The stages' times, once the frame's work is done; `None` when not timed.
    pub fn read(&self, device: &wgpu::Device) -> Option<GpuStageTimes> {
        let q = self.queries.as_ref()?;
        let bytes = map_buffer(device, &q.readback).inspect_err(|e| tracing::debug!("stage timestamps unreadable: {e}")).ok()?;
        q.readback.unmap();
        let ticks: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        let ms = |from: Mark, to: Mark| ticks[to as usize].saturating_sub(ticks[from as usize]) as f64 * self.period_ns / 1e6;
        Some(GpuStageTimes {
            layers_ms: 0.0,
            display_ms: ms(Mark::Start, Mark::DisplayDone),
            composite_ms: ms(Mark::DisplayDone, Mark::CompositeDone),
            optics_ms: ms(Mark::CompositeDone, Mark::OpticsDone),
        })
    }
}
