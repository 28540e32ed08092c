//! The pointwise and view ops of the graph IR, on every backend, against f64 references
//! written here as plain loops: every unary op, every binary op under NumPy broadcasting,
//! select, reshape, permute, expand, slice and concat. The other primitives are in
//! `graph_reductions.rs` (sum, max, gather, scatter-add) and `graph_linalg.rs` (matmul,
//! conv2d); softmax, norms and losses in `graph_composites.rs`.
//!
//! Shapes are small and mostly not multiples of tile sizes (1, 3, 5, 7, 17, 33, 65), with a
//! few moderately sized ones; data is seeded and never all zeros.

#[allow(dead_code)]
mod harness;

use harness::{
    Data, Tolerance, assert_close, broadcast_dims, broadcast_index, coordinates, element_count,
    flat_index, read, run,
};
use wgzero::graph::{Graph, Tensor};
use wgzero::testing::on_every_backend;

struct UnaryCase {
    name: &'static str,
    build: fn(&Graph, Tensor) -> Tensor,
    reference: fn(f64) -> f64,
    /// Inputs inside the op's domain.
    sample: fn(&mut Data, usize) -> Vec<f32>,
}

fn unary_cases() -> Vec<UnaryCase> {
    vec![
        UnaryCase {
            name: "neg",
            build: |g, x| g.neg(x),
            reference: |x| -x,
            sample: |d, n| d.uniform(n, -3.0, 3.0),
        },
        UnaryCase {
            name: "exp",
            build: |g, x| g.exp(x),
            reference: f64::exp,
            sample: |d, n| d.uniform(n, -4.0, 4.0),
        },
        UnaryCase {
            name: "log",
            build: |g, x| g.log(x),
            reference: f64::ln,
            sample: |d, n| d.uniform(n, 0.05, 6.0),
        },
        UnaryCase {
            name: "tanh",
            build: |g, x| g.tanh(x),
            reference: f64::tanh,
            sample: |d, n| d.uniform(n, -4.0, 4.0),
        },
        UnaryCase {
            name: "sigmoid",
            build: |g, x| g.sigmoid(x),
            reference: |x| 1.0 / (1.0 + (-x).exp()),
            sample: |d, n| d.uniform(n, -8.0, 8.0),
        },
        UnaryCase {
            name: "relu",
            build: |g, x| g.relu(x),
            reference: |x| x.max(0.0),
            sample: |d, n| d.signed(n, 0.001, 3.0),
        },
        UnaryCase {
            name: "sqrt",
            build: |g, x| g.sqrt(x),
            reference: f64::sqrt,
            sample: |d, n| d.uniform(n, 0.01, 9.0),
        },
        UnaryCase {
            name: "rsqrt",
            build: |g, x| g.rsqrt(x),
            reference: |x| 1.0 / x.sqrt(),
            sample: |d, n| d.uniform(n, 0.05, 9.0),
        },
        UnaryCase {
            name: "square",
            build: |g, x| g.square(x),
            reference: |x| x * x,
            sample: |d, n| d.uniform(n, -3.0, 3.0),
        },
        UnaryCase {
            name: "abs",
            build: |g, x| g.abs(x),
            reference: f64::abs,
            sample: |d, n| d.signed(n, 0.001, 3.0),
        },
        UnaryCase {
            name: "recip",
            build: |g, x| g.recip(x),
            reference: |x| 1.0 / x,
            sample: |d, n| d.signed(n, 0.2, 4.0),
        },
    ]
}

#[test]
fn unary_ops_match_f64() {
    on_every_backend(|compute| {
        for dims in [&[1][..], &[3, 5, 7], &[65, 33], &[65, 33, 17]] {
            let mut data = Data::new(11);
            let g = Graph::new();
            let cases = unary_cases();
            let mut inputs = Vec::new();
            for case in &cases {
                let x = g.input(case.name, dims);
                g.output(&format!("{}.out", case.name), (case.build)(&g, x));
                inputs.push((case.sample)(&mut data, element_count(dims)));
            }
            let feeds: Vec<(&str, &[f32])> = cases
                .iter()
                .zip(&inputs)
                .map(|(case, x)| (case.name, x.as_slice()))
                .collect();
            let program = run(&g, compute, &feeds);
            for (case, x) in cases.iter().zip(&inputs) {
                let want: Vec<f64> = x.iter().map(|&v| (case.reference)(f64::from(v))).collect();
                let got = read(&program, &format!("{}.out", case.name));
                assert_close(
                    &format!("{} on {dims:?}", case.name),
                    &got,
                    &want,
                    Tolerance::POINTWISE,
                );
            }
        }
    });
}

