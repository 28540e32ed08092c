//! The host replay buffer: a ring of the most recent self-play positions in host memory,
//! and training batches drawn from it uniformly, optionally relabelled at random
//! ([`super::augment`]).
//!
//! Each position holds the network input, the legal mask, the search's policy target and
//! the game's outcome from the mover's view, already in the float layout the training
//! program reads, so a batch is assembled by copies alone.

use rand::RngExt;
use rand::rngs::StdRng;

use super::TrainError;
use super::augment::{random_permutation, relabel_observation, relabel_per_action};

/// How much the search taught the network at one position: KL(target ‖ prior), the
/// divergence of the search's policy target (`[actions]`) from the network's prior,
/// `(action, prior)` over the legal moves (renormalised to sum to 1; priors are clamped
/// to 1e-6 so that a move the network ruled out stays finite).
pub fn policy_surprise(target: &[f32], priors: impl Iterator<Item = (usize, f32)> + Clone) -> f32 {
    let total: f32 = priors.clone().map(|(_, prior)| prior).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let divergence: f32 = priors
        .filter(|&(action, _)| target[action] > 0.0)
        .map(|(action, prior)| {
            let p = target[action];
            p * (p / (prior / total).max(1e-6)).ln()
        })
        .sum();
    divergence.max(0.0)
}

/// Policy-surprise weights of one finished game's positions (KataGo's policy surprise
/// weighting): w_t = (1 − λ) + λ·L·s_t / Σs for the surprises s of its L positions, so
/// that Σw = L. A game without surprise keeps weight 1 everywhere.
pub fn surprise_weights(surprises: &[f32], lambda: f32) -> Vec<f32> {
    let total: f32 = surprises.iter().sum();
    let length = surprises.len() as f32;
    surprises
        .iter()
        .map(|&surprise| {
            if total > 0.0 {
                (1.0 - lambda) + lambda * length * surprise / total
            } else {
                1.0
            }
        })
        .collect()
}

/// Copies of a position of weight `weight` to store: ⌊w⌋, plus one more when `uniform`
/// (in [0, 1)) falls below w's fraction, so that the expected count is w.
pub fn weight_copies(weight: f32, uniform: f32) -> u32 {
    weight.floor() as u32 + u32::from(uniform < weight.fract())
}

/// One position as the training step consumes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// `[observation_len]`: the network input, from the mover's view.
    pub observation: Vec<f32>,
    /// `[actions]`: 1 legal, 0 not.
    pub legal_mask: Vec<f32>,
    /// `[actions]`: the search's policy target, 0 on illegal actions, summing to 1.
    pub policy_target: Vec<f32>,
    /// +1 / −1 / 0: the game's outcome for the player to move here.
    pub value_target: f32,
}

/// A training batch, row-major, in the training program's input layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// `[batch, observation_len]`
    pub observations: Vec<f32>,
    /// `[batch, actions]`
    pub legal_masks: Vec<f32>,
    /// `[batch, actions]`
    pub policy_targets: Vec<f32>,
    /// `[batch, 1]`
    pub value_targets: Vec<f32>,
}

/// A ring of at most `capacity` positions; when full, each new position replaces the
/// oldest. Storage grows with use up to the capacity.
#[derive(Clone, Debug)]
pub struct ReplayBuffer {
    capacity: usize,
    observation_len: usize,
    actions: usize,
    /// `[len, observation_len]`, `[len, actions]`, `[len, actions]`, `[len]`.
    observations: Vec<f32>,
    legal_masks: Vec<f32>,
    policy_targets: Vec<f32>,
    value_targets: Vec<f32>,
    /// Slot the next position goes to once the ring is full.
    next: usize,
    /// Positions ever pushed.
    pushed: u64,
}

