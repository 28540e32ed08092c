//! The board-resident tensor-core convolution: 3×3 'same' convolutions over small boards
//! (chess's 8×8) on cooperative matrices, all three passes.
//!
//! The implicit-GEMM route ([`super::coop`] with the im2col loader) reads every input
//! element once per tap, nine times in all. Here a workgroup stages a band of board rows
//! of 16 boards, with a one-square halo, **once** in workgroup memory (f16, zero padded) and
//! multiplies all nine taps from there.
//!
//! The trick that makes a shifted window a plain cooperative-matrix load: workgroup memory
//! holds the image as `[row][column][board][channel]` (16 channels of a chunk), so one
//! 16×16 fragment is one square of the 16 boards × 16 channels, 512 contiguous bytes (free
//! of bank conflicts), and a tap's shift only moves the fragment's base.
//!
//! - **Forward and grad input** ([`BoardPass::Image`]): a workgroup owns one band of
//!   `16 / width` rows (16 squares) of 16 boards × 64 output columns. Per chunk of 16 image
//!   channels it stages the band with its halo and the chunk's weights (`[tap][column]
//!   [channel]`). 8 subgroups: 4 along the squares (4 each), 2 along the columns (32 each);
//!   a fragment row is a board, so an output row is that board's pixel.
//! - **Grad weight** ([`BoardPass::GradWeight`]): a workgroup owns one chunk of 16 input
//!   channels × 64 output columns × 9 taps and sums over its slice of the (16 boards, board
//!   row) steps: per step it needs the input's row and its two neighbours (the halo), held
//!   in a ring of three staged rows (a step down the rows of a block of boards stages only
//!   the new one: a third of the image loads), and the gradient's row (`[square][column
//!   block][board][column]`). 8 subgroups: 4 along
//!   the columns (16 each), 2 over the taps (5 and 4 of them). The A fragment is
//!   (channels × boards), the B fragment (boards × columns): the sum runs over boards, then
//!   squares, then steps. Each slice writes its partial sums, as the implicit GEMM's split
//!   grad weight does ([`super::conv2d_grad_weight`]), for the same summing kernel.
//!
//! Image passes issue the loads of the next chunk before this one's products; grad weight
//! loads each step's rows between its two barriers. The output goes through a per-subgroup
//! 16×16 f32 staging area to the fused epilogue, as in the implicit-GEMM template
//! (`coop::store_staged`).
//!
//! Shapes: image channels (and for grad weight output channels) a multiple of 4 (vec4
//! loads; a partial last chunk reads zeros); any batch and column count (guarded). The image
//! passes need a width of 2, 4 or 8 with the height a multiple of `16 / width`; grad weight
//! any width up to 8. Other convolutions use [`super::coop`].

use std::fmt::Write;

use super::KernelError;
use super::conv::ConvShape;
use super::coop::{ENABLES, SUBGROUP, StagedRow, bad_scale, entry_point, scaled, store_staged};
use super::loaders::Stager;
use super::matmul::{Guards, bindings, describe, functions, stagers_for};
use super::spec::MatmulSpec;

/// Boards per workgroup: the rows (image passes) or the k depth (grad weight) of one
/// fragment.
const BOARDS: u32 = 16;
/// Image channels per chunk: one fragment's k depth (image passes) or rows (grad weight).
const CHUNK: u32 = 16;
/// Output columns per workgroup.
const TILE_N: u32 = 64;
/// Board squares per workgroup of an image pass (4 subgroups × 4 fragments).
const SQUARES: u32 = 16;
/// Squares (fragments along m) and columns per subgroup of an image pass.
const WARP_SQUARES: u32 = 4;
const WARP_N: u32 = 32;
/// Taps per subgroup of grad weight (two groups of subgroups share the nine).
const WARP_TAPS: u32 = 5;
const SUBGROUPS: u32 = 8;
const THREADS: u32 = SUBGROUPS * SUBGROUP;
/// Taps of the 3×3 kernel.
const TAPS: u32 = 9;
/// vec4<f16> units per staged square (16 boards × 16 channels).
const SQUARE_VECTORS: u32 = BOARDS * CHUNK / 4;

