//! Canonical labelling of graphs on at most 64 vertices, so that isomorphic graphs get equal
//! canonical forms (the archive counts counterexamples up to isomorphism with it).
//!
//! The method of nauty in its simplest sound form: individualise-and-refine over ordered
//! partitions. Refinement splits every cell by the number of neighbours in each cell
//! (until equitable), ordering the pieces by that number, so it commutes with relabelling.
//! A leaf of the search (a discrete partition) gives a labelling, and the relabelled
//! adjacency is its certificate; the canonical form is the smallest certificate of all
//! leaves. Two sound prunings keep symmetric graphs fast: a leaf with the same certificate
//! as the first leaf gives an automorphism that maps the first path onto the current one,
//! so the search returns to where they diverged; and among the children of a node, one in
//! the orbit of an explored child (under found automorphisms fixing the node's prefix) is
//! skipped.

/// The canonical form: the adjacency (`[n]` bitsets) of the graph relabelled canonically.
/// Equal for two graphs exactly when they are isomorphic.
pub fn canonical_form(n: u32, adjacency: &[u64]) -> Vec<u64> {
    canonical_labelling(n, adjacency).1
}

/// The canonical labelling (`[n]`: vertex v gets label `labels[v]`) and the form it gives.
pub fn canonical_labelling(n: u32, adjacency: &[u64]) -> (Vec<u32>, Vec<u64>) {
    let n = n as usize;
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut search = Search {
        adjacency,
        n,
        first: None,
        best: None,
        automorphisms: Vec::new(),
    };
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    search.explore(vec![all], &mut Vec::new());
    let best = search
        .best
        .unwrap_or_else(|| unreachable!("the search reaches at least one leaf"));
    (best.labels, best.certificate)
}

struct Leaf {
    /// Vertex v sits at position `labels[v]` of the discrete partition.
    labels: Vec<u32>,
    certificate: Vec<u64>,
    /// The individualised vertices, root first.
    path: Vec<u32>,
}

struct Search<'a> {
    adjacency: &'a [u64],
    n: usize,
    first: Option<Leaf>,
    best: Option<Leaf>,
    /// Found automorphisms, each `[n]`: v ↦ image.
    automorphisms: Vec<Vec<u32>>,
}

