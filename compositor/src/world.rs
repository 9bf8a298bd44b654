//! The real world in the composite: how the camera picture maps into each eye (through the
//! camera's lens and mount, [`Passthrough`]) and the real surfaces' depth ([`DepthFrame`]),
//! which hides app layers behind them. This file keeps the GPU side — the depth texture
//! (metres and confidence per camera pixel) and each eye's `World` uniform of
//! `shaders/composite.wgsl` — and answers the hit test's question of how far the real surface
//! under a pixel is, with the CPU twin of the shader's lookup
//! ([`Passthrough::lookup`](visor_types::depth::Passthrough::lookup)).

use bytemuck::{Pod, Zeroable};
use glam::{Mat4, Vec2};
use visor_types::{DepthFrame, FrameInfo, Passthrough};

/// Mirrors `World` in `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(crate) struct WorldUniform {
    clip_to_camera: [[f32; 4]; 4],
    camera_to_clip: [[f32; 4]; 4],
    intrinsics: [f32; 4],
    camera_size: [f32; 2],
    depth_size: [f32; 2],
    plane_m: f32,
    flags: u32,
    exempt_mask: u32,
    _pad: u32,
}

const REPROJECT: u32 = 1;
const HAS_DEPTH: u32 = 2;

pub struct World {
    passthrough: Option<Passthrough>,
    /// The head pose (world from head) when the picture shown now was captured; the display's
    /// where unknown.
    pub camera_head: Option<Mat4>,
    depth: Option<DepthFrame>,
    texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    /// One `World` uniform per eye.
    pub uniforms: Vec<wgpu::Buffer>,
    /// The depth frame in the texture (sequence, size), so a frame is uploaded once.
    uploaded: Option<(u64, u32, u32)>,
    scratch: Vec<[f32; 2]>,
}

