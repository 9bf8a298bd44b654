//! Full-screen fragment passes — the z-composite, the optics pass, the simulator window's
//! present — share one shape: a single triangle from `vs_main` covering the target, shaded by
//! `fs_main`, with one bind group whose bindings (numbered from 0) the fragment stage reads.
//! [`fullscreen_pass`] builds that once, so each pass only says what it binds, and [`begin`]
//! starts its render pass.

/// A uniform buffer binding.
pub const UNIFORM: wgpu::BindingType =
    wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None };

/// A uniform buffer binding addressed by a dynamic offset: one buffer, one entry per draw.
pub const UNIFORM_PER_DRAW: wgpu::BindingType =
    wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: true, min_binding_size: None };

/// The first `size` bytes of `buffer`, bound as a [`UNIFORM_PER_DRAW`] whose dynamic offset
/// picks the draw's entry.
pub fn per_draw(buffer: &wgpu::Buffer, size: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset: 0, size: wgpu::BufferSize::new(size) })
}

/// A filtering sampler binding.
pub const SAMPLER: wgpu::BindingType = wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering);

/// A texture binding.
pub fn texture(sample_type: wgpu::TextureSampleType, view_dimension: wgpu::TextureViewDimension) -> wgpu::BindingType {
    wgpu::BindingType::Texture { sample_type, view_dimension, multisampled: false }
}

/// A pass drawing into `target` with `wgsl` (`vs_main`, `fs_main`); `bindings[i]` is binding
/// `i` of group 0. Returns the pipeline and the bind group layout to make its groups with.
pub fn fullscreen_pass(
    device: &wgpu::Device,
    label: &str,
    wgsl: &str,
    bindings: &[wgpu::BindingType],
    target: wgpu::TextureFormat,
) -> (wgpu::RenderPipeline, wgpu::BindGroupLayout) {
    let numbered: Vec<(u32, wgpu::BindingType)> = bindings.iter().enumerate().map(|(i, ty)| (i as u32, *ty)).collect();
    let (mut pipelines, layout) = fullscreen_pipelines(device, label, wgsl, &numbered, target.into(), &["fs_main"]);
    (pipelines.remove(0), layout)
}

/// [`fullscreen_pass`] with one pipeline per fragment entry point, all sharing one layout, and
/// the bindings numbered by the caller (`(binding, type)`): entry points of one shader that
/// read different sets of its globals get layouts of their own. `target` says how each
/// fragment meets what the target holds (no blending: it replaces it).
pub fn fullscreen_pipelines(
    device: &wgpu::Device,
    label: &str,
    wgsl: &str,
    bindings: &[(u32, wgpu::BindingType)],
    target: wgpu::ColorTargetState,
    fragment_entries: &[&str],
) -> (Vec<wgpu::RenderPipeline>, wgpu::BindGroupLayout) {
    let entries: Vec<wgpu::BindGroupLayoutEntry> = bindings
        .iter()
        .map(|&(binding, ty)| wgpu::BindGroupLayoutEntry { binding, visibility: wgpu::ShaderStages::FRAGMENT, ty, count: None })
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(label), entries: &entries });
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(label), source: wgpu::ShaderSource::Wgsl(wgsl.into()) });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let pipelines = fragment_entries
        .iter()
        .map(|&entry| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: Default::default(),
                depth_stencil: None,
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    targets: &[Some(target.clone())],
                }),
                multiview_mask: None,
                cache: None,
            })
        })
        .collect();
    (pipelines, layout)
}

/// Begins a pass over `target` that clears it to black and draws with `pipeline`: every
/// full-screen pass then writes each pixel it owns (an eye's viewport, or the whole frame).
pub fn begin<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &str,
    target: &wgpu::TextureView,
    pipeline: &wgpu::RenderPipeline,
) -> wgpu::RenderPass<'e> {
    begin_with(encoder, label, target, pipeline, wgpu::LoadOp::Clear(wgpu::Color::BLACK))
}

/// [`begin`] keeping what `target` holds (`LoadOp::Load`): for a pass that draws only the
/// pixels copies into `target` did not already fill.
pub fn begin_over<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &str,
    target: &wgpu::TextureView,
    pipeline: &wgpu::RenderPipeline,
) -> wgpu::RenderPass<'e> {
    begin_with(encoder, label, target, pipeline, wgpu::LoadOp::Load)
}

fn begin_with<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &str,
    target: &wgpu::TextureView,
    pipeline: &wgpu::RenderPipeline,
    load: wgpu::LoadOp<wgpu::Color>,
) -> wgpu::RenderPass<'e> {
    let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view: target,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations { load, store: wgpu::StoreOp::Store },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
    pass.set_pipeline(pipeline);
    pass
}
