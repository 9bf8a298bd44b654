//! The overlay: frame timing and state as a few lines of text, rasterized on the CPU with the
//! public-domain 8x8 font into a small RGBA image that the present pass blends over the frame.
//!
//! [`Timing`] gathers what each frame cost; every [`REFRESH`] it is summed up into the text
//! ([`OverlayText`]) and the image redrawn. Text changes at most four times a second, so the
//! numbers stay readable and the upload costs nothing measurable.

use std::time::{Duration, Instant};

use font8x8::legacy::BASIC_LEGACY;

/// How often the overlay's text is recomputed.
pub const REFRESH: Duration = Duration::from_millis(250);

const GLYPH: u32 = 8;
/// Line height in image pixels: the glyph and a two-pixel gap.
const LINE: u32 = GLYPH + 2;
/// Padding around the text, in image pixels.
const PAD: u32 = 4;
const BACKGROUND: [u8; 4] = [0, 0, 0, 170];
const INK: [u8; 4] = [235, 235, 235, 255];
const ACCENT: [u8; 4] = [255, 210, 90, 255];

/// Frame costs since the overlay last refreshed.
#[derive(Debug)]
pub struct Timing {
    since: Instant,
    frames: u32,
    compositor_ms: f64,
    compositor_max_ms: f64,
}

/// One refresh period summed up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimingSummary {
    pub fps: f64,
    pub compositor_ms: f64,
    pub compositor_max_ms: f64,
}

impl Timing {
    pub fn new(now: Instant) -> Timing {
        Timing { since: now, frames: 0, compositor_ms: 0.0, compositor_max_ms: 0.0 }
    }

    pub fn frame(&mut self, compositor_ms: f64) {
        self.frames += 1;
        self.compositor_ms += compositor_ms;
        self.compositor_max_ms = self.compositor_max_ms.max(compositor_ms);
    }

    /// The summary once [`REFRESH`] has passed since the last one (and starts the next
    /// period), else `None`.
    pub fn take(&mut self, now: Instant) -> Option<TimingSummary> {
        let elapsed = now.duration_since(self.since);
        if elapsed < REFRESH {
            return None;
        }
        let frames = f64::from(self.frames);
        let summary = TimingSummary {
            fps: frames / elapsed.as_secs_f64(),
            compositor_ms: if self.frames == 0 { 0.0 } else { self.compositor_ms / frames },
            compositor_max_ms: self.compositor_max_ms,
        };
        *self = Timing::new(now);
        Some(summary)
    }
}

/// One app's line.
#[derive(Clone, Debug, PartialEq)]
pub struct AppLine {
    pub name: String,
    pub frame_ms: f64,
    pub paused: bool,
    pub focused: bool,
}

/// What the overlay says.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlayText {
    /// Profile, view and adapter.
    pub title: String,
    pub timing: TimingSummary,
    pub apps: Vec<AppLine>,
    /// A passing message (a screenshot's path, a pause), shown for a few seconds.
    pub notice: Option<String>,
    /// Where offloaded vision runs (`[network] offload`).
    pub network: Option<String>,
    pub help: &'static [&'static str],
}

impl OverlayText {
    /// The lines, each with its color.
    pub fn lines(&self) -> Vec<(String, [u8; 4])> {
        let t = &self.timing;
        let mut lines = vec![
            (self.title.clone(), ACCENT),
            (format!("{:5.1} fps   compositor {:6.2} ms (max {:.2})", t.fps, t.compositor_ms, t.compositor_max_ms), INK),
        ];
        if self.apps.is_empty() {
            lines.push(("no apps on the display".into(), INK));
        }
        for app in &self.apps {
            let marker = if app.focused { '>' } else { ' ' };
            let paused = if app.paused { "  [paused]" } else { "" };
            lines.push((format!("{marker} {:<16} {:6.2} ms{paused}", app.name, app.frame_ms), INK));
        }
        if let Some(network) = &self.network {
            lines.push((network.clone(), ACCENT));
        }
        if let Some(notice) = &self.notice {
            lines.push((notice.clone(), ACCENT));
        }
        lines.extend(self.help.iter().map(|h| (h.to_string(), INK)));
        lines
    }

