//! Sample app: a head-locked HUD panel — a textured quad whose text the app draws itself.
//!
//! Each frame it places the panel relative to the head pose from `frame-info` (so the panel
//! follows the head), and when the text changes it re-renders the text into its RGBA texture
//! with an 8x8 bitmap font and uploads it with `update-texture`. It opts out of occlusion by
//! the real world (`set-world-occlusion`): a status readout must stay readable in front of a
//! wall, the way a headset's own HUD does.

use visor_sdk::glam::{Mat4, Vec3};
use visor_sdk::panel::Panel;
use visor_sdk::{App, FrameInfo};

const TEX_W: u32 = 256;
const TEX_H: u32 = 64;

struct Hud {
    panel: Panel,
    shown: String,
    started_ns: u64,
}

impl App for Hud {
    fn init() -> Result<Self, String> {
        let panel = Panel::new(0.32, 0.08, TEX_W, TEX_H)?;
        visor_sdk::gfx::set_world_occlusion(false);
        let started_ns = visor_sdk::clock::now_ns();
        Ok(Hud { panel, shown: String::new(), started_ns })
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        let up_s = info.display_time_ns.saturating_sub(self.started_ns) / 1_000_000_000;
        let status = format!("VISOR  {:02}:{:02}", up_s / 60, up_s % 60);
        let detail = format!("frame {}", info.frame_number);
        let wanted = format!("{status}\n{detail}");
        if wanted != self.shown {
            let canvas = &mut self.panel.canvas;
            canvas.clear([12, 18, 30, 200]);
            canvas.text(8, 10, &status, 2, [120, 230, 255, 255]);
            canvas.text(8, 40, &detail, 1, [220, 220, 220, 255]);
            self.panel.upload()?;
            self.shown = wanted;
        }
        // Head-locked: 0.6 m ahead of the head, a little below the line of sight.
        let head = Mat4::from(&info.head);
        self.panel.draw(head * Mat4::from_translation(Vec3::new(0.0, -0.12, -0.6)))
    }
}

visor_sdk::app!(Hud);
