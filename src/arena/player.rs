//! The arena's players: the uniform random mover, the one-ply material-greedy player, and
//! any UCI engine run as a child process. wgzero's own agent is in [`super::agent`].

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::ArenaError;
use crate::games::chess::notation::{parse_uci, uci};
use crate::games::chess::{ChessGame, Color, Move, PieceKind, Position};

/// One side of an arena game. A player is used by one game at a time.
pub trait Player: Send {
    /// The name written into the PGN and the report.
    fn name(&self) -> String;
    /// A new game starts (engines clear their hash tables).
    fn new_game(&mut self) -> Result<(), ArenaError>;
    /// The move to play in `game`, which is not over. A move that is not legal there
    /// loses the game by forfeit.
    fn choose(&mut self, game: &ChessGame) -> Result<Move, ArenaError>;
}

/// Plays a uniformly random legal move.
pub struct RandomMover {
    rng: StdRng,
}

impl RandomMover {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Player for RandomMover {
    fn name(&self) -> String {
        "random".into()
    }

    fn new_game(&mut self) -> Result<(), ArenaError> {
        Ok(())
    }

    fn choose(&mut self, game: &ChessGame) -> Result<Move, ArenaError> {
        let moves = game.legal_moves();
        Ok(moves.as_slice()[self.rng.random_range(0..moves.len())])
    }
}

/// Material in pawns: pawn 1, knight 3, bishop 3, rook 5, queen 9.
fn material(position: &Position, color: Color) -> i32 {
    [
        (PieceKind::Pawn, 1),
        (PieceKind::Knight, 3),
        (PieceKind::Bishop, 3),
        (PieceKind::Rook, 5),
        (PieceKind::Queen, 9),
    ]
    .iter()
    .map(|&(kind, value)| value * position.pieces(color, kind).count_ones() as i32)
    .sum()
}

/// Looks one ply ahead: mates if it can, else takes the move that leaves it the most
/// material against the opponent's, ties broken at random.
pub struct GreedyMover {
    rng: StdRng,
}

impl GreedyMover {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The move's worth to the mover: its material lead after the move, or more than any
    /// lead for a mate.
    fn worth(game: &ChessGame, chess_move: Move) -> i32 {
        let mover = game.position().side_to_move();
        let after = game.position().play(chess_move);
        if after.in_check() && crate::games::chess::movegen::count_legal_moves(&after) == 0 {
            return 1_000;
        }
        material(&after, mover) - material(&after, mover.other())
    }
}

impl Player for GreedyMover {
    fn name(&self) -> String {
        "greedy".into()
    }

    fn new_game(&mut self) -> Result<(), ArenaError> {
        Ok(())
    }

    fn choose(&mut self, game: &ChessGame) -> Result<Move, ArenaError> {
        let moves = game.legal_moves();
        let worths: Vec<i32> = moves.iter().map(|&m| Self::worth(game, m)).collect();
        let best = *worths
            .iter()
            .max()
            .expect("a game that is not over has a move");
        let best_moves: Vec<Move> = moves
            .iter()
            .zip(&worths)
            .filter(|&(_, &worth)| worth == best)
            .map(|(&m, _)| m)
            .collect();
        Ok(best_moves[self.rng.random_range(0..best_moves.len())])
    }
}

/// How long a UCI engine may think about each move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UciLimit {
    Nodes(u64),
    MoveTime(Duration),
    Depth(u32),
}

impl UciLimit {
    fn go(&self) -> String {
        match self {
            Self::Nodes(nodes) => format!("go nodes {nodes}"),
            Self::MoveTime(time) => format!("go movetime {}", time.as_millis()),
            Self::Depth(depth) => format!("go depth {depth}"),
        }
    }

    /// How long to wait for `bestmove` before calling the engine hung.
    fn patience(&self) -> Duration {
        match self {
            Self::MoveTime(time) => *time + Duration::from_secs(10),
            Self::Nodes(_) | Self::Depth(_) => Duration::from_secs(120),
        }
    }
}

impl std::fmt::Display for UciLimit {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Nodes(nodes) => write!(formatter, "{nodes} nodes per move"),
            Self::MoveTime(time) => write!(formatter, "{} ms per move", time.as_millis()),
            Self::Depth(depth) => write!(formatter, "depth {depth} per move"),
        }
    }
}

/// How a UCI engine is started and set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UciEngineSpec {
    /// The program and its arguments, split at whitespace.
    pub command: Vec<String>,
    /// `setoption name NAME value VALUE`, in order.
    pub options: Vec<(String, String)>,
    pub limit: UciLimit,
}

/// A UCI engine, a child process spoken to over its stdin and stdout.
pub struct UciEngine {
    spec: UciEngineSpec,
    name: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

/// Time allowed for start-up answers (`uciok`, `readyok`).
const HANDSHAKE: Duration = Duration::from_secs(30);

impl UciEngine {
    /// Starts the engine, checks it speaks UCI and sets its options.
    pub fn start(spec: &UciEngineSpec) -> Result<Self, ArenaError> {
        let program = spec
            .command
            .first()
            .ok_or_else(|| ArenaError::Engine("the engine command is empty".into()))?;
        let mut child = Command::new(program)
            .args(&spec.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                ArenaError::Engine(format!(
                    "cannot start {program:?}: {error} (is it installed and on PATH?)"
                ))
            })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut engine = Self {
            spec: spec.clone(),
            name: program.rsplit('/').next().unwrap_or(program).to_owned(),
            child,
            stdin,
            lines,
        };
        engine.send("uci")?;
        let deadline = Instant::now() + HANDSHAKE;
        loop {
            let line = engine.next_line(deadline, "uciok")?;
            if let Some(name) = line.strip_prefix("id name ") {
                engine.name = name.trim().to_owned();
            }
            if line.trim() == "uciok" {
                break;
            }
        }
        for (name, value) in &spec.options {
            engine.send(&format!("setoption name {name} value {value}"))?;
        }
        engine.ready()?;
        Ok(engine)
    }