impl World {
    pub fn new(device: &wgpu::Device, eyes: usize) -> World {
        let texture = depth_texture(device, 1, 1);
        let uniforms = (0..eyes)
            .map(|_| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("world"),
                    size: size_of::<WorldUniform>() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                })
            })
            .collect();
        World {
            view: texture.create_view(&Default::default()),
            texture,
            passthrough: None,
            camera_head: None,
            depth: None,
            uniforms,
            uploaded: None,
            scratch: Vec::new(),
        }
    }

    pub fn set_passthrough(&mut self, passthrough: Option<Passthrough>) {
        self.passthrough = passthrough;
    }

    /// The real world's depth from now on (`None`: no depth, nothing is hidden). A frame whose
    /// buffers do not match its size is refused, with a warning, as no depth.
    pub fn set_depth(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, frame: Option<DepthFrame>) {
        let frame = frame.filter(|f| {
            let ok = f.is_consistent() && f.width > 0 && f.height > 0 && f.width <= 8192 && f.height <= 8192;
            if !ok {
                tracing::warn!(width = f.width, height = f.height, "a depth frame whose pixels do not match its size; ignored");
            }
            ok
        });
        if let Some(frame) = &frame {
            let key = (frame.sequence, frame.width, frame.height);
            if self.uploaded != Some(key) {
                self.upload(device, queue, frame);
                self.uploaded = Some(key);
            }
        }
        self.depth = frame;
    }

    fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, frame: &DepthFrame) {
        if (self.texture.width(), self.texture.height()) != (frame.width, frame.height) {
            self.texture = depth_texture(device, frame.width, frame.height);
            self.view = self.texture.create_view(&Default::default());
        }
        self.scratch.clear();
        self.scratch
            .extend(frame.millimetres.iter().zip(frame.confidence.iter()).map(|(&mm, &c)| [f32::from(mm) / 1000.0, f32::from(c) / 255.0]));
        queue.write_texture(
            self.texture.as_image_copy(),
            bytemuck::cast_slice(&self.scratch),
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(frame.width * 8), rows_per_image: None },
            self.texture.size(),
        );
    }

    /// Whether the composite will take the real world into account (see [`World::prepare`]).
    pub fn active(&self, show_camera: bool) -> bool {
        show_camera && self.passthrough.as_ref().is_some_and(|p| p.reproject || self.usable_depth().is_some())
    }

    /// The depth, where the camera's size is known to map it onto.
    fn usable_depth(&self) -> Option<&DepthFrame> {
        self.depth.as_ref().filter(|_| self.passthrough.is_some_and(|p| p.size.0 > 0 && p.size.1 > 0))
    }

    /// Writes each eye's uniform for this frame; whether the composite takes the world into
    /// account at all ([`World::active`]: a placed camera that reprojects, or depth to hide
    /// layers behind).
    pub fn prepare(&self, queue: &wgpu::Queue, display: &FrameInfo, show_camera: bool, exempt_mask: u32) -> bool {
        let (Some(p), true) = (&self.passthrough, self.active(show_camera)) else { return false };
        let depth = self.usable_depth();
        let flags = (u32::from(p.reproject) * REPROJECT) | (u32::from(depth.is_some()) * HAS_DEPTH);
        let k = p.intrinsics;
        for (eye, buffer) in display.eyes.iter().zip(&self.uniforms) {
            // The camera where it was when it took the picture: the picture stays put in the
            // world while the head moves on, rather than swimming with it.
            let (clip_to_camera, camera_to_clip) = p.clip_camera(self.camera_head.unwrap_or(display.head), eye.view_projection());
            let uniform = WorldUniform {
                clip_to_camera: clip_to_camera.to_cols_array_2d(),
                camera_to_clip: camera_to_clip.to_cols_array_2d(),
                intrinsics: [k.fx, k.fy, k.cx, k.cy],
                camera_size: [p.size.0 as f32, p.size.1 as f32],
                depth_size: depth.map_or([1.0, 1.0], |d| [d.width as f32, d.height as f32]),
                plane_m: p.plane_m,
                flags,
                exempt_mask,
                _pad: 0,
            };
            queue.write_buffer(buffer, 0, bytemuck::bytes_of(&uniform));
        }
        true
    }

    /// The reverse-Z depth of the real surface at `pixel` of an eye `size` pixels large seen
    /// with `view_projection` while the head is at `world_from_head`; 0 where none is known.
    pub fn real_depth(&self, world_from_head: Mat4, view_projection: Mat4, pixel: [u32; 2], size: [u32; 2]) -> f32 {
        let Some(p) = &self.passthrough else { return 0.0 };
        let world_from_head = self.camera_head.unwrap_or(world_from_head);
        let pixel = Vec2::new(pixel[0] as f32, pixel[1] as f32);
        let size = Vec2::new(size[0] as f32, size[1] as f32);
        p.lookup(world_from_head, view_projection, pixel, size, self.depth.as_ref()).map_or(0.0, |l| l.depth)
    }
}

fn depth_texture(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("world depth"),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rg32Float,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

#[cfg(test)]
mod mirrors {
    //! `World` and its constants in `shaders/composite.wgsl`, as naga reads them, against the
    //! Rust mirror here and the CPU lookup's step count.
    use visor_shader::mirror_layout;
    use visor_shader::reflect::Reflection;

    use super::*;

    #[test]
    fn the_shader_and_its_mirror_agree() {
        let wgsl = Reflection::parse(include_str!("../../shaders/composite.wgsl")).unwrap();
        let shader = wgsl.struct_layout("World").unwrap();
        let rust = mirror_layout!(WorldUniform {
            clip_to_camera,
            camera_to_clip,
            intrinsics,
            camera_size,
            depth_size,
            plane_m,
            flags,
            exempt_mask,
            _pad
        });
        assert_eq!(shader.members, rust.members);
        assert_eq!(shader.size, rust.size);
        assert_eq!(wgsl.u32_const("REPROJECT"), Some(REPROJECT));
        assert_eq!(wgsl.u32_const("HAS_DEPTH"), Some(HAS_DEPTH));
        assert_eq!(wgsl.u32_const("LOOKUP_STEPS"), Some(visor_types::depth::LOOKUP_STEPS));
    }
}
