//! Traced games: every move of the games the first [`PlaySettings::trace_games`] game
//! slots play, with what the search saw at the root (the chosen move, the root's value,
//! each legal child's prior and visit count), so that the trainer can record whole games
//! ([`crate::run_dir::games`]). The host self-play builds the records from its search
//! results ([`move_record`]); the GPU's `play_moves` writes them into the trace part of
//! self-play's log buffer, which comes back with each self-play readback, and
//! [`TraceCollector`] assembles the finished games from it.
//!
//! The GPU traces, `[traced games, TRACE_RING, words per move]` u32 (floats as
//! their bits): each traced slot writes its move number m (counted since the start) at
//! ring index `(m − 1) mod TRACE_RING`, so a readback after at most [`TRACE_RING`] moves
//! holds every move since the previous one. One move's words:
//!
//! ```text
//! [stamp (m, from 1), move index in its game (from 0), action, root value (f32, the
//!  mover's view), children, ended (1 if the move ended the game), outcome for player 0
//!  (f32; 0 unless ended), 0, then per child: action, prior (f32), visits]
//! ```
//!
//! [`PlaySettings::trace_games`]: super::record::PlaySettings::trace_games

use crate::run_dir::games::{ChildRecord, MoveRecord, PlayedGame};
use crate::search::SearchResult;

/// Moves a traced slot keeps in the GPU's trace ring: the most moves between two
/// readbacks of it.
pub const TRACE_RING: u32 = 2;

/// Words of a move's header in the GPU trace.
pub const TRACE_HEADER: u32 = 8;

/// A finished game of a traced slot.
#[derive(Clone, Debug, PartialEq)]
pub struct TracedGame {
    /// The game slot that played it.
    pub slot: u32,
    pub game: PlayedGame,
}

/// u32 words of one move in the GPU trace, for positions of at most `max_legal` moves.
pub fn trace_words_per_move(max_legal: u32) -> u32 {
    TRACE_HEADER + 3 * max_legal
}

/// A value as a record stores it: `None` when it is not a number (a diverged network).
fn finite(value: f32) -> Option<f32> {
    value.is_finite().then_some(value)
}

/// The record of playing `action` at a root the search summarised as `result`: its
/// children (in action order), their priors and visits, and the root's value.
pub fn move_record(result: &SearchResult, action: usize) -> MoveRecord {
    let mut children: Vec<ChildRecord> = result
        .children
        .iter()
        .map(|child| ChildRecord {
            action: child.action as u32,
            prior: child.prior,
            visits: child.visits,
        })
        .collect();
    children.sort_by_key(|child| child.action);
    MoveRecord {
        action: action as u32,
        value: finite(result.root_value),
        children,
    }
}

/// One traced slot's game in progress.
#[derive(Clone, Debug, Default)]
struct SlotTrace {
    /// The stamp of the last move taken in.
    stamp: u32,
    /// The moves of its current game, from its first; `None` until a game's first move
    /// is seen (or after moves were missed).
    moves: Option<Vec<MoveRecord>>,
}

/// Assembles finished games from readbacks of the GPU's trace buffer.
#[derive(Clone, Debug)]
pub struct TraceCollector {
    words_per_move: usize,
    slots: Vec<SlotTrace>,
}

impl TraceCollector {
    /// For `games` traced slots of a game with at most `max_legal` legal moves.
    pub fn new(games: u32, max_legal: u32) -> Self {
        Self {
            words_per_move: trace_words_per_move(max_legal) as usize,
            slots: vec![SlotTrace::default(); games as usize],
        }
    }

    /// Traced slots.
    pub fn games(&self) -> u32 {
        self.slots.len() as u32
    }

    /// u32 words of the whole trace buffer.
    pub fn words(&self) -> usize {
        self.slots.len() * TRACE_RING as usize * self.words_per_move
    }

