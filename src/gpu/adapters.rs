//! Finding GPU adapters, describing them, and choosing the one wgzero uses.
//!
//! Selection order: a name filter (`--adapter NAME` / `WGZERO_ADAPTER`) narrows the list,
//! then adapters are ranked by device type (discrete > integrated > virtual > other >
//! software) and by backend (native APIs before GL). `WGPU_BACKEND` limits which graphics
//! APIs are enumerated at all.

use serde::Serialize;

use super::GpuError;

/// Optional device features wgzero uses when the adapter has them. None is required.
pub const OPTIONAL_FEATURES: &[(&str, wgpu::Features)] = &[
    ("SHADER_F16", wgpu::Features::SHADER_F16),
    ("SUBGROUP", wgpu::Features::SUBGROUP),
    ("TIMESTAMP_QUERY", wgpu::Features::TIMESTAMP_QUERY),
    (
        "TIMESTAMP_QUERY_INSIDE_PASSES",
        wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES,
    ),
];

/// The features the cooperative-matrix (tensor-core) matmul template needs.
pub const TENSOR_CORE_FEATURES: wgpu::Features = wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX
    .union(wgpu::Features::SHADER_F16)
    .union(wgpu::Features::SUBGROUP);

/// Whether `adapter` can run the cooperative-matrix template: it offers
/// [`TENSOR_CORE_FEATURES`], 16×16×16 products of f16 matrices accumulated in f32, and
/// subgroups of exactly 32 invocations (the template assigns one 32-wide subgroup per
/// part of the tile). `WGZERO_TENSOR_CORES=0` says no whatever the adapter.
pub fn offers_tensor_cores(adapter: &wgpu::Adapter) -> bool {
    if std::env::var("WGZERO_TENSOR_CORES").is_ok_and(|value| value == "0") {
        return false;
    }
    let info = adapter.get_info();
    adapter.features().contains(TENSOR_CORE_FEATURES)
        && info.subgroup_min_size == 32
        && info.subgroup_max_size == 32
        && adapter.cooperative_matrix_properties().iter().any(|p| {
            (p.m_size, p.n_size, p.k_size) == (16, 16, 16)
                && p.ab_type == wgpu::CooperativeScalarType::F16
                && p.cr_type == wgpu::CooperativeScalarType::F32
        })
}

/// The optional features of [`OPTIONAL_FEATURES`] that `available` offers.
pub fn optional_features_in(available: wgpu::Features) -> wgpu::Features {
    OPTIONAL_FEATURES
        .iter()
        .map(|(_, feature)| *feature)
        .filter(|feature| available.contains(*feature))
        .fold(wgpu::Features::empty(), |all, feature| all | feature)
}

/// What `wgzero info` reports of one adapter: identity, and the features and limits that
/// shape our kernels.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterReport {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    /// True for software rasterizers (lavapipe / llvmpipe / SwiftShader).
    pub is_software: bool,
    /// Names of the optional features (see [`OPTIONAL_FEATURES`]) this adapter offers.
    pub features: Vec<String>,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub max_storage_buffer_binding_bytes: u64,
    pub max_buffer_bytes: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_workgroup_storage_bytes: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_workgroups_per_dimension: u32,
}

impl AdapterReport {
    pub fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let limits = adapter.limits();
        let features = adapter.features();
        Self {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver.clone(),
            driver_info: info.driver_info.clone(),
            is_software: info.device_type == wgpu::DeviceType::Cpu,
            features: OPTIONAL_FEATURES
                .iter()
                .filter(|(_, feature)| features.contains(*feature))
                .map(|(name, _)| name.to_string())
                .collect(),
            subgroup_min_size: info.subgroup_min_size,
            subgroup_max_size: info.subgroup_max_size,
            max_storage_buffer_binding_bytes: limits.max_storage_buffer_binding_size,
            max_buffer_bytes: limits.max_buffer_size,
            max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
            max_compute_workgroup_storage_bytes: limits.max_compute_workgroup_storage_size,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        }
    }
}

/// Creates the instance: every backend compiled in, narrowed by `WGPU_BACKEND` if set.
pub fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter the instance can see, best first (see [`rank`]).
pub fn enumerate(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    let mut adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters.sort_by_key(|adapter| std::cmp::Reverse(rank(&adapter.get_info())));
    adapters
}

/// Higher is better: hardware before software, native APIs before GL.
pub fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let device = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 4,
        wgpu::DeviceType::IntegratedGpu => 3,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 1,
        wgpu::DeviceType::Cpu => 0,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 2,
        wgpu::Backend::BrowserWebGpu => 2,
        wgpu::Backend::Gl => 1,
        wgpu::Backend::Noop => 0,
    };
    (device, api)
}

/// The name filter from `--adapter` or, failing that, `WGZERO_ADAPTER`.
pub fn name_filter(cli_value: Option<&str>) -> Option<String> {
    cli_value
        .map(str::to_owned)
        .or_else(|| std::env::var("WGZERO_ADAPTER").ok())
        .filter(|name| !name.trim().is_empty())
}

/// Keeps the adapters whose name contains `filter` (case-insensitive); errors if none does,
/// listing the names there are.
pub fn filter_by_name(
    adapters: Vec<wgpu::Adapter>,
    filter: &str,
) -> Result<Vec<wgpu::Adapter>, GpuError> {
    let wanted = filter.to_lowercase();
    let available: Vec<String> = adapters
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            format!("{} ({:?})", info.name, info.backend)
        })
        .collect();
    let kept: Vec<wgpu::Adapter> = adapters
        .into_iter()
        .filter(|adapter| adapter.get_info().name.to_lowercase().contains(&wanted))
        .collect();
    if kept.is_empty() {
        return Err(GpuError::NoAdapterMatches {
            wanted: filter.to_owned(),
            available,
        });
    }
    Ok(kept)
}

/// One line telling the user how to get a GPU driver when no adapter was found.
pub const NO_ADAPTER_HINT: &str = "no GPU adapter found; install a Vulkan driver \
(e.g. `apt-get install mesa-vulkan-drivers` for the lavapipe software driver, or your GPU \
vendor's driver) to use the GPU path";
