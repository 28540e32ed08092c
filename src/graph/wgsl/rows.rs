//! WGSL for row kernels: the soft cross-entropy and its gradient ([`KernelKind::Rows`]), a
//! workgroup per row. One pass over the row gathers [`COMBINE_ROWS`]'s statistics, a
//! workgroup tree combines them; the loss is then `Σt · log Σexp − Σt·(x − m)`, and the
//! gradient a second pass over the row computing `softmax · Σt − t` and the epilogue.
//!
//! [`KernelKind::Rows`]: crate::graph::fuse::KernelKind::Rows

use std::fmt::Write;

use super::generate::{
    Emitter, Generated, MAX_GROUPS, UNROLL, WORKGROUP, accumulators, grid, layout, split_members,
};
use super::index::{Ix, literal, value_at_flat, with_prelude};
use crate::graph::composite::MASKED_LOGIT;
use crate::graph::fuse::FusionPlan;
use crate::graph::ir::{Node, Op, TensorId};

/// A soft cross-entropy row's statistics as `vec4(m, Σ exp(x − m), Σ t, Σ t·(x − m))` for
/// the masked logits `x` and targets `t` seen so far, `m` their maximum: combining two
/// rebases both on the larger maximum, so that rows are summed in one pass (online
/// softmax) in any order. Exponents are never positive, so nothing overflows; the
/// identity's `m` is the lowest finite float, so that its rebasing terms are 0, not NaN.
const COMBINE_ROWS: &str = "fn combine_rows(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    let top = max(a.x, b.x);
    return vec4<f32>(
        top,
        a.y * exp(a.x - top) + b.y * exp(b.x - top),
        a.z + b.z,
        a.w + a.z * (a.x - top) + b.w + b.z * (b.x - top),
    );
}
";

/// Gradient rows of at most this many workgroup-wide turns keep their entries in registers
/// between the two passes (19 for the training step's 4,672 moves) instead of reading them
/// again.
const RESIDENT_TURNS: u32 = 24;

/// The loss of a row from its combined statistics `acc`.
const LOSS: &str = "acc.z * log(acc.y) - acc.w";

