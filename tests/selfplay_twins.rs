//! Self-play's GPU kernels against their host twins (`src/selfplay/`):
//! - the replay commit (`replay.wgsl`: a prefix scan over the finished games, in blocks of
//!   256, then the copies) against `ReplayRing::commit`, with more than 256 games finishing
//!   at once and the ring wrapping;
//! - the batch sampler with and without augmentation (`sample.wgsl` expanding compact
//!   records with `decode.wgsl` and the game's WGSL observation, and the clique game's
//!   `augment.wgsl`) against `ReplayRing::sample_batch` over the same positions' dense
//!   records written by the Rust rules, row by row and stream by stream;
//! - policy-surprise weighting and the replay fraction (`weigh_trajectory` in `play.wgsl`):
//!   every finished game's copies against `replay_weights` of its recorded surprises,
//!   rounded at random as `weight_copies` says (a distribution test with a fixed seed);
//! - subtree reuse (`play_moves` keeping the chosen child's tree) against the CPU
//!   reference search's `advance`.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};
use wgzero::games::{GameState, GpuGame, Symmetries};
use wgzero::gpu::Gpu;
use wgzero::graph::optim::{Optimizer, UpdateConfig};
use wgzero::graph::wgsl::GpuProgram;
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::mlp::Mlp;
use wgzero::nn::uniform::Uniform;
use wgzero::nn::{self, Network, names};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    FirstPlayUrgency, ReferenceSearch, RootPolicy, SearchConfig, UniformEvaluator,
};
use wgzero::selfplay::gpu::{GpuSelfPlay, SelfPlayGame};
use wgzero::selfplay::gpu_replay::{GpuReplay, GpuSampler, ReplaySource};
use wgzero::selfplay::record::{CompactLayout, NO_SEARCH_VALUE, PlaySettings, RecordLayout};
use wgzero::selfplay::replay::{Batch, ReplayRing, SampleRng, sampler_seeds};
use wgzero::selfplay::surprise::replay_weights;
use wgzero::testing::test_gpu;

fn gpu_program(program: Program) -> GpuProgram {
    match program {
        Program::Gpu(program) => program,
        Program::Cpu(_) => unreachable!("compiled for the GPU"),
    }
}

fn submit(gpu: &Gpu, record: impl FnOnce(&mut wgpu::ComputePass)) {
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
        record(&mut pass);
    }
    gpu.queue.submit([encoder.finish()]);
}

/// Random finished games for the commit: per game a record, and its trajectory records
/// (copies 0..=2, movers alternating, some with a search value).
fn random_round(
    rng: &mut StdRng,
    games: usize,
    trajectory_len: usize,
    layout: RecordLayout,
) -> (Vec<SelfPlayGame>, Vec<f32>) {
    let floats = layout.floats();
    let tail = layout.tail();
    let mut records = vec![SelfPlayGame::default(); games];
    let mut trajectories = vec![0.0f32; games * trajectory_len * floats];
    for (g, record) in records.iter_mut().enumerate() {
        // Most games finish: more than 256 at once, so the scan needs its second level.
        if rng.random::<f32>() < 0.25 {
            continue;
        }
        let length = rng.random_range(1..=trajectory_len);
        let mut copies_total = 0;
        for t in 0..length {
            let at = (g * trajectory_len + t) * floats;
            let sample = &mut trajectories[at..at + floats];
            for value in &mut sample[..tail] {
                *value = rng.random_range(-8..8) as f32 / 4.0;
            }
            sample[tail] = if rng.random::<f32>() < 0.3 {
                rng.random_range(-4..=4) as f32 / 4.0
            } else {
                NO_SEARCH_VALUE
            };
            sample[tail + 1] = rng.random::<f32>();
            let copies = rng.random_range(0..=2u32);
            sample[tail + 2] = copies as f32;
            sample[tail + 3] = (t % 2) as f32;
            copies_total += copies;
        }
        *record = SelfPlayGame {
            finished_length: length as u32,
            finished_value0: [-1.0, 0.0, 1.0][rng.random_range(0..3)],
            finished_records: copies_total,
            ..SelfPlayGame::default()
        };
    }
    (records, trajectories)
}

