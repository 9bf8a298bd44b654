//! One face's tag, placed in the world: an outline of four bars around the face and a label
//! quad to its right, both in the plane facing the viewer at the face's depth.

use visor_sdk::gfx::Vertex;
use visor_sdk::glam::{Mat4, Vec2, Vec3, Vec4};
use visor_sdk::mesh;

/// The face width the vision module assumes when it estimates depth (visor-vision's
/// `FACE_WIDTH_M`); the outline uses the same so it hugs the face on screen.
pub const FACE_WIDTH_M: f32 = 0.14;
/// Vertices of one outline: four bars of two triangles.
pub const OUTLINE_VERTICES: usize = 24;

pub struct Tag {
    /// Head pose when the face was seen: the tag's plane, fixed in the world from then on.
    head: Mat4,
    /// Face centre and size, in that head's space.
    center: Vec3,
    width: f32,
    height: f32,
    pub score: f32,
}

impl Tag {
    pub fn new(head: Mat4, center: Vec3, width: f32, height: f32, score: f32) -> Tag {
        Tag { head, center, width, height, score }
    }

    /// Four bars around the face, in world coordinates.
    pub fn outline(&self, color: Vec4) -> Vec<Vertex> {
        let (hw, hh) = (self.width / 2.0, self.height / 2.0);
        let t = self.width * 0.05;
        let bars = [
            (Vec2::new(-hw - t, hh), Vec2::new(hw + t, hh + t)),   // top
            (Vec2::new(-hw - t, -hh - t), Vec2::new(hw + t, -hh)), // bottom
            (Vec2::new(-hw - t, -hh), Vec2::new(-hw, hh)),         // left
            (Vec2::new(hw, -hh), Vec2::new(hw + t, hh)),           // right
        ];
        let normal = self.head.transform_vector3(Vec3::Z).normalize_or_zero();
        bars.iter()
            .flat_map(|(lo, hi)| {
                let corner = |x: f32, y: f32| {
                    let p = self.head.transform_point3(self.center + Vec3::new(x, y, 0.0));
                    mesh::vertex(p, normal, color, Vec2::ZERO)
                };
                let (a, b, c, d) = (corner(lo.x, lo.y), corner(hi.x, lo.y), corner(hi.x, hi.y), corner(lo.x, hi.y));
                [a, b, c, a, c, d]
            })
            .collect()
    }

    /// The label quad (a unit quad scaled and placed) to the right of the face, top-aligned.
    pub fn label_model(&self) -> Mat4 {
        // The label texture is 160x32: keep its 5:1 shape.
        let (w, h) = (self.width * 1.2, self.width * 1.2 / 5.0);
        let at = self.center + Vec3::new(self.width / 2.0 + self.width * 0.15 + w / 2.0, self.height / 2.0 - h / 2.0, 0.0);
        self.head * Mat4::from_translation(at) * Mat4::from_scale(Vec3::new(w, h, 1.0))
    }
}
