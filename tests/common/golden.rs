//! Golden images, the one helper every pixel test uses: a rendered frame compared with a
//! reference PNG in `tests/golden/`, with a tolerance for the small rasterization differences
//! between drivers.
//!
//! On failure the actual image and a diff image (differing pixels magenta over a dimmed copy)
//! are written to `target/golden/` and the message says where. References are (re)written only
//! when `VISOR_BLESS=1` is set — a missing reference is a failure, never silently accepted.
//! [`assert_same`] compares two renders of one frame with each other the same way.

use std::path::PathBuf;

use image::{Rgba, RgbaImage};

/// How far an image may be from its reference.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// A pixel counts as different when a colour channel differs by more than this.
    pub channel: u8,
    /// The share of pixels that may differ (edges rasterize a little differently).
    pub max_differing: f64,
    /// The largest mean difference per channel over the whole image.
    pub max_mean: f64,
}

/// Offscreen renders on one adapter: tight.
pub const OFFSCREEN: Tolerance = Tolerance { channel: 6, max_differing: 0.005, max_mean: 2.0 };
/// A window's pixels read back from the X server after the present pass's filtering.
pub const WINDOW: Tolerance = Tolerance { channel: 24, max_differing: 0.01, max_mean: 1.5 };

pub fn golden_path(name: &str) -> PathBuf {
    super::repo().join("tests/golden").join(format!("{name}.png"))
}

pub fn blessing() -> bool {
    std::env::var_os("VISOR_BLESS").is_some_and(|v| v == "1")
}

/// Why an image is not its reference, and the diff image that shows where.
pub struct Mismatch {
    pub why: String,
    pub diff: RgbaImage,
}

/// Compares `actual` with `expected` under `tolerance`.
pub fn compare_images(expected: &RgbaImage, actual: &RgbaImage, tolerance: Tolerance) -> Result<(), Mismatch> {
    if expected.dimensions() != actual.dimensions() {
        let why = format!("size {:?}, the reference's {:?}", actual.dimensions(), expected.dimensions());
        return Err(Mismatch { why, diff: actual.clone() });
    }
    let mut diff = RgbaImage::new(actual.width(), actual.height());
    let (mut differing, mut total) = (0usize, 0u64);
    for (x, y, a) in actual.enumerate_pixels() {
        let e = expected.get_pixel(x, y);
        let deltas = [0, 1, 2].map(|i| a.0[i].abs_diff(e.0[i]));
        total += deltas.iter().map(|&d| u64::from(d)).sum::<u64>();
        if deltas.iter().any(|&d| d > tolerance.channel) {
            differing += 1;
            diff.put_pixel(x, y, Rgba([255, 0, 255, 255]));
        } else {
            let g = ((u16::from(a.0[0]) + u16::from(a.0[1]) + u16::from(a.0[2])) / 6) as u8;
            diff.put_pixel(x, y, Rgba([g, g, g, 255]));
        }
    }
    let pixels = f64::from(actual.width() * actual.height());
    let (share, mean) = (differing as f64 / pixels, total as f64 / (pixels * 3.0));
    if share > tolerance.max_differing || mean > tolerance.max_mean {
        let why = format!(
            "{:.2}% of pixels differ by more than {} (allowed {:.2}%), mean difference {mean:.2} (allowed {})",
            share * 100.0,
            tolerance.channel,
            tolerance.max_differing * 100.0,
            tolerance.max_mean
        );
        return Err(Mismatch { why, diff });
    }
    Ok(())
}

/// Compares `actual` with `tests/golden/NAME.png`.
pub fn compare(name: &str, actual: &RgbaImage, tolerance: Tolerance) -> Result<(), Mismatch> {
    let path = golden_path(name);
    match image::open(&path) {
        Ok(expected) => compare_images(&expected.to_rgba8(), actual, tolerance),
        Err(e) => Err(Mismatch {
            why: format!("no usable golden image {} ({e}); render it with VISOR_BLESS=1 and review it", path.display()),
            diff: actual.clone(),
        }),
    }
}

/// Fails with the mismatch's reason after writing `target/golden/NAME-{actual,diff}.png`.
#[track_caller]
pub fn fail(name: &str, actual: &RgbaImage, mismatch: &Mismatch) -> ! {
    let dir = super::repo().join("target/golden");
    let _ = std::fs::create_dir_all(&dir);
    let (a, d) = (dir.join(format!("{name}-actual.png")), dir.join(format!("{name}-diff.png")));
    let _ = actual.save(&a);
    let _ = mismatch.diff.save(&d);
    panic!("golden {name}: {}; see {} and {}", mismatch.why, a.display(), d.display());
}

/// `actual` matches `tests/golden/NAME.png` (offscreen tolerance), or is written there when
/// blessing.
#[track_caller]
pub fn assert_golden(name: &str, actual: &RgbaImage) {
    assert_golden_within(name, actual, OFFSCREEN);
}

/// [`assert_golden`] with a tolerance of the caller's.
#[track_caller]
pub fn assert_golden_within(name: &str, actual: &RgbaImage, tolerance: Tolerance) {
    if blessing() {
        let path = golden_path(name);
        actual.save(&path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    if let Err(mismatch) = compare(name, actual, tolerance) {
        fail(name, actual, &mismatch);
    }
}

/// Two renders of the same frame (`what` names them in a failure) match within `tolerance`.
#[track_caller]
pub fn assert_same(what: &str, expected: &RgbaImage, actual: &RgbaImage, tolerance: Tolerance) {
    if let Err(mismatch) = compare_images(expected, actual, tolerance) {
        fail(what, actual, &mismatch);
    }
}
