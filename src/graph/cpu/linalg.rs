//! Matrix products, convolutions and indexed copies on the CPU. Products go through the
//! `gemm` crate (blocked, SIMD, multithreaded); convolutions through im2col + gemm.

use gemm::Parallelism;
use rayon::prelude::*;

use crate::graph::shape::Shape;

fn parallelism(flops: usize) -> Parallelism {
    if flops >= 1 << 20 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    }
}

/// `out[m, n] (+)= a[m, k] · b[k, n]` with explicit element strides (row, column) for
/// `a` and `b`; `out` is contiguous row-major. Adds into `out` when `accumulate`.
#[allow(clippy::too_many_arguments)]
pub fn gemm_strided(
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    (a_row, a_col): (usize, usize),
    b: &[f32],
    (b_row, b_col): (usize, usize),
    out: &mut [f32],
    accumulate: bool,
    threads: Parallelism,
) {
    assert!(out.len() >= m * n);
    if k == 0 {
        if !accumulate {
            out[..m * n].fill(0.0);
        }
        return;
    }
    assert!(a.len() > (m - 1) * a_row + (k - 1) * a_col);
    assert!(b.len() > (k - 1) * b_row + (n - 1) * b_col);
    // SAFETY: the asserts above keep every index gemm forms inside the three slices, and
    // `out` does not alias `a` or `b` (it is a distinct &mut).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.as_ptr(),
            a_col as isize,
            a_row as isize,
            b.as_ptr(),
            b_col as isize,
            b_row as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            threads,
        );
    }
}

/// Batched `[.., m, k] × [.., k, n]` with broadcast batch axes.
pub fn matmul(
    a: &[f32],
    a_shape: Shape,
    b: &[f32],
    b_shape: Shape,
    out: &mut [f32],
    out_shape: Shape,
) {
    let (ra, rb, ro) = (a_shape.rank(), b_shape.rank(), out_shape.rank());
    let (m, k, n) = (
        a_shape.dims()[ra - 2],
        a_shape.dims()[ra - 1],
        b_shape.dims()[rb - 1],
    );
    let batch_shape = Shape::new(&out_shape.dims()[..ro - 2]);
    let batches = batch_shape.num_elements();
    let a_batch = Shape::new(&a_shape.dims()[..ra - 2]).broadcast_strides(batch_shape);
    let b_batch = Shape::new(&b_shape.dims()[..rb - 2]).broadcast_strides(batch_shape);
    let offsets = |batch: usize| {
        let (mut rest, mut oa, mut ob) = (batch, 0, 0);
        for axis in (0..batch_shape.rank()).rev() {
            let coordinate = rest % batch_shape.dims()[axis];
            rest /= batch_shape.dims()[axis];
            oa += coordinate * a_batch[axis];
            ob += coordinate * b_batch[axis];
        }
        (oa * m * k, ob * k * n)
    };
    let run = |batch: usize, out_block: &mut [f32], threads| {
        let (oa, ob) = offsets(batch);
        gemm_strided(
            (m, n, k),
            &a[oa..oa + m * k],
            (k, 1),
            &b[ob..ob + k * n],
            (n, 1),
            out_block,
            false,
            threads,
        );
    };
    if batches > 1 && m * n * k < 1 << 20 {
        out.par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(batch, block)| run(batch, block, Parallelism::None));
    } else {
        for (batch, block) in out.chunks_mut(m * n).enumerate() {
            run(batch, block, parallelism(m * n * k));
        }
    }
}

/// im2col of an NHWC input for a `kernel`×`kernel` 'same' convolution: `[b·h·w, kernel²·c]`
/// with column index `(dy·kernel + dx)·c + channel`.
fn im2col(x: &[f32], x_shape: Shape, kernel: usize, columns: &mut Vec<f32>) {
    let [batch, height, width, channels] = x_shape.dims().try_into().expect("NHWC");
    let pad = kernel / 2;
    let row_len = kernel * kernel * channels;
    columns.clear();
    columns.resize(batch * height * width * row_len, 0.0);
    columns
        .par_chunks_mut(row_len)
        .enumerate()
        .for_each(|(pixel, row)| {
            let (b, y, xx) = (
                pixel / (height * width),
                (pixel / width) % height,
                pixel % width,
            );
            for dy in 0..kernel {
                let sy = y as isize + dy as isize - pad as isize;
                if sy < 0 || sy >= height as isize {
                    continue;
                }
                for dx in 0..kernel {
                    let sx = xx as isize + dx as isize - pad as isize;
                    if sx < 0 || sx >= width as isize {
                        continue;
                    }
                    let source = ((b * height + sy as usize) * width + sx as usize) * channels;
                    let target = (dy * kernel + dx) * channels;
                    row[target..target + channels].copy_from_slice(&x[source..source + channels]);
                }
            }
        });
}

