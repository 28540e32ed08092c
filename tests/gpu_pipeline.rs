//! The GPU training pipeline: self-play fills the replay ring with consistent samples
//! (placed by the prefix scan) and brings the traced slots' games back with its readbacks,
//! and training on sampled batches lowers the loss.

mod game_records;

use wgzero::games::GameSpec;
use wgzero::games::clique::{CliqueConfig, Mode, Status};
use wgzero::run_dir::games::{GameRecord, GameSource};
use wgzero::search::{FirstPlayUrgency, RootPolicy, SearchConfig};
use wgzero::selfplay::SelfPlayReport;
use wgzero::selfplay::record::{NO_SEARCH_VALUE, RECORD_TAIL};
use wgzero::testing::{CollectedFinals, blocking, test_gpu};
use wgzero::train::config::TrainConfig;
use wgzero::train::gpu_pipeline::GpuPipeline;
use wgzero::train::pipeline::{Completed, Pipeline};

fn game(mode: Mode) -> CliqueConfig {
    CliqueConfig::new(5, 3, mode).unwrap()
}

fn small_config(mode: Mode) -> TrainConfig {
    let mut config = TrainConfig::for_game(GameSpec::Clique(game(mode)));
    config.games_in_flight = 12;
    config.search = SearchConfig {
        simulations: 6,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.5,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: Some((0.5, 0.25)),
        },
        reuse_subtree: false,
    };
    config.replay_capacity = 400;
    config.batch_size = 16;
    config.network = wgzero::nn::spec::NetworkSpec::Mlp { hidden: vec![16] };
    // Plain self-play: the weighting and the openings have their own test below.
    config.random_opening = 0;
    config.surprise_weight = 0.0;
    config
}

#[test]
fn self_play_fills_the_ring_with_consistent_samples() {
    let Some(gpu) = test_gpu() else { return };
    for mode in [Mode::Symmetric, Mode::Avoid] {
        let config = small_config(mode);
        let drawn = CollectedFinals::default();
        let mut pipeline =
            GpuPipeline::new(game(mode), &config, &gpu, Some(Box::new(drawn.clone()))).unwrap();
        pipeline.queue_play(24).unwrap();
        let mut report = SelfPlayReport::default();
        let mut traced = Vec::new();
        for done in blocking::finish(&mut pipeline).unwrap() {
            if let Completed::Played {
                report: part,
                traced: games,
                ..
            } = done
            {
                report.add(&part);
                traced.extend(games);
            }
        }
        // The first two slots are traced (the default); games of K_5 last at most 10
        // moves, so each finishes at least two in 24, and every one replays with the rules.
        assert!(traced.len() >= 4, "{mode}: {} traced games", traced.len());
        for game in traced {
            assert!(game.slot < 2, "{mode}: slot {}", game.slot);
            let source = GameSource::SelfPlay {
                slot: game.slot,
                simulations: config.search.simulations,
            };
            let spec = GameSpec::Clique(self::game(mode));
            game_records::check_record(&GameRecord::new(1, spec, source, game.game));
        }
        assert_eq!(
            report.positions,
            24 * 12,
            "{mode}: one move per game per step"
        );
        assert!(report.games > 0, "{mode}: some games end within 24 moves");
        assert_eq!(report.wins[0] + report.wins[1] + report.draws, report.games);
        let held = pipeline.replay_len();
        assert_eq!(
            held,
            report.total_length.min(400),
            "{mode}: every finished move is held"
        );
        let replay = pipeline.replay_records().unwrap();
        let edges = 10;
        let record = 3 * edges + 2 * edges + RECORD_TAIL;
        for sample in replay.chunks(record).take(held as usize) {
            let (observation, rest) = sample.split_at(3 * edges);
            let (policy, rest) = rest.split_at(edges);
            let (mask, tail) = rest.split_at(edges);
            let (search_value, surprise, copies, value) = (tail[0], tail[1], tail[2], &tail[3..]);
            assert_eq!(search_value, NO_SEARCH_VALUE, "no random opening");
            assert!(
                surprise >= 0.0 && surprise.is_finite(),
                "surprise {surprise}"
            );
            assert_eq!(
                copies, 1.0,
                "without weighting each position is stored once"
            );
            for e in 0..edges {
                let features = &observation[3 * e..3 * e + 3];
                assert_eq!(features.iter().sum::<f32>(), 1.0, "one-hot edge");
                assert_eq!(
                    mask[e], features[2],
                    "legal exactly where the edge is empty"
                );
                if mask[e] == 0.0 {
                    assert_eq!(policy[e], 0.0, "no target on an illegal move");
                }
            }
            let total: f32 = policy.iter().sum();
            assert!(
                (total - 1.0).abs() < 1e-5,
                "policy target sums to 1: {total}"
            );
            assert!([-1.0, 0.0, 1.0].contains(&value[0]), "value {}", value[0]);
            if mode == Mode::Symmetric {
                // R(3,3) = 6 > 5: draws are possible on K_5, but wins are decisive.
                assert!(value[0] != 0.0 || report.draws > 0);
            }
        }
        let drawn = drawn.0.lock().unwrap();
        assert_eq!(
            drawn.len() as u64,
            report.draws,
            "{mode}: every draw is logged"
        );
        for state in drawn.iter() {
            assert_eq!(state.status(), Status::Draw, "{mode}");
            assert_eq!(
                state.moves_played(),
                10,
                "{mode}: a drawn game fills the board"
            );
        }
    }
}

