//! The browser path within WebGPU's default limits. A browser may give no more than
//! `wgpu::Limits::default()` (8 storage buffers per shader stage, 256 invocations per
//! workgroup, 16 KiB of workgroup memory, 128 MiB per storage binding, 256 MiB per buffer)
//! and no optional feature; SwiftShader, the browser adapter of the web tests, offers more,
//! so only a native device opened with exactly those limits catches a kernel that needs
//! more. On such a device ([`baseline_gpu`]) this runs what a browser tab runs to train
//! the clique game: the trainer driven slice by slice (self-play on the GPU, training
//! steps, evaluation with the GPU search) without a single blocking wait, the training
//! step against the CPU interpreter, and the search against the CPU reference search.
//! Driver errors (a kernel over a limit is one) fail the tests: compiling returns them,
//! readbacks report them, and every test ends with [`Gpu::check`].

use std::sync::Arc;
use std::time::Duration;

use web_time::Instant;
use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::games::{GameInfo, GameSpec, GameState};
use wgzero::gpu::Gpu;
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::spec::NetworkSpec;
use wgzero::nn::{self, names};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchResult,
};
use wgzero::testing::{baseline_gpu, gpu_inference_program, seeded_positions, tiny_train_config};
use wgzero::train::config::TrainConfig;
use wgzero::train::{Trainer, TrainerEvent};

/// The networks a browser tab can train the clique game with, small (two layers each, so
/// that every kind of kernel between layers is there).
fn small_networks() -> [NetworkSpec; 2] {
    [
        NetworkSpec::Mlp {
            hidden: vec![16, 16],
        },
        NetworkSpec::Gnn {
            hidden: 8,
            layers: 2,
        },
    ]
}

/// The root policies the app offers.
fn policies() -> [RootPolicy; 2] {
    [
        RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.1),
            dirichlet: None,
        },
        RootPolicy::Gumbel {
            max_considered: 4,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: false,
        },
    ]
}

/// The device of these tests, checked to be the baseline and not the adapter's own.
fn browser_gpu() -> Option<Arc<Gpu>> {
    let gpu = baseline_gpu()?;
    let defaults = wgpu::Limits::default();
    assert_eq!(gpu.limits.max_storage_buffers_per_shader_stage, 8);
    assert_eq!(
        gpu.limits.max_compute_invocations_per_workgroup,
        defaults.max_compute_invocations_per_workgroup
    );
    assert_eq!(
        gpu.limits.max_compute_workgroup_storage_size,
        defaults.max_compute_workgroup_storage_size
    );
    assert_eq!(
        gpu.limits.max_storage_buffer_binding_size,
        defaults.max_storage_buffer_binding_size
    );
    assert_eq!(gpu.limits.max_buffer_size, defaults.max_buffer_size);
    assert!(!gpu.has(wgpu::Features::SHADER_F16) && !gpu.has(wgpu::Features::SUBGROUP));
    Some(gpu)
}

/// The device is held to the baseline: a kernel binding 9 storage buffers, running 512
/// invocations per workgroup or using 16 KiB + 16 bytes of workgroup memory is refused when
/// its pipeline is built (the last by `Gpu` itself: wgpu 30 does not check that limit).
#[test]
fn the_device_refuses_kernels_over_the_default_limits() {
    let Some(gpu) = browser_gpu() else { return };
    let nine_buffers = (0..9)
        .map(|i| format!("@group(0) @binding({i}) var<storage, read_write> b{i}: array<f32>;\n"))
        .collect::<String>()
        + "@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {\n"
        + &(0..9)
            .map(|i| format!("    b{i}[id.x] = 1.0;\n"))
            .collect::<String>()
        + "}\n";
    let wide = "@group(0) @binding(0) var<storage, read_write> b: array<f32>;\n\
                @compute @workgroup_size(512) fn main(@builtin(global_invocation_id) id: vec3u) \
                { b[id.x] = 1.0; }\n";
    let big = "@group(0) @binding(0) var<storage, read_write> b: array<f32>;\n\
               var<workgroup> tile: array<f32, 4096>;\n\
               var<workgroup> flag: u32;\n\
               @compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) \
               { tile[i] = 1.0; flag = 1u; workgroupBarrier(); b[i] = tile[63u - i]; }\n";
    for (what, wgsl, limit) in [
        (
            "9 storage buffers",
            nine_buffers.as_str(),
            "max_storage_buffers_per_shader_stage",
        ),
        (
            "512 invocations",
            wide,
            "max_compute_invocations_per_workgroup",
        ),
        (
            "16400 bytes of workgroup memory",
            big,
            "max_compute_workgroup_storage_size",
        ),
    ] {
        match gpu.pipeline(what, wgsl, "main") {
            Ok(_) => panic!("a kernel with {what} was accepted"),
            Err(error) => assert!(error.to_string().contains(limit), "{what}: {error}"),
        }
    }
    gpu.check().unwrap();
}

