//! The GPU pipeline: self-play with the batched GPU search, finished games appended to the
//! replay ring on the GPU, training batches sampled (and augmented) on the GPU into the
//! compiled training step. Between the host and the GPU pass only small status reads,
//! brought back without waiting: the per-game counters after each batch of moves (and the
//! draw log where the game archives drawn games, and the traced slots' moves where games
//! are recorded), the loss sums after each batch of training steps, and the trained values
//! for a checkpoint.

use std::collections::VecDeque;
use std::sync::Arc;

use web_time::Instant;

use super::TrainError;
use super::config::{TrainConfig, precision_label};
use super::pipeline::{
    Completed, LossReport, Pipeline, TrainingStep, compile_training_step, play_settings_of,
};
use crate::backend::Compute;
use crate::games::{Archived, FinalStateArchive, Game, GameError};
use crate::gpu::readback::elements;
use crate::gpu::{Gpu, Readback};
use crate::graph::optim::LEARNING_RATE;
use crate::graph::wgsl::GpuProgram;
use crate::graph::{CompileOptions, Graph, Program};
use crate::nn;
use crate::run_dir::checkpoint::{StoredTensor, snapshot_tensors};
use crate::run_dir::replay::{ReplaySnapshot, Ring};
use crate::search::gpu::GpuSearch;
use crate::selfplay::SelfPlayReport;
use crate::selfplay::gpu::{GpuSelfPlay, SelfPlayGame, new_draws};
use crate::selfplay::gpu_replay::{
    GpuReplay, GpuSampler, LOSS_SUMS, ReplaySource, largest_binding_bytes, most_records,
};
use crate::selfplay::trace::{TRACE_RING, TraceCollector, TracedGame};

/// Moves recorded into one submit of self-play.
const MOVES_PER_SUBMIT: u32 = 2;
// Each self-play submit reads the trace buffer back, which holds TRACE_RING moves.
const _: () = assert!(MOVES_PER_SUBMIT <= TRACE_RING);
/// Training steps recorded into one submit.
const STEPS_PER_SUBMIT: u32 = 8;

/// Queued work on its way back.
enum Job {
    /// `moves` moves; the readback holds the per-game records, then the draw log when
    /// draws are logged, then the trace buffer when slots are traced.
    Play { moves: u32, readback: Readback },
    /// Steps `done` of `total` of one training; the readback holds the loss sums.
    Train {
        done: u32,
        total: u32,
        readback: Readback,
    },
    /// Every persistent value of the training step.
    Snapshot { readback: Readback },
    /// The replay ring's header and records, of which the newest `records` are kept.
    Replay { records: usize, readback: Readback },
}

impl Job {
    fn readback(&mut self) -> &mut Readback {
        match self {
            Job::Play { readback, .. }
            | Job::Train { readback, .. }
            | Job::Snapshot { readback }
            | Job::Replay { readback, .. } => readback,
        }
    }
}

pub struct GpuPipeline<G: Game> {
    gpu: Arc<Gpu>,
    compute: Compute,
    game: G,
    config: TrainConfig,
    search: GpuSearch,
    self_play: GpuSelfPlay,
    replay: GpuReplay,
    sampler: GpuSampler,
    /// Its trainable parameters are copied to the search's network when publishing.
    step: TrainingStep,
    archive: Option<Box<dyn FinalStateArchive<G::State>>>,
    /// The per-game records as of the last completed self-play.
    counters: Vec<SelfPlayGame>,
    /// Draws logged as of the last completed self-play.
    draws_seen: u32,
    /// Assembles the traced slots' games, where games are recorded.
    traces: Option<TraceCollector>,
    queue: VecDeque<Job>,
    /// Why the replay ring holds fewer positions than configured, if it does.
    replay_note: Option<String>,
    /// Positions a resumed run's saved replay put into the ring.
    restored: u64,
}

fn gpu_program(program: &Program) -> &GpuProgram {
    match program {
        Program::Gpu(program) => program,
        Program::Cpu(_) => unreachable!("the GPU pipeline compiles for the GPU"),
    }
}

