//! The replay buffer saved beside a run's checkpoints (`checkpoints/replay.safetensors`),
//! so that a resumed run trains on its last session's positions at once instead of
//! waiting for self-play to refill the buffer.
//!
//! One file per run, replaced atomically: the most recent positions of the replay ring,
//! oldest first, as the ring's own words (a pipeline restores only a snapshot of its own
//! record layout), with the iteration of the checkpoint they go with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::RunDirError;
use super::checkpoint::CHECKPOINTS_DIRECTORY;
use super::durable;

/// The replay file's name inside `checkpoints/`.
pub const REPLAY_FILE: &str = "replay.safetensors";

const RECORDS: &str = "records";

/// A replay ring as its pipeline holds it.
#[derive(Clone, Copy, Debug)]
pub struct Ring<'a> {
    /// `[capacity or held, record_words]`, slot order.
    pub words: &'a [u32],
    pub record_words: usize,
    /// Slots of the ring.
    pub capacity: usize,
    /// The slot the next record goes to.
    pub head: usize,
    /// Records held: the first `held` slots until the ring is full.
    pub held: usize,
    /// Records ever written.
    pub written: u64,
}

/// The most recent positions of a replay ring.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplaySnapshot {
    /// The iteration of the checkpoint saved together with it.
    pub iteration: u64,
    /// What a record's words mean; a snapshot restores only into a ring of equal layout.
    pub layout: String,
    /// `u32` words of one record.
    pub record_words: usize,
    /// The records, oldest first (`record_words` words each).
    pub words: Vec<u32>,
    /// Positions ever written into the ring by the run, these included.
    pub written: u64,
}

