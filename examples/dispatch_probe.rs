//! What one dependent dispatch costs, and what makes it cost more: the same tiny kernel
//! back to back, against alternating pipelines, bind groups, workgroup-memory sizes, long
//! shaders and a large kernel. Inside one compute pass wgpu puts a barrier between any two
//! dispatches that write the same buffer, so every case here is a chain of dependent
//! dispatches, as in a compiled training step.
//!
//! Each case records `DISPATCHES` dispatches into one pass, submits and waits, `SUBMITS`
//! times; one JSON line per case with the median µs per dispatch (wall clock, so it
//! includes one submit's latency spread over the dispatches).
//!
//! `cargo run --release --example dispatch_probe`; the H100's figures and what they say are
//! in docs/PERFORMANCE.md ("what a dispatch costs").

use std::time::Instant;

use wgzero::gpu::Gpu;
use wgzero::graph::kernels::{
    BoardConv, ConvShape, Epilogue, MatmulKernel, MatmulSpec, Template, conv2d_forward,
};

/// Dispatches per submit (`WGZERO_PROBE_DISPATCHES` overrides it, e.g. for a quick run
/// on a software adapter).
const DISPATCHES: usize = 1000;
const SUBMITS: usize = 7;
/// Elements of the tiny kernels' buffers: 4 workgroups of 256.
const TINY: u64 = 1024;
/// Elements of the large kernel's buffers: 16 MiB each.
const LARGE: u64 = 1 << 22;

/// `y = x · c + 1` over the buffers; `workgroup_floats` > 0 routes each value through a
/// workgroup array of that many floats; `unrolled` > 0 adds that many dependent steps
/// with distinct constants (a long shader).
fn shader(c: u32, workgroup_floats: u32, unrolled: u32) -> String {
    let mut body = String::from("    var v = x[i] * f32(");
    body.push_str(&format!("{c}u) + 1.0;\n"));
    for step in 0..unrolled {
        body.push_str(&format!(
            "    v = fma(v, {:.6}, {:.6});\n",
            1.0 + step as f32 * 1e-6,
            (step % 97) as f32 * 1e-3
        ));
    }
    let (declare, through) = if workgroup_floats > 0 {
        (
            format!("var<workgroup> staged: array<f32, {workgroup_floats}>;\n"),
            format!(
                "    staged[(lane * 37u) % {workgroup_floats}u] = v;\n    workgroupBarrier();\n    v = staged[(lane * 37u) % {workgroup_floats}u];\n"
            ),
        )
    } else {
        (String::new(), String::new())
    };
    format!(
        "@group(0) @binding(0) var<storage, read> x: array<f32>;\n\
         @group(0) @binding(1) var<storage, read_write> y: array<f32>;\n\
         {declare}\
         @compute @workgroup_size(256)\n\
         fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(local_invocation_index) lane: u32) {{\n\
         \x20   let i = id.x;\n\
         {body}{through}\
         \x20   if i < arrayLength(&y) {{ y[i] = v; }}\n\
         }}\n"
    )
}

