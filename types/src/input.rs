//! Input as apps receive it: pointer events carrying where the pointer's ray meets the app's
//! own surface, keys for the focused app, and focus changes. The shell decides who gets what
//! (by composited depth for the pointer); the runtime hands each app its events with its next
//! frame.

use glam::{Vec2, Vec3};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pointer {
    /// Monotonic nanoseconds when the pointer was here.
    pub time_ns: u64,
    /// The eye whose image it points into (0: left or only).
    pub eye: u32,
    /// The pixel in that eye's viewport, origin top-left.
    pub pixel: Vec2,
    /// The ray from the eye through the pixel, in world space (unit direction).
    pub origin: Vec3,
    pub direction: Vec3,
    /// Where the ray meets the receiving app's nearest surface, in world space.
    pub hit: Option<Vec3>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub time_ns: u64,
    /// A character ("a") or a named key ("Enter", "Backspace", "ArrowLeft", …).
    pub key: String,
    /// The text the key types, if any.
    pub text: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InputEvent {
    PointerMove(Pointer),
    PointerDown(Pointer),
    PointerUp(Pointer),
    PointerLeave,
    KeyDown(Key),
    KeyUp(Key),
    FocusGained,
    FocusLost,
}

impl InputEvent {
    /// Whether a newer event of the same kind makes this one redundant (pointer moves), so a
    /// full queue can drop it first.
    pub fn is_coalescable(&self) -> bool {
        matches!(self, InputEvent::PointerMove(_))
    }
}
