//! The CPU reference search: plain Rust trees, one per game, searched in lockstep so that
//! every simulation evaluates all games' leaves in one network call. The GPU search
//! implements the same algorithm; with noise off and the same network outputs both give
//! the same visit counts.
//!
//! Conventions (shared with the GPU): an edge's value sum is from the view of the player
//! who chooses it (the parent's player to move); a node's raw value is from its own
//! mover's view; players alternate every move.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Gamma, Gumbel};

use super::config::{
    FirstPlayUrgency, RootPolicy, SearchConfig, considered_score, considered_visit_sequence,
    first_play_value, improved_policy_score, node_mean_value, puct_exploration, puct_scale,
    sigma_completed_q,
};
use super::evaluator::{Evaluator, Outputs};
use super::summary::{RootEdge, summarize};
use super::tree_dump::{EdgeDump, NodeDump, TreeDump};
use super::{SearchError, SearchResult};
use crate::games::GameState;

const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Edge {
    action: u32,
    /// The network's logit for this action.
    logit: f32,
    /// Softmax of the logits over the legal actions.
    raw_prior: f32,
    /// The prior PUCT uses (raw, or mixed with root noise).
    prior: f32,
    visits: u32,
    value_sum: f32,
    /// Root Gumbel noise (0 when off, or below the root).
    gumbel: f32,
    child: u32,
}

#[derive(Clone, Debug)]
struct Node<S> {
    state: S,
    first_edge: u32,
    num_edges: u32,
    expanded: bool,
    /// Exact value for the player to move, if the game is over here.
    terminal: Option<f32>,
    raw_value: f32,
    visits: u32,
}

/// One game's tree.
#[derive(Clone, Debug)]
struct Tree<S> {
    nodes: Vec<Node<S>>,
    edges: Vec<Edge>,
    root: u32,
}

