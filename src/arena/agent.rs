//! wgzero's agent in the arena: the network `--checkpoint` hands out, loaded and searched
//! exactly as the UCI engine does ([`crate::uci::engine::Network`]: the run's PUCT
//! settings, one tree, leaves evaluated in batches), the most visited move played.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::ArenaError;
use super::player::Player;
use crate::backend::Compute;
use crate::evaluate::checkpoint::CheckpointSource;
use crate::games::chess::encoding::move_of;
use crate::games::chess::{ChessGame, Move};
use crate::search::SearchLimits;
use crate::uci::engine::{MAX_TREE_NODES, Network};

/// A checkpoint's agent and its search budget per move.
#[derive(Clone)]
pub struct AgentSpec {
    /// "wgzero RUN (iteration 12)": the PGN's player name.
    pub label: String,
    source: CheckpointSource,
    compute: Compute,
    iteration: u64,
    elapsed_seconds: f64,
    /// Simulations per move (a cap when `movetime` is given too).
    pub simulations: u32,
    /// Thinking time per move, if limited by time.
    pub movetime: Option<Duration>,
    /// Leaves evaluated per network call.
    pub batch: usize,
}

impl fmt::Debug for AgentSpec {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "AgentSpec({self})")
    }
}

impl AgentSpec {
    /// Loads a chess checkpoint once, to check it (a checkpoint of another game, or one
    /// that does not load, is a settings error).
    pub fn load(
        source: &CheckpointSource,
        compute: &Compute,
        simulations: u32,
        movetime: Option<Duration>,
        batch: usize,
    ) -> Result<Self, ArenaError> {
        if simulations == 0 {
            return Err(ArenaError::Settings(
                "the agent needs at least 1 simulation per move".into(),
            ));
        }
        let network = Network::load(source, compute, batch, "the arena's backend")
            .map_err(|error| ArenaError::Settings(format!("checkpoint {error}")))?;
        Ok(Self {
            label: format!("wgzero {source} (iteration {})", network.iteration()),
            source: source.clone(),
            compute: compute.clone(),
            iteration: network.iteration(),
            elapsed_seconds: network.elapsed_seconds(),
            simulations,
            movetime,
            batch: network.batch(),
        })
    }

    /// The checkpoint's training iteration.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The checkpoint's training time, minutes, over all resumed sessions.
    pub fn training_minutes(&self) -> f64 {
        self.elapsed_seconds / 60.0
    }

    /// The search budget per move: "800 simulations per move, batch 16".
    pub fn budget(&self) -> String {
        let per_move = match self.movetime {
            Some(time) => format!(
                "{} ms per move (at most {} simulations)",
                time.as_millis(),
                self.simulations
            ),
            None => format!("{} simulations per move", self.simulations),
        };
        format!("{per_move}, batch {}", self.batch)
    }

    /// A player with its own copy of the network.
    pub fn build(&self) -> Result<Agent, ArenaError> {
        let network = Network::load(
            &self.source,
            &self.compute,
            self.batch,
            "the arena's backend",
        )
        .map_err(|error| ArenaError::Agent(error.to_string()))?;
        Ok(Agent {
            spec: self.clone(),
            network,
        })
    }
}

impl fmt::Display for AgentSpec {
    /// The agent and its budget: "wgzero RUN (iteration 40), 800 simulations per move, …".
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}, {}", self.label, self.budget())
    }
}

/// A checkpoint's agent at the board.
pub struct Agent {
    spec: AgentSpec,
    network: Network,
}

impl Agent {
    /// The move its search chooses, with the simulations it took.
    pub fn think(&mut self, game: &ChessGame) -> Result<(Move, u64), ArenaError> {
        let started = Instant::now();
        let agent_error = |error: crate::search::SearchError| ArenaError::Agent(error.to_string());
        let mut tree = self.network.tree(game).map_err(agent_error)?;
        let limits = SearchLimits {
            nodes: Some(u64::from(self.spec.simulations)),
            deadline: self.spec.movetime.map(|time| started + time),
            tree_nodes: Some(MAX_TREE_NODES),
        };
        let info = self
            .network
            .search(&mut tree, &limits, &AtomicBool::new(false), &mut |_| {})
            .map_err(agent_error)?;
        let action = tree
            .best_action()
            .ok_or_else(|| ArenaError::Agent("the search found no move".into()))?;
        let chess_move = move_of(action, game.position()).ok_or_else(|| {
            ArenaError::Agent(format!(
                "the search chose action {action}, which is no move"
            ))
        })?;
        Ok((chess_move, info.nodes))
    }
}

impl Player for Agent {
    fn name(&self) -> String {
        self.spec.label.clone()
    }

    fn new_game(&mut self) -> Result<(), ArenaError> {
        Ok(())
    }

    fn choose(&mut self, game: &ChessGame) -> Result<Move, ArenaError> {
        self.think(game).map(|(chess_move, _)| chess_move)
    }
}
