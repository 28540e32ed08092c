//! Fused GPU programs compute what unfused ones and the CPU interpreter compute, on graphs
//! that exercise every fusion path: pointwise chains, reduction prologues and epilogues,
//! contraction epilogues, views read in place, gathers, segment sums, optimizer assigns.
//! Every generated kernel must also pass naga's validation with no optional capability.
//! The fused programs run twice: on the test device (the adapter's limits) and on a device
//! with WebGPU's default limits (8 storage buffers per stage: fusion then fuses less).

use std::sync::{Arc, OnceLock};
use wgzero::backend::Compute;
use wgzero::graph::optim::{self, Optimizer, UpdateConfig};
use wgzero::graph::{CompileOptions, Graph, Init, Program, Tensor, autodiff};

use wgzero::gpu::Gpu;
use wgzero::testing::{baseline_gpu, test_gpu};

/// One device with WebGPU's default limits for the whole test binary.
fn baseline() -> Option<Arc<Gpu>> {
    static GPU: OnceLock<Option<Arc<Gpu>>> = OnceLock::new();
    GPU.get_or_init(baseline_gpu).clone()
}

/// Deterministic inputs in (-1, 1), never all zeros.
fn data(count: usize, seed: u32) -> Vec<f32> {
    (0..count)
        .map(|i| {
            let x = (i as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(seed.wrapping_mul(97));
            ((x >> 8) as f32 / (1u32 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn close(name: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{name}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 2e-4 + 2e-3 * w.abs(),
            "{name}[{i}]: {g} vs {w}"
        );
    }
}

/// Builds `build`'s graph for the CPU and for the GPU fused and unfused (and fused on the
/// baseline device), feeds the same inputs, runs `steps` steps and compares every output
/// and every named value. Returns the fused GPU program's kernel and dispatch counts and
/// its kernel listing on the test device (`None` without a GPU).
fn check(
    build: impl Fn(&Graph) -> Vec<(String, Vec<f32>)>,
    compared: &[&str],
    steps: usize,
) -> Option<(usize, usize, String)> {
    let gpu = test_gpu()?;
    let baseline = baseline()?;
    let mut results = Vec::new();
    let mut counts = None;
    for (compute, fuse) in [
        (Compute::Cpu, true),
        (Compute::Gpu(gpu.clone()), false),
        (Compute::Gpu(gpu.clone()), true),
        (Compute::Gpu(baseline), true),
    ] {
        let graph = Graph::new();
        let inputs = build(&graph);
        let options = CompileOptions {
            fuse,
            seed: 7,
            ..CompileOptions::default()
        };
        let mut program = Program::compile(&graph, &compute, &options).unwrap();
        for wgsl in program.kernels().iter().flat_map(|k| &k.shaders) {
            wgzero::gpu::validate_wgsl(wgsl, naga::valid::Capabilities::empty())
                .unwrap_or_else(|e| panic!("{e}\n{wgsl}"));
        }
        if fuse && matches!(compute, Compute::Gpu(_)) && counts.is_none() {
            let listing = program.kernel_listing();
            eprintln!("{listing}");
            counts = Some((program.kernels().len(), program.dispatches(), listing));
        }
        for (name, values) in &inputs {
            program.write(name, values).unwrap();
        }
        let mut read = Vec::new();
        for _ in 0..steps {
            program.run().unwrap();
            for name in compared {
                read.push((name.to_string(), program.read(name).unwrap()));
            }
        }
        results.push(read);
    }
    for other in &results[1..] {
        for ((name, got), (_, want)) in other.iter().zip(&results[0]) {
            close(name, got, want);
        }
    }
    counts
}

fn input(graph: &Graph, name: &str, dims: &[usize], seed: u32) -> (Tensor, (String, Vec<f32>)) {
    let t = graph.input(name, dims);
    (t, (name.to_owned(), data(t.shape.num_elements(), seed)))
}

#[test]
fn policy_value_loss_with_adam() {
    let counts = check(
        |g| {
            let (obs, a) = input(g, "obs", &[6, 10], 1);
            let (target, b) = input(g, "target", &[6, 70], 2);
            let (mask_values, c) = input(g, "mask", &[6, 70], 3);
            let (value_target, d) = input(g, "value_target", &[6, 1], 4);
            let mask = g.greater(mask_values, g.scalar(-0.5));
            let target = g.mul(g.softmax(target, Some(mask)), g.scalar(1.0));
            let w1 = g.parameter("w1", [10, 33], Init::Normal { std: 0.3 });
            let b1 = g.parameter("b1", [33], Init::Normal { std: 0.1 });
            let wp = g.parameter("wp", [33, 70], Init::Normal { std: 0.3 });
            let wv = g.parameter("wv", [33, 1], Init::Normal { std: 0.3 });
            let h = g.relu(g.linear(obs, w1, Some(b1)));
            let logits = g.matmul(h, wp);
            let value = g.tanh(g.matmul(h, wv));
            let policy_loss = g.mean_all(g.soft_cross_entropy(logits, target, Some(mask)));
            let loss = g.add(policy_loss, g.mse(value, value_target));
            let params = [w1, b1, wp, wv];
            let grads = autodiff::gradients(g, loss, &params).unwrap();
            optim::add_update(
                g,
                &params,
                &grads,
                &UpdateConfig {
                    optimizer: Optimizer::adam(),
                    learning_rate: 0.01,
                    l2: 1e-4,
                    clip_global_norm: Some(1.0),
                },
            );
            g.output("loss", loss);
            g.output("probabilities", g.softmax(logits, Some(mask)));
            vec![a, b, c, d]
        },
        &["loss", "probabilities", "w1", "b1", "wp.m", "wv.v"],
        3,
    );
    // The parameters' independent updates share dispatches (and still match above).
    if let Some((kernels, dispatches, listing)) = counts {
        assert!(
            dispatches < kernels,
            "{dispatches} dispatches for {kernels} kernels"
        );
        // The loss and its gradient by the logits come from one pass over each row.
        assert!(
            listing.contains("soft_cross_entropy → soft_cross_entropy_grad"),
            "{listing}"
        );
    }
}

#[test]
fn layer_norm_and_wide_rows() {
    check(
        |g| {
            let (x, a) = input(g, "x", &[5, 300], 5);
            let w = g.parameter("w", [300], Init::Normal { std: 1.0 });
            let y = g.mul(g.layer_norm(x, 1e-5), w);
            let loss = g.mean_all(g.square(g.sigmoid(y)));
            let grads = autodiff::gradients(g, loss, &[x, w]).unwrap();
            g.output("y", y);
            g.output("dx", grads[0]);
            g.output("dw", grads[1]);
            g.output("row_max", g.max(x, &[-1], false));
            g.output("column_sum", g.sum(x, &[0], false));
            vec![a]
        },
        &["y", "dx", "dw", "row_max", "column_sum"],
        1,
    );
}

#[test]
fn message_passing_with_gathers_and_segment_sums() {
    // K_4: 6 edges; vertex features [batch, 4, 3] gathered to edges and summed back.
    let from: Vec<u32> = vec![0, 0, 0, 1, 1, 2];
    let to: Vec<u32> = vec![1, 2, 3, 2, 3, 3];
    check(
        |g| {
            let (vertices, a) = input(g, "vertices", &[2, 4, 3], 6);
            let w = g.parameter("w", [3, 5], Init::Normal { std: 0.5 });
            let edge_sum = g.add(g.gather(vertices, 1, &from), g.gather(vertices, 1, &to));
            let messages = g.relu(g.linear(edge_sum, w, None));
            let back = g.add(
                g.scatter_add(messages, 1, &from, 4),
                g.scatter_add(messages, 1, &to, 4),
            );
            let loss = g.mean_all(g.square(back));
            let grads = autodiff::gradients(g, loss, &[vertices, w]).unwrap();
            g.output("back", back);
            g.output("dv", grads[0]);
            g.output("dw", grads[1]);
            vec![a]
        },
        &["back", "dv", "dw"],
        1,
    );
}

#[test]
fn residual_conv_block() {
    check(
        |g| {
            let (x, a) = input(g, "x", &[2, 5, 5, 4], 8);
            let w1 = g.parameter("w1", [3, 3, 4, 6], Init::Normal { std: 0.3 });
            let b1 = g.parameter("b1", [6], Init::Normal { std: 0.1 });
            let w2 = g.parameter("w2", [3, 3, 6, 4], Init::Normal { std: 0.3 });
            let w3 = g.parameter("w3", [1, 1, 4, 2], Init::Normal { std: 0.3 });
            let h = g.relu(g.add(g.conv2d(x, w1), b1));
            let r = g.relu(g.add(g.conv2d(h, w2), x));
            let y = g.conv2d(r, w3);
            let loss = g.mean_all(g.square(y));
            let grads = autodiff::gradients(g, loss, &[x, w1, b1, w2, w3]).unwrap();
            g.output("y", y);
            for (name, grad) in ["dx", "dw1", "db1", "dw2", "dw3"].iter().zip(grads) {
                g.output(name, grad);
            }
            vec![a]
        },
        &["y", "dx", "dw1", "db1", "dw2", "dw3"],
        1,
    );
}

#[test]
fn views_read_in_place() {
    check(
        |g| {
            let (x, a) = input(g, "x", &[3, 4, 5], 9);
            let (y, b) = input(g, "y", &[3, 2], 10);
            let permuted = g.permute(x, &[2, 0, 1]); // [5, 3, 4]
            let sliced = g.slice(permuted, 0, 1, 3); // [3, 3, 4]
            let spread = g.expand(g.reshape(y, [1, 3, 2]), [3, 3, 2]);
            let joined = g.concat(&[sliced, spread], 2); // [3, 3, 6]
            // [3, 6, 3] × [3, 3, 5]
            let product = g.matmul(g.transpose(joined), g.slice(x, 1, 0, 3));
            g.output("joined", joined);
            g.output("product", product);
            g.output("sum", g.sum(g.exp(joined), &[0, 2], false));
            vec![a, b]
        },
        &["joined", "product", "sum"],
        1,
    );
}

#[test]
fn long_reductions_split_into_partial_sums() {
    // Weight gradients whose reduction runs over 1024 rows or pixels, and column
    // reductions over 2048 rows: the GPU cuts them into slices summed by a second kernel
    // (with the epilogue moved there), and merges those second kernels into one dispatch.
    let build = |g: &Graph| {
        let (x, a) = input(g, "x", &[1024, 8], 11);
        let (y, b) = input(g, "y", &[1024, 6], 12);
        let (images, c) = input(g, "images", &[16, 8, 8, 4], 13);
        let (grads, d) = input(g, "grads", &[16, 8, 8, 5], 14);
        let product = g.matmul(g.transpose(x), y);
        g.output("weight_grad", g.relu(g.add(product, g.scalar(0.1))));
        g.output("conv_weight_grad", g.conv2d_grad_weight(images, grads, 3));
        // Column sums and maxima over 2048 rows (with a prologue and an epilogue).
        let (rows, e) = input(g, "rows", &[2048, 6], 15);
        g.output("column_sum", g.scale(g.sum(g.relu(rows), &[0], false), 0.5));
        g.output("column_max", g.max(g.exp(rows), &[0], false));
        vec![a, b, c, d, e]
    };
    check(
        build,
        &[
            "weight_grad",
            "conv_weight_grad",
            "column_sum",
            "column_max",
        ],
        1,
    );
    if let Some(gpu) = test_gpu() {
        let graph = Graph::new();
        build(&graph);
        let program =
            Program::compile(&graph, &Compute::Gpu(gpu), &CompileOptions::default()).unwrap();
        let split = program
            .kernels()
            .iter()
            .filter(|k| k.shaders.len() >= 2)
            .count();
        assert_eq!(split, 4, "{}", program.kernel_listing());
        // The four finishing passes, needed only at the end, run as one merged dispatch;
        // the four first passes, independent of each other, share dispatches wherever they
        // share a workgroup size (all results checked above).
        let labels = program.dispatch_labels();
        assert_eq!(
            labels.last(),
            Some(&"finishing passes of kernels 0, 1, 2, 3"),
            "{labels:#?}"
        );
        assert!(labels.len() < program.kernels().len() + 1, "{labels:#?}");
    }
}
