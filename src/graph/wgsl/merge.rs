//! Horizontal fusion: one shader running several dispatches that do not depend on each
//! other. Every dispatch has a fixed cost, even when tiny (docs/PERFORMANCE.md, "What a
//! dispatch costs"), and a dispatch that cannot fill the GPU leaves it idle while its
//! last workgroups finish; merged, the dispatches share one barrier and their workgroups
//! run side by side. Used for the deferred finishing passes of split kernels and for runs
//! of independent dispatches ([`super::schedule`] decides which may merge).
//!
//! [`merge`] makes one shader of several parts: its workgroups are the parts' workgroups
//! one after another (each part's grid flattened), and each workgroup calls the entry
//! point of the part it belongs to, turned into a function whose builtins are arguments
//! (its own workgroup id within its own grid). Parts must be generated WGSL of one form:
//! `enable` directives, storage bindings in group 0 and workgroup variables one per line,
//! and an entry point `@compute @workgroup_size(N) fn main(@builtin(..) name: type, ..)`
//! as the last item of the module, with the same N in every part. Every binding, helper
//! function and module constant of part `j` is renamed with a `p{j}_` prefix. Workgroup
//! arrays of the same name and element type are shared, at the largest length (a
//! workgroup runs one part); other workgroup variables are shared when identical.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use super::generate::Binding;

/// The entry point every finishing pass declares, on one line.
pub const FINISHING_MAIN: &str =
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {";

/// One dispatch to merge.
#[derive(Clone, Debug)]
pub struct Part {
    pub wgsl: String,
    /// What binding `i` of the part's shader holds.
    pub bindings: Vec<Binding>,
    pub workgroups: [u32; 3],
}

/// A parameter of an entry point: `@builtin(builtin) name: ty`.
struct Param<'a> {
    builtin: &'a str,
    name: &'a str,
    ty: &'a str,
}

/// A part's shader split at its entry point.
struct Entry<'a> {
    /// Invocations per workgroup.
    size: u32,
    params: Vec<Param<'a>>,
    /// Everything before the entry point.
    module: &'a str,
    /// The entry point's body, without its braces.
    body: &'a str,
}

/// Builtins a merged entry point can hand to a part.
const BUILTINS: &[&str] = &[
    "workgroup_id",
    "num_workgroups",
    "global_invocation_id",
    "local_invocation_index",
    "local_invocation_id",
    "subgroup_id",
    "subgroup_invocation_id",
    "subgroup_size",
];

/// The index of the `)` closing the parenthesis opened just before `text`.
fn closing(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(index),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn param(text: &str) -> Option<Param<'_>> {
    let rest = text.trim().strip_prefix("@builtin(")?;
    let (builtin, rest) = rest.split_once(')')?;
    let (name, ty) = rest.split_once(':')?;
    BUILTINS.contains(&builtin).then_some(Param {
        builtin,
        name: name.trim(),
        ty: ty.trim(),
    })
}

fn entry(wgsl: &str) -> Option<Entry<'_>> {
    const MARKER: &str = "@compute @workgroup_size(";
    let at = wgsl.rfind(MARKER)?;
    let rest = &wgsl[at + MARKER.len()..];
    let (size, rest) = rest.split_once(')')?;
    let size = size.trim().parse().ok()?;
    let rest = rest.trim_start().strip_prefix("fn main(")?;
    let end = closing(rest)?;
    let params = rest[..end]
        .split(',')
        .filter(|text| !text.trim().is_empty())
        .map(param)
        .collect::<Option<Vec<_>>>()?;
    let body = rest[end + 1..].trim_start().strip_prefix('{')?;
    let body = body.trim_end().strip_suffix('}')?;
    Some(Entry {
        size,
        params,
        module: &wgsl[..at],
        body,
    })
}

/// A workgroup variable: `var<workgroup> name: ty;`.
struct Shared<'a> {
    name: &'a str,
    ty: &'a str,
}

fn shared(line: &str) -> Option<Shared<'_>> {
    let rest = line.strip_prefix("var<workgroup> ")?.strip_suffix(';')?;
    let (name, ty) = rest.split_once(':')?;
    Some(Shared {
        name: name.trim(),
        ty: ty.trim(),
    })
}

