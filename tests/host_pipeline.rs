//! The host pipeline (CPU reference self-play, host replay ring, compiled programs on the
//! CPU backend) against independent references: the clique rules replayed move by move
//! (self-play records), vertex relabelling of whole positions (augmentation), f64 losses
//! from the inference program's outputs (publish), and the exact solver (learning).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use wgzero::backend::Compute;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::symmetry::VertexPermutation;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status};
use wgzero::games::{GameSpec, GameState, Symmetries};
use wgzero::nn::spec::NetworkSpec;
use wgzero::search::Evaluator;
use wgzero::selfplay::record::{NO_SEARCH_VALUE, RecordLayout};
use wgzero::selfplay::replay::{Batch, ReplayRing, SampleRng};
use wgzero::testing::{CollectedFinals, blocking};
use wgzero::train::TrainError;
use wgzero::train::config::TrainConfig;
use wgzero::train::host_pipeline::HostPipeline;
use wgzero::train::pipeline::Pipeline;

/// One position as the training step consumes it.
#[derive(Clone, Debug, PartialEq)]
struct Sample {
    observation: Vec<f32>,
    legal_mask: Vec<f32>,
    policy_target: Vec<f32>,
    value_target: f32,
}

/// Slot `slot` of `ring`, split into its parts.
fn sample(ring: &ReplayRing, slot: usize) -> Sample {
    let layout = ring.layout();
    let record = ring.record(slot);
    Sample {
        observation: record[..layout.observation_len].to_vec(),
        policy_target: record[layout.policy()..layout.mask()].to_vec(),
        legal_mask: record[layout.mask()..layout.tail()].to_vec(),
        value_target: record[layout.floats() - 1],
    }
}

fn clique(config: &TrainConfig) -> CliqueConfig {
    match config.game {
        GameSpec::Clique(game) => game,
        other => panic!("not a clique run: {other:?}"),
    }
}

fn pipeline(config: &TrainConfig) -> HostPipeline<CliqueConfig> {
    HostPipeline::new(clique(config), config, Compute::Cpu, None).unwrap()
}

/// A small, fast run on K_n.
fn small_config(n: u32, k: u32, mode: Mode) -> TrainConfig {
    let mut config =
        TrainConfig::for_game(GameSpec::Clique(CliqueConfig::new(n, k, mode).unwrap()));
    config.network = NetworkSpec::Mlp {
        hidden: vec![32, 32],
    };
    config.games_in_flight = 16;
    config.search.simulations = 8;
    config.temperature_moves = 3;
    config.replay_capacity = 50_000;
    config.batch_size = 32;
    config
}

fn observation_of(state: &CliqueState) -> Vec<f32> {
    let mut observation = vec![0.0; state.observation_len()];
    state.write_observation(&mut observation);
    observation
}

fn mask_of(state: &CliqueState) -> Vec<f32> {
    let mut mask = vec![false; state.num_actions()];
    state.legal_mask(&mut mask);
    mask.iter()
        .map(|&legal| f32::from(u8::from(legal)))
        .collect()
}

/// The value of the finished `state` for `player`.
fn outcome_for(state: &CliqueState, player: u8) -> f32 {
    match state.status() {
        Status::Won(winner) if winner == player => 1.0,
        Status::Won(_) => -1.0,
        Status::Draw | Status::Ongoing => 0.0,
    }
}

/// One finished game as the replay buffer holds it, rebuilt with the rules: the moves
/// between consecutive positions, the final state.
struct ReplayedGame {
    final_state: CliqueState,
}

