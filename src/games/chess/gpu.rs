//! The WGSL chess rules over a batch of games: the buffers, the pipelines and their
//! dispatch. [`ChessBatch`] can submit its own work or record its dispatches into a
//! caller's compute pass or encoder.
//!
//! The WGSL is a library of functions over one position (`shaders/games/chess/*.wgsl`,
//! concatenated by [`wgsl_library`], for kernels of later layers to build on) plus the
//! entry points of `batch.wgsl`. One invocation handles one game. Bitboards are
//! `vec2<u32>` (WGSL has no 64-bit integers); see docs/CHESS.md for the layout.

use std::sync::Arc;

use wgpu::util::DeviceExt;

use super::game::{ChessGame, PAST_POSITIONS, PastPosition};
use super::position::Position;
use super::zobrist::lowbias32;
use crate::gpu::{Gpu, GpuError};

/// History ring slots per game: the key of the position at ply `p` lives in slot
/// `p % HISTORY_SLOTS` (a repetition can only reach 100 plies back).
pub const HISTORY_SLOTS: usize = 128;
/// `u32` words of one game's legal mask (4672 bits).
pub const MASK_WORDS: usize = 146;
/// An action that leaves its game alone in [`ChessKernel::ApplyActions`].
pub const NO_ACTION: u32 = u32::MAX;
/// Outcome written by [`ChessKernel::ApplyActions`] for an illegal action or a finished
/// game (the game is left unchanged).
pub const REJECTED: u32 = 255;
/// Counters per game of the random playout: plies played, then games ended per outcome
/// code 1–6 (index = code), then one unused.
pub const PLAYOUT_COUNTERS: usize = 8;

/// Most games per batch that `wgzero chess perft --gpu` uses (frontier positions per
/// dispatch); see [`ChessBatch::most_games`].
pub const GPU_PERFT_BATCH: usize = 1 << 16;

const WORKGROUP_SIZE: u32 = 64;

const LIBRARY_PARTS: [&str; 8] = [
    include_str!("../../../shaders/games/chess/bitboard.wgsl"),
    include_str!("../../../shaders/games/chess/attacks.wgsl"),
    include_str!("../../../shaders/games/chess/zobrist.wgsl"),
    include_str!("../../../shaders/games/chess/position.wgsl"),
    include_str!("../../../shaders/games/chess/movegen.wgsl"),
    include_str!("../../../shaders/games/chess/encoding.wgsl"),
    include_str!("../../../shaders/games/chess/game.wgsl"),
    include_str!("../../../shaders/games/chess/random.wgsl"),
];
const BATCH_KERNELS: &str = include_str!("../../../shaders/games/chess/batch.wgsl");

/// The chess WGSL library: functions over one `ChessPosition` (move generation, apply,
/// outcome, encoding, observation), without bindings or entry points.
pub fn wgsl_library() -> String {
    LIBRARY_PARTS.join("\n")
}

/// The library followed by the batch entry points.
pub fn batch_wgsl() -> String {
    format!("{}\n{BATCH_KERNELS}", wgsl_library())
}

/// One position as the WGSL `ChessPosition` struct (22 `u32` words).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuPosition {
    /// Pawns, knights, bishops, rooks, queens, kings, white, black; each (low, high) word.
    pub boards: [[u32; 2]; 8],
    /// Zobrist key (low, high).
    pub key: [u32; 2],
    /// Bit 0 black to move, bits 1–4 castling rights, bits 8–15 en-passant square (64 for
    /// none), bits 16–31 halfmove clock (saturating).
    pub info: u32,
    pub fullmove: u32,
    /// Plies played in the game.
    pub ply: u32,
    pub padding: u32,
}

fn halves(board: u64) -> [u32; 2] {
    [board as u32, (board >> 32) as u32]
}

impl GpuPosition {
    /// `position`, reached after `ply` plies of its game.
    pub fn new(position: &Position, ply: u32) -> GpuPosition {
        let mut boards = [[0; 2]; 8];
        for (index, board) in position
            .by_kind
            .iter()
            .chain(&position.by_color)
            .enumerate()
        {
            boards[index] = halves(*board);
        }
        let en_passant = position.en_passant.map_or(64, u32::from);
        let info = position.side_to_move.index() as u32
            | u32::from(position.castling) << 1
            | en_passant << 8
            | position.halfmove_clock.min(0xffff) << 16;
        GpuPosition {
            boards,
            key: halves(position.key),
            info,
            fullmove: position.fullmove_number,
            ply,
            padding: 0,
        }
    }

    pub fn of_game(game: &ChessGame) -> GpuPosition {
        GpuPosition::new(game.position(), game.ply())
    }
}

