//! The Train tab: start a run (or open one and resume it), pause, resume and stop it,
//! watch its curves live, and overlay other runs' curves for comparison.

mod driver;
mod form;
mod plots;

use std::path::{Path, PathBuf};

use eframe::egui;
use web_time::Instant;

pub use driver::{RunDriver, RunSource, RunUpdate};
pub use form::RunForm;
pub use plots::{XAxis, plot_titles, point_counts};

use crate::backend::Compute;
use crate::run_dir::metrics::{IterationMetrics, read_history};
use crate::storage;
use crate::train::{TrainConfig, TrainerEvent};

/// Where the active run stands.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    Preparing(String),
    Running,
    Paused,
    Stopped,
    Failed(String),
}

/// The run the tab drives.
pub struct ActiveRun {
    driver: RunDriver,
    pub state: RunState,
    pub description: String,
    pub run_dir: Option<PathBuf>,
    pub config: Option<TrainConfig>,
    pub history: Vec<IterationMetrics>,
    /// The phase in progress inside the iteration: (name, done, total).
    pub progress: Option<(String, u64, u64)>,
    /// Counterexamples archived this session, and of those new up to isomorphism.
    pub archived: (u64, u64),
    /// When the state last changed, and the run's elapsed seconds then (for a live clock).
    clock: (Instant, f64),
}

impl ActiveRun {
    /// The run's elapsed seconds, live while it runs.
    pub fn elapsed_seconds(&self) -> f64 {
        let (since, base) = self.clock;
        match self.state {
            RunState::Running | RunState::Preparing(_) => base + since.elapsed().as_secs_f64(),
            _ => base,
        }
    }

    fn restart_clock(&mut self) {
        self.clock = (Instant::now(), self.elapsed_seconds());
    }

    pub fn iteration(&self) -> u64 {
        self.history.last().map_or(0, |m| m.iteration)
    }

    fn apply(&mut self, update: RunUpdate) {
        match update {
            RunUpdate::Preparing(what) => self.state = RunState::Preparing(what),
            RunUpdate::Started {
                description,
                run_dir,
                config,
                history,
            } => {
                self.description = description;
                self.run_dir = Some(run_dir);
                self.config = Some(*config);
                let base = history.last().map_or(0.0, |m| m.elapsed_seconds);
                self.history = history;
                self.state = RunState::Running;
                self.clock = (Instant::now(), base);
            }
            RunUpdate::Event(event) => match event {
                TrainerEvent::Progress { phase, done, total } => {
                    self.progress = Some((phase.to_owned(), done, total));
                }
                TrainerEvent::Iteration(metrics) => {
                    self.clock = (Instant::now(), metrics.elapsed_seconds);
                    self.history.push(*metrics);
                    self.progress = None;
                }
                TrainerEvent::Archived {
                    new_up_to_isomorphism,
                    ..
                } => {
                    self.archived.0 += 1;
                    self.archived.1 += u64::from(new_up_to_isomorphism);
                }
                TrainerEvent::Checkpoint { .. } | TrainerEvent::ReplaySaved { .. } => {}
            },
            RunUpdate::Paused => {
                self.restart_clock();
                self.state = RunState::Paused;
            }
            RunUpdate::Resumed => {
                self.restart_clock();
                self.state = RunState::Running;
            }
            RunUpdate::Stopped { .. } => {
                self.restart_clock();
                self.state = RunState::Stopped;
            }
            RunUpdate::Failed(error) => {
                self.restart_clock();
                self.state = RunState::Failed(error);
            }
        }
    }

    fn is_live(&self) -> bool {
        matches!(
            self.state,
            RunState::Preparing(_) | RunState::Running | RunState::Paused
        )
    }
}

/// A run opened for comparison.
pub struct ComparedRun {
    pub name: String,
    pub run_dir: PathBuf,
    pub history: Vec<IterationMetrics>,
}

#[derive(Default)]
pub struct TrainTab {
    pub form: RunForm,
    pub run: Option<ActiveRun>,
    pub compared: Vec<ComparedRun>,
    /// The path typed into "Open a run directory".
    pub open_path: String,
    /// The last error to show (bad settings, a run directory that does not open).
    pub error: Option<String>,
    pub x_axis: XAxis,
}

