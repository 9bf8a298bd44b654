//! What one app may ask of the host. Every size a guest passes is checked against these before
//! anything is allocated; a violation is an error value for that app, naming the limit.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppLimits {
    /// Vertices in one buffer, and in all of the app's vertex buffers together.
    pub max_vertices: u32,
    /// Indices in one buffer, and in all of the app's index buffers together.
    pub max_indices: u32,
    /// Vertex and index buffers together.
    pub max_buffers: u32,
    /// Width and height of one texture.
    pub max_texture_size: u32,
    /// Bytes in all of the app's textures together.
    pub max_texture_bytes: u64,
    pub max_textures: u32,
    /// Bytes of one WGSL source.
    pub max_shader_bytes: u32,
    pub max_pipelines: u32,
    pub max_draws_per_frame: u32,
    /// Bytes of buffer and texture data one frame may write (each write is uploaded to the
    /// GPU): a bound on what an app can make the compositor copy per frame.
    pub max_upload_bytes_per_frame: u64,
    /// Linear memory of the app's wasm instance, in MiB.
    pub max_memory_mib: u32,
    /// CPU time one `frame` call may take before it is interrupted, in milliseconds
    /// (`init` gets ten times as much).
    pub frame_cpu_ms: u32,
}

impl Default for AppLimits {
    fn default() -> Self {
        AppLimits {
            max_vertices: 65_536,
            max_indices: 196_608,
            max_buffers: 256,
            max_texture_size: 2048,
            max_texture_bytes: 64 << 20,
            max_textures: 64,
            max_shader_bytes: 64 << 10,
            max_pipelines: 16,
            max_draws_per_frame: 1024,
            max_upload_bytes_per_frame: 32 << 20,
            max_memory_mib: 128,
            frame_cpu_ms: 250,
        }
    }
}
