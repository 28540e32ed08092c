//! `wgzero bench kernels`: the matmul template on square products and the implicit-GEMM
//! convolution on board-shaped batches, one JSON line per (problem, tile config).
//!
//! Timing: a warm-up dispatch, then `--repeats` submits of many back-to-back dispatches
//! (about 0.1 s of work each) in one compute pass; per dispatch time is the pass time over
//! the dispatch count, from GPU timestamps when the adapter has them, else the wall clock
//! around submit and wait. The median over repeats is reported. Each kernel's output is
//! spot-checked against f64 dot products first.

use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;
use wgzero::backend::{self, Compute};
use wgzero::gpu::Gpu;
use wgzero::graph::Precision;
use wgzero::graph::kernels::{
    AdapterCaps, BoardConv, ConvShape, MatmulKernel, MatmulSpec, Template, choose_coop_tiles,
    choose_tiles, conv2d_forward, conv2d_grad_input, conv2d_grad_weight, coop, grad_weight_splits,
    tuning,
};

use super::GlobalOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Only {
    Matmul,
    Conv,
    /// The clique MLP forward pass at --mlp-batch.
    Mlp,
    /// The residual-net training step at --train-batch.
    Train,
}

/// `--precision`: the arithmetic of the products and convolutions measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    /// f32 fused multiply-adds.
    F32,
    /// f16 operands on tensor cores (cooperative matrices), f32 sums; needs an adapter that
    /// offers them.
    F16,
}

impl From<PrecisionArg> for Precision {
    fn from(precision: PrecisionArg) -> Self {
        match precision {
            PrecisionArg::F32 => Precision::F32,
            PrecisionArg::F16 => Precision::F16TensorCores,
        }
    }
}

#[derive(Args)]
pub struct KernelsArgs {
    /// Arithmetic: f32 everywhere, or f16 tensor cores for the products, convolutions and
    /// the training step's convolutions.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F32)]
    precision: PrecisionArg,
    /// Run only this group of benchmarks.
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Square matmul sizes (m = n = k).
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [1024, 2048, 4096, 8192],
        value_parser = clap::value_parser!(u32).range(1..=65536)
    )]
    sizes: Vec<u32>,
    /// Convolution batch sizes (8x8 boards, 64 -> 64 channels, 3x3).
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [1024, 4096],
        value_parser = clap::value_parser!(u32).range(1..=65536)
    )]
    conv_batches: Vec<u32>,
    /// Also time the convolution's two backward passes.
    #[arg(long)]
    conv_backward: bool,
    /// Measure every surveyed tile config that fits the adapter, not only the tuned one.
    #[arg(long)]
    survey: bool,
    /// Choose (and survey) tiles as if the adapter had only the browser baseline's limits
    /// (256 invocations, 16 KiB workgroup memory), to see what those kernels reach here.
    #[arg(long)]
    baseline_tiles: bool,
    /// Timed submits per measurement; the median is reported.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeats: u32,
    /// Seconds of GPU work per timed submit (sets the dispatches per submit).
    #[arg(long, default_value_t = 0.1, value_parser = crate::cli::settings::seconds)]
    seconds_per_repeat: f64,
    /// Batch of the MLP forward benchmark.
    #[arg(long, default_value_t = 8192, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1048576))]
    mlp_batch: usize,
    /// Batch of the training-step benchmark.
    #[arg(long, default_value_t = 1024, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=65536))]
    train_batch: usize,
    /// Per-kernel GPU time of one MLP forward and one training step.
    #[arg(long)]
    profile: bool,
    /// With --profile, dispatch every kernel this many times back to back and report the
    /// mean: each kernel on warm caches, as the kernel benchmarks time it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    profile_repeats: u32,
    /// Print the training step's kernel list (with the ops fused into each) on stderr.
    #[arg(long)]
    list_kernels: bool,
    /// Write the training step's WGSL into DIR (one file per kernel shader, named by
    /// kernel index and kind, and one per dispatch as run, merged ones included) and skip
    /// its timing: inspects batch-1024 shaders on a slow adapter.
    #[arg(long, value_name = "DIR")]
    dump_shaders: Option<std::path::PathBuf>,
}

