//! A colouring together with its monochromatic forbidden cliques counted per edge, kept
//! exact across flips: the state a local-search step reads and changes.
//!
//! For every edge e, `through[e]` is the number of forbidden cliques of e's colour (K_s in
//! colour 0, K_t in colour 1) that contain e; the edges with `through > 0` (the
//! *conflicting* edges) form a bitset over the lexicographic edge order, so that "the r-th
//! conflicting edge" is a deterministic function of the colouring alone. With these counts
//! a flip's delta needs one clique count instead of two (`created − through[e]`), and a
//! flip updates only the edges of the cliques it destroys and creates.
//!
//! Everything here is a function of the colouring: a checkpoint stores the colouring and
//! [`Board::new`] rebuilds the rest.

use super::Problem;
use super::colouring::{Colouring, colour_mask};
use super::counting::{common_neighbours, count_cliques, energy, for_each_clique};
use crate::games::clique::{edge_index, num_edges};

/// A colouring and its conflict counts.
#[derive(Clone, Debug)]
pub struct Board {
    problem: Problem,
    colouring: Colouring,
    /// `[E]`: endpoints (u, v), u < v, of each edge in lexicographic order.
    endpoints: Vec<(u32, u32)>,
    /// `[E]`: forbidden cliques of the edge's colour containing the edge.
    through: Vec<u32>,
    /// `[ceil(E / 64)]`: bit e set when `through[e] > 0`.
    conflicting: Vec<u64>,
    conflicting_count: u32,
    energy: u64,
}

impl Board {
    /// Counts every edge's cliques (E clique counts).
    pub fn new(problem: Problem, colouring: Colouring) -> Self {
        let n = problem.n;
        let edges = num_edges(n);
        let mut endpoints = Vec::with_capacity(edges);
        for u in 0..n {
            for v in u + 1..n {
                endpoints.push((u, v));
            }
        }
        let mut board = Self {
            problem,
            colouring,
            endpoints,
            through: vec![0; edges],
            conflicting: vec![0; edges.div_ceil(64)],
            conflicting_count: 0,
            energy: 0,
        };
        for edge in 0..edges {
            let (u, v) = board.endpoints[edge];
            let colour = board.colouring.colour(u, v);
            let count = board.cliques_through(u, v, colour);
            board.through[edge] = count as u32;
            if count > 0 {
                board.mark(edge, true);
            }
        }
        board.energy = energy(&board.colouring, &board.problem);
        board
    }

    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    pub fn colouring(&self) -> &Colouring {
        &self.colouring
    }

    /// Monochromatic forbidden cliques (K_s in colour 0 plus K_t in colour 1).
    pub fn energy(&self) -> u64 {
        self.energy
    }

    /// E = n(n−1)/2.
    pub fn edge_count(&self) -> u32 {
        self.endpoints.len() as u32
    }

    pub fn endpoints(&self, edge: u32) -> (u32, u32) {
        self.endpoints[edge as usize]
    }

    /// Forbidden cliques of the edge's colour that contain it.
    pub fn through(&self, edge: u32) -> u32 {
        self.through[edge as usize]
    }

    /// Edges that lie in at least one monochromatic forbidden clique.
    pub fn conflicting_count(&self) -> u32 {
        self.conflicting_count
    }

    /// The `rank`-th conflicting edge in lexicographic edge order (`rank` <
    /// [`conflicting_count`](Self::conflicting_count)).
    pub fn conflicting_edge(&self, rank: u32) -> u32 {
        let mut rest = rank;
        for (index, &word) in self.conflicting.iter().enumerate() {
            let ones = word.count_ones();
            if rest < ones {
                return index as u32 * 64 + select_bit(word, rest);
            }
            rest -= ones;
        }
        unreachable!(
            "rank {rank} >= {} conflicting edges",
            self.conflicting_count
        )
    }

    /// The cliques of colour `colour` that {u, v} lies in, or would lie in with that colour.
    fn cliques_through(&self, u: u32, v: u32, colour: u32) -> u64 {
        count_cliques(
            self.colouring.adjacency(),
            colour_mask(colour),
            common_neighbours(&self.colouring, u, v, colour),
            self.problem.clique_size(colour) - 2,
        )
    }

    /// The change of the energy if `edge` flipped: the cliques it would create minus the
    /// ones it lies in now.
    pub fn flip_delta(&self, edge: u32) -> i64 {
        let (u, v) = self.endpoints[edge as usize];
        let other = 1 - self.colouring.colour(u, v);
        self.cliques_through(u, v, other) as i64 - i64::from(self.through[edge as usize])
    }

    /// Flips `edge` and updates every count: the edges of each destroyed clique lose one,
    /// those of each created clique gain one.
    pub fn flip(&mut self, edge: u32) {
        let (u, v) = self.endpoints[edge as usize];
        let old = self.colouring.colour(u, v);
        let destroyed = self.through[edge as usize];
        self.update_cliques_through(u, v, old, false);
        self.colouring.flip(u, v);
        let created = self.update_cliques_through(u, v, 1 - old, true);
        self.set_through(edge as usize, created);
        self.energy = self.energy + u64::from(created) - u64::from(destroyed);
    }