#[test]
fn the_replay_commit_equals_its_host_twin_over_many_blocks_and_wraps() {
    let Some(gpu) = test_gpu() else { return };
    // A ring larger than a round of finished games, and one smaller: a commit then keeps
    // its last records, as appending them one by one does.
    commit_rounds(&gpu, 5_000);
    commit_rounds(&gpu, 700);
}

fn commit_rounds(gpu: &Arc<Gpu>, capacity: u64) {
    // The commit copies compact records word by word and rewrites the tail's last float:
    // the host twin holds them as dense records of as many floats with no actions (the
    // tail at the same place), the words as f32 bits.
    let compact = CompactLayout {
        state_words: 3,
        max_legal: 1,
        dense: RecordLayout {
            observation_len: 3,
            actions: 2,
        },
    };
    let layout = RecordLayout {
        observation_len: compact.tail(),
        actions: 0,
    };
    assert_eq!(layout.floats(), compact.words());
    let (games, trajectory_len) = (600usize, 4usize);
    let games_buffer = gpu.storage_buffer(
        "test games",
        (games * std::mem::size_of::<SelfPlayGame>()) as u64,
    );
    let trajectory_buffer = gpu.storage_buffer(
        "test trajectories",
        (games * trajectory_len * layout.floats() * 4) as u64,
    );
    let source = ReplaySource {
        games_buffer: &games_buffer,
        trajectory_buffer: &trajectory_buffer,
        games: games as u32,
        trajectory_len: trajectory_len as u32,
        layout: compact,
    };
    let replay = GpuReplay::new(gpu, &source, capacity).unwrap();
    let mut twin = ReplayRing::new(capacity as usize, layout);
    let mut rng = StdRng::seed_from_u64(17);
    let floats = layout.floats();
    for round in 0..5 {
        let (records, trajectories) = random_round(&mut rng, games, trajectory_len, layout);
        let finishing = records.iter().filter(|r| r.finished_length > 0).count();
        assert!(finishing > 256, "round {round}: {finishing} games finish");
        let stored: u32 = records.iter().map(|r| r.finished_records).sum();
        gpu.queue
            .write_buffer(&games_buffer, 0, bytemuck::cast_slice(&records));
        gpu.queue
            .write_buffer(&trajectory_buffer, 0, bytemuck::cast_slice(&trajectories));
        submit(gpu, |pass| replay.record_commit(pass));
        for (g, record) in records.iter().enumerate() {
            let length = record.finished_length as usize;
            if length > 0 {
                let start = g * trajectory_len * floats;
                twin.commit(
                    &trajectories[start..start + length * floats],
                    record.finished_value0,
                );
            }
        }
        let [head, count, written] = replay.read_header().unwrap();
        assert_eq!(
            (head as usize, count as usize, u64::from(written)),
            (twin.head(), twin.len(), twin.written()),
            "capacity {capacity}, round {round}: header"
        );
        assert_eq!(
            capacity < u64::from(stored),
            capacity == 700,
            "capacity {capacity}, round {round}: {stored} records"
        );
        let ring = replay.read_ring().unwrap();
        let held = &ring[..twin.len() * floats];
        let expected: Vec<u32> = twin.records().iter().map(|x| x.to_bits()).collect();
        assert_eq!(
            held, expected,
            "capacity {capacity}, round {round}: ring contents"
        );
    }
    assert!(twin.written() > capacity, "the ring wrapped");
}

/// A training step's program on the GPU, whose inputs the sampler fills.
fn training_program(gpu: &Arc<Gpu>, network: &dyn Network, batch: usize) -> GpuProgram {
    let graph = Graph::new();
    let update = UpdateConfig {
        optimizer: Optimizer::adam(),
        learning_rate: 1e-3,
        l2: 0.0,
        clip_global_norm: None,
    };
    let tensors = nn::training_step(&graph, network, batch, &update).unwrap();
    nn::add_policy_entropy(&graph, &tensors);
    gpu_program(
        Program::compile(
            &graph,
            &Compute::Gpu(gpu.clone()),
            &CompileOptions::default(),
        )
        .unwrap(),
    )
}

