//! The launcher's face: where each widget is ([`layout`]), how it looks ([`draw`]), and which
//! one is under a canvas pixel ([`widget_at`]). Drawing and hit testing read the same layout,
//! so what the user clicks is what they see.
//!
//! ```text
//! ┌ tabs: [launcher] [hud x] ────────────────────────────────┐
//! │ [ oci://host/repo:tag_                                  ] │ URL bar
//! │ INSTALLED MODULES                                         │
//! │  hud 1.0.0 app   trusted publisher alice      RUNNING     │ one row each
//! │ ┌ consent dialog, over the list, while a download waits ┐ │
//! │ │ INSTALL hud 1.0.0?  from …  publisher …               │ │
//! │ │ [x] device:display-layer  use the display-layer device │ │
//! │ │                               [INSTALL]  [CANCEL]      │ │
//! │ └───────────────────────────────────────────────────────┘ │
//! │ status: the last outcome, or what the shell is busy with   │
//! └───────────────────────────────────────────────────────────┘
//! ```

use visor_sdk::canvas::Canvas;
use visor_shell_api::{ModuleState, ShellState};

pub const WIDTH: u32 = 512;
pub const HEIGHT: u32 = 320;

const BACKGROUND: [u8; 4] = [14, 20, 32, 235];
const PANEL: [u8; 4] = [28, 38, 58, 255];
const HOVER: [u8; 4] = [44, 64, 96, 255];
const ACCENT: [u8; 4] = [120, 230, 255, 255];
const TEXT: [u8; 4] = [225, 230, 240, 255];
const DIM: [u8; 4] = [130, 140, 160, 255];
const OK: [u8; 4] = [110, 220, 140, 255];
const ERROR: [u8; 4] = [255, 110, 110, 255];
const BUSY: [u8; 4] = [255, 210, 90, 255];
const INSTALL: [u8; 4] = [40, 150, 80, 255];

/// Something the pointer can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Widget {
    Tab(usize),
    CloseTab(usize),
    Url,
    Installed(usize),
    Check(usize),
    Install,
    Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    const fn new(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    fn contains(&self, x: f32, y: f32) -> bool {
        x >= self.x as f32 && y >= self.y as f32 && x < (self.x + self.w) as f32 && y < (self.y + self.h) as f32
    }
}

const URL: Rect = Rect::new(8, 32, 496, 24);
const LIST_TOP: u32 = 82;
const ROW: u32 = 22;
const STATUS: Rect = Rect::new(8, 296, 496, 18);
const DIALOG: Rect = Rect::new(24, 62, 464, 228);
const CHECKS_TOP: u32 = 140;
const CHECK_ROW: u32 = 16;
const MAX_CHECKS: usize = 7;
const INSTALL_BUTTON: Rect = Rect::new(300, 262, 84, 20);
const CANCEL_BUTTON: Rect = Rect::new(396, 262, 84, 20);

/// What the launcher shows, beside the shell's state.
pub struct View<'a> {
    pub state: &'a ShellState,
    pub url: &'a str,
    pub editing: bool,
    pub checks: &'a [bool],
    pub hover: Option<Widget>,
    /// A problem the launcher itself ran into (a refused publish), shown over the notice.
    pub local_error: Option<&'a str>,
}

/// Every widget and its rectangle, for this state.
pub fn layout(state: &ShellState) -> Vec<(Widget, Rect)> {
    let mut out = Vec::new();
    let mut x = 8;
    for (i, app) in state.apps.iter().enumerate() {
        let w = Canvas::text_width(&app.name, 1) + 28;
        if x + w > WIDTH - 8 {
            break;
        }
        out.push((Widget::Tab(i), Rect::new(x, 6, w - 16, 20)));
        out.push((Widget::CloseTab(i), Rect::new(x + w - 16, 6, 16, 20)));
        x += w + 4;
    }
    out.push((Widget::Url, URL));
    if let Some(consent) = &state.consent {
        for i in 0..consent.asks.len().min(MAX_CHECKS) {
            out.push((Widget::Check(i), Rect::new(DIALOG.x + 8, CHECKS_TOP + i as u32 * CHECK_ROW, DIALOG.w - 16, CHECK_ROW)));
        }
        out.push((Widget::Install, INSTALL_BUTTON));
        out.push((Widget::Cancel, CANCEL_BUTTON));
    } else {
        let rows = ((STATUS.y - 4 - LIST_TOP) / ROW) as usize;
        for i in 0..state.installed.len().min(rows) {
            out.push((Widget::Installed(i), Rect::new(8, LIST_TOP + i as u32 * ROW, 496, ROW - 2)));
        }
    }
    out
}

/// The widget under canvas pixel (x, y).
pub fn widget_at(state: &ShellState, x: f32, y: f32) -> Option<Widget> {
    layout(state).into_iter().find(|(_, r)| r.contains(x, y)).map(|(w, _)| w)
}

