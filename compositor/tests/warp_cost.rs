//! What reprojection costs on whatever adapter runs it (lavapipe in CI): a measurement, not a
//! check, so it is ignored unless asked for:
//! `cargo test --release -p visor-compositor --test warp_cost -- --ignored --nocapture`

mod support;

use glam::Vec3;
use support::{Quad, compositor, frame_at, head_at, profile, scene, seconds, submission};
use visor_compositor::CompositorConfig;

/// What the warp costs per frame at 640x480 per eye, stereo: frames whose display pose moves
/// (every layer warped, both eyes) against frames at a still pose (composite only), for the
/// test scene (panels over a fifth of the view) and for a wall that fills it; and, with a new
/// submission every frame, what sorting a new layer's tiles adds. Wall-clock time is the
/// fastest frame (the least disturbed by other work on the machine); CPU time (all threads,
/// lavapipe's included) the mean.
#[test]
#[ignore = "a measurement, not a check: run it on purpose"]
#[allow(clippy::print_stderr, reason = "the measurement is the output")]
fn warp_cost_at_640x480() {
    let profile = profile(2, 640, 480, "");
    let wall = [Quad { centre: Vec3::new(0.0, 0.0, -2.0), size: [8.0, 6.0], rgb: [0.5, 0.5, 0.5] }];
    for (name, quads, apps) in [("panels", &scene()[..], 1u32), ("panels", &scene()[..], 4), ("wall", &wall[..], 1)] {
        let mut c = compositor(CompositorConfig::from_profile(&profile));
        let drawn_for = frame_at(&profile, head_at(0.0), 0);
        let frames = 16u64;
        // (fastest wall-clock ms, mean CPU ms) per frame; `fresh`: a new submission every frame.
        let mut time = |moving: bool, fresh: bool| {
            let cpu = cpu_ms();
            let mut wall: Vec<f64> = (1..=frames)
                .map(|n| {
                    let sequence = if fresh { 1000 + n } else { 1 };
                    let layers: Vec<_> = (0..apps).map(|app| submission(app, sequence, &drawn_for, quads)).collect();
                    let display = if moving { frame_at(&profile, head_at(seconds(n)), n) } else { drawn_for.clone() };
                    c.render(None, &layers, &display).ms
                })
                .collect();
            wall.sort_by(f64::total_cmp);
            (wall[0], (cpu_ms() - cpu) / frames as f64)
        };
        time(true, false);
        let (still, moving) = (time(false, false), time(true, false));
        let (fresh_still, fresh_moving) = (time(false, true), time(true, true));
        let per = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0) / f64::from(apps * 2), (a.1 - b.1) / f64::from(apps * 2));
        let warp = per(moving, still);
        let sort = per(fresh_moving, fresh_still);
        eprintln!(
            "{name}, {apps} app(s), 640x480 x 2 eyes: composite only {:.1} ms ({:.1} ms CPU) a frame; per layer per eye, \
             a warp {:.1} ms ({:.1} ms CPU), sorting a new layer's tiles {:.1} ms ({:.1} ms CPU) more",
            still.0,
            still.1,
            warp.0,
            warp.1,
            sort.0 - warp.0,
            sort.1 - warp.1
        );
    }
}

/// CPU time of every thread of this process so far, in milliseconds (Linux).
fn cpu_ms() -> f64 {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc (Linux)");
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e6
}
