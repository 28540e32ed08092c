//! One search chain: a board, its random numbers, the local search's own state (the
//! temperature, or the tabu list), restarts, and the witnesses it has found.
//!
//! A chain's trajectory depends only on its settings, its seed and stream, and the start
//! colourings: never on how its steps are grouped into calls of [`Chain::run`], so many
//! chains can run side by side and a checkpointed chain resumes exactly where it stopped.
//!
//! One chain step, exactly:
//! 1. the step counter goes up by one;
//! 2. if the energy is 0 the colouring is a witness: it is kept, and the chain restarts
//!    (this step does nothing else);
//! 3. otherwise one annealing or tabu step ([`anneal_step`], [`tabu_step`]);
//! 4. a new lowest energy since the last restart resets the patience counter; otherwise
//!    the counter goes up, and at `patience` the chain restarts (and skips step 5);
//! 5. annealing only: after `steps_per_temperature` steps at one temperature it cools (or
//!    reheats, [`AnnealSchedule::next_temperature`]).
//!
//! A restart takes a fresh random colouring (colour 0 with the problem's starting density,
//! [`Problem::colour0_threshold`]), or, when the search has start colourings, the
//! `rng.below(starts)`-th of them; the temperature returns to its start and the tabu list
//! is cleared.

use serde::{Deserialize, Serialize};

use super::anneal::{Acceptance, AnnealSchedule, anneal_step};
use super::board::Board;
use super::rng::Pcg32;
use super::tabu::{TabuSettings, tabu_step};
use super::{Colouring, Problem, RamseyError};

/// The local search a chain runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LocalSearch {
    Anneal(AnnealSchedule),
    Tabu(TabuSettings),
}

impl LocalSearch {
    /// Entries of a chain's tabu list on a board of `edges` edges: one per edge for tabu
    /// search, none for annealing.
    pub fn tabu_list_len(&self, edges: usize) -> usize {
        match self {
            LocalSearch::Anneal(_) => 0,
            LocalSearch::Tabu(_) => edges,
        }
    }
}

/// Everything that decides a chain's steps besides its random numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainSettings {
    pub local_search: LocalSearch,
    /// Steps without a new lowest energy (since the last restart) before restarting.
    pub patience: u64,
}

/// What a chain has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCounters {
    pub steps: u64,
    /// Accepted flips (every tabu step flips).
    pub flips: u64,
    /// Restarts for lack of progress (not counting those after a witness).
    pub restarts: u64,
    pub witnesses: u64,
}

/// A witness a chain found, with its step counter at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundWitness {
    pub colouring: Colouring,
    pub step: u64,
}

/// One chain.
#[derive(Clone, Debug)]
pub struct Chain {
    settings: ChainSettings,
    board: Board,
    rng: Pcg32,
    temperature: f32,
    acceptance: Acceptance,
    steps_at_temperature: u32,
    /// `[E]` for tabu search (the step until which each edge is tabu), else empty.
    tabu_until: Vec<u64>,
    counters: ChainCounters,
    run_best_energy: u64,
    steps_since_improvement: u64,
    best_energy: u64,
    best: Colouring,
    found: Vec<FoundWitness>,
}

impl Chain {
    /// A chain on stream `stream` of `seed`, started as a restart starts it.
    pub fn new(
        problem: Problem,
        settings: ChainSettings,
        seed: u64,
        stream: u64,
        starts: &[Colouring],
    ) -> Self {
        let mut rng = Pcg32::new(seed, stream);
        let colouring = start_colouring(&problem, &mut rng, starts);
        let board = Board::new(problem, colouring);
        let mut chain = Self {
            settings,
            best_energy: board.energy(),
            best: board.colouring().clone(),
            board,
            rng,
            temperature: 0.0,
            acceptance: Acceptance::at(0.0),
            steps_at_temperature: 0,
            tabu_until: Vec::new(),
            counters: ChainCounters::default(),
            run_best_energy: 0,
            steps_since_improvement: 0,
            found: Vec::new(),
        };
        chain.reset_run();
        chain
    }

    /// Puts the local search back to the start of a run on the current board.
    fn reset_run(&mut self) {
        match self.settings.local_search {
            LocalSearch::Anneal(schedule) => {
                self.temperature = schedule.start_temperature;
                self.acceptance = Acceptance::at(self.temperature);
                self.steps_at_temperature = 0;
            }
            LocalSearch::Tabu(_) => {
                self.tabu_until = vec![0; self.board.edge_count() as usize];
            }
        }
        self.run_best_energy = self.board.energy();
        self.steps_since_improvement = 0;
        self.note_energy();
    }

