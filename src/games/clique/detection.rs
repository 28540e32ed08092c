//! Finding cliques in one colour's graph, stored as adjacency bitsets (`adjacency[v]` has
//! bit w set when {v, w} has that colour; n ≤ 64).
//!
//! Two independent algorithms: [`contains_clique`] (a pruned depth-first search, used
//! incrementally by the rules after every move, mirrored by `clique_contains_clique` in
//! `shaders/games/clique/rules.wgsl`), and [`has_clique_exhaustive`] (tries every k-subset;
//! the archive's independent check and the tests' reference).

/// Does `candidates` hold `size` vertices that are pairwise adjacent in `adjacency`?
///
/// Depth-first over the candidates in increasing order, pruning a branch when fewer
/// candidates remain than vertices are still needed.
pub fn contains_clique(adjacency: &[u64], candidates: u64, size: u32) -> bool {
    if size == 0 {
        return true;
    }
    if candidates.count_ones() < size {
        return false;
    }
    if size == 1 {
        return true;
    }
    let mut rest = candidates;
    while rest.count_ones() >= size {
        let vertex = rest.trailing_zeros();
        rest &= rest - 1;
        if contains_clique(adjacency, rest & adjacency[vertex as usize], size - 1) {
            return true;
        }
    }
    false
}

/// After {u, v} was added to `adjacency`: does it lie in a K_k of that graph, i.e. does the
/// common neighbourhood of u and v hold a K_{k−2}?
pub fn completes_clique(adjacency: &[u64], u: u32, v: u32, k: u32) -> bool {
    let common = adjacency[u as usize] & adjacency[v as usize];
    contains_clique(adjacency, common, k - 2)
}

/// Does the graph on vertices 0..n hold a K_k? Tries every k-subset in lexicographic order
/// and tests all its pairs: slow, but shares nothing with [`contains_clique`].
pub fn has_clique_exhaustive(adjacency: &[u64], n: u32, k: u32) -> bool {
    let (n, k) = (n as usize, k as usize);
    if k > n {
        return false;
    }
    let mut subset: Vec<usize> = (0..k).collect();
    loop {
        let complete =
            (0..k).all(|i| (i + 1..k).all(|j| adjacency[subset[i]] >> subset[j] & 1 == 1));
        if complete {
            return true;
        }
        // Next k-subset: bump the rightmost index that can still move right.
        let Some(position) = (0..k).rev().find(|&i| subset[i] < n - k + i) else {
            return false;
        };
        subset[position] += 1;
        for i in position + 1..k {
            subset[i] = subset[i - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_graph(n: u32, density_percent: u64, seed: &mut u64) -> Vec<u64> {
        let mut adjacency = vec![0u64; n as usize];
        for u in 0..n {
            for v in u + 1..n {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if (*seed >> 33) % 100 < density_percent {
                    adjacency[u as usize] |= 1 << v;
                    adjacency[v as usize] |= 1 << u;
                }
            }
        }
        adjacency
    }

    #[test]
    fn depth_first_search_agrees_with_exhaustive_search() {
        let mut seed = 7;
        for n in [4u32, 6, 9, 12] {
            for k in 3..=5.min(n) {
                for density in [30, 50, 70] {
                    for _ in 0..40 {
                        let adjacency = random_graph(n, density, &mut seed);
                        let all = super::super::all_vertices(n);
                        assert_eq!(
                            contains_clique(&adjacency, all, k),
                            has_clique_exhaustive(&adjacency, n, k),
                            "n={n} k={k} {adjacency:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn exhaustive_search_finds_known_cliques() {
        // The 5-cycle has triangles in neither it nor its complement: R(3,3) > 5.
        let cycle: Vec<u64> = (0..5u32)
            .map(|v| (1 << ((v + 1) % 5)) | (1 << ((v + 4) % 5)))
            .collect();
        let complement: Vec<u64> = (0..5).map(|v| !cycle[v] & 0b11111 & !(1 << v)).collect();
        assert!(!has_clique_exhaustive(&cycle, 5, 3));
        assert!(!has_clique_exhaustive(&complement, 5, 3));
        assert!(has_clique_exhaustive(&[0b110, 0b101, 0b011], 3, 3));
    }
}
