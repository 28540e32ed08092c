//! Games. Each exists twice: Rust rules (the reference, used by tests, the CPU fallback,
//! the UI and the solvers) and WGSL rules over a batch of states in a storage buffer
//! (`shaders/games/<game>/`). Tests play many random games on both and compare every state,
//! legal mask and outcome.
//!
//! The training loop sees a game through one family of traits, defined here and written
//! once per game in `<game>/adapter.rs`:
//! - [`GameState`]: one position (rules, observation);
//! - [`GameInfo`]: what the loop needs to know without touching a position (sizes, the
//!   networks that fit, settings that suit it), object-safe so a [`GameSpec`] can answer;
//! - [`Game`]: the typed game, with optional capabilities: [`GpuGame`] (its rules inside
//!   the GPU search), [`Symmetries`] (augmentation), [`ExactSolver`] (accuracy against
//!   perfect play), [`FinalStateArchive`] (keeping notable finished games, such as Ramsey
//!   counterexamples).
//!
//! [`GameSpec`] is the serialisable choice of a game (run configurations, checkpoints); its
//! [`GameSpec::visit`] hands the typed game to generic code, so nothing downstream of this
//! module names a concrete game.

pub mod chess;
pub mod clique;
mod spec;

use std::path::Path;

pub use chess::adapter::ChessConfig;
pub use spec::{GameSpec, GameVisitor, PlayDefaults};

use crate::nn::Network;
use crate::nn::spec::NetworkSpec;

/// What the tree search and the trainer need from one position of any game.
///
/// Values are from the view of the player to move: 1 a win, 0 a draw, −1 a loss.
pub trait GameState: Clone + Send + Sync {
    /// Size of the action space (every action index is below this).
    fn num_actions(&self) -> usize;
    /// The player to move, 0 or 1.
    fn to_move(&self) -> u8;
    /// Moves played since the game's start.
    fn moves_played(&self) -> u32;
    /// Writes the legality of every action into `mask` (`len == num_actions()`).
    fn legal_mask(&self, mask: &mut [bool]);
    /// The legal actions in increasing order.
    fn legal_actions(&self) -> Vec<usize> {
        let mut mask = vec![false; self.num_actions()];
        self.legal_mask(&mut mask);
        (0..mask.len()).filter(|&action| mask[action]).collect()
    }
    /// Plays `action`; an illegal action or a finished game is an error.
    fn apply(&mut self, action: usize) -> Result<(), GameError>;
    /// `Some(value)` for the player to move once the game is over.
    fn terminal_value(&self) -> Option<f32>;
    /// Length of the network input written by [`GameState::write_observation`].
    fn observation_len(&self) -> usize;
    /// Writes the network input, seen from the player to move.
    fn write_observation(&self, out: &mut [f32]);
}

/// What the training loop knows of a game without touching a position: its sizes, the
/// networks that fit it and the settings that suit it. Object-safe, so that
/// [`GameSpec::info`] can answer for any game.
pub trait GameInfo {
    /// A short name for run directories and logs, such as `clique-n6-k3-symmetric`.
    fn label(&self) -> String;
    /// Size of the action space.
    fn num_actions(&self) -> usize;
    /// Floats of one observation.
    fn observation_len(&self) -> usize;
    /// An upper bound on the moves of one game.
    fn max_game_length(&self) -> u32;
    /// The network `spec` describes, built for this game, or why it does not fit.
    fn network(&self, spec: &NetworkSpec) -> Result<Box<dyn Network>, GameError>;
    /// What decides the meaning of the weights of `spec` on this game: checkpoint
    /// compatibility compares it field by field.
    fn network_descriptor(&self, spec: &NetworkSpec) -> serde_json::Value;
    /// Settings a run of this game starts from.
    fn play_defaults(&self) -> PlayDefaults;
    /// Whether the GPU search can play it ([`Game::gpu`]); without it training runs the
    /// CPU reference search.
    fn runs_on_gpu_search(&self) -> bool;
}

