//! The reprojection pass (`shaders/reproject.wgsl`): warps one app layer from the head pose it
//! was drawn for to the display's, as a grid mesh displaced by the layer's depth.
//!
//! [`WarpPass::plan`] lays the frame's warps out (uniforms 256-byte aligned behind dynamic
//! offsets: one upload however many warps). [`WarpPass::encode`] records, for each layer whose
//! submission is new, two compute dispatches that sort its 16x16 tiles into lists
//! ([`tiles::TileLists`]); then per warp a render pass into the display layer with three
//! indirect draws (the counts never come back to the CPU): a full grid per detailed tile (once
//! per surface where it holds a depth discontinuity: the near side, the far, and any between),
//! a fan per smooth tile beside a detailed one, two triangles per other smooth tile. Empty
//! tiles cost nothing. All of this is for lavapipe, where every small triangle and every
//! fragment is CPU time; see the crate guide for what a warp costs there.
//!
//! Layout:
//! - `tiles`: one tile's triangles, and every layer's tile lists.

mod tiles;

use bytemuck::{Pod, Zeroable};
use glam::Mat4;
use visor_types::layer::AppId;
use wgpu::util::DeviceExt;

use crate::layers::EyeLayers;
use crate::pipelines::{COLOR_FORMAT, DEPTH_FORMAT};
use tiles::{GRID_STEP, TILE_PIXELS, TileLists, grid_size, tile_fan, tile_grid, tile_quad};

const SHADER: &str = include_str!("../../../shaders/reproject.wgsl");
/// Uniforms are placed at multiples of this (wgpu's minimum dynamic-offset alignment).
const ALIGN: u64 = 256;
/// Tiles sorted per workgroup; `@workgroup_size` of `cs_classify` and `cs_list`.
const CLASSIFY_WORKGROUP: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WarpUniform {
    source_to_display: [f32; 16],
    size: [u32; 2],
    grid: [u32; 2],
    tiles: [u32; 2],
    step: u32,
    slot: u32,
    list_words: u32,
    _pad: [u32; 3],
}

/// One warp: which slot of which eye, holding which submission, from which view-projection to
/// which.
pub struct WarpJob {
    pub eye: usize,
    pub slot: u32,
    pub layer: (AppId, u64),
    pub source: Mat4,
    pub target: Mat4,
}

pub struct WarpPass {
    /// For detailed tiles (`fs_main`) and smooth ones (`fs_smooth`).
    detailed: wgpu::RenderPipeline,
    smooth: wgpu::RenderPipeline,
    /// `cs_classify`, then `cs_list`.
    classify: [wgpu::ComputePipeline; 2],
    render_layout: wgpu::BindGroupLayout,
    classify_layout: wgpu::BindGroupLayout,
    size: [u32; 2],
    grid: [u32; 2],
    tiles: [u32; 2],
    /// One tile's triangles: the full grid, the fan, the quad; each list's draw (index count,
    /// first index) in them.
    tile_indices: wgpu::Buffer,
    draws: [[u32; 2]; 3],
    lists: TileLists,
    uniforms: Option<wgpu::Buffer>,
    staging: Vec<u8>,
    /// This frame's warps (indices into its jobs) whose layer needs classifying.
    to_classify: Vec<usize>,
}

