//! `visor record --out DIR --seconds S [--profile NAME] [--format jpeg|png]`: records a session
//! (see `visor_drivers::session`) from a device profile's camera source — normally a live
//! camera — with real capture timestamps and the stream's intrinsics, for replay later with
//! `source = "replay"`.
//!
//! A live camera must actually deliver: recording its fallback would make a session of the
//! wrong thing, so with no camera the command stops and says how to record another source.
//!
//! With glasses plugged in, their events (IMU with device timestamps, keys, proximity, light,
//! v-sync) are recorded too, on a thread of their own, into `glasses.imu.jsonl` in the session
//! folder: the format `[pose] replay` plays back, its arrival times on the frames' clock (zero
//! at the first frame), so head motion and pictures line up.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, bail};
use visor_drivers::camera::{self, CameraSource};
use visor_drivers::glasses::{self, GlassesError, GlassesFinder, ImuStream, StreamHeader, StreamRecorder};
use visor_drivers::session::{self, FrameFileFormat, RecordOptions, Session};
use visor_types::clock::{MonotonicClock, SharedClock};
use visor_types::profile::SourceConfig;

use crate::data::DataDir;

/// How long a live camera gets to deliver its first frame.
const CAMERA_START: Duration = Duration::from_secs(10);

#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The session folder to write (created; one holding a session is refused).
    #[arg(long)]
    pub out: PathBuf,
    /// How long to record.
    #[arg(long)]
    pub seconds: f64,
    /// Device profile whose camera to record: a name in device-profiles/, or a .toml path.
    #[arg(long, default_value = "desktop-sim")]
    pub profile: String,
    /// How frames are stored: jpeg (small) or png (exact).
    #[arg(long, value_enum, default_value = "jpeg")]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Jpeg,
    Png,
}

pub fn run(data: &DataDir, args: &RecordArgs) -> anyhow::Result<()> {
    if !(args.seconds > 0.0 && args.seconds <= 86_400.0) {
        bail!("--seconds is {}; record for more than 0 and at most 86400 seconds", args.seconds);
    }
    if Session::is_session(&args.out) {
        bail!("{} already holds a session; pass a new --out folder or remove it first", args.out.display());
    }
    let profile = crate::run::resolve_profile(data, &args.profile, None)?;
    let repo = data.root();
    let clock = MonotonicClock::shared();
    let mut source: Box<dyn CameraSource> = match &profile.camera.source {
        SourceConfig::Live(live) => {
            let camera = camera::open_live(live, &profile.camera.lens, repo, clock.clone())?;
            if let Err(reason) = camera.wait_for_device(CAMERA_START) {
                bail!(
                    "no camera to record from: {reason}\nTo record another camera source instead, pass --profile NAME \
                     (desktop-sim replays the recorded desk clip)"
                );
            }
            Box::new(camera)
        }
        _ => camera::open(&profile.camera, repo, clock.clone())?,
    };
    let format = match args.format {
        Format::Jpeg => FrameFileFormat::Jpeg,
        Format::Png => FrameFileFormat::Png,
    };
    tracing::info!(camera = %source.describe(), out = %args.out.display(), seconds = args.seconds, "recording");
    let tap = GlassesTap::start(glasses::usb_finder(), &args.out, clock.clone())?;
    let options = RecordOptions::new(Duration::from_secs_f64(args.seconds), format);
    let recorded = session::record(source.as_mut(), clock.as_ref(), &args.out, &options);
    let imu = tap.map(|tap| tap.finish(recorded.as_ref().map_or(0, |r| r.origin_ns)));
    let report = recorded.with_context(|| format!("recording into {}", args.out.display()))?;
    match imu {
        Some(Ok((file, events))) => tracing::info!(file = %file.display(), events, "glasses recorded beside the camera"),
        Some(Err(e)) => tracing::warn!("the glasses' events were not kept: {e:#}"),
        None => {}
    }
    if let Some(reason) = &report.stopped_early {
        tracing::warn!("the camera was lost, so recording stopped early; the frames until then were kept: {reason}");
    }
    let s = &report.session;
    tracing::info!(
        out = %s.folder.display(),
        frames = s.frames.len(),
        seconds = s.duration_ns() as f64 / 1e9,
        size = %format!("{}x{}", s.width, s.height),
        dropped = report.dropped,
        "session recorded"
    );
    Ok(())
}

