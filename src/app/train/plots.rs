//! The live curves of a run, with other runs overlaid for comparison: losses, accuracy
//! against the solver, win and draw rates, throughput (positions and evaluations a
//! second), counterexamples.

use eframe::egui;
use egui_plot::{Legend, Line, LineStyle, Plot, PlotPoints, Points};

use crate::run_dir::metrics::IterationMetrics;

/// A run's history under a name.
pub struct Curves<'a> {
    pub name: &'a str,
    pub history: &'a [IterationMetrics],
    /// The run being trained (solid lines); compared runs are dashed.
    pub live: bool,
}

/// What the x axis counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    #[default]
    Iteration,
    Minutes,
}

type Series = (&'static str, fn(&IterationMetrics) -> Option<f64>);

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// The plots, each a title and its series.
const PLOTS: [(&str, &[Series]); 6] = [
    (
        "Losses",
        &[
            ("loss", |m| finite(m.loss)),
            ("policy loss", |m| finite(m.policy_loss)),
            ("value loss", |m| finite(m.value_loss)),
        ],
    ),
    (
        "Accuracy against the solver",
        &[
            ("raw policy", |m| m.policy_accuracy),
            ("with search", |m| m.search_accuracy),
        ],
    ),
    (
        "Win and draw rates",
        &[
            ("wins vs random", |m| m.random_win_rate),
            ("wins vs previous", |m| m.previous_win_rate),
            ("draws vs previous", |m| m.previous_draw_rate),
            ("self-play first-player wins", |m| {
                finite(m.first_player_win_rate)
            }),
            ("self-play draws", |m| finite(m.draw_rate)),
        ],
    ),
    (
        "Self-play positions/s",
        &[("positions/s", |m| finite(m.positions_per_second))],
    ),
    (
        "Network evaluations/s",
        &[("evaluations/s", |m| finite(m.evaluations_per_second))],
    ),
    (
        "Counterexamples found",
        &[
            ("total", |m| Some(m.counterexamples_total as f64)),
            ("distinct up to isomorphism", |m| {
                Some(m.counterexamples_distinct as f64)
            }),
        ],
    ),
];

/// The titles of the plots, in order (what tests look for).
pub fn plot_titles() -> impl Iterator<Item = &'static str> {
    PLOTS.iter().map(|(title, _)| *title)
}

/// Points of one series of one run.
fn points(history: &[IterationMetrics], x_axis: XAxis, series: &Series) -> Vec<[f64; 2]> {
    history
        .iter()
        .filter_map(|m| {
            let x = match x_axis {
                XAxis::Iteration => m.iteration as f64,
                XAxis::Minutes => m.elapsed_seconds / 60.0,
            };
            (series.1)(m).map(|y| [x, y])
        })
        .collect()
}

/// Draws every plot in a grid of two columns.
pub fn plots_ui(ui: &mut egui::Ui, runs: &[Curves<'_>], x_axis: XAxis) {
    let width = (ui.available_width() / 2.0 - 12.0).max(200.0);
    let height = ((ui.available_height() - 60.0) / 3.0).clamp(140.0, 320.0);
    let x_label = match x_axis {
        XAxis::Iteration => "iteration",
        XAxis::Minutes => "minutes",
    };
    let link = egui::Id::unique("wgzero plots: linked x");
    egui::Grid::new("plots")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            for (index, (title, series)) in PLOTS.iter().enumerate() {
                ui.vertical(|ui| {
                    ui.label(egui::RichText::new(*title).strong());
                    // No filled background and grid lines at least 40 points apart
                    // (egui_plot's defaults: filled, 8): the same curves for half the
                    // pixels drawn, which a software renderer pays for in training
                    // throughput (docs/PERFORMANCE.md, "The app").
                    Plot::new(*title)
                        .show_background(false)
                        .grid_spacing(40.0..=300.0)
                        .legend(Legend::default())
                        .width(width)
                        .height(height)
                        .x_axis_label(x_label)
                        .link_axis(link, [true, false])
                        .show(ui, |plot| {
                            for run in runs {
                                for s in series.iter() {
                                    let name = if runs.len() > 1 {
                                        format!("{}: {}", run.name, s.0)
                                    } else {
                                        s.0.to_owned()
                                    };
                                    let data = points(run.history, x_axis, s);
                                    // A series of one point (the first iteration's) shows
                                    // as a marker; from two on, as a line.
                                    if data.len() == 1 {
                                        plot.points(
                                            Points::new(name, PlotPoints::from(data)).radius(3.0),
                                        );
                                        continue;
                                    }
                                    let line = Line::new(name, PlotPoints::from(data));
                                    plot.line(if run.live {
                                        line
                                    } else {
                                        line.style(LineStyle::dashed_loose())
                                    });
                                }
                            }
                        });
                });
                if index % 2 == 1 {
                    ui.end_row();
                }
            }
        });
}

/// Per plot, the points of its longest series for `history` (a curve needs two).
pub fn point_counts(history: &[IterationMetrics]) -> Vec<(&'static str, usize)> {
    PLOTS
        .iter()
        .map(|(title, series)| {
            let points = series
                .iter()
                .map(|s| points(history, XAxis::Iteration, s).len())
                .max()
                .unwrap_or(0);
            (*title, points)
        })
        .collect()
}