impl WarpPass {
    pub fn new(device: &wgpu::Device, width: u32, height: u32, eyes: usize) -> WarpPass {
        let (render_layout, classify_layout) = bind_group_layouts(device);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("reproject"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = |label, group| {
            device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(label),
                bind_group_layouts: &[Some(group)],
                immediate_size: 0,
            })
        };
        let render = layout("reproject", &render_layout);
        let compute = layout("reproject tiles", &classify_layout);
        let classify = ["cs_classify", "cs_list"].map(|entry| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&compute),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        });
        let grid = [grid_size(width), grid_size(height)];
        let cells = TILE_PIXELS / GRID_STEP;
        let tiles = [(grid[0] - 1).div_ceil(cells), (grid[1] - 1).div_ceil(cells)];
        let meshes = [tile_grid(cells), tile_fan(cells), tile_quad(cells)];
        let mut first = 0;
        let draws = meshes.each_ref().map(|m| {
            first += m.len() as u32;
            [m.len() as u32, first - m.len() as u32]
        });
        WarpPass {
            detailed: render_pipeline(device, &render, &module, "fs_main"),
            smooth: render_pipeline(device, &render, &module, "fs_smooth"),
            classify,
            render_layout,
            classify_layout,
            size: [width, height],
            grid,
            tiles,
            tile_indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("reproject tile"),
                contents: bytemuck::cast_slice(&meshes.concat()),
                usage: wgpu::BufferUsages::INDEX,
            }),
            draws,
            lists: TileLists::new(device, tiles[0] * tiles[1], eyes),
            uniforms: None,
            staging: Vec::new(),
            to_classify: Vec::new(),
        }
    }

    /// Forgets which layers were classified: the rendered layers were rebuilt.
    pub fn forget_layers(&mut self) {
        self.lists.forget();
    }

    /// Lays out and uploads this frame's warps (in `jobs` order), and empties the tile lists
    /// of the layers whose submission is new, for the classification to fill.
    pub fn plan(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, jobs: &[WarpJob]) {
        self.to_classify.clear();
        if jobs.is_empty() {
            return;
        }
        self.staging.clear();
        for (k, job) in jobs.iter().enumerate() {
            let value = WarpUniform {
                source_to_display: (job.target * job.source.inverse()).to_cols_array(),
                size: self.size,
                grid: self.grid,
                tiles: self.tiles,
                step: GRID_STEP,
                slot: job.slot,
                list_words: (self.lists.stride / 4) as u32,
                _pad: [0; 3],
            };
            self.staging.extend_from_slice(bytemuck::bytes_of(&value));
            self.staging.resize((self.staging.len() as u64).next_multiple_of(ALIGN) as usize, 0);
            if self.lists.claim(queue, job.slot, job.eye, job.layer, self.draws) {
                self.to_classify.push(k);
            }
        }
        let needed = self.staging.len() as u64;
        if self.uniforms.as_ref().is_none_or(|b| b.size() < needed) {
            self.uniforms = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("reproject uniforms"),
                size: needed.next_power_of_two(),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        if let Some(uniforms) = &self.uniforms {
            queue.write_buffer(uniforms, 0, &self.staging);
        }
    }

    /// Records the planned warps: the classification of new layers, then per warp a clear of
    /// its display slot and the displaced mesh over the tiles that hold anything.
    pub fn encode(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        jobs: &[WarpJob],
        sources: &[EyeLayers],
        targets: &[EyeLayers],
    ) {
        let Some(uniforms) = &self.uniforms else { return };
        if jobs.is_empty() {
            return;
        }
        let buffer = |binding, buffer, size| wgpu::BindGroupEntry {
            binding,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset: 0, size: wgpu::BufferSize::new(size) }),
        };
        let texture = |binding, view| wgpu::BindGroupEntry { binding, resource: wgpu::BindingResource::TextureView(view) };
        let (lists, stride) = (&self.lists.buffer, self.lists.stride);
        let uniform = buffer(2, uniforms, size_of::<WarpUniform>() as u64);
        let groups: Vec<(wgpu::BindGroup, wgpu::BindGroup)> = sources
            .iter()
            .map(|source| {
                let render = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("reproject"),
                    layout: &self.render_layout,
                    entries: &[texture(0, &source.color_array), texture(1, &source.depth_array), uniform.clone(), buffer(3, lists, stride)],
                });
                let classify = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("reproject tiles"),
                    layout: &self.classify_layout,
                    entries: &[texture(1, &source.depth_array), uniform.clone(), buffer(4, lists, self.lists.region_size())],
                });
                (render, classify)
            })
            .collect();
        // Warp `k`'s uniforms, and its layer's region.
        let offsets = |k: usize| [k as u64 * ALIGN, self.lists.offset(jobs[k].slot, jobs[k].eye)].map(|o| o as u32);
        // Classify, then list: separate passes, so that every kind is written before any is read.
        for (pipeline, label) in self.classify.iter().zip(["reproject tile kinds", "reproject tile lists"]) {
            if self.to_classify.is_empty() {
                break;
            }
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(label), timestamp_writes: None });
            pass.set_pipeline(pipeline);
            for &k in &self.to_classify {
                pass.set_bind_group(0, &groups[jobs[k].eye].1, &offsets(k));
                pass.dispatch_workgroups((self.tiles[0] * self.tiles[1]).div_ceil(CLASSIFY_WORKGROUP), 1, 1);
            }
        }
        for (k, job) in jobs.iter().enumerate() {
            let target = &targets[job.eye];
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("reproject layer"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &target.color_slots[job.slot as usize],
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::TRANSPARENT), store: wgpu::StoreOp::Store },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &target.depth_slots[job.slot as usize],
                    depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0.0), store: wgpu::StoreOp::Store }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_index_buffer(self.tile_indices.slice(..), wgpu::IndexFormat::Uint32);
            let [uniform, region] = offsets(k);
            for (i, pipeline) in [&self.detailed, &self.smooth, &self.smooth].into_iter().enumerate() {
                let list = region + i as u32 * stride as u32;
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &groups[job.eye].0, &[uniform, list]);
                pass.draw_indexed_indirect(lists, u64::from(list));
            }
        }
    }
}

