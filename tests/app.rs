//! The app, driven through egui_kittest (AccessKit queries and clicks) on the CPU backend:
//! training from the Train tab, runs shared with the CLI, the Ramsey gallery, and each tab
//! rendered with content (on lavapipe, when a GPU adapter exists).

#![cfg(feature = "app")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable};
use web_time::Instant;
use wgzero::app::train::{RunState, plot_titles, point_counts};
use wgzero::app::{AppOptions, Tab, WgzeroApp};
use wgzero::backend::BackendChoice;

fn cpu_options() -> AppOptions {
    AppOptions {
        backend: BackendChoice::Cpu,
        ..AppOptions::default()
    }
}

fn harness(options: AppOptions) -> Harness<'static, WgzeroApp> {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| WgzeroApp::new(cc, options))
}

/// Asserts that one text label contains `text` (a label's text runs are not counted).
fn label_containing(harness: &Harness<'static, WgzeroApp>, text: &str) {
    harness.get(By::new().label_contains(text).role(Role::Label));
}

/// Asserts that one text label reads exactly `text`.
fn label_exact(harness: &Harness<'static, WgzeroApp>, text: &str) {
    harness.get(By::new().label(text).role(Role::Label));
}

/// Focuses the text field labelled `label`, types `text` into it and lets the app see it.
fn type_into(harness: &mut Harness<'static, WgzeroApp>, label: &str, text: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.run_steps(4);
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(2);
}

/// Scrolls the widget labelled `label` into view and clicks it.
fn click(harness: &mut Harness<'static, WgzeroApp>, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    // The scroll area settles over a few frames.
    harness.run_steps(4);
    harness.get_by_label(label).click();
    harness.run_steps(1);
}

