//! The register-blocked matmul template: one WGSL compute shader per (spec, tiles).
//!
//! Each workgroup owns a `tile_m x tile_n` block of C for one batch element (workgroup id
//! x = column block, y = row block, z = batch). Per k step it stages a `tile_k`-deep slice
//! of A and B in workgroup memory (k-major, vec4 along m / n), then every invocation
//! multiplies its `thread_m x thread_n` register block with fully unrolled loops whose
//! indices are constants, so accumulators stay in registers. An invocation's rows (and
//! columns) are split into groups of four spaced `4 * tile_m / thread_m` apart: the
//! vec4 reads of a warp then hit consecutive addresses (no bank conflicts), and the
//! stores to C are 16-byte vectors. With `double_buffer` the next k step's loads are
//! issued before this step's arithmetic and land in the other stage, with one barrier
//! per step. The epilogue runs on each in-range element before it is stored.
//!
//! Shapes are constants, so guards are emitted only where a dimension is not a multiple
//! of its tile; the kernel never touches memory out of bounds, and writes every
//! workgroup-memory element it later reads, so it runs as an unchecked pipeline.

use std::fmt::Write;

use super::KernelError;
use super::loaders::{Side, Stager, divide, remainder};
use super::spec::{MatmulSpec, Operand};
use super::tuning::Tiles;

const COMPONENTS: [&str; 4] = ["x", "y", "z", "w"];

/// Workgroups to dispatch for `spec` cut into `tiles`: `[column blocks, row blocks,
/// batch]`.
pub fn workgroups(spec: &MatmulSpec, tiles: &Tiles) -> [u32; 3] {
    [
        spec.n.div_ceil(tiles.tile_n),
        spec.m.div_ceil(tiles.tile_m),
        spec.batch,
    ]
}

fn stagers<'a>(spec: &'a MatmulSpec, tiles: &Tiles) -> (Stager<'a>, Stager<'a>) {
    stagers_for(
        spec,
        tiles.tile_m,
        tiles.tile_n,
        tiles.tile_k,
        tiles.threads(),
    )
}

/// The staging plans of A and B for a workgroup tile of `tile_m x tile_n`, `tile_k` deep,
/// moved by `threads` invocations.
pub(super) fn stagers_for(
    spec: &MatmulSpec,
    tile_m: u32,
    tile_n: u32,
    tile_k: u32,
    threads: u32,
) -> (Stager<'_>, Stager<'_>) {
    let a = Stager {
        side: Side::A,
        operand: &spec.a,
        outer_extent: spec.m,
        k_extent: spec.k,
        outer_tile: tile_m,
        k_tile: tile_k,
        threads,
    };
    let b = Stager {
        side: Side::B,
        operand: &spec.b,
        outer_extent: spec.n,
        k_extent: spec.k,
        outer_tile: tile_n,
        k_tile: tile_k,
        threads,
    };
    (a, b)
}

/// The complete WGSL shader (entry point `main`) computing `spec` with `tiles`. Checks the
/// tiles against the template's own rules only ([`Tiles::validate`]); check them against
/// an adapter with [`Tiles::check`].
pub fn matmul_wgsl(spec: &MatmulSpec, tiles: &Tiles) -> Result<String, KernelError> {
    spec.check()?;
    tiles.validate()?;
    let [_, row_blocks, _] = workgroups(spec, tiles);
    if row_blocks > 65535 || spec.n.div_ceil(tiles.tile_n) > 65535 || spec.batch > 65535 {
        return Err(KernelError::TooManyWorkgroups {
            workgroups: workgroups(spec, tiles),
        });
    }
    let (a, b) = stagers(spec, tiles);
    let mut out = String::new();
    header(&mut out, spec, tiles, &a, &b);
    main_function(&mut out, spec, tiles, &a, &b);
    Ok(out)
}

