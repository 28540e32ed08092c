//! `wgzero uci` never dies of its input: thousands of random and mutated lines (random
//! tokens, truncations, byte flips of valid commands, bytes that are not UTF-8, huge and
//! negative numbers, bad FENs, illegal moves, `go` with every combination of its
//! parameters, option values) go into one engine process, each batch followed by
//! `isready`, which must be answered `readyok`; `quit` then ends it with exit code 0, and
//! no thread panicked. (The parser alone is fuzzed in-process, with more lines, in
//! `src/uci/command.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const BINARY: &str = env!("CARGO_BIN_EXE_wgzero");

/// Lines that are valid, or nearly, to mutate.
const VALID: [&str; 14] = [
    "uci",
    "isready",
    "ucinewgame",
    "position startpos",
    "position startpos moves e2e4 e7e5 g1f3 b8c6 f1b5 a7a6",
    "position fen r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1 moves e1g1",
    "position fen 8/P6k/8/8/8/8/8/K7 w - - 0 1 moves a7a8n",
    "position fen 7k/6Q1/6K1/8/8/8/8/8 b - - 0 1",
    "go nodes 20",
    "go movetime 30",
    "go wtime 500 btime 500 winc 10 binc 10 movestogo 3",
    "go infinite",
    "stop",
    "setoption name Simulations value 16",
];

const WORDS: [&str; 40] = [
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
    "mate",
    "ponder",
    "searchmoves",
    "stop",
    "setoption",
    "name",
    "value",
    "Simulations",
    "Batch",
    "Checkpoint",
    "ucinewgame",
    "-1",
    "0",
    "1",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999999999",
    "e2e4",
    "e7e8q",
    "a1a1",
    "h7h8n",
    "KQkq",
    "w",
    "-",
    "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR",
];

/// Every combination of `go`'s parameters, with random (sometimes bad) numbers, kept
/// small enough that searches end quickly.
fn random_go(rng: &mut StdRng) -> String {
    let mut line = String::from("go");
    for parameter in [
        "wtime",
        "btime",
        "winc",
        "binc",
        "movestogo",
        "movetime",
        "nodes",
        "depth",
        "infinite",
        "ponder",
        "searchmoves",
    ] {
        if rng.random_bool(0.3) {
            line.push(' ');
            line.push_str(parameter);
            match parameter {
                "infinite" | "ponder" => {}
                "searchmoves" => line.push_str(" e2e4 d2d4"),
                _ => {
                    let number = match rng.random_range(0..6) {
                        0 => "-50".to_owned(),
                        1 => "x".to_owned(),
                        2 => "99999999999999999999".to_owned(),
                        _ => rng.random_range(0..40).to_string(),
                    };
                    line.push(' ');
                    line.push_str(&number);
                }
            }
        }
    }
    line
}

fn random_line(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..8) {
        0 => (0..rng.random_range(0..10))
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes(),
        1 => {
            let valid = VALID[rng.random_range(0..VALID.len())];
            valid.as_bytes()[..rng.random_range(0..=valid.len())].to_vec()
        }
        2 | 3 => {
            let mut bytes = VALID[rng.random_range(0..VALID.len())].as_bytes().to_vec();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..bytes.len());
                bytes[at] = rng.random();
            }
            // A flipped byte may be a newline: the rest is another line, fine too.
            bytes
        }
        4 => random_go(rng).into_bytes(),
        5 => VALID[rng.random_range(0..VALID.len())].as_bytes().to_vec(),
        6 => {
            let option =
                ["Simulations", "Batch", "Backend", "Checkpoint", "Hash"][rng.random_range(0..5)];
            let value = [
                "1",
                "0",
                "-3",
                "cpu",
                "auto",
                "",
                "4",
                "1025",
                "/no/such/run",
            ][rng.random_range(0..9)];
            format!("setoption name {option} value {value}").into_bytes()
        }
        _ => {
            let len = rng.random_range(0..200);
            (0..len).map(|_| rng.random()).collect()
        }
    }
}

#[test]
fn thousands_of_bad_lines_never_kill_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("chess");
    let trained = Command::new(BINARY)
        .args([
            "train",
            "--game",
            "chess",
            "--backend",
            "cpu",
            "--iterations",
            "1",
            "--filters",
            "4",
            "--blocks",
            "1",
            "--sims",
            "2",
            "--games",
            "2",
            "--moves-per-iteration",
            "8",
            "--ply-cap",
            "8",
            "--eval-games",
            "0",
            "--out",
        ])
        .arg(&run)
        .output()
        .unwrap();
    assert!(trained.status.success());

    let mut child = Command::new(BINARY)
        .args(["uci", "--backend", "cpu", "--sims", "16", "--checkpoint"])
        .arg(&run)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let mut rng = StdRng::seed_from_u64(2025);
    let mut sent = 0;
    let mut errors = 0;
    let mut answers = 0;
    for round in 0..600 {
        for _ in 0..10 {
            let mut line = random_line(&mut rng);
            line.push(b'\n');
            stdin.write_all(&line).unwrap();
            sent += 1;
        }
        if round % 50 == 0 {
            // A very long line.
            stdin
                .write_all(&b"position startpos moves".repeat(4000))
                .unwrap();
            stdin.write_all(b"\n").unwrap();
        }
        stdin.write_all(b"isready\n").unwrap();
        stdin.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line == b"readyok" => break,
                Ok(line) => {
                    errors += usize::from(line.starts_with(b"info string error:"));
                    answers += usize::from(line.starts_with(b"bestmove "));
                }
                Err(RecvTimeoutError::Timeout) => panic!("no readyok in round {round}"),
                Err(RecvTimeoutError::Disconnected) => {
                    let output = child.wait_with_output().unwrap();
                    panic!(
                        "the engine died in round {round}: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            }
        }
    }
    stdin.write_all(b"quit\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The lines reached the engine's error paths and its searches alike.
    assert!(sent >= 6000);
    assert!(errors > 600, "{errors} errors");
    assert!(answers > 100, "{answers} bestmoves");
    eprintln!("{sent} lines: {errors} errors, {answers} bestmoves");
}
