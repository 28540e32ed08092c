//! The replay ring on the GPU and the training-batch sampler (`shaders/selfplay/replay.wgsl`
//! and `sample.wgsl`). Their host twins are [`super::replay::ReplayRing::commit`] and
//! [`super::replay::ReplayRing::sample_batch`].

use std::sync::Arc;

use super::SelfPlayError;
use super::gpu::{GpuSelfPlay, SELF_PLAY_GAME_WGSL};
use super::record::CompactLayout;
use super::replay::sampler_seeds;
use crate::games::{GpuGame, Symmetries};
use crate::gpu::{Gpu, GpuError, ReadRange};
use crate::graph::wgsl::GpuProgram;
use crate::nn::names;

const REPLAY_WGSL: &str = include_str!("../../shaders/selfplay/replay.wgsl");
const SAMPLE_WGSL: &str = include_str!("../../shaders/selfplay/sample.wgsl");
const DECODE_WGSL: &str = include_str!("../../shaders/selfplay/decode.wgsl");
/// Games per scan block (the scan's workgroup size).
pub const SCAN_WIDTH: u32 = 256;
/// Running sums of [loss, policy loss, value loss, entropy, steps].
pub const LOSS_SUMS: usize = 5;

/// Workgroups along one dispatch dimension: the commit has one row of workgroups per game.
const MOST_WORKGROUPS: u32 = crate::gpu::MAX_WORKGROUPS_PER_DIMENSION;

/// Workgroups along x and y for one workgroup per item (a record, a batch row; the
/// kernels skip those past the count).
fn workgroup_per_item(items: u32) -> (u32, u32) {
    let [x, y, _] = crate::gpu::workgroup_grid(u64::from(items));
    (x, y)
}

struct Kernel {
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    /// Workgroups along x and y.
    workgroups: (u32, u32),
}

impl Kernel {
    fn build(
        gpu: &Gpu,
        source: &str,
        entry: &str,
        buffers: &[&wgpu::Buffer],
        workgroups: (u32, u32),
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
        pass.dispatch_workgroups(self.workgroups.0, self.workgroups.1, 1);
    }
}

/// Where finished games come from: self-play's per-game records and trajectories.
pub struct ReplaySource<'a> {
    /// `[games]` `SelfPlayGame` records (`finished_length`, `finished_value0`,
    /// `finished_records` of the last move).
    pub games_buffer: &'a wgpu::Buffer,
    /// `[games, trajectory_len, compact record words]`.
    pub trajectory_buffer: &'a wgpu::Buffer,
    pub games: u32,
    pub trajectory_len: u32,
    pub layout: CompactLayout,
}

impl<'a> ReplaySource<'a> {
    /// The games of a self-play.
    pub fn of(self_play: &'a GpuSelfPlay) -> Self {
        Self {
            games_buffer: self_play.games_buffer(),
            trajectory_buffer: self_play.trajectory_buffer(),
            games: self_play.games(),
            trajectory_len: self_play.trajectory_len(),
            layout: self_play.compact_layout(),
        }
    }
}

/// The ring of training samples (`[capacity, compact record words]`, value target last) and
/// the kernels that append finished games to it.
pub struct GpuReplay {
    gpu: Arc<Gpu>,
    capacity: u64,
    layout: CompactLayout,
    ring: wgpu::Buffer,
    header: wgpu::Buffer,
    kernels: [Kernel; 4],
    _offsets: wgpu::Buffer,
}

/// Bytes of the largest storage buffer one binding of `gpu` may hold.
pub fn largest_binding_bytes(gpu: &Gpu) -> u64 {
    gpu.limits
        .max_storage_buffer_binding_size
        .min(gpu.limits.max_buffer_size)
}

/// The most records of `layout` a replay ring on `gpu` holds (one binding).
pub fn most_records(gpu: &Gpu, layout: CompactLayout) -> u64 {
    largest_binding_bytes(gpu) / (layout.words() as u64 * 4)
}

/// WGSL constants and functions shared by the sampler and the ring's decoder: the layout's
/// sizes, the game's search adapter and decode.wgsl.
fn decode_source(layout: CompactLayout, game: &dyn GpuGame) -> String {
    format!(
        "const STATE_WORDS: u32 = {state_words}u;
const ACTIONS: u32 = {actions}u;
const OBSERVATION_LEN: u32 = {observation}u;
const RECORD_LEGAL: u32 = {legal}u;
const RECORD_WORDS: u32 = {words}u;
const DENSE_FLOATS: u32 = {dense}u;
{adapter}
{DECODE_WGSL}",
        state_words = layout.state_words,
        actions = layout.dense.actions,
        observation = layout.dense.observation_len,
        legal = layout.max_legal,
        words = layout.words(),
        dense = layout.dense.floats(),
        adapter = game.search_adapter(),
    )
}

