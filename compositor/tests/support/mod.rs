//! Shared setup for the compositor's own tests: small device profiles, world-locked quads built
//! directly as layer submissions (no runtime, no guests), a test scene and a head track, a
//! compositor on whatever adapter there is (lavapipe in CI), and pixel measurements on the
//! frames read back.

#![allow(dead_code, reason = "each test binary uses its own part of the support")]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use glam::{Mat4, Vec3, Vec4};
use image::RgbaImage;
use visor_compositor::{Compositor, CompositorConfig, Gpu};
use visor_types::layer::{BuiltinPipeline, DrawCmd, IndexData, Pipeline, Vertex, VertexData};
use visor_types::{AppId, DeviceProfile, FrameInfo, LayerSubmission};

/// A profile of `eyes` eyes of `width`x`height`, 90 degrees across, additive (black where no
/// app drew), with `extra` appended to its `[display]` section.
pub fn profile(eyes: u32, width: u32, height: u32, extra: &str) -> DeviceProfile {
    let half_v = ((height as f32 / width as f32).atan()).to_degrees();
    let text = format!(
        r#"
        name = "compositor test"
        [display]
        kind = "additive"
        eyes = {eyes}
        eye_width = {width}
        eye_height = {height}
        refresh_hz = 60
        fov_deg = {{ left = -45, right = 45, up = {half_v}, down = -{half_v} }}
        ipd_mm = 64
        {extra}
        [camera]
        source = "synthetic"
        width = 64
        height = 48
        fps = 30
        "#
    );
    DeviceProfile::from_toml(&text, "compositor test profile").expect("the test profile is valid")
}

pub fn compositor(config: CompositorConfig) -> Compositor {
    // GPU validation errors are logged, not raised: show them in the test's output.
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    let gpu = Gpu::headless().expect("a GPU adapter (lavapipe in CI: apt-get install mesa-vulkan-drivers)");
    // Every shader and pipeline the compositor builds must be valid on this device.
    let device = gpu.device.clone();
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let compositor = Compositor::new(gpu, config).expect("compositor");
    if let Some(error) = pollster::block_on(scope.pop()) {
        panic!("the compositor's GPU objects are invalid: {error}");
    }
    compositor
}

/// The eyes of `profile` for a head pose (world from head).
pub fn frame_at(profile: &DeviceProfile, head: Mat4, frame_number: u64) -> FrameInfo {
    FrameInfo { display_time_ns: frame_number * 16_666_667, frame_number, head, eyes: profile.eye_views(head) }
}

/// An opaque, unlit rectangle facing +z: centre, size (x, y) in metres, linear RGB.
#[derive(Clone, Copy, Debug)]
pub struct Quad {
    pub centre: Vec3,
    pub size: [f32; 2],
    pub rgb: [f32; 3],
}

impl Quad {
    pub fn draw(&self) -> DrawCmd {
        let [r, g, b] = self.rgb;
        let corner =
            |x: f32, y: f32| Vertex { position: [x, y, 0.0], normal: [0.0, 0.0, 1.0], color: [r, g, b, 1.0], uv: [x + 0.5, 0.5 - y] };
        let vertices = vec![corner(-0.5, -0.5), corner(0.5, -0.5), corner(0.5, 0.5), corner(-0.5, 0.5)];
        let indices = vec![0, 1, 2, 0, 2, 3];
        DrawCmd {
            pipeline: Pipeline::Builtin(BuiltinPipeline::Unlit),
            vertices: Arc::new(VertexData::new(vertices)),
            indices: Some(Arc::new(IndexData::new(indices))),
            first: 0,
            count: 6,
            model: Mat4::from_translation(self.centre) * Mat4::from_scale(Vec3::new(self.size[0], self.size[1], 1.0)),
            texture: None,
            clip: None,
            clip_planes: [Vec4::ZERO; 4],
            clip_plane_count: 0,
            world_occludes: true,
        }
    }

    /// The sRGB pixel this quad composites to.
    pub fn srgb(&self) -> [u8; 3] {
        self.rgb.map(linear_to_srgb)
    }
}

/// One app's submission of `quads`, drawn for `frame`.
pub fn submission(app: u32, sequence: u64, frame: &FrameInfo, quads: &[Quad]) -> Arc<LayerSubmission> {
    Arc::new(LayerSubmission {
        app: AppId(app),
        sequence,
        frame: frame.clone(),
        draws: quads.iter().map(Quad::draw).collect(),
        cpu_time: Duration::ZERO,
    })
}

pub fn linear_to_srgb(c: f32) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let s = if c <= 0.0031308 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
    (s * 255.0).round() as u8
}

/// The mean position (pixel centres) of the pixels within `tolerance` of `rgb` in the columns
/// `x0..x1`, and how many there are.
pub fn centroid(image: &RgbaImage, x0: u32, x1: u32, rgb: [u8; 3], tolerance: u8) -> Option<([f64; 2], usize)> {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0usize);
    for y in 0..image.height() {
        for x in x0..x1 {
            let p = image.get_pixel(x, y).0;
            if (0..3).all(|i| p[i].abs_diff(rgb[i]) <= tolerance) {
                sx += f64::from(x) + 0.5;
                sy += f64::from(y) + 0.5;
                n += 1;
            }
        }
    }
    (n > 0).then(|| ([sx / n as f64, sy / n as f64], n))
}

/// Where failing tests leave their images.
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compositor-tests");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Saves `image` as `name.png` for a failing test to point at; returns the path.
pub fn save(image: &RgbaImage, name: &str) -> String {
    let path = output_dir().join(format!("{name}.png"));
    let _ = image.save(&path);
    path.display().to_string()
}

/// A world-locked scene between 0.7 and 3 m, near quads partly in front of far ones so the
/// warp has silhouettes and disocclusions to handle.
pub fn scene() -> [Quad; 4] {
    [
        Quad { centre: Vec3::new(-0.12, 0.06, -0.7), size: [0.16, 0.12], rgb: [1.0, 0.0, 0.0] },
        Quad { centre: Vec3::new(0.05, -0.05, -1.1), size: [0.3, 0.3], rgb: [1.0, 1.0, 0.0] },
        Quad { centre: Vec3::new(0.35, -0.15, -1.5), size: [0.5, 0.4], rgb: [0.0, 1.0, 0.0] },
        Quad { centre: Vec3::new(-0.9, 0.6, -3.0), size: [2.0, 1.2], rgb: [0.0, 0.0, 1.0] },
    ]
}

/// The head at `t` seconds: 0.3 m/s to the right while turning right at 20 degrees/s (both
/// move the scene left in view, so they add up rather than cancel).
pub fn head_at(t: f32) -> Mat4 {
    Mat4::from_translation(Vec3::new(0.3 * t - 0.05, 0.0, 0.0)) * Mat4::from_rotation_y((4.0 - 20.0 * t).to_radians())
}

/// Display frame `n` at 60 Hz, in seconds.
pub fn seconds(display_frame: u64) -> f32 {
    display_frame as f32 / 60.0
}
