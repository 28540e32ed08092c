//! `wgzero uci` as a chess GUI sees it. python-chess, an independent UCI client and rules
//! library, drives the real binary (`tests/uci/play.py`): whole games against itself and
//! against a random mover with every move checked legal, answers within `movetime`, and
//! `go infinite` ended by `stop`. A transcript test checks the protocol's lines directly;
//! another, the bundled network played without `--checkpoint` and the exit code of a
//! checkpoint that does not load.
//!
//! The network is a tiny chess checkpoint trained here once per test binary. The python
//! tests need python3 with python-chess (PyPI `chess`; `.ci/run` installs it): without it
//! they are skipped, unless `WGZERO_REQUIRE_GPU` is set (as in CI).

mod chess_checkpoint;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use wgzero::games::chess::ChessGame;
use wgzero::games::chess::notation::parse_uci;

const BINARY: &str = env!("CARGO_BIN_EXE_wgzero");

/// The shared tiny chess checkpoint (`tests/chess_checkpoint`).
fn checkpoint() -> &'static Path {
    chess_checkpoint::tiny_chess_checkpoint()
}

fn engine_command() -> Vec<String> {
    vec![
        BINARY.to_owned(),
        "uci".to_owned(),
        "--backend".to_owned(),
        "cpu".to_owned(),
        "--checkpoint".to_owned(),
        checkpoint().display().to_string(),
    ]
}

/// Whether python3 can import python-chess; panics when CI requires it.
fn python_chess() -> bool {
    wgzero::testing::python_module("chess.engine", "python3 -m pip install chess==1.11.1")
}

