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

#[cfg(test)]
mod tests {
    use super::*;

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
