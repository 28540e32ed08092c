//! `wgzero bench tree-view`: frame times of the app's search-tree view on a large tree.
//! A search of `--sims` simulations (uniform network, CPU) grows the tree; the `--expanded`
//! most visited nodes are expanded; then egui frames draw the view in a canvas of the
//! app's size, each frame panned a little (as a drag does), and tessellated: the CPU work
//! of a frame. One JSON line.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use eframe::egui;
use serde::Serialize;
use wgzero::app::tree_view::{TreeSource, TreeView};
use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, endpoints};
use wgzero::nn::uniform::Uniform;
use wgzero::search::interactive::InteractiveSearch;
use wgzero::search::{FirstPlayUrgency, ProgramEvaluator, RootPolicy, SearchConfig};

#[derive(Args)]
pub struct TreeViewArgs {
    /// Simulations of the search that grows the tree (a node each, about).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
    sims: u32,
    /// The most visited nodes to expand in the view.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    expanded: u32,
    /// Vertices of K_n (the clique game, k = 4, symmetric).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(5..=16))]
    n: u32,
    /// Zoom out until the whole expanded tree is on screen (every node drawn, the worst
    /// case) instead of the view the app opens with (the root framed, labels readable).
    #[arg(long)]
    whole: bool,
    /// Frames timed.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(10..=100_000))]
    frames: u32,
}

#[derive(Serialize)]
struct TreeViewLine {
    bench: &'static str,
    game: String,
    nodes: usize,
    expanded: u32,
    visible_nodes: usize,
    search_seconds: f64,
    /// The first frame: the layout built for the expanded set, then drawn.
    first_frame_ms: f64,
    frame_ms_median: f64,
    frame_ms_p95: f64,
    frame_ms_max: f64,
    frames_per_second: f64,
    frames: u32,
    whole: bool,
    canvas: [f32; 2],
    /// Vertices of the last frame's meshes (what is drawn).
    vertices: usize,
}

/// The app's default window, less the Search tab's side panels.
const CANVAS: egui::Vec2 = egui::vec2(620.0, 700.0);

pub fn run(args: &TreeViewArgs) -> anyhow::Result<()> {
    let game = CliqueConfig::new(args.n, 4, Mode::Symmetric)?;
    let network = Uniform {
        observation_len: 3 * game.num_edges(),
        actions: game.num_edges(),
    };
    let mut evaluator = ProgramEvaluator::new(&network, &Compute::Cpu, 1, 0)?;
    let config = SearchConfig {
        simulations: args.sims,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        },
        reuse_subtree: false,
    };
    let started = Instant::now();
    let mut search = InteractiveSearch::new(CliqueState::new(game), config)?;
    search.request_all();
    while search.simulations_done() < search.target() || !search.root_evaluated() {
        search.advance(&mut evaluator, Duration::from_secs(1))?;
    }
    let search_seconds = started.elapsed().as_secs_f64();
    let tree = search.tree();
    if tree.nodes.len() < 2 {
        bail!("the search grew no tree: raise --sims");
    }
    let mut view = TreeView::default();
    view.expand_most_visited(&tree, args.expanded as usize);
    if args.whole {
        view.show_whole_tree();
    }
    let move_name = |_node: u32, action: u32| {
        let (u, v) = endpoints(game.n, action as usize);
        format!("edge {u}–{v}")
    };
    let source = TreeSource {
        tree: &tree,
        policy: &config.policy,
        simulations: args.sims,
        move_name: &move_name,
        generation: 1,
    };
    let ctx = egui::Context::default();
    let mut times = Vec::with_capacity(args.frames as usize + 1);
    let mut vertices = 0;
    let mut pointer = egui::pos2(CANVAS.x / 2.0, CANVAS.y / 2.0);
    for frame in 0..=args.frames {
        // A drag of 3 points a frame after the first (the view re-culls everything).
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, CANVAS)),
            ..egui::RawInput::default()
        };
        input.events.push(egui::Event::PointerMoved(pointer));
        if frame == 1 {
            input.events.push(egui::Event::PointerButton {
                pos: pointer,
                button: egui::PointerButton::Primary,
                pressed: true,
                modifiers: egui::Modifiers::default(),
            });
        }
        pointer.y -= 3.0;
        let start = Instant::now();
        let output = ctx.run_ui(input, |ui| {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                view.tree_ui(ui, &source);
            });
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        times.push(start.elapsed().as_secs_f64() * 1e3);
        vertices = primitives
            .iter()
            .map(|clipped| match &clipped.primitive {
                egui::epaint::Primitive::Mesh(mesh) => mesh.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
    }
    let first_frame_ms = times[0];
    let mut steady = times[1..].to_vec();
    steady.sort_by(f64::total_cmp);
    let at = |q: f64| steady[((steady.len() - 1) as f64 * q).round() as usize];
    let median = at(0.5);
    let line = TreeViewLine {
        bench: "tree-view",
        game: format!("K_{}, k = 4", game.n),
        nodes: tree.nodes.len(),
        expanded: args.expanded,
        visible_nodes: view.visible_nodes(),
        search_seconds,
        first_frame_ms,
        frame_ms_median: median,
        frame_ms_p95: at(0.95),
        frame_ms_max: at(1.0),
        frames_per_second: 1e3 / median,
        frames: args.frames,
        whole: args.whole,
        canvas: [CANVAS.x, CANVAS.y],
        vertices,
    };
    println!("{}", serde_json::to_string(&line)?);
    Ok(())
}