    pub fn spec(&self) -> &UciEngineSpec {
        &self.spec
    }

    fn send(&mut self, line: &str) -> Result<(), ArenaError> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|error| {
                ArenaError::Engine(format!("{} stopped reading its input: {error}", self.name))
            })
    }

    fn next_line(&mut self, deadline: Instant, waiting_for: &str) -> Result<String, ArenaError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(ArenaError::Engine(format!(
                "{} did not answer {waiting_for} in time",
                self.name
            ))),
            Err(RecvTimeoutError::Disconnected) => Err(ArenaError::Engine(format!(
                "{} exited while wgzero waited for {waiting_for}",
                self.name
            ))),
        }
    }

    fn ready(&mut self) -> Result<(), ArenaError> {
        self.send("isready")?;
        let deadline = Instant::now() + HANDSHAKE;
        while self.next_line(deadline, "readyok")?.trim() != "readyok" {}
        Ok(())
    }

    fn set_position(&mut self, game: &ChessGame) -> Result<(), ArenaError> {
        let start = if *game.start() == Position::starting() {
            "startpos".to_owned()
        } else {
            format!("fen {}", game.start().to_fen())
        };
        let mut line = format!("position {start}");
        if !game.moves().is_empty() {
            line.push_str(" moves");
            for &chess_move in game.moves() {
                line.push(' ');
                line.push_str(&uci(chess_move));
            }
        }
        self.send(&line)
    }

    /// Searches `game`'s position with `limit`: the last `info … score` seen, from the
    /// mover's view, and the `bestmove` text.
    fn search(
        &mut self,
        game: &ChessGame,
        limit: UciLimit,
    ) -> Result<(Option<Score>, String), ArenaError> {
        self.set_position(game)?;
        self.send(&limit.go())?;
        let deadline = Instant::now() + limit.patience();
        let mut score = None;
        loop {
            let line = self.next_line(deadline, "bestmove")?;
            let mut words = line.split_whitespace();
            match words.next() {
                Some("info") => score = Score::parse(&line).or(score),
                Some("bestmove") => {
                    return Ok((score, words.next().unwrap_or("").to_owned()));
                }
                _ => {}
            }
        }
    }

    /// The engine's score of `game`'s position for the side to move at `limit`.
    pub fn score(&mut self, game: &ChessGame, limit: UciLimit) -> Result<Score, ArenaError> {
        let (score, _) = self.search(game, limit)?;
        score.ok_or_else(|| {
            ArenaError::Engine(format!(
                "{} gave no score for {}",
                self.name,
                game.position().to_fen()
            ))
        })
    }
}

/// A UCI engine's evaluation, from the side to move's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Centipawns(i32),
    /// Mate in this many moves (negative: the side to move gets mated).
    Mate(i32),
}

impl Score {
    /// The `score cp N` or `score mate N` of an `info` line.
    fn parse(line: &str) -> Option<Score> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|&word| word == "score")?;
        let value: i32 = words.get(at + 2)?.parse().ok()?;
        match *words.get(at + 1)? {
            "cp" => Some(Score::Centipawns(value)),
            "mate" => Some(Score::Mate(value)),
            _ => None,
        }
    }
}

impl Player for UciEngine {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn new_game(&mut self) -> Result<(), ArenaError> {
        self.send("ucinewgame")?;
        self.ready()
    }

    fn choose(&mut self, game: &ChessGame) -> Result<Move, ArenaError> {
        let (_, text) = self.search(game, self.spec.limit)?;
        parse_uci(game.position(), &text).map_err(|error| {
            ArenaError::Forfeit(format!("{} answered bestmove {text:?}: {error}", self.name))
        })
    }
}

impl Drop for UciEngine {
    fn drop(&mut self) {
        let _ = self.send("quit");
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_read_from_info_lines() {
        let line = "info depth 10 seldepth 14 multipv 1 score cp -23 nodes 4000 pv e2e4";
        assert_eq!(Score::parse(line), Some(Score::Centipawns(-23)));
        assert_eq!(
            Score::parse("info depth 3 score mate -2 pv a1a2"),
            Some(Score::Mate(-2))
        );
        assert_eq!(Score::parse("info string hello"), None);
        assert_eq!(Score::parse("info score cp"), None);
    }

    #[test]
    fn the_greedy_mover_takes_the_queen_and_mates_when_it_can() {
        // White to move: Rxd8 wins the queen; Qh7 is no mate here.
        let game = ChessGame::from_fen("3q3k/8/8/8/8/8/8/3R2K1 w - - 0 1").unwrap();
        let chosen = GreedyMover::new(1).choose(&game).unwrap();
        assert_eq!(uci(chosen), "d1d8");
        // The back-rank mate Rb8# beats winning the knight with Rxe1.
        let game = ChessGame::from_fen("6k1/5ppp/8/8/8/8/8/1R2n1K1 w - - 0 1").unwrap();
        let chosen = GreedyMover::new(1).choose(&game).unwrap();
        assert_eq!(uci(chosen), "b1b8");
    }

    #[test]
    fn the_random_mover_plays_every_legal_move_sometimes() {
        let game = ChessGame::default();
        let mut mover = RandomMover::new(7);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            seen.insert(uci(mover.choose(&game).unwrap()));
        }
        assert_eq!(seen.len(), 20);
    }
}
