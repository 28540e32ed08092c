//! Start colourings built by playing the clique game's avoid mode with tree search: the
//! AlphaZero machinery tried as a guide for the witness search, with the sources an
//! ablation needs to tell learning from construction.
//!
//! A witness that R(s,t) > n is exactly a drawn avoid game on K_n (player 0 colours edges
//! 0 and must not complete a K_s of its colour, player 1 colours edges 1 and must not
//! complete a K_t). [`starts`] plays `count` such games, many at once, choosing every move
//! by MCTS on the backend given — the CPU reference search with the network on the CPU
//! backend, or the GPU search with tree and network on the GPU (`wgzero search`'s two
//! paths) — and sampling moves in proportion to the root visits (with the root policy's
//! Dirichlet noise) so that games differ. A game ends when a player completes its clique
//! (it loses) or when the board fills (a draw: a witness). Its start colouring is its
//! final position with the edges left uncoloured filled greedily, in a random order, each
//! with the colour that completes fewer forbidden cliques (ties at random): see [`fill`].
//!
//! The sources ([`StartSource`]), for the ablation:
//! - `Random`: uniformly random colourings, what chains restart from without starts;
//! - `Uniform`: MCTS with a network that knows nothing (uniform priors, value 0), so only
//!   the game's ends guide the search: construction without learning;
//! - `Untrained { run }`: MCTS with the run's architecture at initial weights;
//! - `Learned { run }`: MCTS with the network the run hands out (`--checkpoint RUN`).
//!
//! Usage (the caller reports [`GuidedStarts`]' timing and energies, then hands the
//! colourings to the witness search as its start colourings):
//!
//! ```no_run
//! use std::path::PathBuf;
//! use wgzero::backend::Compute;
//! use wgzero::ramsey::guide::{self, GuideSettings, StartSource};
//! use wgzero::ramsey::search::{Method, Search};
//! use wgzero::ramsey::Problem;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let problem = Problem::new(17, 4, 4)?;
//! let source = StartSource::Learned { run: PathBuf::from("runs/avoid-n17-k4") };
//! let settings = GuideSettings::new(1000, 16, 7);
//! let built = guide::starts(&problem, &source, &settings, &Compute::Cpu)?;
//! println!(
//!     "{}: {} starts in {:.1} s, mean energy {:.2}, {} witnesses",
//!     built.description,
//!     built.colourings.len(),
//!     built.seconds,
//!     built.mean_energy(),
//!     built.witnesses()
//! );
//! let method = Method::Anneal;
//! let search = Search::new(problem, method.default_settings(&problem), 1, 64, built.colourings);
//! # let _ = search;
//! # Ok(())
//! # }
//! ```

pub mod fill;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use web_time::Instant;

use self::fill::PartialColouring;
use super::counting::energy;
use super::rng::Pcg32;
use super::{Colouring, Problem, RamseyError};
use crate::backend::Compute;
use crate::evaluate::EvaluateError;
use crate::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use crate::games::clique::{CliqueConfig, CliqueSizes, CliqueState, Mode, Status};
use crate::games::{GameError, GameInfo, GameSpec, GameState};
use crate::graph::Program;
use crate::nn::uniform::Uniform;
use crate::search::gpu::GpuSearch;
use crate::search::{
    ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchError, SearchResult,
};
use crate::selfplay::host::sample_by_visits;
use crate::train::config::TrainConfig;

/// Games played at once unless the settings say otherwise: one network call evaluates a
/// position of each.
pub const DEFAULT_GAMES_IN_FLIGHT: u32 = 256;

/// Seed offsets, so that move sampling, filling and random colourings draw independent
/// streams of one seed.
const MOVE_STREAM: u64 = 0x9a1d_e5ee_d000_0001;
const FILL_STREAM: u64 = 0x9a1d_e5ee_d000_0002;
const RANDOM_STREAM: u64 = 0x9a1d_e5ee_d000_0003;