/// Splits `samples` (whole games in push order) into games and replays each with the
/// rules, checking every record against the rules' own observation, mask and outcome.
fn replay_games(config: CliqueConfig, samples: &[Sample]) -> Vec<ReplayedGame> {
    let empty_board = observation_of(&CliqueState::new(config));
    let mut starts: Vec<usize> = (0..samples.len())
        .filter(|&i| samples[i].observation == empty_board)
        .collect();
    assert_eq!(
        starts.first(),
        Some(&0),
        "the buffer starts with a game's first move"
    );
    starts.push(samples.len());
    let mut games = Vec::new();
    for window in starts.windows(2) {
        let positions = &samples[window[0]..window[1]];
        let mut state = CliqueState::new(config);
        for (index, sample) in positions.iter().enumerate() {
            assert_eq!(sample.observation, observation_of(&state), "observation");
            assert_eq!(sample.legal_mask, mask_of(&state), "legal mask");
            let total: f32 = sample.policy_target.iter().sum();
            assert!((total - 1.0).abs() < 1e-4, "policy target sums to {total}");
            for (action, (&target, &legal)) in sample
                .policy_target
                .iter()
                .zip(&sample.legal_mask)
                .enumerate()
            {
                assert!(target >= 0.0, "negative target at {action}");
                assert!(legal == 1.0 || target == 0.0, "target on illegal {action}");
            }
            if let Some(next) = positions.get(index + 1) {
                // The move: the edge empty here and coloured in the next position.
                let played: Vec<usize> = (0..config.num_edges())
                    .filter(|&e| sample.observation[3 * e + 2] == 1.0)
                    .filter(|&e| next.observation[3 * e + 2] == 0.0)
                    .collect();
                assert_eq!(played.len(), 1, "one edge coloured per move");
                state.apply(played[0]).unwrap();
                assert!(!state.is_over(), "a game went on after its end");
            }
        }
        // The last move is not recorded, but it ends the game with the recorded outcome
        // and the search had visited it.
        let last = positions.last().unwrap();
        let mover = state.to_move();
        let endings: Vec<CliqueState> = state
            .legal_actions()
            .into_iter()
            .filter(|&action| last.policy_target[action] > 0.0)
            .map(|action| {
                let mut next = state.clone();
                next.apply(action).unwrap();
                next
            })
            .filter(|next| next.is_over() && outcome_for(next, mover) == last.value_target)
            .collect();
        assert!(
            !endings.is_empty(),
            "no searched move ends the game as recorded"
        );
        // Value targets: the outcome from each mover's view (movers alternate).
        for (index, sample) in positions.iter().enumerate() {
            let plies_to_end = positions.len() - 1 - index;
            let expected = if plies_to_end.is_multiple_of(2) {
                last.value_target
            } else {
                -last.value_target
            };
            assert_eq!(sample.value_target, expected, "value target at ply {index}");
        }
        games.push(ReplayedGame {
            final_state: endings[0].clone(),
        });
    }
    games
}

#[test]
fn self_play_records_follow_the_rules_and_the_counts_add_up() {
    for mode in [Mode::Symmetric, Mode::Avoid] {
        // Plain self-play: every position once, every value target an outcome (the
        // openings and the surprise weighting have unit tests in host_selfplay.rs).
        let mut config = small_config(5, 3, mode);
        config.random_opening = 0;
        config.surprise_weight = 0.0;
        let drawn = CollectedFinals::default();
        let mut pipeline = HostPipeline::new(
            clique(&config),
            &config,
            Compute::Cpu,
            Some(Box::new(drawn.clone())),
        )
        .unwrap();
        let moves = 30;
        let report = blocking::play(&mut pipeline, moves).unwrap();
        let games_in_flight = u64::from(config.games_in_flight);
        assert_eq!(report.positions, games_in_flight * u64::from(moves));
        assert!(report.evaluations > 0);
        assert!(report.evaluations <= report.positions * u64::from(config.search.simulations + 1));
        let unfinished: u64 = (0..config.games_in_flight as usize)
            .map(|g| u64::from(pipeline.self_play().state(g).moves_played()))
            .sum();
        assert_eq!(report.total_length + unfinished, report.positions);
        assert_eq!(pipeline.replay_len(), report.total_length);
        assert_eq!(report.records, report.total_length, "each position once");
        assert_eq!(report.wins[0] + report.wins[1] + report.draws, report.games);

        let samples: Vec<Sample> = (0..pipeline.replay().len())
            .map(|i| sample(pipeline.replay(), i))
            .collect();
        let games = replay_games(clique(&config), &samples);
        assert_eq!(games.len() as u64, report.games);
        let mut wins = [0u64; 2];
        let mut draws = 0;
        let mut length = 0;
        for game in &games {
            length += u64::from(game.final_state.moves_played());
            match game.final_state.status() {
                Status::Won(player) => wins[usize::from(player)] += 1,
                _ => draws += 1,
            }
        }
        assert_eq!(
            (wins, draws, length),
            (report.wins, report.draws, report.total_length)
        );
        let drawn = drawn.0.lock().unwrap();
        assert_eq!(drawn.len() as u64, report.draws);
        for state in drawn.iter() {
            assert_eq!(state.status(), Status::Draw);
            assert_eq!(state.moves_played() as usize, clique(&config).num_edges());
        }
        if mode == Mode::Avoid {
            assert!(
                report.draws > 0,
                "no drawn avoid game in {} games",
                report.games
            );
        }
    }
}

