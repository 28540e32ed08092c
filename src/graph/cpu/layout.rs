//! View ops on the CPU (permute, expand, slice, concat): pure re-indexing copies.

use super::strided::{RowRead, StridedWalk, for_each_output, for_each_row, rows};
use crate::graph::shape::Shape;

/// Output axis `i` is input axis `axes[i]`.
pub fn permute(x: &[f32], x_shape: Shape, axes: &[usize], out: &mut [f32], out_shape: Shape) {
    let in_strides = x_shape.strides();
    let strides: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    for_each_output(out, out_shape, [&strides], |[i]| x[i]);
}

pub fn expand(x: &[f32], x_shape: Shape, out: &mut [f32], out_shape: Shape) {
    let strides = x_shape.broadcast_strides(out_shape);
    match rows(out_shape, [&strides]) {
        Some(split) => for_each_row(out, out_shape, [&strides], &split, |row, [i]| {
            match split.reads[0] {
                RowRead::Contiguous => row.copy_from_slice(&x[i..i + row.len()]),
                RowRead::Repeated => row.fill(x[i]),
            }
        }),
        None => for_each_output(out, out_shape, [&strides], |[i]| x[i]),
    }
}

pub fn slice(
    x: &[f32],
    x_shape: Shape,
    axis: usize,
    start: usize,
    out: &mut [f32],
    out_shape: Shape,
) {
    let strides = x_shape.strides();
    let base = start * strides[axis];
    for_each_output(out, out_shape, [&strides], |[i]| x[base + i]);
}

/// Writes `parts` one after another along `axis` of `out`.
pub fn concat(parts: &[(&[f32], Shape)], axis: usize, out: &mut [f32], out_shape: Shape) {
    let out_strides = out_shape.strides();
    let mut base = 0;
    for &(part, part_shape) in parts {
        let mut walk = StridedWalk::new(part_shape, &out_strides, 0);
        for &value in part {
            out[base + walk.offset] = value;
            walk.advance();
        }
        base += part_shape.dims()[axis] * out_strides[axis];
    }
}