/// An earlier position as the WGSL `ChessPastPosition` struct (16 `u32` words): what the
/// observation's history planes need of it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuPastPosition {
    /// Pawns, knights, bishops, rooks, queens, kings (both colours), then white's pieces;
    /// each (low, high) word. Black's pieces are the kinds' union without white's.
    pub boards: [[u32; 2]; 7],
    /// How often the position had occurred, that time included, when it was played from.
    pub repetitions: u32,
    pub padding: u32,
}

impl GpuPastPosition {
    pub fn new(past: &PastPosition) -> GpuPastPosition {
        let mut boards = [[0; 2]; 7];
        for (board, &bits) in boards
            .iter_mut()
            .zip(past.by_kind.iter().chain(&past.by_color))
        {
            *board = halves(bits);
        }
        GpuPastPosition {
            boards,
            repetitions: past.repetitions,
            padding: 0,
        }
    }

    /// The ring of `game`'s past positions as the WGSL keeps it: the position at ply `q` in
    /// slot `q % PAST_POSITIONS` (slots of positions before the game's start are zeros).
    pub fn ring_of(game: &ChessGame) -> [GpuPastPosition; PAST_POSITIONS] {
        let mut ring = [GpuPastPosition::default(); PAST_POSITIONS];
        let ply = game.ply() as usize;
        for (back, past) in game.past_positions().iter().enumerate() {
            ring[(ply - 1 - back) % PAST_POSITIONS] = GpuPastPosition::new(past);
        }
        ring
    }
}

/// The kernels of `batch.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChessKernel {
    /// outcomes ← outcome of every position.
    RefreshOutcomes,
    /// Plays `actions[g]` in game `g` (legal actions only, else [`REJECTED`]); pushes the
    /// old key into the history ring and the old placement into the past positions, and
    /// refreshes the outcome.
    ApplyActions,
    /// legal_masks ← legal actions (empty for finished games); also refreshes outcomes.
    WriteLegalMasks,
    /// observations ← the 119 × 8 × 8 input planes.
    WriteObservations,
    /// Random playout of `plies_per_invocation` plies per game with restarts.
    RandomPlayout,
    /// perft_counts ← leaves `perft_depth` plies below each position.
    Perft,
}

impl ChessKernel {
    const ALL: [ChessKernel; 6] = [
        ChessKernel::RefreshOutcomes,
        ChessKernel::ApplyActions,
        ChessKernel::WriteLegalMasks,
        ChessKernel::WriteObservations,
        ChessKernel::RandomPlayout,
        ChessKernel::Perft,
    ];

    pub fn entry_point(self) -> &'static str {
        match self {
            ChessKernel::RefreshOutcomes => "refresh_outcomes",
            ChessKernel::ApplyActions => "apply_actions",
            ChessKernel::WriteLegalMasks => "write_legal_masks",
            ChessKernel::WriteObservations => "write_observations",
            ChessKernel::RandomPlayout => "random_playout",
            ChessKernel::Perft => "perft",
        }
    }

    /// The bindings of `batch.wgsl` the entry point uses (its derived layout has exactly
    /// these).
    fn bindings(self) -> &'static [u32] {
        match self {
            ChessKernel::RefreshOutcomes => &[0, 1, 2, 3],
            ChessKernel::ApplyActions => &[0, 1, 2, 3, 4, 10],
            ChessKernel::WriteLegalMasks => &[0, 1, 2, 3, 5],
            ChessKernel::WriteObservations => &[0, 1, 2, 6, 10],
            ChessKernel::RandomPlayout => &[0, 1, 2, 7, 8, 10],
            ChessKernel::Perft => &[0, 1, 9],
        }
    }
}

/// The uniform `ChessParams` of `batch.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    games: u32,
    ply_cap: u32,
    plies_per_invocation: u32,
    perft_depth: u32,
}

/// Bad use of a [`ChessBatch`].
#[derive(Debug, thiserror::Error)]
pub enum ChessBatchError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error("expected {expected} games or actions for this batch, got {got}")]
    WrongCount { expected: usize, got: usize },
    #[error("game slot {slot} is outside the batch of {games} games")]
    NoSuchSlot { slot: usize, games: usize },
    #[error("the GPU perft kernel counts 1 or 2 plies, not {0}")]
    PerftDepth(u32),
    #[error(
        "{games} games need a {bytes}-byte observation buffer, above this device's \
         {limit}-byte storage binding limit; use at most {most} games"
    )]
    TooManyGames {
        games: usize,
        bytes: u64,
        limit: u64,
        most: u64,
    },
}