#[test]
fn the_sampler_expands_compact_records_into_its_host_twins_batches() {
    let Some(gpu) = test_gpu() else { return };
    let game = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let (edges, batch) = (game.num_edges(), 40u32);
    let layout = RecordLayout {
        observation_len: 3 * edges,
        actions: edges,
    };
    let compact = CompactLayout {
        state_words: GpuGame::state_words(&game) as usize,
        max_legal: GpuGame::max_legal(&game) as usize,
        dense: layout,
    };
    // Real positions with distinct targets (random games' states), each as a dense record
    // for the host twin (the Rust rules' observation and mask) and as the compact record
    // the GPU ring stores (the state words and the listed legal moves, in decreasing order
    // so that the expansion cannot rely on it).
    let mut rng = StdRng::seed_from_u64(5);
    let mut twin = ReplayRing::new(64, layout);
    let mut ring = Vec::new();
    for index in 0..50 {
        let mut state = CliqueState::new(game);
        for _ in 0..rng.random_range(0..8) {
            let legal = state.legal_actions();
            state
                .apply(legal[rng.random_range(0..legal.len())])
                .unwrap();
            if state.terminal_value().is_some() {
                break;
            }
        }
        let mut record = vec![0.0; state.observation_len()];
        state.write_observation(&mut record);
        let mask: Vec<f32> = (0..edges)
            .map(|action| f32::from(u8::from(state.owner(action).is_none())))
            .collect();
        let policy: Vec<f32> = mask
            .iter()
            .map(|&legal| legal * rng.random::<f32>())
            .collect();
        let tail = [(index % 9) as f32 / 8.0 - 0.5, 0.0, 1.0, 0.0];
        let mut words = state.to_words();
        assert_eq!(words.len(), compact.state_words);
        let listed: Vec<usize> = (0..edges).rev().filter(|&a| mask[a] > 0.0).collect();
        words.push(listed.len() as u32);
        let mut actions = vec![0u32; compact.max_legal];
        let mut targets = vec![0u32; compact.max_legal];
        for (i, &action) in listed.iter().enumerate() {
            actions[i] = action as u32;
            targets[i] = policy[action].to_bits();
        }
        words.extend(actions);
        words.extend(targets);
        words.extend(tail.iter().map(|x| x.to_bits()));
        assert_eq!(words.len(), compact.words());
        record.extend(policy);
        record.extend(mask);
        record.extend(tail);
        assert_eq!(compact.expand(&words, &record[..3 * edges]), record);
        twin.commit(&record, 0.0);
        // The ring's copy carries the value target last, as the commit writes it.
        let value = twin.record(twin.len() - 1)[layout.floats() - 1];
        *words.last_mut().unwrap() = value.to_bits();
        ring.extend(words);
    }
    let network = Mlp {
        input: 3 * edges,
        hidden: vec![8],
        actions: edges,
    };
    let training = training_program(&gpu, &network, batch as usize);
    let self_play_games = gpu.storage_buffer("unused games", 64);
    let trajectories = gpu.storage_buffer("unused trajectories", 64);
    let source = ReplaySource {
        games_buffer: &self_play_games,
        trajectory_buffer: &trajectories,
        games: 1,
        trajectory_len: 1,
        layout: compact,
    };
    let replay = GpuReplay::new(&gpu, &source, 64).unwrap();
    ring.resize(64 * compact.words(), 0);
    replay.write(
        &ring,
        twin.head() as u32,
        twin.len() as u32,
        twin.written() as u32,
    );
    // The decoder the tests read rings with is the same expansion.
    assert_eq!(
        replay.read_dense(&game, twin.len() as u64).unwrap(),
        twin.records(),
        "decoded ring"
    );
    for symmetries in [None, Some(&game as &dyn Symmetries)] {
        let seed = 99;
        let sampler =
            GpuSampler::new(&gpu, &replay, &game, &training, batch, symmetries, seed).unwrap();
        let mut streams: Vec<SampleRng> = sampler_seeds(seed, batch)
            .into_iter()
            .map(SampleRng)
            .collect();
        for round in 0..3 {
            submit(&gpu, |pass| sampler.record_sample(pass));
            let mut expected = Batch::default();
            assert!(twin.sample_batch(&mut streams, symmetries, &mut expected));
            let read = |name| training.read(name).unwrap();
            let label = format!("augmented {}, round {round}", symmetries.is_some());
            assert_eq!(read(names::OBSERVATIONS), expected.observations, "{label}");
            assert_eq!(
                read(names::POLICY_TARGET),
                expected.policy_targets,
                "{label}"
            );
            assert_eq!(read(names::LEGAL_MASK), expected.legal_masks, "{label}");
            assert_eq!(read(names::VALUE_TARGET), expected.value_targets, "{label}");
            let states: Vec<u32> = streams.iter().map(|stream| stream.0).collect();
            assert_eq!(sampler.read_rng(batch as usize).unwrap(), states, "{label}");
        }
    }
}