/// The comment opening a template's shader: what it computes (`template` names the
/// variant, `details` follows the tile name) and its operands.
pub(super) fn describe(
    out: &mut String,
    template: &str,
    spec: &MatmulSpec,
    tiles: &str,
    details: &str,
) {
    let _ = writeln!(
        out,
        "// wgzero matmul{template}: C[{batch}, {m}, {n}] {op} epilogue(A x B), k = {k}, \
         tiles {tiles}{details}\n// A: {a_op}\n// B: {b_op}",
        batch = spec.batch,
        m = spec.m,
        n = spec.n,
        k = spec.k,
        op = if spec.accumulate { "+=" } else { "=" },
        a_op = strip_wgsl(&spec.a),
        b_op = strip_wgsl(&spec.b),
    );
}

fn header(out: &mut String, spec: &MatmulSpec, tiles: &Tiles, a: &Stager, b: &Stager) {
    describe(out, "", spec, &tiles.name(), "");
    out.push('\n');
    bindings(out, spec, a, b, false);
    let stages = if tiles.double_buffer { 2 } else { 1 };
    let _ = writeln!(
        out,
        "\nvar<workgroup> a_tile: array<vec4<f32>, {}>;",
        stages * tiles.tile_k * tiles.tile_m / 4
    );
    let _ = writeln!(
        out,
        "var<workgroup> b_tile: array<vec4<f32>, {}>;\n",
        stages * tiles.tile_k * tiles.tile_n / 4
    );
    functions(out, spec);
}

/// The storage bindings of A, B, C (vec4 when n allows) and the epilogue's buffers.
/// The storage bindings: A, B, C (vec4s when C's rows, or with `c_vec4` the blocks a
/// template stores, are whole vec4s), then the epilogue's.
pub(super) fn bindings(out: &mut String, spec: &MatmulSpec, a: &Stager, b: &Stager, c_vec4: bool) {
    let c_type = if c_vec4 || spec.n.is_multiple_of(4) {
        "array<vec4<f32>>"
    } else {
        "array<f32>"
    };
    let _ = writeln!(
        out,
        "@group(0) @binding(0) var<storage, read> a_data: {};",
        a.binding_type()
    );
    let _ = writeln!(
        out,
        "@group(0) @binding(1) var<storage, read> b_data: {};",
        b.binding_type()
    );
    let _ = writeln!(
        out,
        "@group(0) @binding(2) var<storage, read_write> c_data: {c_type};"
    );
    for (index, binding) in spec.epilogue.bindings.iter().enumerate() {
        let _ = writeln!(out, "@group(0) @binding({}) {}", index + 3, binding.trim());
    }
}

/// The custom loaders' and the epilogue's functions.
pub(super) fn functions(out: &mut String, spec: &MatmulSpec) {
    for operand in [&spec.a, &spec.b] {
        if let Operand::Custom { wgsl, .. } = operand {
            let _ = writeln!(out, "{}\n", wgsl.trim_end());
        }
    }
    let _ = writeln!(out, "{}\n", spec.epilogue.body.trim_end());
}

/// The operand description without its (long) WGSL, for the header comment.
fn strip_wgsl(operand: &Operand) -> String {
    match operand {
        Operand::Strided {
            transposed,
            batch_stride,
        } => format!("strided, transposed {transposed}, batch stride {batch_stride}"),
        Operand::Custom {
            transposed,
            vectorized,
            ..
        } => format!("custom loader, transposed {transposed}, vectorized {vectorized}"),
    }
}

