//! `wgzero play`: a human plays a checkpoint's agent in the terminal. Moves are read from
//! stdin one a line (it may be a pipe); the agent answers with search or its raw policy.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use clap::Args;
use wgzero::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use wgzero::evaluate::{top_legal_move, without_noise};
use wgzero::games::clique::{
    CliqueConfig, CliqueSizes, CliqueState, Mode, Status, edge_index, endpoints,
};
use wgzero::games::{GameInfo, GameSpec, GameState};
use wgzero::search::{Evaluator, ProgramEvaluator, ReferenceSearch, SearchConfig};

use super::GlobalOptions;
use super::board::{board_text, list, mark};

const LONG_ABOUT: &str = "\
Play the clique game against a checkpoint's agent in the terminal.

Without --checkpoint the agent is the network bundled with wgzero for the game --n, --k and \
--mode choose (K_6, k = 3 in each mode: symmetric by default), so it works with no run of \
your own; --checkpoint RUN_DIR plays a network you trained (the checkpoint then fixes the \
game).

The board is printed as K_n's adjacency matrix: X marks the first player's edges, O the \
second player's, and a number is the index of a free edge. Type a move as an edge index \
or as its two vertices `u-v` (either order), one per line; `quit` ends the game. Illegal \
input is explained and asked again. Input may come from a pipe; the end of input ends \
the game unfinished.

The agent plays the move the CPU reference search chooses after --sims simulations (the \
run's root policy, noise off), or with --sims 0 its raw policy's top legal move.";

#[derive(Args)]
#[command(
    about = "Play the clique game against a checkpoint's agent in the terminal",
    long_about = LONG_ABOUT
)]
pub struct PlayArgs {
    /// A run directory (its latest checkpoint), its checkpoints/ folder, a checkpoint's
    /// .json or .safetensors file, or a bundled network: bundled (the one for --n, --k,
    /// --mode), bundled:MODE or bundled:NAME [default: bundled].
    #[arg(long, value_name = "RUN_DIR_OR_FILE", value_parser = CheckpointSource::parse)]
    checkpoint: Option<CheckpointSource>,
    /// Vertices of K_n, choosing the bundled network [default: 6, or the checkpoint's].
    #[arg(long, value_parser = clap::value_parser!(u32).range(3..=64))]
    n: Option<u32>,
    /// Clique size (or S,T in avoid mode), choosing the bundled network [default: 3, or
    /// the checkpoint's].
    #[arg(long, value_parser = super::settings::clique_sizes)]
    k: Option<CliqueSizes>,
    /// Who wins, choosing the bundled network [default: symmetric, or the checkpoint's].
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// The agent's simulations per move; 0 plays its raw policy's top legal move.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    sims: u32,
    /// You move first, as X (the default).
    #[arg(long, conflicts_with = "agent_first")]
    human_first: bool,
    /// The agent moves first, as X; you are O.
    #[arg(long)]
    agent_first: bool,
}

/// What the human typed.
enum Input {
    Move(usize),
    Quit,
}

pub fn run(global: &GlobalOptions, args: &PlayArgs) -> anyhow::Result<()> {
    let source = args
        .checkpoint
        .clone()
        .unwrap_or(CheckpointSource::Bundled(None));
    let chosen = CliqueConfig::with_sizes(
        args.n.unwrap_or(6),
        args.k.unwrap_or(CliqueSizes::same(3)),
        args.mode.unwrap_or(Mode::Symmetric),
    )
    .context("--k")?;
    let (checkpoint, config) =
        source
            .load(&GameSpec::Clique(chosen))
            .with_context(|| match &args.checkpoint {
                Some(source) => format!("--checkpoint {source}"),
                None => "without --checkpoint, wgzero play plays a bundled network".to_owned(),
            })?;
    let GameSpec::Clique(game) = config.game else {
        anyhow::bail!(
            "wgzero play plays the clique game; {} holds a {} network",
            checkpoint.path().display(),
            config.game.name()
        );
    };
    let disagreeing = [
        ("--n", args.n.is_some_and(|n| n != game.n)),
        ("--k", args.k.is_some_and(|k| k != game.sizes())),
        ("--mode", args.mode.is_some_and(|mode| mode != game.mode)),
    ];
    if let Some((flag, _)) = disagreeing.iter().find(|(_, disagrees)| *disagrees) {
        anyhow::bail!(
            "{flag}: {} plays {}, not the game the flags choose; drop {flag}, or drop \
             --checkpoint to play the bundled network of --n, --k and --mode",
            checkpoint.path().display(),
            game.label()
        );
    }
    let compute = global.compute()?;
    let mut evaluator = checkpoint_evaluator(&checkpoint, &game, &config.network, &compute, 1)
        .context("--checkpoint")?;
    let search = SearchConfig {
        simulations: args.sims,
        policy: without_noise(config.search.policy),
        reuse_subtree: false,
    };
    let human: u8 = if args.agent_first { 1 } else { 0 };
    println!("clique game on K_{}: {}", game.n, rule(game));
    if source.is_bundled() {
        println!(
            "the agent is the network bundled with wgzero, {} (iteration {}); \
             --checkpoint RUN_DIR plays one you trained",
            checkpoint.path().display(),
            checkpoint.record().iteration
        );
    } else {
        println!(
            "the agent is checkpoint {} (iteration {})",
            checkpoint.path().display(),
            checkpoint.record().iteration
        );
    }
    println!(
        "you are {}, the agent is {}; the agent {}",
        mark(human),
        mark(1 - human),
        if args.sims == 0 {
            "plays its raw policy".to_owned()
        } else {
            format!("searches {} simulations per move", args.sims)
        }
    );

    println!("type an edge index (a number on the board) or its vertices as u-v; quit to stop");

    let mut state = CliqueState::new(game);
    let mut moves = Vec::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    while !state.is_over() {
        println!();
        print_board(&state);
        let action = if state.to_move() == human {
            match read_move(&state, &mut lines)? {
                Some(Input::Move(action)) => action,
                Some(Input::Quit) => {
                    println!("you quit; moves: {}", list(&moves));
                    return Ok(());
                }
                None => {
                    println!(
                        "end of input: the game is left unfinished; moves: {}",
                        list(&moves)
                    );
                    return Ok(());
                }
            }
        } else {
            let action = agent_move(&state, &mut evaluator, search)?;
            let (u, v) = endpoints(game.n, action);
            println!("agent plays edge {action} ({u}-{v})");
            action
        };
        state.apply(action)?;
        moves.push(action);
    }
    println!();
    print_board(&state);
    let outcome = match state.status() {
        Status::Won(player) if player == human => "you win",
        Status::Won(_) => "the agent wins",
        Status::Draw | Status::Ongoing => "draw",
    };
    println!("result: {outcome}; moves: {}", list(&moves));
    Ok(())
}

