//! Strength over training time: every match a run directory's checkpoint plays is
//! appended to `<run dir>/arena/results.jsonl` (with the checkpoint's iteration and
//! training minutes), and `<run dir>/arena/elo.png` plots the Elo difference against each
//! opponent over training minutes, with the 95 % intervals. A long run trained in many
//! resumed calls gets its curve by running the arena after each call.

use std::io::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::ArenaError;
use crate::run_dir::durable;
use crate::run_dir::plots::{COLORS, FONT_FAMILY, encode_png, register_font};

/// The results file and the plot, inside a run directory's `arena/` folder.
pub const RESULTS_FILE: &str = "results.jsonl";
pub const PLOT_FILE: &str = "elo.png";
const WIDTH: u32 = 1000;
/// The chart's height; the legend goes below it, a row per curve.
const CHART_HEIGHT: u32 = 560;
const LEGEND_ROW: u32 = 20;
const LEGEND_MARGIN: u32 = 12;
/// The Elo axis ends at most this far from 0; longer intervals are cut at the edge.
const ELO_SPAN: f64 = 1200.0;

/// One match of one checkpoint, as `results.jsonl` keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultLine {
    pub iteration: u64,
    pub training_minutes: f64,
    /// The opponent and its budget.
    pub opponent: String,
    /// The checkpoint's budget ("800 simulations per move, batch 16").
    pub budget: String,
    pub games: u32,
    pub wins: u32,
    pub draws: u32,
    pub losses: u32,
    pub score: f64,
    pub elo: Option<f64>,
    pub elo_low: Option<f64>,
    pub elo_high: Option<f64>,
    pub unix_seconds: u64,
}

fn arena_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("arena")
}

