//! `wgzero chess perft` end to end: `--json` prints exactly one JSON line with the node
//! count (and the split with `--divide`), `--gpu` agrees with the CPU, and a bad FEN is an
//! error that names the field.

use std::process::{Command, Output};

use wgzero::testing::test_gpu;

fn wgzero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("the wgzero binary runs")
}

fn perft_json(args: &[&str]) -> serde_json::Value {
    let output = wgzero(&[&["chess", "perft", "--json"], args].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn perft_json_is_one_line_with_nodes_and_divide() {
    let plain = perft_json(&["--depth", "3"]);
    assert_eq!(plain, serde_json::json!({"nodes": 8902}));
    let kiwipete = "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1";
    let split = perft_json(&["--fen", kiwipete, "--depth", "2", "--divide"]);
    assert_eq!(split["nodes"], 2039);
    let divide = split["divide"].as_object().unwrap();
    assert_eq!(divide.len(), 48);
    assert_eq!(divide["e1g1"], 43);
    assert_eq!(
        divide.values().map(|v| v.as_u64().unwrap()).sum::<u64>(),
        2039
    );
}

#[test]
fn gpu_perft_agrees_with_the_cpu() {
    if test_gpu().is_none() {
        return;
    }
    let cpu = perft_json(&["--depth", "3", "--divide"]);
    let gpu = perft_json(&["--depth", "3", "--divide", "--gpu"]);
    assert_eq!(cpu, gpu);
}

#[test]
fn a_bad_fen_names_the_field() {
    let output = wgzero(&[
        "chess",
        "perft",
        "--depth",
        "1",
        "--fen",
        "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq e5 0 1",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("field 4 (en-passant square)"), "{stderr}");
}
