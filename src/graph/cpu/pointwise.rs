//! Pointwise ops on the CPU, with broadcasting.

use rayon::prelude::*;

use super::strided::{CHUNK, PARALLEL_THRESHOLD, RowRead, for_each_output, for_each_row, rows};
use crate::graph::ir::{BinaryOp, UnaryOp};
use crate::graph::shape::Shape;

pub fn unary_value(op: UnaryOp, x: f32) -> f32 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Relu => x.max(0.0),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Square => x * x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Recip => 1.0 / x,
    }
}

pub fn binary_value(op: BinaryOp, a: f32, b: f32) -> f32 {
    let truth = |condition: bool| if condition { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Less => truth(a < b),
        BinaryOp::LessEqual => truth(a <= b),
        BinaryOp::Greater => truth(a > b),
        BinaryOp::GreaterEqual => truth(a >= b),
        BinaryOp::Equal => truth(a == b),
        BinaryOp::NotEqual => truth(a != b),
    }
}

pub fn unary(op: UnaryOp, x: &[f32], out: &mut [f32]) {
    let apply = |(o, &v): (&mut f32, &f32)| *o = unary_value(op, v);
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_iter_mut()
            .with_min_len(CHUNK)
            .zip(x.par_iter())
            .for_each(apply);
    } else {
        out.iter_mut().zip(x).for_each(apply);
    }
}

/// `out = op(a, b)` with `a` and `b` broadcast to `out_shape`.
pub fn binary(
    op: BinaryOp,
    (a, a_shape): (&[f32], Shape),
    (b, b_shape): (&[f32], Shape),
    out: &mut [f32],
    out_shape: Shape,
) {
    if a_shape == out_shape && b_shape == out_shape {
        let apply = |((o, &x), &y): ((&mut f32, &f32), &f32)| *o = binary_value(op, x, y);
        if out.len() >= PARALLEL_THRESHOLD {
            out.par_iter_mut()
                .with_min_len(CHUNK)
                .zip(a.par_iter())
                .zip(b.par_iter())
                .for_each(apply);
        } else {
            out.iter_mut().zip(a).zip(b).for_each(apply);
        }
        return;
    }
    if b.len() == 1 && a_shape == out_shape {
        let y = b[0];
        out.iter_mut()
            .zip(a)
            .for_each(|(o, &x)| *o = binary_value(op, x, y));
        return;
    }
    let a_strides = a_shape.broadcast_strides(out_shape);
    let b_strides = b_shape.broadcast_strides(out_shape);
    let strides = [a_strides.as_slice(), b_strides.as_slice()];
    let Some(split) = rows(out_shape, strides) else {
        for_each_output(out, out_shape, strides, |[i, j]| {
            binary_value(op, a[i], b[j])
        });
        return;
    };
    // Row by row over slices: a bias, a row statistic or a scalar repeats along the row.
    for_each_row(out, out_shape, strides, &split, |row, [i, j]| {
        let n = row.len();
        match split.reads {
            [RowRead::Contiguous, RowRead::Contiguous] => {
                for ((o, &x), &y) in row.iter_mut().zip(&a[i..i + n]).zip(&b[j..j + n]) {
                    *o = binary_value(op, x, y);
                }
            }
            [RowRead::Contiguous, RowRead::Repeated] => {
                let y = b[j];
                for (o, &x) in row.iter_mut().zip(&a[i..i + n]) {
                    *o = binary_value(op, x, y);
                }
            }
            [RowRead::Repeated, RowRead::Contiguous] => {
                let x = a[i];
                for (o, &y) in row.iter_mut().zip(&b[j..j + n]) {
                    *o = binary_value(op, x, y);
                }
            }
            [RowRead::Repeated, RowRead::Repeated] => row.fill(binary_value(op, a[i], b[j])),
        }
    });
}

/// `out = condition != 0 ? if_true : if_false`, all broadcast to `out_shape`.
pub fn select(
    (condition, c_shape): (&[f32], Shape),
    (if_true, t_shape): (&[f32], Shape),
    (if_false, f_shape): (&[f32], Shape),
    out: &mut [f32],
    out_shape: Shape,
) {
    let c = c_shape.broadcast_strides(out_shape);
    let t = t_shape.broadcast_strides(out_shape);
    let f = f_shape.broadcast_strides(out_shape);
    let strides = [c.as_slice(), t.as_slice(), f.as_slice()];
    let choose = |i: usize, j: usize, k: usize| {
        if condition[i] != 0.0 {
            if_true[j]
        } else {
            if_false[k]
        }
    };
    let Some(split) = rows(out_shape, strides) else {
        for_each_output(out, out_shape, strides, |[i, j, k]| choose(i, j, k));
        return;
    };
    let [sc, st, sf] = split.reads.map(RowRead::step);
    for_each_row(out, out_shape, strides, &split, |row, [i, j, k]| {
        for (index, o) in row.iter_mut().enumerate() {
            *o = choose(i + index * sc, j + index * st, k + index * sf);
        }
    });
}
