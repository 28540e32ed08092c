//! `wgzero eval`: a checkpoint's optimal-move accuracy (raw policy and with search) and a
//! match against the random player or another checkpoint, as text or one JSON line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use wgzero::games::clique::CliqueConfig;
use wgzero::nn::spec::NetworkSpec;
use wgzero::train::checkpoint::{Checkpoint, Which};
use wgzero::train::evaluate::{
    AccuracySet, MatchResult, MatchSettings, Player, checkpoint_config, checkpoint_evaluator,
    play_match, policy_accuracy, search_accuracy,
};

use super::GlobalOptions;

const LONG_ABOUT: &str = "\
Evaluate a checkpoint: its optimal-move accuracy and a match.

Optimal-move accuracy: positions are drawn by random play (seeded by --seed: a uniformly \
chosen position of a uniformly random game) and kept when their legal moves do not all \
have the same exact value by the solver (boards up to n = 7). The raw-policy accuracy is \
the share of them where the legal move with the highest logit keeps the position's value; \
the search accuracy is the same share for the move the CPU reference search plays after \
--sims simulations (the run's root policy, noise off).

Match: --games games against --against (the uniformly random player, or another \
checkpoint), colours alternating; both networks play their raw policy, sampling from its \
softmax for the first 2 plies of each game so that games differ. Score = (wins + draws/2) \
/ games from the checkpoint's view; gating promotes a candidate at 0.55.";

#[derive(Args)]
#[command(
    about = "A checkpoint's optimal-move accuracy (raw policy and with search) and a match \
             against the random player or another checkpoint",
    long_about = LONG_ABOUT
)]
pub struct EvalArgs {
    /// A run directory (its best checkpoint), its checkpoints/ folder, or a checkpoint's
    /// .json or .safetensors file.
    #[arg(long, value_name = "RUN_DIR_OR_FILE")]
    checkpoint: PathBuf,
    /// The match opponent: `random` (a uniformly random legal move) or another checkpoint
    /// (a run directory's best, or a file) of the same k and mode.
    #[arg(long, value_name = "random|CHECKPOINT", default_value = "random")]
    against: String,
    /// Match games [default: the run's evaluation_games].
    #[arg(long)]
    games: Option<u32>,
    /// Simulations for the accuracy with search; 0 skips it [default: the run's
    /// accuracy_simulations].
    #[arg(long)]
    sims: Option<u32>,
    /// Accuracy positions [default: the run's accuracy_positions].
    #[arg(long)]
    positions: Option<u32>,
    /// Seeds the accuracy positions and the match.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Evaluate on K_N instead of the board the checkpoint was trained on (same k and
    /// mode). Only GNN checkpoints load on another board: their weights do not depend on n.
    #[arg(long, value_name = "N")]
    n: Option<u32>,
    /// Print exactly one JSON line.
    #[arg(long)]
    json: bool,
}

/// The JSON line (`null` for what was not measured).
#[derive(Serialize)]
struct EvalLine {
    checkpoint: PathBuf,
    iteration: u64,
    n: u32,
    k: u32,
    mode: String,
    network: serde_json::Value,
    backend: String,
    /// Accuracy positions actually drawn (0 when the solver does not handle the board).
    positions: usize,
    policy_accuracy: Option<f32>,
    simulations: u32,
    search_accuracy: Option<f32>,
    against: String,
    #[serde(rename = "match")]
    result: MatchResult,
    seconds: f64,
}

