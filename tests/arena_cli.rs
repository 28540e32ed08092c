//! `wgzero arena` as a user runs it: a tiny chess checkpoint trained here plays Debian's
//! Stockfish, the built-in players and itself; python-chess (an independent reader) reads
//! the PGN back and replays every move. Stockfish and python-chess are installed by
//! `.ci/run`; elsewhere the tests that need them are skipped with a message.

mod chess_checkpoint;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn wgzero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("the wgzero binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The shared tiny chess checkpoint (`tests/chess_checkpoint`).
fn checkpoint() -> &'static Path {
    chess_checkpoint::tiny_chess_checkpoint()
}

/// Whether Stockfish is installed (Debian puts it in /usr/games); CI requires it.
fn stockfish_available() -> bool {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/games")])
        .any(|dir| dir.join("stockfish").is_file());
    if !found {
        assert!(
            !wgzero::testing::gpu_required(),
            "WGZERO_REQUIRE_GPU is set but stockfish is missing (apt-get install stockfish)"
        );
        eprintln!("skipped: stockfish is not installed");
    }
    found
}

/// Whether python3 can import python-chess; CI requires it.
fn python_chess_available() -> bool {
    wgzero::testing::python_module("chess.pgn", "pip install chess")
}

/// python-chess reads every game of a PGN file, replays it (every move must be legal)
/// and prints one JSON line per game: headers, plies, and the result the final board
/// implies (None while the game could go on).
const READ_PGN: &str = r#"
import json, sys
import chess.pgn
games = []
with open(sys.argv[1]) as f:
    while True:
        game = chess.pgn.read_game(f)
        if game is None:
            break
        assert not game.errors, game.errors
        board = game.board()
        for move in game.mainline_moves():
            assert move in board.legal_moves, (board.fen(), move)
            board.push(move)
        outcome = board.outcome(claim_draw=True)
        print(json.dumps({
            "headers": dict(game.headers),
            "plies": board.ply(),
            "board_result": outcome.result() if outcome else None,
        }))
"#;