/// A workgroup per row of a soft cross-entropy or its gradient (`node`, with the `loss` of
/// the same inputs beside a gradient if fusion put it there): the gathering pass keeps
/// `UNROLL` loads in flight per thread; a gradient's second pass reuses the entries the
/// first kept in registers (rows of up to [`RESIDENT_TURNS`] turns) or reads them again.
pub(super) fn rows(
    nodes: &[Node],
    plan: &FusionPlan,
    position: usize,
    node: TensorId,
    loss: Option<TensorId>,
) -> Generated {
    let central = &nodes[node.index()];
    let logits_shape = nodes[central.inputs[0].index()].shape;
    let length = logits_shape.dim(-1) as u64;
    let rows = logits_shape.num_elements() as u64 / length;
    let layout = layout(nodes, plan, &[position], &[]);
    let index = Ix::var("ii");
    let load = |input: usize| {
        value_at_flat(
            nodes,
            &plan.kernel_of,
            Some(position),
            &layout.names,
            central.inputs[input],
            &index,
            logits_shape,
        )
    };
    let (logit, target, mask) = (load(0), load(1), load(2));
    let legal = format!("{mask} != 0.0f");
    let (_, epilogue) = split_members(&plan.kernels[position], node);
    let passes = RowPasses {
        emitter: layout.emitter(nodes, plan, position),
        node,
        epilogue,
        length,
        masked: format!("select({}, {logit}, {legal})", literal(MASKED_LOGIT)),
        target,
        legal,
    };
    let resident = central.op == Op::SoftCrossEntropyGrad && passes.turns() <= RESIDENT_TURNS;
    let gather = if resident {
        passes.gather_resident()
    } else {
        passes.gather_streamed()
    };
    let finishing = match central.op {
        Op::SoftCrossEntropy => format!(
            "    if lid == 0u {{\n    let oi = row;\n{}    }}\n",
            passes.finish(LOSS)
        ),
        Op::SoftCrossEntropyGrad => {
            let steps = if resident {
                passes.gradient_resident()
            } else {
                passes.gradient_streamed()
            };
            format!(
                "{}    let stats = row_stats[0];\n    let scale = stats.z / stats.y;\n{steps}",
                passes.loss_beside(loss)
            )
        }
        ref other => unreachable!("{} is not a row op", other.name()),
    };
    let (workgroups, _) = grid(rows * u64::from(WORKGROUP));
    let group = if workgroups[1] > 1 {
        format!("(wid.x + wid.y * {MAX_GROUPS}u)")
    } else {
        "wid.x".to_owned()
    };
    let identity = format!("vec4<f32>({}, 0.0f, 0.0f, 0.0f)", literal(f32::MIN));
    let wgsl = format!(
        "{declarations}
var<workgroup> row_stats: array<vec4<f32>, {WORKGROUP}>;

{COMBINE_ROWS}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let row = {group};
    if row >= {rows}u {{
        return;
    }}
{accumulators}{gather}    var acc = {all};
    row_stats[lid] = acc;
    workgroupBarrier();
    for (var width = {half}u; width >= 1u; width >>= 1u) {{
        if lid < width {{
            acc = combine_rows(acc, row_stats[lid + width]);
            row_stats[lid] = acc;
        }}
        workgroupBarrier();
    }}
{finishing}}}
",
        declarations = layout.declarations,
        accumulators = accumulators(&identity),
        all = (1..UNROLL).fold("acc0".to_owned(), |all, lane| {
            format!("combine_rows({all}, acc{lane})")
        }),
        half = WORKGROUP / 2,
    );
    Generated {
        wgsl: with_prelude(wgsl),
        bindings: layout.bindings,
        workgroups,
    }
}

/// What the passes over one row share: the kernel's output and epilogue, the row length,
/// and the masked logit, target and legality of entry `ii` as WGSL expressions.
struct RowPasses<'a> {
    emitter: Emitter<'a>,
    node: TensorId,
    epilogue: Vec<TensorId>,
    length: u64,
    masked: String,
    target: String,
    legal: String,
}

