//! The reprojection pass (`shaders/reproject.wgsl`): warps one app layer from the head pose it
//! was drawn for to the display's, as a grid mesh displaced by the layer's depth.
//!
//! [`WarpPass::plan`] lays the frame's warps out (uniforms 256-byte aligned behind dynamic
//! offsets, and two tile lists per warp), so a frame makes one uniform upload however many
//! warps it has. [`WarpPass::encode`] records, per warp, a compute dispatch that sorts the
//! layer's 16x16 tiles into empty, smooth and detailed, then a render pass into the display
//! layer with two indirect draws (the counts never come back to the CPU): a full grid per
//! detailed tile, twice (once for the near and once for the far side of each depth
//! discontinuity), and a 32-triangle fan per smooth one. Empty tiles cost one compute
//! workgroup and nothing else. All of this is for lavapipe, where every small triangle and every
//! fragment is CPU time; see the crate guide for what a warp costs there.

use bytemuck::{Pod, Zeroable};
use glam::Mat4;
use wgpu::util::DeviceExt;

use crate::layers::EyeLayers;
use crate::pipelines::{COLOR_FORMAT, DEPTH_FORMAT};

const SHADER: &str = include_str!("../../shaders/reproject.wgsl");
/// Uniform and storage regions are placed at multiples of this (wgpu's minimum dynamic-offset
/// alignment for both).
const ALIGN: u64 = 256;
/// Source pixels between grid vertices in detailed tiles. 1 (a vertex per pixel) costs about
/// 3x the time on lavapipe for no visible gain: the fragment stage picks texels, so
/// silhouettes stay texel-exact either way. Larger steps misplace the texels between
/// vertices at a depth discontinuity.
const GRID_STEP: u32 = 2;
/// Source pixels per tile side; `TILE_PIXELS` in the shader. A multiple of [`GRID_STEP`].
const TILE_PIXELS: u32 = 16;
/// Ahead of each tile list: its indirect draw's arguments (`DrawIndexedIndirectArgs`) and the
/// instances drawn per tile.
const HEADER_BYTES: u64 = 24;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WarpUniform {
    source_to_display: [f32; 16],
    size: [u32; 2],
    grid: [u32; 2],
    tiles: [u32; 2],
    step: u32,
    slot: u32,
}

/// One warp: which slot of which eye, from which view-projection to which.
pub struct WarpJob {
    pub eye: usize,
    pub slot: u32,
    pub source: Mat4,
    pub target: Mat4,
}

pub struct WarpPass {
    /// For detailed tiles (`fs_main`) and smooth ones (`fs_smooth`).
    detailed: wgpu::RenderPipeline,
    smooth: wgpu::RenderPipeline,
    classify: wgpu::ComputePipeline,
    render_layout: wgpu::BindGroupLayout,
    classify_layout: wgpu::BindGroupLayout,
    size: [u32; 2],
    grid: [u32; 2],
    tiles: [u32; 2],
    /// One tile's triangles, indexing its `(TILE_PIXELS / GRID_STEP + 1)^2` vertices: the full
    /// grid, then the fan.
    tile_indices: wgpu::Buffer,
    grid_indices: u32,
    fan_indices: u32,
    /// Per warp: the uniforms (`uniforms`), and the detailed then the smooth tile list
    /// (`lists`, `list_stride` apart), each 256-byte aligned.
    uniforms: Option<wgpu::Buffer>,
    lists: Option<wgpu::Buffer>,
    list_stride: u64,
    staging: Vec<u8>,
}

fn texture_entry(binding: u32, visibility: wgpu::ShaderStages, sample_type: wgpu::TextureSampleType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Texture { sample_type, view_dimension: wgpu::TextureViewDimension::D2Array, multisampled: false },
        count: None,
    }
}

fn buffer_entry(binding: u32, visibility: wgpu::ShaderStages, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: true, min_binding_size: None },
        count: None,
    }
}

