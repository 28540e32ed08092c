//! GPU-against-Rust agreement on positions from random games: the WGSL rules must give
//! exactly the Rust rules' legal masks, outcomes, observation planes, successor positions
//! and history rings, and the GPU search's adapter (`search_adapter.wgsl`), carrying each
//! game's search state from move to move as the tree search does, exactly the Rust
//! observation planes (history planes included). Used by the tests (a small count) and by
//! `wgzero chess cross-check` (the full count).
//!
//! Games start from a pool of positions (the perft positions, special cases for en
//! passant, castling and promotion, and endgames that soon end by each rule); moves are
//! uniformly random, except that a third of the time a player undoes its previous move
//! when it can, so threefold repetitions actually happen. Finished games restart from
//! the pool.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::ChessError;
use super::adapter::ChessConfig;
use super::encoding::{NUM_ACTIONS, OBSERVATION_LEN, action_of};
use super::game::{ChessGame, DEFAULT_PLY_CAP};
use super::gpu::{
    ChessBatch, ChessBatchError, ChessKernel, GpuPosition, HISTORY_SLOTS, MASK_WORDS, NO_ACTION,
};
use super::notation::uci;
use super::perft::REFERENCE_POSITIONS;
use super::playout::random_word;
use super::position::{Move, Position};
use super::search::{SEARCH_STATE_WORDS, search_words};
use crate::games::{GameError, GameState, GpuGame};
use crate::gpu::{Gpu, GpuError};

const SEARCH_PROBE: &str = include_str!("../../../shaders/games/chess/search_probe.wgsl");

/// Start positions besides the perft positions: en-passant pins, castling that gives
/// check, promotions, a 50-move rule about to strike, mating material against a bare
/// king, a dead position at once, and bishops of one colour.
const EXTRA_STARTS: [&str; 9] = [
    "3k4/3p4/8/K1P4r/8/8/8/8 b - - 0 1",
    "8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1",
    "5k2/8/8/8/8/8/8/4K2R w K - 0 1",
    "2K2r2/4P3/8/8/8/8/8/3k4 w - - 0 1",
    "7k/8/8/8/8/8/6r1/R6K w - - 93 120",
    "k7/8/1Q6/8/8/8/8/7K w - - 0 1",
    "8/8/8/3k4/8/8/3n4/4K3 w - - 0 1",
    "8/8/3b4/8/2k1P3/4B3/8/4K3 w - - 0 1",
    "r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1",
];

/// What to compare and how much.
#[derive(Clone, Debug)]
pub struct CrossCheckConfig {
    /// Stop once at least this many positions have been compared.
    pub positions: u64,
    /// Games in flight (the GPU batch size).
    pub games: usize,
    pub ply_cap: u32,
    pub seed: u32,
    /// Also compare the 7616 observation values of every position, from the batch kernel
    /// and from the search adapter.
    pub compare_observations: bool,
}

impl Default for CrossCheckConfig {
    fn default() -> Self {
        CrossCheckConfig {
            positions: 100_000,
            games: 256,
            ply_cap: DEFAULT_PLY_CAP,
            seed: 1,
            compare_observations: true,
        }
    }
}

