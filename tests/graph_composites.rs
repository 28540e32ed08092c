//! The composite ops (built from primitives in `composite.rs`) on every backend against f64
//! references written from their textbook definitions: softmax and log-softmax with and
//! without a legality mask (single-legal rows, large logits), layer norm, the soft-target
//! cross-entropy primitive and its gradient (fully masked rows, rows longer than a
//! workgroup's loop turn), mean squared error, the linear layer at ranks 2 to 4, and sibling
//! convolutions (several layers over one input as one product) with their gradients.

#[allow(dead_code)]
mod harness;

use harness::{Data, Tolerance, assert_close, element_count, read, run};
use wgzero::graph::Graph;
use wgzero::graph::composite::MASKED_LOGIT;
use wgzero::testing::on_every_backend;

/// Per row of `columns`: the softmax probabilities and log-probabilities over the legal
/// entries (`mask` nonzero, or all without a mask); illegal entries get probability 0 and
/// log-probability −∞.
fn softmax_reference(logits: &[f32], mask: Option<&[f32]>, columns: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut probabilities, mut log_probabilities) = (Vec::new(), Vec::new());
    for (row, values) in logits.chunks(columns).enumerate() {
        let legal = |c: usize| mask.is_none_or(|m| m[row * columns + c] != 0.0);
        let largest = (0..columns)
            .filter(|&c| legal(c))
            .map(|c| f64::from(values[c]))
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = (0..columns)
            .filter(|&c| legal(c))
            .map(|c| (f64::from(values[c]) - largest).exp())
            .sum();
        for (c, &value) in values.iter().enumerate() {
            if legal(c) {
                let log_p = f64::from(value) - largest - total.ln();
                probabilities.push(log_p.exp());
                log_probabilities.push(log_p);
            } else {
                probabilities.push(0.0);
                log_probabilities.push(f64::NEG_INFINITY);
            }
        }
    }
    (probabilities, log_probabilities)
}

#[test]
fn softmax_and_log_softmax_match_f64_with_and_without_a_mask() {
    // (logit extents, legal probability; None for no mask)
    let cases: [(&[usize], Option<f64>); 6] = [
        (&[1, 1], None),
        (&[5, 7], None),
        (&[3, 4, 33], Some(0.5)),
        (&[2, 65], Some(0.1)),
        (&[7, 5], Some(0.0)),
        (&[17, 130], Some(0.7)),
    ];
    on_every_backend(|compute| {
        for (dims, legal) in cases {
            let columns = dims[dims.len() - 1];
            let rows = element_count(dims) / columns;
            let mut data = Data::new(31);
            let mut logits = data.uniform(element_count(dims), -4.0, 4.0);
            // One row of large logits: exp overflows f32 unless the maximum is subtracted.
            if rows > 1 {
                let large = data.uniform(columns, 80.0, 100.0);
                logits[columns..2 * columns].copy_from_slice(&large);
            }
            let mask_values = legal.map(|p| data.mask(rows, columns, p));
            let g = Graph::new();
            let x = g.input("logits", dims);
            let mask = mask_values.as_ref().map(|_| g.input("mask", dims));
            g.output("softmax", g.softmax(x, mask));
            g.output("log_softmax", g.log_softmax(x, mask));
            let mut feeds: Vec<(&str, &[f32])> = vec![("logits", &logits)];
            if let Some(m) = &mask_values {
                feeds.push(("mask", m));
            }
            let program = run(&g, compute, &feeds);
            let (probabilities, log_probabilities) =
                softmax_reference(&logits, mask_values.as_deref(), columns);
            let what = format!("on {dims:?} with legal fraction {legal:?}");
            assert_close(
                &format!("softmax {what}"),
                &read(&program, "softmax"),
                &probabilities,
                Tolerance::accumulated(columns),
            );
            // Illegal log-probabilities are only promised to be about MASKED_LOGIT.
            let got = read(&program, "log_softmax");
            let (mut legal_got, mut legal_want) = (Vec::new(), Vec::new());
            for (index, (&g, &w)) in got.iter().zip(&log_probabilities).enumerate() {
                if w.is_finite() {
                    legal_got.push(g);
                    legal_want.push(w);
                } else {
                    assert!(
                        g.is_finite() && g <= MASKED_LOGIT / 2.0,
                        "log_softmax {what}: masked element {index} is {g}"
                    );
                }
            }
            assert_close(
                &format!("log_softmax {what}"),
                &legal_got,
                &legal_want,
                Tolerance::accumulated(columns),
            );
        }
    });
}

