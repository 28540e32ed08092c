//! Reductions on the CPU over a contiguous run of axes, viewed as `[outer, reduced, inner]`.

use rayon::prelude::*;

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
