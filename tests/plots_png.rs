//! plots.png: a valid PNG of the documented size, replaced atomically, drawn from any
//! history (empty, one record, records with unmeasured and non-finite values).

use wgzero::run_dir::metrics::IterationMetrics;
use wgzero::run_dir::plots::{self, HEIGHT, PLOTS_FILE, WIDTH};

fn record(iteration: u64) -> IterationMetrics {
    let progress = iteration as f64 / 10.0;
    IterationMetrics {
        iteration,
        elapsed_seconds: 12.5 * iteration as f64,
        loss: 2.0 - progress,
        policy_loss: 1.5 - progress,
        value_loss: 0.5,
        policy_entropy: 2.5 - progress,
        learning_rate: 2e-3 * (1.0 - 0.9 * progress),
        mean_game_length: 10.0 + iteration as f64,
        first_player_win_rate: 0.5,
        draw_rate: 0.1,
        random_win_rate: Some(0.6 + progress / 4.0),
        random_draw_rate: Some(0.05),
        previous_win_rate: iteration.is_multiple_of(2).then_some(0.55),
        previous_draw_rate: iteration.is_multiple_of(2).then_some(0.2),
        policy_accuracy: Some(0.5 + progress / 3.0),
        search_accuracy: None,
        positions_per_second: 1000.0 * iteration as f64,
        evaluations_per_second: 50_000.0 * iteration as f64,
        games_played: 64,
        counterexamples_total: iteration * 3,
        counterexamples_distinct: iteration,
        backend: "cpu".to_owned(),
    }
}

/// Decodes `bytes` as a PNG and returns (width, height, RGB pixels).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    // The signature and the IHDR chunk, read by hand: the first chunk, big-endian sizes.
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    // The whole image through a decoder (it checks every chunk's CRC and the zlib stream).
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (width, height));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (width, height, pixels)
}

fn coloured_pixels(pixels: &[u8]) -> usize {
    pixels
        .chunks_exact(3)
        .filter(|rgb| {
            let (max, min) = (rgb.iter().max().unwrap(), rgb.iter().min().unwrap());
            max - min > 60
        })
        .count()
}

#[test]
fn plots_png_is_a_valid_image_of_the_documented_size() {
    let run_dir = tempfile::tempdir().unwrap();
    let history: Vec<_> = (1..=6).map(record).collect();
    let path = plots::write_plots(run_dir.path(), &history).unwrap();
    assert_eq!(path, run_dir.path().join(PLOTS_FILE));
    let (width, height, pixels) = decode(&std::fs::read(&path).unwrap());
    assert_eq!((width, height), (WIDTH, HEIGHT));
    // The curves are drawn in colour on white: a blank or grey image would fail.
    assert!(coloured_pixels(&pixels) > 2000, "no curves were drawn");
    // Only the image is left: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(run_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, [PLOTS_FILE]);
}

#[test]
fn plots_are_redrawn_from_each_history() {
    let run_dir = tempfile::tempdir().unwrap();
    let path = plots::write_plots(run_dir.path(), &[record(1)]).unwrap();
    let one = std::fs::read(&path).unwrap();
    plots::write_plots(run_dir.path(), &(1..=9).map(record).collect::<Vec<_>>()).unwrap();
    let nine = std::fs::read(&path).unwrap();
    assert_ne!(one, nine);
    let (_, _, one_pixels) = decode(&one);
    let (_, _, nine_pixels) = decode(&nine);
    assert!(coloured_pixels(&nine_pixels) > coloured_pixels(&one_pixels));
}

#[test]
fn plots_draw_empty_and_non_finite_histories() {
    let mut diverged = record(2);
    diverged.loss = f64::NAN;
    diverged.value_loss = f64::INFINITY;
    diverged.positions_per_second = 0.0;
    for history in [vec![], vec![record(1)], vec![record(1), diverged]] {
        let (width, height, _) = decode(&plots::render_png(&history).unwrap());
        assert_eq!((width, height), (WIDTH, HEIGHT));
    }
}
