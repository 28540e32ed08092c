//! Compiled programs as the user sees them, on every backend: bad names and lengths come
//! back as the right `GraphError`, the buffer plan reuses dead intermediates, initial
//! values depend only on the seed and the tensor's name, and assigns commit after a run.

#[allow(dead_code)]
mod harness;

use harness::{Data, Tolerance, assert_close, compile, read};
use wgzero::backend::Compute;
use wgzero::graph::{CompileOptions, Graph, GraphError, Init, Program};
use wgzero::testing::on_every_backend;

/// Asserts that `program`'s tensor `name` holds `want`, as f32 arithmetic gives it.
fn close(program: &Program, name: &str, want: &[f64]) {
    assert_close(name, &read(program, name), want, Tolerance::POINTWISE);
}

#[test]
fn writing_the_wrong_length_names_the_tensor_and_both_lengths() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let x = g.input("x", [3, 4]);
        let w = g.parameter("w", [4, 2], Init::Zeros);
        g.output("y", g.matmul(x, w));
        let mut program = compile(&g, compute);
        for (name, given, expected) in [("x", 11, 12), ("x", 13, 12), ("w", 0, 8)] {
            match program.write(name, &vec![1.0; given]) {
                Err(error @ GraphError::WrongLength { .. }) => {
                    let GraphError::WrongLength {
                        name: reported,
                        expected: reported_expected,
                        got,
                    } = &error
                    else {
                        unreachable!()
                    };
                    assert_eq!(
                        (reported.as_str(), *reported_expected, *got),
                        (name, expected, given)
                    );
                    let message = error.to_string();
                    assert!(message.contains(name) && message.contains(&expected.to_string()));
                }
                other => panic!("writing {given} values to {name}: {other:?}"),
            }
        }
        // A failed write leaves the old contents in place.
        assert_eq!(read(&program, "w"), vec![0.0; 8]);
    });
}

#[test]
fn unknown_names_are_refused_by_write_and_read() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let x = g.input("x", [2]);
        let hidden = g.exp(x);
        g.output("y", g.neg(hidden));
        let mut program = compile(&g, compute);
        assert!(matches!(
            program.write("missing", &[1.0, 2.0]),
            Err(GraphError::UnknownName(name)) if name == "missing"
        ));
        assert!(matches!(
            program.read("missing"),
            Err(GraphError::UnknownName(name)) if name == "missing"
        ));
        // An output is read-only: only inputs, parameters and states take writes.
        assert!(matches!(
            program.write("y", &[1.0, 2.0]),
            Err(GraphError::UnknownName(_))
        ));
        program.write("x", &[0.0, 1.0]).unwrap();
        program.run().unwrap();
        close(&program, "y", &[-1.0, -std::f64::consts::E]);
    });
}

/// Two independent chains, each a row sum and then the sum of its squares. Planned in
/// order, the second row sum would reuse the first's buffer once that is dead, which
/// orders it after the first chain's second reduction; small tensors keep buffers of
/// their own, so each chain's kernels run beside the other's: two dispatches, not four.
#[test]
fn independent_chains_of_small_tensors_share_dispatches() {
    let (rows, len) = (48, 40);
    on_every_backend(|compute| {
        let g = Graph::new();
        let mut expected = Vec::new();
        let mut inputs = Vec::new();
        for (chain, name) in ["x", "z"].into_iter().enumerate() {
            let x = g.input(name, [rows, len]);
            let values = Data::new(90 + chain as u64).uniform(rows * len, -1.0, 1.0);
            let sums = g.sum(g.exp(x), &[-1], false);
            g.output(&format!("y{chain}"), g.sum(g.square(sums), &[-1], false));
            expected.push(
                values
                    .chunks(len)
                    .map(|row| row.iter().map(|&v| f64::from(v).exp()).sum::<f64>().powi(2))
                    .sum::<f64>(),
            );
            inputs.push((name, values));
        }
        let mut program = compile(&g, compute);
        if let Compute::Gpu(_) = compute {
            assert_eq!(
                program.dispatches(),
                2,
                "dispatches: {:?}",
                program.dispatch_labels()
            );
        }
        for (name, values) in &inputs {
            program.write(name, values).unwrap();
        }
        program.run().unwrap();
        for (chain, want) in expected.iter().enumerate() {
            let got = read(&program, &format!("y{chain}"))[0];
            assert!(
                (f64::from(got) - want).abs() <= 1e-4 * want.abs(),
                "on {}: y{chain} = {got}, want {want}",
                compute.name()
            );
        }
    });
}

