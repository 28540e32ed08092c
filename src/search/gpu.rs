//! The batched GPU search: every game's tree in GPU buffers (see
//! `shaders/search/mcts.wgsl` for the layout), the network's forward pass recorded
//! between the search kernels, and no host readback inside a move.
//!
//! One search from every game's root is: `evaluate_roots` → `write_observations` →
//! network → `expand_and_backup` → `prepare_root`, then per simulation `select_leaves` →
//! `write_observations` → network → `expand_and_backup`, all recorded into one compute
//! pass. Playing the chosen moves is self-play's business
//! (`crate::selfplay::gpu`), which appends its kernels to this shader and binds the same
//! tree buffers.

use std::sync::Arc;

use bytemuck::Zeroable;

use super::config::{FirstPlayUrgency, RootPolicy, SearchConfig};
use super::summary::{RootEdge, summarize};
use super::tree_dump::{EdgeDump, NodeDump, TreeDump};
use super::{SearchError, SearchResult};
use crate::games::GpuGame;
use crate::gpu::Gpu;
use crate::gpu::timing::Timestamps;
use crate::graph::wgsl::GpuProgram;
use crate::nn::names;

const SEARCH_WGSL: &str = include_str!("../../shaders/search/mcts.wgsl");
/// Threads per workgroup of the search kernels (one thread per game; `write_observations`
/// has a workgroup per game).
pub const WORKGROUP: u32 = 64;
/// The most workgroups `write_observations` takes in x; more games go on in y.
const OBSERVATION_ROW: u32 = 32_768;

/// The search state of one game slot, as `Slot` in the shader.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SearchSlot {
    pub root: u32,
    pub node_count: u32,
    pub edge_count: u32,
    pub leaf: u32,
    pub path_len: u32,
    pub needs_eval: u32,
    pub rng_state: u32,
    pub rng_increment: u32,
    /// Expansions dropped because a pool was full.
    pub overflow: u32,
    pub skip: u32,
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
    /// over when subtrees are kept between moves. An error when a pool would not fit a
    /// u32 index.
    pub fn for_search(config: &SearchConfig, max_legal: u32) -> Result<Self, SearchError> {
        let factor = if config.reuse_subtree { 2 } else { 1 };
        let nodes = (u64::from(config.simulations) + 2) * factor;
        let edges = nodes * u64::from(max_legal);
        match (u32::try_from(nodes), u32::try_from(edges)) {
            (Ok(nodes), Ok(edges)) => Ok(Self { nodes, edges }),
            _ => Err(SearchError::Config(format!(
                "{} simulations need {edges} tree edges per game, more than the GPU search \
                 indexes (2^32): lower --sims",
                config.simulations
            ))),
        }
    }

    /// Bytes of the largest pool buffer (the edges) for `games` games.
    pub fn largest_buffer_bytes(&self, games: u32) -> u64 {
        u64::from(games) * u64::from(self.edges) * 32
    }
}

struct Kernels {
    evaluate_roots: Arc<wgpu::ComputePipeline>,
    select_leaves: Arc<wgpu::ComputePipeline>,
    write_observations: Arc<wgpu::ComputePipeline>,
    expand_and_backup: Arc<wgpu::ComputePipeline>,
    prepare_root: Arc<wgpu::ComputePipeline>,
}

/// The search state of `games` games on the GPU, with the network that evaluates them.
pub struct GpuSearch {
    gpu: Arc<Gpu>,
    network: GpuProgram,
    config: SearchConfig,
    games: u32,
    capacity: Capacity,
    state_words: u32,
    /// The shader source every search kernel is compiled from (see [`search_source`]).
    source: String,
    buffers: TreeBuffers,
    kernels: Kernels,
    bind_groups: Bindings,
}

/// The search's buffers, in binding order 0..=4 of `mcts.wgsl` (the network's observations,
/// logits and values are bindings 5..=7).
pub struct TreeBuffers {
    /// `[games]` [`SearchSlot`].
    pub slots: wgpu::Buffer,
    /// `[games, node capacity]` nodes, 32 bytes each.
    pub nodes: wgpu::Buffer,
    /// `[games, edge capacity]` edges, 32 bytes each.
    pub edges: wgpu::Buffer,
    /// `[games, node capacity, state words]` positions of the nodes.
    pub states: wgpu::Buffer,
    /// `[games, node capacity]` the edges of the current walk.
    pub paths: wgpu::Buffer,
}

struct Bindings {
    evaluate_roots: wgpu::BindGroup,
    select_leaves: wgpu::BindGroup,
    write_observations: wgpu::BindGroup,
    expand_and_backup: wgpu::BindGroup,
    prepare_root: wgpu::BindGroup,
}

fn bool_literal(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// The search shader for `game` and `config`, constants first.
pub fn search_source(
    game: &dyn GpuGame,
    config: &SearchConfig,
    games: u32,
    capacity: Capacity,
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
const REUSE: bool = {reuse};
{adapter}
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
        reuse = bool_literal(config.reuse_subtree),
        adapter = game.search_adapter(),
        search = SEARCH_WGSL,
    )
}

