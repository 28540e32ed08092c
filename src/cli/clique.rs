//! `wgzero clique …`: the exact solver, the counterexample archive check, and the
//! cross-check of the WGSL rules against the Rust rules.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use wgzero::backend::{self, Compute};
use wgzero::games::GameState;
use wgzero::games::clique::archive;
use wgzero::games::clique::cross_check::cross_check;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::{CliqueConfig, CliqueSizes, CliqueState, Mode, endpoints};

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum CliqueCommand {
    /// Exact value and optimal moves of a position (small boards: n <= 11, in practice
    /// n <= 8).
    Solve(SolveArgs),
    /// Re-check a Ramsey counterexample archive (a run directory, its ramsey/ folder or
    /// the .jsonl file) and report the counts.
    Verify(VerifyArgs),
    /// Play random games with the WGSL rules and the Rust rules and compare every state,
    /// legal mask and outcome after every step (one JSON line per board and mode).
    CrossCheck(CrossCheckArgs),
}

#[derive(Args)]
pub struct CrossCheckArgs {
    /// Boards as n:k pairs, comma-separated; n:s:t gives the colours two clique sizes
    /// (checked in avoid mode only, the one mode that plays them).
    #[arg(long, value_delimiter = ',', default_value = "5:3,6:3,7:4,17:4,43:5")]
    boards: Vec<String>,
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "symmetric,asymmetric,avoid"
    )]
    modes: Vec<Mode>,
    /// Games per board and mode (at least; rounded up to whole rounds of --slots).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1000000000))]
    games: u64,
    /// Games played at once on the GPU.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    slots: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args)]
pub struct SolveArgs {
    /// Vertices of K_n.
    #[arg(long, value_parser = clap::value_parser!(u32).range(3..=64))]
    n: u32,
    /// Clique size, or two (S,T) in avoid mode: player 0 avoids K_S, player 1 K_T.
    #[arg(long, value_parser = super::settings::clique_sizes)]
    k: CliqueSizes,
    #[arg(long, value_enum)]
    mode: Mode,
    /// The edges played so far, in order, comma-separated (empty for the start).
    #[arg(long, default_value = "")]
    position: String,
    /// Print exactly one JSON line {"value": V, "optimal_moves": [...]}.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// A run directory, its ramsey/ folder, or the counterexamples.jsonl file.
    path: std::path::PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(global: &GlobalOptions, command: &CliqueCommand) -> anyhow::Result<()> {
    match command {
        CliqueCommand::Verify(args) => run_verify(args),
        CliqueCommand::Solve(args) => run_solve(args),
        CliqueCommand::CrossCheck(args) => run_cross_check(global, args),
    }
}

/// Parses "3,7,1" (spaces allowed; empty = no moves) into edge indices.
pub(super) fn parse_position(text: &str) -> anyhow::Result<Vec<usize>> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<usize>().with_context(|| {
                format!("--position: {part:?} is not an edge index (give edges as 3,7,1)")
            })
        })
        .collect()
}

fn run_solve(args: &SolveArgs) -> anyhow::Result<()> {
    let config = CliqueConfig::with_sizes(args.n, args.k, args.mode).context("--k")?;
    let actions = parse_position(&args.position)?;
    let state = CliqueState::from_actions(config, &actions).context("--position")?;
    if state.is_over() {
        bail!(
            "--position: the game is already over after these {} moves ({:?}); give a \
             position where a move is still to be made",
            actions.len(),
            state.status()
        );
    }
    let start = Instant::now();
    let mut solver = Solver::new(config)?;
    let analysis = solver.analyse(&state)?;
    if args.json {
        #[derive(serde::Serialize)]
        struct SolveLine<'a> {
            value: i8,
            optimal_moves: &'a [usize],
        }
        let line = SolveLine {
            value: analysis.value,
            optimal_moves: &analysis.optimal_moves,
        };
        println!("{}", serde_json::to_string(&line)?);
        return Ok(());
    }
    let verdict = match analysis.value {
        1 => "a win",
        0 => "a draw",
        _ => "a loss",
    };
    println!(
        "K_{} k={} {}: after {} moves, player {} to move; with best play this is {verdict} \
         for them (value {}).",
        config.n,
        config.sizes(),
        config.mode,
        actions.len(),
        state.to_move(),
        analysis.value
    );
    let described: Vec<String> = analysis
        .optimal_moves
        .iter()
        .map(|&action| {
            let (u, v) = endpoints(config.n, action);
            format!("{action} ({u},{v})")
        })
        .collect();
    println!("optimal moves: {}", described.join(", "));
    println!(
        "solved in {:.3} s ({} positions in the table)",
        start.elapsed().as_secs_f64(),
        solver.table_len()
    );
    Ok(())
}

fn run_verify(args: &VerifyArgs) -> anyhow::Result<()> {
    let report = archive::verify(&args.path)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "{}: {} records, every one a verified counterexample{}",
        report.file.display(),
        report.records,
        if report.torn_last_line {
            " (a torn last line from an interrupted write was skipped)"
        } else {
            ""
        }
    );
    for board in &report.boards {
        let sizes = if board.k == board.t {
            format!("k={}", board.k)
        } else {
            format!("s={} t={}", board.k, board.t)
        };
        println!(
            "  n={n} {sizes} (R({s},{t}) > {n}): {} records, {} distinct labelled colourings, {} up to isomorphism",
            board.records,
            board.distinct_labelled,
            board.distinct_up_to_isomorphism,
            s = board.k,
            t = board.t,
            n = board.n,
        );
    }
    Ok(())
}

/// "n:k" or "n:s:t" (colour 0 avoids K_s, colour 1 K_t).
fn parse_board(text: &str) -> anyhow::Result<(u32, CliqueSizes)> {
    let numbers: Option<Vec<u32>> = text
        .split(':')
        .map(|part| part.trim().parse().ok())
        .collect();
    let parsed = match numbers.as_deref() {
        Some(&[n, k]) => Some((n, CliqueSizes::same(k))),
        Some(&[n, s, t]) => Some((n, CliqueSizes { s, t })),
        _ => None,
    };
    parsed.with_context(|| {
        format!("board {text:?} is not of the form n:k or n:s:t (for example 6:3 or 8:3:4)")
    })
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
    let boards: Vec<(u32, CliqueSizes)> = args
        .boards
        .iter()
        .map(|b| parse_board(b))
        .collect::<Result<_, _>>()?;
    for &(n, k) in &boards {
        for &mode in &args.modes {
            if k.s != k.t && mode != Mode::Avoid {
                continue;
            }
            let config = CliqueConfig::with_sizes(n, k, mode).context("--boards")?;
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
