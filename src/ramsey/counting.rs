//! Counting monochromatic cliques by recursive bitset intersection, the energy of a
//! colouring, and the exact change of the energy when one edge flips.
//!
//! The energy of a colouring for R(s,t) is the number of K_s in colour 0 plus the number of
//! K_t in colour 1: zero exactly for a witness that R(s,t) > n. Flipping edge {u, v} from
//! colour c to colour c' changes only the cliques through that edge: it destroys the
//! K_{k_c} of colour c through it — one per K_{k_c − 2} in the colour-c common
//! neighbourhood of u and v — and creates one K_{k_c'} of colour c' per K_{k_c' − 2} in the
//! colour-c' common neighbourhood (k_0 = s, k_1 = t). So
//! `delta = count(K_{k_c' − 2} in N_c'(u) ∩ N_c'(v)) − count(K_{k_c − 2} in N_c(u) ∩ N_c(v))`.

use super::Problem;
use super::colouring::{Colouring, colour_mask};

/// The number of `size`-cliques inside `candidates` of the graph whose neighbourhoods are
/// `adjacency[v] ^ mask` (see [`colour_mask`]); `candidates` must not hold vertices ≥ n.
///
/// Each clique is counted once, from its lowest vertex: take the lowest candidate v, count
/// the (size − 1)-cliques among the later candidates adjacent to v, and drop v. A branch
/// stops when fewer candidates remain than vertices are missing.
pub fn count_cliques(adjacency: &[u64], mask: u64, candidates: u64, size: u32) -> u64 {
    match size {
        0 => 1,
        1 => u64::from(candidates.count_ones()),
        2 => {
            let mut total = 0;
            let mut rest = candidates;
            while rest != 0 {
                let v = rest.trailing_zeros();
                rest &= rest - 1;
                total += u64::from((rest & (adjacency[v as usize] ^ mask)).count_ones());
            }
            total
        }
        _ => {
            let mut total = 0;
            let mut rest = candidates;
            while rest.count_ones() >= size {
                let v = rest.trailing_zeros();
                rest &= rest - 1;
                total += count_cliques(
                    adjacency,
                    mask,
                    rest & (adjacency[v as usize] ^ mask),
                    size - 1,
                );
            }
            total
        }
    }
}

/// [`count_cliques`], but stops counting at `limit`: returns min(count, limit).
pub fn count_cliques_up_to(
    adjacency: &[u64],
    mask: u64,
    candidates: u64,
    size: u32,
    limit: u64,
) -> u64 {
    if size <= 2 || limit == 0 {
        return count_cliques(adjacency, mask, candidates, size).min(limit);
    }
    let mut total = 0;
    let mut rest = candidates;
    while rest.count_ones() >= size && total < limit {
        let v = rest.trailing_zeros();
        rest &= rest - 1;
        let next = rest & (adjacency[v as usize] ^ mask);
        total += count_cliques_up_to(adjacency, mask, next, size - 1, limit - total);
    }
    total.min(limit)
}

/// Calls `visit` with the members (in increasing order) of every `size`-clique inside
/// `candidates`, in the order [`count_cliques`] counts them.
pub fn for_each_clique(
    adjacency: &[u64],
    mask: u64,
    candidates: u64,
    size: u32,
    visit: &mut impl FnMut(&[u32]),
) {
    let mut members = [0u32; 64];
    enumerate(adjacency, mask, candidates, size, &mut members, 0, visit);
}

fn enumerate(
    adjacency: &[u64],
    mask: u64,
    candidates: u64,
    size: u32,
    members: &mut [u32; 64],
    depth: usize,
    visit: &mut impl FnMut(&[u32]),
) {
    if size == 0 {
        visit(&members[..depth]);
        return;
    }
    let mut rest = candidates;
    while rest.count_ones() >= size {
        let v = rest.trailing_zeros();
        rest &= rest - 1;
        members[depth] = v;
        let next = rest & (adjacency[v as usize] ^ mask);
        enumerate(adjacency, mask, next, size - 1, members, depth + 1, visit);
    }
}

/// The number of monochromatic forbidden cliques in colour `colour`: K_s for colour 0, K_t
/// for colour 1.
pub fn count_in_colour(colouring: &Colouring, problem: &Problem, colour: u32) -> u64 {
    let all = crate::games::clique::all_vertices(colouring.n());
    count_cliques(
        colouring.adjacency(),
        colour_mask(colour),
        all,
        problem.clique_size(colour),
    )
}

/// K_s in colour 0 plus K_t in colour 1: zero exactly for a witness.
pub fn energy(colouring: &Colouring, problem: &Problem) -> u64 {
    count_in_colour(colouring, problem, 0) + count_in_colour(colouring, problem, 1)
}

