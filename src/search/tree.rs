//! One tree searched with batched leaf evaluation (the UCI engine's search): each round
//! descends PUCT up to `batch` times, marking every path with a **virtual loss** so that
//! the next descent of the same round prefers other lines, evaluates the distinct leaves
//! found in one network call, expands them and backs their values up.
//!
//! The formulas are the reference search's ([`super::config`]'s PUCT helpers, the same
//! conventions: an edge's value sum is from the view of the player choosing it, a node's
//! raw value from its own mover's view, a node is visited once when evaluated and once
//! more per simulation through it). With `batch = 1` no virtual loss is ever pending at a
//! selection, so the tree grows exactly as [`super::ReferenceSearch`]'s does (AlphaZero
//! root policy, noise off).
//!
//! A virtual loss on an edge counts as one more visit whose value was −1 for the chooser,
//! and one more visit of each node above the leaf; it is kept apart from the real counts
//! (not added to them and taken away again), so real sums never pick up rounding.
//!
//! When a descent reaches a leaf that is already waiting for its evaluation in this round,
//! the round stops collecting: that descent's virtual loss is undone and the leaves found
//! so far are evaluated. Counting the descent a second time would need a second backup of
//! the same value and would make a round's simulations depend on collisions; stopping
//! keeps "one simulation, one leaf, one backup". A round's first descent never collides,
//! so every round makes progress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use web_time::Instant;

use super::SearchError;
use super::config::{FirstPlayUrgency, first_play_value, node_mean_value, puct_exploration};
use super::evaluator::Evaluator;
use super::tree_dump::{EdgeDump, NodeDump, TreeDump};
use crate::games::GameState;

const NONE: u32 = u32::MAX;

/// Actions of the principal variation in a [`SearchInfo`] at most.
pub const INFO_PV_LENGTH: usize = 24;

/// How often [`TreeSearch::run`] reports progress.
pub const REPORT_INTERVAL: Duration = Duration::from_millis(500);

/// The PUCT settings of a [`TreeSearch`] (AlphaZero's root policy without noise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TreeConfig {
    pub c_puct: f32,
    pub first_play_urgency: FirstPlayUrgency,
}

impl Default for TreeConfig {
    /// The reference search's AlphaZero defaults: c = 1.25, unvisited children valued at
    /// their parent's mean.
    fn default() -> Self {
        Self {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
        }
    }
}

/// When [`TreeSearch::run`] stops (whichever comes first; the stop flag too). The root is
/// always evaluated, whatever the limits say.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SearchLimits {
    /// Simulations (UCI's nodes) of this search at most.
    pub nodes: Option<u64>,
    /// No new round starts after this instant.
    pub deadline: Option<Instant>,
    /// Stop once the tree holds this many nodes (a memory bound for long searches).
    pub tree_nodes: Option<usize>,
}

/// Progress of a search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchInfo {
    /// Simulations done (each one leaf backed up: UCI's nodes).
    pub nodes: u64,
    /// Positions the network evaluated (rows over all calls).
    pub evaluations: u64,
    /// Network calls.
    pub batches: u64,
    pub elapsed: Duration,
    /// The root's mean value from its mover's view, in [−1, 1].
    pub root_value: f32,
    /// The deepest leaf reached (plies from the root).
    pub max_depth: u32,
    /// The mean depth of the simulations' leaves.
    pub mean_depth: f32,
    /// Nodes the tree holds.
    pub tree_nodes: usize,
    /// The best line from the root ([`TreeSearch::principal_variation`]), up to
    /// [`INFO_PV_LENGTH`] actions.
    pub principal_variation: Vec<usize>,
}

impl SearchInfo {
    /// Simulations per second (0 before any time has passed).
    pub fn nodes_per_second(&self) -> u64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            (self.nodes as f64 / seconds) as u64
        } else {
            0
        }
    }
}

#[derive(Clone, Debug)]
struct Edge {
    action: u32,
    logit: f32,
    prior: f32,
    visits: u32,
    value_sum: f32,
    /// Descents of this round through this edge whose leaf awaits its evaluation.
    virtual_visits: u32,
    child: u32,
}

