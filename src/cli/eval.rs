//! `wgzero eval`: a checkpoint's optimal-move accuracy (raw policy and with search) and a
//! match against the random player or another checkpoint, as text or one JSON line.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use web_time::Instant;
use wgzero::backend::Compute;
use wgzero::evaluate::accuracy::{policy_moves, search_moves};
use wgzero::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use wgzero::evaluate::{AccuracySet, MatchResult, MatchSettings, Player, play_match};
use wgzero::games::clique::{CliqueConfig, CliqueState};
use wgzero::games::{Game, GameSpec, GameState};
use wgzero::nn::spec::NetworkSpec;
use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::search::reference::softmax;
use wgzero::train::config::TrainConfig;

use super::GlobalOptions;
use super::board::{board_text, list, mark};

const LONG_ABOUT: &str = "\
Evaluate a checkpoint: its optimal-move accuracy and a match.

A run directory means its latest checkpoint: the network the run hands out, the one its \
log's last line describes. `bundled` (K_6, k = 3, symmetric), `bundled:MODE` or \
`bundled:NAME` evaluates a network bundled with wgzero.

Optimal-move accuracy (games with an exact solver: the clique game up to n = 7): positions \
are drawn by random play (seeded by --seed: a uniformly chosen position of a uniformly \
random game) and kept when their legal moves do not all have the same exact value. The \
raw-policy accuracy is the share of them where the legal move with the highest logit \
keeps the position's value; the search accuracy is the same share for the move the CPU \
reference search plays after --accuracy-sims simulations (the run's root policy, noise off). With \
the run's seed (the default) these are the positions its training measured.

Match: --eval-games games against --against (the uniformly random player, or another \
checkpoint), colours alternating; both networks play their raw policy, sampling from its \
softmax for the first 2 plies of each game so that games differ. Score = (wins + draws/2) \
/ games from the checkpoint's view.";

#[derive(Args)]
#[command(
    about = "A checkpoint's optimal-move accuracy (raw policy and with search) and a match \
             against the random player or another checkpoint",
    long_about = LONG_ABOUT
)]
pub struct EvalArgs {
    /// A run directory (its latest checkpoint), its checkpoints/ folder, a checkpoint's
    /// .json or .safetensors file, or a bundled network: bundled (K_6, k = 3, symmetric),
    /// bundled:MODE or bundled:NAME.
    #[arg(long, value_name = "RUN_DIR_OR_FILE", value_parser = CheckpointSource::parse)]
    checkpoint: CheckpointSource,
    /// The match opponent: `random` (a uniformly random legal move) or another checkpoint
    /// (a run directory's latest, a file, or bundled:MODE) of the same game.
    #[arg(long, value_name = "random|CHECKPOINT", default_value = "random")]
    against: String,
    /// Match games [default: the run's --eval-games].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    eval_games: Option<u32>,
    /// Simulations for the accuracy with search; 0 skips it [default: the run's
    /// --accuracy-sims].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    accuracy_sims: Option<u32>,
    /// Accuracy positions [default: the run's --accuracy-positions].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    accuracy_positions: Option<u32>,
    /// Seeds the accuracy positions and the match [default: the run's seed, so the
    /// positions are the ones its training measured].
    #[arg(long)]
    seed: Option<u64>,
    /// Evaluate on K_N instead of the board the checkpoint was trained on (same k and
    /// mode). Only GNN checkpoints load on another board: their weights do not depend on n.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(3..=64))]
    n: Option<u32>,
    /// Also list the accuracy positions the raw policy gets wrong: the board, the mover,
    /// the exact value, the optimal moves, the policy's top moves and the search's move,
    /// with counts by moves played, mover and value (in the JSON line: `misses` and
    /// `miss_counts`).
    #[arg(long)]
    misses: bool,
    /// Print exactly one JSON line.
    #[arg(long)]
    json: bool,
}

/// The JSON line (`null` for what was not measured).
#[derive(Serialize)]
struct EvalLine {
    checkpoint: PathBuf,
    iteration: u64,
    /// The game and its settings, as the run configuration holds them.
    game: GameSpec,
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
    /// With --misses: the distinct positions the raw policy gets wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    misses: Option<Vec<Miss>>,
    /// With --misses: misses and positions of the set, by moves played, mover and value.
    #[serde(skip_serializing_if = "Option::is_none")]
    miss_counts: Option<Vec<MissCount>>,
}

