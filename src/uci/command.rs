//! The UCI commands a GUI sends, parsed from one line into typed values. Nothing here
//! panics: a line is a command, nothing (empty or unknown, which UCI says to ignore), or an
//! error saying what is wrong. A `position` line is checked whole (FEN and every move), so
//! a bad one changes nothing.

use crate::games::chess::{ChessGame, notation};

/// One command from the GUI.
#[derive(Clone, Debug)]
pub enum Command {
    Uci,
    IsReady,
    UciNewGame,
    /// The position to search next, with its history (for repetitions).
    Position(Box<ChessGame>),
    Go(GoParams),
    Stop,
    Quit,
    /// `setoption name <name> value <value>` (the name may hold spaces; no value for a
    /// button).
    SetOption {
        name: String,
        value: Option<String>,
    },
}

/// The parameters of `go`. Times are milliseconds as sent (GUIs may send negative ones
/// once a clock has run out); the time manager clamps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoParams {
    pub white_time_ms: Option<i64>,
    pub black_time_ms: Option<i64>,
    pub white_increment_ms: Option<i64>,
    pub black_increment_ms: Option<i64>,
    pub moves_to_go: Option<u64>,
    pub move_time_ms: Option<i64>,
    pub nodes: Option<u64>,
    /// Accepted and ignored (the search has no fixed depth).
    pub depth: Option<u64>,
    /// Accepted and ignored.
    pub mate: Option<u64>,
    pub infinite: bool,
    /// Accepted and ignored: searched as a normal `go` (the engine offers no Ponder option).
    pub ponder: bool,
    /// Accepted and ignored: every legal move is searched.
    pub search_moves: Vec<String>,
}

/// A line that names a command but cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct CommandError(pub String);

fn error(message: impl Into<String>) -> CommandError {
    CommandError(message.into())
}

const COMMANDS: [&str; 10] = [
    "uci",
    "debug",
    "isready",
    "setoption",
    "register",
    "ucinewgame",
    "position",
    "go",
    "stop",
    "quit",
];

/// Reads one line. `Ok(None)`: nothing to do (empty, unknown, or a command this engine
/// has no use for: `debug`, `register`, `ponderhit`). Unknown tokens before a command are
/// skipped, as UCI asks (`joho isready` is `isready`).
pub fn parse(line: &str) -> Result<Option<Command>, CommandError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Some(start) = tokens.iter().position(|t| COMMANDS.contains(t)) else {
        return Ok(None);
    };
    let arguments = &tokens[start + 1..];
    Ok(match tokens[start] {
        "uci" => Some(Command::Uci),
        "isready" => Some(Command::IsReady),
        "ucinewgame" => Some(Command::UciNewGame),
        "stop" => Some(Command::Stop),
        "quit" => Some(Command::Quit),
        "position" => Some(Command::Position(Box::new(parse_position(arguments)?))),
        "go" => Some(Command::Go(parse_go(arguments)?)),
        "setoption" => Some(parse_setoption(arguments)?),
        _ => None,
    })
}

/// `startpos | fen <FEN> [moves m1 m2 …]`, played out and checked.
fn parse_position(arguments: &[&str]) -> Result<ChessGame, CommandError> {
    let moves_at = arguments
        .iter()
        .position(|&t| t == "moves")
        .unwrap_or(arguments.len());
    let (setup, moves) = arguments.split_at(moves_at);
    let start = match setup.split_first() {
        Some((&"startpos", [])) => ChessGame::default(),
        Some((&"startpos", extra)) => {
            return Err(error(format!(
                "position startpos takes no more than `moves …`, got {:?}",
                extra.join(" ")
            )));
        }
        Some((&"fen", [])) => return Err(error("position fen needs a FEN")),
        Some((&"fen", fields)) => {
            ChessGame::from_fen(&fields.join(" ")).map_err(|e| error(e.to_string()))?
        }
        _ => {
            return Err(error(
                "position takes `startpos` or `fen <FEN>`, then optionally `moves …`",
            ));
        }
    };
    // The engine's games never end by a ply cap: only the rules end them.
    let mut game = start.with_ply_cap(u32::MAX);
    for (index, text) in moves.iter().skip(1).enumerate() {
        if let Some(outcome) = game.outcome() {
            return Err(error(format!(
                "move {} ({text}): the game is already over ({outcome:?})",
                index + 1
            )));
        }
        let chess_move = notation::parse_uci(game.position(), text)
            .map_err(|e| error(format!("move {}: {e}", index + 1)))?;
        game.play(chess_move)
            .map_err(|e| error(format!("move {} ({text}): {e}", index + 1)))?;
    }
    Ok(game)
}

/// An integer token, saturating at i64's ends when it has too many digits.
fn integer(name: &str, token: Option<&&str>) -> Result<i64, CommandError> {
    let Some(token) = token else {
        return Err(error(format!("go {name} needs a number")));
    };
    let (negative, digits) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token.strip_prefix('+').unwrap_or(token)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error(format!(
            "go {name} needs a whole number, got {token:?}"
        )));
    }
    let magnitude = digits.parse::<i64>().unwrap_or(i64::MAX);
    Ok(if negative { -magnitude } else { magnitude })
}

