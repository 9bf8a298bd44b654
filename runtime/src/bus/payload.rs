//! [`Payload`]: what a message carries. Every variant is reference-counted, so fanning one
//! message out to many subscribers copies no bytes, JSON or pixels.
//!
//! Natives encode and decode with serde ([`Payload::json`], [`Payload::decode`]); the guest host
//! API maps its WIT payload type onto these same variants.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::BusError;
use super::frame::FrameHandle;

#[derive(Clone, Debug, Default)]
pub enum Payload {
    #[default]
    Empty,
    Bytes(Arc<[u8]>),
    Text(Arc<str>),
    Json(Arc<serde_json::Value>),
    Frame(FrameHandle),
}

impl Payload {
    /// Encodes `value` as a JSON payload.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Payload, BusError> {
        serde_json::to_value(value).map(|v| Payload::Json(Arc::new(v))).map_err(|e| BusError::Encode { message: e.to_string() })
    }

    pub fn bytes(bytes: impl Into<Arc<[u8]>>) -> Payload {
        Payload::Bytes(bytes.into())
    }

    pub fn text(text: impl Into<Arc<str>>) -> Payload {
        Payload::Text(text.into())
    }

    /// Reads the payload as `T`: JSON values directly, bytes and text parsed as JSON, and
    /// `Empty` as JSON `null` (so `()` and `Option<T>` read it). Frames are not serde data;
    /// use [`Payload::as_frame`].
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, BusError> {
        let expected = std::any::type_name::<T>();
        let fail = |e: serde_json::Error| BusError::Decode { expected, message: e.to_string() };
        match self {
            Payload::Empty => T::deserialize(&serde_json::Value::Null).map_err(fail),
            Payload::Json(value) => T::deserialize(&**value).map_err(fail),
            Payload::Bytes(bytes) => serde_json::from_slice(bytes).map_err(fail),
            Payload::Text(text) => serde_json::from_str(text).map_err(fail),
            Payload::Frame(_) => {
                Err(BusError::Decode { expected, message: "the payload is a frame handle; read it with as_frame()".into() })
            }
        }
    }

    pub fn as_frame(&self) -> Option<&FrameHandle> {
        match self {
            Payload::Frame(frame) => Some(frame),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Payload::Bytes(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Payload::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Bytes this payload holds in memory, as the bus charges it to a receiver's budget: the
    /// data of bytes and text, the encoded length of JSON, every pixel of a frame.
    pub fn byte_len(&self) -> u64 {
        match self {
            Payload::Empty => 0,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Text(t) => t.len() as u64,
            Payload::Json(v) => {
                let mut counter = ByteCounter(0);
                // Writing to a counter cannot fail; a value that will not encode counts as 0.
                let _ = serde_json::to_writer(&mut counter, &**v);
                counter.0
            }
            Payload::Frame(f) => f.pixels().len() as u64,
        }
    }

    /// A short name of the variant, for logs and the bus monitor.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Empty => "empty",
            Payload::Bytes(_) => "bytes",
            Payload::Text(_) => "text",
            Payload::Json(_) => "json",
            Payload::Frame(_) => "frame",
        }
    }
}

/// Counts what is written to it, to size JSON without keeping the text.
struct ByteCounter(u64);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl From<FrameHandle> for Payload {
    fn from(frame: FrameHandle) -> Payload {
        Payload::Frame(frame)
    }
}
