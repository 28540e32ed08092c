//! Checkpoints: a real training program's parameters and optimizer state come back
//! exactly (the next step matches the uninterrupted run's), the store keeps the last N,
//! what a user names resolves to the right checkpoint (a run directory: its latest), a
//! checkpoint written before gating was dropped (format 1) still loads, and every kind of
//! damage gives its own error; an export for inference keeps the parameters and the last
//! metrics and loads, from files or from bytes. The kill -9 test is in checkpoints_kill9.rs.

mod checkpoint_fixtures;

use std::fs;
use std::path::{Path, PathBuf};

use checkpoint_fixtures::{
    descriptor, inference_program, keep, metrics_record, small_mlp, training_program,
};
use serde_json::{Value, json};
use wgzero::backend::Compute;
use wgzero::graph::optim;
use wgzero::graph::{Graph, Program};
use wgzero::nn::{mlp::Mlp, names};
use wgzero::run_dir::RunDirError;
use wgzero::run_dir::checkpoint::{
    CHECKPOINTS_DIRECTORY, Checkpoint, CheckpointStore, Restore, RunState, locate, snapshot_tensors,
};
use wgzero::testing::backends;

/// Saves `program` as `iteration` with a recognisable run state.
fn save(
    store: &mut CheckpointStore,
    iteration: u64,
    network: &Value,
    graph: &Graph,
    program: &Program,
) -> PathBuf {
    let metrics: Vec<_> = (1..=iteration).map(metrics_record).collect();
    let state = RunState {
        iteration,
        network,
        config: &json!({ "game": "clique", "n": 6, "k": 3 }),
        rng_state: &json!({ "words": [iteration, 7] }),
        metrics: &metrics,
        elapsed_seconds: 2.5 * iteration as f64,
    };
    store.save(&state, &snapshot(graph, program)).unwrap().path
}

/// Every persistent value of a program, as a checkpoint holds them.
fn snapshot(graph: &Graph, program: &Program) -> Vec<wgzero::run_dir::checkpoint::StoredTensor> {
    let values = persistent(graph, program)
        .into_iter()
        .map(|(_, values)| values)
        .collect();
    snapshot_tensors(graph, values)
}

/// Every persistent value of a program, by name.
fn persistent(graph: &Graph, program: &Program) -> Vec<(String, Vec<f32>)> {
    graph
        .persistent_values()
        .into_iter()
        .map(|(name, _, _)| {
            let values = program.read(&name).unwrap();
            (name, values)
        })
        .collect()
}

fn close(a: &[f32], b: &[f32], tolerance: f32) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tolerance * y.abs().max(1.0))
}

