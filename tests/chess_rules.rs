//! The Rust chess rules beyond move generation: game-end rules and their precedence, the
//! `GameState` contract, the AlphaZero action encoding (round trip for every legal move of
//! positions from random games, both colours), observation planes, Zobrist keys and FEN
//! on positions from random games.

use wgzero::games::chess::bitboard::flip_vertical;
use wgzero::games::chess::encoding::{
    NUM_ACTIONS, OBSERVATION_LEN, OBSERVATION_PLANES, action_of, move_of,
};
use wgzero::games::chess::notation::{parse_san, parse_uci};
use wgzero::games::chess::playout::random_word;
use wgzero::games::chess::{ChessGame, Color, Move, Outcome, PieceKind, Position};
use wgzero::games::{GameError, GameState};

fn play_san(game: &mut ChessGame, moves: &[&str]) {
    for text in moves {
        let chess_move = parse_san(game.position(), text).unwrap();
        game.play(chess_move).unwrap();
    }
}

/// Every position of `games` random games of at most `plies` plies, from several starts.
fn random_positions(games: usize, plies: usize) -> Vec<ChessGame> {
    let starts = [
        "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
        "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
        "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
    ];
    let mut random = 2024u32;
    let mut all = Vec::new();
    for index in 0..games {
        let mut game = ChessGame::from_fen(starts[index % starts.len()]).unwrap();
        for _ in 0..plies {
            all.push(game.clone());
            if game.outcome().is_some() {
                break;
            }
            let moves = game.legal_moves();
            let chess_move = moves.as_slice()[random_word(&mut random) as usize % moves.len()];
            game.play_unchecked(chess_move);
        }
    }
    all
}

#[test]
fn checkmate_is_a_loss_for_the_mover_and_ends_the_game() {
    let mut game = ChessGame::default();
    play_san(&mut game, &["f3", "e5", "g4", "Qh4#"]);
    assert_eq!(game.outcome(), Some(Outcome::Checkmate));
    assert_eq!(game.terminal_value(), Some(-1.0));
    assert!(game.legal_actions().is_empty());
    assert_eq!(game.apply(0), Err(GameError::GameOver));
}

#[test]
fn stalemate_and_dead_positions_are_draws() {
    let stalemate = ChessGame::from_fen("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1").unwrap();
    assert_eq!(stalemate.outcome(), Some(Outcome::Stalemate));
    assert_eq!(stalemate.terminal_value(), Some(0.0));
    for (fen, dead) in [
        ("8/8/8/4k3/8/8/8/4K3 w - - 0 1", true),
        ("8/8/8/4k3/8/8/8/4KB2 w - - 0 1", true),
        ("8/8/8/4k3/8/8/8/4KN2 w - - 0 1", true),
        // Bishops on c1 and f4 (both dark), one each side.
        ("8/8/8/4k3/5b2/8/8/2B1K3 w - - 0 1", true),
        // Bishops on squares of both colours, two knights, a pawn: mate stays possible.
        ("8/8/8/4k3/8/8/8/2B1KB2 w - - 0 1", false),
        ("8/8/8/4k3/8/8/8/3NKN2 w - - 0 1", false),
        ("8/8/8/4k3/8/8/4P3/4K3 w - - 0 1", false),
    ] {
        let game = ChessGame::from_fen(fen).unwrap();
        let expected = dead.then_some(Outcome::InsufficientMaterial);
        assert_eq!(game.outcome(), expected, "{fen}");
    }
}

#[test]
fn the_fifty_move_rule_draws_unless_the_move_mates() {
    let mut quiet = ChessGame::from_fen("7k/8/6K1/8/8/8/8/R7 w - - 99 80").unwrap();
    assert_eq!(quiet.outcome(), None);
    quiet
        .play(parse_uci(quiet.position(), "a1b1").unwrap())
        .unwrap();
    assert_eq!(quiet.outcome(), Some(Outcome::FiftyMoveRule));

    let mut mating = ChessGame::from_fen("7k/8/6K1/8/8/8/8/R7 w - - 99 80").unwrap();
    mating
        .play(parse_san(mating.position(), "Ra8#").unwrap())
        .unwrap();
    assert_eq!(mating.position().halfmove_clock(), 100);
    assert_eq!(mating.outcome(), Some(Outcome::Checkmate));
}

#[test]
fn the_third_occurrence_of_a_position_is_a_draw() {
    let mut game = ChessGame::default();
    play_san(&mut game, &["Nf3", "Nf6", "Ng1", "Ng8"]);
    assert_eq!(game.repetition_count(), 2);
    assert_eq!(game.outcome(), None);
    play_san(&mut game, &["Nf3", "Nf6", "Ng1"]);
    assert_eq!(game.outcome(), None);
    play_san(&mut game, &["Ng8"]);
    assert_eq!(game.repetition_count(), 3);
    assert_eq!(game.outcome(), Some(Outcome::ThreefoldRepetition));
}