pub fn draw(canvas: &mut Canvas, view: &View) {
    canvas.clear(BACKGROUND);
    let state = view.state;
    for (widget, r) in layout(state) {
        let hovered = view.hover == Some(widget);
        match widget {
            Widget::Tab(i) => {
                let app = &state.apps[i];
                let fill = if app.focused {
                    HOVER
                } else if hovered {
                    PANEL
                } else {
                    BACKGROUND
                };
                canvas.rect(r.x, r.y, r.w + 16, r.h, fill);
                canvas.outline(r.x, r.y, r.w + 16, r.h, if app.focused { ACCENT } else { DIM });
                canvas.text(r.x + 6, r.y + 6, &app.name, 1, if app.state == ModuleState::Running { TEXT } else { DIM });
            }
            Widget::CloseTab(_) => canvas.text(r.x + 4, r.y + 6, "x", 1, if hovered { ERROR } else { DIM }),
            Widget::Url => draw_url(canvas, r, view),
            Widget::Installed(i) => {
                let m = &state.installed[i];
                if hovered {
                    canvas.rect(r.x, r.y, r.w, r.h, HOVER);
                }
                canvas.text(r.x + 6, r.y + 6, &fit(&format!("{} {} {}", m.name, m.version, m.kind), 26), 1, TEXT);
                canvas.text(r.x + 222, r.y + 6, &fit(&m.publisher, 26), 1, DIM);
                let (label, color) = match (&m.upgrade_from, m.running) {
                    (Some(_), _) => ("UPGRADE", ACCENT),
                    (None, true) => ("RUNNING", OK),
                    (None, false) => ("OPEN", ACCENT),
                };
                canvas.text(r.x + r.w - 8 - Canvas::text_width(label, 1), r.y + 6, label, 1, color);
            }
            Widget::Check(_) | Widget::Install | Widget::Cancel => {}
        }
    }
    match &state.consent {
        Some(_) => draw_consent(canvas, view),
        None => {
            canvas.text(8, LIST_TOP - 14, "INSTALLED MODULES", 1, ACCENT);
            if state.installed.is_empty() {
                canvas.text(14, LIST_TOP + 6, "nothing installed yet: type a module's address above", 1, DIM);
            }
        }
    }
    draw_status(canvas, view);
}

fn draw_url(canvas: &mut Canvas, r: Rect, view: &View) {
    canvas.rect(r.x, r.y, r.w, r.h, PANEL);
    canvas.outline(r.x, r.y, r.w, r.h, if view.editing { ACCENT } else { DIM });
    let room = ((r.w - 16) / 8) as usize - 1;
    if view.url.is_empty() && !view.editing {
        canvas.text(r.x + 8, r.y + 8, "type oci://HOST/REPO:TAG or an installed name", 1, DIM);
        return;
    }
    // The end of a long address is what is being typed: show that.
    let skip = view.url.chars().count().saturating_sub(room);
    let shown: String = view.url.chars().skip(skip).collect();
    canvas.text(r.x + 8, r.y + 8, &shown, 1, TEXT);
    if view.editing {
        canvas.text(r.x + 8 + Canvas::text_width(&shown, 1), r.y + 8, "_", 1, ACCENT);
    }
}

fn draw_consent(canvas: &mut Canvas, view: &View) {
    let Some(consent) = &view.state.consent else { return };
    let d = DIALOG;
    canvas.rect(d.x, d.y, d.w, d.h, PANEL);
    canvas.outline(d.x, d.y, d.w, d.h, ACCENT);
    canvas.text(d.x + 8, d.y + 8, &fit(&format!("INSTALL {} {}?", consent.module, consent.version), 28), 2, TEXT);
    canvas.text(d.x + 8, d.y + 30, &fit(&format!("from {}", consent.source), 56), 1, DIM);
    canvas.text(d.x + 8, d.y + 41, &fit(&consent.publisher, 56), 1, DIM);
    canvas.text(d.x + 8, d.y + 52, &fit(&consent.limits, 56), 1, DIM);
    let asks = if consent.asks.is_empty() { "IT ASKS FOR NOTHING" } else { "IT ASKS TO (CLICK TO GRANT OR NOT):" };
    canvas.text(d.x + 8, d.y + 64, asks, 1, ACCENT);
    for (i, ask) in consent.asks.iter().take(MAX_CHECKS).enumerate() {
        let y = CHECKS_TOP + i as u32 * CHECK_ROW;
        if view.hover == Some(Widget::Check(i)) {
            canvas.rect(d.x + 8, y, d.w - 16, CHECK_ROW, HOVER);
        }
        let checked = view.checks.get(i).copied().unwrap_or(false);
        canvas.outline(d.x + 12, y + 3, 10, 10, TEXT);
        if checked {
            canvas.rect(d.x + 14, y + 5, 6, 6, OK);
        }
        canvas.text(d.x + 28, y + 4, &fit(&ask.description, 53), 1, if checked { TEXT } else { DIM });
    }
    if consent.asks.len() > MAX_CHECKS {
        let more = format!("and {} more, not granted", consent.asks.len() - MAX_CHECKS);
        canvas.text(d.x + 8, INSTALL_BUTTON.y + 6, &more, 1, DIM);
    }
    for (r, label, fill, widget) in
        [(INSTALL_BUTTON, "INSTALL", INSTALL, Widget::Install), (CANCEL_BUTTON, "CANCEL", HOVER, Widget::Cancel)]
    {
        canvas.rect(r.x, r.y, r.w, r.h, fill);
        canvas.outline(r.x, r.y, r.w, r.h, if view.hover == Some(widget) { TEXT } else { fill });
        canvas.text(r.x + (r.w - Canvas::text_width(label, 1)) / 2, r.y + 6, label, 1, TEXT);
    }
}

fn draw_status(canvas: &mut Canvas, view: &View) {
    let s = STATUS;
    let (text, color) = match (view.local_error, &view.state.busy, &view.state.notice) {
        (Some(problem), _, _) => (problem.to_string(), ERROR),
        (None, Some(busy), _) => (format!("{busy}..."), BUSY),
        (None, None, Some(notice)) => (notice.text.clone(), if notice.ok { OK } else { ERROR }),
        (None, None, None) => ("Tab: next app   Enter: open   click a row to open it".to_string(), DIM),
    };
    canvas.rect(s.x, s.y, s.w, s.h, PANEL);
    canvas.text(s.x + 6, s.y + 5, &fit(&text, 60), 1, color);
}

/// `text` cut to `chars` characters, with an ellipsis when cut.
fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}
