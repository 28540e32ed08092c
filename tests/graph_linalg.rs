//! The compute-bound primitives on every backend against f64 loops written from their
//! definitions: batched matmul (batch broadcasting, rank-2 operands, k = 1, a 70×130×90
//! product) and 1×1 / 3×3 'same' convolutions with their input- and weight-gradient ops
//! (odd sizes, one-pixel and one-row images, 17 channels).

#[allow(dead_code)]
mod harness;

use harness::{
    Data, Tolerance, assert_close, broadcast_dims, broadcast_index, coordinates, element_count,
    read, run,
};
use wgzero::graph::Graph;
use wgzero::testing::on_every_backend;

/// `[.., m, k] × [.., k, n]` with NumPy-broadcast batch axes.
fn matmul_reference(a: &[f32], a_dims: &[usize], b: &[f32], b_dims: &[usize]) -> Vec<f64> {
    let (ra, rb) = (a_dims.len(), b_dims.len());
    let (m, k, n) = (a_dims[ra - 2], a_dims[ra - 1], b_dims[rb - 1]);
    let a_batch = &a_dims[..ra - 2];
    let b_batch = &b_dims[..rb - 2];
    let batch = broadcast_dims(a_batch, b_batch);
    let mut out = Vec::new();
    for flat in 0..element_count(&batch) {
        let at = coordinates(flat, &batch);
        let a_base = broadcast_index(&at, a_batch) * m * k;
        let b_base = broadcast_index(&at, b_batch) * k * n;
        for row in 0..m {
            for column in 0..n {
                let mut total = 0.0;
                for inner in 0..k {
                    total += f64::from(a[a_base + row * k + inner])
                        * f64::from(b[b_base + inner * n + column]);
                }
                out.push(total);
            }
        }
    }
    out
}

#[test]
fn batched_matmul_broadcasts_batches_and_accepts_rank_two_operands() {
    let cases: [(&[usize], &[usize]); 10] = [
        (&[1, 1], &[1, 1]),
        (&[7, 33], &[33, 17]),
        (&[65, 1], &[1, 33]),
        (&[3, 5, 7], &[3, 7, 9]),
        (&[2, 1, 5, 7], &[3, 7, 4]),
        (&[4, 5, 7], &[7, 3]),
        (&[5, 7], &[4, 7, 3]),
        (&[2, 3, 17, 5], &[2, 3, 5, 33]),
        (&[70, 130], &[130, 90]),
        // Over 2²⁰ multiply-adds: the CPU backend's multithreaded gemm.
        (&[90, 130], &[130, 90]),
    ];
    on_every_backend(|compute| {
        for (a_dims, b_dims) in cases {
            let mut data = Data::new(18);
            let a_values = data.uniform(element_count(a_dims), -1.0, 1.0);
            let b_values = data.uniform(element_count(b_dims), -1.0, 1.0);
            let g = Graph::new();
            let a = g.input("a", a_dims);
            let b = g.input("b", b_dims);
            g.output("out", g.matmul(a, b));
            let program = run(&g, compute, &[("a", &a_values), ("b", &b_values)]);
            let k = a_dims[a_dims.len() - 1];
            assert_close(
                &format!("matmul {a_dims:?} × {b_dims:?}"),
                &read(&program, "out"),
                &matmul_reference(&a_values, a_dims, &b_values, b_dims),
                Tolerance::accumulated(k),
            );
        }
    });
}

/// Reads NHWC `x[b, y, x, c]` with zeros outside the image.
fn padded(x: &[f32], dims: &[usize], b: usize, y: isize, column: isize, c: usize) -> f64 {
    let [_, height, width, channels] = dims.try_into().expect("NHWC");
    if y < 0 || column < 0 || y >= height as isize || column >= width as isize {
        return 0.0;
    }
    f64::from(x[((b * height + y as usize) * width + column as usize) * channels + c])
}

/// 'Same' stride-1 convolution of NHWC `x` with `[k, k, cin, cout]` `w`, by definition.
fn conv_reference(x: &[f32], x_dims: &[usize], w: &[f32], k: usize, cout: usize) -> Vec<f64> {
    let [batch, height, width, cin] = x_dims.try_into().expect("NHWC");
    let pad = (k / 2) as isize;
    let mut out = Vec::new();
    for b in 0..batch {
        for y in 0..height {
            for column in 0..width {
                for co in 0..cout {
                    let mut total = 0.0;
                    for dy in 0..k {
                        for dx in 0..k {
                            for ci in 0..cin {
                                let sy = y as isize + dy as isize - pad;
                                let sx = column as isize + dx as isize - pad;
                                total += padded(x, x_dims, b, sy, sx, ci)
                                    * f64::from(w[((dy * k + dx) * cin + ci) * cout + co]);
                            }
                        }
                    }
                    out.push(total);
                }
            }
        }
    }
    out
}

