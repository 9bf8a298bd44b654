//! Input routing: the pointer goes to the app that owns the nearest composited surface under
//! it, keys to the focused app.
//!
//! The compositor's hit test reads the displayed depth of every layer at the pointer's pixel
//! (the same depths the z-composite merged), so what the user sees in front is what receives
//! the click: never an app behind it, never one beside it. The pointer arrives in pixels of
//! the displayed frame; on a display with lens correction it is first mapped back to where
//! that pixel's picture was rendered.
//!
//! After a press the pressing app holds the pointer until the release (a drag that leaves it
//! still ends there), and a press moves the focus to the pressed app. Apps receive input only
//! if their grant includes the `input` device; input aimed at an app without it goes nowhere.

use glam::{Vec2, Vec3, Vec4Swizzles};
use visor_types::input::{InputEvent, Key, Pointer};
use visor_types::profile::Optics;
use visor_types::{AppId, FrameInfo};

/// A pointer event in pixels of the displayed frame (both eyes side by side).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointerInput {
    pub x: f32,
    pub y: f32,
    pub kind: PointerKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointerKind {
    Move,
    Down,
    Up,
}

/// A key for the focused app.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyInput {
    /// A character ("a") or a named key ("Enter", "Backspace", "ArrowLeft", …).
    pub key: String,
    /// The text the key types, if any.
    pub text: Option<String>,
    pub down: bool,
}

/// Who holds the pointer and the keyboard.
#[derive(Debug, Default)]
pub struct Router {
    /// The app under the pointer at the last move.
    pub hovered: Option<AppId>,
    /// The app pressed, until the release.
    pub captured: Option<AppId>,
    pub focused: Option<AppId>,
}

/// Where an event goes: (app, event) pairs, in order.
pub type Deliveries = Vec<(AppId, InputEvent)>;

impl Router {
    /// The deliveries for a pointer event whose pixel belongs to `pointer` (hit filled in per
    /// receiver) and whose nearest surface belongs to `owner` at world point `hit`.
    pub fn pointer(&mut self, kind: PointerKind, pointer: Pointer, owner: Option<AppId>, hit: Option<Vec3>) -> Deliveries {
        let mut out = Vec::new();
        let for_app = |app: AppId| Pointer { hit: if Some(app) == owner { hit } else { None }, ..pointer };
        match kind {
            PointerKind::Move => {
                if self.hovered != owner {
                    if let Some(old) = self.hovered {
                        out.push((old, InputEvent::PointerLeave));
                    }
                    self.hovered = owner;
                }
                if let Some(app) = owner {
                    out.push((app, InputEvent::PointerMove(for_app(app))));
                }
                if let Some(held) = self.captured.filter(|held| Some(*held) != owner) {
                    out.push((held, InputEvent::PointerMove(for_app(held))));
                }
            }
            PointerKind::Down => {
                if let Some(app) = owner {
                    out.extend(self.focus(Some(app)));
                    out.push((app, InputEvent::PointerDown(for_app(app))));
                }
                self.captured = owner;
            }
            PointerKind::Up => {
                if let Some(app) = self.captured.take().or(owner) {
                    out.push((app, InputEvent::PointerUp(for_app(app))));
                }
            }
        }
        out
    }

    /// The deliveries for a key: to the focused app, if any.
    pub fn key(&self, key: Key, down: bool) -> Deliveries {
        let event = if down { InputEvent::KeyDown(key) } else { InputEvent::KeyUp(key) };
        self.focused.map(|app| (app, event)).into_iter().collect()
    }

