//! The trainer's evaluation of the network training has reached, in steps that never wait
//! for the GPU: optimal-move accuracy of the raw policy and with search (where the game
//! has an exact solver), then a match against the random player and one against the
//! network of the previous evaluation. The networks run on the training's backend; the
//! trainer copies the trained parameters in on the device. The first few games of each
//! match are recorded move by move ([`Evaluation::take_recorded_games`]).

use web_time::Instant;

use super::EvaluateError;
use super::accuracy::AccuracySet;
use super::matches::{MatchPlay, MatchSettings, MatchStep, Side};
use crate::backend::Compute;
use crate::games::Game;
use crate::graph::{Graph, Program};
use crate::run_dir::games::{GameSource, Opponent, PlayedGame};
use crate::search::evaluator::{Evaluator, Outputs};
use crate::search::reference::Step;
use crate::search::{ProgramEvaluator, ReferenceSearch, RootPolicy};

/// What an evaluation measures and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvaluationSettings {
    /// Games per match.
    pub games: u32,
    /// Positions for the optimal-move accuracy (0: none).
    pub accuracy_positions: u32,
    /// Simulations for the accuracy with search.
    pub accuracy_simulations: u32,
    /// The root policy of the search (its noise is turned off).
    pub policy: RootPolicy,
    /// Seeds the accuracy positions (once per run) and the matches (with the iteration).
    pub seed: u64,
    /// Games of each match recorded move by move (its first ones).
    pub recorded_games: u32,
}

/// What one evaluation measured; `None` for what was not.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    pub policy_accuracy: Option<f64>,
    pub search_accuracy: Option<f64>,
    /// (win share, draw share) against the random player.
    pub random: Option<(f64, f64)>,
    /// (win share, draw share) against the network of the previous evaluation.
    pub previous: Option<(f64, f64)>,
}

/// Where an evaluation stands, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stage {
    pub name: &'static str,
    pub done: u64,
    pub total: u64,
}

/// The evaluation of [`PeriodicEvaluation`] without its game type, as the trainer holds it.
pub trait Evaluation {
    /// Starts evaluating the parameters of `training` (copied on the device) as iteration
    /// `iteration`'s network.
    fn start(&mut self, training: &Program, iteration: u64) -> Result<(), EvaluateError>;
    /// Makes the parameters of `program` the previous network (a resumed run's).
    fn set_previous(&mut self, program: &Program) -> Result<(), EvaluateError>;
    /// Works until `deadline`, or until it waits for the GPU; the measurements once done.
    fn advance(&mut self, deadline: Instant) -> Result<Option<Measured>, EvaluateError>;
    /// Where it stands.
    fn stage(&self) -> Stage;
    /// The GPU submission it waits for, if any.
    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex>;
    /// The recorded games of the matches finished since the last call, with who played
    /// them (the network being the trained one).
    fn take_recorded_games(&mut self) -> Vec<(GameSource, PlayedGame)>;
}

enum State<S: crate::games::GameState> {
    Idle,
    /// The raw policy's accuracy; `asked` once its evaluation was started.
    Raw {
        asked: bool,
    },
    Search(ReferenceSearch<S>),
    Random(MatchPlay<S>),
    Previous(MatchPlay<S>),
}

/// Which network an evaluation in flight runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Network {
    Candidate,
    Previous,
}

/// The trainer's periodic evaluation of a game `G`.
pub struct PeriodicEvaluation<G: Game> {
    game: G,
    settings: EvaluationSettings,
    accuracy: Option<AccuracySet<G::State>>,
    candidate: ProgramEvaluator,
    previous: ProgramEvaluator,
    /// Whether `previous` holds a network yet (the first evaluation has none to play).
    has_previous: bool,
    /// Trainable parameter names, copied from the training program.
    parameters: Vec<String>,
    state: State<G::State>,
    measured: Measured,
    iteration: u64,
    in_flight: Option<Network>,
    /// Recorded games of finished matches, not taken yet.
    recorded: Vec<(GameSource, PlayedGame)>,
}

