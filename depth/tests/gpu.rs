//! The GPU matcher against the CPU one on the Motorcycle pair (`assets/camera/motorcycle`):
//! the same steps in integer maths, so the same disparities. When this test was written on
//! lavapipe the two agreed exactly: every pixel valid in both or neither, and every disparity
//! and confidence bit-identical (see AGREEMENT below for what is required).
//!
//! There is no skipping here: CI renders on lavapipe, so an adapter that does not open is a
//! failure with the fix in its message.

#![allow(clippy::print_stdout, reason = "the test reports its timings and agreement, seen with --nocapture")]

use std::path::PathBuf;
use std::time::Instant;

use visor_depth::gpu::GpuMatcher;
use visor_depth::score::score;
use visor_depth::{Disparity, Gray, StereoParams, cpu};

fn session() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/motorcycle")
}

/// Shares of pixels that must agree: validity over all pixels, and disparity within
/// `TOLERANCE_PX` over pixels valid in both. Measured: 1.0 and 1.0 (exact).
const AGREEMENT: f32 = 0.995;
const TOLERANCE_PX: f32 = 0.05;
/// The CPU path's own bound (tests/motorcycle.rs).
const BAD_2_DENSE_AT_MOST: f32 = 0.15;

fn matcher() -> GpuMatcher {
    GpuMatcher::headless().unwrap_or_else(|e| {
        panic!("{e}\nthe GPU matcher must be tested: install lavapipe (mesa-vulkan-drivers, libvulkan1) or point WGPU_BACKEND at a working backend")
    })
}

#[test]
fn gpu_matches_the_cpu_on_the_motorcycle() {
    let left = Gray::open(&session().join("left.png")).unwrap();
    let right = Gray::open(&session().join("right.png")).unwrap();
    let truth = Disparity::open_units(&session().join("disparity-truth.png")).unwrap();
    let params = StereoParams::default();
    let gpu = matcher();

    let start = Instant::now();
    let first = gpu.match_pair(&left, &right, &params).unwrap();
    let gpu_first_ms = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let ours = gpu.match_pair(&left, &right, &params).unwrap();
    let gpu_ms = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let theirs = cpu::match_pair(&left, &right, &params).unwrap();
    let cpu_ms = start.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{}x{} on {}: GPU {gpu_first_ms:.0} ms (first frame, buffers made) then {gpu_ms:.0} ms; CPU {cpu_ms:.0} ms",
        left.width,
        left.height,
        gpu.adapter_name()
    );
    assert_eq!(first, ours, "a second frame of the same shape gives the same result");

    let (same_validity, close, both) = agreement(&ours, &theirs);
    let exact = ours == theirs;
    println!(
        "validity agrees on {:.4} of pixels; {:.4} of {both} valid in both within {TOLERANCE_PX} px; exact: {exact}",
        same_validity, close
    );
    assert!(same_validity >= AGREEMENT, "validity agrees on only {same_validity} of pixels");
    assert!(close >= AGREEMENT, "only {close} of pixels valid in both are within {TOLERANCE_PX} px");

    let s = score(&ours, &truth, 2.0);
    println!("GPU {s:?}");
    assert!(s.bad_dense <= BAD_2_DENSE_AT_MOST, "{s:?}");
}

/// (share of pixels valid in both or neither, share of those valid in both within the
/// tolerance, how many are valid in both).
fn agreement(a: &Disparity, b: &Disparity) -> (f32, f32, usize) {
    let n = a.values.len();
    let (mut same, mut both, mut close) = (0, 0, 0);
    for (&x, &y) in a.values.iter().zip(&b.values) {
        same += usize::from((x >= 0.0) == (y >= 0.0));
        if x >= 0.0 && y >= 0.0 {
            both += 1;
            close += usize::from((x - y).abs() <= TOLERANCE_PX);
        }
    }
    (same as f32 / n as f32, close as f32 / both.max(1) as f32, both)
}

/// A pixel count that is not a multiple of four (the grey upload pads), taller than wide
/// diagonals, other disparity ranges and penalties, one matcher remaking its buffers for each
/// shape: still exactly the CPU's result.
#[test]
fn gpu_is_exact_on_odd_crops() {
    let gpu = matcher();
    let left = Gray::open(&session().join("left.png")).unwrap();
    let right = Gray::open(&session().join("right.png")).unwrap();
    let shapes = [(123, 77, 16, 7, 90), (61, 130, 40, 3, 300), (123, 77, 16, 10, 120)];
    for (width, height, max_disparity, p1, p2) in shapes {
        let (l, r) = (crop(&left, 300, 200, width, height), crop(&right, 300, 200, width, height));
        let params = StereoParams { max_disparity, p1, p2, min_confidence: 20, ..StereoParams::default() };
        let ours = gpu.match_pair(&l, &r, &params).unwrap();
        assert_eq!(ours, cpu::match_pair(&l, &r, &params).unwrap(), "{width}x{height}, {params:?}");
    }
}

fn crop(image: &Gray, x0: u32, y0: u32, width: u32, height: u32) -> Gray {
    let pixels = (y0..y0 + height)
        .flat_map(|y| (x0..x0 + width).map(move |x| (x, y)))
        .map(|(x, y)| image.pixels[(y * image.width + x) as usize])
        .collect();
    Gray { width, height, pixels }
}

#[test]
fn gpu_rejects_what_the_cpu_rejects() {
    let gpu = matcher();
    let small = Gray { width: 8, height: 8, pixels: vec![0; 64] };
    assert!(gpu.match_pair(&small, &small, &StereoParams::default()).is_err());
    let image = Gray { width: 32, height: 32, pixels: vec![0; 32 * 32] };
    let params = StereoParams { max_disparity: 12, ..StereoParams::default() };
    assert!(gpu.match_pair(&image, &image, &params).is_err());
}
