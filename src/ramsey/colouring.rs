//! A 2-colouring of K_n: colour 0 is a graph stored as one `u64` bitset per vertex
//! (`adjacency[v]` has bit w set when {v, w} has colour 0), colour 1 is its complement.
//!
//! Colour 1 is never stored: its neighbourhoods are `adjacency[v] ^ mask` with the colour
//! mask [`colour_mask`]`(1)` = all ones, intersected with the vertices still in play, so one
//! piece of code counts cliques in either colour. A GPU twin holds the same `[n]` bitsets as
//! `vec2<u32>` (low word = vertices 0..32).

use super::RamseyError;
use super::rng::Pcg32;
use crate::games::clique::{all_vertices, graph6};

/// The mask that turns colour-0 adjacency into colour `colour`'s: 0 for colour 0, all ones
/// for colour 1 (callers clear the vertex itself and the vertices ≥ n).
pub fn colour_mask(colour: u32) -> u64 {
    if colour == 0 { 0 } else { u64::MAX }
}

/// A complete 2-colouring of K_n (n ≤ 64).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Colouring {
    n: u32,
    /// `[n]`: colour-0 neighbours of each vertex.
    adjacency: Vec<u64>,
}

impl Colouring {
    /// Every edge colour 1.
    pub fn all_colour_one(n: u32) -> Self {
        Self {
            n,
            adjacency: vec![0; n as usize],
        }
    }

    /// The colouring whose colour-0 graph is `adjacency` (`[n]` bitsets): checked to be
    /// symmetric, without loops and inside 0..n.
    pub fn from_adjacency(n: u32, adjacency: Vec<u64>) -> Result<Self, RamseyError> {
        let invalid = |reason: String| RamseyError::InvalidColouring { n, reason };
        if n > 64 {
            return Err(invalid("at most 64 vertices are supported".into()));
        }
        if adjacency.len() != n as usize {
            return Err(invalid(format!("{} adjacency rows", adjacency.len())));
        }
        let all = all_vertices(n);
        for (v, &row) in adjacency.iter().enumerate() {
            if row & !all != 0 || row >> v & 1 == 1 {
                return Err(invalid(format!(
                    "vertex {v} has neighbours outside 0..{n} or a loop"
                )));
            }
            let mut rest = row;
            while rest != 0 {
                let w = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if adjacency[w] >> v & 1 == 0 {
                    return Err(invalid(format!("{v}-{w} is not symmetric")));
                }
            }
        }
        Ok(Self { n, adjacency })
    }

    /// Reads a colour-0 graph in graph6.
    pub fn from_graph6(text: &str) -> Result<Self, RamseyError> {
        let (n, adjacency) =
            graph6::decode(text).map_err(|error| RamseyError::InvalidColouring {
                n: 0,
                reason: error.to_string(),
            })?;
        Self::from_adjacency(n, adjacency)
    }

    /// Each edge, in lexicographic order, gets colour 0 when a draw of `rng` is below
    /// `colour0_threshold` (so with probability threshold / 2^32).
    pub fn random(n: u32, colour0_threshold: u32, rng: &mut Pcg32) -> Self {
        let mut colouring = Self::all_colour_one(n);
        for u in 0..n {
            for v in u + 1..n {
                if rng.next_u32() < colour0_threshold {
                    colouring.flip(u, v);
                }
            }
        }
        colouring
    }

    pub fn n(&self) -> u32 {
        self.n
    }

    /// `[n]`: the colour-0 graph.
    pub fn adjacency(&self) -> &[u64] {
        &self.adjacency
    }

    /// The colour (0 or 1) of edge {u, v}, u ≠ v.
    pub fn colour(&self, u: u32, v: u32) -> u32 {
        (!self.adjacency[u as usize] >> v & 1) as u32
    }

    /// The neighbours of `v` in colour `colour`.
    pub fn neighbours(&self, v: u32, colour: u32) -> u64 {
        (self.adjacency[v as usize] ^ colour_mask(colour)) & all_vertices(self.n) & !(1 << v)
    }

    /// Swaps the colour of edge {u, v}, u ≠ v.
    pub fn flip(&mut self, u: u32, v: u32) {
        self.adjacency[u as usize] ^= 1 << v;
        self.adjacency[v as usize] ^= 1 << u;
    }

    /// The colouring of K_{n−1} left when `vertex` is removed (the vertices above it move
    /// down by one).
    pub fn without_vertex(&self, vertex: u32) -> Self {
        let low = (1u64 << vertex) - 1;
        let adjacency = (0..self.n)
            .filter(|&v| v != vertex)
            .map(|v| {
                let row = self.adjacency[v as usize];
                row & low | (row >> 1) & !low
            })
            .collect();
        Self {
            n: self.n - 1,
            adjacency,
        }
    }

    /// The colour-0 graph in graph6.
    pub fn graph6(&self) -> String {
        graph6::encode(self.n, &self.adjacency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_colourings_are_valid_and_round_trip_through_graph6() {
        let mut rng = Pcg32::new(3, 0);
        for n in [2u32, 5, 17, 33, 64] {
            let colouring = Colouring::random(n, u32::MAX / 2, &mut rng);
            let read = Colouring::from_graph6(&colouring.graph6()).unwrap();
            assert_eq!(read, colouring);
            for u in 0..n {
                assert_eq!(colouring.neighbours(u, 0) & colouring.neighbours(u, 1), 0);
                assert_eq!(
                    colouring.neighbours(u, 0) | colouring.neighbours(u, 1),
                    all_vertices(n) & !(1 << u)
                );
            }
        }
    }

    #[test]
    fn removing_a_vertex_keeps_the_colours_of_the_other_edges() {
        let mut rng = Pcg32::new(4, 0);
        let colouring = Colouring::random(12, u32::MAX / 2, &mut rng);
        for removed in [0u32, 5, 11] {
            let smaller = colouring.without_vertex(removed);
            let old = |v: u32| if v < removed { v } else { v + 1 };
            for u in 0..11 {
                for v in u + 1..11 {
                    assert_eq!(smaller.colour(u, v), colouring.colour(old(u), old(v)));
                }
            }
            Colouring::from_adjacency(11, smaller.adjacency().to_vec()).unwrap();
        }
    }

    #[test]
    fn malformed_adjacency_is_rejected() {
        assert!(Colouring::from_adjacency(3, vec![0b10, 0, 0]).is_err());
        assert!(Colouring::from_adjacency(3, vec![0b1, 0, 0]).is_err());
        assert!(Colouring::from_adjacency(3, vec![0b1000, 0, 0]).is_err());
        assert!(Colouring::from_adjacency(3, vec![0, 0]).is_err());
        assert!(Colouring::from_adjacency(3, vec![0b110, 0b101, 0b011]).is_ok());
    }
}
