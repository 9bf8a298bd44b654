//! Tests for [`ReplayCamera`]: playback by time, every open-time error, and the shipped clip.
//! Each test builds its own clip in a fresh temporary folder, removed when the test ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use image::{Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

const NS: u64 = 1_000_000_000;

/// A folder under the system temp dir, unique per process and test, deleted on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("visor-drivers-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn png(&self, name: &str, width: u32, height: u32, colour: [u8; 4]) {
        RgbaImage::from_pixel(width, height, Rgba(colour)).save(self.0.join(name)).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn frames_play_in_name_order_and_loop_by_time() {
    let dir = TempDir::new("loop");
    // Written out of order, with a non-image file beside them: name order must win.
    dir.png("b.png", 4, 2, [0, 255, 0, 255]);
    dir.png("c.PNG", 4, 2, [0, 0, 255, 255]);
    dir.png("a.png", 4, 2, [255, 0, 0, 255]);
    std::fs::write(dir.path().join("SOURCE.md"), "notes").unwrap();

    let mut camera = ReplayCamera::open(dir.path(), 10.0).unwrap();
    assert_eq!((camera.len(), camera.size()), (3, (4, 2)));
    assert!(camera.describe().ends_with("(3 frames)"), "{}", camera.describe());

    let red = camera.frame_at(0).unwrap();
    assert_eq!(&red.pixels[..4], &[255, 0, 0, 255]);
    assert_eq!(red.pixels.len(), 4 * 2 * 4);

    // 0.1 s in at 10 fps is frame 1; 0.29 s is still frame 2.
    let green = camera.frame_at(NS / 10).unwrap();
    assert_eq!((&green.pixels[..4], green.sequence, green.timestamp_ns), (&[0, 255, 0, 255][..], 1, NS / 10));
    assert_eq!(&camera.frame_at(290_000_000).unwrap().pixels[..4], &[0, 0, 255, 255]);

    // Frame 3 wraps to the first image: same buffer, but a new sequence number.
    let again = camera.frame_at(3 * NS / 10).unwrap();
    assert!(Arc::ptr_eq(&again.pixels, &red.pixels));
    assert_eq!(again.sequence, 3);
}

#[test]
fn a_folder_without_images_is_refused_by_name() {
    let dir = TempDir::new("empty");
    std::fs::write(dir.path().join("README.txt"), "nothing to see").unwrap();
    let err = ReplayCamera::open(dir.path(), 10.0).err().expect("no images must fail");
    assert!(matches!(err, CameraError::EmptyFolder { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(&dir.path().display().to_string()), "{message}");
    assert!(message.contains("no PNG or JPEG files"), "{message}");
}

#[test]
fn a_corrupt_file_is_named() {
    let dir = TempDir::new("corrupt");
    dir.png("a.png", 4, 2, [1, 2, 3, 255]);
    std::fs::write(dir.path().join("b.png"), b"this is not a png").unwrap();
    let err = ReplayCamera::open(dir.path(), 10.0).err().expect("a corrupt frame must fail");
    let CameraError::BadFrame { path, .. } = &err else { panic!("wrong error: {err}") };
    assert_eq!(path.file_name().unwrap(), "b.png");
    assert!(err.to_string().contains("b.png"), "{err}");
}

#[test]
fn frames_of_different_sizes_name_the_odd_file() {
    let dir = TempDir::new("sizes");
    dir.png("a.png", 4, 2, [1, 2, 3, 255]);
    // A JPEG too, so the mixed-format path is exercised (JPEG has no alpha channel).
    RgbImage::from_pixel(8, 8, Rgb([9, 9, 9])).save(dir.path().join("b.jpg")).unwrap();
    let err = ReplayCamera::open(dir.path(), 10.0).err().expect("mixed sizes must fail");
    let CameraError::SizeMismatch { path, width, height, .. } = &err else { panic!("wrong error: {err}") };
    assert_eq!((path.file_name().unwrap().to_str(), *width, *height), (Some("b.jpg"), 8, 8));
    let message = err.to_string();
    assert!(message.contains("b.jpg is 8x8") && message.contains("a.png is 4x2"), "{message}");
}

#[test]
fn a_bad_rate_is_refused_before_reading_anything() {
    let err = ReplayCamera::open(Path::new("/no/such/folder"), 0.0).err().expect("fps 0 must fail");
    assert!(matches!(err, CameraError::BadFps { .. }), "{err}");
}

#[test]
fn the_desk_clip_holds_eight_moving_frames_of_320x240() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/desk");
    let mut camera = ReplayCamera::open(&folder, 8.0).unwrap();
    assert_eq!((camera.len(), camera.size()), (8, (320, 240)));

    let frames: Vec<_> = (0..8).map(|i| camera.frame_at(i * NS / 8).unwrap()).collect();
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame.sequence, i as u64);
        assert_eq!(frame.pixels.len(), 320 * 240 * 4);
        assert!(frame.pixels.chunks_exact(4).all(|p| p[3] == 255), "frame {i} must be opaque");
    }
    // A pan: neighbouring frames differ.
    for pair in frames.windows(2) {
        assert_ne!(pair[0].pixels, pair[1].pixels);
    }
}