#[derive(Serialize)]
struct Measurement<'a> {
    bench: &'static str,
    name: &'a str,
    adapter: &'a str,
    shape: serde_json::Value,
    tiles: String,
    tuned: bool,
    /// Whose limits the tiles were chosen for: "adapter" or "baseline".
    tuned_for: &'static str,
    threads: u32,
    workgroup_storage_bytes: u32,
    median_ms: f64,
    min_ms: f64,
    tflops: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    evals_per_s: Option<f64>,
    dispatches_per_repeat: u32,
    repeats: u32,
    timing: &'static str,
    /// Largest |gpu - f64| / (sum |terms|) over the spot-checked elements.
    #[serde(skip_serializing_if = "Option::is_none")]
    spot_check_error: Option<f64>,
}

pub fn run(global: &GlobalOptions, args: &KernelsArgs) -> anyhow::Result<()> {
    let resolved = backend::resolve(global.backend, global.adapter.as_deref())?;
    let Compute::Gpu(gpu) = resolved.compute else {
        bail!(
            "bench kernels measures GPU kernels but the CPU backend was chosen ({}); pass --backend gpu",
            resolved.reason
        );
    };
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    eprintln!("# adapter: {} ({:?})", gpu.info.name, gpu.info.backend);
    let caps = if args.baseline_tiles {
        AdapterCaps::baseline()
    } else {
        AdapterCaps::of(&gpu)
    };
    if args.precision == PrecisionArg::F16 && !caps.tensor_cores {
        bail!(
            "--precision f16 needs f16 cooperative matrices (tensor cores), which {} does not offer{}; use --precision f32",
            gpu.info.name,
            if args.baseline_tiles {
                " with --baseline-tiles"
            } else {
                ""
            }
        );
    }
    let runs = |group: Only| args.only.is_none() || args.only == Some(group);
    if runs(Only::Mlp) {
        super::programs::mlp_forward(
            &gpu,
            args.mlp_batch,
            args.precision.into(),
            args.repeats,
            args.seconds_per_repeat,
            args.profile.then_some(args.profile_repeats),
        )?;
    }
    if runs(Only::Train) {
        super::programs::train_step(
            &gpu,
            &super::programs::TrainBench {
                batch: args.train_batch,
                precision: args.precision.into(),
                repeats: args.repeats,
                seconds: args.seconds_per_repeat,
                profile_repeats: args.profile.then_some(args.profile_repeats),
                list_kernels: args.list_kernels,
                dump_shaders: args.dump_shaders.as_deref(),
            },
        )?;
    }
    if runs(Only::Matmul) {
        for &size in &args.sizes {
            if size == 0 {
                bail!("--sizes must be positive");
            }
            let spec = MatmulSpec::dense(1, size, size, size);
            let shape = serde_json::json!({ "m": size, "n": size, "k": size });
            let a = random(spec.a_len().unwrap_or(0) as usize, 1);
            let b = random(spec.b_len().unwrap_or(0) as usize, 2);
            let inputs = Inputs::dense(&gpu, &spec, &a, &b);
            let check = |output: &[f32]| dense_spot_check(&spec, &a, &b, output);
            for (template, tuned) in configs(&spec, &caps, args, None) {
                measure(
                    &gpu, args, "matmul", &shape, &spec, template, tuned, &inputs, None, &check,
                )?;
            }
        }
    }
    if runs(Only::Conv) {
        for &batch in &args.conv_batches {
            conv_benchmarks(&gpu, args, &caps, batch)?;
        }
    }
    Ok(())
}

