//! The simulator's keys: what each key does, decided in one place so the overlay's help line,
//! the README and the event handler cannot drift apart.
//!
//! Shell keys (F1–F5, Tab, Esc, R) act on key press and ignore auto-repeat. Movement keys
//! (WASD, Q/E) are matched by their physical position, so they sit under the same fingers on
//! any layout, and report press and release (the pose driver moves the head while one is held).
//! As in an editor's viewport, the head keys (WASD, Q/E, R) are the shell's only while the right
//! button is held (looking around); otherwise they are letters like any other, so an app — the
//! launcher's URL bar — can be typed into. Esc quits unless an app has the focus (then it is
//! the app's: a dialog's cancel); Ctrl+Q always quits. Every other key goes to the focused app
//! under its logical name.

use visor_drivers::pose::Move;
use winit::keyboard::{Key, KeyCode, NamedKey, PhysicalKey};

/// The help lines the overlay shows.
pub const HELP: [&str; 2] = [
    "F1 overlay  F2 screenshot  F3 stereo/mono  F4 launcher  Tab focus  F5 pause",
    "right-drag look (+WASD move, Q/E down/up, R reset)  Ctrl+Q quit",
];

/// What a key does in the simulator.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    ToggleOverlay,
    Screenshot,
    ToggleStereo,
    /// Opens or closes the launcher (what the glasses' launcher key does).
    ToggleLauncher,
    CycleFocus,
    TogglePause,
    ResetPose,
    Quit,
    /// Head movement while held.
    Move(Move),
    /// Not the shell's: for the focused app.
    App,
}

impl Action {
    /// Whether the action happens on press only (shell commands) rather than tracking the
    /// key's state.
    pub fn on_press_only(&self) -> bool {
        !matches!(self, Action::Move(_) | Action::App)
    }
}

/// What decides a key's action beside the key itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyContext {
    /// The right button is held: the head keys move the head.
    pub looking: bool,
    /// An app has the keyboard focus: Esc is its.
    pub app_focused: bool,
    /// Ctrl is held.
    pub ctrl: bool,
}

/// The action of a key, from its logical meaning and its physical position.
pub fn action(logical: &Key, physical: PhysicalKey, context: KeyContext) -> Action {
    if let Key::Named(named) = logical {
        match named {
            NamedKey::F1 => return Action::ToggleOverlay,
            NamedKey::F2 => return Action::Screenshot,
            NamedKey::F3 => return Action::ToggleStereo,
            NamedKey::F4 => return Action::ToggleLauncher,
            NamedKey::Tab => return Action::CycleFocus,
            NamedKey::F5 | NamedKey::Pause => return Action::TogglePause,
            NamedKey::Escape if !context.app_focused => return Action::Quit,
            _ => {}
        }
    }
    if context.ctrl && physical == PhysicalKey::Code(KeyCode::KeyQ) {
        return Action::Quit;
    }
    if !context.looking {
        return Action::App;
    }
    match physical {
        PhysicalKey::Code(KeyCode::KeyW) => Action::Move(Move::Forward),
        PhysicalKey::Code(KeyCode::KeyS) => Action::Move(Move::Back),
        PhysicalKey::Code(KeyCode::KeyA) => Action::Move(Move::Left),
        PhysicalKey::Code(KeyCode::KeyD) => Action::Move(Move::Right),
        PhysicalKey::Code(KeyCode::KeyE) => Action::Move(Move::Up),
        PhysicalKey::Code(KeyCode::KeyQ) => Action::Move(Move::Down),
        PhysicalKey::Code(KeyCode::KeyR) => Action::ResetPose,
        _ => Action::App,
    }
}

/// A key's name as apps receive it: the character it types ("a", "A", "é"), or the W3C name
/// of a named key ("Enter", "Backspace", "ArrowLeft"); `None` for keys with neither.
pub fn app_key_name(logical: &Key) -> Option<String> {
    match logical {
        Key::Character(text) => Some(text.to_string()),
        Key::Named(named) => Some(format!("{named:?}")),
        Key::Unidentified(_) | Key::Dead(_) => None,
    }
}