#[test]
fn the_buffer_plan_reuses_dead_intermediates_in_a_long_chain() {
    const LINKS: usize = 40;
    let dims = [64, 64];
    on_every_backend(|compute| {
        let g = Graph::new();
        let x = g.input("x", dims);
        let mut value = x;
        for link in 0..LINKS {
            value = if link % 2 == 0 {
                g.tanh(value)
            } else {
                g.shift(g.scale(value, 1.5), 0.25)
            };
        }
        g.output("y", value);
        let every_node: u64 = g
            .nodes()
            .iter()
            .map(|node| node.shape.num_elements() as u64 * 4)
            .sum();
        let one = (dims[0] * dims[1] * 4) as u64;
        let mut program = compile(&g, compute);
        let peak = program.peak_bytes();
        // Input and output are pinned; a chain needs about two more live buffers.
        assert!(
            peak >= 2 * one && peak < every_node / 4,
            "on {}: peak {peak} bytes, all {} nodes together {every_node}",
            compute.name(),
            g.len()
        );
        // Reuse must not corrupt the chain, on the first run or the next.
        let x_values = Data::new(80).uniform(dims[0] * dims[1], -2.0, 2.0);
        let want: Vec<f64> = x_values
            .iter()
            .map(|&v| {
                (0..LINKS).fold(f64::from(v), |value, link| {
                    if link % 2 == 0 {
                        value.tanh()
                    } else {
                        value * 1.5 + 0.25
                    }
                })
            })
            .collect();
        program.write("x", &x_values).unwrap();
        for _ in 0..2 {
            program.run().unwrap();
            assert_close(
                "chain",
                &read(&program, "y"),
                &want,
                Tolerance::accumulated(LINKS),
            );
        }
    });
}

/// A graph with one parameter or state per kind of initialiser, declared in build order
/// or `reversed`.
fn initialised(reversed: bool) -> Graph {
    let g = Graph::new();
    let mut order = [0, 1, 2, 3];
    if reversed {
        order.reverse();
    }
    for which in order {
        match which {
            0 => g.parameter("normal", [100, 100], Init::Normal { std: 0.5 }),
            1 => g.parameter("uniform", [100, 100], Init::Uniform { bound: 0.3 }),
            2 => g.state("constant", [7], Init::Constant(2.5)),
            _ => g.state("zeros", [5], Init::Zeros),
        };
    }
    let anything = g.input("x", [1]);
    g.output("y", anything);
    g
}

#[test]
fn initial_values_depend_on_the_seed_and_the_name_only() {
    let names = ["normal", "uniform", "constant", "zeros"];
    let values = |graph: &Graph, compute: &Compute, seed: u64| -> Vec<Vec<f32>> {
        let options = CompileOptions {
            seed,
            ..CompileOptions::default()
        };
        let program = Program::compile(graph, compute, &options).unwrap();
        names.iter().map(|name| read(&program, name)).collect()
    };
    let cpu = values(&initialised(false), &Compute::Cpu, 9);
    on_every_backend(|compute| {
        let first = values(&initialised(false), compute, 9);
        assert_eq!(
            first,
            cpu,
            "the same seed on {} and the CPU",
            compute.name()
        );
        let reordered = values(&initialised(true), compute, 9);
        assert_eq!(first, reordered, "declaration order changed initial values");
        let other_seed = values(&initialised(false), compute, 10);
        assert_ne!(first[0], other_seed[0]);
        assert_ne!(first[1], other_seed[1]);
        assert_eq!(first[2..], other_seed[2..]);
    });

    // The draws follow their distributions (10 000 samples each).
    let statistics = |v: &[f32]| {
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let variance = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, variance.sqrt())
    };
    let (mean, std) = statistics(&cpu[0]);
    assert!(
        mean.abs() < 0.02 && (std - 0.5).abs() < 0.02,
        "normal: {mean}, {std}"
    );
    let (mean, std) = statistics(&cpu[1]);
    let uniform_std = 0.3 / 3f64.sqrt();
    assert!(
        mean.abs() < 0.01 && (std - uniform_std).abs() < 0.01,
        "uniform: {mean}, {std}"
    );
    assert!(cpu[1].iter().all(|v| v.abs() < 0.3));
    assert_eq!(cpu[2], vec![2.5; 7]);
    assert_eq!(cpu[3], vec![0.0; 5]);
}

#[test]
fn assigns_commit_after_the_run_and_persist() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let counter = g.state("counter", [2], Init::Constant(2.0));
        let input = g.input("x", [2]);
        let next = g.add(g.scale(counter, 3.0), input);
        // Reads of the counter during a run see the value from before it.
        g.output("seen", g.neg(counter));
        let assigned = g.assign(counter, next);
        // The assign node's own value is the assigned value, after the run as well.
        g.output("assigned", assigned);
        let mut program = compile(&g, compute);
        program.write("x", &[1.0, -1.0]).unwrap();
        program.run().unwrap();
        assert_eq!(read(&program, "seen"), [-2.0, -2.0]);
        assert_eq!(read(&program, "counter"), [7.0, 5.0]);
        assert_eq!(read(&program, "assigned"), [7.0, 5.0]);
        program.run().unwrap();
        assert_eq!(read(&program, "seen"), [-7.0, -5.0]);
        assert_eq!(read(&program, "counter"), [22.0, 14.0]);
        assert_eq!(read(&program, "assigned"), [22.0, 14.0]);
        // A written state is what the next run starts from.
        program.write("counter", &[0.5, 0.0]).unwrap();
        program.run().unwrap();
        assert_eq!(read(&program, "seen"), [-0.5, 0.0]);
        assert_eq!(read(&program, "counter"), [2.5, -1.0]);
    });
}

