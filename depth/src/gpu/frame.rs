//! The buffers and bind groups of one frame shape (image size and disparity range), made on the
//! first pair of that shape and reused for every later one, and the frame itself: upload the
//! two grey images, one compute pass (census, cost, the eight paths, winner selection), read
//! the winners back.
//!
//! On the GPU: the grey images (four pixels a word), both census images, the matching costs
//! (bytes, four a word), the sums `S` (u16, two a word, `d` fastest: `width * height *
//! max_disparity * 2` bytes, the biggest buffer) and two words of winners per pixel.

use super::Gpu;
use super::pipelines::{Stage, WORKGROUP};
use super::shape::{CensusUniform, CostUniform, PathUniform, SelectUniform, Shape};
use crate::cpu::{Winners, parabola};
use crate::sgm::PATHS;
use crate::{DepthError, Gray, StereoParams};

pub(crate) struct Frame {
    pub shape: Shape,
    grey: wgpu::Buffer,
    path_uniforms: Vec<wgpu::Buffer>,
    winners: wgpu::Buffer,
    readback: wgpu::Buffer,
    census_group: wgpu::BindGroup,
    cost_group: wgpu::BindGroup,
    path_groups: Vec<wgpu::BindGroup>,
    select_group: wgpu::BindGroup,
}