impl RowPasses<'_> {
    /// Workgroup-wide turns per row.
    fn turns(&self) -> u32 {
        self.length.div_ceil(u64::from(WORKGROUP)) as u32
    }

    /// `let v<node> = value;`, its store and the epilogue, at output index `oi`.
    fn finish(&self, value: &str) -> String {
        let mut text = format!("    let v{} = {value};\n", self.node.0);
        self.emitter.store(self.node, &Ix::var("oi"), &mut text);
        for &member in &self.epilogue {
            self.emitter.member(member, &Ix::var("oi"), &mut text);
        }
        text
    }

    /// The loss of a gradient kernel's row, stored by its first thread (fusion adds an
    /// epilogue to a loss only when it is alone).
    fn loss_beside(&self, loss: Option<TensorId>) -> String {
        loss.map_or_else(String::new, |loss| {
            let mut text = format!(
                "    if lid == 0u {{\n    let oi = row;\n    let v{} = {LOSS};\n",
                loss.0
            );
            self.emitter.store(loss, &Ix::var("oi"), &mut text);
            text + "    }\n"
        })
    }

    /// Column `lid + turn · WORKGROUP` of a resident row, and its bounds check unless the
    /// whole turn is inside the row.
    fn column(&self, turn: u32) -> (String, Option<String>) {
        let length = self.length;
        let column = format!("lid + {}u", turn * WORKGROUP);
        let guard = (u64::from(turn + 1) * u64::from(WORKGROUP) > length)
            .then(|| format!("{column} < {length}u"));
        (column, guard)
    }

    /// A loop over the row, each turn `UNROLL` guarded steps, step `lane` at entry
    /// `r + lane · WORKGROUP` running `body(lane)`.
    fn stream(&self, body: &dyn Fn(u32) -> String) -> String {
        let length = self.length;
        let steps: String = (0..UNROLL)
            .map(|lane| {
                let offset = lane * WORKGROUP;
                let body: String = body(lane)
                    .lines()
                    .map(|line| format!("        {line}\n"))
                    .collect();
                format!(
                    "        if r + {offset}u < {length}u {{\n            let ii = row * {length}u + r + {offset}u;\n{body}        }}\n"
                )
            })
            .collect();
        format!(
            "    for (var r = lid; r < {length}u; r += {stride}u) {{\n{steps}    }}\n",
            stride = WORKGROUP * UNROLL
        )
    }

    /// Pass 1 reading each entry once: the row's statistics into `acc0..`.
    fn gather_streamed(&self) -> String {
        let (masked, target) = (&self.masked, &self.target);
        self.stream(&|lane| {
            format!(
                "    acc{lane} = combine_rows(acc{lane}, vec4<f32>({masked}, 1.0f, {target}, 0.0f));"
            )
        })
    }

    /// Pass 1 keeping the row in registers: every entry of the thread loaded first (all
    /// loads in flight) into `x<turn>`, `t<turn>` and `legal<turn>`, then folded into
    /// `acc0..`.
    fn gather_resident(&self) -> String {
        let (masked, target, legal) = (&self.masked, &self.target, &self.legal);
        let length = self.length;
        let mut loads = String::new();
        let mut folds = String::new();
        for turn in 0..self.turns() {
            let (column, guard) = self.column(turn);
            let load = format!(
                "let ii = row * {length}u + {column};\n        x{turn} = {masked};\n        t{turn} = {target};\n        legal{turn} = {legal};"
            );
            let fold = format!(
                "acc{lane} = combine_rows(acc{lane}, vec4<f32>(x{turn}, 1.0f, t{turn}, 0.0f));",
                lane = turn % UNROLL
            );
            let _ = writeln!(
                loads,
                "    var x{turn} = 0.0f;\n    var t{turn} = 0.0f;\n    var legal{turn} = false;"
            );
            match guard {
                Some(guard) => {
                    let _ = writeln!(loads, "    if {guard} {{\n        {load}\n    }}");
                    let _ = writeln!(folds, "    if {guard} {{\n        {fold}\n    }}");
                }
                None => {
                    let _ = writeln!(loads, "    {{\n        {load}\n    }}");
                    let _ = writeln!(folds, "    {fold}");
                }
            }
        }
        loads + &folds
    }

    /// The gradient pass over the entries [`RowPasses::gather_resident`] kept, given
    /// `stats` and `scale = Σt / Σexp`.
    fn gradient_resident(&self) -> String {
        let length = self.length;
        let mut steps = String::new();
        for turn in 0..self.turns() {
            let (column, guard) = self.column(turn);
            let body: String = format!(
                "let ii = row * {length}u + {column};\nlet oi = ii;\n{}",
                self.finish(&format!(
                    "select(0.0f, exp(x{turn} - stats.x) * scale - t{turn}, legal{turn})"
                ))
            );
            let body: String = body
                .lines()
                .map(|line| format!("        {}\n", line.trim_start()))
                .collect();
            let guard = guard.map_or_else(String::new, |guard| format!("if {guard} "));
            let _ = writeln!(steps, "    {guard}{{\n{body}    }}");
        }
        steps
    }

    /// The gradient pass reading the row again, given `stats` and `scale`.
    fn gradient_streamed(&self) -> String {
        let per_entry = format!(
            "    let oi = ii;\n{}",
            self.finish(&format!(
                "select(0.0f, exp({} - stats.x) * scale - {}, {})",
                self.masked, self.target, self.legal
            ))
        );
        self.stream(&|_| per_entry.clone())
    }
}
