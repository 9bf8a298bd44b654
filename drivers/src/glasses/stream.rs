//! Recorded glasses streams (`*.imu.jsonl`): what a pair said, when, so a replay can say it
//! again behind the same [`GlassesDevice`](super::GlassesDevice) trait.
//!
//! The first line is a [`StreamHeader`]: the pair (model, name, serial, display mode, display
//! delay, IMU-to-display rotation) and, for a stream that no pair produced, `synthesized`: what
//! motion it was made from. Every further line is one [`StreamEvent`], tagged by `kind`, with
//! `host_us`, when it arrived on the recording machine (µs from the first event), and for
//! sensor readings `t_us`, the glasses' own timestamp:
//!
//! ```text
//! {"visor_imu_stream":1,"name":"Rokid Air","serial":"…","model":"rokid-air",…,"synthesized":null}
//! {"kind":"imu","host_us":0,"t_us":77001000,"gyro":[0.01,0.0,-0.002],"accel":[0.1,9.8,0.2]}
//! {"kind":"key","host_us":1200,"key":0}
//! {"kind":"worn","host_us":3000,"worn":false}
//! ```
//!
//! Axes and units are those of [`GlassesEvent`](super::GlassesEvent). [`StreamRecorder`] writes
//! the format line by line as events arrive, so a recording cut short is still readable.

use std::io::Write;
use std::path::{Path, PathBuf};

use glam::{Quat, Vec3};
use serde::{Deserialize, Serialize};

use super::{DisplayMode, GlassesError, GlassesEvent, GlassesInfo, GlassesModel};

/// The format's version, the header's `visor_imu_stream`.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamHeader {
    pub visor_imu_stream: u32,
    pub model: Option<GlassesModel>,
    pub name: String,
    pub serial: String,
    /// The display mode the pair was in when recording began.
    pub display_mode: DisplayMode,
    pub display_delay_us: u64,
    /// `[x, y, z, w]`.
    pub imu_to_display: [f32; 4],
    /// For a stream no pair produced: the motion it was computed from. `None`: recorded.
    pub synthesized: Option<String>,
}

impl StreamHeader {
    pub fn info(&self) -> GlassesInfo {
        GlassesInfo {
            model: self.model,
            name: self.name.clone(),
            serial: self.serial.clone(),
            display_delay_us: self.display_delay_us,
            imu_to_display: Quat::from_array(self.imu_to_display).normalize(),
        }
    }

