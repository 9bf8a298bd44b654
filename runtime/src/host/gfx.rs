//! `visor:app/gfx`: an app's buffers, textures and pipelines, and the draw calls it records.
//!
//! Every size, offset and id a guest passes is checked here, before anything is allocated,
//! against the app's [`AppLimits`]; a violation becomes the interface's `error` value with a
//! message naming the app, the value and the limit. Resources are held as `Arc`s of
//! immutable data: an update makes a new version (copy-on-write if the compositor still holds
//! the old one), so a recorded submission never changes under the compositor. A partial
//! buffer write records its range ([`Dirty`]), so the compositor uploads that range rather
//! than the whole buffer, and every write counts against the app's per-frame upload budget.

use std::sync::Arc;

use glam::Vec4;
use visor_types::AppLimits;
use visor_types::layer::{
    BuiltinPipeline, ClipRect, ContentId, Dirty, DrawCmd, IndexData, MAX_CLIP_PLANES, Pipeline, TextureData, Vertex, VertexData,
};

use super::HostState;
use super::bindings::visor::app::gfx::{self as wit, Error, Host};
use super::convert;

/// All gfx resources of one app, and the draws recorded for the frame in progress.
pub struct GfxState {
    app: String,
    limits: AppLimits,
    vertex_buffers: Vec<Arc<VertexData>>,
    index_buffers: Vec<Arc<IndexData>>,
    textures: Vec<Arc<TextureData>>,
    /// The first are the built-ins, in [`BuiltinPipeline::ALL`] order; an app's shaders follow.
    pipelines: Vec<Pipeline>,
    draws: Vec<DrawCmd>,
    /// Bytes written to buffers and textures since the last frame was taken.
    uploaded: u64,
    /// Whether draws recorded now are hidden behind nearer real surfaces (`set-world-occlusion`).
    world_occludes: bool,
}

impl GfxState {
    pub fn new(app: &str, limits: AppLimits) -> GfxState {
        GfxState {
            app: app.to_string(),
            limits,
            vertex_buffers: Vec::new(),
            index_buffers: Vec::new(),
            textures: Vec::new(),
            pipelines: BuiltinPipeline::ALL.into_iter().map(Pipeline::Builtin).collect(),
            draws: Vec::new(),
            uploaded: 0,
            world_occludes: true,
        }
    }

    /// The draws recorded since the last call: one frame's worth.
    pub fn take_draws(&mut self) -> Vec<DrawCmd> {
        self.uploaded = 0;
        std::mem::take(&mut self.draws)
    }

    /// Counts `bytes` written this frame against the per-frame upload budget.
    fn charge_upload(&mut self, bytes: u64) -> Result<(), Error> {
        let total = self.uploaded.saturating_add(bytes);
        let limit = self.limits.max_upload_bytes_per_frame;
        if total > limit {
            let asked = format!("a {bytes}-byte write in a frame that already wrote {} bytes", self.uploaded);
            return Err(self.limit(asked, "max_upload_bytes_per_frame", limit));
        }
        self.uploaded = total;
        Ok(())
    }

    fn limit(&self, what: String, limit_name: &str, limit: impl std::fmt::Display) -> Error {
        Error::LimitExceeded(format!("app '{}' asked for {what}; its limits allow {limit} ({limit_name})", self.app))
    }

    fn invalid(&self, message: String) -> Error {
        Error::InvalidArgument(format!("app '{}': {message}", self.app))
    }

    fn buffer_count(&self) -> usize {
        self.vertex_buffers.len() + self.index_buffers.len()
    }

    fn check_new_buffer(&self, capacity: u32, kind: &str, per_app: u32, in_use: u64) -> Result<(), Error> {
        if self.buffer_count() as u64 >= u64::from(self.limits.max_buffers) {
            let asked = format!("buffer number {}", self.buffer_count() + 1);
            return Err(self.limit(asked, "max_buffers", self.limits.max_buffers));
        }
        if u64::from(capacity) + in_use > u64::from(per_app) {
            let asked = format!("{capacity} {kind} (with {in_use} already in use)");
            return Err(self.limit(asked, &format!("max_{kind}"), per_app));
        }
        Ok(())
    }

    fn vertex_buffer(&self, id: u32) -> Result<&Arc<VertexData>, Error> {
        self.vertex_buffers.get(id as usize).ok_or_else(|| self.invalid(format!("no vertex buffer {id}")))
    }

    fn index_buffer(&self, id: u32) -> Result<&Arc<IndexData>, Error> {
        self.index_buffers.get(id as usize).ok_or_else(|| self.invalid(format!("no index buffer {id}")))
    }

    fn texture(&self, id: u32) -> Result<&Arc<TextureData>, Error> {
        self.textures.get(id as usize).ok_or_else(|| self.invalid(format!("no texture {id}")))
    }

    fn check_write(&self, what: &str, id: u32, offset: u32, len: usize, capacity: usize) -> Result<(), Error> {
        if u64::from(offset) + len as u64 > capacity as u64 {
            return Err(self.invalid(format!("writing {len} elements at offset {offset} overruns {what} {id}, which holds {capacity}")));
        }
        Ok(())
    }

