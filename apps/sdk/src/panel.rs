//! [`Panel`]: a flat textured rectangle in the world whose picture the app paints on a
//! [`Canvas`] — the HUD's readout, the launcher's window. Painting is CPU work in the app;
//! the texture is uploaded only when the app says the picture changed.

use glam::{Mat4, Vec4};

use crate::canvas::Canvas;
use crate::gfx::{self, Draw};
use crate::mesh;

pub struct Panel {
    pipeline: gfx::PipelineId,
    vertices: gfx::BufferId,
    indices: gfx::BufferId,
    texture: gfx::TextureId,
    /// The picture: paint it, then [`Panel::upload`].
    pub canvas: Canvas,
}

impl Panel {
    /// A panel `width` x `height` metres, centred on its origin in the z = 0 plane, facing +z,
    /// showing a canvas of `pixels_wide` x `pixels_high`.
    pub fn new(width: f32, height: f32, pixels_wide: u32, pixels_high: u32) -> Result<Panel, String> {
        let (v, i) = mesh::quad(width, height, Vec4::ONE);
        let vertices = gfx::create_vertex_buffer(v.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
        let indices = gfx::create_index_buffer(i.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
        let canvas = Canvas::new(pixels_wide, pixels_high);
        let texture = gfx::create_texture(pixels_wide, pixels_high, canvas.pixels()).map_err(|e| e.to_string())?;
        Ok(Panel { pipeline: gfx::builtin(gfx::BuiltinPipeline::Textured), vertices, indices, texture, canvas })
    }

    /// Sends the canvas to the panel's texture.
    pub fn upload(&self) -> Result<(), String> {
        gfx::update_texture(self.texture, self.canvas.pixels()).map_err(|e| e.to_string())
    }

    /// Draws the panel this frame, placed by `model` (world from panel).
    pub fn draw(&self, model: Mat4) -> Result<(), String> {
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
