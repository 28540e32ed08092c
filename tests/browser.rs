//! The browser build in a real browser: builds `web/dist` with `web/build.sh`, then runs
//! `web/tests/*.test.mjs` (playwright-core driving Debian's Chromium, WebGPU on SwiftShader
//! and the no-WebGPU fallback). Screenshots land in `target/web-tests/`.
//!
//! Needs wasm-bindgen-cli, node with `web/tests/node_modules` (`npm ci --prefix web/tests`)
//! and chromium; `.ci/run` installs them. Without them the test is skipped, unless
//! `WGZERO_REQUIRE_GPU` is set (as in CI), when it fails naming what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::{RngExt, SeedableRng};
use wgzero::games::GameState;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};

/// Positions the tab and the CLI compare raw-policy moves on.
const POSITIONS: usize = 20;
/// Simulations of the search whose visit counts they compare.
const SEARCH_SIMULATIONS: u32 = 64;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|directory| directory.join(program).is_file())
    })
}

/// What the browser tests need and this machine lacks, with how to get it.
fn missing_tools(root: &Path) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !on_path("wasm-bindgen") {
        missing.push("wasm-bindgen (cargo install wasm-bindgen-cli --version <Cargo.lock's>)");
    }
    if !on_path("node") {
        missing.push("node (apt-get install nodejs npm)");
    }
    if !root.join("web/tests/node_modules/playwright-core").is_dir() {
        missing.push("playwright-core (npm ci --prefix web/tests)");
    }
    if !Path::new("/usr/bin/chromium").is_file() && std::env::var_os("WGZERO_CHROMIUM").is_none() {
        missing.push("chromium (apt-get install chromium)");
    }
    missing
}

#[test]
fn the_browser_build_loads_trains_and_falls_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let missing = missing_tools(root);
    if !missing.is_empty() {
        let message = format!("the browser tests need: {}", missing.join("; "));
        if wgzero::testing::gpu_required() {
            panic!("WGZERO_REQUIRE_GPU is set but {message}");
        }
        eprintln!("skipped: {message}");
        return;
    }
    let build = Command::new(root.join("web/build.sh"))
        .current_dir(root)
        .status()
        .expect("running web/build.sh");
    assert!(build.success(), "web/build.sh failed");
    let out = root.join("target/web-tests");
    let reference = native_reference(&out);
    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1", "web/tests/"])
        .current_dir(root)
        .env("WGZERO_WEB_OUT", &out)
        .env("WGZERO_WEB_REFERENCE", &reference)
        .status()
        .expect("running node");
    assert!(
        status.success(),
        "the browser tests failed (screenshots in {})",
        out.display()
    );
    // The checkpoint the tab handed out loads natively and plays a move.
    let downloaded = out.join("downloaded");
    let json = std::fs::read_dir(&downloaded)
        .expect("the tab's downloaded checkpoint")
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .expect("a downloaded .json");
    let line = wgzero(&[
        "search",
        "--backend",
        "cpu",
        "--checkpoint",
        json.to_str().unwrap(),
        "--sims",
        "8",
        "--json",
    ]);
    let result: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert!(result["chosen"].is_u64(), "{line}");
}

/// Runs the CLI and returns its stdout; fails the test with its stderr.
fn wgzero(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("running wgzero");
    assert!(
        output.status.success(),
        "wgzero {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Random positions of K_6, k = 3 at every depth from the empty board to near the end,
/// none of them over.
fn positions(config: CliqueConfig) -> Vec<Vec<usize>> {
    let mut random = rand::rngs::StdRng::seed_from_u64(24);
    let mut found = Vec::new();
    while found.len() < POSITIONS {
        let depth = found.len() % 11;
        let mut state = CliqueState::new(config);
        let mut moves = Vec::new();
        while moves.len() < depth && !state.is_over() {
            let legal = state.legal_actions();
            let action = legal[random.random_range(0..legal.len())];
            let mut next = state.clone();
            next.apply(action).unwrap();
            if next.terminal_value().is_some() {
                break;
            }
            state = next;
            moves.push(action);
        }
        if moves.len() == depth {
            found.push(moves);
        }
    }
    found
}

/// Trains a checkpoint with the native CLI and records what `wgzero search` says about it:
/// the raw-policy move (`--sims 0`) at each of [`POSITIONS`] positions, and one search's
/// root visit counts. Returns the JSON file the browser test reads.
fn native_reference(out: &Path) -> PathBuf {
    let run_dir = out.join("native-run");
    let _ = std::fs::remove_dir_all(&run_dir);
    std::fs::create_dir_all(out).unwrap();
    let run = run_dir.to_str().unwrap();
    wgzero(&[
        "train",
        "--backend",
        "cpu",
        "--games",
        "32",
        "--iterations",
        "1",
        "--out",
        run,
    ]);
    let checkpoints = run_dir.join("checkpoints");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&checkpoints)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let search = |moves: &[usize], sims: u32| -> serde_json::Value {
        let position = moves
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let line = wgzero(&[
            "search",
            "--backend",
            "cpu",
            "--checkpoint",
            run,
            "--position",
            &position,
            "--sims",
            &sims.to_string(),
            "--json",
        ]);
        serde_json::from_str(line.trim()).unwrap()
    };
    let config = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let raw_moves: Vec<serde_json::Value> = positions(config)
        .iter()
        .map(|moves| serde_json::json!({ "moves": moves, "chosen": search(moves, 0)["chosen"] }))
        .collect();
    let searched = vec![0, 14, 3];
    let visits = search(&searched, SEARCH_SIMULATIONS)["children"].clone();
    let reference = serde_json::json!({
        "files": files,
        "raw_moves": raw_moves,
        "search": { "moves": searched, "simulations": SEARCH_SIMULATIONS, "children": visits },
    });
    let path = out.join("native-reference.json");
    std::fs::write(&path, serde_json::to_string_pretty(&reference).unwrap()).unwrap();
    path
}
