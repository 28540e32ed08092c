//! The tensor-core variant of the matmul template: the same [`MatmulSpec`] (loaders,
//! epilogue, accumulate), multiplied with wgpu's experimental cooperative matrices
//! (`coop_mat16x16<f16>` inputs, f32 accumulators), on adapters that offer them (Vulkan
//! with `VK_KHR_cooperative_matrix`; not the browser, not lavapipe).
//!
//! Each workgroup owns a `tile_m x tile_n` block of C; each subgroup (32 invocations) a
//! `warp_m x warp_n` part of it, held as 16×16 accumulators. Per k step the workgroup
//! loads a `tile_k`-deep slice of A and B through the f32 staging of the FMA template
//! (strided reads or custom loaders such as the convolution's im2col), scales it, rounds it
//! to f16 and stores it in workgroup memory with its contiguous index innermost, four
//! halves per store (the tiles are `array<vec4<f16>>`); the subgroups then multiply from
//! there (`coopLoad` column-major or `coopLoadT` row-major, whichever matches, with
//! pointers and strides in vec4 units). Loads for the next step are issued before this
//! step's products; with two stages they are stored into the other stage and one barrier
//! ends the step, with one stage (half the memory) they are stored between two barriers.
//! At the end each accumulator row goes through a small f32 staging area so that every
//! element gets the fused epilogue, in f32, before it is stored.
//!
//! Precision: products of f16 inputs (10-bit mantissa, as TF32) summed in f32. Operands are
//! multiplied by `scale_a` / `scale_b` (powers of two, exact) before rounding, and the sum
//! by their inverse after, so that small values such as gradients of a batch-mean loss stay
//! above f16's subnormal range (6.1e-5); scaled values must stay below 65,504.

use std::fmt::Write;

use super::KernelError;
use super::loaders::Stager;
use super::matmul::{Guards, bindings, describe, functions, stagers_for, store_four};
use super::spec::MatmulSpec;

/// Invocations per subgroup the template is written for (NVIDIA's warp).
pub const SUBGROUP: u32 = 32;
/// Halves of padding after each row of a workgroup-memory tile (16 bytes: keeps rows
/// aligned and spreads them over the banks).
const PAD: u32 = 8;

/// Tile shape of the cooperative-matrix template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CoopTiles {
    pub tile_m: u32,
    pub tile_n: u32,
    /// Depth of one k step: a multiple of 16.
    pub tile_k: u32,
    /// The part of the tile one subgroup computes: multiples of 16 dividing the tile.
    pub warp_m: u32,
    pub warp_n: u32,
    /// Workgroup-memory stages: 2 (the next slice is stored beside the one being
    /// multiplied, one barrier per k step) or 1 (half the memory, so twice the k depth
    /// fits; two barriers per k step).
    pub stages: u32,
}

impl CoopTiles {
    /// Subgroups per workgroup.
    pub fn subgroups(&self) -> u32 {
        (self.tile_m / self.warp_m.max(1)) * (self.tile_n / self.warp_n.max(1))
    }

    /// Invocations per workgroup.
    pub fn threads(&self) -> u32 {
        self.subgroups() * SUBGROUP
    }

    /// A short name for benchmark output, e.g. `coop128x64x32_64x32` (two stages) or
    /// `coop128x64x64_32x32_s1` (one).
    pub fn name(&self) -> String {
        let stages = if self.stages == 2 {
            String::new()
        } else {
            format!("_s{}", self.stages)
        };
        format!(
            "coop{}x{}x{}_{}x{}{stages}",
            self.tile_m, self.tile_n, self.tile_k, self.warp_m, self.warp_n
        )
    }

    /// Workgroup memory: the f16 stages of A and B, and one f32 accumulator row per
    /// subgroup.
    pub fn workgroup_storage_bytes(&self) -> u32 {
        let a = self.tile_m.max(self.tile_k) * (self.tile_m.min(self.tile_k) + PAD);
        let b = self.tile_n.max(self.tile_k) * (self.tile_n.min(self.tile_k) + PAD);
        2 * self.stages * (a + b) + 4 * self.subgroups() * 16 * self.warp_n
    }

