//! GPU copies of apps' buffers and textures, keyed by content.
//!
//! A submission names each resource by [`ContentId`], which changes whenever the app changes
//! the contents; so a resource is uploaded once per version however many frames draw it, and
//! a version no frame has used for a while is dropped. A buffer version that says how it
//! differs from one already here ([`Dirty`]) takes over that GPU buffer and has only the
//! changed range written, rather than a whole new upload.

use std::collections::HashMap;
use std::sync::Arc;

use visor_types::layer::{ContentId, Dirty, IndexData, TextureData, VertexData};
use wgpu::util::DeviceExt;

/// Frames a resource may go unused before its GPU copy is dropped.
const KEEP_UNUSED_FRAMES: u64 = 8;

/// Which version of a buffer a draw needs, and how it differs from an earlier one.
struct Update {
    id: ContentId,
    dirty: Option<Dirty>,
    /// Bytes per element.
    element: usize,
}

struct Entry<T> {
    value: T,
    last_used: u64,
}

pub struct ResourceCache {
    buffers: HashMap<ContentId, Entry<wgpu::Buffer>>,
    textures: HashMap<ContentId, Entry<wgpu::BindGroup>>,
    sampler: wgpu::Sampler,
    white: wgpu::BindGroup,
    frame: u64,
}

impl ResourceCache {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, texture_layout: &wgpu::BindGroupLayout) -> ResourceCache {
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("app textures"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let white_data = TextureData { id: ContentId::next(), width: 1, height: 1, pixels: vec![255; 4] };
        let white = texture_bind_group(device, queue, texture_layout, &sampler, &white_data);
        ResourceCache { buffers: HashMap::new(), textures: HashMap::new(), sampler, white, frame: 0 }
    }

    /// Starts a frame: resources unused for a while are released.
    pub fn begin_frame(&mut self) {
        self.frame += 1;
        let oldest = self.frame.saturating_sub(KEEP_UNUSED_FRAMES);
        self.buffers.retain(|_, e| e.last_used >= oldest);
        self.textures.retain(|_, e| e.last_used >= oldest);
    }

    pub fn vertices(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, data: &Arc<VertexData>) -> &wgpu::Buffer {
        let update = Update { id: data.id, dirty: data.dirty, element: size_of::<visor_types::layer::Vertex>() };
        self.buffer(device, queue, update, bytemuck::cast_slice(&data.vertices), wgpu::BufferUsages::VERTEX)
    }

    pub fn indices(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, data: &Arc<IndexData>) -> &wgpu::Buffer {
        let update = Update { id: data.id, dirty: data.dirty, element: size_of::<u32>() };
        self.buffer(device, queue, update, bytemuck::cast_slice(&data.indices), wgpu::BufferUsages::INDEX)
    }

    fn buffer(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        update: Update,
        contents: &[u8],
        usage: wgpu::BufferUsages,
    ) -> &wgpu::Buffer {
        let frame = self.frame;
        if !self.buffers.contains_key(&update.id)
            && let Some(dirty) = update.dirty
            && let Some(earlier) = self.buffers.remove(&dirty.since)
        {
            let (start, end) = (dirty.start as usize * update.element, dirty.end as usize * update.element);
            if earlier.value.size() == contents.len() as u64 && start <= end && end <= contents.len() {
                // Whole 4-byte words only, as wgpu writes them; elements are multiples of 4.
                queue.write_buffer(&earlier.value, start as u64, &contents[start..end]);
                self.buffers.insert(update.id, Entry { value: earlier.value, last_used: frame });
            }
        }
        let entry = self.buffers.entry(update.id).or_insert_with(|| Entry {
            value: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("app buffer"),
                contents,
                usage: usage | wgpu::BufferUsages::COPY_DST,
            }),
            last_used: frame,
        });
        entry.last_used = frame;
        &entry.value
    }

    /// The bind group for a draw's texture (a white texel when it has none).
    pub fn texture(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        layout: &wgpu::BindGroupLayout,
        data: Option<&Arc<TextureData>>,
    ) -> &wgpu::BindGroup {
        let Some(data) = data else { return &self.white };
        let frame = self.frame;
        let sampler = &self.sampler;
        let entry = self
            .textures
            .entry(data.id)
            .or_insert_with(|| Entry { value: texture_bind_group(device, queue, layout, sampler, data), last_used: frame });
        entry.last_used = frame;
        &entry.value
    }
}

fn texture_bind_group(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    layout: &wgpu::BindGroupLayout,
    sampler: &wgpu::Sampler,
    data: &TextureData,
) -> wgpu::BindGroup {
    let texture = device.create_texture_with_data(
        queue,
        &wgpu::TextureDescriptor {
            label: Some("app texture"),
            size: wgpu::Extent3d { width: data.width, height: data.height, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8UnormSrgb,
            usage: wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        },
        wgpu::util::TextureDataOrder::LayerMajor,
        &data.pixels,
    );
    let view = texture.create_view(&Default::default());
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("app texture"),
        layout,
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&view) },
            wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::Sampler(sampler) },
        ],
    })
}