/// Which product a board-resident kernel computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum BoardPass {
    /// Rows are pixels: the forward pass (image = input, B = the weight) or grad input
    /// (image = grad output, B = the flipped weight), from [`super::conv2d_forward`] /
    /// [`super::conv2d_grad_input`].
    Image,
    /// Rows are (tap, input channel): grad weight from [`super::conv2d_grad_weight`], A =
    /// the input image, B = grad output; `spec.batch` slices of partial sums.
    GradWeight,
}

/// A board-resident convolution pass over NHWC images with `channels` per pixel (the
/// contraction per tap of an image pass: the input's channels forward, the output's for
/// grad input; the input's for grad weight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct BoardConv {
    pub pass: BoardPass,
    pub batch: u32,
    pub height: u32,
    pub width: u32,
    pub channels: u32,
}

impl BoardConv {
    /// The forward pass of `shape`, as [`super::conv2d_forward`] specifies it: the image is
    /// the input.
    pub fn forward(shape: &ConvShape) -> Self {
        Self::of(shape, BoardPass::Image, shape.in_channels)
    }

    /// Grad input of `shape` ([`super::conv2d_grad_input`]): the image is the output's
    /// gradient.
    pub fn grad_input(shape: &ConvShape) -> Self {
        Self::of(shape, BoardPass::Image, shape.out_channels)
    }

    /// Grad weight of `shape` ([`super::conv2d_grad_weight`]): the image is the input.
    pub fn grad_weight(shape: &ConvShape) -> Self {
        Self::of(shape, BoardPass::GradWeight, shape.in_channels)
    }

    fn of(shape: &ConvShape, pass: BoardPass, channels: u32) -> Self {
        Self {
            pass,
            batch: shape.batch,
            height: shape.height,
            width: shape.width,
            channels,
        }
    }

    /// Board rows staged per workgroup (image passes) or step (grad weight), halo included.
    fn staged_rows(&self) -> u32 {
        match self.pass {
            BoardPass::Image => SQUARES / self.width + 2,
            BoardPass::GradWeight => 3,
        }
    }

    fn staged_columns(&self) -> u32 {
        self.width + 2
    }

    /// A short name for benchmark output: `board16x2x8` (16 boards × a band of 2 rows of
    /// 8) for an image pass, `board16x1x8_gw` for grad weight (one row per step).
    pub fn name(&self) -> String {
        match self.pass {
            BoardPass::Image => format!("board{BOARDS}x{}x{}", SQUARES / self.width, self.width),
            BoardPass::GradWeight => format!("board{BOARDS}x1x{}_gw", self.width),
        }
    }

    /// Workgroup memory: the staged image, the staged weights (image passes) or gradient
    /// row (grad weight), and the f32 output staging.
    pub fn workgroup_storage_bytes(&self) -> u32 {
        let image = self.staged_rows() * self.staged_columns() * SQUARE_VECTORS * 8;
        let other = match self.pass {
            BoardPass::Image => TAPS * TILE_N * CHUNK * 2,
            BoardPass::GradWeight => self.width * BOARDS * TILE_N * 2,
        };
        image + other + SUBGROUPS * 16 * 16 * 4
    }

    /// Invocations per workgroup.
    pub fn threads(&self) -> u32 {
        THREADS
    }