impl<G: Game> PeriodicEvaluation<G> {
    /// Builds the accuracy set (once per run: it may take seconds of solver time) and
    /// compiles two inference programs of `network` on `compute`, for as many positions
    /// as the set or a match needs. `training` is the training step's graph (its parameter
    /// names).
    pub fn new(
        game: G,
        network: &dyn crate::nn::Network,
        compute: &Compute,
        training: &Graph,
        settings: EvaluationSettings,
    ) -> Result<Self, EvaluateError> {
        let accuracy =
            AccuracySet::new(&game, settings.accuracy_positions as usize, settings.seed)?;
        let batch = accuracy
            .as_ref()
            .map_or(0, AccuracySet::len)
            .max(settings.games as usize)
            .max(1);
        Ok(Self {
            candidate: ProgramEvaluator::new(network, compute, batch, settings.seed)?,
            previous: ProgramEvaluator::new(network, compute, batch, settings.seed)?,
            has_previous: false,
            parameters: training.parameter_names(),
            game,
            settings,
            accuracy,
            state: State::Idle,
            measured: Measured::default(),
            iteration: 0,
            in_flight: None,
            recorded: Vec::new(),
        })
    }

    /// The positions of the optimal-move accuracy, if the game has them.
    pub fn accuracy_set(&self) -> Option<&AccuracySet<G::State>> {
        self.accuracy.as_ref()
    }

    fn evaluator(&mut self, network: Network) -> &mut ProgramEvaluator {
        match network {
            Network::Candidate => &mut self.candidate,
            Network::Previous => &mut self.previous,
        }
    }

    fn ask(
        &mut self,
        network: Network,
        observations: &[f32],
        rows: usize,
    ) -> Result<(), EvaluateError> {
        self.evaluator(network).start(observations, rows)?;
        self.in_flight = Some(network);
        Ok(())
    }

    fn match_settings(&self, salt: u64) -> MatchSettings {
        let seed = self.settings.seed ^ self.iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
        MatchSettings::new(self.settings.games, seed)
    }

    /// The first stage after the accuracy.
    fn after_accuracy(&self) -> State<G::State> {
        let start = self.game.initial_state();
        State::Random(
            MatchPlay::new(&start, self.match_settings(0), true, false)
                .recording(self.settings.recorded_games),
        )
    }

    /// Keeps the recorded games of a finished match against `opponent` (the trained
    /// network being its first side).
    fn keep_recorded(&mut self, play: &MatchPlay<G::State>, opponent: Opponent) {
        for game in play.recorded_games() {
            let source = GameSource::Evaluation {
                opponent,
                network_player: (game.index % 2) as u8,
            };
            self.recorded.push((source, game.game));
        }
    }