pub fn run(global: &GlobalOptions, args: &EvalArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (checkpoint, config) = load(&args.checkpoint, "--checkpoint")?;
    let game = match (args.n, config.game) {
        (None, game) => game,
        (Some(n), GameSpec::Clique(trained)) if n == trained.n => config.game,
        (Some(n), GameSpec::Clique(trained)) => {
            if !matches!(config.network, NetworkSpec::Gnn { .. }) {
                bail!(
                    "--n {n}: {} holds an MLP trained on K_{}, whose input and output sizes \
                     fix the board; only GNN checkpoints (wgzero train --net gnn) load on \
                     another n",
                    checkpoint.path().display(),
                    trained.n
                );
            }
            GameSpec::Clique(
                CliqueConfig::with_sizes(n, trained.sizes(), trained.mode).context("--n")?,
            )
        }
        (Some(_), other) => bail!(
            "--n is a clique setting; {} has no board size",
            other.name()
        ),
    };
    let opponent = match args.against.as_str() {
        "random" => None,
        spelling => {
            let source = CheckpointSource::parse(spelling).context("--against")?;
            let (other, other_config) = load(&source, "--against")?;
            let same_game = match (other_config.game, game) {
                (GameSpec::Clique(a), GameSpec::Clique(b)) => {
                    (a.sizes(), a.mode) == (b.sizes(), b.mode)
                }
                (a, b) => a == b,
            };
            if !same_game {
                bail!(
                    "--against: {} was trained for {}, the checkpoint for {}: a match needs \
                     networks of one game",
                    other.path().display(),
                    other_config.game.info().label(),
                    game.info().label()
                );
            }
            Some((other, other_config))
        }
    };
    let compute = global.compute()?;
    let request = Request {
        args,
        checkpoint: &checkpoint,
        config: &config,
        opponent: opponent.as_ref(),
        compute: &compute,
    };
    let (result, misses) = match game {
        GameSpec::Clique(clique) => {
            let (result, details) = measure(clique, &request)?;
            let misses = match details {
                Some(details) if args.misses => Some(clique_misses(&details)),
                _ => None,
            };
            (result, misses)
        }
        GameSpec::Chess(chess) => (measure(chess, &request)?.0, None),
    };
    if args.misses && misses.is_none() {
        bail!(
            "--misses lists accuracy positions, and there are none here: the solver handles \
             clique boards up to n = {} (this is {}), and --accuracy-positions must be at least 1",
            wgzero::games::clique::adapter::MAX_SOLVED_VERTICES,
            game.info().label()
        );
    }
    let (misses, miss_counts) = match misses {
        Some((misses, counts)) => (Some(misses), Some(counts)),
        None => (None, None),
    };
    let line = EvalLine {
        checkpoint: checkpoint.path().to_path_buf(),
        iteration: checkpoint.record().iteration,
        game,
        network: checkpoint.record().network.clone(),
        backend: compute.name(),
        positions: result.positions,
        policy_accuracy: result.policy_accuracy,
        simulations: result.simulations,
        search_accuracy: result.search_accuracy,
        against: match &opponent {
            None => "random".to_owned(),
            Some((other, _)) => other.path().display().to_string(),
        },
        result: result.matched,
        seconds: started.elapsed().as_secs_f64(),
        misses,
        miss_counts,
    };
    if args.json {
        println!("{}", serde_json::to_string(&line)?);
    } else {
        print_text(&line);
    }
    Ok(())
}

/// What to evaluate.
struct Request<'a> {
    args: &'a EvalArgs,
    checkpoint: &'a Checkpoint,
    config: &'a TrainConfig,
    opponent: Option<&'a (Checkpoint, TrainConfig)>,
    compute: &'a Compute,
}

/// What was measured.
struct Measured {
    positions: usize,
    policy_accuracy: Option<f32>,
    simulations: u32,
    search_accuracy: Option<f32>,
    matched: MatchResult,
}

/// The accuracy set with the moves played on it, for listing misses.
struct Details<S> {
    set: AccuracySet<S>,
    policy: Vec<usize>,
    logits: Vec<f32>,
    search: Option<Vec<usize>>,
}