/// The tuned config first, then (with `--survey`) every other fitting one, of the
/// template `--precision` selects. With f16, a convolution pass the board template takes
/// (`board`, as programs choose it) runs on it first, then on the tuned implicit GEMM.
fn configs(
    spec: &MatmulSpec,
    caps: &AdapterCaps,
    args: &KernelsArgs,
    board: Option<BoardConv>,
) -> Vec<(Template, bool)> {
    if args.precision == PrecisionArg::F16 {
        let tuned = choose_coop_tiles(spec);
        let mut all = Vec::new();
        if let Some(conv) = board.filter(|conv| conv.validate(spec).is_ok()) {
            all.push((
                Template::Board {
                    conv,
                    scale_a: 1.0,
                    scale_b: 1.0,
                },
                true,
            ));
        }
        all.push((Template::coop(tuned), all.is_empty()));
        if args.survey {
            all.extend(
                coop::COOP_SURVEY
                    .iter()
                    .filter(|tiles| {
                        **tiles != tuned
                            && tiles.workgroup_storage_bytes() <= caps.max_workgroup_storage_bytes
                    })
                    .map(|tiles| (Template::coop(*tiles), false)),
            );
        }
        return all;
    }
    let tuned = choose_tiles(spec, caps);
    let mut all = vec![(Template::Fma(tuned), true)];
    if args.survey {
        let large = spec.m as u64 * spec.n as u64 >= 2048 * 2048;
        all.extend(
            tuning::SURVEY
                .iter()
                .filter(|tiles| **tiles != tuned && tiles.check(caps).is_ok())
                // Small-problem tiles take seconds on large products and teach nothing.
                .filter(|tiles| !large || tiles.tile_m * tiles.tile_n >= 64 * 64)
                .map(|tiles| (Template::Fma(*tiles), false)),
        );
    }
    all
}

fn conv_benchmarks(
    gpu: &Gpu,
    args: &KernelsArgs,
    caps: &AdapterCaps,
    batch: u32,
) -> anyhow::Result<()> {
    let shape = ConvShape {
        batch,
        height: 8,
        width: 8,
        in_channels: 64,
        out_channels: 64,
        kernel: 3,
    };
    let json = serde_json::to_value(shape)?;
    let input = random(shape.input_len() as usize, 3);
    let weight = random(shape.weight_len() as usize, 4);
    let forward = conv2d_forward(&shape)?;
    let inputs = Inputs::new(gpu, &input, &weight, forward.output_len());
    let check = |output: &[f32]| conv_spot_check(&shape, &input, &weight, output);
    for (tiles, tuned) in configs(&forward, caps, args, Some(BoardConv::forward(&shape))) {
        measure(
            gpu,
            args,
            "conv2d_forward",
            &json,
            &forward,
            tiles,
            tuned,
            &inputs,
            Some(batch),
            &check,
        )?;
    }
    if args.conv_backward {
        let no_check = |_: &[f32]| None;
        let grad_input = conv2d_grad_input(&shape)?;
        let inputs = Inputs::new(gpu, &input, &weight, grad_input.output_len());
        for (tiles, tuned) in configs(&grad_input, caps, args, Some(BoardConv::grad_input(&shape)))
        {
            measure(
                gpu,
                args,
                "conv2d_grad_input",
                &json,
                &grad_input,
                tiles,
                tuned,
                &inputs,
                Some(batch),
                &no_check,
            )?;
        }
        let grad_output = random(shape.output_len() as usize, 5);
        // The suggested split count, and fixed ones for comparison.
        let mut split_counts = vec![grad_weight_splits(&shape, caps), 16, 64];
        split_counts.sort_unstable();
        split_counts.dedup();
        for splits in split_counts {
            let grad_weight = conv2d_grad_weight(&shape, splits)?;
            let inputs = Inputs::new(gpu, &input, &grad_output, grad_weight.output_len());
            let name = format!("conv2d_grad_weight_splits{splits}");
            for (tiles, tuned) in configs(
                &grad_weight,
                caps,
                args,
                Some(BoardConv::grad_weight(&shape)),
            ) {
                measure(
                    gpu,
                    args,
                    &name,
                    &json,
                    &grad_weight,
                    tiles,
                    tuned,
                    &inputs,
                    Some(batch),
                    &no_check,
                )?;
            }
        }
    }
    Ok(())
}

