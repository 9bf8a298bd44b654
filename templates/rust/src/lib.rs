//! {{name}}: a Visor app. A coloured square floats a metre in front of where your head was
//! when the app started; point at it and it grows, click it and it changes colour.
//!
//! `visor dev` runs it and reloads it in place each time you save: change `COLOR` below and
//! watch the square follow.

use visor_sdk::gfx::{self, Draw};
use visor_sdk::glam::{Mat4, Vec3, Vec4};
use visor_sdk::{App, FrameInfo, InputEvent, mesh};

/// The square's colour: red, green, blue, alpha, each 0 to 1.
const COLOR: [f32; 4] = [0.15, 0.55, 0.95, 1.0];
/// Its colour after a click.
const CLICKED: [f32; 4] = [0.95, 0.55, 0.15, 1.0];

struct Square {
    pipeline: gfx::PipelineId,
    vertices: gfx::BufferId,
    indices: gfx::BufferId,
    index_count: u32,
    /// World from square: placed in front of the head at the first frame.
    placed: Option<Mat4>,
    hovered: bool,
    clicked: bool,
    /// The colour the vertex buffer holds now.
    shown: [f32; 4],
}

impl App for Square {
    fn init() -> Result<Self, String> {
        let (v, i) = mesh::quad(0.5, 0.5, Vec4::from(COLOR));
        let vertices = gfx::create_vertex_buffer(v.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
        let indices = gfx::create_index_buffer(i.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
        visor_sdk::info("{{name}} ready");
        Ok(Square {
            pipeline: gfx::builtin(gfx::BuiltinPipeline::Unlit),
            vertices,
            indices,
            index_count: i.len() as u32,
            placed: None,
            hovered: false,
            clicked: false,
            shown: COLOR,
        })
    }

    fn input(&mut self, event: &InputEvent) {
        match event {
            InputEvent::PointerMove(p) => self.hovered = p.hit.is_some(),
            InputEvent::PointerLeave => self.hovered = false,
            InputEvent::PointerDown(_) => self.clicked = !self.clicked,
            _ => {}
        }
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        let color = if self.clicked { CLICKED } else { COLOR };
        if color != self.shown {
            let (v, _) = mesh::quad(0.5, 0.5, Vec4::from(color));
            gfx::update_vertex_buffer(self.vertices, 0, &v).map_err(|e| e.to_string())?;
            self.shown = color;
        }
        let head = Mat4::from(&info.head);
        let placed = *self.placed.get_or_insert(head * Mat4::from_translation(Vec3::new(0.0, 0.0, -1.0)));
        let model = placed * Mat4::from_scale(Vec3::splat(if self.hovered { 1.15 } else { 1.0 }));
        gfx::submit_draw(&Draw {
            pipeline: self.pipeline,
            vertices: self.vertices,
            indices: Some(self.indices),
            first: 0,
            count: self.index_count,
            model: model.into(),
            texture: None,
            clip: None,
            clip_planes: Vec::new(),
        })
        .map_err(|e| e.to_string())
    }
}

visor_sdk::app!(Square);