    /// Takes in a readback of the whole trace buffer (taken at most [`TRACE_RING`] moves
    /// after the previous one) and returns the games that ended since, in slot order. A
    /// game some of whose moves were missed is dropped.
    pub fn collect(&mut self, words: &[u32]) -> Vec<TracedGame> {
        let mut finished = Vec::new();
        let ring = TRACE_RING as usize;
        for (slot, trace) in self.slots.iter_mut().enumerate() {
            let Some(slot_words) = words.get(slot * ring * self.words_per_move..) else {
                break;
            };
            // The ring's moves newer than the last taken in, oldest first.
            let mut fresh: Vec<&[u32]> = slot_words
                .chunks_exact(self.words_per_move)
                .take(ring)
                .filter(|entry| {
                    let ahead = entry[0].wrapping_sub(trace.stamp);
                    ahead > 0 && ahead < u32::MAX / 2
                })
                .collect();
            fresh.sort_by_key(|entry| entry[0].wrapping_sub(trace.stamp));
            for entry in fresh {
                if entry[0] != trace.stamp.wrapping_add(1) {
                    trace.moves = None;
                }
                trace.stamp = entry[0];
                let index = entry[1] as usize;
                if index == 0 {
                    trace.moves = Some(Vec::new());
                }
                let Some(moves) = trace.moves.as_mut().filter(|moves| moves.len() == index) else {
                    trace.moves = None;
                    continue;
                };
                let count =
                    (entry[4] as usize).min((self.words_per_move - TRACE_HEADER as usize) / 3);
                let children = entry[TRACE_HEADER as usize..][..3 * count]
                    .chunks_exact(3)
                    .map(|child| ChildRecord {
                        action: child[0],
                        prior: f32::from_bits(child[1]),
                        visits: child[2],
                    })
                    .collect();
                moves.push(MoveRecord {
                    action: entry[2],
                    value: finite(f32::from_bits(entry[3])),
                    children,
                });
                if entry[5] != 0 {
                    finished.push(TracedGame {
                        slot: slot as u32,
                        game: PlayedGame {
                            moves: trace.moves.take().unwrap_or_default(),
                            outcome: f32::from_bits(entry[6]),
                        },
                    });
                }
            }
        }
        finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_LEGAL: u32 = 3;

    /// One move's words as `play_moves` writes them.
    fn entry(stamp: u32, index: u32, action: u32, ended: Option<f32>) -> Vec<u32> {
        let mut words = vec![
            stamp,
            index,
            action,
            0.25f32.to_bits(),
            2,
            u32::from(ended.is_some()),
            ended.unwrap_or(0.0).to_bits(),
            0,
        ];
        words.extend([
            action,
            0.75f32.to_bits(),
            3,
            action + 1,
            0.25f32.to_bits(),
            1,
        ]);
        words.resize(trace_words_per_move(MAX_LEGAL) as usize, 0);
        words
    }

    /// A one-slot buffer holding `entries` at their ring places.
    fn buffer(entries: &[Vec<u32>]) -> Vec<u32> {
        let per_move = trace_words_per_move(MAX_LEGAL) as usize;
        let mut words = vec![0; TRACE_RING as usize * per_move];
        for entry in entries {
            let at = ((entry[0] - 1) % TRACE_RING) as usize * per_move;
            words[at..at + per_move].copy_from_slice(entry);
        }
        words
    }

    #[test]
    fn games_are_assembled_across_readbacks_and_stale_or_partial_ones_left_out() {
        let mut collector = TraceCollector::new(1, MAX_LEGAL);
        assert_eq!(collector.words(), 2 * 17);
        // Moves 1 and 2 (a game's first two), then move 3 ends it; the ring still holds
        // move 2, which is not taken twice.
        assert!(
            collector
                .collect(&buffer(&[entry(1, 0, 4, None), entry(2, 1, 5, None)]))
                .is_empty()
        );
        let ended = collector.collect(&buffer(&[entry(2, 1, 5, None), entry(3, 2, 6, Some(-1.0))]));
        assert_eq!(ended.len(), 1);
        let game = &ended[0].game;
        assert_eq!(game.outcome, -1.0);
        let actions: Vec<u32> = game.moves.iter().map(|m| m.action).collect();
        assert_eq!(actions, [4, 5, 6]);
        assert_eq!(game.moves[0].value, Some(0.25));
        assert_eq!(
            game.moves[0].children,
            [
                ChildRecord {
                    action: 4,
                    prior: 0.75,
                    visits: 3
                },
                ChildRecord {
                    action: 5,
                    prior: 0.25,
                    visits: 1
                }
            ]
        );
        // Nothing new: nothing comes out.
        assert!(
            collector
                .collect(&buffer(&[entry(2, 1, 5, None), entry(3, 2, 6, Some(-1.0))]))
                .is_empty()
        );
        // A game whose moves 5 and 6 were missed (the ring overran) is dropped; the next
        // game, seen from its first move, is kept.
        collector.collect(&buffer(&[entry(4, 0, 1, None)]));
        assert!(
            collector
                .collect(&buffer(&[entry(7, 3, 2, Some(1.0)), entry(8, 0, 3, None)]))
                .is_empty()
        );
        let ended = collector.collect(&buffer(&[entry(9, 1, 7, Some(0.0)), entry(8, 0, 3, None)]));
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].game.moves.len(), 2);
        assert_eq!(ended[0].game.outcome, 0.0);
    }
}
