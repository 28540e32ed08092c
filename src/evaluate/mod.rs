//! Evaluation of a network: how often it plays the game-theoretically right move, and how
//! it fares in matches. The trainer runs it every few iterations, in steps that never wait
//! for the GPU ([`periodic`]); `wgzero eval` and `wgzero play` use the same pieces on
//! checkpoints ([`checkpoint`]).
//!
//! - [`accuracy`]: optimal-move accuracy against a game's exact solver, raw policy and
//!   with search;
//! - [`matches`](mod@matches): matches between networks and the random player;
//! - [`periodic`]: the trainer's evaluation of the network training has reached;
//! - [`checkpoint`]: what a user names as a checkpoint (a run, a file, a bundled
//!   network) and an evaluator holding it.

pub mod accuracy;
pub mod checkpoint;
pub mod matches;
pub mod periodic;

use crate::bundled::BundledError;
use crate::games::GameError;
use crate::graph::GraphError;
use crate::run_dir::RunDirError;
use crate::search::SearchError;

pub use accuracy::{AccuracyPosition, AccuracySet, top_legal_move, without_noise};
pub use matches::{MatchResult, MatchSettings, Player, play_match};
pub use periodic::{Evaluation, EvaluationSettings, Measured, PeriodicEvaluation, Stage};

/// Errors of an evaluation, each naming what to change.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Game(#[from] GameError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error(transparent)]
    Bundled(#[from] BundledError),
}