impl GpuReplay {
    /// A ring of `capacity` records for the games of `source`.
    pub fn new(
        gpu: &Arc<Gpu>,
        source: &ReplaySource<'_>,
        capacity: u64,
    ) -> Result<Self, SelfPlayError> {
        let games = source.games;
        let blocks = games.div_ceil(SCAN_WIDTH);
        if games > MOST_WORKGROUPS {
            return Err(SelfPlayError::Config(format!(
                "the GPU replay handles at most {MOST_WORKGROUPS} games in flight, {games} \
                 were asked for: lower --games"
            )));
        }
        // Any capacity works: a commit of more records than the ring holds keeps the last
        // ones (replay.wgsl), as the host ring does.
        let record_words = source.layout.words();
        let ring_bytes = capacity * record_words as u64 * 4;
        let most = most_records(gpu, source.layout);
        if capacity > most {
            return Err(SelfPlayError::Config(format!(
                "a replay ring of {capacity} positions takes {ring_bytes} bytes, over this \
                 adapter's {}-byte buffer limit: lower --replay-capacity to at most {most}",
                largest_binding_bytes(gpu)
            )));
        }
        let wgsl = format!(
            "const GAMES: u32 = {games}u;
const TRAJECTORY_LEN: u32 = {trajectory_len}u;
const RECORD_WORDS: u32 = {record_words}u;
const CAPACITY: u32 = {capacity}u;
const BLOCKS: u32 = {blocks}u;
{SELF_PLAY_GAME_WGSL}
{REPLAY_WGSL}",
            trajectory_len = source.trajectory_len,
        );
        let ring = gpu.storage_buffer("replay ring", ring_bytes);
        let header = gpu.storage_buffer("replay header", 16);
        let offsets = gpu.storage_buffer("replay offsets", u64::from(games + blocks + 1) * 4);
        let buffers = [
            source.games_buffer,
            source.trajectory_buffer,
            &ring,
            &header,
            &offsets,
        ];
        let kernels = [
            Kernel::build(gpu, &wgsl, "scan_games", &buffers, (blocks, 1))?,
            Kernel::build(gpu, &wgsl, "scan_blocks", &buffers, (1, 1))?,
            // One workgroup per 64 words of a record and per game.
            Kernel::build(
                gpu,
                &wgsl,
                "commit",
                &buffers,
                ((record_words as u32).div_ceil(64), games),
            )?,
            Kernel::build(gpu, &wgsl, "advance", &buffers, (1, 1))?,
        ];
        Ok(Self {
            gpu: Arc::clone(gpu),
            capacity,
            layout: source.layout,
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

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn layout(&self) -> CompactLayout {
        self.layout
    }

    /// (next slot, records held, records ever written), blocking: tools and tests.
    pub fn read_header(&self) -> Result<[u32; 3], SelfPlayError> {
        let header: Vec<u32> = self.gpu.read(&self.header, 3)?;
        Ok([header[0], header[1], header[2]])
    }

    /// The header's range (next slot, held, written), for a readback.
    pub fn header_range(&self) -> ReadRange<'_> {
        ReadRange::elements::<u32>(&self.header, 3)
    }

    /// Every record in the ring, compact (`[capacity, record words]`), blocking: tools and
    /// tests.
    pub fn read_ring(&self) -> Result<Vec<u32>, SelfPlayError> {
        Ok(self
            .gpu
            .read(&self.ring, self.capacity as usize * self.layout.words())?)
    }

    /// The whole ring's range, `[capacity, record words]`, for a readback.
    pub fn ring_range(&self) -> ReadRange<'_> {
        ReadRange::elements::<u32>(&self.ring, self.capacity as usize * self.layout.words())
    }

    /// Refills the ring with `records` (`[count, record words]`, oldest first; the newest
    /// `capacity` are kept) that a ring of this layout held after `written` writes.
    pub fn restore(&self, records: &[u32], written: u64) {
        let words = self.layout.words();
        let count = (records.len() / words).min(self.capacity as usize);
        let kept = &records[records.len() - count * words..];
        let head = (count as u64 % self.capacity) as u32;
        let written = written.max(count as u64).min(u64::from(u32::MAX)) as u32;
        self.write(kept, head, count as u32, written);
    }

    /// The ring's first `records` slots in the dense form a training batch holds
    /// (`[records, dense record floats]`, value target last), expanded on the GPU with
    /// `game`'s adapter as the sampler does it (blocking: tools and tests).
    pub fn read_dense(&self, game: &dyn GpuGame, records: u64) -> Result<Vec<f32>, SelfPlayError> {
        let records = records.min(self.capacity);
        if records == 0 {
            return Ok(Vec::new());
        }
        let floats = self.layout.dense.floats();
        let source = decode_source(self.layout, game);
        let dense = self
            .gpu
            .storage_buffer("decoded replay", records * floats as u64 * 4);
        let mut buffers = vec![&self.ring; 13];
        buffers[12] = &dense;
        let kernel = Kernel::build(
            &self.gpu,
            &source,
            "decode_ring",
            &buffers,
            workgroup_per_item(records as u32),
        )?;
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("decode replay"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            kernel.record(&mut pass);
        }
        self.gpu.queue.submit([encoder.finish()]);
        Ok(self.gpu.read(&dense, records as usize * floats)?)
    }

    /// Fills the ring (compact records) and its header (tests set a known state this way).
    pub fn write(&self, records: &[u32], head: u32, count: u32, written: u32) {
        self.gpu
            .queue
            .write_buffer(&self.ring, 0, bytemuck::cast_slice(records));
        self.gpu.queue.write_buffer(
            &self.header,
            0,
            bytemuck::cast_slice(&[head, count, written]),
        );
    }
}

/// Draws training batches from a [`GpuReplay`] into a training program's inputs (each
/// compact record expanded with the game's adapter, seen under a random symmetry of the
/// game when augmenting), and sums each step's loss terms on the GPU.
pub struct GpuSampler {
    gpu: Arc<Gpu>,
    sample: Kernel,
    accumulate: Kernel,
    sums: wgpu::Buffer,
    rng: wgpu::Buffer,
    /// `[batch, dense record floats]`: each row's record expanded, before `write_row`.
    _dense: wgpu::Buffer,
}

impl GpuSampler {
    /// A sampler of `batch` rows of `game`'s records into `training`'s inputs, its per-row
    /// streams seeded from `seed` ([`sampler_seeds`]), each row seen under a random
    /// symmetry of `symmetries`.
    pub fn new(
        gpu: &Arc<Gpu>,
        replay: &GpuReplay,
        game: &dyn GpuGame,
        training: &GpuProgram,
        batch: u32,
        symmetries: Option<&dyn Symmetries>,
        seed: u64,
    ) -> Result<Self, SelfPlayError> {
        let layout = replay.layout;
        let header_struct =
            "struct Header {\n    head: u32,\n    count: u32,\n    written: u32,\n}\n";
        // The game's symmetry is drawn and applied by lane 0 alone (its random stream).
        let write_row = match symmetries {
            Some(symmetries) => format!(
                "{}
fn write_row(record: u32, row: u32, lane: u32, lanes: u32) {{
    if lane == 0u {{
        augment_sample(record, row);
    }}
}}
",
                symmetries.sample_wgsl()
            ),
            None => "fn write_row(record: u32, row: u32, lane: u32, lanes: u32) {
    copy_row(record, row, lane, lanes);
}
"
            .to_owned(),
        };
        let source = format!(
            "const BATCH: u32 = {batch}u;
{decode}
{header_struct}
{SAMPLE_WGSL}
{write_row}",
            decode = decode_source(layout, game),
        );
        let dense = gpu.storage_buffer(
            "sampler rows",
            u64::from(batch) * layout.dense.floats() as u64 * 4,
        );
        let rng = gpu.upload("sampler rng", &sampler_seeds(seed, batch));
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
            &dense,
        ];
        Ok(Self {
            gpu: Arc::clone(gpu),
            sample: Kernel::build(
                gpu,
                &source,
                "sample_batch",
                &buffers,
                workgroup_per_item(batch),
            )?,
            accumulate: Kernel::build(gpu, &source, "accumulate_losses", &buffers, (1, 1))?,
            sums,
            rng,
            _dense: dense,
        })
    }

    pub fn record_sample(&self, pass: &mut wgpu::ComputePass) {
        self.sample.record(pass);
    }

    pub fn record_accumulate(&self, pass: &mut wgpu::ComputePass) {
        self.accumulate.record(pass);
    }

    /// Zeroes the loss sums (ordered before the next submit).
    pub fn clear_sums(&self) {
        self.gpu
            .queue
            .write_buffer(&self.sums, 0, bytemuck::cast_slice(&[0.0f32; LOSS_SUMS]));
    }

    /// The loss sums' range, for a readback.
    pub fn sums_range(&self) -> ReadRange<'_> {
        ReadRange::elements::<f32>(&self.sums, LOSS_SUMS)
    }

    /// The per-row random streams (blocking read: tests compare them with the host twin's).
    pub fn read_rng(&self, batch: usize) -> Result<Vec<u32>, SelfPlayError> {
        Ok(self.gpu.read(&self.rng, batch)?)
    }
}
