//! The Rust reference rules: one position of the clique game.

use super::detection::completes_clique;
use super::{CliqueConfig, Mode, all_vertices, edge_index, endpoints};
use crate::games::{GameError, GameState};

/// Where a game stands. The WGSL code of each is [`Status::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ongoing,
    /// Won by this player (0 or 1).
    Won(u8),
    Draw,
}

impl Status {
    /// 0 ongoing, 1 won by player 0, 2 won by player 1, 3 draw (`CLIQUE_*` in rules.wgsl).
    pub fn code(self) -> u32 {
        match self {
            Status::Ongoing => 0,
            Status::Won(player) => 1 + u32::from(player),
            Status::Draw => 3,
        }
    }

    pub fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(Status::Ongoing),
            1 => Some(Status::Won(0)),
            2 => Some(Status::Won(1)),
            3 => Some(Status::Draw),
            _ => None,
        }
    }
}

/// The "no action" word: `last_action` before the first move, and a skipped slot for the
/// WGSL apply kernel.
pub const NO_ACTION: u32 = u32::MAX;
/// u32 words before the adjacency in the WGSL state: moves_played, to_move, status,
/// last_action.
pub const HEADER_WORDS: usize = 4;

/// One position: each player's graph as adjacency bitsets, whose turn it is, and the status.
///
/// After the last move of a game `to_move` still flips, so [`GameState::terminal_value`] is
/// from the view of the player who would move next.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CliqueState {
    config: CliqueConfig,
    /// `[2, n]`: `adjacency[player * n + v]` has bit w set when the player owns {v, w}.
    adjacency: Vec<u64>,
    moves_played: u32,
    to_move: u8,
    status: Status,
    last_action: Option<u32>,
}

impl CliqueState {
    /// The empty board, player 0 to move.
    pub fn new(config: CliqueConfig) -> Self {
        Self {
            config,
            adjacency: vec![0; 2 * config.n as usize],
            moves_played: 0,
            to_move: 0,
            status: Status::Ongoing,
            last_action: None,
        }
    }

    /// The position after playing `actions` from the start; the first bad action is an
    /// error naming its place in the list.
    pub fn from_actions(config: CliqueConfig, actions: &[usize]) -> Result<Self, GameError> {
        let mut state = Self::new(config);
        for (position, &action) in actions.iter().enumerate() {
            state.apply(action).map_err(|error| {
                GameError::InvalidPosition(format!(
                    "move {} of the position (edge {action}): {error}",
                    position + 1
                ))
            })?;
        }
        Ok(state)
    }

    pub fn config(&self) -> CliqueConfig {
        self.config
    }

    /// Player `player`'s graph: `n` adjacency bitsets.
    pub fn adjacency(&self, player: u8) -> &[u64] {
        let n = self.config.n as usize;
        &self.adjacency[player as usize * n..(player as usize + 1) * n]
    }