/// The vertices joined to both u and v in colour `colour`.
pub fn common_neighbours(colouring: &Colouring, u: u32, v: u32, colour: u32) -> u64 {
    colouring.neighbours(u, colour) & colouring.neighbours(v, colour)
}

/// The forbidden cliques of colour `colour` that edge {u, v} lies in, or would lie in if it
/// had that colour: K_{k − 2} in the colour's common neighbourhood (k = s or t).
pub fn cliques_through_edge(
    colouring: &Colouring,
    problem: &Problem,
    u: u32,
    v: u32,
    colour: u32,
) -> u64 {
    count_cliques(
        colouring.adjacency(),
        colour_mask(colour),
        common_neighbours(colouring, u, v, colour),
        problem.clique_size(colour) - 2,
    )
}

/// The change of [`energy`] if edge {u, v} flipped, from the cliques through that edge only.
pub fn flip_delta(colouring: &Colouring, problem: &Problem, u: u32, v: u32) -> i64 {
    let colour = colouring.colour(u, v);
    let destroyed = cliques_through_edge(colouring, problem, u, v, colour);
    let created = cliques_through_edge(colouring, problem, u, v, 1 - colour);
    created as i64 - destroyed as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::rng::Pcg32;

    /// Every `size`-subset of 0..n tested pair by pair: a reference sharing no code with
    /// the bitset recursion.
    fn brute_force(colouring: &Colouring, colour: u32, size: u32) -> u64 {
        let n = colouring.n() as usize;
        let mut count = 0;
        for subset in 0u64..1 << n {
            if subset.count_ones() != size {
                continue;
            }
            let members: Vec<u32> = (0..n as u32).filter(|&v| subset >> v & 1 == 1).collect();
            let monochromatic = members.iter().enumerate().all(|(i, &a)| {
                members[i + 1..]
                    .iter()
                    .all(|&b| colouring.colour(a, b) == colour)
            });
            count += u64::from(monochromatic);
        }
        count
    }

    #[test]
    fn counts_agree_with_brute_force_over_subsets() {
        let mut rng = Pcg32::new(11, 0);
        for n in [4u32, 7, 10, 13] {
            for density in [u32::MAX / 3, u32::MAX / 2, u32::MAX / 3 * 2] {
                let colouring = Colouring::random(n, density, &mut rng);
                for size in 0..=5 {
                    for colour in [0, 1] {
                        let all = crate::games::clique::all_vertices(n);
                        assert_eq!(
                            count_cliques(colouring.adjacency(), colour_mask(colour), all, size),
                            brute_force(&colouring, colour, size),
                            "n={n} size={size} colour={colour}"
                        );
                        let mut enumerated = 0;
                        for_each_clique(
                            colouring.adjacency(),
                            colour_mask(colour),
                            all,
                            size,
                            &mut |members| {
                                enumerated += 1;
                                assert_eq!(members.len(), size as usize);
                                for (i, &a) in members.iter().enumerate() {
                                    for &b in &members[i + 1..] {
                                        assert!(a < b && colouring.colour(a, b) == colour);
                                    }
                                }
                            },
                        );
                        assert_eq!(enumerated, brute_force(&colouring, colour, size));
                        for limit in [0, 1, 3, enumerated, enumerated + 1] {
                            let capped = count_cliques_up_to(
                                colouring.adjacency(),
                                colour_mask(colour),
                                all,
                                size,
                                limit,
                            );
                            assert_eq!(capped, enumerated.min(limit));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_flip_delta_equals_the_difference_of_full_recounts() {
        let mut rng = Pcg32::new(12, 0);
        for (n, s, t) in [
            (6u32, 3u32, 3u32),
            (9, 3, 4),
            (12, 4, 4),
            (14, 4, 3),
            (17, 4, 5),
            (20, 5, 5),
            (24, 3, 6),
            (40, 5, 4),
            (64, 4, 4),
            (5, 2, 3),
        ] {
            let problem = Problem::new(n, s, t).unwrap();
            let mut colouring = Colouring::random(n, u32::MAX / 2, &mut rng);
            let mut current = energy(&colouring, &problem);
            for _ in 0..30 {
                let u = rng.below(n);
                let v = (u + 1 + rng.below(n - 1)) % n;
                let delta = flip_delta(&colouring, &problem, u, v);
                colouring.flip(u, v);
                let recounted = energy(&colouring, &problem);
                assert_eq!(
                    recounted as i64 - current as i64,
                    delta,
                    "n={n} s={s} t={t} edge {u}-{v}"
                );
                current = recounted;
            }
        }
    }
}
