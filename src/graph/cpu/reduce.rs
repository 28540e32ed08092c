//! Reductions on the CPU over a contiguous run of axes, viewed as `[outer, reduced, inner]`,
//! and the row-wise soft cross-entropy with its gradient.

use rayon::prelude::*;

use crate::graph::composite::MASKED_LOGIT;
use crate::graph::ir::ReduceOp;
use crate::graph::shape::Shape;

/// The `[outer, reduced, inner]` extents of reducing `shape` over axes `start..end`.
pub fn split(shape: Shape, start: usize, end: usize) -> (usize, usize, usize) {
    let dims = shape.dims();
    (
        dims[..start].iter().product(),
        dims[start..end].iter().product(),
        dims[end..].iter().product(),
    )
}

pub fn reduce(op: ReduceOp, x: &[f32], x_shape: Shape, start: usize, end: usize, out: &mut [f32]) {
    let (_, reduced, inner) = split(x_shape, start, end);
    let identity = match op {
        ReduceOp::Sum => 0.0,
        ReduceOp::Max => f32::NEG_INFINITY,
    };
    let combine = |a: f32, b: f32| match op {
        ReduceOp::Sum => a + b,
        ReduceOp::Max => a.max(b),
    };
    let block = reduced * inner;
    let run = |(outer_index, out_block): (usize, &mut [f32])| {
        let source = &x[outer_index * block..(outer_index + 1) * block];
        out_block.fill(identity);
        for row in source.chunks_exact(inner) {
            for (o, &v) in out_block.iter_mut().zip(row) {
                *o = combine(*o, v);
            }
        }
    };
    if x.len() >= super::strided::PARALLEL_THRESHOLD && out.len() / inner > 1 {
        out.par_chunks_mut(inner).enumerate().for_each(run);
    } else {
        out.chunks_mut(inner).enumerate().for_each(run);
    }
}

/// The masked logit of entry `j`: [`MASKED_LOGIT`] where `mask` is zero.
fn masked_logit(logits: &[f32], mask: &[f32], j: usize) -> f64 {
    f64::from(if mask[j] != 0.0 {
        logits[j]
    } else {
        MASKED_LOGIT
    })
}

/// A row's maximum masked logit `m` and `Σ exp(x − m)`, in f64.
fn row_softmax_terms(logits: &[f32], mask: &[f32]) -> (f64, f64) {
    let max = (0..logits.len())
        .map(|j| masked_logit(logits, mask, j))
        .fold(f64::NEG_INFINITY, f64::max);
    let total = (0..logits.len())
        .map(|j| (masked_logit(logits, mask, j) - max).exp())
        .sum();
    (max, total)
}

/// [`Op::SoftCrossEntropy`](crate::graph::ir::Op): one loss per row of `length` entries.
pub fn soft_cross_entropy(
    logits: &[f32],
    target: &[f32],
    mask: &[f32],
    length: usize,
    out: &mut [f32],
) {
    let run = |(row, loss): (usize, &mut f32)| {
        let span = row * length..(row + 1) * length;
        let (x, t, m) = (&logits[span.clone()], &target[span.clone()], &mask[span]);
        let (max, total) = row_softmax_terms(x, m);
        let log_total = total.ln();
        *loss = (0..length)
            .map(|j| -f64::from(t[j]) * (masked_logit(x, m, j) - max - log_total))
            .sum::<f64>() as f32;
    };
    if logits.len() >= super::strided::PARALLEL_THRESHOLD {
        out.par_iter_mut().enumerate().for_each(run);
    } else {
        out.iter_mut().enumerate().for_each(run);
    }
}

/// [`Op::SoftCrossEntropyGrad`](crate::graph::ir::Op): `softmax · Σ target − target` where
/// the mask is nonzero, 0 elsewhere, row by row.
pub fn soft_cross_entropy_grad(
    logits: &[f32],
    target: &[f32],
    mask: &[f32],
    length: usize,
    out: &mut [f32],
) {
    let run = |(row, grad): (usize, &mut [f32])| {
        let span = row * length..(row + 1) * length;
        let (x, t, m) = (&logits[span.clone()], &target[span.clone()], &mask[span]);
        let (max, total) = row_softmax_terms(x, m);
        let target_total: f64 = t.iter().map(|&v| f64::from(v)).sum();
        for (j, g) in grad.iter_mut().enumerate() {
            *g = if m[j] != 0.0 {
                let probability = (masked_logit(x, m, j) - max).exp() / total;
                (probability * target_total - f64::from(t[j])) as f32
            } else {
                0.0
            };
        }
    };
    if logits.len() >= super::strided::PARALLEL_THRESHOLD {
        out.par_chunks_mut(length).enumerate().for_each(run);
    } else {
        out.chunks_mut(length).enumerate().for_each(run);
    }
}
