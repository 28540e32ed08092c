//! `wgzero info` end to end: it lists adapters, and the backend decision follows the rules
//! (software adapters are passed over by `auto` and forced by `--backend gpu`).

use std::process::Command;

use wgzero::testing::gpu_required;

fn info(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["info", "--json"])
        .args(args)
        .output()
        .expect("the wgzero binary runs");
    assert!(
        output.status.success(),
        "wgzero info failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("info --json prints one JSON object")
}

fn has_adapters(report: &serde_json::Value) -> bool {
    !report["adapters"].as_array().unwrap().is_empty()
}

#[test]
fn cpu_is_chosen_when_asked() {
    let report = info(&["--backend", "cpu"]);
    assert_eq!(report["chosen_backend"], "cpu");
    assert!(report["self_test_elements"].is_null());
}

#[test]
fn auto_skips_software_adapters_and_gpu_forces_them() {
    let report = info(&[]);
    if !has_adapters(&report) {
        assert!(
            !gpu_required(),
            "WGZERO_REQUIRE_GPU is set but info lists no adapter"
        );
        assert_eq!(report["chosen_backend"], "cpu");
        return;
    }
    let best = &report["adapters"][0];
    if best["is_software"] == true {
        assert_eq!(report["chosen_backend"], "cpu", "{report}");
        let forced = info(&["--backend", "gpu"]);
        assert_eq!(forced["chosen_backend"], "gpu");
        assert_eq!(forced["chosen_adapter"], best["name"]);
        assert_eq!(forced["self_test_elements"], 4099);
    } else {
        assert_eq!(report["chosen_backend"], "gpu");
    }
}

#[test]
fn an_unknown_adapter_name_is_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["info", "--adapter", "no-such-gpu-xyz"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-gpu-xyz"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
