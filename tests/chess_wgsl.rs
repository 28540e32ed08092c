//! The chess WGSL fits the browser baseline: naga accepts it without optional
//! capabilities, and no entry point needs more storage buffers (8) or invocations (256) than
//! WebGPU's default limits allow.

use wgzero::games::ChessConfig;
use wgzero::games::chess::gpu::{batch_wgsl, wgsl_library};
use wgzero::gpu::validate_wgsl;
use wgzero::search::gpu::{Capacity, search_source};
use wgzero::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

#[test]
fn the_library_and_the_batch_kernels_validate_without_optional_capabilities() {
    validate_wgsl(&wgsl_library(), naga::valid::Capabilities::empty()).unwrap();
    validate_wgsl(&batch_wgsl(), naga::valid::Capabilities::empty()).unwrap();
}

#[test]
fn entry_points_fit_the_browser_limits() {
    assert_eq!(entry_points_within_limits(&batch_wgsl()), 6);
}

/// The search kernels with chess's adapter (`search_adapter.wgsl`).
fn chess_search_source() -> String {
    let config = ChessConfig::new(60).unwrap();
    let search = SearchConfig {
        simulations: 32,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.1),
            dirichlet: Some((0.3, 0.25)),
        },
        reuse_subtree: true,
    };
    let capacity = Capacity::for_search(&search, 218).unwrap();
    search_source(&config, &search, 64, capacity)
}

#[test]
fn the_search_adapter_validates_and_fits_the_browser_limits() {
    let source = chess_search_source();
    validate_wgsl(&source, naga::valid::Capabilities::empty()).unwrap();
    assert_eq!(entry_points_within_limits(&source), 5);
}

/// Checks every entry point of `source` against WebGPU's default invocation and storage
/// buffer limits; returns how many there are.
fn entry_points_within_limits(source: &str) -> usize {
    let module = naga::front::wgsl::parse_str(source).unwrap();
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap();
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
    module.entry_points.len()
}
