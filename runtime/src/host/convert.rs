//! WIT records to the shared types the compositor reads, and back.

use glam::{Mat4, Vec3, Vec4};
use visor_types::frame::{EyeView, FrameInfo, Viewport};
use visor_types::input::{InputEvent, Key, Pointer};
use visor_types::layer::{BuiltinPipeline, Vertex};

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

pub(crate) fn builtin_pipeline(which: wit_gfx::BuiltinPipeline) -> BuiltinPipeline {
    match which {
        wit_gfx::BuiltinPipeline::Unlit => BuiltinPipeline::Unlit,
        wit_gfx::BuiltinPipeline::Lit => BuiltinPipeline::Lit,
        wit_gfx::BuiltinPipeline::Textured => BuiltinPipeline::Textured,
    }
}

fn wit_viewport(v: &Viewport) -> wit::Viewport {
    wit::Viewport { x: v.x, y: v.y, width: v.width, height: v.height }
}

fn wit_eye(eye: &EyeView) -> wit::EyeView {
    wit::EyeView { view: wit_mat4(&eye.view), projection: wit_mat4(&eye.projection), viewport: wit_viewport(&eye.viewport) }
}

pub(crate) fn frame_info(info: &FrameInfo, events: &[InputEvent]) -> wit::FrameInfo {
    wit::FrameInfo {
        display_time_ns: info.display_time_ns,
        frame_number: info.frame_number,
        head: wit_mat4(&info.head),
        eyes: info.eyes.iter().map(wit_eye).collect(),
        events: events.iter().map(wit_event).collect(),
    }
}

fn wit_vec3(v: Vec3) -> wit::Vec3 {
    wit::Vec3 { x: v.x, y: v.y, z: v.z }
}

fn wit_pointer(p: &Pointer) -> wit::Pointer {
    wit::Pointer {
        time_ns: p.time_ns,
        eye: p.eye,
        x: p.pixel.x,
        y: p.pixel.y,
        origin: wit_vec3(p.origin),
        direction: wit_vec3(p.direction),
        hit: p.hit.map(wit_vec3),
    }
}

fn wit_key(k: &Key) -> wit::Key {
    wit::Key { time_ns: k.time_ns, key: k.key.clone(), text: k.text.clone() }
}

fn wit_event(event: &InputEvent) -> wit::InputEvent {
    match event {
        InputEvent::PointerMove(p) => wit::InputEvent::PointerMove(wit_pointer(p)),
        InputEvent::PointerDown(p) => wit::InputEvent::PointerDown(wit_pointer(p)),
        InputEvent::PointerUp(p) => wit::InputEvent::PointerUp(wit_pointer(p)),
        InputEvent::PointerLeave => wit::InputEvent::PointerLeave,
        InputEvent::KeyDown(k) => wit::InputEvent::KeyDown(wit_key(k)),
        InputEvent::KeyUp(k) => wit::InputEvent::KeyUp(wit_key(k)),
        InputEvent::FocusGained => wit::InputEvent::FocusGained,
        InputEvent::FocusLost => wit::InputEvent::FocusLost,
    }
}
