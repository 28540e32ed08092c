//! Compute pipelines, cached by a hash of their WGSL source and entry point, and naga
//! validation of generated shaders.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::{Gpu, GpuError};

/// Pipelines already built on this device, keyed by a hash of (source, entry point).
#[derive(Default)]
pub(super) struct PipelineCache {
    by_source: Mutex<HashMap<u64, Arc<wgpu::ComputePipeline>>>,
}

fn source_key(wgsl: &str, entry_point: &str, checked: bool) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    wgsl.hash(&mut hasher);
    entry_point.hash(&mut hasher);
    checked.hash(&mut hasher);
    hasher.finish()
}

impl Gpu {
    /// The compute pipeline for `entry_point` of `wgsl`, built once per source. Bind group
    /// layouts are derived from the shader (`pipeline.get_bind_group_layout(i)`).
    pub fn pipeline(
        &self,
        label: &str,
        wgsl: &str,
        entry_point: &str,
    ) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        self.build_pipeline(label, wgsl, entry_point, true)
    }

    /// Like [`Gpu::pipeline`], but without naga's run-time bounds checks, loop bounding and
    /// workgroup-memory zeroing, which cost hot kernels (matmul inner loops, game rules)
    /// measurable time.
    ///
    /// # Safety
    /// Every buffer and array access of the shader must be in bounds for every dispatch it
    /// is used with, and every loop must terminate; kernels generated for fixed shapes, or
    /// whose indices are masked to the buffer length, meet this. Workgroup memory starts
    /// undefined: the shader must write it before reading it.
    pub unsafe fn pipeline_unchecked(
        &self,
        label: &str,
        wgsl: &str,
        entry_point: &str,
    ) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        self.build_pipeline(label, wgsl, entry_point, false)
    }

    fn build_pipeline(
        &self,
        label: &str,
        wgsl: &str,
        entry_point: &str,
        checked: bool,
    ) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        let key = source_key(wgsl, entry_point, checked);
        if let Some(pipeline) = self
            .pipelines
            .by_source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(Arc::clone(pipeline));
        }
        self.check_workgroup_storage(label, wgsl, entry_point)?;
        // Validation errors from shader and pipeline creation are caught here rather than
        // reaching the uncaptured-error handler, so they come back tied to this shader.
        // Native wgpu answers a popped scope at once; a browser answers later, so there no
        // scope is pushed and errors reach `Gpu::check` through the uncaptured-error handler.
        let scope = (!cfg!(target_arch = "wasm32"))
            .then(|| self.device.push_error_scope(wgpu::ErrorFilter::Validation));
        let descriptor = wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        };
        let module = if checked {
            self.device.create_shader_module(descriptor)
        } else {
            // SAFETY: the caller of `pipeline_unchecked` vouches for in-bounds accesses
            // and terminating loops.
            unsafe {
                self.device.create_shader_module_trusted(
                    descriptor,
                    wgpu::ShaderRuntimeChecks::unchecked(),
                )
            }
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some(entry_point),
                compilation_options: wgpu::PipelineCompilationOptions {
                    // Unchecked kernels initialise whatever workgroup memory they read.
                    zero_initialize_workgroup_memory: checked,
                    ..Default::default()
                },
                cache: None,
            });
        if let Some(error) = scope.and_then(|scope| scope_error(scope.pop())) {
            return Err(GpuError::Shader {
                label: label.to_owned(),
                message: error.to_string(),
            });
        }
        let pipeline = Arc::new(pipeline);
        self.pipelines
            .by_source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::clone(&pipeline));
        Ok(pipeline)
    }

    /// Refuses a kernel that uses more workgroup memory than the device allows. wgpu 30
    /// does not check `max_compute_workgroup_storage_size` (gfx-rs/wgpu#8946): a kernel over
    /// it would run natively, on an adapter that has the memory, and fail only in a
    /// browser, whose WebGPU does check.
    fn check_workgroup_storage(
        &self,
        label: &str,
        wgsl: &str,
        entry_point: &str,
    ) -> Result<(), GpuError> {
        let shader_error = |message| GpuError::Shader {
            label: label.to_owned(),
            message,
        };
        let bytes = workgroup_storage_bytes(wgsl, entry_point).map_err(shader_error)?;
        let limit = self.limits.max_compute_workgroup_storage_size;
        if bytes > u64::from(limit) {
            return Err(shader_error(format!(
                "entry point {entry_point:?} uses {bytes} bytes of workgroup memory; the \
                 device allows {limit} (max_compute_workgroup_storage_size)"
            )));
        }
        Ok(())
    }

    /// A bind group for group 0 of `pipeline`, binding `buffers` to bindings 0, 1, 2, ….
    pub fn bind_buffers(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(binding, buffer)| wgpu::BindGroupEntry {
                binding: binding as u32,
                resource: buffer.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        })
    }

    /// A bind group for group 0 of `pipeline` (built from `entry_point` of `wgsl` with an
    /// automatic layout), binding `buffers[i]` to binding `i` for exactly the bindings the
    /// entry point uses: automatic layouts leave unused ones out.
    pub fn bind_used(
        &self,
        pipeline: &wgpu::ComputePipeline,
        wgsl: &str,
        entry_point: &str,
        buffers: &[&wgpu::Buffer],
    ) -> Result<wgpu::BindGroup, GpuError> {
        let ranges: Vec<wgpu::BufferBinding> = buffers
            .iter()
            .map(|buffer| buffer.as_entire_buffer_binding())
            .collect();
        self.bind_used_ranges(pipeline, wgsl, entry_point, &ranges)
    }

    /// [`Gpu::bind_used`] with buffer ranges (offsets aligned to the adapter's
    /// `min_storage_buffer_offset_alignment`).
    pub fn bind_used_ranges(
        &self,
        pipeline: &wgpu::ComputePipeline,
        wgsl: &str,
        entry_point: &str,
        ranges: &[wgpu::BufferBinding],
    ) -> Result<wgpu::BindGroup, GpuError> {
        let used = used_bindings(wgsl, entry_point).map_err(|message| GpuError::Shader {
            label: entry_point.to_owned(),
            message,
        })?;
        let entries: Vec<wgpu::BindGroupEntry> = used
            .iter()
            .filter_map(|&binding| {
                ranges
                    .get(binding as usize)
                    .map(|range| wgpu::BindGroupEntry {
                        binding,
                        resource: wgpu::BindingResource::Buffer(range.clone()),
                    })
            })
            .collect();
        Ok(self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        }))
    }

    /// Records and submits one dispatch of `pipeline` over `workgroups` with `bind_group`
    /// as group 0. For one-off work (tests, set-up); hot loops record their own passes.
    pub fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        bind_group: &wgpu::BindGroup,
        workgroups: [u32; 3],
    ) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, bind_group, &[]);
            pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        }
        self.queue.submit([encoder.finish()]);
    }
}

