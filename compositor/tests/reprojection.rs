//! Positional reprojection, rendered for real: an app at 15 fps on a 60 Hz display while the
//! head slides sideways and turns. Each display frame composites the app's newest submission
//! (drawn for the pose of its last tick) at the pose predicted for the frame, and is compared
//! with a full-rate render drawn for that very pose. With reprojection the quads land where the
//! full-rate render puts them; without it they lag visibly — so the test proves the warp does
//! the work, translation (parallax between near and far quads) included.

mod support;

use glam::{Mat4, Vec3};
use image::RgbaImage;
use support::{Quad, centroid, compositor, frame_at, head_at, profile, save, scene, seconds, submission};
use visor_compositor::CompositorConfig;
use visor_types::DeviceProfile;
use visor_types::layer::{IndexData, Vertex, VertexData};

const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;
/// Display frames per app frame (60 Hz over 15 fps).
const DISPLAY_PER_APP: u64 = 4;
const FRAMES: u64 = 32;

/// How far one frame is from the full-rate render of the same pose.
#[derive(Debug, Default)]
struct Error {
    /// Mean distance between each quad's centroid here and there, per eye, in pixels.
    centroid_px: f64,
    /// The largest of those distances.
    max_centroid_px: f64,
    /// Pixels that differ, over pixels showing a quad in either frame.
    differing: f64,
}

