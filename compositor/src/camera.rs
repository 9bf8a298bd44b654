//! The camera feed as a GPU texture, uploaded only when a new frame arrives.

use visor_types::CameraFrame;

pub struct CameraTexture {
    texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    shown: Option<(u64, u32, u32)>,
    /// Counts the pictures uploaded, so what is derived from one knows when it is out of date.
    generation: u64,
}

impl CameraTexture {
    pub fn new(device: &wgpu::Device) -> CameraTexture {
        let texture = create(device, 1, 1);
        let view = texture.create_view(&Default::default());
        CameraTexture { texture, view, shown: None, generation: 0 }
    }

    /// Changes whenever the picture does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Shows `frame` from now on; a frame already shown is not uploaded again.
    pub fn update(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, frame: &CameraFrame) {
        let key = (frame.sequence, frame.width, frame.height);
        if self.shown == Some(key) || frame.pixels.len() != (frame.width * frame.height * 4) as usize {
            return;
        }
        if self.texture.width() != frame.width || self.texture.height() != frame.height {
            self.texture = create(device, frame.width, frame.height);
            self.view = self.texture.create_view(&Default::default());
        }
        queue.write_texture(
            self.texture.as_image_copy(),
            &frame.pixels,
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(frame.width * 4), rows_per_image: None },
            self.texture.size(),
        );
        self.shown = Some(key);
        self.generation += 1;
    }
}

fn create(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Texture {
    srgb_picture(device, "camera", width, height)
}

/// A 2D sRGB picture the CPU uploads and a pass samples: the camera frame here, the simulator
/// window's overlay in the binary.
pub fn srgb_picture(device: &wgpu::Device, label: &str, width: u32, height: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}
