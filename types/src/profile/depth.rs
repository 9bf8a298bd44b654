//! The `[depth]` section of a device profile: where the real world's depth comes from. Without
//! it the shell runs no depth module and nothing real hides any app.

use serde::Deserialize;

/// Disparities the stereo matcher searches unless the profile says.
pub const DEFAULT_MAX_DISPARITY: u32 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", tag = "source")]
pub enum DepthConfig {
    /// The camera's right image (a stereo camera, or a stereo session), matched on the GPU
    /// where an adapter opens and on the CPU where none does (or `matcher` says so).
    Stereo {
        #[serde(default = "default_max_disparity")]
        max_disparity: u32,
        #[serde(default)]
        matcher: Matcher,
    },
    /// A depth camera's own 16-bit depth through the camera driver (`camera/z16`): a live
    /// `Z16` stream, or the depth maps a session recorded.
    Camera,
    /// A synthesized scene, labelled so wherever it shows: a wall `wall_m` along the camera's
    /// axis and a box swinging across in front of it, for trying occlusion without a depth camera.
    Synthetic {
        #[serde(default = "default_wall_m")]
        wall_m: f32,
    },
}

/// Which processor runs the stereo matcher.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matcher {
    /// The GPU where an adapter opens, else the CPU.
    #[default]
    Auto,
    Gpu,
    Cpu,
}

fn default_max_disparity() -> u32 {
    DEFAULT_MAX_DISPARITY
}

fn default_wall_m() -> f32 {
    3.0
}

impl DepthConfig {
    pub(super) fn problems(&self, p: &mut Vec<String>) {
        match *self {
            DepthConfig::Stereo { max_disparity, .. } => {
                if !(8..=256).contains(&max_disparity) || max_disparity % 8 != 0 {
                    p.push(format!("depth.max_disparity is {max_disparity}; use a multiple of 8 from 8 to 256"));
                }
            }
            DepthConfig::Synthetic { wall_m } => {
                if !(wall_m.is_finite() && (0.5..=60.0).contains(&wall_m)) {
                    p.push(format!("depth.wall_m is {wall_m}; use 0.5 to 60 metres (depth is carried in millimetres up to 65 m)"));
                }
            }
            DepthConfig::Camera => {}
        }
    }
}
