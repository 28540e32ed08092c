//! Reductions and indexed sums on every backend against f64 loops: sum, mean and max over
//! single, contiguous and scattered axis sets (with and without kept axes, all-negative
//! data for max), long reductions up to 1000 terms, gather and its transpose scatter-add
//! (a segment sum) along every axis with repeated and missing indices, and a tensor read
//! by several consumers.

#[allow(dead_code)]
mod harness;

use harness::{Data, Tolerance, assert_close, coordinates, element_count, flat_index, read, run};
use wgzero::graph::Graph;
use wgzero::testing::on_every_backend;

/// Sum, max or mean of `x` (extents `dims`) over `axes`, with the reduced axes kept as 1.
fn reduce_reference(x: &[f32], dims: &[usize], axes: &[usize], kind: &str) -> Vec<f64> {
    let out_dims: Vec<usize> = (0..dims.len())
        .map(|a| if axes.contains(&a) { 1 } else { dims[a] })
        .collect();
    let identity = if kind == "max" {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    let mut out = vec![identity; element_count(&out_dims)];
    for (flat, &value) in x.iter().enumerate() {
        let mut at = coordinates(flat, dims);
        for &axis in axes {
            at[axis] = 0;
        }
        let target = &mut out[flat_index(&at, &out_dims)];
        *target = match kind {
            "max" => target.max(f64::from(value)),
            _ => *target + f64::from(value),
        };
    }
    if kind == "mean" {
        let count: usize = axes.iter().map(|&a| dims[a]).product();
        out.iter_mut().for_each(|v| *v /= count as f64);
    }
    out
}

/// `axes` (negative ones counting from the end) as sorted, distinct axis indices.
fn resolve(axes: &[isize], rank: usize) -> Vec<usize> {
    let mut resolved: Vec<usize> = axes
        .iter()
        .map(|&a| a.rem_euclid(rank as isize) as usize)
        .collect();
    resolved.sort_unstable();
    resolved.dedup();
    resolved
}

#[test]
fn reductions_over_contiguous_and_scattered_axes() {
    let dims = [3, 5, 7, 4];
    let axis_sets: [&[isize]; 12] = [
        &[0],
        &[1],
        &[3],
        &[-1],
        &[1, 2],
        &[0, 2],
        &[0, 3],
        &[1, -1],
        &[0, 2, 3],
        &[0, 1, 2, 3],
        // The same axis named twice (once from the end) reduces it once.
        &[1, -3],
        &[-1, 0, 3],
    ];
    on_every_backend(|compute| {
        let mut data = Data::new(16);
        let g = Graph::new();
        let x = g.input("x", dims);
        // All negative, so a max that starts from 0 instead of −∞ is caught.
        let negative = g.input("negative", dims);
        for (set, axes) in axis_sets.iter().enumerate() {
            let keep = set % 2 == 0;
            g.output(&format!("sum{set}"), g.sum(x, axes, keep));
            g.output(&format!("mean{set}"), g.mean(x, axes, keep));
            g.output(&format!("max{set}"), g.max(x, axes, keep));
            g.output(&format!("max_negative{set}"), g.max(negative, axes, keep));
            let resolved = resolve(axes, 4);
            let expected: Vec<usize> = (0..4)
                .filter(|a| keep || !resolved.contains(a))
                .map(|a| if resolved.contains(&a) { 1 } else { dims[a] })
                .collect();
            assert_eq!(g.sum(x, axes, keep).shape.dims(), expected.as_slice());
        }
        let x_values = data.uniform(element_count(&dims), -2.0, 2.0);
        let negative_values = data.uniform(element_count(&dims), -5.0, -1.0);
        let program = run(
            &g,
            compute,
            &[("x", &x_values), ("negative", &negative_values)],
        );
        for (set, axes) in axis_sets.iter().enumerate() {
            let resolved = resolve(axes, 4);
            let terms: usize = resolved.iter().map(|&a| dims[a]).product();
            for (kind, values, name) in [
                ("sum", &x_values, format!("sum{set}")),
                ("mean", &x_values, format!("mean{set}")),
                ("max", &x_values, format!("max{set}")),
                ("max", &negative_values, format!("max_negative{set}")),
            ] {
                let tolerance = if kind == "max" {
                    Tolerance::EXACT
                } else {
                    Tolerance::accumulated(terms)
                };
                assert_close(
                    &format!("{name} over {axes:?}"),
                    &read(&program, &name),
                    &reduce_reference(values, &dims, &resolved, kind),
                    tolerance,
                );
            }
        }
    });
}

#[test]
fn long_reductions_match_f64() {
    let cases: [(&[usize], &[isize]); 13] = [
        (&[65, 33], &[0]),
        (&[65, 33], &[1]),
        (&[1000, 7], &[0]),
        (&[7, 1000], &[1]),
        (&[17, 130], &[0, 1]),
        (&[3, 1, 5], &[1]),
        // A few long contiguous rows: the GPU splits each into chunks.
        (&[3, 5000], &[1]),
        // Column sums of a few columns that divide a workgroup (bias gradients): the
        // GPU's first pass combines row lanes in a workgroup; chunks end mid-way.
        (&[1000, 8], &[0]),
        (&[33, 130, 64], &[0, 1]),
        (&[4099, 2], &[0]),
        // Above the CPU backend's threshold for splitting loops across threads.
        (&[65, 33, 17], &[1]),
        (&[65, 33, 17], &[0, 2]),
        (&[65, 33, 17], &[0, 1, 2]),
    ];
    on_every_backend(|compute| {
        for (dims, axes) in cases {
            let values = Data::new(17).uniform(element_count(dims), -1.0, 1.0);
            let g = Graph::new();
            let x = g.input("x", dims);
            g.output("sum", g.sum(x, axes, true));
            g.output("max", g.max(x, axes, true));
            let program = run(&g, compute, &[("x", &values)]);
            let resolved: Vec<usize> = axes.iter().map(|&a| a as usize).collect();
            let terms: usize = resolved.iter().map(|&a| dims[a]).product();
            assert_close(
                &format!("sum of {dims:?} over {axes:?}"),
                &read(&program, "sum"),
                &reduce_reference(&values, dims, &resolved, "sum"),
                Tolerance::accumulated(terms),
            );
            assert_close(
                &format!("max of {dims:?} over {axes:?}"),
                &read(&program, "max"),
                &reduce_reference(&values, dims, &resolved, "max"),
                Tolerance::EXACT,
            );
        }
    });
}

#[test]
fn gather_reads_and_scatter_add_sums_along_any_axis() {
    // (input extents, axis, index count, scatter output extent)
    let cases: [(&[usize], usize, usize, usize); 5] = [
        (&[5, 4, 3], 0, 7, 5),
        (&[5, 4, 3], 1, 3, 9),
        (&[2, 3, 8], 2, 5, 3),
        (&[33], 0, 65, 17),
        (&[2, 33, 16], 1, 70, 33),
    ];
    on_every_backend(|compute| {
        for (dims, axis, count, size) in cases {
            let mut data = Data::new(20);
            let extent = dims[axis];
            // Gather: `count` reads from `extent` rows, repeats included.
            let gather_indices = data.indices(count, extent);
            // Scatter: `extent` rows into `size` slots, so slots collide or stay empty.
            let scatter_indices = data.indices(extent, size);
            let x_values = data.uniform(element_count(dims), -2.0, 2.0);
            let g = Graph::new();
            let x = g.input("x", dims);
            g.output("gather", g.gather(x, axis as isize, &gather_indices));
            g.output(
                "scatter",
                g.scatter_add(x, axis as isize, &scatter_indices, size),
            );
            let program = run(&g, compute, &[("x", &x_values)]);

            let mut gather_dims = dims.to_vec();
            gather_dims[axis] = count;
            let gathered: Vec<f64> = (0..element_count(&gather_dims))
                .map(|flat| {
                    let mut at = coordinates(flat, &gather_dims);
                    at[axis] = gather_indices[at[axis]] as usize;
                    f64::from(x_values[flat_index(&at, dims)])
                })
                .collect();
            assert_close(
                &format!("gather on axis {axis} of {dims:?}"),
                &read(&program, "gather"),
                &gathered,
                Tolerance::EXACT,
            );

            let mut scatter_dims = dims.to_vec();
            scatter_dims[axis] = size;
            let mut scattered = vec![0.0; element_count(&scatter_dims)];
            for (flat, &value) in x_values.iter().enumerate() {
                let mut at = coordinates(flat, dims);
                at[axis] = scatter_indices[at[axis]] as usize;
                scattered[flat_index(&at, &scatter_dims)] += f64::from(value);
            }
            assert_close(
                &format!("scatter_add on axis {axis} of {dims:?} into {size}"),
                &read(&program, "scatter"),
                &scattered,
                Tolerance::accumulated(extent),
            );
        }
    });
}

#[test]
fn a_tensor_read_by_several_ops_survives_buffer_reuse() {
    // A diamond: one tensor feeds a matmul, a reduction and a pointwise op, whose results
    // meet again; buffer reuse must not let one branch overwrite another's input.
    on_every_backend(|compute| {
        let mut data = Data::new(21);
        let (x_values, w_values) = (
            data.uniform(5 * 7, -1.0, 1.0),
            data.uniform(7 * 3, -1.0, 1.0),
        );
        let g = Graph::new();
        let x = g.input("x", [5, 7]);
        let w = g.input("w", [7, 3]);
        let h = g.tanh(x);
        let product = g.matmul(h, w);
        let row_sums = g.sum(h, &[1], true);
        let combined = g.add(g.mul(product, row_sums), g.exp(g.slice(h, 1, 0, 3)));
        g.output("combined", combined);
        let program = run(&g, compute, &[("x", &x_values), ("w", &w_values)]);
        let mut want = Vec::new();
        for row in 0..5 {
            let h_row: Vec<f64> = (0..7)
                .map(|c| f64::from(x_values[row * 7 + c]).tanh())
                .collect();
            let total: f64 = h_row.iter().sum();
            for column in 0..3 {
                let dot: f64 = (0..7)
                    .map(|i| h_row[i] * f64::from(w_values[i * 3 + column]))
                    .sum();
                want.push(dot * total + h_row[column].exp());
            }
        }
        assert_close(
            "diamond",
            &read(&program, "combined"),
            &want,
            Tolerance::accumulated(7),
        );
    });
}
