//! Per-eye layer targets: one color and one depth slice per app, as texture arrays. The
//! compositor keeps two sets: the layers as the apps' draws rendered them, and the display
//! layers (those copied or reprojected to the display pose) that the composite reads.
//!
//! Arrays rather than separate textures let the composite pass read every layer of an eye
//! through two bindings. The arrays grow (never shrink below what is in use) as apps arrive.

use crate::pipelines::{COLOR_FORMAT, DEPTH_FORMAT};

pub struct EyeLayers {
    pub width: u32,
    pub height: u32,
    pub capacity: u32,
    color: wgpu::Texture,
    depth: wgpu::Texture,
    /// Render-target views, one per slot.
    pub color_slots: Vec<wgpu::TextureView>,
    pub depth_slots: Vec<wgpu::TextureView>,
    /// Whole-array views for the composite pass.
    pub color_array: wgpu::TextureView,
    pub depth_array: wgpu::TextureView,
}

impl EyeLayers {
    pub fn new(device: &wgpu::Device, width: u32, height: u32, capacity: u32) -> EyeLayers {
        let capacity = capacity.max(1);
        let make = |label, format| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: capacity },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::TEXTURE_BINDING
                    | wgpu::TextureUsages::COPY_SRC
                    | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let color = make("layer color", COLOR_FORMAT);
        let depth = make("layer depth", DEPTH_FORMAT);
        let slot = |texture: &wgpu::Texture, layer| {
            texture.create_view(&wgpu::TextureViewDescriptor {
                dimension: Some(wgpu::TextureViewDimension::D2),
                base_array_layer: layer,
                array_layer_count: Some(1),
                ..Default::default()
            })
        };
        let array = |texture: &wgpu::Texture| {
            texture.create_view(&wgpu::TextureViewDescriptor { dimension: Some(wgpu::TextureViewDimension::D2Array), ..Default::default() })
        };
        EyeLayers {
            width,
            height,
            capacity,
            color_slots: (0..capacity).map(|l| slot(&color, l)).collect(),
            depth_slots: (0..capacity).map(|l| slot(&depth, l)).collect(),
            color_array: array(&color),
            depth_array: array(&depth),
            color,
            depth,
        }
    }

    pub fn color_texture(&self) -> &wgpu::Texture {
        &self.color
    }

    pub fn depth_texture(&self) -> &wgpu::Texture {
        &self.depth
    }
}
