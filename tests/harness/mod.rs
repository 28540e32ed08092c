//! The graph tests' harness: seeded test data, running a graph on one backend, NumPy-style
//! index arithmetic for the f64 references, and f32-aware comparisons.
//!
//! The references in the test files are plain nested loops over these index helpers; none
//! of them calls the library's own kernels, shapes or broadcasting code.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use wgzero::backend::Compute;
use wgzero::graph::kernels::ConvShape;
use wgzero::graph::{CompileOptions, Graph, Program};

/// A convolution of `batch` NHWC images of `height × width` with `in_channels`, into
/// `out_channels`, with a `kernel × kernel` window (the kernel tests' shorthand).
pub fn conv_shape(
    batch: u32,
    height: u32,
    width: u32,
    in_channels: u32,
    out_channels: u32,
    kernel: u32,
) -> ConvShape {
    ConvShape {
        batch,
        height,
        width,
        in_channels,
        out_channels,
        kernel,
    }
}

/// Seeded random test data. Every generator avoids exact zeros unless it says otherwise.
pub struct Data {
    rng: StdRng,
}

impl Data {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Uniform on `[low, high)`.
    pub fn uniform(&mut self, count: usize, low: f32, high: f32) -> Vec<f32> {
        (0..count)
            .map(|_| low + (high - low) * self.rng.random::<f32>())
            .collect()
    }

    /// Magnitude uniform on `[low, high)` with a random sign: kept away from zero.
    pub fn signed(&mut self, count: usize, low: f32, high: f32) -> Vec<f32> {
        (0..count)
            .map(|_| {
                let magnitude = low + (high - low) * self.rng.random::<f32>();
                if self.rng.random::<bool>() {
                    magnitude
                } else {
                    -magnitude
                }
            })
            .collect()
    }

    /// Whole numbers in `low..=high` as f32, so that comparisons meet ties (zeros included).
    pub fn integers(&mut self, count: usize, low: i32, high: i32) -> Vec<f32> {
        (0..count)
            .map(|_| self.rng.random_range(low..=high) as f32)
            .collect()
    }

    /// Indices below `bound`.
    pub fn indices(&mut self, count: usize, bound: usize) -> Vec<u32> {
        (0..count)
            .map(|_| self.rng.random_range(0..bound) as u32)
            .collect()
    }

    /// A 0/1 legality mask over rows of `columns`: each entry legal with probability
    /// `legal`, and every row keeps at least one legal entry.
    pub fn mask(&mut self, rows: usize, columns: usize, legal: f64) -> Vec<f32> {
        let mut mask = vec![0.0; rows * columns];
        for row in mask.chunks_mut(columns) {
            for entry in row.iter_mut() {
                *entry = if self.rng.random_bool(legal) {
                    1.0
                } else {
                    0.0
                };
            }
            let forced = self.rng.random_range(0..columns);
            row[forced] = 1.0;
        }
        mask
    }

    /// `count` distinct picks from `0..bound` in random order.
    pub fn distinct(&mut self, count: usize, bound: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..bound).collect();
        for i in 0..count {
            let j = self.rng.random_range(i..bound);
            all.swap(i, j);
        }
        all.truncate(count);
        all
    }
}