/// `∂/∂x` of the convolution given the output gradient `grad` `[b, h, w, cout]`:
/// `dx[b, y, x, ci] = Σ grad[b, y − dy + pad, x − dx + pad, co] · w[dy, dx, ci, co]`.
fn conv_grad_input_reference(
    grad: &[f32],
    g_dims: &[usize],
    w: &[f32],
    k: usize,
    cin: usize,
) -> Vec<f64> {
    let [batch, height, width, cout] = g_dims.try_into().expect("NHWC");
    let pad = (k / 2) as isize;
    let mut out = Vec::new();
    for b in 0..batch {
        for y in 0..height {
            for column in 0..width {
                for ci in 0..cin {
                    let mut total = 0.0;
                    for dy in 0..k {
                        for dx in 0..k {
                            for co in 0..cout {
                                let gy = y as isize - dy as isize + pad;
                                let gx = column as isize - dx as isize + pad;
                                total += padded(grad, g_dims, b, gy, gx, co)
                                    * f64::from(w[((dy * k + dx) * cin + ci) * cout + co]);
                            }
                        }
                    }
                    out.push(total);
                }
            }
        }
    }
    out
}

/// `∂/∂w`: `dw[dy, dx, ci, co] = Σ_{b, y, x} x[b, y + dy − pad, x + dx − pad, ci] · grad[b, y, x, co]`.
fn conv_grad_weight_reference(
    x: &[f32],
    x_dims: &[usize],
    grad: &[f32],
    k: usize,
    cout: usize,
) -> Vec<f64> {
    let [batch, height, width, cin] = x_dims.try_into().expect("NHWC");
    let pad = (k / 2) as isize;
    let mut out = Vec::new();
    for dy in 0..k {
        for dx in 0..k {
            for ci in 0..cin {
                for co in 0..cout {
                    let mut total = 0.0;
                    for b in 0..batch {
                        for y in 0..height {
                            for column in 0..width {
                                let sy = y as isize + dy as isize - pad;
                                let sx = column as isize + dx as isize - pad;
                                total += padded(x, x_dims, b, sy, sx, ci)
                                    * f64::from(
                                        grad[((b * height + y) * width + column) * cout + co],
                                    );
                            }
                        }
                    }
                    out.push(total);
                }
            }
        }
    }
    out
}

#[test]
fn conv2d_and_its_gradient_ops_match_direct_loops() {
    // (input NHWC, kernel, output channels)
    let cases: [(&[usize], usize, usize); 7] = [
        (&[2, 5, 7, 3], 1, 4),
        (&[2, 6, 6, 3], 3, 5),
        (&[1, 7, 5, 4], 3, 2),
        (&[3, 1, 1, 2], 3, 3),
        (&[1, 1, 9, 1], 3, 1),
        (&[4, 8, 8, 17], 3, 9),
        // Over 2²⁰ multiply-adds: the CPU backend's multithreaded gemm.
        (&[2, 8, 8, 32], 3, 32),
    ];
    on_every_backend(|compute| {
        for (x_dims, k, cout) in cases {
            let cin = x_dims[3];
            let out_dims = [x_dims[0], x_dims[1], x_dims[2], cout];
            let mut data = Data::new(19);
            let x_values = data.uniform(element_count(x_dims), -1.0, 1.0);
            let w_values = data.uniform(k * k * cin * cout, -1.0, 1.0);
            let grad_values = data.uniform(element_count(&out_dims), -1.0, 1.0);
            let g = Graph::new();
            let x = g.input("x", x_dims);
            let w = g.input("w", [k, k, cin, cout]);
            let grad = g.input("grad", out_dims);
            g.output("conv", g.conv2d(x, w));
            g.output("grad_input", g.conv2d_grad_input(grad, w));
            g.output("grad_weight", g.conv2d_grad_weight(x, grad, k));
            let program = run(
                &g,
                compute,
                &[("x", &x_values), ("w", &w_values), ("grad", &grad_values)],
            );
            let what = format!("{k}x{k} conv of {x_dims:?} to {cout} channels");
            assert_close(
                &what,
                &read(&program, "conv"),
                &conv_reference(&x_values, x_dims, &w_values, k, cout),
                Tolerance::accumulated(k * k * cin),
            );
            assert_close(
                &format!("input gradient of the {what}"),
                &read(&program, "grad_input"),
                &conv_grad_input_reference(&grad_values, &out_dims, &w_values, k, cin),
                Tolerance::accumulated(k * k * cout),
            );
            assert_close(
                &format!("weight gradient of the {what}"),
                &read(&program, "grad_weight"),
                &conv_grad_weight_reference(&x_values, x_dims, &grad_values, k, cout),
                Tolerance::accumulated(element_count(&out_dims) / cout),
            );
        }
    });
}
