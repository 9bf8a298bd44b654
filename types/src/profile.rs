//! Device profiles: one TOML file per device in `device-profiles/`, describing its displays.
//!
//! A profile is validated as a whole: [`DeviceProfile::from_toml`] reports every problem at
//! once, each naming the field and what would fix it.

use std::path::{Path, PathBuf};

use glam::{Mat4, Vec3};
use serde::Deserialize;
use thiserror::Error;

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

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", tag = "source")]
pub enum CameraConfig {
    /// An animated test pattern of the given size.
    Synthetic { width: u32, height: u32, fps: f32 },
    /// An image sequence (PNG/JPEG files in name order) in a folder, relative to the repository.
    Replay { folder: PathBuf, fps: f32 },
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
        match &self.camera {
            CameraConfig::Synthetic { width, height, fps } => {
                if *width == 0 || *height == 0 || *width > 8192 || *height > 8192 {
                    p.push(format!("camera size {width}x{height} is out of range; use 1 to 8192"));
                }
                if fps.is_nan() || *fps <= 0.0 {
                    p.push(format!("camera.fps is {fps}; use a positive rate"));
                }
            }
            CameraConfig::Replay { fps, .. } if fps.is_nan() || *fps <= 0.0 => {
                p.push(format!("camera.fps is {fps}; use a positive rate"));
            }
            CameraConfig::Replay { .. } => {}
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
}
