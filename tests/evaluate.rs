//! The evaluation library against independent references: the accuracy set agrees with a
//! second solver (raw table keys), a perfect evaluator built on the solver scores 100 %
//! and its opposite 0 %, uniform logits score what the solver says the lowest legal move
//! is worth, search with 0 simulations agrees with the raw policy, matches add up, random
//! against random is even, and the solver never loses to random where the start is a draw.

use std::collections::HashSet;
use std::time::Instant;

use wgzero::backend::Compute;
use wgzero::evaluate::accuracy::{policy_accuracy, search_accuracy};
use wgzero::evaluate::{AccuracySet, MatchResult, MatchSettings, Player, play_match};
use wgzero::games::GameInfo;
use wgzero::games::clique::adapter::MAX_SOLVED_VERTICES;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};
use wgzero::nn::spec::NetworkSpec;
use wgzero::search::{
    Evaluator, FirstPlayUrgency, Outputs, ProgramEvaluator, RootPolicy, SearchError,
    UniformEvaluator,
};

/// Test networks computed on the host at once: `compute` gives the outputs of a call.
macro_rules! host_evaluator {
    ($type:ty) => {
        impl Evaluator for $type {
            fn start(&mut self, observations: &[f32], batch: usize) -> Result<(), SearchError> {
                let (logits, values) = self.compute(observations, batch);
                self.pending = Some(Outputs { logits, values });
                Ok(())
            }

            fn poll(&mut self) -> Result<Option<Outputs>, SearchError> {
                Ok(self.pending.take())
            }

            fn wait(&mut self) -> Result<Outputs, SearchError> {
                self.pending
                    .take()
                    .ok_or_else(|| SearchError::Config("nothing in flight".into()))
            }
        }
    };
}

fn board(n: u32, k: u32, mode: Mode) -> CliqueConfig {
    CliqueConfig::new(n, k, mode).unwrap()
}

fn puct() -> RootPolicy {
    RootPolicy::AlphaZero {
        c_puct: 1.5,
        first_play_urgency: FirstPlayUrgency::Reduction(0.0),
        // Noise on: search_accuracy must turn it off.
        dirichlet: Some((0.3, 0.5)),
    }
}

/// The position an observation shows: edges of the player to move ("own") and of the
/// other, replayed alternately from player 0 (a position that is not over has no K_k of
/// a counting colour, so no prefix of the replay ends the game).
fn decode(config: CliqueConfig, observation: &[f32]) -> CliqueState {
    let (mut own, mut other) = (Vec::new(), Vec::new());
    for (action, features) in observation.chunks_exact(3).enumerate() {
        if features[0] == 1.0 {
            own.push(action);
        } else if features[1] == 1.0 {
            other.push(action);
        }
    }
    let played = own.len() + other.len();
    let (zero, one) = if played.is_multiple_of(2) {
        (own, other)
    } else {
        (other, own)
    };
    let mut actions = Vec::with_capacity(played);
    for (index, &action) in zero.iter().enumerate() {
        actions.push(action);
        if let Some(&action) = one.get(index) {
            actions.push(action);
        }
    }
    CliqueState::from_actions(config, &actions).unwrap()
}

/// A perfect network: logit `sign · 4 · value` of every legal move by the exact solver,
/// and the position's exact value. `sign = -1` makes it prefer the worst moves.
struct SolverEvaluator {
    config: CliqueConfig,
    solver: Solver,
    sign: f32,
    calls: Vec<usize>,
    pending: Option<Outputs>,
}

impl SolverEvaluator {
    fn new(config: CliqueConfig, sign: f32) -> Self {
        Self {
            config,
            solver: Solver::with_symmetry(config, false).unwrap(),
            sign,
            calls: Vec::new(),
            pending: None,
        }
    }
}

host_evaluator!(SolverEvaluator);

impl SolverEvaluator {
    fn compute(&mut self, observations: &[f32], batch: usize) -> (Vec<f32>, Vec<f32>) {
        self.calls.push(batch);
        let actions = self.config.num_edges();
        let length = observations.len() / batch;
        let mut logits = vec![-50.0; batch * actions];
        let mut values = Vec::with_capacity(batch);
        for (row, observation) in observations.chunks_exact(length).enumerate() {
            let analysis = self
                .solver
                .analyse(&decode(self.config, observation))
                .unwrap();
            for (action, value) in analysis.move_values {
                logits[row * actions + action] = self.sign * 4.0 * f32::from(value);
            }
            values.push(f32::from(analysis.value));
        }
        (logits, values)
    }
}