    fn check_texture(&self, width: u32, height: u32, pixels: usize, replacing: u64) -> Result<(), Error> {
        let max = self.limits.max_texture_size;
        if width == 0 || height == 0 {
            return Err(self.invalid(format!("texture size {width}x{height} is empty")));
        }
        if width > max || height > max {
            return Err(self.limit(format!("a {width}x{height} texture"), "max_texture_size", max));
        }
        let bytes = u64::from(width) * u64::from(height) * 4;
        if pixels as u64 != bytes {
            return Err(self.invalid(format!("a {width}x{height} RGBA8 texture needs {bytes} bytes, but {pixels} were given")));
        }
        let in_use: u64 = self.textures.iter().map(|t| t.pixels.len() as u64).sum::<u64>() - replacing;
        if in_use + bytes > self.limits.max_texture_bytes {
            let asked = format!("{bytes} more texture bytes (with {in_use} in use)");
            return Err(self.limit(asked, "max_texture_bytes", self.limits.max_texture_bytes));
        }
        Ok(())
    }

    fn record(&mut self, call: &wit::Draw) -> Result<(), Error> {
        if self.draws.len() as u64 >= u64::from(self.limits.max_draws_per_frame) {
            let asked = format!("draw number {} in one frame", self.draws.len() + 1);
            return Err(self.limit(asked, "max_draws_per_frame", self.limits.max_draws_per_frame));
        }
        let pipeline =
            self.pipelines.get(call.pipeline as usize).ok_or_else(|| self.invalid(format!("no pipeline {}", call.pipeline)))?.clone();
        let vertices = self.vertex_buffer(call.vertices)?.clone();
        let vertex_count = vertices.vertices.len() as u64;
        let end = u64::from(call.first) + u64::from(call.count);
        let indices = match call.indices {
            Some(id) => {
                let buffer = self.index_buffer(id)?.clone();
                if end > buffer.indices.len() as u64 {
                    return Err(self.invalid(format!(
                        "drawing indices {}..{end} overruns index buffer {id}, which holds {}",
                        call.first,
                        buffer.indices.len()
                    )));
                }
                if u64::from(buffer.max_index) >= vertex_count {
                    // Only the drawn range matters; scan it only when the cheap check fails.
                    let range = &buffer.indices[call.first as usize..end as usize];
                    if let Some(bad) = range.iter().find(|&&i| u64::from(i) >= vertex_count) {
                        return Err(self.invalid(format!(
                            "index {bad} in index buffer {id} is past the end of vertex buffer {}, \
                             which holds {vertex_count}",
                            call.vertices
                        )));
                    }
                }
                Some(buffer)
            }
            None if end > vertex_count => {
                return Err(self.invalid(format!(
                    "drawing vertices {}..{end} overruns vertex buffer {}, which holds {vertex_count}",
                    call.first, call.vertices
                )));
            }
            None => None,
        };
        let texture = match call.texture {
            Some(id) => Some(self.texture(id)?.clone()),
            None => None,
        };
        if call.clip_planes.len() > MAX_CLIP_PLANES {
            return Err(self.invalid(format!("{} clip planes given; a draw may have at most {MAX_CLIP_PLANES}", call.clip_planes.len())));
        }
        let mut clip_planes = [Vec4::ZERO; MAX_CLIP_PLANES];
        for (slot, plane) in clip_planes.iter_mut().zip(&call.clip_planes) {
            *slot = convert::vec4(plane);
        }
        let clip = match call.clip {
            Some(r) => Some(self.clip_rect(r)?),
            None => None,
        };
        if call.count == 0 {
            return Ok(());
        }
        self.draws.push(DrawCmd {
            pipeline,
            vertices,
            indices,
            first: call.first,
            count: call.count,
            model: convert::mat4(&call.model),
            texture,
            clip,
            clip_planes,
            clip_plane_count: call.clip_planes.len() as u32,
            world_occludes: self.world_occludes,
        });
        Ok(())
    }

    fn clip_rect(&self, r: wit::ClipRect) -> Result<ClipRect, Error> {
        let values = [r.x, r.y, r.width, r.height];
        if values.iter().any(|v| !v.is_finite()) || r.width < 0.0 || r.height < 0.0 {
            return Err(self.invalid(format!("clip rectangle {values:?} must be finite with a non-negative size (normalized 0..1)")));
        }
        Ok(ClipRect { x: r.x, y: r.y, width: r.width, height: r.height })
    }
}

impl Host for HostState {
    fn builtin(&mut self, which: wit::BuiltinPipeline) -> u32 {
        convert::builtin_pipeline(which).index() as u32
    }

