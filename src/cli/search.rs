//! `wgzero search`: one search from one position, on the GPU search or the CPU reference
//! (the same algorithm; `--backend` picks), printed as text or one JSON line.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use wgzero::backend::Compute;
use wgzero::evaluate::checkpoint::checkpoint_evaluator;
use wgzero::evaluate::without_noise;
use wgzero::games::clique::CliqueState;
use wgzero::games::{GameSpec, GameState};
use wgzero::graph::Program;
use wgzero::nn::uniform::Uniform;
use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::search::gpu::GpuSearch;
use wgzero::search::tree_dump::TreeDump;
use wgzero::search::{
    FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchResult,
};
use wgzero::train::config::TrainConfig;

use super::GlobalOptions;
use super::clique::parse_position;
use super::settings::GameArgs;

/// Simulations of `wgzero search` when --sims is not given.
const DEFAULT_SIMULATIONS: u32 = 200;

#[derive(Args)]
pub struct SearchArgs {
    /// The game, when there is no --checkpoint (the clique game).
    #[command(flatten)]
    game: GameArgs,
    /// Search with a trained network: a run directory (its latest checkpoint), its
    /// checkpoints/ folder, or a checkpoint's .json or .safetensors file. The game (n, k,
    /// mode) and, unless --policy or --c-puct is given, the root policy (noise off) are
    /// the run's; without it the search is guided by uniform priors and value 0.
    #[arg(long, value_name = "RUN_DIR_OR_FILE")]
    checkpoint: Option<PathBuf>,
    /// The moves played so far, in order, comma-separated (empty for the start).
    #[arg(long, default_value = "")]
    position: String,
    /// The search: --sims (default 200; 0 plays the network's highest-prior legal move),
    /// --policy (default puct, or the checkpoint's run's), --c-puct (default 1.25, or the
    /// run's). Root noise is always off here.
    #[command(flatten)]
    search: super::settings::SearchArgs,
    /// Print exactly one JSON line {"chosen": A, "children": [...]}.
    #[arg(long)]
    json: bool,
    /// Write the whole searched tree as JSON to this file.
    #[arg(long, value_name = "FILE")]
    tree: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct ChildLine {
    action: usize,
    prior: f32,
    visits: u32,
    q: Option<f32>,
}

#[derive(serde::Serialize)]
struct SearchLine {
    chosen: usize,
    children: Vec<ChildLine>,
}

pub fn run(global: &GlobalOptions, args: &SearchArgs) -> anyhow::Result<()> {
    if args.search.noise.is_some() || args.search.reuse_subtree {
        bail!("--noise and --reuse-subtree apply to self-play; one search here has neither");
    }
    let compute = global.compute()?;
    let (config, mut evaluator, run_policy) = match &args.checkpoint {
        Some(path) => {
            if args.game.game.is_some()
                || args.game.n.is_some()
                || args.game.k.is_some()
                || args.game.mode.is_some()
            {
                bail!("--checkpoint fixes the game: drop --game, --n, --k and --mode");
            }
            let checkpoint = Checkpoint::load(path)
                .with_context(|| format!("--checkpoint {}", path.display()))?;
            let run = TrainConfig::from_checkpoint(&checkpoint).context("--checkpoint")?;
            let GameSpec::Clique(game) = run.game else {
                bail!(
                    "wgzero search takes clique positions; this checkpoint is of {}",
                    run.game.name()
                );
            };
            let evaluator = checkpoint_evaluator(&checkpoint, &game, &run.network, &compute, 1)
                .context("--checkpoint")?;
            (game, evaluator, Some(without_noise(run.search.policy)))
        }
        None => {
            let GameSpec::Clique(config) = args.game.spec()? else {
                bail!("wgzero search takes clique positions (--game clique)");
            };
            let network = Uniform {
                observation_len: 3 * config.num_edges(),
                actions: config.num_edges(),
            };
            (
                config,
                ProgramEvaluator::new(&network, &compute, 1, 0)?,
                None,
            )
        }
    };
    let actions = parse_position(&args.position)?;
    let state = CliqueState::from_actions(config, &actions).context("--position")?;
    if state.terminal_value().is_some() {
        bail!("--position: the game is already over after these moves; there is nothing to search");
    }
    let search = search_config(args, run_policy)?;
    let (result, tree) = match &compute {
        Compute::Gpu(gpu) => {
            let Program::Gpu(program) = evaluator.into_program() else {
                unreachable!("compiled for the GPU")
            };
            let engine = GpuSearch::new(gpu, &config, program, search, 1, 0)?;
            engine.set_roots(&state.to_words(), &[None])?;
            engine.submit(|engine, pass| engine.record_search(pass));
            let result = engine.read_results(config.num_edges())?.remove(0);
            let tree = args
                .tree
                .as_ref()
                .map(|_| engine.read_tree(0))
                .transpose()?;
            (result, tree)
        }
        Compute::Cpu => {
            let mut reference = ReferenceSearch::new(vec![state.clone()], search, 0)?;
            let result = reference.run(&mut evaluator)?.remove(0);
            let tree = args.tree.as_ref().map(|_| reference.tree(0));
            (result, tree)
        }
    };
    if let (Some(path), Some(tree)) = (&args.tree, tree) {
        write_tree(path, &tree)?;
    }
    print_result(&result, args.json)
}

/// The search: the flags over the run's root policy (noise off) or, without a checkpoint,
/// PUCT with c = 1.25 and no reduction of unvisited children's values; 200 simulations.
fn search_config(
    args: &SearchArgs,
    run_policy: Option<RootPolicy>,
) -> anyhow::Result<SearchConfig> {
    let mut search = SearchConfig {
        simulations: DEFAULT_SIMULATIONS,
        policy: run_policy.unwrap_or(RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        }),
        reuse_subtree: false,
    };
    args.search.apply(&mut search)?;
    search.policy = without_noise(search.policy);
    Ok(search)
}

fn write_tree(path: &PathBuf, tree: &TreeDump) -> anyhow::Result<()> {
    let text = serde_json::to_string(tree)?;
    std::fs::write(path, text).with_context(|| format!("--tree: cannot write {}", path.display()))
}

fn print_result(result: &SearchResult, json: bool) -> anyhow::Result<()> {
    if json {
        let line = SearchLine {
            chosen: result.chosen,
            children: result
                .children
                .iter()
                .map(|c| ChildLine {
                    action: c.action,
                    prior: c.prior,
                    visits: c.visits,
                    q: c.q,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string(&line)?);
        return Ok(());
    }
    println!(
        "chosen move: {}   (root value {:+.3} for the player to move)",
        result.chosen, result.root_value
    );
    let mut children = result.children.clone();
    children.sort_by(|a, b| b.visits.cmp(&a.visits).then(a.action.cmp(&b.action)));
    println!("{:>6} {:>8} {:>7} {:>7}", "move", "prior", "visits", "q");
    for c in children {
        let q = c.q.map_or("-".to_owned(), |q| format!("{q:+.3}"));
        println!("{:>6} {:>8.4} {:>7} {:>7}", c.action, c.prior, c.visits, q);
    }
    Ok(())
}