impl<S: GameState> Tree<S> {
    fn new(state: S) -> Self {
        let mut tree = Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            root: 0,
        };
        tree.add_node(state);
        tree
    }

    /// Starts over from `state`, keeping the vectors' capacity for the next search.
    fn restart(&mut self, state: S) {
        self.nodes.clear();
        self.edges.clear();
        self.root = 0;
        self.add_node(state);
    }

    fn add_node(&mut self, state: S) -> u32 {
        let terminal = state.terminal_value();
        self.nodes.push(Node {
            state,
            first_edge: 0,
            num_edges: 0,
            expanded: false,
            terminal,
            raw_value: 0.0,
            visits: 0,
        });
        (self.nodes.len() - 1) as u32
    }

    fn edges_of(&self, node: u32) -> std::ops::Range<usize> {
        let n = &self.nodes[node as usize];
        n.first_edge as usize..(n.first_edge + n.num_edges) as usize
    }

    /// Expands `node` with the network's `logits` (over all actions) and `value`; `mask`
    /// is scratch space of `num_actions` entries.
    fn expand(&mut self, node: u32, logits: &[f32], value: f32, mask: &mut [bool]) {
        self.nodes[node as usize].state.legal_mask(mask);
        let legal = || (0..mask.len()).filter(|&action| mask[action]);
        let max = legal().map(|a| logits[a]).fold(f32::NEG_INFINITY, f32::max);
        let first = self.edges.len();
        for action in legal() {
            // The unnormalised prior first; divided by the total below.
            let weight = (logits[action] - max).exp();
            self.edges.push(Edge {
                action: action as u32,
                logit: logits[action],
                raw_prior: weight,
                prior: weight,
                visits: 0,
                value_sum: 0.0,
                gumbel: 0.0,
                child: NONE,
            });
        }
        let total: f32 = self.edges[first..].iter().map(|e| e.raw_prior).sum();
        for edge in &mut self.edges[first..] {
            edge.raw_prior /= total;
            edge.prior = edge.raw_prior;
        }
        let n = &mut self.nodes[node as usize];
        n.first_edge = first as u32;
        n.num_edges = (self.edges.len() - first) as u32;
        n.expanded = true;
        n.raw_value = value;
    }

    /// Backs the leaf's value up the edges of `path` (walked from the root).
    fn backup(&mut self, path: &[usize], leaf: u32) {
        let tree = self;
        let leaf_node = &mut tree.nodes[leaf as usize];
        // Value for the leaf's player to move.
        let mut value = leaf_node.terminal.unwrap_or(leaf_node.raw_value);
        leaf_node.visits += 1;
        for &e in path.iter().rev() {
            value = -value;
            tree.edges[e].visits += 1;
            tree.edges[e].value_sum += value;
        }
        // Every node on the path above the leaf gains a visit too.
        let mut node = tree.root;
        for &e in path {
            tree.nodes[node as usize].visits += 1;
            node = tree.edges[e].child;
        }
    }

    /// Mean value of `node` from its mover's view: its own evaluation and every backup.
    fn node_value(&self, node: u32) -> f32 {
        let n = &self.nodes[node as usize];
        let visits: u32 = self.edges_of(node).map(|e| self.edges[e].visits).sum();
        node_mean_value(
            n.raw_value,
            self.edges_of(node).map(|e| self.edges[e].value_sum),
            visits,
        )
    }

    fn q(&self, edge: usize) -> f32 {
        let e = &self.edges[edge];
        e.value_sum / e.visits as f32
    }

    /// σ(completed Q) of `node`'s children, in edge order.
    fn sigma(&self, node: u32, c_visit: f32, c_scale: f32) -> Vec<f32> {
        let range = self.edges_of(node);
        let q: Vec<f32> = range
            .clone()
            .map(|e| {
                if self.edges[e].visits > 0 {
                    self.q(e)
                } else {
                    0.0
                }
            })
            .collect();
        let visits: Vec<u32> = range.clone().map(|e| self.edges[e].visits).collect();
        let prior: Vec<f32> = range.map(|e| self.edges[e].raw_prior).collect();
        sigma_completed_q(
            &q,
            &visits,
            &prior,
            self.nodes[node as usize].raw_value,
            c_visit,
            c_scale,
        )
    }

    /// The edge PUCT picks at `node`: argmax of Q + c·P·√N(node)/(1 + N(edge)), ties to
    /// the lowest action.
    fn select_puct(&self, node: u32, c_puct: f32, fpu: FirstPlayUrgency) -> usize {
        // The node's mean value costs a pass over its edges: only a reduction needs it.
        let unvisited = match fpu {
            FirstPlayUrgency::Absolute(value) => value,
            FirstPlayUrgency::Reduction(_) => first_play_value(fpu, self.node_value(node)),
        };
        let scale = puct_scale(c_puct, self.nodes[node as usize].visits);
        let mut best = usize::MAX;
        let mut best_score = f32::NEG_INFINITY;
        for e in self.edges_of(node) {
            let edge = &self.edges[e];
            let q = if edge.visits > 0 {
                self.q(e)
            } else {
                unvisited
            };
            let score = q + puct_exploration(scale, edge.prior, edge.visits);
            if best == usize::MAX || score > best_score {
                best = e;
                best_score = score;
            }
        }
        best
    }

    /// Gumbel MuZero below the root: argmax of π'(a) − N(a)/(1 + ΣN).
    fn select_improved(&self, node: u32, c_visit: f32, c_scale: f32) -> usize {
        let sigma = self.sigma(node, c_visit, c_scale);
        let range = self.edges_of(node);
        let scores: Vec<f32> = range
            .clone()
            .zip(&sigma)
            .map(|(e, s)| self.edges[e].logit + s)
            .collect();
        let probabilities = softmax(&scores);
        let total: u32 = range.clone().map(|e| self.edges[e].visits).sum();
        let mut best = usize::MAX;
        let mut best_score = f32::NEG_INFINITY;
        for (i, e) in range.enumerate() {
            let score = improved_policy_score(probabilities[i], self.edges[e].visits, total);
            if best == usize::MAX || score > best_score {
                best = e;
                best_score = score;
            }
        }
        best
    }

    /// Gumbel MuZero at the root: among actions with exactly `considered_visit` visits,
    /// argmax of g + logit + σ(q).
    fn select_considered(&self, considered_visit: u32, c_visit: f32, c_scale: f32) -> usize {
        let sigma = self.sigma(self.root, c_visit, c_scale);
        let range = self.edges_of(self.root);
        let max_logit = range
            .clone()
            .map(|e| self.edges[e].logit)
            .fold(f32::NEG_INFINITY, f32::max);
        let mut best = usize::MAX;
        let mut best_score = f32::NEG_INFINITY;
        for (i, e) in range.enumerate() {
            let edge = &self.edges[e];
            if edge.visits != considered_visit {
                continue;
            }
            let score = considered_score(edge.gumbel, edge.logit, max_logit, sigma[i]);
            if best == usize::MAX || score > best_score {
                best = e;
                best_score = score;
            }
        }
        best
    }
}

