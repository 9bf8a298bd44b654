//! `visor record --out DIR --seconds S [--profile NAME] [--format jpeg|png]`: records a session
//! (see `visor_drivers::session`) from a device profile's camera source — normally a live
//! camera — with real capture timestamps and the stream's intrinsics, for replay later with
//! `source = "replay"`.
//!
//! A live camera must actually deliver: recording its fallback would make a session of the
//! wrong thing, so with no camera the command stops and says how to record another source.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use visor_drivers::camera::{self, CameraSource};
use visor_drivers::session::{self, FrameFileFormat, RecordOptions, Session};
use visor_types::clock::MonotonicClock;
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
    let options = RecordOptions::new(Duration::from_secs_f64(args.seconds), format);
    let report = session::record(source.as_mut(), clock.as_ref(), &args.out, &options)
        .with_context(|| format!("recording into {}", args.out.display()))?;
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
