//! Tile shapes of the matmul template and the choice of one per adapter and problem.
//!
//! A workgroup computes a `tile_m x tile_n` block of C, walking k in steps of `tile_k`;
//! each invocation owns a `thread_m x thread_n` register block. Every configuration
//! [`choose_tiles`] can return for [`AdapterCaps::baseline`] fits the browser baseline
//! (<= 256 invocations, <= 16 KiB workgroup memory); larger ones are chosen only when the
//! adapter reports the room for them.

use serde::Serialize;

use super::{KernelError, MatmulSpec};
use crate::gpu::Gpu;

/// The tile parameters of one compiled matmul kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Tiles {
    /// Rows of C per workgroup (a multiple of `thread_m`).
    pub tile_m: u32,
    /// Columns of C per workgroup (a multiple of `thread_n`).
    pub tile_n: u32,
    /// Depth of one k step held in workgroup memory (a multiple of 4).
    pub tile_k: u32,
    /// Rows of C per invocation, held in registers: 4 or 8.
    pub thread_m: u32,
    /// Columns of C per invocation, held in registers: 4 or 8.
    pub thread_n: u32,
    /// Two workgroup-memory stages: the next k step loads while this one multiplies,
    /// with one barrier per step instead of two.
    pub double_buffer: bool,
}

impl Tiles {
    /// Invocations per workgroup.
    pub fn threads(&self) -> u32 {
        (self.tile_m / self.thread_m.max(1)) * (self.tile_n / self.thread_n.max(1))
    }

    /// Workgroup memory the A and B tiles take, in bytes.
    pub fn workgroup_storage_bytes(&self) -> u32 {
        let stages = if self.double_buffer { 2 } else { 1 };
        stages * self.tile_k * (self.tile_m + self.tile_n) * 4
    }

    /// A short name for benchmark output, e.g. `128x128x8_8x8_db`.
    pub fn name(&self) -> String {
        format!(
            "{}x{}x{}_{}x{}{}",
            self.tile_m,
            self.tile_n,
            self.tile_k,
            self.thread_m,
            self.thread_n,
            if self.double_buffer { "_db" } else { "" }
        )
    }

    /// Rejects tile shapes the template cannot generate, or that `caps` cannot run.
    pub fn check(&self, caps: &AdapterCaps) -> Result<(), KernelError> {
        self.validate()?;
        if self.threads() > caps.max_invocations_per_workgroup {
            return Err(KernelError::ExceedsAdapter {
                tiles: self.name(),
                what: "invocations per workgroup",
                needed: self.threads(),
                available: caps.max_invocations_per_workgroup,
            });
        }
        if self.workgroup_storage_bytes() > caps.max_workgroup_storage_bytes {
            return Err(KernelError::ExceedsAdapter {
                tiles: self.name(),
                what: "workgroup storage bytes",
                needed: self.workgroup_storage_bytes(),
                available: caps.max_workgroup_storage_bytes,
            });
        }
        Ok(())
    }

    /// Rejects tile shapes the template cannot generate, whatever the adapter.
    pub fn validate(&self) -> Result<(), KernelError> {
        let invalid = |reason: &str| KernelError::InvalidTiles {
            tiles: self.name(),
            reason: reason.to_owned(),
        };
        if ![4, 8].contains(&self.thread_m) || ![4, 8].contains(&self.thread_n) {
            return Err(invalid("thread_m and thread_n must be 4 or 8"));
        }
        if self.tile_m == 0 || !self.tile_m.is_multiple_of(self.thread_m) {
            return Err(invalid("tile_m must be a positive multiple of thread_m"));
        }
        if self.tile_n == 0 || !self.tile_n.is_multiple_of(self.thread_n) {
            return Err(invalid("tile_n must be a positive multiple of thread_n"));
        }
        if self.tile_k == 0 || !self.tile_k.is_multiple_of(4) || self.tile_k > 64 {
            return Err(invalid("tile_k must be a multiple of 4 between 4 and 64"));
        }
        Ok(())
    }
}

/// What of an adapter shapes the choice of tiles, read from its limits and features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterCaps {
    pub max_invocations_per_workgroup: u32,
    pub max_workgroup_storage_bytes: u32,
    pub max_storage_buffers_per_stage: u32,
    /// The adapter offers subgroup operations (unused by the current template).
    pub subgroups: bool,
    /// A CPU rasterizer (lavapipe, SwiftShader): few, small workgroups suffice.
    pub software: bool,
    /// The device runs the cooperative-matrix template ([`super::coop`]): 16×16×16 f16
    /// products with f32 accumulation, in subgroups of 32 ([`crate::gpu::Gpu::tensor_cores`]).
    pub tensor_cores: bool,
}

impl AdapterCaps {
    /// The browser baseline every kernel must fit: WebGPU's default limits
    /// (`wgpu::Limits::default()`: 256 invocations, 16 KiB of workgroup memory, 8 storage
    /// buffers per stage), no f16, no subgroups.
    pub fn baseline() -> Self {
        let limits = wgpu::Limits::default();
        Self {
            max_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
            max_workgroup_storage_bytes: limits.max_compute_workgroup_storage_size,
            max_storage_buffers_per_stage: limits.max_storage_buffers_per_shader_stage,
            subgroups: false,
            software: false,
            tensor_cores: false,
        }
    }

