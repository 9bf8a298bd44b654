//! The hit test, property-tested against geometry worked out by hand: random stacks of apps,
//! each drawing one opaque rectangle facing the viewer at its own distance, rendered for real
//! in stereo; at random pixels `hit_test` must name the app whose rectangle is nearest among
//! those covering the pixel (None where none does), and the surface point it found.

mod support;

use std::cell::RefCell;

use glam::{Mat4, Vec3};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::{Quad, compositor, frame_at, profile, submission};
use visor_compositor::CompositorConfig;
use visor_types::{AppId, DeviceProfile, FrameInfo};

const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;

/// One app's rectangle: its extent in view-direction tangents (x right, y up: multiplied by
/// the distance it is world-space metres, with the head at the origin), and its distance.
#[derive(Clone, Debug)]
struct Rect {
    x: [f32; 2],
    y: [f32; 2],
    distance: f32,
}

impl Rect {
    fn quad(&self, rgb: [f32; 3]) -> Quad {
        let d = self.distance;
        let centre = Vec3::new((self.x[0] + self.x[1]) / 2.0 * d, (self.y[0] + self.y[1]) / 2.0 * d, -d);
        Quad { centre, size: [(self.x[1] - self.x[0]) * d, (self.y[1] - self.y[0]) * d], rgb }
    }

    /// Its outline in eye `eye`'s pixels (left, right, top, bottom): the eyes only translate,
    /// so a rectangle facing them stays an axis-aligned rectangle.
    fn pixels(&self, frame: &FrameInfo, eye: usize) -> [f32; 4] {
        let d = self.distance;
        let vp = frame.eyes[eye].view_projection();
        let to_px = |x: f32, y: f32| {
            let ndc = vp.project_point3(Vec3::new(x * d, y * d, -d));
            [(ndc.x + 1.0) / 2.0 * WIDTH as f32, (1.0 - ndc.y) / 2.0 * HEIGHT as f32]
        };
        let ([l, t], [r, b]) = (to_px(self.x[0], self.y[1]), to_px(self.x[1], self.y[0]));
        [l, r, t, b]
    }
}

/// Up to six rectangles at distinct distances (ties would hang on float rounding, which the
/// test does not mean to probe), and twelve probe pixels across both eyes.
fn cases() -> impl Strategy<Value = (Vec<Rect>, Vec<(u32, u32)>)> {
    let extent = (-0.9f32..0.4, 0.3f32..1.4).prop_map(|(lo, len)| [lo, (lo + len).min(1.0)]);
    let rect = (extent.clone(), extent.prop_map(|[a, b]| [a * 0.75, b * 0.75]));
    let distances = Just((0..40).collect::<Vec<u32>>()).prop_shuffle();
    let stack = (prop::collection::vec(rect, 1..=6), distances).prop_map(|(rects, order)| {
        rects.into_iter().zip(order).map(|((x, y), k)| Rect { x, y, distance: 0.5 + 0.1 * k as f32 }).collect::<Vec<_>>()
    });
    (stack, prop::collection::vec((0..2 * WIDTH, 0..HEIGHT), 12))
}

/// The app (index into `rects`) nearest among those covering pixel (x, y), or `None`; or
/// `Err` when the pixel sits within a pixel of an outline, where rasterization may go
/// either way.
fn expected(rects: &[Rect], frame: &FrameInfo, x: u32, y: u32) -> Result<Option<usize>, ()> {
    let eye = (x / WIDTH) as usize;
    let (px, py) = ((x % WIDTH) as f32 + 0.5, y as f32 + 0.5);
    let mut best: Option<usize> = None;
    for (i, rect) in rects.iter().enumerate() {
        let [l, r, t, b] = rect.pixels(frame, eye);
        let near_edge = |v: f32, lo: f32, hi: f32| (v - lo).abs() < 1.0 || (v - hi).abs() < 1.0;
        let (inside_x, inside_y) = (px > l && px < r, py > t && py < b);
        if (near_edge(px, l, r) && (py > t - 1.0 && py < b + 1.0)) || (near_edge(py, t, b) && (px > l - 1.0 && px < r + 1.0)) {
            return Err(());
        }
        if inside_x && inside_y && best.is_none_or(|j| rects[j].distance > rect.distance) {
            best = Some(i);
        }
    }
    Ok(best)
}

fn app(i: usize) -> AppId {
    AppId(100 + i as u32)
}