/// A program with a tensor over 128 MiB (one storage binding at WebGPU's defaults) is
/// refused when it is compiled, naming the limit, before any buffer is made.
#[test]
fn a_tensor_over_the_binding_limit_is_refused() {
    let Some(gpu) = browser_gpu() else { return };
    let graph = Graph::new();
    let x = graph.input("x", [8193, 4096]);
    graph.output("y", graph.relu(x));
    let compiled = Program::compile(
        &graph,
        &Compute::Gpu(gpu.clone()),
        &CompileOptions::default(),
    );
    match compiled {
        Ok(_) => panic!("a 134 MB tensor compiled"),
        Err(error) => assert!(
            error.to_string().contains("storage binding limit"),
            "{error}"
        ),
    }
    gpu.check().unwrap();
}

fn small_config(network: NetworkSpec, policy: RootPolicy) -> TrainConfig {
    let mut config = tiny_train_config();
    config.network = network;
    config.search.policy = policy;
    config
}

/// What the web app does every frame: one `advance` with a frame's budget, never waiting
/// for the GPU (any blocking wait panics), until an iteration completes; with each root
/// policy. (The GNN's kernels are checked against the CPU below; compiling them for a
/// whole trainer as well would double this test's time on lavapipe.)
#[test]
fn the_trainer_completes_an_iteration_slice_by_slice() {
    let Some(gpu) = browser_gpu() else { return };
    let [mlp, _] = small_networks();
    for policy in policies() {
        one_iteration(&gpu, small_config(mlp.clone(), policy));
    }
    gpu.check().unwrap();
}

fn one_iteration(gpu: &Arc<Gpu>, config: TrainConfig) {
    let run = tempfile::tempdir().unwrap();
    let what = format!("{:?}, {:?}", config.network, config.search.policy);
    let mut trainer = Trainer::new(config, run.path(), &Compute::Gpu(gpu.clone())).unwrap();
    gpu.forbid_waits(true);
    let started = Instant::now();
    let mut phases = Vec::new();
    'iteration: loop {
        let advance = trainer.advance(Duration::from_millis(30)).unwrap();
        for event in &advance.events {
            match event {
                TrainerEvent::Progress { phase, .. } if !phases.contains(phase) => {
                    phases.push(phase);
                }
                TrainerEvent::Iteration(_) => break 'iteration,
                _ => {}
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no iteration after 10 minutes of slices"
        );
    }
    gpu.forbid_waits(false);
    for phase in ["self-play", "training"] {
        assert!(
            phases.contains(&phase),
            "{what}: {phase} progress in {phases:?}"
        );
    }
    let metrics = &trainer.history()[0];
    assert!(
        metrics.loss.is_finite() && metrics.policy_loss.is_finite(),
        "{what}: {metrics:?}"
    );
    assert!(
        metrics.mean_game_length > 0.0,
        "{what}: it played: {metrics:?}"
    );
    assert!(metrics.policy_accuracy.is_some(), "{what}: it evaluated");
    assert!(run.path().join("checkpoints/ckpt-00000001.json").is_file());
}

/// A deterministic batch of clique training samples: one-hot edge colours, the legal mask
/// (empty edges), a policy target over the legal edges and a value target in {−1, 0, 1}.
fn samples(edges: usize, batch: usize) -> [(&'static str, Vec<f32>); 4] {
    let mut x = 0x2545_f491_u64;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as u32
    };
    let (mut observations, mut mask, mut policy, mut value) = (vec![], vec![], vec![], vec![]);
    for _ in 0..batch {
        let colours: Vec<u32> = (0..edges)
            .map(|e| if e == 0 { 2 } else { next() % 3 })
            .collect();
        for &colour in &colours {
            observations.extend((0..3).map(|c| f32::from(u8::from(c == colour))));
        }
        let weights: Vec<f32> = colours
            .iter()
            .map(|&c| {
                if c == 2 {
                    1.0 + (next() % 4) as f32
                } else {
                    0.0
                }
            })
            .collect();
        let total: f32 = weights.iter().sum();
        mask.extend(colours.iter().map(|&c| f32::from(u8::from(c == 2))));
        policy.extend(weights.iter().map(|w| w / total));
        value.push((next() % 3) as f32 - 1.0);
    }
    [
        (names::OBSERVATIONS, observations),
        (names::LEGAL_MASK, mask),
        (names::POLICY_TARGET, policy),
        (names::VALUE_TARGET, value),
    ]
}

