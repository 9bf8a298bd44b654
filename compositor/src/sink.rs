//! Where composited frames go. A [`DisplaySink`] is one kind of display: the headless PNG
//! sequence here, the simulator window and the glasses' display elsewhere.

use std::path::{Path, PathBuf};

use image::RgbaImage;

use crate::error::CompositorError;

pub trait DisplaySink {
    /// Shows frame number `frame`.
    fn present(&mut self, frame: u64, image: &RgbaImage) -> Result<(), CompositorError>;
}

/// Writes `frame-NNNNNN.png` files into a folder.
pub struct PngSequenceSink {
    dir: PathBuf,
}

impl PngSequenceSink {
    pub fn new(dir: &Path) -> Result<PngSequenceSink, CompositorError> {
        std::fs::create_dir_all(dir).map_err(|e| CompositorError::Write { path: dir.display().to_string(), message: e.to_string() })?;
        Ok(PngSequenceSink { dir: dir.to_path_buf() })
    }

    pub fn path_for(&self, frame: u64) -> PathBuf {
        self.dir.join(format!("frame-{frame:06}.png"))
    }
}

impl DisplaySink for PngSequenceSink {
    fn present(&mut self, frame: u64, image: &RgbaImage) -> Result<(), CompositorError> {
        let path = self.path_for(frame);
        image.save(&path).map_err(|e| CompositorError::Write { path: path.display().to_string(), message: e.to_string() })
    }
}
