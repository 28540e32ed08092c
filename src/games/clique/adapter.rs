//! The clique game as the training loop sees it ([`Game`] for [`CliqueConfig`]): its sizes
//! and networks, its rules inside the GPU search (the search adapter), vertex relabelling
//! for augmentation, the exact solver on small boards, and the archive of Ramsey
//! counterexamples in avoid mode.

use std::path::Path;

use super::archive::RamseyArchive;
use super::gpu::library_source;
use super::observation::FEATURES_PER_EDGE;
use super::solver::Solver;
use super::state::CliqueState;
use super::{CliqueConfig, Mode, edge_index};
use crate::games::{
    Analysis, Archived, ExactSolver, FinalStateArchive, Game, GameError, GameInfo, GpuGame,
    PlayDefaults, Symmetries,
};
use crate::nn::Network;
use crate::nn::gnn::EdgeGnn;
use crate::nn::mlp::Mlp;
use crate::nn::spec::NetworkSpec;

const SEARCH_ADAPTER: &str = include_str!("../../../shaders/games/clique/search_adapter.wgsl");
const AUGMENT: &str = include_str!("../../../shaders/games/clique/augment.wgsl");

/// The largest board whose positions the exact solver labels for the optimal-move
/// accuracy. The solver itself takes n ≤ 11, but on K_8 one solve of the empty board takes
/// 18–66 s and up to 1.6 GB; on K_7 at most 0.11 s (docs/CLIQUE.md).
pub const MAX_SOLVED_VERTICES: u32 = 7;

impl GameInfo for CliqueConfig {
    /// `clique-n8-k3-avoid`, or `clique-n8-s3-t4-avoid` when the colours' sizes differ.
    fn label(&self) -> String {
        if self.k == self.t {
            format!("clique-n{}-k{}-{}", self.n, self.k, self.mode)
        } else {
            format!("clique-n{}-s{}-t{}-{}", self.n, self.k, self.t, self.mode)
        }
    }

    fn num_actions(&self) -> usize {
        self.num_edges()
    }

    fn observation_len(&self) -> usize {
        FEATURES_PER_EDGE * self.num_edges()
    }

    fn max_game_length(&self) -> u32 {
        self.num_edges() as u32
    }

    fn network(&self, spec: &NetworkSpec) -> Result<Box<dyn Network>, GameError> {
        let edges = self.num_edges();
        match spec {
            NetworkSpec::Mlp { hidden } => Ok(Box::new(Mlp {
                input: FEATURES_PER_EDGE * edges,
                hidden: hidden.clone(),
                actions: edges,
            })),
            NetworkSpec::Gnn { hidden, layers } => Ok(Box::new(EdgeGnn {
                vertices: self.n as usize,
                hidden: *hidden,
                layers: *layers,
            })),
            NetworkSpec::ResNet { .. } => Err(GameError::InvalidConfig(
                "--net resnet is a board CNN for chess; the clique game takes --net mlp or \
                 --net gnn"
                    .into(),
            )),
        }
    }

    fn network_descriptor(&self, spec: &NetworkSpec) -> serde_json::Value {
        match spec {
            // The MLP's input and output sizes depend on n; the GNN's weights do not (a
            // K_n GNN loads on K_m).
            NetworkSpec::Mlp { hidden } => serde_json::json!({
                "kind": "mlp", "hidden": hidden, "vertices": self.n,
            }),
            NetworkSpec::Gnn { hidden, layers } => serde_json::json!({
                "kind": "gnn", "hidden": hidden, "layers": layers,
            }),
            NetworkSpec::ResNet { filters, blocks } => serde_json::json!({
                "kind": "resnet", "filters": filters, "blocks": blocks,
            }),
        }
    }

    fn play_defaults(&self) -> PlayDefaults {
        let edges = self.num_edges() as u32;
        PlayDefaults {
            network: NetworkSpec::default_mlp(),
            games_in_flight: 256,
            moves_per_iteration: 8,
            // Every move sampled in proportion to the visits: self-play then reaches the
            // positions random play reaches, which the accuracy is measured on.
            temperature_moves: edges,
            // Openings of every length up to the whole game but its last move, their
            // positions valued by the search (docs/TRAINING.md, "Random openings").
            random_opening: edges - 1,
            replay_capacity: 100_000,
            evaluation_games: 200,
        }
    }

    fn runs_on_gpu_search(&self) -> bool {
        true
    }
}

impl Game for CliqueConfig {
    type State = CliqueState;

    fn initial_state(&self) -> CliqueState {
        CliqueState::new(*self)
    }

    fn gpu(&self) -> Option<&dyn GpuGame> {
        Some(self)
    }

    fn state_from_words(&self, words: &[u32]) -> Result<CliqueState, GameError> {
        CliqueState::from_words(*self, words)
    }

    fn symmetries(&self) -> Option<&dyn Symmetries> {
        Some(self)
    }