#[test]
fn round_trip_restores_parameters_and_optimizer_state() {
    let mlp = small_mlp();
    let network = descriptor(&mlp);
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, mut original) = training_program(&mlp, &Compute::Cpu, 1);
    for _ in 0..3 {
        original.run().unwrap();
    }
    let mut store = CheckpointStore::open(run_dir.path(), keep(2)).unwrap();
    save(&mut store, 3, &network, &graph, &original);
    let saved = persistent(&graph, &original);

    let checkpoint = Checkpoint::load(run_dir.path()).unwrap();
    let record = checkpoint.record();
    assert_eq!(record.iteration, 3);
    assert_eq!(record.network, network);
    assert_eq!(record.config["n"], 6);
    assert_eq!(record.rng_state, json!({ "words": [3, 7] }));
    assert_eq!(record.elapsed_seconds, 7.5);
    assert_eq!(
        record.metrics,
        (1..=3).map(metrics_record).collect::<Vec<_>>()
    );
    // Parameters and every optimizer state, bit for bit.
    assert_eq!(checkpoint.tensors().len(), saved.len());
    for (name, values) in &saved {
        let stored = checkpoint
            .tensors()
            .iter()
            .find(|tensor| &tensor.name == name)
            .unwrap();
        assert_eq!(&stored.values, values, "{name}");
        let is_state =
            name.starts_with("optimizer.") || name.ends_with(".m") || name.ends_with(".v");
        assert_eq!(stored.trainable, !is_state, "{name}");
    }
    assert_eq!(
        checkpoint
            .tensors()
            .iter()
            .find(|tensor| tensor.name == optim::STEP)
            .unwrap()
            .values,
        [3.0]
    );

    // The uninterrupted run's next step is the reference.
    original.run().unwrap();
    let reference_loss = original.read(names::LOSS).unwrap();
    let reference = persistent(&graph, &original);

    for compute in backends() {
        let exact = matches!(compute, Compute::Cpu);
        let tolerance = if exact { 0.0 } else { 1e-4 };
        let (graph, mut resumed) = training_program(&mlp, &compute, 2);
        assert_ne!(
            resumed.read("mlp.0.weight").unwrap(),
            saved[0].1,
            "another seed starts elsewhere, so the restore is what makes them equal"
        );
        checkpoint
            .restore(&network, &graph, &mut resumed, Restore::Training)
            .unwrap();
        for (name, values) in &saved {
            assert!(close(&resumed.read(name).unwrap(), values, 0.0), "{name}");
        }
        resumed.run().unwrap();
        assert!(
            close(
                &resumed.read(names::LOSS).unwrap(),
                &reference_loss,
                tolerance
            ),
            "{}",
            compute.name()
        );
        for (name, values) in &reference {
            assert!(
                close(&resumed.read(name).unwrap(), values, tolerance),
                "{} {name}",
                compute.name()
            );
        }

        // Parameters without the Adam moments and step give another update: the
        // optimizer state is what made the step above match.
        let (graph, mut parameters_only) = training_program(&mlp, &compute, 2);
        for (name, _, trainable) in graph.persistent_values() {
            if trainable {
                let stored = checkpoint
                    .tensors()
                    .iter()
                    .find(|t| t.name == name)
                    .unwrap();
                parameters_only.write(&name, &stored.values).unwrap();
            }
        }
        parameters_only.run().unwrap();
        assert!(!close(
            &parameters_only.read("mlp.0.weight").unwrap(),
            &reference[0].1,
            1e-3
        ));

        // An inference program takes the parameters and leaves the optimizer state out.
        let (graph, mut inference) = inference_program(&mlp, &compute);
        checkpoint
            .restore(&network, &graph, &mut inference, Restore::Inference)
            .unwrap();
        for (name, _, _) in graph.persistent_values() {
            let stored = checkpoint
                .tensors()
                .iter()
                .find(|t| t.name == name)
                .unwrap();
            assert!(close(&inference.read(&name).unwrap(), &stored.values, 0.0));
        }
    }
}