/// A batch of chess games on the GPU with the buffers every kernel uses.
pub struct ChessBatch {
    gpu: Arc<Gpu>,
    params: Params,
    params_buffer: wgpu::Buffer,
    /// `[games]` [`GpuPosition`].
    positions: wgpu::Buffer,
    /// `[games][HISTORY_SLOTS]` keys as (low, high).
    history: wgpu::Buffer,
    /// `[games]` outcome codes ([`super::Outcome::code`], 0 ongoing, [`REJECTED`]).
    outcomes: wgpu::Buffer,
    /// `[games]` action indices.
    actions: wgpu::Buffer,
    /// `[games][MASK_WORDS]` legal-action bits.
    legal_masks: wgpu::Buffer,
    /// `[games][OBSERVATION_LEN]` f32.
    observations: wgpu::Buffer,
    /// `[games]` generator states of the random playout.
    random_states: wgpu::Buffer,
    /// `[games][PLAYOUT_COUNTERS]`.
    playout_counters: wgpu::Buffer,
    /// `[games]` perft leaf counts.
    perft_counts: wgpu::Buffer,
    /// `[games][PAST_POSITIONS]` [`GpuPastPosition`]: the position at ply `q` in slot
    /// `q % PAST_POSITIONS`.
    past_positions: wgpu::Buffer,
    kernels: Vec<(Arc<wgpu::ComputePipeline>, wgpu::BindGroup)>,
}