/// File name of the glasses' events in a session folder.
pub const GLASSES_FILE: &str = "glasses.imu.jsonl";

/// The glasses' events, recorded while the camera is: a thread reading the pair into
/// [`GLASSES_FILE`], its arrival times counted from when it started until [`Self::finish`]
/// puts them on the session's clock.
struct GlassesTap {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<u64, GlassesError>>,
    file: PathBuf,
    start_ns: u64,
}

impl GlassesTap {
    /// Starts recording the pair `finder` finds; `None` when there is none (or this visor
    /// cannot read glasses), which is no error: most recordings have no glasses.
    fn start(mut finder: Box<dyn GlassesFinder>, out: &Path, clock: SharedClock) -> anyhow::Result<Option<GlassesTap>> {
        let mut device = match finder.find() {
            Ok(device) => device,
            Err(e @ (GlassesError::NotFound | GlassesError::NotBuilt)) => {
                tracing::debug!("no glasses to record beside the camera: {e}");
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!("glasses are plugged in but cannot be read, so only the camera is recorded: {e}");
                return Ok(None);
            }
        };
        let mode = device.display_mode().context("reading the glasses' display mode")?;
        let header = StreamHeader::for_pair(device.info(), mode, None);
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let file = out.join(GLASSES_FILE);
        let start_ns = clock.now_ns();
        let mut recorder = StreamRecorder::create(&file, &header)?.with_origin(start_ns);
        tracing::info!(glasses = %header.name, file = %file.display(), "recording the glasses' events too");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("record-glasses".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    let event = device.read_event()?;
                    recorder.write(&event, clock.now_ns())?;
                }
                recorder.finish()
            })
            .context("starting the glasses' recording thread")?;
        Ok(Some(GlassesTap { stop, thread, file, start_ns }))
    }

    /// Stops, and moves the arrival times' zero to `origin_ns` (the session's first frame):
    /// the file and how many events it keeps.
    fn finish(self, origin_ns: u64) -> anyhow::Result<(PathBuf, usize)> {
        self.stop.store(true, Ordering::Relaxed);
        let written = self.thread.join().map_err(|_| anyhow::anyhow!("the glasses' recording thread panicked"))?;
        if let Err(e) = written {
            // What was read until then is on disk: keep it, and say why it ends early.
            tracing::warn!("the glasses stopped answering while recording; their events until then are kept: {e}");
        }
        let mut stream = ImuStream::read(&self.file)?;
        stream.rebase(origin_ns.saturating_sub(self.start_ns) / 1000);
        std::fs::write(&self.file, stream.to_jsonl()).with_context(|| format!("writing {}", self.file.display()))?;
        Ok((self.file, stream.events.len()))
    }
}

#[cfg(test)]
mod tests {
    use visor_drivers::glasses::synth::{Motion, Synth};
    use visor_drivers::glasses::{Pacing, ReplayFinder};

    use super::*;

    #[test]
    fn the_glasses_are_recorded_on_the_sessions_clock() {
        let clock = MonotonicClock::shared();
        let mut synth = Synth::new(Motion::Turn { rate: 1.0 }, 2.0);
        synth.still_s = 0.0;
        let finder = ReplayFinder::new(synth.stream(), "a test synthesis", clock.clone(), Pacing::RealTime);
        let out = tempfile::tempdir().unwrap();
        let tap = GlassesTap::start(Box::new(finder), out.path(), clock.clone()).unwrap().expect("a pair to record");
        std::thread::sleep(Duration::from_millis(300));
        // The session's first frame came 100 ms after the tap started.
        let origin = tap.start_ns + 100_000_000;
        std::thread::sleep(Duration::from_millis(300));
        let (file, kept) = tap.finish(origin).unwrap();
        let stream = ImuStream::read(&file).unwrap();
        assert_eq!(stream.events.len(), kept);
        assert_eq!(stream.header.serial, "SYNTHESIZED");
        // About 0.5 s of 1 kHz samples after the origin, the first within a few ms of it.
        assert!((300..=700).contains(&kept), "{kept} events");
        assert!(stream.events[0].host_us() < 20_000, "{:?}", stream.events[0]);
    }
}
