//! Finite-difference checks of reverse-mode autodiff for every differentiable op, on every
//! backend, with the op in the middle of a graph:
//!
//! `x → tanh(0.7·x + 0.1) + offset → OP → tanh(0.5·y) → Σ w·(…) → loss`
//!
//! with fixed random weights `w` (|w| ≥ 0.3), for every differentiable input of the op.
//! The analytic gradient comes from `autodiff::gradients` at `x`; the numeric one from
//! central differences of `x` in f32 (step [`STEP`]), with the epilogue `Σ w·tanh(0.5·y)`
//! summed in f64 from the op's output `y`, so that rounding of the loss does not swamp
//! the difference.
//!
//! Tolerance: `|numeric − analytic| ≤ ABSOLUTE + RELATIVE·|numeric|`. The worst honest
//! error on these tests is 0.024 of that bound (layer_norm, on the CPU); every operand's
//! gradients reach at least `20·ABSOLUTE`, so a rule that is wrong anywhere in its
//! formula fails by one or two orders of magnitude (measured examples on [`RELATIVE`]).

#[allow(dead_code)]
mod harness;

use harness::{Data, compile, read};
use wgzero::graph::autodiff::gradients;
use wgzero::graph::{Graph, GraphError, Tensor};
use wgzero::testing::on_every_backend;

/// Central-difference step, applied to the raw input `x` (the prologue's slope is ≤ 0.7).
const STEP: f32 = 1e-2;
/// Absolute part of the tolerance: f32 rounding of `y` over `2·STEP`, plus O(STEP²)
/// truncation.
const ABSOLUTE: f64 = 5e-4;
/// Relative part. Purpose-broken rules (each applied to the source, measured, reverted)
/// fail by far more than the bound: Square's rule without its factor 2 by 87×, Rsqrt's
/// with −1 for −½ by 79× (and layer_norm by 651×), Div's `b` rule without its minus sign
/// by 286×, Pow's `b` rule with `a` for `ln a` by 470×, reduce-max passing the gradient
/// to every element by 467×, conv's input gradient without the spatial flip by 330×,
/// Tanh's with `1 − y` for `1 − y²` by 62× (on `neg`, through the prologue).
const RELATIVE: f64 = 5e-3;
/// At most this many elements of each operand are perturbed (chosen at random).
const PROBES: usize = 24;
/// Of those, this many are where autodiff's gradient is largest; the rest are random, so a
/// rule that misplaces a sparse gradient still shows (as a zero where differences are not,
/// or in the too-small check below).
const LARGEST_PROBES: usize = 8;

/// One differentiable input of the op under test: a graph input `x` of `dims` with raw
/// values `values`, seen by the op as `tanh(0.7·x + 0.1) + offset`.
struct Operand {
    name: &'static str,
    dims: Vec<usize>,
    /// 1.5 keeps the op's input in (0.5, 2.5) for ops that need positive arguments.
    offset: f32,
    values: Vec<f32>,
}

impl Operand {
    /// The op sees values in about (−0.74, 0.82).
    fn new(name: &'static str, dims: &[usize], data: &mut Data) -> Self {
        let values = data.uniform(dims.iter().product(), -1.5, 1.5);
        Self::with_values(name, dims, values)
    }

    /// The op sees values in about (0.76, 2.32).
    fn positive(name: &'static str, dims: &[usize], data: &mut Data) -> Self {
        Self {
            offset: 1.5,
            ..Self::new(name, dims, data)
        }
    }

    /// The op sees values at least 0.14 away from 0: kinks (relu, abs) stay out of reach
    /// of the perturbation, which moves the op's input by ≤ 0.007.
    fn away_from_zero(name: &'static str, dims: &[usize], data: &mut Data) -> Self {
        let values = data
            .signed(dims.iter().product(), 0.15, 1.4)
            .iter()
            .map(|v| (v - 0.1) / 0.7)
            .collect();
        Self::with_values(name, dims, values)
    }

    fn with_values(name: &'static str, dims: &[usize], values: Vec<f32>) -> Self {
        assert_eq!(values.len(), dims.iter().product::<usize>());
        Self {
            name,
            dims: dims.to_vec(),
            offset: 0.0,
            values,
        }
    }
}

