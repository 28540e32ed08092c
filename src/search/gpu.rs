//! The batched GPU search: every game's tree in GPU buffers (see
//! `shaders/search/mcts.wgsl` for the layout), the network's forward pass recorded
//! between the search kernels, and no host readback inside a move.
//!
//! One move of self-play for all games is: `evaluate_roots` → network → `expand_and_backup`
//! → `prepare_root`, then per simulation `select_leaves` → network → `expand_and_backup`,
//! then `play_moves`. All of it is recorded into one command encoder.

use std::sync::Arc;

use bytemuck::Zeroable;

use super::config::{FirstPlayUrgency, RootPolicy, SearchConfig};
use super::summary::{RootEdge, summarize};
use super::tree_dump::{EdgeDump, NodeDump, TreeDump};
use super::{SearchError, SearchResult};
use crate::gpu::timing::Timestamps;
use crate::gpu::{Gpu, GpuError, used_bindings};
use crate::graph::wgsl::GpuProgram;
use crate::nn::names;

const SEARCH_WGSL: &str = include_str!("../../shaders/search/mcts.wgsl");
/// The `Game` record struct, shared with the replay kernels.
pub const GAME_RECORD_WGSL: &str = include_str!("../../shaders/search/game_record.wgsl");
const WORKGROUP: u32 = 64;

/// A game the GPU search can play.
pub trait SearchGame {
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
    /// `game_write_observation` over the `search_*` accessors of the search shader, plus
    /// the constant `GAME_MAX_LEGAL`.
    fn search_adapter(&self) -> String;
}

/// Per-game record, as `Game` in the shader.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GameRecord {
    pub root: u32,
    pub node_count: u32,
    pub edge_count: u32,
    pub leaf: u32,
    pub path_len: u32,
    pub needs_eval: u32,
    pub rng_state: u32,
    pub rng_increment: u32,
    pub overflow: u32,
    pub moves: u32,
    pub positions: u32,
    pub finished: u32,
    pub wins0: u32,
    pub wins1: u32,
    pub draws: u32,
    pub last_action: u32,
    pub skip: u32,
    /// Length of the game that ended at the last move (0 if none).
    pub finished_length: u32,
    /// That game's result for player 0: 1 win, 0 draw, −1 loss.
    pub finished_value0: f32,
    /// Sum of the lengths of all games finished so far.
    pub finished_moves: u32,
    /// Replay records the game that ended at the last move stores (its positions'
    /// surprise-weighted copies; 0 if none ended).
    pub finished_records: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct NodeRecord {
    first_edge: u32,
    num_edges: u32,
    flags: u32,
    visits: u32,
    raw_value: f32,
    terminal_value: f32,
    parent_edge: u32,
    padding: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct EdgeRecord {
    action: u32,
    child: u32,
    visits: u32,
    value_sum: f32,
    prior: f32,
    raw_prior: f32,
    logit: f32,
    gumbel: f32,
}

/// Sizes of the tree pools, per game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub nodes: u32,
    pub edges: u32,
}

impl Capacity {
    /// Room for one search (sims + 1 nodes, each with at most `max_legal` edges), twice
    /// over when subtrees are kept between moves.
    pub fn for_search(config: &SearchConfig, max_legal: u32) -> Self {
        let factor = if config.reuse_subtree { 2 } else { 1 };
        let nodes = (config.simulations + 2) * factor;
        Self {
            nodes,
            edges: nodes * max_legal,
        }
    }
}

/// Settings of the self-play loop that the play kernel bakes in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaySettings {
    /// Moves sampled in proportion to visits before play turns greedy (AlphaZero).
    pub temperature_moves: u32,
    /// Each game's first r moves, r uniform in `0..=random_opening` (drawn per game), are
    /// uniformly random legal moves instead (still searched and recorded). 0: none.
    pub random_opening: u32,
    /// Record a training sample per move (the game's trajectory) and log drawn games.
    pub record: bool,
    /// λ of the policy-surprise weighting of finished games' samples
    /// (`train::replay::surprise_weights`); 0 records each position once.
    pub surprise_weight: f32,
}

/// Drawn games' final positions kept in the draw log's ring.
pub const DRAW_LOG_LEN: u32 = 256;

