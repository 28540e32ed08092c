//! The chess WGSL fits the browser baseline: naga accepts it without optional
//! capabilities, and no entry point needs more storage buffers (8) or invocations (256) than
//! WebGPU's default limits allow.

use wgzero::games::chess::gpu::{batch_wgsl, wgsl_library};
use wgzero::gpu::validate_wgsl;

#[test]
fn the_library_and_the_batch_kernels_validate_without_optional_capabilities() {
    validate_wgsl(&wgsl_library(), naga::valid::Capabilities::empty()).unwrap();
    validate_wgsl(&batch_wgsl(), naga::valid::Capabilities::empty()).unwrap();
}

#[test]
fn entry_points_fit_the_browser_limits() {
    let module = naga::front::wgsl::parse_str(&batch_wgsl()).unwrap();
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap();
    assert_eq!(module.entry_points.len(), 6);
    let limits = wgpu::Limits::default();
    for (index, entry) in module.entry_points.iter().enumerate() {
        let invocations: u32 = entry.workgroup_size.iter().product();
        assert!(
            invocations <= limits.max_compute_invocations_per_workgroup,
            "{} has {invocations} invocations",
            entry.name
        );
        let function_info = info.get_entry_point(index);
        let storage_buffers = module
            .global_variables
            .iter()
            .filter(|(handle, variable)| {
                !function_info[*handle].is_empty()
                    && matches!(variable.space, naga::AddressSpace::Storage { .. })
            })
            .count();
        assert!(
            storage_buffers <= limits.max_storage_buffers_per_shader_stage as usize,
            "{} binds {storage_buffers} storage buffers",
            entry.name
        );
    }
}
