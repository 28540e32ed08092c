//! Affine view analysis: when a chain of views over a contiguous buffer is just strides
//! and an offset (as in NumPy or PyTorch), kernels can read it directly, without a copy.

use super::ir::{Node, Op, TensorId};
use super::shape::Shape;

/// `flat index = offset + Σ coordinate[a] · strides[a]` for a viewed tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Affine {
    pub offset: usize,
    pub strides: Vec<usize>,
}

impl Affine {
    pub fn contiguous(shape: Shape) -> Self {
        Self {
            offset: 0,
            strides: shape.strides(),
        }
    }

    /// Whether this is the plain row-major layout of `shape` (strides of size-1 axes are
    /// ignored).
    pub fn is_contiguous(&self, shape: Shape) -> bool {
        self.offset == 0
            && shape
                .strides()
                .iter()
                .zip(&self.strides)
                .zip(shape.dims())
                .all(|((want, have), &dim)| dim == 1 || want == have)
    }
}

/// Follows `views` (consumer side first) from the contiguous buffer of `base`. `None` when
/// a view is not affine (gather, concat) or a reshape regroups non-contiguous axes.
pub fn affine_view(nodes: &[Node], views: &[TensorId], base: TensorId) -> Option<Affine> {
    let mut shape = nodes[base.index()].shape;
    let mut affine = Affine::contiguous(shape);
    for &view in views.iter().rev() {
        let node = &nodes[view.index()];
        affine = match &node.op {
            Op::Reshape => Affine {
                offset: affine.offset,
                strides: reshape_strides(shape, &affine.strides, node.shape)?,
            },
            Op::Permute { axes } => Affine {
                offset: affine.offset,
                strides: axes.iter().map(|&a| affine.strides[a]).collect(),
            },
            Op::Expand => Affine {
                offset: affine.offset,
                strides: (0..node.shape.rank())
                    .map(|a| {
                        if shape.dims()[a] == 1 {
                            0
                        } else {
                            affine.strides[a]
                        }
                    })
                    .collect(),
            },
            Op::Assign { .. } | Op::StopGradient => affine,
            Op::Slice { axis, start } => Affine {
                offset: affine.offset + start * affine.strides[*axis],
                strides: affine.strides,
            },
            _ => return None,
        };
        shape = node.shape;
    }
    Some(affine)
}

/// Strides of `new` viewing a tensor of shape `old` with strides `strides`, if the
/// reshape needs no copy (PyTorch's rule: each group of merged axes is contiguous).
pub fn reshape_strides(old: Shape, strides: &[usize], new: Shape) -> Option<Vec<usize>> {
    // Size-1 axes carry no layout: drop them, then give new size-1 axes any stride.
    let kept: Vec<(usize, usize)> = old
        .dims()
        .iter()
        .zip(strides)
        .filter(|(dim, _)| **dim != 1)
        .map(|(&dim, &stride)| (dim, stride))
        .collect();
    let mut result = vec![0; new.rank()];
    let mut old_axis = kept.len();
    let new_dims = new.dims();
    let mut new_axis = new_dims.len();
    while new_axis > 0 || old_axis > 0 {
        // Skip size-1 axes of the new shape.
        if new_axis > 0 && new_dims[new_axis - 1] == 1 {
            new_axis -= 1;
            continue;
        }
        if new_axis == 0 || old_axis == 0 {
            return None;
        }
        // Grow a chunk of old axes and one of new axes until their sizes match.
        let (mut old_size, mut new_size) = (kept[old_axis - 1].0, new_dims[new_axis - 1]);
        let chunk_stride = kept[old_axis - 1].1;
        let mut old_start = old_axis - 1;
        let mut new_start = new_axis - 1;
        while old_size != new_size {
            if old_size < new_size {
                if old_start == 0 {
                    return None;
                }
                old_start -= 1;
                // Merged old axes must be contiguous with each other.
                if kept[old_start].1 != kept[old_start + 1].1 * kept[old_start + 1].0 {
                    return None;
                }
                old_size *= kept[old_start].0;
            } else {
                if new_start == 0 {
                    return None;
                }
                new_start -= 1;
                new_size *= new_dims[new_start];
            }
        }
        let mut stride = chunk_stride;
        for axis in (new_start..new_axis).rev() {
            result[axis] = stride;
            stride *= new_dims[axis];
        }
        old_axis = old_start;
        new_axis = new_start;
    }
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_of_contiguous_is_contiguous() {
        let old = Shape::new(&[2, 3, 4]);
        let new = Shape::new(&[6, 1, 4]);
        assert_eq!(
            reshape_strides(old, &old.strides(), new),
            Some(vec![4, 0, 1])
        );
    }

    #[test]
    fn reshape_that_merges_transposed_axes_needs_a_copy() {
        // [3, 4] transposed: strides [1, 3] over shape [4, 3]; flattening needs a copy.
        let shape = Shape::new(&[4, 3]);
        assert_eq!(reshape_strides(shape, &[1, 4], Shape::new(&[12])), None);
        // Splitting an axis of a transposed view is fine.
        assert_eq!(
            reshape_strides(shape, &[1, 4], Shape::new(&[2, 2, 3])),
            Some(vec![2, 1, 4])
        );
    }
}

/// How a matrix operand `[..batch, rows, cols]` sits in its buffer, when a strided matmul
/// read can express it: row-major (or transposed) matrices `batch_stride` floats apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixLayout {
    /// Consecutive rows (not columns) are adjacent.
    pub transposed: bool,
    /// Floats between consecutive batch elements of the product; 0 broadcasts.
    pub batch_stride: usize,
}

/// The layout of an operand of shape `shape` read through `affine`, as one of a batched
/// product whose batch shape is `batch` (the operand's batch axes broadcast to it).
pub fn matrix_layout(affine: &Affine, shape: Shape, batch: Shape) -> Option<MatrixLayout> {
    if affine.offset != 0 {
        return None;
    }
    let rank = shape.rank();
    let (rows, cols) = (shape.dims()[rank - 2], shape.dims()[rank - 1]);
    let (row_stride, col_stride) = (affine.strides[rank - 2], affine.strides[rank - 1]);
    let transposed = if (cols == 1 || col_stride == 1) && (rows == 1 || row_stride == cols) {
        false
    } else if (rows == 1 || row_stride == 1) && (cols == 1 || col_stride == rows) {
        true
    } else {
        return None;
    };
    // Batch strides, seen from the product's batch shape (0 along broadcast axes).
    let operand_batch = Shape::new(&shape.dims()[..rank - 2]);
    let shift = batch.rank() - operand_batch.rank();
    let strides: Vec<usize> = (0..batch.rank())
        .map(|axis| {
            if axis < shift || operand_batch.dims()[axis - shift] == 1 {
                0
            } else {
                affine.strides[axis - shift]
            }
        })
        .collect();
    // One stride s must generate them all: axis a has s · (product of later extents), or
    // the operand is broadcast along every batch axis.
    if strides.iter().all(|&s| s == 0) {
        return Some(MatrixLayout {
            transposed,
            batch_stride: 0,
        });
    }
    let mut unit = None;
    let mut later = 1;
    for axis in (0..batch.rank()).rev() {
        let dim = batch.dims()[axis];
        if dim > 1 {
            let candidate = strides[axis] / later;
            if strides[axis] != candidate * later || candidate == 0 {
                return None;
            }
            match unit {
                None => unit = Some(candidate),
                Some(u) if u == candidate => {}
                Some(_) => return None,
            }
        }
        later *= dim;
    }
    Some(MatrixLayout {
        transposed,
        batch_stride: unit.unwrap_or(0),
    })
}
