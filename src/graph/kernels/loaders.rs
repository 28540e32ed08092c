//! Operand staging of the matmul template: how each thread moves its share of an A or B
//! tile from the operand's binding (a strided matrix or a custom loader) into registers,
//! and from registers into workgroup memory.
//!
//! Both tiles live in workgroup memory k-major as vec4s along their outer index
//! (`a_tile[k][m]`, `b_tile[k][n]`), so the multiply loop reads four rows of A or four
//! columns of B with one vector load. Loads follow the operand's contiguous index so
//! neighbouring invocations read neighbouring addresses; four-wide loads are used
//! whenever the contiguous extent allows.

use std::fmt::Write;

use super::spec::Operand;

/// `expression / divisor` in WGSL, as a shift when the divisor is a power of two (naga
/// wraps `/` in a helper function guarding against division by zero).
pub(super) fn divide(expression: &str, divisor: u32) -> String {
    if divisor.is_power_of_two() {
        match divisor.trailing_zeros() {
            0 => format!("({expression})"),
            shift => format!("(({expression}) >> {shift}u)"),
        }
    } else {
        format!("(({expression}) / {divisor}u)")
    }
}

/// `expression % divisor` in WGSL, as a mask when the divisor is a power of two.
pub(super) fn remainder(expression: &str, divisor: u32) -> String {
    if divisor.is_power_of_two() {
        format!("(({expression}) & {}u)", divisor - 1)
    } else {
        format!("(({expression}) % {divisor}u)")
    }
}

/// Which operand a stager moves: they differ in names and in which logical index is the
/// tile's outer one (A: rows, B: columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    A,
    B,
}

/// The staging plan of one operand for one spec and tile shape.
pub(super) struct Stager<'a> {
    pub side: Side,
    pub operand: &'a Operand,
    /// Extent of the outer index (A: m, B: n) and of k.
    pub outer_extent: u32,
    pub k_extent: u32,
    /// Tile extents along the outer index and k.
    pub outer_tile: u32,
    pub k_tile: u32,
    pub threads: u32,
}

