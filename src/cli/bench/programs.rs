//! Whole compiled programs in `wgzero bench kernels`: the MLP forward pass the clique
//! self-play uses, and a full residual-net training step (forward, backward, Adam).
//!
//! Timing: `--repeats` timed windows of back-to-back runs, recorded and submitted a few at
//! a time so that recording overlaps the GPU's work, wall clock from the first record to
//! the wait's end; the median window is reported, with the host's recording time per run.
//! `--profile` adds a per-kernel breakdown of one run from GPU timestamps.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use wgzero::gpu::Gpu;
use wgzero::gpu::timing::Timestamps;
use wgzero::graph::optim::{Optimizer, UpdateConfig};
use wgzero::graph::wgsl::GpuProgram;
use wgzero::graph::{CompileOptions, Graph, Op, Precision, Program};
use wgzero::nn::{self, Network, mlp::Mlp, names, resnet::ResNet};

#[derive(Serialize)]
struct ProgramLine<'a> {
    bench: &'static str,
    adapter: &'a str,
    batch: usize,
    kernels: usize,
    /// Dispatches that run on tensor cores (cooperative matrices).
    tensor_core_dispatches: usize,
    dispatches: usize,
    /// Assigns copied at the end of each run (the others are stored in place).
    assign_copies: usize,
    median_ms: f64,
    min_ms: f64,
    /// Host time per run spent recording and submitting it (overlapped with the GPU's
    /// work on earlier runs, so it adds to `median_ms` only where it exceeds it).
    record_ms: f64,
    /// Runs per second (steps/s for training, forward passes/s for inference).
    runs_per_s: f64,
    /// Positions evaluated (or trained on) per second.
    evals_per_s: f64,
    /// Multiply-adds ×2 of the matrix products and convolutions, per run.
    gflop_per_run: f64,
    tflops: f64,
    peak_buffer_bytes: u64,
    /// Partial sums of split kernels, beside the planned buffers.
    scratch_bytes: u64,
}

#[derive(Serialize)]
struct KernelTime {
    bench: &'static str,
    of: &'static str,
    kernel: String,
    ms: f64,
    share: f64,
    /// How many back-to-back dispatches `ms` is the mean of (1: the kernel as it runs
    /// within the step).
    repeats: u32,
}

/// 2 × multiply-adds of every live matrix product and convolution in `graph`.
fn contraction_flops(graph: &Graph) -> f64 {
    let nodes = graph.nodes();
    let live = graph.live();
    nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| live[*i])
        .map(|(_, node)| match node.op {
            Op::MatMul => {
                let k = nodes[node.inputs[0].index()].shape.dim(-1);
                2.0 * node.shape.num_elements() as f64 * k as f64
            }
            Op::Conv2d { kernel } | Op::Conv2dGradInput { kernel } => {
                let cin = match node.op {
                    Op::Conv2d { .. } => nodes[node.inputs[0].index()].shape.dim(-1),
                    _ => nodes[node.inputs[1].index()].shape.dim(-1),
                };
                2.0 * node.shape.num_elements() as f64 * (kernel * kernel * cin) as f64
            }
            Op::Conv2dGradWeight { .. } => {
                let pixels = nodes[node.inputs[0].index()].shape.num_elements()
                    / nodes[node.inputs[0].index()].shape.dim(-1);
                2.0 * node.shape.num_elements() as f64 * pixels as f64
            }
            _ => 0.0,
        })
        .sum()
}

fn compile(graph: &Graph, gpu: &Arc<Gpu>, precision: Precision) -> anyhow::Result<GpuProgram> {
    let compute = wgzero::backend::Compute::Gpu(Arc::clone(gpu));
    let options = CompileOptions {
        precision,
        ..CompileOptions::default()
    };
    match Program::compile(graph, &compute, &options)? {
        Program::Gpu(program) => Ok(program),
        Program::Cpu(_) => unreachable!("compiled for the GPU"),
    }
}

/// Runs submitted together: a window's runs go to the GPU in chunks of this many, each
/// submitted as soon as it is recorded, so that recording the next chunk overlaps the
/// GPU's work on this one (as in training, where the host prepares the next step while
/// the GPU runs this one).
const RUNS_PER_SUBMIT: u32 = 8;

/// What [`time`] measured: seconds per run (median and fastest window) and the host's
/// seconds per run spent recording and submitting.
struct Timing {
    median: f64,
    min: f64,
    record: f64,
}