/// Accuracy (where the game has a solver) and the match, on `game`.
fn measure<G: Game>(
    game: G,
    request: &Request,
) -> anyhow::Result<(Measured, Option<Details<G::State>>)> {
    let Request {
        args,
        checkpoint,
        config,
        opponent,
        compute,
    } = *request;
    let positions = args.accuracy_positions.unwrap_or(config.accuracy_positions) as usize;
    let seed = args.seed.unwrap_or(config.seed);
    let games = args.eval_games.unwrap_or(config.evaluation_games);
    let simulations = args.accuracy_sims.unwrap_or(config.accuracy_simulations);
    let set = AccuracySet::new(&game, positions, seed)?;
    let set_len = set.as_ref().map_or(0, AccuracySet::len);
    let batch = set_len.max(games as usize).max(1);
    let mut evaluator = checkpoint_evaluator(checkpoint, &game, &config.network, compute, batch)
        .context("--checkpoint")?;
    let mut measured = Measured {
        positions: set_len,
        policy_accuracy: None,
        simulations,
        search_accuracy: None,
        matched: MatchResult::from_counts(0, 0, 0),
    };
    let mut details = None;
    if let Some(set) = set {
        let (policy, logits) = policy_moves(&set, &mut evaluator)?;
        measured.policy_accuracy = Some(set.share_optimal(&policy));
        let search = if simulations > 0 {
            let chosen = search_moves(&set, &mut evaluator, simulations, config.search.policy)?;
            measured.search_accuracy = Some(set.share_optimal(&chosen));
            Some(chosen)
        } else {
            None
        };
        details = Some(Details {
            set,
            policy,
            logits,
            search,
        });
    }
    let settings = MatchSettings::new(games, seed);
    let start = game.initial_state();
    measured.matched = match opponent {
        None => play_match(
            &start,
            Player::Network(&mut evaluator),
            Player::Random,
            &settings,
        )?,
        Some((other, other_config)) => {
            let mut other_evaluator = checkpoint_evaluator(
                other,
                &game,
                &other_config.network,
                compute,
                games.max(1) as usize,
            )
            .context("--against")?;
            play_match(
                &start,
                Player::Network(&mut evaluator),
                Player::Network(&mut other_evaluator),
                &settings,
            )?
        }
    };
    Ok((measured, details))
}

fn clique_misses(details: &Details<CliqueState>) -> (Vec<Miss>, Vec<MissCount>) {
    let chosen = Chosen {
        policy: &details.policy,
        logits: &details.logits,
        search: details.search.as_deref(),
    };
    (
        find_misses(&details.set, &chosen),
        count_misses(&details.set, &details.policy),
    )
}

/// The checkpoint `source` names, with its run configuration; a bare `bundled` is the
/// main job's game's network (eval has no game flags).
fn load(source: &CheckpointSource, flag: &str) -> anyhow::Result<(Checkpoint, TrainConfig)> {
    source
        .load(&GameSpec::default())
        .with_context(|| format!("{flag} {source}"))
}

fn percent(share: f32) -> String {
    format!("{:.1} %", 100.0 * share)
}

fn print_text(line: &EvalLine) {
    println!(
        "checkpoint {} (iteration {}): {}; network {}",
        line.checkpoint.display(),
        line.iteration,
        line.game.info().label(),
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
            "optimal-move accuracy: not measured (the exact solver handles the clique game up \
             to n = {}, and random play must find positions whose moves differ in value)",
            wgzero::games::clique::adapter::MAX_SOLVED_VERTICES
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
    if let (Some(misses), Some(counts)) = (&line.misses, &line.miss_counts) {
        println!();
        print_misses(misses, counts);
    }
}

/// The moves played at each position of an accuracy set.
struct Chosen<'a> {
    /// The raw policy's top legal move.
    policy: &'a [usize],
    /// `[positions, actions]` policy logits.
    logits: &'a [f32],
    /// The search's move, when it ran.
    search: Option<&'a [usize]>,
}

/// Policy moves listed for each miss.
const TOP_MOVES: usize = 4;

/// One distinct position of the accuracy set where the raw policy's move loses value.
#[derive(Serialize)]
struct Miss {
    /// Its indices in the set (the set keeps repeats).
    indices: Vec<usize>,
    moves_played: u32,
    /// "X" (the first player) or "O".
    to_move: String,
    /// The exact value for the mover: 1 win, 0 draw.
    value: i8,
    x_edges: Vec<usize>,
    o_edges: Vec<usize>,
    /// A move order that reaches the position (X's and O's edges alternating), for
    /// `wgzero search --position`.
    moves: Vec<usize>,
    optimal_moves: Vec<usize>,
    /// The policy's top legal moves with their probabilities (softmax over the legal
    /// moves), best first; the first is the move it played.
    policy_top: Vec<(usize, f32)>,
    /// The search's move, when it ran.
    search_move: Option<usize>,
    #[serde(skip)]
    board: String,
}