    pub fn for_pair(info: &GlassesInfo, display_mode: DisplayMode, synthesized: Option<String>) -> StreamHeader {
        StreamHeader {
            visor_imu_stream: VERSION,
            model: info.model,
            name: info.name.clone(),
            serial: info.serial.clone(),
            display_mode,
            display_delay_us: info.display_delay_us,
            imu_to_display: info.imu_to_display.to_array(),
            synthesized,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StreamEvent {
    Imu { host_us: u64, t_us: u64, gyro: [f32; 3], accel: [f32; 3] },
    Magnetometer { host_us: u64, t_us: u64, field: [f32; 3] },
    Key { host_us: u64, key: u8 },
    Worn { host_us: u64, worn: bool },
    Light { host_us: u64, level: u16 },
    Vsync { host_us: u64 },
}

impl StreamEvent {
    pub fn from_event(event: &GlassesEvent, host_us: u64) -> StreamEvent {
        match *event {
            GlassesEvent::Imu { device_us, gyro, accel } => {
                StreamEvent::Imu { host_us, t_us: device_us, gyro: gyro.to_array(), accel: accel.to_array() }
            }
            GlassesEvent::Magnetometer { device_us, field } => {
                StreamEvent::Magnetometer { host_us, t_us: device_us, field: field.to_array() }
            }
            GlassesEvent::Key(key) => StreamEvent::Key { host_us, key },
            GlassesEvent::Worn(worn) => StreamEvent::Worn { host_us, worn },
            GlassesEvent::AmbientLight(level) => StreamEvent::Light { host_us, level },
            GlassesEvent::VSync => StreamEvent::Vsync { host_us },
        }
    }

    pub fn host_us(&self) -> u64 {
        match *self {
            StreamEvent::Imu { host_us, .. }
            | StreamEvent::Magnetometer { host_us, .. }
            | StreamEvent::Key { host_us, .. }
            | StreamEvent::Worn { host_us, .. }
            | StreamEvent::Light { host_us, .. }
            | StreamEvent::Vsync { host_us } => host_us,
        }
    }

    fn host_us_mut(&mut self) -> &mut u64 {
        match self {
            StreamEvent::Imu { host_us, .. }
            | StreamEvent::Magnetometer { host_us, .. }
            | StreamEvent::Key { host_us, .. }
            | StreamEvent::Worn { host_us, .. }
            | StreamEvent::Light { host_us, .. }
            | StreamEvent::Vsync { host_us } => host_us,
        }
    }

    /// The event as the glasses gave it, its device time moved by `device_shift_us` (a looped
    /// replay keeps the device clock running forward).
    pub fn event(&self, device_shift_us: u64) -> GlassesEvent {
        match *self {
            StreamEvent::Imu { t_us, gyro, accel, .. } => {
                GlassesEvent::Imu { device_us: t_us + device_shift_us, gyro: Vec3::from_array(gyro), accel: Vec3::from_array(accel) }
            }
            StreamEvent::Magnetometer { t_us, field, .. } => {
                GlassesEvent::Magnetometer { device_us: t_us + device_shift_us, field: Vec3::from_array(field) }
            }
            StreamEvent::Key { key, .. } => GlassesEvent::Key(key),
            StreamEvent::Worn { worn, .. } => GlassesEvent::Worn(worn),
            StreamEvent::Light { level, .. } => GlassesEvent::AmbientLight(level),
            StreamEvent::Vsync { .. } => GlassesEvent::VSync,
        }
    }
}

/// A whole stream in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct ImuStream {
    pub header: StreamHeader,
    /// In arrival order.
    pub events: Vec<StreamEvent>,
}

impl ImuStream {
    pub fn read(path: &Path) -> Result<ImuStream, GlassesError> {
        let text = std::fs::read_to_string(path).map_err(|source| GlassesError::StreamRead { path: path.to_path_buf(), source })?;
        ImuStream::parse(&text, &path.display().to_string())
    }

    /// Parses the format; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ImuStream, GlassesError> {
        let invalid = |line: usize, message: String| GlassesError::StreamInvalid { origin: origin.to_string(), line, message };
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or_else(|| invalid(1, "empty: no header line".into()))?;
        let header: StreamHeader = serde_json::from_str(first).map_err(|e| invalid(1, format!("not a stream header: {e}")))?;
        if header.visor_imu_stream != VERSION {
            return Err(invalid(1, format!("format version {} (this visor reads {VERSION})", header.visor_imu_stream)));
        }
        let mut events = Vec::new();
        let mut last_host = 0;
        for (i, line) in lines {
            let event: StreamEvent = serde_json::from_str(line).map_err(|e| invalid(i + 1, e.to_string()))?;
            if event.host_us() < last_host {
                return Err(invalid(i + 1, format!("host_us {} goes back from {last_host}; events are in arrival order", event.host_us())));
            }
            last_host = event.host_us();
            events.push(event);
        }
        if !events.iter().any(|e| matches!(e, StreamEvent::Imu { .. })) {
            return Err(invalid(1, "no imu events".into()));
        }
        Ok(ImuStream { header, events })
    }

    pub fn to_jsonl(&self) -> String {
        let mut out = serde_json::to_string(&self.header).unwrap_or_default();
        out.push('\n');
        for event in &self.events {
            out.push_str(&serde_json::to_string(event).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// Moves the arrival times' zero `origin_us` later, dropping the events that came before it
    /// (a recording put on the clock of a camera session that began after it).
    pub fn rebase(&mut self, origin_us: u64) {
        self.events.retain(|e| e.host_us() >= origin_us);
        for event in &mut self.events {
            *event.host_us_mut() -= origin_us;
        }
    }

    /// From the first event's arrival to the last's, µs.
    pub fn duration_us(&self) -> u64 {
        match (self.events.first(), self.events.last()) {
            (Some(a), Some(b)) => b.host_us() - a.host_us(),
            _ => 0,
        }
    }

    /// IMU samples a second, by arrival.
    pub fn imu_rate_hz(&self) -> f64 {
        let n = self.events.iter().filter(|e| matches!(e, StreamEvent::Imu { .. })).count();
        n.saturating_sub(1) as f64 / (self.duration_us().max(1) as f64 * 1e-6)
    }
}

/// Writes a stream as it is recorded.
pub struct StreamRecorder {
    out: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
    first_ns: Option<u64>,
    events: u64,
}

impl StreamRecorder {
    /// Creates `path` and writes the header.
    pub fn create(path: &Path, header: &StreamHeader) -> Result<StreamRecorder, GlassesError> {
        let failed = |source| GlassesError::StreamWrite { path: path.to_path_buf(), source };
        let file = std::fs::File::create(path).map_err(failed)?;
        let mut recorder = StreamRecorder { out: std::io::BufWriter::new(file), path: path.to_path_buf(), first_ns: None, events: 0 };
        let line = serde_json::to_string(header).map_err(|e| failed(std::io::Error::other(e)))?;
        writeln!(recorder.out, "{line}").map_err(failed)?;
        Ok(recorder)
    }

    /// Counts arrival times from `origin_ns` on the shell's clock rather than from the first
    /// event's arrival.
    pub fn with_origin(mut self, origin_ns: u64) -> StreamRecorder {
        self.first_ns = Some(origin_ns);
        self
    }

    /// Appends `event`, which arrived at `arrival_ns` on the shell's clock.
    pub fn write(&mut self, event: &GlassesEvent, arrival_ns: u64) -> Result<(), GlassesError> {
        let first = *self.first_ns.get_or_insert(arrival_ns);
        let line = StreamEvent::from_event(event, arrival_ns.saturating_sub(first) / 1000);
        let text = serde_json::to_string(&line)
            .map_err(|e| GlassesError::StreamWrite { path: self.path.clone(), source: std::io::Error::other(e) })?;
        writeln!(self.out, "{text}").map_err(|source| GlassesError::StreamWrite { path: self.path.clone(), source })?;
        self.events += 1;
        Ok(())
    }

    /// Flushes; returns the events written.
    pub fn finish(mut self) -> Result<u64, GlassesError> {
        self.out.flush().map_err(|source| GlassesError::StreamWrite { path: self.path.clone(), source })?;
        Ok(self.events)
    }
}
