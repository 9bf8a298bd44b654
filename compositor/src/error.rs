//! What can go wrong in the compositor, with the fix in the message.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CompositorError {
    #[error(
        "no GPU adapter found: install a Vulkan driver (on Debian/Ubuntu without a GPU, \
         `apt-get install mesa-vulkan-drivers libvulkan1` gives the software adapter lavapipe), \
         or run scripts/setup.sh"
    )]
    NoAdapter,
    #[error("the GPU adapter '{adapter}' refused to create a device: {message}")]
    Device { adapter: String, message: String },
    #[error("reading a frame back from the GPU failed: {0}")]
    Readback(String),
    #[error("frame size {width}x{height} is not usable: each side must be 1 to {max} pixels")]
    BadSize { width: u32, height: u32, max: u32 },
    #[error("cannot write frame {path}: {message}")]
    Write { path: String, message: String },
}
