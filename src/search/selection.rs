//! What selection sees at one node of a searched tree: for each child its visits N, prior
//! P, mean value Q and exploration term U, the score the next simulation through the node
//! maximises, and which child that is. Computed from a [`TreeDump`] with the formulas the
//! searches select by (`config.rs`), so the CLI, the app and the tests show the numbers
//! the search used.
//!
//! What U is, per rule (score = value term + U; the child with the highest score is
//! walked next, ties to the lowest action):
//!
//! | rule | value term | U |
//! |---|---|---|
//! | PUCT | Q, or for an unvisited child the first-play value | c·P·√N(node) / (1 + N(child)) |
//! | Gumbel, root | σ(completed Q) | g + logit − max logit (g = 0: noise off) |
//! | Gumbel, below the root | π'(a) = softmax(logit + σ(completed Q)) | −N(a) / (1 + Σ N) |
//!
//! PUCT: N(node) counts the node's own evaluation plus every simulation through it (at
//! least 1); an unvisited child's Q is the first-play urgency, either an absolute value or
//! the node's mean value minus a reduction (the default: reduction 0, so an unvisited child
//! competes at the node's own value). Gumbel's root only considers the children whose
//! visits equal the sequential-halving schedule's count for the next simulation (the
//! others have no score); when none has it, the root falls back to the rule below the
//! root. Gumbel's U is the part of the score that does not come from the values: the
//! prior's log-odds against the best move at the root, and the visit share already spent
//! below it. The dump holds the raw priors and no Gumbel draws, so these are the numbers
//! of a search without root noise (the only kind a tree file holds).

use serde::Serialize;

use super::config::{
    RootPolicy, considered_score, considered_visit_sequence, first_play_value,
    improved_policy_score, node_mean_value, puct_exploration, puct_scale, sigma_completed_q,
};
use super::reference::softmax;
use super::tree_dump::TreeDump;

/// The formula by which the next simulation picks a child at a node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum SelectionRule {
    /// Argmax Q + c·P·√N(node) / (1 + N(child)); unvisited children use
    /// `first_play_value` for Q.
    Puct {
        c_puct: f32,
        /// N(node), as the formula uses it (at least 1).
        parent_visits: u32,
        first_play_value: f32,
    },
    /// Gumbel MuZero's root: among children with exactly `considered_visits` visits,
    /// argmax σ(completed Q) + g + logit − max logit.
    GumbelRoot { considered_visits: u32 },
    /// Gumbel MuZero below the root (or at a root with no child on the schedule): argmax
    /// π'(a) − N(a) / (1 + Σ N).
    GumbelImproved,
}

/// One child of a node as selection sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChildSelection {
    /// Index into [`TreeDump::edges`].
    pub edge: u32,
    pub action: u32,
    /// The node the edge leads to, once a simulation walked it.
    pub child: Option<u32>,
    /// N: simulations through this edge.
    pub visits: u32,
    /// P: the network's prior (softmax over the legal moves, before root noise).
    pub prior: f32,
    /// Q: mean backed-up value from the view of the player choosing the move; `None` if
    /// never visited.
    pub q: Option<f32>,
    /// The score's value part (see the module's table): Q or the first-play value (PUCT),
    /// σ(completed Q) (Gumbel's root), π'(a) (Gumbel below the root).
    pub value_term: f32,
    /// U: the score's exploration part (see the module's table).
    pub u: f32,
    /// value term + U as the search computes it; `None` where this child cannot be
    /// picked next (Gumbel's root: visits off the schedule).
    pub score: Option<f32>,
}

/// A node's children as the next simulation through it sees them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeSelection {
    pub node: u32,
    pub visits: u32,
    /// Mean value from this node's mover's view: its evaluation and every backup.
    pub value: f32,
    pub rule: SelectionRule,
    /// In edge order (increasing action).
    pub children: Vec<ChildSelection>,
    /// Index into `children` of the child the next simulation through this node walks;
    /// `None` for a node without children (not expanded, or the game is over there).
    pub next: Option<usize>,
}

