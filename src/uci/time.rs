//! Time management: how long and how many simulations one `go` may take.
//!
//! - `go infinite`: no limit; the search runs until `stop`.
//! - `go movetime T`: a hard deadline of T − min(overhead, T/2).
//! - a clock (`wtime`/`btime`, with `winc`/`binc`, `movestogo`): with r the mover's time
//!   left, i its increment and m the moves to go (30 when not sent):
//!   budget = min(r/m + 0.75·i, r/3) − overhead, at least 0.
//! - `go nodes N`: at most N simulations (with a time limit too when both are sent).
//! - none of these (`go`, `go depth 5`): the engine's Simulations option.
//!
//! The overhead ([`MOVE_OVERHEAD`]) pays for what happens outside the search: the last
//! network call that runs over the deadline, printing, the GUI's and the pipe's latency.
//! Negative times (a clock already run out) count as 0. A search always evaluates the
//! root, so with a budget of 0 the engine still answers, from the network's prior.

use std::time::Duration;

use super::command::GoParams;

/// Kept back from every budget for what the search does not see.
pub const MOVE_OVERHEAD: Duration = Duration::from_millis(50);

/// Moves assumed left in the game when the GUI sends no `movestogo`.
pub const DEFAULT_MOVES_TO_GO: u64 = 30;

/// The limits of one search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Time from the `go` to the answer, at most.
    pub time: Option<Duration>,
    /// Simulations at most.
    pub nodes: Option<u64>,
    /// Search until `stop`, and answer only then.
    pub infinite: bool,
}

fn milliseconds(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// The budget of `go` for the side to move (`white_to_move`); `default_nodes` is the
/// Simulations option, used when `go` sets no limit.
pub fn budget(go: &GoParams, white_to_move: bool, default_nodes: u64) -> Budget {
    if go.infinite {
        return Budget {
            time: None,
            nodes: None,
            infinite: true,
        };
    }
    let (time_left, increment) = if white_to_move {
        (go.white_time_ms, go.white_increment_ms)
    } else {
        (go.black_time_ms, go.black_increment_ms)
    };
    let clock = time_left.map(|left| {
        let left = milliseconds(left);
        let moves = go.moves_to_go.unwrap_or(DEFAULT_MOVES_TO_GO).max(1);
        let share = left / moves.min(u64::from(u32::MAX)) as u32
            + milliseconds(increment.unwrap_or(0)).mul_f64(0.75);
        share.min(left / 3).saturating_sub(MOVE_OVERHEAD)
    });
    let move_time = go.move_time_ms.map(|t| {
        let t = milliseconds(t);
        t - MOVE_OVERHEAD.min(t / 2)
    });
    let time = match (clock, move_time) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let nodes = match (go.nodes, time) {
        (Some(nodes), _) => Some(nodes),
        (None, Some(_)) => None,
        (None, None) => Some(default_nodes),
    };
    Budget {
        time,
        nodes,
        infinite: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uci::command::{Command, parse};

    fn budget_of(line: &str, white: bool) -> Budget {
        let Ok(Some(Command::Go(go))) = parse(line) else {
            panic!("{line}")
        };
        budget(&go, white, 800)
    }

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn a_clock_gives_a_share_of_the_time_left_plus_most_of_the_increment() {
        // 60 s / 30 + 0.75 · 1 s − 50 ms.
        let b = budget_of("go wtime 60000 btime 1000 winc 1000 binc 0", true);
        assert_eq!(
            b,
            Budget {
                time: ms(2700),
                nodes: None,
                infinite: false
            }
        );
        // Black's clock for black: 1000/30 = 33 ms (and a third) − 50 ms → 0.
        assert_eq!(
            budget_of("go wtime 60000 btime 1000 winc 1000", false).time,
            ms(0)
        );
        // movestogo 2: 10 s / 2 = 5 s, capped at a third of 10 s.
        let b = budget_of("go wtime 10000 btime 10000 movestogo 2", true);
        assert_eq!(
            b.time,
            Some(Duration::from_millis(10000) / 3 - MOVE_OVERHEAD)
        );
        // A large increment is capped by the third too.
        assert_eq!(budget_of("go btime 3000 binc 60000", false).time, ms(950));
    }

    #[test]
    fn never_more_than_the_time_left_whatever_the_numbers() {
        for line in [
            "go wtime -500 btime -500",
            "go wtime 0 btime 0 winc 0 binc 0",
            "go wtime 1 movestogo 0",
            "go wtime 9223372036854775807 winc 9223372036854775807",
            "go wtime 100 winc 100000 movestogo 1",
        ] {
            let b = budget_of(line, true);
            let Ok(Some(Command::Go(go))) = parse(line) else {
                panic!()
            };
            let left = milliseconds(go.white_time_ms.unwrap());
            assert!(b.time.unwrap() <= left / 3, "{line}: {b:?}");
        }
    }

    #[test]
    fn movetime_nodes_infinite_and_defaults() {
        assert_eq!(budget_of("go movetime 1000", true).time, ms(950));
        assert_eq!(budget_of("go movetime 60", true).time, ms(30));
        assert_eq!(budget_of("go movetime -3", true).time, ms(0));
        let both = budget_of("go movetime 1000 wtime 6000", true);
        assert_eq!(both.time, ms(150), "the tighter one: 6 s / 30 − 50 ms");
        assert_eq!(
            budget_of("go nodes 77", true),
            Budget {
                time: None,
                nodes: Some(77),
                infinite: false
            }
        );
        assert_eq!(budget_of("go nodes 77 movetime 500", true).nodes, Some(77));
        assert_eq!(budget_of("go movetime 500", true).nodes, None);
        assert_eq!(
            budget_of("go", true),
            Budget {
                time: None,
                nodes: Some(800),
                infinite: false
            }
        );
        assert_eq!(budget_of("go depth 9", false).nodes, Some(800));
        let infinite = budget_of("go infinite nodes 5 movetime 10", true);
        assert_eq!(
            infinite,
            Budget {
                time: None,
                nodes: None,
                infinite: true
            }
        );
    }
}
