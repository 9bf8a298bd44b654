//! Device profiles: one TOML file per device in `device-profiles/`, describing its displays
//! and their optics (`[display]`, see `display`), its camera (`[camera]`: a source — synthetic,
//! replay or live with a fallback — a lens, a mount and how the picture is placed per eye, see
//! `camera`), where the head pose comes from (`[pose]`, see `pose`), where the real world's
//! depth comes from (`[depth]`, see `depth`), how its bus reaches other devices (`[network]`,
//! see `network`) and which built-in drivers to load (`drivers`).
//!
//! A profile is validated as a whole: [`DeviceProfile::from_toml`] reports every problem at
//! once, each naming the field and what would fix it.

use std::path::{Path, PathBuf};

use glam::{Mat4, Vec3};
use serde::Deserialize;
use thiserror::Error;

mod camera;
mod depth;
mod display;
mod network;
mod pose;

pub use camera::{
    CameraConfig, DEFAULT_HFOV_DEG, LensConfig, LiveConfig, Mount, PassthroughConfig, PixelFormat, SourceConfig, StereoCameraConfig,
    StereoLayout,
};
pub use depth::{DepthConfig, Matcher};
pub use display::{Display, DisplayKind, FovDegrees, Optics};
pub use network::{AuthConfig, DEFAULT_JPEG_QUALITY, FrameEncoding, NetworkConfig, OffloadConfig, TlsConfig, valid_device_name};
pub use pose::{DriverName, GlassesKeys, GlassesModel, PoseConfig};

use crate::frame::{EyeView, Viewport};
use crate::math::{Fov, NEAR_PLANE, projection};

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub display: Display,
    pub camera: CameraConfig,
    #[serde(default)]
    pub pose: PoseConfig,
    /// Where the real world's depth comes from; none without the section.
    #[serde(default)]
    pub depth: Option<DepthConfig>,
    /// The built-in drivers to load; both (`["camera", "pose"]`) unless the profile says.
    #[serde(default = "pose::default_drivers")]
    pub drivers: Vec<DriverName>,
    /// How the bus reaches other devices; nothing leaves the device without it.
    #[serde(default)]
    pub network: NetworkConfig,
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
        let profile: DeviceProfile =
            toml::from_str(text).map_err(|e| ProfileError::Syntax { origin: origin.to_string(), message: e.to_string() })?;
        let problems = profile.problems();
        if problems.is_empty() { Ok(profile) } else { Err(ProfileError::Invalid { origin: origin.to_string(), problems }) }
    }

    pub fn load(path: &Path) -> Result<DeviceProfile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read { path: path.to_path_buf(), source })?;
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
        let mut p = self.network.problems();
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
        // At least a degree across each way: a narrower view is no display, and one narrower
        // than a float can hold makes the projection divide by zero.
        if !(f.right - f.left >= 1.0 && f.up - f.down >= 1.0) {
            p.push("display.fov_deg is (nearly) empty: right must exceed left, and up exceed down, by a degree or more".into());
        }
        if !(0.0..=100.0).contains(&d.ipd_mm) {
            p.push(format!("display.ipd_mm is {}; use 0 to 100 millimetres", d.ipd_mm));
        }
        if let Some(optics) = &d.optics {
            optics.problems(d.eye_width as f32 / d.eye_height.max(1) as f32, &mut p);
        }
        self.camera.problems(&mut p);
        self.pose.problems(&mut p);
        if let Some(depth) = &self.depth {
            depth.problems(&mut p);
        }
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

    /// Found by fuzzing: a view narrower than a float holds passed, and divided by zero.
    #[test]
    fn a_view_without_width_is_refused() {
        let bad = GOOD.replace("left = -40, right = 40", "left = 0, right = 1e-45");
        let err = DeviceProfile::from_toml(&bad, "bad").unwrap_err();
        assert!(err.to_string().contains("display.fov_deg is (nearly) empty"), "{err}");
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
        for needle in [
            "camera size 0x480",
            "camera.fps is -1",
            "camera.retry_ms is 0",
            "both intrinsics and hfov_deg",
            "camera.hfov_deg is 200",
            "camera.intrinsics",
            "camera.fallback.fps is 0",
        ] {
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
        assert_eq!(default, crate::camera::CameraIntrinsics::from_hfov(100, 50, DEFAULT_HFOV_DEG));
    }
}