#[test]
fn layer_norm_gives_zero_mean_unit_variance_rows() {
    let epsilon = 1e-5;
    on_every_backend(|compute| {
        for dims in [&[5, 33][..], &[2, 3, 7], &[3, 1], &[4, 130]] {
            let columns = dims[dims.len() - 1];
            // Offset and spread, so that a variance not taken around the mean is caught.
            let values = Data::new(32).uniform(element_count(dims), 1.0, 5.0);
            let g = Graph::new();
            let x = g.input("x", dims);
            g.output("normed", g.layer_norm(x, epsilon));
            let program = run(&g, compute, &[("x", &values)]);
            let mut want = Vec::new();
            for row in values.chunks(columns) {
                let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
                let mean = row.iter().sum::<f64>() / columns as f64;
                let variance = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / columns as f64;
                let scale = 1.0 / (variance + f64::from(epsilon)).sqrt();
                want.extend(row.iter().map(|v| (v - mean) * scale));
            }
            assert_close(
                &format!("layer_norm on {dims:?}"),
                &read(&program, "normed"),
                &want,
                Tolerance::accumulated(columns),
            );
        }
    });
}

/// Logits `[rows, columns]` in (−3, 3), an optional mask (`legal` probability, one legal
/// entry per row at least, except that row 0 of a masked case with several rows is fully
/// masked) and soft targets: random distributions over each row's legal entries (all zero
/// in a fully masked row).
fn cross_entropy_case(
    rows: usize,
    columns: usize,
    legal: Option<f64>,
    seed: u64,
) -> (Vec<f32>, Option<Vec<f32>>, Vec<f32>) {
    let mut data = Data::new(seed);
    let logits = data.uniform(rows * columns, -3.0, 3.0);
    let mut mask_values = legal.map(|p| data.mask(rows, columns, p));
    if let Some(mask) = &mut mask_values
        && rows > 1
    {
        mask[..columns].fill(0.0);
    }
    let mut targets = data.uniform(rows * columns, 0.1, 1.0);
    for (row, values) in targets.chunks_mut(columns).enumerate() {
        if let Some(mask) = &mask_values {
            for (c, v) in values.iter_mut().enumerate() {
                *v *= mask[row * columns + c];
            }
        }
        let total: f32 = values.iter().sum();
        if total > 0.0 {
            values.iter_mut().for_each(|v| *v /= total);
        }
    }
    (logits, mask_values, targets)
}

/// (rows, columns, legal probability): rows shorter than a workgroup, rows of several
/// unrolled loop turns (the training step's are 4,672 long), rows too long for the GPU
/// gradient kernel to keep in registers (over 6,144) and a single entry.
const CROSS_ENTROPY_CASES: [(usize, usize, Option<f64>); 7] = [
    (2, 6500, Some(0.5)),
    (6, 9, None),
    (5, 33, Some(0.4)),
    (1, 1, None),
    (3, 1500, Some(0.3)),
    (2, 4672, None),
    (4, 1030, Some(0.05)),
];

