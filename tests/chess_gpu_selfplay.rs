//! Chess self-play on the GPU (the search adapter inside `play.wgsl`: reset, apply, game
//! end, the recorded samples) against independent references, with a tiny MLP and ply
//! cap 10 so that games end:
//! - greedy and without root noise, the GPU's traced games equal the host self-play's
//!   (`HostSelfPlay` on `ChessGame`, the same network program on the same device) move for
//!   move, and the replay records (observation, policy target, legal mask, value target)
//!   are the same;
//! - with sampled moves and random openings, every traced game replays with the Rust
//!   rules to its recorded outcome, each traced root's visit counts equal the CPU
//!   reference search's from the replayed position, and each replay record's observation
//!   and legal mask are the Rust rules' for that position.

mod game_records;

use std::sync::Arc;

use wgzero::backend::Compute;
use wgzero::games::chess::ChessGame;
use wgzero::games::chess::encoding::OBSERVATION_LEN;
use wgzero::games::{ChessConfig, Game, GameSpec, GameState};
use wgzero::gpu::Gpu;
use wgzero::graph::Program;
use wgzero::nn::mlp::Mlp;
use wgzero::run_dir::games::{GameRecord, GameSource};
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
const SIMULATIONS: u32 = 4;
const PLY_CAP: u32 = 10;
const NETWORK_SEED: u64 = 3;
const REPLAY_CAPACITY: u64 = 256;

fn game() -> ChessConfig {
    ChessConfig::new(PLY_CAP).unwrap()
}

fn network() -> Mlp {
    Mlp {
        input: OBSERVATION_LEN,
        hidden: vec![8],
        actions: 4672,
    }
}

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

/// Finished traced games and the replay records the moves that ended them added.
struct Played {
    games: Vec<TracedGame>,
    records: Vec<f32>,
}

fn gpu_games(gpu: &Arc<Gpu>, settings: PlaySettings, moves: u32) -> (Played, RecordLayout) {
    let game = game();
    let Program::Gpu(program) = evaluator(gpu).into_program() else {
        unreachable!("compiled for the GPU")
    };
    let search = GpuSearch::new(gpu, &game, program, search(), GAMES, 5).unwrap();
    let self_play = GpuSelfPlay::new(gpu, &search, &game, settings).unwrap();
    let replay = GpuReplay::new(gpu, &ReplaySource::of(&self_play), REPLAY_CAPACITY).unwrap();
    let layout = self_play.record_layout();
    let mut collector = self_play.trace_collector().expect("slots are traced");
    self_play.reset();
    let mut games = Vec::new();
    for _ in 0..moves {
        search.submit(|search, pass| {
            search.record_search(pass);
            self_play.record_play(pass);
            replay.record_commit(pass);
        });
        games.extend(collector.collect(&self_play.read_traces().unwrap()));
    }
    let [_, _, written] = replay.read_header().unwrap();
    assert!(written <= REPLAY_CAPACITY as u32, "the ring wrapped");
    // The ring's compact records expanded with the WGSL observation, as the sampler does.
    let records = replay.read_dense(&game, u64::from(written)).unwrap();
    (Played { games, records }, layout)
}

fn host_games(gpu: &Arc<Gpu>, settings: PlaySettings, moves: u32) -> Played {
    let mut evaluator = evaluator(gpu);
    let mut self_play = HostSelfPlay::new(game(), GAMES as usize, search(), settings, 5).unwrap();
    let mut replay = ReplayRing::new(REPLAY_CAPACITY as usize, self_play.record_layout());
    let mut games = Vec::new();
    let (mut played, mut outputs) = (0, None);
    while played < moves {
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
                games.extend(self_play.take_traced_games());
            }
        }
    }
    Played {
        games,
        records: replay.records().to_vec(),
    }
}

/// Every traced game replays with the rules to its outcome; returns the positions before
/// each of its moves, games in order.
fn replay_with_rules(games: &[TracedGame], label: &str) -> Vec<ChessGame> {
    assert!(
        games.len() >= 2 * GAMES as usize,
        "{label}: {} games",
        games.len()
    );
    let mut positions = Vec::new();
    for traced in games {
        let record = GameRecord::new(
            1,
            GameSpec::Chess(game()),
            GameSource::SelfPlay {
                slot: traced.slot,
                simulations: SIMULATIONS,
            },
            traced.game.clone(),
        );
        game_records::check_record(&record);
        let mut state = game().initial_state();
        for played in &traced.game.moves {
            positions.push(state.clone());
            state.apply(played.action as usize).unwrap();
        }
    }
    positions
}