/// `array<T, N>` as (T, N).
fn array(ty: &str) -> Option<(&str, u64)> {
    let inner = ty.strip_prefix("array<")?.strip_suffix('>')?;
    let (element, length) = inner.rsplit_once(',')?;
    Some((
        element.trim(),
        length.trim().trim_end_matches('u').parse().ok()?,
    ))
}

/// Bytes of a workgroup variable of type `ty`, for the types generated kernels use.
fn bytes(ty: &str) -> Option<u64> {
    if let Some((element, length)) = array(ty) {
        return Some(bytes(element)? * length);
    }
    Some(match ty {
        "f32" | "u32" | "i32" | "atomic<u32>" | "atomic<i32>" | "vec2<f16>" => 4,
        "f16" => 2,
        "vec2<f32>" | "vec2<u32>" | "vec4<f16>" => 8,
        "vec4<f32>" | "vec4<u32>" => 16,
        _ => return None,
    })
}

impl Part {
    /// Whether [`merge`] can take the part.
    pub fn mergeable(&self) -> bool {
        entry(&self.wgsl).is_some() && self.workgroup_bytes().is_some()
    }

    /// Invocations per workgroup, if the part has the form [`merge`] takes.
    pub fn workgroup_size(&self) -> Option<u32> {
        entry(&self.wgsl).map(|entry| entry.size)
    }

    /// Workgroups of the dispatch.
    pub fn groups(&self) -> u64 {
        self.workgroups
            .iter()
            .map(|&count| u64::from(count))
            .product()
    }

    /// Workgroup memory the part declares, if every variable's size is known.
    pub fn workgroup_bytes(&self) -> Option<u64> {
        workgroup_bytes([self])
    }

    /// Storage bindings the part declares.
    pub fn declared_bindings(&self) -> usize {
        self.wgsl
            .lines()
            .filter(|line| line.starts_with("@group(0) @binding("))
            .count()
    }

    /// Whether binding `index` is declared `read_write`.
    pub fn writes(&self, index: usize) -> bool {
        let prefix = format!("@group(0) @binding({index}) var<storage, read_write>");
        self.wgsl.lines().any(|line| line.starts_with(&prefix))
    }
}

/// The workgroup variables of one shader running `parts`: each declared once by name,
/// with its type (arrays of one name and element type at their largest length), and per
/// part the variables renamed because another part declares the name with another type.
struct Workgroup {
    variables: BTreeMap<String, String>,
    renames: Vec<HashMap<String, String>>,
}

fn plan_workgroup<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Workgroup {
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    let mut renames = Vec::new();
    for (j, part) in parts.into_iter().enumerate() {
        let mut own = HashMap::new();
        for variable in part.wgsl.lines().filter_map(shared) {
            let ty = variable.ty.to_owned();
            let Some(existing) = variables.get_mut(variable.name) else {
                variables.insert(variable.name.to_owned(), ty);
                continue;
            };
            match (array(existing), array(&ty)) {
                (Some((a, m)), Some((b, n))) if a == b => {
                    if n > m {
                        *existing = ty;
                    }
                }
                _ if *existing == ty => {}
                _ => {
                    let name = format!("p{j}_{}", variable.name);
                    own.insert(variable.name.to_owned(), name.clone());
                    variables.insert(name, ty);
                }
            }
        }
        renames.push(own);
    }
    Workgroup { variables, renames }
}

/// The workgroup memory of one shader running `parts`, if every variable's size is known,
/// counted as WebGPU counts it against `maxComputeWorkgroupStorageSize` (each variable
/// rounded up to 16 bytes; `crate::gpu::workgroup_storage_bytes` checks it so).
pub fn workgroup_bytes<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Option<u64> {
    plan_workgroup(parts)
        .variables
        .values()
        .map(|ty| bytes(ty).map(|bytes| bytes.next_multiple_of(16)))
        .sum()
}

/// Rewrites every identifier of `text` found in `renames`.
fn rename(text: &str, renames: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut identifier = String::new();
    let flush = |identifier: &mut String, out: &mut String| {
        if !identifier.is_empty() {
            out.push_str(renames.get(identifier.as_str()).unwrap_or(identifier));
            identifier.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            identifier.push(c);
        } else {
            flush(&mut identifier, &mut out);
            out.push(c);
        }
    }
    flush(&mut identifier, &mut out);
    out
}