fn compare(profile: &DeviceProfile, frame: &RgbaImage, reference: &RgbaImage) -> Error {
    let mut distances = Vec::new();
    for quad in scene() {
        for eye in 0..profile.display.eyes {
            let (x0, x1) = (eye * WIDTH, (eye + 1) * WIDTH);
            let (Some((a, _)), Some((b, _))) = (centroid(frame, x0, x1, quad.srgb(), 2), centroid(reference, x0, x1, quad.srgb(), 2))
            else {
                panic!("quad {:?} is missing from eye {eye}", quad.rgb);
            };
            distances.push(((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt());
        }
    }
    let (mut content, mut differing) = (0usize, 0usize);
    for (p, q) in frame.pixels().zip(reference.pixels()) {
        let lit = |px: &image::Rgba<u8>| px.0[..3].iter().any(|&c| c > 0);
        if lit(p) || lit(q) {
            content += 1;
            differing += usize::from((0..3).any(|i| p.0[i].abs_diff(q.0[i]) > 2));
        }
    }
    Error {
        centroid_px: distances.iter().sum::<f64>() / distances.len() as f64,
        max_centroid_px: distances.iter().copied().fold(0.0, f64::max),
        differing: differing as f64 / content.max(1) as f64,
    }
}

/// Runs the track and returns the mean error over the display frames that reuse an older app
/// frame (those drawn for their own pose need no warp), and the worst frame.
fn run(reproject: bool) -> (Error, Error) {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut config = CompositorConfig::from_profile(&profile);
    config.reproject = reproject;
    let mut late = compositor(config.clone());
    let mut full_rate = compositor(config);
    let quads = scene();
    let (mut mean, mut worst) = (Error::default(), Error::default());
    let mut lagging = 0;
    for n in 0..FRAMES {
        let tick = n / DISPLAY_PER_APP;
        let display = frame_at(&profile, head_at(seconds(n)), n);
        let drawn_for = frame_at(&profile, head_at(seconds(tick * DISPLAY_PER_APP)), tick * DISPLAY_PER_APP);
        let stats = late.render(None, &[submission(1, tick + 1, &drawn_for, &quads)], &display);
        full_rate.render(None, &[submission(1, n + 1, &display, &quads)], &display);
        let (frame, reference) = (late.read_frame().unwrap(), full_rate.read_frame().unwrap());
        if n % DISPLAY_PER_APP == 0 {
            assert_eq!(stats.layers_reprojected, 0, "frame {n} was drawn for its own pose: copied, not warped");
            assert!(frame == reference, "frame {n}: a layer drawn for the display pose shows as drawn");
            continue;
        }
        assert_eq!(stats.layers_reprojected, if reproject { 2 } else { 0 }, "frame {n}: one warp per eye");
        let error = compare(&profile, &frame, &reference);
        if reproject && (error.centroid_px > 1.5 || error.differing > 0.1) {
            let (a, b) = (save(&frame, &format!("reprojected-{n}")), save(&reference, &format!("full-rate-{n}")));
            panic!("frame {n}: {error:?}; see {a} and {b}");
        }
        mean.centroid_px += error.centroid_px;
        mean.differing += error.differing;
        worst.centroid_px = worst.centroid_px.max(error.centroid_px);
        worst.max_centroid_px = worst.max_centroid_px.max(error.max_centroid_px);
        worst.differing = worst.differing.max(error.differing);
        lagging += 1;
    }
    mean.centroid_px /= f64::from(lagging);
    mean.differing /= f64::from(lagging);
    (mean, worst)
}

#[test]
fn a_slow_app_is_reprojected_to_the_display_pose() {
    let (mean, worst) = run(true);
    // Every frame met 1.5 px and 10% (checked in `run`). Nearest-texel resampling moves an
    // edge by up to a pixel, and a partly hidden quad's centroid moves with what was just
    // disoccluded (unknown to the old frame); on average that stays well under a pixel.
    assert!(mean.centroid_px < 0.6, "quads land where a full-rate render puts them: {mean:?} (worst {worst:?})");
    assert!(worst.max_centroid_px < 2.0, "no quad strays: {worst:?}");
    assert!(mean.differing < 0.05, "most pixels agree with the full-rate render: {mean:?} (worst {worst:?})");
}

#[test]
fn without_reprojection_the_same_app_lags_behind_the_head() {
    let (mean, worst) = run(false);
    // Over twice the mean error of the reprojected frames, and a worst frame past their bound.
    assert!(mean.centroid_px > 1.2, "the quads trail the head by pixels: {mean:?} (worst {worst:?})");
    assert!(worst.centroid_px > 2.0, "{worst:?}");
    assert!(mean.differing > 0.07, "{mean:?}");
}

/// Translation needs depth: a sideways step moves a near quad across more pixels than a far
/// one, and the warp puts each where a full-rate render does.
#[test]
fn a_sideways_step_moves_near_things_more_than_far_ones() {
    let profile = profile(1, WIDTH, HEIGHT, "");
    let mut late = compositor(CompositorConfig::from_profile(&profile));
    let mut full_rate = compositor(CompositorConfig::from_profile(&profile));
    let near = Quad { centre: Vec3::new(-0.15, 0.0, -0.7), size: [0.12, 0.12], rgb: [1.0, 0.0, 0.0] };
    let far = Quad { centre: Vec3::new(0.8, 0.0, -3.0), size: [0.5, 0.5], rgb: [0.0, 1.0, 0.0] };
    let drawn_for = frame_at(&profile, Mat4::IDENTITY, 0);
    let display = frame_at(&profile, Mat4::from_translation(Vec3::new(0.04, 0.0, 0.0)), 3);
    late.render(None, &[submission(1, 1, &drawn_for, &[near, far])], &display);
    full_rate.render(None, &[submission(1, 1, &drawn_for, &[near, far])], &drawn_for);
    let before = full_rate.read_frame().unwrap();
    full_rate.render(None, &[submission(1, 2, &display, &[near, far])], &display);
    let (frame, reference) = (late.read_frame().unwrap(), full_rate.read_frame().unwrap());
    let x = |image: &RgbaImage, quad: &Quad| centroid(image, 0, WIDTH, quad.srgb(), 2).expect("quad in view").0[0];
    let (near_moved, far_moved) = (x(&reference, &near) - x(&before, &near), x(&reference, &far) - x(&before, &far));
    assert!(near_moved < -3.0 && near_moved < 3.0 * far_moved, "parallax: near {near_moved} px, far {far_moved} px");
    for quad in [near, far] {
        let error = x(&frame, &quad) - x(&reference, &quad);
        assert!(error.abs() < 0.75, "{:?} lands {error} px from the full-rate render", quad.rgb);
    }
}

/// Re-warping is skipped when nothing changed: the same submission at the same display pose
/// twice costs one warp per eye, once.
#[test]
fn an_unchanged_pose_is_not_warped_again() {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut c = compositor(CompositorConfig::from_profile(&profile));
    let drawn_for = frame_at(&profile, head_at(0.0), 0);
    let display = frame_at(&profile, head_at(0.05), 3);
    let layer = submission(1, 1, &drawn_for, &scene());
    assert_eq!(c.render(None, std::slice::from_ref(&layer), &display).layers_reprojected, 2);
    let first = c.read_frame().unwrap();
    assert_eq!(c.render(None, std::slice::from_ref(&layer), &display).layers_reprojected, 0);
    assert!(c.read_frame().unwrap() == first, "the display layers were kept");
}

/// Pixels where the app drew nothing stay empty through the warp: the frame is black outside
/// the quads, exactly as at full rate, even as they move.
#[test]
fn empty_pixels_stay_empty() {
    let profile = profile(1, WIDTH, HEIGHT, "");
    let mut late = compositor(CompositorConfig::from_profile(&profile));
    let mut full_rate = compositor(CompositorConfig::from_profile(&profile));
    let quad = [Quad { centre: Vec3::new(0.0, 0.0, -1.0), size: [0.3, 0.3], rgb: [1.0, 1.0, 1.0] }];
    let drawn_for = frame_at(&profile, head_at(0.0), 0);
    let display = frame_at(&profile, head_at(0.1), 6);
    late.render(None, &[submission(1, 1, &drawn_for, &quad)], &display);
    full_rate.render(None, &[submission(1, 1, &display, &quad)], &display);
    let (frame, reference) = (late.read_frame().unwrap(), full_rate.read_frame().unwrap());
    let (stray, missing) = (strays(&frame, &reference), strays(&reference, &frame));
    assert!(
        stray == 0 && missing == 0,
        "{stray} pixels lit and {missing} dark more than a pixel away from the full-rate render; see {} and {}",
        save(&frame, "empty-reprojected"),
        save(&reference, "empty-full-rate")
    );
}

/// A near panel in front of a far wall, and a step sideways: the panel slides over the wall
/// more than the wall moves, opening a gap on one side. The gap may stay empty (the old frame
/// never saw what is there) but the panel must not stretch across it like a rubber sheet.
#[test]
fn a_near_panel_does_not_smear_across_what_it_uncovers() {
    let profile = profile(1, WIDTH, HEIGHT, "");
    let mut late = compositor(CompositorConfig::from_profile(&profile));
    let mut full_rate = compositor(CompositorConfig::from_profile(&profile));
    let panel = Quad { centre: Vec3::new(0.0, 0.0, -0.6), size: [0.2, 0.15], rgb: [1.0, 0.0, 0.0] };
    let wall = Quad { centre: Vec3::new(0.0, 0.0, -3.0), size: [8.0, 6.0], rgb: [0.0, 0.0, 1.0] };
    let drawn_for = frame_at(&profile, Mat4::IDENTITY, 0);
    let display = frame_at(&profile, Mat4::from_translation(Vec3::new(0.05, 0.0, 0.0)), 3);
    late.render(None, &[submission(1, 1, &drawn_for, &[panel, wall])], &display);
    full_rate.render(None, &[submission(1, 1, &display, &[panel, wall])], &display);
    let (frame, reference) = (late.read_frame().unwrap(), full_rate.read_frame().unwrap());
    let only = |image: &RgbaImage, rgb: [u8; 3]| {
        let mut kept = image.clone();
        kept.pixels_mut().filter(|p| p.0[..3] != rgb).for_each(|p| p.0 = [0, 0, 0, 255]);
        kept
    };
    let smeared = strays(&only(&frame, panel.srgb()), &only(&reference, panel.srgb()));
    let misplaced = strays(&only(&frame, wall.srgb()), &only(&reference, wall.srgb()));
    // Away from the right edge, which the whole view slid off (the old frame never saw past it).
    let gap = frame.enumerate_pixels().filter(|(x, _, p)| *x < WIDTH - 3 && p.0[..3] == [0, 0, 0]).count();
    let (a, b) = (save(&frame, "smear-reprojected"), save(&reference, "smear-full-rate"));
    assert!(smeared == 0 && misplaced == 0, "{smeared} panel and {misplaced} wall pixels out of place; see {a} and {b}");
    // The gap: the panel's height (20 px) times its extra parallax (about 5 px).
    assert!(gap > 80 && gap < 140, "{gap} pixels uncovered; see {a} and {b}");
}

/// Surfaces that bend (a floor seen at a slant, a ridge where two walls meet) with panels in
/// front, under a head that turns and steps: the warped mesh stays watertight. Gaps may open
/// where a nearer surface slides off a farther one (the old frame never saw behind it), but
/// no pinhole opens inside a surface: no dark pixel has its four neighbours all of one colour.
#[test]
fn a_warped_surface_stays_watertight() {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut c = compositor(CompositorConfig::from_profile(&profile));
    let mut floor = Quad { centre: Vec3::ZERO, size: [1.0, 1.0], rgb: [0.6, 0.6, 0.6] }.draw();
    floor.model =
        Mat4::from_translation(Vec3::new(0.0, -0.6, -2.0)) * Mat4::from_rotation_x(-1.3) * Mat4::from_scale(Vec3::new(4.0, 4.0, 1.0));
    // A ridge pointing at the viewer: two walls sharing their front edge, as one mesh.
    let mut ridge = Quad { centre: Vec3::ZERO, size: [1.0, 1.0], rgb: [0.8, 0.4, 0.0] }.draw();
    let corner =
        |x: f32, y: f32, z: f32| Vertex { position: [x, y, z], normal: [0.0, 0.0, 1.0], color: [0.8, 0.4, 0.0, 1.0], uv: [0.0; 2] };
    let vertices = vec![
        corner(-0.6, 0.5, -2.5),
        corner(-0.1, 0.5, -1.9),
        corner(0.4, 0.5, -2.5),
        corner(-0.6, -0.3, -2.5),
        corner(-0.1, -0.3, -1.9),
        corner(0.4, -0.3, -2.5),
    ];
    ridge.vertices = std::sync::Arc::new(VertexData::new(vertices));
    ridge.indices = Some(std::sync::Arc::new(IndexData::new(vec![0, 3, 1, 1, 3, 4, 1, 4, 2, 2, 4, 5])));
    (ridge.count, ridge.model) = (12, Mat4::IDENTITY);
    let mut layer = (*submission(1, 1, &frame_at(&profile, Mat4::IDENTITY, 0), &scene())).clone();
    layer.draws.extend([floor, ridge]);
    let layer = std::sync::Arc::new(layer);
    for n in 1..6u64 {
        let head = Mat4::from_translation(Vec3::new(0.02 * n as f32, 0.01, 0.0)) * Mat4::from_rotation_y(-0.02 * n as f32);
        c.render(None, std::slice::from_ref(&layer), &frame_at(&profile, head, n));
        let frame = c.read_frame().unwrap();
        let rgb = |x: u32, y: u32| frame.get_pixel(x, y).0[..3].to_vec();
        let pinholes = (1..frame.height() - 1)
            .flat_map(|y| (1..frame.width() - 1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let around = [rgb(x - 1, y), rgb(x + 1, y), rgb(x, y - 1), rgb(x, y + 1)];
                rgb(x, y) == [0, 0, 0] && around[0] != [0, 0, 0] && around.iter().all(|c| *c == around[0])
            })
            .count();
        assert_eq!(pinholes, 0, "frame {n}: pinholes in the warped mesh; see {}", save(&frame, "watertight"));
    }
}

/// Pixels lit in `a` with no lit pixel of `b` within one pixel: a smear, or a hole.
fn strays(a: &RgbaImage, b: &RgbaImage) -> usize {
    let lit = |image: &RgbaImage, x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < i64::from(image.width())
            && y < i64::from(image.height())
            && image.get_pixel(x as u32, y as u32).0[..3].iter().any(|&c| c > 0)
    };
    let mut count = 0;
    for y in 0..i64::from(a.height()) {
        for x in 0..i64::from(a.width()) {
            let near = (-1..=1).any(|dy| (-1..=1).any(|dx| lit(b, x + dx, y + dy)));
            count += usize::from(lit(a, x, y) && !near);
        }
    }
    count
}