    /// Rejects tile shapes the template cannot generate.
    pub fn validate(&self) -> Result<(), KernelError> {
        let invalid = |reason: &str| KernelError::InvalidTiles {
            tiles: self.name(),
            reason: reason.to_owned(),
        };
        if self.warp_m == 0
            || self.warp_n == 0
            || !self.warp_m.is_multiple_of(16)
            || !self.warp_n.is_multiple_of(16)
        {
            return Err(invalid(
                "warp_m and warp_n must be positive multiples of 16",
            ));
        }
        if self.tile_m == 0
            || self.tile_n == 0
            || !self.tile_m.is_multiple_of(self.warp_m)
            || !self.tile_n.is_multiple_of(self.warp_n)
        {
            return Err(invalid("the warp tile must divide the workgroup tile"));
        }
        if self.tile_k == 0 || !self.tile_k.is_multiple_of(16) || self.tile_k > 128 {
            return Err(invalid("tile_k must be a multiple of 16, at most 128"));
        }
        if !(1..=2).contains(&self.stages) {
            return Err(invalid("stages must be 1 or 2"));
        }
        if self.threads() > 256 {
            return Err(invalid(
                "at most 8 subgroups (256 invocations) per workgroup",
            ));
        }
        Ok(())
    }
}

/// The candidates [`choose_coop_tiles`] picks from, all with one workgroup-memory stage
/// and 64 halves or more per subgroup tile and k step: one stage halves the workgroup
/// memory of two, which makes room for twice the loads in flight per barrier. 256×64
/// tiles of 64×32 subgroups serve forward passes, grad inputs and large matmuls;
/// 128×64×64 tiles of 32×32 subgroups the products a 256-row tile would pad by a quarter
/// or more (a 3×3 grad weight's 576 rows); the 64×64 one short row or column counts; the
/// 64×80 one, whose subgroups hold whole rows 65 to 80 columns wide, a chess policy head's
/// 73 columns (stored as contiguous blocks of rows, `store_whole_rows`). All fit 48 KiB of
/// workgroup memory. Their speeds: docs/kernel-archetypes.md, "Tensor cores"; the survey
/// that chose them: docs/performance-history.md, "One workgroup-memory stage".
pub const COOP_CANDIDATES: &[CoopTiles] = &[
    single(coop(256, 64, 32, 64, 32)),
    single(coop(128, 64, 64, 32, 32)),
    single(coop(64, 64, 64, 32, 16)),
    single(coop(64, 80, 64, 16, 80)),
];

/// Every configuration `wgzero bench kernels --precision f16 --survey` measures: the
/// candidates, then variants in stages, k depth, subgroup count and subgroup tile
/// (docs/performance-history.md has the earlier, wider surveys).
pub const COOP_SURVEY: &[CoopTiles] = &[
    single(coop(256, 64, 32, 64, 32)),
    single(coop(128, 64, 64, 32, 32)),
    single(coop(64, 64, 64, 32, 16)),
    single(coop(64, 80, 64, 16, 80)),
    single(coop(64, 64, 64, 32, 32)),
    coop(128, 64, 32, 32, 32),
    coop(256, 64, 16, 64, 32),
    single(coop(128, 64, 32, 32, 32)),
    single(coop(128, 64, 64, 64, 32)),
    single(coop(64, 64, 128, 32, 32)),
];

const fn coop(tile_m: u32, tile_n: u32, tile_k: u32, warp_m: u32, warp_n: u32) -> CoopTiles {
    CoopTiles {
        tile_m,
        tile_n,
        tile_k,
        warp_m,
        warp_n,
        stages: 2,
    }
}

const fn single(tiles: CoopTiles) -> CoopTiles {
    CoopTiles { stages: 1, ..tiles }
}

/// The tile shape named by `WGZERO_COOP_TILES`, if set (see [`coop_tiles_named`]), which
/// then replaces [`choose_coop_tiles`] for every tensor-core product the compiler builds,
/// 3×3 convolutions included (instead of the board template, [`super::board`]): for
/// measuring tile shapes inside a program, where kernels run one after another on inputs
/// that may have left the L2 cache, rather than alone.
pub fn coop_tiles_override() -> Result<Option<CoopTiles>, KernelError> {
    match std::env::var("WGZERO_COOP_TILES") {
        Ok(name) => coop_tiles_named(&name).map(Some),
        Err(_) => Ok(None),
    }
}

