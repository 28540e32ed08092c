//! wgzero's agent in the arena: the network `--checkpoint` hands out, searching each move
//! with the UCI engine's tree search (one tree, leaves evaluated in batches).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::ArenaError;
use super::player::Player;
use crate::backend::Compute;
use crate::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use crate::games::GameSpec;
use crate::games::chess::adapter::ChessConfig;
use crate::games::chess::encoding::move_of;
use crate::games::chess::{ChessGame, Move};
use crate::nn::spec::NetworkSpec;
use crate::run_dir::checkpoint::Checkpoint;
use crate::search::{Evaluator, ProgramEvaluator, SearchLimits, TreeConfig, TreeSearch};

/// A checkpoint's agent and its search budget per move.
#[derive(Clone)]
pub struct AgentSpec {
    /// How the checkpoint was named (the PGN's player name).
    pub label: String,
    checkpoint: Arc<Checkpoint>,
    game: ChessConfig,
    network: NetworkSpec,
    compute: Compute,
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
    /// The checkpoint's training iteration.
    pub fn iteration(&self) -> u64 {
        self.checkpoint.record().iteration
    }

    /// The checkpoint's training time, minutes, over all resumed sessions.
    pub fn training_minutes(&self) -> f64 {
        self.checkpoint.record().elapsed_seconds / 60.0
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

    /// Loads a chess checkpoint; a checkpoint of another game is a settings error.
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
        let (checkpoint, config) = source
            .load(&GameSpec::Chess(ChessConfig::default()))
            .map_err(|error| ArenaError::Settings(format!("checkpoint {source}: {error}")))?;
        let GameSpec::Chess(game) = config.game else {
            return Err(ArenaError::Settings(format!(
                "checkpoint {source} holds a {} network; the arena plays chess",
                config.game.name()
            )));
        };
        let spec = Self {
            label: format!(
                "wgzero {source} (iteration {})",
                checkpoint.record().iteration
            ),
            checkpoint: Arc::new(checkpoint),
            game,
            network: config.network,
            compute: compute.clone(),
            simulations,
            movetime,
            batch: batch.max(1),
        };
        // Fail here, once, rather than in every worker.
        spec.evaluator()?;
        Ok(spec)
    }

    fn evaluator(&self) -> Result<ProgramEvaluator, ArenaError> {
        checkpoint_evaluator(
            &self.checkpoint,
            &self.game,
            &self.network,
            &self.compute,
            self.batch,
        )
        .map_err(|error| ArenaError::Agent(error.to_string()))
    }

    pub fn build(&self) -> Result<Agent, ArenaError> {
        Ok(Agent {
            spec: self.clone(),
            evaluator: self.evaluator()?,
        })
    }
}

impl fmt::Display for AgentSpec {
    /// The agent and its budget: "wgzero RUN (iteration 40), 800 simulations per move".
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}, {}", self.label, self.budget())
    }
}

/// A checkpoint's agent at the board.
pub struct Agent {
    spec: AgentSpec,
    evaluator: ProgramEvaluator,
}

impl Agent {
    /// The move its search chooses, with the simulations it took.
    pub fn think(&mut self, game: &ChessGame) -> Result<(Move, u64), ArenaError> {
        let started = Instant::now();
        let mut search = TreeSearch::new(game.clone(), TreeConfig::default(), self.spec.batch)
            .map_err(|error| ArenaError::Agent(error.to_string()))?;
        let limits = SearchLimits {
            nodes: Some(u64::from(self.spec.simulations)),
            deadline: self.spec.movetime.map(|time| started + time),
            ..SearchLimits::default()
        };
        let stop = AtomicBool::new(false);
        let evaluator: &mut dyn Evaluator = &mut self.evaluator;
        let info = search
            .run(evaluator, &limits, &stop, &mut |_| {})
            .map_err(|error| ArenaError::Agent(error.to_string()))?;
        let action = search
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
