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

/// A new device on the test adapter with [`Gpu::baseline_descriptor`]: WebGPU's default
/// limits and no optional feature, whatever the adapter offers, so that a kernel that
/// would fail in a browser fails here too. `None` (or a panic) as for [`test_gpu`].
pub fn baseline_gpu() -> Option<Arc<Gpu>> {
    let filter = crate::gpu::adapters::name_filter(None);
    match Gpu::open_with(filter.as_deref(), |_| Gpu::baseline_descriptor()) {
        Ok(gpu) => Some(Arc::new(gpu)),
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

/// An archive that keeps every final position it is handed, unchecked: tests read back
/// what a pipeline archived. Clones share the positions.
#[derive(Clone)]
pub struct CollectedFinals<S>(pub Arc<std::sync::Mutex<Vec<S>>>);

impl<S> Default for CollectedFinals<S> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<S: Clone + Send> crate::games::FinalStateArchive<S> for CollectedFinals<S> {
    fn record(
        &mut self,
        final_states: &[S],
    ) -> Result<Vec<crate::games::Archived>, crate::games::GameError> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(final_states);
        Ok(Vec::new())
    }

    fn totals(&self) -> (u64, u64) {
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        (held, 0)
    }
}

/// Blocking drivers for tests and tools: they wait for the GPU, which the library's
/// training path never does.
pub mod blocking {
    use crate::selfplay::SelfPlayReport;
    use crate::train::TrainError;
    use crate::train::pipeline::{Completed, LossReport, Pipeline};
    use crate::train::trainer::{Trainer, TrainerEvent};

    /// Runs everything queued on `pipeline` to the end and returns what completed.
    pub fn finish(pipeline: &mut dyn Pipeline) -> Result<Vec<Completed>, TrainError> {
        let mut completed = Vec::new();
        while !pipeline.is_idle() {
            let deadline = web_time::Instant::now() + std::time::Duration::from_secs(1);
            completed.extend(pipeline.poll(deadline)?);
            if let Some(submission) = pipeline.waiting_on()
                && let crate::backend::Compute::Gpu(gpu) = pipeline.compute()
            {
                gpu.wait_for(Some(submission))?;
            }
        }
        Ok(completed)
    }

    /// Plays `moves` moves in every game and returns what self-play did.
    pub fn play(pipeline: &mut dyn Pipeline, moves: u32) -> Result<SelfPlayReport, TrainError> {
        pipeline.queue_play(moves)?;
        let mut report = SelfPlayReport::default();
        for done in finish(pipeline)? {
            if let Completed::Played { report: part, .. } = done {
                report.add(&part);
            }
        }
        Ok(report)
    }

    /// Runs `steps` training steps (then publishes) and returns their mean losses.
    pub fn train(pipeline: &mut dyn Pipeline, steps: u32) -> Result<LossReport, TrainError> {
        pipeline.queue_train(steps)?;
        let mut losses = LossReport::default();
        for done in finish(pipeline)? {
            if let Completed::Trained { losses: last, .. } = done {
                losses = last;
            }
        }
        Ok(losses)
    }

    /// Advances `trainer` until it finishes an iteration, waiting for the GPU as the CLI
    /// does; returns the events.
    pub fn iteration(trainer: &mut Trainer) -> Result<Vec<TrainerEvent>, TrainError> {
        let mut events = Vec::new();
        loop {
            let advance = trainer.advance(std::time::Duration::from_millis(100))?;
            let finished = advance
                .events
                .iter()
                .any(|event| matches!(event, TrainerEvent::Iteration(_)));
            events.extend(advance.events);
            if finished {
                return Ok(events);
            }
            if let Some(submission) = advance.waiting_for
                && let Some(gpu) = trainer.gpu()
            {
                gpu.wait_for(Some(submission))?;
            }
        }
    }
}
