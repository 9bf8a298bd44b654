//! What can go wrong turning images into depth, each naming the thing and the fix.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DepthError {
    #[error("the stereo pair differs in size: left {left:?}, right {right:?}; both images of a rectified pair have the same size")]
    PairSize { left: (u32, u32), right: (u32, u32) },
    #[error("the images are {width}x{height}; stereo matching needs at least 16x16 and at most 8192x8192")]
    ImageSize { width: u32, height: u32 },
    #[error("max_disparity {0} is out of range; use a multiple of 8 from 8 to 256 that exceeds the largest disparity in the scene")]
    MaxDisparity(u32),
    #[error("penalties P1 {p1} and P2 {p2} are out of order; use 1 <= P1 < P2 <= 1000")]
    Penalties { p1: u32, p2: u32 },
    #[error("the rig is not a camera pair: {0}")]
    Rig(String),
    #[error("cannot read {}: {source}; check the path and that it is a PNG or JPEG", path.display())]
    Read { path: PathBuf, source: ::image::ImageError },
    #[error("cannot write {}: {source}; check that the folder exists and is writable", path.display())]
    Write { path: PathBuf, source: ::image::ImageError },
    #[error("{} is not a 16-bit grey PNG ({found}); ground truth and depth maps are 16-bit single-channel", path.display())]
    NotSixteenBit { path: PathBuf, found: String },
    #[error("the GPU cannot match this pair: {0}")]
    Gpu(String),
}