fn count(name: &str, token: Option<&&str>) -> Result<u64, CommandError> {
    let value = integer(name, token)?;
    u64::try_from(value).map_err(|_| error(format!("go {name} cannot be negative, got {value}")))
}

const GO_KEYWORDS: [&str; 12] = [
    "searchmoves",
    "ponder",
    "wtime",
    "btime",
    "winc",
    "binc",
    "movestogo",
    "depth",
    "nodes",
    "mate",
    "movetime",
    "infinite",
];

fn parse_go(arguments: &[&str]) -> Result<GoParams, CommandError> {
    let mut go = GoParams::default();
    let mut i = 0;
    while i < arguments.len() {
        let keyword = arguments[i];
        let value = arguments.get(i + 1);
        let mut used = 2;
        match keyword {
            "wtime" => go.white_time_ms = Some(integer(keyword, value)?),
            "btime" => go.black_time_ms = Some(integer(keyword, value)?),
            "winc" => go.white_increment_ms = Some(integer(keyword, value)?),
            "binc" => go.black_increment_ms = Some(integer(keyword, value)?),
            "movetime" => go.move_time_ms = Some(integer(keyword, value)?),
            "movestogo" => go.moves_to_go = Some(count(keyword, value)?),
            "nodes" => go.nodes = Some(count(keyword, value)?),
            "depth" => go.depth = Some(count(keyword, value)?),
            "mate" => go.mate = Some(count(keyword, value)?),
            "infinite" => {
                go.infinite = true;
                used = 1;
            }
            "ponder" => {
                go.ponder = true;
                used = 1;
            }
            "searchmoves" => {
                let moves: Vec<String> = arguments[i + 1..]
                    .iter()
                    .take_while(|t| !GO_KEYWORDS.contains(t))
                    .map(|t| (*t).to_owned())
                    .collect();
                used = 1 + moves.len();
                go.search_moves = moves;
            }
            other => {
                return Err(error(format!(
                    "go does not know {other:?} (it takes wtime btime winc binc movestogo \
                     movetime nodes infinite, and ignores depth mate ponder searchmoves)"
                )));
            }
        }
        i += used;
    }
    Ok(go)
}

