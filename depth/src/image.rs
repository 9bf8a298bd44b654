//! The pictures the matcher reads and writes: grey images in, disparity and depth maps out,
//! with 16-bit PNG files for both (disparity in 1/256 px, depth in millimetres, 0 = unknown).

use std::path::Path;

use image::{ImageBuffer, Luma};

use crate::{DepthError, StereoRig};

/// The disparity of a pixel the matcher could not vouch for (occluded, mismatched, unsure).
pub const INVALID: f32 = -1.0;

/// An 8-bit grey image, rows tightly packed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gray {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Gray {
    /// Luma of tightly packed RGBA8 (or RGB8 with `channels` 3) rows: `(77 R + 150 G + 29 B) >> 8`,
    /// the integer weights the GPU path uses too.
    pub fn from_interleaved(width: u32, height: u32, bytes: &[u8], channels: usize) -> Gray {
        let pixels = bytes.chunks_exact(channels).map(|p| luma(p[0], p[1], p[2])).collect();
        Gray { width, height, pixels }
    }

    /// Reads a PNG or JPEG of any colour type.
    pub fn open(path: &Path) -> Result<Gray, DepthError> {
        let img = image::open(path).map_err(|source| DepthError::Read { path: path.into(), source })?.into_rgb8();
        Ok(Gray::from_interleaved(img.width(), img.height(), img.as_raw(), 3))
    }

    pub(crate) fn at(&self, x: i32, y: i32) -> u8 {
        let x = x.clamp(0, self.width as i32 - 1) as usize;
        let y = y.clamp(0, self.height as i32 - 1) as usize;
        self.pixels[y * self.width as usize + x]
    }
}

pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((77 * r as u32 + 150 * g as u32 + 29 * b as u32) >> 8) as u8
}

/// Per-pixel disparity of the left image (pixels, [`INVALID`] where unknown) and the matcher's
/// confidence in it (0 where invalid, up to 255).
#[derive(Clone, Debug, PartialEq)]
pub struct Disparity {
    pub width: u32,
    pub height: u32,
    pub values: Vec<f32>,
    pub confidence: Vec<u8>,
}

impl Disparity {
    /// The share of pixels with a disparity.
    pub fn density(&self) -> f32 {
        self.values.iter().filter(|&&d| d >= 0.0).count() as f32 / self.values.len().max(1) as f32
    }

    /// 16-bit units of 1/256 px, 0 where invalid (a valid 0 is written as 1, 1/256 px).
    pub fn to_units(&self) -> Vec<u16> {
        self.values.iter().map(|&d| if d >= 0.0 { ((d * 256.0).round() as u32).clamp(1, 65535) as u16 } else { 0 }).collect()
    }

    /// Reads a disparity PNG in the same units (a ground truth, or `visor depth`'s output).
    pub fn open_units(path: &Path) -> Result<Disparity, DepthError> {
        let (width, height, units) = read_gray16(path)?;
        let values = units.iter().map(|&u| if u == 0 { INVALID } else { u as f32 / 256.0 }).collect();
        let confidence = units.iter().map(|&u| if u == 0 { 0 } else { 255 }).collect();
        Ok(Disparity { width, height, values, confidence })
    }

    pub fn save_units(&self, path: &Path) -> Result<(), DepthError> {
        write_gray16(path, self.width, self.height, self.to_units())
    }

    /// The disparity a depth map (millimetres, 0 unknown) implies through the rig: how a
    /// depth frame from the bus is scored against a disparity ground truth.
    pub fn from_millimetres(width: u32, height: u32, millimetres: &[u16], confidence: &[u8], rig: &StereoRig) -> Disparity {
        let values = millimetres.iter().map(|&mm| if mm == 0 { INVALID } else { rig.disparity(f32::from(mm) / 1000.0).max(0.0) }).collect();
        Disparity { width, height, values, confidence: confidence.to_vec() }
    }

    /// Metric depth through the rig; pixels without disparity, or at infinity, are unknown.
    pub fn to_depth(&self, rig: &StereoRig) -> DepthMap {
        let millimetres =
            self.values.iter().map(|&d| rig.depth_m(d).map_or(0, |z| (z * 1000.0).round().clamp(1.0, 65535.0) as u16)).collect();
        DepthMap { width: self.width, height: self.height, millimetres, confidence: self.confidence.clone() }
    }
}

/// Metric depth per pixel in millimetres along the optical axis (0 = unknown), the camera-side
/// `Z16` convention, with a confidence per pixel (0..=255).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthMap {
    pub width: u32,
    pub height: u32,
    pub millimetres: Vec<u16>,
    pub confidence: Vec<u8>,
}

impl DepthMap {
    /// A depth map without a confidence of its own (a depth camera's): known pixels are trusted.
    pub fn from_millimetres(width: u32, height: u32, millimetres: Vec<u16>) -> DepthMap {
        let confidence = millimetres.iter().map(|&mm| if mm == 0 { 0 } else { 255 }).collect();
        DepthMap { width, height, millimetres, confidence }
    }

    /// As the frame the `depth` module publishes for the camera picture of `sequence`, captured
    /// at `timestamp_ns`.
    pub fn into_frame(self, timestamp_ns: u64, sequence: u64) -> visor_types::DepthFrame {
        visor_types::DepthFrame {
            width: self.width,
            height: self.height,
            millimetres: self.millimetres.into(),
            confidence: self.confidence.into(),
            timestamp_ns,
            sequence,
        }
    }

    pub fn open(path: &Path) -> Result<DepthMap, DepthError> {
        let (width, height, millimetres) = read_gray16(path)?;
        Ok(DepthMap::from_millimetres(width, height, millimetres))
    }

    pub fn save(&self, path: &Path) -> Result<(), DepthError> {
        write_gray16(path, self.width, self.height, self.millimetres.clone())
    }
}

fn read_gray16(path: &Path) -> Result<(u32, u32, Vec<u16>), DepthError> {
    let img = image::open(path).map_err(|source| DepthError::Read { path: path.into(), source })?;
    match img {
        image::DynamicImage::ImageLuma16(buf) => Ok((buf.width(), buf.height(), buf.into_raw())),
        other => Err(DepthError::NotSixteenBit { path: path.into(), found: format!("{:?}", other.color()) }),
    }
}

fn write_gray16(path: &Path, width: u32, height: u32, units: Vec<u16>) -> Result<(), DepthError> {
    let buf: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_raw(width, height, units).expect("one value per pixel");
    buf.save(path).map_err(|source| DepthError::Write { path: path.into(), source })
}
