//! The lens correction, rendered for real: small dots drawn as a layer land where
//! `Optics::source_radius` says, red and blue part by the lateral chromatic aberration the
//! profile gives, no optics means no change, and neither eye ever shows the other's pixels.

mod support;

use std::sync::Arc;

use glam::{Mat4, Vec3};
use image::RgbaImage;
use support::{Quad, compositor, frame_at, profile, save, submission};
use visor_compositor::{Compositor, CompositorConfig};
use visor_types::profile::Optics;
use visor_types::{DeviceProfile, FrameInfo, LayerSubmission};

const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;

fn optics_profile(eyes: u32, optics: &str) -> DeviceProfile {
    profile(eyes, WIDTH, HEIGHT, &format!("optics = {optics}"))
}

/// White dots 4 px across at 1 m, spread over the eye: (x, y) in metres (pixels are 80 to a
/// metre at 1 m with a 90 degree field of view).
fn dots(at: &[(f32, f32)]) -> Vec<Quad> {
    at.iter().map(|&(x, y)| Quad { centre: Vec3::new(x, y, -1.0), size: [0.05, 0.05], rgb: [1.0; 3] }).collect()
}

fn render(c: &mut Compositor, layer: &Arc<LayerSubmission>, display: &FrameInfo) -> RgbaImage {
    c.render(None, std::slice::from_ref(layer), display);
    c.read_frame().unwrap()
}

fn linear(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

/// The light-weighted centre of one channel within `radius` px of `near`.
fn blob(image: &RgbaImage, channel: usize, near: [f64; 2], radius: f64) -> [f64; 2] {
    let (mut sx, mut sy, mut total) = (0.0, 0.0, 0.0);
    for (x, y, p) in image.enumerate_pixels() {
        let (cx, cy) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        if (cx - near[0]).abs() <= radius && (cy - near[1]).abs() <= radius {
            let w = linear(p.0[channel]);
            (sx, sy, total) = (sx + w * cx, sy + w * cy, total + w);
        }
    }
    assert!(total > 0.0, "no light in channel {channel} near {near:?}");
    [sx / total, sy / total]
}

/// Where the lens model puts a point rendered at `source` (pixels, eye 0): the display radius
/// whose `source_radius` is the point's, found by bisection (the model increases with r).
fn predicted(optics: &Optics, source: [f64; 2], channel: usize) -> [f64; 2] {
    let (cx, cy, half) = (f64::from(WIDTH) / 2.0, f64::from(HEIGHT) / 2.0, f64::from(WIDTH) / 2.0);
    let (dx, dy) = ((source[0] - cx) / half, (source[1] - cy) / half);
    let wanted = (dx * dx + dy * dy).sqrt();
    let (mut lo, mut hi) = (0.0f32, 2.0f32);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if f64::from(optics.source_radius(mid, channel)) < wanted { lo = mid } else { hi = mid }
    }
    let scale = if wanted > 0.0 { f64::from(lo) / wanted } else { 1.0 };
    [cx + dx * scale * half, cy + dy * scale * half]
}

#[test]
fn dots_land_where_the_lens_model_puts_them() {
    let lens = "{ distortion = [0.22, 0.08], chromatic = [0.0, 0.0, 0.0] }";
    let profile = optics_profile(1, lens);
    let optics = profile.display.optics.expect("the profile has optics");
    let mut flat = CompositorConfig::from_profile(&profile);
    flat.optics = None;
    let (mut plain, mut lensed) = (compositor(flat), compositor(CompositorConfig::from_profile(&profile)));
    let spots = [(0.0, 0.0), (0.35, 0.0), (-0.6, 0.1), (0.5, 0.4), (-0.3, -0.45), (0.85, -0.2)];
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let layer = submission(1, 1, &frame, &dots(&spots));
    let (before, after) = (render(&mut plain, &layer, &frame), render(&mut lensed, &layer, &frame));
    for (x, y) in spots {
        let rendered = blob(&before, 1, [80.0 + f64::from(x) * 80.0, 60.0 - f64::from(y) * 80.0], 5.0);
        let expected = predicted(&optics, rendered, 1);
        let seen = blob(&after, 1, expected, 6.0);
        let error = ((seen[0] - expected[0]).powi(2) + (seen[1] - expected[1]).powi(2)).sqrt();
        assert!(
            error < 1.0,
            "the dot rendered at {rendered:?} shows at {seen:?}, the model says {expected:?}; see {}",
            save(&after, "optics-dots")
        );
    }
}

