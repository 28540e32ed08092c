//! `<run dir>/plots.png`: the run's curves against the iteration, redrawn from the whole
//! metric history every iteration and replaced atomically (a viewer never sees half an
//! image). Six panels: losses and policy entropy, optimal-move accuracy against the
//! solver, win and draw rates, throughput (log scale), game length, counterexamples.
//!
//! Text is drawn with a font embedded in the binary (`assets/fonts/`, DejaVu Sans cut to
//! Latin-1), so plotting works on a machine without any font installed.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use super::metrics::IterationMetrics;
use super::{RunDirError, durable};

/// File name of the plots inside a run directory.
pub const PLOTS_FILE: &str = "plots.png";
/// Size of the image, pixels.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 1200;

/// The family plotters' default text styles ask for; the embedded font is registered
/// under it.
pub(crate) const FONT_FAMILY: &str = "sans-serif";
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

pub(crate) const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One curve: its legend and its points (iteration, value), non-finite values left out.
struct Series {
    label: &'static str,
    points: Vec<(f64, f64)>,
}

impl Series {
    fn new(
        label: &'static str,
        history: &[IterationMetrics],
        value: impl Fn(&IterationMetrics) -> Option<f64>,
    ) -> Self {
        let points = history
            .iter()
            .filter_map(|record| Some((record.iteration as f64, value(record)?)))
            .filter(|(_, value)| value.is_finite())
            .collect();
        Self { label, points }
    }

    fn percent(
        label: &'static str,
        history: &[IterationMetrics],
        share: impl Fn(&IterationMetrics) -> Option<f64>,
    ) -> Self {
        Self::new(label, history, |record| share(record).map(|s| 100.0 * s))
    }
}

/// How a panel's value axis is laid out.
enum Axis {
    /// From 0 to a little above the largest value.
    FromZero,
    /// 0 to 100.
    Percent,
    /// Logarithmic, around the positive values.
    Logarithmic,
}

struct Panel {
    title: &'static str,
    axis: Axis,
    series: Vec<Series>,
}

fn panels(history: &[IterationMetrics]) -> [Panel; 6] {
    [
        Panel {
            title: "Losses and policy entropy (nats)",
            axis: Axis::FromZero,
            series: vec![
                Series::new("loss", history, |r| Some(r.loss)),
                Series::new("policy loss", history, |r| Some(r.policy_loss)),
                Series::new("value loss", history, |r| Some(r.value_loss)),
                Series::new("policy entropy", history, |r| Some(r.policy_entropy)),
            ],
        },
        Panel {
            title: "Optimal-move accuracy vs the solver (%)",
            axis: Axis::Percent,
            series: vec![
                Series::percent("raw policy", history, |r| r.policy_accuracy),
                Series::percent("with search", history, |r| r.search_accuracy),
            ],
        },
        Panel {
            title: "Win and draw rates (%)",
            axis: Axis::Percent,
            series: vec![
                Series::percent("self-play: first player wins", history, |r| {
                    Some(r.first_player_win_rate)
                }),
                Series::percent("self-play: draws", history, |r| Some(r.draw_rate)),
                Series::percent("vs random: wins", history, |r| r.random_win_rate),
                Series::percent("vs previous: wins", history, |r| r.previous_win_rate),
                Series::percent("vs previous: draws", history, |r| r.previous_draw_rate),
            ],
        },
        Panel {
            title: "Throughput (per second, log scale)",
            axis: Axis::Logarithmic,
            series: vec![
                Series::new("positions", history, |r| Some(r.positions_per_second)),
                Series::new("network evaluations", history, |r| {
                    Some(r.evaluations_per_second)
                }),
            ],
        },
        Panel {
            title: "Mean self-play game length (moves)",
            axis: Axis::FromZero,
            series: vec![Series::new("game length", history, |r| {
                Some(r.mean_game_length)
            })],
        },
        Panel {
            title: "Counterexamples found",
            axis: Axis::FromZero,
            series: vec![
                Series::new("total", history, |r| Some(r.counterexamples_total as f64)),
                Series::new("distinct up to isomorphism", history, |r| {
                    Some(r.counterexamples_distinct as f64)
                }),
            ],
        },
    ]
}

/// Registers the embedded font under [`FONT_FAMILY`] (once per process).
pub(crate) fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if registered {
        Ok(())
    } else {
        Err("the embedded font could not be read".to_owned())
    }
}