/// Walks from the root of `tree` to a leaf (an unexpanded node, new or root, or a
/// terminal), creating the leaf's node if its edge had none. Leaves the edges walked in
/// `path` and returns the leaf. `sequence`: Gumbel's considered visits (empty otherwise).
fn select<S: GameState>(
    tree: &mut Tree<S>,
    policy: RootPolicy,
    sequence: &[u32],
    path: &mut Vec<usize>,
) -> u32 {
    let mut node = tree.root;
    path.clear();
    loop {
        let n = &tree.nodes[node as usize];
        if !n.expanded || n.terminal.is_some() || n.num_edges == 0 {
            return node;
        }
        let edge = match policy {
            RootPolicy::AlphaZero {
                c_puct,
                first_play_urgency,
                ..
            } => tree.select_puct(node, c_puct, first_play_urgency),
            RootPolicy::Gumbel {
                c_visit, c_scale, ..
            } => {
                if node == tree.root {
                    let total: u32 = tree.edges_of(node).map(|e| tree.edges[e].visits).sum();
                    let index = (total as usize).min(sequence.len().saturating_sub(1));
                    let considered = sequence.get(index).copied().unwrap_or(0);
                    let chosen = tree.select_considered(considered, c_visit, c_scale);
                    if chosen == usize::MAX {
                        tree.select_improved(node, c_visit, c_scale)
                    } else {
                        chosen
                    }
                } else {
                    tree.select_improved(node, c_visit, c_scale)
                }
            }
        };
        path.push(edge);
        if tree.edges[edge].child == NONE {
            let mut state = tree.nodes[node as usize].state.clone();
            state
                .apply(tree.edges[edge].action as usize)
                .expect("edges hold legal actions");
            let child = tree.add_node(state);
            tree.edges[edge].child = child;
            return child;
        }
        node = tree.edges[edge].child;
    }
}

pub fn softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = x.iter().map(|v| (v - max).exp()).collect();
    let total: f32 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

/// Searches many games at once on the CPU, keeping their trees between moves.
///
/// A search is a sequence of steps, each asking for one batched network call ([`Step`]):
/// [`ReferenceSearch::start`], then [`ReferenceSearch::step`] with each call's outputs
/// until it reports the results. The caller evaluates however it likes (on the GPU without
/// waiting, for the training loop); [`ReferenceSearch::run`] is the blocking loop.
pub struct ReferenceSearch<S: GameState> {
    trees: Vec<Tree<S>>,
    config: SearchConfig,
    rng: StdRng,
    /// Scratch: one legal mask, and the observations of one network call.
    mask: Vec<bool>,
    observations: Vec<f32>,
    phase: Phase,
    /// (game, node) of the positions whose evaluation was asked for.
    awaiting: Vec<(usize, u32)>,
    /// Per game: Gumbel's considered-visit sequence (empty for AlphaZero).
    sequences: Vec<Vec<u32>>,
    /// Per game: the edges of the current walk, and its leaf.
    paths: Vec<Vec<usize>>,
    leaves: Vec<u32>,
}

/// Where a search stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No search under way.
    Idle,
    /// The roots not yet evaluated are being evaluated.
    Roots,
    /// Simulation `index` (counting from 0) waits for its leaves' evaluation.
    Simulation { index: u32 },
}

/// What a search needs next.
#[derive(Debug)]
pub enum Step {
    /// Evaluate `rows` observations ([`ReferenceSearch::observations`]) and pass the
    /// network's outputs to the next [`ReferenceSearch::step`].
    Evaluate { rows: usize },
    /// The search is over: one result per game.
    Finished(Vec<SearchResult>),
}

impl<S: GameState> ReferenceSearch<S> {
    pub fn new(roots: Vec<S>, config: SearchConfig, seed: u64) -> Result<Self, SearchError> {
        config.check()?;
        if roots.is_empty() {
            return Err(SearchError::Config(
                "the search needs at least one game".into(),
            ));
        }
        if let Some(over) = roots.iter().position(|s| s.terminal_value().is_some()) {
            return Err(SearchError::GameOver(over));
        }
        let games = roots.len();
        Ok(Self {
            trees: roots.into_iter().map(Tree::new).collect(),
            config,
            rng: StdRng::seed_from_u64(seed),
            mask: Vec::new(),
            observations: Vec::new(),
            phase: Phase::Idle,
            awaiting: Vec::new(),
            sequences: vec![Vec::new(); games],
            paths: vec![Vec::new(); games],
            leaves: vec![0; games],
        })
    }