/// The name declared by `var<...> NAME: TYPE;` (after the attributes).
fn declared_name(line: &str) -> &str {
    let after = line.split_once("> ").map_or(line, |(_, rest)| rest);
    after.split(':').next().unwrap_or("").trim()
}

/// The name a module-scope `fn`, `const`, `alias` or `struct` line declares.
fn item_name(line: &str) -> Option<&str> {
    ["fn ", "const ", "alias ", "struct "]
        .iter()
        .find_map(|keyword| line.strip_prefix(keyword))
        .map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
}

/// The argument passed for builtin `param` of a part whose workgroup (within its own grid
/// `groups`) is `wgz_wid`.
fn argument(param: &Param, size: u32, groups: [u32; 3]) -> String {
    match param.builtin {
        "workgroup_id" => "wgz_wid".to_owned(),
        "num_workgroups" => format!("vec3<u32>({}u, {}u, {}u)", groups[0], groups[1], groups[2]),
        "global_invocation_id" => {
            format!("vec3<u32>(wgz_wid.x * {size}u + wgz_local.x, wgz_wid.y, wgz_wid.z)")
        }
        "local_invocation_index" => "wgz_lid".to_owned(),
        "local_invocation_id" => "wgz_local".to_owned(),
        "subgroup_id" => "wgz_subgroup".to_owned(),
        "subgroup_invocation_id" => "wgz_lane".to_owned(),
        "subgroup_size" => "wgz_lanes".to_owned(),
        other => unreachable!("entry() admits only known builtins, not {other}"),
    }
}