impl Search<'_> {
    /// Splits cells until every cell's vertices have equal neighbour counts in every cell.
    fn refine(&self, cells: &mut Vec<u64>) {
        loop {
            let mut changed = false;
            let mut splitter_index = 0;
            while splitter_index < cells.len() {
                let splitter = cells[splitter_index];
                let mut refined = Vec::with_capacity(cells.len());
                for &cell in cells.iter() {
                    if cell.count_ones() == 1 {
                        refined.push(cell);
                        continue;
                    }
                    let mut pieces: Vec<(u32, u64)> = Vec::new();
                    let mut rest = cell;
                    while rest != 0 {
                        let v = rest.trailing_zeros();
                        rest &= rest - 1;
                        let count = (self.adjacency[v as usize] & splitter).count_ones();
                        match pieces.iter_mut().find(|(c, _)| *c == count) {
                            Some((_, piece)) => *piece |= 1 << v,
                            None => pieces.push((count, 1 << v)),
                        }
                    }
                    pieces.sort_unstable_by_key(|&(count, _)| count);
                    changed |= pieces.len() > 1;
                    refined.extend(pieces.into_iter().map(|(_, piece)| piece));
                }
                *cells = refined;
                splitter_index += 1;
            }
            if !changed {
                return;
            }
        }
    }

    fn leaf(&self, cells: &[u64], path: &[u32]) -> Leaf {
        let mut labels = vec![0u32; self.n];
        for (position, &cell) in cells.iter().enumerate() {
            labels[cell.trailing_zeros() as usize] = position as u32;
        }
        let mut certificate = vec![0u64; self.n];
        for v in 0..self.n {
            let mut rest = self.adjacency[v];
            while rest != 0 {
                let w = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                certificate[labels[v] as usize] |= 1 << labels[w];
            }
        }
        Leaf {
            labels,
            certificate,
            path: path.to_vec(),
        }
    }

    /// The automorphism sending the vertex at each position of `from` to the vertex at
    /// the same position of `to` (their certificates are equal).
    fn automorphism(&self, from: &Leaf, to: &Leaf) -> Vec<u32> {
        let mut at_position = vec![0u32; self.n];
        for (vertex, &position) in to.labels.iter().enumerate() {
            at_position[position as usize] = vertex as u32;
        }
        from.labels
            .iter()
            .map(|&position| at_position[position as usize])
            .collect()
    }

    /// Searches below the partition `cells` reached by individualising `path`. Returns
    /// `Some(depth)` to abandon everything below depth `depth` (an automorphism showed it
    /// equivalent to what was explored).
    fn explore(&mut self, mut cells: Vec<u64>, path: &mut Vec<u32>) -> Option<usize> {
        self.refine(&mut cells);
        if cells.len() == self.n {
            let leaf = self.leaf(&cells, path);
            let Some(first) = &self.first else {
                self.best = Some(Leaf {
                    labels: leaf.labels.clone(),
                    certificate: leaf.certificate.clone(),
                    path: leaf.path.clone(),
                });
                self.first = Some(leaf);
                return None;
            };
            if leaf.certificate == first.certificate {
                let automorphism = self.automorphism(first, &leaf);
                let diverge = first
                    .path
                    .iter()
                    .zip(&leaf.path)
                    .take_while(|(a, b)| a == b)
                    .count();
                self.automorphisms.push(automorphism);
                return Some(diverge);
            }
            let best = self.best.as_ref().unwrap_or(first);
            if leaf.certificate == best.certificate {
                let automorphism = self.automorphism(best, &leaf);
                self.automorphisms.push(automorphism);
            } else if leaf.certificate < best.certificate {
                self.best = Some(leaf);
            }
            return None;
        }
        // The first smallest non-singleton cell: a choice that commutes with relabelling.
        let (target, &cell) = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.count_ones() > 1)
            .min_by_key(|(index, c)| (c.count_ones(), *index))
            .unwrap_or_else(|| unreachable!("a partition that is not discrete has a big cell"));
        let depth = path.len();
        let mut explored: Vec<u32> = Vec::new();
        let mut rest = cell;
        while rest != 0 {
            let v = rest.trailing_zeros();
            rest &= rest - 1;
            if !explored.is_empty() && self.in_explored_orbit(path, &explored, v) {
                continue;
            }
            let mut child = Vec::with_capacity(cells.len() + 1);
            child.extend_from_slice(&cells[..target]);
            child.push(1 << v);
            child.push(cell & !(1 << v));
            child.extend_from_slice(&cells[target + 1..]);
            path.push(v);
            let jump = self.explore(child, path);
            path.pop();
            explored.push(v);
            if let Some(level) = jump
                && level < depth
            {
                return Some(level);
            }
        }
        None
    }

    /// Is `v` in the orbit of an explored child under the found automorphisms that fix
    /// every vertex of `path`?
    fn in_explored_orbit(&self, path: &[u32], explored: &[u32], v: u32) -> bool {
        let mut parent: Vec<u32> = (0..self.n as u32).collect();
        fn root(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                parent[x as usize] = parent[parent[x as usize] as usize];
                x = parent[x as usize];
            }
            x
        }
        for automorphism in &self.automorphisms {
            if path.iter().any(|&p| automorphism[p as usize] != p) {
                continue;
            }
            for (x, &y) in automorphism.iter().enumerate() {
                let (a, b) = (root(&mut parent, x as u32), root(&mut parent, y));
                if a != b {
                    parent[a as usize] = b;
                }
            }
        }
        let target = root(&mut parent, v);
        explored.iter().any(|&w| root(&mut parent, w) == target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest certificate over every permutation: the brute-force canonical form.
    fn brute_force_form(n: usize, adjacency: &[u64]) -> Vec<u64> {
        let mut labels: Vec<usize> = (0..n).collect();
        let mut best: Option<Vec<u64>> = None;
        fn visit(
            at: usize,
            labels: &mut Vec<usize>,
            adjacency: &[u64],
            best: &mut Option<Vec<u64>>,
        ) {
            let n = labels.len();
            if at == n {
                let mut form = vec![0u64; n];
                for v in 0..n {
                    for w in 0..n {
                        if adjacency[v] >> w & 1 == 1 {
                            form[labels[v]] |= 1 << labels[w];
                        }
                    }
                }
                if best.as_ref().is_none_or(|b| form < *b) {
                    *best = Some(form);
                }
                return;
            }
            for i in at..n {
                labels.swap(at, i);
                visit(at + 1, labels, adjacency, best);
                labels.swap(at, i);
            }
        }
        visit(0, &mut labels, adjacency, &mut best);
        best.unwrap_or_default()
    }

    fn graph_from_bits(n: usize, bits: u64) -> Vec<u64> {
        let mut adjacency = vec![0u64; n];
        let mut index = 0;
        for u in 0..n {
            for v in u + 1..n {
                if bits >> index & 1 == 1 {
                    adjacency[u] |= 1 << v;
                    adjacency[v] |= 1 << u;
                }
                index += 1;
            }
        }
        adjacency
    }

    /// Every graph on n vertices: our classes must be exactly the brute-force classes.
    fn classes_match_brute_force(n: usize, expected_classes: usize) {
        let pairs = n * (n - 1) / 2;
        let mut seen = std::collections::HashMap::new();
        let mut ours = std::collections::HashSet::new();
        for bits in 0..1u64 << pairs {
            let adjacency = graph_from_bits(n, bits);
            let form = canonical_form(n as u32, &adjacency);
            let brute = brute_force_form(n, &adjacency);
            if let Some(previous) = seen.insert(brute, form.clone()) {
                assert_eq!(previous, form, "isomorphic graphs got different forms");
            }
            ours.insert(form);
        }
        assert_eq!(seen.len(), expected_classes);
        assert_eq!(
            ours.len(),
            expected_classes,
            "non-isomorphic graphs shared a form"
        );
    }

    #[test]
    fn classes_of_all_graphs_on_5_and_6_vertices_match_brute_force() {
        // 34 and 156 graphs up to isomorphism (OEIS A000088).
        classes_match_brute_force(5, 34);
        classes_match_brute_force(6, 156);
    }

    fn relabel(adjacency: &[u64], map: &[usize]) -> Vec<u64> {
        let mut out = vec![0u64; adjacency.len()];
        for (v, &neighbours) in adjacency.iter().enumerate() {
            for (w, &image) in map.iter().enumerate() {
                if neighbours >> w & 1 == 1 {
                    out[map[v]] |= 1 << image;
                }
            }
        }
        out
    }

    fn shuffled(n: usize, seed: &mut u64) -> Vec<usize> {
        let mut map: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            map.swap(i, (*seed >> 33) as usize % (i + 1));
        }
        map
    }

    #[test]
    fn relabelled_graphs_of_every_size_get_the_same_form() {
        let mut seed = 11u64;
        let paley17: Vec<u64> = {
            let residues: Vec<usize> = (1..17).map(|x| x * x % 17).collect();
            (0..17)
                .map(|v| {
                    (0..17)
                        .filter(|&w| w != v && residues.contains(&((w + 17 - v) % 17)))
                        .fold(0u64, |s, w| s | 1 << w)
                })
                .collect()
        };
        let mut graphs = vec![
            (17, paley17),
            (64, vec![0u64; 64]),
            (64, (0..64).map(|v| !(1u64 << v)).collect()),
        ];
        for n in [7usize, 17, 43, 64] {
            let mut adjacency = vec![0u64; n];
            for u in 0..n {
                for v in u + 1..n {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if seed >> 63 == 1 {
                        adjacency[u] |= 1 << v;
                        adjacency[v] |= 1 << u;
                    }
                }
            }
            graphs.push((n, adjacency));
        }
        for (n, adjacency) in graphs {
            let form = canonical_form(n as u32, &adjacency);
            for _ in 0..3 {
                let map = shuffled(n, &mut seed);
                assert_eq!(
                    canonical_form(n as u32, &relabel(&adjacency, &map)),
                    form,
                    "n = {n}"
                );
            }
            // The form is a relabelling of the graph: same degree multiset.
            let mut degrees: Vec<u32> = adjacency.iter().map(|s| s.count_ones()).collect();
            let mut form_degrees: Vec<u32> = form.iter().map(|s| s.count_ones()).collect();
            degrees.sort_unstable();
            form_degrees.sort_unstable();
            assert_eq!(degrees, form_degrees);
        }
    }
}