/// Prompts until a legal move, `quit`, or the end of input (`None`).
fn read_move(
    state: &CliqueState,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> anyhow::Result<Option<Input>> {
    loop {
        print!("your move (edge index or u-v): ");
        std::io::stdout().flush()?;
        let Some(line) = lines.next() else {
            println!();
            return Ok(None);
        };
        let line = line.context("reading a move from stdin")?;
        if !std::io::stdin().is_terminal() {
            // A terminal echoes what was typed; show piped input the same way.
            println!("{line}");
        }
        match parse_move(state, line.trim()) {
            Ok(input) => return Ok(Some(input)),
            Err(reason) => println!("{reason}"),
        }
    }
}

/// A legal move or `quit` from one line, or why the line is not one.
fn parse_move(state: &CliqueState, text: &str) -> Result<Input, String> {
    let n = state.config().n;
    let edges = state.num_actions();
    if text.eq_ignore_ascii_case("quit") || text.eq_ignore_ascii_case("q") {
        return Ok(Input::Quit);
    }
    let action = if let Some((left, right)) = text.split_once('-') {
        let vertex = |part: &str| -> Result<u32, String> {
            part.trim()
                .parse::<u32>()
                .ok()
                .filter(|&v| v < n)
                .ok_or_else(|| {
                    format!(
                        "{:?} is not a vertex: vertices are 0..{}",
                        part.trim(),
                        n - 1
                    )
                })
        };
        let (u, v) = (vertex(left)?, vertex(right)?);
        if u == v {
            return Err(format!(
                "{u}-{v} is not an edge: give two different vertices"
            ));
        }
        edge_index(n, u, v)
    } else {
        match text.parse::<usize>() {
            Ok(action) if action < edges => action,
            Ok(action) => {
                return Err(format!(
                    "there is no edge {action}: edge indices are 0..{}",
                    edges - 1
                ));
            }
            Err(_) => {
                return Err(format!(
                    "{text:?} is not a move: type an edge index (0..{}), two vertices as u-v, \
                     or quit",
                    edges - 1
                ));
            }
        }
    };
    let (u, v) = endpoints(n, action);
    match state.owner(action) {
        None => Ok(Input::Move(action)),
        Some(owner) => Err(format!(
            "edge {action} ({u}-{v}) is taken by {}: choose a free edge (a number on the board)",
            mark(owner)
        )),
    }
}

/// The agent's move: the search's choice, or the raw policy's top legal move.
fn agent_move(
    state: &CliqueState,
    evaluator: &mut ProgramEvaluator,
    search: SearchConfig,
) -> anyhow::Result<usize> {
    if search.simulations == 0 {
        let mut observation = vec![0.0; state.observation_len()];
        state.write_observation(&mut observation);
        let (logits, _) = evaluator.evaluate(&observation, 1)?;
        return Ok(top_legal_move(&logits, &state.legal_actions()));
    }
    let mut reference = ReferenceSearch::new(vec![state.clone()], search, 0)?;
    Ok(reference.run(evaluator)?.remove(0).chosen)
}

fn rule(game: CliqueConfig) -> String {
    let (k, t) = (game.k, game.t);
    match game.mode {
        Mode::Symmetric => format!("the first to complete a K_{k} in their own colour wins"),
        Mode::Asymmetric => {
            format!("X wins by completing a K_{k} in X; O wins if the board fills without one")
        }
        Mode::Avoid if k == t => format!("whoever completes a K_{k} in their own colour loses"),
        Mode::Avoid => {
            format!("X loses by completing a K_{k} in X, O by completing a K_{t} in O")
        }
    }
}

/// The board, and the last move under it.
fn print_board(state: &CliqueState) {
    let n = state.config().n;
    print!("{}", board_text(state));
    if let Some(last) = state.last_action() {
        let (u, v) = endpoints(n, last as usize);
        println!("last move: edge {last} ({u}-{v})");
    }
}
