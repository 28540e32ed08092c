//! `wgzero train`'s settings: what the flags and a `--config` file set reaches the run's
//! checkpoints (flags winning over the file), and bad values, from either, are refused
//! with exit code 2 and an error that names the flag.

use std::process::Command;

use serde_json::Value;

/// The flags of a run of one small iteration.
const ONE_SMALL_ITERATION: [&str; 8] = [
    "--iterations",
    "1",
    "--games",
    "8",
    "--batch",
    "8",
    "--train-steps",
    "1",
];

fn train(args: &[&str]) -> (bool, String) {
    let (code, stderr) = train_code(args);
    (code == Some(0), stderr)
}

/// The exit code (None: killed) and stderr of `wgzero --backend cpu train ARGS`.
fn train_code(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["--backend", "cpu", "train"])
        .args(args)
        .output()
        .expect("wgzero runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The saved configuration of the run in `run_dir` after its first iteration.
fn saved_config(run_dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(run_dir.join("checkpoints/ckpt-00000001.json")).unwrap();
    let checkpoint: Value = serde_json::from_str(&text).unwrap();
    checkpoint["config"].clone()
}

#[test]
fn random_opening_noise_surprise_weight_replay_fraction_and_precision_reach_the_saved_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_arg = out.to_str().unwrap();
    let (ok, stderr) = train(
        &[
            ONE_SMALL_ITERATION.as_slice(),
            &[
                "--mode",
                "avoid",
                "--random-opening",
                "14",
                "--noise",
                "0.4",
                "--surprise-weight",
                "0.3",
                "--replay-fraction",
                "0.5",
                "--precision",
                "f32",
                "--out",
                out_arg,
            ],
        ]
        .concat(),
    );
    assert!(ok, "{stderr}");
    let config = &saved_config(&out);
    assert_eq!(config["random_opening"], 14);
    assert!((config["surprise_weight"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    assert_eq!(config["replay_fraction"].as_f64(), Some(0.5));
    assert_eq!(config["precision"], "f32");
    let dirichlet = &config["search"]["policy"]["AlphaZero"]["dirichlet"];
    assert_eq!(dirichlet[0].as_f64(), Some(0.5), "alpha kept: {dirichlet}");
    assert!(
        (dirichlet[1].as_f64().unwrap() - 0.4).abs() < 1e-6,
        "{dirichlet}"
    );
}

#[test]
fn bad_settings_exit_2_and_name_the_flag() {
    for (args, expected) in [
        (&["--random-opening", "61"][..], "--random-opening 61"),
        (&["--noise", "1.5"][..], "--noise"),
        (&["--surprise-weight", "-0.1"][..], "--surprise-weight -0.1"),
        (&["--surprise-weight", "2"][..], "--surprise-weight 2"),
        (
            &["--noise", "0.1", "--policy", "gumbel"][..],
            "--policy puct",
        ),
        (&["--hidden", "0"][..], "--hidden"),
        (&["--sims", "4000000000"][..], "--sims"),
        (&["--games", "0"][..], "--games"),
        (&["--learning-rate", "0"][..], "--learning-rate"),
        (&["--minutes", "-1"][..], "--minutes"),
        (
            &["--filters", "8"][..],
            "--filters does not apply to --net mlp",
        ),
        (&["--net", "resnet"][..], "--net"),
        (
            &["--game", "chess", "--n", "6"][..],
            "--n is a clique setting",
        ),
        (&["--n", "5", "--k", "7"][..], "k = 7"),
        (
            &["--k", "3,4", "--mode", "symmetric"][..],
            "--k 3,4 gives the two players different clique sizes, which only --mode avoid",
        ),
        (&["--k", "3,4"][..], "--mode avoid"),
        (
            &["--k", "4,3", "--mode", "asymmetric"][..],
            "--mode asymmetric",
        ),
        (&["--n", "8", "--k", "3,9", "--mode", "avoid"][..], "k = 9"),
        (&["--k", "3,four"][..], "--k"),
        (&["--replay-capacity", "100"][..], "--replay-capacity"),
        // The CPU backend has no f16 tensor cores.
        (
            &["--precision", "f16"][..],
            "--precision f16: the CPU backend computes in f32; use --precision auto or f32",
        ),
        (&["--precision", "f8"][..], "--precision"),
    ] {
        let (code, stderr) =
            train_code(&[args, &["--iterations", "1", "--out", "/nonexistent/x"]].concat());
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_config_file_sets_the_run_and_flags_override_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.toml");
    std::fs::write(
        &file,
        "# A small avoid-mode run.\n\
         mode = \"avoid\"\n\
         n = 5\n\
         games = 8\n\
         batch = 8\n\
         train_steps = 1\n\
         sims = 6\n\
         hidden = 24\n\
         no_augment = true\n\
         surprise_weight = 0.25\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    let (ok, stderr) = train(&[
        "--config",
        file.to_str().unwrap(),
        "--sims",
        "9",
        "--iterations",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let config = saved_config(&out);
    assert_eq!(config["game"]["clique"]["mode"], "avoid");
    assert_eq!(config["game"]["clique"]["n"], 5);
    assert_eq!(config["games_in_flight"], 8);
    assert_eq!(config["search"]["simulations"], 9, "the flag wins");
    assert_eq!(config["network"]["hidden"], serde_json::json!([24, 24]));
    assert_eq!(config["augment"], false);
    assert!((config["surprise_weight"].as_f64().unwrap() - 0.25).abs() < 1e-6);

    // The file's values are bounded as the flags are, and unknown keys are named.
    for (text, expected) in [
        ("sims = 4000000000\n", "--sims"),
        ("hidden = 0\n", "--hidden"),
        ("learning_rate = -1.0\n", "--learning-rate"),
        ("simulations = 5\n", "unknown setting \"simulations\""),
        ("games = \"many\"\n", "--config"),
        ("this is not toml", "not valid TOML"),
    ] {
        std::fs::write(&file, text).unwrap();
        let (code, stderr) = train_code(&[
            "--config",
            file.to_str().unwrap(),
            "--iterations",
            "1",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(2), "{text}: {stderr}");
        assert!(stderr.contains(expected), "{text}: {stderr}");
    }
}

#[test]
fn avoid_mode_takes_two_clique_sizes_from_the_flag_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let small = [
        ONE_SMALL_ITERATION.as_slice(),
        &["--sims", "4", "--hidden", "16"],
    ]
    .concat();
    let out = dir.path().join("flags");
    let (ok, stderr) = train(
        &[
            &["--mode", "avoid", "--n", "8", "--k", "3,4", "--out"][..],
            &[out.to_str().unwrap()],
            &small,
        ]
        .concat(),
    );
    assert!(ok, "{stderr}");
    let clique = &saved_config(&out)["game"]["clique"];
    assert_eq!(clique["k"], 3);
    assert_eq!(clique["t"], 4);

    // In a file, k = "4,3"; k = 4 still means one size for both colours.
    let file = dir.path().join("run.toml");
    for (text, k, t) in [
        ("mode = \"avoid\"\nn = 7\nk = \"4,3\"\n", 4, Some(3)),
        ("mode = \"avoid\"\nn = 7\nk = 4\n", 4, None),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = dir.path().join(format!("file-{k}-{}", t.unwrap_or(k)));
        let (ok, stderr) = train(
            &[
                &["--config", file.to_str().unwrap(), "--out"][..],
                &[out.to_str().unwrap()],
                &small,
            ]
            .concat(),
        );
        assert!(ok, "{text}: {stderr}");
        let clique = &saved_config(&out)["game"]["clique"];
        assert_eq!(clique["k"], k, "{text}");
        assert_eq!(clique.get("t").and_then(Value::as_u64), t, "{text}");
    }

    // Two sizes in a file outside avoid mode: exit 2, naming --k.
    std::fs::write(&file, "mode = \"symmetric\"\nk = \"3,4\"\n").unwrap();
    let (code, stderr) = train_code(&[
        "--config",
        file.to_str().unwrap(),
        "--iterations",
        "1",
        "--out",
        "/nonexistent/x",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--k") && stderr.contains("--mode avoid"),
        "{stderr}"
    );
}