/// The surveyed tile shape called `name` (e.g. `coop128x64x64_32x32_s1`; the survey
/// includes the candidates); an unknown name is an error that lists the known ones.
pub fn coop_tiles_named(name: &str) -> Result<CoopTiles, KernelError> {
    COOP_SURVEY
        .iter()
        .find(|tiles| tiles.name() == name)
        .copied()
        .ok_or_else(|| {
            let known: Vec<String> = COOP_SURVEY.iter().map(CoopTiles::name).collect();
            KernelError::InvalidTiles {
                tiles: name.to_owned(),
                reason: format!("WGZERO_COOP_TILES must name one of {}", known.join(", ")),
            }
        })
}

/// The tiles for `spec`: the first candidate that keeps a large GPU busy (128 workgroups)
/// and pads at most a quarter of its work, since a larger, lightly padded tile beats an
/// exactly fitting small one; failing that, the one with the least padding. Split products
/// (`batch` > 1: slices of a weight gradient) take only tiles of 256 invocations, the size
/// of the board and reduction kernels, so that they can share a dispatch with those (a
/// split product on a 128-invocation tile runs alone). Measurements of both rules:
/// docs/rejected-optimizations.md, tensor-core template and merged-dispatch session.
pub fn choose_coop_tiles(spec: &MatmulSpec) -> CoopTiles {
    let waste = |tiles: &CoopTiles| {
        let m = spec.m.div_ceil(tiles.tile_m) * tiles.tile_m;
        let n = spec.n.div_ceil(tiles.tile_n) * tiles.tile_n;
        (m as f64 * n as f64) / (spec.m as f64 * spec.n as f64)
    };
    let workgroups = |tiles: &CoopTiles| {
        u64::from(spec.m.div_ceil(tiles.tile_m))
            * u64::from(spec.n.div_ceil(tiles.tile_n))
            * u64::from(spec.batch)
    };
    let candidates = || {
        COOP_CANDIDATES
            .iter()
            .filter(|tiles| spec.batch == 1 || tiles.threads() == 256)
    };
    candidates()
        .find(|tiles| workgroups(tiles) >= 128 && waste(tiles) <= 1.25)
        .or_else(|| candidates().min_by(|x, y| waste(x).total_cmp(&waste(y))))
        .copied()
        .expect("candidates are not empty")
}

/// Whether the template is worth it for `spec`: every extent fills at least one 16×16×16
/// product (narrower ones, such as a value head's single column, stay on the f32
/// template).
pub fn coop_suits(spec: &MatmulSpec) -> bool {
    spec.m >= 16 && spec.n >= 16 && spec.k >= 16
}

/// How one operand sits in workgroup memory: its contiguous index innermost.
struct Layout {
    /// The outer index (A: m, B: n) is the contiguous one.
    outer_inner: bool,
    /// Halves per row of the tile.
    stride: u32,
    /// Halves per stage.
    stage: u32,
}

fn layout(stager: &Stager, tile_outer: u32, tile_k: u32) -> Layout {
    let outer_inner = !stager.k_contiguous();
    let (rows, row_len) = if outer_inner {
        (tile_k, tile_outer)
    } else {
        (tile_outer, tile_k)
    };
    Layout {
        outer_inner,
        stride: row_len + PAD,
        stage: rows * (row_len + PAD),
    }
}

