//! `wgzero app`: opens the egui app (train, search, play, Ramsey gallery, recorded games).

use std::path::PathBuf;

use clap::Args;
use wgzero::app::{AppOptions, Tab, train::RunSource};
use wgzero::train::TrainConfig;

use super::GlobalOptions;

#[derive(Args)]
pub struct AppArgs {
    /// The tab shown first.
    #[arg(long, value_enum, default_value_t = Tab::Train)]
    tab: Tab,
    /// Start training at once with the default settings (`wgzero train`'s), in this run
    /// directory.
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "resume")]
    train: Option<PathBuf>,
    /// Resume the run in this directory at once.
    #[arg(long, value_name = "RUN_DIR")]
    resume: Option<PathBuf>,
    /// Overlay these runs' curves (repeatable).
    #[arg(long, value_name = "RUN_DIR")]
    compare: Vec<PathBuf>,
    /// Append one JSON line a second to this file: the frames drawn in it (fps), the tab
    /// and the run's iteration (for measuring the app's frame rate).
    #[arg(long, value_name = "FILE")]
    frame_stats: Option<PathBuf>,
    /// Open this tree file (`wgzero search --tree FILE` writes them) in the Search tab.
    #[arg(long, value_name = "FILE")]
    open_tree: Option<PathBuf>,
}

pub fn run(global: &GlobalOptions, args: &AppArgs) -> anyhow::Result<()> {
    let start = match (&args.train, &args.resume) {
        (Some(run_dir), _) => Some(RunSource::New {
            config: TrainConfig::for_game(Default::default()),
            run_dir: run_dir.clone(),
        }),
        (None, Some(run_dir)) => Some(RunSource::Resume {
            run_dir: run_dir.clone(),
        }),
        (None, None) => None,
    };
    // X11 and Wayland desktops say where the display is; without either, winit's error is
    // cryptic.
    #[cfg(all(unix, not(target_os = "macos")))]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        anyhow::bail!(
            "no display: wgzero app needs a window (set DISPLAY or WAYLAND_DISPLAY, or run it \
             under xvfb-run)"
        );
    }
    let options = AppOptions {
        backend: global.backend,
        adapter: global.adapter.clone(),
        tab: args.tab,
        start,
        compare: args.compare.clone(),
        frame_stats: args.frame_stats.clone(),
        open_tree: args.open_tree.clone(),
    };
    wgzero::app::run_native(options).map_err(anyhow::Error::msg)
}
