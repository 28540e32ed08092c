//! Search settings and the root policies' shared formulas (the CPU reference and the WGSL
//! kernels implement exactly these).

use serde::{Deserialize, Serialize};

use super::SearchError;

/// Value assumed for a child that has never been visited.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum FirstPlayUrgency {
    /// This value, from the view of the player choosing.
    Absolute(f32),
    /// The parent's own mean value (from the chooser's view) minus this reduction.
    Reduction(f32),
}

/// How the root chooses what to search and what to play.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum RootPolicy {
    /// AlphaZero: PUCT everywhere, optional Dirichlet noise on the root priors.
    AlphaZero {
        c_puct: f32,
        first_play_urgency: FirstPlayUrgency,
        /// (α, ε): root priors become (1 − ε)·p + ε·Dir(α).
        dirichlet: Option<(f32, f32)>,
    },
    /// Gumbel MuZero (Danihelka et al. 2022): Gumbel-top-k and sequential halving at the
    /// root, the completed-Q improved policy elsewhere and as the training target.
    Gumbel {
        max_considered: u32,
        /// σ(q) = (c_visit + max_b N(b)) · c_scale · q.
        c_visit: f32,
        c_scale: f32,
        /// Sample Gumbel noise at the root (off: all zero, deterministic).
        gumbel_noise: bool,
    },
}

impl RootPolicy {
    pub fn alphazero() -> Self {
        RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: Some((0.3, 0.25)),
        }
    }

    pub fn gumbel() -> Self {
        RootPolicy::Gumbel {
            max_considered: 16,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: true,
        }
    }
}

/// Everything a search needs besides the game and the network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Simulations per move; 0 plays from the network's priors alone.
    pub simulations: u32,
    pub policy: RootPolicy,
    /// Keep the chosen child's subtree for the next move.
    pub reuse_subtree: bool,
}

impl SearchConfig {
    pub fn check(&self) -> Result<(), SearchError> {
        if let RootPolicy::AlphaZero {
            c_puct, dirichlet, ..
        } = self.policy
        {
            if !(c_puct.is_finite() && c_puct >= 0.0) {
                return Err(SearchError::Config(format!(
                    "c_puct must be a finite number ≥ 0, got {c_puct}"
                )));
            }
            if let Some((alpha, epsilon)) = dirichlet
                && !(alpha > 0.0 && (0.0..=1.0).contains(&epsilon))
            {
                return Err(SearchError::Config(format!(
                    "Dirichlet noise needs α > 0 and 0 ≤ ε ≤ 1, got α {alpha}, ε {epsilon}"
                )));
            }
        }
        if let RootPolicy::Gumbel { max_considered, .. } = self.policy
            && max_considered == 0
        {
            return Err(SearchError::Config(
                "Gumbel search needs max_considered ≥ 1".into(),
            ));
        }
        Ok(())
    }
}

/// PUCT's exploration scale at a node with `parent_visits` visits: c·√max(N, 1). A node
/// is visited once when evaluated and once more per simulation through it.
#[inline]
pub fn puct_scale(c_puct: f32, parent_visits: u32) -> f32 {
    c_puct * (parent_visits.max(1) as f32).sqrt()
}

/// PUCT's exploration term U of a child with prior `prior` and `visits` visits, at a node
/// whose [`puct_scale`] is `scale`: c·P·√N(parent) / (1 + N(child)). The child chosen
/// maximises Q + U (ties to the lowest action).
#[inline]
pub fn puct_exploration(scale: f32, prior: f32, visits: u32) -> f32 {
    scale * prior / (1 + visits) as f32
}

/// The Q that PUCT uses for a child never visited (first-play urgency), at a node whose
/// mean value from its mover's view is `node_value` (see [`node_mean_value`]).
#[inline]
pub fn first_play_value(first_play_urgency: FirstPlayUrgency, node_value: f32) -> f32 {
    match first_play_urgency {
        FirstPlayUrgency::Absolute(value) => value,
        FirstPlayUrgency::Reduction(reduction) => node_value - reduction,
    }
}

/// Mean value of a node from its mover's view: its own evaluation `raw_value` and every
/// value backed up through its edges (`value_sums` in edge order, `visits` their total).
pub fn node_mean_value(raw_value: f32, value_sums: impl Iterator<Item = f32>, visits: u32) -> f32 {
    let sum: f32 = value_sums.sum();
    (raw_value + sum) / (1 + visits) as f32
}

