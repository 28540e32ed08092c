//! Index arithmetic for generated kernels: coordinates from flat indices, and loads that
//! read through broadcasting and view chains (reshape, permute, expand, slice, gather,
//! concat), all constants folded into the WGSL.

use std::collections::HashMap;

use crate::graph::fuse::{Source, resolve};
use crate::graph::ir::{Node, Op, TensorId};
use crate::graph::shape::Shape;

/// A `u32` index expression, folded when constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Ix {
    Const(u64),
    Expr(String),
}

impl Ix {
    pub fn var(name: &str) -> Self {
        Ix::Expr(name.to_owned())
    }

    pub fn render(&self) -> String {
        match self {
            Ix::Const(value) => format!("{value}u"),
            Ix::Expr(text) => text.clone(),
        }
    }

    pub fn add(&self, other: &Ix) -> Ix {
        match (self, other) {
            (Ix::Const(a), Ix::Const(b)) => Ix::Const(a + b),
            (Ix::Const(0), x) | (x, Ix::Const(0)) => x.clone(),
            (a, b) => Ix::Expr(format!("({} + {})", a.render(), b.render())),
        }
    }

    pub fn add_const(&self, value: u64) -> Ix {
        self.add(&Ix::Const(value))
    }

    pub fn mul(&self, factor: u64) -> Ix {
        match self {
            _ if factor == 0 => Ix::Const(0),
            Ix::Const(a) => Ix::Const(a * factor),
            x if factor == 1 => x.clone(),
            x => Ix::Expr(format!("({} * {factor}u)", x.render())),
        }
    }

    pub fn div(&self, divisor: u64) -> Ix {
        match self {
            Ix::Const(a) => Ix::Const(a / divisor),
            x if divisor == 1 => x.clone(),
            x => Ix::Expr(format!("({} / {divisor}u)", x.render())),
        }
    }

    pub fn rem(&self, divisor: u64) -> Ix {
        match self {
            Ix::Const(a) => Ix::Const(a % divisor),
            _ if divisor == 1 => Ix::Const(0),
            x => Ix::Expr(format!("({} % {divisor}u)", x.render())),
        }
    }

    /// `min(self, bound)`.
    pub fn min(&self, bound: u64) -> Ix {
        match self {
            Ix::Const(a) => Ix::Const((*a).min(bound)),
            x => Ix::Expr(format!("min({}, {bound}u)", x.render())),
        }
    }
}

/// Coordinates of flat index `flat` in `shape` (row-major). `flat` must be below the
/// element count, so the outermost axis needs no modulo.
pub fn coordinates(flat: &Ix, shape: Shape) -> Vec<Ix> {
    let strides = shape.strides();
    let first_nontrivial = shape.dims().iter().position(|&d| d > 1);
    (0..shape.rank())
        .map(|axis| {
            let dim = shape.dims()[axis] as u64;
            if dim == 1 {
                return Ix::Const(0);
            }
            let quotient = flat.div(strides[axis] as u64);
            if Some(axis) == first_nontrivial {
                quotient
            } else {
                quotient.rem(dim)
            }
        })
        .collect()
}

/// The flat index of `coordinates` under `strides`.
pub fn flat(coordinates: &[Ix], strides: &[usize]) -> Ix {
    coordinates
        .iter()
        .zip(strides)
        .fold(Ix::Const(0), |sum, (c, &s)| sum.add(&c.mul(s as u64)))
}

/// Coordinates of `from` (a consumer's shape) broadcast down to `to` (its operand's).
pub fn broadcast_coordinates(coordinates: &[Ix], from: Shape, to: Shape) -> Vec<Ix> {
    let shift = from.rank() - to.rank();
    (0..to.rank())
        .map(|axis| {
            if to.dims()[axis] == 1 {
                Ix::Const(0)
            } else {
                coordinates[axis + shift].clone()
            }
        })
        .collect()
}

/// Names of the buffers a kernel binds: tensors by id, and gather index tables by the
/// gather node's id.
#[derive(Default)]
pub struct BufferNames {
    pub tensors: HashMap<TensorId, String>,
    pub tables: HashMap<TensorId, String>,
}

impl BufferNames {
    fn tensor(&self, id: TensorId) -> &str {
        self.tensors
            .get(&id)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no binding for %{}", id.0))
    }

