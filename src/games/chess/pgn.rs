//! PGN export of a game: the seven-tag roster, `SetUp`/`FEN` for non-standard starts, and
//! SAN movetext wrapped at 80 columns.

use super::bitboard::Color;
use super::game::{ChessGame, Outcome};
use super::notation::san;
use super::position::Position;

/// Tag values for the PGN header; empty fields are written as "?".
#[derive(Clone, Debug, Default)]
pub struct PgnTags {
    pub event: String,
    pub site: String,
    /// "YYYY.MM.DD".
    pub date: String,
    pub round: String,
    pub white: String,
    pub black: String,
    /// A game ended off the board: the side that loses by forfeit (an illegal move, an
    /// engine that stopped answering) and why. The result and termination say so.
    pub forfeit: Option<(Color, String)>,
}

/// "1-0", "0-1", "1/2-1/2", or "*" while the game goes on.
pub fn result_text(game: &ChessGame) -> &'static str {
    match game.outcome() {
        None => "*",
        Some(Outcome::Checkmate) => match game.position().side_to_move() {
            Color::White => "0-1",
            Color::Black => "1-0",
        },
        Some(_) => "1/2-1/2",
    }
}

fn tag_value(value: &str) -> String {
    let value = if value.is_empty() { "?" } else { value };
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// How a game that ended on the board ended, as the `Termination` tag says it.
pub fn termination_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::PlyCap => "ply cap reached",
        Outcome::Checkmate => "checkmate",
        Outcome::Stalemate => "stalemate",
        Outcome::InsufficientMaterial => "insufficient material",
        Outcome::FiftyMoveRule => "fifty-move rule",
        Outcome::ThreefoldRepetition => "threefold repetition",
    }
}

/// The game as PGN text, ending in a newline.
pub fn export(game: &ChessGame, tags: &PgnTags) -> String {
    let result = match &tags.forfeit {
        Some((Color::White, _)) => "0-1",
        Some((Color::Black, _)) => "1-0",
        None => result_text(game),
    };
    let mut text = String::new();
    let roster = [
        ("Event", tags.event.as_str()),
        ("Site", &tags.site),
        ("Date", &tags.date),
        ("Round", &tags.round),
        ("White", &tags.white),
        ("Black", &tags.black),
    ];
    for (name, value) in roster {
        text.push_str(&format!("[{name} \"{}\"]\n", tag_value(value)));
    }
    text.push_str(&format!("[Result \"{result}\"]\n"));
    if *game.start() != Position::starting() {
        text.push_str("[SetUp \"1\"]\n");
        text.push_str(&format!("[FEN \"{}\"]\n", game.start().to_fen()));
    }
    let termination = match (&tags.forfeit, game.outcome()) {
        (Some((_, reason)), _) => Some(format!("forfeit: {reason}")),
        (None, Some(outcome)) => Some(termination_text(outcome).to_owned()),
        (None, None) => None,
    };
    if let Some(termination) = termination {
        text.push_str(&format!("[Termination \"{}\"]\n", tag_value(&termination)));
    }
    text.push('\n');

    let mut tokens = Vec::new();
    let mut position = game.start().clone();
    for (index, &chess_move) in game.moves().iter().enumerate() {
        let number = position.fullmove_number();
        match position.side_to_move() {
            Color::White => tokens.push(format!("{number}.")),
            Color::Black if index == 0 => tokens.push(format!("{number}...")),
            Color::Black => {}
        }
        tokens.push(san(&position, chess_move));
        position = position.play(chess_move);
    }
    tokens.push(result.to_owned());

    let mut line = String::new();
    for token in tokens {
        if !line.is_empty() && line.len() + 1 + token.len() > 80 {
            text.push_str(&line);
            text.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&token);
    }
    text.push_str(&line);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::chess::notation::parse_san;

    #[test]
    fn fools_mate_exports_as_expected() {
        let mut game = ChessGame::default();
        for text in ["f3", "e5", "g4", "Qh4#"] {
            let chess_move = parse_san(game.position(), text).unwrap();
            game.play(chess_move).unwrap();
        }
        let tags = PgnTags {
            event: "test".into(),
            ..PgnTags::default()
        };
        let expected = "[Event \"test\"]\n[Site \"?\"]\n[Date \"?\"]\n[Round \"?\"]\n\
                        [White \"?\"]\n[Black \"?\"]\n[Result \"0-1\"]\n\
                        [Termination \"checkmate\"]\n\n1. f3 e5 2. g4 Qh4# 0-1\n";
        assert_eq!(export(&game, &tags), expected);
    }

    #[test]
    fn a_game_from_a_fen_with_black_to_move_records_the_setup() {
        let fen = "4k3/8/8/8/8/8/4p3/4K3 b - - 0 40";
        let mut game = ChessGame::from_fen(fen).unwrap();
        game.play(parse_san(game.position(), "Kd7").unwrap())
            .unwrap();
        let pgn = export(&game, &PgnTags::default());
        assert!(pgn.contains(&format!("[FEN \"{fen}\"]")), "{pgn}");
        assert!(pgn.contains("[SetUp \"1\"]"), "{pgn}");
        assert!(pgn.ends_with("40... Kd7 *\n"), "{pgn}");
    }

    #[test]
    fn a_forfeit_sets_the_result_and_says_why() {
        let mut game = ChessGame::default();
        game.play(parse_san(game.position(), "e4").unwrap())
            .unwrap();
        let tags = PgnTags {
            forfeit: Some((Color::Black, "engine played \"e7e4\"".into())),
            ..PgnTags::default()
        };
        let pgn = export(&game, &tags);
        assert!(pgn.contains("[Result \"1-0\"]"), "{pgn}");
        assert!(
            pgn.contains("[Termination \"forfeit: engine played \\\"e7e4\\\"\"]"),
            "{pgn}"
        );
        assert!(pgn.ends_with("1. e4 1-0\n"), "{pgn}");
    }
}
