//! How one bus message crosses a link: its payload as the Zenoh payload (JSON as JSON, text as
//! UTF-8, bytes as they are, frames as PNG, JPEG or raw pixels), named by a Zenoh encoding
//! that any client reads (`application/json`, `image/png` …), and the sender's stamp as a small
//! JSON attachment ([`Stamp`]).
//!
//! Decoding is where a remote's mistakes stop: a payload that does not parse, an image whose
//! header promises more than [`MAX_FRAME_PIXELS`], a frame description that does not fit its
//! bytes: each is a [`WireError`] naming the key, never a panic and never an unbounded buffer.

use std::io::Cursor;
use std::sync::Arc;

use image::ImageEncoder;
use serde::{Deserialize, Serialize};
use visor_runtime::bus::{FrameHandle, Payload, PixelFormat};
use visor_types::profile::FrameEncoding;
use zenoh::bytes::Encoding;

/// Largest frame a remote may send, in pixels (8K).
pub const MAX_FRAME_PIXELS: u64 = 7680 * 4320;

/// Largest attachment read.
const MAX_STAMP_BYTES: usize = 4096;

/// What the sending host says about a message. A plain Zenoh client sends none, and its
/// messages are stamped as from the module `zenoh` of the device its key names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// The sending module's name on its own device.
    #[serde(default, rename = "m")]
    pub module: Option<String>,
    /// The sender's bus sequence number and clock (nanoseconds) at publish.
    #[serde(default, rename = "q")]
    pub sequence: u64,
    #[serde(default, rename = "t")]
    pub sent_ns: u64,
    /// For a request: the device asking (checked against the key it asked on).
    #[serde(default, rename = "d", skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// For a frame: what the encoded image does not say.
    #[serde(default, rename = "f", skip_serializing_if = "Option::is_none")]
    pub frame: Option<FrameStamp>,
}

/// A frame's description beside its encoded pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameStamp {
    pub width: u32,
    pub height: u32,
    /// `rgba8`, `z16` or `depth` (the pixel layouts of [`PixelFormat`]).
    pub format: WireFormat,
    pub timestamp_ns: u64,
    pub sequence: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireFormat {
    Rgba8,
    Z16,
    Depth,
}

impl From<PixelFormat> for WireFormat {
    fn from(format: PixelFormat) -> WireFormat {
        match format {
            PixelFormat::Rgba8 => WireFormat::Rgba8,
            PixelFormat::Z16 => WireFormat::Z16,
            PixelFormat::DepthConfidence => WireFormat::Depth,
        }
    }
}

