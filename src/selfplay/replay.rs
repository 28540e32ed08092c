//! The replay ring in host memory: the host pipeline's replay buffer, and the host twin of
//! the GPU's (`shaders/selfplay/replay.wgsl` appends finished games, `sample.wgsl` draws
//! training batches; `tests/replay_twins.rs` compares them). Records have the layout of
//! [`super::record`], with the value target in the last float.

use super::record::{NO_SEARCH_VALUE, RecordLayout};
use crate::games::Symmetries;

/// The sampler's random stream, one per batch row: the same step as `next_random` in
/// `shaders/selfplay/sample.wgsl`, so that both draw the same rows and symmetries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleRng(pub u32);

impl SampleRng {
    pub fn next_u32(&mut self) -> u32 {
        let old = self.0;
        self.0 = old.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        let word = ((old >> ((old >> 28) + 4)) ^ old).wrapping_mul(277_803_737);
        (word >> 22) ^ word
    }
}

/// The initial states of the sampler's per-row streams for `batch` rows from `seed` (the
/// GPU sampler uploads the same).
pub fn sampler_seeds(seed: u64, batch: u32) -> Vec<u32> {
    (0..batch)
        .map(|row| {
            let mixed = seed
                .wrapping_add(u64::from(row))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (mixed >> 32) as u32 ^ mixed as u32
        })
        .collect()
}

/// A training batch, row-major, in the training program's input layout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// `[batch, observation_len]`
    pub observations: Vec<f32>,
    /// `[batch, actions]`
    pub legal_masks: Vec<f32>,
    /// `[batch, actions]`
    pub policy_targets: Vec<f32>,
    /// `[batch, 1]`
    pub value_targets: Vec<f32>,
}

/// A ring of at most `capacity` records; once full, each new record replaces the oldest.
/// Storage grows with use up to the capacity.
#[derive(Clone, Debug)]
pub struct ReplayRing {
    layout: RecordLayout,
    capacity: usize,
    /// `[held, record floats]`, slot order.
    records: Vec<f32>,
    /// Next slot to write.
    head: usize,
    /// Records ever written.
    written: u64,
}

impl ReplayRing {
    /// An empty ring of `capacity` ≥ 1 records of `layout`.
    pub fn new(capacity: usize, layout: RecordLayout) -> Self {
        Self {
            layout,
            capacity: capacity.max(1),
            records: Vec::new(),
            head: 0,
            written: 0,
        }
    }

