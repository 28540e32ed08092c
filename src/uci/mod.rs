//! A UCI chess engine (the Universal Chess Interface that chess GUIs and tools speak):
//! [`command`] reads the GUI's lines into typed commands, [`time`] turns a `go` into a
//! budget, [`engine`] keeps the position and the network and searches in a worker thread
//! with the batched single-tree search ([`crate::search::TreeSearch`]). `wgzero uci` runs
//! it on stdin and stdout. The protocol, the options and the formulas are in
//! docs/CHESS.md ("UCI engine").

pub mod command;
pub mod engine;
pub mod time;

pub use engine::{Engine, EngineSettings, Output};

/// Why the engine cannot start or change a setting.
#[derive(Debug, thiserror::Error)]
pub enum UciError {
    #[error("checkpoint {0}")]
    Checkpoint(String),
    #[error("backend: {0}")]
    Backend(String),
}

impl UciError {
    /// Whether the user should change a setting (an exit code 2 at start-up).
    pub fn is_setting(&self) -> bool {
        matches!(self, UciError::Checkpoint(_))
    }
}

/// The value head's q ∈ [−1, 1] (the mover's expected result) as centipawns:
/// 290.680623072 · tan(1.548090806 · q), lc0's mapping (monotone; q = 0.5 ≈ 284 cp,
/// q = 0.9 ≈ 1,620 cp, q = ±1 ≈ ±12,800 cp). q is clamped to [−1, 1] first.
pub fn centipawns(q: f32) -> i64 {
    let q = if q.is_nan() {
        0.0
    } else {
        f64::from(q.clamp(-1.0, 1.0))
    };
    (290.680623072 * (1.548090806 * q).tan()).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centipawns_grow_with_the_value_and_are_odd() {
        assert_eq!(centipawns(0.0), 0);
        assert_eq!(centipawns(0.5), 284);
        assert_eq!(centipawns(-0.5), -284);
        assert_eq!(centipawns(f32::NAN), 0);
        assert_eq!(centipawns(2.0), centipawns(1.0));
        let mut last = i64::MIN;
        for i in -100..=100 {
            let cp = centipawns(i as f32 / 100.0);
            assert!(cp > last, "{i}");
            last = cp;
        }
        assert!(
            (12_000..14_000).contains(&centipawns(1.0)),
            "{}",
            centipawns(1.0)
        );
    }
}
