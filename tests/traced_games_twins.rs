//! Traced self-play games (the run's game records) on the GPU against independent
//! references, on K_5 (avoid) with a small MLP:
//! - played greedily without root noise, the GPU's traced games (`trace_root` and the trace
//!   header in `play.wgsl`, assembled by `TraceCollector`) equal the host twin's
//!   (`HostSelfPlay`, whose network runs the same program on the same device) move for
//!   move: actions, visit counts, outcomes, priors and values within float slack;
//! - with every move sampled and random openings, each traced move's visit counts and
//!   priors equal those of the CPU reference search from the replayed position, and the
//!   games replay legally with the rules to the recorded outcome;
//! - with a late temperature τ, the GPU plays moves in proportion to visits^(1/τ);
//! - on both backends, the visit shares of every recorded move are the policy targets the
//!   replay buffer holds for that position (AlphaZero's target is the visit share).

mod game_records;

use std::sync::Arc;

use wgzero::backend::Compute;
use wgzero::games::GameSpec;
use wgzero::games::GameState;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};
use wgzero::gpu::Gpu;
use wgzero::graph::Program;
use wgzero::nn::mlp::Mlp;
use wgzero::run_dir::games::{GameRecord, GameSource, MoveRecord};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    Evaluator, FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig,
};
use wgzero::selfplay::SelfPlayReport;
use wgzero::selfplay::gpu::GpuSelfPlay;
use wgzero::selfplay::gpu_replay::{GpuReplay, ReplaySource};
use wgzero::selfplay::host::{HostSelfPlay, HostStep};
use wgzero::selfplay::record::{PlaySettings, RecordLayout};
use wgzero::selfplay::replay::ReplayRing;
use wgzero::selfplay::trace::TracedGame;
use wgzero::testing::test_gpu;

const GAMES: u32 = 4;
const SIMULATIONS: u32 = 8;
const NETWORK_SEED: u64 = 3;

fn game() -> CliqueConfig {
    CliqueConfig::new(5, 3, Mode::Avoid).unwrap()
}

fn network() -> Mlp {
    let edges = game().num_edges();
    Mlp {
        input: 3 * edges,
        hidden: vec![16],
        actions: edges,
    }
}

/// The network at `GAMES` rows on the GPU: the same program for the GPU search and for the
/// host's evaluations, so both see bit-identical outputs.
fn evaluator(gpu: &Arc<Gpu>) -> ProgramEvaluator {
    ProgramEvaluator::new(
        &network(),
        &Compute::Gpu(gpu.clone()),
        GAMES as usize,
        NETWORK_SEED,
    )
    .unwrap()
}

fn search() -> SearchConfig {
    SearchConfig {
        simulations: SIMULATIONS,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.5,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        },
        reuse_subtree: false,
    }
}

/// Every slot traced, each position stored once in the replay.
fn settings(temperature_moves: u32, random_opening: u32) -> PlaySettings {
    PlaySettings {
        temperature_moves,
        late_temperature: 0.0,
        random_opening,
        record: true,
        surprise_weight: 0.0,
        replay_fraction: 1.0,
        log_draws: false,
        trace_games: GAMES,
    }
}

/// A finished traced game and the policy targets the replay stored for its positions.
struct Finished {
    traced: TracedGame,
    targets: Vec<Vec<f32>>,
}

/// Splits the records a replay received after one move among the traced games that ended
/// at it: every slot is traced and the replay appends finished games in slot order.
fn with_targets(
    traced: Vec<TracedGame>,
    new_records: &[f32],
    layout: RecordLayout,
) -> Vec<Finished> {
    let mut records = new_records.chunks_exact(layout.floats());
    let finished: Vec<Finished> = traced
        .into_iter()
        .map(|traced| {
            let targets = (&mut records)
                .take(traced.game.moves.len())
                .map(|record| record[layout.policy()..layout.mask()].to_vec())
                .collect();
            Finished { traced, targets }
        })
        .collect();
    assert_eq!(records.len(), 0, "the replay got records of untraced games");
    finished
}