    /// Rejects shapes the template does not handle, saying which to use instead.
    pub fn validate(&self, spec: &MatmulSpec) -> Result<(), KernelError> {
        let invalid = |reason: String| KernelError::InvalidConv {
            reason: format!("{reason}; use the implicit-GEMM template (coop) for it"),
        };
        let board_fits = match self.pass {
            BoardPass::Image => {
                [2, 4, 8].contains(&self.width) && self.height.is_multiple_of(SQUARES / self.width)
            }
            BoardPass::GradWeight => (1..=8).contains(&self.width) && self.height > 0,
        };
        if !board_fits {
            return Err(invalid(format!(
                "board {}x{} is not one the board template tiles (image passes: width 2, 4 or 8, height a multiple of 16 / width; grad weight: width up to 8)",
                self.height, self.width
            )));
        }
        if !self.channels.is_multiple_of(4) {
            return Err(invalid(format!(
                "{} image channels are not a multiple of 4",
                self.channels
            )));
        }
        let pixels = u64::from(self.batch) * u64::from(self.height) * u64::from(self.width);
        let matches = match self.pass {
            BoardPass::Image => {
                spec.batch == 1 && u64::from(spec.m) == pixels && spec.k == TAPS * self.channels
            }
            BoardPass::GradWeight => {
                spec.m == TAPS * self.channels
                    && u64::from(spec.k) * u64::from(spec.batch) >= pixels
            }
        };
        if !matches {
            return Err(invalid(format!(
                "spec {}x{}x{} (batch {}) is not a 3x3 convolution pass of {self:?}",
                spec.m, spec.n, spec.k, spec.batch
            )));
        }
        let (a, b) = stagers(spec);
        if a.width() != 4 || b.width() != 4 {
            return Err(invalid(
                "an operand cannot be read four at a time".to_owned(),
            ));
        }
        Ok(())
    }
}

fn stagers(spec: &MatmulSpec) -> (Stager<'_>, Stager<'_>) {
    stagers_for(spec, TILE_N, TILE_N, CHUNK, THREADS)
}

/// Workgroups to dispatch. Image passes: `[column blocks, board blocks × row bands, 1]`,
/// the bands of one board block adjacent so that their shared halo rows meet in L2. Grad
/// weight: `[column blocks, channel chunks, slices]`.
pub fn board_workgroups(spec: &MatmulSpec, conv: &BoardConv) -> [u32; 3] {
    let columns = spec.n.div_ceil(TILE_N);
    match conv.pass {
        BoardPass::Image => [
            columns,
            conv.batch.div_ceil(BOARDS) * conv.height / (SQUARES / conv.width),
            1,
        ],
        BoardPass::GradWeight => [columns, conv.channels.div_ceil(CHUNK), spec.batch],
    }
}

/// The shader computing `spec`, a 3×3 convolution pass of `conv`, on cooperative matrices,
/// with A's image multiplied by `scale_a` and B by `scale_b` (powers of two) before rounding
/// to f16.
pub fn board_wgsl(
    spec: &MatmulSpec,
    conv: &BoardConv,
    scale_a: f32,
    scale_b: f32,
) -> Result<String, KernelError> {
    spec.check()?;
    conv.validate(spec)?;
    if let Some(reason) = bad_scale([scale_a, scale_b]) {
        return Err(KernelError::InvalidConv { reason });
    }
    let groups = board_workgroups(spec, conv);
    if groups.iter().any(|&count| count > 65535) {
        return Err(KernelError::TooManyWorkgroups { workgroups: groups });
    }
    let (a, b) = stagers(spec);
    let mut out = String::new();
    describe(
        &mut out,
        " on cooperative matrices, board-resident",
        spec,
        &conv.name(),
        &format!(
            ", image {}x{}x{}x{}, operand scales {scale_a} and {scale_b}",
            conv.batch, conv.height, conv.width, conv.channels
        ),
    );
    out.push_str(ENABLES);
    bindings(&mut out, spec, &a, &b, false);
    let (other, other_len) = match conv.pass {
        BoardPass::Image => (
            "// [tap][output column][channel], one chunk of channels.\nvar<workgroup> b_tile",
            TAPS * TILE_N * CHUNK / 4,
        ),
        BoardPass::GradWeight => (
            "// [square][block of 16 columns][board][column] of the gradient's row.\nvar<workgroup> b_tile",
            conv.width * BOARDS * TILE_N / 4,
        ),
    };
    let _ = writeln!(
        out,
        "\n// [row][column][board][channel] of the staged rows and their halo, one chunk of channels.\n\
         var<workgroup> x_tile: array<vec4<f16>, {}>;\n\
         {other}: array<vec4<f16>, {other_len}>;\n\
         var<workgroup> c_rows: array<f32, {}>;\n",
        conv.staged_rows() * conv.staged_columns() * SQUARE_VECTORS,
        SUBGROUPS * 256,
    );
    functions(&mut out, spec);
    entry_point(&mut out, THREADS);
    let _ = writeln!(out, "    let col0 = group.x * {TILE_N}u;");
    let image = Image {
        conv,
        scale: scale_a,
    };
    image.declare(&mut out);
    image.zero_halo(&mut out);
    match conv.pass {
        BoardPass::Image => image_pass(&mut out, spec, &image, &b, scale_b),
        BoardPass::GradWeight => grad_weight_pass(&mut out, spec, &image, scale_b),
    }
    let _ = writeln!(out, "}}");
    Ok(out)
}

