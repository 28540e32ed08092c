//! A tiny chess checkpoint for the tests that need a chess network (the UCI engine, the
//! arena, the app's chess board): `wgzero train --game chess` on the CPU backend with an
//! 8-filter, 1-block residual net, one iteration of a few 16-ply games, made once per
//! test binary in a temporary folder that lives as long as the binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The run directory of the tiny chess checkpoint (trained on first use).
pub fn tiny_chess_checkpoint() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("chess");
        let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
            .args([
                "train",
                "--game",
                "chess",
                "--backend",
                "cpu",
                "--iterations",
                "1",
                "--filters",
                "8",
                "--blocks",
                "1",
                "--sims",
                "4",
                "--games",
                "4",
                "--moves-per-iteration",
                "16",
                "--train-steps",
                "2",
                "--ply-cap",
                "16",
                "--eval-games",
                "0",
                "--out",
            ])
            .arg(&run)
            .output()
            .expect("the wgzero binary runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (dir, run)
    })
    .1
}
