//! Device profiles: one TOML file per device in `device-profiles/`, describing its displays
//! and its camera (`[camera]`: a source — synthetic, replay or live with a fallback — and a lens).
//!
//! A profile is validated as a whole: [`DeviceProfile::from_toml`] reports every problem at
//! once, each naming the field and what would fix it.

use std::path::{Path, PathBuf};

use glam::{Mat4, Vec3};
use serde::Deserialize;
use thiserror::Error;

use crate::camera::CameraIntrinsics;
use crate::frame::{EyeView, Viewport};
use crate::math::{Fov, NEAR_PLANE, projection};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayKind {
    /// Video passthrough: the camera feed is drawn behind the apps.
    Passthrough,
    /// Optical see-through: the display adds light, black is transparent, no camera is drawn.
    Additive,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FovDegrees {
    pub left: f32,
    pub right: f32,
    pub up: f32,
    pub down: f32,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Display {
    pub kind: DisplayKind,
    /// 1 (mono) or 2 (stereo, left then right, side by side in the output frame).
    pub eyes: u32,
    pub eye_width: u32,
    pub eye_height: u32,
    pub refresh_hz: f32,
    /// Per-eye field of view in degrees from the view axis (left and down negative).
    pub fov_deg: FovDegrees,
    /// Interpupillary distance in millimetres.
    pub ipd_mm: f32,
}

/// The `[camera]` section: where frames come from, and the lens they were seen through.
///
/// The lens keys (`intrinsics`, `hfov_deg`) sit beside the source's own keys in the section, so
/// the section is split by hand: serde's `flatten` would silently accept misspelt keys.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct CameraConfig {
    pub source: SourceConfig,
    pub lens: LensConfig,
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

    fn problems(&self, p: &mut Vec<String>) {
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
        let lens = LensConfig {
            intrinsics: table.remove("intrinsics").map(toml::Value::try_into).transpose()?,
            hfov_deg: table.remove("hfov_deg").map(toml::Value::try_into).transpose()?,
        };
        Ok(CameraConfig { source: toml::Value::Table(table).try_into()?, lens })
    }
}

impl From<SourceConfig> for CameraConfig {
    fn from(source: SourceConfig) -> Self {
        CameraConfig { source, lens: LensConfig::default() }
    }
}

/// Problems with a camera source; `at` names it in messages (`camera`, `camera.fallback`).
fn source_problems(at: &str, source: &SourceConfig, p: &mut Vec<String>) {
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

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub display: Display,
    pub camera: CameraConfig,
}

#[derive(Debug, Error)]
pub enum ProfileError {
    #[error("cannot read device profile {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("device profile {origin} is not valid TOML for a profile: {message}")]
    Syntax { origin: String, message: String },
    #[error("device profile {origin} has {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid { origin: String, problems: Vec<String> },
    #[error("no device profile named '{name}' in {dir}; available: {available}")]
    NotFound { name: String, dir: PathBuf, available: String },
}

impl DeviceProfile {
    /// Parses and validates a profile; `origin` names it in errors (usually its path).
    pub fn from_toml(text: &str, origin: &str) -> Result<DeviceProfile, ProfileError> {
        let profile: DeviceProfile = toml::from_str(text)
            .map_err(|e| ProfileError::Syntax { origin: origin.to_string(), message: e.to_string() })?;
        let problems = profile.problems();
        if problems.is_empty() {
            Ok(profile)
        } else {
            Err(ProfileError::Invalid { origin: origin.to_string(), problems })
        }
    }

    pub fn load(path: &Path) -> Result<DeviceProfile, ProfileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ProfileError::Read { path: path.to_path_buf(), source })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Loads `NAME.toml` from `dir`.
    pub fn find(name: &str, dir: &Path) -> Result<DeviceProfile, ProfileError> {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return Self::load(&path);
        }
        let mut available: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.path().file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        available.sort();
        Err(ProfileError::NotFound { name: name.into(), dir: dir.into(), available: available.join(", ") })
    }

    fn problems(&self) -> Vec<String> {
        let d = &self.display;
        let mut p = Vec::new();
        if self.name.trim().is_empty() {
            p.push("name is empty; give the device a name".into());
        }
        if !(d.eyes == 1 || d.eyes == 2) {
            p.push(format!("display.eyes is {}; use 1 (mono) or 2 (stereo)", d.eyes));
        }
        for (field, value) in [("eye_width", d.eye_width), ("eye_height", d.eye_height)] {
            if !(16..=8192).contains(&value) {
                p.push(format!("display.{field} is {value}; use 16 to 8192 pixels"));
            }
        }
        if !(d.refresh_hz > 0.0 && d.refresh_hz <= 1000.0) {
            p.push(format!("display.refresh_hz is {}; use a rate in (0, 1000]", d.refresh_hz));
        }
        let f = &d.fov_deg;
        for (field, value, sign) in [("left", f.left, -1.0), ("right", f.right, 1.0), ("up", f.up, 1.0), ("down", f.down, -1.0)] {
            if !(value * sign > -89.0 && value.abs() < 89.0) {
                p.push(format!("display.fov_deg.{field} is {value}; use an angle within ±89 degrees"));
            }
        }
        if f.right <= f.left || f.up <= f.down {
            p.push("display.fov_deg is empty: right must exceed left and up must exceed down".into());
        }
        if !(0.0..=100.0).contains(&d.ipd_mm) {
            p.push(format!("display.ipd_mm is {}; use 0 to 100 millimetres", d.ipd_mm));
        }
        source_problems("camera", &self.camera.source, &mut p);
        self.camera.lens.problems(&mut p);
        p
    }

    /// The output frame's size: the eyes side by side.
    pub fn frame_size(&self) -> (u32, u32) {
        (self.display.eye_width * self.display.eyes, self.display.eye_height)
    }

    pub fn fov(&self) -> Fov {
        let f = &self.display.fov_deg;
        Fov { left: f.left.to_radians(), right: f.right.to_radians(), up: f.up.to_radians(), down: f.down.to_radians() }
    }

    /// Each eye's view for a head pose (world from head).
    pub fn eye_views(&self, head: Mat4) -> Vec<EyeView> {
        let d = &self.display;
        let half_ipd = d.ipd_mm / 2000.0;
        let offsets: &[f32] = if d.eyes == 1 { &[0.0] } else { &[-half_ipd, half_ipd] };
        let projection = projection(self.fov(), NEAR_PLANE);
        offsets
            .iter()
            .enumerate()
            .map(|(i, &dx)| EyeView {
                view: (head * Mat4::from_translation(Vec3::new(dx, 0.0, 0.0))).inverse(),
                projection,
                viewport: Viewport { x: i as u32 * d.eye_width, y: 0, width: d.eye_width, height: d.eye_height },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        name = "t"
        [display]
        kind = "passthrough"
        eyes = 2
        eye_width = 64
        eye_height = 48
        refresh_hz = 60
        fov_deg = { left = -40, right = 40, up = 30, down = -30 }
        ipd_mm = 64
        [camera]
        source = "synthetic"
        width = 64
        height = 48
        fps = 30
    "#;

    #[test]
    fn a_good_profile_parses_and_places_the_eyes() {
        let p = DeviceProfile::from_toml(GOOD, "good").unwrap();
        assert_eq!(p.frame_size(), (128, 48));
        let eyes = p.eye_views(Mat4::IDENTITY);
        assert_eq!(eyes[1].viewport.x, 64);
        // The left eye sits 32 mm left of the head, so the world origin appears to its right.
        assert!((eyes[0].view.w_axis.x - 0.032).abs() < 1e-6);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = GOOD
            .replace("eyes = 2", "eyes = 3")
            .replace("eye_width = 64", "eye_width = 0")
            .replace("refresh_hz = 60", "refresh_hz = -1")
            .replace("fps = 30", "fps = 0");
        let err = DeviceProfile::from_toml(&bad, "bad").unwrap_err();
        let ProfileError::Invalid { problems, .. } = &err else { panic!("{err}") };
        assert_eq!(problems.len(), 4, "{err}");
        assert!(err.to_string().contains("display.eyes is 3"));
    }

    fn with_camera(camera: &str) -> Result<DeviceProfile, ProfileError> {
        let base = &GOOD[..GOOD.find("[camera]").unwrap()];
        DeviceProfile::from_toml(&format!("{base}[camera]\n{camera}"), "camera test")
    }

    fn problems(camera: &str) -> Vec<String> {
        match with_camera(camera) {
            Err(ProfileError::Invalid { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_live_camera_takes_defaults_and_falls_back_to_its_own_mode() {
        let p = with_camera("source = \"live\"\nwidth = 640\nheight = 480\nfps = 30\nhfov_deg = 70").unwrap();
        let SourceConfig::Live(live) = &p.camera.source else { panic!("{:?}", p.camera) };
        assert_eq!((live.device, live.format, live.retry_ms), (0, PixelFormat::Any, 2000));
        assert_eq!(live.fallback(), SourceConfig::Synthetic { width: 640, height: 480, fps: 30.0 });
        assert_eq!(p.camera.lens.hfov_deg, Some(70.0));

        let text = "source = \"live\"\ndevice = 2\nwidth = 1280\nheight = 720\nfps = 60\nformat = \"mjpeg\"\n\
                    retry_ms = 500\nfallback = { source = \"replay\", folder = \"assets/camera/desk\", fps = 8 }";
        let SourceConfig::Live(live) = with_camera(text).unwrap().camera.source else { panic!() };
        assert_eq!((live.device, live.format, live.retry_ms), (2, PixelFormat::Mjpeg, 500));
        assert_eq!(live.fallback(), SourceConfig::Replay { folder: "assets/camera/desk".into(), fps: 8.0 });
    }

    #[test]
    fn every_camera_problem_is_reported_at_once() {
        let found = problems(
            "source = \"live\"\nwidth = 0\nheight = 480\nfps = -1\nretry_ms = 0\nhfov_deg = 200\n\
             intrinsics = { fx = 0.0, fy = 1.0, cx = 0.0, cy = 0.0 }\n\
             fallback = { source = \"synthetic\", width = 64, height = 48, fps = 0 }",
        );
        let joined = found.join("\n");
        for needle in ["camera size 0x480", "camera.fps is -1", "camera.retry_ms is 0", "both intrinsics and hfov_deg",
            "camera.hfov_deg is 200", "camera.intrinsics", "camera.fallback.fps is 0"]
        {
            assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
        }
        assert_eq!(found.len(), 7, "{joined}");

        let nested = "source = \"live\"\nwidth = 64\nheight = 48\nfps = 30\n\
                      fallback = { source = \"live\", width = 64, height = 48, fps = 30 }";
        assert_eq!(problems(nested), ["camera.fallback.source is live; a fallback must be \"replay\" or \"synthetic\""]);
    }

    #[test]
    fn misspelt_camera_keys_and_formats_are_refused() {
        for (text, needle) in [
            ("source = \"synthetic\"\nwidth = 64\nheight = 48\nfps = 30\nhfov = 90", "hfov"),
            ("source = \"live\"\nwidth = 64\nheight = 48\nfps = 30\nformat = \"h264\"", "h264"),
            ("source = \"webcam\"", "webcam"),
        ] {
            let err = with_camera(text).unwrap_err();
            assert!(matches!(err, ProfileError::Syntax { .. }) && err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn lens_intrinsics_follow_the_stream_size() {
        let hfov = with_camera("source = \"synthetic\"\nwidth = 64\nheight = 48\nfps = 30\nhfov_deg = 90").unwrap();
        let k = hfov.camera.lens.intrinsics((64, 48), (640, 480));
        assert!((k.fx - 320.0).abs() < 1e-3 && k.cx == 320.0, "{k:?}");

        let explicit = "source = \"synthetic\"\nwidth = 320\nheight = 240\nfps = 30\n\
                        intrinsics = { fx = 160.0, fy = 150.0, cx = 161.0, cy = 119.0 }";
        let k = with_camera(explicit).unwrap().camera.lens.intrinsics((320, 240), (640, 480));
        assert_eq!((k.fx, k.fy, k.cx, k.cy), (320.0, 300.0, 322.0, 238.0));

        let default = LensConfig::default().intrinsics((1, 1), (100, 50));
        assert_eq!(default, CameraIntrinsics::from_hfov(100, 50, DEFAULT_HFOV_DEG));
    }
}