#[test]
fn a_mismatched_program_or_network_is_incompatible_and_left_untouched() {
    let mlp = small_mlp();
    let network = descriptor(&mlp);
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, program) = training_program(&mlp, &Compute::Cpu, 1);
    let mut store = CheckpointStore::open(run_dir.path(), keep(2)).unwrap();
    save(&mut store, 1, &network, &graph, &program);
    let checkpoint = Checkpoint::load(run_dir.path()).unwrap();

    let incompatible = |result: Result<(), RunDirError>, needle: &str| {
        let error = result.unwrap_err();
        assert!(matches!(error, RunDirError::Incompatible { .. }), "{error}");
        assert!(
            error.to_string().contains(needle),
            "{error:?} lacks {needle:?}"
        );
    };

    // Another descriptor: the first differing field is named.
    let (graph, mut fresh) = training_program(&mlp, &Compute::Cpu, 5);
    let before = fresh.read("mlp.0.weight").unwrap();
    let other_network = json!({ "kind": "mlp", "input": 6, "hidden": [16], "actions": 5 });
    incompatible(
        checkpoint.restore(&other_network, &graph, &mut fresh, Restore::Training),
        "network.hidden[0] is 8 in the checkpoint but 16 for this program",
    );
    let with_extra_field =
        json!({ "kind": "mlp", "input": 6, "hidden": [8], "actions": 5, "norm": true });
    incompatible(
        checkpoint.restore(&with_extra_field, &graph, &mut fresh, Restore::Training),
        "network.norm is absent in the checkpoint",
    );

    // Same descriptor, but a program with other shapes: the first tensor is named.
    let wider = Mlp {
        hidden: vec![9],
        ..small_mlp()
    };
    let (wider_graph, mut wider_program) = training_program(&wider, &Compute::Cpu, 5);
    incompatible(
        checkpoint.restore(
            &network,
            &wider_graph,
            &mut wider_program,
            Restore::Training,
        ),
        "parameter \"mlp.0.weight\" has shape [6, 8] in the checkpoint but [6, 9] in the program",
    );

    // Resuming training into an inference program: the optimizer state has nowhere to go.
    let (inference_graph, mut inference) = inference_program(&mlp, &Compute::Cpu);
    incompatible(
        checkpoint.restore(
            &network,
            &inference_graph,
            &mut inference,
            Restore::Training,
        ),
        "optimizer state",
    );

    // An inference program of a deeper network: its extra layer is not in the checkpoint.
    let deeper = Mlp {
        hidden: vec![8, 8],
        ..small_mlp()
    };
    let (deeper_graph, mut deeper_program) = inference_program(&deeper, &Compute::Cpu);
    incompatible(
        checkpoint.restore(
            &network,
            &deeper_graph,
            &mut deeper_program,
            Restore::Inference,
        ),
        "parameter \"mlp.1.weight\" [8, 8] is not in the checkpoint",
    );

    // A shallower network's inference program lacks a parameter the checkpoint has.
    let two_layers = Mlp {
        hidden: vec![8, 8],
        ..small_mlp()
    };
    let two_network = descriptor(&two_layers);
    let (two_graph, two_program) = training_program(&two_layers, &Compute::Cpu, 1);
    let two_dir = tempfile::tempdir().unwrap();
    let mut two_store = CheckpointStore::open(two_dir.path(), keep(1)).unwrap();
    save(&mut two_store, 1, &two_network, &two_graph, &two_program);
    let two_checkpoint = Checkpoint::load(two_dir.path()).unwrap();
    let (graph, mut shallow) = inference_program(&small_mlp(), &Compute::Cpu);
    incompatible(
        two_checkpoint.restore(&two_network, &graph, &mut shallow, Restore::Inference),
        "the checkpoint's parameter \"mlp.1.bias\"",
    );

    // No failed restore wrote anything.
    assert_eq!(fresh.read("mlp.0.weight").unwrap(), before);
}

/// The iterations whose .json and .safetensors files are in the checkpoints folder; panics
/// when a file has no partner.
fn iterations_on_disk(run_dir: &Path) -> Vec<u64> {
    let mut json = Vec::new();
    let mut tensors = Vec::new();
    for entry in fs::read_dir(run_dir.join(CHECKPOINTS_DIRECTORY)).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let (stem, extension) = name.rsplit_once('.').unwrap();
        let iteration: u64 = stem.strip_prefix("ckpt-").unwrap().parse().unwrap();
        assert_eq!(stem, format!("ckpt-{iteration:08}"));
        match extension {
            "json" => json.push(iteration),
            "safetensors" => tensors.push(iteration),
            _ => panic!("unexpected file {name}"),
        }
    }
    json.sort();
    tensors.sort();
    assert_eq!(json, tensors, "every checkpoint has both files");
    json
}

#[test]
fn the_store_keeps_the_last_n() {
    let mlp = small_mlp();
    let network = descriptor(&mlp);
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, program) = training_program(&mlp, &Compute::Cpu, 1);
    let keep_last = 3;
    let mut store = CheckpointStore::open(run_dir.path(), keep(keep_last)).unwrap();
    assert_eq!(store.latest_iteration(), None);
    for iteration in 1..=10 {
        save(&mut store, iteration, &network, &graph, &program);
        let expected: Vec<u64> =
            (iteration.saturating_sub(keep_last as u64 - 1).max(1)..=iteration).collect();
        assert_eq!(
            iterations_on_disk(run_dir.path()),
            expected,
            "after {iteration}"
        );
        let latest = Checkpoint::load(run_dir.path()).unwrap();
        assert_eq!(latest.record().iteration, iteration);
    }

    // Reopened (a resumed run), the store knows where it was.
    let mut store = CheckpointStore::open(run_dir.path(), keep(keep_last)).unwrap();
    assert_eq!(store.latest_iteration(), Some(10));
    let error = store
        .save(
            &RunState {
                iteration: 10,
                network: &network,
                config: &Value::Null,
                rng_state: &Value::Null,
                metrics: &[],
                elapsed_seconds: 0.0,
            },
            &snapshot(&graph, &program),
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            RunDirError::IterationNotAfterLatest {
                iteration: 10,
                latest: 10,
                ..
            }
        ),
        "{error}"
    );
    save(&mut store, 11, &network, &graph, &program);
    assert_eq!(iterations_on_disk(run_dir.path()), [9, 10, 11]);
    assert_eq!(
        Checkpoint::load(run_dir.path()).unwrap().record().iteration,
        11
    );
}