/// Misses among the set's positions of one depth, mover and value.
#[derive(Serialize)]
struct MissCount {
    moves_played: u32,
    to_move: String,
    value: i8,
    misses: usize,
    positions: usize,
}

fn find_misses(set: &AccuracySet<CliqueState>, chosen: &Chosen) -> Vec<Miss> {
    let actions = set
        .positions()
        .first()
        .map_or(0, |position| position.state.num_actions());
    let mut misses: Vec<Miss> = Vec::new();
    for (index, position) in set.positions().iter().enumerate() {
        if position.optimal_moves.contains(&chosen.policy[index]) {
            continue;
        }
        let state = &position.state;
        let edges = |player: u8| -> Vec<usize> {
            (0..actions)
                .filter(|&action| state.owner(action) == Some(player))
                .collect()
        };
        let (x_edges, o_edges) = (edges(0), edges(1));
        if let Some(seen) = misses
            .iter_mut()
            .find(|miss| miss.x_edges == x_edges && miss.o_edges == o_edges)
        {
            seen.indices.push(index);
            continue;
        }
        let moves = x_edges
            .iter()
            .zip(o_edges.iter().map(Some).chain(std::iter::repeat(None)))
            .flat_map(|(&x, o)| std::iter::once(x).chain(o.copied()))
            .collect();
        let legal = state.legal_actions();
        let logits = &chosen.logits[index * actions..(index + 1) * actions];
        let top = logits_top(logits, &legal);
        misses.push(Miss {
            indices: vec![index],
            moves_played: state.moves_played(),
            to_move: mark(state.to_move()).to_string(),
            value: position.value,
            x_edges,
            o_edges,
            moves,
            optimal_moves: position.optimal_moves.clone(),
            policy_top: top,
            search_move: chosen.search.map(|moves| moves[index]),
            board: board_text(state),
        });
    }
    misses
}

/// The `TOP_MOVES` legal moves of highest probability under the softmax of their logits.
fn logits_top(logits: &[f32], legal: &[usize]) -> Vec<(usize, f32)> {
    let legal_logits: Vec<f32> = legal.iter().map(|&action| logits[action]).collect();
    let mut moves: Vec<(usize, f32)> = legal.iter().copied().zip(softmax(&legal_logits)).collect();
    moves.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    moves.truncate(TOP_MOVES);
    moves
}

fn count_misses(set: &AccuracySet<CliqueState>, policy: &[usize]) -> Vec<MissCount> {
    // Keyed in print order: moves played, then wins before draws, then the mover.
    let mut counts: BTreeMap<(u32, Reverse<i8>, String), MissCount> = BTreeMap::new();
    for (position, chosen) in set.positions().iter().zip(policy) {
        let moves_played = position.state.moves_played();
        let to_move = mark(position.state.to_move()).to_string();
        let count = counts
            .entry((moves_played, Reverse(position.value), to_move.clone()))
            .or_insert(MissCount {
                moves_played,
                to_move,
                value: position.value,
                misses: 0,
                positions: 0,
            });
        count.positions += 1;
        if !position.optimal_moves.contains(chosen) {
            count.misses += 1;
        }
    }
    counts.into_values().collect()
}

fn print_misses(misses: &[Miss], counts: &[MissCount]) {
    let total: usize = misses.iter().map(|miss| miss.indices.len()).sum();
    println!(
        "raw-policy misses: {total} positions of the set, {} distinct",
        misses.len()
    );
    println!("by moves played, mover and value (missed of positions in the set):");
    for count in counts {
        println!(
            "  {:>2} moves, {} to move, value {:+}: {} of {}",
            count.moves_played, count.to_move, count.value, count.misses, count.positions
        );
    }
    for (number, miss) in misses.iter().enumerate() {
        let top: Vec<String> = miss
            .policy_top
            .iter()
            .map(|(action, p)| format!("{action} {:.1} %", 100.0 * p))
            .collect();
        let search = match miss.search_move {
            Some(action) if miss.optimal_moves.contains(&action) => {
                format!("; search plays {action} (optimal)")
            }
            Some(action) => format!("; search plays {action} (also a miss)"),
            None => String::new(),
        };
        println!();
        println!(
            "miss {}: set positions {}; {} moves played, {} to move, value {:+}",
            number + 1,
            list(&miss.indices),
            miss.moves_played,
            miss.to_move,
            miss.value
        );
        print!("{}", miss.board);
        println!("reached by the moves {}", list(&miss.moves));
        println!(
            "optimal moves {}; policy {}{search}",
            list(&miss.optimal_moves),
            top.join(", ")
        );
    }
}