/// Deterministic pseudo-random logits from the observation (a fixed, arbitrary network).
struct HashEvaluator {
    actions: usize,
    seen: HashSet<Vec<u32>>,
    pending: Option<Outputs>,
}

impl HashEvaluator {
    fn new(actions: usize) -> Self {
        Self {
            actions,
            seen: HashSet::new(),
            pending: None,
        }
    }
}

host_evaluator!(HashEvaluator);

impl HashEvaluator {
    fn compute(&mut self, observations: &[f32], batch: usize) -> (Vec<f32>, Vec<f32>) {
        let length = observations.len() / batch;
        let mut logits = Vec::with_capacity(batch * self.actions);
        for observation in observations.chunks_exact(length) {
            let bits: Vec<u32> = observation.iter().map(|x| x.to_bits()).collect();
            let mut hash = bits.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            self.seen.insert(bits);
            for _ in 0..self.actions {
                hash = hash
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                logits.push((hash >> 40) as f32 / (1u64 << 24) as f32 * 3.0);
            }
        }
        (logits, vec![0.0; batch])
    }
}

#[test]
fn the_set_holds_decisive_positions_that_a_second_solver_agrees_on() {
    for (config, count) in [
        (board(6, 3, Mode::Symmetric), 150),
        (board(5, 3, Mode::Avoid), 60),
        (board(5, 3, Mode::Asymmetric), 60),
        (board(6, 3, Mode::Asymmetric), 60),
    ] {
        let set = AccuracySet::new(&config, count, 3).unwrap().unwrap();
        assert_eq!(set.len(), count, "{config:?}");
        let mut reference = Solver::with_symmetry(config, false).unwrap();
        let mut depths = HashSet::new();
        for position in set.positions() {
            assert!(!position.state.is_over());
            assert_eq!(position.state.config(), config);
            let analysis = reference.analyse(&position.state).unwrap();
            assert_eq!(position.value, analysis.value);
            assert_eq!(position.optimal_moves, analysis.optimal_moves);
            let values: HashSet<i8> = analysis.move_values.iter().map(|&(_, v)| v).collect();
            assert!(
                values.len() > 1,
                "a position whose moves all have one value"
            );
            depths.insert(position.state.moves_played());
        }
        assert!(
            depths.len() >= 4,
            "random play reaches many depths: {depths:?}"
        );
        // A function of the seed.
        let again = AccuracySet::new(&config, count, 3).unwrap().unwrap();
        assert_eq!(again.positions(), set.positions());
        let other = AccuracySet::new(&config, count, 4).unwrap().unwrap();
        assert_ne!(other.positions(), set.positions());
    }
}