#[test]
fn the_nearest_app_under_a_pixel_is_hit() {
    let profile: DeviceProfile = profile(2, WIDTH, HEIGHT, "");
    let c = RefCell::new(compositor(CompositorConfig::from_profile(&profile)));
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let sequence = RefCell::new(0u64);
    // Probes checked: (hits, misses), so the test cannot pass by skipping them all.
    let checked = RefCell::new((0u32, 0u32));
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let result = runner.run(&cases(), |(rects, probes)| {
        let mut c = c.borrow_mut();
        let mut sequence = sequence.borrow_mut();
        *sequence += 1;
        let layers: Vec<_> =
            rects.iter().enumerate().map(|(i, rect)| submission(app(i).0, *sequence, &frame, &[rect.quad([0.2, 0.4, 0.6])])).collect();
        c.render(None, &layers, &frame);
        for (x, y) in probes {
            let Ok(want) = expected(&rects, &frame, x, y) else { continue };
            let hit = c.hit_test(x, y);
            prop_assert_eq!(hit.map(|h| h.app), want.map(app), "pixel ({}, {})", x, y);
            let mut checked = checked.borrow_mut();
            if want.is_some() {
                checked.0 += 1
            } else {
                checked.1 += 1
            }
            let (Some(hit), Some(i)) = (hit, want) else { continue };
            prop_assert_eq!(hit.eye, (x / WIDTH) as usize);
            let d = rects[i].distance;
            prop_assert!((hit.world.z + d).abs() < 1e-3 * d, "the hit lies on the rectangle's plane: {:?}", hit.world);
            let (tx, ty) = (hit.world.x / d, hit.world.y / d);
            let [x0, x1] = rects[i].x;
            let [y0, y1] = rects[i].y;
            prop_assert!(tx > x0 - 0.02 && tx < x1 + 0.02 && ty > y0 - 0.02 && ty < y1 + 0.02, "inside the rectangle: {:?}", hit.world);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (hits, misses) = checked.into_inner();
    assert!(hits >= 40 && misses >= 20, "too few probes checked: {hits} hits, {misses} misses");
}

#[test]
fn outside_the_frame_or_before_any_frame_nothing_is_hit() {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut c = compositor(CompositorConfig::from_profile(&profile));
    assert_eq!(c.hit_test(80, 60), None, "nothing rendered yet");
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let wall = Quad { centre: Vec3::new(0.0, 0.0, -2.0), size: [10.0, 10.0], rgb: [1.0; 3] };
    c.render(None, &[submission(7, 1, &frame, &[wall])], &frame);
    let hit = c.hit_test(80, 60).expect("the wall is everywhere");
    assert_eq!((hit.app, hit.eye), (AppId(7), 0));
    assert_eq!(c.hit_test(2 * WIDTH + 3, 60), None, "past the right eye");
    assert_eq!(c.hit_test(80, HEIGHT), None, "below the frame");
}

/// The hit is in the shared world space even while the layer is reprojected: the display eye
/// of the frame (not the pose the app drew for) unprojects it.
#[test]
fn a_reprojected_layer_is_hit_where_it_is_shown() {
    let profile = profile(1, WIDTH, HEIGHT, "");
    let mut c = compositor(CompositorConfig::from_profile(&profile));
    let drawn_for = frame_at(&profile, Mat4::IDENTITY, 0);
    let display = frame_at(&profile, Mat4::from_translation(Vec3::new(0.05, 0.0, 0.0)) * Mat4::from_rotation_y(0.05), 2);
    let panel = Quad { centre: Vec3::new(0.0, 0.0, -1.0), size: [0.5, 0.5], rgb: [1.0; 3] };
    c.render(None, &[submission(3, 1, &drawn_for, &[panel])], &display);
    // Where the panel's centre shows on the display, the hit is the panel's centre in the world.
    let centre = display.eyes[0].view_projection().project_point3(panel.centre);
    let (x, y) = (((centre.x + 1.0) / 2.0 * WIDTH as f32) as u32, ((1.0 - centre.y) / 2.0 * HEIGHT as f32) as u32);
    let hit = c.hit_test(x, y).expect("the panel is under its centre");
    assert_eq!(hit.app.0, 3);
    // Within the pixel: 1 px is 12.5 mm at 1 m.
    assert!((hit.world - panel.centre).length() < 0.012, "hit at {}, the panel's centre is {}", hit.world, panel.centre);
}

/// Input goes to what the user sees: an app's pane drawn fully transparent in front of another
/// app writes depth but shows nothing, and must not take the pointer from the app behind it.
#[test]
fn an_invisible_pane_in_front_takes_no_input() {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut c = compositor(CompositorConfig::from_profile(&profile));
    let frame = frame_at(&profile, Mat4::IDENTITY, 0);
    let wall = Quad { centre: Vec3::new(0.0, 0.0, -2.0), size: [10.0, 10.0], rgb: [1.0; 3] };
    let pane = Quad { centre: Vec3::new(0.0, 0.0, -1.0), size: [10.0, 10.0], rgb: [0.0; 3] };
    let mut invisible = pane.draw();
    let vertices = invisible.vertices.vertices.iter().map(|v| visor_types::Vertex { color: [0.0, 0.0, 0.0, 0.0], ..*v }).collect();
    invisible.vertices = std::sync::Arc::new(visor_types::VertexData::new(vertices));
    let overlay = std::sync::Arc::new(visor_types::LayerSubmission {
        app: AppId(8),
        sequence: 1,
        frame: frame.clone(),
        draws: vec![invisible],
        cpu_time: std::time::Duration::ZERO,
    });
    c.render(None, &[submission(7, 1, &frame, &[wall]), overlay], &frame);
    let hit = c.hit_test(80, 60).expect("the wall is under the pane");
    assert_eq!(hit.app, AppId(7), "the visible wall, not the invisible pane nearer the eye: {hit:?}");
    assert!((hit.world.z + 2.0).abs() < 0.05, "the hit is on the wall: {hit:?}");
}
