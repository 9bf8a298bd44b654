//! The real world in the composite, on a real scene: the Middlebury 2014 Motorcycle pair
//! (`assets/camera/motorcycle/`) as the camera picture, its ground-truth disparity turned into
//! metric depth as a depth camera would deliver it, and a wide quad placed between the
//! motorcycle (about 2 m) and the wall behind it (about 4 m). Rendered for real in stereo:
//! in both eyes, pixels where the truth puts the real surface nearer than the quad must show
//! the camera, pixels where it is farther must show the quad (a margin at depth edges); the
//! eyes see the picture with their own parallax; a HUD that opts out is never hidden; and the
//! hit test stops at real surfaces.

mod support;

use std::path::Path;
use std::sync::Arc;

use glam::{Mat4, Vec2, Vec3};
use image::RgbaImage;
use support::{Quad, compositor, frame_at, save, submission};
use visor_compositor::{Compositor, CompositorConfig};
use visor_types::{AppId, CameraFrame, CameraIntrinsics, DepthFrame, DeviceProfile, FrameInfo, Passthrough};

/// The session's lens and rig (see its session.toml), quarter size.
const K: CameraIntrinsics = CameraIntrinsics { fx: 994.9778, fy: 994.9778, cx: 311.193, cy: 254.8767 };
const BASELINE_M: f32 = 0.193001;
const DOFFS: f32 = 31.0858;
const QUAD_M: f32 = 3.0;
const MAGENTA: [u8; 3] = [255, 0, 255];

fn folder() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/motorcycle")
}

fn camera_frame() -> CameraFrame {
    let image = image::open(folder().join("left.png")).unwrap().into_rgba8();
    CameraFrame { width: image.width(), height: image.height(), pixels: Arc::from(image.into_raw()), timestamp_ns: 0, sequence: 1 }
}

/// The ground truth as a depth camera's frame: Z = f B / (d + doffs), millimetres.
fn truth_depth() -> DepthFrame {
    let disparity = image::open(folder().join("disparity-truth.png")).unwrap().into_luma16();
    let millimetres: Vec<u16> = disparity
        .pixels()
        .map(|p| match p.0[0] {
            0 => 0,
            units => (K.fx * BASELINE_M / (f32::from(units) / 256.0 + DOFFS) * 1000.0).round() as u16,
        })
        .collect();
    let confidence = millimetres.iter().map(|&mm| if mm > 0 { 255 } else { 0 }).collect::<Vec<u8>>();
    DepthFrame {
        width: disparity.width(),
        height: disparity.height(),
        millimetres: millimetres.into(),
        confidence: confidence.into(),
        timestamp_ns: 0,
        sequence: 1,
    }
}

/// Stereo passthrough eyes of 370x250 with the camera's field of view.
fn profile() -> DeviceProfile {
    let (w, h) = (370u32, 250u32);
    let left = (K.cx / K.fx).atan().to_degrees();
    let right = ((741.0 - K.cx) / K.fx).atan().to_degrees();
    let up = (K.cy / K.fy).atan().to_degrees();
    let down = ((500.0 - K.cy) / K.fy).atan().to_degrees();
    let text = format!(
        "name = \"world test\"\n[display]\nkind = \"passthrough\"\neyes = 2\neye_width = {w}\neye_height = {h}\nrefresh_hz = 60\n\
         fov_deg = {{ left = -{left}, right = {right}, up = {up}, down = -{down} }}\nipd_mm = 64\n\
         [camera]\nsource = \"synthetic\"\nwidth = 741\nheight = 500\nfps = 30\n"
    );
    DeviceProfile::from_toml(&text, "world test profile").unwrap()
}

fn passthrough() -> Passthrough {
    Passthrough { intrinsics: K, size: (741, 500), head_from_camera: Mat4::IDENTITY, reproject: true, plane_m: 2.0 }
}

struct Scene {
    profile: DeviceProfile,
    compositor: Compositor,
    frame: FrameInfo,
    depth: DepthFrame,
    camera: CameraFrame,
}

