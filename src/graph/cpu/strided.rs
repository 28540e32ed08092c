//! Walking a row-major output while tracking offsets into broadcast or permuted operands.

use rayon::prelude::*;

use crate::graph::shape::{MAX_RANK, Shape};

/// Element count above which loops are split across threads.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;
/// Elements per parallel chunk.
pub const CHUNK: usize = 1 << 14;

/// An odometer over `dims` that keeps the matching offset into an operand laid out with
/// `strides` (0 along broadcast axes).
#[derive(Clone)]
pub struct StridedWalk {
    dims: [usize; MAX_RANK],
    strides: [usize; MAX_RANK],
    counter: [usize; MAX_RANK],
    rank: usize,
    pub offset: usize,
}

impl StridedWalk {
    /// Starts at flat output index `start`.
    pub fn new(shape: Shape, strides: &[usize], start: usize) -> Self {
        let rank = shape.rank();
        let mut walk = Self {
            dims: [1; MAX_RANK],
            strides: [0; MAX_RANK],
            counter: [0; MAX_RANK],
            rank,
            offset: 0,
        };
        walk.dims[..rank].copy_from_slice(shape.dims());
        walk.strides[..rank].copy_from_slice(strides);
        let mut rest = start;
        for axis in (0..rank).rev() {
            walk.counter[axis] = rest % walk.dims[axis];
            rest /= walk.dims[axis];
            walk.offset += walk.counter[axis] * walk.strides[axis];
        }
        walk
    }

    /// Moves to the next output element.
    #[inline]
    pub fn advance(&mut self) {
        let mut axis = self.rank;
        while axis > 0 {
            axis -= 1;
            self.counter[axis] += 1;
            self.offset += self.strides[axis];
            if self.counter[axis] < self.dims[axis] {
                return;
            }
            self.offset -= self.counter[axis] * self.strides[axis];
            self.counter[axis] = 0;
        }
    }
}

/// `out[i] = f(i, walks...)` over the output, in parallel chunks for large outputs. `f`
/// gets a walk per operand positioned at element `i`.
pub fn for_each_output<const N: usize>(
    out: &mut [f32],
    out_shape: Shape,
    operand_strides: [&[usize]; N],
    f: impl Fn([usize; N]) -> f32 + Sync,
) {
    let run = |start: usize, chunk: &mut [f32]| {
        let mut walks: [StridedWalk; N] =
            std::array::from_fn(|i| StridedWalk::new(out_shape, operand_strides[i], start));
        for value in chunk.iter_mut() {
            *value = f(std::array::from_fn(|i| walks[i].offset));
            for walk in walks.iter_mut() {
                walk.advance();
            }
        }
    };
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(index, chunk)| run(index * CHUNK, chunk));
    } else {
        run(0, out);
    }
}

/// How an operand is read along one row of the output (see [`rows`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowRead {
    /// Row element `j` is operand element `offset + j`.
    Contiguous,
    /// Every row element is operand element `offset`.
    Repeated,
}

impl RowRead {
    /// Operand elements per row element: 1 or 0.
    pub fn step(self) -> usize {
        match self {
            RowRead::Contiguous => 1,
            RowRead::Repeated => 0,
        }
    }
}

/// The output seen as `[outer axes, one row]`: the longest run of trailing axes over which
/// every operand is either read contiguously or repeats one value (a bias, a row maximum,
/// a scalar), so inner loops run over plain slices and only the outer axes are walked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rows<const N: usize> {
    /// Axes `..row_axis` are walked; axes `row_axis..` form one row.
    pub row_axis: usize,
    pub row_len: usize,
    pub reads: [RowRead; N],
}

/// Splits `out_shape` into rows for operands with `operand_strides` (per output axis, 0
/// along broadcast axes); `None` when the last axis already fits neither read (a permuted
/// operand), where the element walk of [`for_each_output`] is needed.
pub fn rows<const N: usize>(out_shape: Shape, operand_strides: [&[usize]; N]) -> Option<Rows<N>> {
    let dims = out_shape.dims();
    let mut reads: [Option<RowRead>; N] = [None; N];
    let mut row_len = 1;
    let mut row_axis = dims.len();
    while row_axis > 0 {
        let axis = row_axis - 1;
        if dims[axis] != 1 {
            let mut next = reads;
            let mut fits = true;
            for (read, strides) in next.iter_mut().zip(&operand_strides) {
                let stride = strides[axis];
                *read = match *read {
                    None if stride == 0 => Some(RowRead::Repeated),
                    None | Some(RowRead::Contiguous) if stride == row_len => {
                        Some(RowRead::Contiguous)
                    }
                    Some(RowRead::Repeated) if stride == 0 => Some(RowRead::Repeated),
                    _ => {
                        fits = false;
                        break;
                    }
                };
            }
            if !fits {
                break;
            }
            reads = next;
        }
        row_len *= dims[axis];
        row_axis = axis;
    }
    if row_len == 1 && out_shape.num_elements() > 1 {
        return None;
    }
    Some(Rows {
        row_axis,
        row_len,
        reads: reads.map(|read| read.unwrap_or(RowRead::Contiguous)),
    })
}

