//! Golden images: a rendered frame compared with a reference PNG in `assets/golden/`, with a
//! tolerance for the small rasterization differences between drivers.
//!
//! On failure the actual image and a diff image are written to `target/golden/` and the
//! message says where. References are (re)written only when `VISOR_BLESS=1` is set — a missing
//! reference is a failure, never silently accepted.

use std::path::PathBuf;

use image::{Rgba, RgbaImage};

/// A pixel counts as different when a channel differs by more than this.
pub const CHANNEL_TOLERANCE: u8 = 6;
/// The share of pixels that may differ (edges rasterize a little differently across drivers).
pub const MAX_DIFFERING: f64 = 0.005;

fn golden_path(name: &str) -> PathBuf {
    super::repo().join("assets/golden").join(format!("{name}.png"))
}

fn failure_dir() -> PathBuf {
    super::repo().join("target/golden")
}

#[track_caller]
pub fn assert_golden(name: &str, actual: &RgbaImage) {
    let path = golden_path(name);
    if std::env::var_os("VISOR_BLESS").is_some_and(|v| v == "1") {
        actual.save(&path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = match image::open(&path) {
        Ok(image) => image.to_rgba8(),
        Err(e) => panic!("no usable golden image {} ({e}); render it with VISOR_BLESS=1 and review it", path.display()),
    };
    assert_eq!(expected.dimensions(), actual.dimensions(), "golden {name}: size differs");
    let mut diff = RgbaImage::new(actual.width(), actual.height());
    let mut differing = 0usize;
    for (x, y, a) in actual.enumerate_pixels() {
        let e = expected.get_pixel(x, y);
        let worst = (0..4).map(|i| a.0[i].abs_diff(e.0[i])).max().unwrap_or(0);
        if worst > CHANNEL_TOLERANCE {
            differing += 1;
            diff.put_pixel(x, y, Rgba([255, 0, 255, 255]));
        } else {
            let g = a.0[0] / 3 + a.0[1] / 3 + a.0[2] / 3;
            diff.put_pixel(x, y, Rgba([g / 2, g / 2, g / 2, 255]));
        }
    }
    let share = differing as f64 / f64::from(actual.width() * actual.height());
    if share > MAX_DIFFERING {
        let dir = failure_dir();
        let _ = std::fs::create_dir_all(&dir);
        let (a, d) = (dir.join(format!("{name}-actual.png")), dir.join(format!("{name}-diff.png")));
        let _ = actual.save(&a);
        let _ = diff.save(&d);
        panic!(
            "golden {name}: {:.2}% of pixels differ by more than {CHANNEL_TOLERANCE} (allowed {:.2}%); \
             see {} and {}",
            share * 100.0,
            MAX_DIFFERING * 100.0,
            a.display(),
            d.display()
        );
    }
}