    /// Plays `action` in game `game`: keeps the child's subtree if configured and it
    /// exists, else starts a fresh tree. A finished game gets a fresh tree only to hold
    /// the state; search it no further.
    pub fn advance(&mut self, game: usize, action: usize) -> Result<(), SearchError> {
        self.check_idle()?;
        let tree = &mut self.trees[game];
        let root = tree.root;
        let edge = tree
            .edges_of(root)
            .find(|&e| tree.edges[e].action as usize == action);
        if self.config.reuse_subtree
            && let Some(e) = edge
            && tree.edges[e].child != NONE
        {
            tree.root = tree.edges[e].child;
            return Ok(());
        }
        let mut state = tree.nodes[root as usize].state.clone();
        state.apply(action)?;
        tree.restart(state);
        Ok(())
    }

    /// Starts game `game` afresh from `state` (a new tree; self-play replaces a finished
    /// game this way). A finished `state` is an error: there would be nothing to search.
    pub fn reset(&mut self, game: usize, state: S) -> Result<(), SearchError> {
        self.check_idle()?;
        if state.terminal_value().is_some() {
            return Err(SearchError::GameOver(game));
        }
        self.trees[game].restart(state);
        Ok(())
    }

    fn check_idle(&self) -> Result<(), SearchError> {
        if self.phase == Phase::Idle {
            Ok(())
        } else {
            Err(SearchError::Config(
                "a search is under way: finish it before changing the games".into(),
            ))
        }
    }

    /// Games searched in lockstep.
    pub fn games(&self) -> usize {
        self.trees.len()
    }

    /// Game `game`'s whole tree.
    pub fn tree(&self, game: usize) -> TreeDump {
        let tree = &self.trees[game];
        TreeDump {
            root: tree.root,
            nodes: tree
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
            edges: tree
                .edges
                .iter()
                .map(|e| EdgeDump {
                    action: e.action,
                    prior: e.raw_prior,
                    logit: e.logit,
                    visits: e.visits,
                    value_sum: e.value_sum,
                    q: (e.visits > 0).then(|| e.value_sum / e.visits as f32),
                    child: (e.child != NONE).then_some(e.child),
                })
                .collect(),
        }
    }

    pub fn root_state(&self, game: usize) -> &S {
        let tree = &self.trees[game];
        &tree.nodes[tree.root as usize].state
    }

    /// Runs one search from every game's root, evaluating with `evaluator` and waiting
    /// for each call (tools and tests; the training loop steps instead).
    pub fn run(&mut self, evaluator: &mut dyn Evaluator) -> Result<Vec<SearchResult>, SearchError> {
        self.start();
        let mut outputs = None;
        loop {
            match self.step(outputs.as_ref())? {
                Step::Finished(results) => return Ok(results),
                Step::Evaluate { rows } => {
                    evaluator.start(&self.observations, rows)?;
                    outputs = Some(evaluator.wait()?);
                }
            }
        }
    }

    /// (simulations done, simulations) of the search under way.
    pub fn progress(&self) -> (u32, u32) {
        let done = match self.phase {
            Phase::Simulation { index } => index,
            Phase::Idle | Phase::Roots => 0,
        };
        (done, self.config.simulations)
    }

    /// Begins one search from every game's root (abandoning any search under way).
    pub fn start(&mut self) {
        self.phase = Phase::Roots;
        self.awaiting.clear();
    }

    /// Goes on with the search: `outputs` are the network's outputs for the observations
    /// the previous step asked for (`None` for the first step after [`Self::start`]).
    pub fn step(&mut self, outputs: Option<&Outputs>) -> Result<Step, SearchError> {
        match self.step_until(outputs, u32::MAX)? {
            Some(step) => Ok(step),
            None => Err(SearchError::Config(
                "the search paused before u32::MAX simulations".into(),
            )),
        }
    }

