//! The launcher: the shell's own app, and a wasm app like any other.
//!
//! A panel in the world, placed in front of the head when it starts: tabs over the running
//! apps (click to focus, `x` to stop), a URL bar (type an `oci://` or `https://` reference, or
//! an installed module's name, then Enter), the installed modules (click one to open it), and —
//! while a download waits — the consent dialog, where each capability the module asks for is
//! granted or not, one click each, before Install.
//!
//! It changes nothing itself: it sends commands on the `shell/cmd/…` topics and draws the
//! state the shell publishes on `shell/state` ([`visor_shell_api`]). Those topics need the
//! shell capability, which its manifest asks for and the user grants.
//!
//! Layout: this file (the app: bus, input, placing the panel); `ui` (widgets, drawing, hit
//! testing).

mod ui;

use visor_sdk::bus::{self, Outgoing, Overflow, Payload};
use visor_sdk::glam::{Mat4, Vec3};
use visor_sdk::panel::Panel;
use visor_sdk::{App, FrameInfo, InputEvent, Pointer};
use visor_shell_api::{self as api, Answer, ShellState};

use ui::Widget;

/// The panel's size in metres, and how far in front of the head it appears.
const PANEL_W: f32 = 0.96;
const PANEL_H: f32 = 0.6;
const DISTANCE: f32 = 0.9;
/// The longest address the URL bar takes.
const MAX_URL: usize = 256;

struct Launcher {
    panel: Panel,
    /// World from panel, fixed at the first frame.
    placed: Option<Mat4>,
    state: ShellState,
    url: String,
    editing: bool,
    /// The consent request the checkboxes belong to, and whether each is ticked.
    checks: (u64, Vec<bool>),
    hover: Option<Widget>,
    local_error: Option<String>,
    dirty: bool,
}

impl App for Launcher {
    fn init() -> Result<Self, String> {
        let panel = Panel::new(PANEL_W, PANEL_H, ui::WIDTH, ui::HEIGHT)?;
        bus::subscribe(api::STATE, 4, Overflow::DropOldest).map_err(|e| format!("the launcher needs the shell capability: {e}"))?;
        Ok(Launcher {
            panel,
            placed: None,
            state: ShellState::default(),
            url: String::new(),
            editing: false,
            checks: (0, Vec::new()),
            hover: None,
            local_error: None,
            dirty: true,
        })
    }

    fn input(&mut self, event: &InputEvent) {
        match event {
            InputEvent::PointerMove(p) => {
                let hover = self.widget_under(p);
                self.dirty |= hover != self.hover;
                self.hover = hover;
            }
            InputEvent::PointerDown(p) => {
                if let Some(widget) = self.widget_under(p) {
                    self.act(widget);
                }
            }
            InputEvent::PointerLeave => {
                self.dirty |= self.hover.is_some();
                self.hover = None;
            }
            InputEvent::KeyDown(key) => self.key(&key.key, key.text.as_deref()),
            InputEvent::FocusGained => self.set_editing(true),
            InputEvent::FocusLost => self.set_editing(false),
            InputEvent::PointerUp(_) | InputEvent::KeyUp(_) => {}
        }
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        self.read_state();
        if self.dirty {
            let view = ui::View {
                state: &self.state,
                url: &self.url,
                editing: self.editing,
                checks: &self.checks.1,
                hover: self.hover,
                local_error: self.local_error.as_deref(),
            };
            ui::draw(&mut self.panel.canvas, &view);
            self.panel.upload()?;
            self.dirty = false;
        }
        let head = Mat4::from(&info.head);
        let model = *self.placed.get_or_insert(head * Mat4::from_translation(Vec3::new(0.0, -0.05, -DISTANCE)));
        self.panel.draw(model)
    }
}

impl Launcher {
    /// Takes the newest state the shell published.
    fn read_state(&mut self) {
        let newest = bus::poll(8).into_iter().rev().find_map(|m| match m.payload {
            Payload::Text(text) => serde_json::from_str::<ShellState>(&text).ok(),
            _ => None,
        });
        let Some(state) = newest else { return };
        if state == self.state {
            return;
        }
        if let Some(consent) = &state.consent
            && consent.id != self.checks.0
        {
            // A new request: everything it asks for starts ticked, for the user to untick.
            self.checks = (consent.id, vec![true; consent.asks.len()]);
        }
        self.state = state;
        self.dirty = true;
    }

    /// The widget under the pointer, from where its ray meets the panel.
    fn widget_under(&self, pointer: &Pointer) -> Option<Widget> {
        let (hit, placed) = (pointer.hit.as_ref()?, self.placed?);
        let local = placed.inverse().transform_point3(Vec3::new(hit.x, hit.y, hit.z));
        let x = (local.x / PANEL_W + 0.5) * ui::WIDTH as f32;
        let y = (0.5 - local.y / PANEL_H) * ui::HEIGHT as f32;
        ui::widget_at(&self.state, x, y)
    }

    fn act(&mut self, widget: Widget) {
        self.local_error = None;
        self.dirty = true;
        let state = &self.state;
        match widget {
            Widget::Tab(i) => self.send(api::FOCUS, state.apps[i].name.clone()),
            Widget::CloseTab(i) => self.send(api::STOP, state.apps[i].name.clone()),
            Widget::Url => self.set_editing(true),
            // A newer version than the one running: the row offers the upgrade, in place.
            Widget::Installed(i) if state.installed[i].upgrade_from.is_some() => self.send(api::UPGRADE, state.installed[i].name.clone()),
            Widget::Installed(i) => self.send(api::OPEN, state.installed[i].name.clone()),
            Widget::Check(i) => {
                if let Some(tick) = self.checks.1.get_mut(i) {
                    *tick = !*tick;
                }
            }
            Widget::Install => self.answer(true),
            Widget::Cancel => self.answer(false),
        }
    }

    fn key(&mut self, key: &str, text: Option<&str>) {
        if self.state.consent.is_some() {
            match key {
                "Enter" => self.answer(true),
                "Escape" => self.answer(false),
                _ => {}
            }
            return;
        }
        if !self.editing {
            return;
        }
        match (key, text) {
            ("Enter", _) => {
                let target = self.url.trim().to_string();
                if !target.is_empty() {
                    self.send(api::OPEN, target);
                }
            }
            ("Backspace", _) => {
                self.url.pop();
            }
            ("Escape", _) => self.url.clear(),
            (_, Some(typed)) => {
                let printable = typed.chars().filter(|c| !c.is_control());
                self.url.extend(printable.take(MAX_URL.saturating_sub(self.url.chars().count())));
            }
            _ => return,
        }
        self.dirty = true;
    }

    fn set_editing(&mut self, editing: bool) {
        self.dirty |= editing != self.editing;
        self.editing = editing;
    }

    fn answer(&mut self, install: bool) {
        let Some(consent) = &self.state.consent else { return };
        let grant = consent.asks.iter().zip(&self.checks.1).filter(|(_, ticked)| **ticked).map(|(a, _)| a.name.clone()).collect();
        let answer = Answer { id: consent.id, install, grant };
        let json = serde_json::to_string(&answer).expect("an answer serializes");
        self.send(api::ANSWER, json);
    }

    fn send(&mut self, topic: &str, text: String) {
        if let Err(e) = bus::publish(topic, &Outgoing::Text(text)) {
            visor_sdk::warn(&format!("{topic}: {e}"));
            self.local_error = Some(format!("the shell refused: {e}"));
        }
        self.dirty = true;
    }
}

visor_sdk::app!(Launcher);