#[test]
fn greedy_chess_games_on_the_gpu_equal_the_host_twins_move_for_move() {
    let Some(gpu) = test_gpu() else { return };
    let settings = settings(0, 0);
    let moves = 2 * PLY_CAP;
    let (on_gpu, layout) = gpu_games(&gpu, settings, moves);
    let on_host = host_games(&gpu, settings, moves);
    replay_with_rules(&on_gpu.games, "GPU");
    assert_eq!(on_gpu.games.len(), on_host.games.len(), "games finished");
    for (index, (a, b)) in on_gpu.games.iter().zip(&on_host.games).enumerate() {
        let label = format!("game {index} (slot {})", a.slot);
        assert_eq!(a.slot, b.slot, "{label}");
        assert_eq!(a.game.outcome, b.game.outcome, "{label}: outcome");
        let actions = |g: &TracedGame| g.game.moves.iter().map(|m| m.action).collect::<Vec<_>>();
        assert_eq!(actions(a), actions(b), "{label}: moves");
        for (t, (x, y)) in a.game.moves.iter().zip(&b.game.moves).enumerate() {
            let visits = |m: &wgzero::run_dir::games::MoveRecord| -> Vec<(u32, u32)> {
                m.children.iter().map(|c| (c.action, c.visits)).collect()
            };
            assert_eq!(visits(x), visits(y), "{label}, move {t}: visits");
        }
    }
    assert_eq!(
        on_gpu.records.len(),
        on_host.records.len(),
        "replay records"
    );
    for (index, (a, b)) in on_gpu
        .records
        .chunks_exact(layout.floats())
        .zip(on_host.records.chunks_exact(layout.floats()))
        .enumerate()
    {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() < 1e-5,
                "record {index}, float {i}: GPU {x}, host {y}"
            );
        }
    }
}

#[test]
fn sampled_chess_games_on_the_gpu_match_the_rules_and_the_reference_search() {
    let Some(gpu) = test_gpu() else { return };
    // Every move sampled ∝ visits, openings of up to 4 random moves: the games differ.
    let (played, layout) = gpu_games(&gpu, settings(u32::MAX, 4), 2 * PLY_CAP);
    let positions = replay_with_rules(&played.games, "GPU, sampled");
    let first_moves: std::collections::BTreeSet<u32> = played
        .games
        .iter()
        .map(|game| game.game.moves[0].action)
        .collect();
    assert!(first_moves.len() > 1, "the games differ: {first_moves:?}");
    let traced: Vec<_> = played.games.iter().flat_map(|g| &g.game.moves).collect();
    // The replay holds the finished games' records in slot order, as the traces come.
    let records: Vec<&[f32]> = played.records.chunks_exact(layout.floats()).collect();
    assert_eq!(records.len(), positions.len(), "one record per position");
    let mut observation = vec![0.0; OBSERVATION_LEN];
    let mut mask = vec![false; 4672];
    for (index, (position, record)) in positions.iter().zip(&records).enumerate() {
        position.write_observation(&mut observation);
        let wrong = |a: &[f32], b: &[f32]| a.iter().zip(b).filter(|(x, y)| x != y).count();
        assert_eq!(
            wrong(&record[..layout.policy()], &observation),
            0,
            "record {index}: observation floats that differ"
        );
        position.legal_mask(&mut mask);
        let expected: Vec<f32> = mask.iter().map(|&m| f32::from(u8::from(m))).collect();
        assert_eq!(
            wrong(&record[layout.mask()..layout.mask() + 4672], &expected),
            0,
            "record {index}: legal mask entries that differ"
        );
    }
    let mut evaluator = evaluator(&gpu);
    for (chunk, (roots, traced)) in positions
        .chunks(GAMES as usize)
        .zip(traced.chunks(GAMES as usize))
        .enumerate()
    {
        let mut reference = ReferenceSearch::new(roots.to_vec(), search(), 1).unwrap();
        let results = reference.run(&mut evaluator).unwrap();
        for (row, (result, played)) in results.iter().zip(traced).enumerate() {
            let visits: Vec<(u32, u32)> = result
                .children
                .iter()
                .map(|c| (c.action as u32, c.visits))
                .collect();
            let recorded: Vec<(u32, u32)> = played
                .children
                .iter()
                .map(|c| (c.action, c.visits))
                .collect();
            assert_eq!(
                recorded,
                visits,
                "root {}: visit counts",
                chunk * GAMES as usize + row
            );
        }
    }
}
