//! The control surface: an egui/eframe app (desktop now, the browser later) with five
//! tabs — Train, Search, Play, Ramsey, Games — over the same library the CLI uses.
//!
//! Compute and UI share eframe's wgpu device ([`compute`]). Nothing on the UI path blocks:
//! the trainer runs on a worker thread on native and a slice per frame on the web
//! ([`train::RunDriver`]); searches and the agent's moves advance by non-blocking steps.

pub mod board;
pub mod chess_board;
pub mod chess_play;
pub mod chess_search;
pub mod compute;
pub mod games;
pub mod network;
pub mod play;
pub mod ramsey;
pub mod search;
pub mod train;
pub mod transfer;
pub mod tree_view;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod widget_tree;

use std::path::PathBuf;

use eframe::egui;

use crate::backend::BackendChoice;
use compute::ComputeChoice;
use games::GamesTab;
use play::PlayTab;
use ramsey::RamseyTab;
use search::SearchTab;
use train::{RunSource, TrainTab};

/// The tabs, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Tab {
    #[default]
    Train,
    Search,
    Play,
    Ramsey,
    Games,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Train, Tab::Search, Tab::Play, Tab::Ramsey, Tab::Games];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Train => "Train",
            Tab::Search => "Search",
            Tab::Play => "Play",
            Tab::Ramsey => "Ramsey",
            Tab::Games => "Games",
        }
    }
}

/// How the app starts (`wgzero app`'s flags).
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    pub backend: BackendChoice,
    pub adapter: Option<String>,
    pub tab: Tab,
    /// Start a run at once: a new one with the default settings in this directory, or
    /// the run to resume.
    pub start: Option<RunSource>,
    /// Runs whose curves are overlaid from the start.
    pub compare: Vec<PathBuf>,
    /// Append one JSON line a second here: the frames drawn (for measurements).
    pub frame_stats: Option<PathBuf>,
    /// A tree file to open in the Search tab.
    pub open_tree: Option<PathBuf>,
}

/// Counts frames and, once a second, appends {"seconds", "frames", "fps", "tab",
/// "iteration"} to a file (`wgzero app --frame-stats FILE`).
struct FrameStats {
    path: PathBuf,
    started: web_time::Instant,
    window_start: web_time::Instant,
    frames: u32,
}

impl FrameStats {
    fn new(path: PathBuf) -> Self {
        let now = web_time::Instant::now();
        Self {
            path,
            started: now,
            window_start: now,
            frames: 0,
        }
    }

    /// Counts a frame; writes the line when a second is full (a failed write is dropped).
    fn frame(&mut self, tab: Tab, iteration: Option<u64>) {
        self.frames += 1;
        let window = self.window_start.elapsed().as_secs_f64();
        if window < 1.0 {
            return;
        }
        let line = serde_json::json!({
            "seconds": self.started.elapsed().as_secs_f64(),
            "frames": self.frames,
            "fps": self.frames as f64 / window,
            "tab": tab.title(),
            "iteration": iteration,
        });
        #[cfg(not(target_arch = "wasm32"))]
        {
            use std::io::Write;
            if let Ok(mut file) = crate::storage::File::open_append(&self.path) {
                let _ = writeln!(file, "{line}");
            }
        }
        // Not in a browser: there the log would only grow in memory (it is never synced,
        // so never stored).
        #[cfg(target_arch = "wasm32")]
        let _ = (line, &self.path);
        self.frames = 0;
        self.window_start = web_time::Instant::now();
    }
}

pub struct WgzeroApp {
    tab: Tab,
    compute: ComputeChoice,
    train: TrainTab,
    search: SearchTab,
    play: PlayTab,
    ramsey: RamseyTab,
    games: GamesTab,
    frame_stats: Option<FrameStats>,
}

impl WgzeroApp {
    /// Builds the app in eframe's creation context: decides where compute runs (eframe's
    /// device when it is a hardware GPU) and applies the options.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        // Panels are left unfilled and the frame is cleared to their colour instead
        // (`clear_color`): the same picture, without rasterizing the whole window every
        // frame, which a software renderer (lavapipe on two cores) pays for in training
        // throughput.
        cc.egui_ctx
            .all_styles_mut(|style| style.visuals.panel_fill = egui::Color32::TRANSPARENT);
        let compute = compute::choose_compute(
            options.backend,
            options.adapter.as_deref(),
            cc.wgpu_render_state.as_ref(),
        );
        let mut app = Self {
            tab: options.tab,
            compute,
            train: TrainTab::default(),
            search: SearchTab::default(),
            play: PlayTab::default(),
            ramsey: RamseyTab::default(),
            games: GamesTab::default(),
            frame_stats: options.frame_stats.clone().map(FrameStats::new),
        };
        for path in &options.compare {
            app.train.compare(path);
        }
        if let Some(path) = &options.open_tree {
            app.search.open_tree(path);
        }
        if let Some(source) = options.start {
            app.train.start(source, &app.compute.compute, &cc.egui_ctx);
        }
        app
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn set_tab(&mut self, tab: Tab) {
        self.tab = tab;
    }

    pub fn compute(&self) -> &ComputeChoice {
        &self.compute
    }

    pub fn train(&self) -> &TrainTab {
        &self.train
    }

    pub fn train_mut(&mut self) -> &mut TrainTab {
        &mut self.train
    }

    pub fn search(&self) -> &SearchTab {
        &self.search
    }

    pub fn search_mut(&mut self) -> &mut SearchTab {
        &mut self.search
    }

    pub fn play(&self) -> &PlayTab {
        &self.play
    }

    pub fn play_mut(&mut self) -> &mut PlayTab {
        &mut self.play
    }