    fn table(&self, id: TensorId) -> &str {
        self.tables
            .get(&id)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no index table bound for gather %{}", id.0))
    }
}

/// Renders an `f32` as a WGSL literal.
pub fn literal(value: f32) -> String {
    if value.is_finite() {
        let shortest = format!("{value:?}");
        // A browser's WGSL compiler refuses a literal past f32's range even when it would
        // round into it, and ±f32::MAX's shortest form (3.4028235e38) is past it: such
        // values are written as their exact decimal.
        if shortest
            .parse::<f64>()
            .is_ok_and(|parsed| parsed.abs() > f64::from(f32::MAX))
        {
            format!("{:?}f", f64::from(value))
        } else {
            format!("{shortest}f")
        }
    } else {
        // Not `bitcast<f32>(bits)`: that is a constant expression, and WGSL makes one
        // evaluating to an infinity or NaN an error (Chrome's compiler enforces it).
        format!("{FROM_BITS}({:#010x}u)", value.to_bits())
    }
}

/// The function through which [`literal`] writes non-finite values; [`with_prelude`]
/// defines it in the kernels that call it.
const FROM_BITS: &str = "f32_from_bits";

/// `wgsl` (a generated kernel) with the functions its literals call defined before its
/// entry point, the module's last item (a call to a function of one's own is evaluated at
/// run time, so an infinity is allowed there).
pub fn with_prelude(wgsl: String) -> String {
    const ENTRY: &str = "@compute";
    if !wgsl.contains(&format!("{FROM_BITS}(")) || wgsl.contains(&format!("fn {FROM_BITS}(")) {
        return wgsl;
    }
    let definition =
        format!("fn {FROM_BITS}(bits: u32) -> f32 {{\n    return bitcast<f32>(bits);\n}}\n\n");
    match wgsl.rfind(ENTRY) {
        Some(at) => format!("{}{definition}{}", &wgsl[..at], &wgsl[at..]),
        None => format!("{wgsl}\n{definition}"),
    }
}

/// A WGSL expression for the value of `tensor` (a consumer's operand) at `coordinates` of
/// the consumer's shape `consumer_shape`, reading buffers named by `names`. Members of
/// the same kernel are `v<id>`.
pub fn value_at(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    kernel: Option<usize>,
    names: &BufferNames,
    tensor: TensorId,
    coordinates: &[Ix],
    consumer_shape: Shape,
) -> String {
    let shape = nodes[tensor.index()].shape;
    match resolve(
        nodes,
        kernel_of,
        kernel,
        tensor,
        consumer_shape.num_elements(),
    ) {
        Source::Literal(value) => literal(value),
        Source::Member(member) => format!("v{}", member.0),
        Source::Load { views, base } => {
            let own = broadcast_coordinates(coordinates, consumer_shape, shape);
            load(nodes, kernel_of, names, &views, base, own)
        }
    }
}

/// [`value_at`] at flat index `flat` of `consumer_shape`. A buffer laid out like the
/// consumer (same element count, only reshapes between) is read at `flat` itself, which
/// spares the kernel the division and modulo of a coordinate round trip.
#[allow(clippy::too_many_arguments)]
pub fn value_at_flat(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    kernel: Option<usize>,
    names: &BufferNames,
    tensor: TensorId,
    flat: &Ix,
    consumer_shape: Shape,
) -> String {
    let count = consumer_shape.num_elements();
    if nodes[tensor.index()].shape.num_elements() == count
        && let Source::Load { views, base } = resolve(nodes, kernel_of, kernel, tensor, count)
        && views.iter().all(|v| nodes[v.index()].op.keeps_flat_index())
        && (kernel_of[base.index()].is_some()
            || !matches!(nodes[base.index()].op, Op::Concat { .. }))
    {
        return format!("{}[{}]", names.tensor(base), flat.render());
    }
    value_at(
        nodes,
        kernel_of,
        kernel,
        names,
        tensor,
        &coordinates(flat, consumer_shape),
        consumer_shape,
    )
}