/// A game the generic loop can play, search, train on and evaluate.
pub trait Game: GameInfo + Clone + Send + Sync + 'static {
    type State: GameState + 'static;

    /// The position every game starts from.
    fn initial_state(&self) -> Self::State;

    /// Its rules inside the GPU search, if written.
    fn gpu(&self) -> Option<&dyn GpuGame> {
        None
    }

    /// A position from its words in the GPU layout ([`GpuGame::state_words`]), checked.
    fn state_from_words(&self, words: &[u32]) -> Result<Self::State, GameError> {
        let _ = words;
        Err(GameError::InvalidConfig(format!(
            "{} has no GPU state layout",
            self.label()
        )))
    }

    /// Symmetries that keep every rule, for data augmentation.
    fn symmetries(&self) -> Option<&dyn Symmetries> {
        None
    }

    /// An exact solver, where one is practical on this board (optimal-move accuracy).
    fn solver(&self) -> Result<Option<Box<dyn ExactSolver<Self::State>>>, GameError> {
        Ok(None)
    }

    /// Opens the archive of notable finished games in `run_dir`, where the game keeps one
    /// (drawn avoid games of the clique game: Ramsey counterexamples).
    fn open_archive(
        &self,
        run_dir: &Path,
    ) -> Result<Option<Box<dyn FinalStateArchive<Self::State>>>, GameError> {
        let _ = run_dir;
        Ok(None)
    }
}

/// A game whose rules run inside the GPU search: sizes and WGSL.
pub trait GpuGame {
    /// u32 words of one stored position.
    fn state_words(&self) -> u32;
    fn num_actions(&self) -> u32;
    fn observation_len(&self) -> u32;
    /// An upper bound on the legal moves of any position.
    fn max_legal(&self) -> u32;
    /// An upper bound on the moves of one game.
    fn max_game_length(&self) -> u32;
    /// WGSL defining `GameState`, `game_load`, `game_store`, `game_reset`, `game_apply`,
    /// `game_is_over`, `game_terminal_value`, `game_list_legal` and
    /// `game_write_observation(lane, lanes)` over the `search_*` accessors of the search
    /// shader (`shaders/search/mcts.wgsl`), plus the constant `GAME_MAX_LEGAL`. The
    /// observation is written from the stored state words; lane `lane` of `lanes` writes
    /// its share, neighbouring lanes neighbouring floats (the search runs 64 lanes a game,
    /// replay decoding one).
    fn search_adapter(&self) -> String;
}

/// Symmetries of a game's positions that keep every rule: a training sample seen under a
/// random one is as true as the original. Used by the replay sampler on both backends.
///
/// A sample record is `[observation, policy target, legal mask, …]` (see
/// `selfplay::record`); a symmetry moves the observation, the policy target and the legal
/// mask together and keeps the value target.
pub trait Symmetries: Send + Sync {
    /// WGSL of `fn augment_sample(record: u32, row: u32)` for the sampler
    /// (`shaders/selfplay/sample.wgsl` states the contract: it draws the symmetry with
    /// `next_random()` and writes row `row` of `observations`, `policy_target` and
    /// `legal_mask` from the dense record starting at float `record` of `dense`, which
    /// the sampler expanded from the ring's compact one).
    fn sample_wgsl(&self) -> String;
    /// The host twin of `augment_sample`: draws the symmetry with `next_random` in the
    /// order the WGSL does, and writes `record`'s transformed observation, policy target
    /// and legal mask.
    fn augment(
        &self,
        next_random: &mut dyn FnMut() -> u32,
        record: &[f32],
        observation: &mut [f32],
        policy_target: &mut [f32],
        legal_mask: &mut [f32],
    );
}

/// The exact solution of one position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// 1 win, 0 draw, −1 loss for the player to move, with best play by both.
    pub value: i8,
    /// The legal moves that keep `value`, in increasing order.
    pub optimal_moves: Vec<usize>,
    /// Every legal move with its value for the player to move, in increasing move order.
    pub move_values: Vec<(usize, i8)>,
}

/// Perfect play, for measuring a network's moves against it.
pub trait ExactSolver<S>: Send {
    fn analyse(&mut self, state: &S) -> Result<Analysis, GameError>;
    /// Positions visited so far (table hits included): a deterministic measure of work.
    fn nodes(&self) -> u64;
}

/// What an archive made of one final position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archived {
    /// One line for the user, such as "a 2-colouring of K_17 with no monochromatic K_4".
    pub description: String,
    pub new_up_to_isomorphism: bool,
}

/// Notable finished games, kept durably in a run directory after an independent check.
pub trait FinalStateArchive<S>: Send {
    /// Checks and stores the final positions of drawn games.
    fn record(&mut self, final_states: &[S]) -> Result<Vec<Archived>, GameError>;
    /// (records, distinct up to isomorphism) held so far.
    fn totals(&self) -> (u64, u64);
}

/// Bad input to the rules, each message saying what is allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GameError {
    #[error("action {action} is not legal here (legal actions: {legal})")]
    IllegalAction { action: usize, legal: String },
    #[error("the game is already over")]
    GameOver,
    #[error("{0}")]
    InvalidConfig(String),
    #[error("{0}")]
    InvalidPosition(String),
    #[error("{0}")]
    Archive(String),
}
