//! Keyboard and mouse, as the simulator turns them into shell calls: shell keys (see
//! [`crate::run::window::input`]), head motion for the pose driver's [`SimControls`], keys for the
//! focused app, and the pointer mapped from window pixels to the output frame's pixels.
//!
//! [`SimControls`]: visor_drivers::pose::SimControls

use crate::shell::{KeyInput, PointerInput, PointerKind};
use winit::dpi::PhysicalPosition;
use winit::event::{ElementState, KeyEvent, MouseButton};

use super::{Flow, Session};
use crate::run::window::input::{self, Action};

/// Mouse-look sensitivity: 0.2 degrees of head turn per pixel of drag.
const LOOK_RADIANS_PER_PIXEL: f32 = 0.2 * std::f32::consts::PI / 180.0;

impl Session {
    pub(super) fn key(&mut self, event: &KeyEvent) -> Flow {
        let down = event.state == ElementState::Pressed;
        let context = input::KeyContext {
            looking: self.looking,
            app_focused: self.running.shell.focused().is_some(),
            ctrl: self.modifiers.control_key(),
        };
        let action = input::action(&event.logical_key, event.physical_key, context);
        if action.on_press_only() && (!down || event.repeat) {
            return Flow::Continue;
        }
        match action {
            Action::Quit => return Flow::Exit,
            Action::Screenshot => {
                // The frame on screen is the last one made.
                if let Err(e) = self.screenshot(self.frame.saturating_sub(1)) {
                    tracing::error!("screenshot failed: {e:#}");
                }
            }
            Action::ToggleOverlay => {
                self.overlay_on = !self.overlay_on;
                self.redraw_overlay();
            }
            Action::ToggleStereo => {
                if self.view.eyes < 2 {
                    self.say("this display has one eye: nothing to toggle".into());
                } else {
                    self.view.stereo = !self.view.stereo;
                    self.redraw_overlay();
                }
            }
            Action::ToggleLauncher => match self.running.shell.toggle_launcher() {
                Ok(open) => self.say(format!("launcher {}", if open { "open" } else { "closed" })),
                Err(e) => self.say(format!("{e:#}")),
            },
            Action::CycleFocus => match self.running.shell.cycle_focus() {
                Some(name) => self.say(format!("focus: {name}")),
                None => self.say("no app to focus".into()),
            },
            Action::TogglePause => match self.running.shell.toggle_pause_focused() {
                Some((name, true)) => self.say(format!("paused {name}")),
                Some((name, false)) => self.say(format!("resumed {name}")),
                None => self.say("no focused app to pause".into()),
            },
            Action::ResetPose => {
                if let Some(controls) = &self.controls {
                    controls.reset();
                }
            }
            Action::Move(direction) => {
                if let Some(controls) = &self.controls
                    && !event.repeat
                {
                    controls.set_key(direction, down);
                }
            }
            Action::App => {
                if let Some(key) = input::app_key_name(&event.logical_key) {
                    let text = if down { event.text.as_ref().map(|t| t.to_string()) } else { None };
                    self.running.shell.key(KeyInput { key, text, down });
                }
            }
        }
        Flow::Continue
    }

    pub(super) fn cursor_moved(&mut self, position: PhysicalPosition<f64>) {
        let (x, y) = (position.x as f32, position.y as f32);
        if self.looking
            && let (Some((last_x, last_y)), Some(controls)) = (self.cursor, &self.controls)
        {
            // Dragging right turns the head right (negative yaw); dragging up looks up.
            controls.look(-(x - last_x) * LOOK_RADIANS_PER_PIXEL, -(y - last_y) * LOOK_RADIANS_PER_PIXEL);
        }
        self.cursor = Some((x, y));
        let window = (self.config.width, self.config.height);
        // A drag that began on an app follows the pointer even off the frame; looking around
        // moves no pointer.
        let at = match (self.pointing, self.looking) {
            (true, _) => Some(self.view.frame_point_clamped(window, x, y)),
            (false, true) => None,
            (false, false) => self.view.frame_point(window, x, y),
        };
        if let Some((fx, fy)) = at {
            self.running.shell.pointer(PointerInput { x: fx, y: fy, kind: PointerKind::Move });
        }
    }

    pub(super) fn mouse_button(&mut self, button: MouseButton, down: bool) {
        let window = (self.config.width, self.config.height);
        match button {
            MouseButton::Right => {
                self.looking = down;
                if !down {
                    // The head keys stop being the shell's: a key still held must not walk on.
                    self.release_moves();
                }
            }
            MouseButton::Left => {
                let Some((x, y)) = self.cursor else { return };
                if down {
                    if let Some((fx, fy)) = self.view.frame_point(window, x, y) {
                        self.pointing = true;
                        self.running.shell.pointer(PointerInput { x: fx, y: fy, kind: PointerKind::Down });
                    }
                } else if self.pointing {
                    self.pointing = false;
                    let (fx, fy) = self.view.frame_point_clamped(window, x, y);
                    self.running.shell.pointer(PointerInput { x: fx, y: fy, kind: PointerKind::Up });
                }
            }
            _ => {}
        }
    }

    /// Lets go of every held key and button, for when the window loses the keyboard (the
    /// release would go to another window, and the head would drift on).
    pub(super) fn release_all(&mut self) {
        self.release_moves();
        self.looking = false;
    }

    fn release_moves(&self) {
        if let Some(controls) = &self.controls {
            for direction in input::ALL_MOVES {
                controls.set_key(direction, false);
            }
        }
    }
}