/// Steps frames until `done` holds, failing after `limit`.
fn step_until(
    harness: &mut Harness<'static, WgzeroApp>,
    limit: Duration,
    what: &str,
    done: impl Fn(&WgzeroApp) -> bool,
) {
    let start = Instant::now();
    loop {
        harness.step();
        if done(harness.state()) {
            // Widgets that appear with the change are in the accessibility tree a frame on.
            harness.run_steps(2);
            return;
        }
        if let Some(run) = &harness.state().train().run
            && let RunState::Failed(error) = &run.state
        {
            panic!("the run failed while waiting for {what}: {error}");
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wgzero-app-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn iterations_of(app: &WgzeroApp) -> usize {
    app.train().run.as_ref().map_or(0, |run| run.history.len())
}

fn metrics_lines(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn start_trains_iterations_and_every_plot_gains_a_curve() {
    let dir = fresh_dir("start");
    let mut harness = harness(cpu_options());
    // Few games keep the debug build quick; everything else is the CLI's default.
    harness.state_mut().train_mut().form.games_in_flight = 32;
    type_into(&mut harness, "Run directory", dir.to_str().unwrap());
    assert_eq!(harness.state().train().form.run_dir, dir.to_str().unwrap());
    for title in plot_titles() {
        harness.get_by_label(title);
    }
    click(&mut harness, "Start");
    step_until(
        &mut harness,
        Duration::from_secs(600),
        "three iterations",
        |app| iterations_of(app) >= 3,
    );
    let run = harness.state().train().run.as_ref().unwrap();
    for (title, points) in point_counts(&run.history) {
        if title != "Counterexamples found" {
            assert!(points >= 2, "{title}: {points} points");
        }
    }
    click(&mut harness, "Pause");
    step_until(&mut harness, Duration::from_secs(60), "the pause", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Paused
    });
    // The status bar shows the iteration, the adapter and where compute runs, and why.
    harness.run_steps(2);
    let iteration = harness.state().train().run.as_ref().unwrap().iteration();
    label_exact(&harness, &format!("iteration {iteration}"));
    label_containing(&harness, "adapter: ");
    label_containing(&harness, "compute: cpu — --backend cpu was given");
    let paused_at = iterations_of(harness.state());
    std::thread::sleep(Duration::from_millis(1500));
    harness.run_steps(3);
    assert_eq!(
        iterations_of(harness.state()),
        paused_at,
        "no progress while paused"
    );
    click(&mut harness, "Stop");
    step_until(&mut harness, Duration::from_secs(60), "the stop", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Stopped
    });
    // The run directory holds what the UI showed.
    assert!(metrics_lines(&dir).len() >= 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runs_pass_between_the_cli_and_the_app() {
    let dir = fresh_dir("shared");
    let cli = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
            .args([
                "train",
                "--backend",
                "cpu",
                "--games",
                "32",
                "--iterations",
                "1",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    cli(&["--out", dir.to_str().unwrap()]);
    let mut harness = harness(cpu_options());
    type_into(&mut harness, "Open a run directory", dir.to_str().unwrap());
    click(&mut harness, "Resume run");
    step_until(
        &mut harness,
        Duration::from_secs(300),
        "a resumed iteration",
        |app| {
            app.train()
                .run
                .as_ref()
                .is_some_and(|run| run.iteration() >= 2)
        },
    );
    // The resumed run's history includes the CLI's iteration.
    assert_eq!(
        harness.state().train().run.as_ref().unwrap().history[0].iteration,
        1
    );
    click(&mut harness, "Stop");
    step_until(&mut harness, Duration::from_secs(60), "the stop", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Stopped
    });
    drop(harness);
    let made_by_app = metrics_lines(&dir).len();
    cli(&["--resume", dir.to_str().unwrap()]);
    let lines = metrics_lines(&dir);
    assert_eq!(lines.len(), made_by_app + 1);
    let iterations: Vec<u64> = lines
        .iter()
        .map(|line| line["iteration"].as_u64().unwrap())
        .collect();
    assert_eq!(iterations, (1..=lines.len() as u64).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_directory_that_does_not_open_shows_an_error() {
    let dir = fresh_dir("missing");
    let mut harness = harness(cpu_options());
    type_into(
        &mut harness,
        "Open a run directory",
        dir.join("nothing here").to_str().unwrap(),
    );
    click(&mut harness, "Compare");
    harness.run_steps(2);
    assert!(harness.state().train().error.is_some());
    click(&mut harness, "Resume run");
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the failure",
        |app| {
            matches!(
                app.train().run.as_ref().map(|run| &run.state),
                Some(RunState::Failed(_))
            )
        },
    );
    harness.run_steps(2);
    label_containing(&harness, "the run failed");
    // The tab stays usable: Start is enabled again.
    harness.state_mut().set_tab(Tab::Train);
    harness.run_steps(1);
}

/// Runs `wgzero` with `args`, expecting success; its stdout.
fn wgzero(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "wgzero {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `wgzero search --json`'s (action, visits) per root child, in the CLI's order.
fn cli_children(line: &str) -> (usize, Vec<(u64, u64)>) {
    let line: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let children = line["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|child| {
            (
                child["action"].as_u64().unwrap(),
                child["visits"].as_u64().unwrap(),
            )
        })
        .collect();
    (line["chosen"].as_u64().unwrap() as usize, children)
}

/// The app's root children, (action, visits), sorted as the CLI prints them (by action).
fn app_children(app: &WgzeroApp) -> Vec<(u64, u64)> {
    let file = app.search().tree_file().expect("a tree is shown");
    let selection = file.selection(file.tree.root).unwrap();
    let mut children: Vec<(u64, u64)> = selection
        .children
        .iter()
        .map(|child| (child.action as u64, child.visits as u64))
        .collect();
    children.sort();
    children
}

fn searched(app: &WgzeroApp) -> bool {
    app.search().tree_file().is_some() && !app.search().is_searching()
}

fn search_harness() -> Harness<'static, WgzeroApp> {
    let mut harness = harness(AppOptions {
        tab: Tab::Search,
        ..cpu_options()
    });
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the network",
        |app| app.search().network().is_some(),
    );
    harness
}

#[test]
fn the_search_tab_shows_what_wgzero_search_json_prints() {
    let mut harness = search_harness();
    // The bundled symmetric network is loaded without a run of one's own.
    label_exact(
        &harness,
        "bundled network clique-n6-k3-symmetric (iteration 331)",
    );
    type_into(&mut harness, "Moves (edge indices)", "0, 14, 3");
    click(&mut harness, "Set position");
    harness.run_steps(2);
    assert_eq!(harness.state().search().position, vec![0, 14, 3]);
    harness.state_mut().search_mut().settings.simulations = 150;
    click(&mut harness, "Run search");
    step_until(
        &mut harness,
        Duration::from_secs(120),
        "the search",
        searched,
    );
    let cli = wgzero(&[
        "search",
        "--backend",
        "cpu",
        "--checkpoint",
        "bundled",
        "--position",
        "0,14,3",
        "--sims",
        "150",
        "--json",
    ]);
    let (chosen, mut expected) = cli_children(&cli);
    expected.sort();
    assert_eq!(app_children(harness.state()), expected);
    assert_eq!(
        harness
            .state()
            .search()
            .tree_file()
            .unwrap()
            .root_result()
            .chosen,
        chosen
    );
    // The most visited child is listed first, with N, P, Q and U labelled.
    harness.run_steps(2);
    let (action, visits) = *expected
        .iter()
        .max_by_key(|&&(a, v)| (v, std::cmp::Reverse(a)))
        .unwrap();
    let (u, v) = wgzero::games::clique::endpoints(6, action as usize);
    label_exact(&harness, &format!("edge {u}–{v}"));
    assert!(visits > 0);
    for header in ["move", "N", "share", "P", "Q", "U"] {
        label_exact(&harness, header);
    }
}

#[test]
fn stepping_grows_the_tree_and_a_saved_tree_reopens_identical() {
    let dir = fresh_dir("tree");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tree.json");
    let mut harness = search_harness();
    click(&mut harness, "New search");
    step_until(&mut harness, Duration::from_secs(60), "the root", searched);
    let mut sizes = Vec::new();
    for step in ["+1", "+10", "+100"] {
        harness.get_by_label(step).click();
        step_until(&mut harness, Duration::from_secs(60), step, searched);
        sizes.push(harness.state().search().simulations_done());
    }
    assert_eq!(sizes, vec![1, 11, 111]);
    let nodes = harness
        .state()
        .search()
        .tree_file()
        .unwrap()
        .tree
        .nodes
        .len();
    assert!(nodes > 100, "{nodes} nodes after 111 simulations");
    type_into(&mut harness, "Tree file path", path.to_str().unwrap());
    click(&mut harness, "Save tree");
    harness.run_steps(2);
    assert!(harness.state().search().error.is_none());
    let saved = harness.state().search().tree_file().unwrap().clone();
    // A second app opens the file: the same tree, counts and U values.
    let mut reopened = search_harness();
    type_into(&mut reopened, "Tree file path", path.to_str().unwrap());
    click(&mut reopened, "Open tree");
    reopened.run_steps(2);
    let opened = reopened
        .state()
        .search()
        .tree_file()
        .expect("the tree opened");
    assert_eq!(opened.tree, saved.tree);
    assert_eq!(opened.position, saved.position);
    assert_eq!(opened.simulations_done, 111);
    let us = |file: &wgzero::search::TreeFile| -> Vec<(u32, u32, f32)> {
        let selection = file.selection(file.tree.root).unwrap();
        selection
            .children
            .iter()
            .map(|c| (c.action, c.visits, c.u))
            .collect()
    };
    assert_eq!(us(opened), us(&saved));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_tree_written_by_the_cli_opens_with_its_counts_positions_and_u_values() {
    let dir = fresh_dir("cli-tree");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cli-tree.json");
    let path_text = path.to_str().unwrap();
    wgzero(&[
        "search",
        "--backend",
        "cpu",
        "--checkpoint",
        "bundled:avoid",
        "--position",
        "2,9",
        "--sims",
        "80",
        "--tree",
        path_text,
    ]);
    let shown = wgzero(&["search", "--show-tree", path_text, "--json"]);
    let shown: serde_json::Value = serde_json::from_str(shown.trim()).unwrap();
    let mut harness = search_harness();
    type_into(&mut harness, "Tree file path", path_text);
    click(&mut harness, "Open tree");
    harness.run_steps(3);
    let app = harness.state().search();
    assert!(app.error.is_none(), "{:?}", app.error);
    assert_eq!(app.position, vec![2, 9]);
    let file = app.tree_file().unwrap();
    let selection = file.selection(file.tree.root).unwrap();
    let expected = shown["children"].as_array().unwrap();
    assert_eq!(selection.children.len(), expected.len());
    for (child, line) in selection.children.iter().zip(expected) {
        assert_eq!(child.action as u64, line["action"].as_u64().unwrap());
        assert_eq!(child.visits as u64, line["visits"].as_u64().unwrap());
        let u = line["u"].as_f64().unwrap() as f32;
        assert!(
            (child.u - u).abs() <= 1e-6 * u.abs().max(1.0),
            "{} vs {u}",
            child.u
        );
    }
    // The root's position on the node board is the file's: two coloured edges.
    label_containing(&harness, "after 2 moves");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_trees_checkpoints_and_positions_are_errors_in_the_ui() {
    let dir = fresh_dir("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let mut harness = search_harness();
    // A corrupt tree file.
    let tree = dir.join("corrupt-tree.json");
    std::fs::write(&tree, b"{\"format_version\": 1, \"tree\": [").unwrap();
    type_into(&mut harness, "Tree file path", tree.to_str().unwrap());
    click(&mut harness, "Open tree");
    harness.run_steps(2);
    let error = harness.state().search().error.clone().expect("an error");
    assert!(error.contains("corrupt-tree.json"), "{error}");
    label_exact(&harness, &error);
    assert!(harness.state().search().tree_file().is_none());
    // An illegal position: an edge twice, then an edge K_6 does not have.
    for moves in ["0, 0", "0, 99", "3, x"] {
        let text = &mut harness.state_mut().search_mut().position_text;
        text.clear();
        text.push_str(moves);
        harness.run_steps(1);
        click(&mut harness, "Set position");
        harness.run_steps(2);
        let error = harness.state().search().error.clone().expect("an error");
        label_exact(&harness, &error);
        assert!(harness.state().search().position.is_empty(), "{moves}");
    }
    // A corrupt checkpoint: a run directory whose checkpoint JSON is cut short.
    let run = dir.join("run");
    std::fs::create_dir_all(run.join("checkpoints")).unwrap();
    std::fs::write(
        run.join("checkpoints/ckpt-00000001.json"),
        b"{\"iteration\": 1,",
    )
    .unwrap();
    std::fs::write(
        run.join("checkpoints/ckpt-00000001.safetensors"),
        b"garbage",
    )
    .unwrap();
    click(&mut harness, "checkpoint");
    harness.run_steps(2);
    type_into(
        &mut harness,
        "Checkpoint (run directory or file)",
        run.to_str().unwrap(),
    );
    click(&mut harness, "Load network");
    harness.run_steps(2);
    let error = harness.state().search().error.clone().expect("an error");
    label_exact(&harness, &error);
    // The bundled network stays loaded and searching still works.
    assert!(harness.state().search().network().is_some());
    click(&mut harness, "Run search");
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the search",
        searched,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clicking_an_edge_in_play_moves_and_the_agent_answers_as_wgzero_search_does() {
    let mut harness = harness(AppOptions {
        tab: Tab::Play,
        ..cpu_options()
    });
    step_until(&mut harness, Duration::from_secs(60), "the agent", |app| {
        app.play().network().is_some()
    });
    click(&mut harness, "edge 1–4");
    harness.run_steps(1);
    let played = wgzero::games::clique::edge_index(6, 1, 4);
    assert_eq!(harness.state().play().moves[0], played);
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the agent's move",
        |app| app.play().moves.len() == 2 && !app.play().is_thinking(),
    );
    let answer = harness.state().play().moves[1];
    assert_ne!(answer, played);
    // The agent's move is the search's choice with the network and simulations shown.
    let cli = wgzero(&[
        "search",
        "--backend",
        "cpu",
        "--checkpoint",
        "bundled",
        "--position",
        &played.to_string(),
        "--sims",
        "100",
        "--json",
    ]);
    assert_eq!(cli_children(&cli).0, answer);
    // A claimed edge is no longer a move; take back returns to the start.
    assert!(harness.query_by_label("edge 1–4").is_none());
    click(&mut harness, "Take back");
    harness.run_steps(2);
    assert!(harness.state().play().moves.is_empty());
}

/// Random avoid games of K_5, k = 3 until `draws` ended drawn (Ramsey witnesses).
fn k5_witnesses(draws: usize) -> Vec<wgzero::games::clique::CliqueState> {
    use wgzero::games::GameState;
    use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status};
    let config = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
    let mut random = 7u64;
    let mut found = Vec::new();
    while found.len() < draws {
        let mut state = CliqueState::new(config);
        while !state.is_over() {
            let legal = state.legal_actions();
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
                .apply(legal[(random >> 33) as usize % legal.len()])
                .unwrap();
        }
        if state.status() == Status::Draw {
            found.push(state);
        }
    }
    found
}

/// Renders the frame and writes it where the test's images go; the image must have
/// content: many colours, not a blank window.
fn render_tab(harness: &mut Harness<'static, WgzeroApp>, tab: Tab) {
    harness.run_steps(3);
    let mut image = harness
        .render()
        .expect("rendering on the wgpu test renderer");
    // The app clears the window to its panels' colour (the test renderer clears to
    // transparent): composite over it.
    let panel = eframe::egui::Visuals::dark().panel_fill;
    for pixel in image.pixels_mut() {
        let alpha = pixel.0[3] as u32;
        for (channel, background) in [panel.r(), panel.g(), panel.b()].into_iter().enumerate() {
            let value = pixel.0[channel] as u32 + background as u32 * (255 - alpha) / 255;
            pixel.0[channel] = value.min(255) as u8;
        }
        pixel.0[3] = 255;
    }
    let colours: std::collections::HashSet<[u8; 4]> = image.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() > 40,
        "{tab:?}: only {} colours",
        colours.len()
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-tabs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(format!("{}.png", tab.title()))).unwrap();
    let mut encoder = png::Encoder::new(file, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(image.as_raw())
        .unwrap();
}

#[test]
fn every_tab_renders_with_content() {
    // The test renderer needs a wgpu adapter (lavapipe in CI).
    if wgzero::testing::test_gpu().is_none() {
        return;
    }
    let run = fresh_dir("tabs");
    let witnesses = fresh_dir("tabs-witnesses");
    let mut archive = wgzero::games::clique::archive::RamseyArchive::open(&witnesses).unwrap();
    for game in k5_witnesses(12) {
        archive.record(&game, "test").unwrap();
    }
    drop(archive);
    let options = cpu_options();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_eframe(move |cc| WgzeroApp::new(cc, options));

    // Train: a run with points.
    harness.state_mut().train_mut().form.games_in_flight = 32;
    harness.state_mut().train_mut().form.run_dir = run.to_str().unwrap().to_owned();
    harness.run_steps(1);
    click(&mut harness, "Start");
    step_until(
        &mut harness,
        Duration::from_secs(600),
        "three iterations",
        |app| iterations_of(app) >= 3,
    );
    click(&mut harness, "Pause");
    step_until(&mut harness, Duration::from_secs(60), "the pause", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Paused
    });
    for title in plot_titles() {
        harness.get_by_label(title);
    }
    harness.run_steps(2);
    let iteration = harness.state().train().run.as_ref().unwrap().iteration();
    label_exact(&harness, &format!("iteration {iteration}"));
    render_tab(&mut harness, Tab::Train);

    // Search: a grown tree, its most visited nodes expanded.
    harness.state_mut().set_tab(Tab::Search);
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the network",
        |app| app.search().network().is_some(),
    );
    click(&mut harness, "Run search");
    step_until(
        &mut harness,
        Duration::from_secs(120),
        "the search",
        searched,
    );
    click(&mut harness, "Expand the most visited");
    harness.run_steps(2);
    assert!(harness.state().search().tree_view.visible_nodes() > 20);
    let nodes = harness.query_all_by_label_contains(": edge ").count();
    assert!(nodes >= 10, "{nodes} tree nodes on screen");
    label_containing(&harness, "principal variation: edge");
    render_tab(&mut harness, Tab::Search);

    // Play: a game in progress, the agent's policy shown.
    harness.state_mut().set_tab(Tab::Play);
    step_until(&mut harness, Duration::from_secs(60), "the agent", |app| {
        app.play().network().is_some()
    });
    harness
        .get_by_label("Show the agent's policy and value")
        .click();
    click(&mut harness, "edge 0–3");
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the agent's move",
        |app| app.play().moves.len() == 2 && app.play().analysis.is_some(),
    );
    click(&mut harness, "edge 2–5");
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the agent's move",
        |app| app.play().moves.len() == 4 && app.play().analysis.is_some(),
    );
    harness.get_by_label("Take back");
    render_tab(&mut harness, Tab::Play);

    // Ramsey: the pentagon witnesses of K_5.
    harness.state_mut().set_tab(Tab::Ramsey);
    harness.state_mut().ramsey_mut().path = witnesses.to_str().unwrap().to_owned();
    harness.run_steps(2);
    assert_eq!(harness.state().ramsey().classes().len(), 1);
    click(&mut harness, "Copy graph6 of #1");
    harness.run_steps(1);
    label_containing(&harness, "found 12 times");
    label_containing(&harness, "verified");
    render_tab(&mut harness, Tab::Ramsey);

    // Games: the run's recorded games, one replayed to a middle move.
    harness.state_mut().set_tab(Tab::Games);
    harness.run_steps(2);
    let records = harness.state().games().records.len();
    assert!(records >= 2, "{records} recorded games");
    harness.state_mut().games_mut().select(0);
    harness.run_steps(2);
    for _ in 0..4 {
        click(&mut harness, "Next move");
    }
    assert_eq!(harness.state().games().move_index, 4);
    label_containing(&harness, "legal moves: prior P");
    render_tab(&mut harness, Tab::Games);

    harness.state_mut().set_tab(Tab::Train);
    harness.run_steps(2);
    click(&mut harness, "Stop");
    step_until(&mut harness, Duration::from_secs(60), "the stop", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Stopped
    });
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&witnesses);
}