#[test]
fn a_position_with_a_legal_en_passant_capture_differs_from_one_without() {
    // After 1.e4 Nf6 2.e5 d5 white may take en passant; after the knights dance back the
    // placement recurs but without that right, so it counts as a new position.
    let mut game = ChessGame::default();
    play_san(&mut game, &["e4", "Nf6", "e5", "d5"]);
    let with_right = game.position().clone();
    assert!(with_right.en_passant().is_some());
    play_san(&mut game, &["Nf3", "Nc6", "Ng1", "Nb8"]);
    assert_eq!(game.position().en_passant(), None);
    assert_ne!(game.position().key(), with_right.key());
    assert_eq!(game.repetition_count(), 1);
}

#[test]
fn the_ply_cap_draws_the_game() {
    let mut game = ChessGame::default().with_ply_cap(4);
    play_san(&mut game, &["e4", "e5", "Nf3"]);
    assert_eq!(game.outcome(), None);
    play_san(&mut game, &["Nc6"]);
    assert_eq!(game.outcome(), Some(Outcome::PlyCap));
    assert_eq!(game.terminal_value(), Some(0.0));
}

#[test]
fn game_state_contract() {
    let mut game = ChessGame::default();
    assert_eq!(game.num_actions(), 4672);
    assert_eq!(game.to_move(), 0);
    assert_eq!(game.legal_actions().len(), 20);
    // e2e4: origin e2 (12), north, distance 2 (move type 1).
    game.apply(12 * 73 + 1).unwrap();
    assert_eq!(game.to_move(), 1);
    // e7e5 seen from black is the same action.
    assert!(game.legal_actions().contains(&(12 * 73 + 1)));
    match game.apply(0) {
        Err(GameError::IllegalAction { action: 0, legal }) => assert!(legal.contains("e7e5")),
        other => panic!("expected an illegal-action error, got {other:?}"),
    }
    assert!(ChessGame::from_fen("not a fen").is_err());
}

#[test]
fn known_actions() {
    let start = Position::starting();
    let g1f3 = Move::new(6, 21);
    assert_eq!(action_of(g1f3, Color::White), 6 * 73 + 63);
    let promote = Position::from_fen("k7/P7/8/8/8/8/8/7K w - - 0 1").unwrap();
    let queen = Move {
        from: 48,
        to: 56,
        promotion: Some(PieceKind::Queen),
    };
    let knight = Move {
        promotion: Some(PieceKind::Knight),
        ..queen
    };
    assert_eq!(action_of(queen, Color::White), 48 * 73);
    assert_eq!(action_of(knight, Color::White), 48 * 73 + 64 + 3);
    assert_eq!(move_of(48 * 73, &promote), Some(queen));
    assert_eq!(move_of(48 * 73 + 67, &promote), Some(knight));
    // Off-board moves decode to nothing: a1 going west.
    assert_eq!(move_of(6 * 7, &start), None);
    assert_eq!(move_of(NUM_ACTIONS, &start), None);
}

#[test]
fn every_legal_move_round_trips_through_its_action() {
    let mut checked = 0;
    for game in random_positions(60, 200) {
        let position = game.position();
        let mover = position.side_to_move();
        let mut seen = std::collections::HashSet::new();
        for &chess_move in game.legal_moves().iter() {
            let action = action_of(chess_move, mover);
            assert!(action < NUM_ACTIONS);
            assert!(seen.insert(action), "two moves share action {action}");
            assert_eq!(
                move_of(action, position),
                Some(chess_move),
                "{}",
                position.to_fen()
            );
            // The mover's view: a black move is the white move of the mirrored board.
            let mirrored = Move {
                from: flip_vertical(chess_move.from),
                to: flip_vertical(chess_move.to),
                promotion: chess_move.promotion,
            };
            assert_eq!(action_of(mirrored, mover.other()), action);
            checked += 1;
        }
    }
    assert!(checked > 100_000, "{checked}");
}

#[test]
fn incremental_keys_and_fen_round_trip_on_random_games() {
    for game in random_positions(40, 300) {
        let position = game.position();
        assert_eq!(position.key(), position.compute_key());
        assert_eq!(&Position::from_fen(&position.to_fen()).unwrap(), position);
    }
}