    fn restart(&mut self, starts: &[Colouring]) {
        let problem = *self.board.problem();
        let colouring = start_colouring(&problem, &mut self.rng, starts);
        self.board = Board::new(problem, colouring);
        self.reset_run();
    }

    fn note_energy(&mut self) {
        if self.board.energy() < self.best_energy {
            self.best_energy = self.board.energy();
            self.best = self.board.colouring().clone();
        }
    }

    /// Runs `steps` chain steps (see the module doc).
    pub fn run(&mut self, steps: u64, starts: &[Colouring]) {
        for _ in 0..steps {
            self.counters.steps += 1;
            if self.board.energy() == 0 {
                self.found.push(FoundWitness {
                    colouring: self.board.colouring().clone(),
                    step: self.counters.steps,
                });
                self.counters.witnesses += 1;
                self.restart(starts);
                continue;
            }
            let flipped = match &self.settings.local_search {
                LocalSearch::Anneal(schedule) => anneal_step(
                    &mut self.board,
                    &mut self.rng,
                    &self.acceptance,
                    schedule.edge_choice,
                ),
                LocalSearch::Tabu(settings) => {
                    tabu_step(
                        &mut self.board,
                        &mut self.rng,
                        &mut self.tabu_until,
                        self.counters.steps,
                        settings,
                        self.run_best_energy,
                    );
                    true
                }
            };
            self.counters.flips += u64::from(flipped);
            if self.board.energy() < self.run_best_energy {
                self.run_best_energy = self.board.energy();
                self.steps_since_improvement = 0;
                self.note_energy();
            } else {
                self.steps_since_improvement += 1;
                if self.steps_since_improvement >= self.settings.patience {
                    self.counters.restarts += 1;
                    self.restart(starts);
                    continue;
                }
            }
            if let LocalSearch::Anneal(schedule) = &self.settings.local_search {
                self.steps_at_temperature += 1;
                if self.steps_at_temperature >= schedule.steps_per_temperature {
                    self.temperature = schedule.next_temperature(self.temperature);
                    self.acceptance = Acceptance::at(self.temperature);
                    self.steps_at_temperature = 0;
                }
            }
        }
    }

    /// Runs until a witness is found or `max_steps` steps have passed, checking every 256
    /// steps; returns the steps taken.
    pub fn run_until_witness(&mut self, max_steps: u64, starts: &[Colouring]) -> u64 {
        let start = self.counters.steps;
        while self.found.is_empty() && self.counters.steps - start < max_steps {
            let chunk = (max_steps - (self.counters.steps - start)).min(256);
            self.run(chunk, starts);
        }
        self.counters.steps - start
    }

