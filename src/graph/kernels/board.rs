//! The board-resident tensor-core convolution: 3×3 'same' convolutions over small boards
//! (chess's 8×8), forward and grad input, on cooperative matrices.
//!
//! The implicit-GEMM route ([`super::coop`] with the im2col loader) reads every input
//! element once per tap, nine times in all. Here a workgroup owns 16 boards × one band of
//! `16 / width` board rows and every output column block of 64; per chunk of 16 image
//! channels it stages its band's rows, with a one-square halo, **once** in workgroup
//! memory (f16, zero padded), then multiplies all nine taps from there.
//!
//! The trick that makes a shifted window a plain cooperative-matrix load: workgroup memory
//! holds the image as `[row][column][board][channel]`, so one 16×16 A fragment is one
//! square of the 16 boards (rows = boards, stride 16 halves) × 16 channels, and a tap's
//! shift only moves the fragment's base. The output row of fragment element (board,
//! channel) is that board's pixel. Weights (B) are staged per chunk as `[tap][column]
//! [channel]`: every fragment in either tile is 512 contiguous bytes, free of bank
//! conflicts.
//!
//! 8 subgroups: 4 along the 16 squares (4 squares each), 2 along the 64 columns (32
//! each); 8 accumulators per subgroup. Loads of the next chunk are issued before this
//! chunk's 72 products per subgroup; a chunk is stored between two barriers. The output
//! goes through a per-subgroup 16×16 f32 staging area to the fused epilogue, as in the
//! implicit-GEMM template.
//!
//! Shapes: width 2, 4 or 8 with the height a multiple of `16 / width`; image channels a
//! multiple of 4 (vec4 loads; a partial last chunk reads zeros); any batch and column count
//! (guarded). Other convolutions use [`super::coop`].

use std::fmt::Write;

use super::KernelError;
use super::coop::SUBGROUP;
use super::matmul::{Guards, bindings, describe, functions, stagers_for, store_four};
use super::spec::MatmulSpec;

/// Boards per workgroup: the rows of one fragment.
const BOARDS: u32 = 16;
/// Image channels per chunk: the k depth of one fragment.
const CHUNK: u32 = 16;
/// Output columns per workgroup.
const TILE_N: u32 = 64;
/// Board squares per workgroup (4 subgroups × 4 fragments).
const SQUARES: u32 = 16;
/// Squares (fragments along m) and columns per subgroup.
const WARP_SQUARES: u32 = 4;
const WARP_N: u32 = 32;
const SUBGROUPS: u32 = (SQUARES / WARP_SQUARES) * (TILE_N / WARP_N);
const THREADS: u32 = SUBGROUPS * SUBGROUP;
/// Taps of the 3×3 kernel.
const TAPS: u32 = 9;

/// The image a board-resident convolution pass reads: NHWC, `channels` per pixel (the
/// contraction per tap: the input's channels for the forward pass, the output's for grad
/// input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct BoardConv {
    pub batch: u32,
    pub height: u32,
    pub width: u32,
    pub channels: u32,
}

impl BoardConv {
    /// Board rows per workgroup.
    fn rows(&self) -> u32 {
        SQUARES / self.width
    }

    /// Staged rows and columns: the band and its halo.
    fn staged(&self) -> (u32, u32) {
        (self.rows() + 2, self.width + 2)
    }

    /// A short name for benchmark output, e.g. `board16x2x8`: boards × rows × columns of
    /// one workgroup's band.
    pub fn name(&self) -> String {
        format!("board{BOARDS}x{}x{}", self.rows(), self.width)
    }