/// The device buffers of one problem.
struct Inputs {
    a: wgpu::Buffer,
    b: wgpu::Buffer,
    c: wgpu::Buffer,
    c_len: u64,
}

impl Inputs {
    fn new(gpu: &Gpu, a: &[f32], b: &[f32], c_len: u64) -> Self {
        Self {
            a: gpu.upload("bench A", a),
            b: gpu.upload("bench B", b),
            c: gpu.storage_buffer("bench C", c_len * 4),
            c_len,
        }
    }

    fn dense(gpu: &Gpu, spec: &MatmulSpec, a: &[f32], b: &[f32]) -> Self {
        Self::new(gpu, a, b, spec.output_len())
    }
}

#[allow(clippy::too_many_arguments)]
fn measure(
    gpu: &Gpu,
    args: &KernelsArgs,
    name: &str,
    shape: &serde_json::Value,
    spec: &MatmulSpec,
    template: Template,
    tuned: bool,
    inputs: &Inputs,
    evals: Option<u32>,
    spot_check: &dyn Fn(&[f32]) -> Option<f64>,
) -> anyhow::Result<()> {
    // SAFETY: the spec's loaders (dense or conv) read inside the buffers of `inputs`,
    // which were made for this very shape; the epilogue is the identity.
    let kernel = unsafe { MatmulKernel::new(gpu, spec.clone(), template) }
        .with_context(|| format!("building {name} with tiles {}", template.name()))?;
    let bind_group = kernel.bind(gpu, &inputs.a, &inputs.b, &inputs.c, &[])?;

    // Warm-up and spot check, then a single timed dispatch to size the repeats.
    let single = time_pass(gpu, &kernel, &bind_group, 1)?;
    let output: Vec<f32> = gpu.read(&inputs.c, inputs.c_len as usize)?;
    let spot_check_error = spot_check(&output);
    let single = time_pass(gpu, &kernel, &bind_group, 1)?
        .seconds
        .min(single.seconds);
    let dispatches = ((args.seconds_per_repeat / single.max(1e-6)).ceil() as u32).clamp(1, 1000);
    let mut times = Vec::new();
    let mut timing = "wall";
    for _ in 0..args.repeats {
        let pass = time_pass(gpu, &kernel, &bind_group, dispatches)?;
        timing = pass.source;
        times.push(pass.seconds / dispatches as f64);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let measurement = Measurement {
        bench: "kernels",
        name,
        adapter: &gpu.info.name,
        shape: shape.clone(),
        tiles: template.name(),
        tuned,
        tuned_for: if args.baseline_tiles {
            "baseline"
        } else {
            "adapter"
        },
        threads: template.threads(),
        workgroup_storage_bytes: template.workgroup_storage_bytes(),
        median_ms: median * 1e3,
        min_ms: times[0] * 1e3,
        tflops: spec.flops() / median / 1e12,
        evals_per_s: evals.map(|batch| batch as f64 / median),
        dispatches_per_repeat: dispatches,
        repeats: args.repeats,
        timing,
        spot_check_error,
    };
    println!("{}", serde_json::to_string(&measurement)?);
    Ok(())
}

struct PassTime {
    seconds: f64,
    source: &'static str,
}

/// Records `dispatches` back-to-back dispatches in one compute pass, submits and waits.
fn time_pass(
    gpu: &Gpu,
    kernel: &MatmulKernel,
    bind_group: &wgpu::BindGroup,
    dispatches: u32,
) -> anyhow::Result<PassTime> {
    let timestamps = gpu
        .features
        .contains(wgpu::Features::TIMESTAMP_QUERY)
        .then(|| {
            // Two GPU timestamps (pass start, pass end) resolved into a copyable buffer.
            let query_set = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("bench timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            let resolve = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("bench timestamp resolve"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            (query_set, resolve)
        });
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("bench"),
        });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("bench pass"),
            timestamp_writes: timestamps.as_ref().map(|(query_set, _)| {
                wgpu::ComputePassTimestampWrites {
                    query_set,
                    beginning_of_pass_write_index: Some(0),
                    end_of_pass_write_index: Some(1),
                }
            }),
        });
        for _ in 0..dispatches {
            kernel.record(&mut pass, bind_group);
        }
    }
    if let Some((query_set, resolve)) = &timestamps {
        encoder.resolve_query_set(query_set, 0..2, resolve, 0);
    }
    let start = Instant::now();
    gpu.queue.submit([encoder.finish()]);
    gpu.wait()?;
    let wall = start.elapsed().as_secs_f64();
    if let Some((_, resolve)) = &timestamps {
        let ticks: Vec<u64> = gpu.read(resolve, 2)?;
        let period_ns = gpu.queue.get_timestamp_period() as f64;
        let seconds = ticks[1].wrapping_sub(ticks[0]) as f64 * period_ns * 1e-9;
        // A zero or absurd reading (some drivers) falls back to the wall clock.
        if seconds > 0.0 && seconds <= wall * 1.01 {
            return Ok(PassTime {
                seconds,
                source: "timestamp",
            });
        }
    }
    Ok(PassTime {
        seconds: wall,
        source: "wall",
    })
}

