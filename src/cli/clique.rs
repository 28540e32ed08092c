//! `wgzero clique …`: the exact solver, the counterexample archive check, and the
//! cross-check of the WGSL rules against the Rust rules.

use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use wgzero::backend::{self, Compute};
use wgzero::games::clique::cross_check::cross_check;
use wgzero::games::clique::{CliqueConfig, Mode};

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum CliqueCommand {
    /// Play random games with the WGSL rules and the Rust rules and compare every state,
    /// legal mask and outcome after every step (one JSON line per board and mode).
    CrossCheck(CrossCheckArgs),
}

#[derive(Args)]
pub struct CrossCheckArgs {
    /// Boards as n:k pairs, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "5:3,6:3,7:4,17:4,43:5")]
    boards: Vec<String>,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "symmetric,asymmetric,avoid"
    )]
    modes: Vec<Mode>,
    /// Games per board and mode (at least; rounded up to whole rounds of --slots).
    #[arg(long, default_value_t = 10_000)]
    games: u64,
    /// Games played at once on the GPU.
    #[arg(long, default_value_t = 1000)]
    slots: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn run(global: &GlobalOptions, command: &CliqueCommand) -> anyhow::Result<()> {
    match command {
        CliqueCommand::CrossCheck(args) => run_cross_check(global, args),
    }
}

fn parse_board(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once(':')
        .and_then(|(n, k)| Some((n.trim().parse().ok()?, k.trim().parse().ok()?)));
    parsed.with_context(|| format!("board {text:?} is not of the form n:k (for example 6:3)"))
}

fn run_cross_check(global: &GlobalOptions, args: &CrossCheckArgs) -> anyhow::Result<()> {
    let resolved = backend::resolve(global.backend, global.adapter.as_deref())?;
    let Compute::Gpu(gpu) = resolved.compute else {
        bail!(
            "the cross-check compares the WGSL rules with the Rust rules and needs a GPU \
             adapter, but the CPU backend was chosen ({}); pass --backend gpu to force a \
             software adapter",
            resolved.reason
        );
    };
    let boards: Vec<(u32, u32)> = args
        .boards
        .iter()
        .map(|b| parse_board(b))
        .collect::<Result<_, _>>()?;
    for &(n, k) in &boards {
        for &mode in &args.modes {
            let config = CliqueConfig::new(n, k, mode)?;
            let slots = args
                .slots
                .min(args.games.max(1).try_into().unwrap_or(u32::MAX))
                .max(1);
            let report = cross_check(&Arc::clone(&gpu), config, args.games, slots, args.seed)
                .with_context(|| format!("cross-check of n = {n}, k = {k}, {mode}"))?;
            println!("{}", serde_json::to_string(&report)?);
        }
    }
    Ok(())
}