fn scene(hud: bool) -> (Scene, RgbaImage) {
    let profile = profile();
    let mut compositor = compositor(CompositorConfig::from_profile(&profile));
    compositor.set_passthrough(Some(passthrough()));
    let depth = truth_depth();
    compositor.set_world_depth(Some(depth.clone()));
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let quad = Quad { centre: Vec3::new(0.0, 0.0, -QUAD_M), size: [8.0, 6.0], rgb: [1.0, 0.0, 1.0] };
    let mut layer = submission(1, 1, &frame, &[quad]);
    if hud {
        // The same app also draws a green HUD panel, a little nearer, that opts out.
        let panel = Quad { centre: Vec3::new(0.0, 0.0, -QUAD_M + 0.1), size: [1.0, 0.6], rgb: [0.0, 1.0, 0.0] };
        let layer = Arc::get_mut(&mut layer).unwrap();
        layer.draws.push(visor_types::DrawCmd { world_occludes: false, ..panel.draw() });
    }
    let camera = camera_frame();
    compositor.render(Some(&camera), &[layer], &frame);
    let image = compositor.read_frame().unwrap();
    (Scene { profile, compositor, frame, depth, camera }, image)
}

/// Per pixel of one eye: Some(true) where the real surface is clearly nearer than the quad,
/// Some(false) where clearly farther, None where unknown or within the margin (10 % of the
/// distance, and two pixels around every change of answer).
fn expected(s: &Scene, eye: usize) -> Vec<Option<bool>> {
    let (w, h) = (s.profile.display.eye_width, s.profile.display.eye_height);
    let vp = s.frame.eyes[eye].view_projection();
    let quad = visor_types::math::depth_at(QUAD_M, visor_types::math::NEAR_PLANE);
    let raw: Vec<Option<bool>> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let hit =
                passthrough().lookup(s.frame.head, vp, Vec2::new(x as f32, y as f32), Vec2::new(w as f32, h as f32), Some(&s.depth))?;
            let ratio = hit.depth / quad;
            (hit.depth > 0.0 && (ratio - 1.0).abs() > 0.1).then_some(ratio > 1.0)
        })
        .collect();
    let at = |x: i64, y: i64| raw.get((y.clamp(0, h as i64 - 1) * w as i64 + x.clamp(0, w as i64 - 1)) as usize).copied().flatten();
    (0..h as i64)
        .flat_map(|y| (0..w as i64).map(move |x| (x, y)))
        .map(|(x, y)| {
            let mine = at(x, y)?;
            let steady = (-2..=2).all(|dy| (-2..=2).all(|dx| at(x + dx, y + dy) == Some(mine)));
            steady.then_some(mine)
        })
        .collect()
}

fn is_magenta(p: [u8; 4]) -> bool {
    (0..3).all(|i| p[i].abs_diff(MAGENTA[i]) <= 3)
}

#[test]
fn real_surfaces_nearer_than_a_quad_hide_it_in_both_eyes() {
    let (s, image) = scene(false);
    let w = s.profile.display.eye_width;
    for eye in 0..2 {
        let expected = expected(&s, eye);
        let (mut camera, mut quad, mut wrong) = (0usize, 0usize, 0usize);
        for (i, want) in expected.iter().enumerate() {
            let Some(real_nearer) = *want else { continue };
            let (x, y) = (i as u32 % w + eye as u32 * w, i as u32 / w);
            let shows_quad = is_magenta(image.get_pixel(x, y).0);
            if real_nearer {
                camera += 1;
            } else {
                quad += 1;
            }
            wrong += usize::from(shows_quad == real_nearer);
        }
        let checked = camera + quad;
        let path = save(&image, "world-occlusion");
        assert!(
            camera > checked / 10 && quad > checked / 10,
            "eye {eye}: both the motorcycle ({camera}) and the wall ({quad}) are in view"
        );
        assert!(wrong * 200 <= checked, "eye {eye}: {wrong} of {checked} pixels on the wrong side of the quad; see {path}");
    }
}

