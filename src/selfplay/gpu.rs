//! Self-play on the GPU: after each search of a [`GpuSearch`], `play_moves` plays every
//! game's chosen move, records the training sample of the position it left (the game's
//! trajectory), weighs a finished game's samples by policy surprise, logs drawn games'
//! final positions, and starts finished games afresh (`shaders/selfplay/play.wgsl`,
//! appended to the search's shader). Nothing is read back inside a move; the per-game
//! [`SelfPlayGame`] counters are what the host reads, once per batch of moves.

use std::sync::Arc;

use super::SelfPlayError;
use super::record::{CompactLayout, NO_SEARCH_VALUE, PlaySettings, RecordLayout};
use super::trace::{TRACE_HEADER, TRACE_RING, TraceCollector, trace_words_per_move};
use crate::games::GpuGame;
use crate::gpu::{Gpu, ReadRange};
use crate::search::gpu::{GpuSearch, WORKGROUP};

const PLAY_WGSL: &str = include_str!("../../shaders/selfplay/play.wgsl");
/// The [`SelfPlayGame`] struct, shared with the replay kernels.
pub const SELF_PLAY_GAME_WGSL: &str = include_str!("../../shaders/selfplay/self_play_game.wgsl");

/// Drawn games' final positions kept in the draw log's ring.
pub const DRAW_LOG_LEN: u32 = 256;

/// Self-play's record of one game slot, as `SelfPlayGame` in the shader.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SelfPlayGame {
    /// Moves played in the current game.
    pub moves: u32,
    /// The action played last (`u32::MAX` before the first).
    pub last_action: u32,
    /// Moves played and games finished since the start.
    pub positions: u32,
    pub finished: u32,
    pub wins0: u32,
    pub wins1: u32,
    pub draws: u32,
    /// Length of the game that ended at the last move (0 if none).
    pub finished_length: u32,
    /// That game's result for player 0: 1 win, 0 draw, −1 loss.
    pub finished_value0: f32,
    /// Sum of the lengths of all games finished so far.
    pub finished_moves: u32,
    /// Replay records the game that ended at the last move stores.
    pub finished_records: u32,
    /// Replay records stored from this slot since the start.
    pub records: u32,
}

struct Kernel {
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
}

/// The play kernels and self-play's buffers for the games of one [`GpuSearch`].
pub struct GpuSelfPlay {
    gpu: Arc<Gpu>,
    games: u32,
    settings: PlaySettings,
    layout: CompactLayout,
    trajectory_len: u32,
    state_words: u32,
    /// `[games]` [`SelfPlayGame`].
    games_buffer: wgpu::Buffer,
    /// `[games, trajectory_len, compact record words]` (a placeholder without recording).
    trajectory_buffer: wgpu::Buffer,
    /// What self-play logs for the host, in one buffer (`PlayLog` in play.wgsl: the
    /// play kernel binds 8 storage buffers, WebGPU's default limit): the draw log (a
    /// count of drawn games, then a ring of [`DRAW_LOG_LEN`] final positions), then the
    /// traced slots' recent moves (layout in [`super::trace`]).
    log_buffer: wgpu::Buffer,
    /// Slots traced (the first ones) and the most legal moves of a position.
    trace_games: u32,
    max_legal: u32,
    play_moves: Kernel,
    reset_games: Kernel,
}