/// Every movement direction, for releasing them all when the window loses focus.
pub const ALL_MOVES: [Move; 6] = [Move::Forward, Move::Back, Move::Left, Move::Right, Move::Up, Move::Down];

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: KeyCode) -> PhysicalKey {
        PhysicalKey::Code(c)
    }

    const LOOKING: KeyContext = KeyContext { looking: true, app_focused: false, ctrl: false };
    const TYPING: KeyContext = KeyContext { looking: false, app_focused: true, ctrl: false };

    fn action_looking(logical: &Key, physical: PhysicalKey) -> Action {
        action(logical, physical, LOOKING)
    }

    #[test]
    fn shell_keys() {
        let named = |n| action(&Key::Named(n), code(KeyCode::F24), KeyContext::default());
        assert_eq!(named(NamedKey::F1), Action::ToggleOverlay);
        assert_eq!(named(NamedKey::F4), Action::ToggleLauncher);
        assert_eq!(named(NamedKey::F2), Action::Screenshot);
        assert_eq!(named(NamedKey::F3), Action::ToggleStereo);
        assert_eq!(named(NamedKey::Tab), Action::CycleFocus);
        assert_eq!(named(NamedKey::F5), Action::TogglePause);
        assert_eq!(named(NamedKey::Pause), Action::TogglePause);
        assert_eq!(named(NamedKey::Escape), Action::Quit);
        assert!(named(NamedKey::F2).on_press_only());
        assert_eq!(action(&Key::Named(NamedKey::Escape), code(KeyCode::Escape), TYPING), Action::App, "Esc is the focused app's");
        let ctrl_q = KeyContext { ctrl: true, ..TYPING };
        assert_eq!(action(&Key::Character("q".into()), code(KeyCode::KeyQ), ctrl_q), Action::Quit);
    }

    #[test]
    fn head_keys_are_letters_unless_looking() {
        for (text, key) in [("w", KeyCode::KeyW), ("a", KeyCode::KeyA), ("q", KeyCode::KeyQ), ("r", KeyCode::KeyR)] {
            assert_eq!(action(&Key::Character(text.into()), code(key), TYPING), Action::App, "{text} while typing");
            assert_eq!(action(&Key::Character(text.into()), code(key), KeyContext::default()), Action::App, "{text} unfocused");
            assert_ne!(action_looking(&Key::Character(text.into()), code(key)), Action::App, "{text} while looking");
        }
    }

    #[test]
    fn movement_follows_the_physical_key_whatever_the_layout() {
        // AZERTY: the key in QWERTY's W position types "z".
        assert_eq!(action_looking(&Key::Character("z".into()), code(KeyCode::KeyW)), Action::Move(Move::Forward));
        assert_eq!(action_looking(&Key::Character("q".into()), code(KeyCode::KeyA)), Action::Move(Move::Left));
        assert_eq!(action_looking(&Key::Character("e".into()), code(KeyCode::KeyE)), Action::Move(Move::Up));
        assert_eq!(action_looking(&Key::Character("q".into()), code(KeyCode::KeyQ)), Action::Move(Move::Down));
        assert_eq!(action_looking(&Key::Character("r".into()), code(KeyCode::KeyR)), Action::ResetPose);
        assert!(!Action::Move(Move::Back).on_press_only());
    }

    #[test]
    fn other_keys_go_to_the_app_by_name() {
        assert_eq!(action_looking(&Key::Character("x".into()), code(KeyCode::KeyX)), Action::App);
        assert_eq!(action_looking(&Key::Named(NamedKey::Enter), code(KeyCode::Enter)), Action::App);
        assert_eq!(app_key_name(&Key::Named(NamedKey::ArrowLeft)).as_deref(), Some("ArrowLeft"));
        assert_eq!(app_key_name(&Key::Named(NamedKey::Backspace)).as_deref(), Some("Backspace"));
        assert_eq!(app_key_name(&Key::Character("a".into())).as_deref(), Some("a"));
    }
}