#[test]
fn locate_accepts_a_run_directory_its_checkpoints_folder_or_either_file() {
    let mlp = small_mlp();
    let network = descriptor(&mlp);
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, program) = training_program(&mlp, &Compute::Cpu, 1);
    let mut store = CheckpointStore::open(run_dir.path(), keep(5)).unwrap();
    save(&mut store, 1, &network, &graph, &program);
    let second = save(&mut store, 2, &network, &graph, &program);
    let folder = run_dir.path().join(CHECKPOINTS_DIRECTORY);
    let first = folder.join("ckpt-00000001.json");
    assert_eq!(locate(run_dir.path()).unwrap(), second, "a run's latest");
    assert_eq!(locate(&first).unwrap(), first, "a file is itself");
    assert_eq!(locate(&folder).unwrap(), second);
    assert_eq!(locate(&second).unwrap(), second);
    let tensors = folder.join("ckpt-00000002.safetensors");
    assert_eq!(locate(&tensors).unwrap(), second);
    assert_eq!(Checkpoint::load(&tensors).unwrap().record().iteration, 2);
}

fn not_found(path: &Path, needle: &str) {
    let error = Checkpoint::load(path).unwrap_err();
    assert!(matches!(error, RunDirError::NotFound { .. }), "{error}");
    assert!(
        error.to_string().contains(needle),
        "{error} lacks {needle:?}"
    );
}

#[test]
fn missing_checkpoints_are_not_found_and_the_error_lists_what_exists() {
    let parent = tempfile::tempdir().unwrap();
    let run_dir = parent.path().join("run-a");
    let mlp = small_mlp();
    let (graph, program) = training_program(&mlp, &Compute::Cpu, 1);
    let mut store = CheckpointStore::open(&run_dir, keep(5)).unwrap();
    save(&mut store, 1, &descriptor(&mlp), &graph, &program);
    save(&mut store, 2, &descriptor(&mlp), &graph, &program);

    // A mistyped run directory: the run directories beside it are listed.
    not_found(&parent.path().join("run-b"), "run-a");
    // A folder that is not a run.
    let empty = parent.path().join("empty");
    fs::create_dir(&empty).unwrap();
    not_found(&empty, "not a run directory");
    // A run without a checkpoint yet.
    let fresh = parent.path().join("fresh");
    CheckpointStore::open(&fresh, keep(1)).unwrap();
    not_found(&fresh, "no checkpoint yet");
    // A missing checkpoint file, and a tensors file without its JSON: what exists is listed.
    let folder = run_dir.join(CHECKPOINTS_DIRECTORY);
    not_found(&folder.join("ckpt-00000009.json"), "ckpt-00000002.json");
    fs::remove_file(folder.join("ckpt-00000001.json")).unwrap();
    not_found(
        &folder.join("ckpt-00000001.safetensors"),
        "ckpt-00000002.json",
    );
    // A file of another kind.
    let other = parent.path().join("notes.txt");
    fs::write(&other, "hello").unwrap();
    not_found(&other, ".json or .safetensors");
}

/// A saved run to damage: returns (run dir guard, JSON path, tensors path).
fn saved_run() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let mlp = small_mlp();
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, program) = training_program(&mlp, &Compute::Cpu, 1);
    let mut store = CheckpointStore::open(run_dir.path(), keep(2)).unwrap();
    let json = save(&mut store, 1, &descriptor(&mlp), &graph, &program);
    let tensors = json.with_extension("safetensors");
    (run_dir, json, tensors)
}

