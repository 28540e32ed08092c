//! The replay ring on the GPU and the training-batch sampler (see
//! `shaders/selfplay/replay.wgsl` and `sample.wgsl`).

use std::sync::Arc;

use crate::gpu::{Gpu, GpuError};
use crate::graph::GraphError;
use crate::graph::wgsl::GpuProgram;
use crate::nn::names;
use crate::search::SearchError;
use crate::search::gpu::{GAME_RECORD_WGSL, GpuSearch};

const REPLAY_WGSL: &str = include_str!("../../shaders/selfplay/replay.wgsl");
const SAMPLE_WGSL: &str = include_str!("../../shaders/selfplay/sample.wgsl");
/// Games per scan block (the scan's workgroup size).
const SCAN_WIDTH: u32 = 256;

/// Errors of the GPU replay buffer.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the GPU replay scan handles at most {max} games in flight, {games} were asked for")]
    TooManyGames { games: u32, max: u32 },
    #[error(
        "the replay buffer needs room for every game in flight finishing at once ({needed} \
         positions, twice the games' length with surprise weighting), it has {capacity}: \
         raise --replay-capacity or lower --games"
    )]
    TooSmall { capacity: u64, needed: u64 },
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

struct Kernel {
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    workgroups: u32,
}

impl Kernel {
    fn build(
        gpu: &Gpu,
        source: &str,
        entry: &str,
        buffers: &[&wgpu::Buffer],
        workgroups: u32,
    ) -> Result<Self, GpuError> {
        let pipeline = gpu.pipeline(&format!("replay {entry}"), source, entry)?;
        let bind_group = gpu.bind_used(&pipeline, source, entry, buffers)?;
        Ok(Self {
            pipeline,
            bind_group,
            workgroups,
        })
    }

    fn record(&self, pass: &mut wgpu::ComputePass) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.workgroups, 1, 1);
    }
}

/// The ring of training samples (`[capacity, record_floats]`, value target last) and the
/// kernels that append finished games to it.
pub struct GpuReplay {
    gpu: Arc<Gpu>,
    capacity: u64,
    record_floats: u32,
    ring: wgpu::Buffer,
    header: wgpu::Buffer,
    kernels: [Kernel; 4],
    _offsets: wgpu::Buffer,
}

impl GpuReplay {
    /// A ring of `capacity` positions for the games of `search` (which must record).
    pub fn new(gpu: &Arc<Gpu>, search: &GpuSearch, capacity: u64) -> Result<Self, ReplayError> {
        let games = search.games();
        let blocks = games.div_ceil(SCAN_WIDTH);
        if blocks > SCAN_WIDTH {
            return Err(ReplayError::TooManyGames {
                games,
                max: SCAN_WIDTH * SCAN_WIDTH,
            });
        }
        let (record_floats, trajectory_len) = search.record_layout();
        // Every game finishing at once must fit, or a commit would overwrite itself.
        let needed = u64::from(games) * u64::from(search.max_game_records());
        if capacity < needed {
            return Err(ReplayError::TooSmall { capacity, needed });
        }
        let source = format!(
            "const GAMES: u32 = {games}u;
const TRAJECTORY_LEN: u32 = {trajectory_len}u;
const RECORD_FLOATS: u32 = {record_floats}u;
const CAPACITY: u32 = {capacity}u;
const BLOCKS: u32 = {blocks}u;
{GAME_RECORD_WGSL}
{REPLAY_WGSL}"
        );
        let ring = gpu.storage_buffer("replay ring", capacity * u64::from(record_floats) * 4);
        let header = gpu.storage_buffer("replay header", 16);
        let offsets = gpu.storage_buffer("replay offsets", u64::from(games + blocks + 1) * 4);
        let buffers = [
            search.game_buffer(),
            search.trajectory_buffer(),
            &ring,
            &header,
            &offsets,
        ];
        let kernels = [
            Kernel::build(gpu, &source, "scan_games", &buffers, blocks)?,
            Kernel::build(gpu, &source, "scan_blocks", &buffers, 1)?,
            Kernel::build(gpu, &source, "commit", &buffers, games.div_ceil(64))?,
            Kernel::build(gpu, &source, "advance", &buffers, 1)?,
        ];
        Ok(Self {
            gpu: Arc::clone(gpu),
            capacity,
            record_floats,
            ring,
            header,
            kernels,
            _offsets: offsets,
        })
    }