    /// Moves the focus to `app`, with focus-lost and focus-gained for those concerned.
    pub fn focus(&mut self, app: Option<AppId>) -> Deliveries {
        if self.focused == app {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(old) = self.focused {
            out.push((old, InputEvent::FocusLost));
        }
        if let Some(new) = app {
            out.push((new, InputEvent::FocusGained));
        }
        self.focused = app;
        out
    }

    /// Forgets apps that are gone.
    pub fn retain(&mut self, alive: impl Fn(AppId) -> bool) {
        for slot in [&mut self.hovered, &mut self.captured, &mut self.focused] {
            if slot.is_some_and(|app| !alive(app)) {
                *slot = None;
            }
        }
    }
}

/// Where the picture shown at displayed pixel `(x, y)` was rendered: the same pixel without
/// lens correction, else the green channel's source position (see [`Optics`]).
pub fn undistort(optics: Option<&Optics>, frame: &FrameInfo, x: f32, y: f32) -> (f32, f32) {
    let Some(optics) = optics else { return (x, y) };
    let Some(eye) = frame.eyes.iter().find(|e| {
        let v = e.viewport;
        x >= v.x as f32 && x < (v.x + v.width) as f32 && y >= v.y as f32 && y < (v.y + v.height) as f32
    }) else {
        return (x, y);
    };
    let v = eye.viewport;
    let half = v.width as f32 / 2.0;
    let centre = Vec2::new(v.x as f32 + half, v.y as f32 + v.height as f32 / 2.0);
    let offset = (Vec2::new(x, y) - centre) / half;
    let r = offset.length();
    if r < 1e-6 {
        return (x, y);
    }
    let source = centre + offset * (optics.source_radius(r, 1) / r) * half;
    (source.x, source.y)
}

/// The pointer at pixel `(x, y)` of the rendered frame: which eye, the pixel in its viewport,
/// and the world-space ray from that eye through it. `None` off every eye.
pub fn pointer_at(frame: &FrameInfo, x: f32, y: f32, time_ns: u64) -> Option<Pointer> {
    let (index, eye) = frame.eyes.iter().enumerate().find(|(_, e)| {
        let v = e.viewport;
        x >= v.x as f32 && x < (v.x + v.width) as f32 && y >= v.y as f32 && y < (v.y + v.height) as f32
    })?;
    let v = eye.viewport;
    let pixel = Vec2::new(x - v.x as f32, y - v.y as f32);
    let ndc = Vec2::new(pixel.x / v.width as f32 * 2.0 - 1.0, 1.0 - pixel.y / v.height as f32 * 2.0);
    let world_from_clip = eye.view_projection().inverse();
    // Reverse-Z: depth 1 is the near plane, 0.5 somewhere beyond it; both lie on the ray.
    let near = world_from_clip.project_point3(ndc.extend(1.0));
    let far = world_from_clip.project_point3(ndc.extend(0.5));
    let origin = eye.view.inverse().w_axis.xyz();
    let direction = (far - near).normalize_or_zero();
    Some(Pointer { time_ns, eye: index as u32, pixel, origin, direction, hit: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer() -> Pointer {
        Pointer { time_ns: 0, eye: 0, pixel: Vec2::ZERO, origin: Vec3::ZERO, direction: Vec3::NEG_Z, hit: None }
    }

    const A: AppId = AppId(1);
    const B: AppId = AppId(2);

    #[test]
    fn moves_go_to_the_owner_and_leaving_is_told() {
        let mut r = Router::default();
        let hit = Some(Vec3::new(0.0, 0.0, -1.0));
        let out = r.pointer(PointerKind::Move, pointer(), Some(A), hit);
        assert!(matches!(&out[..], [(A, InputEvent::PointerMove(p))] if p.hit == hit));
        let out = r.pointer(PointerKind::Move, pointer(), Some(B), hit);
        assert!(matches!(&out[..], [(A, InputEvent::PointerLeave), (B, InputEvent::PointerMove(_))]));
        let out = r.pointer(PointerKind::Move, pointer(), None, None);
        assert!(matches!(&out[..], [(B, InputEvent::PointerLeave)]));
    }

    #[test]
    fn a_press_focuses_and_captures_until_the_release() {
        let mut r = Router::default();
        let out = r.pointer(PointerKind::Down, pointer(), Some(A), Some(Vec3::ONE));
        assert!(matches!(&out[..], [(A, InputEvent::FocusGained), (A, InputEvent::PointerDown(_))]));
        // Dragged onto B: B hears the move, A (holding the pointer) too, without a hit.
        let out = r.pointer(PointerKind::Move, pointer(), Some(B), Some(Vec3::ZERO));
        assert!(matches!(&out[..], [(B, InputEvent::PointerMove(_)), (A, InputEvent::PointerMove(p))] if p.hit.is_none()));
        let out = r.pointer(PointerKind::Up, pointer(), Some(B), Some(Vec3::ZERO));
        assert!(matches!(&out[..], [(A, InputEvent::PointerUp(p))] if p.hit.is_none()));
        let key = Key { time_ns: 0, key: "a".into(), text: Some("a".into()) };
        assert!(matches!(&r.key(key, true)[..], [(A, InputEvent::KeyDown(_))]));
        assert!(matches!(&r.focus(Some(B))[..], [(A, InputEvent::FocusLost), (B, InputEvent::FocusGained)]));
    }

    #[test]
    fn keys_go_nowhere_without_focus_and_presses_on_nothing_keep_focus() {
        let mut r = Router::default();
        assert!(r.key(Key { time_ns: 0, key: "a".into(), text: None }, true).is_empty());
        r.focus(Some(A));
        assert!(r.pointer(PointerKind::Down, pointer(), None, None).is_empty());
        assert_eq!(r.focused, Some(A));
    }

    #[test]
    fn the_pointer_ray_leaves_the_eye_through_the_pixel() {
        let profile =
            visor_types::DeviceProfile::find("desktop-sim", &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("device-profiles"))
                .unwrap();
        let frame = crate::shell::frame_info(&profile, 0, 0, glam::Mat4::IDENTITY);
        let (w, h) = (profile.display.eye_width as f32, profile.display.eye_height as f32);
        let centre = pointer_at(&frame, w * 1.5, h / 2.0, 7).unwrap();
        assert_eq!(centre.eye, 1);
        assert!((centre.origin.x - 0.0315).abs() < 1e-4, "{:?}", centre.origin);
        assert!(centre.direction.distance(Vec3::NEG_Z) < 1e-3, "{:?}", centre.direction);
        // 90 degrees across: the right edge of the left eye looks 45 degrees right.
        let edge = pointer_at(&frame, w - 0.001, h / 2.0, 7).unwrap();
        assert!((edge.direction.x - edge.direction.z.abs()).abs() < 1e-2, "{:?}", edge.direction);
        assert!(pointer_at(&frame, w * 2.0 + 1.0, 0.0, 7).is_none());
    }
}
