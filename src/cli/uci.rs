//! `wgzero uci`: a UCI chess engine on stdin and stdout, for chess GUIs (Arena, Cute
//! Chess, python-chess, …). The engine is `wgzero::uci`; this file turns flags into its
//! settings.

use clap::Args;
use wgzero::uci::engine::{DEFAULT_SIMULATIONS, MAX_BATCH, MAX_SIMULATIONS};
use wgzero::uci::{Engine, EngineSettings, Output};

use super::GlobalOptions;

const LONG_ABOUT: &str = "\
A UCI chess engine on stdin and stdout: point a chess GUI at `wgzero uci`.

It searches one tree with the network of a chess checkpoint, evaluating --batch leaves per \
network call (virtual loss keeps them apart), on the backend --backend picks. Without \
--checkpoint it plays the chess network bundled with wgzero (`bundled:chess`, \
docs/NETWORKS.md); `wgzero train --game chess` makes your own. A checkpoint that cannot \
be loaded exits with code 2.

Commands: uci, isready, ucinewgame, position startpos|fen … [moves …], go (wtime btime \
winc binc movestogo movetime nodes infinite; depth, mate, ponder and searchmoves are \
accepted and ignored), stop, setoption, quit. Options: Simulations (nodes per move when \
go gives no clock), Batch, Backend (auto|gpu|cpu), Checkpoint. Bad input is answered \
with `info string error: …` and changes nothing. docs/CHESS.md describes the time \
management and the score.";

#[derive(Args)]
#[command(about = "A UCI chess engine (for chess GUIs) playing a chess checkpoint", long_about = LONG_ABOUT)]
pub struct UciArgs {
    /// A chess run directory (its latest checkpoint), its checkpoints/ folder, a
    /// checkpoint's .json or .safetensors file, or `bundled:chess` [default: the bundled
    /// chess network].
    #[arg(long, value_name = "RUN_DIR_OR_FILE")]
    checkpoint: Option<String>,
    /// Simulations per move when `go` gives no clock, movetime or nodes (the Simulations
    /// option).
    #[arg(long, default_value_t = DEFAULT_SIMULATIONS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_SIMULATIONS))]
    sims: u64,
    /// Leaves evaluated per network call (the Batch option) [default: 8 on the CPU
    /// backend, 64 on a GPU].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_BATCH as u64))]
    batch: Option<u64>,
}

pub fn run(global: &GlobalOptions, args: &UciArgs) -> anyhow::Result<()> {
    let settings = EngineSettings {
        checkpoint: args.checkpoint.clone(),
        backend: global.backend,
        adapter: global.adapter.clone(),
        batch: args.batch.map(|b| b as usize),
        simulations: args.sims,
    };
    let mut engine = Engine::new(settings, Output::stdout())?;
    if let Some(description) = engine.description() {
        eprintln!("{description}");
    }
    engine.run(std::io::stdin().lock());
    Ok(())
}