#[derive(Clone, Debug)]
struct Node<S> {
    state: S,
    first_edge: u32,
    num_edges: u32,
    expanded: bool,
    /// Waiting for its evaluation in the current round.
    pending: bool,
    /// Exact value for the player to move, if the game is over here.
    terminal: Option<f32>,
    raw_value: f32,
    visits: u32,
    virtual_visits: u32,
}

/// A leaf found by one descent: the edges walked from the root, and the leaf.
struct Descent {
    path: Vec<usize>,
    leaf: u32,
}

/// One game tree searched with batched, virtual-loss leaf collection.
pub struct TreeSearch<S> {
    nodes: Vec<Node<S>>,
    edges: Vec<Edge>,
    config: TreeConfig,
    batch: usize,
    /// Totals of this tree over every [`Self::run`].
    simulations: u64,
    evaluations: u64,
    batches: u64,
    max_depth: u32,
    depth_sum: u64,
    /// Scratch: the legal mask and the observations of one call.
    mask: Vec<bool>,
    observations: Vec<f32>,
}

impl<S: GameState> TreeSearch<S> {
    /// A tree over `root`, evaluating up to `batch` leaves per network call. A finished
    /// `root`, `batch` 0 or a `c_puct` that is not a finite number ≥ 0 is an error.
    pub fn new(root: S, config: TreeConfig, batch: usize) -> Result<Self, SearchError> {
        if !(config.c_puct.is_finite() && config.c_puct >= 0.0) {
            return Err(SearchError::Config(format!(
                "c_puct must be a finite number ≥ 0, got {}",
                config.c_puct
            )));
        }
        if batch == 0 {
            return Err(SearchError::Config(
                "the batch must hold at least one leaf".into(),
            ));
        }
        if root.terminal_value().is_some() {
            return Err(SearchError::GameOver(0));
        }
        let mut search = Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            config,
            batch,
            simulations: 0,
            evaluations: 0,
            batches: 0,
            max_depth: 0,
            depth_sum: 0,
            mask: Vec::new(),
            observations: Vec::new(),
        };
        search.add_node(root);
        Ok(search)
    }

    /// The root position.
    pub fn root_state(&self) -> &S {
        &self.nodes[0].state
    }

    fn add_node(&mut self, state: S) -> u32 {
        let terminal = state.terminal_value();
        self.nodes.push(Node {
            state,
            first_edge: 0,
            num_edges: 0,
            expanded: false,
            pending: false,
            terminal,
            raw_value: 0.0,
            visits: 0,
            virtual_visits: 0,
        });
        (self.nodes.len() - 1) as u32
    }

    fn edges_of(&self, node: u32) -> std::ops::Range<usize> {
        let n = &self.nodes[node as usize];
        n.first_edge as usize..(n.first_edge + n.num_edges) as usize
    }

    /// Searches until `limits` or `stop` say so, calling `report` about every
    /// [`REPORT_INTERVAL`] (not after every round). Returns the progress at the end;
    /// the counts are this call's, the tree's statistics (value, depth) the whole tree's.
    pub fn run(
        &mut self,
        evaluator: &mut dyn Evaluator,
        limits: &SearchLimits,
        stop: &AtomicBool,
        report: &mut dyn FnMut(&SearchInfo),
    ) -> Result<SearchInfo, SearchError> {
        let started = Instant::now();
        let (simulations_before, evaluations_before, batches_before) =
            (self.simulations, self.evaluations, self.batches);
        let info = |search: &Self| SearchInfo {
            nodes: search.simulations - simulations_before,
            evaluations: search.evaluations - evaluations_before,
            batches: search.batches - batches_before,
            elapsed: started.elapsed(),
            root_value: search.root_value(),
            max_depth: search.max_depth,
            mean_depth: if search.simulations > 0 {
                search.depth_sum as f32 / search.simulations as f32
            } else {
                0.0
            },
            tree_nodes: search.nodes.len(),
            principal_variation: search.principal_variation(INFO_PV_LENGTH),
        };
        if !self.nodes[0].expanded {
            self.evaluate(evaluator, &[0])?;
            self.nodes[0].visits = self.nodes[0].visits.max(1);
        }
        let mut last_report = Instant::now();
        loop {
            let done = self.simulations - simulations_before;
            let remaining = limits.nodes.map_or(u64::MAX, |n| n.saturating_sub(done));
            if remaining == 0
                || stop.load(Ordering::Relaxed)
                || limits.deadline.is_some_and(|d| Instant::now() >= d)
                || limits.tree_nodes.is_some_and(|n| self.nodes.len() >= n)
            {
                break;
            }
            let leaves = remaining.min(self.batch as u64) as usize;
            self.round(evaluator, leaves)?;
            if last_report.elapsed() >= REPORT_INTERVAL {
                last_report = Instant::now();
                report(&info(self));
            }
        }
        Ok(info(self))
    }

    /// One round: up to `leaves` descents (terminal leaves backed up at once), then one
    /// network call for the distinct new leaves, their expansion and backup.
    fn round(&mut self, evaluator: &mut dyn Evaluator, leaves: usize) -> Result<(), SearchError> {
        let mut waiting: Vec<Descent> = Vec::new();
        for _ in 0..leaves {
            let descent = self.descend();
            let leaf = &self.nodes[descent.leaf as usize];
            if leaf.pending {
                self.remove_virtual_loss(&descent.path);
                break;
            }
            if leaf.terminal.is_some() || leaf.num_edges == 0 && leaf.expanded {
                self.remove_virtual_loss(&descent.path);
                self.backup(&descent);
            } else {
                self.nodes[descent.leaf as usize].pending = true;
                waiting.push(descent);
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        let leaf_nodes: Vec<u32> = waiting.iter().map(|d| d.leaf).collect();
        self.evaluate(evaluator, &leaf_nodes)?;
        for descent in &waiting {
            self.nodes[descent.leaf as usize].pending = false;
            self.remove_virtual_loss(&descent.path);
            self.backup(descent);
        }
        Ok(())
    }

    /// Evaluates `leaves` in one call and expands them.
    fn evaluate(
        &mut self,
        evaluator: &mut dyn Evaluator,
        leaves: &[u32],
    ) -> Result<(), SearchError> {
        let observation_len = self.nodes[0].state.observation_len();
        let num_actions = self.nodes[0].state.num_actions();
        let rows = leaves.len();
        self.observations.resize(rows * observation_len, 0.0);
        for (&leaf, row) in leaves
            .iter()
            .zip(self.observations.chunks_exact_mut(observation_len))
        {
            self.nodes[leaf as usize].state.write_observation(row);
        }
        let (logits, values) = evaluator.evaluate(&self.observations, rows)?;
        if logits.len() < rows * num_actions || values.len() < rows {
            return Err(SearchError::Config(format!(
                "the network returned {} logits and {} values for {rows} positions of \
                 {num_actions} actions",
                logits.len(),
                values.len()
            )));
        }
        self.evaluations += rows as u64;
        self.batches += 1;
        for (i, &leaf) in leaves.iter().enumerate() {
            self.expand(
                leaf,
                &logits[i * num_actions..(i + 1) * num_actions],
                values[i],
            );
        }
        Ok(())
    }

    /// Expands `node`: one edge per legal action, priors the softmax of `logits` over them.
    fn expand(&mut self, node: u32, logits: &[f32], value: f32) {
        self.mask.resize(logits.len(), false);
        self.nodes[node as usize].state.legal_mask(&mut self.mask);
        let first = self.edges.len();
        let legal = (0..self.mask.len()).filter(|&a| self.mask[a]);
        let max = legal
            .clone()
            .map(|a| logits[a])
            .fold(f32::NEG_INFINITY, f32::max);
        for action in legal {
            self.edges.push(Edge {
                action: action as u32,
                logit: logits[action],
                prior: (logits[action] - max).exp(),
                visits: 0,
                value_sum: 0.0,
                virtual_visits: 0,
                child: NONE,
            });
        }
        let total: f32 = self.edges[first..].iter().map(|e| e.prior).sum();
        for edge in &mut self.edges[first..] {
            edge.prior /= total;
        }
        let n = &mut self.nodes[node as usize];
        n.first_edge = first as u32;
        n.num_edges = (self.edges.len() - first) as u32;
        n.expanded = true;
        n.raw_value = value;
    }

    /// Walks PUCT from the root to a leaf (unexpanded, pending or terminal), creating its
    /// node if its edge had none, and puts a virtual loss on the path.
    fn descend(&mut self) -> Descent {
        let mut node = 0u32;
        let mut path = Vec::new();
        loop {
            let n = &self.nodes[node as usize];
            if !n.expanded || n.terminal.is_some() || n.num_edges == 0 {
                return Descent { path, leaf: node };
            }
            let edge = self.select(node);
            path.push(edge);
            self.nodes[node as usize].virtual_visits += 1;
            self.edges[edge].virtual_visits += 1;
            if self.edges[edge].child == NONE {
                let mut state = self.nodes[node as usize].state.clone();
                state
                    .apply(self.edges[edge].action as usize)
                    .expect("edges hold legal actions");
                let child = self.add_node(state);
                self.edges[edge].child = child;
                return Descent { path, leaf: child };
            }
            node = self.edges[edge].child;
        }
    }

    /// The edge PUCT picks at `node`, virtual losses counted: argmax of Q + U, ties to the
    /// lowest action (the reference's rule).
    fn select(&self, node: u32) -> usize {
        let unvisited = match self.config.first_play_urgency {
            FirstPlayUrgency::Absolute(value) => value,
            reduction => first_play_value(reduction, self.node_value(node)),
        };
        let n = &self.nodes[node as usize];
        let scale = super::config::puct_scale(self.config.c_puct, n.visits + n.virtual_visits);
        let mut best = usize::MAX;
        let mut best_score = f32::NEG_INFINITY;
        for e in self.edges_of(node) {
            let edge = &self.edges[e];
            let visits = edge.visits + edge.virtual_visits;
            let q = if visits > 0 {
                (edge.value_sum - edge.virtual_visits as f32) / visits as f32
            } else {
                unvisited
            };
            let score = q + puct_exploration(scale, edge.prior, visits);
            if best == usize::MAX || score > best_score {
                best = e;
                best_score = score;
            }
        }
        best
    }

    fn remove_virtual_loss(&mut self, path: &[usize]) {
        let mut node = 0u32;
        for &e in path {
            self.nodes[node as usize].virtual_visits -= 1;
            self.edges[e].virtual_visits -= 1;
            node = self.edges[e].child;
        }
    }

    /// Backs the leaf's value (exact if terminal) up the path, flipping its sign per ply.
    fn backup(&mut self, descent: &Descent) {
        let leaf = &mut self.nodes[descent.leaf as usize];
        let mut value = leaf.terminal.unwrap_or(leaf.raw_value);
        leaf.visits += 1;
        for &e in descent.path.iter().rev() {
            value = -value;
            self.edges[e].visits += 1;
            self.edges[e].value_sum += value;
        }
        let mut node = 0u32;
        for &e in &descent.path {
            self.nodes[node as usize].visits += 1;
            node = self.edges[e].child;
        }
        let depth = descent.path.len() as u32;
        self.simulations += 1;
        self.depth_sum += u64::from(depth);
        self.max_depth = self.max_depth.max(depth);
    }

    /// Mean value of `node` from its mover's view (real visits only).
    fn node_value(&self, node: u32) -> f32 {
        let range = self.edges_of(node);
        let visits: u32 = range.clone().map(|e| self.edges[e].visits).sum();
        node_mean_value(
            self.nodes[node as usize].raw_value,
            range.map(|e| self.edges[e].value_sum),
            visits,
        )
    }

    /// The root's mean value from its mover's view (0 before its evaluation).
    pub fn root_value(&self) -> f32 {
        if self.nodes[0].expanded {
            self.node_value(0)
        } else {
            0.0
        }
    }

    /// The edge to play at `node`: most visits, ties to the higher prior, then the higher
    /// mean value, then the lower action.
    fn best_edge(&self, node: u32) -> Option<usize> {
        let key = |e: usize| {
            let edge = &self.edges[e];
            let q = if edge.visits > 0 {
                edge.value_sum / edge.visits as f32
            } else {
                f32::NEG_INFINITY
            };
            (edge.visits, edge.prior, q)
        };
        let mut best: Option<usize> = None;
        for e in self.edges_of(node) {
            let better = match best {
                None => true,
                Some(b) => {
                    let (visits, prior, q) = key(e);
                    let (best_visits, best_prior, best_q) = key(b);
                    (visits, prior) > (best_visits, best_prior)
                        || (visits == best_visits && prior == best_prior && q > best_q)
                }
            };
            if better {
                best = Some(e);
            }
        }
        best
    }

    /// The move to play: the root action with most visits (ties: prior, then value);
    /// `None` before the root's evaluation.
    pub fn best_action(&self) -> Option<usize> {
        self.best_edge(0).map(|e| self.edges[e].action as usize)
    }

    /// Up to `max` actions from the root, each the best ([`Self::best_action`]'s rule) at
    /// its node, while the nodes have been visited.
    pub fn principal_variation(&self, max: usize) -> Vec<usize> {
        let mut line = Vec::new();
        let mut node = 0u32;
        while line.len() < max {
            let Some(e) = self.best_edge(node) else { break };
            let edge = &self.edges[e];
            if edge.visits == 0 && !line.is_empty() {
                break;
            }
            line.push(edge.action as usize);
            if edge.child == NONE {
                break;
            }
            node = edge.child;
        }
        line
    }

    /// The root's children: (action, visits, prior), in action order.
    pub fn root_children(&self) -> Vec<(usize, u32, f32)> {
        self.edges_of(0)
            .map(|e| {
                let edge = &self.edges[e];
                (edge.action as usize, edge.visits, edge.prior)
            })
            .collect()
    }

    /// The whole tree, in the reference search's dump format.
    pub fn tree(&self) -> TreeDump {
        TreeDump {
            root: 0,
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeDump {
                    visits: n.visits,
                    raw_value: n.raw_value,
                    terminal_value: n.terminal,
                    expanded: n.expanded,
                    first_edge: n.first_edge,
                    num_edges: n.num_edges,
                })
                .collect(),
            edges: self
                .edges
                .iter()
                .map(|e| EdgeDump {
                    action: e.action,
                    prior: e.prior,
                    logit: e.logit,
                    visits: e.visits,
                    value_sum: e.value_sum,
                    q: (e.visits > 0).then(|| e.value_sum / e.visits as f32),
                    child: (e.child != NONE).then_some(e.child),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;
    use crate::games::chess::ChessGame;
    use crate::games::clique::{CliqueConfig, CliqueState, Mode};
    use crate::search::{HostEvaluator, Outputs, ReferenceSearch, RootPolicy, SearchConfig};

    /// FNV-1a over the row's bits: a fixed, varied stand-in for a network.
    fn hash_row(row: &[f32]) -> u64 {
        row.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, x| {
            (h ^ u64::from(x.to_bits())).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn unit(h: u64) -> f32 {
        // Top 24 bits as a fraction in [0, 1).
        (h >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Logits in [−2, 2) and values in [−0.9, 0.9) from a hash of each observation.
    fn hashed_outputs(observations: &[f32], rows: usize, num_actions: usize) -> Outputs {
        let len = observations.len() / rows.max(1);
        let mut outputs = Outputs::default();
        for row in observations.chunks_exact(len).take(rows) {
            let h = hash_row(row);
            outputs.values.push(unit(h) * 1.8 - 0.9);
            outputs.logits.extend((0..num_actions).map(|a| {
                let mixed = (h ^ (a as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                    .wrapping_mul(0xbf58_476d_1ce4_e5b9);
                unit(mixed ^ (mixed >> 31)) * 4.0 - 2.0
            }));
        }
        outputs
    }

    fn hashed_evaluator(
        num_actions: usize,
    ) -> HostEvaluator<impl FnMut(&[f32], usize) -> Result<Outputs, SearchError>> {
        HostEvaluator::new(move |observations: &[f32], rows| {
            Ok(hashed_outputs(observations, rows, num_actions))
        })
    }

    fn run_tree<S: GameState>(root: S, batch: usize, simulations: u64) -> TreeSearch<S> {
        let num_actions = root.num_actions();
        let mut search = TreeSearch::new(root, TreeConfig::default(), batch).unwrap();
        let limits = SearchLimits {
            nodes: Some(simulations),
            ..SearchLimits::default()
        };
        let info = search
            .run(
                &mut hashed_evaluator(num_actions),
                &limits,
                &AtomicBool::new(false),
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(info.nodes, simulations);
        search
    }

    /// With one leaf per call the tree is the reference search's, node for node.
    fn assert_matches_reference<S: GameState>(root: S, simulations: u32) {
        let num_actions = root.num_actions();
        let config = SearchConfig {
            simulations,
            policy: RootPolicy::AlphaZero {
                c_puct: 1.25,
                first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                dirichlet: None,
            },
            reuse_subtree: false,
        };
        let mut reference = ReferenceSearch::new(vec![root.clone()], config, 0).unwrap();
        reference.run(&mut hashed_evaluator(num_actions)).unwrap();
        let expected = reference.tree(0);
        let tree = run_tree(root, 1, u64::from(simulations)).tree();
        assert_eq!(tree.nodes.len(), expected.nodes.len());
        let visits = |dump: &TreeDump| -> Vec<(u32, u32)> {
            dump.edges.iter().map(|e| (e.action, e.visits)).collect()
        };
        assert_eq!(visits(&tree), visits(&expected));
        let node_visits =
            |dump: &TreeDump| -> Vec<u32> { dump.nodes.iter().map(|n| n.visits).collect() };
        assert_eq!(node_visits(&tree), node_visits(&expected));
        for (mine, theirs) in tree.edges.iter().zip(&expected.edges) {
            assert_eq!(mine.value_sum, theirs.value_sum);
        }
        // The hashed network must make the search choose unevenly, or the test proves little.
        let root_visits: HashSet<u32> = tree.edges[tree.nodes[0].first_edge as usize
            ..(tree.nodes[0].first_edge + tree.nodes[0].num_edges) as usize]
            .iter()
            .map(|e| e.visits)
            .collect();
        assert!(root_visits.len() > 2, "{root_visits:?}");
    }

    #[test]
    fn one_leaf_per_call_matches_the_reference_on_the_clique_game() {
        for mode in [Mode::Symmetric, Mode::Avoid] {
            let config = CliqueConfig::new(5, 3, mode).unwrap();
            let mut state = CliqueState::new(config);
            assert_matches_reference(state.clone(), 300);
            state.apply(3).unwrap();
            state.apply(7).unwrap();
            assert_matches_reference(state, 300);
        }
    }

    #[test]
    fn one_leaf_per_call_matches_the_reference_on_chess() {
        for fen in [
            "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
            "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
            "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 b - - 0 1",
        ] {
            assert_matches_reference(ChessGame::from_fen(fen).unwrap(), 200);
        }
    }

    fn uci_of(game: &ChessGame, action: usize) -> String {
        let chess_move = crate::games::chess::encoding::move_of(action, game.position()).unwrap();
        crate::games::chess::notation::uci(chess_move)
    }

    #[test]
    fn batched_search_finds_a_mate_in_one_and_does_every_simulation() {
        // Ra8# is the only mate; the hashed network knows nothing of it.
        let game = ChessGame::from_fen("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1").unwrap();
        for batch in [8, 32] {
            let search = run_tree(game.clone(), batch, 403);
            let best = search.best_action().unwrap();
            assert_eq!(uci_of(&game, best), "a1a8", "batch {batch}");
            let total: u32 = search.root_children().iter().map(|c| c.1).sum();
            assert_eq!(total, 403);
            assert_eq!(search.tree().nodes[0].visits, 404);
            let line = search.principal_variation(5);
            assert_eq!(line, vec![best], "a mate ends the line");
            assert!(search.root_value() > 0.5, "{}", search.root_value());
        }
    }

    #[test]
    fn a_batch_never_holds_the_same_leaf_twice_and_batches_fill() {
        let game = ChessGame::default();
        let num_actions = game.num_actions();
        for batch in [4, 16, 64] {
            let mut search = TreeSearch::new(game.clone(), TreeConfig::default(), batch).unwrap();
            let mut largest = 0;
            let mut evaluator = HostEvaluator::new(|observations: &[f32], rows| {
                largest = largest.max(rows);
                Ok(hashed_outputs(observations, rows, num_actions))
            });
            let limits = SearchLimits {
                nodes: Some(1000),
                ..SearchLimits::default()
            };
            let info = search
                .run(
                    &mut evaluator,
                    &limits,
                    &AtomicBool::new(false),
                    &mut |_| {},
                )
                .unwrap();
            let tree = search.tree();
            let expanded = tree.nodes.iter().filter(|n| n.expanded).count() as u64;
            // One row per expanded node: a leaf evaluated twice would add a row.
            assert_eq!(info.evaluations, expanded, "batch {batch}");
            assert_eq!(largest, batch);
            assert!(
                info.evaluations as f64 / info.batches as f64 > batch as f64 / 2.0,
                "batch {batch}: {} rows in {} calls",
                info.evaluations,
                info.batches
            );
            // No virtual loss is left behind.
            assert!(
                search
                    .nodes
                    .iter()
                    .all(|n| n.virtual_visits == 0 && !n.pending)
            );
            assert!(search.edges.iter().all(|e| e.virtual_visits == 0));
            let visits: u32 = search.root_children().iter().map(|c| c.1).sum();
            assert_eq!(u64::from(visits), info.nodes);
        }
    }

    #[test]
    fn the_stop_flag_ends_a_search_without_limits_promptly() {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let worker = std::thread::spawn(move || {
            let game = ChessGame::default();
            let num_actions = game.num_actions();
            let mut search = TreeSearch::new(game, TreeConfig::default(), 8).unwrap();
            let mut reports = 0;
            let info = search
                .run(
                    &mut hashed_evaluator(num_actions),
                    &SearchLimits::default(),
                    &flag,
                    &mut |_| reports += 1,
                )
                .unwrap();
            (info, reports, search.best_action())
        });
        std::thread::sleep(Duration::from_millis(1200));
        let stopped = Instant::now();
        stop.store(true, Ordering::Relaxed);
        let (info, reports, best) = worker.join().unwrap();
        assert!(
            stopped.elapsed() < Duration::from_secs(1),
            "{:?}",
            stopped.elapsed()
        );
        assert!(info.nodes > 0 && best.is_some());
        assert!((1..=4).contains(&reports), "{reports} reports in 1.2 s");
    }

    #[test]
    fn a_set_flag_or_a_past_deadline_still_evaluates_the_root() {
        let game = ChessGame::default();
        let num_actions = game.num_actions();
        let past = SearchLimits {
            deadline: Some(Instant::now()),
            ..SearchLimits::default()
        };
        for (limits, stop) in [(past, false), (SearchLimits::default(), true)] {
            let mut search = TreeSearch::new(game.clone(), TreeConfig::default(), 8).unwrap();
            let info = search
                .run(
                    &mut hashed_evaluator(num_actions),
                    &limits,
                    &AtomicBool::new(stop),
                    &mut |_| {},
                )
                .unwrap();
            assert_eq!((info.nodes, info.evaluations), (0, 1));
            assert!(search.best_action().is_some(), "the prior's choice");
        }
    }

    #[test]
    fn the_tree_size_bound_stops_a_search() {
        let game = ChessGame::default();
        let num_actions = game.num_actions();
        let mut search = TreeSearch::new(game, TreeConfig::default(), 4).unwrap();
        let limits = SearchLimits {
            tree_nodes: Some(60),
            ..SearchLimits::default()
        };
        let info = search
            .run(
                &mut hashed_evaluator(num_actions),
                &limits,
                &AtomicBool::new(false),
                &mut |_| {},
            )
            .unwrap();
        // A round adds at most 4 nodes past the bound.
        assert!((60..64).contains(&info.tree_nodes), "{info:?}");
        assert_eq!(info.tree_nodes, search.tree().nodes.len());
        assert!(info.nodes >= 59, "{info:?}");
    }

    #[test]
    fn finished_positions_and_bad_settings_are_errors() {
        let mated = ChessGame::from_fen("R5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 0 1").unwrap();
        assert!(matches!(
            TreeSearch::new(mated, TreeConfig::default(), 4),
            Err(SearchError::GameOver(_))
        ));
        assert!(TreeSearch::new(ChessGame::default(), TreeConfig::default(), 0).is_err());
        let bad = TreeConfig {
            c_puct: f32::NAN,
            ..TreeConfig::default()
        };
        assert!(TreeSearch::new(ChessGame::default(), bad, 4).is_err());
    }
}
