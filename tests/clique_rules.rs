//! The Rust clique rules: the three modes on hand-made games, the incremental detector
//! against an exhaustive search after every move of random games, the GameState contract,
//! the WGSL word layout, the observation, and vertex relabelling.

use wgzero::games::clique::detection::has_clique_exhaustive;
use wgzero::games::clique::symmetry::VertexPermutation;
use wgzero::games::clique::{
    CliqueConfig, CliqueSizes, CliqueState, Mode, Status, edge_endpoints, edge_index,
    observation_len,
};
use wgzero::games::{GameError, GameState};

fn config(n: u32, k: u32, mode: Mode) -> CliqueConfig {
    CliqueConfig::new(n, k, mode).unwrap()
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % bound
    }
}

fn random_move(state: &mut CliqueState, random: &mut Lcg) -> usize {
    let legal = state.legal_actions();
    let action = legal[random.below(legal.len())];
    state.apply(action).unwrap();
    action
}

#[test]
fn a_triangle_wins_in_symmetric_and_loses_in_avoid() {
    // Player 0 claims (0,1), (0,2), (1,2) of K_5; player 1 claims (3,4), (2,4).
    let e = |u, v| edge_index(5, u, v);
    let moves = [e(0, 1), e(3, 4), e(0, 2), e(2, 4), e(1, 2)];
    let symmetric = CliqueState::from_actions(config(5, 3, Mode::Symmetric), &moves).unwrap();
    assert_eq!(symmetric.status(), Status::Won(0));
    assert_eq!(symmetric.to_move(), 1);
    assert_eq!(symmetric.terminal_value(), Some(-1.0));
    let avoid = CliqueState::from_actions(config(5, 3, Mode::Avoid), &moves).unwrap();
    assert_eq!(avoid.status(), Status::Won(1));
    assert_eq!(avoid.terminal_value(), Some(1.0));
    let asymmetric = CliqueState::from_actions(config(5, 3, Mode::Asymmetric), &moves).unwrap();
    assert_eq!(asymmetric.status(), Status::Won(0));
}

#[test]
fn the_defender_ignores_its_own_cliques_and_wins_a_full_board() {
    // Player 1 builds the triangle (2,3,4) in asymmetric mode: the game goes on.
    let e = |u, v| edge_index(5, u, v);
    let moves = [e(0, 1), e(2, 3), e(0, 3), e(2, 4), e(1, 4), e(3, 4)];
    let state = CliqueState::from_actions(config(5, 3, Mode::Asymmetric), &moves).unwrap();
    assert_eq!(state.status(), Status::Ongoing);
    let symmetric = CliqueState::from_actions(config(5, 3, Mode::Symmetric), &moves).unwrap();
    assert_eq!(symmetric.status(), Status::Won(1));
    // K_4 with k = 4 cannot fill without the attacker holding K_4: the defender wins.
    let mut random = Lcg(4);
    for _ in 0..20 {
        let mut state = CliqueState::new(config(4, 4, Mode::Asymmetric));
        while !state.is_over() {
            random_move(&mut state, &mut random);
        }
        assert_eq!(state.status(), Status::Won(1));
        assert_eq!(state.moves_played(), 6);
    }
}

#[test]
fn with_two_sizes_each_player_avoids_its_own_clique_size() {
    // K_5 avoid, colour 0 avoids K_3 and colour 1 K_4. Player 1 completes the triangle
    // (2,3,4) on its third move: the game goes on; player 0 then completes (0,1,2) and loses.
    let e = |u, v| edge_index(5, u, v);
    let moves = [e(0, 1), e(2, 3), e(0, 2), e(2, 4), e(1, 3), e(3, 4)];
    let three_four = CliqueConfig::with_sizes(5, CliqueSizes { s: 3, t: 4 }, Mode::Avoid).unwrap();
    let mut state = CliqueState::from_actions(three_four, &moves).unwrap();
    assert_eq!(state.status(), Status::Ongoing);
    state.apply(e(1, 2)).unwrap();
    assert_eq!(state.status(), Status::Won(1));
    // One size for both: player 1's triangle already lost.
    let one_size = CliqueState::from_actions(config(5, 3, Mode::Avoid), &moves).unwrap();
    assert_eq!(one_size.status(), Status::Won(0));
    // (4,3): player 1's triangle loses, player 0's would not.
    let four_three = CliqueConfig::with_sizes(5, CliqueSizes { s: 4, t: 3 }, Mode::Avoid).unwrap();
    let state = CliqueState::from_actions(four_three, &moves).unwrap();
    assert_eq!(state.status(), Status::Won(0));
}

