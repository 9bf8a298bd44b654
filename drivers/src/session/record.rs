//! [`record()`]: a session from any camera source, in real time.
//!
//! The source is polled on the caller's clock; each new frame (a new `sequence`) is handed to
//! a writer thread, so encoding (PNG is slow) never makes the poll miss the next frame. If the
//! writer falls behind by more than a queue's worth, frames are dropped and counted rather than
//! delaying capture. A live camera that is lost mid-recording ends the recording early: what
//! was captured until then is kept, and frames from its fallback are never mixed in.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use visor_types::CameraFrame;
use visor_types::clock::Clock;

use super::{FrameFileFormat, Session, SessionError, SessionWriter};
use crate::camera::{CameraError, CameraEvent, CameraSource};

/// Frames waiting for the encoder before new ones are dropped (about a second at 30 fps).
const QUEUE: usize = 32;

#[derive(Clone, Copy, Debug)]
pub struct RecordOptions {
    pub duration: Duration,
    pub format: FrameFileFormat,
    /// How often the source is asked for a new frame; well under its frame period.
    pub poll: Duration,
}

impl RecordOptions {
    pub fn new(duration: Duration, format: FrameFileFormat) -> RecordOptions {
        RecordOptions { duration, format, poll: Duration::from_millis(1) }
    }
}

#[derive(Debug)]
pub struct RecordReport {
    pub session: Session,
    /// Frames the encoder could not keep up with.
    pub dropped: usize,
    /// Why recording stopped before `duration` (the camera was lost), if it did.
    pub stopped_early: Option<String>,
    /// The first frame's capture time on the recording clock: the session's time zero.
    pub origin_ns: u64,
}

/// Records `source` into `folder` for `options.duration` of `clock` time.
pub fn record(
    source: &mut dyn CameraSource,
    clock: &dyn Clock,
    folder: &Path,
    options: &RecordOptions,
) -> Result<RecordReport, CameraError> {
    let start = clock.now_ns();
    let end = start.saturating_add(options.duration.as_nanos() as u64);
    let mut writer: Option<WriterThread> = None;
    let mut last_sequence = None;
    let mut stopped_early = None;
    let mut origin_ns = None;
    loop {
        let now = clock.now_ns();
        if now >= end {
            break;
        }
        let frame = source.frame_at(now)?;
        if let Some(reason) = source.take_events().into_iter().find_map(lost) {
            stopped_early = Some(reason);
            break;
        }
        if last_sequence != Some(frame.sequence) {
            last_sequence = Some(frame.sequence);
            origin_ns.get_or_insert(frame.timestamp_ns);
            let sink = match &mut writer {
                Some(sink) => sink,
                None => writer.insert(WriterThread::start(SessionWriter::create(folder, options.format, source.intrinsics())?)),
            };
            if !sink.push(frame) {
                break; // The writer failed; its error comes back from `finish`.
            }
        }
        std::thread::sleep(options.poll);
    }
    let Some(writer) = writer else {
        return Err(CameraError::NoFrame { source_name: source.describe(), waited_ms: options.duration.as_millis() as u64 });
    };
    let (session_writer, dropped) = writer.finish()?;
    if dropped > 0 {
        tracing::warn!(dropped, "the encoder fell behind; frames were dropped (--format jpeg is faster than png)");
    }
    Ok(RecordReport { session: session_writer.finish()?, dropped, stopped_early, origin_ns: origin_ns.unwrap_or(start) })
}

fn lost(event: CameraEvent) -> Option<String> {
    match event {
        CameraEvent::Lost { reason } | CameraEvent::Unavailable { reason } => Some(reason),
        CameraEvent::Connected { .. } | CameraEvent::Reconnected { .. } => None,
    }
}

/// A [`SessionWriter`] on its own thread, fed through a bounded queue.
struct WriterThread {
    queue: SyncSender<CameraFrame>,
    thread: JoinHandle<Result<SessionWriter, SessionError>>,
    dropped: usize,
}

impl WriterThread {
    fn start(writer: SessionWriter) -> WriterThread {
        let (queue, frames) = sync_channel(QUEUE);
        let thread = std::thread::spawn(move || write_all(writer, frames));
        WriterThread { queue, thread, dropped: 0 }
    }

    /// Queues a frame; false once the writer has stopped (on an error).
    fn push(&mut self, frame: CameraFrame) -> bool {
        match self.queue.try_send(frame) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped += 1;
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    fn finish(self) -> Result<(SessionWriter, usize), SessionError> {
        drop(self.queue);
        let writer = self.thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok((writer, self.dropped))
    }
}

fn write_all(mut writer: SessionWriter, frames: Receiver<CameraFrame>) -> Result<SessionWriter, SessionError> {
    for frame in frames {
        writer.write_frame(&frame)?;
    }
    Ok(writer)
}
