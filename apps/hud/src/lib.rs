//! Sample app: a head-locked HUD panel — a textured quad whose text the app draws itself.
//!
//! Each frame it places the panel relative to the head pose from `frame-info` (so the panel
//! follows the head), and when the text changes it re-renders the text into its RGBA texture
//! with an 8x8 bitmap font and uploads it with `update-texture`.

use visor_sdk::gfx::{self, Draw};
use visor_sdk::glam::{Mat4, Vec3, Vec4};
use visor_sdk::canvas::Canvas;
use visor_sdk::{App, FrameInfo, mesh};

const TEX_W: u32 = 256;
const TEX_H: u32 = 64;

struct Hud {
    pipeline: gfx::PipelineId,
    vertices: gfx::BufferId,
    indices: gfx::BufferId,
    texture: gfx::TextureId,
    canvas: Canvas,
    shown: String,
    started_ns: u64,
}

impl App for Hud {
    fn init() -> Result<Self, String> {
        let (v, i) = mesh::quad(0.32, 0.08, Vec4::ONE);
        let vertices = gfx::create_vertex_buffer(v.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
        let indices = gfx::create_index_buffer(i.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
        let canvas = Canvas::new(TEX_W, TEX_H);
        let texture =
            gfx::create_texture(TEX_W, TEX_H, canvas.pixels()).map_err(|e| e.to_string())?;
        let pipeline = gfx::builtin(gfx::BuiltinPipeline::Textured);
        let started_ns = visor_sdk::clock::now_ns();
        Ok(Hud { pipeline, vertices, indices, texture, canvas, shown: String::new(), started_ns })
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        let up_s = info.display_time_ns.saturating_sub(self.started_ns) / 1_000_000_000;
        let status = format!("VISOR  {:02}:{:02}", up_s / 60, up_s % 60);
        let detail = format!("frame {}", info.frame_number);
        let wanted = format!("{status}\n{detail}");
        if wanted != self.shown {
            self.canvas.clear([12, 18, 30, 200]);
            self.canvas.text(8, 10, &status, 2, [120, 230, 255, 255]);
            self.canvas.text(8, 40, &detail, 1, [220, 220, 220, 255]);
            gfx::update_texture(self.texture, self.canvas.pixels()).map_err(|e| e.to_string())?;
            self.shown = wanted;
        }
        // Head-locked: 0.6 m ahead of the head, a little below the line of sight.
        let head = Mat4::from(&info.head);
        let model = head * Mat4::from_translation(Vec3::new(0.0, -0.12, -0.6));
        gfx::submit_draw(&Draw {
            pipeline: self.pipeline,
            vertices: self.vertices,
            indices: Some(self.indices),
            first: 0,
            count: 6,
            model: model.into(),
            texture: Some(self.texture),
            clip: None,
            clip_planes: Vec::new(),
        })
        .map_err(|e| e.to_string())
    }
}

visor_sdk::app!(Hud);