/// Floats of one recorded sample: observation, policy target, legal mask, then
/// [`RECORD_TAIL`] floats: the search's value inside the random opening
/// ([`NO_SEARCH_VALUE`] elsewhere), the policy surprise, the copies the replay stores,
/// and the mover (in the replay ring: the value target).
pub fn record_floats(game: &dyn SearchGame) -> u32 {
    game.observation_len() + 2 * game.num_actions() + RECORD_TAIL
}

/// Floats after a record's legal mask (see [`record_floats`]).
pub const RECORD_TAIL: u32 = 4;

/// The search-value slot of a record outside the random opening: the value target is the
/// game's outcome.
pub const NO_SEARCH_VALUE: f32 = 2.0;

struct Kernels {
    evaluate_roots: Arc<wgpu::ComputePipeline>,
    select_leaves: Arc<wgpu::ComputePipeline>,
    expand_and_backup: Arc<wgpu::ComputePipeline>,
    prepare_root: Arc<wgpu::ComputePipeline>,
    play_moves: Arc<wgpu::ComputePipeline>,
    reset_games: Arc<wgpu::ComputePipeline>,
}

/// The search state of `games` games on the GPU, with the network that evaluates them.
pub struct GpuSearch {
    gpu: Arc<Gpu>,
    network: GpuProgram,
    config: SearchConfig,
    games: u32,
    capacity: Capacity,
    state_words: u32,
    game_buffer: wgpu::Buffer,
    node_buffer: wgpu::Buffer,
    edge_buffer: wgpu::Buffer,
    state_buffer: wgpu::Buffer,
    /// Owned here (the bind groups use it) so that its lifetime is the search's.
    _path_buffer: wgpu::Buffer,
    /// `[games, trajectory_len, record_floats]` recorded samples (with recording on).
    trajectory_buffer: wgpu::Buffer,
    /// The drawn games' log: a count, then a ring of states.
    draw_log_buffer: wgpu::Buffer,
    record_floats: u32,
    trajectory_len: u32,
    /// The most replay records one finished game stores.
    max_game_records: u32,
    kernels: Kernels,
    bind_groups: Bindings,
}

struct Bindings {
    evaluate_roots: wgpu::BindGroup,
    select_leaves: wgpu::BindGroup,
    expand_and_backup: wgpu::BindGroup,
    prepare_root: wgpu::BindGroup,
    play_moves: wgpu::BindGroup,
    reset_games: wgpu::BindGroup,
}