impl<G: Game> GpuPipeline<G> {
    /// Builds the search, self-play, replay ring, sampler and training step of `config`
    /// on `gpu` for `game`, which must have a GPU search adapter. Drawn games go to
    /// `archive`.
    pub fn new(
        game: G,
        config: &TrainConfig,
        gpu: &Arc<Gpu>,
        archive: Option<Box<dyn FinalStateArchive<G::State>>>,
    ) -> Result<Self, TrainError> {
        let rules = game.gpu().ok_or_else(|| {
            GameError::InvalidConfig(format!(
                "{} has no GPU search adapter; train it on the host pipeline",
                game.label()
            ))
        })?;
        let compute = Compute::Gpu(Arc::clone(gpu));
        let network = game.network(&config.network)?;
        let precision = config.precision.resolve(&compute)?;
        let options = CompileOptions {
            fuse: true,
            seed: config.seed,
            precision,
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
            rules,
            inference,
            config.search,
            config.games_in_flight,
            config.seed,
        )?;
        let settings = play_settings_of(config, archive.is_some());
        let self_play = GpuSelfPlay::new(gpu, &search, rules, settings)?;
        self_play.reset();
        // A game with large records may not fit its default capacity into one binding (a
        // compact chess record is 3.0 KB: 700,000 fit in 2 GiB): the ring then holds what
        // fits, and the log says so.
        let most = most_records(gpu, self_play.compact_layout());
        let replay_capacity = config.replay_capacity.min(most);
        let replay_note = (replay_capacity < config.replay_capacity).then(|| {
            format!(
                "; replay capacity lowered from {} to {replay_capacity} positions, the most \
                 this adapter's {}-byte buffer limit holds",
                config.replay_capacity,
                largest_binding_bytes(gpu)
            )
        });
        let replay = GpuReplay::new(gpu, &ReplaySource::of(&self_play), replay_capacity)?;
        let sampler = GpuSampler::new(
            gpu,
            &replay,
            rules,
            gpu_program(&step.program),
            config.batch_size,
            config.augment.then(|| game.symmetries()).flatten(),
            config.seed ^ 0x5a4d_u64,
        )?;
        let counters = vec![
            SelfPlayGame {
                last_action: u32::MAX,
                ..SelfPlayGame::default()
            };
            config.games_in_flight as usize
        ];
        let traces = self_play.trace_collector();
        let mut pipeline = Self {
            gpu: Arc::clone(gpu),
            compute,
            game,
            config: config.clone(),
            traces,
            search,
            self_play,
            replay,
            sampler,
            step,
            archive,
            counters,
            draws_seen: 0,
            queue: VecDeque::new(),
            replay_note,
            restored: 0,
        };
        pipeline.publish()?;
        Ok(pipeline)
    }

    fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Records the copies of every trainable parameter into the search's network.
    fn record_publish(&self, encoder: &mut wgpu::CommandEncoder) -> Result<(), TrainError> {
        Ok(self.search.network().record_copy_from(
            encoder,
            gpu_program(&self.step.program),
            &self.step.parameters,
        )?)
    }