fn uniform_program(gpu: &Arc<Gpu>, game: CliqueConfig, batch: usize) -> GpuProgram {
    let network = Uniform {
        observation_len: 3 * game.num_edges(),
        actions: game.num_edges(),
    };
    let graph = Graph::new();
    nn::inference(&graph, &network, batch);
    gpu_program(
        Program::compile(
            &graph,
            &Compute::Gpu(gpu.clone()),
            &CompileOptions::default(),
        )
        .unwrap(),
    )
}

fn puct(simulations: u32, dirichlet: Option<(f32, f32)>, reuse_subtree: bool) -> SearchConfig {
    SearchConfig {
        simulations,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.5,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet,
        },
        reuse_subtree,
    }
}

#[test]
fn surprise_weighting_draws_copies_as_its_host_twin_weighs_them() {
    let Some(gpu) = test_gpu() else { return };
    weighting_draws_copies_as_its_host_twin(&gpu, 0.7, 1.0);
}

#[test]
fn a_replay_fraction_draws_copies_as_its_host_twin_weighs_them() {
    let Some(gpu) = test_gpu() else { return };
    // A fraction over the surprise weights keeps weights above 1 and below it.
    weighting_draws_copies_as_its_host_twin(&gpu, 0.7, 0.6);
}

/// Plays 40 moves of 48 games on K_5 (avoid) and checks every finished game's copies
/// against `replay_weights(λ, fraction)` of its recorded surprises.
fn weighting_draws_copies_as_its_host_twin(gpu: &Arc<Gpu>, lambda: f32, fraction: f32) {
    let game = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
    let games = 48u32;
    let search = GpuSearch::new(
        gpu,
        &game,
        uniform_program(gpu, game, games as usize),
        puct(12, Some((0.5, 0.5)), false),
        games,
        23,
    )
    .unwrap();
    let settings = PlaySettings {
        temperature_moves: 10,
        late_temperature: 0.0,
        random_opening: 0,
        record: true,
        surprise_weight: lambda,
        replay_fraction: fraction,
        log_draws: false,
        trace_games: 0,
    };
    let self_play = GpuSelfPlay::new(gpu, &search, &game, settings).unwrap();
    self_play.reset();
    let layout = self_play.compact_layout();
    let (words, tail, length) = (
        layout.words(),
        layout.tail(),
        self_play.trajectory_len() as usize,
    );
    // Per quarter of frac(w) ∈ [0, 1): the copies drawn minus the weights (mean 0 when a
    // position gets its extra copy with probability frac(w)) and its variance
    // Σ frac(w)(1 − frac(w)).
    let (mut excess, mut variance) = ([0.0f64; 4], [0.0f64; 4]);
    let (mut positions, mut finished) = (0, 0);
    for _ in 0..40 {
        search.submit(|search, pass| {
            search.record_search(pass);
            self_play.record_play(pass);
        });
        let records = self_play.read_games().unwrap();
        let trajectories = self_play.read_trajectories().unwrap();
        for (g, record) in records.iter().enumerate() {
            let moves = record.finished_length as usize;
            if moves == 0 {
                continue;
            }
            finished += 1;
            let samples: Vec<&[u32]> = (0..moves)
                .map(|t| &trajectories[(g * length + t) * words..][..words])
                .collect();
            let surprises: Vec<f32> = samples
                .iter()
                .map(|s| f32::from_bits(s[tail + 1]))
                .collect();
            let weights = replay_weights(&surprises, lambda, fraction);
            let mut total = 0;
            for (sample, weight) in samples.iter().zip(weights) {
                let copies = f32::from_bits(sample[tail + 2]);
                assert_eq!(copies.fract(), 0.0);
                // ⌊w⌋ or ⌊w⌋ + 1 (with float slack at integer weights).
                assert!(
                    copies >= (weight - 1e-4).floor() && copies <= (weight + 1e-4).floor() + 1.0,
                    "copies {copies} for weight {weight}"
                );
                let fraction = f64::from(weight.fract());
                let quarter = ((fraction * 4.0) as usize).min(3);
                excess[quarter] += f64::from(copies - weight);
                variance[quarter] += fraction * (1.0 - fraction);
                total += copies as u32;
                positions += 1;
            }
            assert_eq!(total, record.finished_records, "the game's records");
        }
    }
    assert!(finished > 50, "{finished} games finished");
    // In every quarter the copies are unbiased draws: their excess over the weights is
    // within 4.5 standard deviations of 0.
    for quarter in 0..4 {
        let z = excess[quarter] / variance[quarter].max(1e-9).sqrt();
        eprintln!(
            "{positions} positions of {finished} games, frac(w) in quarter {quarter}: excess \
             {:.2}, z {z:.2}",
            excess[quarter]
        );
        assert!(variance[quarter] > 1.0, "weights in quarter {quarter}");
        assert!(z.abs() < 4.5, "quarter {quarter}: z = {z}");
    }
}