/// `moves` moves of GPU self-play, the trace and the replay read after each.
fn gpu_games(gpu: &Arc<Gpu>, settings: PlaySettings, moves: u32) -> Vec<Finished> {
    let game = game();
    let Program::Gpu(program) = evaluator(gpu).into_program() else {
        unreachable!("compiled for the GPU")
    };
    let search = GpuSearch::new(gpu, &game, program, search(), GAMES, 5).unwrap();
    let self_play = GpuSelfPlay::new(gpu, &search, &game, settings).unwrap();
    let replay = GpuReplay::new(gpu, &ReplaySource::of(&self_play), 4_096).unwrap();
    let layout = self_play.record_layout();
    let mut collector = self_play.trace_collector().expect("slots are traced");
    self_play.reset();
    let mut finished = Vec::new();
    let mut written = 0;
    for _ in 0..moves {
        search.submit(|search, pass| {
            search.record_search(pass);
            self_play.record_play(pass);
            replay.record_commit(pass);
        });
        let traced = collector.collect(&self_play.read_traces().unwrap());
        let [_, _, now] = replay.read_header().unwrap();
        // The ring's compact records expanded as the sampler does.
        let ring = replay.read_dense(&game, u64::from(now)).unwrap();
        let new = &ring[written as usize * layout.floats()..now as usize * layout.floats()];
        finished.extend(with_targets(traced, new, layout));
        written = now;
    }
    finished
}

/// `moves` moves of host self-play with the network on the GPU.
fn host_games(gpu: &Arc<Gpu>, settings: PlaySettings, moves: u32) -> Vec<Finished> {
    let mut evaluator = evaluator(gpu);
    let mut self_play = HostSelfPlay::new(game(), GAMES as usize, search(), settings, 5).unwrap();
    let layout = self_play.record_layout();
    let mut replay = ReplayRing::new(4_096, layout);
    let mut finished = Vec::new();
    let (mut played, mut outputs) = (0, None);
    while played < moves {
        let before = replay.len();
        let step = self_play
            .step(
                outputs.take().as_ref(),
                &mut replay,
                &mut SelfPlayReport::default(),
                &mut Vec::new(),
            )
            .unwrap();
        match step {
            HostStep::Evaluate { rows } => {
                evaluator.start(self_play.observations(), rows).unwrap();
                outputs = Some(evaluator.wait().unwrap());
            }
            HostStep::Moved => {
                played += 1;
                let new = &replay.records()[before * layout.floats()..];
                finished.extend(with_targets(self_play.take_traced_games(), new, layout));
            }
        }
    }
    finished
}

/// Every recorded move's visit shares are the replay's policy target for its position,
/// and the game replays with the rules to its outcome.
fn check_targets_and_rules(finished: &[Finished], label: &str) {
    assert!(
        finished.len() >= 2 * GAMES as usize,
        "{label}: {} games",
        finished.len()
    );
    for (index, finished) in finished.iter().enumerate() {
        let moves = &finished.traced.game.moves;
        assert_eq!(finished.targets.len(), moves.len(), "{label}, game {index}");
        for (t, (played, target)) in moves.iter().zip(&finished.targets).enumerate() {
            let total: u32 = played.children.iter().map(|c| c.visits).sum();
            let mut shares = vec![0.0; target.len()];
            for child in &played.children {
                shares[child.action as usize] = child.visits as f32 / total as f32;
            }
            for (share, target) in shares.iter().zip(target) {
                assert!(
                    (share - target).abs() < 1e-6,
                    "{label}, game {index}, move {t}: visit shares {shares:?}, replay \
                     target {target:?}"
                );
            }
        }
        let record = GameRecord::new(
            1,
            GameSpec::Clique(game()),
            GameSource::SelfPlay {
                slot: finished.traced.slot,
                simulations: SIMULATIONS,
            },
            finished.traced.game.clone(),
        );
        game_records::check_record(&record);
    }
}

fn assert_same_move(gpu: &MoveRecord, host: &MoveRecord, label: &str) {
    assert_eq!(gpu.action, host.action, "{label}: action");
    let visits = |m: &MoveRecord| -> Vec<(u32, u32)> {
        m.children.iter().map(|c| (c.action, c.visits)).collect()
    };
    assert_eq!(visits(gpu), visits(host), "{label}: visit counts");
    for (a, b) in gpu.children.iter().zip(&host.children) {
        assert!(
            (a.prior - b.prior).abs() < 1e-5,
            "{label}: priors {a:?} {b:?}"
        );
    }
    let (a, b) = (gpu.value.unwrap(), host.value.unwrap());
    assert!((a - b).abs() < 1e-4, "{label}: root values {a} and {b}");
}