fn edit_json(json_path: &Path, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let mut value: Value = serde_json::from_slice(&fs::read(json_path).unwrap()).unwrap();
    edit(value.as_object_mut().unwrap());
    fs::write(json_path, serde_json::to_vec(&value).unwrap()).unwrap();
}

/// Replaces the tensors file with `bytes` and makes the JSON's size and hash agree with
/// them, so that only the content itself is wrong.
fn replace_tensors_consistently(json_path: &Path, tensors_path: &Path, bytes: &[u8]) {
    use sha2::Digest;
    fs::write(tensors_path, bytes).unwrap();
    let hash: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    edit_json(json_path, |record| {
        record.insert("tensors_bytes".into(), json!(bytes.len()));
        record.insert("tensors_sha256".into(), json!(hash));
    });
}

fn corrupt(json_path: &Path, needle: &str) {
    let error = Checkpoint::load_file(json_path).unwrap_err();
    assert!(matches!(error, RunDirError::Corrupt { .. }), "{error}");
    assert!(
        error.to_string().contains(needle),
        "{error} lacks {needle:?}"
    );
}

#[test]
fn every_kind_of_damage_gives_its_error() {
    // A flipped byte in the tensors data.
    let (_dir, json, tensors) = saved_run();
    let mut bytes = fs::read(&tensors).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    fs::write(&tensors, &bytes).unwrap();
    corrupt(&json, "SHA-256");

    // A truncated tensors file.
    let (_dir, json, tensors) = saved_run();
    let bytes = fs::read(&tensors).unwrap();
    fs::write(&tensors, &bytes[..bytes.len() / 2]).unwrap();
    corrupt(&json, "truncated");

    // Another checkpoint's tensors file under this name: same size, other hash.
    let (_dir, json, tensors) = saved_run();
    let (_other_dir, _, other_tensors) = saved_run();
    let mut other = fs::read(&other_tensors).unwrap();
    let last = other.len() - 1;
    other[last] = other[last].wrapping_add(1);
    fs::write(&tensors, other).unwrap();
    corrupt(&json, "not this checkpoint's tensors");

    // The tensors file is gone.
    let (_dir, json, tensors) = saved_run();
    fs::remove_file(&tensors).unwrap();
    corrupt(&json, "is missing");

    // The JSON is not JSON.
    let (_dir, json, _) = saved_run();
    let text = fs::read(&json).unwrap();
    fs::write(&json, &text[..text.len() / 2]).unwrap();
    corrupt(&json, "bad JSON");

    // The JSON lacks a field.
    let (_dir, json, _) = saved_run();
    edit_json(&json, |record| {
        record.remove("iteration");
    });
    corrupt(&json, "missing field `iteration`");

    // The JSON is some other program's.
    let (_dir, json, _) = saved_run();
    fs::write(&json, br#"{"name": "something else"}"#).unwrap();
    corrupt(&json, "not a wgzero checkpoint");

    // The tensors file name points elsewhere.
    let (_dir, json, _) = saved_run();
    edit_json(&json, |record| {
        record.insert("tensors_file".into(), json!("../../etc/passwd"));
    });
    corrupt(&json, "not a file name in the same folder");

    // Matching hash, but not safetensors.
    let (_dir, json, tensors) = saved_run();
    replace_tensors_consistently(
        &json,
        &tensors,
        b"\x10\x00\x00\x00\x00\x00\x00\x00not a header!!!!",
    );
    corrupt(&json, "bad safetensors data");

    // Valid safetensors, but not wgzero's: no parameter/state marks, f64 data.
    let (_dir, json, tensors) = saved_run();
    let data = [0u8; 8 * 4];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 4], &data).unwrap();
    let unmarked = safetensors::serialize([("mlp.0.weight", view)], None).unwrap();
    replace_tensors_consistently(&json, &tensors, &unmarked);
    corrupt(&json, "not marked");
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F64, vec![2, 2], &data).unwrap();
    let doubles = safetensors::serialize([("mlp.0.weight", view)], None).unwrap();
    replace_tensors_consistently(&json, &tensors, &doubles);
    corrupt(&json, "hold f32");

    // A newer format.
    let (_dir, json, _) = saved_run();
    edit_json(&json, |record| {
        record.insert("format_version".into(), json!(3));
    });
    let error = Checkpoint::load_file(&json).unwrap_err();
    assert!(
        matches!(
            error,
            RunDirError::UnsupportedVersion {
                found: 3,
                supported: 2,
                ..
            }
        ),
        "{error}"
    );

    // A damaged latest checkpoint is reported, not skipped, when the store reopens.
    let (dir, json, _) = saved_run();
    fs::write(&json, b"{").unwrap();
    let error = CheckpointStore::open(dir.path(), keep(2)).unwrap_err();
    assert!(matches!(error, RunDirError::Corrupt { .. }), "{error}");
}