/// What was compared (all of it equal, or [`cross_check`] returns an error).
#[derive(Clone, Debug, Default, Serialize)]
pub struct CrossCheckReport {
    /// Positions whose legal mask, outcome (and observation) were compared.
    pub positions_compared: u64,
    /// Moves applied on both sides whose successor position, outcome and history matched.
    pub moves_compared: u64,
    /// Legal actions over all compared positions.
    pub legal_actions: u64,
    /// Compared positions per outcome code (0 ongoing, 1 checkmate … 6 ply cap).
    pub outcomes: [u64; 7],
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CrossCheckError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Batch(#[from] ChessBatchError),
    #[error(transparent)]
    Chess(#[from] ChessError),
    #[error(transparent)]
    Game(#[from] GameError),
    #[error("the GPU and the Rust rules disagree: {0}")]
    Mismatch(String),
}

/// The GPU search's chess adapter over the cross-check's games (`search_probe.wgsl`): one
/// search state per game, advanced by the adapter's own `game_apply`, and its observation.
struct SearchProbe {
    gpu: Arc<Gpu>,
    games: usize,
    /// `[games][SEARCH_STATE_WORDS]`.
    states: wgpu::Buffer,
    /// `[games]` the action each game plays before its observation ([`NO_ACTION`]: none).
    actions: wgpu::Buffer,
    /// `[games][OBSERVATION_LEN]`.
    observations: wgpu::Buffer,
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    /// The observations, a workgroup of 64 lanes per game as the search writes them.
    observe: Arc<wgpu::ComputePipeline>,
    observe_group: wgpu::BindGroup,
}

impl SearchProbe {
    fn new(gpu: &Arc<Gpu>, games: usize, ply_cap: u32) -> Result<SearchProbe, CrossCheckError> {
        let adapter = ChessConfig { ply_cap }.search_adapter();
        let source = format!("const PROBE_GAMES: u32 = {games}u;\n{adapter}\n{SEARCH_PROBE}");
        let pipeline = gpu.pipeline("chess search probe", &source, "probe")?;
        let observe = gpu.pipeline("chess search probe observe", &source, "observe")?;
        let word = std::mem::size_of::<u32>() as u64;
        let count = games as u64;
        let states = gpu.storage_buffer(
            "chess search probe states",
            count * SEARCH_STATE_WORDS as u64 * word,
        );
        let actions = gpu.upload("chess search probe actions", &vec![NO_ACTION; games]);
        let observations = gpu.storage_buffer(
            "chess search probe observations",
            count * OBSERVATION_LEN as u64 * word,
        );
        let all = [&states, &actions, &observations];
        let bind_group = gpu.bind_used(&pipeline, &source, "probe", &all)?;
        let observe_group = gpu.bind_used(&observe, &source, "observe", &all)?;
        Ok(SearchProbe {
            gpu: Arc::clone(gpu),
            games,
            states,
            actions,
            observations,
            pipeline,
            bind_group,
            observe,
            observe_group,
        })
    }

    /// Makes `game` the search state of `slot` (as a search root: [`search_words`]).
    fn set_game(
        &self,
        slot: usize,
        game: &ChessGame,
        config: &ChessConfig,
    ) -> Result<(), CrossCheckError> {
        let words = search_words(config, game)?;
        let offset = (slot * SEARCH_STATE_WORDS * std::mem::size_of::<u32>()) as u64;
        self.gpu
            .queue
            .write_buffer(&self.states, offset, bytemuck::cast_slice(&words));
        Ok(())
    }

    /// Plays `actions` (one per game, [`NO_ACTION`] for none) on the search states and
    /// reads back every game's observation.
    fn observe_after(&self, actions: &[u32]) -> Result<Vec<f32>, GpuError> {
        let queue = &self.gpu.queue;
        queue.write_buffer(&self.actions, 0, bytemuck::cast_slice(actions));
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("chess search probe"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("chess search probe"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.dispatch_workgroups((self.games as u32).div_ceil(64), 1, 1);
            pass.set_pipeline(&self.observe);
            pass.set_bind_group(0, &self.observe_group, &[]);
            pass.dispatch_workgroups(self.games as u32, 1, 1);
        }
        queue.submit([encoder.finish()]);
        self.gpu
            .read(&self.observations, self.games * OBSERVATION_LEN)
    }
}

/// The first entry where two observations differ, bit for bit.
fn first_difference(gpu: &[f32], rust: &[f32]) -> Option<usize> {
    (0..OBSERVATION_LEN).find(|&i| gpu[i].to_bits() != rust[i].to_bits())
}

fn describe(game: &ChessGame) -> String {
    format!(
        "FEN {} after {} plies (last moves: {})",
        game.position().to_fen(),
        game.ply(),
        game.moves()
            .iter()
            .rev()
            .take(6)
            .rev()
            .map(|&m| uci(m))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// A random legal move; a third of the time the mover's previous move undone, if legal.
fn choose(game: &ChessGame, random: &mut u32) -> Option<Move> {
    let moves = game.legal_moves();
    if moves.is_empty() {
        return None;
    }
    let played = game.moves();
    if played.len() >= 2 && random_word(random).is_multiple_of(3) {
        let previous = played[played.len() - 2];
        let undo = Move::new(previous.to, previous.from);
        if previous.promotion.is_none() && moves.contains(&undo) {
            return Some(undo);
        }
    }
    Some(moves.as_slice()[random_word(random) as usize % moves.len()])
}

/// Plays random games on the GPU batch and on the Rust rules side by side and compares
/// everything after every step.
pub fn cross_check(
    gpu: &Arc<Gpu>,
    config: &CrossCheckConfig,
) -> Result<CrossCheckReport, CrossCheckError> {
    let started = Instant::now();
    let starts: Vec<Position> = REFERENCE_POSITIONS
        .iter()
        .map(|(_, fen, _)| *fen)
        .chain(EXTRA_STARTS)
        .map(Position::from_fen)
        .collect::<Result<_, _>>()?;
    let games_in_flight = config.games.max(1);
    let mut random = config.seed;
    let mut games: Vec<ChessGame> = (0..games_in_flight)
        .map(|slot| {
            ChessGame::new(starts[slot % starts.len()].clone()).with_ply_cap(config.ply_cap)
        })
        .collect();
    let batch = ChessBatch::new(gpu, games_in_flight, config.ply_cap)?;
    batch.set_games(&games)?;
    let search_config = ChessConfig {
        ply_cap: config.ply_cap,
    };
    let probe = if config.compare_observations {
        let probe = SearchProbe::new(gpu, games_in_flight, config.ply_cap)?;
        for (slot, game) in games.iter().enumerate() {
            probe.set_game(slot, game, &search_config)?;
        }
        Some(probe)
    } else {
        None
    };
    // The actions the search states still have to play (the batch has played them).
    let mut probe_actions = vec![NO_ACTION; games_in_flight];
    let mut report = CrossCheckReport::default();
    let mut mask = vec![false; NUM_ACTIONS];
    let mut observation = vec![0.0f32; OBSERVATION_LEN];

    while report.positions_compared < config.positions {
        let mut kernels = vec![ChessKernel::WriteLegalMasks];
        if config.compare_observations {
            kernels.push(ChessKernel::WriteObservations);
        }
        batch.submit(&kernels);
        let gpu_masks = batch.read_legal_masks()?;
        let gpu_outcomes = batch.read_outcomes()?;
        let gpu_observations = if config.compare_observations {
            batch.read_observations()?
        } else {
            Vec::new()
        };
        let search_observations = match &probe {
            Some(probe) => probe.observe_after(&probe_actions)?,
            None => Vec::new(),
        };
        for (slot, game) in games.iter().enumerate() {
            let outcome = game.outcome().map_or(0, |o| o.code());
            if gpu_outcomes[slot] != outcome {
                return Err(CrossCheckError::Mismatch(format!(
                    "outcome {} on the GPU, {outcome} in Rust, game {slot}: {}",
                    gpu_outcomes[slot],
                    describe(game)
                )));
            }
            game.legal_mask(&mut mask);
            let words = &gpu_masks[slot * MASK_WORDS..(slot + 1) * MASK_WORDS];
            if let Some(action) =
                (0..NUM_ACTIONS).find(|&a| ((words[a / 32] >> (a % 32)) & 1 == 1) != mask[a])
            {
                return Err(CrossCheckError::Mismatch(format!(
                    "action {action} is legal on {}, game {slot}: {}",
                    if mask[action] {
                        "Rust only"
                    } else {
                        "the GPU only"
                    },
                    describe(game)
                )));
            }
            if config.compare_observations {
                game.write_observation(&mut observation);
                let rows = slot * OBSERVATION_LEN..(slot + 1) * OBSERVATION_LEN;
                for (source, values) in [
                    ("the GPU batch", &gpu_observations[rows.clone()]),
                    ("the GPU search adapter", &search_observations[rows]),
                ] {
                    if let Some(index) = first_difference(values, &observation) {
                        return Err(CrossCheckError::Mismatch(format!(
                            "observation entry {index} (plane {}) is {} on {source}, {} in \
                             Rust, game {slot}: {}",
                            index / 64,
                            values[index],
                            observation[index],
                            describe(game)
                        )));
                    }
                }
            }
            report.positions_compared += 1;
            report.legal_actions += mask.iter().filter(|&&legal| legal).count() as u64;
            report.outcomes[outcome as usize] += 1;
        }

        let mut actions = vec![NO_ACTION; games_in_flight];
        for (slot, game) in games.iter_mut().enumerate() {
            match choose(game, &mut random).filter(|_| game.outcome().is_none()) {
                Some(chess_move) => {
                    actions[slot] = action_of(chess_move, game.position().side_to_move()) as u32;
                    game.play_unchecked(chess_move);
                }
                None => {
                    let start = &starts[random_word(&mut random) as usize % starts.len()];
                    *game = ChessGame::new(start.clone()).with_ply_cap(config.ply_cap);
                    batch.set_game(slot, game)?;
                    if let Some(probe) = &probe {
                        probe.set_game(slot, game, &search_config)?;
                    }
                }
            }
        }
        probe_actions.clone_from(&actions);
        batch.set_actions(&actions)?;
        batch.submit(&[ChessKernel::ApplyActions]);
        let gpu_positions = batch.read_positions()?;
        let gpu_outcomes = batch.read_outcomes()?;
        let gpu_history = batch.read_history()?;
        for (slot, game) in games.iter().enumerate() {
            if gpu_positions[slot] != GpuPosition::of_game(game) {
                return Err(CrossCheckError::Mismatch(format!(
                    "successor position differs, game {slot}: GPU {:?}, Rust {}",
                    gpu_positions[slot],
                    describe(game)
                )));
            }
            let outcome = game.outcome().map_or(0, |o| o.code());
            if gpu_outcomes[slot] != outcome {
                return Err(CrossCheckError::Mismatch(format!(
                    "outcome after the move {} on the GPU, {outcome} in Rust, game {slot}: {}",
                    gpu_outcomes[slot],
                    describe(game)
                )));
            }
            let history = game.history();
            let ring = &gpu_history[slot * HISTORY_SLOTS..(slot + 1) * HISTORY_SLOTS];
            let known = history.len().min(HISTORY_SLOTS);
            if let Some(ply) = (history.len() - known..history.len())
                .find(|&ply| ring[ply % HISTORY_SLOTS] != history[ply])
            {
                return Err(CrossCheckError::Mismatch(format!(
                    "history key of ply {ply} differs, game {slot}: {}",
                    describe(game)
                )));
            }
            if actions[slot] != NO_ACTION {
                report.moves_compared += 1;
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