    /// Adds (or removes) one for every edge other than {u, v} of every clique of `colour`
    /// through {u, v}; returns how many cliques there were.
    fn update_cliques_through(&mut self, u: u32, v: u32, colour: u32, add: bool) -> u32 {
        let n = self.problem.n;
        let candidates = common_neighbours(&self.colouring, u, v, colour);
        let size = self.problem.clique_size(colour) - 2;
        let Self {
            colouring,
            through,
            conflicting,
            conflicting_count,
            ..
        } = self;
        let mut counts = ConflictCounts {
            through,
            conflicting,
            conflicting_count,
        };
        let mut change = |edge: usize| {
            let count = if add {
                counts.through[edge] + 1
            } else {
                counts.through[edge] - 1
            };
            counts.set(edge, count);
        };
        let mut cliques = 0;
        for_each_clique(
            colouring.adjacency(),
            colour_mask(colour),
            candidates,
            size,
            &mut |members| {
                cliques += 1;
                for (i, &a) in members.iter().enumerate() {
                    change(edge_index(n, a, u));
                    change(edge_index(n, a, v));
                    for &b in &members[i + 1..] {
                        change(edge_index(n, a, b));
                    }
                }
            },
        );
        cliques
    }

    fn set_through(&mut self, edge: usize, count: u32) {
        ConflictCounts {
            through: &mut self.through,
            conflicting: &mut self.conflicting,
            conflicting_count: &mut self.conflicting_count,
        }
        .set(edge, count);
    }

    fn mark(&mut self, edge: usize, conflicting: bool) {
        ConflictCounts {
            through: &mut self.through,
            conflicting: &mut self.conflicting,
            conflicting_count: &mut self.conflicting_count,
        }
        .mark(edge, conflicting);
    }
}

/// The position of the `rank`-th set bit of `word` (`rank` < its popcount), by halving:
/// six popcounts instead of up to 63 bit clears.
fn select_bit(word: u64, rank: u32) -> u32 {
    let (mut word, mut rank, mut position) = (word, rank, 0);
    for width in [32u32, 16, 8, 4, 2, 1] {
        let low = word & ((1u64 << width) - 1);
        let ones = low.count_ones();
        if rank < ones {
            word = low;
        } else {
            rank -= ones;
            word >>= width;
            position += width;
        }
    }
    position
}

/// The board's counts borrowed apart from its colouring, so that a clique enumeration over
/// the colouring can update them.
struct ConflictCounts<'a> {
    through: &'a mut [u32],
    conflicting: &'a mut [u64],
    conflicting_count: &'a mut u32,
}

impl ConflictCounts<'_> {
    fn set(&mut self, edge: usize, count: u32) {
        let was = self.through[edge] > 0;
        self.through[edge] = count;
        if was != (count > 0) {
            self.mark(edge, count > 0);
        }
    }

    fn mark(&mut self, edge: usize, conflicting: bool) {
        self.conflicting[edge / 64] ^= 1 << (edge % 64);
        if conflicting {
            *self.conflicting_count += 1;
        } else {
            *self.conflicting_count -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::rng::Pcg32;

    #[test]
    fn select_bit_finds_each_set_bit_in_order() {
        let mut rng = Pcg32::new(22, 0);
        for _ in 0..200 {
            let word = u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32());
            let positions: Vec<u32> = (0..64).filter(|&bit| word >> bit & 1 == 1).collect();
            for (rank, &position) in positions.iter().enumerate() {
                assert_eq!(select_bit(word, rank as u32), position);
            }
        }
        assert_eq!(select_bit(1 << 63, 0), 63);
        assert_eq!(select_bit(u64::MAX, 63), 63);
    }

    #[test]
    fn counts_stay_equal_to_a_fresh_board_across_random_flips() {
        let mut rng = Pcg32::new(21, 0);
        for (n, s, t) in [
            (8u32, 3u32, 3u32),
            (17, 4, 4),
            (24, 4, 5),
            (30, 5, 3),
            (45, 5, 5),
        ] {
            let problem = Problem::new(n, s, t).unwrap();
            let mut board = Board::new(problem, Colouring::random(n, u32::MAX / 2, &mut rng));
            for step in 0..200 {
                let edge = rng.below(board.edge_count());
                let delta = board.flip_delta(edge);
                let before = board.energy();
                board.flip(edge);
                assert_eq!(board.energy() as i64, before as i64 + delta);
                if step % 20 == 0 {
                    let fresh = Board::new(problem, board.colouring().clone());
                    assert_eq!(board.through, fresh.through, "n={n} s={s} t={t}");
                    assert_eq!(board.conflicting, fresh.conflicting);
                    assert_eq!(board.conflicting_count, fresh.conflicting_count);
                    assert_eq!(board.energy(), energy(board.colouring(), &problem));
                }
            }
            let expected: Vec<u32> = (0..board.edge_count())
                .filter(|&edge| board.through(edge) > 0)
                .collect();
            let ranked: Vec<u32> = (0..board.conflicting_count())
                .map(|rank| board.conflicting_edge(rank))
                .collect();
            assert_eq!(ranked, expected);
        }
    }
}