/// The staging of the image's rows (`y0 - 1 ..` of boards `board0 ..`, WGSL variables in
/// scope of the load) into `x_tile`.
struct Image<'a> {
    conv: &'a BoardConv,
    scale: f32,
}

/// Which staged rows a load or store covers: `count` rows from source row `y0 + first - 1`.
/// In a ring (grad weight), source row `y` sits in slot `(y + 1) % 3`; otherwise row `r` of
/// the selection sits in slot `r`.
#[derive(Clone, Copy)]
struct Rows {
    count: u32,
    first: u32,
    ring: bool,
}

impl Image<'_> {
    /// Every staged row, each in its own slot.
    fn all_rows(&self) -> Rows {
        Rows {
            count: self.conv.staged_rows(),
            first: 0,
            ring: false,
        }
    }

    fn units(&self, rows: Rows) -> u32 {
        rows.count * self.conv.width * BOARDS * (CHUNK / 4)
    }

    fn declare(&self, out: &mut String) {
        for slot in 0..self.units(self.all_rows()).div_ceil(THREADS) {
            let _ = writeln!(out, "    var x_stage_{slot}: vec4<f32>;");
        }
    }

    /// The halo columns are zero for every chunk and step: written once.
    fn zero_halo(&self, out: &mut String) {
        let conv = self.conv;
        let _ = writeln!(
            out,
            "    for (var unit = thread; unit < {units}u; unit += {THREADS}u) {{\n        \
             let quad = unit % 4u;\n        \
             let board = (unit / 4u) % {BOARDS}u;\n        \
             let column = ((unit / {per_side}u) % 2u) * {last_column}u;\n        \
             let row = unit / {per_row}u;\n        \
             x_tile[((row * {columns}u + column) * {BOARDS}u + board) * 4u + quad] = vec4<f16>(0.0);\n    \
             }}",
            units = conv.staged_rows() * 2 * BOARDS * 4,
            per_side = 4 * BOARDS,
            per_row = 8 * BOARDS,
            last_column = conv.width + 1,
            columns = conv.staged_columns(),
        );
    }

    /// A statement block for each of this thread's units of `rows`, `body` given the
    /// unit's register: consecutive threads take the four quads of a pixel, then the pixels
    /// of a row, then boards, then rows (`row` in the selection, `ys` = source row + 1).
    fn per_unit(&self, out: &mut String, rows: Rows, body: &dyn Fn(&str) -> String) {
        let width = self.conv.width;
        let units = self.units(rows);
        for slot in 0..units.div_ceil(THREADS) {
            let guard = if (slot + 1) * THREADS > units {
                format!("if (thread + {}u < {units}u) ", slot * THREADS)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "        {guard}{{\n            \
                 let unit = thread + {offset}u;\n            \
                 let quad = unit % 4u;\n            \
                 let x = (unit / 4u) % {width}u;\n            \
                 let board = (unit / {per_board}u) % {BOARDS}u;\n            \
                 let row = unit / {per_row}u;\n            \
                 let ys = y0 + row + {first}u;\n{}        }}",
                body(&format!("x_stage_{slot}")),
                offset = slot * THREADS,
                per_board = 4 * width,
                per_row = 4 * width * BOARDS,
                first = rows.first,
            );
        }
    }

    /// Loads channels `c0 ..` (a WGSL expression) of `rows` into registers.
    fn load(&self, out: &mut String, c0: &str, rows: Rows) {
        let BoardConv {
            batch,
            height,
            width,
            channels,
            ..
        } = *self.conv;
        self.per_unit(out, rows, &|register| {
            format!(
                "            let image = board0 + board;\n            \
                 let channel = {c0} + quad * 4u;\n            \
                 {register} = vec4<f32>(0.0);\n            \
                 if (ys >= 1u && ys <= {height}u && image < {batch}u && channel < {channels}u) {{\n                \
                 {register} = a_data[(((image * {height}u + ys - 1u) * {width}u + x) * {channels}u + channel) >> 2u];\n            \
                 }}\n"
            )
        });
    }

    /// Stores the registers of `rows` into their slots of `x_tile` as f16, scaled.
    fn store(&self, out: &mut String, rows: Rows) {
        let slot = if rows.ring { "ys % 3u" } else { "row" };
        self.per_unit(out, rows, &|register| {
            format!(
                "            x_tile[((({slot}) * {columns}u + x + 1u) * {BOARDS}u + board) * 4u + quad] = vec4<f16>({});\n",
                scaled(register, self.scale),
                columns = self.conv.staged_columns(),
            )
        });
    }
}

