//! The exact solver: negamax with alpha-beta over values {−1, 0, 1}, a transposition table
//! that persists across queries, and vertex-relabelling symmetry in the table keys.
//!
//! A [`Solver`] belongs to one configuration and keeps its table, so asking it about
//! thousands of positions of one game (optimal-move accuracy of a network, tests of the
//! tree search) reuses earlier work. Values are from the view of the player to move.
//!
//! Pruning that keeps values exact:
//! - a move that completes the mover's clique (K_k; in `avoid` K_s for colour 0 and K_t for
//!   colour 1) ends the game at once (a win, or in `avoid` a loss that is only taken when
//!   every move loses);
//! - where the opponent's K_k would win for them (`symmetric`, and the attacker in
//!   `asymmetric` when the defender moves), two such threats lose, and one must be blocked;
//! - table keys relabel the position by a vertex order sorted on colour degrees (every
//!   relabelling has the same value, so any relabelling is a sound key; sorting merges many
//!   isomorphic positions into one entry), trying every order within tied vertices when
//!   there are few.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::detection::completes_clique;
use super::state::CliqueState;
use super::{CliqueConfig, Mode, endpoints};
pub use crate::games::Analysis;
use crate::games::GameState;

/// The largest n the solver takes: E = n(n−1)/2 ≤ 64 edges fit one u64 per colour.
pub const MAX_SOLVER_VERTICES: u32 = 11;
/// Tied-vertex orders tried per key at most (beyond, the sorted order is the key).
const MAX_ORDERS_PER_KEY: usize = 48;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SolverError {
    #[error(
        "the exact solver handles n <= {MAX_SOLVER_VERTICES} (n = {0} was asked); larger boards are far out of reach"
    )]
    TooLarge(u32),
    #[error("this solver was built for {solver:?}, the position is of {position:?}")]
    WrongConfig {
        solver: CliqueConfig,
        position: CliqueConfig,
    },
    #[error("the game is already over: there are no moves to rank")]
    GameOver,
}

