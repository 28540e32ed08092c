//! Training: the [`trainer::Trainer`] that owns the loop for any game, its configuration,
//! and the pipelines that run self-play, replay and learning on a backend.
//!
//! Files, in the order of the loop: `config` (the run's settings and their checks) →
//! `pipeline` (the contract with a backend, and the hand-over from the run's game to
//! typed code) → `gpu_pipeline` / `host_pipeline` (the two backends) → `trainer` (the
//! loop, advanced in slices). Self-play itself is `crate::selfplay`, evaluation
//! `crate::evaluate`, the run directory's files `crate::run_dir`; nothing here names a
//! concrete game.

pub mod config;
pub mod gpu_pipeline;
pub mod host_pipeline;
pub mod pipeline;
pub mod trainer;

pub use config::{ConfigError, TrainConfig};
pub use trainer::{Advance, Trainer, TrainerEvent};

use crate::evaluate::EvaluateError;
use crate::graph::GraphError;
use crate::run_dir::RunDirError;
use crate::selfplay::SelfPlayError;

/// Errors of a training run, each naming what to change.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting out of bounds (the flag to change is in it).
    #[error(transparent)]
    Settings(#[from] ConfigError),
    #[error("{0}")]
    Config(String),
    #[error(
        "the replay buffer is empty: play until at least one game has finished before \
         training"
    )]
    EmptyReplay,
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error(transparent)]
    SelfPlay(#[from] SelfPlayError),
    #[error(transparent)]
    Evaluate(#[from] EvaluateError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error(transparent)]
    Game(#[from] crate::games::GameError),
}
