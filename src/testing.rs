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

/// A training run small enough for lavapipe: K_5, k = 3, an MLP with one hidden layer of
/// 16, 32 games in flight with 4 simulations, 12 moves, 4 training steps of 16 and a small
/// evaluation per iteration.
pub fn tiny_train_config() -> crate::train::config::TrainConfig {
    use crate::games::GameSpec;
    use crate::games::clique::{CliqueConfig, Mode};
    let game = CliqueConfig::new(5, 3, Mode::Symmetric).expect("K_5, k = 3 is valid");
    let mut config = crate::train::config::TrainConfig::for_game(GameSpec::Clique(game));
    config.network = crate::nn::spec::NetworkSpec::Mlp { hidden: vec![16] };
    config.games_in_flight = 32;
    config.search.simulations = 4;
    config.batch_size = 16;
    config.moves_per_iteration = 12;
    config.train_steps_per_iteration = 4;
    config.replay_capacity = 2_000;
    config.evaluation_games = 10;
    config.accuracy_positions = 30;
    config.accuracy_simulations = 4;
    config
}

/// `count` clique positions after 0–4 random moves drawn from a fixed generator seeded
/// with `seed` (the same list everywhere), none of them over: roots for searches that
/// tests compare.
pub fn seeded_positions(
    config: crate::games::clique::CliqueConfig,
    count: usize,
    seed: u64,
) -> Vec<crate::games::clique::state::CliqueState> {
    use crate::games::GameState;
    let mut found = Vec::new();
    let mut x = seed;
    while found.len() < count {
        let mut state = crate::games::clique::state::CliqueState::new(config);
        let plies = (x % 5) as usize;
        for _ in 0..plies {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let legal = state.legal_actions();
            if state.terminal_value().is_some() || legal.is_empty() {
                break;
            }
            state
                .apply(legal[(x >> 33) as usize % legal.len()])
                .expect("a legal move");
        }
        x = x.wrapping_add(0x9E37_79B9);
        if state.terminal_value().is_none() {
            found.push(state);
        }
    }
    found
}

/// `network`'s inference graph for `batch` positions, fused and compiled for `gpu`.
pub fn gpu_inference_program(
    network: &dyn crate::nn::Network,
    gpu: &Arc<Gpu>,
    batch: usize,
) -> crate::graph::wgsl::GpuProgram {
    use crate::graph::{CompileOptions, Graph, Program};
    let graph = Graph::new();
    crate::nn::inference(&graph, network, batch);
    let options = CompileOptions {
        fuse: true,
        seed: 3,
        ..CompileOptions::default()
    };
    match Program::compile(&graph, &Compute::Gpu(gpu.clone()), &options)
        .expect("the inference graph compiles")
    {
        Program::Gpu(program) => program,
        Program::Cpu(_) => unreachable!("compiled for the GPU"),
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

/// Whether `python3` can import `module` (an independent reference some tests check
/// against: networkx, python-chess). When it cannot, the test is skipped with a message,
/// unless `WGZERO_REQUIRE_GPU` is set (as in CI), which panics naming `install`.
pub fn python_module(module: &str, install: &str) -> bool {
    let available = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !available {
        assert!(
            !gpu_required(),
            "WGZERO_REQUIRE_GPU is set but python3 cannot import {module} ({install})"
        );
        eprintln!("skipped the check with python3's {module}: it is not installed ({install})");
    }
    available
}
