//! Horizontal fusion of finishing passes: the second dispatches of split kernels (the sums
//! of a split contraction's slices, a split reduction's chunk sums with its epilogue) are
//! independent of each other, tiny, and each cost a dispatch and a barrier (about 8 µs
//! inside an H100 training step against 3 µs back to back). [`merge`] makes one shader of
//! several: its workgroups are the parts' workgroups one after another, and each workgroup
//! runs the body of the part it belongs to.
//!
//! Parts must be generated WGSL of one form: 1-D grids of [`WORKGROUP`]-thread groups, an
//! entry point `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index)
//! lid: u32)` as the last item of the module, storage bindings in group 0 and workgroup
//! variables one per line. Every binding and helper function of part `j` is renamed with a
//! `p{j}_` prefix; identical workgroup variables are shared (a workgroup runs one part).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use super::generate::{Binding, WORKGROUP};

/// The entry point every part declares, on one line.
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

impl Part {
    /// The module before the entry point and the entry point's body, if the part has the
    /// form [`merge`] takes.
    fn module_and_body(&self) -> Option<(&str, &str)> {
        if self.workgroups[1] != 1 || self.workgroups[2] != 1 {
            return None;
        }
        self.wgsl.split_once(&format!(
            "@compute @workgroup_size({WORKGROUP})\n{FINISHING_MAIN}"
        ))
    }

    /// Whether [`merge`] can take the part.
    pub fn mergeable(&self) -> bool {
        self.module_and_body().is_some()
    }

    /// Storage bindings the part declares.
    pub fn declared_bindings(&self) -> usize {
        self.wgsl
            .lines()
            .filter(|line| line.starts_with("@group(0) @binding("))
            .count()
    }
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

/// One shader running every part of `parts` (each [`Part::mergeable`]), its bindings and
/// its grid.
pub fn merge(parts: &[Part]) -> Part {
    let mut declarations = String::new();
    let mut shared = BTreeSet::new();
    let mut helpers = String::new();
    let mut branches = String::new();
    let mut bindings = Vec::new();
    let mut first_group = 0u32;
    for (j, part) in parts.iter().enumerate() {
        let (module, body) = part
            .module_and_body()
            .unwrap_or_else(|| panic!("part {j} is not a mergeable finishing pass"));
        let mut renames = HashMap::new();
        let mut rest = String::new();
        let mut binding_lines = Vec::new();
        for line in module.lines() {
            if let Some(after) = line.strip_prefix("@group(0) @binding(") {
                let (index, _) = after.split_once(')').expect("a binding index");
                let index: usize = index.parse().expect("a numeric binding index");
                let name = declared_name(line);
                renames.insert(name.to_owned(), format!("p{j}_{name}"));
                binding_lines.push((index, line));
            } else if line.starts_with("var<workgroup>") {
                shared.insert(line.to_owned());
            } else {
                if let Some(name) = line.strip_prefix("fn ").and_then(|f| f.split('(').next()) {
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
        let body = body.trim_end();
        let body = body.strip_suffix('}').expect("main ends the module");
        helpers.push_str(&rename(&rest, &renames));
        let end = first_group + part.workgroups[0];
        let _ = write!(
            branches,
            "{else_}if group_id.x < {end}u {{\n        let wid = vec3<u32>(group_id.x - {first_group}u, 0u, 0u);{body}    }} ",
            else_ = if j == 0 { "    " } else { "else " },
            body = rename(body, &renames).replace('\n', "\n    "),
        );
        first_group = end;
    }
    let shared: String = shared.into_iter().map(|line| line + "\n").collect();
    let wgsl = format!(
        "{declarations}{shared}{helpers}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(workgroup_id) group_id: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
{branches}
}}
"
    );
    Part {
        wgsl,
        bindings,
        workgroups: [first_group, 1, 1],
    }
}
