//! The one GPU context every layer shares: instance, adapter, device, queue, and what the
//! device can do. The app hands eframe's device to [`Gpu::from_parts`] so compute and UI
//! share one device.
//!
//! Errors the driver reports asynchronously (validation errors, device loss) are captured
//! instead of panicking, and surface from the next [`Gpu::wait`] or [`Gpu::check`].

pub mod adapters;
mod buffers;
mod pipelines;
pub mod readback;
mod self_test;
pub mod timing;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use adapters::AdapterReport;
pub use pipelines::{used_bindings, validate_wgsl, workgroup_storage_bytes};
pub use readback::{ReadRange, Readback};
pub use self_test::{reference as self_test_reference, self_test};

/// Everything that can go wrong on the GPU side, each message naming what to change.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("{}", adapters::NO_ADAPTER_HINT)]
    NoAdapter,
    #[error(
        "no GPU adapter name contains {wanted:?} (from --adapter or WGZERO_ADAPTER); \
         available: {}",
        if available.is_empty() { "none".to_owned() } else { available.join(", ") }
    )]
    NoAdapterMatches {
        wanted: String,
        available: Vec<String>,
    },
    #[error(
        "could not open a device on adapter {adapter:?}: {message}; try another adapter with --adapter NAME, or --backend cpu"
    )]
    RequestDevice { adapter: String, message: String },
    #[error("the GPU device was lost ({reason}); {RESTART_HINT}")]
    DeviceLost { reason: String },
    #[error("the GPU ran out of memory; {OUT_OF_MEMORY_HINT}")]
    OutOfMemory,
    #[error("the GPU reported an error: {0}")]
    Driver(String),
    #[error("shader {label:?} was rejected: {message}")]
    Shader { label: String, message: String },
    #[error(
        "GPU work did not finish within {seconds} s (raise WGZERO_GPU_TIMEOUT_S, or use smaller batches)"
    )]
    Timeout { seconds: u64 },
    #[error("reading a GPU buffer back failed: {0}")]
    Readback(String),
}

/// What to do after a device loss, where wgzero runs.
const RESTART_HINT: &str = if cfg!(target_arch = "wasm32") {
    "reload the page (the checkpoints are kept), or open it with ?backend=cpu if this repeats"
} else {
    "restart wgzero, or use --backend cpu if this repeats"
};

/// What to change after running out of GPU memory.
const OUT_OF_MEMORY_HINT: &str = if cfg!(target_arch = "wasm32") {
    "use fewer games in flight, a smaller training batch or a smaller network"
} else {
    "use fewer games in flight, a smaller training batch or a smaller network, or --backend cpu"
};

/// Workgroups per dispatch dimension (WebGPU's default limit).
pub const MAX_WORKGROUPS_PER_DIMENSION: u32 = 65_535;

/// The dispatch of `groups` workgroups: one row along x, or rows of
/// [`MAX_WORKGROUPS_PER_DIMENSION`] stacked along y when there are more. A kernel's flat
/// workgroup index is `wid.x + wid.y · (workgroups along x)`; it skips those past `groups`.
pub fn workgroup_grid(groups: u64) -> [u32; 3] {
    let groups = groups.max(1);
    let most = u64::from(MAX_WORKGROUPS_PER_DIMENSION);
    if groups <= most {
        [groups as u32, 1, 1]
    } else {
        [
            MAX_WORKGROUPS_PER_DIMENSION,
            groups.div_ceil(most) as u32,
            1,
        ]
    }
}

/// A device loss in a few words ("Unknown: the GPU process crashed"), for messages.
pub fn loss_description(reason: wgpu::DeviceLostReason, message: &str) -> String {
    format!("{reason:?}: {}", message.trim_end_matches('.'))
}

/// Errors and loss reported by the driver from callbacks, kept until someone asks.
#[derive(Default)]
struct Health {
    lost_reason: Mutex<Option<String>>,
    first_error: Mutex<Option<GpuError>>,
}

