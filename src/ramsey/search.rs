//! Many independent chains over the cores (rayon), deterministic per seed: chain i runs
//! on PCG32 stream i of the seed, and no chain ever reads another's state, so the witnesses
//! each chain finds, and when, do not depend on the number of threads or on how
//! [`Search::advance`] calls are sized.
//!
//! Every witness a chain reports is re-checked with [`verify_witness`] before
//! [`Search::advance`] returns it.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::anneal::{AnnealSchedule, EdgeChoice};
use super::chain::{Chain, ChainCounters, ChainSettings, ChainSnapshot, LocalSearch};
use super::tabu::TabuSettings;
use super::{Colouring, Problem, RamseyError, verify_witness};

/// How the witness search looks for colourings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Simulated annealing on single-edge flips from random colourings.
    Anneal,
    /// Tabu search on single-edge flips from random colourings.
    Tabu,
    /// The best circulant colourings first (of K_n, and of K_{n+1} less a vertex), then
    /// tabu search that restarts from them.
    Circulant,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Anneal => "anneal",
            Method::Tabu => "tabu",
            Method::Circulant => "circulant",
        }
    }

    /// The chain settings this method uses by default for `problem`, tuned on the 2-core
    /// development machine (docs/RAMSEY.md has the measurements): annealing on a sawtooth
    /// from T = 0.75 down to 0.35 (×0.99 every 1000 steps, then back up), proposing only
    /// conflicting edges, restarting after 2000·E steps without a new low; tabu search (also
    /// after the circulant phase) with a tenure of 8 steps (at most E/2), restarting after
    /// 20·E steps without a new low.
    pub fn default_settings(self, problem: &Problem) -> ChainSettings {
        let edges = problem.edge_count() as u64;
        match self {
            Method::Anneal => ChainSettings {
                local_search: LocalSearch::Anneal(AnnealSchedule {
                    start_temperature: 0.75,
                    end_temperature: 0.35,
                    cooling: 0.99,
                    steps_per_temperature: 1000,
                    edge_choice: EdgeChoice::Conflicting,
                }),
                patience: 2000 * edges,
            },
            Method::Tabu | Method::Circulant => ChainSettings {
                local_search: LocalSearch::Tabu(TabuSettings {
                    tenure: (edges / 2).clamp(1, 8) as u32,
                }),
                patience: 20 * edges,
            },
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A witness as [`Search::advance`] returns it: verified independently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub colouring: Colouring,
    /// The chain that found it, and its step counter then.
    pub chain: usize,
    pub step: u64,
}

/// The chains of one search and what they start from.
pub struct Search {
    problem: Problem,
    settings: ChainSettings,
    seed: u64,
    /// Colourings restarts begin from (empty: random ones).
    starts: Vec<Colouring>,
    chains: Vec<Chain>,
}

/// A search's whole state as stored in a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSnapshot {
    pub problem: Problem,
    pub settings: ChainSettings,
    pub seed: u64,
    /// The start colourings' colour-0 graphs in graph6.
    pub starts: Vec<String>,
    pub chains: Vec<ChainSnapshot>,
}