/// Forward or grad input: per chunk of image channels, the band and the chunk's weights,
/// then nine taps of products per subgroup.
fn image_pass(out: &mut String, spec: &MatmulSpec, image: &Image, b: &Stager, scale_b: f32) {
    let conv = image.conv;
    let (width, channels) = (conv.width, conv.channels);
    let rows = SQUARES / width;
    let bands = conv.height / rows;
    let chunks = channels.div_ceil(CHUNK);
    let columns = conv.staged_columns();
    let _ = writeln!(
        out,
        "    let batch = 0u;\n    \
         let board0 = (group.y / {bands}u) * {BOARDS}u;\n    \
         let y0 = (group.y % {bands}u) * {rows}u;\n    \
         let warp_square = (subgroup / {warps_n}u) * {WARP_SQUARES}u;\n    \
         let warp_col = (subgroup % {warps_n}u) * {WARP_N}u;",
        warps_n = TILE_N / WARP_N,
    );
    for i in 0..WARP_SQUARES {
        let square = format!("warp_square + {i}u");
        let _ = writeln!(
            out,
            "    // Fragment row block {i}: square {square} of the band, at tap (0, 0).\n    \
             let a_base_{i} = ((({square}) / {width}u) * {columns}u + ({square}) % {width}u) * {SQUARE_VECTORS}u;",
        );
        for j in 0..WARP_N / 16 {
            let _ = writeln!(out, "    var acc_{i}_{j}: coop_mat16x16<f32, C>;");
        }
    }
    for tap in 0..TAPS {
        let _ = writeln!(out, "    var w_stage_{tap}: vec4<f32>;");
    }
    let load = |out: &mut String, c0: &str| {
        image.load(out, c0, image.all_rows());
        let read = b.read_expression();
        for tap in 0..TAPS {
            // One vec4 per thread per tap: (column, four channels) or (four columns,
            // channel), along the weight's contiguous index.
            let (column, channel) = if b.k_contiguous() {
                ("(thread / 4u)", "((thread % 4u) * 4u)")
            } else {
                ("((thread / 16u) * 4u)", "(thread % 16u)")
            };
            let _ = writeln!(
                out,
                "        {{\n            \
                 let channel = {c0} + {channel};\n            \
                 let outer = col0 + {column};\n            \
                 let k = {tap}u * {channels}u + channel;\n            \
                 w_stage_{tap} = vec4<f32>(0.0);\n            \
                 if (channel < {channels}u && outer < {n}u) {{ w_stage_{tap} = {read}; }}\n        \
                 }}",
                n = spec.n,
            );
        }
    };
    let _ = writeln!(out, "    {{");
    load(out, "0u");
    let _ = writeln!(
        out,
        "    }}\n    for (var chunk = 0u; chunk < {chunks}u; chunk++) {{\n        workgroupBarrier();"
    );
    image.store(out, image.all_rows());
    for tap in 0..TAPS {
        let register = scaled(&format!("w_stage_{tap}"), scale_b);
        if b.k_contiguous() {
            let _ = writeln!(
                out,
                "        b_tile[({tap}u * {TILE_N}u + thread / 4u) * 4u + thread % 4u] = vec4<f16>({register});"
            );
        } else {
            let _ = writeln!(
                out,
                "        {{\n            \
                 let value = vec4<f16>({register});\n            \
                 let channel = thread % 16u;\n            \
                 let column = ({tap}u * {TILE_N}u + (thread / 16u) * 4u) * {CHUNK}u + channel;"
            );
            for lane in 0..4 {
                let _ = writeln!(
                    out,
                    "            b_tile[(column + {offset}u) >> 2u][channel & 3u] = value[{lane}];",
                    offset = lane * CHUNK,
                );
            }
            let _ = writeln!(out, "        }}");
        }
    }
    let _ = writeln!(
        out,
        "        workgroupBarrier();\n        \
         if (chunk + 1u < {chunks}u) {{\n        \
         let c_next = (chunk + 1u) * {CHUNK}u;"
    );
    load(out, "c_next");
    let _ = writeln!(out, "        }}");
    for tap in 0..TAPS {
        let shift = ((tap / 3) * columns + tap % 3) * SQUARE_VECTORS;
        let _ = writeln!(out, "        {{");
        for j in 0..WARP_N / 16 {
            let _ = writeln!(
                out,
                "            let b{j} = coopLoad<coop_mat16x16<f16, B>>(&b_tile[({tap}u * {TILE_N}u + warp_col + {column}u) * 4u], 4u);",
                column = j * 16,
            );
        }
        for i in 0..WARP_SQUARES {
            let _ = writeln!(
                out,
                "            let a{i} = coopLoadT<coop_mat16x16<f16, A>>(&x_tile[a_base_{i} + {shift}u], 4u);"
            );
            for j in 0..WARP_N / 16 {
                let _ = writeln!(
                    out,
                    "            acc_{i}_{j} = coopMultiplyAdd(a{i}, b{j}, acc_{i}_{j});"
                );
            }
        }
        let _ = writeln!(out, "        }}");
    }
    let _ = writeln!(out, "    }}\n    let c_base = subgroup * 256u;");
    let guards = Guards {
        rows: !conv.batch.is_multiple_of(BOARDS),
        columns: !spec.n.is_multiple_of(TILE_N),
    };
    let unscale = 1.0 / (image.scale * scale_b);
    let mut staged = Vec::new();
    for i in 0..WARP_SQUARES {
        for j in 0..WARP_N / 16 {
            // Fragment row = board, column = output column.
            let place = format!(
                "        let square = warp_square + {i}u;\n        \
                 let row = ((board0 + r) * {height}u + y0 + square / {width}u) * {width}u + square % {width}u;\n        \
                 let col = col0 + warp_col + {column}u + c;\n",
                height = conv.height,
                column = j * 16,
            );
            staged.push(StagedRow {
                accumulators: vec![format!("acc_{i}_{j}")],
                place,
                condition: None,
            });
        }
    }
    store_staged(out, spec, guards, &staged, unscale);
}