impl Frame {
    /// Allocates everything a frame of `shape` needs; the caller has checked `S` fits the device.
    pub fn new(gpu: &Gpu, shape: Shape) -> Frame {
        let Gpu { device, queue, pipelines } = gpu;
        let Shape { width, height, max_disparity } = shape;
        let storage = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::STORAGE | usage,
                mapped_at_creation: false,
            })
        };
        let uniform = |label: &str, bytes: &[u8]| {
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.len() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            queue.write_buffer(&buffer, 0, bytes);
            buffer
        };
        let grey_words = shape.grey_words();
        let grey = storage("depth grey", grey_words as u64 * 8, wgpu::BufferUsages::COPY_DST);
        let census = storage("depth census", shape.pixels() * 16, wgpu::BufferUsages::empty());
        let costs = storage("depth costs", shape.cost_bytes(), wgpu::BufferUsages::empty());
        let sum = storage("depth sums", shape.sum_bytes(), wgpu::BufferUsages::empty());
        let winners = storage("depth winners", shape.pixels() * 8, wgpu::BufferUsages::COPY_SRC);
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("depth winners readback"),
            size: shape.pixels() * 8,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let right_census = width * height;
        let census_uniform =
            uniform("depth census size", bytemuck::bytes_of(&CensusUniform { width, height, right_grey: grey_words, right_census }));
        let cost_uniform = uniform("depth cost size", bytemuck::bytes_of(&CostUniform { width, height, max_disparity, right_census }));
        let select_uniform = uniform("depth select size", bytemuck::bytes_of(&SelectUniform { width, height, max_disparity, pad: 0 }));
        let path_uniforms: Vec<_> = PATHS.iter().map(|_| uniform("depth path", &[0; size_of::<PathUniform>()])).collect();
        let census_group = bind(device, &pipelines.census, &[&census_uniform, &grey, &census]);
        let cost_group = bind(device, &pipelines.cost, &[&cost_uniform, &census, &costs]);
        let path_groups = path_uniforms.iter().map(|u| bind(device, &pipelines.path, &[u, &grey, &costs, &sum])).collect();
        let select_group = bind(device, &pipelines.select, &[&select_uniform, &sum, &winners]);
        Frame { shape, grey, path_uniforms, winners, readback, census_group, cost_group, path_groups, select_group }
    }

    /// Matches one pair of this frame's shape; what comes back still wants the median and the
    /// left-right check ([`crate::cpu::finish`]).
    pub fn run(&self, gpu: &Gpu, left: &Gray, right: &Gray, params: &StereoParams) -> Result<Winners, DepthError> {
        let Gpu { device, queue, pipelines } = gpu;
        let Shape { width, height, max_disparity } = self.shape;
        self.upload(queue, left, right);
        for (i, (buffer, &(dx, dy))) in self.path_uniforms.iter().zip(&PATHS).enumerate() {
            let (p1, p2, first, lines) = (params.p1, params.p2, u32::from(i == 0), self.shape.lines(dx, dy));
            let uniform = PathUniform { width, height, max_disparity, p1, p2, dx, dy, lines, first, pad: 0 };
            queue.write_buffer(buffer, 0, bytemuck::bytes_of(&uniform));
        }
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("depth match") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("depth match"), timestamp_writes: None });
            let columns = width.div_ceil(WORKGROUP);
            pass.set_pipeline(&pipelines.census.pipeline);
            pass.set_bind_group(0, &self.census_group, &[]);
            pass.dispatch_workgroups(columns, height, 2);
            pass.set_pipeline(&pipelines.cost.pipeline);
            pass.set_bind_group(0, &self.cost_group, &[]);
            pass.dispatch_workgroups(columns, height, 1);
            pass.set_pipeline(&pipelines.path.pipeline);
            for (group, &(dx, dy)) in self.path_groups.iter().zip(&PATHS) {
                pass.set_bind_group(0, group, &[]);
                pass.dispatch_workgroups(self.shape.lines(dx, dy).div_ceil(WORKGROUP), 1, 1);
            }
            pass.set_pipeline(&pipelines.select.pipeline);
            pass.set_bind_group(0, &self.select_group, &[]);
            pass.dispatch_workgroups(columns, height, 1);
        }
        encoder.copy_buffer_to_buffer(&self.winners, 0, &self.readback, 0, None);
        queue.submit([encoder.finish()]);
        self.read_winners(device)
    }

    /// Both images into `grey`, the right one from word `grey_words`; a pixel count that is not
    /// a multiple of four is padded with a copy (queue writes go in whole words).
    fn upload(&self, queue: &wgpu::Queue, left: &Gray, right: &Gray) {
        let right_offset = self.shape.grey_words() as u64 * 4;
        for (offset, image) in [(0, left), (right_offset, right)] {
            if image.pixels.len() % 4 == 0 {
                queue.write_buffer(&self.grey, offset, &image.pixels);
            } else {
                let mut padded = image.pixels.clone();
                padded.resize(image.pixels.len().next_multiple_of(4), 0);
                queue.write_buffer(&self.grey, offset, &padded);
            }
        }
    }

    /// Waits for the frame and unpacks the two words per pixel `select.wgsl` writes.
    fn read_winners(&self, device: &wgpu::Device) -> Result<Winners, DepthError> {
        let slice = self.readback.slice(..);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| DepthError::Gpu(format!("waiting for the matcher's passes failed: {e}")))?;
        receiver
            .recv()
            .map_err(|e| DepthError::Gpu(format!("the winners' readback never finished: {e}")))?
            .map_err(|e| DepthError::Gpu(format!("cannot map the winners for reading: {e}")))?;
        let n = self.shape.pixels() as usize;
        let mut winners = Winners {
            winner: Vec::with_capacity(n),
            raw: Vec::with_capacity(n),
            confidence: Vec::with_capacity(n),
            right: Vec::with_capacity(n),
        };
        {
            let mapped = slice.get_mapped_range().map_err(|e| DepthError::Gpu(format!("cannot read the mapped winners: {e}")))?;
            for pixel in mapped.chunks_exact(8) {
                let word = |k: usize| u32::from_le_bytes([pixel[k], pixel[k + 1], pixel[k + 2], pixel[k + 3]]);
                let (first, second) = (word(0), word(4));
                let d = first & 0xff;
                winners.winner.push(d);
                winners.confidence.push((first >> 8) as u8);
                winners.right.push(first >> 16);
                winners.raw.push(parabola(d, second as u16 as i16 as i32, (second >> 16) as i32));
            }
        }
        self.readback.unmap();
        Ok(winners)
    }
}

fn bind(device: &wgpu::Device, stage: &Stage, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
    let entries: Vec<_> =
        buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some("depth"), layout: &stage.layout, entries: &entries })
}
