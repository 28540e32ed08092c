//! `wgzero search`: one search from one position, on the GPU search or the CPU reference
//! (the same algorithm; `--backend` picks), printed as text or one JSON line, and written
//! as a tree file with `--tree`; `--show-tree FILE` reads such a file back.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use wgzero::backend::Compute;
use wgzero::bundled;
use wgzero::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use wgzero::evaluate::without_noise;
use wgzero::games::clique::CliqueState;
use wgzero::games::{GameSpec, GameState};
use wgzero::graph::Program;
use wgzero::nn::uniform::Uniform;
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    FirstPlayUrgency, NetworkSource, NodeSelection, ProgramEvaluator, ReferenceSearch, RootPolicy,
    SearchConfig, SearchResult, SelectionRule, TreeFile,
};

use super::GlobalOptions;
use super::clique::parse_position;
use super::settings::GameArgs;

/// Simulations of `wgzero search` when --sims is not given.
const DEFAULT_SIMULATIONS: u32 = 200;

#[derive(Args)]
// The shared search flags are `settings::SearchArgs`, whose argument group takes the name.
#[group(skip)]
pub struct SearchArgs {
    /// The game, when there is no --checkpoint (the clique game).
    #[command(flatten)]
    game: GameArgs,
    /// Search with a trained network: a run directory (its latest checkpoint), its
    /// checkpoints/ folder, a checkpoint's .json or .safetensors file, or a bundled
    /// network (bundled: the one for --n, --k, --mode; bundled:MODE; bundled:NAME). The
    /// game (n, k, mode) and, unless --policy or --c-puct is given, the root policy (noise
    /// off) are the run's; without it the search is guided by uniform priors and value 0.
    #[arg(long, value_name = "RUN_DIR_OR_FILE", value_parser = CheckpointSource::parse)]
    checkpoint: Option<CheckpointSource>,
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
    /// Write the searched tree to this file: a self-describing tree file (the game, the
    /// root position, the root policy, the simulations, the network and the tree; format
    /// in docs/ARCHITECTURE.md) that `--show-tree` and the app open.
    #[arg(long, value_name = "FILE")]
    tree: Option<PathBuf>,
    /// Search nothing: read a tree file and print a node's children (N, P, Q, U); with
    /// --json one line {"chosen", "children": [{action, prior, visits, q, u}]} (chosen:
    /// the root's move at temperature 0).
    #[arg(long, value_name = "FILE")]
    show_tree: Option<PathBuf>,
    /// With --show-tree: the node to show, by index in the file [default: the root].
    #[arg(long, value_name = "INDEX")]
    node: Option<u32>,
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
    if let Some(path) = &args.show_tree {
        return show_tree(args, path);
    }
    if args.node.is_some() {
        bail!("--node picks the node --show-tree prints; a search starts at its root");
    }
    if args.search.noise.is_some() || args.search.reuse_subtree {
        bail!("--noise and --reuse-subtree apply to self-play; one search here has neither");
    }
    let compute = global.compute()?;
    let (config, mut evaluator, run_policy, network) = match &args.checkpoint {
        Some(source) => {
            // `bundled` alone takes its game from the flags; any other source fixes it.
            let chosen = if matches!(source, CheckpointSource::Bundled(None)) {
                args.game.spec()?
            } else {
                if args.game.game.is_some()
                    || args.game.n.is_some()
                    || args.game.k.is_some()
                    || args.game.mode.is_some()
                {
                    bail!("--checkpoint fixes the game: drop --game, --n, --k and --mode");
                }
                GameSpec::default()
            };
            let (checkpoint, run) = source
                .load(&chosen)
                .with_context(|| format!("--checkpoint {source}"))?;
            let GameSpec::Clique(game) = run.game else {
                bail!(
                    "wgzero search takes clique positions; this checkpoint is of {}",
                    run.game.name()
                );
            };
            let evaluator = checkpoint_evaluator(&checkpoint, &game, &run.network, &compute, 1)
                .context("--checkpoint")?;
            let network = match source {
                CheckpointSource::Bundled(_) => NetworkSource::Bundled {
                    name: bundled::for_game(&run.game)?.name.to_owned(),
                },
                CheckpointSource::Path(_) => NetworkSource::Checkpoint {
                    path: checkpoint.path().to_path_buf(),
                    iteration: checkpoint.record().iteration,
                    tensors_sha256: checkpoint.record().tensors_sha256.clone(),
                },
            };
            (
                game,
                evaluator,
                Some(without_noise(run.search.policy)),
                network,
            )
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
                NetworkSource::Uniform,
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
        let file = TreeFile::new(
            GameSpec::Clique(config),
            actions,
            &search,
            search.simulations,
            network,
            tree,
        );
        file.save(path).context("--tree")?;
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

#[derive(serde::Serialize)]
struct ShownChild {
    action: u32,
    prior: f32,
    visits: u32,
    q: Option<f32>,
    u: f32,
}

#[derive(serde::Serialize)]
struct ShownTree {
    chosen: usize,
    children: Vec<ShownChild>,
}

/// `--show-tree FILE`: a saved tree's node, read back without searching.
fn show_tree(args: &SearchArgs, path: &Path) -> anyhow::Result<()> {
    let search_flags = &args.search;
    if args.checkpoint.is_some()
        || args.tree.is_some()
        || !args.position.is_empty()
        || args.game.game.is_some()
        || args.game.n.is_some()
        || args.game.k.is_some()
        || args.game.mode.is_some()
        || args.game.ply_cap.is_some()
        || search_flags.sims.is_some()
        || search_flags.policy.is_some()
        || search_flags.c_puct.is_some()
        || search_flags.noise.is_some()
        || search_flags.considered.is_some()
        || search_flags.reuse_subtree
    {
        bail!(
            "--show-tree reads everything from the file: drop the game, position, network and \
             search flags"
        );
    }
    let file = TreeFile::load(path)?;
    let node = args.node.unwrap_or(file.tree.root);
    let Some(selection) = file.selection(node) else {
        bail!(
            "--node {node}: the tree in {} has {} nodes",
            path.display(),
            file.tree.nodes.len()
        );
    };
    if args.json {
        let line = ShownTree {
            chosen: file.root_result().chosen,
            children: selection
                .children
                .iter()
                .map(|c| ShownChild {
                    action: c.action,
                    prior: c.prior,
                    visits: c.visits,
                    q: c.q,
                    u: c.u,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string(&line)?);
        return Ok(());
    }
    print_tree_node(&file, &selection);
    Ok(())
}

fn describe_network(network: &NetworkSource) -> String {
    match network {
        NetworkSource::Uniform => "uniform (priors equal, value 0)".into(),
        NetworkSource::Checkpoint {
            path,
            iteration,
            tensors_sha256,
        } => format!(
            "checkpoint {} (iteration {iteration}, tensors SHA-256 {})",
            path.display(),
            tensors_sha256.get(..12).unwrap_or(tensors_sha256)
        ),
        NetworkSource::Bundled { name } => format!("bundled network {name}"),
    }
}

fn describe_rule(rule: &SelectionRule) -> String {
    match *rule {
        SelectionRule::Puct {
            c_puct,
            parent_visits,
            first_play_value,
        } => format!(
            "PUCT: score = Q + U, U = c·P·√N(node)/(1 + N) with c = {c_puct}, N(node) = \
             {parent_visits}; an unvisited child's Q is the first-play value \
             {first_play_value:+.4}"
        ),
        SelectionRule::GumbelRoot { considered_visits } => format!(
            "Gumbel root: among children with {considered_visits} visits, score = σ(completed \
             Q) + U, U = logit − max logit"
        ),
        SelectionRule::GumbelImproved => {
            "Gumbel: score = π'(a) + U, π' the improved policy, U = −N(a)/(1 + ΣN)".into()
        }
    }
}

fn print_tree_node(file: &TreeFile, selection: &NodeSelection) {
    let position: Vec<String> = file.position.iter().map(|a| a.to_string()).collect();
    println!("game: {}", file.game.info().label());
    println!(
        "root position (moves from the start): [{}]",
        position.join(",")
    );
    println!(
        "policy: {}",
        serde_json::to_string(&file.policy).unwrap_or_default()
    );
    println!(
        "simulations: {} done of {}",
        file.simulations_done, file.simulations
    );
    println!("network: {}", describe_network(&file.network));
    let path: Vec<String> = file
        .tree
        .actions_to(selection.node)
        .unwrap_or_default()
        .iter()
        .map(|a| a.to_string())
        .collect();
    println!(
        "node {}{}: moves from the root [{}], {} visits, value {:+.4} for its player to move",
        selection.node,
        if selection.node == file.tree.root {
            " (root)"
        } else {
            ""
        },
        path.join(","),
        selection.visits,
        selection.value
    );
    if selection.children.is_empty() {
        println!("no children (not expanded, or the game is over here)");
        return;
    }
    println!("selection: {}", describe_rule(&selection.rule));
    println!(
        "{:>6} {:>9} {:>9} {:>9} {:>9} {:>9}  next",
        "move", "N visits", "P prior", "Q value", "U", "score"
    );
    for (i, c) in selection.children.iter().enumerate() {
        let q = c.q.map_or("-".to_owned(), |q| format!("{q:+.4}"));
        let score = c.score.map_or("-".to_owned(), |s| format!("{s:+.4}"));
        let next = if selection.next == Some(i) { "  <" } else { "" };
        println!(
            "{:>6} {:>9} {:>9.4} {:>9} {:>+9.4} {:>9}{next}",
            c.action, c.visits, c.prior, q, c.u, score
        );
    }
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