/// Reads `base` at `coordinates` of the view `views[0]` (or of `base` if no views).
fn load(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    names: &BufferNames,
    views: &[TensorId],
    base: TensorId,
    mut coordinates: Vec<Ix>,
) -> String {
    for &view in views {
        let node = &nodes[view.index()];
        let input_shape = nodes[node.inputs[0].index()].shape;
        coordinates = match &node.op {
            Op::Reshape => {
                let index = flat(&coordinates, &node.shape.strides());
                self::coordinates(&index, input_shape)
            }
            Op::Permute { axes } => {
                let mut input = vec![Ix::Const(0); axes.len()];
                for (position, &axis) in axes.iter().enumerate() {
                    input[axis] = coordinates[position].clone();
                }
                input
            }
            Op::Expand => (0..input_shape.rank())
                .map(|a| {
                    if input_shape.dims()[a] == 1 {
                        Ix::Const(0)
                    } else {
                        coordinates[a].clone()
                    }
                })
                .collect(),
            Op::Slice { axis, start } => {
                let mut input = coordinates.clone();
                input[*axis] = input[*axis].add_const(*start as u64);
                input
            }
            Op::Assign { .. } | Op::StopGradient => coordinates,
            Op::Gather { axis, .. } => {
                let mut input = coordinates.clone();
                input[*axis] = Ix::Expr(format!(
                    "{}[{}]",
                    names.table(view),
                    coordinates[*axis].render()
                ));
                input
            }
            other => unreachable!("{} is not a view", other.name()),
        };
    }
    let base_node = &nodes[base.index()];
    if kernel_of[base.index()].is_none()
        && let Op::Concat { axis } = base_node.op
    {
        return concat_value(nodes, kernel_of, names, base, axis, &coordinates);
    }
    let index = flat(&coordinates, &base_node.shape.strides());
    format!("{}[{}]", names.tensor(base), index.render())
}

/// A concat read: each part is read at a clamped coordinate (always in bounds) and the
/// right one selected.
fn concat_value(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    names: &BufferNames,
    concat: TensorId,
    axis: usize,
    coordinates: &[Ix],
) -> String {
    let node = &nodes[concat.index()];
    let along = coordinates[axis].clone();
    let mut offset = 0u64;
    let mut parts = Vec::new();
    for &part in &node.inputs {
        let part_shape = nodes[part.index()].shape;
        let extent = part_shape.dims()[axis] as u64;
        let mut own = coordinates.to_vec();
        own[axis] = match &along {
            Ix::Const(c) => Ix::Const(c.saturating_sub(offset).min(extent - 1)),
            x => Ix::Expr(format!("({} - {offset}u)", x.render())).min(extent - 1),
        };
        let value = value_at(nodes, kernel_of, None, names, part, &own, part_shape);
        parts.push((offset + extent, value));
        offset += extent;
    }
    let (_, mut expression) = parts.pop().expect("concat has parts");
    while let Some((end, value)) = parts.pop() {
        expression = format!("select({expression}, {value}, {} < {end}u)", along.render());
    }
    expression
}

#[cfg(test)]
mod tests {
    use super::{literal, with_prelude};

    /// Every finite literal reads back as its value and lies within f32's range as
    /// written (Tint, Chrome's WGSL compiler, refuses one past it: `-3.4028235e38f`).
    #[test]
    fn literals_stay_within_f32_and_read_back_exactly() {
        for value in [
            f32::MIN,
            f32::MAX,
            0.1,
            -2.5e-8,
            1.0,
            f32::MIN_POSITIVE,
            3.4028233e38,
        ] {
            let text = literal(value);
            let digits = text.strip_suffix('f').expect("an f32 literal");
            let parsed: f64 = digits.parse().expect("a decimal");
            assert!(
                parsed.abs() <= f64::from(f32::MAX),
                "{text} is past f32's range"
            );
            assert_eq!(parsed as f32, value, "{text}");
        }
        // Infinities go through a function, defined where they are used.
        let infinity = literal(f32::NEG_INFINITY);
        assert_eq!(infinity, "f32_from_bits(0xff800000u)");
        let kernel = format!("@compute @workgroup_size(64)\nfn main() {{ let x = {infinity}; }}");
        let with = with_prelude(kernel);
        let definition = with
            .find("fn f32_from_bits(bits: u32) -> f32")
            .expect("defined");
        assert!(
            definition < with.find("@compute").unwrap(),
            "before the entry point"
        );
        naga::front::wgsl::parse_str(&with).expect("valid WGSL");
        assert_eq!(with_prelude("fn main() {}".into()), "fn main() {}");
    }
}
