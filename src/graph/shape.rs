//! Tensor shapes: small, copyable, row-major, with NumPy broadcasting.

use std::fmt;

/// The largest rank a tensor may have. NHWC convolutions need 4; batched matmuls over
/// board batches need 5 at most.
pub const MAX_RANK: usize = 6;

/// A row-major tensor shape of rank ≤ [`MAX_RANK`]. Rank 0 is a scalar (one element).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: u8,
}

impl Shape {
    /// Panics when `dims` has more than [`MAX_RANK`] entries or a zero extent: shapes come
    /// from network definitions, whose configurations are validated before building.
    pub fn new(dims: &[usize]) -> Self {
        assert!(
            dims.len() <= MAX_RANK,
            "rank {} exceeds the maximum of {MAX_RANK}",
            dims.len()
        );
        assert!(
            dims.iter().all(|&d| d > 0),
            "shape {dims:?} has a zero extent"
        );
        let mut all = [1; MAX_RANK];
        all[..dims.len()].copy_from_slice(dims);
        Self {
            dims: all,
            rank: dims.len() as u8,
        }
    }

    pub fn scalar() -> Self {
        Self::new(&[])
    }

    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank as usize]
    }

    pub fn rank(&self) -> usize {
        self.rank as usize
    }

    /// Extent of `axis`; negative axes count from the end.
    pub fn dim(&self, axis: isize) -> usize {
        self.dims()[self.axis(axis)]
    }

    /// Resolves a possibly negative axis to an index below the rank.
    pub fn axis(&self, axis: isize) -> usize {
        let rank = self.rank() as isize;
        let resolved = if axis < 0 { axis + rank } else { axis };
        assert!(
            (0..rank).contains(&resolved),
            "axis {axis} is out of range for shape {self:?}"
        );
        resolved as usize
    }

    pub fn num_elements(&self) -> usize {
        self.dims().iter().product()
    }

    /// Row-major strides, in elements.
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![1; self.rank()];
        for axis in (0..self.rank().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * self.dims[axis + 1];
        }
        strides
    }

    /// The shape with `axis` replaced by `extent`.
    pub fn with_dim(&self, axis: usize, extent: usize) -> Self {
        let mut dims = self.dims().to_vec();
        dims[axis] = extent;
        Self::new(&dims)
    }

    /// NumPy broadcasting of two shapes; `None` if they are incompatible.
    pub fn broadcast(a: Shape, b: Shape) -> Option<Shape> {
        let rank = a.rank().max(b.rank());
        let mut dims = vec![1; rank];
        for (offset, dim) in dims.iter_mut().enumerate() {
            let from_a = (offset + a.rank()).checked_sub(rank).map(|i| a.dims[i]);
            let from_b = (offset + b.rank()).checked_sub(rank).map(|i| b.dims[i]);
            *dim = match (from_a.unwrap_or(1), from_b.unwrap_or(1)) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return None,
            };
        }
        Some(Shape::new(&dims))
    }

    /// For each axis of `self`, the element stride to use when `self` is broadcast to
    /// `target` (0 along broadcast axes). `target` is assumed to be a valid broadcast.
    pub fn broadcast_strides(&self, target: Shape) -> Vec<usize> {
        let own = self.strides();
        let shift = target.rank() - self.rank();
        (0..target.rank())
            .map(|axis| {
                if axis < shift || self.dims[axis - shift] == 1 {
                    0
                } else {
                    own[axis - shift]
                }
            })
            .collect()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape::new(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape::new(&dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        let b = |a: &[usize], b: &[usize]| Shape::broadcast(Shape::new(a), Shape::new(b));
        assert_eq!(b(&[4, 1, 3], &[5, 1]), Some(Shape::new(&[4, 5, 3])));
        assert_eq!(b(&[], &[2, 3]), Some(Shape::new(&[2, 3])));
        assert_eq!(b(&[2, 3], &[3, 2]), None);
    }

    #[test]
    fn broadcast_strides_zero_the_expanded_axes() {
        let bias = Shape::new(&[3]);
        assert_eq!(bias.broadcast_strides(Shape::new(&[2, 3])), vec![0, 1]);
        let column = Shape::new(&[2, 1]);
        assert_eq!(column.broadcast_strides(Shape::new(&[2, 3])), vec![1, 0]);
        assert_eq!(Shape::new(&[2, 3, 4]).strides(), vec![12, 4, 1]);
    }
}