/// Raw values on the grid `−1.5 + 0.1·i` (i < 31), distinct within each group of
/// elements that share the coordinates outside `axes`, so that a max over `axes` has one
/// clear winner (the op's inputs differ by ≥ 0.023; a perturbation moves one by ≤ 0.007).
fn distinct_along(dims: &[usize], axes: &[usize], data: &mut Data) -> Vec<f32> {
    let count: usize = dims.iter().product();
    let mut values = vec![0.0; count];
    // Ordered, so that the values are the same in every run.
    let mut groups: std::collections::BTreeMap<Vec<usize>, Vec<usize>> = Default::default();
    for flat in 0..count {
        let mut key = harness::coordinates(flat, dims);
        for &axis in axes {
            key[axis] = 0;
        }
        groups.entry(key).or_default().push(flat);
    }
    for members in groups.values() {
        let picks = data.distinct(members.len(), 31);
        for (&flat, &pick) in members.iter().zip(&picks) {
            values[flat] = -1.5 + 0.1 * pick as f32;
        }
    }
    values
}

/// Appends the prologue (one graph input per operand, squashed and offset) and the op;
/// returns the inputs and the op's output `y`.
fn forward(
    g: &Graph,
    operands: &[Operand],
    op: &impl Fn(&Graph, &[Tensor]) -> Tensor,
) -> (Vec<Tensor>, Tensor) {
    let inputs: Vec<Tensor> = operands
        .iter()
        .map(|o| g.input(o.name, o.dims.as_slice()))
        .collect();
    let seen: Vec<Tensor> = operands
        .iter()
        .zip(&inputs)
        .map(|(o, &x)| {
            let squashed = g.tanh(g.shift(g.scale(x, 0.7), 0.1));
            if o.offset == 0.0 {
                squashed
            } else {
                g.shift(squashed, o.offset)
            }
        })
        .collect();
    let y = op(g, &seen);
    g.output("y", y);
    (inputs, y)
}

/// Checks `d loss / d x` of every operand against central differences on every backend.
/// The gradients come from one program (forward, epilogue, backward); the differences
/// from a second, forward-only one, which is all the perturbed runs need.
fn gradcheck(what: &str, operands: &[Operand], op: impl Fn(&Graph, &[Tensor]) -> Tensor) {
    on_every_backend(|compute| {
        let g = Graph::new();
        let (inputs, y) = forward(&g, operands, &op);
        let weights = Data::new(7).signed(y.shape.num_elements(), 0.3, 1.0);
        let loss = g.sum_all(g.mul(g.constant(&weights, y.shape), g.tanh(g.scale(y, 0.5))));
        let grads = gradients(&g, loss, &inputs).expect("differentiable");
        g.output("loss", loss);
        for (o, &grad) in operands.iter().zip(&grads) {
            g.output(&format!("grad.{}", o.name), grad);
        }
        let epilogue = |y: &[f32]| -> f64 {
            y.iter()
                .zip(&weights)
                .map(|(&v, &w)| f64::from(w) * (0.5 * f64::from(v)).tanh())
                .sum()
        };

        let mut with_gradients = compile(&g, compute);
        for o in operands {
            with_gradients.write(o.name, &o.values).unwrap();
        }
        with_gradients.run().unwrap();
        let graph_loss = f64::from(read(&with_gradients, "loss")[0]);
        let host_loss = epilogue(&read(&with_gradients, "y"));
        assert!(
            (graph_loss - host_loss).abs() <= 1e-4 * (1.0 + host_loss.abs()),
            "{what}: the graph's loss {graph_loss} differs from the host's {host_loss}"
        );
        let analytic: Vec<Vec<f32>> = operands
            .iter()
            .map(|o| read(&with_gradients, &format!("grad.{}", o.name)))
            .collect();

        let forward_only = Graph::new();
        forward(&forward_only, operands, &op);
        let mut program = compile(&forward_only, compute);
        for o in operands {
            program.write(o.name, &o.values).unwrap();
        }

        let mut probes = Data::new(8);
        // (error / tolerance, description) of the worst element over all operands.
        let mut worst = (0.0_f64, String::new());
        for (o, analytic) in operands.iter().zip(&analytic) {
            let count = o.values.len();
            let picks: Vec<usize> = if count <= PROBES {
                (0..count).collect()
            } else {
                // The elements autodiff gives the largest gradients (where a sparse
                // gradient such as reduce-max's lives), then random ones.
                let mut by_size: Vec<usize> = (0..count).collect();
                by_size.sort_by(|&a, &b| analytic[b].abs().total_cmp(&analytic[a].abs()));
                let mut picks: Vec<usize> = by_size[..LARGEST_PROBES].to_vec();
                for index in probes.distinct(count, count) {
                    if picks.len() == PROBES {
                        break;
                    }
                    if !picks.contains(&index) {
                        picks.push(index);
                    }
                }
                picks
            };
            let mut largest: f64 = 0.0;
            for index in picks {
                let mut values = o.values.clone();
                let mut loss_at = |value: f32| {
                    values[index] = value;
                    program.write(o.name, &values).unwrap();
                    program.run().unwrap();
                    epilogue(&read(&program, "y"))
                };
                let (up, down) = (o.values[index] + STEP, o.values[index] - STEP);
                let numeric = (loss_at(up) - loss_at(down)) / (f64::from(up) - f64::from(down));
                let got = f64::from(analytic[index]);
                let ratio = (numeric - got).abs() / (ABSOLUTE + RELATIVE * numeric.abs());
                if ratio.is_nan() || ratio > worst.0 {
                    worst = (
                        ratio,
                        format!(
                            "d loss / d {}[{index}] is {got} by autodiff but {numeric} by \
                             central differences",
                            o.name
                        ),
                    );
                }
                largest = largest.max(numeric.abs());
            }
            program.write(o.name, &o.values).unwrap();
            // A check of gradients that are all ≈ 0 could not catch a wrong rule.
            assert!(
                largest > 20.0 * ABSOLUTE,
                "{what}: the gradients of {} are too small ({largest}) to test anything",
                o.name
            );
        }
        eprintln!("{what}: worst error {:.3} of the tolerance", worst.0);
        assert!(
            worst.0 <= 1.0,
            "{what} on {}: {} ({:.1}× the tolerance)",
            compute.name(),
            worst.1,
            worst.0
        );
    });
}