impl GpuSearch {
    /// Builds the search for `games` games. `network` must be an inference program for a
    /// batch of exactly `games` observations of this game (see `nn::inference`). Every
    /// game starts from an empty tree: self-play resets them to the game's start, tools set
    /// their roots ([`GpuSearch::set_roots`]).
    pub fn new(
        gpu: &Arc<Gpu>,
        game: &dyn GpuGame,
        network: GpuProgram,
        config: SearchConfig,
        games: u32,
        seed: u64,
    ) -> Result<Self, SearchError> {
        config.check()?;
        if games == 0 {
            return Err(SearchError::Config(
                "the search needs at least one game".into(),
            ));
        }
        let capacity = Capacity::for_search(&config, game.max_legal())?;
        let largest = capacity.largest_buffer_bytes(games);
        let limit = gpu
            .limits
            .max_storage_buffer_binding_size
            .min(gpu.limits.max_buffer_size);
        if largest > limit {
            return Err(SearchError::Config(format!(
                "the search tree of {games} games with {} simulations needs a {largest}-byte \
                 edge pool, over this adapter's {limit}-byte buffer limit: lower --games or \
                 --sims",
                config.simulations
            )));
        }
        let source = search_source(game, &config, games, capacity);
        let build = |entry: &str| gpu.pipeline(&format!("search {entry}"), &source, entry);
        let kernels = Kernels {
            evaluate_roots: build("evaluate_roots")?,
            select_leaves: build("select_leaves")?,
            write_observations: build("write_observations")?,
            expand_and_backup: build("expand_and_backup")?,
            prepare_root: build("prepare_root")?,
        };
        let state_words = game.state_words();
        let slots: Vec<SearchSlot> = (0..games)
            .map(|g| {
                let mixed = seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(u64::from(g).wrapping_mul(0xBF58_476D_1CE4_E5B9));
                SearchSlot {
                    rng_state: (mixed >> 32) as u32,
                    rng_increment: (mixed as u32) | 1,
                    ..SearchSlot::zeroed()
                }
            })
            .collect();
        let games64 = u64::from(games);
        let nodes = games64 * u64::from(capacity.nodes);
        let buffers = TreeBuffers {
            slots: gpu.upload("search slots", &slots),
            nodes: gpu.storage_buffer("search nodes", nodes * 32),
            edges: gpu.storage_buffer("search edges", games64 * u64::from(capacity.edges) * 32),
            states: gpu.storage_buffer("search states", nodes * u64::from(state_words) * 4),
            paths: gpu.storage_buffer("search paths", nodes * 4),
        };
        let all = [
            &buffers.slots,
            &buffers.nodes,
            &buffers.edges,
            &buffers.states,
            &buffers.paths,
            network.buffer(names::OBSERVATIONS)?,
            network.buffer(names::POLICY_LOGITS)?,
            network.buffer(names::VALUE)?,
        ];
        let bind = |pipeline: &wgpu::ComputePipeline, entry: &str| {
            gpu.bind_used(pipeline, &source, entry, &all)
        };
        let bind_groups = Bindings {
            evaluate_roots: bind(&kernels.evaluate_roots, "evaluate_roots")?,
            select_leaves: bind(&kernels.select_leaves, "select_leaves")?,
            write_observations: bind(&kernels.write_observations, "write_observations")?,
            expand_and_backup: bind(&kernels.expand_and_backup, "expand_and_backup")?,
            prepare_root: bind(&kernels.prepare_root, "prepare_root")?,
        };
        let search = Self {
            gpu: Arc::clone(gpu),
            network,
            config,
            games,
            capacity,
            state_words,
            source,
            buffers,
            kernels,
            bind_groups,
        };
        gpu.check()?;
        Ok(search)
    }

    pub fn games(&self) -> u32 {
        self.games
    }

    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    pub fn network(&self) -> &GpuProgram {
        &self.network
    }

    /// The network program, to load parameters into it by name.
    pub fn network_mut(&mut self) -> &mut GpuProgram {
        &mut self.network
    }

    pub fn state_words(&self) -> u32 {
        self.state_words
    }

    /// The shader source of the search kernels: constants, the game's adapter and
    /// `mcts.wgsl`. Self-play appends its own kernels to it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The tree buffers (bindings 0..=4 of the search shader).
    pub fn tree_buffers(&self) -> &TreeBuffers {
        &self.buffers
    }

    /// Every buffer of the search shader's bindings 0..=7, in binding order: the tree, then
    /// the network's observations, logits and values.
    pub fn bindings(&self) -> Result<[&wgpu::Buffer; 8], SearchError> {
        let b = &self.buffers;
        Ok([
            &b.slots,
            &b.nodes,
            &b.edges,
            &b.states,
            &b.paths,
            self.network.buffer(names::OBSERVATIONS)?,
            self.network.buffer(names::POLICY_LOGITS)?,
            self.network.buffer(names::VALUE)?,
        ])
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

    /// `write_observations`: a workgroup per game, in rows of at most [`OBSERVATION_ROW`].
    fn dispatch_observations(&self, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.kernels.write_observations);
        pass.set_bind_group(0, &self.bind_groups.write_observations, &[]);
        let row = self.games.min(OBSERVATION_ROW);
        pass.dispatch_workgroups(row, self.games.div_ceil(row), 1);
    }