fn bool_literal(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The search shader for `game` and `config`, constants first.
pub fn search_source(
    game: &dyn SearchGame,
    config: &SearchConfig,
    games: u32,
    capacity: Capacity,
    play: PlaySettings,
) -> String {
    let (policy, c_puct, fpu_relative, fpu_value, alpha, epsilon) = match config.policy {
        RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            dirichlet,
        } => {
            let (relative, value) = match first_play_urgency {
                FirstPlayUrgency::Absolute(v) => (false, v),
                FirstPlayUrgency::Reduction(r) => (true, r),
            };
            let (alpha, epsilon) = dirichlet.unwrap_or((1.0, 0.0));
            (0, c_puct, relative, value, alpha, epsilon)
        }
        RootPolicy::Gumbel { .. } => (1, 0.0, false, 0.0, 1.0, 0.0),
    };
    let (max_considered, c_visit, c_scale, gumbel_noise) = match config.policy {
        RootPolicy::Gumbel {
            max_considered,
            c_visit,
            c_scale,
            gumbel_noise,
        } => (max_considered, c_visit, c_scale, gumbel_noise),
        RootPolicy::AlphaZero { .. } => (1, 0.0, 0.0, false),
    };
    let float = |v: f32| format!("{v:?}");
    format!(
        "const GAMES: u32 = {games}u;
const NODE_CAPACITY: u32 = {nodes}u;
const EDGE_CAPACITY: u32 = {edges}u;
const MAX_DEPTH: u32 = {nodes}u;
const STATE_WORDS: u32 = {state_words}u;
const ACTIONS: u32 = {actions}u;
const OBSERVATION_LEN: u32 = {observation}u;
const SIMULATIONS: u32 = {simulations}u;
const POLICY: u32 = {policy}u;
const C_PUCT: f32 = {c_puct};
const FPU_RELATIVE: bool = {fpu_relative};
const FPU_VALUE: f32 = {fpu_value};
const DIRICHLET_ALPHA: f32 = {alpha};
const DIRICHLET_EPSILON: f32 = {epsilon};
const MAX_CONSIDERED: u32 = {max_considered}u;
const C_VISIT: f32 = {c_visit};
const C_SCALE: f32 = {c_scale};
const GUMBEL_NOISE: bool = {gumbel};
const TEMPERATURE_MOVES: u32 = {temperature_moves}u;
const RANDOM_OPENING: u32 = {random_opening}u;
const SURPRISE_WEIGHT: f32 = {surprise_weight};
const NO_SEARCH_VALUE: f32 = {no_search_value};
const REUSE: bool = {reuse};
const RECORD: bool = {record};
const TRAJECTORY_LEN: u32 = {trajectory_len}u;
const RECORD_FLOATS: u32 = {record_floats}u;
const DRAW_LOG_LEN: u32 = {draw_log_len}u;
{adapter}
{game_record}
{search}",
        nodes = capacity.nodes,
        edges = capacity.edges,
        state_words = game.state_words(),
        actions = game.num_actions(),
        observation = game.observation_len(),
        simulations = config.simulations,
        c_puct = float(c_puct),
        fpu_relative = bool_literal(fpu_relative),
        fpu_value = float(fpu_value),
        alpha = float(alpha),
        epsilon = float(epsilon),
        c_visit = float(c_visit),
        c_scale = float(c_scale),
        gumbel = bool_literal(gumbel_noise),
        temperature_moves = play.temperature_moves,
        random_opening = play.random_opening,
        surprise_weight = float(play.surprise_weight),
        no_search_value = float(NO_SEARCH_VALUE),
        reuse = bool_literal(config.reuse_subtree),
        record = bool_literal(play.record),
        trajectory_len = game.max_game_length().max(1),
        record_floats = record_floats(game),
        draw_log_len = DRAW_LOG_LEN,
        adapter = game.search_adapter(),
        game_record = GAME_RECORD_WGSL,
        search = SEARCH_WGSL,
    )
}

