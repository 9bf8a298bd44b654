//! Conversions between the WIT math records and glam, so apps do their math in glam.
//!
//! ```
//! use visor_sdk::bindings::visor::app::types::Mat4;
//! let model = visor_sdk::glam::Mat4::from_translation(visor_sdk::glam::Vec3::new(0.0, 0.0, -1.0));
//! let wit: Mat4 = model.into(); // what gfx::Draw takes, column-major
//! assert_eq!(wit.c3.z, -1.0);
//! assert_eq!(visor_sdk::glam::Mat4::from(wit), model); // and back, e.g. from FrameInfo's head pose
//! ```

use crate::bindings::visor::app::types::{Mat4, Vec2, Vec3, Vec4};

impl From<glam::Vec2> for Vec2 {
    fn from(v: glam::Vec2) -> Self {
        Vec2 { x: v.x, y: v.y }
    }
}

impl From<glam::Vec3> for Vec3 {
    fn from(v: glam::Vec3) -> Self {
        Vec3 { x: v.x, y: v.y, z: v.z }
    }
}

impl From<glam::Vec4> for Vec4 {
    fn from(v: glam::Vec4) -> Self {
        Vec4 { x: v.x, y: v.y, z: v.z, w: v.w }
    }
}

impl From<Vec4> for glam::Vec4 {
    fn from(v: Vec4) -> Self {
        glam::Vec4::new(v.x, v.y, v.z, v.w)
    }
}

impl From<glam::Mat4> for Mat4 {
    fn from(m: glam::Mat4) -> Self {
        Mat4 { c0: m.x_axis.into(), c1: m.y_axis.into(), c2: m.z_axis.into(), c3: m.w_axis.into() }
    }
}

impl From<Mat4> for glam::Mat4 {
    fn from(m: Mat4) -> Self {
        glam::Mat4::from_cols(m.c0.into(), m.c1.into(), m.c2.into(), m.c3.into())
    }
}

impl From<&Mat4> for glam::Mat4 {
    fn from(m: &Mat4) -> Self {
        glam::Mat4::from_cols(m.c0.into(), m.c1.into(), m.c2.into(), m.c3.into())
    }
}
