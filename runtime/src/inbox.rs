//! An app's input inbox: the shell pushes routed events from its thread, the app's thread takes
//! them all with its next frame. Bounded, so an app that stops taking input (paused, stuck in a
//! slow frame) cannot make the shell hold events without end: when full, the oldest pointer
//! move goes first (a newer one says where the pointer is), then the oldest event of any kind.

use std::collections::VecDeque;
use std::sync::Mutex;

use visor_types::InputEvent;

/// Events held per app at most.
pub const INBOX_CAPACITY: usize = 256;

#[derive(Default)]
pub struct Inbox {
    events: Mutex<VecDeque<InputEvent>>,
}

impl Inbox {
    /// Adds an event; returns whether an older one had to be dropped to make room.
    pub fn push(&self, event: InputEvent) -> bool {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let full = events.len() >= INBOX_CAPACITY;
        if full {
            match events.iter().position(InputEvent::is_coalescable) {
                Some(i) => drop(events.remove(i)),
                None => drop(events.pop_front()),
            }
        }
        events.push_back(event);
        full
    }

    /// Everything waiting, oldest first.
    pub fn take(&self) -> Vec<InputEvent> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use visor_types::Key;

    fn key(n: usize) -> InputEvent {
        InputEvent::KeyDown(Key { time_ns: n as u64, key: "a".into(), text: None })
    }

    #[test]
    fn a_full_inbox_drops_pointer_moves_before_keys() {
        let inbox = Inbox::default();
        inbox.push(InputEvent::PointerLeave);
        for n in 0..INBOX_CAPACITY - 2 {
            inbox.push(key(n));
        }
        let moved = visor_types::Pointer {
            time_ns: 0,
            eye: 0,
            pixel: glam::Vec2::ZERO,
            origin: glam::Vec3::ZERO,
            direction: glam::Vec3::NEG_Z,
            hit: None,
        };
        assert!(!inbox.push(InputEvent::PointerMove(moved)));
        // Full: the move goes first, then the oldest (the leave).
        assert!(inbox.push(key(1000)));
        assert!(inbox.push(key(1001)));
        let events = inbox.take();
        assert_eq!(events.len(), INBOX_CAPACITY);
        assert!(events.iter().all(|e| matches!(e, InputEvent::KeyDown(_))));
        assert!(inbox.take().is_empty());
    }
}
