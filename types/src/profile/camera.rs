//! The `[camera]` section of a device profile: where frames come from (synthetic, a recorded
//! session, or a live camera with a fallback), the lens they were seen through, and where the
//! camera sits on the head.

use std::path::PathBuf;

use glam::{Mat4, Quat, Vec3};
use serde::Deserialize;

use crate::camera::CameraIntrinsics;

/// The `[camera]` section: where frames come from, the lens they were seen through, and the
/// camera's mount on the head.
///
/// The lens, mount, passthrough and stereo keys (`intrinsics`, `hfov_deg`, `mount`, `passthrough`,
/// `stereo`) sit beside the source's own keys in the section, so
/// the section is split by hand: serde's `flatten` would silently accept misspelt keys.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct CameraConfig {
    pub source: SourceConfig,
    pub lens: LensConfig,
    /// Where the camera sits relative to the head (the point between the eyes).
    pub mount: Mount,
    /// How the picture is placed in each eye.
    pub passthrough: PassthroughConfig,
    /// A stereo camera delivering both eyes in one frame.
    pub stereo: Option<StereoCameraConfig>,
}

/// `[camera] stereo = { layout = "side-by-side", baseline_mm = 60.0, doffs_px = 0.0 }`: the
/// camera's frames hold the left lens's image in their left half and the right lens's in their
/// right half, rectified; the lens keys then describe one lens, in pixels of one half.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StereoCameraConfig {
    pub layout: StereoLayout,
    /// The right lens sits this far to the left lens's right.
    pub baseline_mm: f32,
    /// cx_right - cx_left in pixels; 0 for most rigs.
    #[serde(default)]
    pub doffs_px: f32,
}

/// How a stereo camera's two images arrive. One frame holding both is the one layout today;
/// two devices would be a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StereoLayout {
    SideBySide,
}

/// `[camera.passthrough]`: how the camera picture is placed in each eye.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassthroughConfig {
    /// Look the picture up per eye through the camera's lens and mount, at the real depth
    /// where there is some (true); or stretch it over each eye's view as it comes (false, the
    /// default: right for a simulator whose "camera" is a clip, not a lens on the head).
    #[serde(default)]
    pub reproject: bool,
    /// Where depth is unknown, the world is taken as a plane this far along the camera's axis.
    #[serde(default = "default_plane_m")]
    pub plane_m: f32,
}

fn default_plane_m() -> f32 {
    2.0
}

impl Default for PassthroughConfig {
    fn default() -> Self {
        PassthroughConfig { reproject: false, plane_m: default_plane_m() }
    }
}

/// A rigid placement relative to the head: metres (+x right, +y up, -z forward) and a
/// rotation in degrees about x (pitch), y (yaw) and z (roll), applied in that order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    #[serde(default)]
    pub position: [f32; 3],
    #[serde(default)]
    pub rotation_deg: [f32; 3],
}

impl Mount {
    /// Head from camera.
    pub fn head_from_camera(&self) -> Mat4 {
        let [pitch, yaw, roll] = self.rotation_deg.map(f32::to_radians);
        let rotation = Quat::from_euler(glam::EulerRot::XYZ, pitch, yaw, roll);
        Mat4::from_rotation_translation(rotation, Vec3::from_array(self.position))
    }

    fn problems(&self, p: &mut Vec<String>) {
        if !self.position.iter().all(|v| v.is_finite() && v.abs() <= 1.0) {
            p.push(format!("camera.mount.position {:?} is off the head; use metres within ±1", self.position));
        }
        if !self.rotation_deg.iter().all(|v| v.is_finite() && v.abs() <= 180.0) {
            p.push(format!("camera.mount.rotation_deg {:?}; use degrees within ±180", self.rotation_deg));
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", tag = "source")]
pub enum SourceConfig {
    /// An animated test pattern of the given size.
    Synthetic { width: u32, height: u32, fps: f32 },
    /// A recorded session (a folder with `session.toml`, played by its timestamps) or a plain
    /// folder of PNG/JPEG frames played in name order at `fps`; relative to the repository.
    Replay { folder: PathBuf, fps: f32 },
    /// A V4L2 camera, with a fallback source while it is absent, busy or unplugged.
    Live(LiveConfig),
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    /// The `N` of `/dev/videoN`.
    #[serde(default)]
    pub device: u32,
    /// The mode to ask for; the camera's closest offer is taken.
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    #[serde(default)]
    pub format: PixelFormat,
    /// How often to try the device again while it is missing.
    #[serde(default = "default_retry_ms")]
    pub retry_ms: u64,
    /// Served while the camera is down; a synthetic pattern of the same mode when absent.
    #[serde(default)]
    pub fallback: Option<Box<SourceConfig>>,
}

fn default_retry_ms() -> u64 {
    2000
}

impl LiveConfig {
    /// The source served while the camera is down.
    pub fn fallback(&self) -> SourceConfig {
        match &self.fallback {
            Some(source) => (**source).clone(),
            None => SourceConfig::Synthetic { width: self.width, height: self.height, fps: self.fps },
        }
    }
}

/// The pixel format asked of a live camera.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelFormat {
    /// Motion JPEG: high resolutions at full rate over USB 2.
    Mjpeg,
    /// Packed 4:2:2 YUV: no decoding artefacts, but USB bandwidth caps it at small sizes.
    Yuyv,
    /// Whichever offered mode is closest to the request (MJPEG on a tie).
    #[default]
    Any,
}

impl std::fmt::Display for PixelFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PixelFormat::Mjpeg => "mjpeg",
            PixelFormat::Yuyv => "yuyv",
            PixelFormat::Any => "any",
        })
    }
}

