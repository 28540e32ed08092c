//! One witness search on either backend: the chains on the CPU cores ([`Search`]) or on the
//! GPU ([`GpuSearch`]), behind the calls `wgzero ramsey` makes. Both take the same steps
//! from the same snapshot, so a search checkpointed on one resumes on the other.

use std::sync::Arc;

use super::chain::{ChainCounters, ChainSettings};
use super::gpu::{GpuProgress, GpuSearch};
use super::search::{Search, SearchSnapshot, Witness};
use super::{Colouring, Problem, RamseyError};
use crate::gpu::Gpu;

/// Chains on the GPU by default: enough threads to fill an H100 (132 SMs), which the
/// search's step rate keeps growing up to (docs/RAMSEY.md).
pub const DEFAULT_GPU_CHAINS: u32 = 65_536;

/// The search, where it runs.
pub enum Engine {
    Cpu(Search),
    Gpu {
        search: Box<GpuSearch>,
        progress: GpuProgress,
    },
}

impl Engine {
    /// A new search of `chains` chains: on `gpu` when given, else on the CPU cores.
    pub fn start(
        gpu: Option<Arc<Gpu>>,
        problem: Problem,
        settings: ChainSettings,
        seed: u64,
        chains: u32,
        starts: Vec<Colouring>,
    ) -> Result<Self, RamseyError> {
        match gpu {
            Some(gpu) => {
                let mut search = Box::new(GpuSearch::start(
                    gpu, problem, settings, seed, chains, &starts,
                )?);
                let (_, progress) = search.advance(0)?;
                Ok(Engine::Gpu { search, progress })
            }
            None => Ok(Engine::Cpu(Search::new(
                problem, settings, seed, chains, starts,
            ))),
        }
    }

    /// The search `snapshot` describes, on `gpu` when given, else on the CPU cores.
    pub fn restore(gpu: Option<Arc<Gpu>>, snapshot: &SearchSnapshot) -> Result<Self, RamseyError> {
        match gpu {
            Some(gpu) => {
                let mut search = Box::new(GpuSearch::new(gpu, snapshot)?);
                let (_, progress) = search.advance(0)?;
                Ok(Engine::Gpu { search, progress })
            }
            None => Ok(Engine::Cpu(Search::restore(snapshot)?)),
        }
    }

    /// Where the chains run, for messages.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Engine::Cpu(_) => "cpu",
            Engine::Gpu { .. } => "gpu",
        }
    }

    pub fn seed(&self) -> u64 {
        match self {
            Engine::Cpu(search) => search.seed(),
            Engine::Gpu { search, .. } => search.seed(),
        }
    }

    pub fn chains(&self) -> u32 {
        match self {
            Engine::Cpu(search) => search.chains().len() as u32,
            Engine::Gpu { search, .. } => search.chains(),
        }
    }

    /// Runs `steps_per_chain` steps of every chain; returns the witnesses found, verified.
    pub fn advance(&mut self, steps_per_chain: u64) -> Result<Vec<Witness>, RamseyError> {
        match self {
            Engine::Cpu(search) => search.advance(steps_per_chain),
            Engine::Gpu { search, progress } => {
                let steps = u32::try_from(steps_per_chain).unwrap_or(u32::MAX);
                let (witnesses, now) = search.advance(steps)?;
                *progress = now;
                Ok(witnesses)
            }
        }
    }

    pub fn totals(&self) -> ChainCounters {
        match self {
            Engine::Cpu(search) => search.totals(),
            Engine::Gpu { progress, .. } => progress.totals,
        }
    }

    /// The lowest energy any chain has reached.
    pub fn best_energy(&self) -> u64 {
        match self {
            Engine::Cpu(search) => search.best().0,
            Engine::Gpu { progress, .. } => progress.best_energy,
        }
    }

    pub fn lowest_current_energy(&self) -> u64 {
        match self {
            Engine::Cpu(search) => search.lowest_current_energy(),
            Engine::Gpu { progress, .. } => progress.lowest_current_energy,
        }
    }

    /// The whole search, for a checkpoint (the same format on both backends).
    pub fn snapshot(&self) -> Result<SearchSnapshot, RamseyError> {
        match self {
            Engine::Cpu(search) => Ok(search.snapshot()),
            Engine::Gpu { search, .. } => search.snapshot(),
        }
    }
}