/// Multiplicative hashing of the u128 keys (they are already well mixed bitsets).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u128(&mut self, value: u128) {
        let mixed = (value as u64) ^ ((value >> 64) as u64).rotate_left(29);
        self.0 = (mixed ^ (mixed >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Bounds on a position's value: `lower == upper` once it is known exactly.
#[derive(Clone, Copy)]
struct Bounds {
    lower: i8,
    upper: i8,
}

/// The solver's own compact position: one edge bitset and n adjacency bitsets per colour.
#[derive(Clone, Copy)]
struct Board {
    edges: [u64; 2],
    adjacency: [[u64; MAX_SOLVER_VERTICES as usize]; 2],
    to_move: u8,
    moves_played: u32,
}

/// Exact values and optimal moves for one configuration, with a persistent table.
pub struct Solver {
    config: CliqueConfig,
    /// `[E]` edge endpoints.
    endpoints: Vec<(u32, u32)>,
    table: HashMap<u128, Bounds, BuildHasherDefault<KeyHasher>>,
    symmetry: bool,
    nodes: u64,
}

impl Solver {
    /// A solver with symmetry-reduced keys.
    pub fn new(config: CliqueConfig) -> Result<Self, SolverError> {
        Self::with_symmetry(config, true)
    }

    /// `symmetry = false` keys the table on the raw position (for measurements).
    pub fn with_symmetry(config: CliqueConfig, symmetry: bool) -> Result<Self, SolverError> {
        if config.n > MAX_SOLVER_VERTICES {
            return Err(SolverError::TooLarge(config.n));
        }
        Ok(Self {
            config,
            endpoints: (0..config.num_edges())
                .map(|action| endpoints(config.n, action))
                .collect(),
            table: HashMap::default(),
            symmetry,
            nodes: 0,
        })
    }

    pub fn config(&self) -> CliqueConfig {
        self.config
    }

    /// Positions in the table.
    pub fn table_len(&self) -> usize {
        self.table.len()
    }

    /// Positions searched so far (table hits included).
    pub fn nodes(&self) -> u64 {
        self.nodes
    }

    fn board(&self, state: &CliqueState) -> Result<Board, SolverError> {
        if state.config() != self.config {
            return Err(SolverError::WrongConfig {
                solver: self.config,
                position: state.config(),
            });
        }
        let mut board = Board {
            edges: [0; 2],
            adjacency: [[0; MAX_SOLVER_VERTICES as usize]; 2],
            to_move: state.to_move(),
            moves_played: state.moves_played(),
        };
        for player in 0..2u8 {
            let graph = state.adjacency(player);
            board.adjacency[player as usize][..graph.len()].copy_from_slice(graph);
            for (action, &(u, v)) in self.endpoints.iter().enumerate() {
                if graph[u as usize] >> v & 1 == 1 {
                    board.edges[player as usize] |= 1 << action;
                }
            }
        }
        Ok(board)
    }

    /// The value of `state` for the player to move (its terminal value if it is over).
    pub fn value(&mut self, state: &CliqueState) -> Result<i8, SolverError> {
        if let Some(value) = state.terminal_value() {
            return Ok(value as i8);
        }
        let board = self.board(state)?;
        Ok(self.negamax(&board, -1, 1))
    }

    /// The value and every move's value of a position that is not over.
    pub fn analyse(&mut self, state: &CliqueState) -> Result<Analysis, SolverError> {
        if state.is_over() {
            return Err(SolverError::GameOver);
        }
        let board = self.board(state)?;
        let mut move_values = Vec::new();
        for action in 0..self.config.num_edges() {
            if (board.edges[0] | board.edges[1]) >> action & 1 == 1 {
                continue;
            }
            let value = match self.move_outcome(&board, action) {
                Some(value) => value,
                None => -self.negamax(&self.play(&board, action), -1, 1),
            };
            move_values.push((action, value));
        }
        let value = move_values.iter().map(|&(_, v)| v).max().unwrap_or(0);
        let optimal_moves = move_values
            .iter()
            .filter(|&&(_, v)| v == value)
            .map(|&(action, _)| action)
            .collect();
        Ok(Analysis {
            value,
            optimal_moves,
            move_values,
        })
    }

    fn play(&self, board: &Board, action: usize) -> Board {
        let (u, v) = self.endpoints[action];
        let mut next = *board;
        let player = board.to_move as usize;
        next.edges[player] |= 1 << action;
        next.adjacency[player][u as usize] |= 1 << v;
        next.adjacency[player][v as usize] |= 1 << u;
        next.to_move = 1 - board.to_move;
        next.moves_played += 1;
        next
    }

    /// Would `player` complete a clique of their colour's size (that counts for them) by
    /// claiming `action`?
    fn forms(&self, board: &Board, player: u8, action: usize) -> bool {
        if self.config.mode == Mode::Asymmetric && player == 1 {
            return false;
        }
        let (u, v) = self.endpoints[action];
        let mut adjacency = board.adjacency[player as usize];
        adjacency[u as usize] |= 1 << v;
        adjacency[v as usize] |= 1 << u;
        let size = self.config.clique_size(player);
        completes_clique(&adjacency[..self.config.n as usize], u, v, size)
    }

    /// The value for the mover of `action` if it ends the game, else `None`.
    fn move_outcome(&self, board: &Board, action: usize) -> Option<i8> {
        if self.forms(board, board.to_move, action) {
            return Some(if self.config.mode == Mode::Avoid {
                -1
            } else {
                1
            });
        }
        if board.moves_played as usize + 1 == self.config.num_edges() {
            return Some(match self.config.mode {
                Mode::Asymmetric if board.to_move == 1 => 1,
                Mode::Asymmetric => -1,
                Mode::Symmetric | Mode::Avoid => 0,
            });
        }
        None
    }

    fn negamax(&mut self, board: &Board, mut alpha: i8, mut beta: i8) -> i8 {
        self.nodes += 1;
        let key = self.key(board);
        let known = self.table.get(&key).copied().unwrap_or(Bounds {
            lower: -1,
            upper: 1,
        });
        if known.lower == known.upper || known.lower >= beta {
            return known.lower;
        }
        if known.upper <= alpha {
            return known.upper;
        }
        alpha = alpha.max(known.lower);
        beta = beta.min(known.upper);
        let (alpha_in, beta_in) = (alpha, beta);

        let empty = !(board.edges[0] | board.edges[1]) & edge_mask(self.config.num_edges());
        let mut candidates = Vec::with_capacity(empty.count_ones() as usize);
        let mut best = -1i8;
        let mut rest = empty;
        let mut decided = None;
        while rest != 0 {
            let action = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            match self.move_outcome(board, action) {
                Some(value) if value >= beta || value == 1 => {
                    decided = Some(value);
                    break;
                }
                Some(value) => best = best.max(value),
                None => candidates.push(action),
            }
        }
        if decided.is_none() && !candidates.is_empty() {
            let opponent = 1 - board.to_move;
            let opponent_wins = self.config.mode == Mode::Symmetric
                || (self.config.mode == Mode::Asymmetric && opponent == 0);
            if opponent_wins {
                let threats: Vec<usize> = (0..self.config.num_edges())
                    .filter(|&a| empty >> a & 1 == 1 && self.forms(board, opponent, a))
                    .collect();
                if threats.len() >= 2 {
                    candidates.clear();
                } else if let [threat] = threats[..] {
                    candidates.retain(|&a| a == threat);
                }
            }
        }
        let value = match decided {
            Some(value) => value,
            None => {
                for action in candidates {
                    if best >= beta {
                        break;
                    }
                    let child = self.play(board, action);
                    let value = -self.negamax(&child, -beta, -alpha.max(best));
                    best = best.max(value);
                }
                best
            }
        };
        // Fail-soft bounds: below the window the value is an upper bound, above it a lower.
        let mut bounds = known;
        if value <= alpha_in {
            bounds.upper = bounds.upper.min(value);
        } else if value >= beta_in {
            bounds.lower = bounds.lower.max(value);
        } else {
            bounds = Bounds {
                lower: value,
                upper: value,
            };
        }
        self.table.insert(key, bounds);
        value
    }

    /// The table key: the position relabelled by a vertex order sorted on (degree in the
    /// mover's colour, degree in the other), ties tried in every order when few.
    fn key(&self, board: &Board) -> u128 {
        let raw = |edges: [u64; 2]| u128::from(edges[0]) | u128::from(edges[1]) << 64;
        if !self.symmetry {
            return raw(board.edges);
        }
        let n = self.config.n as usize;
        let mover = board.to_move as usize;
        let mut order: Vec<(u32, usize)> = (0..n)
            .map(|v| {
                let own = board.adjacency[mover][v].count_ones();
                let other = board.adjacency[1 - mover][v].count_ones();
                (own << 8 | other, v)
            })
            .collect();
        order.sort_unstable();
        // Tied runs of the sorted order, and how many orders trying them all would take.
        let mut runs = Vec::new();
        let mut orders = 1usize;
        let mut start = 0;
        for end in 1..=n {
            if end == n || order[end].0 != order[start].0 {
                if end - start > 1 {
                    runs.push((start, end));
                    orders = orders.saturating_mul((1..=end - start).product());
                }
                start = end;
            }
        }
        let mut vertices: Vec<usize> = order.iter().map(|&(_, v)| v).collect();
        let relabelled = |vertices: &[usize]| {
            let mut position = [0usize; MAX_SOLVER_VERTICES as usize];
            for (label, &vertex) in vertices.iter().enumerate() {
                position[vertex] = label;
            }
            let mut edges = [0u64; 2];
            for (colour, colour_edges) in edges.iter_mut().enumerate() {
                let mut rest = board.edges[colour];
                while rest != 0 {
                    let action = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let (u, v) = self.endpoints[action];
                    let edge = super::edge_index(
                        self.config.n,
                        position[u as usize] as u32,
                        position[v as usize] as u32,
                    );
                    *colour_edges |= 1 << edge;
                }
            }
            raw(edges)
        };
        if orders > MAX_ORDERS_PER_KEY || runs.is_empty() {
            return relabelled(&vertices);
        }
        let mut best = u128::MAX;
        permute_runs(&mut vertices, &runs, 0, &mut |vertices| {
            best = best.min(relabelled(vertices));
        });
        best
    }
}

/// Calls `visit` with every arrangement of `vertices` that permutes within each run.
fn permute_runs(
    vertices: &mut Vec<usize>,
    runs: &[(usize, usize)],
    run: usize,
    visit: &mut impl FnMut(&[usize]),
) {
    let Some(&(start, end)) = runs.get(run) else {
        visit(vertices);
        return;
    };
    // Heap-free recursive permutation of vertices[start..end].
    fn within(
        vertices: &mut Vec<usize>,
        runs: &[(usize, usize)],
        run: usize,
        at: usize,
        end: usize,
        visit: &mut impl FnMut(&[usize]),
    ) {
        if at + 1 >= end {
            permute_runs(vertices, runs, run + 1, visit);
            return;
        }
        for i in at..end {
            vertices.swap(at, i);
            within(vertices, runs, run, at + 1, end, visit);
            vertices.swap(at, i);
        }
    }
    within(vertices, runs, run, start, end, visit);
}

fn edge_mask(edges: usize) -> u64 {
    if edges >= 64 {
        u64::MAX
    } else {
        (1 << edges) - 1
    }
}