/// `f(row, offsets)` for every row of the output split by `rows`, in parallel groups of
/// rows for large outputs; `offsets[i]` is operand i's element at the row's start.
pub fn for_each_row<const N: usize>(
    out: &mut [f32],
    out_shape: Shape,
    operand_strides: [&[usize]; N],
    rows: &Rows<N>,
    f: impl Fn(&mut [f32], [usize; N]) + Sync,
) {
    if out.is_empty() {
        return;
    }
    let outer = Shape::new(&out_shape.dims()[..rows.row_axis]);
    let run = |first_row: usize, chunk: &mut [f32]| {
        let mut walks: [StridedWalk; N] = std::array::from_fn(|i| {
            StridedWalk::new(outer, &operand_strides[i][..rows.row_axis], first_row)
        });
        for row in chunk.chunks_exact_mut(rows.row_len) {
            f(row, std::array::from_fn(|i| walks[i].offset));
            for walk in walks.iter_mut() {
                walk.advance();
            }
        }
    };
    if out.len() >= PARALLEL_THRESHOLD {
        let rows_per_chunk = (CHUNK / rows.row_len).max(1);
        out.par_chunks_mut(rows_per_chunk * rows.row_len)
            .enumerate()
            .for_each(|(index, chunk)| run(index * rows_per_chunk, chunk));
    } else {
        run(0, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element's operand offsets through `rows` + the outer walk, against div/mod.
    fn check_rows<const N: usize>(dims: &[usize], strides: [&[usize]; N], expected_row: usize) {
        let shape = Shape::new(dims);
        let split = rows(shape, strides).expect("a row split");
        assert_eq!(split.row_len, expected_row, "{dims:?} {strides:?}");
        let mut out = vec![0.0; shape.num_elements()];
        let seen = std::sync::Mutex::new(Vec::new());
        for_each_row(&mut out, shape, strides, &split, |row, offsets| {
            seen.lock().unwrap().push((row.as_ptr() as usize, offsets));
        });
        let base = out.as_ptr() as usize;
        for (address, offsets) in seen.into_inner().unwrap() {
            let row_start = (address - base) / 4;
            for j in 0..split.row_len {
                let flat = row_start + j;
                let mut rest = flat;
                let mut expected = [0usize; N];
                for axis in (0..dims.len()).rev() {
                    let coordinate = rest % dims[axis];
                    rest /= dims[axis];
                    for (e, s) in expected.iter_mut().zip(&strides) {
                        *e += coordinate * s[axis];
                    }
                }
                for i in 0..N {
                    assert_eq!(offsets[i] + j * split.reads[i].step(), expected[i]);
                }
            }
        }
    }

    #[test]
    fn rows_cover_biases_row_statistics_scalars_and_middle_broadcasts() {
        check_rows(&[4, 3], [&[3, 1], &[0, 1]], 3); // + bias
        check_rows(&[4, 3], [&[3, 1], &[1, 0]], 3); // − row maximum
        check_rows(&[4, 3], [&[0, 0], &[3, 1]], 12); // scalar · tensor
        check_rows(&[2, 5, 3], [&[15, 3, 1], &[3, 0, 1]], 3); // [2,1,3] → [2,5,3]
        check_rows(&[2, 1, 3], [&[3, 3, 1], &[1, 0, 0]], 3); // size-1 axes merge
        check_rows(&[], [&[], &[]], 1); // scalars
        let big = [70, 1000];
        check_rows(&big, [&[1000, 1], &[0, 1], &[1, 0]], 1000); // parallel groups
        // A transposed operand has no row form.
        assert!(rows(Shape::new(&[4, 3]), [&[1usize, 4][..]]).is_none());
    }

    #[test]
    fn walk_matches_div_mod_offsets() {
        let shape = Shape::new(&[3, 4, 5]);
        let strides = [1, 0, 3]; // an arbitrary strided operand
        let mut walk = StridedWalk::new(shape, &strides, 7);
        for flat in 7..60 {
            let (a, b, c) = (flat / 20, (flat / 5) % 4, flat % 5);
            assert_eq!(
                walk.offset,
                a * strides[0] + b * strides[1] + c * strides[2]
            );
            walk.advance();
        }
    }
}
