//! What one matmul kernel computes: shapes, how each operand is read, the fused epilogue,
//! and whether the result is added to C. The template ([`super::matmul`]) turns a spec
//! plus a tile choice ([`super::tuning`]) into WGSL.

use super::KernelError;

/// How an operand of the product is read from its binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A plain row-major matrix per batch element. A is stored `[m, k]` (or `[k, m]` when
    /// `transposed`), B is stored `[k, n]` (or `[n, k]` when `transposed`). Batch element
    /// `z` starts `z * batch_stride` floats into the buffer; a stride of 0 broadcasts one
    /// matrix over the whole batch.
    Strided { transposed: bool, batch_stride: u32 },
    /// A hand-written loader: `wgsl` defines `fn load_a(batch: u32, row: u32, col: u32)
    /// -> f32` (for B: `load_b`) reading the operand's binding (`a_data` / `b_data`,
    /// declared by the template as `array<f32>`, or `array<vec4<f32>>` when `vectorized`).
    /// Rows and columns are those of the logical operand (A: `[m, k]`, B: `[k, n]`); the
    /// loader must return 0 for any row or column out of range (the template asks for
    /// whole tiles). Further buffers the loader reads are declared among the epilogue's
    /// bindings.
    ///
    /// `transposed` says which index is contiguous in memory, as for `Strided`: false
    /// means consecutive columns are adjacent (A: along k, B: along n), true means
    /// consecutive rows are. It only steers which threads load which elements.
    ///
    /// With `vectorized`, `wgsl` instead defines `load_a4` / `load_b4` returning the four
    /// consecutive elements along the contiguous index starting at the given row and
    /// column (which is then a multiple of 4), zero where out of range; the contiguous
    /// extent (A: k or m, B: n or k) must then be a multiple of 4.
    Custom {
        wgsl: String,
        transposed: bool,
        vectorized: bool,
    },
}

impl Operand {
    /// A dense row-major operand with one matrix per batch element, or a broadcast one.
    pub fn strided(transposed: bool, batch_stride: u32) -> Self {
        Operand::Strided {
            transposed,
            batch_stride,
        }
    }

    /// True when consecutive rows (rather than columns) are adjacent in memory.
    pub fn transposed(&self) -> bool {
        match self {
            Operand::Strided { transposed, .. } | Operand::Custom { transposed, .. } => *transposed,
        }
    }
}

/// Pointwise work fused after the product, applied to each output element before it is
/// stored (or, with `accumulate`, before it is added to C).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Epilogue {
    /// Extra binding declarations, in order at `@group(0) @binding(3)`, `(4)`, …, e.g.
    /// `"var<storage, read> bias: array<f32>;"` (the template adds the attribute).
    pub bindings: Vec<String>,
    /// WGSL defining `fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32`,
    /// plus any helpers it needs. Called only for in-range elements.
    pub body: String,
}

impl Default for Epilogue {
    fn default() -> Self {
        Self::identity()
    }
}

impl Epilogue {
    /// Stores the product unchanged.
    pub fn identity() -> Self {
        Self {
            bindings: Vec::new(),
            body: "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {\n    \
                   return value;\n}\n"
                .to_owned(),
        }
    }
}

/// One batched product `C[batch, m, n] (+)= epilogue(sum_k A[batch, m, k] * B[batch, k, n])`,
/// f32 throughout, C row-major and contiguous (`[batch, m, n]`).
///
/// Bindings: 0 = A (read), 1 = B (read), 2 = C (read_write), 3… = the epilogue's.
/// Shapes are compiled into the shader as constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulSpec {
    pub batch: u32,
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub a: Operand,
    pub b: Operand,
    pub epilogue: Epilogue,
    /// Add the epilogue's result to C instead of overwriting it (gradient accumulation).
    pub accumulate: bool,
}

impl MatmulSpec {
    /// A plain batched product of dense operands with matching batch strides, no epilogue.
    pub fn dense(batch: u32, m: u32, n: u32, k: u32) -> Self {
        Self {
            batch,
            m,
            n,
            k,
            a: Operand::strided(false, if batch > 1 { m * k } else { 0 }),
            b: Operand::strided(false, if batch > 1 { k * n } else { 0 }),
            epilogue: Epilogue::identity(),
            accumulate: false,
        }
    }

    /// Storage buffers the kernel binds (A, B, C and the epilogue's).
    pub fn storage_buffers(&self) -> u32 {
        3 + self.epilogue.bindings.len() as u32
    }

    /// Floats of C: `batch * m * n`.
    pub fn output_len(&self) -> u64 {
        self.batch as u64 * self.m as u64 * self.n as u64
    }

    /// Floats a dense A must hold for this spec (the last batch element's end), or `None`
    /// for a custom loader.
    pub fn a_len(&self) -> Option<u64> {
        strided_len(&self.a, self.batch, self.m, self.k)
    }

    /// Floats a dense B must hold for this spec, or `None` for a custom loader.
    pub fn b_len(&self) -> Option<u64> {
        strided_len(&self.b, self.batch, self.k, self.n)
    }

    /// Multiply-adds counted as two operations: `2 * batch * m * n * k`.
    pub fn flops(&self) -> f64 {
        2.0 * self.batch as f64 * self.m as f64 * self.n as f64 * self.k as f64
    }

    /// Rejects shapes the template cannot express.
    pub fn check(&self) -> Result<(), KernelError> {
        if self.batch == 0 || self.m == 0 || self.n == 0 || self.k == 0 {
            return Err(KernelError::EmptyShape {
                batch: self.batch,
                m: self.m,
                n: self.n,
                k: self.k,
            });
        }
        // Indices are computed in u32 inside the shader.
        for (name, len) in [
            ("C", Some(self.output_len())),
            ("A", self.a_len()),
            ("B", self.b_len()),
        ] {
            if let Some(len) = len
                && len > u32::MAX as u64
            {
                return Err(KernelError::TooLarge {
                    operand: name,
                    floats: len,
                });
            }
        }
        for (name, operand, rows, cols) in [
            ("A", &self.a, self.m, self.k),
            ("B", &self.b, self.k, self.n),
        ] {
            if let Operand::Custom {
                transposed: true,
                vectorized: true,
                ..
            } = operand
                && rows % 4 != 0
            {
                return Err(KernelError::VectorLoaderExtent {
                    operand: name,
                    extent: rows,
                });
            }
            if let Operand::Custom {
                transposed: false,
                vectorized: true,
                ..
            } = operand
                && cols % 4 != 0
            {
                return Err(KernelError::VectorLoaderExtent {
                    operand: name,
                    extent: cols,
                });
            }
        }
        Ok(())
    }
}

fn strided_len(operand: &Operand, batch: u32, rows: u32, cols: u32) -> Option<u64> {
    match operand {
        Operand::Strided { batch_stride, .. } => Some(
            (batch as u64).saturating_sub(1) * *batch_stride as u64 + rows as u64 * cols as u64,
        ),
        Operand::Custom { .. } => None,
    }
}
