//! The GPU pipeline: self-play with the batched GPU search, finished games appended to the
//! replay ring on the GPU, training batches sampled (and augmented) on the GPU into the
//! compiled training step. Between the host and the GPU pass only small status reads:
//! per-game counters after self-play, the loss sums after training.

use std::sync::Arc;

use super::TrainError;
use super::config::TrainConfig;
use super::pipeline::{LossReport, Pipeline, SelfPlayReport, TrainingStep, compile_training_step};
use crate::backend::Compute;
use crate::games::clique::CliqueState;
use crate::gpu::Gpu;
use crate::graph::wgsl::GpuProgram;
use crate::graph::{CompileOptions, Graph, Program};
use crate::nn;
use crate::search::gpu::{DRAW_LOG_LEN, GameRecord, GpuSearch, PlaySettings};
use crate::selfplay::gpu_replay::{GpuReplay, GpuSampler, ReplayError};

/// Moves recorded into one submit of self-play.
const MOVES_PER_SUBMIT: u32 = 2;
/// Training steps recorded into one submit.
const STEPS_PER_SUBMIT: u32 = 8;

impl From<ReplayError> for TrainError {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Gpu(e) => TrainError::Gpu(e),
            ReplayError::Graph(e) => TrainError::Graph(e),
            ReplayError::Search(e) => TrainError::Search(e),
            other => TrainError::Config(other.to_string()),
        }
    }
}

pub struct GpuPipeline {
    gpu: Arc<Gpu>,
    compute: Compute,
    config: TrainConfig,
    search: GpuSearch,
    replay: GpuReplay,
    sampler: GpuSampler,
    /// Its trainable parameters are copied to the search's network by `publish`.
    step: TrainingStep,
    /// Counters at the end of the last `play`.
    counters: Vec<GameRecord>,
    /// Draws logged by the end of the last `play`.
    draws_logged: u32,
}

fn gpu_program(program: &Program) -> &GpuProgram {
    match program {
        Program::Gpu(program) => program,
        Program::Cpu(_) => unreachable!("the GPU pipeline compiles for the GPU"),
    }
}

impl GpuPipeline {
    pub fn new(config: &TrainConfig, gpu: &Arc<Gpu>) -> Result<Self, TrainError> {
        let compute = Compute::Gpu(Arc::clone(gpu));
        let vertices = config.game.n as usize;
        let network = config.network.build(vertices);
        let options = CompileOptions {
            fuse: true,
            seed: config.seed,
            ..CompileOptions::default()
        };
        let inference_graph = Graph::new();
        nn::inference(
            &inference_graph,
            network.as_ref(),
            config.games_in_flight as usize,
        );
        let inference = match Program::compile(&inference_graph, &compute, &options)? {
            Program::Gpu(program) => program,
            Program::Cpu(_) => unreachable!("compiled for the GPU"),
        };
        let step = compile_training_step(config, network.as_ref(), &compute)?;
        let search = GpuSearch::new(
            gpu,
            &config.game,
            inference,
            config.search,
            config.games_in_flight,
            PlaySettings {
                temperature_moves: config.temperature_moves,
                random_opening: config.random_opening,
                surprise_weight: config.surprise_weight,
                record: true,
            },
            config.seed,
        )?;
        search.reset();
        let replay = GpuReplay::new(gpu, &search, config.replay_capacity)?;
        let sampler = GpuSampler::new(
            gpu,
            &replay,
            gpu_program(&step.program),
            config.batch_size,
            config.game.n,
            config.augment,
            config.seed ^ 0x5a4d_u64,
        )?;
        let mut pipeline = Self {
            gpu: Arc::clone(gpu),
            compute,
            config: config.clone(),
            search,
            replay,
            sampler,
            step,
            counters: Vec::new(),
            draws_logged: 0,
        };
        pipeline.publish()?;
        pipeline.counters = pipeline.search.read_games()?;
        Ok(pipeline)
    }

