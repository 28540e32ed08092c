//! View ops on the CPU (permute, expand, slice, concat): pure re-indexing copies.

use super::strided::{RowRead, StridedWalk, for_each_output, for_each_row, rows};
use crate::graph::shape::Shape;

/// Side of the square tiles a transpose copies (a tile of each side stays in L1).
const TILE: usize = 32;

/// Output axis `i` is input axis `axes[i]`.
pub fn permute(x: &[f32], x_shape: Shape, axes: &[usize], out: &mut [f32], out_shape: Shape) {
    let rank = axes.len();
    let swaps_last_two = rank >= 2
        && axes[rank - 2] == rank - 1
        && axes[rank - 1] == rank - 2
        && axes[..rank - 2].iter().enumerate().all(|(i, &a)| i == a);
    if swaps_last_two {
        let (rows, columns) = (x_shape.dims()[rank - 2], x_shape.dims()[rank - 1]);
        if rows * columns > 0 {
            for (matrix, transposed) in x
                .chunks_exact(rows * columns)
                .zip(out.chunks_exact_mut(rows * columns))
            {
                transpose(matrix, rows, columns, transposed);
            }
        }
        return;
    }
    let in_strides = x_shape.strides();
    let strides: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    for_each_output(out, out_shape, [&strides], |[i]| x[i]);
}

/// `out[c, r] = x[r, c]` for a row-major `[rows, columns]` matrix, tile by tile.
fn transpose(x: &[f32], rows: usize, columns: usize, out: &mut [f32]) {
    for row_start in (0..rows).step_by(TILE) {
        let row_end = (row_start + TILE).min(rows);
        for column_start in (0..columns).step_by(TILE) {
            let column_end = (column_start + TILE).min(columns);
            for r in row_start..row_end {
                let source = &x[r * columns..(r + 1) * columns];
                for c in column_start..column_end {
                    out[c * rows + r] = source[c];
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiled_transpose_matches_the_element_walk() {
        // Sides that are not multiples of the tile, with a batch axis.
        let shape = Shape::new(&[2, 70, 45]);
        let x: Vec<f32> = (0..shape.num_elements()).map(|i| i as f32).collect();
        let out_shape = Shape::new(&[2, 45, 70]);
        let mut tiled = vec![0.0; x.len()];
        permute(&x, shape, &[0, 2, 1], &mut tiled, out_shape);
        let strides = [3150, 1, 45];
        let mut walked = vec![0.0; x.len()];
        for_each_output(&mut walked, out_shape, [&strides], |[i]| x[i]);
        assert_eq!(tiled, walked);
    }
}