/// Times windows of back-to-back runs, submitted [`RUNS_PER_SUBMIT`] at a time, wall
/// clock from the first record to the GPU's end.
fn time(gpu: &Gpu, program: &GpuProgram, repeats: u32, seconds: f64) -> anyhow::Result<Timing> {
    // Records and submits `runs` runs; returns the host's seconds spent doing it.
    let submit = |runs: u32| {
        let start = Instant::now();
        let mut left = runs;
        while left > 0 {
            let chunk = left.min(RUNS_PER_SUBMIT);
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("bench"),
                });
            for _ in 0..chunk {
                program.record(&mut encoder);
            }
            gpu.queue.submit([encoder.finish()]);
            left -= chunk;
        }
        start.elapsed().as_secs_f64()
    };
    submit(3);
    gpu.wait()?;
    let start = Instant::now();
    submit(5);
    gpu.wait()?;
    let probe = start.elapsed().as_secs_f64() / 5.0;
    let runs = ((seconds / probe.max(1e-6)) as u32).clamp(5, 2000);
    let mut samples = Vec::new();
    let mut recording = 0.0;
    for _ in 0..repeats {
        let start = Instant::now();
        recording += submit(runs);
        gpu.wait()?;
        samples.push(start.elapsed().as_secs_f64() / f64::from(runs));
    }
    samples.sort_by(f64::total_cmp);
    Ok(Timing {
        median: samples[samples.len() / 2],
        min: samples[0],
        record: recording / f64::from(runs * repeats),
    })
}

/// Per-kernel GPU times of one run, each dispatch repeated `repeats` times (see
/// [`GpuProgram::record_dispatches_timed`]) and reported per dispatch.
fn profile(gpu: &Gpu, program: &GpuProgram, of: &'static str, repeats: u32) -> anyhow::Result<()> {
    let dispatches = program.dispatches();
    let Some(timer) = Timestamps::new(gpu, dispatches as u32 + 1) else {
        eprintln!("# profile: no timestamps inside passes on this adapter; skipped");
        return Ok(());
    };
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
        timer.mark(&mut pass, "start");
        program.record_dispatches_timed(&mut pass, &timer, repeats);
    }
    timer.resolve(&mut encoder);
    gpu.queue.submit([encoder.finish()]);
    let mut intervals = timer.read(gpu)?;
    for (_, seconds) in &mut intervals {
        *seconds /= f64::from(repeats);
    }
    let total: f64 = intervals.iter().map(|(_, s)| s).sum();
    intervals.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (kernel, seconds) in intervals.into_iter().take(200) {
        let line = KernelTime {
            bench: "kernel_time",
            of,
            kernel,
            ms: seconds * 1e3,
            share: seconds / total,
            repeats,
        };
        println!("{}", serde_json::to_string(&line)?);
    }
    Ok(())
}

fn report(
    gpu: &Gpu,
    bench: &'static str,
    graph: &Graph,
    program: &GpuProgram,
    batch: usize,
    timing: Timing,
) -> anyhow::Result<()> {
    let flops = contraction_flops(graph);
    let line = ProgramLine {
        bench,
        adapter: &gpu.info.name,
        tensor_core_dispatches: program
            .kernels()
            .iter()
            .filter(|kernel| kernel.batch.is_none())
            .flat_map(|kernel| &kernel.shaders)
            .filter(|wgsl| wgsl.contains("enable wgpu_cooperative_matrix"))
            .count(),
        batch,
        kernels: program.kernels().len(),
        dispatches: program.dispatches(),
        assign_copies: program.assign_copies(),
        median_ms: timing.median * 1e3,
        min_ms: timing.min * 1e3,
        record_ms: timing.record * 1e3,
        runs_per_s: 1.0 / timing.median,
        evals_per_s: batch as f64 / timing.median,
        gflop_per_run: flops / 1e9,
        tflops: flops / timing.median / 1e12,
        peak_buffer_bytes: program.peak_bytes(),
        scratch_bytes: program.scratch_bytes(),
    };
    println!("{}", serde_json::to_string(&line)?);
    Ok(())
}

/// The clique self-play network's trunk (E = 15): 3E → 128 → 128, forward only.
pub fn mlp_forward(
    gpu: &Arc<Gpu>,
    batch: usize,
    precision: Precision,
    repeats: u32,
    seconds: f64,
    profile_repeats: Option<u32>,
) -> anyhow::Result<()> {
    let edges = 15;
    let graph = Graph::new();
    let x = graph.input(names::OBSERVATIONS, [batch, 3 * edges]);
    let mut h = x;
    for (index, width) in [128, 128].into_iter().enumerate() {
        let fan_in = h.shape.dim(-1);
        let w = graph.parameter(
            &format!("mlp.{index}.weight"),
            [fan_in, width],
            nn::he_normal(fan_in),
        );
        let b = graph.parameter(
            &format!("mlp.{index}.bias"),
            [width],
            wgzero::graph::Init::Zeros,
        );
        h = graph.relu(graph.linear(h, w, Some(b)));
    }
    graph.output("hidden", h);
    let program = compile(&graph, gpu, precision)?;
    let timing = time(gpu, &program, repeats, seconds)?;
    report(gpu, "mlp_forward", &graph, &program, batch, timing)?;
    // The whole self-play network (with its policy and value heads) for reference.
    let network = Mlp {
        input: 3 * edges,
        hidden: vec![128, 128],
        actions: edges,
    };
    let full = Graph::new();
    nn::inference(&full, &network, batch);
    let program_full = compile(&full, gpu, precision)?;
    let timing = time(gpu, &program_full, repeats, seconds)?;
    report(
        gpu,
        "mlp_inference_with_heads",
        &full,
        &program_full,
        batch,
        timing,
    )?;
    if let Some(repeats) = profile_repeats {
        profile(gpu, &program_full, "mlp_inference_with_heads", repeats)?;
    }
    Ok(())
}