#[test]
fn observation_planes_of_a_black_move() {
    assert_eq!((OBSERVATION_PLANES, OBSERVATION_LEN), (119, 7616));
    let mut game = ChessGame::default();
    play_san(&mut game, &["e4"]);
    let mut planes = vec![-1.0; OBSERVATION_LEN];
    game.write_observation(&mut planes);
    let plane = |index: usize| &planes[index * 64..(index + 1) * 64];
    // Black's own pawns (rank 7) appear on the mover's second rank.
    assert!(plane(0)[8..16].iter().all(|&v| v == 1.0));
    assert_eq!(plane(0).iter().sum::<f32>(), 8.0);
    // White's pawns: a2-h2 but e2 on the mover's seventh rank, and e4 on its fifth.
    let opponent_pawns = plane(6);
    assert_eq!(opponent_pawns[48 + 4], 0.0);
    assert_eq!(opponent_pawns[32 + 4], 1.0);
    assert_eq!(opponent_pawns.iter().sum::<f32>(), 8.0);
    // Own king on e8 is the mover's e1.
    assert_eq!(plane(5)[4], 1.0);
    assert!(plane(12).iter().all(|&v| v == 0.0));
    // One ply earlier (planes 14-27): the start position, still from black's view, with
    // white's pawn back on e2.
    assert_eq!(plane(14 + 6)[48 + 4], 1.0);
    assert_eq!(plane(14 + 6)[32 + 4], 0.0);
    assert_eq!(plane(14 + 5)[4], 1.0);
    assert_eq!(plane(14).iter().sum::<f32>(), 8.0);
    // Before the game's start: zeros.
    assert!(planes[28 * 64..112 * 64].iter().all(|&v| v == 0.0));
    // Black to move, 1 ply played, all four rights, no-progress counter 0.
    assert!(plane(112).iter().all(|&v| v == 1.0));
    assert!(plane(113).iter().all(|&v| v == 1.0 / 512.0));
    for castling in 114..118 {
        assert!(plane(castling).iter().all(|&v| v == 1.0));
    }
    assert!(plane(118).iter().all(|&v| v == 0.0));
}

/// History step `step` of `position` as the mover `mover` sees it, written from the board
/// square by square (not by the encoder's bitboard loop).
fn expected_step(position: &Position, mover: Color, repetitions: u32) -> Vec<f32> {
    let mut planes = vec![0.0; 14 * 64];
    for square in 0..64u8 {
        if let Some(piece) = position.piece_at(square) {
            let side = usize::from(piece.color != mover);
            let seen = if mover == Color::Black {
                flip_vertical(square)
            } else {
                square
            };
            planes[(side * 6 + piece.kind.index()) * 64 + seen as usize] = 1.0;
        }
    }
    planes[12 * 64..13 * 64].fill(if repetitions >= 2 { 1.0 } else { 0.0 });
    planes[13 * 64..14 * 64].fill(if repetitions >= 3 { 1.0 } else { 0.0 });
    planes
}

#[test]
fn history_planes_hold_the_last_eight_positions_from_the_movers_view() {
    // Knights out and back twice (the start position's second occurrence at ply 4, its
    // third at ply 8, which ends the game; play goes on past it), then pawn moves.
    let moves = [
        "g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6", "f3g1", "f6g8", "e2e4", "e7e5", "d2d4",
    ];
    let mut game = ChessGame::default();
    // Every position of the game and how often it had occurred then (counted here by
    // comparing whole positions, not keys).
    let mut positions = vec![(game.position().clone(), 1)];
    let mut planes = vec![0.0; OBSERVATION_LEN];
    for text in moves {
        let chess_move = parse_uci(game.position(), text).unwrap();
        game.play_unchecked(chess_move);
        let position = game.position().clone();
        let same = |other: &Position| {
            other.to_fen().rsplitn(3, ' ').nth(2) == position.to_fen().rsplitn(3, ' ').nth(2)
        };
        let repetitions = 1 + positions.iter().filter(|(p, _)| same(p)).count() as u32;
        positions.push((position, repetitions));
        game.write_observation(&mut planes);
        let ply = positions.len() - 1;
        let mover = game.position().side_to_move();
        for step in 0..8 {
            let written = &planes[step * 14 * 64..(step + 1) * 14 * 64];
            let expected = match ply.checked_sub(step) {
                Some(earlier) => {
                    let (position, repetitions) = &positions[earlier];
                    expected_step(position, mover, *repetitions)
                }
                None => vec![0.0; 14 * 64],
            };
            assert!(written == expected, "ply {ply}, step {step}");
        }
        assert!(
            planes[113 * 64..114 * 64]
                .iter()
                .all(|&v| v == ply as f32 / 512.0)
        );
    }
    // The checks above covered repetitions: the start position occurred a third time at
    // ply 8, three plies (steps) before the end.
    assert_eq!(positions[8].1, 3);
    assert_eq!(positions[4].1, 2);
    assert!(
        planes[3 * 14 * 64 + 13 * 64..3 * 14 * 64 + 14 * 64]
            .iter()
            .all(|&v| v == 1.0)
    );
    // A game from a FEN knows nothing before it: one move in, steps 2-7 are zeros.
    let mut game = ChessGame::from_fen("4k3/8/8/8/8/8/4P3/4K3 w - - 0 40").unwrap();
    play_san(&mut game, &["e4"]);
    game.write_observation(&mut planes);
    assert_eq!(planes[14 * 64..28 * 64].iter().sum::<f32>(), 3.0);
    assert!(planes[28 * 64..112 * 64].iter().all(|&v| v == 0.0));
}