    /// The text as an RGBA image (straight alpha, sRGB), sized to fit it.
    pub fn rasterize(&self) -> Raster {
        let lines = self.lines();
        let columns = lines.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) as u32;
        let width = columns * GLYPH + 2 * PAD;
        let height = lines.len() as u32 * LINE + 2 * PAD - (LINE - GLYPH);
        let mut raster = Raster { width, height, pixels: BACKGROUND.repeat((width * height) as usize) };
        for (row, (line, color)) in lines.iter().enumerate() {
            for (column, c) in line.chars().enumerate() {
                raster.glyph(PAD + column as u32 * GLYPH, PAD + row as u32 * LINE, c, *color);
            }
        }
        raster
    }
}

/// An RGBA8 image, rows top to bottom, tightly packed.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Raster {
    fn glyph(&mut self, x: u32, y: u32, c: char, color: [u8; 4]) {
        // The font covers ASCII; anything else shows as '?'.
        let bitmap = BASIC_LEGACY.get(c as usize).unwrap_or(&BASIC_LEGACY[b'?' as usize]);
        for (dy, bits) in bitmap.iter().enumerate() {
            for dx in 0..GLYPH {
                if bits & (1 << dx) != 0 {
                    let i = (((y + dy as u32) * self.width + x + dx) * 4) as usize;
                    self.pixels[i..i + 4].copy_from_slice(&color);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> OverlayText {
        OverlayText {
            title: "desktop-sim  stereo".into(),
            timing: TimingSummary { fps: 59.94, compositor_ms: 3.216, compositor_max_ms: 5.0 },
            apps: vec![
                AppLine { name: "cube".into(), frame_ms: 1.234, paused: false, focused: true },
                AppLine { name: "hud".into(), frame_ms: 0.5, paused: true, focused: false },
            ],
            notice: Some("screenshot: ./visor-000042.png".into()),
            network: None,
            help: &["F1 overlay", "Esc quit"],
        }
    }

    #[test]
    fn the_lines_say_timing_apps_focus_and_pauses() {
        let lines: Vec<String> = text().lines().into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines[1], " 59.9 fps   compositor   3.22 ms (max 5.00)");
        assert_eq!(lines[2], "> cube               1.23 ms");
        assert_eq!(lines[3], "  hud                0.50 ms  [paused]");
        assert_eq!(lines[4], "screenshot: ./visor-000042.png");
        assert_eq!(lines[5..], ["F1 overlay", "Esc quit"]);
    }

    #[test]
    fn rasterized_text_has_ink_on_a_translucent_ground() {
        let raster = text().rasterize();
        let longest = text().lines().iter().map(|(l, _)| l.len()).max().unwrap() as u32;
        assert_eq!(raster.width, longest * 8 + 8);
        assert_eq!(raster.pixels.len(), (raster.width * raster.height * 4) as usize);
        let inked = raster.pixels.chunks(4).filter(|p| p[3] == 255).count();
        let ground = raster.pixels.chunks(4).filter(|p| *p == BACKGROUND).count();
        assert!(inked > 100 && ground > inked, "inked {inked}, ground {ground}");
        // The corner is padding.
        assert_eq!(&raster.pixels[..4], &BACKGROUND);
    }

    #[test]
    fn timing_sums_up_once_per_refresh() {
        let start = Instant::now();
        let mut timing = Timing::new(start);
        timing.frame(2.0);
        timing.frame(4.0);
        assert_eq!(timing.take(start + Duration::from_millis(100)), None);
        let summary = timing.take(start + Duration::from_millis(500)).expect("a summary after 500 ms");
        assert_eq!(summary, TimingSummary { fps: 4.0, compositor_ms: 3.0, compositor_max_ms: 4.0 });
        // The next period starts empty.
        let next = timing.take(start + Duration::from_millis(1000)).unwrap();
        assert_eq!((next.fps, next.compositor_ms), (0.0, 0.0));
    }
}
