//! What a search found at a root, by rules the CPU reference and the GPU search share:
//! the move played at temperature 0, the children's statistics, the policy target and the
//! root's value.

use super::config::{RootPolicy, considered_score, sigma_completed_q};
use super::reference::softmax;
use super::{ChildStats, SearchResult};

/// A root child as both searches store it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RootEdge {
    pub action: u32,
    /// Softmax of the network's logits over the legal moves (before root noise).
    pub raw_prior: f32,
    pub logit: f32,
    pub visits: u32,
    /// Sum of backed-up values, from the view of the player choosing this move.
    pub value_sum: f32,
    /// The root's Gumbel draw for this move (0 when off, or for AlphaZero).
    pub gumbel: f32,
}

/// The result at a root with network value `raw_value` (its mover's view) and `edges`.
///
/// - AlphaZero: the most visited child (ties: higher prior, then lower action); target =
///   visit shares (the priors if nothing was visited).
/// - Gumbel: among the most visited children, argmax g + logit + σ(completed Q); target =
///   softmax(logit + σ(completed Q)).
pub fn summarize(
    policy: &RootPolicy,
    raw_value: f32,
    edges: &[RootEdge],
    num_actions: usize,
) -> SearchResult {
    let children: Vec<ChildStats> = edges
        .iter()
        .map(|e| ChildStats {
            action: e.action as usize,
            prior: e.raw_prior,
            visits: e.visits,
            q: (e.visits > 0).then(|| e.value_sum / e.visits as f32),
        })
        .collect();
    let mut policy_target = vec![0.0; num_actions];
    let chosen = match *policy {
        RootPolicy::AlphaZero { .. } => {
            let total: u32 = children.iter().map(|c| c.visits).sum();
            for c in &children {
                policy_target[c.action] = if total > 0 {
                    c.visits as f32 / total as f32
                } else {
                    c.prior
                };
            }
            children
                .iter()
                .enumerate()
                .max_by(|(i, a), (j, b)| {
                    a.visits
                        .cmp(&b.visits)
                        .then(a.prior.total_cmp(&b.prior))
                        .then(j.cmp(i))
                })
                .map_or(0, |(_, c)| c.action)
        }
        RootPolicy::Gumbel {
            c_visit, c_scale, ..
        } => {
            let q: Vec<f32> = children.iter().map(|c| c.q.unwrap_or(0.0)).collect();
            let visits: Vec<u32> = children.iter().map(|c| c.visits).collect();
            let prior: Vec<f32> = children.iter().map(|c| c.prior).collect();
            let sigma = sigma_completed_q(&q, &visits, &prior, raw_value, c_visit, c_scale);
            let improved: Vec<f32> = edges.iter().zip(&sigma).map(|(e, s)| e.logit + s).collect();
            for (c, p) in children.iter().zip(softmax(&improved)) {
                policy_target[c.action] = p;
            }
            let most = visits.iter().copied().max().unwrap_or(0);
            let max_logit = edges
                .iter()
                .map(|e| e.logit)
                .fold(f32::NEG_INFINITY, f32::max);
            let mut best: Option<(usize, f32)> = None;
            for (i, (e, s)) in edges.iter().zip(&sigma).enumerate() {
                if e.visits != most {
                    continue;
                }
                let score = considered_score(e.gumbel, e.logit, max_logit, *s);
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((i, score));
                }
            }
            best.map_or(0, |(i, _)| children[i].action)
        }
    };
    let value_sum: f32 = edges.iter().map(|e| e.value_sum).sum();
    let visits: u32 = edges.iter().map(|e| e.visits).sum();
    SearchResult {
        chosen,
        children,
        policy_target,
        root_value: (raw_value + value_sum) / (1 + visits) as f32,
    }
}