/// Whether `program` is on the PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[test]
fn a_real_window_stays_up_for_20_seconds_while_training() {
    // CI installs xvfb (with WGZERO_REQUIRE_GPU set, a missing xvfb-run fails the test).
    if !on_path("xvfb-run") {
        assert!(
            !wgzero::testing::gpu_required(),
            "WGZERO_REQUIRE_GPU is set but xvfb-run is missing (apt-get install xvfb xauth)"
        );
        eprintln!("skipped: xvfb-run is not installed");
        return;
    }
    let dir = fresh_dir("window");
    let frames = dir.with_extension("frames.jsonl");
    let _ = std::fs::remove_file(&frames);
    let mut app = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(env!("CARGO_BIN_EXE_wgzero"))
        .args(["app", "--backend", "cpu", "--train"])
        .arg(&dir)
        .arg("--frame-stats")
        .arg(&frames)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(20));
    let exited = app.try_wait().unwrap();
    if exited.is_none() {
        // xvfb-run's child is the app: stop the whole group.
        let _ = Command::new("pkill")
            .args(["-f", "--", &format!("--frame-stats {}", frames.display())])
            .status();
    }
    let output = app.wait_with_output().unwrap();
    assert!(
        exited.is_none(),
        "the app exited within 20 s ({exited:?}): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // It trained, and it drew frames all along.
    assert!(!metrics_lines(&dir).is_empty(), "no iteration in 20 s");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&frames)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(lines.len() >= 10, "{} seconds of frame stats", lines.len());
    assert!(
        lines
            .iter()
            .all(|line| line["frames"].as_u64().unwrap() > 0)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&frames);
}
