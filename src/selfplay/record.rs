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
//!
//! That dense form is what the host stores and what a training batch holds. GPU self-play
//! and the GPU replay ring store a *compact* record instead ([`CompactLayout`], u32 words,
//! floats as their bits):
//!
//! ```text
//! [search state (state_words), legal count, legal actions (max_legal),
//!  policy target of each listed action (max_legal), search value, surprise, copies, mover]
//! ```
//!
//! The state is the position's words as the GPU search stores them, from which the game's
//! WGSL adapter (`game_write_observation`) writes the observation; the listed actions are
//! the legal mask and the policy target is zero elsewhere. The GPU sampler
//! (`shaders/selfplay/decode.wgsl`) expands a compact record into the dense form above, so
//! both backends train on the same batches. For chess (321 state words, 218 legal moves at
//! most) a compact record is 762 words, 3,048 bytes, against 67,856 for the dense one.

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
    /// Moves sampled in proportion to visits at the start of a game (AlphaZero).
    pub temperature_moves: u32,
    /// τ of the later moves: sampled in proportion to visits^(1/τ); 0 plays the most
    /// visited move.
    pub late_temperature: f32,
    /// Each game's first r moves, r uniform in `0..=random_opening` (drawn per game), are
    /// uniformly random legal moves instead (still searched and recorded). 0: none.
    pub random_opening: u32,
    /// Record a training sample per move (the game's trajectory).
    pub record: bool,
    /// λ of the policy-surprise weighting of finished games' samples
    /// ([`super::surprise::surprise_weights`]); 0 records each position once.
    pub surprise_weight: f32,
    /// The share of a finished game's positions the replay stores, in expectation (each
    /// position's surprise weight times it, rounded at random); 1 stores them all.
    pub replay_fraction: f32,
    /// Keep the final positions of drawn games (for a game's archive).
    pub log_draws: bool,
    /// Trace every move of the games the first this many game slots play, for recording
    /// whole games ([`super::trace`]). 0: none.
    pub trace_games: u32,
}

/// Where each part of a compact record lies (GPU self-play and the GPU replay ring; see
/// the module's documentation), in u32 words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactLayout {
    /// Words of the search state ([`crate::games::GpuGame::state_words`]).
    pub state_words: usize,
    /// Room for listed actions: the most legal moves of a position.
    pub max_legal: usize,
    /// The dense form's sizes, which the sampler expands to.
    pub dense: RecordLayout,
}

impl CompactLayout {
    /// Words of one record.
    pub fn words(&self) -> usize {
        self.state_words + 1 + 2 * self.max_legal + RECORD_TAIL
    }

    /// What a record's words are, for saved replays ([`crate::run_dir::replay`]): one
    /// restores only into a ring whose description is equal.
    pub fn describe(&self) -> String {
        format!(
            "compact records: {} state words, {} listed actions, {} observation floats, {} \
             actions",
            self.state_words, self.max_legal, self.dense.observation_len, self.dense.actions
        )
    }

    /// Offset of the legal count (the listed actions follow it).
    pub fn legal_count(&self) -> usize {
        self.state_words
    }

    /// Offset of the listed legal actions.
    pub fn actions(&self) -> usize {
        self.state_words + 1
    }

    /// Offset of the listed actions' policy targets (f32 bits).
    pub fn targets(&self) -> usize {
        self.state_words + 1 + self.max_legal
    }

    /// Offset of the tail (f32 bits): search value, surprise, copies, mover (value target).
    pub fn tail(&self) -> usize {
        self.state_words + 1 + 2 * self.max_legal
    }

    /// The dense record of a compact one, given the observation its state gives (the
    /// sparse policy expanded, the tail as it is): the host twin of `decode_record` in
    /// `shaders/selfplay/decode.wgsl`.
    pub fn expand(&self, record: &[u32], observation: &[f32]) -> Vec<f32> {
        let dense = self.dense;
        let mut out = vec![0.0; dense.floats()];
        out[..dense.observation_len].copy_from_slice(observation);
        let count = (record[self.legal_count()] as usize).min(self.max_legal);
        for i in 0..count {
            let action = record[self.actions() + i] as usize;
            out[dense.policy() + action] = f32::from_bits(record[self.targets() + i]);
            out[dense.mask() + action] = 1.0;
        }
        for k in 0..RECORD_TAIL {
            out[dense.tail() + k] = f32::from_bits(record[self.tail() + k]);
        }
        out
    }
}