    fn solver(&self) -> Result<Option<Box<dyn ExactSolver<CliqueState>>>, GameError> {
        if self.n > MAX_SOLVED_VERTICES {
            return Ok(None);
        }
        let solver = Solver::new(*self).map_err(|e| GameError::InvalidConfig(e.to_string()))?;
        Ok(Some(Box::new(solver)))
    }

    fn open_archive(
        &self,
        run_dir: &Path,
    ) -> Result<Option<Box<dyn FinalStateArchive<CliqueState>>>, GameError> {
        if self.mode != Mode::Avoid {
            return Ok(None);
        }
        let archive =
            RamseyArchive::open(run_dir).map_err(|e| GameError::Archive(e.to_string()))?;
        Ok(Some(Box::new(archive)))
    }
}

impl GpuGame for CliqueConfig {
    fn state_words(&self) -> u32 {
        CliqueState::words_per_state(*self) as u32
    }

    fn num_actions(&self) -> u32 {
        self.num_edges() as u32
    }

    fn observation_len(&self) -> u32 {
        (FEATURES_PER_EDGE * self.num_edges()) as u32
    }

    fn max_legal(&self) -> u32 {
        self.num_edges() as u32
    }

    fn max_game_length(&self) -> u32 {
        self.num_edges() as u32
    }

    fn search_adapter(&self) -> String {
        // Vertex sets are one u32 (n ≤ 32) or a vec2<u32>, low word first (n > 32).
        let masks = if self.mask_words() == 1 {
            "fn clique_load_mask(i: u32) -> CliqueMask {
    return search_state_word(4u + i);
}

fn clique_store_mask(i: u32, mask: CliqueMask) {
    search_set_state_word(4u + i, mask);
}
"
        } else {
            "fn clique_load_mask(i: u32) -> CliqueMask {
    return vec2<u32>(search_state_word(4u + 2u * i), search_state_word(5u + 2u * i));
}

fn clique_store_mask(i: u32, mask: CliqueMask) {
    search_set_state_word(4u + 2u * i, mask.x);
    search_set_state_word(5u + 2u * i, mask.y);
}
"
        };
        format!("{}\n{masks}\n{SEARCH_ADAPTER}", library_source(*self))
    }
}

impl Symmetries for CliqueConfig {
    fn sample_wgsl(&self) -> String {
        format!("const CLIQUE_VERTICES: u32 = {}u;\n{AUGMENT}", self.n)
    }

    fn augment(
        &self,
        next_random: &mut dyn FnMut() -> u32,
        record: &[f32],
        observation: &mut [f32],
        policy_target: &mut [f32],
        legal_mask: &mut [f32],
    ) {
        let n = self.n;
        let edges = self.num_edges();
        let observation_len = FEATURES_PER_EDGE * edges;
        let mut relabel: Vec<u32> = (0..n).collect();
        for v in (1..n).rev() {
            let w = next_random() % (v + 1);
            relabel.swap(v as usize, w as usize);
        }
        let mut edge = 0;
        for u in 0..n {
            for v in u + 1..n {
                let to = edge_index(n, relabel[u as usize], relabel[v as usize]);
                observation[to * FEATURES_PER_EDGE..(to + 1) * FEATURES_PER_EDGE].copy_from_slice(
                    &record[edge * FEATURES_PER_EDGE..(edge + 1) * FEATURES_PER_EDGE],
                );
                policy_target[to] = record[observation_len + edge];
                legal_mask[to] = record[observation_len + edges + edge];
                edge += 1;
            }
        }
    }
}

impl ExactSolver<CliqueState> for Solver {
    fn analyse(&mut self, state: &CliqueState) -> Result<Analysis, GameError> {
        Solver::analyse(self, state).map_err(|e| GameError::InvalidPosition(e.to_string()))
    }

    fn nodes(&self) -> u64 {
        Solver::nodes(self)
    }
}

impl FinalStateArchive<CliqueState> for RamseyArchive {
    fn record(&mut self, final_states: &[CliqueState]) -> Result<Vec<Archived>, GameError> {
        let outcomes = self
            .record_all(final_states, "self-play")
            .map_err(|e| GameError::Archive(e.to_string()))?;
        Ok(final_states
            .iter()
            .zip(outcomes)
            .map(|(state, outcome)| {
                let CliqueConfig { n, k, t, .. } = state.config();
                let description = if k == t {
                    format!("a 2-colouring of K_{n} with no monochromatic K_{k} (R({k},{k}) > {n})")
                } else {
                    format!(
                        "a 2-colouring of K_{n} with no K_{k} in colour 0 and no K_{t} in colour 1 (R({k},{t}) > {n})"
                    )
                };
                Archived {
                    description,
                    new_up_to_isomorphism: outcome.new_up_to_isomorphism,
                }
            })
            .collect())
    }

    fn totals(&self) -> (u64, u64) {
        self.counts()
            .iter()
            .fold((0, 0), |(total, distinct), counts| {
                (
                    total + counts.records,
                    distinct + counts.distinct_up_to_isomorphism,
                )
            })
    }
}