impl WarpPass {
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> WarpPass {
        use wgpu::BufferBindingType::{Storage, Uniform};
        use wgpu::ShaderStages as S;
        let depth = wgpu::TextureSampleType::Depth;
        let render_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("reproject"),
            entries: &[
                texture_entry(0, S::FRAGMENT, wgpu::TextureSampleType::Float { filterable: false }),
                texture_entry(1, S::VERTEX_FRAGMENT, depth),
                buffer_entry(2, S::VERTEX_FRAGMENT, Uniform),
                buffer_entry(3, S::VERTEX, Storage { read_only: true }),
            ],
        });
        let classify_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("reproject tiles"),
            entries: &[
                texture_entry(1, S::COMPUTE, depth),
                buffer_entry(2, S::COMPUTE, Uniform),
                buffer_entry(4, S::COMPUTE, Storage { read_only: false }),
                buffer_entry(5, S::COMPUTE, Storage { read_only: false }),
            ],
        });
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
        let pipeline_layout = layout("reproject", &render_layout);
        let render = |fragment| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(fragment),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                // No culling: a fold (foreground sliding over background) is back-facing, and
                // the depth test already puts it behind the foreground.
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
                    module: &module,
                    entry_point: Some(fragment),
                    compilation_options: Default::default(),
                    targets: &[Some(COLOR_FORMAT.into())],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let (detailed, smooth) = (render("fs_main"), render("fs_smooth"));
        let classify = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("reproject tiles"),
            layout: Some(&layout("reproject tiles", &classify_layout)),
            module: &module,
            entry_point: Some("cs_classify"),
            compilation_options: Default::default(),
            cache: None,
        });
        let grid = [grid_size(width), grid_size(height)];
        let cells = TILE_PIXELS / GRID_STEP;
        let tiles = [(grid[0] - 1).div_ceil(cells), (grid[1] - 1).div_ceil(cells)];
        let (grid_indices, fan_indices) = (tile_grid(cells), tile_fan(cells));
        let indices = [&grid_indices[..], &fan_indices[..]].concat();
        WarpPass {
            tile_indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("reproject tile"),
                contents: bytemuck::cast_slice(&indices),
                usage: wgpu::BufferUsages::INDEX,
            }),
            grid_indices: grid_indices.len() as u32,
            fan_indices: fan_indices.len() as u32,
            detailed,
            smooth,
            classify,
            render_layout,
            classify_layout,
            size: [width, height],
            grid,
            tiles,
            uniforms: None,
            lists: None,
            list_stride: (HEADER_BYTES + 4 * u64::from(tiles[0] * tiles[1])).next_multiple_of(ALIGN),
            staging: Vec::new(),
        }
    }

    /// Lays out and uploads this frame's warps (in `jobs` order): their uniforms, and each tile
    /// list's header — draw arguments with an instance count of 0 for the classification to
    /// count up, and the passes per tile (detailed tiles two, a near and a far one).
    pub fn plan(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, jobs: &[WarpJob]) {
        if jobs.is_empty() {
            return;
        }
        self.staging.clear();
        for job in jobs {
            let value = WarpUniform {
                source_to_display: (job.target * job.source.inverse()).to_cols_array(),
                size: self.size,
                grid: self.grid,
                tiles: self.tiles,
                step: GRID_STEP,
                slot: job.slot,
            };
            self.staging.extend_from_slice(bytemuck::bytes_of(&value));
            self.staging.resize((self.staging.len() as u64).next_multiple_of(ALIGN) as usize, 0);
        }
        let count = jobs.len() as u64;
        let grow = |buffer: &mut Option<wgpu::Buffer>, needed: u64, label, usage| {
            if buffer.as_ref().is_none_or(|b| b.size() < needed) {
                *buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: needed.next_power_of_two(),
                    usage: usage | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }));
            }
        };
        grow(&mut self.uniforms, self.staging.len() as u64, "reproject uniforms", wgpu::BufferUsages::UNIFORM);
        let list_usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::INDIRECT;
        grow(&mut self.lists, 2 * count * self.list_stride, "reproject tiles", list_usage);
        let (Some(uniforms), Some(lists)) = (&self.uniforms, &self.lists) else { return };
        queue.write_buffer(uniforms, 0, &self.staging);
        let header = |index_count, first_index, passes: u32| {
            let args = wgpu::util::DrawIndexedIndirectArgs {
                index_count,
                instance_count: 0,
                first_index,
                base_vertex: 0,
                first_instance: 0,
            };
            [args.as_bytes(), &passes.to_le_bytes()].concat()
        };
        let (detailed, smooth) = (header(self.grid_indices, 0, 2), header(self.fan_indices, self.grid_indices, 1));
        for k in 0..count {
            queue.write_buffer(lists, 2 * k * self.list_stride, &detailed);
            queue.write_buffer(lists, (2 * k + 1) * self.list_stride, &smooth);
        }
    }

    /// Records the planned warps: per warp, sort the layer's tiles, then clear its display slot
    /// and draw the displaced mesh over the tiles that hold anything.
    pub fn encode(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        jobs: &[WarpJob],
        sources: &[EyeLayers],
        targets: &[EyeLayers],
    ) {
        let (Some(uniforms), Some(lists)) = (&self.uniforms, &self.lists) else { return };
        if jobs.is_empty() {
            return;
        }
        let binding = |binding, buffer, size| wgpu::BindGroupEntry {
            binding,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset: 0, size: wgpu::BufferSize::new(size) }),
        };
        let uniform = binding(2, uniforms, size_of::<WarpUniform>() as u64);
        let groups: Vec<(wgpu::BindGroup, wgpu::BindGroup)> = sources
            .iter()
            .map(|source| {
                let render = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("reproject"),
                    layout: &self.render_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(&source.color_array) },
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&source.depth_array) },
                        uniform.clone(),
                        binding(3, lists, self.list_stride),
                    ],
                });
                let classify = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("reproject tiles"),
                    layout: &self.classify_layout,
                    entries: &[
                        wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&source.depth_array) },
                        uniform.clone(),
                        binding(4, lists, self.list_stride),
                        binding(5, lists, self.list_stride),
                    ],
                });
                (render, classify)
            })
            .collect();
        // Where warp `k`'s uniforms, detailed list and smooth list start.
        let offsets = |k: usize| {
            let list = 2 * k as u64 * self.list_stride;
            [k as u64 * ALIGN, list, list + self.list_stride].map(|o| o as u32)
        };
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("reproject tiles"), timestamp_writes: None });
            pass.set_pipeline(&self.classify);
            for (k, job) in jobs.iter().enumerate() {
                pass.set_bind_group(0, &groups[job.eye].1, &offsets(k));
                pass.dispatch_workgroups(self.tiles[0], self.tiles[1], 1);
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
            let [uniform, detailed, smooth] = offsets(k);
            for (pipeline, list) in [(&self.detailed, detailed), (&self.smooth, smooth)] {
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &groups[job.eye].0, &[uniform, list]);
                pass.draw_indexed_indirect(lists, u64::from(list));
            }
        }
    }
}

