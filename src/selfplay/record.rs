//! The layout of a training sample as self-play records it, the replay ring stores it and
//! the sampler reads it, on both backends:
//!
//! ```text
//! [observation (observation_len), policy target (actions), legal mask (actions),
//!  search value, surprise, copies, mover]
//! ```
//!
//! - *search value*: the search's value for the mover inside the game's random opening
//!   (its value target there), [`NO_SEARCH_VALUE`] elsewhere (the game's outcome is);
//! - *surprise*: KL(policy target ‖ network prior) ([`super::surprise::policy_surprise`]);
//! - *copies*: how many times the replay stores it ([`super::surprise::weight_copies`]);
//! - *mover*: the player to move, 0 or 1. In the replay ring this last float is the value
//!   target from the mover's view instead.

/// Floats after a record's legal mask.
pub const RECORD_TAIL: usize = 4;

/// The search-value slot of a record outside the random opening: the value target is the
/// game's outcome.
pub const NO_SEARCH_VALUE: f32 = 2.0;

/// Where each part of a record lies, for a game's sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLayout {
    pub observation_len: usize,
    pub actions: usize,
}

impl RecordLayout {
    /// Floats of one record.
    pub fn floats(&self) -> usize {
        self.observation_len + 2 * self.actions + RECORD_TAIL
    }

    /// What a record's words are, for saved replays ([`crate::run_dir::replay`]): one
    /// restores only into a ring whose description is equal.
    pub fn describe(&self) -> String {
        format!(
            "dense f32 records: {} observation floats, {} actions (policy target, legal \
             mask), {RECORD_TAIL} tail floats",
            self.observation_len, self.actions
        )
    }

    /// Offset of the policy target.
    pub fn policy(&self) -> usize {
        self.observation_len
    }

    /// Offset of the legal mask.
    pub fn mask(&self) -> usize {
        self.observation_len + self.actions
    }

    /// Offset of the tail: search value, then surprise, copies and mover (value target).
    pub fn tail(&self) -> usize {
        self.observation_len + 2 * self.actions
    }
}

/// Settings of the self-play loop (both backends; the GPU's play kernel bakes them in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaySettings {
    /// Moves sampled in proportion to visits before play turns greedy (AlphaZero).
    pub temperature_moves: u32,
    /// Each game's first r moves, r uniform in `0..=random_opening` (drawn per game), are
    /// uniformly random legal moves instead (still searched and recorded). 0: none.
    pub random_opening: u32,
    /// Record a training sample per move (the game's trajectory).
    pub record: bool,
    /// λ of the policy-surprise weighting of finished games' samples
    /// ([`super::surprise::surprise_weights`]); 0 records each position once.
    pub surprise_weight: f32,
    /// Keep the final positions of drawn games (for a game's archive).
    pub log_draws: bool,
    /// Trace every move of the games the first this many game slots play, for recording
    /// whole games ([`super::trace`]). 0: none.
    pub trace_games: u32,
}