/// An ongoing position `plies` random moves deep.
fn random_position(config: CliqueConfig, plies: usize, rng: &mut StdRng) -> CliqueState {
    loop {
        let mut state = CliqueState::new(config);
        for _ in 0..plies {
            let legal = state.legal_actions();
            state
                .apply(legal[rng.random_range(0..legal.len())])
                .unwrap();
            if state.is_over() {
                break;
            }
        }
        if !state.is_over() {
            return state;
        }
    }
}

/// A policy target over the legal moves with distinct weights.
fn distinct_policy(state: &CliqueState, rng: &mut StdRng) -> Vec<f32> {
    let mask = mask_of(state);
    let weights: Vec<f32> = mask
        .iter()
        .map(|&legal| legal * (0.5 + rng.random::<f32>()))
        .collect();
    let total: f32 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// Every vertex permutation of 0..n (n ≤ 7).
fn all_permutations(n: u32) -> Vec<VertexPermutation> {
    fn extend(prefix: &mut Vec<u32>, n: u32, out: &mut Vec<VertexPermutation>) {
        if prefix.len() == n as usize {
            out.push(VertexPermutation::new(prefix.clone()).unwrap());
            return;
        }
        for v in 0..n {
            if !prefix.contains(&v) {
                prefix.push(v);
                extend(prefix, n, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    extend(&mut Vec::new(), n, &mut out);
    out
}

/// A ring holding `state` once, with `policy` as its target and `value` as value target.
fn ring_of(state: &CliqueState, policy: &[f32], value: f32) -> ReplayRing {
    let layout = RecordLayout {
        observation_len: state.observation_len(),
        actions: state.num_actions(),
    };
    let mut record = observation_of(state);
    record.extend_from_slice(policy);
    record.extend(mask_of(state));
    // Search value (none), surprise, one copy, and the mover 0: the value target is the
    // result for player 0.
    record.extend([NO_SEARCH_VALUE, 0.0, 1.0, 0.0]);
    let mut ring = ReplayRing::new(4, layout);
    ring.commit(&record, value);
    ring
}

fn row_streams(rows: u32, seed: u32) -> Vec<SampleRng> {
    (0..rows).map(|row| SampleRng(seed + 977 * row)).collect()
}

#[test]
fn augmented_batches_hold_relabelled_positions_and_their_targets() {
    let config = CliqueConfig::new(5, 3, Mode::Symmetric).unwrap();
    let permutations = all_permutations(config.n);
    let mut rng = StdRng::seed_from_u64(11);
    let state = random_position(config, 4, &mut rng);
    let policy = distinct_policy(&state, &mut rng);
    let replay = ring_of(&state, &policy, -1.0);
    let mut batch = Batch::default();
    let mut streams = row_streams(64, 5);
    assert!(replay.sample_batch(&mut streams, Some(&config as &dyn Symmetries), &mut batch));
    let (o, a) = (state.observation_len(), state.num_actions());
    let mut distinct = std::collections::HashSet::new();
    for row in 0..64 {
        let observation = &batch.observations[row * o..(row + 1) * o];
        let mask = &batch.legal_masks[row * a..(row + 1) * a];
        let target = &batch.policy_targets[row * a..(row + 1) * a];
        // Some relabelling of the position gives exactly this row.
        let found = permutations.iter().any(|permutation| {
            let relabelled = permutation.permute_state(&state).unwrap();
            observation_of(&relabelled) == observation
                && mask_of(&relabelled) == mask
                && permutation.permute_policy(&policy) == target
        });
        assert!(found, "row {row} is no relabelling of the stored position");
        assert_eq!(batch.value_targets[row], -1.0);
        distinct.insert(observation.iter().map(|&x| x as u8).collect::<Vec<u8>>());
    }
    assert!(
        distinct.len() > 10,
        "relabellings are not random: {}",
        distinct.len()
    );
    // Without augmentation the stored sample comes back as is.
    assert!(replay.sample_batch(&mut row_streams(3, 8), None, &mut batch));
    assert_eq!(&batch.observations[..o], observation_of(&state).as_slice());
    assert_eq!(&batch.policy_targets[..a], policy.as_slice());
}

#[test]
fn the_replay_ring_keeps_the_newest_positions() {
    let layout = RecordLayout {
        observation_len: 6,
        actions: 2,
    };
    let mut replay = ReplayRing::new(5, layout);
    // Record i: observation 10 i + j, held once, value target i (a search value, so that
    // the mover does not flip it).
    let record = |i: usize| -> Vec<f32> {
        let mut record: Vec<f32> = (0..6).map(|j| (10 * i + j) as f32).collect();
        record.extend([i as f32, -(i as f32), 1.0, (i % 2) as f32]);
        record.extend([(i as f32) / 100.0, 0.0, 1.0, 0.0]);
        record
    };
    for i in 0..12 {
        replay.commit(&record(i), 0.0);
        assert_eq!(replay.len(), (i + 1).min(5));
    }
    assert_eq!(replay.written(), 12);
    // Slot 12 % 5 = 2 holds the oldest kept (7); the slots before it the newest.
    let held: Vec<f32> = (0..5).map(|slot| replay.record(slot)[0]).collect();
    assert_eq!(held, [100.0, 110.0, 70.0, 80.0, 90.0]);
    // Uniform draws see exactly the kept positions.
    let mut batch = Batch::default();
    assert!(replay.sample_batch(&mut row_streams(400, 1), None, &mut batch));
    let mut seen: Vec<u32> = batch
        .value_targets
        .iter()
        .map(|&v| (v * 100.0).round() as u32)
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, vec![7, 8, 9, 10, 11]);
}

#[test]
fn training_needs_positions() {
    let config = small_config(5, 3, Mode::Symmetric);
    let mut pipeline = pipeline(&config);
    assert!(matches!(
        blocking::train(&mut pipeline, 1),
        Err(TrainError::EmptyReplay)
    ));
}

#[test]
fn training_lowers_the_loss_on_a_fixed_replay_set() {
    let mut config = small_config(5, 3, Mode::Symmetric);
    config.batch_size = 64;
    config.augment = false;
    let mut pipeline = pipeline(&config);
    blocking::play(&mut pipeline, 12).unwrap();
    let replay = pipeline.replay();
    assert!(replay.len() > 100, "{}", replay.len());
    // The lowest policy loss any function of the observation reaches: each sample's
    // cross-entropy against the mean target of the samples with its observation. What
    // falls with training is the excess over it.
    let samples: Vec<Sample> = (0..replay.len()).map(|i| sample(replay, i)).collect();
    let mut groups: std::collections::HashMap<Vec<u8>, (Vec<f64>, f64)> = Default::default();
    for sample in &samples {
        let key = sample.observation.iter().map(|&x| x as u8).collect();
        let (sum, count) = groups
            .entry(key)
            .or_insert_with(|| (vec![0.0; sample.policy_target.len()], 0.0));
        for (s, &t) in sum.iter_mut().zip(&sample.policy_target) {
            *s += f64::from(t);
        }
        *count += 1.0;
    }
    let floor = samples
        .iter()
        .map(|sample| {
            let key: Vec<u8> = sample.observation.iter().map(|&x| x as u8).collect();
            let (sum, count) = &groups[&key];
            sample
                .policy_target
                .iter()
                .zip(sum)
                .filter(|(t, _)| **t > 0.0)
                .map(|(&t, &s)| -f64::from(t) * (s / count).ln())
                .sum::<f64>()
        })
        .sum::<f64>()
        / samples.len() as f64;
    let before = blocking::train(&mut pipeline, 20).unwrap();
    blocking::train(&mut pipeline, 1500).unwrap();
    let after = blocking::train(&mut pipeline, 20).unwrap();
    eprintln!("{before:?}\n{after:?}\nfloor {floor}");
    assert_eq!(after.steps, 20);
    let excess = |policy_loss: f32| f64::from(policy_loss) - floor;
    assert!(
        excess(after.policy_loss) < 0.5 * excess(before.policy_loss),
        "policy loss {} → {} (floor {floor})",
        before.policy_loss,
        after.policy_loss
    );
    assert!(
        after.value_loss < 0.7 * before.value_loss,
        "value loss {} → {}",
        before.value_loss,
        after.value_loss
    );
    assert!(after.policy_entropy < before.policy_entropy);
    assert!((after.loss - after.policy_loss - after.value_loss).abs() < 1e-4);
}

/// f64 loss terms of `batch` given the network's logits and values on it.
fn reference_losses(batch: &Batch, logits: &[f32], values: &[f32], actions: usize) -> [f64; 4] {
    let rows = values.len();
    let (mut policy, mut value, mut entropy) = (0.0f64, 0.0f64, 0.0f64);
    for row in 0..rows {
        let legal: Vec<usize> = (0..actions)
            .filter(|&a| batch.legal_masks[row * actions + a] == 1.0)
            .collect();
        let logit = |a: usize| f64::from(logits[row * actions + a]);
        let max = legal.iter().map(|&a| logit(a)).fold(f64::MIN, f64::max);
        let total: f64 = legal.iter().map(|&a| (logit(a) - max).exp()).sum();
        for &a in &legal {
            let log_probability = logit(a) - max - total.ln();
            policy -= f64::from(batch.policy_targets[row * actions + a]) * log_probability;
            entropy -= log_probability.exp() * log_probability;
        }
        value += (f64::from(values[row]) - f64::from(batch.value_targets[row])).powi(2);
    }
    let rows = rows as f64;
    [
        (policy + value) / rows,
        policy / rows,
        value / rows,
        entropy / rows,
    ]
}

#[test]
fn training_publishes_the_trained_network_to_the_search() {
    let mut config = small_config(5, 3, Mode::Symmetric);
    config.batch_size = 16;
    let actions = clique(&config).num_edges();
    let mut pipeline = pipeline(&config);
    blocking::play(&mut pipeline, 10).unwrap();
    blocking::train(&mut pipeline, 40).unwrap();
    let batch = pipeline.draw_batch().unwrap();
    let agrees = |pipeline: &mut HostPipeline<CliqueConfig>| {
        let (logits, values) = pipeline
            .inference_mut()
            .evaluate(&batch.observations, 16)
            .unwrap();
        let expected = reference_losses(&batch, &logits, &values, actions);
        // A step reports the losses at the parameters before its update.
        let step = pipeline.train_batch(&batch).unwrap();
        let got = [
            step.loss,
            step.policy_loss,
            step.value_loss,
            step.policy_entropy,
        ];
        got.iter()
            .zip(expected)
            .all(|(&g, e)| (f64::from(g) - e).abs() < 1e-4 * (1.0 + e.abs()))
    };
    // Queued training ends by publishing: the search has the parameters training reached.
    assert!(agrees(&mut pipeline), "published parameters differ");
    // `train_batch` steps without publishing: now the search lags one step behind.
    assert!(!agrees(&mut pipeline), "a step changed nothing");
    blocking::train(&mut pipeline, 1).unwrap();
    assert!(
        agrees(&mut pipeline),
        "published parameters differ after a training"
    );
}

/// Ongoing positions of random play whose moves do not all have the same value, with the
/// solver's optimal moves.
fn decisive_positions(config: CliqueConfig, count: usize) -> Vec<(CliqueState, Vec<usize>)> {
    let mut solver = Solver::new(config).unwrap();
    let mut rng = StdRng::seed_from_u64(99);
    let mut positions = Vec::new();
    while positions.len() < count {
        let plies = rng.random_range(0..config.num_edges() - 1);
        let state = random_position(config, plies, &mut rng);
        let analysis = solver.analyse(&state).unwrap();
        if analysis.optimal_moves.len() < analysis.move_values.len() {
            positions.push((state, analysis.optimal_moves));
        }
    }
    positions
}

/// Share of `positions` where the raw policy's most likely legal move is optimal.
fn raw_policy_accuracy(
    pipeline: &mut HostPipeline<CliqueConfig>,
    positions: &[(CliqueState, Vec<usize>)],
    rows: usize,
) -> f64 {
    let mut correct = 0;
    for chunk in positions.chunks(rows) {
        let observations: Vec<f32> = chunk.iter().flat_map(|(s, _)| observation_of(s)).collect();
        let (logits, _) = pipeline
            .inference_mut()
            .evaluate(&observations, chunk.len())
            .unwrap();
        for (row, (state, optimal)) in chunk.iter().enumerate() {
            let actions = state.num_actions();
            let best = state
                .legal_actions()
                .into_iter()
                .max_by(|&a, &b| logits[row * actions + a].total_cmp(&logits[row * actions + b]))
                .unwrap();
            correct += usize::from(optimal.contains(&best));
        }
    }
    correct as f64 / positions.len() as f64
}

#[test]
fn a_short_run_learns_optimal_moves() {
    let mut config = small_config(5, 3, Mode::Symmetric);
    config.network = NetworkSpec::Mlp {
        hidden: vec![64, 64],
    };
    config.games_in_flight = 64;
    config.search.simulations = 16;
    config.batch_size = 128;
    let positions = decisive_positions(clique(&config), 300);
    let mut pipeline = pipeline(&config);
    let untrained = raw_policy_accuracy(&mut pipeline, &positions, 64);
    for _ in 0..12 {
        blocking::play(&mut pipeline, 8).unwrap();
        blocking::train(&mut pipeline, 40).unwrap();
    }
    let trained = raw_policy_accuracy(&mut pipeline, &positions, 64);
    eprintln!("raw-policy accuracy on n=5, k=3: untrained {untrained:.3}, trained {trained:.3}");
    assert!(
        trained > untrained + 0.15,
        "accuracy {untrained:.3} → {trained:.3}"
    );
}