fn bool_literal(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

impl GpuSelfPlay {
    /// The play kernels for `search`'s games of `game` (the game the search was built
    /// for). Games start empty: [`GpuSelfPlay::reset`] starts them.
    pub fn new(
        gpu: &Arc<Gpu>,
        search: &GpuSearch,
        game: &dyn GpuGame,
        settings: PlaySettings,
    ) -> Result<Self, SelfPlayError> {
        let games = search.games();
        let layout = CompactLayout {
            state_words: game.state_words() as usize,
            max_legal: game.max_legal() as usize,
            dense: RecordLayout {
                observation_len: game.observation_len() as usize,
                actions: game.num_actions() as usize,
            },
        };
        let trajectory_len = game.max_game_length().max(1);
        let state_words = game.state_words();
        let trace_games = settings.trace_games.min(games);
        let max_legal = game.max_legal();
        let trace_words = trace_words_per_move(max_legal);
        let source = format!(
            "{search}
const TEMPERATURE_MOVES: u32 = {temperature_moves}u;
const LATE_POWER: f32 = {late_power:?};
const RANDOM_OPENING: u32 = {random_opening}u;
const SURPRISE_WEIGHT: f32 = {surprise_weight:?};
const REPLAY_FRACTION: f32 = {replay_fraction:?};
const NO_SEARCH_VALUE: f32 = {NO_SEARCH_VALUE:?};
const RECORD: bool = {record};
const LOG_DRAWS: bool = {log_draws};
const TRAJECTORY_LEN: u32 = {trajectory_len}u;
const RECORD_WORDS: u32 = {record_words}u;
const RECORD_LEGAL: u32 = {max_legal}u;
const DRAW_LOG_LEN: u32 = {DRAW_LOG_LEN}u;
const TRACE_GAMES: u32 = {trace_games}u;
const TRACE_RING: u32 = {TRACE_RING}u;
const TRACE_HEADER: u32 = {TRACE_HEADER}u;
const TRACE_WORDS: u32 = {trace_words}u;
{SELF_PLAY_GAME_WGSL}
{PLAY_WGSL}",
            search = search.source(),
            temperature_moves = settings.temperature_moves,
            // 1/τ of the late temperature (0: off), for visits^(1/τ).
            late_power = if settings.late_temperature > 0.0 {
                1.0 / settings.late_temperature
            } else {
                0.0
            },
            random_opening = settings.random_opening,
            surprise_weight = settings.surprise_weight,
            replay_fraction = settings.replay_fraction,
            record = bool_literal(settings.record),
            log_draws = bool_literal(settings.log_draws && settings.record),
            record_words = layout.words(),
        );
        let trajectory_words = if settings.record {
            u64::from(games) * u64::from(trajectory_len) * layout.words() as u64
        } else {
            1
        };
        let limit = super::gpu_replay::largest_binding_bytes(gpu);
        if trajectory_words * 4 > limit {
            return Err(SelfPlayError::DoesNotFit(format!(
                "self-play keeps every sample of a game until it ends: {games} games × \
                 {trajectory_len} moves × {} bytes is {} bytes, over this adapter's \
                 {limit}-byte buffer limit: lower --games or the longest game (--ply-cap for \
                 chess)",
                layout.words() * 4,
                trajectory_words * 4
            )));
        }
        let records: Vec<SelfPlayGame> = (0..games)
            .map(|_| SelfPlayGame {
                last_action: u32::MAX,
                ..SelfPlayGame::default()
            })
            .collect();
        let games_buffer = gpu.upload("self-play games", &records);
        let trajectory_buffer = gpu.storage_buffer("self-play trajectories", trajectory_words * 4);
        let log_words = 1
            + u64::from(DRAW_LOG_LEN) * u64::from(state_words)
            + u64::from(trace_games) * u64::from(TRACE_RING) * u64::from(trace_words);
        let log_buffer = gpu.storage_buffer("self-play log", log_words * 4);
        // Bindings 0..=7 are the search's, 8..=10 self-play's (play.wgsl).
        let mut buffers = search.bindings()?.to_vec();
        buffers.extend([&trajectory_buffer, &games_buffer, &log_buffer]);
        let kernel = |entry: &str| -> Result<Kernel, SelfPlayError> {
            let pipeline = gpu.pipeline(&format!("self-play {entry}"), &source, entry)?;
            let bind_group = gpu.bind_used(&pipeline, &source, entry, &buffers)?;
            Ok(Kernel {
                pipeline,
                bind_group,
            })
        };
        let play_moves = kernel("play_moves")?;
        let reset_games = kernel("reset_games")?;
        gpu.check()?;
        Ok(Self {
            gpu: Arc::clone(gpu),
            games,
            settings,
            layout,
            trajectory_len,
            state_words,
            games_buffer,
            trajectory_buffer,
            log_buffer,
            trace_games,
            max_legal,
            play_moves,
            reset_games,
        })
    }

    fn dispatch(&self, pass: &mut wgpu::ComputePass, kernel: &Kernel) {
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &kernel.bind_group, &[]);
        pass.dispatch_workgroups(self.games.div_ceil(WORKGROUP), 1, 1);
    }

    /// Records the move choice and advance of every game (starting new games as they
    /// end), after a search recorded into the same pass.
    pub fn record_play(&self, pass: &mut wgpu::ComputePass) {
        self.dispatch(pass, &self.play_moves);
    }

    /// Records the start of every game from the game's initial position.
    pub fn record_reset(&self, pass: &mut wgpu::ComputePass) {
        self.dispatch(pass, &self.reset_games);
    }

    /// Starts every game from the game's initial position (one submit, no wait).
    pub fn reset(&self) {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("self-play reset"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            self.record_reset(&mut pass);
        }
        self.gpu.queue.submit([encoder.finish()]);
    }

    pub fn games(&self) -> u32 {
        self.games
    }

    pub fn settings(&self) -> &PlaySettings {
        &self.settings
    }

    /// The dense layout of a recorded sample, as the sampler expands it.
    pub fn record_layout(&self) -> RecordLayout {
        self.layout.dense
    }

    /// The compact layout self-play records and the GPU replay ring stores.
    pub fn compact_layout(&self) -> CompactLayout {
        self.layout
    }

    /// Samples per game's trajectory (the longest game).
    pub fn trajectory_len(&self) -> u32 {
        self.trajectory_len
    }

    pub fn state_words(&self) -> u32 {
        self.state_words
    }

    /// `[games]` [`SelfPlayGame`] records.
    pub fn games_buffer(&self) -> &wgpu::Buffer {
        &self.games_buffer
    }

    /// Recorded samples, `[games, trajectory_len, compact record words]`.
    pub fn trajectory_buffer(&self) -> &wgpu::Buffer {
        &self.trajectory_buffer
    }

    /// The range of the per-game records, for a readback.
    pub fn games_range(&self) -> ReadRange<'_> {
        ReadRange::elements::<SelfPlayGame>(&self.games_buffer, self.games as usize)
    }

    /// The range of the draw log (a count, then [`DRAW_LOG_LEN`] states), for a readback.
    pub fn draw_log_range(&self) -> ReadRange<'_> {
        ReadRange::elements::<u32>(&self.log_buffer, self.trace_offset_words())
    }

    /// Where the traces start in the log buffer, in words (after the draw log).
    fn trace_offset_words(&self) -> usize {
        1 + (DRAW_LOG_LEN * self.state_words) as usize
    }

    /// A collector of the traced slots' games, for the readbacks of [`Self::trace_range`];
    /// `None` when no slot is traced.
    pub fn trace_collector(&self) -> Option<TraceCollector> {
        (self.trace_games > 0).then(|| TraceCollector::new(self.trace_games, self.max_legal))
    }

    /// The range of the trace buffer, for a readback at most [`TRACE_RING`] moves after
    /// the previous one; `None` when no slot is traced.
    pub fn trace_range(&self) -> Option<ReadRange<'_>> {
        self.trace_collector().map(|collector| ReadRange {
            buffer: &self.log_buffer,
            offset: 4 * self.trace_offset_words() as u64,
            bytes: 4 * collector.words() as u64,
        })
    }

    /// The traces' words (blocking read: tools and tests).
    pub fn read_traces(&self) -> Result<Vec<u32>, SelfPlayError> {
        let log: Vec<u32> = self
            .gpu
            .read(&self.log_buffer, self.log_buffer.size() as usize / 4)?;
        Ok(log[self.trace_offset_words()..].to_vec())
    }

    /// The per-game records (blocking read: tools and tests).
    pub fn read_games(&self) -> Result<Vec<SelfPlayGame>, SelfPlayError> {
        Ok(self.gpu.read(&self.games_buffer, self.games as usize)?)
    }

    /// Every recorded sample, compact (blocking read: tools and tests).
    pub fn read_trajectories(&self) -> Result<Vec<u32>, SelfPlayError> {
        let words = self.trajectory_buffer.size() as usize / 4;
        Ok(self.gpu.read(&self.trajectory_buffer, words)?)
    }
}

/// The final positions logged since `seen` draws, from a draw log's words (a count, then
/// the ring), oldest first, each `state_words` long; and the new count.
pub fn new_draws(log: &[u32], seen: u32, state_words: usize) -> (Vec<&[u32]>, u32) {
    let count = log[0];
    let fresh = count.wrapping_sub(seen).min(DRAW_LOG_LEN);
    let ring = &log[1..];
    let states = (count - fresh..count)
        .map(|index| {
            let slot = (index % DRAW_LOG_LEN) as usize;
            &ring[slot * state_words..(slot + 1) * state_words]
        })
        .collect();
    (states, count)
}