#[test]
fn soft_cross_entropy_matches_f64_with_and_without_a_mask() {
    on_every_backend(|compute| {
        for (rows, columns, legal) in CROSS_ENTROPY_CASES {
            let (logits, mask_values, targets) = cross_entropy_case(rows, columns, legal, 33);
            let g = Graph::new();
            // Rank 3 where the rows split evenly: the op works along the last axis.
            let dims: Vec<usize> = if rows % 2 == 0 {
                vec![2, rows / 2, columns]
            } else {
                vec![rows, columns]
            };
            let x = g.input("logits", dims.as_slice());
            let t = g.input("targets", dims.as_slice());
            let mask = mask_values
                .as_ref()
                .map(|_| g.input("mask", dims.as_slice()));
            let loss = g.soft_cross_entropy(x, t, mask);
            assert_eq!(loss.shape.dims(), &dims[..dims.len() - 1]);
            g.output("loss", loss);
            let mut feeds: Vec<(&str, &[f32])> = vec![("logits", &logits), ("targets", &targets)];
            if let Some(m) = &mask_values {
                feeds.push(("mask", m));
            }
            let program = run(&g, compute, &feeds);
            let (_, log_probabilities) =
                softmax_reference(&logits, mask_values.as_deref(), columns);
            let want: Vec<f64> = (0..rows)
                .map(|row| {
                    -(0..columns)
                        .filter(|&c| targets[row * columns + c] != 0.0)
                        .map(|c| {
                            f64::from(targets[row * columns + c])
                                * log_probabilities[row * columns + c]
                        })
                        .sum::<f64>()
                })
                .collect();
            assert_close(
                &format!("soft_cross_entropy on [{rows}, {columns}] with legal fraction {legal:?}"),
                &read(&program, "loss"),
                &want,
                Tolerance::accumulated(columns),
            );
        }
    });
}

/// The gradient primitive against its definition `softmax · Σ target − target` (0 where
/// masked) in f64, with the logits read through a slice of a wider tensor (as the network's
/// policy logits are sliced from its heads' output).
#[test]
fn soft_cross_entropy_grad_matches_f64_with_and_without_a_mask() {
    on_every_backend(|compute| {
        for (rows, columns, legal) in CROSS_ENTROPY_CASES {
            let (logits, mask_values, targets) = cross_entropy_case(rows, columns, legal, 35);
            let wide: Vec<f32> = logits
                .chunks(columns)
                .flat_map(|row| [&[7.0, -7.0][..], row, &[9.0]].concat())
                .collect();
            let g = Graph::new();
            let x = g.slice(g.input("wide", [rows, columns + 3]), -1, 2, columns);
            let t = g.input("targets", [rows, columns]);
            let mask = mask_values
                .as_ref()
                .map(|_| g.input("mask", [rows, columns]));
            g.output("grad", g.soft_cross_entropy_grad(x, t, mask));
            let mut feeds: Vec<(&str, &[f32])> = vec![("wide", &wide), ("targets", &targets)];
            if let Some(m) = &mask_values {
                feeds.push(("mask", m));
            }
            let program = run(&g, compute, &feeds);
            let (probabilities, _) = softmax_reference(&logits, mask_values.as_deref(), columns);
            let want: Vec<f64> = (0..rows * columns)
                .map(|i| {
                    let row = i / columns;
                    let total: f64 = targets[row * columns..(row + 1) * columns]
                        .iter()
                        .map(|&v| f64::from(v))
                        .sum();
                    if mask_values.as_ref().is_some_and(|m| m[i] == 0.0) {
                        0.0
                    } else {
                        probabilities[i] * total - f64::from(targets[i])
                    }
                })
                .collect();
            assert_close(
                &format!(
                    "soft_cross_entropy_grad on [{rows}, {columns}] with legal fraction {legal:?}"
                ),
                &read(&program, "grad"),
                &want,
                Tolerance::accumulated(columns),
            );
        }
    });
}

