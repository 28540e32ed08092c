//! Times the tensor-core templates on the training step's narrow and epilogue-heavy
//! shapes with one part changed at a time: the epilogue (identity, a bias, a bias and a
//! mask or residual read per element), the output width (73 columns, whose rows are not
//! 16-byte aligned, against 72, 76 and 80) and the tile shape. Each kernel runs back to
//! back `REPEATS` times inside one compute pass between two GPU timestamps; one JSON line
//! per variant. Needs an adapter with f16 cooperative matrices and timestamps inside passes.
//!
//! `cargo run --release --example epilogue_probe`

use wgzero::gpu::Gpu;
use wgzero::gpu::timing::Timestamps;
use wgzero::graph::kernels::coop::{COOP_CANDIDATES, choose_coop_tiles};
use wgzero::graph::kernels::{
    BoardConv, ConvShape, Epilogue, MatmulKernel, MatmulSpec, Template, conv2d_forward,
};

/// Dispatches per timed pass, and timed passes (the median counts).
const REPEATS: u32 = 50;
const PASSES: usize = 5;

/// What the epilogue reads besides the product.
#[derive(Clone, Copy)]
enum Reads {
    Nothing,
    Bias,
    /// The bias and one tensor of C's shape (a mask or a residual).
    BiasAndTensor,
}

impl Reads {
    fn name(self) -> &'static str {
        match self {
            Reads::Nothing => "identity",
            Reads::Bias => "bias",
            Reads::BiasAndTensor => "bias+tensor",
        }
    }

    fn epilogue(self, n: u32) -> Epilogue {
        let bias = "var<storage, read> bias: array<f32>;".to_owned();
        let tensor = "var<storage, read> other: array<f32>;".to_owned();
        let (bindings, body) = match self {
            Reads::Nothing => return Epilogue::identity(),
            Reads::Bias => (vec![bias], "return value + bias[col];".to_owned()),
            Reads::BiasAndTensor => (
                vec![bias, tensor],
                format!(
                    "let index = (batch * 0u + row) * {n}u + col;\n    \
                     return select(-1e30f, value + bias[col], other[index] != 0.0f);"
                ),
            ),
        };
        Epilogue {
            bindings,
            body: format!(
                "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {{\n    {body}\n}}"
            ),
        }
    }
}

fn shape(batch: u32, in_channels: u32, out_channels: u32, kernel: u32) -> ConvShape {
    ConvShape {
        batch,
        height: 8,
        width: 8,
        in_channels,
        out_channels,
        kernel,
    }
}

/// Median seconds per dispatch of `kernel` on fresh buffers (inputs nonzero).
fn time(gpu: &Gpu, kernel: &MatmulKernel, lens: [u64; 2]) -> anyhow::Result<f64> {
    let spec = &kernel.spec;
    let values = |len: u64, seed: u32| -> Vec<f32> {
        (0..len)
            .map(|i| {
                let x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                (x % 1000) as f32 / 1000.0 - 0.4
            })
            .collect()
    };
    let a = gpu.upload("a", &values(lens[0], 1));
    let b = gpu.upload("b", &values(lens[1], 2));
    let c = gpu.storage_buffer("c", spec.output_len() * 4);
    let bias = gpu.upload("bias", &values(u64::from(spec.n), 3));
    let other = gpu.upload("other", &values(spec.output_len(), 4));
    let extra: Vec<&wgpu::Buffer> = [&bias, &other]
        .into_iter()
        .take(spec.epilogue.bindings.len())
        .collect();
    let bind_group = kernel.bind(gpu, &a, &b, &c, &extra)?;
    let stamps = Timestamps::new(gpu, 2 * PASSES as u32 + 2)
        .ok_or_else(|| anyhow::anyhow!("{} has no timestamps inside passes", gpu.info.name))?;
    let mut times = Vec::new();
    for pass_index in 0..=PASSES {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            stamps.mark(&mut pass, "start");
            for _ in 0..REPEATS {
                kernel.record(&mut pass, &bind_group);
            }
            stamps.mark(&mut pass, "kernels");
        }
        stamps.resolve(&mut encoder);
        gpu.queue.submit([encoder.finish()]);
        gpu.wait()?;
        let intervals = stamps.read(gpu)?;
        // The first pass warms up.
        if pass_index > 0 {
            times.push(intervals[0].1 / f64::from(REPEATS));
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn report(
    gpu: &Gpu,
    label: &str,
    conv: &ConvShape,
    spec: MatmulSpec,
    template: Template,
    reads: Reads,
) -> anyhow::Result<()> {
    let name = template.name();
    let spec = MatmulSpec {
        epilogue: reads.epilogue(spec.n),
        ..spec
    };
    // SAFETY: the conv loaders read inside A and B, made for this shape; the epilogue reads
    // bias[col] (col < n) and other[row * n + col] inside C's shape.
    let kernel = unsafe { MatmulKernel::new(gpu, spec, template) }?;
    let seconds = time(gpu, &kernel, [conv.input_len(), conv.weight_len()])?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "epilogue_probe",
            "case": label,
            "m": kernel.spec.m,
            "n": kernel.spec.n,
            "k": kernel.spec.k,
            "tiles": name,
            "epilogue": reads.name(),
            "us": seconds * 1e6,
        })
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let gpu = Gpu::open(None)?;
    eprintln!("# adapter: {} ({:?})", gpu.info.name, gpu.info.backend);
    let coop = |tiles| Template::Coop {
        tiles,
        scale_a: 1.0,
        scale_b: 1.0,
    };
    // The policy head's 1×1 forward: 64 → 73 channels over 1024 boards, and its neighbours.
    for n in [73, 72, 76, 80] {
        let conv = shape(1024, 64, n, 1);
        let spec = conv2d_forward(&conv)?;
        let chosen = choose_coop_tiles(&spec);
        for reads in [Reads::Nothing, Reads::Bias, Reads::BiasAndTensor] {
            report(&gpu, "policy 1x1", &conv, spec.clone(), coop(chosen), reads)?;
        }
        if n == 73 {
            for tiles in COOP_CANDIDATES.iter().filter(|tiles| **tiles != chosen) {
                report(
                    &gpu,
                    "policy 1x1",
                    &conv,
                    spec.clone(),
                    coop(*tiles),
                    Reads::BiasAndTensor,
                )?;
            }
        }
    }
    // A trunk 3×3 forward on the board template.
    let trunk = shape(1024, 64, 64, 3);
    let spec = conv2d_forward(&trunk)?;
    let board = Template::Board {
        conv: BoardConv::forward(&trunk),
        scale_a: 1.0,
        scale_b: 1.0,
    };
    for reads in [Reads::Nothing, Reads::Bias, Reads::BiasAndTensor] {
        report(&gpu, "trunk 3x3", &trunk, spec.clone(), board, reads)?;
    }
    Ok(())
}