pub fn element_count(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// Row-major coordinates of element `flat` of a tensor with extents `dims`.
pub fn coordinates(flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut coordinates = vec![0; dims.len()];
    let mut rest = flat;
    for axis in (0..dims.len()).rev() {
        coordinates[axis] = rest % dims[axis];
        rest /= dims[axis];
    }
    coordinates
}

/// Row-major flat index of `coordinates` in a tensor with extents `dims`.
pub fn flat_index(coordinates: &[usize], dims: &[usize]) -> usize {
    coordinates
        .iter()
        .zip(dims)
        .fold(0, |flat, (&c, &d)| flat * d + c)
}

/// Flat index into an operand with extents `dims` read at output `coordinates` under
/// NumPy broadcasting: missing leading axes and size-1 axes are not indexed.
pub fn broadcast_index(coordinates: &[usize], dims: &[usize]) -> usize {
    let shift = coordinates.len() - dims.len();
    let own: Vec<usize> = dims
        .iter()
        .enumerate()
        .map(|(axis, &d)| if d == 1 { 0 } else { coordinates[axis + shift] })
        .collect();
    flat_index(&own, dims)
}

/// NumPy broadcast of two extents lists.
pub fn broadcast_dims(a: &[usize], b: &[usize]) -> Vec<usize> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|axis| {
            let from = |d: &[usize]| {
                (axis + d.len())
                    .checked_sub(rank)
                    .map_or(1, |position| d[position])
            };
            let (x, y) = (from(a), from(b));
            assert!(
                x == y || x == 1 || y == 1,
                "{a:?} and {b:?} do not broadcast"
            );
            x.max(y)
        })
        .collect()
}

/// How far an f32 result may be from its f64 reference: `|got − want| ≤ absolute +
/// relative · |want|`.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub absolute: f64,
    pub relative: f64,
}

impl Tolerance {
    /// One rounding of a pointwise function (with GPU transcendentals' few ulps).
    pub const POINTWISE: Tolerance = Tolerance {
        absolute: 1e-5,
        relative: 1e-4,
    };
    /// Exact results: copies and re-indexing.
    pub const EXACT: Tolerance = Tolerance {
        absolute: 0.0,
        relative: 0.0,
    };

    /// A sum of `terms` products of magnitude ≤ about 1: rounding grows like √terms.
    pub fn accumulated(terms: usize) -> Tolerance {
        let growth = (terms as f64).sqrt().max(1.0);
        Tolerance {
            absolute: 1e-5 * growth,
            relative: 1e-4 * growth,
        }
    }
}

/// Panics, naming `what`, the worst element and its index, unless every element of `got`
/// is within `tolerance` of `want`.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], tolerance: Tolerance) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} values, the reference has {}",
        got.len(),
        want.len()
    );
    let mut worst: Option<(usize, f64)> = None;
    for (index, (&g, &w)) in got.iter().zip(want).enumerate() {
        let error = (f64::from(g) - w).abs();
        let bound = tolerance.absolute + tolerance.relative * w.abs();
        let excess = if g.is_finite() {
            error / bound
        } else {
            f64::INFINITY
        };
        // NaN compares false, so test the passing condition.
        let passes = g.is_finite() && error <= bound;
        if !passes && worst.is_none_or(|(_, e)| excess > e || e.is_nan()) {
            worst = Some((index, excess));
        }
    }
    if let Some((index, _)) = worst {
        panic!(
            "{what}: element {index} is {} but the reference is {} (tolerance {:?}); \
             first values {:?} vs {:?}",
            got[index],
            want[index],
            tolerance,
            &got[..got.len().min(6)],
            &want[..want.len().min(6)]
        );
    }
}

pub fn widen(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// Compiles `graph` for `compute` with the default options (fusion on, seed 0).
pub fn compile(graph: &Graph, compute: &Compute) -> Program {
    Program::compile(graph, compute, &CompileOptions::default())
        .unwrap_or_else(|error| panic!("compiling on {}: {error}", compute.name()))
}

/// Compiles `graph`, writes `inputs` and runs it once.
pub fn run(graph: &Graph, compute: &Compute, inputs: &[(&str, &[f32])]) -> Program {
    let mut program = compile(graph, compute);
    for (name, values) in inputs {
        program
            .write(name, values)
            .unwrap_or_else(|error| panic!("writing {name}: {error}"));
    }
    program
        .run()
        .unwrap_or_else(|error| panic!("running on {}: {error}", compute.name()));
    program
}

/// Reads the output `name`.
pub fn read(program: &Program, name: &str) -> Vec<f32> {
    program
        .read(name)
        .unwrap_or_else(|error| panic!("reading {name}: {error}"))
}