/// NHWC 'same' convolution; `scratch` holds the im2col matrix between calls.
pub fn conv2d(
    x: &[f32],
    x_shape: Shape,
    weight: &[f32],
    weight_shape: Shape,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let kernel = weight_shape.dims()[0];
    let cout = weight_shape.dims()[3];
    let pixels = x_shape.num_elements() / x_shape.dims()[3];
    let depth = kernel * kernel * x_shape.dims()[3];
    im2col(x, x_shape, kernel, scratch);
    gemm_strided(
        (pixels, cout, depth),
        scratch,
        (depth, 1),
        weight,
        (cout, 1),
        out,
        false,
        parallelism(pixels * cout * depth),
    );
}

/// Gradient of a convolution with respect to its input: a convolution of the output
/// gradient with the spatially flipped, channel-swapped weight.
pub fn conv2d_grad_input(
    grad: &[f32],
    grad_shape: Shape,
    weight: &[f32],
    weight_shape: Shape,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let [kernel, _, cin, cout] = weight_shape.dims().try_into().expect("conv weight");
    let mut flipped = vec![0.0; weight.len()];
    for dy in 0..kernel {
        for dx in 0..kernel {
            for ci in 0..cin {
                for co in 0..cout {
                    let source = ((dy * kernel + dx) * cin + ci) * cout + co;
                    let target =
                        (((kernel - 1 - dy) * kernel + (kernel - 1 - dx)) * cout + co) * cin + ci;
                    flipped[target] = weight[source];
                }
            }
        }
    }
    conv2d(
        grad,
        grad_shape,
        &flipped,
        Shape::new(&[kernel, kernel, cout, cin]),
        out,
        scratch,
    );
}

/// Gradient of a convolution with respect to its weight: `im2col(x)ᵀ · grad`.
pub fn conv2d_grad_weight(
    x: &[f32],
    x_shape: Shape,
    grad: &[f32],
    grad_shape: Shape,
    kernel: usize,
    out: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    let cout = grad_shape.dims()[3];
    let pixels = x_shape.num_elements() / x_shape.dims()[3];
    let depth = kernel * kernel * x_shape.dims()[3];
    im2col(x, x_shape, kernel, scratch);
    gemm_strided(
        (depth, cout, pixels),
        scratch,
        (1, depth),
        grad,
        (cout, 1),
        out,
        false,
        parallelism(pixels * cout * depth),
    );
}

/// `[outer, extent, inner]` of `shape` split at `axis`.
fn around(shape: Shape, axis: usize) -> (usize, usize, usize) {
    let dims = shape.dims();
    (
        dims[..axis].iter().product(),
        dims[axis],
        dims[axis + 1..].iter().product(),
    )
}

pub fn gather(x: &[f32], x_shape: Shape, axis: usize, indices: &[u32], out: &mut [f32]) {
    let (_, extent, inner) = around(x_shape, axis);
    let out_block = indices.len() * inner;
    out.par_chunks_mut(out_block.max(1))
        .enumerate()
        .for_each(|(outer, block)| {
            for (position, &index) in indices.iter().enumerate() {
                let source = (outer * extent + index as usize) * inner;
                block[position * inner..(position + 1) * inner]
                    .copy_from_slice(&x[source..source + inner]);
            }
        });
}

pub fn scatter_add(
    x: &[f32],
    x_shape: Shape,
    axis: usize,
    indices: &[u32],
    out: &mut [f32],
    out_shape: Shape,
) {
    let (_, extent, inner) = around(x_shape, axis);
    let size = out_shape.dims()[axis];
    out.par_chunks_mut((size * inner).max(1))
        .enumerate()
        .for_each(|(outer, block)| {
            block.fill(0.0);
            for (position, &index) in indices.iter().enumerate() {
                let source = (outer * extent + position) * inner;
                let target = index as usize * inner;
                for (o, &v) in block[target..target + inner]
                    .iter_mut()
                    .zip(&x[source..source + inner])
                {
                    *o += v;
                }
            }
        });
}
