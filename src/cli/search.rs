//! `wgzero search`: one search from one position, on the GPU search or the CPU reference
//! (the same algorithm; `--backend` picks), printed as text or one JSON line.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use wgzero::backend::Compute;
use wgzero::games::GameState;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};
use wgzero::graph::Program;
use wgzero::nn::uniform::Uniform;
use wgzero::search::gpu::{GpuSearch, PlaySettings};
use wgzero::search::tree_dump::TreeDump;
use wgzero::search::{
    FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchResult,
};
use wgzero::train::checkpoint::{Checkpoint, Which};
use wgzero::train::evaluate::{checkpoint_config, checkpoint_evaluator, without_noise};

use super::GlobalOptions;
use super::clique::parse_position;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GameName {
    Clique,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NetName {
    /// Uniform priors and value 0: plain MCTS guided by terminal positions.
    Uniform,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PolicyName {
    /// AlphaZero PUCT (no root noise here).
    Puct,
    /// Gumbel MuZero (no Gumbel noise here).
    Gumbel,
}

#[derive(Args)]
pub struct SearchArgs {
    #[arg(long, value_enum, default_value_t = GameName::Clique)]
    game: GameName,
    /// Vertices of K_n (clique).
    #[arg(long, default_value_t = 6, conflicts_with = "checkpoint")]
    n: u32,
    /// Clique size (clique).
    #[arg(long, default_value_t = 3, conflicts_with = "checkpoint")]
    k: u32,
    #[arg(long, value_enum, default_value_t = Mode::Symmetric, conflicts_with = "checkpoint")]
    mode: Mode,
    /// Search with a trained network: a run directory (its best checkpoint), its
    /// checkpoints/ folder, or a checkpoint's .json or .safetensors file. The game (n, k,
    /// mode) and, unless --policy or --c-puct is given, the root policy (noise off) are
    /// the run's.
    #[arg(long, value_name = "RUN_DIR_OR_FILE", conflicts_with = "net")]
    checkpoint: Option<PathBuf>,
    /// The moves played so far, in order, comma-separated (empty for the start).
    #[arg(long, default_value = "")]
    position: String,
    /// Simulations; 0 plays the network's highest-prior legal move.
    #[arg(long, default_value_t = 200)]
    sims: u32,
    /// The network that guides the search when there is no --checkpoint.
    #[arg(long, value_enum, default_value_t = NetName::Uniform)]
    net: NetName,
    /// The root policy [default: puct, or the checkpoint's run's].
    #[arg(long, value_enum)]
    policy: Option<PolicyName>,
    /// PUCT exploration constant [default: 1.25, or the checkpoint's run's].
    #[arg(long)]
    c_puct: Option<f32>,
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
    let GameName::Clique = args.game;
    let compute = global.compute()?;
    let (config, mut evaluator, run_policy) = match &args.checkpoint {
        Some(path) => {
            let checkpoint = Checkpoint::load(path, Which::Best)
                .with_context(|| format!("--checkpoint {}", path.display()))?;
            let run = checkpoint_config(&checkpoint).context("--checkpoint")?;
            let evaluator =
                checkpoint_evaluator(&checkpoint, &run.network, run.game.n, &compute, 1)
                    .context("--checkpoint")?;
            (run.game, evaluator, Some(without_noise(run.search.policy)))
        }
        None => {
            let config = CliqueConfig::new(args.n, args.k, args.mode)?;
            let NetName::Uniform = args.net;
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
    let policy = root_policy(args, run_policy);
    if args.c_puct.is_some() && matches!(policy, RootPolicy::Gumbel { .. }) {
        bail!(
            "--c-puct applies to the PUCT root, and this search uses Gumbel (--policy gumbel or \
             the checkpoint's run); add --policy puct or drop --c-puct"
        );
    }
    let search = SearchConfig {
        simulations: args.sims,
        policy,
        reuse_subtree: false,
    };
    let (result, tree) = match &compute {
        Compute::Gpu(gpu) => {
            let Program::Gpu(program) = evaluator.into_program() else {
                unreachable!("compiled for the GPU")
            };
            let engine = GpuSearch::new(
                gpu,
                &config,
                program,
                search,
                1,
                PlaySettings {
                    temperature_moves: 0,
                    random_opening: 0,
                    surprise_weight: 0.0,
                    record: false,
                },
                0,
            )?;
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

/// The root policy: the flags', else the checkpoint's run's (noise off), else PUCT with
/// c = 1.25 and no reduction of unvisited children's values.
fn root_policy(args: &SearchArgs, run_policy: Option<RootPolicy>) -> RootPolicy {
    let c_puct = args.c_puct.unwrap_or(1.25);
    let puct = RootPolicy::AlphaZero {
        c_puct,
        first_play_urgency: FirstPlayUrgency::Reduction(0.0),
        dirichlet: None,
    };
    match (args.policy, run_policy) {
        (Some(PolicyName::Puct), _) | (None, None) => puct,
        (Some(PolicyName::Gumbel), _) => RootPolicy::Gumbel {
            max_considered: 16,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: false,
        },
        (
            None,
            Some(RootPolicy::AlphaZero {
                c_puct: run_c_puct,
                first_play_urgency,
                dirichlet,
            }),
        ) => RootPolicy::AlphaZero {
            c_puct: args.c_puct.unwrap_or(run_c_puct),
            first_play_urgency,
            dirichlet,
        },
        (None, Some(policy)) => policy,
    }
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