#[test]
fn unary_op_gradients() {
    type Build = fn(&Graph, Tensor) -> Tensor;
    /// Draws the operand inside the op's domain.
    type Draw = fn(&'static str, &[usize], &mut Data) -> Operand;
    let dims = [3, 5];
    let cases: [(&str, Build, Draw); 11] = [
        ("neg", |g, x| g.neg(x), Operand::new),
        ("exp", |g, x| g.exp(x), Operand::new),
        ("log", |g, x| g.log(x), Operand::positive),
        ("tanh", |g, x| g.tanh(x), Operand::new),
        ("sigmoid", |g, x| g.sigmoid(x), Operand::new),
        ("relu", |g, x| g.relu(x), Operand::away_from_zero),
        ("sqrt", |g, x| g.sqrt(x), Operand::positive),
        ("rsqrt", |g, x| g.rsqrt(x), Operand::positive),
        ("square", |g, x| g.square(x), Operand::new),
        ("abs", |g, x| g.abs(x), Operand::away_from_zero),
        ("recip", |g, x| g.recip(x), Operand::positive),
    ];
    for (name, build, operand) in cases {
        let x = operand("x", &dims, &mut Data::new(41));
        // Scaled by 2 so that the op's argument spans its interesting range.
        gradcheck(name, &[x], |g, t| build(g, g.scale(t[0], 2.0)));
    }
}

/// Raw values within 0.02 of `centres`: two operands drawn from interleaved centres 0.3
/// apart give op inputs at least 0.08 apart, far beyond a perturbation's 0.007.
fn near(centres: &[f32], count: usize, data: &mut Data) -> Vec<f32> {
    let jitter = data.uniform(count, -0.02, 0.02);
    data.indices(count, centres.len())
        .iter()
        .zip(jitter)
        .map(|(&i, j)| centres[i as usize] + j)
        .collect()
}

#[test]
fn binary_op_gradients_reach_both_broadcast_operands() {
    type Build = fn(&Graph, Tensor, Tensor) -> Tensor;
    let (a_dims, b_dims) = ([3, 1, 5], [4, 1]);
    let cases: [(&str, Build); 7] = [
        ("add", |g, a, b| g.add(a, b)),
        ("sub", |g, a, b| g.sub(a, b)),
        ("mul", |g, a, b| g.mul(a, b)),
        ("div", |g, a, b| g.div(a, b)),
        ("max", |g, a, b| g.maximum(a, b)),
        ("min", |g, a, b| g.minimum(a, b)),
        ("pow", |g, a, b| g.pow(a, b)),
    ];
    for (name, build) in cases {
        let mut data = Data::new(42);
        let (a, b) = match name {
            "div" => (
                Operand::new("a", &a_dims, &mut data),
                Operand::positive("b", &b_dims, &mut data),
            ),
            "pow" => (
                Operand::positive("a", &a_dims, &mut data),
                Operand::new("b", &b_dims, &mut data),
            ),
            // Interleaved centres keep max/min away from ties.
            "max" | "min" => (
                Operand::with_values(
                    "a",
                    &a_dims,
                    near(&[-1.2, -0.6, 0.0, 0.6, 1.2], 15, &mut data),
                ),
                Operand::with_values("b", &b_dims, near(&[-0.9, -0.3, 0.3, 0.9], 4, &mut data)),
            ),
            _ => (
                Operand::new("a", &a_dims, &mut data),
                Operand::new("b", &b_dims, &mut data),
            ),
        };
        gradcheck(name, &[a, b], |g, t| build(g, t[0], t[1]));
    }
    let mut data = Data::new(43);
    let (a, scalar) = (
        Operand::new("a", &[4, 3], &mut data),
        Operand::new("scalar", &[], &mut data),
    );
    gradcheck("mul by a rank-0 operand", &[a, scalar], |g, t| {
        g.mul(t[0], g.shift(t[1], 0.5))
    });
}

#[test]
fn comparisons_pass_no_gradient() {
    // a·[a > b] + b·[a < b] is max(a, b) away from ties: the gradient reaches a and b
    // only through the multiplications, never through the comparisons.
    let mut data = Data::new(44);
    let a = Operand::with_values(
        "a",
        &[3, 4],
        near(&[-1.2, -0.6, 0.0, 0.6, 1.2], 12, &mut data),
    );
    let b = Operand::with_values("b", &[4], near(&[-0.9, -0.3, 0.3, 0.9], 4, &mut data));
    gradcheck("comparisons", &[a, b], |g, t| {
        let (a, b) = (t[0], t[1]);
        g.add(g.mul(a, g.greater(a, b)), g.mul(b, g.less(a, b)))
    });
}

#[test]
fn select_gradients_reach_both_branches() {
    let mut data = Data::new(45);
    let condition = data.integers(3 * 4, 0, 1);
    let a = Operand::new("if_true", &[3, 1, 5], &mut data);
    let b = Operand::new("if_false", &[4, 1], &mut data);
    gradcheck("select with a broadcast condition", &[a, b], |g, t| {
        let c = g.constant(&condition, [3, 4, 1]);
        g.select(c, t[0], t[1])
    });
    // The condition computed from the operand itself: a relu-like kink kept out of reach.
    let a = Operand::away_from_zero("a", &[4, 5], &mut data);
    gradcheck("select on a computed condition", &[a], |g, t| {
        let a = t[0];
        g.select(g.greater(a, g.scalar(0.0)), g.exp(a), g.square(a))
    });
}

#[test]
fn view_gradients() {
    let mut data = Data::new(46);
    let x = || Operand::new("x", &[3, 4, 2], &mut Data::new(146));
    gradcheck("reshape", &[x()], |g, t| g.reshape(t[0], [4, 6]));
    gradcheck("permute", &[x()], |g, t| g.permute(t[0], &[2, 0, 1]));
    gradcheck("transpose", &[x()], |g, t| g.transpose(t[0]));
    gradcheck("slice", &[x()], |g, t| g.slice(t[0], 1, 1, 2));
    gradcheck("slice of the first axis", &[x()], |g, t| {
        g.slice(t[0], 0, 2, 1)
    });
    let column = Operand::new("column", &[3, 1], &mut data);
    gradcheck("expand", &[column], |g, t| g.expand(t[0], [2, 3, 4]));
    let parts = [
        Operand::new("a", &[2, 3], &mut data),
        Operand::new("b", &[2, 1], &mut data),
        Operand::new("c", &[2, 4], &mut data),
    ];
    gradcheck("concat, one part used twice", &parts, |g, t| {
        g.concat(&[t[0], t[1], t[2], t[0]], 1)
    });
}

#[test]
fn reduction_gradients() {
    let mut data = Data::new(47);
    let dims = [3, 4, 5];
    let x = |data: &mut Data| Operand::new("x", &dims, data);
    gradcheck("sum over one axis", &[x(&mut data)], |g, t| {
        g.sum(t[0], &[1], true)
    });
    gradcheck("sum over scattered axes", &[x(&mut data)], |g, t| {
        g.sum(t[0], &[0, 2], false)
    });
    // Scaled down: the sum of 60 values would saturate the epilogue's tanh.
    gradcheck("sum over every axis", &[x(&mut data)], |g, t| {
        g.scale(g.sum_all(t[0]), 0.2)
    });
    gradcheck("mean over the last axis", &[x(&mut data)], |g, t| {
        g.mean(t[0], &[-1], false)
    });
    let values = distinct_along(&dims, &[1], &mut data);
    gradcheck(
        "max over one axis",
        &[Operand::with_values("x", &dims, values)],
        |g, t| g.max(t[0], &[1], false),
    );
    let values = distinct_along(&dims, &[0, 2], &mut data);
    gradcheck(
        "max over scattered axes",
        &[Operand::with_values("x", &dims, values)],
        |g, t| g.max(t[0], &[0, 2], true),
    );
    // Each row's maximum appears twice: the two tied copies are one variable, so the
    // gradient must reach it once in total, not once per copy.
    let values = distinct_along(&[3, 4], &[1], &mut data);
    gradcheck(
        "max over a row holding each value twice",
        &[Operand::with_values("x", &[3, 4], values)],
        |g, t| g.max(g.concat(&[t[0], t[0]], 1), &[1], false),
    );
}

#[test]
fn matmul_gradients_reach_both_operands() {
    let cases: [(&str, &[usize], &[usize]); 4] = [
        ("matrix", &[3, 4], &[4, 5]),
        ("broadcast batches", &[2, 1, 3, 4], &[3, 4, 5]),
        ("batched a, shared b", &[2, 3, 4], &[4, 5]),
        ("shared a, batched b", &[3, 4], &[2, 4, 5]),
    ];
    for (name, a_dims, b_dims) in cases {
        let mut data = Data::new(48);
        let a = Operand::new("a", a_dims, &mut data);
        let b = Operand::new("b", b_dims, &mut data);
        gradcheck(&format!("matmul, {name}"), &[a, b], |g, t| {
            g.matmul(t[0], t[1])
        });
    }
}

#[test]
fn conv2d_gradients_reach_input_and_weight() {
    let cases: [(&[usize], &[usize]); 3] = [
        (&[2, 3, 4, 3], &[1, 1, 3, 2]),
        (&[2, 4, 3, 2], &[3, 3, 2, 3]),
        (&[1, 5, 5, 1], &[3, 3, 1, 2]),
    ];
    for (x_dims, w_dims) in cases {
        let mut data = Data::new(49);
        let x = Operand::new("input", x_dims, &mut data);
        let w = Operand::new("weight", w_dims, &mut data);
        gradcheck(
            &format!("conv2d {x_dims:?} ⊛ {w_dims:?}"),
            &[x, w],
            |g, t| g.conv2d(t[0], t[1]),
        );
    }
}

#[test]
fn gather_and_scatter_add_gradients() {
    let mut data = Data::new(50);
    let x = Operand::new("x", &[5, 3], &mut data);
    gradcheck("gather on axis 0, repeats and misses", &[x], |g, t| {
        g.gather(t[0], 0, &[4, 0, 0, 2, 4, 1])
    });
    let x = Operand::new("x", &[2, 4, 3], &mut data);
    gradcheck("gather on axis 1", &[x], |g, t| {
        g.gather(t[0], 1, &[3, 3, 0])
    });
    let x = Operand::new("x", &[6, 3], &mut data);
    gradcheck("scatter_add on axis 0, collisions", &[x], |g, t| {
        g.scatter_add(t[0], 0, &[1, 3, 1, 0, 3, 3], 4)
    });
    let x = Operand::new("x", &[2, 5, 2], &mut data);
    gradcheck("scatter_add on axis 1, empty slots", &[x], |g, t| {
        g.scatter_add(t[0], 1, &[6, 0, 2, 6, 4], 7)
    });
}

#[test]
fn composite_gradients() {
    let mut data = Data::new(51);
    let mask = data.mask(3, 6, 0.5);
    let logits = |data: &mut Data| Operand::new("logits", &[3, 6], data);
    gradcheck("softmax", &[logits(&mut data)], |g, t| {
        g.softmax(t[0], None)
    });
    gradcheck("softmax with a mask", &[logits(&mut data)], |g, t| {
        g.softmax(t[0], Some(g.constant(&mask, [3, 6])))
    });
    gradcheck("log_softmax", &[logits(&mut data)], |g, t| {
        g.log_softmax(t[0], None)
    });
    gradcheck("log_softmax with a mask", &[logits(&mut data)], |g, t| {
        g.log_softmax(t[0], Some(g.constant(&mask, [3, 6])))
    });
    let mut targets = data.uniform(18, 0.1, 1.0);
    for (row, values) in targets.chunks_mut(6).enumerate() {
        values
            .iter_mut()
            .enumerate()
            .for_each(|(c, v)| *v *= mask[row * 6 + c]);
        let total: f32 = values.iter().sum();
        values.iter_mut().for_each(|v| *v /= total);
    }
    gradcheck(
        "soft_cross_entropy with a mask",
        &[logits(&mut data)],
        |g, t| {
            let m = g.constant(&mask, [3, 6]);
            g.soft_cross_entropy(t[0], g.constant(&targets, [3, 6]), Some(m))
        },
    );
    // Both differentiable operands: the targets (masked, so that illegal entries stay 0,
    // and scaled so that the row losses stay about 1, short of the epilogue's tanh
    // saturation) and the logits.
    let operands = [
        Operand::new("logits", &[3, 6], &mut data),
        Operand::positive("targets", &[3, 6], &mut data),
    ];
    gradcheck(
        "soft_cross_entropy by logits and targets, with a mask",
        &operands,
        |g, t| {
            let m = g.constant(&mask, [3, 6]);
            g.soft_cross_entropy(t[0], g.scale(g.mul(t[1], m), 0.2), Some(m))
        },
    );
    let operands = [
        Operand::new("logits", &[2, 3, 5], &mut data),
        Operand::positive("targets", &[2, 3, 5], &mut data),
    ];
    gradcheck("soft_cross_entropy without a mask", &operands, |g, t| {
        g.soft_cross_entropy(t[0], g.scale(t[1], 0.2), None)
    });
    let x = Operand::new("x", &[3, 7], &mut data);
    gradcheck("layer_norm", &[x], |g, t| g.layer_norm(t[0], 1e-5));
    let prediction = Operand::new("prediction", &[3, 4], &mut data);
    let target = Operand::new("target", &[3, 4], &mut data);
    gradcheck("mse", &[prediction, target], |g, t| g.mse(t[0], t[1]));
    let parts = [
        Operand::new("x", &[2, 3, 4], &mut data),
        Operand::new("weight", &[4, 5], &mut data),
        Operand::new("bias", &[5], &mut data),
    ];
    gradcheck("linear", &parts, |g, t| g.linear(t[0], t[1], Some(t[2])));
}

#[test]
fn gradients_accumulate_over_every_use_of_a_tensor() {
    let mut data = Data::new(52);
    let a = Operand::new("a", &[3, 3], &mut data);
    let b = Operand::new("b", &[3, 3], &mut data);
    gradcheck("a used five times", &[a, b], |g, t| {
        let (a, b) = (t[0], t[1]);
        let product = g.matmul(a, g.transpose(a));
        let rows = g.expand(g.sum(a, &[1], true), [3, 3]);
        g.add(g.add(g.mul(a, b), product), g.mul(rows, g.tanh(a)))
    });
}

#[test]
fn gradients_refuse_what_they_cannot_differentiate() {
    let g = Graph::new();
    let x = g.input("x", [2, 3]);
    match gradients(&g, g.tanh(x), &[x]) {
        Err(GraphError::NotDifferentiable(message)) => assert!(message.contains("one element")),
        other => panic!(
            "a non-scalar loss must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    let grad = g.input("grad", [1, 2, 2, 3]);
    let w = g.input("w", [3, 3, 1, 3]);
    let second = g.sum_all(g.conv2d_grad_input(grad, w));
    assert!(matches!(
        gradients(&g, second, &[w]),
        Err(GraphError::NotDifferentiable(_))
    ));
}

#[test]
fn gradients_of_unused_tensors_are_zero() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let used = g.input("used", [2, 3]);
        let unused = g.input("unused", [4]);
        let loss = g.sum_all(g.square(used));
        let grads = gradients(&g, loss, &[used, unused]).unwrap();
        g.output("unused.grad", grads[1]);
        g.output("used.grad", grads[0]);
        let mut program = compile(&g, compute);
        let values = [1.0, -2.0, 3.0, 0.5, 0.25, -1.5];
        program.write("used", &values).unwrap();
        program.write("unused", &[1.0; 4]).unwrap();
        program.run().unwrap();
        assert_eq!(read(&program, "unused.grad"), vec![0.0; 4]);
        let doubled: Vec<f32> = values.iter().map(|v| 2.0 * v).collect();
        assert_eq!(read(&program, "used.grad"), doubled);
    });
}