impl GpuSearch {
    /// Builds the search for `games` games. `network` must be an inference program for a
    /// batch of exactly `games` observations of this game (see `nn::inference`).
    pub fn new(
        gpu: &Arc<Gpu>,
        game: &dyn SearchGame,
        network: GpuProgram,
        config: SearchConfig,
        games: u32,
        play: PlaySettings,
        seed: u64,
    ) -> Result<Self, SearchError> {
        config.check()?;
        if games == 0 {
            return Err(SearchError::Config(
                "the search needs at least one game".into(),
            ));
        }
        let capacity = Capacity::for_search(&config, game.max_legal());
        let source = search_source(game, &config, games, capacity, play);
        let build = |entry: &str| gpu.pipeline(&format!("search {entry}"), &source, entry);
        let kernels = Kernels {
            evaluate_roots: build("evaluate_roots")?,
            select_leaves: build("select_leaves")?,
            expand_and_backup: build("expand_and_backup")?,
            prepare_root: build("prepare_root")?,
            play_moves: build("play_moves")?,
            reset_games: build("reset_games")?,
        };
        let state_words = game.state_words();
        let records: Vec<GameRecord> = (0..games)
            .map(|g| {
                let mixed = seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(u64::from(g).wrapping_mul(0xBF58_476D_1CE4_E5B9));
                GameRecord {
                    rng_state: (mixed >> 32) as u32,
                    rng_increment: (mixed as u32) | 1,
                    last_action: u32::MAX,
                    ..GameRecord::zeroed()
                }
            })
            .collect();
        let game_buffer = gpu.upload("search games", &records);
        let node_buffer = gpu.storage_buffer(
            "search nodes",
            u64::from(games) * u64::from(capacity.nodes) * 32,
        );
        let edge_buffer = gpu.storage_buffer(
            "search edges",
            u64::from(games) * u64::from(capacity.edges) * 32,
        );
        let state_buffer = gpu.storage_buffer(
            "search states",
            u64::from(games) * u64::from(capacity.nodes) * u64::from(state_words) * 4,
        );
        let path_buffer = gpu.storage_buffer(
            "search paths",
            u64::from(games) * u64::from(capacity.nodes) * 4,
        );
        let trajectory_floats = if play.record {
            u64::from(games)
                * u64::from(game.max_game_length().max(1))
                * u64::from(record_floats(game))
        } else {
            1
        };
        let trajectory_buffer = gpu.storage_buffer("search trajectories", trajectory_floats * 4);
        let draw_log_buffer = gpu.storage_buffer(
            "search draw log",
            4 + u64::from(DRAW_LOG_LEN) * u64::from(state_words) * 4,
        );
        let observations = network.buffer(names::OBSERVATIONS)?;
        let logits = network.buffer(names::POLICY_LOGITS)?;
        let values = network.buffer(names::VALUE)?;
        let all = [
            &game_buffer,
            &node_buffer,
            &edge_buffer,
            &state_buffer,
            &path_buffer,
            observations,
            logits,
            values,
            &trajectory_buffer,
            &draw_log_buffer,
        ];
        // Automatic layouts hold only the bindings an entry point uses: bind exactly those.
        let bind = |pipeline: &wgpu::ComputePipeline, entry: &str| {
            let used = used_bindings(&source, entry).map_err(|message| GpuError::Shader {
                label: format!("search {entry}"),
                message,
            })?;
            let entries: Vec<wgpu::BindGroupEntry> = used
                .iter()
                .map(|&binding| wgpu::BindGroupEntry {
                    binding,
                    resource: all[binding as usize].as_entire_binding(),
                })
                .collect();
            Ok::<_, GpuError>(gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(entry),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            }))
        };
        let bind_groups = Bindings {
            evaluate_roots: bind(&kernels.evaluate_roots, "evaluate_roots")?,
            select_leaves: bind(&kernels.select_leaves, "select_leaves")?,
            expand_and_backup: bind(&kernels.expand_and_backup, "expand_and_backup")?,
            prepare_root: bind(&kernels.prepare_root, "prepare_root")?,
            play_moves: bind(&kernels.play_moves, "play_moves")?,
            reset_games: bind(&kernels.reset_games, "reset_games")?,
        };
        let search = Self {
            gpu: Arc::clone(gpu),
            network,
            config,
            games,
            capacity,
            state_words,
            game_buffer,
            node_buffer,
            edge_buffer,
            state_buffer,
            _path_buffer: path_buffer,
            trajectory_buffer,
            draw_log_buffer,
            record_floats: record_floats(game),
            trajectory_len: game.max_game_length().max(1),
            // A weighted position stores at most ⌊w⌋ + 1 ≤ w + 1 copies and the weights of a
            // game sum to its length, so a game stores at most twice its length.
            max_game_records: game.max_game_length().max(1)
                * if play.surprise_weight > 0.0 { 2 } else { 1 },
            kernels,
            bind_groups,
        };
        gpu.check()?;
        Ok(search)
    }
}

impl GpuSearch {
    pub fn games(&self) -> u32 {
        self.games
    }

    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    pub fn network(&self) -> &GpuProgram {
        &self.network
    }

    /// The per-game records (`GameRecord`, one per game).
    pub fn game_buffer(&self) -> &wgpu::Buffer {
        &self.game_buffer
    }

    /// Recorded samples, `[games, trajectory_len, record_floats]` (see
    /// `shaders/search/mcts.wgsl`, `record_sample`).
    pub fn trajectory_buffer(&self) -> &wgpu::Buffer {
        &self.trajectory_buffer
    }

    /// Floats per recorded sample and samples per game's trajectory.
    pub fn record_layout(&self) -> (u32, u32) {
        (self.record_floats, self.trajectory_len)
    }

    /// The most replay records one finished game stores (its trajectory length, twice
    /// that with policy-surprise weighting).
    pub fn max_game_records(&self) -> u32 {
        self.max_game_records
    }

    /// The drawn games seen so far (a count, then the last [`DRAW_LOG_LEN`] final states).
    pub fn read_draw_log(&self) -> Result<(u32, Vec<u32>), SearchError> {
        let words = 1 + (DRAW_LOG_LEN * self.state_words) as usize;
        let all: Vec<u32> = self.gpu.read(&self.draw_log_buffer, words)?;
        Ok((all[0], all[1..].to_vec()))
    }

