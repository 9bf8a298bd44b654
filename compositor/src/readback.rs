//! Copying GPU textures and buffers back to the CPU: frames for PNG sinks, layers for tests,
//! depths for the hit test.

use crate::error::CompositorError;

/// Reads one array layer (one aspect) of a 2D texture; `texel_bytes` per pixel. Rows come
/// back tightly packed.
pub fn read_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    layer: u32,
    aspect: wgpu::TextureAspect,
    texel_bytes: u32,
) -> Result<Vec<u8>, CompositorError> {
    let (width, height) = (texture.width(), texture.height());
    let row = width * texel_bytes;
    let padded = row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: u64::from(padded) * u64::from(height),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo { texture, mip_level: 0, origin: wgpu::Origin3d { x: 0, y: 0, z: layer }, aspect },
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(padded), rows_per_image: Some(height) },
        },
        wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
    );
    queue.submit([encoder.finish()]);
    let mapped = map_buffer(device, &buffer)?;
    let mut out = Vec::with_capacity((row * height) as usize);
    for chunk in mapped.chunks(padded as usize) {
        out.extend_from_slice(&chunk[..row as usize]);
    }
    Ok(out)
}

/// Waits for the GPU, then copies out the whole of a `MAP_READ` buffer.
pub fn map_buffer(device: &wgpu::Device, buffer: &wgpu::Buffer) -> Result<Vec<u8>, CompositorError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    buffer.slice(..).map_async(wgpu::MapMode::Read, move |result| {
        let _ = sender.send(result);
    });
    device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| CompositorError::Readback(e.to_string()))?;
    receiver.recv().map_err(|e| CompositorError::Readback(e.to_string()))?.map_err(|e| CompositorError::Readback(e.to_string()))?;
    let mapped = buffer.slice(..).get_mapped_range().map_err(|e| CompositorError::Readback(e.to_string()))?;
    Ok(mapped.to_vec())
}