#[test]
fn each_eye_sees_the_picture_with_its_own_parallax() {
    let (s, _) = scene(false);
    let (w, h) = (s.profile.display.eye_width as f32, s.profile.display.eye_height as f32);
    let centre = Vec2::new(w / 2.0, h / 2.0);
    let [left, right] = [0, 1].map(|eye| {
        let vp = s.frame.eyes[eye].view_projection();
        passthrough().lookup(s.frame.head, vp, centre, Vec2::new(w, h), Some(&s.depth)).unwrap().camera_px
    });
    // The eyes sit 32 mm either side of the camera: the left eye's centre looks at a point
    // to the camera's left, so it lands left of the right eye's in the picture.
    assert!(right.x - left.x > 5.0, "left {left}, right {right}");
    // And the composite shows it so: the eyes' pictures differ (without the quad in the way, the
    // motorcycle's pixels).
    let profile = profile();
    let mut plain = compositor(CompositorConfig::from_profile(&profile));
    plain.set_passthrough(Some(passthrough()));
    plain.set_world_depth(Some(s.depth.clone()));
    plain.render(Some(&s.camera), &[], &s.frame);
    let image = plain.read_frame().unwrap();
    let eye_w = profile.display.eye_width;
    let differing = (0..profile.display.eye_height)
        .flat_map(|y| (0..eye_w).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let (a, b) = (image.get_pixel(x, y).0, image.get_pixel(x + eye_w, y).0);
            (0..3).any(|i| a[i].abs_diff(b[i]) > 24)
        })
        .count();
    assert!(differing > (eye_w * profile.display.eye_height / 10) as usize, "{differing} pixels differ between the eyes");
}

#[test]
fn a_draw_that_opts_out_is_never_hidden_and_the_rest_still_are() {
    let (s, image) = scene(true);
    let (w, h) = (s.profile.display.eye_width, s.profile.display.eye_height);
    let path = save(&image, "world-hud");
    for eye in 0..2u32 {
        // The panel: 1 m x 0.6 m at 2.9 m, its centre in the middle of each eye; the motorcycle
        // is in front of much of it, yet all of it shows.
        let vp = s.frame.eyes[eye as usize].view_projection();
        let px = |x: f32, y: f32| {
            let p = vp.project_point3(Vec3::new(x, y, -QUAD_M + 0.1));
            ((p.x + 1.0) / 2.0 * w as f32, (1.0 - p.y) / 2.0 * h as f32)
        };
        let ((x0, y0), (x1, y1)) = (px(-0.5, 0.3), px(0.5, -0.3));
        let inside = (y0 as u32 + 2..y1 as u32 - 2).flat_map(|y| (x0 as u32 + 2..x1 as u32 - 2).map(move |x| (x, y)));
        let (mut total, mut green) = (0, 0);
        for (x, y) in inside {
            let p = image.get_pixel(x + eye * w, y).0;
            total += 1;
            green += usize::from(p[0] < 3 && p[1] > 252 && p[2] < 3);
        }
        assert!(total > 1000 && green == total, "eye {eye}: {green} of {total} HUD pixels show; see {path}");
    }
    // The app's other draw is still hidden behind the motorcycle.
    let expected = expected(&s, 0);
    let hidden = expected
        .iter()
        .enumerate()
        .filter(|(_, e)| **e == Some(true))
        .filter(|(i, _)| !is_magenta(image.get_pixel(*i as u32 % w, *i as u32 / w).0))
        .count();
    assert!(hidden > expected.len() / 10, "the rest of the app is hidden where the motorcycle is nearer; see {path}");
}

#[test]
fn the_pointer_stops_at_real_surfaces() {
    let (s, _) = scene(false);
    let w = s.profile.display.eye_width;
    let expected = expected(&s, 0);
    let find = |want: bool| {
        let i = expected.iter().position(|e| *e == Some(want)).expect("both kinds of pixel");
        (i as u32 % w, i as u32 / w)
    };
    let (x, y) = find(true);
    assert_eq!(s.compositor.hit_test(x, y), None, "the motorcycle is in front of the quad at ({x}, {y})");
    let (x, y) = find(false);
    let hit = s.compositor.hit_test(x, y).expect("the quad is in front of the wall");
    assert_eq!(hit.app, AppId(1));
}