impl From<WireFormat> for PixelFormat {
    fn from(format: WireFormat) -> PixelFormat {
        match format {
            WireFormat::Rgba8 => PixelFormat::Rgba8,
            WireFormat::Z16 => PixelFormat::Z16,
            WireFormat::Depth => PixelFormat::DepthConfidence,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{key}: {what}")]
    Bad { key: String, what: String },
}

fn bad(key: &str, what: impl Into<String>) -> WireError {
    WireError::Bad { key: key.to_string(), what: what.into() }
}

/// One message ready for the link.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    pub stamp: Stamp,
}

impl Stamp {
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings and numbers always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads an attachment; none (a plain client) is the empty stamp.
    pub fn parse(key: &str, bytes: Option<&[u8]>) -> Result<Stamp, WireError> {
        match bytes {
            None => Ok(Stamp::default()),
            Some(b) if b.len() > MAX_STAMP_BYTES => {
                Err(bad(key, format!("an attachment of {} bytes (at most {MAX_STAMP_BYTES})", b.len())))
            }
            Some(b) => serde_json::from_slice(b).map_err(|e| bad(key, format!("the attachment is not a Visor stamp: {e}"))),
        }
    }
}

/// Encodes `payload` for the link; frames as `frames` says (JPEG only for RGBA pictures).
pub fn encode(payload: &Payload, mut stamp: Stamp, frames: FrameEncoding, jpeg_quality: u8) -> Result<Encoded, WireError> {
    let (bytes, encoding) = match payload {
        Payload::Empty => (Vec::new(), Encoding::ZENOH_BYTES),
        Payload::Bytes(b) => (b.to_vec(), Encoding::APPLICATION_OCTET_STREAM),
        Payload::Text(t) => (t.as_bytes().to_vec(), Encoding::TEXT_PLAIN),
        Payload::Json(v) => (serde_json::to_vec(&**v).map_err(|e| bad("json", e.to_string()))?, Encoding::APPLICATION_JSON),
        Payload::Frame(frame) => {
            stamp.frame = Some(FrameStamp {
                width: frame.width(),
                height: frame.height(),
                format: frame.format().into(),
                timestamp_ns: frame.timestamp_ns(),
                sequence: frame.sequence(),
            });
            encode_frame(frame, frames, jpeg_quality)?
        }
    };
    Ok(Encoded { bytes, encoding, stamp })
}

fn encode_frame(frame: &FrameHandle, frames: FrameEncoding, jpeg_quality: u8) -> Result<(Vec<u8>, Encoding), WireError> {
    let packed = packed_rows(frame)?;
    let (w, h) = (frame.width(), frame.height());
    let mut out = Vec::new();
    let fail = |e: image::ImageError| bad("frame", e.to_string());
    match (frame.format(), frames) {
        (_, FrameEncoding::Raw) => Ok((packed.into_owned(), Encoding::APPLICATION_OCTET_STREAM)),
        (PixelFormat::Rgba8, FrameEncoding::Jpeg) => {
            // JPEG has no alpha: the picture's colour goes, its alpha (always opaque from a camera) stays behind.
            let rgb: Vec<u8> = packed.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, jpeg_quality)
                .write_image(&rgb, w, h, image::ExtendedColorType::Rgb8)
                .map_err(fail)?;
            Ok((out, Encoding::IMAGE_JPEG))
        }
        (PixelFormat::Rgba8, FrameEncoding::Png) => {
            fast_png(&mut out).write_image(&packed, w, h, image::ExtendedColorType::Rgba8).map_err(fail)?;
            Ok((out, Encoding::IMAGE_PNG))
        }
        (PixelFormat::Z16, _) => {
            // Z16 is little-endian; the encoder takes 16-bit samples in native order.
            let native: Vec<u8> = packed.chunks_exact(2).flat_map(|v| u16::from_le_bytes([v[0], v[1]]).to_ne_bytes()).collect();
            fast_png(&mut out).write_image(&native, w, h, image::ExtendedColorType::L16).map_err(fail)?;
            Ok((out, Encoding::IMAGE_PNG))
        }
        // Depth with confidence has no image format; its bytes go as they are.
        (PixelFormat::DepthConfidence, _) => Ok((packed.into_owned(), Encoding::APPLICATION_OCTET_STREAM)),
    }
}

fn fast_png(out: &mut Vec<u8>) -> image::codecs::png::PngEncoder<&mut Vec<u8>> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    PngEncoder::new_with_quality(out, CompressionType::Fast, FilterType::Sub)
}

/// The frame's rows without stride padding: borrowed when there is none, else copied by the
/// frame's own [`FrameHandle::read_region`].
fn packed_rows(frame: &FrameHandle) -> Result<std::borrow::Cow<'_, [u8]>, WireError> {
    let whole = frame.region_len(frame.width(), frame.height());
    if frame.stride() == frame.width() * frame.format().bytes_per_pixel() {
        return Ok(std::borrow::Cow::Borrowed(&frame.pixels()[..whole]));
    }
    let rows = frame.read_region(0, 0, frame.width(), frame.height()).map_err(|e| bad("frame", e.to_string()))?;
    Ok(std::borrow::Cow::Owned(rows))
}