/// Copies left at the end of each run: the GPU backend stores an assign's value straight
/// into its target where every read of the target still sees the old value.
fn copies(program: &Program) -> Option<usize> {
    match program {
        Program::Gpu(program) => Some(program.assign_copies()),
        Program::Cpu(_) => None,
    }
}

/// An SGD-with-momentum step: the momentum and the weights are updated in place (no copy
/// on the GPU), though another kernel (the gradient's) reads the weights first, and the
/// values match hand-computed ones run after run.
#[test]
fn updates_read_only_by_their_own_kernels_are_stored_in_place() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let w = g.parameter("w", [3], Init::Constant(1.0));
        let m = g.state("m", [3], Init::Zeros);
        let x = g.input("x", [3]);
        let gradient = g.mul(w, x);
        g.output("gradient", gradient);
        let momentum = g.add(g.scale(m, 0.5), gradient);
        g.assign(m, momentum);
        g.assign(w, g.sub(w, g.scale(momentum, 0.1)));
        let mut program = compile(&g, compute);
        assert!(matches!(copies(&program), None | Some(0)));
        let x = [1.0, 2.0, -1.0];
        program.write("x", &x.map(|x| x as f32)).unwrap();
        let (mut w, mut m) = ([1.0f64; 3], [0.0f64; 3]);
        for _ in 0..3 {
            let gradient: Vec<f64> = (0..3).map(|i| w[i] * x[i]).collect();
            for i in 0..3 {
                m[i] = 0.5 * m[i] + gradient[i];
                w[i] -= 0.1 * m[i];
            }
            program.run().unwrap();
            close(&program, "gradient", &gradient);
            close(&program, "m", &m);
            close(&program, "w", &w);
        }
    });
}

/// Targets read after their new value is computed, by a later kernel (a reduction that
/// needs the new value too), by a broadcast (a scalar step count scaling a vector), or by
/// a later member of the same kernel, keep their copies: each of those reads must see the
/// value from before the run.
#[test]
fn targets_read_after_their_update_are_still_copied() {
    on_every_backend(|compute| {
        let g = Graph::new();
        let v = g.state("v", [4], Init::Constant(1.0));
        let x = g.input("x", [4]);
        let grown = g.add(v, x);
        g.assign(v, grown);
        g.output("total", g.sum(g.mul(v, grown), &[0], true));
        let step = g.state("step", [1], Init::Zeros);
        g.assign(step, g.add(step, g.fill(1.0, [1])));
        g.output("scaled", g.mul(x, step));
        let w = g.state("w", [4], Init::Constant(2.0));
        let doubled = g.scale(w, 2.0);
        g.assign(w, doubled);
        g.output("after", g.add(doubled, g.neg(w)));
        let mut program = compile(&g, compute);
        assert!(matches!(copies(&program), None | Some(3)));
        let x = [1.0, 2.0, 3.0, 4.0];
        program.write("x", &x.map(|x| x as f32)).unwrap();
        let (mut v, mut w) = ([1.0f64; 4], 2.0f64);
        for run in 0..3 {
            let total: f64 = (0..4).map(|i| v[i] * (v[i] + x[i])).sum();
            let scaled = x.map(|x| x * f64::from(run));
            program.run().unwrap();
            close(&program, "total", &[total]);
            close(&program, "scaled", &scaled);
            close(&program, "after", &[w; 4]);
            for i in 0..4 {
                v[i] += x[i];
            }
            w *= 2.0;
            close(&program, "v", &v);
            close(&program, "w", &[w; 4]);
        }
    });
}

#[test]
fn unused_constants_and_fills_do_not_disturb_compilation() {
    // Dead leaves get zero-byte slots, or share a freed slot of another size: filling
    // them at compile time used to panic (or overwrite the slot's tenant).
    on_every_backend(|compute| {
        let g = Graph::new();
        let x = g.input("x", [3]);
        let _unused_first = g.constant(&[1.0, 2.0, 3.0, 4.0], [4]);
        let a = g.exp(x);
        let b = g.exp(g.neg(a));
        let _unused_after_reuse = g.constant(&[5.0, 6.0], [2]);
        let _unused_fill = g.fill(9.0, [3]);
        g.output("y", g.neg(b));
        let mut program = compile(&g, compute);
        program.write("x", &[0.0, 0.5, -1.0]).unwrap();
        program.run().unwrap();
        let want: Vec<f64> = [0.0f64, 0.5, -1.0]
            .iter()
            .map(|v| -(-v.exp()).exp())
            .collect();
        close(&program, "y", &want);
    });
}