impl Stager<'_> {
    pub(super) fn name(&self) -> &'static str {
        match self.side {
            Side::A => "a",
            Side::B => "b",
        }
    }

    /// True when consecutive k are adjacent in memory (A not transposed, B transposed).
    pub(super) fn k_contiguous(&self) -> bool {
        match self.side {
            Side::A => !self.operand.transposed(),
            Side::B => self.operand.transposed(),
        }
    }

    /// Elements per load: 4 when the contiguous index allows vector loads.
    pub fn width(&self) -> u32 {
        let contiguous_extent = if self.k_contiguous() {
            self.k_extent
        } else {
            self.outer_extent
        };
        match self.operand {
            Operand::Strided { batch_stride, .. } => {
                if contiguous_extent % 4 == 0 && batch_stride % 4 == 0 {
                    4
                } else {
                    1
                }
            }
            Operand::Custom { vectorized, .. } => {
                if *vectorized {
                    4
                } else {
                    1
                }
            }
        }
    }

    /// The element type of the binding: `vec4<f32>` for vector loads.
    pub fn binding_type(&self) -> &'static str {
        if self.width() == 4 {
            "array<vec4<f32>>"
        } else {
            "array<f32>"
        }
    }

    fn units(&self) -> u32 {
        self.outer_tile * self.k_tile / self.width()
    }

    /// Loads each thread issues per tile.
    pub(super) fn slots(&self) -> u32 {
        self.units().div_ceil(self.threads)
    }

    fn register_type(&self) -> &'static str {
        if self.width() == 4 {
            "vec4<f32>"
        } else {
            "f32"
        }
    }

    /// Declares the per-thread staging registers.
    pub fn declare_registers(&self, out: &mut String) {
        for slot in 0..self.slots() {
            let _ = writeln!(
                out,
                "    var {}_stage_{slot}: {};",
                self.name(),
                self.register_type()
            );
        }
    }

    /// The tile-local (outer, k) position of slot `slot`'s first element, as WGSL
    /// expressions of `thread`.
    pub(super) fn position(&self, slot: u32) -> (String, String) {
        let unit = format!("(thread + {}u)", slot * self.threads);
        let width = self.width();
        if self.k_contiguous() {
            let per_row = self.k_tile / width;
            (
                divide(&unit, per_row),
                format!("({} * {width}u)", remainder(&unit, per_row)),
            )
        } else {
            let per_row = self.outer_tile / width;
            (
                format!("({} * {width}u)", remainder(&unit, per_row)),
                divide(&unit, per_row),
            )
        }
    }

    /// Guard expression for slot `slot`: the unit exists and (for strided operands) its
    /// element lies inside the matrix. `None` when always true.
    fn guard(&self, slot: u32, outer: &str, k: &str) -> Option<String> {
        let mut conditions = Vec::new();
        if (slot + 1) * self.threads > self.units() {
            conditions.push(format!(
                "thread + {}u < {}u",
                slot * self.threads,
                self.units()
            ));
        }
        if let Operand::Strided { .. } = self.operand {
            if !self.outer_extent.is_multiple_of(self.outer_tile) {
                conditions.push(format!("{outer} < {}u", self.outer_extent));
            }
            if !self.k_extent.is_multiple_of(self.k_tile) {
                conditions.push(format!("{k} < {}u", self.k_extent));
            }
        }
        (!conditions.is_empty()).then(|| conditions.join(" && "))
    }

    /// Loads this thread's share of the tile whose first outer index is `outer0` and
    /// first k is `k0` (WGSL expressions) into the staging registers.
    pub fn load(&self, out: &mut String, outer0: &str, k0: &str) {
        let name = self.name();
        let zero = if self.width() == 4 {
            "vec4<f32>(0.0)"
        } else {
            "0.0"
        };
        for slot in 0..self.slots() {
            let (outer_local, k_local) = self.position(slot);
            let outer = format!("({outer0} + {outer_local})");
            let k = format!("({k0} + {k_local})");
            let value = self.read_expression();
            let register = format!("{name}_stage_{slot}");
            let _ = writeln!(out, "        {{");
            let _ = writeln!(out, "            let outer = {outer};");
            let _ = writeln!(out, "            let k = {k};");
            match self.guard(slot, "outer", "k") {
                Some(condition) => {
                    let _ = writeln!(out, "            {register} = {zero};");
                    let _ = writeln!(
                        out,
                        "            if ({condition}) {{ {register} = {value}; }}"
                    );
                }
                None => {
                    let _ = writeln!(out, "            {register} = {value};");
                }
            }
            let _ = writeln!(out, "        }}");
        }
    }

    /// The WGSL expression reading the element(s) at the global position held by the WGSL
    /// variables `outer` and `k` in scope of the load.
    pub(super) fn read_expression(&self) -> String {
        let name = self.name();
        let width = self.width();
        match self.operand {
            Operand::Strided { batch_stride, .. } => {
                let row_length = if self.k_contiguous() {
                    self.k_extent
                } else {
                    self.outer_extent
                };
                let (major, minor) = if self.k_contiguous() {
                    ("outer", "k")
                } else {
                    ("k", "outer")
                };
                let base = if *batch_stride == 0 {
                    String::new()
                } else {
                    format!("batch * {batch_stride}u + ")
                };
                let index = format!("{base}{major} * {row_length}u + {minor}");
                if width == 4 {
                    format!("{name}_data[{}]", divide(&index, 4))
                } else {
                    format!("{name}_data[{index}]")
                }
            }
            Operand::Custom { vectorized, .. } => {
                let (row, col) = match self.side {
                    Side::A => ("outer", "k"),
                    Side::B => ("k", "outer"),
                };
                let function = if *vectorized {
                    format!("load_{name}4")
                } else {
                    format!("load_{name}")
                };
                format!("{function}(batch, {row}, {col})")
            }
        }
    }

    /// Stores the staging registers into workgroup stage `stage` (a WGSL expression of
    /// the stage's first vec4 index).
    pub fn store(&self, out: &mut String, stage: &str) {
        let name = self.name();
        let row_vectors = self.outer_tile / 4;
        for slot in 0..self.slots() {
            let (outer_local, k_local) = self.position(slot);
            let register = format!("{name}_stage_{slot}");
            let mut body = String::new();
            let _ = writeln!(body, "            let outer = {outer_local};");
            let _ = writeln!(body, "            let k = {k_local};");
            if self.width() == 4 && self.k_contiguous() {
                // Four k of one outer index: scattered to four rows of the k-major tile.
                for lane in 0..4 {
                    let component = ["x", "y", "z", "w"][lane as usize];
                    let _ = writeln!(
                        body,
                        "            {name}_tile[{stage} + (k + {lane}u) * {row_vectors}u + (outer >> 2u)][outer & 3u] = {register}.{component};"
                    );
                }
            } else if self.width() == 4 {
                let _ = writeln!(
                    body,
                    "            {name}_tile[{stage} + k * {row_vectors}u + (outer >> 2u)] = {register};"
                );
            } else {
                let _ = writeln!(
                    body,
                    "            {name}_tile[{stage} + k * {row_vectors}u + (outer >> 2u)][outer & 3u] = {register};"
                );
            }
            self.emit_slot(out, slot, &body);
        }
    }

    /// Writes `body` (statements for slot `slot`) in a block, guarded by the slot's
    /// existence when the tile's units do not fill every slot of every thread.
    pub(super) fn emit_slot(&self, out: &mut String, slot: u32, body: &str) {
        if (slot + 1) * self.threads > self.units() {
            let _ = writeln!(
                out,
                "        if (thread + {}u < {}u) {{\n{body}        }}",
                slot * self.threads,
                self.units()
            );
        } else {
            let _ = writeln!(out, "        {{\n{body}        }}");
        }
    }
}