/// The complete WGSL shader (entry point `main`) computing `spec` on tensor cores.
/// `scale_a` and `scale_b` must be powers of two.
pub fn coop_wgsl(
    spec: &MatmulSpec,
    tiles: &CoopTiles,
    scale_a: f32,
    scale_b: f32,
) -> Result<String, KernelError> {
    spec.check()?;
    tiles.validate()?;
    if let Some(reason) = bad_scale([scale_a, scale_b]) {
        return Err(KernelError::InvalidTiles {
            tiles: tiles.name(),
            reason,
        });
    }
    let groups = coop_workgroups(spec, tiles);
    if groups.iter().any(|&count| count > 65535) {
        return Err(KernelError::TooManyWorkgroups { workgroups: groups });
    }
    let (a, b) = stagers_for(
        spec,
        tiles.tile_m,
        tiles.tile_n,
        tiles.tile_k,
        tiles.threads(),
    );
    let a_layout = layout(&a, tiles.tile_m, tiles.tile_k);
    let b_layout = layout(&b, tiles.tile_n, tiles.tile_k);
    let mut out = String::new();
    describe(
        &mut out,
        " on cooperative matrices (f16 x f16 -> f32)",
        spec,
        &tiles.name(),
        &format!(", operand scales {scale_a} and {scale_b}"),
    );
    out.push_str(ENABLES);
    bindings(&mut out, spec, &a, &b, whole_rows(spec, tiles));
    let _ = writeln!(
        out,
        "\nvar<workgroup> a_tile: array<vec4<f16>, {}>;\nvar<workgroup> b_tile: array<vec4<f16>, {}>;\n\
         var<workgroup> c_rows: array<f32, {}>;\n",
        tiles.stages * a_layout.stage / 4,
        tiles.stages * b_layout.stage / 4,
        tiles.subgroups() * 16 * tiles.warp_n,
    );
    functions(&mut out, spec);
    main_function(
        &mut out,
        spec,
        tiles,
        (&a, &a_layout),
        (&b, &b_layout),
        [scale_a, scale_b],
    );
    Ok(out)
}

/// Workgroups to dispatch: `[column blocks, row blocks, batch]`.
pub fn coop_workgroups(spec: &MatmulSpec, tiles: &CoopTiles) -> [u32; 3] {
    [
        spec.n.div_ceil(tiles.tile_n),
        spec.m.div_ceil(tiles.tile_m),
        spec.batch,
    ]
}

/// Stores this thread's staged f32 registers into workgroup stage `stage` (a WGSL
/// expression of the stage's first half) as f16, scaled.
fn store_half(out: &mut String, stager: &Stager, layout: &Layout, stage: &str, scale: f32) {
    let name = stager.name();
    let width = stager.width();
    for slot in 0..stager.slots() {
        let (outer_local, k_local) = stager.position(slot);
        let register = format!("{name}_stage_{slot}");
        let (major, minor) = if layout.outer_inner {
            (k_local, outer_local)
        } else {
            (outer_local, k_local)
        };
        let mut body = format!(
            "            let base = {stage} + {major} * {stride}u + {minor};\n",
            stride = layout.stride
        );
        if width == 4 {
            // Four halves along the contiguous index: one 8-byte store.
            let _ = writeln!(
                body,
                "            {name}_tile[base >> 2u] = vec4<f16>({});",
                scaled(&register, scale)
            );
        } else {
            let _ = writeln!(
                body,
                "            {name}_tile[base >> 2u][base & 3u] = f16({});",
                scaled(&register, scale)
            );
        }
        stager.emit_slot(out, slot, &body);
    }
}

/// The cooperative load of the 16×16 piece of an operand whose tile-local outer index
/// starts at `outer` and k at `k` (WGSL expressions).
fn coop_load(role: &str, name: &str, layout: &Layout, stage: &str, outer: &str, k: &str) -> String {
    // A is m×k and B is k×n: A's outer index is its row, B's its column.
    let outer_is_row = role == "A";
    let (major, minor) = if layout.outer_inner {
        (k, outer)
    } else {
        (outer, k)
    };
    // Row-major when the matrix's column index is the innermost one.
    let minor_is_column = layout.outer_inner != outer_is_row;
    let function = if minor_is_column {
        "coopLoadT"
    } else {
        "coopLoad"
    };
    format!(
        "{function}<coop_mat16x16<f16, {role}>>(&{name}_tile[({stage} + ({major}) * {stride}u + {minor}) >> 2u], {vectors}u)",
        stride = layout.stride,
        vectors = layout.stride / 4,
    )
}