#[test]
fn red_and_blue_part_by_the_chromatic_aberration() {
    let lens = "{ distortion = [0.1, 0.0], chromatic = [0.05, 0.0, -0.05] }";
    let profile = optics_profile(1, lens);
    let optics = profile.display.optics.expect("the profile has optics");
    let mut flat = CompositorConfig::from_profile(&profile);
    flat.optics = None;
    let (mut plain, mut lensed) = (compositor(flat), compositor(CompositorConfig::from_profile(&profile)));
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let layer = submission(1, 1, &frame, &dots(&[(0.8, 0.0)]));
    let (before, after) = (render(&mut plain, &layer, &frame), render(&mut lensed, &layer, &frame));
    let rendered = blob(&before, 1, [144.0, 60.0], 5.0);
    let (red_expected, blue_expected) = (predicted(&optics, rendered, 0), predicted(&optics, rendered, 2));
    let (red, blue) = (blob(&after, 0, red_expected, 6.0), blob(&after, 2, blue_expected, 6.0));
    for (name, seen, expected) in [("red", red, red_expected), ("blue", blue, blue_expected)] {
        assert!((seen[0] - expected[0]).abs() < 1.0 && (seen[1] - expected[1]).abs() < 1.0, "{name} at {seen:?}, expected {expected:?}");
    }
    // Red is scaled out further, so the display shows it nearer the centre than blue.
    let parted = blue[0] - red[0];
    let expected = blue_expected[0] - red_expected[0];
    assert!(expected > 4.0, "the lens parts them visibly: {expected} px");
    assert!((parted - expected).abs() < 1.0, "red and blue {parted} px apart, expected {expected}");
}

#[test]
fn no_optics_and_neutral_optics_show_the_composite_unchanged() {
    let neutral = optics_profile(2, "{ distortion = [0.0, 0.0], chromatic = [0.0, 0.0, 0.0] }");
    let mut none = CompositorConfig::from_profile(&neutral);
    none.optics = None;
    let (mut plain, mut lensed) = (compositor(none), compositor(CompositorConfig::from_profile(&neutral)));
    let frame = frame_at(&neutral, Mat4::IDENTITY, 0);
    let scene = [Quad { centre: Vec3::new(0.1, 0.05, -1.5), size: [0.8, 0.5], rgb: [0.8, 0.3, 0.1] }];
    let mut quads = dots(&[(-0.5, 0.3), (0.7, -0.4)]);
    quads.extend(scene);
    let layer = submission(1, 1, &frame, &quads);
    let (before, after) = (render(&mut plain, &layer, &frame), render(&mut lensed, &layer, &frame));
    assert!(before.pixels().any(|p| p.0[0] > 0), "something was drawn");
    assert!(before == after, "identity optics changed the frame; see {}", save(&after, "optics-identity"));
}

/// One eye sees a white wall filling its view, the other looks away: the dark eye must stay
/// dark whatever the lens does at its edges.
fn one_eye_lit(profile: &DeviceProfile, lit: usize) -> (Arc<LayerSubmission>, FrameInfo) {
    let mut frame = frame_at(profile, Mat4::IDENTITY, 0);
    let dark = 1 - lit;
    frame.eyes[dark].view = Mat4::from_rotation_y(std::f32::consts::PI) * frame.eyes[dark].view;
    let wall = [Quad { centre: Vec3::new(0.0, 0.0, -1.0), size: [4.0, 4.0], rgb: [1.0; 3] }];
    (submission(1, lit as u64 + 1, &frame, &wall), frame)
}

#[test]
fn neither_eye_shows_the_other() {
    // Strong barrel: the edges of each eye sample far outside its viewport (into the other
    // eye, if nothing stopped them).
    let barrel = optics_profile(2, "{ distortion = [0.3, 0.0], chromatic = [0.0, 0.0, 0.0] }");
    // A hair more red: the red sample of each eye's outermost column falls within half a
    // pixel of the viewport's edge, where a plain bilinear sample would take in the other eye.
    let fringe = optics_profile(2, "{ distortion = [0.0, 0.0], chromatic = [0.006, 0.0, 0.0] }");
    for (name, profile) in [("barrel", barrel), ("fringe", fringe)] {
        let mut c = compositor(CompositorConfig::from_profile(&profile));
        for lit in [0, 1] {
            let (layer, frame) = one_eye_lit(&profile, lit);
            let image = render(&mut c, &layer, &frame);
            let dark = (1 - lit) as u32;
            let stray = (dark * WIDTH..(dark + 1) * WIDTH)
                .flat_map(|x| (0..HEIGHT).map(move |y| (x, y)))
                .filter(|&(x, y)| image.get_pixel(x, y).0[..3].iter().any(|&v| v > 0))
                .count();
            assert!(stray == 0, "{name}: {stray} pixels of eye {dark} show eye {lit}; see {}", save(&image, "optics-bleed"));
            let centre = image.get_pixel(lit as u32 * WIDTH + WIDTH / 2, HEIGHT / 2).0;
            assert_eq!(&centre[..3], &[255; 3], "{name}: the lit eye shows its wall");
        }
    }
}
