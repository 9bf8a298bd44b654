//! The four compute pipelines (census, matching cost, one path of aggregation, winner
//! selection) and their
//! bind group layouts, built once per [`super::GpuMatcher`]. The shaders are compiled into the
//! binary; nothing is read from the source tree at run time.

pub(crate) const CENSUS: &str = include_str!("../../../shaders/depth/census.wgsl");
pub(crate) const COST: &str = include_str!("../../../shaders/depth/cost.wgsl");
pub(crate) const SGM: &str = include_str!("../../../shaders/depth/sgm.wgsl");
pub(crate) const SELECT: &str = include_str!("../../../shaders/depth/select.wgsl");

/// Invocations per workgroup along x in every shader (`@workgroup_size(64, 1, 1)`).
pub(crate) const WORKGROUP: u32 = 64;

pub(crate) struct Pipelines {
    pub census: Stage,
    pub cost: Stage,
    pub path: Stage,
    pub select: Stage,
}

/// A pipeline with the layout of its one bind group: binding 0 a uniform, then storage buffers.
pub(crate) struct Stage {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

impl Pipelines {
    pub fn new(device: &wgpu::Device) -> Pipelines {
        Pipelines {
            // Uniform, grey (read), census (written).
            census: stage(device, "depth census", CENSUS, "cs_census", &[true, false]),
            // Uniform, census (read), costs (written).
            cost: stage(device, "depth cost", COST, "cs_cost", &[true, false]),
            // Uniform, grey (read), costs (read), sums (written).
            path: stage(device, "depth path", SGM, "cs_path", &[true, true, false]),
            // Uniform, sums (read), winners (written).
            select: stage(device, "depth select", SELECT, "cs_select", &[true, false]),
        }
    }
}

/// `read_only` lists the storage buffers after the uniform at binding 0.
fn stage(device: &wgpu::Device, label: &str, source: &str, entry: &str, read_only: &[bool]) -> Stage {
    let entry_at = |binding, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    };
    let mut entries = vec![entry_at(0, wgpu::BufferBindingType::Uniform)];
    for (i, &read_only) in read_only.iter().enumerate() {
        entries.push(entry_at(i as u32 + 1, wgpu::BufferBindingType::Storage { read_only }));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries });
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(label), source: wgpu::ShaderSource::Wgsl(source.into()) });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    });
    Stage { pipeline, layout }
}