    /// [`Self::step`], pausing once `pause_at` simulations are done: then it returns
    /// `None` and the search stays under way (its tree is whole, no evaluation is asked
    /// for); call again with no outputs and a higher `pause_at` to go on. The pause comes
    /// before the end: with `pause_at` ≤ the simulations the search never finishes, so a
    /// caller may still raise them ([`Self::set_simulations`]). Pausing changes nothing
    /// in what the search computes.
    pub fn step_until(
        &mut self,
        outputs: Option<&Outputs>,
        pause_at: u32,
    ) -> Result<Option<Step>, SearchError> {
        if self.phase == Phase::Idle {
            return Err(SearchError::Config(
                "no search is under way: call start first".into(),
            ));
        }
        if !self.awaiting.is_empty() {
            let outputs = outputs.ok_or_else(|| {
                SearchError::Config("the search is waiting for network outputs".into())
            })?;
            self.expand_awaiting(outputs)?;
            match self.phase {
                Phase::Roots => self.prepare_roots(),
                Phase::Simulation { index } => {
                    self.backup_all();
                    self.phase = Phase::Simulation { index: index + 1 };
                }
                Phase::Idle => unreachable!("checked above"),
            }
        } else if self.phase == Phase::Roots {
            self.awaiting = (0..self.trees.len())
                .filter(|&g| {
                    let t = &self.trees[g];
                    !t.nodes[t.root as usize].expanded
                })
                .map(|g| (g, self.trees[g].root))
                .collect();
            if !self.awaiting.is_empty() {
                return Ok(Some(self.ask_for_evaluation()));
            }
            self.prepare_roots();
        }
        while let Phase::Simulation { index } = self.phase {
            if index >= pause_at {
                return Ok(None);
            }
            if index >= self.config.simulations {
                break;
            }
            self.select_all();
            self.awaiting = (0..self.trees.len())
                .filter(|&g| {
                    let node = &self.trees[g].nodes[self.leaves[g] as usize];
                    node.terminal.is_none() && !node.expanded
                })
                .map(|g| (g, self.leaves[g]))
                .collect();
            if !self.awaiting.is_empty() {
                return Ok(Some(self.ask_for_evaluation()));
            }
            self.backup_all();
            self.phase = Phase::Simulation { index: index + 1 };
        }
        self.phase = Phase::Idle;
        let num_actions = self.trees[0].nodes[0].state.num_actions();
        Ok(Some(Step::Finished(
            (0..self.trees.len())
                .map(|g| self.result(g, num_actions))
                .collect(),
        )))
    }

    /// Changes the simulations of the search under way (or of the next). PUCT's
    /// selection does not depend on them, so a paused PUCT search may be extended and
    /// ends as one run with the new count would. Gumbel's visit schedule is fixed from
    /// them when the roots are prepared: a Gumbel search under way refuses the change.
    /// Fewer simulations than already done is an error.
    pub fn set_simulations(&mut self, simulations: u32) -> Result<(), SearchError> {
        if let Phase::Simulation { index } = self.phase {
            if matches!(self.config.policy, RootPolicy::Gumbel { .. }) {
                return Err(SearchError::Config(
                    "a Gumbel search's visit schedule depends on its simulations: they \
                     cannot change while it is under way"
                        .into(),
                ));
            }
            if simulations < index {
                return Err(SearchError::Config(format!(
                    "{index} simulations are done already; {simulations} is fewer"
                )));
            }
        }
        self.config.simulations = simulations;
        Ok(())
    }

    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// What the search of game `game` has found so far, by the rules of its end result
    /// (after the roots' evaluation; before it, the root has no children).
    pub fn result_so_far(&self, game: usize) -> SearchResult {
        let num_actions = self.trees[game].nodes[0].state.num_actions();
        self.result(game, num_actions)
    }

    /// The observations the last [`Step::Evaluate`] asks to evaluate,
    /// `[rows, observation_len]`.
    pub fn observations(&self) -> &[f32] {
        &self.observations
    }

    /// The observations of the awaited positions, as the next step.
    fn ask_for_evaluation(&mut self) -> Step {
        let observation_len = self.trees[0].nodes[0].state.observation_len();
        let rows = self.awaiting.len();
        self.observations.resize(rows * observation_len, 0.0);
        for (&(g, node), row) in self
            .awaiting
            .iter()
            .zip(self.observations.chunks_exact_mut(observation_len))
        {
            self.trees[g].nodes[node as usize]
                .state
                .write_observation(row);
        }
        Step::Evaluate { rows }
    }