#[test]
fn greedy_traced_games_on_the_gpu_equal_the_host_twins_move_for_move() {
    let Some(gpu) = test_gpu() else { return };
    let settings = settings(0, 0);
    let moves = 24;
    let on_gpu = gpu_games(&gpu, settings, moves);
    let on_host = host_games(&gpu, settings, moves);
    check_targets_and_rules(&on_gpu, "GPU");
    check_targets_and_rules(&on_host, "host");
    assert_eq!(on_gpu.len(), on_host.len(), "games finished");
    for (index, (gpu_game, host_game)) in on_gpu.iter().zip(&on_host).enumerate() {
        let (a, b) = (&gpu_game.traced, &host_game.traced);
        let label = format!("game {index} (slot {})", a.slot);
        assert_eq!(a.slot, b.slot, "{label}");
        assert_eq!(a.game.outcome, b.game.outcome, "{label}: outcome");
        assert_eq!(a.game.moves.len(), b.game.moves.len(), "{label}: length");
        for (t, (gpu_move, host_move)) in a.game.moves.iter().zip(&b.game.moves).enumerate() {
            assert_same_move(gpu_move, host_move, &format!("{label}, move {t}"));
        }
    }
}

#[test]
fn sampled_traced_games_on_the_gpu_match_the_reference_search_at_every_move() {
    let Some(gpu) = test_gpu() else { return };
    // Every move sampled ∝ visits, openings of up to 4 random moves: the games differ.
    let finished = gpu_games(&gpu, settings(u32::MAX, 4), 20);
    check_targets_and_rules(&finished, "GPU, sampled");
    let first_moves: std::collections::BTreeSet<u32> = finished
        .iter()
        .map(|game| game.traced.game.moves[0].action)
        .collect();
    assert!(first_moves.len() > 1, "the games differ: {first_moves:?}");
    // Every traced root, searched again by the CPU reference with the same network.
    let mut roots = Vec::new();
    let mut traced_moves = Vec::new();
    for finished in &finished {
        let mut state = CliqueState::new(game());
        for played in &finished.traced.game.moves {
            roots.push(state.clone());
            traced_moves.push(played);
            state.apply(played.action as usize).unwrap();
        }
    }
    let mut evaluator = evaluator(&gpu);
    for (chunk, (roots, traced)) in roots
        .chunks(GAMES as usize)
        .zip(traced_moves.chunks(GAMES as usize))
        .enumerate()
    {
        let mut reference = ReferenceSearch::new(roots.to_vec(), search(), 1).unwrap();
        let results = reference.run(&mut evaluator).unwrap();
        for (row, (result, played)) in results.iter().zip(traced).enumerate() {
            let expected = wgzero::selfplay::trace::move_record(result, played.action as usize);
            assert_same_move(
                played,
                &expected,
                &format!("root {}", chunk * GAMES as usize + row),
            );
        }
    }
}

/// With a late temperature τ (every move here, as none is sampled before), the GPU plays
/// each traced move in proportion to visits^(1/τ): never an unvisited one, and a move other
/// than the most visited as often as those weights say (within 4 standard deviations over
/// the games); with τ = 0, always a most visited one.
#[test]
fn a_late_temperature_plays_moves_in_proportion_to_sharpened_visits() {
    let Some(gpu) = test_gpu() else { return };
    for tau in [0.0f32, 0.5] {
        let settings = PlaySettings {
            late_temperature: tau,
            ..settings(0, 0)
        };
        let finished = gpu_games(&gpu, settings, 40);
        let (mut expected, mut variance, mut seen) = (0.0f64, 0.0f64, 0usize);
        for played in finished.iter().flat_map(|f| &f.traced.game.moves) {
            let most = played.children.iter().map(|c| c.visits).max().unwrap();
            let chosen = played
                .children
                .iter()
                .find(|child| child.action == played.action)
                .expect("the played move is a legal one");
            assert!(chosen.visits > 0, "τ {tau}: an unvisited move was played");
            if tau == 0.0 {
                assert_eq!(chosen.visits, most, "τ 0 plays a most visited move");
                continue;
            }
            let weight = |visits: u32| f64::from(visits) / f64::from(most);
            let weights: Vec<f64> = played
                .children
                .iter()
                .map(|child| weight(child.visits).powf(1.0 / f64::from(tau)))
                .collect();
            let total: f64 = weights.iter().sum();
            let best: f64 = played
                .children
                .iter()
                .zip(&weights)
                .filter(|(child, _)| child.visits == most)
                .map(|(_, w)| w)
                .sum::<f64>()
                / total;
            expected += 1.0 - best;
            variance += best * (1.0 - best);
            seen += usize::from(chosen.visits < most);
        }
        if tau > 0.0 {
            assert!(expected > 5.0, "too few moves to tell: {expected}");
            let spread = 4.0 * variance.sqrt() + 1.0;
            assert!(
                (seen as f64 - expected).abs() <= spread,
                "τ {tau}: {seen} moves other than the most visited, {expected:.1} ± {spread:.1} \
                 expected"
            );
        }
    }
}