impl ReplayBuffer {
    /// An empty ring of `capacity` positions of the given sizes; 0 is an error.
    pub fn new(
        capacity: usize,
        observation_len: usize,
        actions: usize,
    ) -> Result<Self, TrainError> {
        if capacity == 0 {
            return Err(TrainError::Config(
                "replay_capacity must be at least 1 position (use at least a few times \
                 games_in_flight × the game length)"
                    .into(),
            ));
        }
        Ok(Self {
            capacity,
            observation_len,
            actions,
            observations: Vec::new(),
            legal_masks: Vec::new(),
            policy_targets: Vec::new(),
            value_targets: Vec::new(),
            next: 0,
            pushed: 0,
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Positions held (at most the capacity).
    pub fn len(&self) -> usize {
        self.value_targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.value_targets.is_empty()
    }

    /// Positions ever pushed, overwritten ones included.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    pub fn observation_len(&self) -> usize {
        self.observation_len
    }

    pub fn actions(&self) -> usize {
        self.actions
    }

    /// Adds one position (slices of the sizes given at construction), replacing the
    /// oldest when full.
    pub fn push(
        &mut self,
        observation: &[f32],
        legal_mask: &[f32],
        policy_target: &[f32],
        value_target: f32,
    ) {
        assert_eq!(observation.len(), self.observation_len);
        assert_eq!(legal_mask.len(), self.actions);
        assert_eq!(policy_target.len(), self.actions);
        if self.len() < self.capacity {
            self.observations.extend_from_slice(observation);
            self.legal_masks.extend_from_slice(legal_mask);
            self.policy_targets.extend_from_slice(policy_target);
            self.value_targets.push(value_target);
        } else {
            let slot = self.next;
            let (o, a) = (self.observation_len, self.actions);
            self.observations[slot * o..(slot + 1) * o].copy_from_slice(observation);
            self.legal_masks[slot * a..(slot + 1) * a].copy_from_slice(legal_mask);
            self.policy_targets[slot * a..(slot + 1) * a].copy_from_slice(policy_target);
            self.value_targets[slot] = value_target;
            self.next = (self.next + 1) % self.capacity;
        }
        self.pushed += 1;
    }

    /// The position in slot `index` (< len). Slots are filled in push order; once the
    /// ring is full, slot `pushed % capacity` is the oldest.
    pub fn sample(&self, index: usize) -> Sample {
        let (o, a) = (self.observation_len, self.actions);
        Sample {
            observation: self.observations[index * o..(index + 1) * o].to_vec(),
            legal_mask: self.legal_masks[index * a..(index + 1) * a].to_vec(),
            policy_target: self.policy_targets[index * a..(index + 1) * a].to_vec(),
            value_target: self.value_targets[index],
        }
    }

    /// Fills `batch` with `rows` positions drawn uniformly (with replacement) with `rng`;
    /// with `relabel_vertices` (the clique game on K_`vertices`) each is relabelled by a
    /// fresh random vertex permutation. An empty buffer leaves `batch` untouched and
    /// returns false.
    pub fn draw_batch(
        &self,
        rows: usize,
        relabel_vertices: Option<u32>,
        rng: &mut StdRng,
        batch: &mut Batch,
    ) -> bool {
        if self.is_empty() {
            return false;
        }
        let (o, a) = (self.observation_len, self.actions);
        batch.observations.resize(rows * o, 0.0);
        batch.legal_masks.resize(rows * a, 0.0);
        batch.policy_targets.resize(rows * a, 0.0);
        batch.value_targets.resize(rows, 0.0);
        for row in 0..rows {
            let index = rng.random_range(0..self.len());
            let observation = &self.observations[index * o..(index + 1) * o];
            let legal_mask = &self.legal_masks[index * a..(index + 1) * a];
            let policy_target = &self.policy_targets[index * a..(index + 1) * a];
            let out_observation = &mut batch.observations[row * o..(row + 1) * o];
            let out_mask = &mut batch.legal_masks[row * a..(row + 1) * a];
            let out_policy = &mut batch.policy_targets[row * a..(row + 1) * a];
            match relabel_vertices {
                Some(vertices) => {
                    let permutation = random_permutation(vertices, rng);
                    relabel_observation(&permutation, observation, out_observation);
                    relabel_per_action(&permutation, legal_mask, out_mask);
                    relabel_per_action(&permutation, policy_target, out_policy);
                }
                None => {
                    out_observation.copy_from_slice(observation);
                    out_mask.copy_from_slice(legal_mask);
                    out_policy.copy_from_slice(policy_target);
                }
            }
            batch.value_targets[row] = self.value_targets[index];
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_surprise_is_the_divergence_from_the_renormalised_prior() {
        // Uniform prior over 4 legal moves (given unnormalised): KL = ln 4 − H(target).
        let target = [0.5, 0.0, 0.25, 0.25, 0.0];
        let priors = [(0, 3.0), (1, 3.0), (2, 3.0), (3, 3.0)];
        let entropy: f32 = -(0.5f32 * 0.5f32.ln() + 2.0 * 0.25 * 0.25f32.ln());
        let surprise = policy_surprise(&target, priors.iter().copied());
        assert!(
            (surprise - (4f32.ln() - entropy)).abs() < 1e-6,
            "{surprise}"
        );
        // A target equal to the prior taught nothing.
        let same = [0.25, 0.25, 0.25, 0.25, 0.0];
        assert!(policy_surprise(&same, priors.iter().copied()).abs() < 1e-6);
    }

    #[test]
    fn surprise_weights_keep_a_games_total_and_round_to_copies_at_random() {
        let surprises = [0.0, 1.0, 3.0, 0.0];
        assert_eq!(surprise_weights(&surprises, 0.0), vec![1.0; 4]);
        assert_eq!(surprise_weights(&surprises, 1.0), vec![0.0, 1.0, 3.0, 0.0]);
        let half = surprise_weights(&surprises, 0.5);
        assert_eq!(half, vec![0.5, 1.0, 2.0, 0.5]);
        assert_eq!(half.iter().sum::<f32>(), 4.0);
        assert_eq!(surprise_weights(&[0.0, 0.0], 0.8), vec![1.0, 1.0]);
        assert_eq!(weight_copies(2.25, 0.2), 3);
        assert_eq!(weight_copies(2.25, 0.3), 2);
        assert_eq!(weight_copies(0.0, 0.0), 0);
    }
}