/// Rebuilds the payload a remote sent on `key`. The encoding decides the variant; a frame needs
/// the stamp's description.
pub fn decode(key: &str, bytes: Vec<u8>, encoding: &Encoding, stamp: &Stamp) -> Result<Payload, WireError> {
    if let Some(frame) = &stamp.frame {
        return decode_frame(key, bytes, encoding, frame);
    }
    if *encoding == Encoding::APPLICATION_JSON {
        return serde_json::from_slice(&bytes).map(|v| Payload::Json(Arc::new(v))).map_err(|e| bad(key, format!("not JSON: {e}")));
    }
    if *encoding == Encoding::TEXT_PLAIN || *encoding == Encoding::ZENOH_STRING {
        return String::from_utf8(bytes).map(Payload::text).map_err(|_| bad(key, "text that is not UTF-8"));
    }
    if bytes.is_empty() {
        return Ok(Payload::Empty);
    }
    Ok(Payload::bytes(bytes))
}

fn decode_frame(key: &str, bytes: Vec<u8>, encoding: &Encoding, f: &FrameStamp) -> Result<Payload, WireError> {
    let pixels = u64::from(f.width) * u64::from(f.height);
    if pixels == 0 || pixels > MAX_FRAME_PIXELS {
        return Err(bad(key, format!("a {}x{} frame (at most {MAX_FRAME_PIXELS} pixels)", f.width, f.height)));
    }
    let format = PixelFormat::from(f.format);
    let data = if *encoding == Encoding::APPLICATION_OCTET_STREAM {
        bytes
    } else {
        let mut reader = image::ImageReader::new(Cursor::new(&bytes));
        reader.set_format(if *encoding == Encoding::IMAGE_JPEG { image::ImageFormat::Jpeg } else { image::ImageFormat::Png });
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(f.width);
        limits.max_image_height = Some(f.height);
        limits.max_alloc = Some(pixels * 4 + (1 << 20));
        reader.limits(limits);
        let image = reader.decode().map_err(|e| bad(key, format!("the frame's image does not decode: {e}")))?;
        if (image.width(), image.height()) != (f.width, f.height) {
            return Err(bad(key, format!("the image is {}x{}, the stamp says {}x{}", image.width(), image.height(), f.width, f.height)));
        }
        match format {
            PixelFormat::Rgba8 => image.into_rgba8().into_raw(),
            PixelFormat::Z16 => image.into_luma16().into_raw().iter().flat_map(|v| v.to_le_bytes()).collect(),
            PixelFormat::DepthConfidence => return Err(bad(key, "depth frames cross as raw bytes, not images")),
        }
    };
    let stride = f.width * format.bytes_per_pixel();
    FrameHandle::new(f.width, f.height, stride, format, data.into(), f.timestamp_ns, f.sequence)
        .map(Payload::Frame)
        .map_err(|e| bad(key, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(payload: &Payload, frames: FrameEncoding) -> Payload {
        let encoded = encode(payload, Stamp { module: Some("camera".into()), ..Stamp::default() }, frames, 90).unwrap();
        let stamp = Stamp::parse("k", Some(&encoded.stamp.to_bytes())).unwrap();
        assert_eq!(stamp.module.as_deref(), Some("camera"));
        decode("k", encoded.bytes, &encoded.encoding, &stamp).unwrap()
    }

    #[test]
    fn values_cross_as_they_left() {
        let json = Payload::json(&serde_json::json!({"faces": [1, 2]})).unwrap();
        assert_eq!(round_trip(&json, FrameEncoding::Png).decode::<serde_json::Value>().unwrap(), serde_json::json!({"faces": [1, 2]}));
        assert_eq!(round_trip(&Payload::text("hello"), FrameEncoding::Png).as_text(), Some("hello"));
        assert_eq!(round_trip(&Payload::bytes(vec![0, 1, 2]), FrameEncoding::Png).as_bytes(), Some(&[0u8, 1, 2][..]));
        assert!(matches!(round_trip(&Payload::Empty, FrameEncoding::Png), Payload::Empty));
    }

    fn gradient(width: u32, height: u32, stride: u32) -> FrameHandle {
        let pixels: Vec<u8> = (0..stride * height).map(|i| ((i % stride) * 7 % 251) as u8 | 1).collect();
        FrameHandle::new(width, height, stride, PixelFormat::Rgba8, pixels.into(), 42, 7).unwrap()
    }

    #[test]
    fn png_frames_are_lossless_and_unpadded() {
        let frame = gradient(33, 9, 33 * 4 + 12);
        let back = round_trip(&Payload::Frame(frame.clone()), FrameEncoding::Png);
        let back = back.as_frame().unwrap();
        assert_eq!((back.width(), back.height(), back.timestamp_ns(), back.sequence()), (33, 9, 42, 7));
        for y in 0..9 {
            assert_eq!(frame.read_region(0, y, 33, 1).unwrap(), back.read_region(0, y, 33, 1).unwrap());
        }
    }

    #[test]
    fn raw_frames_are_the_pixels() {
        let frame = gradient(33, 9, 33 * 4 + 12);
        let back = round_trip(&Payload::Frame(frame.clone()), FrameEncoding::Raw);
        let back = back.as_frame().unwrap();
        for y in 0..9 {
            assert_eq!(frame.read_region(0, y, 33, 1).unwrap(), back.read_region(0, y, 33, 1).unwrap());
        }
    }

    #[test]
    fn jpeg_frames_are_close() {
        // A smooth, opaque picture, as a camera's is.
        let pixels: Vec<u8> = (0..64 * 32).flat_map(|i| [(i % 64 * 4) as u8, (i / 64 * 8) as u8, 128, 255]).collect();
        let frame = FrameHandle::new(64, 32, 256, PixelFormat::Rgba8, pixels.into(), 42, 7).unwrap();
        let back = round_trip(&Payload::Frame(frame.clone()), FrameEncoding::Jpeg);
        let back = back.as_frame().unwrap();
        let (a, b) = (frame.read_region(0, 0, 64, 32).unwrap(), back.read_region(0, 0, 64, 32).unwrap());
        let mean = a.iter().zip(&b).map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs()).sum::<i32>() as f64 / a.len() as f64;
        assert!(mean < 3.0, "mean error {mean}");
    }

    #[test]
    fn depth_frames_keep_every_millimetre() {
        let mm: Vec<u16> = (0..40).map(|i| i * 1000 + 3).collect();
        let frame = FrameHandle::from_z16(8, 5, &mm, 1, 2).unwrap();
        let back = round_trip(&Payload::Frame(frame.clone()), FrameEncoding::Jpeg);
        assert_eq!(back.as_frame().unwrap().pixels(), frame.pixels());
    }

    #[test]
    fn lies_are_errors() {
        let frame = FrameStamp { width: 100_000, height: 100_000, format: WireFormat::Rgba8, timestamp_ns: 0, sequence: 0 };
        let stamp = Stamp { frame: Some(frame), ..Stamp::default() };
        assert!(decode("k", vec![1, 2, 3], &Encoding::IMAGE_PNG, &stamp).is_err());
        let small = Stamp { frame: Some(FrameStamp { width: 4, height: 4, ..frame }), ..Stamp::default() };
        assert!(decode("k", vec![1, 2, 3], &Encoding::IMAGE_PNG, &small).is_err());
        assert!(decode("k", vec![0; 10], &Encoding::APPLICATION_OCTET_STREAM, &small).is_err());
        assert!(decode("k", b"{".to_vec(), &Encoding::APPLICATION_JSON, &Stamp::default()).is_err());
        assert!(Stamp::parse("k", Some(b"not json")).is_err());
        assert!(Stamp::parse("k", Some(&vec![b' '; 10_000])).is_err());
    }
}
