//! [`FrameFeed`]: the newest frame template, published by the binary once per display frame
//! and read by every app thread when its own frame is due. A swap of one `Arc`: the writer
//! never waits for a reader, and a reader always gets a complete template.

use std::sync::Arc;

use arc_swap::ArcSwap;
use visor_types::FrameInfo;

/// The newest frame template, shared by the binary (writer) and every app thread (readers).
#[derive(Clone)]
pub struct FrameFeed(Arc<ArcSwap<FrameInfo>>);

impl FrameFeed {
    pub fn new(first: FrameInfo) -> FrameFeed {
        FrameFeed(Arc::new(ArcSwap::from_pointee(first)))
    }

    pub fn publish(&self, info: FrameInfo) {
        self.0.store(Arc::new(info));
    }

    pub fn latest(&self) -> Arc<FrameInfo> {
        self.0.load_full()
    }
}