/// The shared GPU context. Cheap to share behind an `Arc`.
pub struct Gpu {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// The features the device was created with (optional ones the adapter offers).
    pub features: wgpu::Features,
    /// The device's limits: those it was opened with (the adapter's own, from
    /// [`Gpu::device_descriptor`]; WebGPU's defaults from [`Gpu::baseline_descriptor`]).
    /// Kernels size themselves by these, never by the adapter's.
    pub limits: wgpu::Limits,
    health: Arc<Health>,
    pipelines: pipelines::PipelineCache,
    /// Set by [`Gpu::forbid_waits`]: any blocking wait is then a bug.
    waits_forbidden: AtomicBool,
}

impl Gpu {
    /// Opens a device on `adapter` with [`Gpu::device_descriptor`].
    pub fn new(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Self, GpuError> {
        let descriptor = Self::device_descriptor(&adapter);
        Self::with_descriptor(instance, adapter, &descriptor)
    }

    /// Opens a device on `adapter` with `descriptor` (for example
    /// [`Gpu::baseline_descriptor`], to run natively within a browser's limits).
    pub fn with_descriptor(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        descriptor: &wgpu::DeviceDescriptor<'_>,
    ) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        let (device, queue) =
            pollster::block_on(adapter.request_device(descriptor)).map_err(|error| {
                GpuError::RequestDevice {
                    adapter: info.name.clone(),
                    message: error.to_string(),
                }
            })?;
        Ok(Self::from_parts(instance, adapter, device, queue))
    }