#[test]
fn mse_is_the_mean_of_squared_differences() {
    on_every_backend(|compute| {
        for dims in [&[1][..], &[4, 7], &[3, 5, 33]] {
            let mut data = Data::new(34);
            let prediction = data.uniform(element_count(dims), -2.0, 2.0);
            let target = data.uniform(element_count(dims), -2.0, 2.0);
            let g = Graph::new();
            let p = g.input("prediction", dims);
            let t = g.input("target", dims);
            let loss = g.mse(p, t);
            assert_eq!(loss.shape.num_elements(), 1);
            g.output("loss", loss);
            let program = run(
                &g,
                compute,
                &[("prediction", &prediction), ("target", &target)],
            );
            let want = prediction
                .iter()
                .zip(&target)
                .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
                .sum::<f64>()
                / prediction.len() as f64;
            assert_close(
                &format!("mse on {dims:?}"),
                &read(&program, "loss"),
                &[want],
                Tolerance::accumulated(prediction.len()),
            );
        }
    });
}

#[test]
fn linear_applies_weight_and_bias_over_the_last_axis() {
    // (input extents, output features, with bias)
    let cases: [(&[usize], usize, bool); 4] = [
        (&[5, 7], 3, true),
        (&[2, 3, 7], 4, false),
        (&[2, 2, 3, 5], 6, true),
        (&[1, 1], 1, true),
    ];
    on_every_backend(|compute| {
        for (dims, outputs, with_bias) in cases {
            let inputs = dims[dims.len() - 1];
            let mut data = Data::new(35);
            let x_values = data.uniform(element_count(dims), -1.0, 1.0);
            let w_values = data.uniform(inputs * outputs, -1.0, 1.0);
            let b_values = data.uniform(outputs, -1.0, 1.0);
            let g = Graph::new();
            let x = g.input("x", dims);
            let w = g.input("w", [inputs, outputs]);
            let b = g.input("b", [outputs]);
            let y = g.linear(x, w, with_bias.then_some(b));
            let mut out_dims = dims.to_vec();
            *out_dims.last_mut().unwrap() = outputs;
            assert_eq!(y.shape.dims(), out_dims.as_slice());
            g.output("y", y);
            let mut feeds: Vec<(&str, &[f32])> = vec![("x", &x_values), ("w", &w_values)];
            if with_bias {
                feeds.push(("b", &b_values));
            }
            let program = run(&g, compute, &feeds);
            let mut want = Vec::new();
            for row in x_values.chunks(inputs) {
                for o in 0..outputs {
                    let dot: f64 = (0..inputs)
                        .map(|i| f64::from(row[i]) * f64::from(w_values[i * outputs + o]))
                        .sum();
                    want.push(
                        dot + if with_bias {
                            f64::from(b_values[o])
                        } else {
                            0.0
                        },
                    );
                }
            }
            assert_close(
                &format!("linear on {dims:?} to {outputs}, bias {with_bias}"),
                &read(&program, "y"),
                &want,
                Tolerance::accumulated(inputs),
            );
        }
    });
}

/// `conv2d(x, w) + b` in f64 over NHWC `x` (`dims`) and HWIO `w` (`kernel`², same padding).
fn conv_reference(x: &[f32], dims: [usize; 4], w: &[f32], b: &[f32], kernel: usize) -> Vec<f64> {
    let [n, h, wd, c] = dims;
    let out = b.len();
    let pad = kernel / 2;
    let mut y = Vec::with_capacity(n * h * wd * out);
    for image in 0..n {
        for row in 0..h {
            for col in 0..wd {
                for o in 0..out {
                    let mut total = f64::from(b[o]);
                    for (ky, kx) in (0..kernel).flat_map(|ky| (0..kernel).map(move |kx| (ky, kx))) {
                        let (sy, sx) = (row + ky, col + kx);
                        if sy < pad || sx < pad || sy - pad >= h || sx - pad >= wd {
                            continue;
                        }
                        let pixel = ((image * h + sy - pad) * wd + sx - pad) * c;
                        for i in 0..c {
                            total += f64::from(x[pixel + i])
                                * f64::from(w[((ky * kernel + kx) * c + i) * out + o]);
                        }
                    }
                    y.push(total);
                }
            }
        }
    }
    y
}