fn main_function(
    out: &mut String,
    spec: &MatmulSpec,
    tiles: &CoopTiles,
    (a, a_layout): (&Stager, &Layout),
    (b, b_layout): (&Stager, &Layout),
    [scale_a, scale_b]: [f32; 2],
) {
    let warps_n = tiles.tile_n / tiles.warp_n;
    let (frags_m, frags_n) = (tiles.warp_m / 16, tiles.warp_n / 16);
    let k_steps = spec.k.div_ceil(tiles.tile_k);
    entry_point(out, tiles.threads());
    let _ = writeln!(
        out,
        "    let batch = group.z;\n    \
         let row0 = group.y * {tile_m}u;\n    \
         let col0 = group.x * {tile_n}u;\n    \
         let warp_row = (subgroup / {warps_n}u) * {warp_m}u;\n    \
         let warp_col = (subgroup % {warps_n}u) * {warp_n}u;",
        tile_m = tiles.tile_m,
        tile_n = tiles.tile_n,
        warp_m = tiles.warp_m,
        warp_n = tiles.warp_n,
    );
    for i in 0..frags_m {
        for j in 0..frags_n {
            let _ = writeln!(out, "    var acc_{i}_{j}: coop_mat16x16<f32, C>;");
        }
    }
    a.declare_registers(out);
    b.declare_registers(out);
    let _ = writeln!(out, "    {{");
    a.load(out, "row0", "0u");
    b.load(out, "col0", "0u");
    store_half(out, a, a_layout, "0u", scale_a);
    store_half(out, b, b_layout, "0u", scale_b);
    let _ = writeln!(out, "    }}\n    workgroupBarrier();");
    let stage_of = |stage: u32| {
        if tiles.stages == 2 {
            format!("(step & 1u) * {stage}u")
        } else {
            "0u".to_owned()
        }
    };
    let _ = writeln!(
        out,
        "    for (var step = 0u; step < {k_steps}u; step++) {{\n        \
         let a_stage = {a_stage};\n        \
         let b_stage = {b_stage};\n        \
         let has_next = step + 1u < {k_steps}u;\n        \
         if (has_next) {{\n        \
         let k_next = (step + 1u) * {tile_k}u;",
        a_stage = stage_of(a_layout.stage),
        b_stage = stage_of(b_layout.stage),
        tile_k = tiles.tile_k,
    );
    a.load(out, "row0", "k_next");
    b.load(out, "col0", "k_next");
    let _ = writeln!(out, "        }}");
    for kk in (0..tiles.tile_k).step_by(16) {
        // The 16×16 piece `index` of this subgroup's part of A or B at depth kk.
        let fragment = |role: &str, index: u32| {
            let (name, layout, origin) = match role {
                "A" => ("a", a_layout, "warp_row"),
                _ => ("b", b_layout, "warp_col"),
            };
            coop_load(
                role,
                name,
                layout,
                &format!("{name}_stage"),
                &format!("{origin} + {}u", index * 16),
                &format!("{kk}u"),
            )
        };
        let _ = writeln!(out, "        {{");
        for j in 0..frags_n {
            let _ = writeln!(out, "            let b{j} = {};", fragment("B", j));
        }
        for i in 0..frags_m {
            let _ = writeln!(out, "            let a{i} = {};", fragment("A", i));
            for j in 0..frags_n {
                let _ = writeln!(
                    out,
                    "            acc_{i}_{j} = coopMultiplyAdd(a{i}, b{j}, acc_{i}_{j});"
                );
            }
        }
        let _ = writeln!(out, "        }}");
    }
    // Two stages: the next slice goes to the other stage, then one barrier. One stage:
    // every subgroup must be done with this slice before it is overwritten.
    let (next_a, next_b, before) = if tiles.stages == 2 {
        (
            format!("({}u - a_stage)", a_layout.stage),
            format!("({}u - b_stage)", b_layout.stage),
            "",
        )
    } else {
        (
            "0u".to_owned(),
            "0u".to_owned(),
            "            workgroupBarrier();\n",
        )
    };
    let _ = write!(out, "        if (has_next) {{\n{before}");
    store_half(out, a, a_layout, &next_a, scale_a);
    store_half(out, b, b_layout, &next_b, scale_b);
    let _ = writeln!(out, "        }}\n        workgroupBarrier();\n    }}");
    if whole_rows(spec, tiles) {
        store_whole_rows(out, spec, tiles, 1.0 / (scale_a * scale_b));
    } else {
        store_output(out, spec, tiles, 1.0 / (scale_a * scale_b));
    }
    let _ = writeln!(out, "}}");
}