impl ReplaySnapshot {
    /// Records held.
    pub fn len(&self) -> usize {
        self.words.len().checked_div(self.record_words).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest `records` records of `ring`, oldest first, for the checkpoint of
    /// `iteration`.
    pub fn newest(ring: &Ring<'_>, records: usize, layout: String, iteration: u64) -> Self {
        let Ring {
            words: ring,
            record_words,
            capacity,
            head,
            held,
            written,
        } = *ring;
        let held = held.min(capacity).min(records);
        let mut words = Vec::with_capacity(held * record_words);
        for back in (1..=held).rev() {
            let slot = (head + capacity - back) % capacity;
            words.extend_from_slice(&ring[slot * record_words..(slot + 1) * record_words]);
        }
        Self {
            iteration,
            layout,
            record_words,
            words,
            written,
        }
    }
}

/// Where a run's replay file lies.
pub fn replay_path(run_dir: &Path) -> PathBuf {
    run_dir.join(CHECKPOINTS_DIRECTORY).join(REPLAY_FILE)
}

/// Writes `snapshot` as `run_dir`'s replay file, atomically; returns its bytes.
pub fn save(run_dir: &Path, snapshot: &ReplaySnapshot) -> Result<u64, RunDirError> {
    let path = replay_path(run_dir);
    let corrupt = |reason: String| RunDirError::Corrupt {
        path: path.clone(),
        reason,
    };
    let bytes: &[u8] = bytemuck::cast_slice(&snapshot.words);
    let view = safetensors::tensor::TensorView::new(
        safetensors::Dtype::U32,
        vec![snapshot.len(), snapshot.record_words],
        bytes,
    )
    .map_err(|error| corrupt(format!("the replay does not match its shape: {error}")))?;
    let metadata = HashMap::from([
        ("iteration".to_owned(), snapshot.iteration.to_string()),
        ("layout".to_owned(), snapshot.layout.clone()),
        ("written".to_owned(), snapshot.written.to_string()),
    ]);
    let file = safetensors::serialize([(RECORDS, view)], Some(metadata))
        .map_err(|error| corrupt(format!("the replay cannot be written: {error}")))?;
    durable::write_atomically(&path, &file)?;
    Ok(file.len() as u64)
}

/// `run_dir`'s replay file, or `None` where the run has none.
pub fn load(run_dir: &Path) -> Result<Option<ReplaySnapshot>, RunDirError> {
    let path = replay_path(run_dir);
    let Some(bytes) = durable::read_bytes(&path)? else {
        return Ok(None);
    };
    let corrupt = |reason: String| RunDirError::Corrupt {
        path: path.clone(),
        reason,
    };
    let bad = |error: safetensors::SafeTensorError| corrupt(format!("bad safetensors: {error}"));
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).map_err(bad)?;
    let metadata = header.metadata().clone().unwrap_or_default();
    let field = |name: &str| {
        metadata
            .get(name)
            .cloned()
            .ok_or_else(|| corrupt(format!("no {name:?} in its metadata")))
    };
    let number = |name: &str| {
        field(name)?
            .parse::<u64>()
            .map_err(|error| corrupt(format!("its {name:?} is not a count: {error}")))
    };
    let file = safetensors::SafeTensors::deserialize(&bytes).map_err(bad)?;
    let records = file.tensor(RECORDS).map_err(bad)?;
    let [count, record_words] = records.shape() else {
        return Err(corrupt(format!("records of shape {:?}", records.shape())));
    };
    if records.dtype() != safetensors::Dtype::U32 || *record_words == 0 && *count > 0 {
        return Err(corrupt(format!(
            "records of {:?} words of {:?}",
            record_words,
            records.dtype()
        )));
    }
    let words: Vec<u32> = records
        .data()
        .chunks_exact(4)
        .map(|word| u32::from_le_bytes(word.try_into().expect("four bytes")))
        .collect();
    Ok(Some(ReplaySnapshot {
        iteration: number("iteration")?,
        layout: field("layout")?,
        record_words: *record_words,
        words,
        written: number("written")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_records_of_a_wrapped_ring_come_oldest_first() {
        // Capacity 4 records of 2 words; written 6 times, so slots hold records 4 5 2 3
        // and the next write goes to slot 2.
        let ring = [4, 40, 5, 50, 2, 20, 3, 30];
        let view = |words, head, held, written| Ring {
            words,
            record_words: 2,
            capacity: 4,
            head,
            held,
            written,
        };
        let all = ReplaySnapshot::newest(&view(&ring, 2, 4, 6), 10, "l".into(), 7);
        assert_eq!(all.words, [2, 20, 3, 30, 4, 40, 5, 50]);
        assert_eq!(all.len(), 4);
        let newest = ReplaySnapshot::newest(&view(&ring, 2, 4, 6), 3, "l".into(), 7);
        assert_eq!(newest.words, [3, 30, 4, 40, 5, 50]);
        // A ring not yet full holds only what was written.
        let young = [1, 10, 2, 20, 0, 0, 0, 0];
        let young = ReplaySnapshot::newest(&view(&young, 2, 2, 2), 10, "l".into(), 1);
        assert_eq!(young.words, [1, 10, 2, 20]);
    }

    #[test]
    fn a_ring_restored_from_its_snapshot_gives_the_same_snapshot() {
        use crate::selfplay::record::{NO_SEARCH_VALUE, RecordLayout};
        use crate::selfplay::replay::ReplayRing;
        let layout = RecordLayout {
            observation_len: 2,
            actions: 2,
        };
        let floats = layout.floats();
        let mut ring = ReplayRing::new(5, layout);
        // Three games of 3 records each: 9 writes into 5 slots, so the ring wraps.
        for game in 0..3 {
            let mut trajectory = Vec::new();
            for ply in 0..3 {
                let mut record = vec![(game * 10 + ply) as f32; floats];
                let tail = layout.tail();
                record[tail] = NO_SEARCH_VALUE;
                record[tail + 2] = 1.0;
                record[tail + 3] = (ply % 2) as f32;
                trajectory.extend(record);
            }
            ring.commit(&trajectory, 1.0);
        }
        let snapshot = |ring: &ReplayRing, records| {
            let view = Ring {
                words: bytemuck::cast_slice(ring.records()),
                record_words: floats,
                capacity: ring.capacity(),
                head: ring.head(),
                held: ring.len(),
                written: ring.written(),
            };
            ReplaySnapshot::newest(&view, records, layout.describe(), 3)
        };
        let saved = snapshot(&ring, usize::MAX);
        assert_eq!(saved.len(), 5);
        assert_eq!(saved.written, 9);
        // Oldest first: games 1 (plies 1, 2) and 2.
        let firsts: Vec<f32> = bytemuck::cast_slice::<u32, f32>(&saved.words)
            .chunks(floats)
            .map(|record| record[0])
            .collect();
        assert_eq!(firsts, [11.0, 12.0, 20.0, 21.0, 22.0]);
        let mut restored = ReplayRing::new(8, layout);
        restored.restore(bytemuck::cast_slice(&saved.words), saved.written);
        assert_eq!(snapshot(&restored, usize::MAX), saved);
        // A smaller ring keeps the newest.
        let mut small = ReplayRing::new(2, layout);
        small.restore(bytemuck::cast_slice(&saved.words), saved.written);
        assert_eq!(
            snapshot(&small, usize::MAX).words,
            saved.words[3 * floats..]
        );
    }

    #[test]
    fn a_saved_replay_loads_as_it_was_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        std::fs::create_dir_all(dir.path().join(CHECKPOINTS_DIRECTORY)).unwrap();
        let snapshot = ReplaySnapshot {
            iteration: 12,
            layout: "dense f32 [3, 2]".into(),
            record_words: 3,
            words: (0..12).map(|w| w * 7 + 1).collect(),
            written: 99,
        };
        save(dir.path(), &snapshot).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(snapshot));
        std::fs::write(replay_path(dir.path()), b"not safetensors").unwrap();
        let error = load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("replay.safetensors"), "{error}");
    }
}
