//! Test harness: run one test body on every backend.
//!
//! The CPU backend always runs. The GPU runs when an adapter exists (software ones
//! included: tests want lavapipe). With `WGZERO_REQUIRE_GPU=1` a missing adapter fails
//! the test instead of skipping the GPU half, so CI cannot pass by silently skipping.

use std::sync::{Arc, OnceLock};

use crate::backend::Compute;
use crate::gpu::Gpu;

/// True when `WGZERO_REQUIRE_GPU` is set to anything but `0` or empty.
pub fn gpu_required() -> bool {
    std::env::var("WGZERO_REQUIRE_GPU").is_ok_and(|value| !value.is_empty() && value != "0")
}

/// The test process's shared GPU, opened once. `None` when there is no adapter and
/// `WGZERO_REQUIRE_GPU` is unset; panics when it is set.
pub fn test_gpu() -> Option<Arc<Gpu>> {
    static GPU: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();
    let opened = GPU.get_or_init(|| {
        let filter = crate::gpu::adapters::name_filter(None);
        Gpu::open(filter.as_deref())
            .map(Arc::new)
            .map_err(|error| error.to_string())
    });
    match opened {
        Ok(gpu) => Some(Arc::clone(gpu)),
        Err(error) if gpu_required() => {
            panic!("WGZERO_REQUIRE_GPU is set but no GPU could be opened: {error}")
        }
        Err(error) => {
            eprintln!("skipping the GPU half of this test: {error}");
            None
        }
    }
}

/// The backends a test body runs on: CPU, then the GPU if there is one.
pub fn backends() -> Vec<Compute> {
    let mut all = vec![Compute::Cpu];
    all.extend(test_gpu().map(Compute::Gpu));
    all
}

/// Runs `body` once per backend, naming the backend if it panics.
pub fn on_every_backend(body: impl Fn(&Compute)) {
    for compute in backends() {
        eprintln!("-- on backend {}", compute.name());
        body(&compute);
    }
}