    /// Records the append of the games that finished at the last move.
    pub fn record_commit(&self, pass: &mut wgpu::ComputePass) {
        for kernel in &self.kernels {
            kernel.record(pass);
        }
    }

    /// (positions held, positions ever written).
    pub fn read_counts(&self) -> Result<(u64, u64), ReplayError> {
        let header: Vec<u32> = self.gpu.read(&self.header, 3)?;
        Ok((u64::from(header[1]), u64::from(header[2])))
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Every record in the ring, `[capacity, record_floats]` (for tests and tools).
    pub fn read_ring(&self) -> Result<Vec<f32>, ReplayError> {
        Ok(self.gpu.read(
            &self.ring,
            (self.capacity * u64::from(self.record_floats)) as usize,
        )?)
    }
}

/// Draws training batches from a [`GpuReplay`] into a training program's inputs, and sums
/// the step's loss terms on the GPU.
pub struct GpuSampler {
    gpu: Arc<Gpu>,
    sample: Kernel,
    accumulate: Kernel,
    sums: wgpu::Buffer,
    _rng: wgpu::Buffer,
}

/// Running sums of [loss, policy loss, value loss, entropy, steps].
pub const LOSS_SUMS: usize = 5;

impl GpuSampler {
    /// A sampler of `batch` positions of the clique game on K_`vertices` (with random
    /// vertex relabelling when `augment`) into `training`'s inputs.
    pub fn new(
        gpu: &Arc<Gpu>,
        replay: &GpuReplay,
        training: &GpuProgram,
        batch: u32,
        vertices: u32,
        augment: bool,
        seed: u64,
    ) -> Result<Self, ReplayError> {
        let edges = vertices * (vertices - 1) / 2;
        let header_struct =
            "struct Header {\n    head: u32,\n    count: u32,\n    written: u32,\n}\n";
        let source = format!(
            "const BATCH: u32 = {batch}u;
const RECORD_FLOATS: u32 = {record_floats}u;
const VERTICES: u32 = {vertices}u;
const EDGES: u32 = {edges}u;
const OBSERVATION_LEN: u32 = {observation}u;
const AUGMENT: bool = {augment};
{header_struct}
{SAMPLE_WGSL}",
            record_floats = replay.record_floats,
            observation = 3 * edges,
        );
        let seeds: Vec<u32> = (0..batch)
            .map(|b| {
                let mixed = seed
                    .wrapping_add(u64::from(b))
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15);
                (mixed >> 32) as u32 ^ mixed as u32
            })
            .collect();
        let rng = gpu.upload("sampler rng", &seeds);
        let sums = gpu.storage_buffer("loss sums", (LOSS_SUMS * 4) as u64);
        let buffers = [
            &replay.ring,
            &replay.header,
            &rng,
            training.buffer(names::OBSERVATIONS)?,
            training.buffer(names::POLICY_TARGET)?,
            training.buffer(names::LEGAL_MASK)?,
            training.buffer(names::VALUE_TARGET)?,
            training.buffer(names::LOSS)?,
            training.buffer(names::POLICY_LOSS)?,
            training.buffer(names::VALUE_LOSS)?,
            training.buffer(names::POLICY_ENTROPY)?,
            &sums,
        ];
        Ok(Self {
            gpu: Arc::clone(gpu),
            sample: Kernel::build(gpu, &source, "sample_batch", &buffers, batch.div_ceil(64))?,
            accumulate: Kernel::build(gpu, &source, "accumulate_losses", &buffers, 1)?,
            sums,
            _rng: rng,
        })
    }

    pub fn record_sample(&self, pass: &mut wgpu::ComputePass) {
        self.sample.record(pass);
    }

    pub fn record_accumulate(&self, pass: &mut wgpu::ComputePass) {
        self.accumulate.record(pass);
    }

    pub fn clear_sums(&self) {
        self.gpu
            .queue
            .write_buffer(&self.sums, 0, bytemuck::cast_slice(&[0.0f32; LOSS_SUMS]));
    }

    pub fn read_sums(&self) -> Result<[f32; LOSS_SUMS], ReplayError> {
        let sums: Vec<f32> = self.gpu.read(&self.sums, LOSS_SUMS)?;
        Ok(sums.try_into().expect("five sums"))
    }
}