/// A pipeline with the buffers it is bound to, and its grid.
struct Kernel {
    pipeline: std::sync::Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

fn kernel(gpu: &Gpu, wgsl: &str, x: &wgpu::Buffer, y: &wgpu::Buffer) -> anyhow::Result<Kernel> {
    let pipeline = gpu.pipeline("probe", wgsl, "main")?;
    let bind_group = gpu.bind_buffers(&pipeline, &[x, y]);
    let elements = y.size() / 4;
    Ok(Kernel {
        pipeline,
        bind_group,
        workgroups: [elements.div_ceil(256) as u32, 1, 1],
    })
}

/// The training step's trunk convolution (3×3, 64 → 64 over 1024 8×8 boards) on the
/// board template, with a bias epilogue; `None` without f16 cooperative matrices.
fn board_conv(gpu: &Gpu, bias_scale: f32) -> anyhow::Result<Option<Kernel>> {
    if !gpu.tensor_cores() {
        return Ok(None);
    }
    let conv = ConvShape {
        batch: 1024,
        height: 8,
        width: 8,
        in_channels: 64,
        out_channels: 64,
        kernel: 3,
    };
    let spec = MatmulSpec {
        epilogue: Epilogue {
            bindings: vec!["var<storage, read> bias: array<f32>;".to_owned()],
            body: format!(
                "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {{\n    \
                 return value + {bias_scale:.3} * bias[col];\n}}"
            ),
        },
        ..conv2d_forward(&conv)?
    };
    let template = Template::Board {
        conv: BoardConv::forward(&conv),
        scale_a: 1.0,
        scale_b: 1.0,
    };
    // SAFETY: the loaders read inside the input and weight made for this shape below; the
    // epilogue reads bias[col] with col < 64.
    let matmul = unsafe { MatmulKernel::new(gpu, spec, template) }?;
    let input = gpu.upload("board input", &vec![0.5f32; conv.input_len() as usize]);
    let weight = gpu.upload("board weight", &vec![0.01f32; conv.weight_len() as usize]);
    let output = gpu.storage_buffer("board output", matmul.spec.output_len() * 4);
    let bias = gpu.upload("board bias", &[0.1f32; 64]);
    let bind_group = matmul.bind(gpu, &input, &weight, &output, &[&bias])?;
    Ok(Some(Kernel {
        pipeline: matmul.pipeline,
        bind_group,
        workgroups: matmul.workgroups,
    }))
}

/// Median µs per dispatch of the cycle `kernels[0], kernels[1], …` repeated.
fn time(gpu: &Gpu, kernels: &[&Kernel]) -> anyhow::Result<f64> {
    let dispatches = std::env::var("WGZERO_PROBE_DISPATCHES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DISPATCHES);
    let run = || -> anyhow::Result<f64> {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            for index in 0..dispatches {
                let kernel = kernels[index % kernels.len()];
                pass.set_pipeline(&kernel.pipeline);
                pass.set_bind_group(0, &kernel.bind_group, &[]);
                let [x, y, z] = kernel.workgroups;
                pass.dispatch_workgroups(x, y, z);
            }
        }
        let start = Instant::now();
        gpu.queue.submit([encoder.finish()]);
        gpu.wait()?;
        Ok(start.elapsed().as_secs_f64() * 1e6 / dispatches as f64)
    };
    run()?;
    let mut samples = (0..SUBMITS)
        .map(|_| run())
        .collect::<anyhow::Result<Vec<_>>>()?;
    samples.sort_by(f64::total_cmp);
    Ok(samples[SUBMITS / 2])
}

fn main() -> anyhow::Result<()> {
    let gpu = Gpu::open(std::env::var("WGZERO_ADAPTER").ok().as_deref())?;
    eprintln!("# adapter: {}", gpu.info.name);
    let ones = |len: u64| vec![1.0f32; len as usize];
    let x = gpu.upload("x", &ones(TINY));
    let y = [0, 1].map(|i| gpu.storage_buffer(&format!("y{i}"), TINY * 4));
    let large_x = gpu.upload("large x", &ones(LARGE));
    let large_y = gpu.storage_buffer("large y", LARGE * 4);

    let tiny = |c: u32| kernel(&gpu, &shader(c, 0, 0), &x, &y[0]);
    let t0 = tiny(2)?;
    let t1 = tiny(3)?;
    let t0_other_buffer = kernel(&gpu, &shader(2, 0, 0), &x, &y[1])?;
    let t0_same_buffers = Kernel {
        pipeline: std::sync::Arc::clone(&t0.pipeline),
        bind_group: gpu.bind_buffers(&t0.pipeline, &[&x, &y[0]]),
        workgroups: t0.workgroups,
    };
    let many: Vec<Kernel> = (0..40)
        .map(|c| tiny(10 + c))
        .collect::<anyhow::Result<_>>()?;
    let shared = kernel(&gpu, &shader(2, 12_000, 0), &x, &y[0])?;
    let shared_small = kernel(&gpu, &shader(2, 1024, 0), &x, &y[0])?;
    let long0 = kernel(&gpu, &shader(4, 0, 3000), &x, &y[0])?;
    let long1 = kernel(&gpu, &shader(5, 0, 3000), &x, &y[0])?;
    let large = kernel(&gpu, &shader(2, 0, 0), &large_x, &large_y)?;
    let large_other = kernel(&gpu, &shader(7, 0, 0), &large_x, &large_y)?;
    let large_shared = kernel(&gpu, &shader(2, 12_000, 0), &large_x, &large_y)?;
    let mut sweep = Vec::new();
    for steps in [250, 500, 1000, 2000] {
        let first = kernel(&gpu, &shader(6, 0, steps), &x, &y[0])?;
        sweep.push((steps, first, kernel(&gpu, &shader(7, 0, steps), &x, &y[0])?));
    }
    let board = board_conv(&gpu, 1.0)?;
    let board_twin = board_conv(&gpu, 2.0)?;

    let mut cases: Vec<(String, Vec<&Kernel>)> = vec![
        ("tiny, one pipeline and bind group", vec![&t0]),
        (
            "tiny, two pipelines alternating (own bind groups, same buffers)",
            vec![&t0, &t1],
        ),
        (
            "tiny, one pipeline, two bind groups of the same buffers",
            vec![&t0, &t0_same_buffers],
        ),
        (
            "tiny, one pipeline, two bind groups of different outputs",
            vec![&t0, &t0_other_buffer],
        ),
        ("tiny, 40 pipelines in turn", many.iter().collect()),
        ("tiny with 48,000 bytes of workgroup memory", vec![&shared]),
        (
            "tiny with 4,096 bytes of workgroup memory",
            vec![&shared_small],
        ),
        (
            "tiny alternating with its 48,000-byte twin",
            vec![&t0, &shared],
        ),
        (
            "tiny alternating with a 4,096-byte twin",
            vec![&t0, &shared_small],
        ),
        (
            "48,000-byte alternating with 4,096-byte",
            vec![&shared, &shared_small],
        ),
        ("long shader (3,000 steps), one pipeline", vec![&long0]),
        (
            "long shaders, two pipelines alternating",
            vec![&long0, &long1],
        ),
        ("large (16 MiB in and out), one pipeline", vec![&large]),
        (
            "large, two pipelines alternating",
            vec![&large, &large_other],
        ),
        ("large alternating with tiny", vec![&large, &t0]),
        (
            "large alternating with tiny of another shader",
            vec![&large, &t1],
        ),
        (
            "large with 48,000 bytes of workgroup memory, one pipeline",
            vec![&large_shared],
        ),
        (
            "large with 48,000 bytes alternating with tiny",
            vec![&large_shared, &t1],
        ),
        ("long shader alternating with tiny", vec![&long0, &t1]),
    ]
    .into_iter()
    .map(|(case, kernels)| (case.to_owned(), kernels))
    .collect();
    for (steps, first, second) in &sweep {
        cases.push((format!("{steps} unrolled steps, one pipeline"), vec![first]));
        cases.push((
            format!("{steps} unrolled steps, two alternating"),
            vec![first, second],
        ));
    }
    if let (Some(board), Some(twin)) = (&board, &board_twin) {
        cases.push(("board 3x3 forward, one pipeline".to_owned(), vec![board]));
        cases.push(("board alternating with tiny".to_owned(), vec![board, &t1]));
        cases.push((
            "board alternating with the long shader".to_owned(),
            vec![board, &long0],
        ));
        cases.push((
            "board alternating with its twin (another constant)".to_owned(),
            vec![board, twin],
        ));
        cases.push((
            "board, twin, long shader in turn".to_owned(),
            vec![board, twin, &long0],
        ));
    }
    for (case, kernels) in cases {
        let us = time(&gpu, &kernels)?;
        println!(
            "{}",
            serde_json::json!({
                "bench": "dispatch_probe",
                "case": case,
                "cycle": kernels.len(),
                "us_per_dispatch": us,
            })
        );
    }
    Ok(())
}