/// Whether each subgroup holds whole rows of C that are not whole vec4s (`n` not a
/// multiple of 4, at most one subgroup tile wide), in blocks of 16 rows that start at a
/// multiple of 16: each block is then `16 n` contiguous floats starting at a multiple of 4,
/// which [`store_whole_rows`] stores as aligned vec4s.
fn whole_rows(spec: &MatmulSpec, tiles: &CoopTiles) -> bool {
    !spec.n.is_multiple_of(4)
        && spec.n <= tiles.warp_n
        && tiles.warp_n == tiles.tile_n
        && spec.m.is_multiple_of(16)
        && !spec.accumulate
}

/// Stores C block by block of 16 rows: a block's accumulators go to the subgroup's f32
/// staging row, then the lanes walk the block's `16 n` contiguous floats four at a time,
/// find each one's row and column, apply the epilogue, and store one aligned vec4 (where
/// rows of 73 floats would otherwise take four scalar stores, each subgroup store touching
/// eight rows).
fn store_whole_rows(out: &mut String, spec: &MatmulSpec, tiles: &CoopTiles, unscale: f32) {
    let n = spec.n;
    let row_len = tiles.warp_n;
    let batch_offset = if spec.batch > 1 {
        format!("batch * {}u + ", spec.m * n / 4)
    } else {
        String::new()
    };
    let _ = writeln!(out, "    let c_base = subgroup * {}u;", 16 * row_len);
    for i in 0..tiles.warp_m / 16 {
        for j in 0..row_len / 16 {
            let _ = writeln!(
                out,
                "    coopStoreT(acc_{i}_{j}, &c_rows[c_base + {}u], {row_len}u);",
                j * 16
            );
        }
        let values: Vec<String> = (0..4)
            .map(|e| {
                let value = scaled(
                    &format!("c_rows[c_base + (f{e} / {n}u) * {row_len}u + f{e} % {n}u]"),
                    unscale,
                );
                format!("epilogue({value}, batch, block + f{e} / {n}u, f{e} % {n}u)")
            })
            .collect();
        let _ = writeln!(
            out,
            "    workgroupBarrier();\n    {{\n        \
             let block = row0 + warp_row + {first}u;\n        \
             if (block < {m}u) {{\n            \
             for (var q = lane; q < {quads}u; q += 32u) {{\n                \
             let f0 = q * 4u;\n                \
             let f1 = f0 + 1u;\n                \
             let f2 = f0 + 2u;\n                \
             let f3 = f0 + 3u;\n                \
             c_data[{batch_offset}(block / 4u) * {n}u + q] = vec4<f32>({values});\n            \
             }}\n        \
             }}\n    \
             }}\n    \
             workgroupBarrier();",
            first = i * 16,
            m = spec.m,
            quads = 4 * n,
            values = values.join(", "),
        );
    }
}

/// Each row of 16×16 accumulators goes through the subgroup's f32 staging row, then to
/// the epilogue and C ([`store_staged`]).
fn store_output(out: &mut String, spec: &MatmulSpec, tiles: &CoopTiles, unscale: f32) {
    let guards = Guards {
        rows: !spec.m.is_multiple_of(tiles.tile_m),
        columns: !spec.n.is_multiple_of(tiles.tile_n),
    };
    let _ = writeln!(out, "    let c_base = subgroup * {}u;", 16 * tiles.warp_n);
    let rows: Vec<StagedRow> = (0..tiles.warp_m / 16)
        .map(|i| StagedRow {
            accumulators: (0..tiles.warp_n / 16).map(|j| format!("acc_{i}_{j}")).collect(),
            place: format!(
                "        let row = row0 + warp_row + {}u + r;\n        let col = col0 + warp_col + c;\n",
                i * 16
            ),
            condition: None,
        })
        .collect();
    store_staged(out, spec, guards, &rows, unscale);
}

/// One row of 16×16 accumulators side by side, to store through the staging area: the
/// statements `place` define `row` and `col` of C from `r` (the fragment row) and `c` (the
/// column in the staged row), and values are stored where `condition` holds.
pub(super) struct StagedRow {
    pub accumulators: Vec<String>,
    pub place: String,
    pub condition: Option<String>,
}

