//! Sample app: a lit cube spinning in world space, 1.5 m in front of the starting head pose.
//!
//! It shows the smallest complete app: buffers made once in `init`, one draw per frame with a
//! model matrix that turns with the display time. The cube is world-locked, so it stays put as
//! the head moves, and it writes depth, so other apps' content passes in front and behind it.
//! Point at it and it grows a little; click it to stop or restart its spin.

use visor_sdk::gfx::{self, Draw};
use visor_sdk::glam::{Mat4, Quat, Vec3, Vec4};
use visor_sdk::{App, FrameInfo, InputEvent, mesh};

struct Cube {
    pipeline: gfx::PipelineId,
    vertices: gfx::BufferId,
    indices: gfx::BufferId,
    index_count: u32,
    /// The pointer is on the cube.
    hovered: bool,
    /// A click asks to stop or restart the spin at the next frame.
    toggle: bool,
    /// Display time (s) at which the spin stopped, while stopped.
    stopped_at: Option<f64>,
    /// Seconds spent stopped, so the spin resumes where it stopped.
    stopped_for: f64,
}

impl App for Cube {
    fn init() -> Result<Self, String> {
        let colors = [
            Vec4::new(0.90, 0.30, 0.25, 1.0),
            Vec4::new(0.25, 0.75, 0.35, 1.0),
            Vec4::new(0.25, 0.45, 0.95, 1.0),
            Vec4::new(0.95, 0.80, 0.20, 1.0),
            Vec4::new(0.80, 0.35, 0.85, 1.0),
            Vec4::new(0.20, 0.80, 0.85, 1.0),
        ];
        let (v, i) = mesh::cube(0.4, colors);
        let vertices = gfx::create_vertex_buffer(v.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
        let indices = gfx::create_index_buffer(i.len() as u32).map_err(|e| e.to_string())?;
        gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
        let pipeline = gfx::builtin(gfx::BuiltinPipeline::Lit);
        visor_sdk::info("cube ready");
        Ok(Cube {
            pipeline,
            vertices,
            indices,
            index_count: i.len() as u32,
            hovered: false,
            toggle: false,
            stopped_at: None,
            stopped_for: 0.0,
        })
    }

    fn input(&mut self, event: &InputEvent) {
        match event {
            InputEvent::PointerMove(p) => self.hovered = p.hit.is_some(),
            InputEvent::PointerLeave => self.hovered = false,
            InputEvent::PointerDown(_) => self.toggle = !self.toggle,
            _ => {}
        }
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        let t = self.spin_time(info.display_time_ns as f64 * 1e-9);
        let spin = Quat::from_rotation_y(t * 0.9) * Quat::from_rotation_x(t * 0.6 + 0.5);
        let scale = Vec3::splat(if self.hovered { 1.12 } else { 1.0 });
        let model = Mat4::from_scale_rotation_translation(scale, spin, Vec3::new(0.0, 0.0, -1.5));
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

impl Cube {
    /// The spin's clock: the display time less the time spent stopped, so the cube's angle is
    /// a function of display time alone until someone clicks it.
    fn spin_time(&mut self, now: f64) -> f32 {
        if std::mem::take(&mut self.toggle) {
            match self.stopped_at.take() {
                Some(at) => self.stopped_for += now - at,
                None => self.stopped_at = Some(now),
            }
        }
        (self.stopped_at.unwrap_or(now) - self.stopped_for) as f32
    }
}

visor_sdk::app!(Cube);