    /// Copies the trained parameters to the search's network (submitted, not waited for).
    fn publish(&mut self) -> Result<(), TrainError> {
        let mut encoder = self.encoder("publish");
        self.record_publish(&mut encoder)?;
        self.gpu.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// Every record of the replay ring in its dense form (`[capacity, record floats]`),
    /// blocking: tests and tools.
    pub fn replay_records(&self) -> Result<Vec<f32>, TrainError> {
        let rules = self.game.gpu().ok_or_else(|| {
            GameError::InvalidConfig(format!("{} has no GPU search adapter", self.game.label()))
        })?;
        Ok(self.replay.read_dense(rules, self.replay.capacity())?)
    }

    /// What a finished play readback says: the report since the last one, what the
    /// archive kept of the new draws, and the traced games that ended.
    fn complete_play(
        &mut self,
        moves: u32,
        parts: &[Vec<u8>],
    ) -> Result<(SelfPlayReport, Vec<Archived>, Vec<TracedGame>), TrainError> {
        let after: Vec<SelfPlayGame> = elements(&parts[0]);
        let mut report = SelfPlayReport::between(&self.counters, &after);
        report.evaluations = u64::from(moves)
            * u64::from(self.config.games_in_flight)
            * u64::from(self.config.search.simulations + 1);
        self.counters = after;
        let mut archived = Vec::new();
        if let (Some(archive), Some(log)) = (&mut self.archive, parts.get(1)) {
            let log: Vec<u32> = elements(log);
            let (words, count) =
                new_draws(&log, self.draws_seen, self.self_play.state_words() as usize);
            let states = words
                .into_iter()
                .map(|words| self.game.state_from_words(words))
                .collect::<Result<Vec<_>, _>>()?;
            self.draws_seen = count;
            if !states.is_empty() {
                archived = archive.record(&states)?;
            }
        }
        let trace_part = 1 + usize::from(self.archive.is_some());
        let traced = match (&mut self.traces, parts.get(trace_part)) {
            (Some(collector), Some(words)) => collector.collect(&elements::<u32>(words)),
            _ => Vec::new(),
        };
        Ok((report, archived, traced))
    }
}

impl<G: Game> Pipeline for GpuPipeline<G> {
    fn queue_play(&mut self, moves: u32) -> Result<(), TrainError> {
        let mut remaining = moves;
        while remaining > 0 {
            let now = remaining.min(MOVES_PER_SUBMIT);
            let mut encoder = self.encoder("self-play");
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("self-play"),
                    timestamp_writes: None,
                });
                for _ in 0..now {
                    self.search.record_search(&mut pass);
                    self.self_play.record_play(&mut pass);
                    self.replay.record_commit(&mut pass);
                }
            }
            let mut ranges = vec![self.self_play.games_range()];
            if self.archive.is_some() {
                ranges.push(self.self_play.draw_log_range());
            }
            ranges.extend(self.self_play.trace_range());
            let mut readback = self.gpu.record_readback(&mut encoder, &ranges)?;
            readback.submitted(self.gpu.queue.submit([encoder.finish()]));
            self.queue.push_back(Job::Play {
                moves: now,
                readback,
            });
            remaining -= now;
        }
        Ok(())
    }

    fn queue_train(&mut self, steps: u32) -> Result<(), TrainError> {
        if self.replay_len() == 0 {
            return Err(TrainError::EmptyReplay);
        }
        self.sampler.clear_sums();
        let training = gpu_program(&self.step.program);
        let mut done = 0;
        while done < steps {
            let now = (steps - done).min(STEPS_PER_SUBMIT);
            let mut encoder = self.encoder("training");
            for _ in 0..now {
                {
                    let mut pass =
                        encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                    self.sampler.record_sample(&mut pass);
                }
                training.record(&mut encoder);
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                self.sampler.record_accumulate(&mut pass);
            }
            done += now;
            if done == steps {
                self.record_publish(&mut encoder)?;
            }
            let mut readback = self
                .gpu
                .record_readback(&mut encoder, &[self.sampler.sums_range()])?;
            readback.submitted(self.gpu.queue.submit([encoder.finish()]));
            self.queue.push_back(Job::Train {
                done,
                total: steps,
                readback,
            });
        }
        Ok(())
    }

    fn queue_snapshot(&mut self) -> Result<(), TrainError> {
        let names = self.step.persistent_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut encoder = self.encoder("snapshot");
        let mut readback = gpu_program(&self.step.program).record_read(&mut encoder, &names)?;
        readback.submitted(self.gpu.queue.submit([encoder.finish()]));
        self.queue.push_back(Job::Snapshot { readback });
        Ok(())
    }

    fn queue_replay_read(&mut self, records: usize) -> Result<(), TrainError> {
        let mut encoder = self.encoder("replay read");
        let ranges = [self.replay.header_range(), self.replay.ring_range()];
        let mut readback = self.gpu.record_readback(&mut encoder, &ranges)?;
        readback.submitted(self.gpu.queue.submit([encoder.finish()]));
        self.queue.push_back(Job::Replay { records, readback });
        Ok(())
    }

    fn restore_replay(&mut self, snapshot: &ReplaySnapshot) -> Result<(), TrainError> {
        if !self.queue.is_empty() {
            return Err(TrainError::Config(
                "cannot restore the replay while work is queued".into(),
            ));
        }
        self.replay.restore(&snapshot.words, snapshot.written);
        self.restored = (snapshot.len() as u64).min(self.replay.capacity());
        Ok(())
    }

    fn replay_layout(&self) -> String {
        self.replay.layout().describe()
    }

    fn replay_record_bytes(&self) -> usize {
        self.replay.layout().words() * 4
    }

    fn poll(&mut self, _deadline: Instant) -> Result<Vec<Completed>, TrainError> {
        let mut completed = Vec::new();
        while let Some(job) = self.queue.front_mut() {
            let Some(parts) = job.readback().try_take(&self.gpu)? else {
                break;
            };
            let job = self.queue.pop_front().expect("the front job exists");
            completed.push(match job {
                Job::Play { moves, .. } => {
                    let (report, archived, traced) = self.complete_play(moves, &parts)?;
                    Completed::Played {
                        moves,
                        report,
                        archived,
                        traced,
                    }
                }
                Job::Train { done, total, .. } => {
                    let sums: Vec<f32> = elements(&parts[0]);
                    let sums: [f32; LOSS_SUMS] = sums
                        .try_into()
                        .map_err(|_| TrainError::Config("loss sums".into()))?;
                    let count = sums[4].max(1.0);
                    Completed::Trained {
                        done,
                        total,
                        losses: LossReport {
                            steps: done,
                            loss: sums[0] / count,
                            policy_loss: sums[1] / count,
                            value_loss: sums[2] / count,
                            policy_entropy: sums[3] / count,
                        },
                    }
                }
                Job::Snapshot { .. } => Completed::Snapshot(snapshot_tensors(
                    &self.step.graph,
                    parts.iter().map(|bytes| elements(bytes)).collect(),
                )),
                Job::Replay { records, .. } => {
                    let header: Vec<u32> = elements(&parts[0]);
                    let ring: Vec<u32> = elements(&parts[1]);
                    let ring = Ring {
                        words: &ring,
                        record_words: self.replay.layout().words(),
                        capacity: self.replay.capacity() as usize,
                        head: header[0] as usize,
                        held: header[1] as usize,
                        written: u64::from(header[2]),
                    };
                    Completed::Replay(ReplaySnapshot::newest(
                        &ring,
                        records,
                        self.replay_layout(),
                        0,
                    ))
                }
            });
        }
        Ok(completed)
    }

    fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex> {
        self.queue
            .front()
            .and_then(|job| match job {
                Job::Play { readback, .. }
                | Job::Train { readback, .. }
                | Job::Snapshot { readback }
                | Job::Replay { readback, .. } => readback.submission(),
            })
            .cloned()
    }

    fn replay_len(&self) -> u64 {
        let written: u64 = self.counters.iter().map(|c| u64::from(c.records)).sum();
        (self.restored + written).min(self.replay.capacity())
    }

    fn training_step(&self) -> &TrainingStep {
        &self.step
    }

    fn restore(&mut self, tensors: &[StoredTensor]) -> Result<(), TrainError> {
        if !self.queue.is_empty() {
            return Err(TrainError::Config(
                "cannot restore values while work is queued".into(),
            ));
        }
        self.step.write(tensors)?;
        self.publish()
    }

    fn set_learning_rate(&mut self, rate: f32) -> Result<(), TrainError> {
        Ok(self.step.program.write(LEARNING_RATE, &[rate])?)
    }

    fn compute(&self) -> &Compute {
        &self.compute
    }

    fn description(&self) -> String {
        format!(
            "GPU pipeline: search, self-play, replay and training on {}, convolutions in {}{}",
            self.gpu.info.name,
            precision_label(self.step.precision),
            self.replay_note.as_deref().unwrap_or("")
        )
    }
}
