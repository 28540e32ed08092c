//! Tree files: a searched tree that says what it is. `wgzero search --tree FILE` writes
//! one, `wgzero search --show-tree FILE` and the app read them, the app saves them.
//!
//! JSON, one object:
//! - `format_version` ([`TREE_FORMAT_VERSION`]; another version is refused by name);
//! - `game`: the [`GameSpec`], e.g. `{"clique": {"n": 6, "k": 3, "mode": "avoid"}}`;
//! - `position`: the root position as the moves played from the game's start;
//! - `policy`: the [`RootPolicy`] with its constants (root noise always off), and
//!   `simulations` (the search's total S, for which Gumbel plans its root visits) and
//!   `simulations_done` (fewer when saved mid-search);
//! - `network`: which network evaluated ([`NetworkSource`]);
//! - `tree`: the [`TreeDump`]. A node's position is not stored: it is the root position
//!   followed by the actions of the edges from the root ([`TreeFile::moves_to`],
//!   [`TreeFile::position_of`]).
//!
//! Loading checks everything a search guarantees ([`TreeFile::validate`]) and turns any
//! bad input into a [`TreeFileError`] naming the file and the problem, never a panic:
//! not JSON, another format version, indices out of range, cycles, unreachable or shared
//! nodes, edges whose actions are not exactly the legal moves of the position they leave
//! (replayed with the game's Rust rules), terminal flags the rules disagree with, visit
//! counts that do not add up, values out of range, an illegal root position.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SearchResult;
use super::config::{RootPolicy, SearchConfig};
use super::interactive::InteractiveSearch;
use super::selection::{NodeSelection, selection_at};
use super::summary::{RootEdge, summarize};
use super::tree_dump::TreeDump;
use crate::games::{Game, GameError, GameSpec, GameState, GameVisitor};
use crate::storage;

/// The format version this build writes and reads.
pub const TREE_FORMAT_VERSION: u64 = 1;

/// The most simulations a tree file may claim (Gumbel's schedule is computed for them).
pub const MAX_TREE_SIMULATIONS: u32 = 10_000_000;

/// Which network evaluated the positions of a tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkSource {
    /// Uniform priors and value 0 (`nn::uniform::Uniform`).
    Uniform,
    /// A saved checkpoint: the JSON file it was loaded from, its training iteration and
    /// the SHA-256 of its tensors file (lowercase hex, as its JSON records it), which
    /// tells whether a checkpoint at that path now is the same network.
    Checkpoint {
        path: PathBuf,
        iteration: u64,
        tensors_sha256: String,
    },
    /// A network shipped with wgzero, by name.
    Bundled { name: String },
}

/// A self-describing searched tree (see the module's notes for the format).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeFile {
    pub format_version: u64,
    pub game: GameSpec,
    /// The root position: the moves played from the game's start, in order.
    pub position: Vec<usize>,
    pub policy: RootPolicy,
    /// The search's total simulations.
    pub simulations: u32,
    /// Simulations done when the tree was saved (`tree`'s root has 1 + these visits once
    /// evaluated).
    pub simulations_done: u32,
    pub network: NetworkSource,
    pub tree: TreeDump,
}

/// Why a tree file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TreeFileError {
    #[error("cannot {action} tree file {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a wgzero tree file: {reason}")]
    NotATreeFile { path: PathBuf, reason: String },
    #[error(
        "tree file {path} has format version {found}; this build reads version \
         {TREE_FORMAT_VERSION} (written by another wgzero version?)"
    )]
    UnsupportedVersion { path: PathBuf, found: String },
    #[error("tree file {path}: {problem}")]
    Invalid { path: PathBuf, problem: TreeProblem },
}