/// Draws the curves of `history` as a PNG image of [`WIDTH`] × [`HEIGHT`] pixels (RGB).
pub fn render_png(history: &[IterationMetrics]) -> Result<Vec<u8>, String> {
    register_font()?;
    let mut pixels = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let iterations = iteration_range(history);
        for (area, panel) in root.split_evenly((3, 2)).iter().zip(panels(history)) {
            draw_panel(area, &panel, iterations.clone()).map_err(|error| error.to_string())?;
        }
        root.present().map_err(|error| error.to_string())?;
    }
    encode_png(&pixels, WIDTH, HEIGHT)
}

/// RGB `pixels` of `width` × `height` as PNG bytes.
pub(crate) fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|error| error.to_string())?;
    writer
        .write_image_data(pixels)
        .map_err(|error| error.to_string())?;
    writer.finish().map_err(|error| error.to_string())?;
    Ok(png_bytes)
}

/// Redraws `<run_dir>/plots.png` from `history`, atomically. Returns its path.
pub fn write_plots(run_dir: &Path, history: &[IterationMetrics]) -> Result<PathBuf, RunDirError> {
    let path = run_dir.join(PLOTS_FILE);
    let png_bytes = render_png(history).map_err(|reason| RunDirError::Plot {
        path: path.clone(),
        reason,
    })?;
    durable::write_atomically(&path, &png_bytes)?;
    Ok(path)
}

fn iteration_range(history: &[IterationMetrics]) -> Range<f64> {
    let first = history.iter().map(|r| r.iteration).min().unwrap_or(0) as f64;
    let last = history.iter().map(|r| r.iteration).max().unwrap_or(1) as f64;
    first..last.max(first + 1.0)
}

type DrawError = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    panel: &Panel,
    iterations: Range<f64>,
) -> Result<(), String> {
    let values = panel.series.iter().flat_map(|series| &series.points);
    let to_string = |error: DrawError| error.to_string();
    match panel.axis {
        Axis::Percent => draw_chart(area, panel, iterations, 0.0..100.0).map_err(to_string),
        Axis::FromZero => {
            let largest = values.map(|&(_, value)| value).fold(0.0, f64::max);
            let top = if largest > 0.0 { largest * 1.1 } else { 1.0 };
            draw_chart(area, panel, iterations, 0.0..top).map_err(to_string)
        }
        Axis::Logarithmic => {
            let positive: Vec<f64> = values
                .map(|&(_, value)| value)
                .filter(|&value| value > 0.0)
                .collect();
            let smallest = positive.iter().copied().fold(f64::INFINITY, f64::min);
            let largest = positive.iter().copied().fold(0.0, f64::max);
            let range = if positive.is_empty() {
                1.0..10.0
            } else {
                smallest / 2.0..largest * 2.0
            };
            draw_chart(area, panel, iterations, range.log_scale()).map_err(to_string)
        }
    }
}

/// `1.5M`, `12k`, `950`, `2.5`, `0.25`: short axis labels.
fn compact_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1e6 {
        format!("{}M", trimmed(value / 1e6))
    } else if magnitude >= 1e4 {
        format!("{}k", trimmed(value / 1e3))
    } else {
        trimmed(value)
    }
}

/// At most two decimals, without trailing zeros.
fn trimmed(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn draw_chart<Y>(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    panel: &Panel,
    iterations: Range<f64>,
    values: Y,
) -> Result<(), DrawError>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, (FONT_FAMILY, 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(iterations, values)?;
    let x_range = chart.x_range();
    let span = (x_range.end - x_range.start).round() as usize;
    chart
        .configure_mesh()
        .x_desc("iteration")
        .x_labels((span + 1).min(10))
        .x_label_formatter(&|iteration| format!("{iteration:.0}"))
        .y_label_formatter(&|&value| compact_number(value))
        .label_style((FONT_FAMILY, 12))
        .axis_desc_style((FONT_FAMILY, 13))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    let mut drew_any = false;
    for (series, color) in panel.series.iter().zip(COLORS.iter().cycle()) {
        if series.points.is_empty() {
            continue;
        }
        drew_any = true;
        let color = *color;
        chart
            .draw_series(LineSeries::new(
                series.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(series.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        // A lone point draws no line: mark the points while they are few.
        if series.points.len() < 30 {
            chart.draw_series(
                series
                    .points
                    .iter()
                    .map(|&point| Circle::new(point, 3, color.filled())),
            )?;
        }
    }
    if drew_any {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT_FAMILY, 12))
            .draw()?;
    } else {
        area.draw(&Text::new(
            "not measured yet",
            (
                area.dim_in_pixel().0 as i32 / 2 - 50,
                area.dim_in_pixel().1 as i32 / 2,
            ),
            (FONT_FAMILY, 14).into_font().color(&BLACK.mix(0.5)),
        ))?;
    }
    Ok(())
}
