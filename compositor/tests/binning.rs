//! Binning layers into regions by their bounds must not change a pixel: each frame here is
//! composited twice — binned (as `visor run` does) and with every region walking every layer —
//! and the two must be identical, bit for bit, while several apps' layers overlap, sit apart,
//! are warped to a moving head (their bounds then come from the display eye, with a margin),
//! and one is translucent and in front of the others.

mod support;

use glam::Vec3;
use support::{Quad, compositor, frame_at, head_at, profile, scene, seconds, submission};
use visor_compositor::CompositorConfig;
use visor_types::CameraFrame;

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;

#[test]
fn binned_and_unbinned_composites_are_identical() {
    let profile = profile(2, WIDTH, HEIGHT, "");
    let mut binned = compositor(CompositorConfig::from_profile(&profile));
    let mut unbinned = compositor(CompositorConfig::from_profile(&profile));
    unbinned.set_layer_binning(false);
    // A camera picture with structure, so a region that wrongly takes the camera shows.
    let pixels: Vec<u8> = (0..64 * 48 * 4).map(|i| (i * 37 % 251) as u8).collect();
    let camera = CameraFrame { width: 64, height: 48, pixels: pixels.into(), timestamp_ns: 0, sequence: 1 };
    let quads = scene();
    let glass = [Quad { centre: Vec3::new(0.0, 0.0, -0.9), size: [0.4, 0.3], rgb: [0.2, 0.6, 0.9] }];
    let mut compared = 0;
    for n in 0..12u64 {
        // Apps at a quarter of the display rate: three of every four frames are warped.
        let tick = n / 4 * 4;
        let drawn_for = frame_at(&profile, head_at(seconds(tick)), tick);
        let display = frame_at(&profile, head_at(seconds(n)), n);
        let mut translucent = submission(4, tick + 1, &drawn_for, &glass);
        if let Some(s) = std::sync::Arc::get_mut(&mut translucent) {
            for draw in &mut s.draws {
                let mut vertices = (*draw.vertices).clone();
                for (i, v) in vertices.write(0, vertices.vertices.len() as u32, false).iter_mut().enumerate() {
                    v.color[3] = 0.5 + 0.1 * i as f32;
                }
                draw.vertices = std::sync::Arc::new(vertices);
            }
        }
        let layers = vec![
            submission(1, tick + 1, &drawn_for, &quads[..2]),
            submission(2, tick + 1, &drawn_for, &quads[2..3]),
            submission(3, tick + 1, &drawn_for, &quads[3..]),
            translucent,
        ];
        binned.render(Some(&camera), &layers, &display);
        unbinned.render(Some(&camera), &layers, &display);
        let census = binned.tile_census();
        // Otherwise every region would walk and nothing would be tested.
        assert!(census.iter().all(|[empty, one, _]| empty + one > 0.1), "too few uncontested tiles: {census:?}");
        let (a, b) = (binned.read_frame().unwrap(), unbinned.read_frame().unwrap());
        let differing = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
        assert_eq!(differing, 0, "frame {n}: {differing} pixels differ between the binned and unbinned composite");
        compared += 1;
    }
    assert_eq!(compared, 12);
}