    pub fn layout(&self) -> RecordLayout {
        self.layout
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records held (at most the capacity).
    pub fn len(&self) -> usize {
        self.records.len() / self.layout.floats()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records ever written, overwritten ones included.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The slot the next record goes to.
    pub fn head(&self) -> usize {
        self.head
    }

    /// The record in slot `slot` (< len). Slots fill in order; once the ring is full the
    /// oldest is at [`ReplayRing::head`].
    pub fn record(&self, slot: usize) -> &[f32] {
        let floats = self.layout.floats();
        &self.records[slot * floats..(slot + 1) * floats]
    }

    /// Every held record, `[len, record floats]`.
    pub fn records(&self) -> &[f32] {
        &self.records
    }

    /// Refills the ring with `records` (`[count, record floats]`, oldest first; the newest
    /// `capacity` are kept) that a ring of this layout held after `written` writes: a
    /// resumed run's saved replay ([`crate::run_dir::replay`]).
    pub fn restore(&mut self, records: &[f32], written: u64) {
        let floats = self.layout.floats();
        let count = (records.len() / floats).min(self.capacity);
        self.records = records[records.len() - count * floats..].to_vec();
        self.head = count % self.capacity;
        self.written = written.max(count as u64);
    }

    fn push(&mut self, record: &[f32], value_target: f32) {
        let floats = self.layout.floats();
        if self.len() < self.capacity {
            self.records.extend_from_slice(&record[..floats - 1]);
            self.records.push(value_target);
        } else {
            let slot = &mut self.records[self.head * floats..(self.head + 1) * floats];
            slot[..floats - 1].copy_from_slice(&record[..floats - 1]);
            slot[floats - 1] = value_target;
        }
        self.head = (self.head + 1) % self.capacity;
        self.written += 1;
    }

    /// Appends a finished game (the twin of `commit` in replay.wgsl): `trajectory` holds its
    /// records in move order (`[length, record floats]`, copies slot set, mover last) and
    /// `value0` its result for player 0 (1 win, 0 draw, −1 loss). Each record is stored
    /// as many times as its copies slot says, its last float replaced by the value target:
    /// the search's value where it has one (a random-opening position), else the result
    /// from the mover's view.
    pub fn commit(&mut self, trajectory: &[f32], value0: f32) {
        let floats = self.layout.floats();
        let tail = self.layout.tail();
        for record in trajectory.chunks_exact(floats) {
            let mover = record[floats - 1];
            let mut value = if mover > 0.5 { -value0 } else { value0 };
            let search_value = record[tail];
            if search_value <= 1.0 {
                value = search_value;
            }
            let copies = record[tail + 2] as u32;
            for _ in 0..copies {
                self.push(record, value);
            }
        }
    }

    /// Fills `batch` with `rngs.len()` rows (the twin of `sample_batch` in sample.wgsl):
    /// row b draws a held record uniformly with `rngs[b]`, then, with `symmetries`, a
    /// random symmetry from the same stream. An empty ring leaves `batch` untouched and
    /// returns false.
    pub fn sample_batch(
        &self,
        rngs: &mut [SampleRng],
        symmetries: Option<&dyn Symmetries>,
        batch: &mut Batch,
    ) -> bool {
        if self.is_empty() {
            return false;
        }
        let RecordLayout {
            observation_len: o,
            actions: a,
        } = self.layout;
        let rows = rngs.len();
        batch.observations.resize(rows * o, 0.0);
        batch.legal_masks.resize(rows * a, 0.0);
        batch.policy_targets.resize(rows * a, 0.0);
        batch.value_targets.resize(rows, 0.0);
        let count = self.len() as u32;
        for (row, rng) in rngs.iter_mut().enumerate() {
            let record = self.record((rng.next_u32() % count) as usize);
            let observation = &mut batch.observations[row * o..(row + 1) * o];
            let policy = &mut batch.policy_targets[row * a..(row + 1) * a];
            let mask = &mut batch.legal_masks[row * a..(row + 1) * a];
            match symmetries {
                Some(symmetries) => {
                    symmetries.augment(&mut || rng.next_u32(), record, observation, policy, mask)
                }
                None => {
                    observation.copy_from_slice(&record[..o]);
                    policy.copy_from_slice(&record[o..o + a]);
                    mask.copy_from_slice(&record[o + a..o + 2 * a]);
                }
            }
            batch.value_targets[row] = record[self.layout.floats() - 1];
        }
        true
    }
}

/// Whether a record's search-value slot holds a value (a random-opening position).
pub fn has_search_value(search_value: f32) -> bool {
    search_value != NO_SEARCH_VALUE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> RecordLayout {
        RecordLayout {
            observation_len: 2,
            actions: 2,
        }
    }

    /// A record with observation `[id, id]`, the given mover, copies and search value.
    fn record(id: f32, mover: f32, copies: f32, search_value: f32) -> Vec<f32> {
        vec![id, id, 0.5, 0.5, 1.0, 1.0, search_value, 0.0, copies, mover]
    }

    #[test]
    fn commit_stores_copies_with_each_movers_value_and_wraps() {
        let mut ring = ReplayRing::new(4, layout());
        let mut game = record(1.0, 0.0, 1.0, NO_SEARCH_VALUE);
        game.extend(record(2.0, 1.0, 2.0, NO_SEARCH_VALUE));
        game.extend(record(3.0, 0.0, 0.0, NO_SEARCH_VALUE));
        game.extend(record(4.0, 1.0, 1.0, 0.25));
        ring.commit(&game, 1.0);
        // Record 1 once (+1 for player 0), 2 twice (−1 for player 1), 3 never, 4 with its
        // search value.
        let held: Vec<(f32, f32)> = (0..ring.len())
            .map(|slot| (ring.record(slot)[0], ring.record(slot)[9]))
            .collect();
        assert_eq!(held, [(1.0, 1.0), (2.0, -1.0), (2.0, -1.0), (4.0, 0.25)]);
        ring.commit(&record(5.0, 0.0, 1.0, NO_SEARCH_VALUE), -1.0);
        assert_eq!(ring.len(), 4);
        assert_eq!(ring.written(), 5);
        assert_eq!(ring.record(0)[0], 5.0, "the oldest slot is replaced");
        assert_eq!(ring.record(0)[9], -1.0);
        assert_eq!(ring.head(), 1);
    }

    #[test]
    fn the_sample_stream_is_pcg_as_in_the_shader() {
        // The first outputs of the shader's step from state 1, computed by hand from
        // `next_random`: old = 1 → word = ((1 >> 4) ^ 1) · 277803737.
        let mut rng = SampleRng(1);
        let word = 277_803_737u32;
        assert_eq!(rng.next_u32(), (word >> 22) ^ word);
        assert_eq!(rng.0, 747_796_405u32.wrapping_add(2_891_336_453));
    }
}