    pub fn moves_played(&self) -> u32 {
        self.moves_played
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn is_over(&self) -> bool {
        self.status != Status::Ongoing
    }

    pub fn last_action(&self) -> Option<u32> {
        self.last_action
    }

    /// Who owns edge `action`: `Some(player)`, or `None` while it is uncoloured.
    pub fn owner(&self, action: usize) -> Option<u8> {
        let (u, v) = endpoints(self.config.n, action);
        (0..2).find(|&player| self.adjacency(player)[u as usize] >> v & 1 == 1)
    }

    /// Vertices w > u with {u, w} still uncoloured.
    pub fn empty_above(&self, u: u32) -> u64 {
        let n = self.config.n;
        let used = self.adjacency(0)[u as usize] | self.adjacency(1)[u as usize];
        let above = all_vertices(n) & !all_vertices(u + 1);
        !used & above
    }

    /// Claims {u, v} for the player to move, which must be legal: the unchecked core of
    /// [`GameState::apply`], shared with the random playouts.
    pub fn claim(&mut self, u: u32, v: u32) {
        let n = self.config.n as usize;
        let player = self.to_move;
        let base = player as usize * n;
        self.adjacency[base + u as usize] |= 1 << v;
        self.adjacency[base + v as usize] |= 1 << u;
        self.moves_played += 1;
        self.last_action = Some(edge_index(self.config.n, u, v) as u32);
        let counts = self.config.mode != Mode::Asymmetric || player == 0;
        let size = self.config.clique_size(player);
        let formed = counts && completes_clique(&self.adjacency[base..base + n], u, v, size);
        if formed {
            self.status = match self.config.mode {
                Mode::Symmetric | Mode::Asymmetric => Status::Won(player),
                Mode::Avoid => Status::Won(1 - player),
            };
        } else if self.moves_played as usize == self.config.num_edges() {
            self.status = match self.config.mode {
                Mode::Asymmetric => Status::Won(1),
                Mode::Symmetric | Mode::Avoid => Status::Draw,
            };
        }
        self.to_move = 1 - player;
    }

    /// The same position with both graphs replaced (vertex relabelling keeps everything
    /// else). The caller keeps the graphs consistent with the move count.
    pub(super) fn with_graphs(&self, adjacency: Vec<u64>, last_action: Option<u32>) -> Self {
        debug_assert_eq!(adjacency.len(), self.adjacency.len());
        Self {
            adjacency,
            last_action,
            ..self.clone()
        }
    }

    /// u32 words of one state in the WGSL layout (see [`CliqueState::to_words`]).
    pub fn words_per_state(config: CliqueConfig) -> usize {
        HEADER_WORDS + 2 * config.n as usize * config.mask_words()
    }

    /// The state in the WGSL layout of `struct CliqueState` (rules.wgsl):
    /// `[moves_played, to_move, status code, last_action or NO_ACTION]`, then for each player
    /// p and vertex v the bitset `adjacency[p * n + v]` as one u32 (n ≤ 32) or two (low word
    /// first, n > 32).
    pub fn to_words(&self) -> Vec<u32> {
        let mut words = Vec::with_capacity(Self::words_per_state(self.config));
        words.extend([
            self.moves_played,
            u32::from(self.to_move),
            self.status.code(),
            self.last_action.unwrap_or(NO_ACTION),
        ]);
        for &set in &self.adjacency {
            words.push(set as u32);
            if self.config.mask_words() == 2 {
                words.push((set >> 32) as u32);
            }
        }
        words
    }

    /// Reads the WGSL layout back, checking that the words describe a consistent position
    /// (symmetric, disjoint graphs on 0..n; move count and turn agree).
    pub fn from_words(config: CliqueConfig, words: &[u32]) -> Result<Self, GameError> {
        let expected = Self::words_per_state(config);
        let invalid = |what: String| GameError::InvalidPosition(format!("state words: {what}"));
        if words.len() != expected {
            return Err(invalid(format!(
                "{} words, expected {expected}",
                words.len()
            )));
        }
        let n = config.n as usize;
        let adjacency: Vec<u64> = (0..2 * n)
            .map(|index| {
                let at = HEADER_WORDS + index * config.mask_words();
                let high = if config.mask_words() == 2 {
                    words[at + 1]
                } else {
                    0
                };
                u64::from(words[at]) | u64::from(high) << 32
            })
            .collect();
        let status = Status::from_code(words[2])
            .ok_or_else(|| invalid(format!("status code {}", words[2])))?;
        let state = Self {
            config,
            adjacency,
            moves_played: words[0],
            to_move: u8::try_from(words[1]).map_err(|_| invalid("to_move > 1".into()))?,
            status,
            last_action: (words[3] != NO_ACTION).then_some(words[3]),
        };
        let mut edges = [0u32; 2];
        for player in 0..2u8 {
            let graph = state.adjacency(player);
            for u in 0..n {
                if graph[u] & !all_vertices(config.n) != 0 || graph[u] >> u & 1 == 1 {
                    return Err(invalid(format!("vertex {u} has neighbours outside 0..n")));
                }
                for v in 0..n {
                    if (graph[u] >> v & 1) != (graph[v] >> u & 1) {
                        return Err(invalid(format!("edge {{{u},{v}}} is one-sided")));
                    }
                }
                edges[player as usize] += graph[u].count_ones();
            }
        }
        let shared = (0..n).any(|u| state.adjacency(0)[u] & state.adjacency(1)[u] != 0);
        let played = (edges[0] + edges[1]) / 2;
        if shared || played != state.moves_played || state.to_move as u32 != played % 2 {
            return Err(invalid(format!(
                "{played} edges coloured but moves_played {} and to_move {}",
                state.moves_played, state.to_move
            )));
        }
        Ok(state)
    }
}

impl GameState for CliqueState {
    fn num_actions(&self) -> usize {
        self.config.num_edges()
    }

    fn moves_played(&self) -> u32 {
        self.moves_played
    }

    fn to_move(&self) -> u8 {
        self.to_move
    }

    fn legal_mask(&self, mask: &mut [bool]) {
        mask.fill(false);
        if self.is_over() {
            return;
        }
        let n = self.config.n;
        let mut action = 0;
        for u in 0..n {
            let empty = self.empty_above(u);
            for v in u + 1..n {
                mask[action] = empty >> v & 1 == 1;
                action += 1;
            }
        }
    }

    fn apply(&mut self, action: usize) -> Result<(), GameError> {
        if self.is_over() {
            return Err(GameError::GameOver);
        }
        let (u, v) = if action < self.num_actions() {
            endpoints(self.config.n, action)
        } else {
            (0, 0)
        };
        if u == v || self.empty_above(u) >> v & 1 == 0 {
            let reason = if action >= self.num_actions() {
                format!(
                    "0..{} (edge indices of K_{})",
                    self.num_actions(),
                    self.config.n
                )
            } else {
                "the uncoloured edges; this one is taken".to_owned()
            };
            return Err(GameError::IllegalAction {
                action,
                legal: reason,
            });
        }
        self.claim(u, v);
        Ok(())
    }

    fn terminal_value(&self) -> Option<f32> {
        match self.status {
            Status::Ongoing => None,
            Status::Draw => Some(0.0),
            Status::Won(player) if player == self.to_move => Some(1.0),
            Status::Won(_) => Some(-1.0),
        }
    }

    fn observation_len(&self) -> usize {
        super::observation_len(self.config.n)
    }

    fn write_observation(&self, out: &mut [f32]) {
        super::observation::write(self, out);
    }
}
