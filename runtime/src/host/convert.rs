//! WIT records to the shared types the compositor reads, and back.

use glam::{Mat4, Vec4};
use visor_types::frame::{EyeView, FrameInfo, Viewport};
use visor_types::layer::Vertex;

use super::bindings::visor::app::gfx as wit_gfx;
use super::bindings::visor::app::types as wit;

pub(crate) fn vec4(v: &wit::Vec4) -> Vec4 {
    Vec4::new(v.x, v.y, v.z, v.w)
}

fn wit_vec4(v: Vec4) -> wit::Vec4 {
    wit::Vec4 { x: v.x, y: v.y, z: v.z, w: v.w }
}

pub(crate) fn mat4(m: &wit::Mat4) -> Mat4 {
    Mat4::from_cols(vec4(&m.c0), vec4(&m.c1), vec4(&m.c2), vec4(&m.c3))
}

fn wit_mat4(m: &Mat4) -> wit::Mat4 {
    wit::Mat4 { c0: wit_vec4(m.x_axis), c1: wit_vec4(m.y_axis), c2: wit_vec4(m.z_axis), c3: wit_vec4(m.w_axis) }
}

pub(crate) fn vertex(v: &wit_gfx::Vertex) -> Vertex {
    Vertex {
        position: [v.position.x, v.position.y, v.position.z],
        normal: [v.normal.x, v.normal.y, v.normal.z],
        color: [v.color.x, v.color.y, v.color.z, v.color.w],
        uv: [v.uv.x, v.uv.y],
    }
}

fn wit_viewport(v: &Viewport) -> wit::Viewport {
    wit::Viewport { x: v.x, y: v.y, width: v.width, height: v.height }
}

fn wit_eye(eye: &EyeView) -> wit::EyeView {
    wit::EyeView {
        view: wit_mat4(&eye.view),
        projection: wit_mat4(&eye.projection),
        viewport: wit_viewport(&eye.viewport),
    }
}

pub(crate) fn frame_info(info: &FrameInfo) -> wit::FrameInfo {
    wit::FrameInfo {
        display_time_ns: info.display_time_ns,
        frame_number: info.frame_number,
        head: wit_mat4(&info.head),
        eyes: info.eyes.iter().map(wit_eye).collect(),
    }
}