/// Where start colourings come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartSource {
    /// Uniformly random colourings with the problem's colour-0 density
    /// ([`Problem::colour0_threshold`]): the baseline.
    Random,
    /// Avoid games played by MCTS with uniform priors and value 0: the search is guided
    /// only by the games' ends.
    Uniform,
    /// Avoid games played by MCTS with the network of run directory `run`, at its initial
    /// (untrained) weights.
    Untrained { run: PathBuf },
    /// Avoid games played by MCTS with the network run directory `run` hands out.
    Learned { run: PathBuf },
}

impl StartSource {
    /// A short name for reports: `random`, `uniform`, `untrained` or `learned`.
    pub fn name(&self) -> &'static str {
        match self {
            StartSource::Random => "random",
            StartSource::Uniform => "uniform",
            StartSource::Untrained { .. } => "untrained",
            StartSource::Learned { .. } => "learned",
        }
    }
}

/// How the games are played.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GuideSettings {
    /// Start colourings to make (one game each).
    pub count: usize,
    /// Simulations of the search per move; 0 plays from the network's priors alone.
    pub simulations: u32,
    /// Games played at once (capped at `count`); the network is compiled for this batch.
    pub games_in_flight: u32,
    /// Each game's first moves that are sampled in proportion to the root visits; later
    /// moves are the search's choice. `u32::MAX`: every move, as the trainer's self-play
    /// plays the clique game.
    pub sampled_moves: u32,
    /// The search's root policy (its Dirichlet noise is one of the sources of variety).
    pub policy: RootPolicy,
    /// Fixes the search noise, the move sampling, the fills and the random colourings.
    pub seed: u64,
}

impl GuideSettings {
    /// `count` games of `simulations` simulations per move, [`DEFAULT_GAMES_IN_FLIGHT`] at
    /// once, every move sampled, with the root policy a new clique run trains with (PUCT
    /// with Dirichlet noise).
    pub fn new(count: usize, simulations: u32, seed: u64) -> Self {
        let trainer = TrainConfig::for_game(GameSpec::Clique(
            CliqueConfig::new(6, 3, Mode::Avoid).expect("K_6, k = 3 is a valid clique game"),
        ));
        Self {
            count,
            simulations,
            games_in_flight: DEFAULT_GAMES_IN_FLIGHT,
            sampled_moves: u32::MAX,
            policy: trainer.search.policy,
            seed,
        }
    }
}

/// What [`starts`] made.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidedStarts {
    /// `[count]` complete colourings of K_n, in game order.
    pub colourings: Vec<Colouring>,
    /// `[count]` the energy of each: monochromatic forbidden cliques (K_s in colour 0 plus
    /// K_t in colour 1); 0 is a witness.
    pub energies: Vec<u64>,
    /// Games that ended in a draw (their colourings are witnesses as played).
    pub draws: usize,
    /// Edges coloured by play and by the fill, over all games.
    pub played_edges: u64,
    pub filled_edges: u64,
    /// Wall-clock seconds of the whole call: loading and compiling the network included.
    pub seconds: f64,
    /// The source in words, for reports (`learned: runs/x/checkpoints/ckpt-….json,
    /// iteration 12`).
    pub description: String,
}

impl GuidedStarts {
    /// Colourings of energy 0.
    pub fn witnesses(&self) -> usize {
        self.energies.iter().filter(|&&energy| energy == 0).count()
    }

    /// Mean energy; 0 without colourings.
    pub fn mean_energy(&self) -> f64 {
        if self.energies.is_empty() {
            return 0.0;
        }
        self.energies.iter().sum::<u64>() as f64 / self.energies.len() as f64
    }

    /// Lowest energy, if any colouring was made.
    pub fn min_energy(&self) -> Option<u64> {
        self.energies.iter().copied().min()
    }
}