/// Deterministic values in [-1, 1).
fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Positions spread over an output of `rows x cols`, corners included.
fn sample_positions(rows: u32, cols: u32) -> Vec<(u32, u32)> {
    let mut positions = vec![(0, 0), (rows - 1, cols - 1), (0, cols - 1), (rows - 1, 0)];
    let mut state = 0x1234_5678u64;
    for _ in 0..60 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        positions.push((
            ((state >> 33) % rows as u64) as u32,
            ((state >> 13) % cols as u64) as u32,
        ));
    }
    positions
}

fn dense_spot_check(spec: &MatmulSpec, a: &[f32], b: &[f32], output: &[f32]) -> Option<f64> {
    let (n, k) = (spec.n as usize, spec.k as usize);
    let worst = sample_positions(spec.m, spec.n)
        .into_iter()
        .map(|(row, col)| {
            let (row, col) = (row as usize, col as usize);
            let (mut sum, mut magnitude) = (0.0f64, 0.0f64);
            for inner in 0..k {
                let term = a[row * k + inner] as f64 * b[inner * n + col] as f64;
                sum += term;
                magnitude += term.abs();
            }
            let got = output[row * n + col] as f64;
            if got.is_finite() {
                (got - sum).abs() / magnitude.max(1e-30)
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0, f64::max);
    Some(worst)
}

fn conv_spot_check(
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    output: &[f32],
) -> Option<f64> {
    let (h, w, cin, cout, kernel) = (
        shape.height as i64,
        shape.width as i64,
        shape.in_channels as usize,
        shape.out_channels as usize,
        shape.kernel as i64,
    );
    let pad = kernel / 2;
    let worst = sample_positions(shape.pixels(), shape.out_channels)
        .into_iter()
        .map(|(pixel, co)| {
            let (pixel, co) = (pixel as i64, co as usize);
            let (image, y, x) = (pixel / (h * w), (pixel / w) % h, pixel % w);
            let (mut sum, mut magnitude) = (0.0f64, 0.0f64);
            for dy in 0..kernel {
                for dx in 0..kernel {
                    let (sy, sx) = (y + dy - pad, x + dx - pad);
                    if !(0..h).contains(&sy) || !(0..w).contains(&sx) {
                        continue;
                    }
                    for ci in 0..cin {
                        let source = (((image * h + sy) * w + sx) as usize) * cin + ci;
                        let tap = (dy * kernel + dx) as usize;
                        let term =
                            input[source] as f64 * weight[(tap * cin + ci) * cout + co] as f64;
                        sum += term;
                        magnitude += term.abs();
                    }
                }
            }
            let got = output[pixel as usize * cout + co] as f64;
            if got.is_finite() {
                (got - sum).abs() / magnitude.max(1e-30)
            } else {
                f64::INFINITY
            }
        })
        .fold(0.0, f64::max);
    Some(worst)
}