fn main_function(out: &mut String, spec: &MatmulSpec, tiles: &Tiles, a: &Stager, b: &Stager) {
    let threads_n = tiles.tile_n / tiles.thread_n;
    let k_steps = spec.k.div_ceil(tiles.tile_k);
    let a_stage_vectors = tiles.tile_k * tiles.tile_m / 4;
    let b_stage_vectors = tiles.tile_k * tiles.tile_n / 4;
    let _ = writeln!(
        out,
        "@compute @workgroup_size({threads})\n\
         fn main(@builtin(local_invocation_index) thread: u32, @builtin(workgroup_id) group: vec3<u32>) {{\n    \
         let batch = group.z;\n    \
         let row0 = group.y * {tile_m}u;\n    \
         let col0 = group.x * {tile_n}u;\n    \
         let thread_col = {thread_col};\n    \
         let thread_row = {thread_row};",
        threads = tiles.threads(),
        tile_m = tiles.tile_m,
        tile_n = tiles.tile_n,
        thread_col = remainder("thread", threads_n),
        thread_row = divide("thread", threads_n),
    );
    for row in 0..tiles.thread_m {
        for group in 0..tiles.thread_n / 4 {
            let _ = writeln!(out, "    var acc_{row}_{group} = vec4<f32>(0.0);");
        }
    }
    a.declare_registers(out);
    b.declare_registers(out);

    if tiles.double_buffer {
        let _ = writeln!(out, "    {{");
        a.load(out, "row0", "0u");
        b.load(out, "col0", "0u");
        a.store(out, "0u");
        b.store(out, "0u");
        let _ = writeln!(out, "    }}\n    workgroupBarrier();");
        let _ = writeln!(
            out,
            "    for (var step = 0u; step < {k_steps}u; step++) {{\n        \
             let a_stage = (step & 1u) * {a_stage_vectors}u;\n        \
             let b_stage = (step & 1u) * {b_stage_vectors}u;\n        \
             let has_next = step + 1u < {k_steps}u;\n        \
             if (has_next) {{\n        \
             let k_next = (step + 1u) * {tile_k}u;",
            tile_k = tiles.tile_k
        );
        a.load(out, "row0", "k_next");
        b.load(out, "col0", "k_next");
        let _ = writeln!(out, "        }}");
        multiply(out, tiles);
        let _ = writeln!(out, "        if (has_next) {{");
        a.store(out, &format!("({a_stage_vectors}u - a_stage)"));
        b.store(out, &format!("({b_stage_vectors}u - b_stage)"));
        let _ = writeln!(out, "        }}\n        workgroupBarrier();\n    }}");
    } else {
        let _ = writeln!(
            out,
            "    for (var step = 0u; step < {k_steps}u; step++) {{\n        \
             let a_stage = 0u;\n        \
             let b_stage = 0u;\n        \
             let k_this = step * {tile_k}u;",
            tile_k = tiles.tile_k
        );
        a.load(out, "row0", "k_this");
        b.load(out, "col0", "k_this");
        a.store(out, "0u");
        b.store(out, "0u");
        let _ = writeln!(out, "        workgroupBarrier();");
        multiply(out, tiles);
        let _ = writeln!(out, "        workgroupBarrier();\n    }}");
    }
    store_output(out, spec, tiles);
    let _ = writeln!(out, "}}");
}

/// One k step: `tile_k` rank-1 updates of the register block, fully unrolled.
fn multiply(out: &mut String, tiles: &Tiles) {
    let threads_m = tiles.tile_m / tiles.thread_m;
    let threads_n = tiles.tile_n / tiles.thread_n;
    let a_row_vectors = tiles.tile_m / 4;
    let b_row_vectors = tiles.tile_n / 4;
    for k in 0..tiles.tile_k {
        let _ = writeln!(out, "        {{");
        for group in 0..tiles.thread_m / 4 {
            let _ = writeln!(
                out,
                "            let a{group} = a_tile[a_stage + {}u + thread_row];",
                k * a_row_vectors + group * threads_m
            );
        }
        for group in 0..tiles.thread_n / 4 {
            let _ = writeln!(
                out,
                "            let b{group} = b_tile[b_stage + {}u + thread_col];",
                k * b_row_vectors + group * threads_n
            );
        }
        for row in 0..tiles.thread_m {
            let a_value = format!("a{}.{}", row / 4, COMPONENTS[(row % 4) as usize]);
            for group in 0..tiles.thread_n / 4 {
                let _ = writeln!(
                    out,
                    "            acc_{row}_{group} = fma(vec4<f32>({a_value}), b{group}, acc_{row}_{group});"
                );
            }
        }
        let _ = writeln!(out, "        }}");
    }
}