    /// What wgzero asks of a device on `adapter`: the adapter's own limits (not WebGPU's
    /// defaults) and every optional feature it offers that wgzero uses (f16, subgroups,
    /// timestamps, and cooperative matrices where they serve the matmul template). The app
    /// requests eframe's device with it, so compute and UI share one device.
    pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
        let mut required_features = adapters::optional_features_in(adapter.features());
        let experimental_features = if adapters::offers_tensor_cores(adapter) {
            required_features |= adapters::TENSOR_CORE_FEATURES;
            // SAFETY: wgpu marks cooperative matrices experimental (its validation of them
            // is incomplete). They are used only by the cooperative-matrix template, whose
            // accesses stay inside workgroup arrays it sizes itself (tests/coop_kernels.rs
            // compares it with the f32 template on hardware that offers it).
            unsafe { wgpu::ExperimentalFeatures::enabled() }
        } else {
            wgpu::ExperimentalFeatures::disabled()
        };
        wgpu::DeviceDescriptor {
            label: Some("wgzero"),
            required_features,
            required_limits: adapter.limits(),
            experimental_features,
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }
    }

    /// The least a browser's WebGPU may give: exactly WebGPU's default limits
    /// (`wgpu::Limits::default()`: 8 storage buffers per shader stage, 256 invocations per
    /// workgroup, 16 KiB of workgroup memory, 128 MiB per storage binding, 256 MiB per
    /// buffer) and no optional feature. Every kernel must run on such a device; tests open
    /// one on an adapter that offers more (tests/browser_limits.rs).
    pub fn baseline_descriptor() -> wgpu::DeviceDescriptor<'static> {
        wgpu::DeviceDescriptor {
            label: Some("wgzero (WebGPU baseline)"),
            required_features: wgpu::Features::empty(),
            required_limits: wgpu::Limits::default(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }
    }

    /// Wraps a device somebody else opened (eframe's renderer, in the app).
    pub fn from_parts(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> Self {
        let health = Arc::new(Health::default());
        let lost = Arc::clone(&health);
        device.set_device_lost_callback(move |reason, message| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                *lost.lost_reason.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(loss_description(reason, &message));
            }
        });
        let errors = Arc::clone(&health);
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            let mut first = errors.first_error.lock().unwrap_or_else(|e| e.into_inner());
            first.get_or_insert_with(|| match error {
                wgpu::Error::OutOfMemory { .. } => GpuError::OutOfMemory,
                other => GpuError::Driver(other.to_string()),
            });
        }));
        Self {
            info: adapter.get_info(),
            features: device.features(),
            limits: device.limits(),
            instance,
            adapter,
            device,
            queue,
            health,
            pipelines: pipelines::PipelineCache::default(),
            waits_forbidden: AtomicBool::new(false),
        }
    }

    /// Opens the best adapter (see [`adapters::rank`]), narrowed by `name_filter`.
    pub fn open(name_filter: Option<&str>) -> Result<Self, GpuError> {
        Self::open_with(name_filter, Self::device_descriptor)
    }

    /// [`Gpu::open`] with the device descriptor `descriptor` makes for the chosen adapter.
    pub fn open_with(
        name_filter: Option<&str>,
        descriptor: impl FnOnce(&wgpu::Adapter) -> wgpu::DeviceDescriptor<'static>,
    ) -> Result<Self, GpuError> {
        let instance = adapters::instance();
        let mut candidates = adapters::enumerate(&instance);
        if let Some(filter) = name_filter {
            candidates = adapters::filter_by_name(candidates, filter)?;
        }
        let adapter = candidates.into_iter().next().ok_or(GpuError::NoAdapter)?;
        let descriptor = descriptor(&adapter);
        Self::with_descriptor(instance, adapter, &descriptor)
    }

    /// True for software rasterizers (lavapipe, llvmpipe, SwiftShader).
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    pub fn has(&self, feature: wgpu::Features) -> bool {
        self.features.contains(feature)
    }

    /// True when the device was opened with f16 cooperative matrices that the
    /// cooperative-matrix matmul template can use (see [`adapters::offers_tensor_cores`]).
    pub fn tensor_cores(&self) -> bool {
        self.has(adapters::TENSOR_CORE_FEATURES) && adapters::offers_tensor_cores(&self.adapter)
    }

    /// Reports device loss or the first asynchronous driver error seen so far.
    pub fn check(&self) -> Result<(), GpuError> {
        if let Some(reason) = self
            .health
            .lost_reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(GpuError::DeviceLost { reason });
        }
        if let Some(error) = self
            .health
            .first_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return Err(error);
        }
        Ok(())
    }

    /// Makes every blocking wait on this device panic (`true`) or allowed again: tests
    /// prove with it that a path (the trainer's) never blocks on the GPU.
    pub fn forbid_waits(&self, forbid: bool) {
        self.waits_forbidden.store(forbid, Ordering::Relaxed);
    }

    /// Blocks until all submitted work is done, or the timeout (`WGZERO_GPU_TIMEOUT_S`,
    /// default 600 s) passes; then reports any captured error. For tools, tests and
    /// blocking drivers: the training path never waits.
    pub fn wait(&self) -> Result<(), GpuError> {
        self.wait_for(None)
    }

    /// Blocks until `submission` (or, for `None`, all submitted work) is done, with the
    /// timeout of [`Gpu::wait`]. On the web this returns at once: the browser runs the
    /// work and its callbacks between frames.
    pub fn wait_for(&self, submission: Option<wgpu::SubmissionIndex>) -> Result<(), GpuError> {
        assert!(
            !self.waits_forbidden.load(Ordering::Relaxed),
            "a blocking GPU wait while waits are forbidden: this path must poll instead"
        );
        let seconds = wait_timeout_seconds();
        let result = self.device.poll(wgpu::PollType::Wait {
            submission_index: submission,
            timeout: Some(Duration::from_secs(seconds)),
        });
        match result {
            Ok(_) => self.check(),
            Err(wgpu::PollError::Timeout) => Err(GpuError::Timeout { seconds }),
            Err(error) => {
                self.check()?;
                Err(GpuError::Driver(error.to_string()))
            }
        }
    }
}

pub(crate) fn wait_timeout_seconds() -> u64 {
    std::env::var("WGZERO_GPU_TIMEOUT_S")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(600)
}
