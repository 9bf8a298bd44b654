//! The compositor renders for real (lavapipe in CI) and the tests read the pixels back.
//!
//! Probe apps draw flat quads ("slabs") at known depths and colors, so each expected pixel can
//! be worked out by hand; the sample apps are checked against a golden image.

mod common;

use common::{Harness, assert_rgb, column, compositor, golden::assert_golden, linear_to_srgb, solid_camera, srgb_to_linear, still};
use visor_drivers::CameraSource;
use visor_types::math::{NEAR_PLANE, depth_at};

const CAMERA: [u8; 3] = [40, 80, 160];

fn slab(h: &mut Harness, z: &str, color: &str) -> std::sync::Arc<visor_types::LayerSubmission> {
    let (mut app, _) = h.load("probe", &[("PROBE_Z", z), ("PROBE_COLOR", color)]);
    h.frame(&mut app, 0)
}

/// App A's slab runs from near on the left to far on the right, app B's the other way: they
/// cross in the middle. No order of whole apps can produce the right image; only per-pixel
/// depth can.
#[test]
fn interpenetrating_apps_merge_per_pixel_by_depth() {
    let profile = common::profile(2);
    let mut h = Harness::new(profile.clone());
    let a = slab(&mut h, "-1.5,-2.5", "1,0,0,1");
    let b = slab(&mut h, "-2.5,-1.5", "0,0,1,1");
    let mut c = compositor(&profile);
    let camera = solid_camera(CAMERA);
    for (order, layers) in [("A then B", [a.clone(), b.clone()]), ("B then A", [b, a])] {
        c.render(Some(&camera), &layers, &still(&profile));
        let frame = c.read_frame().unwrap();
        for eye in 0..2 {
            let (left, right) = (column(&profile, eye, -0.12), column(&profile, eye, 0.12));
            assert_rgb(&frame, left, 60, [255, 0, 0], 1, &format!("{order}, eye {eye}: A is nearer left of the crossing"));
            assert_rgb(&frame, right, 60, [0, 0, 255], 1, &format!("{order}, eye {eye}: B is nearer right of it"));
        }
        assert_golden("interpenetration", &frame);
    }
}

#[test]
fn camera_shows_wherever_no_app_drew() {
    let profile = common::profile(2);
    let mut h = Harness::new(profile.clone());
    let layer = slab(&mut h, "-2,-2", "1,0,0,1");
    let mut c = compositor(&profile);
    c.render(Some(&solid_camera(CAMERA)), &[layer], &still(&profile));
    let frame = c.read_frame().unwrap();
    for (x, y) in [(3, 3), (150, 110), (163, 5), (318, 117)] {
        assert_rgb(&frame, x, y, CAMERA, 1, "outside the slab");
    }
    assert_rgb(&frame, column(&profile, 1, 0.0), 60, [255, 0, 0], 1, "on the slab");
}

#[test]
fn a_translucent_pixel_blends_over_the_camera() {
    let profile = common::profile(2);
    let mut h = Harness::new(profile.clone());
    let layer = slab(&mut h, "-2,-2", "0,1,0,0.5");
    let mut c = compositor(&profile);
    c.render(Some(&solid_camera(CAMERA)), &[layer], &still(&profile));
    let frame = c.read_frame().unwrap();
    // Blending happens in linear light: half the app's green over half the camera.
    let app = [0.0f32, 1.0, 0.0];
    let expected = [0, 1, 2].map(|i| linear_to_srgb(0.5 * app[i] + 0.5 * srgb_to_linear(CAMERA[i])));
    assert_rgb(&frame, column(&profile, 0, 0.0), 60, expected, 2, "green at 50% over the camera");
}

#[test]
fn translucent_layers_blend_in_depth_order_not_app_order() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let glass = slab(&mut h, "-1.5,-1.5", "0,1,0,0.5");
    let wall = slab(&mut h, "-2.5,-2.5", "1,0,0,1");
    let near_wall = slab(&mut h, "-1,-1", "0,0,1,1");
    let mut c = compositor(&profile);
    let camera = solid_camera(CAMERA);
    let half = linear_to_srgb(0.5);
    for layers in [[glass.clone(), wall.clone()], [wall.clone(), glass.clone()]] {
        c.render(Some(&camera), &layers, &still(&profile));
        let frame = c.read_frame().unwrap();
        assert_rgb(&frame, 80, 60, [half, half, 0], 2, "translucent green in front of opaque red");
    }
    c.render(Some(&camera), &[glass, wall, near_wall], &still(&profile));
    let frame = c.read_frame().unwrap();
    assert_rgb(&frame, 80, 60, [0, 0, 255], 1, "an opaque surface in front of both hides them");
}

/// Depth is metric and comparable: every layer holds the reverse-Z depth of the eye it was
/// handed, near / distance.
#[test]
fn layer_depth_is_the_reverse_z_distance() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let near = slab(&mut h, "-2,-2", "1,1,1,1");
    let far = slab(&mut h, "-4,-4", "1,1,1,1");
    let mut c = compositor(&profile);
    c.render(Some(&solid_camera(CAMERA)), &[near, far], &still(&profile));
    let width = profile.display.eye_width as usize;
    let centre = 60 * width + 80;
    let (d0, d1) = (c.read_layer_depth(0, 0).unwrap(), c.read_layer_depth(0, 1).unwrap());
    assert!((d0[centre] - depth_at(2.0, NEAR_PLANE)).abs() < 1e-5, "depth at 2 m: {}", d0[centre]);
    assert!((d1[centre] - depth_at(4.0, NEAR_PLANE)).abs() < 1e-5, "depth at 4 m: {}", d1[centre]);
    assert_eq!(d0[0], 0.0, "nothing drawn in the corner: depth stays cleared to 0 (infinitely far)");
}