/// Runs `tests/uci/play.py TASK` against the engine; its JSON report.
fn play(task: &str) -> Option<Value> {
    if !python_chess() {
        return None;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/uci/play.py");
    let command = serde_json::to_string(&engine_command()).unwrap();
    let output = Command::new("python3")
        .args([script, &command, task])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{task}: {stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Some(serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}")))
}

fn assert_played_to_the_end(report: &Value) {
    let plies = report["plies"].as_u64().unwrap();
    assert!(
        report["over"] == true || plies == 300,
        "the game ended by the rules or the 300-ply cap: {report}"
    );
    assert!(plies > 0);
    assert!(report["moves_with_info"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["engine_name"]
            .as_str()
            .unwrap()
            .starts_with("wgzero "),
        "{report}"
    );
}

#[test]
fn the_engine_plays_itself_to_the_end_with_legal_moves() {
    if let Some(report) = play("self") {
        assert_played_to_the_end(&report);
        assert_eq!(
            report["moves_with_info"], report["plies"],
            "every move came with score and nodes: {report}"
        );
    }
}

#[test]
fn the_engine_plays_a_random_mover_to_the_end_with_legal_moves() {
    if let Some(report) = play("random") {
        assert_played_to_the_end(&report);
    }
}

#[test]
fn movetime_answers_come_in_time() {
    if let Some(report) = play("movetime") {
        for latency in report["latencies"].as_array().unwrap() {
            let seconds = latency.as_f64().unwrap();
            assert!(seconds < 0.2 + 1.5, "go movetime 200 took {seconds} s");
        }
    }
}

#[test]
fn infinite_search_answers_promptly_after_stop() {
    if let Some(report) = play("infinite") {
        let seconds = report["latency"].as_f64().unwrap();
        assert!(seconds < 1.5, "bestmove {seconds} s after stop");
        assert!(report["nodes"].as_u64().unwrap() > 0, "{report}");
    }
}

/// The engine's process with its output lines arriving on a channel.
struct Engine {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Engine {
    /// The engine of the tiny test checkpoint.
    fn start() -> Self {
        Self::spawn(&engine_command(), Stdio::null())
    }

    /// `command` (the binary, then its arguments) with `stderr` as its error output.
    fn spawn(command: &[String], stderr: Stdio) -> Self {
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            lines,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }

    /// Lines up to and including the first that starts with `prefix`.
    fn until(&mut self, prefix: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line.starts_with(prefix);
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!("no {prefix:?} after {seen:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the engine ended: {seen:?}"),
            }
        }
    }

    fn quit(mut self) {
        self.send("quit");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(Instant::now() < deadline, "the engine did not quit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn bestmove(lines: &[String]) -> String {
    let last = lines.last().unwrap();
    last.split_whitespace().nth(1).unwrap().to_owned()
}

#[test]
fn a_transcript_of_the_protocol() {
    let mut engine = Engine::start();
    engine.send("uci");
    let hello = engine.until("uciok");
    assert!(hello[0].starts_with("id name wgzero "), "{hello:?}");
    for option in ["Simulations", "Batch", "Backend", "Checkpoint"] {
        assert!(
            hello
                .iter()
                .any(|l| l.starts_with(&format!("option name {option} type"))),
            "{option}: {hello:?}"
        );
    }
    engine.send("isready");
    engine.until("readyok");

    // The last info line before bestmove holds the final count.
    engine.send("position startpos moves e2e4 e7e5");
    engine.send("go nodes 40");
    let lines = engine.until("bestmove");
    let info = &lines[lines.len() - 2];
    let words: Vec<&str> = info.split_whitespace().collect();
    let field = |name: &str| words[words.iter().position(|w| *w == name).unwrap() + 1];
    assert_eq!(field("nodes"), "40", "{info}");
    for name in ["depth", "seldepth", "time", "nps", "cp"] {
        field(name).parse::<i64>().unwrap();
    }
    let mut game = ChessGame::default();
    for text in ["e2e4", "e7e5"] {
        game.play(parse_uci(game.position(), text).unwrap())
            .unwrap();
    }
    parse_uci(game.position(), &bestmove(&lines)).expect("a legal move");

    // A bad position changes nothing: the engine still searches the one before it, where
    // the rook on the second rank leaves the king one move, h1g1.
    let only = "7k/8/8/8/8/8/r7/7K w - - 0 1";
    engine.send(&format!("position fen {only}"));
    engine.send(&format!("position fen {only} moves h1h2"));
    engine.send("position fen not a fen at all");
    engine.send("go nodes 5");
    let lines = engine.until("bestmove");
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("info string error:"))
            .count()
            == 2,
        "{lines:?}"
    );
    assert_eq!(bestmove(&lines), "h1g1", "{lines:?}");

    // A finished game: an error and the null move.
    engine.send("position fen 7k/6Q1/6K1/8/8/8/8/8 b - - 0 1");
    engine.send("go movetime 100");
    let lines = engine.until("bestmove");
    assert_eq!(lines.last().unwrap(), "bestmove 0000");
    assert!(lines[0].contains("the game is over"), "{lines:?}");

    // Options: a bad value is refused and named; a good one is taken.
    engine.send("setoption name Batch value 0");
    engine.send("setoption name Checkpoint value /no/such/run");
    engine.send("setoption name Colour value blue");
    engine.send("setoption name Simulations value 3");
    engine.send("setoption name batch value 2");
    engine.send("isready");
    let lines = engine.until("readyok");
    let errors: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("info string error:"))
        .collect();
    assert_eq!(errors.len(), 3, "{lines:?}");
    assert!(errors[1].contains("/no/such/run"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("batch 2")),
        "the rebuilt network says its batch: {lines:?}"
    );
    engine.send("position startpos");
    engine.send("go");
    let lines = engine.until("bestmove");
    assert!(
        lines[lines.len() - 2].contains(" nodes 3 "),
        "Simulations 3: {lines:?}"
    );

    // `go infinite` waits for stop; isready is answered meanwhile.
    engine.send("go infinite");
    engine.send("isready");
    let lines = engine.until("readyok");
    assert!(
        lines.iter().all(|l| !l.starts_with("bestmove")),
        "{lines:?}"
    );
    engine.send("stop");
    engine.until("bestmove");
    engine.quit();
}

/// The start position's 20 legal moves, as every chess reference lists them.
const START_MOVES: [&str; 20] = [
    "a2a3", "a2a4", "b2b3", "b2b4", "c2c3", "c2c4", "d2d3", "d2d4", "e2e3", "e2e4", "f2f3", "f2f4",
    "g2g3", "g2g4", "h2h3", "h2h4", "b1a3", "b1c3", "g1f3", "g1h3",
];

#[test]
fn without_a_checkpoint_it_plays_the_bundled_network() {
    let command: Vec<String> = [BINARY, "uci", "--backend", "cpu"]
        .iter()
        .map(|part| part.to_string())
        .collect();
    let mut engine = Engine::spawn(&command, Stdio::piped());
    engine.send("isready");
    engine.until("readyok");
    engine.send("position startpos");
    engine.send("go nodes 16");
    let lines = engine.until("bestmove");
    let chosen = bestmove(&lines);
    assert!(
        START_MOVES.contains(&chosen.as_str()),
        "{chosen} after {lines:?}"
    );
    let mut stderr = engine.child.stderr.take().unwrap();
    engine.quit();
    let mut said = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
    assert!(
        said.contains("network bundled:chess (iteration 1638)"),
        "{said}"
    );

    // A checkpoint that does not load is still a setting to change: exit code 2.
    let output = Command::new(BINARY)
        .args(["uci", "--backend", "cpu", "--checkpoint", "/no/such/run"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // End of input without `quit` ends the engine too, with success.
    let output = Command::new(BINARY)
        .args(engine_command().into_iter().skip(1))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(output.status.success());
}

/// A chess checkpoint from before the 119-plane input (20 planes, no history) is refused at
/// start with exit code 2 and an error naming the difference. Made by editing the tiny
/// checkpoint's network descriptor, which is what such a checkpoint differs in first.
#[test]
fn an_old_twenty_plane_checkpoint_is_refused_naming_the_input_planes() {
    let checkpoints = checkpoint().join("checkpoints");
    let latest = std::fs::read_dir(&checkpoints)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .max()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut record: Value =
        serde_json::from_str(&std::fs::read_to_string(&latest).unwrap()).unwrap();
    assert_eq!(record["network"]["input_planes"], 119);
    record["network"]["input_planes"] = 20.into();
    let old = dir.path().join(latest.file_name().unwrap());
    std::fs::write(&old, record.to_string()).unwrap();
    let tensors = record["tensors_file"].as_str().unwrap();
    std::fs::copy(checkpoints.join(tensors), dir.path().join(tensors)).unwrap();
    let output = Command::new(BINARY)
        .args(["uci", "--backend", "cpu", "--checkpoint"])
        .arg(&old)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("network.input_planes is 20 in the checkpoint but 119 for this program"),
        "{stderr}"
    );
}