#[test]
fn subtree_reuse_on_the_gpu_equals_the_reference_search() {
    let Some(gpu) = test_gpu() else { return };
    let game = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let roots: Vec<CliqueState> = (0..6)
        .map(|_| {
            loop {
                let mut state = CliqueState::new(game);
                for _ in 0..rng.random_range(0..=3) {
                    let legal = state.legal_actions();
                    state
                        .apply(legal[rng.random_range(0..legal.len())])
                        .unwrap();
                }
                if state.terminal_value().is_none() {
                    break state;
                }
            }
        })
        .collect();
    let sims = 30;
    for reuse in [true, false] {
        let config = puct(sims, None, reuse);
        let search = GpuSearch::new(
            &gpu,
            &game,
            uniform_program(&gpu, game, roots.len()),
            config,
            roots.len() as u32,
            1,
        )
        .unwrap();
        let settings = PlaySettings {
            temperature_moves: 0,
            late_temperature: 0.0,
            random_opening: 0,
            record: false,
            surprise_weight: 0.0,
            replay_fraction: 1.0,
            log_draws: false,
            trace_games: 0,
        };
        let self_play = GpuSelfPlay::new(&gpu, &search, &game, settings).unwrap();
        let words: Vec<u32> = roots.iter().flat_map(CliqueState::to_words).collect();
        search.set_roots(&words, &vec![None; roots.len()]).unwrap();
        // Search, play the chosen move (keeping its subtree with reuse), search again.
        search.submit(|search, pass| {
            search.record_search(pass);
            self_play.record_play(pass);
            search.record_search(pass);
        });
        let gpu_results = search.read_results(game.num_edges()).unwrap();

        let mut reference = ReferenceSearch::new(roots.clone(), config, 1).unwrap();
        let mut evaluator = UniformEvaluator::new(game.num_edges());
        let first = reference.run(&mut evaluator).unwrap();
        for (g, result) in first.iter().enumerate() {
            reference.advance(g, result.chosen).unwrap();
        }
        let second = reference.run(&mut evaluator).unwrap();
        for (g, (gpu_result, expected)) in gpu_results.iter().zip(&second).enumerate() {
            let visits = |result: &wgzero::search::SearchResult| -> Vec<(usize, u32)> {
                result
                    .children
                    .iter()
                    .map(|c| (c.action, c.visits))
                    .collect()
            };
            assert_eq!(
                visits(gpu_result),
                visits(expected),
                "reuse {reuse}, game {g}"
            );
            let total: u32 = expected.children.iter().map(|c| c.visits).sum();
            if reuse {
                // The kept subtree's visits are still there: more than one search's worth.
                assert!(total > sims, "reuse {reuse}, game {g}: {total} visits");
            } else {
                assert_eq!(total, sims, "game {g}");
            }
        }
    }
}
