//! The hand-over slot for preview frames. The panel marks that it wants frames (each PNG
//! request keeps the wish alive a few seconds); the frame loop sees the wish, reads a frame
//! back at most every [`MIN_INTERVAL`], and leaves it here; the server encodes it to PNG on
//! its own thread, once per frame however many pages watch.

use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbaImage};
use visor_admin::BackendError;

/// How long one PNG request keeps the frame loop reading frames back.
const WANTED_FOR: Duration = Duration::from_secs(3);
/// The fastest the loop reads frames back for the preview.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// How long a first request waits for the loop's first frame.
const FIRST_FRAME_WAIT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub(super) struct FrameSlot {
    inner: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    wanted_until: Option<Instant>,
    offered_at: Option<Instant>,
    latest: Option<(u64, Arc<RgbaImage>)>,
    png: Option<(u64, Arc<Vec<u8>>)>,
}

impl FrameSlot {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Frame loop: whether to read a frame back now.
    pub(super) fn wanted(&self) -> bool {
        let slot = self.lock();
        let now = Instant::now();
        slot.wanted_until.is_some_and(|until| until > now) && slot.offered_at.is_none_or(|at| now - at >= MIN_INTERVAL)
    }

    /// Frame loop: leaves frame `frame` for the preview.
    pub(super) fn offer(&self, frame: u64, image: RgbaImage) {
        let mut slot = self.lock();
        slot.offered_at = Some(Instant::now());
        slot.latest = Some((frame, Arc::new(image)));
    }

    /// Server: the newest frame as PNG (`None` if the loop gave none in time).
    pub(super) fn png(&self) -> Result<Option<Vec<u8>>, BackendError> {
        let deadline = Instant::now() + FIRST_FRAME_WAIT;
        let (frame, image) = loop {
            {
                let mut slot = self.lock();
                slot.wanted_until = Some(Instant::now() + WANTED_FOR);
                if let Some((frame, png)) = &slot.png
                    && slot.latest.as_ref().is_some_and(|(latest, _)| latest == frame)
                {
                    return Ok(Some(png.to_vec()));
                }
                if let Some((frame, image)) = &slot.latest {
                    break (*frame, image.clone());
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let png = Arc::new(encode(&image)?);
        self.lock().png = Some((frame, png.clone()));
        Ok(Some(png.to_vec()))
    }
}

/// Fast PNG: a preview refreshed twice a second does not need the smallest file.
fn encode(image: &RgbaImage) -> Result<Vec<u8>, BackendError> {
    let mut bytes = Cursor::new(Vec::new());
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Sub)
        .write_image(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgba8)
        .map_err(|e| BackendError::Failed(format!("encoding the frame as PNG: {e}")))?;
    Ok(bytes.into_inner())
}