impl ChessBatch {
    /// `games` games at the standard starting position, drawn after `ply_cap` plies.
    pub fn new(gpu: &Arc<Gpu>, games: usize, ply_cap: u32) -> Result<ChessBatch, ChessBatchError> {
        let count = games.max(1);
        let bytes = |per_game: usize| (count * per_game) as u64;
        let observation_bytes = (super::encoding::OBSERVATION_LEN * 4) as u64;
        let limit = gpu.limits.max_storage_buffer_binding_size;
        if bytes(observation_bytes as usize) > limit {
            return Err(ChessBatchError::TooManyGames {
                games: count,
                bytes: bytes(observation_bytes as usize),
                limit,
                most: limit / observation_bytes,
            });
        }
        let params = Params {
            games: count as u32,
            ply_cap: ply_cap.max(1),
            plies_per_invocation: 64,
            perft_depth: 2,
        };
        let start = GpuPosition::new(&Position::starting(), 0);
        let params_buffer = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("chess params"),
                contents: bytemuck::bytes_of(&params),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            });
        let word = std::mem::size_of::<u32>();
        let mut batch = ChessBatch {
            params,
            params_buffer,
            positions: gpu.upload("chess positions", &vec![start; count]),
            history: gpu.storage_buffer("chess history", bytes(HISTORY_SLOTS * 2 * word)),
            outcomes: gpu.storage_buffer("chess outcomes", bytes(word)),
            actions: gpu.upload("chess actions", &vec![NO_ACTION; count]),
            legal_masks: gpu.storage_buffer("chess legal masks", bytes(MASK_WORDS * word)),
            observations: gpu.storage_buffer(
                "chess observations",
                bytes(super::encoding::OBSERVATION_LEN * word),
            ),
            random_states: gpu.upload("chess random states", &initial_random_states(0, count)),
            playout_counters: gpu
                .storage_buffer("chess playout counters", bytes(PLAYOUT_COUNTERS * word)),
            perft_counts: gpu.storage_buffer("chess perft counts", bytes(word)),
            past_positions: gpu.storage_buffer(
                "chess past positions",
                bytes(PAST_POSITIONS * std::mem::size_of::<GpuPastPosition>()),
            ),
            kernels: Vec::new(),
            gpu: Arc::clone(gpu),
        };
        let source = batch_wgsl();
        for kernel in ChessKernel::ALL {
            // SAFETY: every kernel returns early for `game >= params.games`, and `games` is
            // the length every buffer was created with; the other indices are bounded by
            // construction (history slots masked to 127, past-position slots taken mod 7,
            // mask words from actions < 4672, observation entries < 7616, move-type tables
            // indexed below 8). Every loop
            // clears a bit or counts up to a fixed bound.
            let pipeline = unsafe {
                gpu.pipeline_unchecked(
                    &format!("chess {}", kernel.entry_point()),
                    &source,
                    kernel.entry_point(),
                )
            }?;
            let bind_group = batch.bind_group(&pipeline, kernel);
            batch.kernels.push((pipeline, bind_group));
        }
        Ok(batch)
    }

    /// The most games a batch can hold on `gpu` (its largest buffer, the observations,
    /// must fit one storage binding).
    pub fn most_games(gpu: &Gpu) -> usize {
        let per_game = (super::encoding::OBSERVATION_LEN * 4) as u64;
        (gpu.limits.max_storage_buffer_binding_size / per_game) as usize
    }

    fn buffer(&self, binding: u32) -> &wgpu::Buffer {
        match binding {
            0 => &self.params_buffer,
            1 => &self.positions,
            2 => &self.history,
            3 => &self.outcomes,
            4 => &self.actions,
            5 => &self.legal_masks,
            6 => &self.observations,
            7 => &self.random_states,
            8 => &self.playout_counters,
            9 => &self.perft_counts,
            _ => &self.past_positions,
        }
    }

    fn bind_group(&self, pipeline: &wgpu::ComputePipeline, kernel: ChessKernel) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = kernel
            .bindings()
            .iter()
            .map(|&binding| wgpu::BindGroupEntry {
                binding,
                resource: self.buffer(binding).as_entire_binding(),
            })
            .collect();
        self.gpu
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(kernel.entry_point()),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
    }

    pub fn games(&self) -> usize {
        self.params.games as usize
    }

    pub fn ply_cap(&self) -> u32 {
        self.params.ply_cap
    }

    fn write_params(&self) {
        self.gpu
            .queue
            .write_buffer(&self.params_buffer, 0, bytemuck::bytes_of(&self.params));
    }

    /// Plies each game advances per [`ChessKernel::RandomPlayout`] dispatch.
    pub fn set_playout_plies(&mut self, plies: u32) {
        self.params.plies_per_invocation = plies;
        self.write_params();
    }

    /// Plies the [`ChessKernel::Perft`] kernel counts below each position (1 or 2).
    pub fn set_perft_depth(&mut self, depth: u32) -> Result<(), ChessBatchError> {
        if !(1..=2).contains(&depth) {
            return Err(ChessBatchError::PerftDepth(depth));
        }
        self.params.perft_depth = depth;
        self.write_params();
        Ok(())
    }

    /// Seeds the random playout (see [`initial_random_states`]) and zeroes its counters.
    pub fn seed_playout(&self, seed: u32) {
        let states = initial_random_states(seed, self.games());
        let queue = &self.gpu.queue;
        queue.write_buffer(&self.random_states, 0, bytemuck::cast_slice(&states));
        let zeros = vec![0u32; self.games() * PLAYOUT_COUNTERS];
        queue.write_buffer(&self.playout_counters, 0, bytemuck::cast_slice(&zeros));
    }

    /// Puts `game` (position, history, past positions, and its outcome from the Rust rules)
    /// in `slot`.
    pub fn set_game(&self, slot: usize, game: &ChessGame) -> Result<(), ChessBatchError> {
        if slot >= self.games() {
            return Err(ChessBatchError::NoSuchSlot {
                slot,
                games: self.games(),
            });
        }
        let queue = &self.gpu.queue;
        let position = GpuPosition::of_game(game);
        let position_bytes = std::mem::size_of::<GpuPosition>();
        queue.write_buffer(
            &self.positions,
            (slot * position_bytes) as u64,
            bytemuck::bytes_of(&position),
        );
        let mut ring = [[0u32; 2]; HISTORY_SLOTS];
        let history = game.history();
        let kept = history.len().saturating_sub(HISTORY_SLOTS);
        for (ply, &key) in history.iter().enumerate().skip(kept) {
            ring[ply % HISTORY_SLOTS] = halves(key);
        }
        queue.write_buffer(
            &self.history,
            (slot * HISTORY_SLOTS * 8) as u64,
            bytemuck::cast_slice(&ring),
        );
        queue.write_buffer(
            &self.past_positions,
            (slot * std::mem::size_of::<[GpuPastPosition; PAST_POSITIONS]>()) as u64,
            bytemuck::cast_slice(&GpuPastPosition::ring_of(game)),
        );
        let outcome = game
            .outcome_with_ply_cap(self.params.ply_cap)
            .map_or(0, |o| o.code());
        queue.write_buffer(
            &self.outcomes,
            (slot * 4) as u64,
            bytemuck::bytes_of(&outcome),
        );
        Ok(())
    }

    /// Puts one game per slot (`games.len()` must equal the batch size).
    pub fn set_games(&self, games: &[ChessGame]) -> Result<(), ChessBatchError> {
        self.check_count(games.len())?;
        for (slot, game) in games.iter().enumerate() {
            self.set_game(slot, game)?;
        }
        Ok(())
    }

    /// Writes bare positions (no history, outcomes not refreshed) into slots 0, 1, …; for
    /// perft, which needs neither.
    pub fn set_positions(&self, positions: &[GpuPosition]) -> Result<(), ChessBatchError> {
        if positions.len() > self.games() {
            return Err(ChessBatchError::WrongCount {
                expected: self.games(),
                got: positions.len(),
            });
        }
        self.gpu
            .queue
            .write_buffer(&self.positions, 0, bytemuck::cast_slice(positions));
        Ok(())
    }

    /// The actions [`ChessKernel::ApplyActions`] plays next, one per game ([`NO_ACTION`]
    /// to skip a game).
    pub fn set_actions(&self, actions: &[u32]) -> Result<(), ChessBatchError> {
        self.check_count(actions.len())?;
        self.gpu
            .queue
            .write_buffer(&self.actions, 0, bytemuck::cast_slice(actions));
        Ok(())
    }

    fn check_count(&self, got: usize) -> Result<(), ChessBatchError> {
        if got != self.games() {
            return Err(ChessBatchError::WrongCount {
                expected: self.games(),
                got,
            });
        }
        Ok(())
    }

    /// Records one dispatch of `kernel` over all games into the caller's pass.
    pub fn record(&self, kernel: ChessKernel, pass: &mut wgpu::ComputePass<'_>) {
        let (pipeline, bind_group) = &self.kernels[kernel as usize];
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(self.params.games.div_ceil(WORKGROUP_SIZE), 1, 1);
    }

    /// Records `kernels` in order, each in one compute pass of the caller's encoder.
    pub fn encode(&self, kernels: &[ChessKernel], encoder: &mut wgpu::CommandEncoder) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("chess batch"),
            timestamp_writes: None,
        });
        for &kernel in kernels {
            self.record(kernel, &mut pass);
        }
    }

    /// Records `kernels` in order and submits them (does not wait).
    pub fn submit(&self, kernels: &[ChessKernel]) {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("chess batch"),
            });
        self.encode(kernels, &mut encoder);
        self.gpu.queue.submit([encoder.finish()]);
    }

    pub fn read_positions(&self) -> Result<Vec<GpuPosition>, GpuError> {
        self.gpu.read(&self.positions, self.games())
    }

    pub fn read_outcomes(&self) -> Result<Vec<u32>, GpuError> {
        self.gpu.read(&self.outcomes, self.games())
    }

    /// `[games][MASK_WORDS]` legal-action bits, as written by [`ChessKernel::WriteLegalMasks`].
    pub fn read_legal_masks(&self) -> Result<Vec<u32>, GpuError> {
        self.gpu.read(&self.legal_masks, self.games() * MASK_WORDS)
    }

    pub fn read_observations(&self) -> Result<Vec<f32>, GpuError> {
        self.gpu.read(
            &self.observations,
            self.games() * super::encoding::OBSERVATION_LEN,
        )
    }

    /// `[games][HISTORY_SLOTS]` keys.
    pub fn read_history(&self) -> Result<Vec<u64>, GpuError> {
        let words: Vec<[u32; 2]> = self.gpu.read(&self.history, self.games() * HISTORY_SLOTS)?;
        Ok(words
            .iter()
            .map(|[low, high]| u64::from(*low) | u64::from(*high) << 32)
            .collect())
    }

    /// `[games][PAST_POSITIONS]` past positions (the one at ply `q` in slot
    /// `q % PAST_POSITIONS`).
    pub fn read_past_positions(&self) -> Result<Vec<GpuPastPosition>, GpuError> {
        self.gpu
            .read(&self.past_positions, self.games() * PAST_POSITIONS)
    }

    pub fn read_random_states(&self) -> Result<Vec<u32>, GpuError> {
        self.gpu.read(&self.random_states, self.games())
    }

    /// `[games][PLAYOUT_COUNTERS]`.
    pub fn read_playout_counters(&self) -> Result<Vec<u32>, GpuError> {
        self.gpu
            .read(&self.playout_counters, self.games() * PLAYOUT_COUNTERS)
    }

    pub fn read_perft_counts(&self, count: usize) -> Result<Vec<u32>, GpuError> {
        self.gpu.read(&self.perft_counts, count.min(self.games()))
    }

    pub fn gpu(&self) -> &Arc<Gpu> {
        &self.gpu
    }
}

/// Generator state of game `g` for playout seed `seed`: `lowbias32(seed ^ (g × 0x9E3779B9))`.
pub fn initial_random_states(seed: u32, games: usize) -> Vec<u32> {
    (0..games as u32)
        .map(|game| lowbias32(seed ^ game.wrapping_mul(0x9E37_79B9)))
        .collect()
}
