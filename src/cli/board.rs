//! The clique board as text, shared by `wgzero play` and `wgzero eval --misses`.

use wgzero::games::GameState;
use wgzero::games::clique::{CliqueState, edge_index};

/// The mark of a player's edges: X for the first player, O for the second.
pub fn mark(player: u8) -> char {
    if player == 0 { 'X' } else { 'O' }
}

/// Moves as `wgzero search --position` and `play` take them: comma-separated indices.
pub fn list(moves: &[usize]) -> String {
    let items: Vec<String> = moves.iter().map(usize::to_string).collect();
    items.join(",")
}

/// K_n's adjacency matrix, one line per vertex: X / O for claimed edges, the index of
/// each free edge.
pub fn board_text(state: &CliqueState) -> String {
    let n = state.config().n;
    let width = (state.num_actions().saturating_sub(1))
        .to_string()
        .len()
        .max(1)
        + 1;
    let mut text = format!("{:>width$}", "");
    for v in 0..n {
        text.push_str(&format!("{v:>width$}"));
    }
    text.push('\n');
    for u in 0..n {
        text.push_str(&format!("{u:>width$}"));
        for v in 0..n {
            let cell = if u == v {
                "·".to_owned()
            } else {
                let action = edge_index(n, u, v);
                match state.owner(action) {
                    Some(player) => mark(player).to_string(),
                    None => action.to_string(),
                }
            };
            text.push_str(&format!("{cell:>width$}"));
        }
        text.push('\n');
    }
    text
}