/// Gumbel MuZero's score at the root for an action on the visit schedule:
/// g + (logit − max logit) + σ(completed Q), floored at −10⁹.
#[inline]
pub fn considered_score(gumbel: f32, logit: f32, max_logit: f32, sigma: f32) -> f32 {
    (gumbel + (logit - max_logit) + sigma).max(-1e9)
}

/// Gumbel MuZero's score below the root: π'(a) − N(a) / (1 + Σ N), where π' is the
/// improved policy softmax(logit + σ(completed Q)) and Σ N the node's children's visits.
#[inline]
pub fn improved_policy_score(probability: f32, visits: u32, total_visits: u32) -> f32 {
    probability - visits as f32 / (1 + total_visits) as f32
}

/// For each simulation `i < simulations`, the visit count a root action must have to be
/// searched in simulation `i` under sequential halving with `considered` actions (mctx's
/// `get_sequence_of_considered_visits`).
pub fn considered_visit_sequence(considered: u32, simulations: u32) -> Vec<u32> {
    if considered <= 1 {
        return (0..simulations).collect();
    }
    let log2 = (considered as f64).log2().ceil() as u32;
    let mut sequence = Vec::with_capacity(simulations as usize);
    let mut visits = vec![0u32; considered as usize];
    let mut remaining = considered;
    while (sequence.len() as u32) < simulations {
        let extra = (simulations / (log2 * remaining)).max(1);
        for _ in 0..extra {
            sequence.extend_from_slice(&visits[..remaining as usize]);
            for v in &mut visits[..remaining as usize] {
                *v += 1;
            }
        }
        remaining = (remaining / 2).max(2);
    }
    sequence.truncate(simulations as usize);
    sequence
}

/// Gumbel MuZero's completed Q values for the children of one node, rescaled to [0, 1]
/// and mapped through σ: `(c_visit + max N) · c_scale · q`. `q` and `visits` are per
/// child (q from the chooser's view); `prior` are the node's prior probabilities;
/// `raw_value` the network's value of the node (chooser's view).
pub fn sigma_completed_q(
    q: &[f32],
    visits: &[u32],
    prior: &[f32],
    raw_value: f32,
    c_visit: f32,
    c_scale: f32,
) -> Vec<f32> {
    let total: u32 = visits.iter().sum();
    let mut weighted = 0.0f32;
    let mut weight = 0.0f32;
    for i in 0..q.len() {
        if visits[i] > 0 {
            weighted += prior[i] * q[i];
            weight += prior[i];
        }
    }
    let mixed = if weight > 0.0 {
        (raw_value + total as f32 * (weighted / weight)) / (total as f32 + 1.0)
    } else {
        raw_value
    };
    let completed: Vec<f32> = (0..q.len())
        .map(|i| if visits[i] > 0 { q[i] } else { mixed })
        .collect();
    let low = completed.iter().copied().fold(f32::INFINITY, f32::min);
    let high = completed.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let range = (high - low).max(1e-8);
    let max_visits = visits.iter().copied().max().unwrap_or(0) as f32;
    completed
        .iter()
        .map(|&c| (c_visit + max_visits) * c_scale * ((c - low) / range))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_sequence_matches_mctx() {
        // mctx: get_sequence_of_considered_visits(4, 16) — 2 phases: 2 extra visits for 4
        // actions, then 4 for the remaining 2.
        assert_eq!(
            considered_visit_sequence(4, 16),
            vec![0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(considered_visit_sequence(1, 3), vec![0, 1, 2]);
    }

    #[test]
    fn sigma_puts_unvisited_children_at_the_mixed_value() {
        let sigma = sigma_completed_q(
            &[0.5, 0.0, -0.5],
            &[2, 0, 1],
            &[0.5, 0.25, 0.25],
            0.0,
            50.0,
            0.1,
        );
        // Mixed value: (0 + 3 · (0.5·0.5 + 0.25·−0.5)/0.75) / 4 = 0.125.
        let expected_middle = (0.125 + 0.5) / 1.0 * (52.0 * 0.1);
        assert!((sigma[1] - expected_middle).abs() < 1e-5, "{sigma:?}");
        assert!((sigma[0] - 52.0 * 0.1).abs() < 1e-5);
        assert!(sigma[2].abs() < 1e-6);
    }
}