/// The draw's bindings (source layers, uniforms, one tile list to read) and the
/// classification's (source depth, uniforms, the layer's region of lists to fill).
fn bind_group_layouts(device: &wgpu::Device) -> (wgpu::BindGroupLayout, wgpu::BindGroupLayout) {
    use wgpu::BufferBindingType::{Storage, Uniform};
    use wgpu::ShaderStages as S;
    let texture = |binding, visibility, sample_type| wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Texture { sample_type, view_dimension: wgpu::TextureViewDimension::D2Array, multisampled: false },
        count: None,
    };
    let buffer = |binding, visibility, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: true, min_binding_size: None },
        count: None,
    };
    let (color, depth) = (wgpu::TextureSampleType::Float { filterable: false }, wgpu::TextureSampleType::Depth);
    let render = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("reproject"),
        entries: &[
            texture(0, S::FRAGMENT, color),
            texture(1, S::VERTEX_FRAGMENT, depth),
            buffer(2, S::VERTEX_FRAGMENT, Uniform),
            buffer(3, S::VERTEX, Storage { read_only: true }),
        ],
    });
    let classify = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("reproject tiles"),
        entries: &[texture(1, S::COMPUTE, depth), buffer(2, S::COMPUTE, Uniform), buffer(4, S::COMPUTE, Storage { read_only: false })],
    });
    (render, classify)
}

fn render_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    fragment: &str,
) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(fragment),
        layout: Some(layout),
        vertex: wgpu::VertexState { module, entry_point: Some("vs_main"), compilation_options: Default::default(), buffers: &[] },
        // No culling: a fold (foreground sliding over background) is back-facing, and the depth
        // test already puts it behind the foreground.
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(true),
            // Reverse-Z: the nearest surface wins.
            depth_compare: Some(wgpu::CompareFunction::GreaterEqual),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some(fragment),
            compilation_options: Default::default(),
            targets: &[Some(COLOR_FORMAT.into())],
        }),
        multiview_mask: None,
        cache: None,
    })
}

#[cfg(test)]
mod mirrors {
    use visor_shader::mirror_layout;
    use visor_shader::reflect::Reflection;

    use super::*;

    #[test]
    fn the_shader_and_its_mirrors_agree() {
        let wgsl = Reflection::parse(SHADER).unwrap();
        let rust = mirror_layout!(WarpUniform { source_to_display, size, grid, tiles, step, slot, list_words });
        assert_eq!(wgsl.struct_layout("Warp").unwrap(), rust);
        assert_eq!(wgsl.u32_const("TILE_PIXELS"), Some(TILE_PIXELS));
        let header = wgsl.u32_const("HEADER_WORDS").unwrap();
        assert_eq!(u64::from(header) * 4, tiles::HEADER_BYTES, "a list's header, in words and in bytes");
    }
}
