//! `wgzero search` end to end: one JSON line, the same result on the CPU reference and the
//! GPU search, the tree file, and clear errors.

use std::process::Command;

use wgzero::search::TreeFile;
use wgzero::testing::test_gpu;

fn search(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .arg("search")
        .args(args)
        .output()
        .expect("wgzero runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (ok, stdout, stderr) = search(args);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn one_json_line_with_every_legal_child() {
    let line = json(&[
        "--n",
        "5",
        "--k",
        "3",
        "--position",
        "3,7,1",
        "--sims",
        "300",
        "--json",
        "--backend",
        "cpu",
    ]);
    let children = line["children"].as_array().unwrap();
    assert_eq!(children.len(), 7, "10 edges, 3 played");
    let visits: u64 = children.iter().map(|c| c["visits"].as_u64().unwrap()).sum();
    assert_eq!(visits, 300);
    let chosen = line["chosen"].as_u64().unwrap();
    let most = children
        .iter()
        .max_by_key(|c| c["visits"].as_u64())
        .unwrap();
    assert_eq!(
        most["visits"],
        children.iter().find(|c| c["action"] == chosen).unwrap()["visits"]
    );
}

#[test]
fn zero_simulations_play_the_highest_prior() {
    let line = json(&[
        "--sims",
        "0",
        "--json",
        "--backend",
        "cpu",
        "--position",
        "2",
    ]);
    // Uniform priors: every child ties, the lowest action wins the tie.
    assert_eq!(line["chosen"], 0);
    assert!(
        line["children"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["visits"] == 0)
    );
}

#[test]
fn gpu_and_cpu_agree_and_write_trees() {
    if test_gpu().is_none() {
        return;
    }
    let directory = std::env::temp_dir().join(format!("wgzero-search-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let mut results = Vec::new();
    for backend in ["cpu", "gpu"] {
        let tree = directory.join(format!("{backend}.json"));
        let policy_runs: Vec<serde_json::Value> = ["puct", "gumbel"]
            .iter()
            .map(|policy| {
                json(&[
                    "--n",
                    "6",
                    "--k",
                    "3",
                    "--mode",
                    "avoid",
                    "--position",
                    "0,14",
                    "--sims",
                    "64",
                    "--policy",
                    policy,
                    "--json",
                    "--backend",
                    backend,
                    "--tree",
                    tree.to_str().unwrap(),
                ])
            })
            .collect();
        // The tree file of the last (Gumbel) search passes every check of a tree file.
        let file = TreeFile::load(&tree).unwrap();
        assert_eq!(
            file.tree.nodes[file.tree.root as usize].visits, 65,
            "root: its own evaluation and 64 simulations"
        );
        assert_eq!(file.simulations_done, 64);
        results.push(policy_runs);
    }
    assert_eq!(results[0], results[1]);
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn finished_and_invalid_positions_are_clear_errors() {
    // 0 = (0,1), 4 = (1,2), 1 = (0,2): player 0 owns (0,1) and (0,2)... play a triangle.
    let (ok, _, stderr) = search(&[
        "--n",
        "4",
        "--k",
        "3",
        "--position",
        "0,5,1,4,3",
        "--backend",
        "cpu",
    ]);
    assert!(!ok);
    assert!(stderr.contains("over"), "{stderr}");
    let (ok, _, stderr) = search(&[
        "--n",
        "4",
        "--k",
        "3",
        "--position",
        "0,0",
        "--backend",
        "cpu",
    ]);
    assert!(!ok);
    assert!(stderr.contains("--position"), "{stderr}");
    let (ok, _, stderr) = search(&["--n", "2", "--k", "3", "--backend", "cpu"]);
    assert!(!ok);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
