//! The Visor app SDK: write an AR app in Rust, build it to a `wasm32-wasip2` component.
//!
//! The bindings come from `apps/wit/visor.wit`, the same file the host binds to, so guest and
//! host cannot drift apart. On top of them this crate adds only what every app would otherwise
//! write itself:
//!
//! - the [`App`] trait, so an app is a plain struct with `&mut self` state, and the [`app!`]
//!   macro that exports it;
//! - conversions between the WIT math records and [`glam`] types;
//! - [`mesh`]: vertex helpers and the shapes the samples use;
//! - [`canvas`]: an RGBA canvas with bitmap text, for labels drawn into textures;
//! - [`panel`]: a textured rectangle in the world showing a canvas (HUDs, windows).
//!
//! A whole app: a quad a metre ahead, drawn every frame with the built-in `unlit` pipeline
//! (this example compiles as a test; it runs inside Visor, where the imports exist):
//!
//! ```no_run
//! use visor_sdk::glam::{Mat4, Vec3, Vec4};
//! use visor_sdk::{gfx, mesh};
//!
//! struct Hello {
//!     vertices: gfx::BufferId,
//!     indices: gfx::BufferId,
//!     count: u32,
//!     pipeline: gfx::PipelineId,
//! }
//!
//! impl visor_sdk::App for Hello {
//!     fn init() -> Result<Self, String> {
//!         let (v, i) = mesh::quad(0.5, 0.5, Vec4::new(0.2, 0.6, 1.0, 1.0));
//!         let vertices = gfx::create_vertex_buffer(v.len() as u32).map_err(|e| e.to_string())?;
//!         gfx::update_vertex_buffer(vertices, 0, &v).map_err(|e| e.to_string())?;
//!         let indices = gfx::create_index_buffer(i.len() as u32).map_err(|e| e.to_string())?;
//!         gfx::update_index_buffer(indices, 0, &i).map_err(|e| e.to_string())?;
//!         let pipeline = gfx::builtin(gfx::BuiltinPipeline::Unlit);
//!         Ok(Hello { vertices, indices, count: i.len() as u32, pipeline })
//!     }
//!
//!     fn frame(&mut self, _info: &visor_sdk::FrameInfo) -> Result<(), String> {
//!         let draw = gfx::Draw {
//!             pipeline: self.pipeline,
//!             vertices: self.vertices,
//!             indices: Some(self.indices),
//!             first: 0,
//!             count: self.count,
//!             model: Mat4::from_translation(Vec3::new(0.0, 0.0, -1.0)).into(),
//!             texture: None,
//!             clip: None,
//!             clip_planes: Vec::new(),
//!         };
//!         gfx::submit_draw(&draw).map_err(|e| e.to_string())
//!     }
//! }
//!
//! visor_sdk::app!(Hello);
//! ```
//!
//! Layout: `lib.rs` (bindings, [`App`], [`app!`]), `bus.rs` (the bus, polled packed), `math.rs`
//! (glam conversions), `mesh.rs`, `canvas.rs`, `panel.rs`.

/// The generated bindings for the `app` world (`apps/wit/visor.wit`).
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "app",
        pub_export_macro: true,
        export_macro_name: "export_app",
        default_bindings_module: "visor_sdk::bindings",
    });
}

/// The bus again, bound so that what an import takes is borrowed (`&[u8]`, `&str`) rather than
/// owned: [`bus::publish_ref`] and [`bus::reply_ref`] pass on bytes an app holds anywhere,
/// such as a polled batch, without first copying them into a `Vec` of their own. Every other
/// interface is the one in [`bindings`]; these bindings export nothing.
mod borrowed {
    wit_bindgen::generate!({
        path: "../wit",
        world: "app",
        ownership: Borrowing { duplicate_if_necessary: false },
        with: {
            "visor:app/types@0.2.0": crate::bindings::visor::app::types,
            "visor:app/gfx@0.2.0": crate::bindings::visor::app::gfx,
            "visor:app/log@0.2.0": crate::bindings::visor::app::log,
            "visor:app/clock@0.2.0": crate::bindings::visor::app::clock,
        },
    });
}

pub mod bus;
pub mod canvas;
pub mod math;
pub mod mesh;
pub mod panel;

pub use bindings::visor::app::clock;
pub use bindings::visor::app::gfx;
pub use bindings::visor::app::log;
pub use bindings::visor::app::types::{EyeView, InputEvent, Key, Pointer};
pub use bindings::{FrameInfo, Guest};
pub use glam;

/// A Visor app: created once by `init`, then asked for a frame at the app's own rate.
pub trait App: Sized + 'static {
    /// Set up buffers, textures and pipelines. An error stops the app with that message.
    fn init() -> Result<Self, String>;
    /// Record this frame's draw calls (through [`gfx::submit_draw`]).
    fn frame(&mut self, info: &FrameInfo) -> Result<(), String>;

    /// Input routed to this app since its last frame, one event at a time, oldest first, just
    /// before `frame` (also in `info.events`). Pointer events carry where the pointer's ray
    /// meets this app's own surface; keys come only while the app has focus.
    fn input(&mut self, event: &InputEvent) {
        let _ = event;
    }
}

/// Exports an [`App`] implementation as the component's `init` and `frame`.
#[macro_export]
macro_rules! app {
    ($app:ty) => {
        struct __VisorExport;

        ::std::thread_local! {
            static __VISOR_APP: ::std::cell::RefCell<::std::option::Option<$app>> =
                const { ::std::cell::RefCell::new(None) };
        }

        impl $crate::Guest for __VisorExport {
            fn init() -> ::std::result::Result<(), ::std::string::String> {
                let app = <$app as $crate::App>::init()?;
                __VISOR_APP.with(|slot| *slot.borrow_mut() = Some(app));
                Ok(())
            }

            fn frame(
                info: $crate::FrameInfo,
            ) -> ::std::result::Result<(), ::std::string::String> {
                __VISOR_APP.with(|slot| match slot.borrow_mut().as_mut() {
                    Some(app) => {
                        for event in &info.events {
                            <$app as $crate::App>::input(app, event);
                        }
                        <$app as $crate::App>::frame(app, &info)
                    }
                    None => Err("frame called before init succeeded".to_string()),
                })
            }
        }

        $crate::bindings::export_app!(__VisorExport with_types_in $crate::bindings);
    };
}

/// Log through the shell (shown in its log, tagged with the app's name).
pub fn info(message: &str) {
    log::write(log::Level::Info, message);
}

/// Log a warning through the shell.
pub fn warn(message: &str) {
    log::write(log::Level::Warn, message);
}

/// Seconds on the shell's monotonic clock.
pub fn now_seconds() -> f64 {
    clock::now_ns() as f64 * 1e-9
}
