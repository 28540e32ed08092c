//! `wgzero bench kernels` end to end on tiny shapes: one JSON line per measurement with the
//! promised fields, outputs that pass the built-in f64 spot check, and a clear error on the
//! CPU backend. (Timings are printed, never asserted.)

use std::process::Command;

use wgzero::testing::test_gpu;

fn wgzero(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("the wgzero binary runs")
}

#[test]
fn prints_one_checked_json_line_per_measurement() {
    if test_gpu().is_none() {
        return;
    }
    let output = wgzero(&[
        "--backend",
        "gpu",
        "bench",
        "kernels",
        "--sizes",
        "20,36",
        "--conv-batches",
        "1",
        "--conv-backward",
        "--repeats",
        "1",
        "--seconds-per-repeat",
        "0.001",
        "--mlp-batch",
        "8",
        "--train-batch",
        "2",
    ]);
    assert!(
        output.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let all: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON"))
        .collect();
    // The compiled-program benchmarks (at tiny batches here), then the kernel templates.
    let (lines, programs): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|line| line["bench"] == "kernels");
    let benches: Vec<&str> = programs
        .iter()
        .map(|line| line["bench"].as_str().unwrap())
        .collect();
    for bench in ["mlp_forward", "mlp_inference_with_heads", "train_step"] {
        assert!(benches.contains(&bench), "{bench} missing from {benches:?}");
    }
    for line in &programs {
        assert!(line["median_ms"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["kernels"].as_u64().unwrap() > 0, "{line}");
    }
    let names: Vec<&str> = lines
        .iter()
        .map(|line| line["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.iter().filter(|name| **name == "matmul").count(), 2);
    assert!(names.contains(&"conv2d_forward"));
    assert!(names.contains(&"conv2d_grad_input"));
    assert!(
        names
            .iter()
            .any(|name| name.starts_with("conv2d_grad_weight_splits"))
    );
    for line in &lines {
        for field in ["shape", "tiles", "median_ms", "tflops", "timing"] {
            assert!(!line[field].is_null(), "missing {field} in {line}");
        }
        assert!(line["median_ms"].as_f64().unwrap() > 0.0);
        if let Some(error) = line["spot_check_error"].as_f64() {
            assert!(error < 1e-5, "spot check failed: {line}");
        }
    }
    let conv = lines
        .iter()
        .find(|line| line["name"] == "conv2d_forward")
        .unwrap();
    assert!(conv["evals_per_s"].as_f64().unwrap() > 0.0);
    assert!(conv["spot_check_error"].as_f64().is_some());
}

/// `--dump-shaders` writes every kernel's shader and every dispatch's shader as run (merged
/// ones too), one per dispatch that `--list-kernels` names, each a valid shader.
#[test]
fn dump_shaders_writes_every_dispatch_as_run() {
    if test_gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = wgzero(&[
        "--backend",
        "gpu",
        "bench",
        "kernels",
        "--only",
        "train",
        "--train-batch",
        "2",
        "--list-kernels",
        "--dump-shaders",
        dir.path().to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let listed = stderr
        .lines()
        .filter(|l| l.starts_with("# dispatch"))
        .count();
    let merged = stderr
        .lines()
        .filter(|l| l.starts_with("# dispatch") && l.contains(" + "))
        .count();
    assert!(merged > 0, "no merged dispatch to check: {stderr}");
    let mut dispatches = 0;
    let mut kernels = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let wgsl = std::fs::read_to_string(&path).unwrap();
        wgzero::gpu::validate_wgsl(&wgsl, naga::valid::Capabilities::empty())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("dispatch_") {
            assert!(wgsl.starts_with("// dispatch "), "{name} has no header");
            dispatches += 1;
        } else {
            kernels += 1;
        }
    }
    assert_eq!(dispatches, listed, "{stderr}");
    assert!(kernels > 0);
}

#[test]
fn the_cpu_backend_is_refused_with_a_hint() {
    let output = wgzero(&["--backend", "cpu", "bench", "kernels"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--backend gpu"));
}