    pub fn ramsey(&self) -> &RamseyTab {
        &self.ramsey
    }

    pub fn ramsey_mut(&mut self) -> &mut RamseyTab {
        &mut self.ramsey
    }

    pub fn games(&self) -> &GamesTab {
        &self.games
    }

    pub fn games_mut(&mut self) -> &mut GamesTab {
        &mut self.games
    }

    /// One line: the compute reason is cut with "…" where it does not fit and shown whole
    /// on hover (its accessible label stays whole), so the bar does not take a second
    /// line from the side panels (the browser's reason took two at 1280 px).
    fn status_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match self.train.status() {
                Some((iteration, seconds)) => {
                    let seconds = seconds.max(0.0) as u64;
                    ui.label(format!("iteration {iteration}"));
                    ui.separator();
                    ui.label(format!(
                        "elapsed {}:{:02}:{:02}",
                        seconds / 3600,
                        seconds / 60 % 60,
                        seconds % 60
                    ));
                }
                None => {
                    ui.label("no run");
                }
            }
            ui.separator();
            ui.label(format!(
                "adapter: {}",
                self.compute
                    .render_adapter
                    .as_deref()
                    .unwrap_or("none (no wgpu renderer)")
            ));
            ui.separator();
            ui.add(
                egui::Label::new(format!(
                    "compute: {} — {}",
                    self.compute.compute.name(),
                    self.compute.reason
                ))
                .truncate(),
            );
        });
    }
}

impl WgzeroApp {
    /// What the app shows, as JSON: the tab, where compute runs and why, and the active
    /// run's state and history. The browser build hands it to the page
    /// (`WebHandle::state`) for its tests and scripts.
    pub fn state_json(&self) -> serde_json::Value {
        let run = self.train.run.as_ref().map(|run| {
            serde_json::json!({
                "state": format!("{:?}", run.state),
                "description": run.description,
                "run_dir": run.run_dir,
                "iteration": run.iteration(),
                "history": run.history,
            })
        });
        let search = self.search.tree_file().map(|file| {
            serde_json::json!({
                "position": file.moves_to(file.tree.root),
                "simulations_done": file.simulations_done,
                "root": file.selection(file.tree.root),
            })
        });
        serde_json::json!({
            "tab": self.tab.title(),
            "search": {
                "network": self.search.network().map(|network| network.description.clone()),
                "position": self.search.position,
                "searching": self.search.is_searching(),
                "error": self.search.error,
                "tree": search,
            },
            "compute": self.compute.compute.name(),
            "compute_reason": self.compute.reason,
            "render_adapter": self.compute.render_adapter,
            "run": run,
            "error": self.train.error,
            // Files still on their way to the browser's storage (0 natively).
            "pending_stores": crate::storage::pending_stores(),
        })
    }
}

impl eframe::App for WgzeroApp {
    /// Lets the browser build's handle reach the app (`WebRunner::app_mut`).
    #[cfg(target_arch = "wasm32")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(&mut *self)
    }

    /// The panels' colour (they are drawn unfilled, over the clear).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        let theme = if visuals.dark_mode {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        };
        theme.panel_fill.to_normalized_gamma_f32()
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.train.poll();
        // In a browser, a change IndexedDB refused (its quota full): the files are still
        // in memory but would be lost on reload. Shown with the Train tab's errors.
        if let Some(error) = crate::storage::take_persistence_error() {
            self.train.error = Some(error);
        }
        // A training run changes something every moment (progress, elapsed time, the
        // curves): repaint about 11 times a second while it runs, on any tab.
        if self
            .train
            .run
            .as_ref()
            .is_some_and(|run| run.state == train::RunState::Running)
        {
            ctx.request_repaint_after(std::time::Duration::from_millis(90));
        }
        // The Search and Play tabs load their networks when first shown, and their
        // searches advance a slice per frame.
        let compute = self.compute.compute.clone();
        match self.tab {
            Tab::Search => self.search.tick(&compute, ctx),
            Tab::Play => self.play.tick(&compute, ctx),
            Tab::Train | Tab::Ramsey | Tab::Games => {}
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some(stats) = &mut self.frame_stats {
            stats.frame(
                self.tab,
                self.train.status().map(|(iteration, _)| iteration),
            );
        }
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("wgzero");
                ui.separator();
                for tab in Tab::ALL {
                    ui.selectable_value(&mut self.tab, tab, tab.title());
                }
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        let compute = self.compute.compute.clone();
        match self.tab {
            Tab::Train => self.train.train_ui(ui, &compute),
            Tab::Search => self.search.search_ui(ui, &compute),
            Tab::Play => self.play.play_ui(ui, &compute),
            Tab::Ramsey => {
                let active = self
                    .train
                    .run
                    .as_ref()
                    .and_then(|run| run.run_dir.as_deref().map(|dir| (dir, run.archived.0)));
                self.ramsey.refresh(active);
                egui::CentralPanel::default_margins().show(ui, |ui| self.ramsey.ramsey_ui(ui));
            }
            Tab::Games => {
                let active = self.train.run.as_ref().and_then(|run| run.run_dir.clone());
                self.games.refresh(active.as_deref());
                self.games.games_ui(ui);
            }
        }
    }
}

/// Opens the app's window (native) and runs until it is closed.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_native(options: AppOptions) -> Result<(), String> {
    let filter = crate::gpu::adapters::name_filter(options.adapter.as_deref());
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("wgzero")
            .with_inner_size([1280.0, 800.0]),
        wgpu_options: compute::wgpu_configuration(filter),
        dithering: false,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "wgzero",
        native,
        Box::new(move |cc| Ok(Box::new(WgzeroApp::new(cc, options)))),
    )
    .map_err(|error| format!("the window could not open: {error}"))
}