/// One shader running every part of `parts` (each [`Part::mergeable`], all of one
/// workgroup size), its bindings and its grid (`[Σ workgroups, 1, 1]`).
pub fn merge(parts: &[Part]) -> Part {
    let mut enables = BTreeSet::new();
    let mut declarations = String::new();
    let workgroup = plan_workgroup(parts);
    let mut helpers = String::new();
    let mut branches = String::new();
    let mut bindings = Vec::new();
    let mut builtins = BTreeSet::new();
    let mut first_group = 0u64;
    let mut size = None;
    for (j, part) in parts.iter().enumerate() {
        let entry = entry(&part.wgsl)
            .unwrap_or_else(|| panic!("part {j} has no entry point merge() can call"));
        assert!(
            *size.get_or_insert(entry.size) == entry.size,
            "parts of one merge share a workgroup size"
        );
        let mut renames = workgroup.renames[j].clone();
        let mut rest = String::new();
        let mut binding_lines = Vec::new();
        for line in entry.module.lines() {
            if line.starts_with("enable ") {
                enables.insert(line.trim().to_owned());
            } else if let Some(after) = line.strip_prefix("@group(0) @binding(") {
                let (index, _) = after.split_once(')').expect("a binding index");
                let index: usize = index.parse().expect("a numeric binding index");
                let name = declared_name(line);
                renames.insert(name.to_owned(), format!("p{j}_{name}"));
                binding_lines.push((index, line));
            } else if shared(line).is_some() {
                // Declared once for all parts, below.
            } else {
                if let Some(name) = item_name(line) {
                    renames.insert(name.to_owned(), format!("p{j}_{name}"));
                }
                rest.push_str(line);
                rest.push('\n');
            }
        }
        for (index, line) in binding_lines {
            let (_, declaration) = line.split_once(") var").expect("a binding declaration");
            let slot = bindings.len();
            let _ = writeln!(
                declarations,
                "@group(0) @binding({slot}) var{}",
                rename(declaration, &renames)
            );
            bindings.push(part.bindings[index].clone());
        }
        helpers.push_str(&rename(&rest, &renames));
        let params: Vec<String> = entry
            .params
            .iter()
            .map(|param| format!("{}: {}", param.name, param.ty))
            .collect();
        let _ = writeln!(
            helpers,
            "fn p{j}_main({}) {{{}}}\n",
            params.join(", "),
            rename(entry.body, &renames)
        );
        let groups = part.workgroups;
        let end = first_group + part.groups();
        let wid = if groups[1] == 1 && groups[2] == 1 {
            "vec3<u32>(wgz_w, 0u, 0u)".to_owned()
        } else {
            format!(
                "vec3<u32>(wgz_w % {x}u, (wgz_w / {x}u) % {y}u, wgz_w / {xy}u)",
                x = groups[0],
                y = groups[1],
                xy = groups[0] * groups[1]
            )
        };
        let arguments: Vec<String> = entry
            .params
            .iter()
            .map(|param| argument(param, entry.size, groups))
            .collect();
        builtins.extend(entry.params.iter().map(|param| param.builtin));
        let _ = write!(
            branches,
            "{else_}if (wgz_index < {end}u) {{\n        \
             let wgz_w = wgz_index - {first_group}u;\n        \
             let wgz_wid = {wid};\n        \
             p{j}_main({});\n    }} ",
            arguments.join(", "),
            else_ = if j == 0 { "    " } else { "else " },
        );
        first_group = end;
    }
    let mut inputs = vec!["@builtin(workgroup_id) wgz_group: vec3<u32>".to_owned()];
    for (builtin, name, ty) in [
        ("local_invocation_index", "wgz_lid", "u32"),
        ("local_invocation_id", "wgz_local", "vec3<u32>"),
        ("subgroup_id", "wgz_subgroup", "u32"),
        ("subgroup_invocation_id", "wgz_lane", "u32"),
        ("subgroup_size", "wgz_lanes", "u32"),
    ] {
        let needed = builtins.contains(builtin)
            || (builtin == "local_invocation_id" && builtins.contains("global_invocation_id"));
        if needed {
            inputs.push(format!("@builtin({builtin}) {name}: {ty}"));
        }
    }
    let enables: String = enables.into_iter().map(|line| line + "\n").collect();
    let workgroup: String = workgroup
        .variables
        .iter()
        .map(|(name, ty)| format!("var<workgroup> {name}: {ty};\n"))
        .collect();
    let wgsl = format!(
        "{enables}{declarations}{workgroup}{helpers}
@compute @workgroup_size({size})
fn main({inputs}) {{
    let wgz_index = wgz_group.x;
{branches}
}}
",
        size = size.expect("at least one part"),
        inputs = inputs.join(", "),
    );
    Part {
        wgsl,
        bindings,
        workgroups: [
            u32::try_from(first_group).expect("callers keep merged grids within u32"),
            1,
            1,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ir::TensorId;
    use crate::testing::test_gpu;

    /// Three parts of different entry points and grids: `global_invocation_id` and
    /// `num_workgroups` on a 2-D grid; workgroup memory with a barrier (an array that the
    /// third part declares longer, and a scalar of another type under one name); helpers
    /// of the same name in two parts.
    fn parts() -> Vec<Part> {
        let grid = Part {
            wgsl: "@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n\
                   fn value(x: u32, y: u32) -> f32 { return f32(x * 1000u + y); }\n\
                   @compute @workgroup_size(64)\n\
                   fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {\n\
                   out[gid.y * 192u + gid.x] = value(gid.x, gid.y) + f32(groups.x * 10u + groups.y);\n}\n"
                .to_owned(),
            bindings: vec![Binding::Tensor(TensorId(0))],
            workgroups: [3, 2, 1],
        };
        let tile = |length: u32, flag: &str, factor: u32| {
            format!(
                "@group(0) @binding(0) var<storage, read> scale: array<f32>;\n\
                 @group(0) @binding(1) var<storage, read_write> out: array<f32>;\n\
                 var<workgroup> tile: array<f32, {length}>;\n\
                 var<workgroup> flag: {flag};\n\
                 fn value(i: u32) -> f32 {{ return f32(i * {factor}u); }}\n\
                 @compute @workgroup_size(64)\n\
                 fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{\n\
                 tile[lid] = value(lid);\n\
                 workgroupBarrier();\n\
                 if (lid >= 60u) {{ return; }}\n\
                 out[wid.x * 64u + lid] = tile[63u - lid] * scale[0] + f32(wid.x) * 100.0;\n}}\n"
            )
        };
        vec![
            grid,
            Part {
                wgsl: tile(64, "u32", 1),
                bindings: vec![Binding::Tensor(TensorId(1)), Binding::Tensor(TensorId(2))],
                workgroups: [5, 1, 1],
            },
            Part {
                wgsl: tile(128, "f32", 3),
                bindings: vec![Binding::Tensor(TensorId(1)), Binding::Tensor(TensorId(3))],
                workgroups: [2, 1, 1],
            },
        ]
    }

    #[test]
    fn merged_parts_share_memory_by_name_and_type_and_pass_naga() {
        let parts = parts();
        let merged = merge(&parts);
        crate::gpu::validate_wgsl(&merged.wgsl, naga::valid::Capabilities::empty())
            .unwrap_or_else(|error| panic!("{error}\n{}", merged.wgsl));
        assert_eq!(merged.workgroups, [6 + 5 + 2, 1, 1]);
        assert_eq!(merged.bindings.len(), 5);
        // One `tile` at the longer length, `flag` twice (u32, and f32 renamed).
        assert!(
            merged
                .wgsl
                .contains("var<workgroup> tile: array<f32, 128>;")
        );
        assert!(!merged.wgsl.contains("array<f32, 64>"));
        assert!(merged.wgsl.contains("var<workgroup> flag: u32;"));
        assert!(merged.wgsl.contains("var<workgroup> p2_flag: f32;"));
        assert_eq!(workgroup_bytes(&parts), Some(128 * 4 + 16 + 16));
        // The pipeline check counts only the variables the shader uses: never more.
        let used = crate::gpu::workgroup_storage_bytes(&merged.wgsl, "main").unwrap();
        assert!(
            (128 * 4..=128 * 4 + 16 + 16).contains(&used),
            "{used} bytes"
        );
        assert!(parts.iter().all(Part::mergeable));
        assert!(parts[1].writes(1) && !parts[1].writes(0));
    }

    #[test]
    fn merged_parts_compute_what_they_compute_apart() {
        let Some(gpu) = test_gpu() else { return };
        let parts = parts();
        let merged = merge(&parts);
        let scale = gpu.upload("scale", &[0.5f32]);
        let outputs: Vec<wgpu::Buffer> = [192 * 2, 5 * 64, 2 * 64]
            .iter()
            .map(|&len| gpu.upload("out", &vec![-1.0f32; len]))
            .collect();
        let buffer = |binding: &Binding| match binding {
            Binding::Tensor(TensorId(1)) => &scale,
            Binding::Tensor(TensorId(id)) => &outputs[if *id == 0 { 0 } else { *id as usize - 1 }],
            _ => unreachable!("the test binds tensors only"),
        };
        // SAFETY: every part indexes inside the buffers bound here.
        let pipeline = unsafe { gpu.pipeline_unchecked("merged", &merged.wgsl, "main") }.unwrap();
        let bound: Vec<&wgpu::Buffer> = merged.bindings.iter().map(buffer).collect();
        let bind_group = gpu.bind_buffers(&pipeline, &bound);
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(merged.workgroups[0], 1, 1);
        }
        gpu.queue.submit([encoder.finish()]);
        let read = |index: usize, len: usize| gpu.read::<f32>(&outputs[index], len).unwrap();
        let grid = read(0, 384);
        for y in 0..2u32 {
            for x in 0..192u32 {
                let want = (x * 1000 + y) as f32 + 32.0;
                assert_eq!(
                    grid[(y * 192 + x) as usize],
                    want,
                    "grid part at ({x}, {y})"
                );
            }
        }
        for (index, groups, factor) in [(1, 5u32, 1u32), (2, 2, 3)] {
            let got = read(index, groups as usize * 64);
            for group in 0..groups {
                for lane in 0..64u32 {
                    let want = if lane >= 60 {
                        -1.0
                    } else {
                        ((63 - lane) * factor) as f32 * 0.5 + group as f32 * 100.0
                    };
                    assert_eq!(
                        got[(group * 64 + lane) as usize],
                        want,
                        "part {index}, workgroup {group}, lane {lane}"
                    );
                }
            }
        }
    }
}
