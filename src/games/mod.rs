//! Games. Each exists twice: Rust rules (the reference, used by tests, the CPU fallback,
//! the UI and the solvers) and WGSL rules over a batch of states in a storage buffer
//! (`shaders/games/<game>/`). Tests play many random games on both and compare every state,
//! legal mask and outcome.

pub mod chess;
pub mod clique;

/// What the tree search and the trainer need from one position of any game.
///
/// Values are from the view of the player to move: 1 a win, 0 a draw, −1 a loss.
pub trait GameState: Clone + Send + Sync {
    /// Size of the action space (every action index is below this).
    fn num_actions(&self) -> usize;
    /// The player to move, 0 or 1.
    fn to_move(&self) -> u8;
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
}