    pub fn state_words(&self) -> u32 {
        self.state_words
    }

    /// The network program, to load parameters into it by name.
    pub fn network_mut(&mut self) -> &mut GpuProgram {
        &mut self.network
    }

    fn dispatch(
        &self,
        pass: &mut wgpu::ComputePass,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
    ) {
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.dispatch_workgroups(self.games.div_ceil(WORKGROUP), 1, 1);
    }

    /// Records one search from every game's root into `pass`: the root's evaluation (for
    /// roots not evaluated yet), root noise, then every simulation.
    pub fn record_search(&self, pass: &mut wgpu::ComputePass) {
        self.record_search_timed(pass, None);
    }

    /// [`GpuSearch::record_search`], writing a timestamp after each group of dispatches
    /// (labels: `select`, `network`, `expand_backup`, `root`).
    pub fn record_search_timed(&self, pass: &mut wgpu::ComputePass, timer: Option<&Timestamps>) {
        let (k, b) = (&self.kernels, &self.bind_groups);
        let mark = |pass: &mut wgpu::ComputePass, label| {
            if let Some(timer) = timer {
                timer.mark(pass, label);
            }
        };
        self.dispatch(pass, &k.evaluate_roots, &b.evaluate_roots);
        mark(pass, "root");
        self.network.record_dispatches(pass);
        mark(pass, "network");
        self.dispatch(pass, &k.expand_and_backup, &b.expand_and_backup);
        self.dispatch(pass, &k.prepare_root, &b.prepare_root);
        mark(pass, "root");
        for _ in 0..self.config.simulations {
            self.dispatch(pass, &k.select_leaves, &b.select_leaves);
            mark(pass, "select");
            self.network.record_dispatches(pass);
            mark(pass, "network");
            self.dispatch(pass, &k.expand_and_backup, &b.expand_and_backup);
            mark(pass, "expand_backup");
        }
    }

    /// Records the move choice and advance of every game (starting new games as they end).
    pub fn record_play(&self, pass: &mut wgpu::ComputePass) {
        self.dispatch(pass, &self.kernels.play_moves, &self.bind_groups.play_moves);
    }

    /// Dispatches per search and move: what bounds small batches.
    pub fn dispatches_per_move(&self) -> usize {
        let network = self.network.dispatches();
        3 + network + self.config.simulations as usize * (2 + network) + 1
    }