/// Grad weight: per (16 boards, board row) step of this workgroup's slice, the input row
/// with its halo and the gradient's row, then per square one gradient fragment times the
/// input fragment of each of this subgroup's taps.
fn grad_weight_pass(out: &mut String, spec: &MatmulSpec, image: &Image, scale_b: f32) {
    let conv = image.conv;
    let BoardConv {
        batch,
        height,
        width,
        channels,
        ..
    } = *conv;
    let steps = batch.div_ceil(BOARDS) * height;
    let per_slice = steps.div_ceil(spec.batch);
    let n = spec.n;
    let warps_n = TILE_N / 16;
    let _ = writeln!(
        out,
        "    let batch = group.z;\n    \
         let c0 = group.y * {CHUNK}u;\n    \
         let warp_col = (subgroup % {warps_n}u) * 16u;\n    \
         let tap0 = (subgroup / {warps_n}u) * {WARP_TAPS}u;\n    \
         let first = batch * {per_slice}u;\n    \
         let last = min(first + {per_slice}u, {steps}u);"
    );
    for i in 0..WARP_TAPS {
        // The fifth tap of the second group does not exist: it multiplies tap 8 again,
        // and its result is not stored.
        let _ = writeln!(
            out,
            "    let tap_{i} = min(tap0 + {i}u, {last}u);\n    \
             var acc_{i}: coop_mat16x16<f32, C>;",
            last = TAPS - 1,
        );
    }
    // The image rows sit in a ring of three slots: source row `y` in slot `(y + 1) % 3`.
    // Steps run down the rows of a block of boards, so a step after the first of its block
    // stages one new row (`y0 + 1`) over the one no longer needed; the first stages all
    // three. Loads go straight to workgroup memory: prefetching them one step ahead in
    // registers gained nothing (docs/rejected-optimizations.md, gathered-epilogue session).
    let ring = |out: &mut String, count: u32, first: u32| {
        let rows = Rows {
            count,
            first,
            ring: true,
        };
        image.load(out, "c0", rows);
        image.store(out, rows);
    };
    let _ = writeln!(
        out,
        "    for (var step = first; step < last; step++) {{\n        \
         let board0 = (step / {height}u) * {BOARDS}u;\n        \
         let y0 = step % {height}u;\n        \
         workgroupBarrier();\n        \
         if (step == first || y0 == 0u) {{"
    );
    ring(out, 3, 0);
    let _ = writeln!(out, "        }} else {{");
    ring(out, 1, 2);
    let _ = writeln!(out, "        }}");
    // The gradient's row: W squares × 16 boards × 64 columns, one vec4 of columns a unit.
    for slot in 0..width {
        let _ = writeln!(
            out,
            "        {{\n            \
             let unit = thread + {offset}u;\n            \
             let quad = unit % {quads}u;\n            \
             let x = (unit / {quads}u) % {width}u;\n            \
             let board = unit / {per_board}u;\n            \
             let image = board0 + board;\n            \
             let col = col0 + quad * 4u;\n            \
             var value = vec4<f32>(0.0);\n            \
             if (image < {batch}u && col < {n}u) {{\n                \
             value = b_data[(((image * {height}u + y0) * {width}u + x) * {n}u + col) >> 2u];\n            \
             }}\n            \
             b_tile[((x * {blocks}u + quad / 4u) * {BOARDS}u + board) * 4u + quad % 4u] = vec4<f16>({});\n        \
             }}",
            scaled("value", scale_b),
            offset = slot * THREADS,
            quads = TILE_N / 4,
            per_board = TILE_N / 4 * width,
            blocks = TILE_N / 16,
        );
    }
    let _ = writeln!(out, "        workgroupBarrier();");
    for i in 0..WARP_TAPS {
        let _ = writeln!(
            out,
            "        let a_shift_{i} = (((y0 + tap_{i} / 3u) % 3u) * {columns}u + tap_{i} % 3u) * {SQUARE_VECTORS}u;",
            columns = conv.staged_columns(),
        );
    }
    for x in 0..width {
        let _ = writeln!(
            out,
            "        {{\n            \
             let b = coopLoadT<coop_mat16x16<f16, B>>(&b_tile[(({x}u * {blocks}u + warp_col / 16u) * {BOARDS}u) * 4u], 4u);",
            blocks = TILE_N / 16,
        );
        for i in 0..WARP_TAPS {
            let _ = writeln!(
                out,
                "            acc_{i} = coopMultiplyAdd(coopLoad<coop_mat16x16<f16, A>>(&x_tile[a_shift_{i} + {offset}u], 4u), b, acc_{i});",
                offset = x * SQUARE_VECTORS,
            );
        }
        let _ = writeln!(out, "        }}");
    }
    let _ = writeln!(out, "    }}\n    let c_base = subgroup * 256u;");
    let guards = Guards {
        rows: false,
        columns: !n.is_multiple_of(TILE_N),
    };
    let mut staged = Vec::new();
    for i in 0..WARP_TAPS {
        // Fragment row = input channel, column = output column.
        let place = format!(
            "        let channel = c0 + r;\n        \
             let row = tap_{i} * {channels}u + channel;\n        \
             let col = col0 + warp_col + c;\n"
        );
        let condition = format!("tap0 + {i}u < {TAPS}u && channel < {channels}u");
        staged.push(StagedRow {
            accumulators: vec![format!("acc_{i}")],
            place,
            condition: Some(condition),
        });
    }
    store_staged(out, spec, guards, &staged, 1.0 / (image.scale * scale_b));
}
