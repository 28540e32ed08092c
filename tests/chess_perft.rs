//! The Rust move generator against the published perft counts of the Chess Programming
//! Wiki (start position, Kiwipete, positions 3–6) and of Martin Sedlak's special-case list
//! (en-passant pins, castling through check, promotions), with and without bulk counting.

use std::time::Instant;

use wgzero::games::chess::Position;
use wgzero::games::chess::perft::{REFERENCE_POSITIONS, divide, perft};

/// Deepest depth per reference position checked in CI (release, one core, seconds).
const CI_DEPTHS: [(&str, u32); 6] = [
    ("start", 6),
    ("kiwipete", 5),
    ("position3", 6),
    ("position4", 5),
    ("position5", 5),
    ("position6", 5),
];

#[test]
fn wiki_positions_match_the_published_counts() {
    for (name, fen, counts) in REFERENCE_POSITIONS {
        let position = Position::from_fen(fen).unwrap();
        let deepest = CI_DEPTHS.iter().find(|(n, _)| *n == name).unwrap().1;
        for depth in 1..=deepest {
            let started = Instant::now();
            let nodes = perft(&position, depth, true);
            eprintln!(
                "{name} depth {depth}: {nodes} nodes in {:?}",
                started.elapsed()
            );
            assert_eq!(nodes, counts[depth as usize - 1], "{name} depth {depth}");
        }
        // Without bulk counting every leaf is played: same count.
        let shallow = deepest.min(3);
        assert_eq!(
            perft(&position, shallow, false),
            counts[shallow as usize - 1]
        );
    }
}

#[test]
fn special_cases_match_the_published_counts() {
    // Martin Sedlak's positions (TalkChess): (FEN, depth, nodes).
    let cases: [(&str, u32, u64); 14] = [
        ("3k4/3p4/8/K1P4r/8/8/8/8 b - - 0 1", 6, 1_134_888),
        ("8/8/4k3/8/2p5/8/B2P2K1/8 w - - 0 1", 6, 1_015_133),
        ("8/8/1k6/2b5/2pP4/8/5K2/8 b - d3 0 1", 6, 1_440_467),
        ("5k2/8/8/8/8/8/8/4K2R w K - 0 1", 6, 661_072),
        ("3k4/8/8/8/8/8/8/R3K3 w Q - 0 1", 6, 803_711),
        ("r3k2r/1b4bq/8/8/8/8/7B/R3K2R w KQkq - 0 1", 4, 1_274_206),
        ("r3k2r/8/3Q4/8/8/5q2/8/R3K2R b KQkq - 0 1", 4, 1_720_476),
        ("2K2r2/4P3/8/8/8/8/8/3k4 w - - 0 1", 6, 3_821_001),
        ("8/8/1P2K3/8/2n5/1q6/8/5k2 b - - 0 1", 5, 1_004_658),
        ("4k3/1P6/8/8/8/8/K7/8 w - - 0 1", 6, 217_342),
        ("8/P1k5/K7/8/8/8/8/8 w - - 0 1", 6, 92_683),
        ("K1k5/8/P7/8/8/8/8/8 w - - 0 1", 6, 2_217),
        ("8/k1P5/8/1K6/8/8/8/8 w - - 0 1", 7, 567_584),
        ("8/8/2k5/5q2/5n2/8/5K2/8 b - - 0 1", 4, 23_527),
    ];
    for (fen, depth, expected) in cases {
        let position = Position::from_fen(fen).unwrap();
        assert_eq!(
            perft(&position, depth, true),
            expected,
            "{fen} depth {depth}"
        );
    }
}

#[test]
fn divide_sums_to_perft_and_names_moves_in_uci() {
    let position = Position::starting();
    let split = divide(&position, 3);
    assert_eq!(split.len(), 20);
    assert_eq!(split.iter().map(|(_, n)| n).sum::<u64>(), 8_902);
    // Published divide of the start position at depth 3.
    assert!(split.contains(&("e2e4".to_owned(), 600)));
    assert!(split.contains(&("g1f3".to_owned(), 440)));
    assert!(split.contains(&("a2a3".to_owned(), 380)));
}