/// The trainer's training step (forward, loss, backward, Adam) on the baseline device and
/// in the CPU interpreter: the same losses, step after step, for the app's default network
/// and a GNN, at the app's default batch size on its default board (K_6): the sizes choose
/// the kernels' tiles and splits.
#[test]
fn the_training_step_matches_the_cpu_interpreter() {
    let Some(gpu) = browser_gpu() else { return };
    let game = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let config = TrainConfig::for_game(GameSpec::Clique(game));
    let batch = config.batch_size as usize;
    let [_, gnn] = small_networks();
    for spec in [NetworkSpec::default_mlp(), gnn] {
        let network = game.network(&spec).unwrap();
        let mut losses = Vec::new();
        for compute in [Compute::Cpu, Compute::Gpu(gpu.clone())] {
            let graph = Graph::new();
            let tensors =
                nn::training_step(&graph, network.as_ref(), batch, &config.update()).unwrap();
            nn::add_policy_entropy(&graph, &tensors);
            let options = CompileOptions {
                fuse: true,
                seed: 5,
                ..CompileOptions::default()
            };
            let mut program = Program::compile(&graph, &compute, &options).unwrap();
            for (name, values) in samples(game.num_edges(), batch) {
                program.write(name, &values).unwrap();
            }
            let mut trace = Vec::new();
            for _ in 0..3 {
                program.run().unwrap();
                for name in [names::LOSS, names::POLICY_ENTROPY] {
                    trace.push(program.read(name).unwrap()[0]);
                }
            }
            losses.push(trace);
        }
        let (cpu, gpu_losses) = (&losses[0], &losses[1]);
        for (c, g) in cpu.iter().zip(gpu_losses) {
            assert!(
                c.is_finite() && (c - g).abs() <= 1e-3 * c.abs().max(1.0),
                "{spec:?}: CPU {cpu:?} vs baseline GPU {gpu_losses:?}"
            );
        }
    }
    gpu.check().unwrap();
}

/// The GPU search on the baseline device visits every root child as often as the CPU
/// reference search does with the same network (evaluated on the same device, so both see
/// the same outputs), and that network's outputs match the CPU interpreter's.
#[test]
fn the_search_matches_the_cpu_reference_search() {
    let Some(gpu) = browser_gpu() else { return };
    let game = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let roots = seeded_positions(game, 4, 29);
    let mut observations = vec![0.0; roots.len() * roots[0].observation_len()];
    for (state, row) in roots
        .iter()
        .zip(observations.chunks_mut(roots[0].observation_len()))
    {
        state.write_observation(row);
    }
    for spec in small_networks() {
        let network = game.network(&spec).unwrap();
        let mut outputs = Vec::new();
        for compute in [Compute::Cpu, Compute::Gpu(gpu.clone())] {
            let mut evaluator =
                ProgramEvaluator::new(network.as_ref(), &compute, roots.len(), 3).unwrap();
            let program = evaluator.program_mut();
            program.write(names::OBSERVATIONS, &observations).unwrap();
            program.run().unwrap();
            outputs.push(program.read(names::POLICY_LOGITS).unwrap());
        }
        for (c, g) in outputs[0].iter().zip(&outputs[1]) {
            assert!((c - g).abs() < 1e-4, "{spec:?}: logits {c} (CPU) vs {g}");
        }
        for policy in policies() {
            let search = SearchConfig {
                simulations: 24,
                policy,
                reuse_subtree: false,
            };
            let mut evaluator =
                ProgramEvaluator::new(network.as_ref(), &Compute::Gpu(gpu.clone()), roots.len(), 3)
                    .unwrap();
            let mut reference = ReferenceSearch::new(roots.clone(), search, 1).unwrap();
            let cpu = reference.run(&mut evaluator).unwrap();
            let engine = GpuSearch::new(
                &gpu,
                &game,
                gpu_inference_program(network.as_ref(), &gpu, roots.len()),
                search,
                roots.len() as u32,
                1,
            )
            .unwrap();
            let words: Vec<u32> = roots.iter().flat_map(|s| s.to_words()).collect();
            let terminal: Vec<Option<f32>> = roots.iter().map(|s| s.terminal_value()).collect();
            engine.set_roots(&words, &terminal).unwrap();
            engine.submit(|engine, pass| engine.record_search(pass));
            let on_gpu = engine.read_results(game.num_edges()).unwrap();
            let what = format!("{spec:?}, {policy:?}");
            compare(&what, &on_gpu, &cpu);
        }
    }
    gpu.check().unwrap();
}

fn compare(what: &str, gpu: &[SearchResult], cpu: &[SearchResult]) {
    assert_eq!(gpu.len(), cpu.len());
    for (index, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let visits = |r: &SearchResult| {
            r.children
                .iter()
                .map(|c| (c.action, c.visits))
                .collect::<Vec<_>>()
        };
        assert_eq!(visits(g), visits(c), "{what}, position {index}: visits");
        assert_eq!(g.chosen, c.chosen, "{what}, position {index}: chosen move");
    }
}