impl Search {
    /// `chains` chains (at least one) on streams 0..chains of `seed`.
    pub fn new(
        problem: Problem,
        settings: ChainSettings,
        seed: u64,
        chains: u32,
        starts: Vec<Colouring>,
    ) -> Self {
        let chains = (0..u64::from(chains.max(1)))
            .into_par_iter()
            .map(|stream| Chain::new(problem, settings, seed, stream, &starts))
            .collect();
        Self {
            problem,
            settings,
            seed,
            starts,
            chains,
        }
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    pub fn settings(&self) -> &ChainSettings {
        &self.settings
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// Runs every chain `steps_per_chain` steps in parallel; returns the witnesses found,
    /// by chain then in order, each verified. A colouring that fails verification is a
    /// [`RamseyError::FalseWitness`]: a bug, never reported as a witness.
    pub fn advance(&mut self, steps_per_chain: u64) -> Result<Vec<Witness>, RamseyError> {
        let starts = &self.starts;
        self.chains
            .par_iter_mut()
            .for_each(|chain| chain.run(steps_per_chain, starts));
        let mut witnesses = Vec::new();
        for (index, chain) in self.chains.iter_mut().enumerate() {
            for found in chain.take_found() {
                witnesses.push(Witness {
                    colouring: found.colouring,
                    chain: index,
                    step: found.step,
                });
            }
        }
        for witness in &witnesses {
            verify_witness(&self.problem, &witness.colouring)?;
        }
        Ok(witnesses)
    }

    /// The counters of all chains summed.
    pub fn totals(&self) -> ChainCounters {
        self.chains
            .iter()
            .map(Chain::counters)
            .fold(ChainCounters::default(), |sum, c| ChainCounters {
                steps: sum.steps + c.steps,
                flips: sum.flips + c.flips,
                restarts: sum.restarts + c.restarts,
                witnesses: sum.witnesses + c.witnesses,
            })
    }

    /// The lowest energy any chain has reached, and a colouring with it (the first chain's
    /// on ties).
    pub fn best(&self) -> (u64, &Colouring) {
        self.chains
            .iter()
            .map(Chain::best)
            .min_by_key(|(energy, _)| *energy)
            .unwrap_or_else(|| unreachable!("a search has at least one chain"))
    }

    /// The lowest current energy over the chains.
    pub fn lowest_current_energy(&self) -> u64 {
        self.chains
            .iter()
            .map(|chain| chain.board().energy())
            .min()
            .unwrap_or(0)
    }

    pub fn snapshot(&self) -> SearchSnapshot {
        SearchSnapshot {
            problem: self.problem,
            settings: self.settings,
            seed: self.seed,
            starts: self.starts.iter().map(Colouring::graph6).collect(),
            chains: self.chains.iter().map(Chain::snapshot).collect(),
        }
    }

    pub fn restore(snapshot: &SearchSnapshot) -> Result<Self, RamseyError> {
        let problem = Problem::new(snapshot.problem.n, snapshot.problem.s, snapshot.problem.t)?;
        if snapshot.chains.is_empty() {
            return Err(RamseyError::InvalidColouring {
                n: problem.n,
                reason: "the search has no chains".into(),
            });
        }
        let starts = snapshot
            .starts
            .iter()
            .map(|text| Colouring::from_graph6(text))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(start) = starts.iter().find(|start| start.n() != problem.n) {
            return Err(RamseyError::InvalidColouring {
                n: start.n(),
                reason: format!("a start colouring is not of K_{}", problem.n),
            });
        }
        let chains = snapshot
            .chains
            .par_iter()
            .map(|chain| Chain::restore(problem, snapshot.settings, chain))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            problem,
            settings: snapshot.settings,
            seed: snapshot.seed,
            starts,
            chains,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_witnesses_do_not_depend_on_how_steps_are_grouped() {
        let problem = Problem::new(8, 3, 4).unwrap();
        let settings = Method::Anneal.default_settings(&problem);
        let mut whole = Search::new(problem, settings, 8, 3, Vec::new());
        let all = whole.advance(30_000).unwrap();
        assert!(all.len() > 3, "R(3,4) = 9: K_8 has witnesses");
        let mut pieces = Search::new(problem, settings, 8, 3, Vec::new());
        let mut collected = Vec::new();
        for steps in [1, 999, 10_000, 19_000] {
            collected.extend(pieces.advance(steps).unwrap());
        }
        let key = |w: &Witness| (w.chain, w.step);
        collected.sort_by_key(key);
        let mut all_sorted = all.clone();
        all_sorted.sort_by_key(key);
        assert_eq!(collected, all_sorted);
        assert_eq!(pieces.snapshot(), whole.snapshot());
        let restored = Search::restore(&whole.snapshot()).unwrap();
        assert_eq!(restored.snapshot(), whole.snapshot());
        for witness in &all {
            assert_eq!(
                crate::ramsey::counting::energy(&witness.colouring, &problem),
                0
            );
        }
    }
}