pub fn run(global: &GlobalOptions, args: &EvalArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let checkpoint = load(&args.checkpoint, "--checkpoint")?;
    let config = checkpoint_config(&checkpoint).context("--checkpoint")?;
    let game = match args.n {
        None => config.game,
        Some(n) if n == config.game.n => config.game,
        Some(n) => {
            if !matches!(config.network, NetworkSpec::Gnn { .. }) {
                bail!(
                    "--n {n}: {} holds an MLP trained on K_{}, whose input and output sizes \
                     fix the board; only GNN checkpoints (wgzero train --net gnn) load on \
                     another n",
                    checkpoint.path().display(),
                    config.game.n
                );
            }
            CliqueConfig::new(n, config.game.k, config.game.mode).context("--n")?
        }
    };
    let positions = args.positions.unwrap_or(config.accuracy_positions) as usize;
    let games = args.games.unwrap_or(config.evaluation_games);
    let simulations = args.sims.unwrap_or(config.accuracy_simulations);

    let opponent = match args.against.as_str() {
        "random" => None,
        path => {
            let other = load(Path::new(path), "--against")?;
            let other_config = checkpoint_config(&other).context("--against")?;
            if (other_config.game.k, other_config.game.mode) != (game.k, game.mode) {
                bail!(
                    "--against: {} was trained for k = {} {}, the checkpoint for k = {} {}: \
                     a match needs networks of one game",
                    other.path().display(),
                    other_config.game.k,
                    other_config.game.mode,
                    game.k,
                    game.mode
                );
            }
            Some((other, other_config))
        }
    };

    let set = AccuracySet::new(game, positions, args.seed)?;
    let set_len = set.as_ref().map_or(0, AccuracySet::len);
    let compute = global.compute()?;
    let batch = set_len.max(games as usize).max(1);
    let mut evaluator = checkpoint_evaluator(&checkpoint, &config.network, game.n, &compute, batch)
        .context("--checkpoint")?;

    let (raw, searched) = match &set {
        Some(set) => {
            let raw = policy_accuracy(set, &mut evaluator)?;
            let searched = if simulations > 0 {
                Some(search_accuracy(
                    set,
                    &mut evaluator,
                    simulations,
                    config.search.policy,
                )?)
            } else {
                None
            };
            (Some(raw), searched)
        }
        None => (None, None),
    };

    let settings = MatchSettings::new(games, args.seed);
    let result = match &opponent {
        None => play_match(
            game,
            Player::Network(&mut evaluator),
            Player::Random,
            &settings,
        )?,
        Some((other, other_config)) => {
            let mut other_evaluator = checkpoint_evaluator(
                other,
                &other_config.network,
                game.n,
                &compute,
                games.max(1) as usize,
            )
            .context("--against")?;
            play_match(
                game,
                Player::Network(&mut evaluator),
                Player::Network(&mut other_evaluator),
                &settings,
            )?
        }
    };

    let line = EvalLine {
        checkpoint: checkpoint.path().to_path_buf(),
        iteration: checkpoint.record().iteration,
        n: game.n,
        k: game.k,
        mode: game.mode.to_string(),
        network: checkpoint.record().network.clone(),
        backend: compute.name(),
        positions: set_len,
        policy_accuracy: raw,
        simulations,
        search_accuracy: searched,
        against: match &opponent {
            None => "random".to_owned(),
            Some((other, _)) => other.path().display().to_string(),
        },
        result,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&line)?);
    } else {
        print_text(&line);
    }
    Ok(())
}

fn load(path: &Path, flag: &str) -> anyhow::Result<Checkpoint> {
    Checkpoint::load(path, Which::Best).with_context(|| format!("{flag} {}", path.display()))
}

fn percent(share: f32) -> String {
    format!("{:.1} %", 100.0 * share)
}

fn print_text(line: &EvalLine) {
    println!(
        "checkpoint {} (iteration {}): clique n = {}, k = {}, {}; network {}",
        line.checkpoint.display(),
        line.iteration,
        line.n,
        line.k,
        line.mode,
        line.network
    );
    match line.policy_accuracy {
        Some(raw) => {
            let searched = match line.search_accuracy {
                Some(share) => {
                    format!(", with {} simulations {}", line.simulations, percent(share))
                }
                None => String::new(),
            };
            println!(
                "optimal-move accuracy on {} positions: raw policy {}{searched}",
                line.positions,
                percent(raw)
            );
        }
        None => println!(
            "optimal-move accuracy: not measured (the solver handles n <= {}, or random play \
             found no position whose moves differ in value)",
            wgzero::train::evaluate::MAX_ACCURACY_VERTICES
        ),
    }
    let result = &line.result;
    println!(
        "match against {} ({} games, colours alternating): {} wins, {} draws, {} losses, \
         score {}",
        line.against,
        result.games,
        result.wins,
        result.draws,
        result.losses,
        percent(result.score)
    );
    println!("evaluated in {:.2} s on {}", line.seconds, line.backend);
}