/// The sample apps at a fixed time over the first frame of the recorded desk clip.
#[test]
fn sample_apps_match_their_golden_image() {
    let profile = common::profile(2);
    let mut h = Harness::new(profile.clone());
    let (mut cube, _) = h.load("cube", &[]);
    let (mut hud, _) = h.load("hud", &[]);
    let t = 1_250_000_000;
    let layers = [h.frame(&mut cube, t), h.frame(&mut hud, t)];
    let mut camera = visor_drivers::ReplayCamera::open(&common::repo().join("assets/camera/desk"), 30.0).unwrap();
    let mut c = compositor(&profile);
    c.render(Some(&camera.frame_at(0).unwrap()), &layers, &still(&profile));
    assert_golden("sample-apps", &c.read_frame().unwrap());
}

/// An old camera picture is never shown as live: while the shell says it is stale, it is
/// dimmed to 35 % and hatched with red diagonal stripes; apps draw over it as before, and a
/// fresh picture shows plainly again.
#[test]
fn a_stale_camera_picture_is_dimmed_and_hatched() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let layer = slab(&mut h, "-2,-2", "1,0,0,1");
    let mut c = compositor(&profile);
    let camera = solid_camera([200, 200, 200]);
    c.set_camera_stale(true);
    c.render(Some(&camera), std::slice::from_ref(&layer), &still(&profile));
    let frame = c.read_frame().unwrap();
    let dimmed = srgb_to_linear(200) * 0.35;
    let plain = linear_to_srgb(dimmed);
    let stripe = [0.55, 0.08, 0.08].map(|red: f32| linear_to_srgb(dimmed + (red - dimmed) * 0.6));
    // Stripes where (x + y) / 6 is even.
    assert_rgb(&frame, 3, 3, [plain; 3], 1, "between stripes: dimmed");
    assert_rgb(&frame, 1, 1, stripe, 1, "on a stripe: dimmed and red");
    assert_rgb(&frame, 80, 60, [255, 0, 0], 1, "the app draws over it unchanged");
    c.set_camera_stale(false);
    c.render(Some(&camera), &[layer], &still(&profile));
    assert_rgb(&c.read_frame().unwrap(), 3, 3, [200; 3], 1, "a live picture shows plainly");
}

/// The shell's own layer (the launcher, the consent dialog) is drawn over every app whatever
/// the depths, takes the pointer wherever it shows, and brings the chrome band: the top rows,
/// where no app draws, which show the trusted marker while the shell asks the user something.
#[test]
fn the_trusted_layer_is_on_top_and_the_band_is_the_shells_alone() {
    let profile = common::profile(1);
    let mut h = Harness::new(profile.clone());
    let shell_ui = slab(&mut h, "-4,-4", "0,0,1,1");
    // A wide app slab nearer than the shell's, reaching the top of the view.
    let (mut app, _) = h.load("probe", &[("PROBE_Z", "-0.3,-0.3"), ("PROBE_COLOR", "1,0,0,1"), ("PROBE_X", "-1,1")]);
    let impostor = h.frame(&mut app, 0);
    let mut c = compositor(&profile);
    let camera = solid_camera(CAMERA);
    let layers = [impostor.clone(), shell_ui.clone()];
    c.render(Some(&camera), &layers, &still(&profile));
    let plain = c.read_frame().unwrap();
    assert_rgb(&plain, 80, 60, [255, 0, 0], 1, "without trust, the nearer app covers the other");
    assert_rgb(&plain, 80, 0, [255, 0, 0], 1, "and reaches the top row");

    c.set_trusted_apps(vec![shell_ui.app]);
    c.render(Some(&camera), &layers, &still(&profile));
    let trusted = c.read_frame().unwrap();
    assert_rgb(&trusted, 80, 60, [0, 0, 255], 1, "the shell's layer over the nearer app");
    assert_eq!(c.hit_test(80, 60).map(|h| h.app), Some(shell_ui.app), "and the pointer goes to it");
    assert_eq!(c.hit_test(40, 60).map(|h| h.app), Some(impostor.app), "the app keeps the rest");
    let dark = [0.02, 0.02, 0.03].map(linear_to_srgb);
    assert_rgb(&trusted, 80, 0, dark, 1, "no app draws in the band");
    assert_eq!(c.hit_test(80, 0), None, "nor takes input there");
    assert_rgb(&trusted, 80, 3, [255, 0, 0], 1, "below the band (three rows at 120) the app shows");

    c.set_marker(true);
    c.render(Some(&camera), &layers, &still(&profile));
    let asking = c.read_frame().unwrap();
    let cyan = [0.0, 0.78, 0.9].map(linear_to_srgb);
    assert_rgb(&asking, 0, 0, cyan, 1, "the marker: cyan blocks ...");
    assert_rgb(&asking, 8, 1, [0.02, 0.05, 0.08].map(linear_to_srgb), 1, "... between dark ones");
}