/// The camera's optics: explicit pinhole `intrinsics` (in pixels of the configured
/// `width`x`height`, or of a replay clip's frames) or a horizontal field of view.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LensConfig {
    pub intrinsics: Option<CameraIntrinsics>,
    pub hfov_deg: Option<f32>,
}

/// The field of view assumed when a profile names neither intrinsics nor `hfov_deg`.
pub const DEFAULT_HFOV_DEG: f32 = 60.0;

impl LensConfig {
    /// Intrinsics for a stream of `stream` pixels; explicit ones are given for `nominal` pixels
    /// and scaled, so a camera that grants another mode than asked still projects right.
    pub fn intrinsics(&self, nominal: (u32, u32), stream: (u32, u32)) -> CameraIntrinsics {
        match self.intrinsics {
            Some(k) => k.scaled(nominal, stream),
            None => CameraIntrinsics::from_hfov(stream.0, stream.1, self.hfov_deg.unwrap_or(DEFAULT_HFOV_DEG)),
        }
    }

    pub(super) fn problems(&self, p: &mut Vec<String>) {
        if self.intrinsics.is_some() && self.hfov_deg.is_some() {
            p.push("camera has both intrinsics and hfov_deg; keep one (intrinsics are more exact)".into());
        }
        if let Some(hfov) = self.hfov_deg
            && !(hfov > 0.0 && hfov < 180.0)
        {
            p.push(format!("camera.hfov_deg is {hfov}; use an angle between 0 and 180 degrees"));
        }
        if let Some(k) = self.intrinsics
            && !(k.fx > 0.0 && k.fy > 0.0 && k.fx.is_finite() && k.fy.is_finite() && k.cx.is_finite() && k.cy.is_finite())
        {
            p.push(format!("camera.intrinsics {k:?} are not a camera; fx and fy must be positive pixels"));
        }
    }
}

impl TryFrom<toml::Table> for CameraConfig {
    type Error = toml::de::Error;

    fn try_from(mut table: toml::Table) -> Result<Self, Self::Error> {
        let mount = table.remove("mount").map(toml::Value::try_into).transpose()?.unwrap_or_default();
        let passthrough = table.remove("passthrough").map(toml::Value::try_into).transpose()?.unwrap_or_default();
        let stereo = table.remove("stereo").map(toml::Value::try_into).transpose()?;
        let lens = LensConfig {
            intrinsics: table.remove("intrinsics").map(toml::Value::try_into).transpose()?,
            hfov_deg: table.remove("hfov_deg").map(toml::Value::try_into).transpose()?,
        };
        Ok(CameraConfig { source: toml::Value::Table(table).try_into()?, lens, mount, passthrough, stereo })
    }
}

impl From<SourceConfig> for CameraConfig {
    fn from(source: SourceConfig) -> Self {
        CameraConfig {
            source,
            lens: LensConfig::default(),
            mount: Mount::default(),
            passthrough: PassthroughConfig::default(),
            stereo: None,
        }
    }
}

/// Problems with a camera source; `at` names it in messages (`camera`, `camera.fallback`).
pub(super) fn source_problems(at: &str, source: &SourceConfig, p: &mut Vec<String>) {
    let fps_problem = |fps: f32, p: &mut Vec<String>| {
        if fps.is_nan() || fps <= 0.0 {
            p.push(format!("{at}.fps is {fps}; use a positive rate"));
        }
    };
    let size_problem = |width: u32, height: u32, p: &mut Vec<String>| {
        if !(1..=8192).contains(&width) || !(1..=8192).contains(&height) {
            p.push(format!("{at} size {width}x{height} is out of range; use 1 to 8192"));
        }
    };
    match source {
        SourceConfig::Synthetic { width, height, fps } => {
            size_problem(*width, *height, p);
            fps_problem(*fps, p);
        }
        SourceConfig::Replay { fps, .. } => fps_problem(*fps, p),
        SourceConfig::Live(_) if at != "camera" => {
            p.push(format!("{at}.source is live; a fallback must be \"replay\" or \"synthetic\""));
        }
        SourceConfig::Live(live) => {
            size_problem(live.width, live.height, p);
            fps_problem(live.fps, p);
            if !(1..=600_000).contains(&live.retry_ms) {
                p.push(format!("{at}.retry_ms is {}; use 1 to 600000 milliseconds", live.retry_ms));
            }
            if let Some(fallback) = &live.fallback {
                source_problems(&format!("{at}.fallback"), fallback, p);
            }
        }
    }
}

impl CameraConfig {
    pub(super) fn problems(&self, p: &mut Vec<String>) {
        source_problems("camera", &self.source, p);
        self.lens.problems(p);
        self.mount.problems(p);
        let plane = self.passthrough.plane_m;
        if !(plane.is_finite() && (0.1..=1000.0).contains(&plane)) {
            p.push(format!("camera.passthrough.plane_m is {plane}; use a distance from 0.1 to 1000 metres"));
        }
        if let Some(stereo) = self.stereo
            && !(stereo.baseline_mm.is_finite() && stereo.baseline_mm > 0.0 && stereo.doffs_px.is_finite())
        {
            p.push(format!(
                "camera.stereo.baseline_mm is {}; give the distance between the lenses in millimetres, above 0",
                stereo.baseline_mm
            ));
        }
    }
}