fn read_pgn(path: &Path) -> Vec<Value> {
    let output = Command::new("python3")
        .args(["-c", READ_PGN, path.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python-chess: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn json_line(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

#[test]
fn a_match_against_stockfish_completes_and_python_chess_reads_its_pgn() {
    if !stockfish_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pgn = dir.path().join("games.pgn");
    let output = wgzero(&[
        "arena",
        "--backend",
        "cpu",
        "--checkpoint",
        checkpoint().to_str().unwrap(),
        "--opponent",
        "stockfish;Skill Level=0;nodes=20",
        "--games",
        "2",
        "--sims",
        "8",
        "--batch",
        "4",
        "--pgn",
        pgn.to_str().unwrap(),
        "--json",
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_line(&text(&output.stdout));
    assert_eq!(lines.len(), 1, "one match");
    let report = &lines[0];
    assert_eq!(report["games"], 2);
    let (wins, draws, losses) = (
        report["wins"].as_u64().unwrap(),
        report["draws"].as_u64().unwrap(),
        report["losses"].as_u64().unwrap(),
    );
    assert_eq!(wins + draws + losses, 2);
    assert!(
        report["first"]
            .as_str()
            .unwrap()
            .contains("8 simulations per move"),
        "{report}"
    );
    assert!(
        report["second"]
            .as_str()
            .unwrap()
            .contains("Skill Level = 0"),
        "{report}"
    );
    assert!(
        report["openings"]
            .as_str()
            .unwrap()
            .contains("depth 10 within ±50 cp"),
        "{report}"
    );
    if !python_chess_available() {
        return;
    }
    let games = read_pgn(&pgn);
    assert_eq!(games.len(), 2, "{}", std::fs::read_to_string(&pgn).unwrap());
    let mut checkpoint_points = 0.0;
    for (index, game) in games.iter().enumerate() {
        let headers = &game["headers"];
        let result = headers["Result"].as_str().unwrap();
        // Nothing was forfeited: the board itself gives the result.
        assert_eq!(game["board_result"].as_str(), Some(result), "{game}");
        assert!(
            game["plies"].as_u64().unwrap() > 4,
            "more than the opening: {game}"
        );
        let checkpoint_white = headers["White"].as_str().unwrap().starts_with("wgzero");
        assert_eq!(checkpoint_white, index == 0, "colours alternate: {game}");
        assert!(
            headers[if checkpoint_white { "Black" } else { "White" }]
                .as_str()
                .unwrap()
                .contains("Stockfish")
        );
        checkpoint_points += match (result, checkpoint_white) {
            ("1/2-1/2", _) => 0.5,
            ("1-0", true) | ("0-1", false) => 1.0,
            _ => 0.0,
        };
    }
    assert_eq!(
        checkpoint_points,
        wins as f64 + draws as f64 / 2.0,
        "the report scores the PGN's games"
    );
    // Both games start from the same opening, with colours swapped.
    let first: Vec<String> = std::fs::read_to_string(&pgn)
        .unwrap()
        .split("\n\n")
        .filter(|part| part.starts_with("1."))
        .map(|movetext| {
            movetext
                .split_whitespace()
                .take(6)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0], first[1], "one opening, played twice");
}

#[test]
fn matches_against_the_built_in_players_report_each_and_append_pgn() {
    let dir = tempfile::tempdir().unwrap();
    let pgn = dir.path().join("games.pgn");
    let run = checkpoint().to_str().unwrap().to_owned();
    let against_itself = format!("checkpoint:{run};sims=2");
    let output = wgzero(&[
        "arena",
        "--backend",
        "cpu",
        "--checkpoint",
        &run,
        "--opponent",
        "random",
        "--opponent",
        "greedy",
        "--opponent",
        &against_itself,
        "--games",
        "3",
        "--sims",
        "4",
        "--batch",
        "2",
        "--openings",
        "random",
        "--concurrency",
        "2",
        "--pgn",
        pgn.to_str().unwrap(),
        "--json",
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_line(&text(&output.stdout));
    assert_eq!(lines.len(), 3, "one line per opponent");
    for (line, opponent) in
        lines
            .iter()
            .zip(["random mover", "material-greedy", "2 simulations per move"])
    {
        assert_eq!(line["games"], 3, "{line}");
        assert!(
            line["second"].as_str().unwrap().contains(opponent),
            "{line}"
        );
        let score = line["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        assert_eq!(line["openings"], "4 random plies, unscored");
    }
    assert_eq!(
        stderr.matches("game ").count(),
        9,
        "a progress line per game: {stderr}"
    );
    let written = std::fs::read_to_string(&pgn).unwrap();
    assert_eq!(written.matches("[Event ").count(), 9, "{written}");
    // The run directory keeps each match's result and the Elo curve.
    let results = std::fs::read_to_string(checkpoint().join("arena/results.jsonl")).unwrap();
    for opponent in ["random mover", "material-greedy"] {
        let line = results
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .find(|line| {
                line["opponent"].as_str().unwrap().contains(opponent) && line["games"] == 3
            })
            .unwrap_or_else(|| panic!("no result against {opponent}: {results}"));
        assert_eq!(line["iteration"], 1, "{line}");
        assert_eq!(line["budget"], "4 simulations per move, batch 2", "{line}");
    }
    let plot = std::fs::read(checkpoint().join("arena/elo.png")).unwrap();
    assert!(plot.starts_with(b"\x89PNG"), "elo.png is a PNG");
    if python_chess_available() {
        assert_eq!(read_pgn(&pgn).len(), 9);
    }
}

#[test]
fn match_minutes_end_a_match_with_the_games_finished() {
    let run = checkpoint().to_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let pgn = dir.path().join("games.pgn");
    let output = wgzero(&[
        "arena",
        "--backend",
        "cpu",
        "--checkpoint",
        &run,
        "--opponent",
        "greedy",
        "--games",
        "100000",
        "--sims",
        "2",
        "--openings",
        "start",
        "--concurrency",
        "2",
        "--match-minutes",
        "0.05",
        "--pgn",
        pgn.to_str().unwrap(),
        "--json",
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_line(&text(&output.stdout));
    assert_eq!(lines.len(), 1, "{stderr}");
    let line = &lines[0];
    assert_eq!(line["stopped_by_time_limit"], true, "{line}");
    let games = line["games"].as_u64().unwrap();
    assert!((1..100_000).contains(&games), "{line}");
    // Only finished games are counted, and each of them is in the PGN.
    let written = std::fs::read_to_string(&pgn).unwrap();
    assert_eq!(
        written.matches("[Event ").count() as u64,
        games,
        "{written}"
    );
}

#[test]
fn bad_settings_are_named_and_exit_with_code_2() {
    let run = checkpoint().to_str().unwrap().to_owned();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--opponent", "gnuchess-ish"],
            "unknown opponent \"gnuchess-ish\"",
        ),
        (&["--opponent", "uci:/nonexistent/engine"], "cannot start"),
        (
            &["--opponent", "stockfish;nodes=zero"],
            "nodes=zero: expected a whole number",
        ),
        (
            &["--opponent", "random;depth=3"],
            "random takes no settings",
        ),
        (
            &[
                "--openings",
                "scored",
                "--opening-engine",
                "no-such-engine-here",
            ],
            "--openings random",
        ),
        (
            &["--match-minutes", "0"],
            "0 is not in (0, 1000000] minutes",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "arena",
            "--backend",
            "cpu",
            "--checkpoint",
            run.as_str(),
            "--games",
            "2",
        ];
        args.extend_from_slice(extra);
        let output = wgzero(&args);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{extra:?} should fail");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A clique network is not a chess player.
    let output = wgzero(&["arena", "--backend", "cpu", "--checkpoint", "bundled:avoid"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("holds a clique network, not a chess one"),
        "{stderr}"
    );
}

/// A UCI engine that answers the protocol but, playing black, answers `bestmove a1a1`,
/// and playing white crashes at `go`.
const BAD_ENGINE: &str = r#"
import sys
plies = 0
for line in sys.stdin:
    words = line.split()
    word = words[0] if words else ""
    if word == "uci":
        print("id name nonsense", flush=True)
        print("uciok", flush=True)
    elif word == "isready":
        print("readyok", flush=True)
    elif word == "position":
        plies = len(words) - words.index("moves") - 1 if "moves" in words else 0
    elif word == "go":
        if plies % 2 == 0:
            sys.exit(3)
        print("bestmove a1a1", flush=True)
    elif word == "quit":
        break
"#;

#[test]
fn an_engine_that_breaks_the_rules_or_crashes_loses_by_forfeit_and_the_match_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad_engine.py");
    std::fs::write(&script, BAD_ENGINE).unwrap();
    let pgn = dir.path().join("games.pgn");
    let opponent = format!("uci:python3 {};nodes=1", script.display());
    let output = wgzero(&[
        "arena",
        "--backend",
        "cpu",
        "--checkpoint",
        checkpoint().to_str().unwrap(),
        "--opponent",
        &opponent,
        "--games",
        "4",
        "--sims",
        "2",
        "--openings",
        "random",
        "--concurrency",
        "1",
        "--pgn",
        pgn.to_str().unwrap(),
        "--json",
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let report = &json_line(&text(&output.stdout))[0];
    assert_eq!(
        (report["wins"].as_u64(), report["losses"].as_u64()),
        (Some(4), Some(0)),
        "{report}"
    );
    let written = std::fs::read_to_string(&pgn).unwrap();
    // Games 1 and 3: the engine is black and plays a1a1; games 2 and 4: white, it crashes.
    assert_eq!(
        written.matches("[Termination \"forfeit: ").count(),
        4,
        "{written}"
    );
    assert_eq!(
        written.matches("answered bestmove \\\"a1a1\\\"").count(),
        2,
        "{written}"
    );
    assert_eq!(
        written
            .matches("exited while wgzero waited for bestmove")
            .count(),
        2,
        "{written}"
    );
}

#[test]
fn plot_only_redraws_the_elo_curve_from_the_results_and_plays_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(run.join("checkpoints")).unwrap();
    std::fs::create_dir_all(run.join("arena")).unwrap();
    let results = run.join("arena/results.jsonl");
    let lines = [(1, 2.0, 14, 4, 2), (40, 9.5, 16, 2, 2)]
        .map(|(iteration, minutes, wins, draws, losses)| {
            format!(
                "{{\"iteration\":{iteration},\"training_minutes\":{minutes},\"opponent\":\"the \
             uniform random mover\",\"budget\":\"800 simulations per move, batch 64\",\
             \"games\":20,\"wins\":{wins},\"draws\":{draws},\"losses\":{losses},\"score\":\
             {},\"elo\":null,\"elo_low\":null,\"elo_high\":null,\"unix_seconds\":{iteration}}}\n",
                (f64::from(wins) + f64::from(draws) / 2.0) / 20.0
            )
        })
        .concat();
    std::fs::write(&results, &lines).unwrap();
    let run_text = run.to_str().unwrap();
    let output = wgzero(&["arena", "--checkpoint", run_text, "--plot-only"]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let plot = run.join("arena/elo.png");
    assert!(text(&output.stdout).contains(plot.to_str().unwrap()));
    // The same picture the library draws from those results, and nothing played.
    let twin = dir.path().join("twin");
    std::fs::create_dir_all(twin.join("arena")).unwrap();
    std::fs::write(twin.join("arena/results.jsonl"), &lines).unwrap();
    let expected = wgzero::arena::curve::write_plot(&twin).unwrap();
    assert_eq!(
        std::fs::read(&plot).unwrap(),
        std::fs::read(expected).unwrap()
    );
    assert_eq!(std::fs::read_to_string(&results).unwrap(), lines);
    let entries = std::fs::read_dir(run.join("arena")).unwrap().count();
    assert_eq!(entries, 2, "results.jsonl and elo.png only, no PGN");

    // Without results, or without a run directory, the error says what to do.
    std::fs::write(&results, "").unwrap();
    let output = wgzero(&["arena", "--checkpoint", run_text, "--plot-only"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("holds no results yet; play a match"));
    let output = wgzero(&["arena", "--checkpoint", "bundled:chess", "--plot-only"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--plot-only needs a run directory"));
}