#[test]
fn no_set_beyond_the_solver_limit_nor_where_every_move_is_worth_the_same() {
    let large = board(MAX_SOLVED_VERTICES + 1, 4, Mode::Symmetric);
    assert!(AccuracySet::new(&large, 10, 1).unwrap().is_none());
    assert!(
        AccuracySet::new(&board(6, 3, Mode::Symmetric), 0, 1)
            .unwrap()
            .is_none()
    );
    // On K_3 nobody can complete a triangle: every move of every position has one value.
    for mode in [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid] {
        assert!(
            AccuracySet::new(&board(3, 3, mode), 5, 1)
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn a_perfect_evaluator_scores_all_and_its_opposite_none() {
    for config in [board(6, 3, Mode::Symmetric), board(5, 3, Mode::Avoid)] {
        let set = AccuracySet::new(&config, 120, 11).unwrap().unwrap();
        let mut perfect = SolverEvaluator::new(config, 1.0);
        assert_eq!(policy_accuracy(&set, &mut perfect).unwrap(), 1.0);
        assert_eq!(perfect.calls, [set.len()], "one call for the whole set");
        assert_eq!(
            search_accuracy(&set, &mut perfect, 16, puct()).unwrap(),
            1.0
        );
        let mut worst = SolverEvaluator::new(config, -1.0);
        assert_eq!(policy_accuracy(&set, &mut worst).unwrap(), 0.0);
    }
}

#[test]
fn uniform_logits_score_the_share_where_the_lowest_legal_move_is_optimal() {
    let config = board(6, 3, Mode::Symmetric);
    let set = AccuracySet::new(&config, 200, 5).unwrap().unwrap();
    let mut solver = Solver::with_symmetry(config, false).unwrap();
    let mut lowest_optimal = 0;
    for position in set.positions() {
        let analysis = solver.analyse(&position.state).unwrap();
        // move_values is in increasing move order: its first entry is the lowest legal move.
        if analysis.move_values[0].1 == analysis.value {
            lowest_optimal += 1;
        }
    }
    let expected = lowest_optimal as f32 / set.len() as f32;
    assert!(0.0 < expected && expected < 1.0, "{expected}");
    let mut uniform = UniformEvaluator::new(config.num_edges());
    assert_eq!(policy_accuracy(&set, &mut uniform).unwrap(), expected);
}

#[test]
fn search_without_simulations_plays_the_raw_policy_and_search_helps() {
    let config = board(5, 3, Mode::Symmetric);
    let set = AccuracySet::new(&config, 100, 2).unwrap().unwrap();
    let mut arbitrary = HashEvaluator::new(config.num_edges());
    let raw = policy_accuracy(&set, &mut arbitrary).unwrap();
    assert_eq!(
        search_accuracy(&set, &mut arbitrary, 0, puct()).unwrap(),
        raw
    );
    // On K_5, 600 simulations nearly exhaust the trees: the search overrides bad priors.
    let searched = search_accuracy(&set, &mut arbitrary, 600, puct()).unwrap();
    assert!(searched > raw + 0.2, "raw {raw}, searched {searched}");
}

#[test]
fn search_accuracy_turns_root_noise_off() {
    let config = board(6, 3, Mode::Symmetric);
    let set = AccuracySet::new(&config, 300, 2).unwrap().unwrap();
    let mut arbitrary = HashEvaluator::new(config.num_edges());
    let quiet = RootPolicy::AlphaZero {
        c_puct: 1.5,
        first_play_urgency: FirstPlayUrgency::Reduction(0.0),
        dirichlet: None,
    };
    let gumbel = |gumbel_noise| RootPolicy::Gumbel {
        max_considered: 4,
        c_visit: 50.0,
        c_scale: 0.1,
        gumbel_noise,
    };
    // Few simulations: noise on the priors would change many chosen moves.
    for (noisy, quiet) in [(puct(), quiet), (gumbel(true), gumbel(false))] {
        assert_eq!(
            search_accuracy(&set, &mut arbitrary, 12, noisy).unwrap(),
            search_accuracy(&set, &mut arbitrary, 12, quiet).unwrap(),
        );
    }
}

fn assert_adds_up(result: &MatchResult, games: u32) {
    assert_eq!(result.games, games);
    assert_eq!(result.wins + result.draws + result.losses, games);
    let score = (result.wins as f32 + 0.5 * result.draws as f32) / games as f32;
    assert!((result.score - score).abs() < 1e-6);
}

#[test]
fn random_against_random_is_even() {
    let config = board(6, 3, Mode::Symmetric);
    let result = play_match(
        &CliqueState::new(config),
        Player::Random,
        Player::Random,
        &MatchSettings::new(600, 1),
    )
    .unwrap();
    assert_adds_up(&result, 600);
    assert!(result.draws == 0, "K_6 always has a monochromatic triangle");
    assert!((result.score - 0.5).abs() < 0.07, "{result:?}");
    let again = play_match(
        &CliqueState::new(config),
        Player::Random,
        Player::Random,
        &MatchSettings::new(600, 1),
    )
    .unwrap();
    assert_eq!(again, result, "a match is a function of its seed");
}

#[test]
fn the_solver_never_loses_to_random_where_the_start_is_a_draw() {
    let config = board(5, 3, Mode::Avoid);
    let mut solver = Solver::new(config).unwrap();
    // The premise: with best play from both sides avoiding triangles on K_5 is a draw (the
    // pentagon and its complement), so the solver's player keeps at least a draw as
    // either colour. (Symmetric K_5 is a first-player win: there the solver could lose.)
    assert_eq!(solver.value(&CliqueState::new(config)).unwrap(), 0);
    let games = 200;
    let mut perfect = SolverEvaluator::new(config, 1.0);
    let settings = MatchSettings {
        games,
        sampled_moves: 0,
        seed: 7,
    };
    let result = play_match(
        &CliqueState::new(config),
        Player::Network(&mut perfect),
        Player::Random,
        &settings,
    )
    .unwrap();
    assert_adds_up(&result, games);
    assert_eq!(result.losses, 0, "{result:?}");
    assert!(result.wins > games / 2, "random play blunders: {result:?}");
    // Lockstep: one call per round for every game where the network is to move; in the
    // first round that is the even games, where it moves first.
    assert_eq!(perfect.calls[0], games as usize / 2);
    assert!(
        perfect.calls.len() <= config.num_edges(),
        "{:?}",
        perfect.calls
    );

    // The other way round the counts mirror.
    let mut perfect = SolverEvaluator::new(config, 1.0);
    let mirrored = play_match(
        &CliqueState::new(config),
        Player::Random,
        Player::Network(&mut perfect),
        &settings,
    )
    .unwrap();
    assert_adds_up(&mirrored, games);
    assert_eq!(mirrored.wins, 0, "{mirrored:?}");
}

#[test]
fn colours_alternate_between_games() {
    // Symmetric K_5 is a first-player win: the solver against itself wins exactly the
    // games where it moves first.
    let config = board(5, 3, Mode::Symmetric);
    assert_eq!(
        Solver::new(config)
            .unwrap()
            .value(&CliqueState::new(config))
            .unwrap(),
        1
    );
    let mut first = SolverEvaluator::new(config, 1.0);
    let mut second = SolverEvaluator::new(config, 1.0);
    let settings = MatchSettings {
        games: 30,
        sampled_moves: 0,
        seed: 1,
    };
    let result = play_match(
        &CliqueState::new(config),
        Player::Network(&mut first),
        Player::Network(&mut second),
        &settings,
    )
    .unwrap();
    assert_eq!(result, MatchResult::from_counts(15, 0, 15));
    assert_eq!(result.score, 0.5);
}

#[test]
fn sampled_openings_make_games_differ() {
    let config = board(6, 3, Mode::Symmetric);
    let distinct_positions = |sampled_moves: u32| {
        let mut first = HashEvaluator::new(config.num_edges());
        let mut second = HashEvaluator::new(config.num_edges());
        let settings = MatchSettings {
            games: 40,
            sampled_moves,
            seed: 3,
        };
        let result = play_match(
            &CliqueState::new(config),
            Player::Network(&mut first),
            Player::Network(&mut second),
            &settings,
        )
        .unwrap();
        assert_adds_up(&result, 40);
        (first.seen.len() + second.seen.len(), result)
    };
    let (greedy, result) = distinct_positions(0);
    // Without sampling every even game is one game and every odd game another.
    assert!(greedy <= 2 * config.num_edges(), "{greedy}");
    for count in [result.wins, result.draws, result.losses] {
        assert!([0, 20, 40].contains(&count), "{result:?}");
    }
    let (sampled, _) = distinct_positions(2);
    assert!(sampled > 3 * greedy, "{sampled} vs {greedy}");
}

/// Not a benchmark assertion: prints what one trainer evaluation costs with the default
/// MLP on the CPU backend (n = 6, k = 3), and checks the pieces agree.
#[test]
fn a_full_evaluation_of_the_default_mlp_on_the_cpu() {
    let config = board(6, 3, Mode::Symmetric);
    let started = Instant::now();
    let set = AccuracySet::new(&config, 400, 1).unwrap().unwrap();
    let set_seconds = started.elapsed().as_secs_f64();
    let network = config.network(&NetworkSpec::default_mlp()).unwrap();
    let mut candidate = ProgramEvaluator::new(network.as_ref(), &Compute::Cpu, 400, 1).unwrap();
    let mut previous = ProgramEvaluator::new(network.as_ref(), &Compute::Cpu, 400, 2).unwrap();
    let started = Instant::now();
    let raw = policy_accuracy(&set, &mut candidate).unwrap();
    let searched = search_accuracy(&set, &mut candidate, 50, puct()).unwrap();
    let random = play_match(
        &CliqueState::new(config),
        Player::Network(&mut candidate),
        Player::Random,
        &MatchSettings::new(200, 1),
    )
    .unwrap();
    let against_previous = play_match(
        &CliqueState::new(config),
        Player::Network(&mut candidate),
        Player::Network(&mut previous),
        &MatchSettings::new(200, 2),
    )
    .unwrap();
    let evaluation_seconds = started.elapsed().as_secs_f64();
    assert_adds_up(&random, 200);
    assert_adds_up(&against_previous, 200);
    assert_eq!(
        search_accuracy(&set, &mut candidate, 0, puct()).unwrap(),
        raw
    );
    println!(
        "{}",
        serde_json::json!({
            "measurement": "evaluation", "n": 6, "k": 3,
            "network": config.network_descriptor(&NetworkSpec::default_mlp()),
            "backend": "cpu", "positions": set.len(), "set_seconds": set_seconds,
            "raw_accuracy": raw, "search_accuracy_50": searched,
            "matches": "200 vs random + 200 vs another network",
            "evaluation_seconds": evaluation_seconds,
        })
    );
}