    /// Workgroup memory: the staged image, the staged weights and the f32 output staging.
    pub fn workgroup_storage_bytes(&self) -> u32 {
        let (rows, columns) = self.staged();
        let image = rows * columns * BOARDS * CHUNK * 2;
        let weights = TAPS * TILE_N * CHUNK * 2;
        image + weights + SUBGROUPS * 16 * 16 * 4
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
        if ![2, 4, 8].contains(&self.width) || !self.height.is_multiple_of(self.rows()) {
            return Err(invalid(format!(
                "board {}x{} is not one the board template tiles (width 2, 4 or 8, height a multiple of 16 / width)",
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
        if spec.batch != 1 || u64::from(spec.m) != pixels || spec.k != TAPS * self.channels {
            return Err(invalid(format!(
                "spec {}x{}x{} (batch {}) is not a 3x3 convolution of {self:?}",
                spec.m, spec.n, spec.k, spec.batch
            )));
        }
        let (_, b) = stagers_for(spec, TILE_N, TILE_N, CHUNK, THREADS);
        if b.width() != 4 {
            return Err(invalid(
                "its weight operand cannot be read four at a time".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Workgroups to dispatch: `[column blocks, board blocks × row bands, 1]`; the bands of
/// one board block are adjacent, so their shared halo rows meet in L2.
pub fn board_workgroups(spec: &MatmulSpec, conv: &BoardConv) -> [u32; 3] {
    let bands = conv.height / conv.rows();
    [
        spec.n.div_ceil(TILE_N),
        conv.batch.div_ceil(BOARDS) * bands,
        1,
    ]
}

/// The shader computing `spec` (a 3×3 forward or grad-input convolution of `conv`, from
/// [`super::conv2d_forward`] / [`super::conv2d_grad_input`]) on cooperative matrices, with
/// the image multiplied by `scale_a` and the weights by `scale_b` (powers of two) before
/// rounding to f16.
pub fn board_wgsl(
    spec: &MatmulSpec,
    conv: &BoardConv,
    scale_a: f32,
    scale_b: f32,
) -> Result<String, KernelError> {
    spec.check()?;
    conv.validate(spec)?;
    for scale in [scale_a, scale_b] {
        if !(scale.is_finite() && scale > 0.0 && scale.log2().fract() == 0.0) {
            return Err(KernelError::InvalidConv {
                reason: format!("operand scale {scale} is not a power of two"),
            });
        }
    }
    let groups = board_workgroups(spec, conv);
    if groups.iter().any(|&count| count > 65535) {
        return Err(KernelError::TooManyWorkgroups { workgroups: groups });
    }
    let (a, b) = stagers_for(spec, TILE_N, TILE_N, CHUNK, THREADS);
    let (staged_rows, staged_columns) = conv.staged();
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
    out.push_str("\nenable f16;\nenable wgpu_cooperative_matrix;\n\n");
    bindings(&mut out, spec, &a, &b);
    let _ = writeln!(
        out,
        "\n// [row][column][board][channel] of the band and its halo, one chunk of channels.\n\
         var<workgroup> x_tile: array<vec4<f16>, {}>;\n\
         // [tap][output column][channel], one chunk of channels.\n\
         var<workgroup> w_tile: array<vec4<f16>, {}>;\n\
         var<workgroup> c_rows: array<f32, {}>;\n",
        staged_rows * staged_columns * BOARDS * CHUNK / 4,
        TAPS * TILE_N * CHUNK / 4,
        SUBGROUPS * 256,
    );
    functions(&mut out, spec);
    let chunks = conv.channels.div_ceil(CHUNK);
    let (height, width, channels) = (conv.height, conv.width, conv.channels);
    let bands = height / conv.rows();
    let _ = writeln!(
        out,
        "@compute @workgroup_size({THREADS})\n\
         fn main(@builtin(local_invocation_index) thread: u32, @builtin(workgroup_id) group: vec3<u32>,\n        \
         @builtin(subgroup_id) subgroup: u32, @builtin(subgroup_invocation_id) lane: u32,\n        \
         @builtin(subgroup_size) lanes: u32) {{\n    \
         let batch = 0u;\n    \
         let board0 = (group.y / {bands}u) * {BOARDS}u;\n    \
         let y0 = (group.y % {bands}u) * {rows}u;\n    \
         let col0 = group.x * {TILE_N}u;\n    \
         let warp_square = (subgroup / {warps_n}u) * {WARP_SQUARES}u;\n    \
         let warp_col = (subgroup % {warps_n}u) * {WARP_N}u;",
        rows = conv.rows(),
        warps_n = TILE_N / WARP_N,
    );
    for i in 0..WARP_SQUARES {
        let square = format!("warp_square + {i}u");
        let _ = writeln!(
            out,
            "    // Fragment row block {i}: square ({square}) of the band, at tap (0, 0).\n    \
             let a_base_{i} = ({y} * {staged_columns}u + {x}) * {vectors}u;",
            y = format_args!("(({square}) / {width}u)"),
            x = format_args!("(({square}) % {width}u)"),
            vectors = BOARDS * CHUNK / 4,
        );
        for j in 0..WARP_N / 16 {
            let _ = writeln!(out, "    var acc_{i}_{j}: coop_mat16x16<f32, C>;");
        }
    }
    let image_slots = staged_rows * width * BOARDS * (CHUNK / 4) / THREADS;
    for slot in 0..image_slots {
        let _ = writeln!(out, "    var x_stage_{slot}: vec4<f32>;");
    }
    for tap in 0..TAPS {
        let _ = writeln!(out, "    var w_stage_{tap}: vec4<f32>;");
    }
    // The halo columns are zero for every chunk: written once.
    let halo_units = staged_rows * 2 * BOARDS * (CHUNK / 4);
    let _ = writeln!(
        out,
        "    for (var unit = thread; unit < {halo_units}u; unit += {THREADS}u) {{\n        \
         let quad = unit % 4u;\n        \
         let board = (unit / 4u) % {BOARDS}u;\n        \
         let column = ((unit / {per_row}u) % 2u) * {last_column}u;\n        \
         let row = unit / {per_row2}u;\n        \
         x_tile[((row * {staged_columns}u + column) * {BOARDS}u + board) * 4u + quad] = vec4<f16>(0.0);\n    \
         }}",
        per_row = 4 * BOARDS,
        per_row2 = 8 * BOARDS,
        last_column = width + 1,
    );
    let load = |out: &mut String, c0: &str| {
        for slot in 0..image_slots {
            // Consecutive threads: the four quads of a pixel, then the pixels of a row.
            let _ = writeln!(
                out,
                "        {{\n            \
                 let unit = thread + {offset}u;\n            \
                 let quad = unit % 4u;\n            \
                 let x = (unit / 4u) % {width}u;\n            \
                 let board = (unit / {per_board}u) % {BOARDS}u;\n            \
                 let row = unit / {per_row}u;\n            \
                 let image = board0 + board;\n            \
                 let channel = {c0} + quad * 4u;\n            \
                 x_stage_{slot} = vec4<f32>(0.0);\n            \
                 if (y0 + row >= 1u && y0 + row <= {height}u && image < {batch}u && channel < {channels}u) {{\n                \
                 x_stage_{slot} = a_data[(((image * {height}u + y0 + row - 1u) * {width}u + x) * {channels}u + channel) >> 2u];\n            \
                 }}\n        \
                 }}",
                offset = slot * THREADS,
                per_board = 4 * width,
                per_row = 4 * width * BOARDS,
                batch = conv.batch,
            );
        }
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
    let scaled = |register: &str, scale: f32| {
        if scale == 1.0 {
            register.to_owned()
        } else {
            format!("{register} * {scale:?}")
        }
    };
    let _ = writeln!(out, "    {{");
    load(&mut out, "0u");
    let _ = writeln!(
        out,
        "    }}\n    for (var chunk = 0u; chunk < {chunks}u; chunk++) {{\n        workgroupBarrier();"
    );
    for slot in 0..image_slots {
        let _ = writeln!(
            out,
            "        {{\n            \
             let unit = thread + {offset}u;\n            \
             let quad = unit % 4u;\n            \
             let x = (unit / 4u) % {width}u;\n            \
             let board = (unit / {per_board}u) % {BOARDS}u;\n            \
             let row = unit / {per_row}u;\n            \
             x_tile[((row * {staged_columns}u + x + 1u) * {BOARDS}u + board) * 4u + quad] = vec4<f16>({value});\n        \
             }}",
            offset = slot * THREADS,
            per_board = 4 * width,
            per_row = 4 * width * BOARDS,
            value = scaled(&format!("x_stage_{slot}"), scale_a),
        );
    }
    for tap in 0..TAPS {
        let register = scaled(&format!("w_stage_{tap}"), scale_b);
        if b.k_contiguous() {
            let _ = writeln!(
                out,
                "        w_tile[({tap}u * {TILE_N}u + thread / 4u) * 4u + thread % 4u] = vec4<f16>({register});"
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
                    "            w_tile[(column + {offset}u) >> 2u][channel & 3u] = value[{lane}];",
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
    load(&mut out, "c_next");
    let _ = writeln!(out, "        }}");
    let vectors = BOARDS * CHUNK / 4;
    for tap in 0..TAPS {
        let shift = ((tap / 3) * staged_columns + tap % 3) * vectors;
        let _ = writeln!(out, "        {{");
        for j in 0..WARP_N / 16 {
            let _ = writeln!(
                out,
                "            let b{j} = coopLoad<coop_mat16x16<f16, B>>(&w_tile[({tap}u * {TILE_N}u + warp_col + {column}u) * {quads}u], {quads}u);",
                column = j * 16,
                quads = CHUNK / 4,
            );
        }
        for i in 0..WARP_SQUARES {
            let _ = writeln!(
                out,
                "            let a{i} = coopLoadT<coop_mat16x16<f16, A>>(&x_tile[a_base_{i} + {shift}u], {quads}u);",
                quads = CHUNK / 4,
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
    let _ = writeln!(out, "    }}");
    store_output(&mut out, spec, conv, 1.0 / (scale_a * scale_b));
    let _ = writeln!(out, "}}");
    Ok(out)
}

/// Each accumulator goes through the subgroup's 16×16 f32 staging area; its lanes then
/// apply the epilogue to four consecutive columns of one board's pixel at a time.
fn store_output(out: &mut String, spec: &MatmulSpec, conv: &BoardConv, unscale: f32) {
    let guards = Guards {
        rows: !conv.batch.is_multiple_of(BOARDS),
        columns: !spec.n.is_multiple_of(TILE_N),
    };
    let _ = writeln!(out, "    let c_base = subgroup * 256u;");
    for i in 0..WARP_SQUARES {
        for j in 0..WARP_N / 16 {
            let _ = writeln!(
                out,
                "    coopStoreT(acc_{i}_{j}, &c_rows[c_base], 16u);\n    \
                 workgroupBarrier();\n    \
                 for (var quad = lane; quad < 64u; quad += lanes) {{\n        \
                 let square = warp_square + {i}u;\n        \
                 let row = ((board0 + quad / 4u) * {height}u + y0 + square / {width}u) * {width}u + square % {width}u;\n        \
                 let col = col0 + warp_col + {column}u + (quad % 4u) * 4u;\n        \
                 let s = c_base + quad * 4u;",
                height = conv.height,
                width = conv.width,
                column = j * 16,
            );
            store_four(out, spec, guards, &|lane| {
                let staged = format!("c_rows[s + {lane}u]");
                if unscale == 1.0 {
                    staged
                } else {
                    format!("{staged} * {unscale:?}")
                }
            });
            let _ = writeln!(out, "    }}\n    workgroupBarrier();");
        }
    }
}