#[test]
fn an_export_for_inference_keeps_the_parameters_and_the_last_metrics() {
    let mlp = small_mlp();
    let network = descriptor(&mlp);
    let run_dir = tempfile::tempdir().unwrap();
    let (graph, mut program) = training_program(&mlp, &Compute::Cpu, 1);
    for _ in 0..3 {
        program.run().unwrap();
    }
    let mut store = CheckpointStore::open(run_dir.path(), keep(2)).unwrap();
    save(&mut store, 3, &network, &graph, &program);
    let original = Checkpoint::load(run_dir.path()).unwrap();

    let exports = tempfile::tempdir().unwrap();
    let folder = exports.path().join("network");
    let saved = original.export_for_inference(&folder).unwrap();
    assert_eq!(saved.iteration, 3);
    assert_eq!(saved.path, folder.join("ckpt-00000003.json"));
    let mut files: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["ckpt-00000003.json", "ckpt-00000003.safetensors"]);

    // It loads and verifies as any checkpoint (the folder is what --checkpoint takes).
    let copy = Checkpoint::load(&folder).unwrap();
    let (record, kept) = (copy.record(), original.record());
    assert_eq!(record.iteration, kept.iteration);
    assert_eq!(record.network, kept.network);
    assert_eq!(record.config, kept.config);
    assert_eq!(record.rng_state, kept.rng_state);
    assert_eq!(record.elapsed_seconds, kept.elapsed_seconds);
    assert_eq!(record.metrics, [metrics_record(3)]);
    let parameters: Vec<_> = original
        .tensors()
        .iter()
        .filter(|tensor| tensor.trainable)
        .cloned()
        .collect();
    assert!(parameters.len() < original.tensors().len());
    assert_eq!(copy.tensors(), parameters);

    // It restores an inference program exactly, and cannot resume training.
    let (graph, mut inference) = inference_program(&mlp, &Compute::Cpu);
    copy.restore(&network, &graph, &mut inference, Restore::Inference)
        .unwrap();
    for (name, values) in persistent(&graph, &inference) {
        let stored = parameters.iter().find(|t| t.name == name).unwrap();
        assert_eq!(values, stored.values, "{name}");
    }
    let (graph, mut training) = training_program(&mlp, &Compute::Cpu, 1);
    let error = copy
        .restore(&network, &graph, &mut training, Restore::Training)
        .unwrap_err();
    assert!(matches!(error, RunDirError::Incompatible { .. }), "{error}");

    // The same bytes from memory are the same checkpoint.
    let from_bytes = Checkpoint::from_bytes(
        "in memory",
        &fs::read(&saved.path).unwrap(),
        &fs::read(saved.path.with_extension("safetensors")).unwrap(),
    )
    .unwrap();
    assert_eq!(from_bytes.record(), copy.record());
    assert_eq!(from_bytes.tensors(), copy.tensors());
    assert_eq!(from_bytes.path(), Path::new("in memory"));

    // A folder that holds a checkpoint already is refused, and left as it was.
    let error = original.export_for_inference(&folder).unwrap_err();
    assert!(matches!(error, RunDirError::NotEmpty { .. }), "{error}");
    assert!(error.to_string().contains("ckpt-00000003.json"), "{error}");
    let error = original
        .export_for_inference(&run_dir.path().join(CHECKPOINTS_DIRECTORY))
        .unwrap_err();
    assert!(matches!(error, RunDirError::NotEmpty { .. }), "{error}");
    assert_eq!(
        Checkpoint::load(run_dir.path()).unwrap().tensors(),
        original.tensors()
    );
}