    /// The witnesses found since the last call, oldest first.
    pub fn take_found(&mut self) -> Vec<FoundWitness> {
        std::mem::take(&mut self.found)
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn counters(&self) -> ChainCounters {
        self.counters
    }

    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// The lowest energy this chain has reached, and a colouring with it.
    pub fn best(&self) -> (u64, &Colouring) {
        (self.best_energy, &self.best)
    }

    /// The chain's whole state; witnesses not yet taken are not part of it.
    pub fn snapshot(&self) -> ChainSnapshot {
        ChainSnapshot {
            colouring: self.board.colouring().graph6(),
            rng: self.rng,
            temperature: self.temperature,
            steps_at_temperature: self.steps_at_temperature,
            tabu_until: self.tabu_until.clone(),
            counters: self.counters,
            run_best_energy: self.run_best_energy,
            steps_since_improvement: self.steps_since_improvement,
            best_energy: self.best_energy,
            best: self.best.graph6(),
        }
    }

    /// The chain a snapshot describes (its board recounted from the colouring).
    pub fn restore(
        problem: Problem,
        settings: ChainSettings,
        snapshot: &ChainSnapshot,
    ) -> Result<Self, RamseyError> {
        let colouring = Colouring::from_graph6(&snapshot.colouring)?;
        let best = Colouring::from_graph6(&snapshot.best)?;
        if colouring.n() != problem.n || best.n() != problem.n {
            return Err(RamseyError::InvalidColouring {
                n: colouring.n(),
                reason: format!("the chain's colourings are not of K_{}", problem.n),
            });
        }
        let board = Board::new(problem, colouring);
        let tabu_length = settings.local_search.tabu_list_len(problem.edge_count());
        if snapshot.tabu_until.len() != tabu_length {
            return Err(RamseyError::InvalidColouring {
                n: problem.n,
                reason: format!(
                    "the chain's tabu list has {} entries, {tabu_length} expected",
                    snapshot.tabu_until.len()
                ),
            });
        }
        Ok(Self {
            settings,
            board,
            rng: snapshot.rng,
            temperature: snapshot.temperature,
            acceptance: Acceptance::at(snapshot.temperature),
            steps_at_temperature: snapshot.steps_at_temperature,
            tabu_until: snapshot.tabu_until.clone(),
            counters: snapshot.counters,
            run_best_energy: snapshot.run_best_energy,
            steps_since_improvement: snapshot.steps_since_improvement,
            best_energy: snapshot.best_energy,
            best,
            found: Vec::new(),
        })
    }
}

/// A chain's whole state as stored in a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainSnapshot {
    /// The current colouring's colour-0 graph in graph6.
    pub colouring: String,
    pub rng: Pcg32,
    pub temperature: f32,
    pub steps_at_temperature: u32,
    /// `[E]` for tabu search, else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tabu_until: Vec<u64>,
    pub counters: ChainCounters,
    pub run_best_energy: u64,
    pub steps_since_improvement: u64,
    pub best_energy: u64,
    /// The lowest-energy colouring's colour-0 graph in graph6.
    pub best: String,
}

/// The colouring a (re)start begins from.
fn start_colouring(problem: &Problem, rng: &mut Pcg32, starts: &[Colouring]) -> Colouring {
    if starts.is_empty() {
        Colouring::random(problem.n, problem.colour0_threshold(), rng)
    } else {
        starts[rng.below(starts.len() as u32) as usize].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::anneal::EdgeChoice;
    use crate::ramsey::counting::energy;

    fn settings(local_search: LocalSearch) -> ChainSettings {
        ChainSettings {
            local_search,
            patience: 300,
        }
    }

    fn anneal() -> LocalSearch {
        LocalSearch::Anneal(AnnealSchedule {
            start_temperature: 2.0,
            end_temperature: 0.3,
            cooling: 0.9,
            steps_per_temperature: 50,
            edge_choice: EdgeChoice::Conflicting,
        })
    }

    #[test]
    fn a_chain_resumed_from_its_snapshot_continues_exactly() {
        let problem = Problem::new(17, 4, 4).unwrap();
        for local_search in [anneal(), LocalSearch::Tabu(TabuSettings { tenure: 12 })] {
            let settings = settings(local_search);
            let mut straight = Chain::new(problem, settings, 3, 1, &[]);
            straight.run(3000, &[]);
            let mut split = Chain::new(problem, settings, 3, 1, &[]);
            split.run(1234, &[]);
            let text = serde_json::to_string(&split.snapshot()).unwrap();
            let snapshot: ChainSnapshot = serde_json::from_str(&text).unwrap();
            let mut resumed = Chain::restore(problem, settings, &snapshot).unwrap();
            resumed.run(1766, &[]);
            assert_eq!(resumed.snapshot(), straight.snapshot());
            let found: Vec<_> = split
                .take_found()
                .into_iter()
                .chain(resumed.take_found())
                .collect();
            assert_eq!(found, straight.take_found());
        }
    }

    #[test]
    fn chains_find_r44_witnesses_on_k17_and_their_energy_is_zero() {
        let problem = Problem::new(17, 4, 4).unwrap();
        for local_search in [anneal(), LocalSearch::Tabu(TabuSettings { tenure: 12 })] {
            let mut chain = Chain::new(problem, settings(local_search), 1, 0, &[]);
            chain.run_until_witness(2_000_000, &[]);
            // The last chunk of 256 steps may find more than one.
            let found = chain.take_found();
            assert!(!found.is_empty(), "{local_search:?}");
            for witness in &found {
                assert_eq!(energy(&witness.colouring, &problem), 0);
                crate::ramsey::verify_witness(&problem, &witness.colouring).unwrap();
            }
            assert_eq!(chain.best().0, 0);
            assert_eq!(chain.counters().witnesses, found.len() as u64);
        }
    }
}