/// A short name for a run directory.
fn run_name(run_dir: &Path) -> String {
    run_dir.file_name().map_or_else(
        || run_dir.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn default_run_dir(config: &TrainConfig) -> PathBuf {
    let seconds = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!("{}-{seconds}", config.game.info().label()))
}

/// What a failed run keeps: its latest checkpoint, and how to continue from it.
fn kept_checkpoint_line(run_dir: &Path) -> String {
    let resume = if cfg!(target_arch = "wasm32") {
        "Resume last run continues from there"
    } else {
        "Resume run (under Open a run directory) or `wgzero train --resume` continues from there"
    };
    match crate::run_dir::checkpoint::latest_iteration(run_dir) {
        Some(iteration) => format!("its checkpoint of iteration {iteration} is kept; {resume}"),
        None => "it saved no checkpoint before failing".to_owned(),
    }
}

/// Run directories under `runs/` (those with a metrics log), newest first.
fn recent_runs() -> Vec<PathBuf> {
    let Ok(entries) = storage::read_dir("runs") else {
        return Vec::new();
    };
    let mut runs: Vec<(web_time::SystemTime, PathBuf)> = entries
        .into_iter()
        .filter(|path| storage::is_file(path.join(crate::run_dir::metrics::JSONL_FILE)))
        .map(|path| {
            let modified = storage::metadata(path.join(crate::run_dir::metrics::JSONL_FILE))
                .ok()
                .and_then(|metadata| metadata.modified)
                .unwrap_or(web_time::UNIX_EPOCH);
            (modified, path)
        })
        .collect();
    runs.sort_by_key(|run| std::cmp::Reverse(run.0));
    runs.into_iter().map(|(_, path)| path).take(20).collect()
}

impl TrainTab {
    /// Collects the driver's updates (every frame, before drawing).
    pub fn poll(&mut self) {
        if let Some(run) = &mut self.run {
            for update in run.driver.poll() {
                run.apply(update);
            }
        }
    }

    /// Starts a run from `source` on `compute`.
    pub fn start(&mut self, source: RunSource, compute: &Compute, ctx: &egui::Context) {
        self.error = None;
        let run_dir = match &source {
            RunSource::New { run_dir, .. } | RunSource::Resume { run_dir } => run_dir.clone(),
        };
        self.compared.retain(|c| c.run_dir != run_dir);
        self.run = Some(ActiveRun {
            driver: RunDriver::start(source, compute.clone(), ctx.clone()),
            state: RunState::Preparing("starting".into()),
            description: String::new(),
            run_dir: Some(run_dir),
            config: None,
            history: Vec::new(),
            progress: None,
            archived: (0, 0),
            clock: (Instant::now(), 0.0),
        });
    }

    fn start_new(&mut self, compute: &Compute, ctx: &egui::Context) {
        match self.form.config() {
            Ok(config) => {
                let run_dir = if self.form.run_dir.trim().is_empty() {
                    default_run_dir(&config)
                } else {
                    PathBuf::from(self.form.run_dir.trim())
                };
                self.start(RunSource::New { config, run_dir }, compute, ctx);
            }
            Err(error) => self.error = Some(format!("{} ({})", error, error.flag)),
        }
    }

    /// Opens `path`'s metrics for comparison.
    pub fn compare(&mut self, path: &Path) {
        match read_history(path) {
            Ok(history) => {
                self.compared.retain(|c| c.run_dir != path);
                self.compared.push(ComparedRun {
                    name: run_name(path),
                    run_dir: path.to_owned(),
                    history,
                });
                self.error = None;
            }
            Err(error) => self.error = Some(error.to_string()),
        }
    }

    /// The iteration and elapsed seconds for the status bar, if a run is open.
    pub fn status(&self) -> Option<(u64, f64)> {
        self.run
            .as_ref()
            .map(|run| (run.iteration(), run.elapsed_seconds()))
    }

    /// The active run's directory, if any.
    pub fn run_dir(&self) -> Option<&Path> {
        self.run.as_ref().and_then(|run| run.run_dir.as_deref())
    }

    pub fn train_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        let ctx = ui.ctx().clone();
        egui::Panel::left("train settings")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.controls_ui(ui, compute, &ctx);
                });
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.progress_ui(ui);
            ui.horizontal(|ui| {
                ui.label("x axis:");
                ui.selectable_value(&mut self.x_axis, XAxis::Iteration, "iteration");
                ui.selectable_value(&mut self.x_axis, XAxis::Minutes, "minutes");
            });
            let mut runs = Vec::new();
            let live_name = self
                .run_dir()
                .map(run_name)
                .unwrap_or_else(|| "run".to_owned());
            if let Some(run) = &self.run {
                runs.push(plots::Curves {
                    name: &live_name,
                    history: &run.history,
                    live: true,
                });
            }
            for compared in &self.compared {
                runs.push(plots::Curves {
                    name: &compared.name,
                    history: &compared.history,
                    live: false,
                });
            }
            egui::ScrollArea::vertical().show(ui, |ui| plots::plots_ui(ui, &runs, self.x_axis));
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, compute: &Compute, ctx: &egui::Context) {
        let recent = recent_runs();
        let live = self.run.as_ref().is_some_and(ActiveRun::is_live);
        ui.heading("Run");
        ui.horizontal(|ui| {
            let state = self.run.as_ref().map(|run| run.state.clone());
            if ui
                .add_enabled(!live, egui::Button::new("Start"))
                .on_hover_text("Start a new run with the settings below")
                .clicked()
            {
                self.start_new(compute, ctx);
            }
            if ui
                .add_enabled(state == Some(RunState::Running), egui::Button::new("Pause"))
                .clicked()
                && let Some(run) = &mut self.run
            {
                run.driver.pause();
            }
            if ui
                .add_enabled(state == Some(RunState::Paused), egui::Button::new("Resume"))
                .clicked()
                && let Some(run) = &mut self.run
            {
                run.driver.resume();
            }
            if ui
                .add_enabled(live, egui::Button::new("Stop"))
                .on_hover_text(
                    "End this session; the run directory keeps the last finished iteration's \
                     checkpoint, and Open → Resume continues it",
                )
                .clicked()
                && let Some(run) = &mut self.run
            {
                run.driver.stop();
            }
        });
        #[cfg(target_arch = "wasm32")]
        self.browser_ui(ui, compute, ctx, recent.first());
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.separator();
        ui.add_enabled_ui(!live, |ui| {
            ui.heading("New run");
            self.form.form_ui(ui);
        });
        ui.separator();
        let label = ui.heading("Open a run directory");
        ui.add(
            egui::TextEdit::singleline(&mut self.open_path)
                .hint_text("runs/…")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            let path = PathBuf::from(self.open_path.trim());
            let given = !self.open_path.trim().is_empty();
            if ui
                .add_enabled(given && !live, egui::Button::new("Resume run"))
                .on_hover_text("Continue this run from its latest checkpoint")
                .clicked()
            {
                self.start(
                    RunSource::Resume {
                        run_dir: path.clone(),
                    },
                    compute,
                    ctx,
                );
            }
            if ui
                .add_enabled(given, egui::Button::new("Compare"))
                .on_hover_text("Overlay this run's curves")
                .clicked()
            {
                self.compare(&path);
            }
        });
        if !recent.is_empty() {
            egui::CollapsingHeader::new("Runs in runs/")
                .default_open(false)
                .show(ui, |ui| {
                    for path in recent {
                        if ui.link(path.display().to_string()).clicked() {
                            self.open_path = path.display().to_string();
                        }
                    }
                });
        }
        if !self.compared.is_empty() {
            ui.separator();
            ui.heading("Compared runs");
            let mut remove = None;
            for (index, compared) in self.compared.iter().enumerate() {
                ui.horizontal(|ui| {
                    ui.label(format!(
                        "{} ({} iterations)",
                        compared.name,
                        compared.history.len()
                    ));
                    if ui.small_button("✕").on_hover_text("Remove").clicked() {
                        remove = Some(index);
                    }
                });
            }
            if let Some(index) = remove {
                self.compared.remove(index);
            }
        }
    }

    /// The browser's extras: the run this browser keeps (runs live in its storage, so a
    /// reload finds them) offered for resuming, and the active run's latest checkpoint
    /// handed out as its two files.
    #[cfg(target_arch = "wasm32")]
    fn browser_ui(
        &mut self,
        ui: &mut egui::Ui,
        compute: &Compute,
        ctx: &egui::Context,
        last: Option<&PathBuf>,
    ) {
        let failed = self
            .run
            .as_ref()
            .is_some_and(|run| matches!(run.state, RunState::Failed(_)));
        if (self.run.is_none() || failed)
            && let Some(last) = last
        {
            ui.horizontal_wrapped(|ui| {
                let saved = crate::run_dir::checkpoint::latest_iteration(last)
                    .map(|iteration| format!(" (checkpoint of iteration {iteration})"))
                    .unwrap_or_default();
                ui.label(format!(
                    "This browser keeps the run {}{saved}.",
                    last.display()
                ));
                if ui
                    .button("Resume last run")
                    .on_hover_text("Continue it from its latest checkpoint")
                    .clicked()
                {
                    self.start(
                        RunSource::Resume {
                            run_dir: last.clone(),
                        },
                        compute,
                        ctx,
                    );
                }
            });
        }
        let run_dir = self.run_dir().map(Path::to_path_buf);
        let saved = self.run.as_ref().is_some_and(|run| !run.history.is_empty());
        if ui
            .add_enabled(saved, egui::Button::new("Download checkpoint"))
            .on_hover_text(
                "The latest checkpoint's two files (ckpt-<iteration>.json and .safetensors), \
                 which `wgzero` on a desktop loads and resumes",
            )
            .clicked()
            && let Some(run_dir) = run_dir
        {
            let downloaded = crate::app::transfer::export_pair(&run_dir).and_then(|files| {
                files.iter().try_for_each(|(name, bytes)| {
                    crate::app::transfer::browser::download(name, bytes)
                })
            });
            if let Err(error) = downloaded {
                self.error = Some(format!("the checkpoint could not be downloaded: {error}"));
            }
        }
    }

    fn progress_ui(&self, ui: &mut egui::Ui) {
        let Some(run) = &self.run else {
            ui.label("No run yet: choose the settings on the left and press Start, or open a run directory.");
            return;
        };
        if let Some(dir) = &run.run_dir {
            ui.label(format!("Run directory: {}", dir.display()));
        }
        if !run.description.is_empty() {
            ui.label(&run.description);
        }
        match &run.state {
            RunState::Preparing(what) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{what} ({:.0} s)", run.elapsed_seconds()));
                });
            }
            RunState::Running | RunState::Paused => {
                let paused = run.state == RunState::Paused;
                match &run.progress {
                    Some((phase, done, total)) if *total > 0 => {
                        let fraction = *done as f32 / *total as f32;
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .text(format!(
                                    "iteration {}: {phase} {done}/{total}{}",
                                    run.iteration() + 1,
                                    if paused { " (paused)" } else { "" }
                                ))
                                .desired_width(ui.available_width().min(600.0)),
                        );
                    }
                    _ => {
                        ui.label(if paused {
                            "paused"
                        } else {
                            "starting the next iteration"
                        });
                    }
                }
            }
            RunState::Stopped => {
                ui.label(format!(
                    "stopped after iteration {}; Resume continues it",
                    run.iteration()
                ));
            }
            RunState::Failed(error) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("the run failed: {error}"),
                );
                if let Some(dir) = &run.run_dir {
                    ui.label(kept_checkpoint_line(dir));
                }
            }
        }
        if let Some(last) = run.history.last() {
            ui.label(last.summary_line());
        }
        if run.archived.0 > 0 {
            ui.label(format!(
                "{} counterexamples archived this session, {} new up to isomorphism",
                run.archived.0, run.archived.1
            ));
        }
    }
}