/// What can go wrong making guided starts; each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum GuideError {
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "{} cannot guide the search for {}: {reason}. Train one with `wgzero train --game \
         clique --mode avoid --n {} --k {}`, or name such a run",
        run.display(), problem.describe(), problem.n,
        CliqueSizes { s: problem.s, t: problem.t }
    )]
    RunMismatch {
        run: PathBuf,
        problem: Problem,
        reason: String,
    },
    #[error(transparent)]
    Evaluate(#[from] EvaluateError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Game(#[from] GameError),
    #[error(transparent)]
    Ramsey(#[from] RamseyError),
}

/// Makes `settings.count` start colourings for `problem` from `source`, the games' search
/// running on `compute`. Reproducible: the same arguments on the same backend give the
/// same colourings (the search's noise, and with it the games, differ between backends).
///
/// The MCTS sources need 3 ≤ s, t ≤ n (the avoid game's limits); a run must be an
/// avoid-mode clique run on K_n with `--k S,T` ([`GuideError::RunMismatch`] names what
/// differs).
pub fn starts(
    problem: &Problem,
    source: &StartSource,
    settings: &GuideSettings,
    compute: &Compute,
) -> Result<GuidedStarts, GuideError> {
    let started = Instant::now();
    if let StartSource::Random = source {
        let colourings: Vec<Colouring> = (0..settings.count as u64)
            .map(|index| {
                let mut rng = Pcg32::new(settings.seed ^ RANDOM_STREAM, index);
                Colouring::random(problem.n, problem.colour0_threshold(), &mut rng)
            })
            .collect();
        let edges = problem.edge_count() as u64;
        return Ok(GuidedStarts {
            energies: colourings.iter().map(|c| energy(c, problem)).collect(),
            draws: 0,
            played_edges: 0,
            filled_edges: edges * settings.count as u64,
            seconds: started.elapsed().as_secs_f64(),
            description: "random colourings".to_owned(),
            colourings,
        });
    }
    if settings.games_in_flight == 0 {
        return Err(GuideError::Unsupported(
            "guided starts need at least one game in flight".into(),
        ));
    }
    let game = avoid_game(problem)?;
    let batch = settings.games_in_flight.min(settings.count.max(1) as u32);
    let (evaluator, description) = network(problem, &game, source, settings, compute, batch)?;
    let search = SearchConfig {
        simulations: settings.simulations,
        policy: settings.policy,
        reuse_subtree: false,
    };
    let mut searcher = match compute {
        Compute::Cpu => Searcher::Cpu {
            evaluator: Box::new(evaluator),
            search,
            seed: settings.seed,
            calls: 0,
        },
        Compute::Gpu(gpu) => {
            let Program::Gpu(program) = evaluator.into_program() else {
                unreachable!("a program compiled for the GPU backend runs on the GPU")
            };
            Searcher::Gpu {
                search: Box::new(GpuSearch::new(
                    gpu,
                    &game,
                    program,
                    search,
                    batch,
                    settings.seed,
                )?),
                game,
            }
        }
    };
    let finals = play(&game, &mut searcher, settings, batch as usize)?;
    let mut built = GuidedStarts {
        colourings: Vec::with_capacity(finals.len()),
        energies: Vec::with_capacity(finals.len()),
        draws: 0,
        played_edges: 0,
        filled_edges: 0,
        seconds: 0.0,
        description: format!("{}: {description}", source.name()),
    };
    for (index, state) in finals.iter().enumerate() {
        let partial = PartialColouring::from_avoid_game(state);
        let uncoloured = partial.uncoloured_edges().len() as u64;
        let mut rng = Pcg32::new(settings.seed ^ FILL_STREAM, index as u64);
        let colouring = partial.complete(problem, &mut rng)?;
        built.draws += usize::from(state.status() == Status::Draw);
        built.played_edges += u64::from(state.moves_played());
        built.filled_edges += uncoloured;
        built.energies.push(energy(&colouring, problem));
        built.colourings.push(colouring);
    }
    built.seconds = started.elapsed().as_secs_f64();
    Ok(built)
}

/// The avoid game whose draws are witnesses for `problem`: player 0 avoids K_s in colour
/// 0, player 1 K_t in colour 1.
fn avoid_game(problem: &Problem) -> Result<CliqueConfig, GuideError> {
    let sizes = CliqueSizes {
        s: problem.s,
        t: problem.t,
    };
    CliqueConfig::with_sizes(problem.n, sizes, Mode::Avoid).map_err(|error| {
        GuideError::Unsupported(format!(
            "{}: guided starts play the avoid game on K_{} with k = {sizes}, which the clique \
             game does not support: {error}",
            problem.describe(),
            problem.n,
        ))
    })
}

/// Why the run trained with `config` cannot guide `game`, if it cannot: another game,
/// mode, board or clique size.
fn run_mismatch(config: &TrainConfig, game: &CliqueConfig) -> Option<String> {
    let GameSpec::Clique(trained) = config.game else {
        return Some(format!(
            "it is a {} run, not a clique run",
            config.game.name()
        ));
    };
    let mut differences = Vec::new();
    if trained.mode != game.mode {
        differences.push(format!("its mode is {}, not {}", trained.mode, game.mode));
    }
    if trained.n != game.n {
        differences.push(format!("it plays on K_{}, not K_{}", trained.n, game.n));
    }
    if trained.sizes() != game.sizes() {
        differences.push(format!(
            "its clique sizes are k = {}, not {}",
            trained.sizes(),
            game.sizes()
        ));
    }
    (!differences.is_empty()).then(|| {
        format!(
            "it was trained on {} ({})",
            trained.label(),
            differences.join(", ")
        )
    })
}

/// The network the games are searched with, compiled on `compute` for `batch` positions,
/// and its description.
fn network(
    problem: &Problem,
    game: &CliqueConfig,
    source: &StartSource,
    settings: &GuideSettings,
    compute: &Compute,
    batch: u32,
) -> Result<(ProgramEvaluator, String), GuideError> {
    let batch = batch as usize;
    let run = match source {
        StartSource::Random => unreachable!("random starts need no network"),
        StartSource::Uniform => {
            let uniform = Uniform {
                observation_len: GameInfo::observation_len(game),
                actions: GameInfo::num_actions(game),
            };
            let evaluator = ProgramEvaluator::new(&uniform, compute, batch, 0)?;
            return Ok((evaluator, "uniform priors, value 0".to_owned()));
        }
        StartSource::Untrained { run } | StartSource::Learned { run } => run,
    };
    let (checkpoint, config) = load_run(run)?;
    if let Some(reason) = run_mismatch(&config, game) {
        return Err(GuideError::RunMismatch {
            run: run.clone(),
            problem: *problem,
            reason,
        });
    }
    let described = format!(
        "{} at iteration {}",
        checkpoint.path().display(),
        checkpoint.record().iteration
    );
    match source {
        StartSource::Learned { .. } => {
            let evaluator =
                checkpoint_evaluator(&checkpoint, game, &config.network, compute, batch)?;
            Ok((evaluator, described))
        }
        _ => {
            let network = game.network(&config.network)?;
            let evaluator = ProgramEvaluator::new(network.as_ref(), compute, batch, settings.seed)?;
            Ok((
                evaluator,
                format!("the network of {described}, at initial weights"),
            ))
        }
    }
}

fn load_run(
    run: &Path,
) -> Result<(crate::run_dir::checkpoint::Checkpoint, TrainConfig), GuideError> {
    Ok(CheckpointSource::Path(run.to_path_buf()).load(&GameSpec::default())?)
}

/// Searches the positions of the game slots, on one backend.
enum Searcher {
    /// The CPU reference search over the slots in play, a fresh one per move (no subtree
    /// is reused), evaluating with a program on the CPU backend.
    Cpu {
        evaluator: Box<ProgramEvaluator>,
        search: SearchConfig,
        seed: u64,
        /// Searches so far: each draws its noise from its own seed.
        calls: u64,
    },
    /// The GPU search over every slot (empty ones as finished games, which it skips).
    Gpu {
        search: Box<GpuSearch>,
        game: CliqueConfig,
    },
}

impl Searcher {
    /// One search from each slot's position: `[slots]` results, `None` for empty slots.
    fn search(
        &mut self,
        slots: &[Option<CliqueState>],
    ) -> Result<Vec<Option<SearchResult>>, GuideError> {
        match self {
            Searcher::Cpu {
                evaluator,
                search,
                seed,
                calls,
            } => {
                let roots: Vec<CliqueState> = slots.iter().flatten().cloned().collect();
                if roots.is_empty() {
                    return Ok(vec![None; slots.len()]);
                }
                let noise_seed = seed.wrapping_add(calls.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                *calls += 1;
                let mut results = ReferenceSearch::new(roots, *search, noise_seed)?
                    .run(evaluator.as_mut())?
                    .into_iter();
                Ok(slots
                    .iter()
                    .map(|slot| slot.as_ref().and_then(|_| results.next()))
                    .collect())
            }
            Searcher::Gpu { search, game } => {
                let empty = CliqueState::new(*game);
                let mut words = Vec::new();
                let mut terminal = Vec::with_capacity(slots.len());
                for slot in slots {
                    words.extend(slot.as_ref().unwrap_or(&empty).to_words());
                    terminal.push(if slot.is_some() { None } else { Some(0.0) });
                }
                search.set_roots(&words, &terminal)?;
                search.submit(|search, pass| search.record_search(pass));
                let results = search.read_results(GameInfo::num_actions(game))?;
                Ok(results
                    .into_iter()
                    .zip(slots)
                    .map(|(result, slot)| slot.as_ref().map(|_| result))
                    .collect())
            }
        }
    }
}

/// Plays `settings.count` games of `game`, `slots` at a time (a finished game's slot
/// starts the next game until all have started), and returns their final positions in
/// game order.
fn play(
    game: &CliqueConfig,
    searcher: &mut Searcher,
    settings: &GuideSettings,
    slots: usize,
) -> Result<Vec<CliqueState>, GuideError> {
    let mut rng = StdRng::seed_from_u64(settings.seed ^ MOVE_STREAM);
    let mut finals: Vec<Option<CliqueState>> = vec![None; settings.count];
    // Each slot's game: its index and position.
    let mut playing: Vec<Option<(usize, CliqueState)>> = Vec::with_capacity(slots);
    let mut started = 0;
    while playing.len() < slots && started < settings.count {
        playing.push(Some((started, CliqueState::new(*game))));
        started += 1;
    }
    while playing.iter().any(Option::is_some) {
        let positions: Vec<Option<CliqueState>> = playing
            .iter()
            .map(|slot| slot.as_ref().map(|(_, state)| state.clone()))
            .collect();
        let results = searcher.search(&positions)?;
        for (slot, result) in playing.iter_mut().zip(results) {
            let (Some((index, state)), Some(result)) = (slot.as_mut(), result) else {
                continue;
            };
            let action = choose(
                &result,
                state.moves_played(),
                settings.sampled_moves,
                &mut rng,
            )
            .ok_or_else(|| {
                GuideError::Search(SearchError::Config(format!(
                    "the search returned no move for a game in play after {} moves",
                    state.moves_played()
                )))
            })?;
            state.apply(action)?;
            if state.is_over() {
                finals[*index] = Some(state.clone());
                *slot = (started < settings.count).then(|| {
                    started += 1;
                    (started - 1, CliqueState::new(*game))
                });
            }
        }
    }
    Ok(finals.into_iter().flatten().collect())
}

/// The move to play: for the first `sampled_moves` moves of a game, drawn in proportion to
/// the root visits as self-play draws them ([`sample_by_visits`]); after them, the search's
/// choice. `None` when the root has no legal move.
fn choose(
    result: &SearchResult,
    moves_played: u32,
    sampled_moves: u32,
    rng: &mut StdRng,
) -> Option<usize> {
    if result.children.is_empty() {
        return None;
    }
    if moves_played >= sampled_moves {
        return Some(result.chosen);
    }
    Some(sample_by_visits(result, rng))
}
