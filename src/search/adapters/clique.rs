//! The clique game as a [`SearchGame`]: its WGSL rules library plus the search adapter.

use crate::games::clique::state::CliqueState;
use crate::games::clique::{CliqueConfig, gpu::library_source};
use crate::search::gpu::SearchGame;

const ADAPTER: &str = include_str!("../../../shaders/search/clique_adapter.wgsl");

impl SearchGame for CliqueConfig {
    fn state_words(&self) -> u32 {
        CliqueState::words_per_state(*self) as u32
    }

    fn num_actions(&self) -> u32 {
        self.num_edges() as u32
    }

    fn observation_len(&self) -> u32 {
        3 * self.num_edges() as u32
    }

    fn max_legal(&self) -> u32 {
        self.num_edges() as u32
    }

    fn max_game_length(&self) -> u32 {
        self.num_edges() as u32
    }

    fn search_adapter(&self) -> String {
        // Vertex sets are one u32 (n ≤ 32) or a vec2<u32>, low word first (n > 32).
        let masks = if self.mask_words() == 1 {
            "fn clique_load_mask(i: u32) -> CliqueMask {
    return search_state_word(4u + i);
}

fn clique_store_mask(i: u32, mask: CliqueMask) {
    search_set_state_word(4u + i, mask);
}
"
        } else {
            "fn clique_load_mask(i: u32) -> CliqueMask {
    return vec2<u32>(search_state_word(4u + 2u * i), search_state_word(5u + 2u * i));
}

fn clique_store_mask(i: u32, mask: CliqueMask) {
    search_set_state_word(4u + 2u * i, mask.x);
    search_set_state_word(5u + 2u * i, mask.y);
}
"
        };
        format!("{}\n{masks}\n{ADAPTER}", library_source(*self))
    }
}
