//! Self-play: playing moves from searched roots, recording training samples, weighing
//! them by policy surprise, random openings, the replay ring and batch sampling with
//! augmentation. GPU kernels and their host twins sit side by side:
//!
//! | what | GPU (`shaders/selfplay/`) | host twin |
//! |---|---|---|
//! | play moves, record samples, weigh, log draws | [`gpu::GpuSelfPlay`] (`play.wgsl`) | [`host::HostSelfPlay`] |
//! | policy surprise and copies | `play.wgsl` | [`surprise`] |
//! | append finished games to the ring | [`gpu_replay::GpuReplay`] (`replay.wgsl`) | [`replay::ReplayRing::commit`] |
//! | draw augmented batches | [`gpu_replay::GpuSampler`] (`sample.wgsl`) | [`replay::ReplayRing::sample_batch`] |
//! | expand compact records | `decode.wgsl` (the game's WGSL observation) | [`record::CompactLayout::expand`] |
//!
//! A sample's layout is [`record`]: dense on the host and in training batches, compact
//! (the search state and the legal moves' targets) in GPU self-play and the GPU ring. The first few game slots' games are traced move by
//! move, with the search's priors, visits and value, for the run's game records
//! ([`trace`]). `search/` knows nothing of any of this; the trainer
//! (`train/`) drives it.

pub mod gpu;
pub mod gpu_replay;
pub mod host;
pub mod record;
pub mod replay;
pub mod surprise;
pub mod trace;

use crate::games::GameError;
use crate::gpu::GpuError;
use crate::graph::GraphError;
use crate::search::SearchError;

/// Errors of self-play and replay, each naming what to change.
#[derive(Debug, thiserror::Error)]
pub enum SelfPlayError {
    #[error("{0}")]
    Config(String),
    /// GPU self-play's buffers for these settings exceed what the adapter can bind (the
    /// trainer then plays on the host instead).
    #[error("{0}")]
    DoesNotFit(String),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Game(#[from] GameError),
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// What self-play did over some moves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelfPlayReport {
    /// Moves played (one position each).
    pub positions: u64,
    /// Network evaluations (rows of the batched forward passes, padding excluded on the
    /// host; every game's row on the GPU).
    pub evaluations: u64,
    /// Games finished, and how.
    pub games: u64,
    pub wins: [u64; 2],
    pub draws: u64,
    /// Sum of the finished games' lengths in moves.
    pub total_length: u64,
    /// Replay records the finished games stored (surprise-weighted copies).
    pub records: u64,
}

impl SelfPlayReport {
    pub fn add(&mut self, other: &SelfPlayReport) {
        self.positions += other.positions;
        self.evaluations += other.evaluations;
        self.games += other.games;
        self.wins[0] += other.wins[0];
        self.wins[1] += other.wins[1];
        self.draws += other.draws;
        self.total_length += other.total_length;
        self.records += other.records;
    }

    /// What the GPU's games did between two readings of their records.
    pub fn between(before: &[gpu::SelfPlayGame], after: &[gpu::SelfPlayGame]) -> Self {
        let mut report = Self::default();
        for (a, b) in after.iter().zip(before) {
            report.positions += u64::from(a.positions.wrapping_sub(b.positions));
            report.games += u64::from(a.finished.wrapping_sub(b.finished));
            report.wins[0] += u64::from(a.wins0.wrapping_sub(b.wins0));
            report.wins[1] += u64::from(a.wins1.wrapping_sub(b.wins1));
            report.draws += u64::from(a.draws.wrapping_sub(b.draws));
            report.total_length += u64::from(a.finished_moves.wrapping_sub(b.finished_moves));
            report.records += u64::from(a.records.wrapping_sub(b.records));
        }
        report
    }
}