    /// One step of the state machine with `outputs` of the evaluation that just finished.
    /// `Some` when everything is measured.
    fn step(&mut self, outputs: Option<Outputs>) -> Result<Option<Measured>, EvaluateError> {
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match state {
            State::Idle => {
                return Err(EvaluateError::Config(
                    "no evaluation is under way: start one first".into(),
                ));
            }
            State::Raw { asked } => match (&self.accuracy, outputs, asked) {
                (None, _, _) => self.after_accuracy(),
                (Some(set), None, false) => {
                    let (observations, rows) = (set.observations().to_vec(), set.len());
                    self.ask(Network::Candidate, &observations, rows)?;
                    State::Raw { asked: true }
                }
                (Some(set), Some(outputs), true) => {
                    let chosen = set.policy_moves(&outputs.logits);
                    self.measured.policy_accuracy = Some(f64::from(set.share_optimal(&chosen)));
                    let mut search =
                        set.search(self.settings.accuracy_simulations, self.settings.policy)?;
                    search.start();
                    State::Search(search)
                }
                (Some(_), _, _) => State::Raw { asked },
            },
            State::Search(mut search) => match search.step(outputs.as_ref())? {
                Step::Evaluate { rows } => {
                    let observations = search.observations().to_vec();
                    self.ask(Network::Candidate, &observations, rows)?;
                    State::Search(search)
                }
                Step::Finished(results) => {
                    let chosen: Vec<usize> = results.iter().map(|r| r.chosen).collect();
                    if let Some(set) = &self.accuracy {
                        self.measured.search_accuracy = Some(f64::from(set.share_optimal(&chosen)));
                    }
                    self.after_accuracy()
                }
            },
            State::Random(mut play) => match play.step(outputs.as_ref())? {
                MatchStep::Evaluate { rows, .. } => {
                    let observations = play.observations().to_vec();
                    self.ask(Network::Candidate, &observations, rows)?;
                    State::Random(play)
                }
                MatchStep::Finished(result) => {
                    self.measured.random =
                        Some((f64::from(result.win_rate()), f64::from(result.draw_rate())));
                    self.keep_recorded(&play, Opponent::Random);
                    if self.has_previous {
                        let start = self.game.initial_state();
                        State::Previous(
                            MatchPlay::new(&start, self.match_settings(1), true, true)
                                .recording(self.settings.recorded_games),
                        )
                    } else {
                        return self.finish().map(Some);
                    }
                }
            },
            State::Previous(mut play) => match play.step(outputs.as_ref())? {
                MatchStep::Evaluate { side, rows } => {
                    let network = match side {
                        Side::First => Network::Candidate,
                        Side::Second => Network::Previous,
                    };
                    let observations = play.observations().to_vec();
                    self.ask(network, &observations, rows)?;
                    State::Previous(play)
                }
                MatchStep::Finished(result) => {
                    self.measured.previous =
                        Some((f64::from(result.win_rate()), f64::from(result.draw_rate())));
                    self.keep_recorded(&play, Opponent::Previous);
                    return self.finish().map(Some);
                }
            },
        };
        Ok(None)
    }

    /// The candidate becomes the previous network of the next evaluation.
    fn finish(&mut self) -> Result<Measured, EvaluateError> {
        self.previous
            .program_mut()
            .copy_values_from(self.candidate.program(), &self.parameters)?;
        self.has_previous = true;
        self.state = State::Idle;
        Ok(self.measured)
    }
}

impl<G: Game> Evaluation for PeriodicEvaluation<G> {
    fn start(&mut self, training: &Program, iteration: u64) -> Result<(), EvaluateError> {
        self.candidate
            .program_mut()
            .copy_values_from(training, &self.parameters)?;
        self.iteration = iteration;
        self.measured = Measured::default();
        self.recorded.clear();
        self.in_flight = None;
        self.state = State::Raw { asked: false };
        Ok(())
    }

    fn set_previous(&mut self, program: &Program) -> Result<(), EvaluateError> {
        self.previous
            .program_mut()
            .copy_values_from(program, &self.parameters)?;
        self.has_previous = true;
        Ok(())
    }

    fn advance(&mut self, deadline: Instant) -> Result<Option<Measured>, EvaluateError> {
        loop {
            let outputs = match self.in_flight {
                Some(network) => match self.evaluator(network).poll()? {
                    Some(outputs) => {
                        self.in_flight = None;
                        Some(outputs)
                    }
                    None => return Ok(None),
                },
                None => None,
            };
            if let Some(measured) = self.step(outputs)? {
                return Ok(Some(measured));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    fn stage(&self) -> Stage {
        let games = u64::from(self.settings.games);
        match &self.state {
            State::Idle => Stage {
                name: "evaluation",
                done: 0,
                total: 1,
            },
            State::Raw { .. } => Stage {
                name: "accuracy",
                done: 0,
                total: 1,
            },
            State::Search(search) => {
                let (done, total) = search.progress();
                Stage {
                    name: "search accuracy",
                    done: u64::from(done),
                    total: u64::from(total).max(1),
                }
            }
            State::Random(play) => Stage {
                name: "vs random",
                done: play.finished_games() as u64,
                total: games,
            },
            State::Previous(play) => Stage {
                name: "vs previous",
                done: play.finished_games() as u64,
                total: games,
            },
        }
    }

    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex> {
        match self.in_flight? {
            Network::Candidate => self.candidate.pending_submission(),
            Network::Previous => self.previous.pending_submission(),
        }
    }

    fn take_recorded_games(&mut self) -> Vec<(GameSource, PlayedGame)> {
        std::mem::take(&mut self.recorded)
    }
}
