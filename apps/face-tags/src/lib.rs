//! Sample app: face tags. It subscribes to the vision library's `vision/faces` and draws, for
//! every face, an outline around it and a label beside it — in the world, at the face's
//! depth, so other apps' content in front of a face hides its tag and the tag hides what is
//! behind it.
//!
//! The vision module estimates each face's position in the camera's frame (+x right, +y down,
//! +z forward, metres). Visor's head space is +x right, +y up, -z forward, and the camera sits
//! at the head's origin looking along it, so a camera point (x, y, z) is (x, -y, -z) in head
//! space; the head pose then places it in the world once, when the detection arrives. Between
//! detections the tag stays put in the world (it is world-anchored), and it disappears when no
//! face has been reported for a while.

mod tags;

use serde::Deserialize;
use visor_sdk::bus::{self, Overflow, Payload};
use visor_sdk::canvas::Canvas;
use visor_sdk::gfx::{self, Draw};
use visor_sdk::glam::{Mat4, Vec3, Vec4};
use visor_sdk::{App, FrameInfo, mesh};

use tags::Tag;

const FACES_TOPIC: &str = "vision/faces";
/// Tags drawn at most (the rest of a crowd goes untagged).
const MAX_TAGS: usize = 4;
/// A tag with no fresh detection is dropped after this long.
const STALE_NS: u64 = 1_000_000_000;
const LABEL_W: u32 = 160;
const LABEL_H: u32 = 32;
const OUTLINE: Vec4 = Vec4::new(1.0, 0.8, 0.0, 1.0);

/// The part of the `vision/faces` message this app reads (see visor-vision's `Detections`).
#[derive(Deserialize)]
struct Detections {
    frame_sequence: u64,
    frame_width: u32,
    frame_height: u32,
    faces: Vec<Face>,
}

#[derive(Deserialize)]
struct Face {
    bbox: BBox,
    score: f32,
    position: Option<[f32; 3]>,
}

#[derive(Deserialize)]
struct BBox {
    w: f32,
    h: f32,
}

struct FaceTags {
    unlit: gfx::PipelineId,
    textured: gfx::PipelineId,
    outline: gfx::BufferId,
    quad: (gfx::BufferId, gfx::BufferId),
    labels: Vec<(gfx::TextureId, String)>,
    canvas: Canvas,
    tags: Vec<Tag>,
    newest_frame: u64,
    seen_ns: u64,
}

impl App for FaceTags {
    fn init() -> Result<Self, String> {
        let err = |e: gfx::Error| e.to_string();
        bus::subscribe(FACES_TOPIC, 4, Overflow::DropOldest).map_err(|e| format!("subscribing to {FACES_TOPIC}: {e:?}"))?;
        let outline = gfx::create_vertex_buffer((MAX_TAGS * tags::OUTLINE_VERTICES) as u32).map_err(err)?;
        let (v, i) = mesh::quad(1.0, 1.0, Vec4::ONE);
        let quad_v = gfx::create_vertex_buffer(v.len() as u32).map_err(err)?;
        gfx::update_vertex_buffer(quad_v, 0, &v).map_err(err)?;
        let quad_i = gfx::create_index_buffer(i.len() as u32).map_err(err)?;
        gfx::update_index_buffer(quad_i, 0, &i).map_err(err)?;
        let canvas = Canvas::new(LABEL_W, LABEL_H);
        let labels = (0..MAX_TAGS)
            .map(|_| Ok((gfx::create_texture(LABEL_W, LABEL_H, canvas.pixels()).map_err(err)?, String::new())))
            .collect::<Result<_, String>>()?;
        Ok(FaceTags {
            unlit: gfx::builtin(gfx::BuiltinPipeline::Unlit),
            textured: gfx::builtin(gfx::BuiltinPipeline::Textured),
            outline,
            quad: (quad_v, quad_i),
            labels,
            canvas,
            tags: Vec::new(),
            newest_frame: 0,
            seen_ns: 0,
        })
    }

    fn frame(&mut self, info: &FrameInfo) -> Result<(), String> {
        let head = Mat4::from(&info.head);
        for message in bus::poll(16) {
            let Payload::Text(text) = message.payload else { continue };
            match serde_json::from_str::<Detections>(&text) {
                Ok(d) if d.frame_sequence >= self.newest_frame => self.take(d, head, info.display_time_ns),
                Ok(_) => {}
                Err(e) => visor_sdk::warn(&format!("unreadable {FACES_TOPIC} message: {e}")),
            }
        }
        if info.display_time_ns.saturating_sub(self.seen_ns) > STALE_NS {
            self.tags.clear();
        }
        if self.tags.is_empty() {
            return Ok(());
        }
        self.draw()
    }
}

impl FaceTags {
    fn take(&mut self, d: Detections, head: Mat4, now_ns: u64) {
        self.newest_frame = d.frame_sequence;
        self.seen_ns = now_ns;
        let aspect = d.frame_height as f32 / d.frame_width.max(1) as f32;
        self.tags = d
            .faces
            .iter()
            .filter_map(|f| {
                let [x, y, z] = f.position?;
                let center = Vec3::new(x, -y, -z);
                // The vision module sized the face as FACE_WIDTH across; keep the box's shape.
                let width = tags::FACE_WIDTH_M;
                let height = width * (f.bbox.h / f.bbox.w.max(1e-6)) * aspect;
                Some(Tag::new(head, center, width, height, f.score))
            })
            .take(MAX_TAGS)
            .collect();
    }

    fn draw(&mut self) -> Result<(), String> {
        let err = |e: gfx::Error| e.to_string();
        let vertices: Vec<_> = self.tags.iter().flat_map(|t| t.outline(OUTLINE)).collect();
        gfx::update_vertex_buffer(self.outline, 0, &vertices).map_err(err)?;
        gfx::submit_draw(&Draw {
            pipeline: self.unlit,
            vertices: self.outline,
            indices: None,
            first: 0,
            count: vertices.len() as u32,
            model: Mat4::IDENTITY.into(),
            texture: None,
            clip: None,
            clip_planes: Vec::new(),
        })
        .map_err(err)?;
        for (tag, (texture, shown)) in self.tags.iter().zip(self.labels.iter_mut()) {
            let text = format!("FACE {}%", (tag.score * 100.0).round() as u32);
            if *shown != text {
                self.canvas.clear([10, 14, 24, 220]);
                self.canvas.text(8, 8, &text, 2, [255, 204, 0, 255]);
                gfx::update_texture(*texture, self.canvas.pixels()).map_err(err)?;
                *shown = text;
            }
            gfx::submit_draw(&Draw {
                pipeline: self.textured,
                vertices: self.quad.0,
                indices: Some(self.quad.1),
                first: 0,
                count: 6,
                model: tag.label_model().into(),
                texture: Some(*texture),
                clip: None,
                clip_planes: Vec::new(),
            })
            .map_err(err)?;
        }
        Ok(())
    }
}

visor_sdk::app!(FaceTags);