    /// The caps of the device `gpu` opened.
    pub fn of(gpu: &Gpu) -> Self {
        Self {
            max_invocations_per_workgroup: gpu.limits.max_compute_invocations_per_workgroup,
            max_workgroup_storage_bytes: gpu.limits.max_compute_workgroup_storage_size,
            max_storage_buffers_per_stage: gpu.limits.max_storage_buffers_per_shader_stage,
            subgroups: gpu.features.contains(wgpu::Features::SUBGROUP),
            software: gpu.info.device_type == wgpu::DeviceType::Cpu,
            tensor_cores: gpu.tensor_cores(),
        }
    }
}

const fn tiles(
    tile_m: u32,
    tile_n: u32,
    tile_k: u32,
    thread_m: u32,
    thread_n: u32,
    double_buffer: bool,
) -> Tiles {
    Tiles {
        tile_m,
        tile_n,
        tile_k,
        thread_m,
        thread_n,
        double_buffer,
    }
}

/// The configurations [`choose_tiles`] picks from, in order of preference (the tile survey
/// in docs/performance-history.md, "Kernel templates"). 8x8 register blocks with 128 or 64
/// invocations won; the first two need 24 KiB of workgroup memory, the rest fit the
/// baseline's 16 KiB.
pub const CANDIDATES: &[Tiles] = &[
    tiles(64, 128, 16, 8, 8, true),
    tiles(128, 64, 16, 8, 8, true),
    tiles(64, 64, 16, 8, 8, true),
    tiles(64, 128, 8, 8, 8, true),
    tiles(128, 64, 8, 8, 8, true),
    tiles(32, 32, 8, 4, 4, true),
    tiles(16, 16, 8, 4, 4, true),
];

/// Every configuration the kernel benchmark measures with `--survey`: the candidates,
/// then variants kept for comparison (256 invocations, 4x8 and 8x4 blocks,
/// single-buffered). Variants that lost everywhere are in docs/rejected-optimizations.md.
pub const SURVEY: &[Tiles] = &[
    tiles(64, 128, 16, 8, 8, true),
    tiles(128, 64, 16, 8, 8, true),
    tiles(64, 64, 16, 8, 8, true),
    tiles(64, 128, 8, 8, 8, true),
    tiles(128, 64, 8, 8, 8, true),
    tiles(32, 32, 8, 4, 4, true),
    tiles(16, 16, 8, 4, 4, true),
    tiles(128, 128, 8, 8, 8, true),
    tiles(128, 128, 16, 8, 8, true),
    tiles(128, 64, 16, 8, 4, true),
    tiles(64, 128, 16, 4, 8, true),
    tiles(64, 64, 16, 4, 4, true),
    tiles(64, 128, 16, 8, 8, false),
];

/// Workgroups a hardware GPU needs to be busy: about one per multiprocessor of a large GPU
/// (docs/kernel-archetypes.md, "Tile choice per adapter"); software adapters run a few at a
/// time.
fn busy_workgroups(caps: &AdapterCaps) -> u64 {
    if caps.software { 4 } else { 128 }
}

/// Padded work over useful work when `spec` is cut into `tiles`.
fn waste(spec: &MatmulSpec, tiles: &Tiles) -> f64 {
    let padded_m = spec.m.div_ceil(tiles.tile_m) * tiles.tile_m;
    let padded_n = spec.n.div_ceil(tiles.tile_n) * tiles.tile_n;
    (padded_m as f64 * padded_n as f64) / (spec.m as f64 * spec.n as f64)
}

fn workgroup_count(spec: &MatmulSpec, tiles: &Tiles) -> u64 {
    spec.m.div_ceil(tiles.tile_m) as u64 * spec.n.div_ceil(tiles.tile_n) as u64 * spec.batch as u64
}

/// The tiles for `spec` on an adapter with `caps`: the first candidate that fits the
/// adapter, keeps it busy and wastes at most a tenth of its work on ragged edges; failing
/// that, the fitting candidate with the least padding among those that keep it busy;
/// failing that (small problems), the one with the most workgroups and least padding.
pub fn choose_tiles(spec: &MatmulSpec, caps: &AdapterCaps) -> Tiles {
    let fitting: Vec<&Tiles> = CANDIDATES
        .iter()
        .filter(|tiles| tiles.check(caps).is_ok())
        .collect();
    let busy = busy_workgroups(caps);
    let keeps_busy = |tiles: &&&Tiles| workgroup_count(spec, tiles) >= busy;
    if let Some(tiles) = fitting
        .iter()
        .filter(keeps_busy)
        .find(|tiles| waste(spec, tiles) <= 1.1)
    {
        return **tiles;
    }
    if let Some(tiles) = fitting
        .iter()
        .filter(keeps_busy)
        .min_by(|x, y| waste(spec, x).total_cmp(&waste(spec, y)))
    {
        return **tiles;
    }
    fitting
        .iter()
        .min_by(|x, y| {
            let key = |tiles: &Tiles| {
                (
                    std::cmp::Reverse(workgroup_count(spec, tiles).min(busy)),
                    waste(spec, tiles),
                )
            };
            let (count_x, waste_x) = key(x);
            let (count_y, waste_y) = key(y);
            count_x.cmp(&count_y).then(waste_x.total_cmp(&waste_y))
        })
        .map(|tiles| **tiles)
        // The smallest candidate fits any WebGPU adapter (16 invocations, 2 KiB).
        .unwrap_or(CANDIDATES[CANDIDATES.len() - 1])
}