/// Grid vertices along a side of `pixels`: one every [`GRID_STEP`], and one on the last pixel.
fn grid_size(pixels: u32) -> u32 {
    (pixels.max(2) - 1).div_ceil(GRID_STEP) + 1
}

/// Two triangles per cell of one tile of `cells` x `cells`, row by row.
fn tile_grid(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    let mut indices = Vec::with_capacity((cells * cells * 6) as usize);
    for y in 0..cells {
        for x in 0..cells {
            let v = y * side + x;
            indices.extend_from_slice(&[v, v + side, v + 1, v + 1, v + side, v + side + 1]);
        }
    }
    indices
}

/// A fan over the same tile: from its centre vertex to every border vertex in turn.
fn tile_fan(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    let at = |x: u32, y: u32| y * side + x;
    let border: Vec<u32> = (0..cells)
        .map(|i| at(i, 0))
        .chain((0..cells).map(|i| at(cells, i)))
        .chain((0..cells).map(|i| at(cells - i, cells)))
        .chain((0..cells).map(|i| at(0, cells - i)))
        .collect();
    let centre = at(cells / 2, cells / 2);
    (0..border.len()).flat_map(|i| [centre, border[i], border[(i + 1) % border.len()]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_reaches_the_last_pixel() {
        // Vertices on pixels 0, 2, ..., 158 and 159.
        assert_eq!(grid_size(160), 81);
        // 0, 2, ..., 160.
        assert_eq!(grid_size(161), 81);
    }

    #[test]
    fn grid_and_fan_cover_the_same_tile_through_the_same_border() {
        let grid = tile_grid(2);
        assert_eq!(grid.len(), 2 * 2 * 6);
        assert_eq!(*grid.iter().max().unwrap(), 8, "3x3 vertices");
        let fan = tile_fan(8);
        assert_eq!(fan.len(), 32 * 3, "one triangle per border vertex");
        let mut border: Vec<u32> = fan.chunks(3).map(|t| t[1]).collect();
        border.sort_unstable();
        let expected: Vec<u32> = (0..81).filter(|v| v % 9 == 0 || v % 9 == 8 || v / 9 == 0 || v / 9 == 8).collect();
        assert_eq!(border, expected);
        assert!(fan.chunks(3).all(|t| t[0] == 40), "around the centre");
    }
}