    fn create_shader_pipeline(&mut self, wgsl: String) -> Result<u32, Error> {
        let g = &mut self.gfx;
        if wgsl.len() as u64 > u64::from(g.limits.max_shader_bytes) {
            let asked = format!("a {}-byte shader", wgsl.len());
            return Err(g.limit(asked, "max_shader_bytes", g.limits.max_shader_bytes));
        }
        let custom = g.pipelines.len() - BuiltinPipeline::ALL.len();
        if custom as u64 >= u64::from(g.limits.max_pipelines) {
            let asked = format!("shader pipeline number {}", custom + 1);
            return Err(g.limit(asked, "max_pipelines", g.limits.max_pipelines));
        }
        let shader = visor_shader::validate_app_shader(&wgsl).map_err(|e| Error::ShaderInvalid(e.to_string()))?;
        g.pipelines.push(Pipeline::Custom(Arc::new(shader)));
        Ok((g.pipelines.len() - 1) as u32)
    }

    fn create_vertex_buffer(&mut self, capacity: u32) -> Result<u32, Error> {
        let g = &mut self.gfx;
        let in_use = g.vertex_buffers.iter().map(|b| b.vertices.len() as u64).sum();
        g.check_new_buffer(capacity, "vertices", g.limits.max_vertices, in_use)?;
        let data = VertexData::new(vec![Vertex::default(); capacity as usize]);
        g.vertex_buffers.push(Arc::new(data));
        Ok((g.vertex_buffers.len() - 1) as u32)
    }

    fn update_vertex_buffer(&mut self, id: u32, offset: u32, data: Vec<wit::Vertex>) -> Result<(), Error> {
        let g = &mut self.gfx;
        let capacity = g.vertex_buffer(id)?.vertices.len();
        g.check_write("vertex buffer", id, offset, data.len(), capacity)?;
        g.charge_upload((data.len() * size_of::<Vertex>()) as u64)?;
        let shared = Arc::strong_count(&g.vertex_buffers[id as usize]) > 1;
        let buffer = Arc::make_mut(&mut g.vertex_buffers[id as usize]);
        for (slot, v) in buffer.write(offset, offset + data.len() as u32, shared).iter_mut().zip(&data) {
            *slot = convert::vertex(v);
        }
        Ok(())
    }

    fn create_index_buffer(&mut self, capacity: u32) -> Result<u32, Error> {
        let g = &mut self.gfx;
        let in_use = g.index_buffers.iter().map(|b| b.indices.len() as u64).sum();
        g.check_new_buffer(capacity, "indices", g.limits.max_indices, in_use)?;
        let data = IndexData::new(vec![0; capacity as usize]);
        g.index_buffers.push(Arc::new(data));
        Ok((g.index_buffers.len() - 1) as u32)
    }

    fn update_index_buffer(&mut self, id: u32, offset: u32, data: Vec<u32>) -> Result<(), Error> {
        let g = &mut self.gfx;
        let capacity = g.index_buffer(id)?.indices.len();
        g.check_write("index buffer", id, offset, data.len(), capacity)?;
        g.charge_upload((data.len() * size_of::<u32>()) as u64)?;
        let shared = Arc::strong_count(&g.index_buffers[id as usize]) > 1;
        let buffer = Arc::make_mut(&mut g.index_buffers[id as usize]);
        buffer.dirty = Some(Dirty::after_write(buffer.id, buffer.dirty, shared, offset, offset + data.len() as u32));
        buffer.id = ContentId::next();
        let range = offset as usize..offset as usize + data.len();
        // The maximum changes only if the write raises it or overwrites where it was.
        let lost_max = buffer.indices[range.clone()].contains(&buffer.max_index);
        buffer.indices[range].copy_from_slice(&data);
        let written_max = data.iter().copied().max().unwrap_or(0);
        buffer.max_index = match lost_max && written_max < buffer.max_index {
            true => buffer.indices.iter().copied().max().unwrap_or(0),
            false => buffer.max_index.max(written_max),
        };
        Ok(())
    }

    fn create_texture(&mut self, width: u32, height: u32, pixels: Vec<u8>) -> Result<u32, Error> {
        let g = &mut self.gfx;
        if g.textures.len() as u64 >= u64::from(g.limits.max_textures) {
            let asked = format!("texture number {}", g.textures.len() + 1);
            return Err(g.limit(asked, "max_textures", g.limits.max_textures));
        }
        g.check_texture(width, height, pixels.len(), 0)?;
        g.charge_upload(pixels.len() as u64)?;
        g.textures.push(Arc::new(TextureData { id: ContentId::next(), width, height, pixels }));
        Ok((g.textures.len() - 1) as u32)
    }

    fn update_texture(&mut self, id: u32, pixels: Vec<u8>) -> Result<(), Error> {
        let g = &mut self.gfx;
        let old = g.texture(id)?;
        let (width, height, replacing) = (old.width, old.height, old.pixels.len() as u64);
        g.check_texture(width, height, pixels.len(), replacing)?;
        g.charge_upload(pixels.len() as u64)?;
        // A fresh Arc rather than make_mut: the new pixels replace the old ones whole.
        g.textures[id as usize] = Arc::new(TextureData { id: ContentId::next(), width, height, pixels });
        Ok(())
    }

    fn submit_draw(&mut self, call: wit::Draw) -> Result<(), Error> {
        self.gfx.record(&call)
    }

    fn set_world_occlusion(&mut self, occluded: bool) {
        // No capability to check: it only changes how the app's own draws meet the real world.
        self.gfx.world_occludes = occluded;
    }
}