#[test]
fn sibling_convs_match_separate_convolutions_and_their_gradients() {
    let dims = [2, 4, 5, 3];
    // (kernel size, output channels of each layer)
    let cases: [(usize, &[usize]); 2] = [(1, &[5, 1]), (3, &[2, 3, 1])];
    on_every_backend(|compute| {
        for (kernel, outs) in cases {
            let mut data = Data::new(36);
            let x_values = data.uniform(element_count(&dims), -1.0, 1.0);
            let layers: Vec<(Vec<f32>, Vec<f32>)> = outs
                .iter()
                .map(|&out| {
                    let w = data.uniform(kernel * kernel * dims[3] * out, -1.0, 1.0);
                    (w, data.uniform(out, -1.0, 1.0))
                })
                .collect();
            // Forward: each output against the f64 convolution.
            let g = Graph::new();
            let x = g.input("x", dims);
            let params: Vec<_> = outs
                .iter()
                .enumerate()
                .map(|(i, &out)| {
                    (
                        g.input(&format!("w{i}"), [kernel, kernel, dims[3], out]),
                        g.input(&format!("b{i}"), [out]),
                    )
                })
                .collect();
            let outputs = g.sibling_convs(x, &params);
            assert_eq!(outputs.len(), outs.len());
            // Backward: the sum of each output times a fixed tensor, so that every layer's
            // weight gradient differs; compared with the same loss over separate convs.
            let separate =
                |graph: &Graph, x, layer: &(_, _)| graph.add(graph.conv2d(x, layer.0), layer.1);
            let loss_of = |ys: &[wgzero::graph::Tensor]| {
                let terms: Vec<_> = ys
                    .iter()
                    .enumerate()
                    .map(|(i, &y)| g.sum_all(g.mul(y, g.scale(g.tanh(y), 1.0 + i as f32))))
                    .collect();
                terms[1..]
                    .iter()
                    .fold(terms[0], |total, &t| g.add(total, t))
            };
            let separate_outputs: Vec<_> = params.iter().map(|p| separate(&g, x, p)).collect();
            let weights: Vec<_> = params.iter().map(|p| p.0).collect();
            let grads =
                wgzero::graph::autodiff::gradients(&g, loss_of(&outputs), &weights).unwrap();
            let want_grads =
                wgzero::graph::autodiff::gradients(&g, loss_of(&separate_outputs), &weights)
                    .unwrap();
            for (i, &y) in outputs.iter().enumerate() {
                g.output(&format!("y{i}"), y);
                g.output(&format!("grad{i}"), grads[i]);
                g.output(&format!("want_grad{i}"), want_grads[i]);
            }
            let names: Vec<(String, String)> = (0..outs.len())
                .map(|i| (format!("w{i}"), format!("b{i}")))
                .collect();
            let mut feeds: Vec<(&str, &[f32])> = vec![("x", &x_values)];
            for ((w_name, b_name), (w, b)) in names.iter().zip(&layers) {
                feeds.push((w_name, w));
                feeds.push((b_name, b));
            }
            let program = run(&g, compute, &feeds);
            for (i, (w, b)) in layers.iter().enumerate() {
                let what = format!("sibling {kernel}x{kernel} layer {i} of {outs:?}");
                assert_close(
                    &what,
                    &read(&program, &format!("y{i}")),
                    &conv_reference(&x_values, dims, w, b, kernel),
                    Tolerance::accumulated(kernel * kernel * dims[3]),
                );
                let want: Vec<f64> = read(&program, &format!("want_grad{i}"))
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect();
                assert_close(
                    &format!("{what}, weight gradient"),
                    &read(&program, &format!("grad{i}")),
                    &want,
                    Tolerance::accumulated(element_count(&dims)),
                );
            }
        }
    });
}
