//! Camera bytes to RGBA8, the one conversion every live frame goes through.
//!
//! MJPEG frames are decoded with the `image` crate's JPEG decoder (each frame is a complete
//! JPEG). YUYV is packed 4:2:2 — `Y0 U Y1 V` covers two pixels — in BT.601 studio range
//! (Y 16–235), which is what UVC webcams send; the integer coefficients are the usual 8-bit
//! fixed-point form of that matrix.

use thiserror::Error;

use super::{CaptureMode, Encoding};

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error("a {width}x{height} MJPEG frame did not decode: {source}")]
    Jpeg { width: u32, height: u32, source: image::ImageError },
    #[error("a {width}x{height} YUYV frame holds {got} bytes, expected {expected}")]
    ShortYuyv { width: u32, height: u32, got: usize, expected: usize },
}

/// A decoded frame: size and tightly packed RGBA8 rows.
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Converts one frame in `mode`'s encoding. An MJPEG frame's own size wins over the mode's
/// (some cameras send another size than they announced).
pub fn to_rgba(mode: CaptureMode, data: &[u8]) -> Result<Rgba, ConvertError> {
    let (width, height) = (mode.width, mode.height);
    match mode.encoding {
        Encoding::Mjpeg => {
            let image = image::load_from_memory_with_format(data, image::ImageFormat::Jpeg)
                .map_err(|source| ConvertError::Jpeg { width, height, source })?
                .into_rgba8();
            Ok(Rgba { width: image.width(), height: image.height(), pixels: image.into_raw() })
        }
        Encoding::Yuyv => {
            let expected = width as usize * height as usize * 2;
            if data.len() < expected || width % 2 != 0 {
                return Err(ConvertError::ShortYuyv { width, height, got: data.len(), expected });
            }
            Ok(Rgba { width, height, pixels: yuyv_to_rgba(&data[..expected]) })
        }
    }
}

fn yuyv_to_rgba(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 2);
    for quad in data.chunks_exact(4) {
        let (u, v) = (i32::from(quad[1]) - 128, i32::from(quad[3]) - 128);
        for y in [quad[0], quad[2]] {
            let c = 298 * (i32::from(y) - 16) + 128;
            let clamp = |x: i32| (x >> 8).clamp(0, 255) as u8;
            out.extend_from_slice(&[clamp(c + 409 * v), clamp(c - 100 * u - 208 * v), clamp(c + 516 * u), 255]);
        }
    }
    out
}

/// RGBA8 to YUYV (BT.601 studio range), averaging chroma over each pixel pair: the inverse of
/// [`to_rgba`], used to feed recorded frames through the YUYV path in tests.
pub fn rgba_to_yuyv(pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixels.len() / 2);
    for pair in pixels.chunks_exact(8) {
        let yuv = |p: &[u8]| {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
            let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
            let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
            (y, u, v)
        };
        let (y0, u0, v0) = yuv(&pair[..4]);
        let (y1, u1, v1) = yuv(&pair[4..]);
        out.extend_from_slice(&[y0 as u8, ((u0 + u1) / 2) as u8, y1 as u8, ((v0 + v1) / 2) as u8]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk_frame() -> (Vec<u8>, image::RgbaImage) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/desk/frame_003.jpg");
        let bytes = std::fs::read(&path).unwrap();
        let decoded = image::open(&path).unwrap().into_rgba8();
        (bytes, decoded)
    }

    #[test]
    fn an_mjpeg_frame_decodes_like_the_file_it_came_from() {
        let (bytes, expected) = desk_frame();
        let mode = CaptureMode { width: 320, height: 240, fps: 30, encoding: Encoding::Mjpeg };
        let rgba = to_rgba(mode, &bytes).unwrap();
        assert_eq!((rgba.width, rgba.height), (320, 240));
        assert_eq!(rgba.pixels, expected.into_raw());
        // Half a frame from the middle (no JPEG header) is refused, not misread.
        assert!(matches!(to_rgba(mode, &bytes[bytes.len() / 2..]), Err(ConvertError::Jpeg { .. })));
    }

    #[test]
    fn studio_range_yuyv_maps_to_full_range_rgb() {
        let mode = CaptureMode { width: 2, height: 1, fps: 30, encoding: Encoding::Yuyv };
        let rgba = |yuyv: [u8; 4]| to_rgba(mode, &yuyv).unwrap().pixels;
        assert_eq!(rgba([16, 128, 235, 128]), [0, 0, 0, 255, 255, 255, 255, 255]);
        // Pure red in BT.601: Y 81, U 90, V 240.
        let red = rgba([81, 90, 81, 240]);
        assert!(red[0] > 250 && red[1] < 5 && red[2] < 5, "{red:?}");
        assert!(matches!(to_rgba(mode, &[16, 128]), Err(ConvertError::ShortYuyv { got: 2, expected: 4, .. })));
    }

    #[test]
    fn a_real_frame_survives_a_yuyv_round_trip() {
        let (_, expected) = desk_frame();
        let yuyv = rgba_to_yuyv(expected.as_raw());
        let mode = CaptureMode { width: 320, height: 240, fps: 30, encoding: Encoding::Yuyv };
        let back = to_rgba(mode, &yuyv).unwrap().pixels;
        let total: u64 = back.iter().zip(expected.as_raw()).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
        let mean = total as f64 / back.len() as f64;
        // Chroma is shared by pixel pairs, so edges blur a little; the picture must not shift.
        assert!(mean < 3.0, "mean error {mean}");
    }
}