struct BinaryCase {
    name: &'static str,
    build: fn(&Graph, Tensor, Tensor) -> Tensor,
    reference: fn(f64, f64) -> f64,
    sample_a: fn(&mut Data, usize) -> Vec<f32>,
    sample_b: fn(&mut Data, usize) -> Vec<f32>,
}

fn truth(condition: bool) -> f64 {
    if condition { 1.0 } else { 0.0 }
}

fn any_value(data: &mut Data, n: usize) -> Vec<f32> {
    data.uniform(n, -2.0, 2.0)
}

/// Small whole numbers, so that comparisons (and max/min) meet ties.
fn tied_value(data: &mut Data, n: usize) -> Vec<f32> {
    data.integers(n, -2, 2)
}

fn binary_cases() -> Vec<BinaryCase> {
    vec![
        BinaryCase {
            name: "add",
            build: |g, a, b| g.add(a, b),
            reference: |a, b| a + b,
            sample_a: any_value,
            sample_b: any_value,
        },
        BinaryCase {
            name: "sub",
            build: |g, a, b| g.sub(a, b),
            reference: |a, b| a - b,
            sample_a: any_value,
            sample_b: any_value,
        },
        BinaryCase {
            name: "mul",
            build: |g, a, b| g.mul(a, b),
            reference: |a, b| a * b,
            sample_a: any_value,
            sample_b: any_value,
        },
        BinaryCase {
            name: "div",
            build: |g, a, b| g.div(a, b),
            reference: |a, b| a / b,
            sample_a: any_value,
            sample_b: |d, n| d.signed(n, 0.25, 2.0),
        },
        BinaryCase {
            name: "max",
            build: |g, a, b| g.maximum(a, b),
            reference: f64::max,
            sample_a: tied_value,
            sample_b: any_value,
        },
        BinaryCase {
            name: "min",
            build: |g, a, b| g.minimum(a, b),
            reference: f64::min,
            sample_a: any_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "pow",
            build: |g, a, b| g.pow(a, b),
            reference: f64::powf,
            sample_a: |d, n| d.uniform(n, 0.3, 3.0),
            sample_b: |d, n| d.uniform(n, -2.0, 2.0),
        },
        BinaryCase {
            name: "less",
            build: |g, a, b| g.less(a, b),
            reference: |a, b| truth(a < b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "less_equal",
            build: |g, a, b| g.less_equal(a, b),
            reference: |a, b| truth(a <= b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "greater",
            build: |g, a, b| g.greater(a, b),
            reference: |a, b| truth(a > b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "greater_equal",
            build: |g, a, b| g.greater_equal(a, b),
            reference: |a, b| truth(a >= b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "equal",
            build: |g, a, b| g.equal(a, b),
            reference: |a, b| truth(a == b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
        BinaryCase {
            name: "not_equal",
            build: |g, a, b| g.not_equal(a, b),
            reference: |a, b| truth(a != b),
            sample_a: tied_value,
            sample_b: tied_value,
        },
    ]
}

/// `reference(a, b)` over the NumPy broadcast of `a` and `b`.
fn broadcast_reference(
    (a, a_dims): (&[f32], &[usize]),
    (b, b_dims): (&[f32], &[usize]),
    reference: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    let out_dims = broadcast_dims(a_dims, b_dims);
    (0..element_count(&out_dims))
        .map(|flat| {
            let at = coordinates(flat, &out_dims);
            reference(
                f64::from(a[broadcast_index(&at, a_dims)]),
                f64::from(b[broadcast_index(&at, b_dims)]),
            )
        })
        .collect()
}

#[test]
fn binary_ops_broadcast_like_numpy_and_match_f64() {
    let shape_pairs: [(&[usize], &[usize]); 8] = [
        (&[3, 5, 7], &[3, 5, 7]),
        (&[3, 1, 7], &[5, 1]),
        (&[], &[4, 3]),
        (&[17, 1], &[1, 33]),
        (&[2, 3, 1, 5], &[3, 4, 1]),
        (&[65, 33], &[33]),
        // Above the CPU backend's threshold for splitting loops across threads.
        (&[65, 33, 17], &[65, 33, 17]),
        (&[65, 1, 17], &[33, 1]),
    ];
    on_every_backend(|compute| {
        for (a_dims, b_dims) in shape_pairs {
            let mut data = Data::new(12);
            let g = Graph::new();
            let cases = binary_cases();
            let mut values = Vec::new();
            let mut names = Vec::new();
            for case in &cases {
                let (a_name, b_name) = (format!("{}.a", case.name), format!("{}.b", case.name));
                let a = g.input(&a_name, a_dims);
                let b = g.input(&b_name, b_dims);
                let out = (case.build)(&g, a, b);
                assert_eq!(out.shape.dims(), broadcast_dims(a_dims, b_dims).as_slice());
                g.output(case.name, out);
                values.push((
                    (case.sample_a)(&mut data, element_count(a_dims)),
                    (case.sample_b)(&mut data, element_count(b_dims)),
                ));
                names.push((a_name, b_name));
            }
            let mut feeds: Vec<(&str, &[f32])> = Vec::new();
            for ((a_name, b_name), (a, b)) in names.iter().zip(&values) {
                feeds.push((a_name, a));
                feeds.push((b_name, b));
            }
            let program = run(&g, compute, &feeds);
            for (case, (a, b)) in cases.iter().zip(&values) {
                let want = broadcast_reference((a, a_dims), (b, b_dims), case.reference);
                assert_close(
                    &format!("{} on {a_dims:?} and {b_dims:?}", case.name),
                    &read(&program, case.name),
                    &want,
                    Tolerance::POINTWISE,
                );
            }
        }
    });
}

#[test]
fn select_broadcasts_all_three_operands_and_treats_nonzero_as_true() {
    let cases: [[&[usize]; 3]; 4] = [
        [&[5, 1], &[3, 1, 7], &[]],
        [&[4, 33], &[4, 33], &[4, 33]],
        [&[], &[2, 3], &[3]],
        [&[65, 1, 17], &[33, 17], &[65, 33, 1]],
    ];
    on_every_backend(|compute| {
        for [c_dims, t_dims, f_dims] in cases {
            let mut data = Data::new(13);
            let g = Graph::new();
            let condition = g.input("condition", c_dims);
            let if_true = g.input("if_true", t_dims);
            let if_false = g.input("if_false", f_dims);
            g.output("out", g.select(condition, if_true, if_false));
            // −1, −0.5, 0, 0.5, 1: nonzero negatives and fractions count as true.
            let c: Vec<f32> = data
                .integers(element_count(c_dims), -2, 2)
                .iter()
                .map(|v| v * 0.5)
                .collect();
            let t = data.uniform(element_count(t_dims), 1.0, 2.0);
            let f = data.uniform(element_count(f_dims), -2.0, -1.0);
            let program = run(
                &g,
                compute,
                &[("condition", &c), ("if_true", &t), ("if_false", &f)],
            );
            let out_dims = broadcast_dims(&broadcast_dims(c_dims, t_dims), f_dims);
            let want: Vec<f64> = (0..element_count(&out_dims))
                .map(|flat| {
                    let at = coordinates(flat, &out_dims);
                    if c[broadcast_index(&at, c_dims)] != 0.0 {
                        f64::from(t[broadcast_index(&at, t_dims)])
                    } else {
                        f64::from(f[broadcast_index(&at, f_dims)])
                    }
                })
                .collect();
            assert_close(
                &format!("select on {c_dims:?}, {t_dims:?}, {f_dims:?}"),
                &read(&program, "out"),
                &want,
                Tolerance::EXACT,
            );
        }
    });
}

/// Runs `view` on an input `x` of `dims` and on `−1.5·x` (a computed tensor, which a
/// fusing backend may fold into the view's kernel); checks both against `reference`, which
/// maps output coordinates (of `out_dims`) to the input's flat index.
fn check_view(
    what: &str,
    dims: &[usize],
    view: impl Fn(&Graph, Tensor) -> Tensor,
    out_dims: &[usize],
    reference: impl Fn(&[usize]) -> usize,
) {
    on_every_backend(|compute| {
        let x_values = Data::new(14).uniform(element_count(dims), -2.0, 2.0);
        let g = Graph::new();
        let x = g.input("x", dims);
        let plain = view(&g, x);
        let computed = view(&g, g.scale(x, -1.5));
        assert_eq!(plain.shape.dims(), out_dims, "{what}: output shape");
        g.output("plain", plain);
        g.output("computed", computed);
        let program = run(&g, compute, &[("x", &x_values)]);
        let want: Vec<f64> = (0..element_count(out_dims))
            .map(|flat| f64::from(x_values[reference(&coordinates(flat, out_dims))]))
            .collect();
        assert_close(what, &read(&program, "plain"), &want, Tolerance::EXACT);
        let scaled: Vec<f64> = want.iter().map(|v| v * -1.5).collect();
        assert_close(
            &format!("{what} of a computed tensor"),
            &read(&program, "computed"),
            &scaled,
            Tolerance::POINTWISE,
        );
    });
}

#[test]
fn reshape_keeps_row_major_order() {
    for (from, to) in [
        (&[3, 5, 7][..], &[7, 15][..]),
        (&[3, 5, 7], &[105]),
        (&[6, 4], &[2, 3, 1, 4]),
    ] {
        check_view(
            &format!("reshape {from:?} to {to:?}"),
            from,
            |g, x| g.reshape(x, to),
            to,
            |at| flat_index(at, to),
        );
    }
}

#[test]
fn permute_moves_axes() {
    let dims = [2, 3, 4, 5];
    for axes in [[3, 1, 0, 2], [0, 2, 1, 3], [1, 2, 3, 0]] {
        let out_dims: Vec<usize> = axes.iter().map(|&a| dims[a]).collect();
        check_view(
            &format!("permute {axes:?}"),
            &dims,
            |g, x| g.permute(x, &axes),
            &out_dims,
            |at| {
                let mut source = [0; 4];
                for (position, &axis) in axes.iter().enumerate() {
                    source[axis] = at[position];
                }
                flat_index(&source, &dims)
            },
        );
    }
    let large = [17, 33, 65];
    check_view(
        "permute [2, 0, 1] of [17, 33, 65]",
        &large,
        |g, x| g.permute(x, &[2, 0, 1]),
        &[65, 17, 33],
        |at| flat_index(&[at[1], at[2], at[0]], &large),
    );
    check_view(
        "transpose [3, 17, 5]",
        &[3, 17, 5],
        |g, x| g.transpose(x),
        &[3, 5, 17],
        |at| flat_index(&[at[0], at[2], at[1]], &[3, 17, 5]),
    );
}

#[test]
fn expand_stretches_size_one_and_missing_axes() {
    for (from, to) in [
        (&[3, 1, 5][..], &[2, 3, 4, 5][..]),
        (&[1], &[7, 3]),
        (&[5, 1], &[5, 33]),
        (&[1, 1], &[17, 3]),
        (&[1, 33, 65], &[17, 33, 65]),
    ] {
        check_view(
            &format!("expand {from:?} to {to:?}"),
            from,
            |g, x| g.expand(x, to),
            to,
            |at| broadcast_index(at, from),
        );
    }
}

#[test]
fn slice_takes_a_window_of_one_axis() {
    let dims = [5, 4, 7];
    for (axis, start, len) in [(0, 1, 2), (1, 0, 3), (2, 2, 1), (2, 3, 4), (0, 4, 1)] {
        let mut out_dims = dims.to_vec();
        out_dims[axis] = len;
        check_view(
            &format!("slice axis {axis} from {start} len {len}"),
            &dims,
            |g, x| g.slice(x, axis as isize, start, len),
            &out_dims,
            |at| {
                let mut source = at.to_vec();
                source[axis] += start;
                flat_index(&source, &dims)
            },
        );
    }
}

#[test]
fn concat_joins_parts_along_any_axis() {
    let cases: [(&[&[usize]], usize); 3] = [
        (&[&[2, 4, 3], &[1, 4, 3], &[3, 4, 3]], 0),
        (&[&[2, 1, 3], &[2, 4, 3], &[2, 2, 3]], 1),
        (&[&[2, 4, 1], &[2, 4, 5]], 2),
    ];
    on_every_backend(|compute| {
        for (part_dims, axis) in cases {
            let mut data = Data::new(15);
            let g = Graph::new();
            let mut parts = Vec::new();
            let mut values = Vec::new();
            for (i, dims) in part_dims.iter().enumerate() {
                parts.push(g.input(&format!("part{i}"), *dims));
                values.push(data.uniform(element_count(dims), -2.0, 2.0));
            }
            // The last part is computed, not fed, to cover fused producers.
            let last = parts.len() - 1;
            parts[last] = g.neg(parts[last]);
            let joined = g.concat(&parts, axis as isize);
            g.output("out", joined);
            let names: Vec<String> = (0..parts.len()).map(|i| format!("part{i}")).collect();
            let feeds: Vec<(&str, &[f32])> = names
                .iter()
                .zip(&values)
                .map(|(n, v)| (n.as_str(), v.as_slice()))
                .collect();
            let program = run(&g, compute, &feeds);
            let out_dims = joined.shape.dims().to_vec();
            let want: Vec<f64> = (0..element_count(&out_dims))
                .map(|flat| {
                    let mut at = coordinates(flat, &out_dims);
                    let mut part = 0;
                    while at[axis] >= part_dims[part][axis] {
                        at[axis] -= part_dims[part][axis];
                        part += 1;
                    }
                    let value = f64::from(values[part][flat_index(&at, part_dims[part])]);
                    if part == last { -value } else { value }
                })
                .collect();
            assert_close(
                &format!("concat {part_dims:?} on axis {axis}"),
                &read(&program, "out"),
                &want,
                Tolerance::EXACT,
            );
        }
    });
}
