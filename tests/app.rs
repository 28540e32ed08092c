//! The app, driven through egui_kittest (AccessKit queries and clicks) on the CPU backend:
//! training from the Train tab, runs shared with the CLI, the Ramsey gallery, and each tab
//! rendered with content (on lavapipe, when a GPU adapter exists).

#![cfg(feature = "app")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
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
fn start_trains_two_iterations_and_the_plots_gain_points() {
    let dir = fresh_dir("start");
    let mut harness = harness(cpu_options());
    // Few games keep the debug build quick; everything else is the CLI's default.
    harness.state_mut().train_mut().form.games_in_flight = 32;
    harness
        .get_by_label("Run directory")
        .type_text(dir.to_str().unwrap());
    harness.run_steps(2);
    assert_eq!(harness.state().train().form.run_dir, dir.to_str().unwrap());
    for title in plot_titles() {
        harness.get_by_label(title);
    }
    harness.get_by_label("Start").click();
    step_until(&mut harness, Duration::from_secs(600), "two iterations", |app| {
        iterations_of(app) >= 2
    });
    let run = harness.state().train().run.as_ref().unwrap();
    for (title, points) in point_counts(&run.history) {
        if title != "Counterexamples found" {
            assert!(points >= 2, "{title}: {points} points");
        }
    }
    // The status bar shows the iteration, the adapter and where compute runs, and why.
    harness.get_by_label_contains("iteration ");
    harness.get_by_label_contains("compute: cpu — --backend cpu was given");
    harness.get_by_label("Pause").click();
    step_until(&mut harness, Duration::from_secs(60), "the pause", |app| {
        app.train().run.as_ref().unwrap().state == RunState::Paused
    });
    let paused_at = iterations_of(harness.state());
    std::thread::sleep(Duration::from_millis(1500));
    harness.run_steps(3);
    assert_eq!(iterations_of(harness.state()), paused_at, "no progress while paused");
    harness.get_by_label("Stop").click();
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
            .args(["train", "--backend", "cpu", "--games", "32", "--iterations", "1"])
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
    harness
        .get_by_label("Open a run directory")
        .type_text(dir.to_str().unwrap());
    harness.run_steps(2);
    harness.get_by_label("Resume").click();
    step_until(&mut harness, Duration::from_secs(300), "a resumed iteration", |app| {
        app.train()
            .run
            .as_ref()
            .is_some_and(|run| run.iteration() >= 2)
    });
    // The resumed run's history includes the CLI's iteration.
    assert_eq!(
        harness.state().train().run.as_ref().unwrap().history[0].iteration,
        1
    );
    harness.get_by_label("Stop").click();
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
    harness
        .get_by_label("Open a run directory")
        .type_text(dir.join("nothing here").to_str().unwrap());
    harness.run_steps(2);
    harness.get_by_label("Compare").click();
    harness.run_steps(2);
    assert!(harness.state().train().error.is_some());
    harness.get_by_label("Resume").click();
    step_until(&mut harness, Duration::from_secs(60), "the failure", |app| {
        matches!(
            app.train().run.as_ref().map(|run| &run.state),
            Some(RunState::Failed(_))
        )
    });
    harness.run_steps(2);
    harness.get_by_label_contains("the run failed");
    // The tab stays usable: Start is enabled again.
    harness.state_mut().set_tab(Tab::Train);
    harness.run_steps(1);
}