    /// Expands the awaited positions with the network's outputs.
    fn expand_awaiting(&mut self, outputs: &Outputs) -> Result<(), SearchError> {
        let num_actions = self.trees[0].nodes[0].state.num_actions();
        let rows = self.awaiting.len();
        if outputs.logits.len() < rows * num_actions || outputs.values.len() < rows {
            return Err(SearchError::Config(format!(
                "the network returned {} logits and {} values for {rows} positions of \
                 {num_actions} actions",
                outputs.logits.len(),
                outputs.values.len()
            )));
        }
        self.mask.resize(num_actions, false);
        for (i, &(g, node)) in self.awaiting.iter().enumerate() {
            self.trees[g].expand(
                node,
                &outputs.logits[i * num_actions..(i + 1) * num_actions],
                outputs.values[i],
                &mut self.mask,
            );
        }
        self.awaiting.clear();
        Ok(())
    }

    /// After the roots' evaluation: each root's own visit, root noise, and Gumbel's
    /// visit sequences; then the first simulation.
    fn prepare_roots(&mut self) {
        for g in 0..self.trees.len() {
            let root = self.trees[g].root;
            if self.trees[g].nodes[root as usize].visits == 0 {
                self.trees[g].nodes[root as usize].visits = 1;
            }
            self.prepare_root(g);
            self.sequences[g] = match self.config.policy {
                RootPolicy::Gumbel { max_considered, .. } => {
                    let legal = self.trees[g].nodes[self.trees[g].root as usize].num_edges;
                    considered_visit_sequence(max_considered.min(legal), self.config.simulations)
                }
                RootPolicy::AlphaZero { .. } => Vec::new(),
            };
        }
        self.phase = Phase::Simulation { index: 0 };
    }

    fn select_all(&mut self) {
        let policy = self.config.policy;
        for (((tree, sequence), path), leaf) in self
            .trees
            .iter_mut()
            .zip(&self.sequences)
            .zip(&mut self.paths)
            .zip(&mut self.leaves)
        {
            *leaf = select(tree, policy, sequence, path);
        }
    }

    fn backup_all(&mut self) {
        for ((tree, path), &leaf) in self.trees.iter_mut().zip(&self.paths).zip(&self.leaves) {
            tree.backup(path, leaf);
        }
    }

    /// Root noise for this search: Dirichlet-mixed priors, or Gumbel draws.
    fn prepare_root(&mut self, game: usize) {
        let tree = &mut self.trees[game];
        let range = tree.edges_of(tree.root);
        match self.config.policy {
            RootPolicy::AlphaZero {
                dirichlet: Some((alpha, epsilon)),
                ..
            } => {
                let gamma = Gamma::new(alpha, 1.0).expect("α > 0 is checked");
                let draws: Vec<f32> = range.clone().map(|_| gamma.sample(&mut self.rng)).collect();
                let total: f32 = draws.iter().sum::<f32>().max(f32::MIN_POSITIVE);
                for (e, draw) in range.zip(draws) {
                    let edge = &mut tree.edges[e];
                    edge.prior = (1.0 - epsilon) * edge.raw_prior + epsilon * draw / total;
                }
            }
            RootPolicy::Gumbel {
                gumbel_noise: true, ..
            } => {
                let gumbel = Gumbel::new(0.0f32, 1.0).expect("valid Gumbel");
                for e in range {
                    tree.edges[e].gumbel = gumbel.sample(&mut self.rng);
                }
            }
            _ => {
                for e in range {
                    tree.edges[e].prior = tree.edges[e].raw_prior;
                    tree.edges[e].gumbel = 0.0;
                }
            }
        }
    }

    fn result(&self, game: usize, num_actions: usize) -> SearchResult {
        let tree = &self.trees[game];
        let edges: Vec<RootEdge> = tree
            .edges_of(tree.root)
            .map(|e| {
                let edge = &tree.edges[e];
                RootEdge {
                    action: edge.action,
                    raw_prior: edge.raw_prior,
                    logit: edge.logit,
                    visits: edge.visits,
                    value_sum: edge.value_sum,
                    gumbel: edge.gumbel,
                }
            })
            .collect();
        let raw_value = tree.nodes[tree.root as usize].raw_value;
        summarize(&self.config.policy, raw_value, &edges, num_actions)
    }
}
