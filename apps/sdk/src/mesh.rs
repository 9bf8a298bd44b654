//! Vertex helpers and the few shapes the sample apps draw.

use crate::gfx::Vertex;
use glam::{Vec2, Vec3, Vec4};

/// A vertex from glam values.
///
/// ```
/// use visor_sdk::glam::{Vec2, Vec3, Vec4};
/// let v = visor_sdk::mesh::vertex(Vec3::ZERO, Vec3::Z, Vec4::ONE, Vec2::ZERO);
/// assert_eq!((v.normal.z, v.color.w), (1.0, 1.0));
/// ```
pub fn vertex(position: Vec3, normal: Vec3, color: Vec4, uv: Vec2) -> Vertex {
    Vertex { position: position.into(), normal: normal.into(), color: color.into(), uv: uv.into() }
}

/// A quad in the z = 0 plane, centred on the origin, facing +z: four vertices
/// (bottom-left, bottom-right, top-right, top-left) and six indices.
///
/// ```
/// use visor_sdk::glam::Vec4;
/// let (vertices, indices) = visor_sdk::mesh::quad(2.0, 1.0, Vec4::new(1.0, 0.0, 0.0, 1.0));
/// assert_eq!((vertices.len(), indices.len()), (4, 6));
/// assert_eq!((vertices[2].position.x, vertices[2].position.y), (1.0, 0.5)); // top-right
/// ```
pub fn quad(width: f32, height: f32, color: Vec4) -> (Vec<Vertex>, Vec<u32>) {
    let (w, h) = (width / 2.0, height / 2.0);
    let n = Vec3::Z;
    let vertices = vec![
        vertex(Vec3::new(-w, -h, 0.0), n, color, Vec2::new(0.0, 1.0)),
        vertex(Vec3::new(w, -h, 0.0), n, color, Vec2::new(1.0, 1.0)),
        vertex(Vec3::new(w, h, 0.0), n, color, Vec2::new(1.0, 0.0)),
        vertex(Vec3::new(-w, h, 0.0), n, color, Vec2::new(0.0, 0.0)),
    ];
    (vertices, vec![0, 1, 2, 0, 2, 3])
}

/// An axis-aligned cube of edge `size`, centred on the origin: 24 vertices (flat normals, one
/// color per face) and 36 indices.
///
/// ```
/// use visor_sdk::glam::Vec4;
/// let (vertices, indices) = visor_sdk::mesh::cube(1.0, [Vec4::ONE; 6]);
/// assert_eq!((vertices.len(), indices.len()), (24, 36));
/// // Every corner sits half an edge from the centre on each axis.
/// assert!(vertices.iter().all(|v| v.position.x.abs() == 0.5 && v.position.z.abs() == 0.5));
/// ```
pub fn cube(size: f32, face_colors: [Vec4; 6]) -> (Vec<Vertex>, Vec<u32>) {
    let h = size / 2.0;
    // Each face: its normal and two in-plane axes (u, v) with u x v = normal.
    let faces = [
        (Vec3::X, Vec3::NEG_Z, Vec3::Y),
        (Vec3::NEG_X, Vec3::Z, Vec3::Y),
        (Vec3::Y, Vec3::X, Vec3::NEG_Z),
        (Vec3::NEG_Y, Vec3::X, Vec3::Z),
        (Vec3::Z, Vec3::X, Vec3::Y),
        (Vec3::NEG_Z, Vec3::NEG_X, Vec3::Y),
    ];
    let mut vertices = Vec::with_capacity(24);
    let mut indices = Vec::with_capacity(36);
    for (face, (n, u, v)) in faces.into_iter().enumerate() {
        let base = vertices.len() as u32;
        let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
        for (su, sv) in corners {
            let p = (n + u * su + v * sv) * h;
            let uv = Vec2::new((su + 1.0) / 2.0, (1.0 - sv) / 2.0);
            vertices.push(vertex(p, n, face_colors[face], uv));
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    (vertices, indices)
}