fn parse_setoption(arguments: &[&str]) -> Result<Command, CommandError> {
    if arguments.first() != Some(&"name") {
        return Err(error("setoption takes `name <name> [value <value>]`"));
    }
    let value_at = arguments
        .iter()
        .position(|&t| t == "value")
        .unwrap_or(arguments.len());
    let name = arguments[1..value_at].join(" ");
    if name.is_empty() {
        return Err(error("setoption name needs an option name"));
    }
    let value = (value_at < arguments.len()).then(|| arguments[value_at + 1..].join(" "));
    Ok(Command::SetOption { name, value })
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::games::chess::fen;

    fn go(line: &str) -> GoParams {
        match parse(line) {
            Ok(Some(Command::Go(go))) => go,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn position(line: &str) -> ChessGame {
        match parse(line) {
            Ok(Some(Command::Position(game))) => *game,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn simple_commands_and_ignored_lines() {
        assert!(matches!(parse("uci"), Ok(Some(Command::Uci))));
        assert!(matches!(parse("  isready \r"), Ok(Some(Command::IsReady))));
        assert!(matches!(parse("joho isready"), Ok(Some(Command::IsReady))));
        assert!(matches!(parse("ucinewgame"), Ok(Some(Command::UciNewGame))));
        assert!(matches!(parse("stop"), Ok(Some(Command::Stop))));
        assert!(matches!(parse("quit"), Ok(Some(Command::Quit))));
        for ignored in [
            "",
            "   ",
            "hello world",
            "debug on",
            "register later",
            "ponderhit",
        ] {
            assert!(matches!(parse(ignored), Ok(None)), "{ignored}");
        }
    }

    #[test]
    fn go_reads_every_parameter() {
        let params = go("go wtime 300000 btime -20 winc 2000 binc 0 movestogo 40");
        assert_eq!(params.white_time_ms, Some(300_000));
        assert_eq!(params.black_time_ms, Some(-20));
        assert_eq!(params.white_increment_ms, Some(2000));
        assert_eq!(params.black_increment_ms, Some(0));
        assert_eq!(params.moves_to_go, Some(40));
        assert_eq!(go("go movetime 250").move_time_ms, Some(250));
        assert_eq!(go("go nodes 1234").nodes, Some(1234));
        assert!(go("go infinite").infinite);
        let ignored = go("go ponder depth 12 searchmoves e2e4 d2d4 mate 3 nodes 7");
        assert!(ignored.ponder);
        assert_eq!(ignored.depth, Some(12));
        assert_eq!(ignored.mate, Some(3));
        assert_eq!(ignored.search_moves, ["e2e4", "d2d4"]);
        assert_eq!(ignored.nodes, Some(7));
        assert_eq!(go("go"), GoParams::default());
        assert_eq!(
            go("go wtime 99999999999999999999999").white_time_ms,
            Some(i64::MAX),
            "too many digits saturate"
        );
    }

    #[test]
    fn bad_go_lines_say_why() {
        for (line, needle) in [
            ("go wtime", "needs a number"),
            ("go wtime abc", "whole number"),
            ("go nodes -5", "negative"),
            ("go movetime 1.5", "whole number"),
            ("go fast", "does not know"),
            ("go movestogo -", "whole number"),
        ] {
            let message = parse(line).unwrap_err().0;
            assert!(message.contains(needle), "{line}: {message}");
        }
    }

    #[test]
    fn positions_are_played_out_and_checked_whole() {
        let game = position("position startpos moves e2e4 e7e5 g1f3");
        assert_eq!(
            game.position().to_fen(),
            "rnbqkbnr/pppp1ppp/8/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R b KQkq - 1 2"
        );
        let fen = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1";
        let game = position(&format!("position fen {fen} moves e1c1"));
        assert_eq!(game.moves().len(), 1);
        assert_eq!(
            position("position startpos").position().to_fen(),
            fen::STARTING_FEN
        );
        // Repetitions count across the moves sent.
        let shuffle = "g1f3 g8f6 f3g1 f6g8";
        let game = position(&format!("position startpos moves {shuffle} {shuffle}"));
        assert!(game.outcome().is_some(), "threefold");
        for (line, needle) in [
            ("position", "startpos"),
            ("position fen", "needs a FEN"),
            ("position fen 8/8/8 w - - 0 1", "FEN"),
            ("position startpos moves e2e5", "move 1"),
            ("position startpos moves e2e4 e2e4", "move 2"),
            ("position startpos extra", "no more than"),
            (
                &format!("position startpos moves {shuffle} {shuffle} e2e4"),
                "already over",
            ),
        ] {
            let message = parse(line).unwrap_err().0;
            assert!(message.contains(needle), "{line}: {message}");
        }
    }

    #[test]
    fn setoption_names_may_hold_spaces() {
        let Ok(Some(Command::SetOption { name, value })) =
            parse("setoption name Clear Hash value a b")
        else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), value.as_deref()),
            ("Clear Hash", Some("a b"))
        );
        let Ok(Some(Command::SetOption { value, .. })) = parse("setoption name Clear Hash") else {
            panic!()
        };
        assert_eq!(value, None);
        assert!(parse("setoption value 3").is_err());
        assert!(parse("setoption name value 3").is_err());
    }

    /// Many random and mutated lines: the parser answers every one and never panics.
    #[test]
    fn the_parser_survives_fuzzing() {
        let seeds = [
            "position startpos moves e2e4 e7e5 g1f3 b8c6 f1b5",
            "position fen r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1 moves e1g1",
            "position fen 8/P7/8/8/8/8/8/k6K w - - 0 1 moves a7a8n",
            "go wtime 1000 btime 1000 winc 10 binc 10 movestogo 5",
            "go movetime 100 nodes 50 depth 3 searchmoves e2e4 ponder",
            "setoption name Simulations value 100",
            "go infinite",
        ];
        let words = [
            "go",
            "position",
            "fen",
            "startpos",
            "moves",
            "wtime",
            "btime",
            "winc",
            "binc",
            "movestogo",
            "movetime",
            "nodes",
            "infinite",
            "depth",
            "searchmoves",
            "ponder",
            "setoption",
            "name",
            "value",
            "-1",
            "0",
            "18446744073709551616",
            "e2e4",
            "a7a8q",
            "w",
            "KQkq",
            "-",
            "8/8/8/8/8/8/8/8",
            "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR",
        ];
        let mut rng = StdRng::seed_from_u64(25);
        let mut answered = [0usize; 3];
        for _ in 0..20_000 {
            let line = match rng.random_range(0..3) {
                0 => (0..rng.random_range(0..12))
                    .map(|_| words[rng.random_range(0..words.len())])
                    .collect::<Vec<_>>()
                    .join(" "),
                1 => {
                    let seed = seeds[rng.random_range(0..seeds.len())];
                    seed[..rng.random_range(0..=seed.len())].to_owned()
                }
                _ => {
                    let mut bytes = seeds[rng.random_range(0..seeds.len())].as_bytes().to_vec();
                    for _ in 0..rng.random_range(1..4) {
                        let at = rng.random_range(0..bytes.len());
                        bytes[at] = rng.random();
                    }
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            match parse(&line) {
                Ok(Some(_)) => answered[0] += 1,
                Ok(None) => answered[1] += 1,
                Err(_) => answered[2] += 1,
            }
        }
        // Each kind of answer occurs often: the lines reach every branch.
        assert!(answered.iter().all(|&n| n > 1000), "{answered:?}");
    }
}