/// Applies the epilogue and writes (or adds) the register block to C.
fn store_output(out: &mut String, spec: &MatmulSpec, tiles: &Tiles) {
    let threads_m = tiles.tile_m / tiles.thread_m;
    let threads_n = tiles.tile_n / tiles.thread_n;
    let guards = Guards {
        rows: !spec.m.is_multiple_of(tiles.tile_m),
        columns: !spec.n.is_multiple_of(tiles.tile_n),
    };
    for row in 0..tiles.thread_m {
        let row_expression = format!(
            "row0 + {}u + thread_row * 4u",
            (row / 4) * 4 * threads_m + row % 4
        );
        for group in 0..tiles.thread_n / 4 {
            let col_expression = format!("col0 + {}u + thread_col * 4u", group * 4 * threads_n);
            let _ = writeln!(
                out,
                "    {{\n        let row = {row_expression};\n        let col = {col_expression};"
            );
            store_four(out, spec, guards, &|lane| {
                format!("acc_{row}_{group}.{}", COMPONENTS[lane as usize])
            });
            let _ = writeln!(out, "    }}");
        }
    }
}

/// Which bounds of C a store must check: rows when m is not a multiple of the tile's
/// rows, columns when n is not one of its columns.
#[derive(Clone, Copy)]
pub(super) struct Guards {
    pub rows: bool,
    pub columns: bool,
}

/// Stores (or, with `accumulate`, adds) `epilogue(value(lane), batch, row, col + lane)` for
/// the four columns `col..col + 4` of row `row` of C (WGSL variables `batch`, `row`, `col`
/// in scope, `col` a multiple of 4): one vec4 when n is a multiple of 4, else four guarded
/// scalars. Shared by the f32 and the cooperative-matrix templates.
pub(super) fn store_four(
    out: &mut String,
    spec: &MatmulSpec,
    guards: Guards,
    value: &dyn Fn(u32) -> String,
) {
    let batch_offset = if spec.batch > 1 {
        format!("batch * {}u + ", spec.m * spec.n)
    } else {
        String::new()
    };
    let mut conditions = Vec::new();
    if guards.rows {
        conditions.push(format!("row < {}u", spec.m));
    }
    let epilogue = |lane: u32| format!("epilogue({}, batch, row, col + {lane}u)", value(lane));
    if spec.n.is_multiple_of(4) {
        if guards.columns {
            conditions.push(format!("col < {}u", spec.n));
        }
        let values: Vec<String> = (0..4).map(epilogue).collect();
        let index = divide(&format!("({batch_offset}row * {}u + col)", spec.n), 4);
        let assignment = if spec.accumulate {
            format!(
                "let index = {index};\n        c_data[index] = c_data[index] + vec4<f32>({});",
                values.join(", ")
            )
        } else {
            format!("c_data[{index}] = vec4<f32>({});", values.join(", "))
        };
        if conditions.is_empty() {
            let _ = writeln!(out, "        {assignment}");
        } else {
            let _ = writeln!(
                out,
                "        if ({}) {{\n        {assignment}\n        }}",
                conditions.join(" && ")
            );
        }
    } else {
        for lane in 0..4 {
            store_one(out, spec, guards.rows, &format!(" + {lane}u"), &value(lane));
        }
    }
}

/// Stores (or adds) `epilogue(value, batch, row, col + offset)` to C (WGSL variables
/// `batch`, `row`, `col` in scope; `offset` is "" or " + <n>u"), checking the column, and
/// the row when `check_row`.
fn store_one(out: &mut String, spec: &MatmulSpec, check_row: bool, offset: &str, value: &str) {
    let batch_offset = if spec.batch > 1 {
        format!("batch * {}u + ", spec.m * spec.n)
    } else {
        String::new()
    };
    let mut conditions = Vec::new();
    if check_row {
        conditions.push(format!("row < {}u", spec.m));
    }
    conditions.push(format!("col{offset} < {}u", spec.n));
    let value = format!("epilogue({value}, batch, row, col{offset})");
    let index = format!("{batch_offset}row * {}u + col{offset}", spec.n);
    let assignment = if spec.accumulate {
        format!("c_data[{index}] = c_data[{index}] + {value};")
    } else {
        format!("c_data[{index}] = {value};")
    };
    let _ = writeln!(
        out,
        "        if ({}) {{ {assignment} }}",
        conditions.join(" && ")
    );
}