    /// Records one search from every game's root into `pass`: the root's evaluation (for
    /// roots not evaluated yet), root noise, then every simulation.
    pub fn record_search(&self, pass: &mut wgpu::ComputePass) {
        self.record_search_timed(pass, None);
    }

    /// [`GpuSearch::record_search`], writing a timestamp after each group of dispatches
    /// (labels: `select`, `observe`, `network`, `expand_backup`, `root`).
    pub fn record_search_timed(&self, pass: &mut wgpu::ComputePass, timer: Option<&Timestamps>) {
        let (k, b) = (&self.kernels, &self.bind_groups);
        let mark = |pass: &mut wgpu::ComputePass, label| {
            if let Some(timer) = timer {
                timer.mark(pass, label);
            }
        };
        self.dispatch(pass, &k.evaluate_roots, &b.evaluate_roots);
        mark(pass, "root");
        self.dispatch_observations(pass);
        mark(pass, "observe");
        self.network.record_dispatches(pass);
        mark(pass, "network");
        self.dispatch(pass, &k.expand_and_backup, &b.expand_and_backup);
        self.dispatch(pass, &k.prepare_root, &b.prepare_root);
        mark(pass, "root");
        for _ in 0..self.config.simulations {
            self.dispatch(pass, &k.select_leaves, &b.select_leaves);
            mark(pass, "select");
            self.dispatch_observations(pass);
            mark(pass, "observe");
            self.network.record_dispatches(pass);
            mark(pass, "network");
            self.dispatch(pass, &k.expand_and_backup, &b.expand_and_backup);
            mark(pass, "expand_backup");
        }
    }

    /// Dispatches of one search: what bounds small batches.
    pub fn dispatches_per_search(&self) -> usize {
        let network = self.network.dispatches();
        4 + network + self.config.simulations as usize * (3 + network)
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

    /// Makes `words` (state words of one position per game) the roots of fresh trees.
    /// Reads the slots back (blocking): for tools and tests.
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
        let mut slots = self.read_slots()?;
        for g in 0..self.games as usize {
            let node_offset = g as u64 * u64::from(self.capacity.nodes);
            let state_offset = node_offset * u64::from(self.state_words) * 4;
            self.gpu.queue.write_buffer(
                &self.buffers.states,
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
                &self.buffers.nodes,
                node_offset * 32,
                bytemuck::bytes_of(&node),
            );
            slots[g].root = 0;
            slots[g].node_count = 1;
            slots[g].edge_count = 0;
        }
        self.gpu
            .queue
            .write_buffer(&self.buffers.slots, 0, bytemuck::cast_slice(&slots));
        Ok(())
    }

    /// The per-game search slots (blocking read: tools and tests).
    pub fn read_slots(&self) -> Result<Vec<SearchSlot>, SearchError> {
        Ok(self.gpu.read(&self.buffers.slots, self.games as usize)?)
    }

    /// What the last search found at every game's root. Reads the whole tree back
    /// (blocking): for tools and tests, not for the self-play loop.
    pub fn read_results(&self, num_actions: usize) -> Result<Vec<SearchResult>, SearchError> {
        let slots = self.read_slots()?;
        let nodes: Vec<NodeRecord> = self.gpu.read(
            &self.buffers.nodes,
            (self.games * self.capacity.nodes) as usize,
        )?;
        let edges: Vec<EdgeRecord> = self.gpu.read(
            &self.buffers.edges,
            (self.games * self.capacity.edges) as usize,
        )?;
        Ok(slots
            .iter()
            .enumerate()
            .map(|(g, slot)| {
                let node_base = g * self.capacity.nodes as usize;
                let edge_base = g * self.capacity.edges as usize;
                let root = nodes[node_base + slot.root as usize];
                let root_edges = &edges[edge_base + root.first_edge as usize
                    ..edge_base + (root.first_edge + root.num_edges) as usize];
                root_result(&self.config, root, root_edges, num_actions)
            })
            .collect())
    }
}

impl GpuSearch {
    /// Game `game`'s whole tree (reads the pools back, blocking: tools and tests).
    pub fn read_tree(&self, game: u32) -> Result<TreeDump, SearchError> {
        let slots = self.read_slots()?;
        let record = slots
            .get(game as usize)
            .ok_or_else(|| SearchError::Config(format!("there is no game {game}")))?;
        let nodes: Vec<NodeRecord> = self.gpu.read(
            &self.buffers.nodes,
            ((game + 1) * self.capacity.nodes) as usize,
        )?;
        let edges: Vec<EdgeRecord> = self.gpu.read(
            &self.buffers.edges,
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
                    logit: e.logit,
                    visits: e.visits,
                    value_sum: e.value_sum,
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