#[test]
fn two_sizes_are_refused_outside_avoid_mode() {
    let sizes = CliqueSizes { s: 3, t: 4 };
    for mode in [Mode::Symmetric, Mode::Asymmetric] {
        let error = CliqueConfig::with_sizes(8, sizes, mode).unwrap_err();
        assert!(error.to_string().contains("avoid"), "{error}");
    }
    let error = CliqueConfig::with_sizes(8, CliqueSizes { s: 3, t: 9 }, Mode::Avoid).unwrap_err();
    assert!(error.to_string().contains("<= n"), "{error}");
    assert_eq!("3,4".parse::<CliqueSizes>(), Ok(sizes));
    assert_eq!(" 5 ".parse::<CliqueSizes>(), Ok(CliqueSizes::same(5)));
    for bad in ["", "3,", "three", "3,4,5"] {
        assert!(bad.parse::<CliqueSizes>().is_err(), "{bad:?}");
    }
}

#[test]
fn configs_store_the_second_size_only_when_it_differs() {
    let one = config(8, 3, Mode::Avoid);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        r#"{"n":8,"k":3,"mode":"avoid"}"#
    );
    let two = CliqueConfig::with_sizes(8, CliqueSizes { s: 3, t: 4 }, Mode::Avoid).unwrap();
    let text = serde_json::to_string(&two).unwrap();
    assert_eq!(text, r#"{"n":8,"k":3,"t":4,"mode":"avoid"}"#);
    assert_eq!(serde_json::from_str::<CliqueConfig>(&text).unwrap(), two);
    // A config written before the second size existed reads as t = k.
    let old: CliqueConfig = serde_json::from_str(r#"{"n":6,"k":4,"mode":"symmetric"}"#).unwrap();
    assert_eq!(old, config(6, 4, Mode::Symmetric));
}

#[test]
fn incremental_detection_matches_an_exhaustive_search_after_every_move() {
    let mut random = Lcg(1);
    let one_size = [(5, 3), (6, 3), (7, 4), (9, 4), (12, 5), (17, 4), (20, 5)]
        .into_iter()
        .flat_map(|(n, k)| {
            [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid].map(|mode| config(n, k, mode))
        });
    let two_sizes = [(6, 3, 4), (8, 3, 4), (9, 4, 3), (12, 5, 3), (20, 4, 5)]
        .map(|(n, s, t)| CliqueConfig::with_sizes(n, CliqueSizes { s, t }, Mode::Avoid).unwrap());
    for config in one_size.chain(two_sizes) {
        let CliqueConfig { n, mode, .. } = config;
        for _ in 0..4 {
            let mut state = CliqueState::new(config);
            while !state.is_over() {
                let mover = state.to_move();
                let k = [config.k, config.t][mover as usize];
                random_move(&mut state, &mut random);
                let formed = has_clique_exhaustive(state.adjacency(mover), n, k);
                let counts = mode != Mode::Asymmetric || mover == 0;
                let full = state.moves_played() as usize == state.num_actions();
                let expected = match (counts && formed, mode) {
                    (true, Mode::Avoid) => Status::Won(1 - mover),
                    (true, _) => Status::Won(mover),
                    (false, Mode::Asymmetric) if full => Status::Won(1),
                    (false, _) if full => Status::Draw,
                    (false, _) => Status::Ongoing,
                };
                assert_eq!(state.status(), expected, "n={n} k={k} {mode}");
            }
        }
    }
}

#[test]
fn legal_moves_are_the_uncoloured_edges_and_bad_moves_are_errors() {
    let mut state = CliqueState::new(config(6, 3, Mode::Symmetric));
    assert_eq!(state.num_actions(), 15);
    assert_eq!(state.legal_actions(), (0..15).collect::<Vec<_>>());
    state.apply(3).unwrap();
    assert!(!state.legal_actions().contains(&3));
    assert_eq!(state.owner(3), Some(0));
    assert!(matches!(
        state.apply(3),
        Err(GameError::IllegalAction { action: 3, .. })
    ));
    assert!(matches!(
        state.apply(15),
        Err(GameError::IllegalAction { action: 15, .. })
    ));
    let over = CliqueState::from_actions(config(5, 3, Mode::Symmetric), &[0, 9, 1, 8, 4]).unwrap();
    assert_eq!(over.apply_clone(2), Err(GameError::GameOver));
    let mut mask = vec![true; 10];
    over.legal_mask(&mut mask);
    assert!(mask.iter().all(|&legal| !legal));
    let error = CliqueState::from_actions(config(5, 3, Mode::Symmetric), &[1, 1]).unwrap_err();
    assert!(error.to_string().contains("move 2"), "{error}");
}

trait ApplyClone {
    fn apply_clone(&self, action: usize) -> Result<(), GameError>;
}

impl ApplyClone for CliqueState {
    fn apply_clone(&self, action: usize) -> Result<(), GameError> {
        self.clone().apply(action)
    }
}

#[test]
fn wgsl_words_round_trip_and_inconsistent_words_are_rejected() {
    let mut random = Lcg(2);
    for (n, k) in [(6, 3), (33, 4), (64, 6)] {
        let config = config(n, k, Mode::Avoid);
        let mut state = CliqueState::new(config);
        for _ in 0..20 {
            if state.is_over() {
                break;
            }
            random_move(&mut state, &mut random);
            let words = state.to_words();
            assert_eq!(words.len(), CliqueState::words_per_state(config));
            assert_eq!(CliqueState::from_words(config, &words).unwrap(), state);
        }
        let mut words = state.to_words();
        words[0] += 1;
        assert!(CliqueState::from_words(config, &words).is_err());
        let mut words = state.to_words();
        words[4] |= 1; // vertex 0 adjacent to itself
        assert!(CliqueState::from_words(config, &words).is_err());
    }
}

#[test]
fn the_observation_is_one_hot_per_edge_from_the_movers_view() {
    let config = config(6, 3, Mode::Symmetric);
    let state = CliqueState::from_actions(config, &[0, 14, 5]).unwrap();
    assert_eq!(state.observation_len(), 45);
    assert_eq!(observation_len(6), 45);
    let mut observation = vec![9.0; 45];
    state.write_observation(&mut observation);
    // Player 1 to move: edge 14 is its own, edges 0 and 5 the opponent's.
    for (edge, features) in observation.chunks(3).enumerate() {
        let expected = match edge {
            14 => [1.0, 0.0, 0.0],
            0 | 5 => [0.0, 1.0, 0.0],
            _ => [0.0, 0.0, 1.0],
        };
        assert_eq!(features, expected, "edge {edge}");
    }
    let endpoints = edge_endpoints(6);
    assert_eq!(endpoints.len(), 15);
    assert_eq!(
        (endpoints[0], endpoints[5], endpoints[14]),
        ((0, 1), (1, 2), (4, 5))
    );
}

#[test]
fn relabelling_vertices_transforms_states_moves_and_policies_together() {
    let mut random = Lcg(3);
    for (n, k, mode) in [
        (6, 3, Mode::Symmetric),
        (9, 4, Mode::Avoid),
        (40, 5, Mode::Asymmetric),
    ] {
        let config = config(n, k, mode);
        let mut state = CliqueState::new(config);
        let mut moves = Vec::new();
        for _ in 0..(n as usize) {
            if state.is_over() {
                break;
            }
            moves.push(random_move(&mut state, &mut random));
        }
        let mut map: Vec<u32> = (0..n).collect();
        for i in (1..n as usize).rev() {
            map.swap(i, random.below(i + 1));
        }
        let permutation = VertexPermutation::new(map).unwrap();
        let permuted = permutation.permute_state(&state).unwrap();
        // Replaying the relabelled moves gives the relabelled state.
        let relabelled_moves: Vec<usize> = moves
            .iter()
            .map(|&a| permutation.permute_action(a))
            .collect();
        assert_eq!(
            CliqueState::from_actions(config, &relabelled_moves).unwrap(),
            permuted
        );
        let mut mask = vec![false; state.num_actions()];
        state.legal_mask(&mut mask);
        let mut permuted_mask = vec![false; state.num_actions()];
        permuted.legal_mask(&mut permuted_mask);
        assert_eq!(permutation.permute_policy(&mask), permuted_mask);
        let policy: Vec<f32> = (0..state.num_actions()).map(|a| a as f32).collect();
        let moved = permutation.permute_policy(&policy);
        for action in 0..policy.len() {
            assert_eq!(moved[permutation.permute_action(action)], policy[action]);
        }
        assert_eq!(
            permutation.inverse().permute_state(&permuted).unwrap(),
            state
        );
        assert_eq!(permuted.terminal_value(), state.terminal_value());
    }
    assert!(VertexPermutation::new(vec![0, 0, 1]).is_err());
    assert!(VertexPermutation::new(vec![0, 3, 1]).is_err());
    let identity = VertexPermutation::identity(5);
    assert!(
        identity
            .permute_state(&CliqueState::new(config(6, 3, Mode::Avoid)))
            .is_err()
    );
}