/// What is wrong inside a tree file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TreeProblem {
    #[error("its game settings are invalid: {0}")]
    Game(String),
    #[error("its search settings are invalid: {0}")]
    Search(String),
    #[error("its root position is illegal: {0}")]
    RootPosition(String),
    #[error("an index is out of range: {0}")]
    OutOfRange(String),
    #[error("the tree has a cycle through node {node}")]
    Cycle { node: u32 },
    #[error("it is not one tree: {0}")]
    Structure(String),
    #[error(
        "edge {edge} of node {node} plays action {action}, which is illegal in that node's \
         position"
    )]
    IllegalAction { node: u32, edge: u32, action: u32 },
    #[error("node {node}: {reason}")]
    Position { node: u32, reason: String },
    #[error("visit counts disagree: {0}")]
    Counts(String),
    #[error("a value is out of range: {0}")]
    Values(String),
}

/// The position after `moves` from `game`'s start, each move checked by the rules; an
/// error names the first move that is not legal.
pub fn replay<G: Game>(game: &G, moves: &[usize]) -> Result<G::State, GameError> {
    let mut state = game.initial_state();
    for (index, &action) in moves.iter().enumerate() {
        if action >= state.num_actions() {
            return Err(GameError::InvalidPosition(format!(
                "move {index} is action {action}; actions are below {}",
                state.num_actions()
            )));
        }
        state.apply(action).map_err(|error| {
            GameError::InvalidPosition(format!("move {index} (action {action}): {error}"))
        })?;
    }
    Ok(state)
}

impl TreeFile {
    /// A tree file of the current format.
    pub fn new(
        game: GameSpec,
        position: Vec<usize>,
        search: &SearchConfig,
        simulations_done: u32,
        network: NetworkSource,
        tree: TreeDump,
    ) -> Self {
        Self {
            format_version: TREE_FORMAT_VERSION,
            game,
            position,
            policy: search.policy,
            simulations: search.simulations,
            simulations_done,
            network,
            tree,
        }
    }

    /// The tree of an interactive search as it stands, from `position` (the moves its root
    /// state was reached by) of `game`, evaluated by `network`.
    pub fn from_search<S: GameState>(
        game: GameSpec,
        position: Vec<usize>,
        network: NetworkSource,
        search: &InteractiveSearch<S>,
    ) -> Self {
        Self::new(
            game,
            position,
            search.config(),
            search.simulations_done(),
            network,
            search.tree(),
        )
    }