/// Parses and validates `wgsl` with naga, allowing only `capabilities` beyond the WebGPU
/// baseline. Returns naga's message (with source locations) on failure.
pub fn validate_wgsl(wgsl: &str, capabilities: naga::valid::Capabilities) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(wgsl).map_err(|error| error.emit_to_string(wgsl))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), capabilities)
        .validate(&module)
        .map_err(|error| error.emit_to_string(wgsl))?;
    Ok(())
}

/// The `@group(0)` bindings that entry point `entry_point` of `wgsl` uses (directly or
/// through the functions it calls), in increasing order. Pipelines built with automatic
/// layouts expect exactly these in their bind groups.
pub fn used_bindings(wgsl: &str, entry_point: &str) -> Result<Vec<u32>, String> {
    let mut bindings: Vec<u32> = used_globals(wgsl, entry_point)?
        .iter()
        .filter_map(|global| global.binding)
        .filter(|binding| binding.group == 0)
        .map(|binding| binding.binding)
        .collect();
    bindings.sort_unstable();
    Ok(bindings)
}

/// Bytes of workgroup memory entry point `entry_point` of `wgsl` uses, as WebGPU counts
/// them against `maxComputeWorkgroupStorageSize`: the size of every workgroup variable it
/// uses, each rounded up to 16 bytes.
pub fn workgroup_storage_bytes(wgsl: &str, entry_point: &str) -> Result<u64, String> {
    Ok(used_globals(wgsl, entry_point)?
        .iter()
        .filter(|global| global.space == naga::AddressSpace::WorkGroup)
        .map(|global| u64::from(global.bytes).next_multiple_of(16))
        .sum())
}

/// A module-scope variable as [`used_globals`] reports it.
struct UsedGlobal {
    binding: Option<naga::ResourceBinding>,
    space: naga::AddressSpace,
    bytes: u32,
}

/// The module-scope variables that entry point `entry_point` of `wgsl` uses (directly or
/// through the functions it calls).
fn used_globals(wgsl: &str, entry_point: &str) -> Result<Vec<UsedGlobal>, String> {
    let module = naga::front::wgsl::parse_str(wgsl).map_err(|error| error.emit_to_string(wgsl))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|error| error.emit_to_string(wgsl))?;
    let index = module
        .entry_points
        .iter()
        .position(|entry| entry.name == entry_point)
        .ok_or_else(|| format!("no entry point {entry_point:?}"))?;
    let function = info.get_entry_point(index);
    Ok(module
        .global_variables
        .iter()
        .filter(|(handle, _)| !function[*handle].is_empty())
        .map(|(_, variable)| UsedGlobal {
            binding: variable.binding,
            space: variable.space,
            bytes: module.types[variable.ty].inner.size(module.to_ctx()),
        })
        .collect())
}

/// The error a popped error scope caught, without waiting: native wgpu resolves it at
/// once (a scope still pending is treated as having caught nothing).
fn scope_error(
    popped: impl std::future::Future<Output = Option<wgpu::Error>>,
) -> Option<wgpu::Error> {
    let mut popped = std::pin::pin!(popped);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match popped.as_mut().poll(&mut context) {
        std::task::Poll::Ready(error) => error,
        std::task::Poll::Pending => None,
    }
}
