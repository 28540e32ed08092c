//! One position searched in steps a person can watch (the app's Search tab): ask for more
//! simulations, advance within a time budget without ever waiting for the network, look
//! at the tree between steps.
//!
//! It drives a [`ReferenceSearch`] of one game, pausing it between simulations
//! ([`ReferenceSearch::step_until`]), so a search stepped in any chunks computes exactly
//! what one [`ReferenceSearch::run`] with the same settings does (tested in
//! `tests/tree_files.rs`). A simulation is one walk from the root to a leaf and the
//! backup of the leaf's value; the root's own evaluation comes before the first and is
//! not one.
//!
//! What "+N" means ([`InteractiveSearch::request`]):
//! - PUCT: N more simulations. Past the configured total the total grows, since PUCT's
//!   choices do not depend on it: the tree after S' simulations is the tree of a search
//!   configured with S' from the start.
//! - Gumbel: N more simulations of the configured total S, at most up to S. Sequential
//!   halving plans the root's visits from S (how many actions survive each phase), so a
//!   search of S simulations stopped early is a prefix of that search, not a smaller
//!   search; to search further, start a new one with a larger S.

use std::time::Duration;

use web_time::Instant;

use super::config::{RootPolicy, SearchConfig};
use super::evaluator::Evaluator;
use super::reference::{ReferenceSearch, Step};
use super::selection::{NodeSelection, selection_at};
use super::tree_dump::TreeDump;
use super::{SearchError, SearchResult};
use crate::games::GameState;

/// A single-position search advanced in slices.
pub struct InteractiveSearch<S: GameState> {
    search: ReferenceSearch<S>,
    /// Simulations to have done before pausing (at most the search's total).
    target: u32,
    /// An evaluation was started and its outputs have not come back yet.
    evaluating: bool,
    /// The first evaluation (the root's) came back.
    root_evaluated: bool,
}

/// Why [`InteractiveSearch::advance`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pause {
    /// The requested simulations are done (and the root is evaluated); ask for more with
    /// [`InteractiveSearch::request`].
    Reached,
    /// An evaluation is in flight and not back yet; call again later (next frame).
    Evaluating,
    /// The time budget ran out with work left; call again.
    OutOfTime,
}

/// Where the search stands after [`InteractiveSearch::advance`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub simulations_done: u32,
    /// Simulations requested so far (it pauses there).
    pub target: u32,
    /// The search's total: Gumbel's schedule is planned for it; PUCT's grows with the
    /// target.
    pub simulations: u32,
    pub pause: Pause,
}

impl<S: GameState> InteractiveSearch<S> {
    /// A search from `root` with `config` (its `simulations` are the total S; root noise
    /// must be off: the tree shows raw priors and a tree file holds no noise). Nothing is
    /// evaluated until [`Self::advance`]; no simulation is requested yet.
    pub fn new(root: S, config: SearchConfig) -> Result<Self, SearchError> {
        let noisy = match config.policy {
            RootPolicy::AlphaZero { dirichlet, .. } => dirichlet.is_some(),
            RootPolicy::Gumbel { gumbel_noise, .. } => gumbel_noise,
        };
        if noisy {
            return Err(SearchError::Config(
                "an interactive search has no root noise: turn Dirichlet noise (PUCT) or \
                 Gumbel noise off"
                    .into(),
            ));
        }
        let config = SearchConfig {
            reuse_subtree: false,
            ..config
        };
        let mut search = ReferenceSearch::new(vec![root], config, 0)?;
        search.start();
        Ok(Self {
            search,
            target: 0,
            evaluating: false,
            root_evaluated: false,
        })
    }

    /// Asks for `more` simulations beyond those requested so far and returns how many
    /// were granted: all of them for PUCT (the total grows as needed), for Gumbel as many
    /// as the total leaves (see the module's notes).
    pub fn request(&mut self, more: u32) -> u32 {
        let before = self.target;
        let mut target = before.saturating_add(more);
        if target > self.simulations()
            && matches!(self.config().policy, RootPolicy::AlphaZero { .. })
            && self.search.set_simulations(target).is_err()
        {
            target = self.simulations();
        }
        self.target = target.min(self.simulations());
        self.target - before
    }

    /// Asks for every simulation of the total.
    pub fn request_all(&mut self) {
        self.target = self.simulations();
    }

    /// Works until the requested simulations are done, an evaluation is in flight and not
    /// back, or about `budget` has passed (one simulation or one evaluation's expansion
    /// may overrun it). Never waits: the evaluator is started and polled
    /// ([`Evaluator::poll`]), which on the GPU returns nothing until the readback is done.
    /// The root's evaluation happens on the first call even with nothing requested, so
    /// its children and priors can be shown. `evaluator` must be the same network on
    /// every call. After an error, build a new search.
    pub fn advance(
        &mut self,
        evaluator: &mut dyn Evaluator,
        budget: Duration,
    ) -> Result<Progress, SearchError> {
        let deadline = Instant::now() + budget;
        loop {
            let step = if self.evaluating {
                match evaluator.poll()? {
                    None => return Ok(self.progress(Pause::Evaluating)),
                    Some(outputs) => {
                        self.evaluating = false;
                        self.root_evaluated = true;
                        self.search.step_until(Some(&outputs), self.target)?
                    }
                }
            } else {
                self.search.step_until(None, self.target)?
            };
            match step {
                None => return Ok(self.progress(Pause::Reached)),
                Some(Step::Evaluate { rows }) => {
                    evaluator.start(self.search.observations(), rows)?;
                    self.evaluating = true;
                }
                Some(Step::Finished(_)) => {
                    return Err(SearchError::Config(
                        "the interactive search ran past its pause (a bug)".into(),
                    ));
                }
            }
            if Instant::now() >= deadline {
                let pause = if self.evaluating {
                    Pause::Evaluating
                } else {
                    Pause::OutOfTime
                };
                return Ok(self.progress(pause));
            }
        }
    }

    fn progress(&self, pause: Pause) -> Progress {
        Progress {
            simulations_done: self.simulations_done(),
            target: self.target,
            simulations: self.simulations(),
            pause,
        }
    }

    /// Simulations finished (backed up) so far.
    pub fn simulations_done(&self) -> u32 {
        self.search.progress().0
    }

    /// Simulations requested so far.
    pub fn target(&self) -> u32 {
        self.target
    }

    /// The search's total simulations S.
    pub fn simulations(&self) -> u32 {
        self.search.config().simulations
    }

    /// The settings, with the current total.
    pub fn config(&self) -> &SearchConfig {
        self.search.config()
    }

    /// Whether an evaluation is in flight.
    pub fn evaluating(&self) -> bool {
        self.evaluating
    }

    /// Whether the root has been evaluated (before that it has no children).
    pub fn root_evaluated(&self) -> bool {
        self.root_evaluated
    }

    pub fn root_state(&self) -> &S {
        self.search.root_state(0)
    }

    /// The tree as it stands. While an evaluation is in flight the leaf being evaluated
    /// is in it already, not expanded and with no visits.
    pub fn tree(&self) -> TreeDump {
        self.search.tree(0)
    }

    /// What the search has found so far, by the rules of its end result: the move it
    /// would play now, the root's children, the policy target, the root's value.
    pub fn result(&self) -> SearchResult {
        self.search.result_so_far(0)
    }

    /// Selection at `node` of the current tree: N, P, Q, U and the child the next
    /// simulation through it walks ([`selection_at`]). `None` if there is no such node.
    pub fn selection(&self, node: u32) -> Option<NodeSelection> {
        selection_at(
            &self.tree(),
            node,
            &self.config().policy,
            self.simulations(),
        )
    }
}