    /// Reads and checks the tree file at `path`.
    pub fn load(path: &Path) -> Result<Self, TreeFileError> {
        let text = storage::read_text(path).map_err(|source| TreeFileError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parses and checks a tree file's text; `origin` names it in errors (a path, or a
    /// name where there is no file system).
    pub fn from_json(text: &str, origin: &Path) -> Result<Self, TreeFileError> {
        let not_tree = |reason: String| TreeFileError::NotATreeFile {
            path: origin.to_path_buf(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| not_tree(format!("not JSON ({error})")))?;
        let Some(version) = value.get("format_version") else {
            return Err(not_tree("it has no format_version".into()));
        };
        if version.as_u64() != Some(TREE_FORMAT_VERSION) {
            return Err(TreeFileError::UnsupportedVersion {
                path: origin.to_path_buf(),
                found: version.to_string(),
            });
        }
        let file: TreeFile =
            serde_json::from_value(value).map_err(|error| not_tree(error.to_string()))?;
        file.validate().map_err(|problem| TreeFileError::Invalid {
            path: origin.to_path_buf(),
            problem,
        })?;
        Ok(file)
    }

    /// The file's text (checked first: an invalid tree is not written).
    pub fn to_json(&self, origin: &Path) -> Result<String, TreeFileError> {
        self.validate().map_err(|problem| TreeFileError::Invalid {
            path: origin.to_path_buf(),
            problem,
        })?;
        let mut text = serde_json::to_string(self).map_err(|error| TreeFileError::Io {
            action: "encode",
            path: origin.to_path_buf(),
            source: error.into(),
        })?;
        text.push('\n');
        Ok(text)
    }

    /// Checks the tree and writes it to `path`, replacing the file whole (a temporary
    /// file in the same folder, then a rename), so a reader never sees half of it; the
    /// folder's sync then makes the rename durable (in a browser: stores it).
    pub fn save(&self, path: &Path) -> Result<(), TreeFileError> {
        let text = self.to_json(path)?;
        let io = |action, source| TreeFileError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let name = path
            .file_name()
            .ok_or_else(|| io("write", std::io::Error::other("the path names no file")))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(".tmp");
        let temporary = path.with_file_name(temporary_name);
        storage::write_file(&temporary, text.as_bytes()).map_err(|source| io("write", source))?;
        storage::rename(&temporary, path).map_err(|source| {
            let _ = storage::remove_file(&temporary);
            io("write", source)
        })?;
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        storage::sync_directory(folder).map_err(|source| io("write", source))
    }

    /// All moves from the game's start to `node`: the root position, then the actions of
    /// the edges from the root. `None` if no path from the root leads to `node`.
    pub fn moves_to(&self, node: u32) -> Option<Vec<usize>> {
        let mut moves = self.position.clone();
        moves.extend(self.tree.actions_to(node)?);
        Some(moves)
    }

    /// `node`'s position, replayed with `game`'s rules (`game` must be the file's game:
    /// its label is compared).
    pub fn position_of<G: Game>(&self, game: &G, node: u32) -> Result<G::State, TreeProblem> {
        let expected = self.game.info().label();
        if game.label() != expected {
            return Err(TreeProblem::Game(format!(
                "the file's game is {expected}, not {}",
                game.label()
            )));
        }
        let moves = self.moves_to(node).ok_or_else(|| TreeProblem::Position {
            node,
            reason: "no path from the root leads to it".into(),
        })?;
        replay(game, &moves).map_err(|error| TreeProblem::Position {
            node,
            reason: error.to_string(),
        })
    }

    /// Selection at `node`: N, P, Q, U per child and the child the next simulation would
    /// walk ([`selection_at`]). `None` if there is no such node.
    pub fn selection(&self, node: u32) -> Option<NodeSelection> {
        selection_at(&self.tree, node, &self.policy, self.simulations)
    }

    /// The search's result at the root, by the rules the searches report it with (the
    /// chosen move, the children, the policy target, the root's value).
    pub fn root_result(&self) -> SearchResult {
        let edges: Vec<RootEdge> = self.tree.edges[self.tree.edges_of(self.tree.root)]
            .iter()
            .map(|e| RootEdge {
                action: e.action,
                raw_prior: e.prior,
                logit: e.logit,
                visits: e.visits,
                value_sum: e.value_sum,
                gumbel: 0.0,
            })
            .collect();
        let num_actions = edges
            .iter()
            .map(|e| e.action as usize + 1)
            .max()
            .unwrap_or(0)
            .max(self.game.info().num_actions());
        let raw_value = self
            .tree
            .nodes
            .get(self.tree.root as usize)
            .map_or(0.0, |n| n.raw_value);
        summarize(&self.policy, raw_value, &edges, num_actions)
    }

    /// Checks everything a search guarantees of its tree (see the module's notes).
    pub fn validate(&self) -> Result<(), TreeProblem> {
        if self.format_version != TREE_FORMAT_VERSION {
            return Err(TreeProblem::Search(format!(
                "format version {} is not {TREE_FORMAT_VERSION}",
                self.format_version
            )));
        }
        self.game
            .validate()
            .map_err(|error| TreeProblem::Game(error.to_string()))?;
        self.check_search()?;
        check_structure(&self.tree)?;
        check_counts(&self.tree, self.simulations_done)?;
        check_values(&self.tree)?;
        self.game.visit(CheckPositions { file: self })
    }

    fn check_search(&self) -> Result<(), TreeProblem> {
        let config = SearchConfig {
            simulations: self.simulations,
            policy: self.policy,
            reuse_subtree: false,
        };
        config
            .check()
            .map_err(|error| TreeProblem::Search(error.to_string()))?;
        let noisy = match self.policy {
            RootPolicy::AlphaZero { dirichlet, .. } => dirichlet.is_some(),
            RootPolicy::Gumbel { gumbel_noise, .. } => gumbel_noise,
        };
        if noisy {
            return Err(TreeProblem::Search(
                "root noise is on; a tree file holds searches without it".into(),
            ));
        }
        if let RootPolicy::AlphaZero {
            first_play_urgency, ..
        } = self.policy
        {
            let value = match first_play_urgency {
                super::FirstPlayUrgency::Absolute(value)
                | super::FirstPlayUrgency::Reduction(value) => value,
            };
            if !value.is_finite() {
                return Err(TreeProblem::Search(format!(
                    "first-play urgency {value} is not a finite number"
                )));
            }
        }
        if let RootPolicy::Gumbel {
            c_visit, c_scale, ..
        } = self.policy
            && !(c_visit.is_finite() && c_scale.is_finite())
        {
            return Err(TreeProblem::Search(format!(
                "Gumbel's c_visit {c_visit} and c_scale {c_scale} must be finite"
            )));
        }
        if self.simulations > MAX_TREE_SIMULATIONS {
            return Err(TreeProblem::Search(format!(
                "{} simulations is more than {MAX_TREE_SIMULATIONS}",
                self.simulations
            )));
        }
        if self.simulations_done > self.simulations {
            return Err(TreeProblem::Counts(format!(
                "{} simulations done of {}",
                self.simulations_done, self.simulations
            )));
        }
        Ok(())
    }
}

/// Indices in range, each edge owned by one node, no cycles, each node but the root the
/// child of exactly one edge, every node reachable from the root.
fn check_structure(tree: &TreeDump) -> Result<(), TreeProblem> {
    let nodes = tree.nodes.len();
    let edges = tree.edges.len();
    if tree.root as usize >= nodes {
        return Err(TreeProblem::OutOfRange(format!(
            "the root is node {}, but there are {nodes} nodes",
            tree.root
        )));
    }
    let mut owner: Vec<Option<u32>> = vec![None; edges];
    for (index, node) in tree.nodes.iter().enumerate() {
        let end = node.first_edge as u64 + node.num_edges as u64;
        if end > edges as u64 {
            return Err(TreeProblem::OutOfRange(format!(
                "node {index} has edges {}..{end}, but there are {edges} edges",
                node.first_edge
            )));
        }
        let first = node.first_edge as usize;
        for (offset, slot) in owner[first..end as usize].iter_mut().enumerate() {
            if let Some(other) = slot {
                return Err(TreeProblem::Structure(format!(
                    "edge {} belongs to nodes {other} and {index}",
                    first + offset
                )));
            }
            *slot = Some(index as u32);
        }
    }
    for (index, edge) in tree.edges.iter().enumerate() {
        if owner[index].is_none() {
            return Err(TreeProblem::Structure(format!(
                "edge {index} belongs to no node"
            )));
        }
        if let Some(child) = edge.child
            && child as usize >= nodes
        {
            return Err(TreeProblem::OutOfRange(format!(
                "edge {index} leads to node {child}, but there are {nodes} nodes"
            )));
        }
    }
    // Depth first from the root: an edge back to a node on the current path closes a
    // cycle; one to a node finished earlier makes it a shared child.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; nodes];
    let mut stack: Vec<(u32, usize)> = vec![(tree.root, tree.edges_of(tree.root).start)];
    mark[tree.root as usize] = Mark::OnPath;
    while let Some((node, edge)) = stack.last_mut() {
        let node = *node;
        if *edge == tree.edges_of(node).end {
            mark[node as usize] = Mark::Done;
            stack.pop();
            continue;
        }
        let index = *edge;
        *edge += 1;
        let Some(child) = tree.edges[index].child else {
            continue;
        };
        match mark[child as usize] {
            Mark::OnPath => return Err(TreeProblem::Cycle { node: child }),
            Mark::Done => {
                return Err(TreeProblem::Structure(format!(
                    "node {child} is reached twice (edge {index} of node {node} leads to it \
                     too)"
                )));
            }
            Mark::New => {
                mark[child as usize] = Mark::OnPath;
                stack.push((child, tree.edges_of(child).start));
            }
        }
    }
    if let Some(lost) = mark.iter().position(|&m| m == Mark::New) {
        return Err(TreeProblem::Structure(format!(
            "node {lost} is not reachable from the root"
        )));
    }
    Ok(())
}

/// Values a search can produce: finite, values in [−1, 1], priors in [0, 1] summing to 1
/// at each expanded node, value sums within their visits, Q their mean.
fn check_values(tree: &TreeDump) -> Result<(), TreeProblem> {
    const SLACK: f32 = 1e-4;
    let bad = |what: String| Err(TreeProblem::Values(what));
    for (index, node) in tree.nodes.iter().enumerate() {
        if !(node.raw_value.is_finite() && node.raw_value.abs() <= 1.0 + SLACK) {
            return bad(format!(
                "node {index}'s value {} is not in [-1, 1]",
                node.raw_value
            ));
        }
        if let Some(value) = node.terminal_value
            && !(value.is_finite() && value.abs() <= 1.0)
        {
            return bad(format!(
                "node {index}'s terminal value {value} is not in [-1, 1]"
            ));
        }
        if node.num_edges > 0 {
            let total: f32 = tree.edges[tree.edges_of(index as u32)]
                .iter()
                .map(|e| e.prior)
                .sum();
            let off = (total - 1.0).abs();
            if off.is_nan() || off > 1e-3 {
                return bad(format!("node {index}'s priors sum to {total}, not 1"));
            }
        }
    }
    for (index, edge) in tree.edges.iter().enumerate() {
        if !(edge.prior.is_finite() && (0.0..=1.0).contains(&edge.prior)) {
            return bad(format!(
                "edge {index}'s prior {} is not in [0, 1]",
                edge.prior
            ));
        }
        if !edge.logit.is_finite() {
            return bad(format!("edge {index}'s logit {} is not finite", edge.logit));
        }
        let visits = edge.visits as f32;
        if !(edge.value_sum.is_finite() && edge.value_sum.abs() <= visits * (1.0 + SLACK)) {
            return bad(format!(
                "edge {index}'s value sum {} is not within ±{} visits",
                edge.value_sum, edge.visits
            ));
        }
        match edge.q {
            None if edge.visits > 0 => {
                return bad(format!("edge {index} has {} visits but no Q", edge.visits));
            }
            Some(q) if edge.visits == 0 => {
                return bad(format!("edge {index} has no visits but Q {q}"));
            }
            Some(q)
                if (q - edge.value_sum / visits).abs().is_nan()
                    || (q - edge.value_sum / visits).abs() > SLACK =>
            {
                return bad(format!(
                    "edge {index}'s Q {q} is not its value sum {} over {} visits",
                    edge.value_sum, edge.visits
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Visits as the searches count them: a node with edges has 1 + their visits, an edge
/// as many as its child (none without one), an unevaluated node none, the root 1 + the
/// simulations done.
fn check_counts(tree: &TreeDump, simulations_done: u32) -> Result<(), TreeProblem> {
    let bad = |what: String| Err(TreeProblem::Counts(what));
    for (index, node) in tree.nodes.iter().enumerate() {
        let edges = &tree.edges[tree.edges_of(index as u32)];
        let through: u64 = edges.iter().map(|e| e.visits as u64).sum();
        if node.num_edges > 0 && node.visits as u64 != 1 + through {
            return bad(format!(
                "node {index} has {} visits, its edges {through} (expected 1 more: its \
                 own evaluation)",
                node.visits
            ));
        }
        if !node.expanded && node.terminal_value.is_none() && node.visits != 0 {
            return bad(format!(
                "node {index} is not evaluated yet has {} visits",
                node.visits
            ));
        }
    }
    for (index, edge) in tree.edges.iter().enumerate() {
        match edge.child {
            None if edge.visits > 0 => {
                return bad(format!(
                    "edge {index} has {} visits but leads to no node",
                    edge.visits
                ));
            }
            Some(child) if tree.nodes[child as usize].visits != edge.visits => {
                return bad(format!(
                    "edge {index} has {} visits, its node {child} {}",
                    edge.visits, tree.nodes[child as usize].visits
                ));
            }
            _ => {}
        }
    }
    let root = &tree.nodes[tree.root as usize];
    let expected = if root.expanded {
        1 + simulations_done as u64
    } else {
        0
    };
    if root.visits as u64 != expected || (!root.expanded && simulations_done > 0) {
        return bad(format!(
            "the root has {} visits after {simulations_done} simulations (expected {})",
            root.visits,
            if root.expanded {
                format!("{expected}: its evaluation and one per simulation")
            } else {
                "none: not evaluated, so no simulation ran".into()
            }
        ));
    }
    Ok(())
}

/// Replays every node's position from the root position with the game's rules: the root
/// position must be legal and not over, each expanded node's edges exactly its legal
/// moves in increasing order, each node's terminal value the rules' own.
struct CheckPositions<'a> {
    file: &'a TreeFile,
}

impl GameVisitor for CheckPositions<'_> {
    type Output = Result<(), TreeProblem>;

    fn visit<G: Game>(self, game: G) -> Self::Output {
        let tree = &self.file.tree;
        let root = replay(&game, &self.file.position)
            .map_err(|error| TreeProblem::RootPosition(error.to_string()))?;
        if root.terminal_value().is_some() {
            return Err(TreeProblem::RootPosition(
                "the game is over there; there is nothing to search".into(),
            ));
        }
        let mut legal = Vec::new();
        let mut stack = vec![(tree.root, root)];
        while let Some((node, state)) = stack.pop() {
            let n = &tree.nodes[node as usize];
            let rules = state.terminal_value();
            let agrees = match (rules, n.terminal_value) {
                (None, None) => true,
                (Some(a), Some(b)) => (a - b).abs() <= 1e-6,
                _ => false,
            };
            if !agrees {
                return Err(TreeProblem::Position {
                    node,
                    reason: format!(
                        "its terminal value is {:?} where the rules say {rules:?}",
                        n.terminal_value
                    ),
                });
            }
            if rules.is_some() && (n.expanded || n.num_edges > 0) {
                return Err(TreeProblem::Position {
                    node,
                    reason: "the game is over there, yet it is expanded".into(),
                });
            }
            if !n.expanded && n.num_edges > 0 {
                return Err(TreeProblem::Position {
                    node,
                    reason: "it has edges but is not expanded".into(),
                });
            }
            if !n.expanded {
                continue;
            }
            legal.clear();
            legal.extend(state.legal_actions());
            let range = tree.edges_of(node);
            for (position, edge) in range.clone().enumerate() {
                let action = tree.edges[edge].action;
                if legal.binary_search(&(action as usize)).is_err() {
                    return Err(TreeProblem::IllegalAction {
                        node,
                        edge: edge as u32,
                        action,
                    });
                }
                if legal.get(position) != Some(&(action as usize)) {
                    return Err(TreeProblem::Position {
                        node,
                        reason: format!(
                            "its edges are not its {} legal moves in increasing order (edge \
                             {edge} plays {action})",
                            legal.len()
                        ),
                    });
                }
            }
            if range.len() != legal.len() {
                return Err(TreeProblem::Position {
                    node,
                    reason: format!(
                        "it has {} edges for {} legal moves",
                        range.len(),
                        legal.len()
                    ),
                });
            }
            for edge in range {
                if let Some(child) = tree.edges[edge].child {
                    let mut next = state.clone();
                    next.apply(tree.edges[edge].action as usize)
                        .map_err(|error| TreeProblem::Position {
                            node,
                            reason: error.to_string(),
                        })?;
                    stack.push((child, next));
                }
            }
        }
        Ok(())
    }
}
