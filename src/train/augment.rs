//! Data augmentation for the clique game: a random relabelling of the vertices of K_n
//! applied to a stored training sample. Relabelling keeps every rule, so the relabelled
//! observation, legal mask and policy target are exactly those of the relabelled position
//! (the value target does not change); `tests/host_pipeline.rs` checks that against
//! [`VertexPermutation::permute_state`].

use rand::RngExt;
use rand::rngs::StdRng;

use crate::games::clique::observation::FEATURES_PER_EDGE;
use crate::games::clique::symmetry::VertexPermutation;

/// A permutation of 0..`vertices` drawn uniformly (Fisher–Yates).
pub fn random_permutation(vertices: u32, rng: &mut StdRng) -> VertexPermutation {
    let mut map: Vec<u32> = (0..vertices).collect();
    for i in (1..map.len()).rev() {
        let j = rng.random_range(0..=i);
        map.swap(i, j);
    }
    VertexPermutation::new(map).unwrap_or_else(|_| unreachable!("a shuffle of 0..n"))
}

/// Moves the `[E, 3]` edge features of a clique observation to the relabelled edges:
/// `out[permute_action(e)] = observation[e]` for every edge e.
pub fn relabel_observation(permutation: &VertexPermutation, observation: &[f32], out: &mut [f32]) {
    debug_assert_eq!(observation.len(), out.len());
    for (edge, features) in observation.chunks_exact(FEATURES_PER_EDGE).enumerate() {
        let image = permutation.permute_action(edge);
        out[image * FEATURES_PER_EDGE..(image + 1) * FEATURES_PER_EDGE].copy_from_slice(features);
    }
}

/// Moves per-action values (legal mask, policy target) to the relabelled actions:
/// `out[permute_action(a)] = values[a]`.
pub fn relabel_per_action(permutation: &VertexPermutation, values: &[f32], out: &mut [f32]) {
    debug_assert_eq!(values.len(), out.len());
    for (action, &value) in values.iter().enumerate() {
        out[permutation.permute_action(action)] = value;
    }
}