#[test]
fn training_lowers_the_loss() {
    let Some(gpu) = test_gpu() else { return };
    let mut config = small_config(Mode::Symmetric);
    config.learning_rate = 1e-2;
    let mut pipeline = GpuPipeline::new(game(Mode::Symmetric), &config, &gpu, None).unwrap();
    blocking::play(&mut pipeline, 20).unwrap();
    let first = blocking::train(&mut pipeline, 4).unwrap();
    let later = blocking::train(&mut pipeline, 40).unwrap();
    assert!(first.loss.is_finite() && later.loss.is_finite());
    assert!(later.loss < first.loss, "{first:?} then {later:?}");
    assert!(later.policy_entropy > 0.0);
    blocking::play(&mut pipeline, 2).unwrap();
}

/// Policy-surprise weighting (λ = 1): a game's records are its positions in proportion to
/// their surprise, so none without surprise is stored, the surprising ones are stored
/// several times (as consecutive copies), and the count stays near the positions played.
/// Inside a random opening the value target is the search's value, not the outcome.
#[test]
fn surprise_weighting_and_opening_values_shape_the_ring() {
    let Some(gpu) = test_gpu() else { return };
    let mut config = small_config(Mode::Symmetric);
    config.surprise_weight = 1.0;
    config.random_opening = 3;
    let mut pipeline = GpuPipeline::new(game(Mode::Symmetric), &config, &gpu, None).unwrap();
    let report = blocking::play(&mut pipeline, 24).unwrap();
    let held = pipeline.replay_len() as usize;
    assert!(report.games > 0);
    assert!(
        held as f64 > 0.5 * report.total_length as f64
            && (held as f64) < 1.5 * report.total_length as f64 + 10.0,
        "{held} records for {} finished positions",
        report.total_length
    );
    let edges = 10;
    let record = 3 * edges + 2 * edges + RECORD_TAIL;
    let replay = pipeline.replay_records().unwrap();
    let records: Vec<&[f32]> = replay.chunks(record).take(held).collect();
    let mut repeated = 0;
    let mut searched_values = 0;
    for (index, sample) in records.iter().enumerate() {
        let tail = &sample[5 * edges..];
        let (search_value, surprise, copies, value) = (tail[0], tail[1], tail[2], tail[3]);
        assert!(
            surprise > 0.0,
            "a position without surprise has weight 0: {surprise}"
        );
        assert!(copies >= 1.0 && copies.fract() == 0.0, "copies {copies}");
        if search_value == NO_SEARCH_VALUE {
            assert!([-1.0, 0.0, 1.0].contains(&value), "outcome {value}");
        } else {
            assert!((-1.0..=1.0).contains(&search_value));
            assert_eq!(
                value, search_value,
                "the opening's target is the search's value"
            );
            searched_values += 1;
        }
        let run = copies as usize;
        if run > 1 && index + 1 < records.len() && records[index + 1] == *sample {
            repeated += 1;
        }
    }
    assert!(
        repeated > 0,
        "some surprising position is stored more than once"
    );
    assert!(searched_values > 0, "some records are from random openings");
}