    /// Runs `record` inside one compute pass and submits it.
    pub fn submit(&self, record: impl FnOnce(&Self, &mut wgpu::ComputePass)) {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("search"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("search"),
                timestamp_writes: None,
            });
            record(self, &mut pass);
        }
        self.gpu.queue.submit([encoder.finish()]);
    }

    /// Starts every game from the game's initial position.
    pub fn reset(&self) {
        self.submit(|search, pass| {
            search.dispatch(
                pass,
                &search.kernels.reset_games,
                &search.bind_groups.reset_games,
            )
        });
    }

    /// Makes `words` (state words of one position per game) the roots of fresh trees.
    pub fn set_roots(&self, words: &[u32], terminal: &[Option<f32>]) -> Result<(), SearchError> {
        let per_game = self.state_words as usize;
        if words.len() != per_game * self.games as usize || terminal.len() != self.games as usize {
            return Err(SearchError::Config(format!(
                "set_roots needs {} state words and {} terminal flags, got {} and {}",
                per_game * self.games as usize,
                self.games,
                words.len(),
                terminal.len()
            )));
        }
        let mut records: Vec<GameRecord> = self.gpu.read(&self.game_buffer, self.games as usize)?;
        for g in 0..self.games as usize {
            let node_offset = g as u64 * u64::from(self.capacity.nodes);
            let state_offset = node_offset * u64::from(self.state_words) * 4;
            self.gpu.queue.write_buffer(
                &self.state_buffer,
                state_offset,
                bytemuck::cast_slice(&words[g * per_game..(g + 1) * per_game]),
            );
            let node = NodeRecord {
                first_edge: 0,
                num_edges: 0,
                flags: if terminal[g].is_some() { 2 } else { 0 },
                visits: 0,
                raw_value: 0.0,
                terminal_value: terminal[g].unwrap_or(0.0),
                parent_edge: u32::MAX,
                padding: 0,
            };
            self.gpu.queue.write_buffer(
                &self.node_buffer,
                node_offset * 32,
                bytemuck::bytes_of(&node),
            );
            records[g].root = 0;
            records[g].node_count = 1;
            records[g].edge_count = 0;
        }
        self.gpu
            .queue
            .write_buffer(&self.game_buffer, 0, bytemuck::cast_slice(&records));
        Ok(())
    }

    /// The per-game records (counters of self-play, pool use).
    pub fn read_games(&self) -> Result<Vec<GameRecord>, SearchError> {
        Ok(self.gpu.read(&self.game_buffer, self.games as usize)?)
    }

    /// What the last search found at every game's root. Reads the whole tree back: for
    /// tools and tests, not for the self-play loop.
    pub fn read_results(&self, num_actions: usize) -> Result<Vec<SearchResult>, SearchError> {
        let records = self.read_games()?;
        let nodes: Vec<NodeRecord> = self.gpu.read(
            &self.node_buffer,
            (self.games * self.capacity.nodes) as usize,
        )?;
        let edges: Vec<EdgeRecord> = self.gpu.read(
            &self.edge_buffer,
            (self.games * self.capacity.edges) as usize,
        )?;
        Ok(records
            .iter()
            .enumerate()
            .map(|(g, record)| {
                let node_base = g * self.capacity.nodes as usize;
                let edge_base = g * self.capacity.edges as usize;
                let root = nodes[node_base + record.root as usize];
                let root_edges = &edges[edge_base + root.first_edge as usize
                    ..edge_base + (root.first_edge + root.num_edges) as usize];
                root_result(&self.config, root, root_edges, num_actions)
            })
            .collect())
    }
}

impl GpuSearch {
    /// Game `game`'s whole tree (reads the pools back).
    pub fn read_tree(&self, game: u32) -> Result<TreeDump, SearchError> {
        let records = self.read_games()?;
        let record = records
            .get(game as usize)
            .ok_or_else(|| SearchError::Config(format!("there is no game {game}")))?;
        let nodes: Vec<NodeRecord> = self.gpu.read(
            &self.node_buffer,
            ((game + 1) * self.capacity.nodes) as usize,
        )?;
        let edges: Vec<EdgeRecord> = self.gpu.read(
            &self.edge_buffer,
            ((game + 1) * self.capacity.edges) as usize,
        )?;
        let nodes = &nodes[(game * self.capacity.nodes) as usize..][..record.node_count as usize];
        let edges = &edges[(game * self.capacity.edges) as usize..][..record.edge_count as usize];
        Ok(TreeDump {
            root: record.root,
            nodes: nodes
                .iter()
                .map(|n| NodeDump {
                    visits: n.visits,
                    raw_value: n.raw_value,
                    terminal_value: (n.flags & 2 != 0).then_some(n.terminal_value),
                    expanded: n.flags & 1 != 0,
                    first_edge: n.first_edge,
                    num_edges: n.num_edges,
                })
                .collect(),
            edges: edges
                .iter()
                .map(|e| EdgeDump {
                    action: e.action,
                    prior: e.raw_prior,
                    visits: e.visits,
                    q: (e.visits > 0).then(|| e.value_sum / e.visits as f32),
                    child: (e.child != u32::MAX).then_some(e.child),
                })
                .collect(),
        })
    }
}

/// The search result at a root from its record and edges (rules shared with the reference).
fn root_result(
    config: &SearchConfig,
    root: NodeRecord,
    edges: &[EdgeRecord],
    num_actions: usize,
) -> SearchResult {
    let edges: Vec<RootEdge> = edges
        .iter()
        .map(|e| RootEdge {
            action: e.action,
            raw_prior: e.raw_prior,
            logit: e.logit,
            visits: e.visits,
            value_sum: e.value_sum,
            gumbel: e.gumbel,
        })
        .collect();
    summarize(&config.policy, root.raw_value, &edges, num_actions)
}
