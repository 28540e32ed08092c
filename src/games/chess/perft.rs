//! Perft: the number of leaf nodes of the legal-move tree to a fixed depth, the standard
//! correctness check of a move generator (known counts are the independent reference).
//! Game-end rules (repetition, 50 moves) do not stop the count, as is customary.

use super::gpu::{ChessBatch, ChessBatchError, ChessKernel, GpuPosition};
use super::movegen::{count_legal_moves, legal_moves};
use super::notation::uci;
use super::position::Position;

/// Leaf nodes at `depth`. With `bulk_counting` the last ply is counted by popcount
/// without playing its moves; without it every leaf is played.
pub fn perft(position: &Position, depth: u32, bulk_counting: bool) -> u64 {
    if depth == 0 {
        return 1;
    }
    if depth == 1 && bulk_counting {
        return count_legal_moves(position);
    }
    legal_moves(position)
        .iter()
        .map(|&chess_move| perft(&position.play(chess_move), depth - 1, bulk_counting))
        .sum()
}

/// Perft split by root move: (UCI move, leaf count) in UCI order. Empty for depth 0.
pub fn divide(position: &Position, depth: u32) -> Vec<(String, u64)> {
    if depth == 0 {
        return Vec::new();
    }
    let mut split: Vec<(String, u64)> = legal_moves(position)
        .iter()
        .map(|&chess_move| {
            (
                uci(chess_move),
                perft(&position.play(chess_move), depth - 1, true),
            )
        })
        .collect();
    split.sort();
    split
}

/// The positions of the Chess Programming Wiki's perft page (start, Kiwipete, positions
/// 3–6) with their published node counts for depths 1, 2, ….
pub const REFERENCE_POSITIONS: [(&str, &str, &[u64]); 6] = [
    (
        "start",
        "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1",
        &[
            20,
            400,
            8_902,
            197_281,
            4_865_609,
            119_060_324,
            3_195_901_860,
        ],
    ),
    (
        "kiwipete",
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
        &[48, 2_039, 97_862, 4_085_603, 193_690_690, 8_031_647_685],
    ),
    (
        "position3",
        "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
        &[14, 191, 2_812, 43_238, 674_624, 11_030_083, 178_633_661],
    ),
    (
        "position4",
        "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
        &[6, 264, 9_467, 422_333, 15_833_292, 706_045_033],
    ),
    (
        "position5",
        "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
        &[44, 1_486, 62_379, 2_103_487, 89_941_194],
    ),
    (
        "position6",
        "r4rk1/1pp1qppp/p1np1n2/2b1p1B1/2B1P1b1/P1NP1N2/1PP1QPPP/R4RK1 w - - 0 10",
        &[46, 2_079, 89_890, 3_894_594, 164_075_551, 6_923_051_137],
    ),
];

/// A perft count and its split by root move (UCI, leaves) in UCI order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerftCount {
    pub nodes: u64,
    pub divide: Vec<(String, u64)>,
}

/// Perft with the WGSL rules: the CPU walks the tree down to a frontier (at least the
/// root moves, so the count splits by root move) and the GPU counts the last one or two
/// plies below every frontier position (move generation, apply and bulk counting on the
/// GPU). At depth 1 the GPU counts the root's moves, and the split lists each root move
/// (from the Rust rules) with 1.
pub fn perft_gpu(
    batch: &mut ChessBatch,
    position: &Position,
    depth: u32,
) -> Result<PerftCount, ChessBatchError> {
    let root_moves = legal_moves(position);
    if depth == 0 {
        return Ok(PerftCount {
            nodes: 1,
            divide: Vec::new(),
        });
    }
    if depth == 1 {
        batch.set_perft_depth(1)?;
        batch.set_positions(&[GpuPosition::new(position, 0)])?;
        batch.submit(&[ChessKernel::Perft]);
        let nodes = u64::from(batch.read_perft_counts(1)?[0]);
        let mut divide: Vec<(String, u64)> = root_moves.iter().map(|&m| (uci(m), 1)).collect();
        divide.sort();
        return Ok(PerftCount { nodes, divide });
    }
    let gpu_depth = (depth - 1).min(2);
    batch.set_perft_depth(gpu_depth)?;
    let frontier_depth = depth - gpu_depth - 1;
    let mut run = GpuPerftRun {
        capacity: batch.games(),
        batch,
        chunk: Vec::new(),
        owners: Vec::new(),
        counts: vec![0; root_moves.len()],
    };
    for (index, &root_move) in root_moves.iter().enumerate() {
        walk_frontier(&position.play(root_move), frontier_depth, &mut |frontier| {
            run.push(frontier, index)
        })?;
    }
    run.flush()?;
    let mut divide: Vec<(String, u64)> = root_moves
        .iter()
        .zip(run.counts)
        .map(|(&m, count)| (uci(m), count))
        .collect();
    divide.sort();
    Ok(PerftCount {
        nodes: divide.iter().map(|(_, count)| count).sum(),
        divide,
    })
}

/// Frontier positions waiting for the GPU, and the leaf counts per root move so far.
struct GpuPerftRun<'a> {
    batch: &'a ChessBatch,
    capacity: usize,
    chunk: Vec<GpuPosition>,
    /// Root-move index of each chunk entry.
    owners: Vec<usize>,
    counts: Vec<u64>,
}

impl GpuPerftRun<'_> {
    fn push(&mut self, position: &Position, owner: usize) -> Result<(), ChessBatchError> {
        self.chunk.push(GpuPosition::new(position, 0));
        self.owners.push(owner);
        if self.chunk.len() == self.capacity {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChessBatchError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        self.batch.set_positions(&self.chunk)?;
        self.batch.submit(&[ChessKernel::Perft]);
        let leaves = self.batch.read_perft_counts(self.chunk.len())?;
        for (&owner, leaf_count) in self.owners.iter().zip(leaves) {
            self.counts[owner] += u64::from(leaf_count);
        }
        self.chunk.clear();
        self.owners.clear();
        Ok(())
    }
}

/// Calls `visit` on every position `depth` plies below `position`, stopping at an error.
fn walk_frontier<E>(
    position: &Position,
    depth: u32,
    visit: &mut impl FnMut(&Position) -> Result<(), E>,
) -> Result<(), E> {
    if depth == 0 {
        return visit(position);
    }
    for &chess_move in legal_moves(position).iter() {
        walk_frontier(&position.play(chess_move), depth - 1, visit)?;
    }
    Ok(())
}