    fn submit(&self, record: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("training pipeline"),
            });
        record(&mut encoder);
        self.gpu.queue.submit([encoder.finish()]);
    }

    /// Every record of the replay ring (`[capacity, record floats]`), for tests and tools.
    pub fn replay_records(&self) -> Result<Vec<f32>, TrainError> {
        Ok(self.replay.read_ring()?)
    }

    /// Final positions of the draws logged since the last call.
    fn new_draws(&mut self) -> Result<Vec<CliqueState>, TrainError> {
        let (count, words) = self.search.read_draw_log()?;
        let fresh = count.wrapping_sub(self.draws_logged).min(DRAW_LOG_LEN);
        let per_state = self.search.state_words() as usize;
        let mut states = Vec::new();
        for index in count - fresh..count {
            let slot = (index % DRAW_LOG_LEN) as usize;
            let state = CliqueState::from_words(
                self.config.game,
                &words[slot * per_state..(slot + 1) * per_state],
            )?;
            states.push(state);
        }
        self.draws_logged = count;
        Ok(states)
    }
}

impl Pipeline for GpuPipeline {
    fn play(&mut self, moves: u32) -> Result<SelfPlayReport, TrainError> {
        let mut remaining = moves;
        while remaining > 0 {
            let now = remaining.min(MOVES_PER_SUBMIT);
            self.submit(|encoder| {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("self-play"),
                    timestamp_writes: None,
                });
                for _ in 0..now {
                    self.search.record_search(&mut pass);
                    self.search.record_play(&mut pass);
                    self.replay.record_commit(&mut pass);
                }
            });
            remaining -= now;
        }
        let after = self.search.read_games()?;
        let mut report = SelfPlayReport {
            evaluations: u64::from(moves)
                * u64::from(self.config.games_in_flight)
                * u64::from(self.config.search.simulations + 1),
            ..SelfPlayReport::default()
        };
        for (a, b) in after.iter().zip(&self.counters) {
            report.positions += u64::from(a.positions.wrapping_sub(b.positions));
            report.games += u64::from(a.finished.wrapping_sub(b.finished));
            report.wins[0] += u64::from(a.wins0.wrapping_sub(b.wins0));
            report.wins[1] += u64::from(a.wins1.wrapping_sub(b.wins1));
            report.draws += u64::from(a.draws.wrapping_sub(b.draws));
            report.total_length += u64::from(a.finished_moves.wrapping_sub(b.finished_moves));
        }
        self.counters = after;
        if report.draws > 0 {
            report.drawn_final_states = self.new_draws()?;
        }
        Ok(report)
    }

    fn replay_len(&self) -> u64 {
        self.replay.read_counts().map_or(0, |(count, _)| count)
    }

    fn train(&mut self, steps: u32) -> Result<LossReport, TrainError> {
        if self.replay_len() == 0 {
            return Err(TrainError::Config(
                "the replay buffer is empty: play some games before training".into(),
            ));
        }
        self.sampler.clear_sums();
        let training = gpu_program(&self.step.program);
        let mut remaining = steps;
        while remaining > 0 {
            let now = remaining.min(STEPS_PER_SUBMIT);
            self.submit(|encoder| {
                for _ in 0..now {
                    {
                        let mut pass =
                            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                        self.sampler.record_sample(&mut pass);
                    }
                    training.record(encoder);
                    let mut pass =
                        encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                    self.sampler.record_accumulate(&mut pass);
                }
            });
            remaining -= now;
        }
        let sums = self.sampler.read_sums()?;
        let count = sums[4].max(1.0);
        Ok(LossReport {
            steps,
            loss: sums[0] / count,
            policy_loss: sums[1] / count,
            value_loss: sums[2] / count,
            policy_entropy: sums[3] / count,
        })
    }

    fn publish(&mut self) -> Result<(), TrainError> {
        let training = gpu_program(&self.step.program);
        let inference = self.search.network();
        let mut copies = Vec::new();
        let graph = &self.step.graph;
        for name in &self.step.parameters {
            let bytes = graph
                .find(name)
                .map(|id| graph.tensor(id).shape.num_elements() as u64 * 4)
                .unwrap_or(0);
            copies.push((training.buffer(name)?, inference.buffer(name)?, bytes));
        }
        self.submit(|encoder| {
            for (from, to, bytes) in copies {
                encoder.copy_buffer_to_buffer(from, 0, to, 0, bytes);
            }
        });
        Ok(())
    }

    fn training_step(&self) -> &TrainingStep {
        &self.step
    }

    fn training_step_mut(&mut self) -> &mut TrainingStep {
        &mut self.step
    }

    fn compute(&self) -> &Compute {
        &self.compute
    }
}
