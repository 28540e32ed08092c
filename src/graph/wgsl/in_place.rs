//! Assigns written in place. An assign's value normally gets a buffer of its own, copied
//! over its target (a parameter or optimizer state) at the end of the step: the training
//! step's Adam update assigns 69 tensors, so 69 copy commands, each with its barriers, per
//! step. Where it is safe, the kernel that computes the value stores it straight into the
//! target's buffer instead, and the copy goes.

use std::collections::HashMap;

use super::schedule::first_reader;
use crate::graph::fuse::{
    FusionPlan, KernelKind, Source, concat_bases, is_view_like, read_space, resolve,
};
use crate::graph::ir::{Node, TensorId};

/// The assigns, as value → target, whose value may be stored into the target's buffer.
/// The conditions, which make every read of the target see its old value:
/// - the value is computed by a pointwise kernel or in a reduction's epilogue (one thread
///   per output element), in the target's shape, and is assigned to no other target;
/// - inside that kernel only members in the target's shape read the target, directly (no
///   view between) and not after the value's member, so each thread reads its element of
///   the old value before it stores the new one there;
/// - every other kernel that reads the target (through views or not) comes earlier, and
///   so does the finishing pass of any such kernel that may be split (a deferred finishing
///   pass runs before the first kernel reading its results).
///
/// Buffers shared this way count as one slot in the schedule's conflict checks, which keep
/// the kernel's dispatch after every earlier reader of the target.
pub(super) fn in_place_assigns(
    nodes: &[Node],
    fusion: &FusionPlan,
    assigns: &[(TensorId, TensorId)],
) -> HashMap<TensorId, TensorId> {
    let once = |id: TensorId, of: fn(&(TensorId, TensorId)) -> TensorId| {
        assigns.iter().filter(|pair| of(pair) == id).count() == 1
    };
    assigns
        .iter()
        .copied()
        .filter(|&(value, target)| {
            once(value, |pair| pair.0)
                && once(target, |pair| pair.1)
                && safe(nodes, fusion, value, target)
        })
        .collect()
}

fn safe(nodes: &[Node], fusion: &FusionPlan, value: TensorId, target: TensorId) -> bool {
    let Some(position) = fusion.kernel_of[value.index()] else {
        return false;
    };
    let kernel = &fusion.kernels[position];
    let central = match kernel.kind {
        KernelKind::Pointwise => None,
        KernelKind::Reduce { node } => Some(node),
        _ => return false,
    };
    let shape = nodes[target.index()].shape;
    if nodes[value.index()].shape != shape || kernel.in_prologue(value) || central == Some(value) {
        return false;
    }
    let Some(at) = kernel.members.iter().position(|&m| m == value) else {
        return false;
    };
    for (index, &member) in kernel.members.iter().enumerate() {
        let node = &nodes[member.index()];
        let space = read_space(nodes, kernel, member);
        for &input in &node.inputs {
            let reads_target = match resolve(nodes, &fusion.kernel_of, Some(position), input, space)
            {
                Source::Load { base, .. } => {
                    concat_bases(nodes, &fusion.kernel_of, base).contains(&target)
                }
                Source::Member(_) | Source::Literal(_) => false,
            };
            let at_own_element = input == target
                && node.shape == shape
                && !is_view_like(&node.op)
                && central != Some(member)
                && !kernel.in_prologue(member)
                && index <= at;
            if reads_target && !at_own_element {
                return false;
            }
        }
    }
    (0..fusion.kernels.len())
        .filter(|&other| other != position)
        .filter(|&other| fusion.buffers(nodes, other).tensors.contains(&target))
        .all(|other| {
            other < position
                && (fusion.kernels[other].kind == KernelKind::Pointwise
                    || first_reader(nodes, fusion, other) <= position)
        })
}