/// Stores `rows` through the subgroup's f32 staging area at `c_base` in two phases. First
/// each row in turn is stored there (`coopStoreT`) and read back into the lanes' registers,
/// four consecutive columns at a time (the accumulators die as they are read). Then every
/// lane applies the epilogue to its values and stores them (one vec4 store when C's rows
/// are a multiple of 4 wide), with no barrier between, so that the loads an epilogue makes
/// (a residual, a mask) are all in flight at once rather than one row after another
/// (docs/kernel-archetypes.md, "Tensor cores", the epilogue).
pub(super) fn store_staged(
    out: &mut String,
    spec: &MatmulSpec,
    guards: Guards,
    rows: &[StagedRow],
    unscale: f32,
) {
    let row_len = 16 * rows[0].accumulators.len() as u32;
    // vec4s per lane and staged row, for subgroups of exactly 32 (which the tensor-core
    // templates require: `gpu::adapters::offers_tensor_cores`).
    let per_lane = 16 * row_len / 128;
    for (i, row) in rows.iter().enumerate() {
        for (j, accumulator) in row.accumulators.iter().enumerate() {
            let _ = writeln!(
                out,
                "    coopStoreT({accumulator}, &c_rows[c_base + {}u], {row_len}u);",
                j * 16
            );
        }
        let _ = writeln!(out, "    workgroupBarrier();");
        for t in 0..per_lane {
            let at = |offset: u32| format!("c_rows[c_base + lane * 4u + {}u]", t * 128 + offset);
            let _ = writeln!(
                out,
                "    let out_{i}_{t} = vec4<f32>({}, {}, {}, {});",
                at(0),
                at(1),
                at(2),
                at(3)
            );
        }
        let _ = writeln!(out, "    workgroupBarrier();");
    }
    for (i, row) in rows.iter().enumerate() {
        for t in 0..per_lane {
            // A lane stores four consecutive columns: lanes storing consecutive columns of
            // unaligned rows instead were slower (docs/rejected-optimizations.md).
            let _ = write!(
                out,
                "    {{\n        let quad = {}u + lane;\n        \
                 let r = quad / {per_row}u;\n        \
                 let c = (quad % {per_row}u) * 4u;\n{}",
                t * 32,
                row.place,
                per_row = row_len / 4,
            );
            if let Some(condition) = &row.condition {
                let _ = writeln!(out, "        if ({condition}) {{");
            }
            store_four(out, spec, guards, &|lane| {
                scaled(&format!("out_{i}_{t}[{lane}]"), unscale)
            });
            if row.condition.is_some() {
                let _ = writeln!(out, "        }}");
            }
            let _ = writeln!(out, "    }}");
        }
    }
}

/// The extensions a tensor-core shader enables (opening its declarations).
pub(super) const ENABLES: &str = "\nenable f16;\nenable wgpu_cooperative_matrix;\n\n";

/// Why operand scales cannot be used, if they cannot: each must be a finite positive power
/// of two, so that scaling before the f16 rounding and unscaling after are exact.
pub(super) fn bad_scale(scales: [f32; 2]) -> Option<String> {
    scales
        .into_iter()
        .find(|scale| !(scale.is_finite() && *scale > 0.0 && scale.log2().fract() == 0.0))
        .map(|scale| format!("operand scale {scale} is not a power of two"))
}

/// `value * factor` in WGSL, or `value` when the factor is 1.
pub(super) fn scaled(value: &str, factor: f32) -> String {
    if factor == 1.0 {
        value.to_owned()
    } else {
        format!("{value} * {factor:?}")
    }
}

/// Opens a tensor-core shader's `main` with `threads` invocations and the builtins the
/// templates use (`thread`, `group`, `subgroup`, `lane`, `lanes`).
pub(super) fn entry_point(out: &mut String, threads: u32) {
    let _ = writeln!(
        out,
        "@compute @workgroup_size({threads})\n\
         fn main(@builtin(local_invocation_index) thread: u32, @builtin(workgroup_id) group: vec3<u32>,\n        \
         @builtin(subgroup_id) subgroup: u32, @builtin(subgroup_invocation_id) lane: u32,\n        \
         @builtin(subgroup_size) lanes: u32) {{"
    );
}