/// Appends `line` to the run's results, flushed to disk.
pub fn append(run_dir: &Path, line: &ResultLine) -> Result<(), ArenaError> {
    let directory = arena_dir(run_dir);
    std::fs::create_dir_all(&directory)?;
    let path = directory.join(RESULTS_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let mut text =
        serde_json::to_string(line).map_err(|error| ArenaError::Settings(error.to_string()))?;
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    Ok(())
}

/// Every result of the run so far (a torn last line, from a kill mid-write, is skipped).
pub fn read(run_dir: &Path) -> Result<Vec<ResultLine>, ArenaError> {
    let path = arena_dir(run_dir).join(RESULTS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error.into()),
    };
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// Redraws `<run dir>/arena/elo.png` from every result, atomically; returns its path.
pub fn write_plot(run_dir: &Path) -> Result<PathBuf, ArenaError> {
    let results = read(run_dir)?;
    let path = arena_dir(run_dir).join(PLOT_FILE);
    let png = render_png(&results).map_err(|reason| {
        ArenaError::Settings(format!("cannot draw {}: {reason}", path.display()))
    })?;
    durable::write_atomically(&path, &png)
        .map_err(|error| ArenaError::Settings(error.to_string()))?;
    Ok(path)
}

/// The picture's height with the legend of `curves` curves below the chart.
fn height(curves: usize) -> u32 {
    CHART_HEIGHT + 2 * LEGEND_MARGIN + curves as u32 * LEGEND_ROW
}

/// A point of the curve: (minutes, Elo, interval low, interval high, whether the Elo is a
/// bound). A clean sweep has no finite Elo: it is drawn at its interval's finite end (a
/// hollow marker).
fn point(line: &ResultLine) -> Option<(f64, f64, f64, f64, bool)> {
    let elo = line.elo.or(if line.score >= 1.0 {
        line.elo_low
    } else {
        line.elo_high
    })?;
    let low = line.elo_low.unwrap_or(elo);
    let high = line.elo_high.unwrap_or(elo);
    Some((line.training_minutes, elo, low, high, line.elo.is_none()))
}

/// The plot: Elo against training minutes, one series per opponent and checkpoint budget,
/// in the order they first appear, each its own colour (up to 10), the legend below.
pub fn render_png(results: &[ResultLine]) -> Result<Vec<u8>, String> {
    register_font()?;
    // One curve per opponent and budget: only those results are comparable.
    let key = |line: &ResultLine| format!("{} (checkpoint: {})", line.opponent, line.budget);
    let mut curves: Vec<String> = Vec::new();
    for line in results {
        if !curves.contains(&key(line)) {
            curves.push(key(line));
        }
    }
    let points: Vec<(f64, f64, f64, f64, bool)> = results.iter().filter_map(point).collect();
    let minutes_end = points.iter().map(|p| p.0).fold(0.0, f64::max).max(1.0) * 1.05;
    // Intervals of a few games can span thousands of Elo: the axis stops at ±ELO_SPAN.
    let low = (points.iter().map(|p| p.2).fold(-100.0, f64::min) - 50.0).max(-ELO_SPAN);
    let high = (points.iter().map(|p| p.3).fold(100.0, f64::max) + 50.0).min(ELO_SPAN);
    let height = height(curves.len());
    let mut pixels = vec![0u8; WIDTH as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        let text = |error: DrawingAreaErrorKind<_>| error.to_string();
        root.fill(&WHITE).map_err(text)?;
        let (upper, legend) = root.split_vertically(CHART_HEIGHT);
        let mut chart = ChartBuilder::on(&upper)
            .caption(
                "Elo difference against each opponent (95 % intervals; hollow: a sweep's bound)",
                (FONT_FAMILY, 20),
            )
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..minutes_end, low..high)
            .map_err(text)?;
        chart
            .configure_mesh()
            .x_desc("training minutes")
            .y_desc("Elo")
            .y_label_formatter(&|elo| format!("{elo:+.0}"))
            .label_style((FONT_FAMILY, 13))
            .axis_desc_style((FONT_FAMILY, 14))
            .draw()
            .map_err(text)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (minutes_end, 0.0)],
                BLACK.mix(0.3),
            ))
            .map_err(text)?;
        for (row, (curve, color)) in curves.iter().zip(COLORS.iter().cycle()).enumerate() {
            let clip = |elo: f64| elo.clamp(low, high);
            let mut series: Vec<(f64, f64, f64, f64, bool)> = results
                .iter()
                .filter(|line| key(line) == *curve)
                .filter_map(point)
                .map(|(minutes, elo, low, high, bound)| {
                    (minutes, clip(elo), clip(low), clip(high), bound)
                })
                .collect();
            series.sort_by(|a, b| a.0.total_cmp(&b.0));
            let color = *color;
            chart
                .draw_series(LineSeries::new(
                    series.iter().map(|p| (p.0, p.1)),
                    color.stroke_width(2),
                ))
                .map_err(text)?;
            let y = (LEGEND_MARGIN + row as u32 * LEGEND_ROW + LEGEND_ROW / 2) as i32;
            legend
                .draw(&PathElement::new(
                    vec![(70, y), (100, y)],
                    color.stroke_width(3),
                ))
                .map_err(text)?;
            legend
                .draw(&Text::new(
                    curve.as_str(),
                    (110, y - 7),
                    (FONT_FAMILY, 13).into_font().color(&BLACK),
                ))
                .map_err(text)?;
            chart
                .draw_series(
                    series.iter().map(|p| {
                        PathElement::new(vec![(p.0, p.2), (p.0, p.3)], color.stroke_width(1))
                    }),
                )
                .map_err(text)?;
            chart
                .draw_series(series.iter().map(|p| {
                    let style = if p.4 {
                        color.stroke_width(2)
                    } else {
                        color.filled()
                    };
                    Circle::new((p.0, p.1), 4, style)
                }))
                .map_err(text)?;
        }
        root.present().map_err(text)?;
    }
    encode_png(&pixels, WIDTH, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(iteration: u64, opponent: &str, wins: u32, losses: u32) -> ResultLine {
        let tally = super::super::Tally {
            wins,
            draws: 0,
            losses,
        };
        let estimate = tally.estimate();
        ResultLine {
            iteration,
            training_minutes: iteration as f64 * 1.5,
            opponent: opponent.into(),
            budget: "8 simulations per move".into(),
            games: wins + losses,
            wins,
            draws: 0,
            losses,
            score: estimate.score,
            elo: estimate.elo,
            elo_low: estimate.elo_low,
            elo_high: estimate.elo_high,
            unix_seconds: 0,
        }
    }

    #[test]
    fn results_append_read_back_and_plot() {
        let dir = tempfile::tempdir().unwrap();
        let lines = [
            line(1, "random", 1, 3),
            line(4, "random", 4, 0),
            line(4, "greedy", 2, 2),
        ];
        for line in &lines {
            append(dir.path(), line).unwrap();
        }
        // A torn line from a kill mid-write is skipped.
        let path = dir.path().join("arena").join(RESULTS_FILE);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"{\"iteration\": 9, \"train").unwrap();
        // serde_json reads floats back to within an ulp or so.
        let back = read(dir.path()).unwrap();
        assert_eq!(back.len(), lines.len());
        for (back, line) in back.iter().zip(&lines) {
            let rounded = |line: &ResultLine| ResultLine {
                elo: line.elo.map(|elo| (elo * 1e6).round()),
                elo_low: line.elo_low.map(|elo| (elo * 1e6).round()),
                elo_high: line.elo_high.map(|elo| (elo * 1e6).round()),
                ..line.clone()
            };
            assert_eq!(rounded(back), rounded(line));
        }
        let plot = write_plot(dir.path()).unwrap();
        let png = std::fs::read(plot).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let info = decoder.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (WIDTH, height(2)));
        // The sweep (4–0) is drawn at its interval's finite end.
        assert_eq!(point(&lines[1]).map(|p| p.1), lines[1].elo_low);
        assert_eq!(point(&lines[1]).map(|p| p.1 > 0.0), Some(true));
    }

    /// The pixels (RGB rows) of a rendered plot.
    fn pixels(png: Vec<u8>) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut buffer = vec![0; decoder.output_buffer_size().unwrap()];
        let info = decoder.next_frame(&mut buffer).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        (info.width, info.height, buffer)
    }

    #[test]
    fn every_curve_has_its_own_colour_in_a_legend_below_the_chart() {
        let opponents = [
            "random",
            "greedy",
            "a",
            "b",
            "c",
            "d",
            "stockfish 0",
            "stockfish 1350",
        ];
        // Each curve flat at its own score, so that none hides another.
        let lines: Vec<ResultLine> = (0u32..)
            .zip(opponents)
            .flat_map(|(i, name)| [line(1, name, i + 1, 8 - i), line(4, name, i + 1, 8 - i)])
            .collect();
        assert!(COLORS.len() >= opponents.len(), "a colour per curve");
        let (width, height, buffer) = pixels(render_png(&lines).unwrap());
        assert_eq!(height, super::height(opponents.len()));
        let has = |rows: std::ops::Range<u32>, color: RGBColor| {
            rows.flat_map(|y| (0..width).map(move |x| (x, y)))
                .any(|(x, y)| {
                    let at = ((y * width + x) * 3) as usize;
                    buffer[at..at + 3] == [color.0, color.1, color.2]
                })
        };
        for (index, color) in COLORS.iter().take(opponents.len()).enumerate() {
            // Row `index` of the legend, below the chart, holds the curve's colour, and
            // the chart holds its line.
            let row = CHART_HEIGHT + LEGEND_MARGIN + index as u32 * LEGEND_ROW;
            assert!(has(row..row + LEGEND_ROW, *color), "legend row {index}");
            assert!(has(0..CHART_HEIGHT, *color), "curve {index}");
        }
        let distinct: std::collections::BTreeSet<_> =
            COLORS.iter().map(|c| (c.0, c.1, c.2)).collect();
        assert_eq!(distinct.len(), COLORS.len());
    }
}
