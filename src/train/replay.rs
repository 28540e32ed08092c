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