/// Writes every kernel's shaders of `program` into `dir` as `NNN_kind_pass.wgsl`, and every
/// dispatch's shader as run (merged ones included) as `dispatch_NN.wgsl`, headed by what
/// it runs.
fn write_shaders(program: &GpuProgram, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create --dump-shaders directory {}", dir.display()))?;
    let write = |name: String, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    let mut written = 0;
    for (index, kernel) in program.kernels().iter().enumerate() {
        if kernel.batch.as_ref().is_some_and(|run| run.start != index) {
            continue;
        }
        for (pass, wgsl) in kernel.shaders.iter().enumerate() {
            write(format!("{index:03}_{}_{pass}.wgsl", kernel.kind), wgsl)?;
            written += 1;
        }
    }
    let labels = program.dispatch_labels();
    for (index, wgsl) in program.dispatch_shaders().into_iter().enumerate() {
        let header = format!("// dispatch {index}: {}\n", labels[index].trim());
        write(format!("dispatch_{index:02}.wgsl"), &(header + wgsl))?;
        written += 1;
    }
    eprintln!(
        "# train_step: wrote {written} shaders into {}",
        dir.display()
    );
    Ok(())
}

/// What `bench kernels --only train` measures and prints.
pub struct TrainBench<'a> {
    pub batch: usize,
    pub precision: Precision,
    pub repeats: u32,
    pub seconds: f64,
    /// Per-kernel profile, each dispatch repeated this many times.
    pub profile_repeats: Option<u32>,
    pub list_kernels: bool,
    pub dump_shaders: Option<&'a Path>,
}

/// One AlphaZero training step of the benchmark residual net (8×8×119 input, 64
/// filters, 3 blocks, 4672 policy logits) with Adam.
pub fn train_step(gpu: &Arc<Gpu>, bench: &TrainBench) -> anyhow::Result<()> {
    let &TrainBench {
        batch,
        precision,
        repeats,
        seconds,
        profile_repeats,
        list_kernels,
        dump_shaders,
    } = bench;
    let network = ResNet::chess_benchmark();
    let graph = Graph::new();
    let update = UpdateConfig {
        optimizer: Optimizer::adam(),
        learning_rate: 1e-3,
        l2: 0.0,
        clip_global_norm: None,
    };
    nn::training_step(&graph, &network, batch, &update)?;
    let program = Program::Gpu(compile(&graph, gpu, precision)?);
    if list_kernels {
        eprint!("{}", program.kernel_listing());
        // Independent kernels merged into one dispatch are joined by " + ".
        for (index, label) in program.dispatch_labels().iter().enumerate() {
            eprintln!("# dispatch {index:2}: {}", label.trim());
        }
    }
    let Program::Gpu(mut program) = program else {
        unreachable!("compiled for the GPU")
    };
    if let Some(dir) = dump_shaders {
        return write_shaders(&program, dir);
    }
    // Realistic inputs: sparse binary planes, a legal mask, a policy over it, values.
    let actions = network.num_actions();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let observations: Vec<f32> = (0..batch * network.observation_len())
        .map(|_| if next() > 0.7 { 1.0 } else { 0.0 })
        .collect();
    let mask: Vec<f32> = (0..batch * actions)
        .map(|_| if next() > 0.99 { 1.0 } else { 0.0 })
        .collect();
    let mut target = vec![0.0; batch * actions];
    for row in 0..batch {
        let legal: Vec<usize> = (0..actions)
            .filter(|&a| mask[row * actions + a] > 0.0)
            .collect();
        for &a in &legal {
            target[row * actions + a] = 1.0 / legal.len() as f32;
        }
    }
    let values: Vec<f32> = (0..batch).map(|_| (next() * 2.0 - 1.0) as f32).collect();
    program.write(names::OBSERVATIONS, &observations)?;
    program.write(names::LEGAL_MASK, &mask)?;
    program.write(names::POLICY_TARGET, &target)?;
    program.write(names::VALUE_TARGET, &values)?;
    let timing = time(gpu, &program, repeats, seconds)?;
    report(gpu, "train_step", &graph, &program, batch, timing)?;
    let loss = program.read(names::LOSS)?[0];
    eprintln!("# train_step: loss after the timed steps {loss}");
    if let Some(repeats) = profile_repeats {
        profile(gpu, &program, "train_step", repeats)?;
    }
    Ok(())
}
