//! `wgzero train`'s exploration flags: what they set reaches the run's checkpoints, and
//! bad values are refused with an error that names the flag.

use std::process::Command;

use serde_json::Value;

fn train(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["--backend", "cpu", "train"])
        .args(args)
        .output()
        .expect("wgzero runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn random_opening_noise_and_surprise_weight_reach_the_saved_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_arg = out.to_str().unwrap();
    let (ok, stderr) = train(&[
        "--mode",
        "avoid",
        "--iterations",
        "1",
        "--games",
        "8",
        "--batch",
        "8",
        "--train-steps",
        "1",
        "--random-opening",
        "14",
        "--noise",
        "0.4",
        "--surprise-weight",
        "0.3",
        "--out",
        out_arg,
    ]);
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(out.join("checkpoints/ckpt-00000001.json")).unwrap();
    let checkpoint: Value = serde_json::from_str(&text).unwrap();
    let config = &checkpoint["config"];
    assert_eq!(config["random_opening"], 14);
    assert!((config["surprise_weight"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    let dirichlet = &config["search"]["policy"]["AlphaZero"]["dirichlet"];
    assert_eq!(dirichlet[0].as_f64(), Some(0.5), "alpha kept: {dirichlet}");
    assert!(
        (dirichlet[1].as_f64().unwrap() - 0.4).abs() < 1e-6,
        "{dirichlet}"
    );
}

#[test]
fn bad_exploration_flags_name_the_flag() {
    for (args, expected) in [
        (&["--random-opening", "61"][..], "--random-opening 61"),
        (&["--noise", "1.5"][..], "--noise 1.5"),
        (&["--surprise-weight", "-0.1"][..], "--surprise-weight -0.1"),
        (&["--surprise-weight", "2"][..], "--surprise-weight 2"),
        (
            &["--noise", "0.1", "--policy", "gumbel"][..],
            "--policy puct",
        ),
    ] {
        let (ok, stderr) =
            train(&[args, &["--iterations", "1", "--out", "/nonexistent/x"]].concat());
        assert!(!ok, "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