/// Selection at `node` of `tree`, searched with `policy` and `simulations` in all (Gumbel's
/// root schedule depends on them). `None` if there is no such node.
pub fn selection_at(
    tree: &TreeDump,
    node: u32,
    policy: &RootPolicy,
    simulations: u32,
) -> Option<NodeSelection> {
    let n = tree.nodes.get(node as usize)?;
    let edges = &tree.edges[tree.edges_of(node)];
    let total_visits: u32 = edges.iter().map(|e| e.visits).sum();
    let value = node_mean_value(n.raw_value, edges.iter().map(|e| e.value_sum), total_visits);
    let mut children: Vec<ChildSelection> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| ChildSelection {
            edge: tree.edges_of(node).start as u32 + i as u32,
            action: e.action,
            child: e.child,
            visits: e.visits,
            prior: e.prior,
            q: (e.visits > 0).then(|| e.value_sum / e.visits as f32),
            value_term: 0.0,
            u: 0.0,
            score: None,
        })
        .collect();
    let has_children = !children.is_empty() && n.terminal_value.is_none() && n.expanded;
    let rule = match *policy {
        RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            ..
        } => {
            let first_play = first_play_value(first_play_urgency, value);
            let scale = puct_scale(c_puct, n.visits);
            for c in &mut children {
                c.value_term = c.q.unwrap_or(first_play);
                c.u = puct_exploration(scale, c.prior, c.visits);
                c.score = Some(c.value_term + c.u);
            }
            SelectionRule::Puct {
                c_puct,
                parent_visits: n.visits.max(1),
                first_play_value: first_play,
            }
        }
        RootPolicy::Gumbel {
            max_considered,
            c_visit,
            c_scale,
            ..
        } => {
            let q_or_zero: Vec<f32> = children.iter().map(|c| c.q.unwrap_or(0.0)).collect();
            let visits: Vec<u32> = children.iter().map(|c| c.visits).collect();
            let prior: Vec<f32> = children.iter().map(|c| c.prior).collect();
            let sigma =
                sigma_completed_q(&q_or_zero, &visits, &prior, n.raw_value, c_visit, c_scale);
            let considered = (node == tree.root).then(|| {
                let sequence =
                    considered_visit_sequence(max_considered.min(n.num_edges), simulations);
                let index = (total_visits as usize).min(sequence.len().saturating_sub(1));
                sequence.get(index).copied().unwrap_or(0)
            });
            match considered {
                Some(considered_visits) if visits.contains(&considered_visits) => {
                    let max_logit = edges
                        .iter()
                        .map(|e| e.logit)
                        .fold(f32::NEG_INFINITY, f32::max);
                    for ((c, e), s) in children.iter_mut().zip(edges).zip(&sigma) {
                        c.value_term = *s;
                        c.u = e.logit - max_logit;
                        c.score = (c.visits == considered_visits)
                            .then(|| considered_score(0.0, e.logit, max_logit, *s));
                    }
                    SelectionRule::GumbelRoot { considered_visits }
                }
                _ => {
                    let improved: Vec<f32> =
                        edges.iter().zip(&sigma).map(|(e, s)| e.logit + s).collect();
                    for (c, p) in children.iter_mut().zip(softmax(&improved)) {
                        c.value_term = p;
                        c.u = -(c.visits as f32 / (1 + total_visits) as f32);
                        c.score = Some(improved_policy_score(p, c.visits, total_visits));
                    }
                    SelectionRule::GumbelImproved
                }
            }
        }
    };
    let mut next = None;
    if has_children {
        let mut best_score = f32::NEG_INFINITY;
        for (i, c) in children.iter().enumerate() {
            if let Some(score) = c.score
                && (next.is_none() || score > best_score)
            {
                next = Some(i);
                best_score = score;
            }
        }
    }
    Some(NodeSelection {
        node,
        visits: n.visits,
        value,
        rule,
        children,
        next,
    })
}
