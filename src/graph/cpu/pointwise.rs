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

/// Calls `$run` with `$op`'s function as a closure of a constant op, so that each op's
/// loops are compiled (and vectorised) on their own instead of matching per element.
macro_rules! with_unary {
    ($op:expr, $run:ident($($argument:expr),*)) => {
        match $op {
            UnaryOp::Neg => $run(|x| unary_value(UnaryOp::Neg, x), $($argument),*),
            UnaryOp::Exp => $run(|x| unary_value(UnaryOp::Exp, x), $($argument),*),
            UnaryOp::Log => $run(|x| unary_value(UnaryOp::Log, x), $($argument),*),
            UnaryOp::Tanh => $run(|x| unary_value(UnaryOp::Tanh, x), $($argument),*),
            UnaryOp::Sigmoid => $run(|x| unary_value(UnaryOp::Sigmoid, x), $($argument),*),
            UnaryOp::Relu => $run(|x| unary_value(UnaryOp::Relu, x), $($argument),*),
            UnaryOp::Sqrt => $run(|x| unary_value(UnaryOp::Sqrt, x), $($argument),*),
            UnaryOp::Rsqrt => $run(|x| unary_value(UnaryOp::Rsqrt, x), $($argument),*),
            UnaryOp::Square => $run(|x| unary_value(UnaryOp::Square, x), $($argument),*),
            UnaryOp::Abs => $run(|x| unary_value(UnaryOp::Abs, x), $($argument),*),
            UnaryOp::Recip => $run(|x| unary_value(UnaryOp::Recip, x), $($argument),*),
        }
    };
}

/// The same for binary ops.
macro_rules! with_binary {
    ($op:expr, $run:ident($($argument:expr),*)) => {
        match $op {
            BinaryOp::Add => $run(|x, y| binary_value(BinaryOp::Add, x, y), $($argument),*),
            BinaryOp::Sub => $run(|x, y| binary_value(BinaryOp::Sub, x, y), $($argument),*),
            BinaryOp::Mul => $run(|x, y| binary_value(BinaryOp::Mul, x, y), $($argument),*),
            BinaryOp::Div => $run(|x, y| binary_value(BinaryOp::Div, x, y), $($argument),*),
            BinaryOp::Max => $run(|x, y| binary_value(BinaryOp::Max, x, y), $($argument),*),
            BinaryOp::Min => $run(|x, y| binary_value(BinaryOp::Min, x, y), $($argument),*),
            BinaryOp::Pow => $run(|x, y| binary_value(BinaryOp::Pow, x, y), $($argument),*),
            BinaryOp::Less => $run(|x, y| binary_value(BinaryOp::Less, x, y), $($argument),*),
            BinaryOp::LessEqual => {
                $run(|x, y| binary_value(BinaryOp::LessEqual, x, y), $($argument),*)
            }
            BinaryOp::Greater => {
                $run(|x, y| binary_value(BinaryOp::Greater, x, y), $($argument),*)
            }
            BinaryOp::GreaterEqual => {
                $run(|x, y| binary_value(BinaryOp::GreaterEqual, x, y), $($argument),*)
            }
            BinaryOp::Equal => $run(|x, y| binary_value(BinaryOp::Equal, x, y), $($argument),*),
            BinaryOp::NotEqual => {
                $run(|x, y| binary_value(BinaryOp::NotEqual, x, y), $($argument),*)
            }
        }
    };
}

pub fn unary(op: UnaryOp, x: &[f32], out: &mut [f32]) {
    with_unary!(op, unary_with(x, out));
}

fn unary_with(function: impl Fn(f32) -> f32 + Sync, x: &[f32], out: &mut [f32]) {
    let apply = |(o, &v): (&mut f32, &f32)| *o = function(v);
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
    a: (&[f32], Shape),
    b: (&[f32], Shape),
    out: &mut [f32],
    out_shape: Shape,
) {
    with_binary!(op, binary_with(a, b, out, out_shape));
}

fn binary_with(
    function: impl Fn(f32, f32) -> f32 + Sync,
    (a, a_shape): (&[f32], Shape),
    (b, b_shape): (&[f32], Shape),
    out: &mut [f32],
    out_shape: Shape,
) {
    if a_shape == out_shape && b_shape == out_shape {
        let apply = |((o, &x), &y): ((&mut f32, &f32), &f32)| *o = function(x, y);
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
            .for_each(|(o, &x)| *o = function(x, y));
        return;
    }
    let a_strides = a_shape.broadcast_strides(out_shape);
    let b_strides = b_shape.broadcast_strides(out_shape);
    let strides = [a_strides.as_slice(), b_strides.as_slice()];
    let Some(split) = rows(out_shape, strides) else {
        for_each_output(out, out_shape, strides, |[i, j]| function(a[i], b[j]));
        return;
    };
    // Row by row over slices: a bias, a row statistic or a scalar repeats along the row.
    for_each_row(out, out_shape, strides, &split, |row, [i, j]| {
        let n = row.len();
        match split.reads {
            [RowRead::Contiguous, RowRead::Contiguous] => {
                for ((o, &x), &y) in row.iter_mut().zip(&a[i..i + n]).zip(&b[j..j + n]) {
                    *o = function(x, y);
                }
            }
            [RowRead::Contiguous, RowRead::Repeated] => {
                let y = b[j];
                for (o, &x) in row.iter_mut().zip(&a[i..i + n]) {
                    *o = function(x, y);
                }
            }
            [RowRead::Repeated, RowRead::Contiguous] => {
                let x = a[i];
                for (o, &y) in row.iter_mut().zip(&b[j..j + n]) {
                    *o = function(x, y);
                }
            }
            [RowRead::Repeated, RowRead::Repeated] => row.fill(function(a[i], b[j])),
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
    use RowRead::{Contiguous, Repeated};
    for_each_row(out, out_shape, strides, &split, |row, [i, j, k]| {
        let n = row.len();
        let pick = |c: f32, t: f32, f: f32| if c != 0.0 { t } else { f };
        // The common cases over plain slices (a masked value, a ReLU gradient); the rest
        // through indices.
        match split.reads {
            [Contiguous, Contiguous, Contiguous] => {
                let (c, t, f) = (
                    &condition[i..i + n],
                    &if_true[j..j + n],
                    &if_false[k..k + n],
                );
                for (index, o) in row.iter_mut().enumerate() {
                    *o = pick(c[index], t[index], f[index]);
                }
            }
            [Contiguous, Contiguous, Repeated] => {
                let (c, t, f) = (&condition[i..i + n], &if_true[j..j + n], if_false[k]);
                for (index, o) in row.iter_mut().enumerate() {
                    *o = pick(c[index], t[index], f);
                }
            }
            [Contiguous, Repeated, Contiguous] => {
                let (c, t, f) = (&condition[i..i + n], if_true[j], &if_false[k..k + n]);
                for (index, o) in row.iter_mut().enumerate() {
                    *o = pick(c[index], t, f[index]);
                }
            }
            _ => {
                for (index, o) in row.iter_mut().enumerate() {
                    *o = choose(i + index * sc, j + index * st, k + index * sf);
                }
            }
        }
    });
}
