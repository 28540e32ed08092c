//! Circulant colourings: Cayley colourings of Z_n, where the colour of {u, v} depends only
//! on the distance min(|u − v|, n − |u − v|) ∈ 1..=⌊n/2⌋. A colouring is the set of
//! distances in colour 0, a bitset of ⌊n/2⌋ classes (bit d − 1 for distance d).
//!
//! Circulants are vertex-transitive (v ↦ v + 1 is an automorphism of both colours), so every
//! vertex lies in the same number of monochromatic cliques: counting the cliques through
//! vertex 0 — the K_{s−1} in its colour-0 neighbourhood and the K_{t−1} in its colour-1
//! one — gives the whole energy, n·c₀/s + n·c₁/t, at the cost of one neighbourhood count.
//! Many record colourings are circulant or close to one (the Paley graph of order 17 for
//! R(4,4); Exoo's R(5,5) colouring of K_42 came from a cyclic colouring of K_43 by deleting
//! a vertex and repairing), so the search tries them first: every class set when there are
//! at most 2^[`EXHAUSTIVE_CLASSES`] of them, annealing over class sets otherwise, on K_n
//! and — deleting a vertex — on K_{n+1}; the lowest-energy colourings seed the general
//! search.

use rayon::prelude::*;

use super::counting::{count_cliques, count_cliques_up_to, energy};
use super::rng::Pcg32;
use super::{Colouring, Problem};
use crate::games::clique::all_vertices;

/// The most distance classes searched exhaustively: 2^22 class sets (K_44, K_45).
pub const EXHAUSTIVE_CLASSES: u32 = 22;

/// ⌊n/2⌋: the distances of Z_n.
pub fn distance_classes(n: u32) -> u32 {
    n / 2
}

/// A circulant colouring of K_n.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Circulant {
    pub n: u32,
    /// Bit d − 1 set: distance d has colour 0.
    pub distances: u64,
}

impl Circulant {
    /// The circulant with `distances` (each in 1..=n/2) in colour 0.
    pub fn from_distances(n: u32, distances: &[u32]) -> Self {
        let bits = distances.iter().fold(0u64, |bits, &d| bits | 1 << (d - 1));
        Self { n, distances: bits }
    }

    /// The colour-0 distances, increasing.
    pub fn distance_list(&self) -> Vec<u32> {
        (1..=distance_classes(self.n))
            .filter(|&d| self.distances >> (d - 1) & 1 == 1)
            .collect()
    }

    /// Vertex 0's colour-0 neighbours: d and n − d for each colour-0 distance d.
    pub fn first_row(&self) -> u64 {
        let mut row = 0u64;
        for d in self.distance_list() {
            row |= 1 << d | 1 << (self.n - d);
        }
        row
    }

    /// The full colouring: vertex v's row is vertex 0's rotated by v.
    pub fn colouring(&self) -> Colouring {
        let (n, first) = (self.n, self.first_row());
        let all = all_vertices(n);
        let adjacency = (0..n)
            .map(|v| {
                if v == 0 {
                    first
                } else {
                    (first << v | first >> (n - v)) & all
                }
            })
            .collect();
        Colouring::from_adjacency(n, adjacency)
            .unwrap_or_else(|error| unreachable!("a circulant is a colouring: {error}"))
    }

    /// The forbidden cliques through vertex 0: `[K_s in colour 0, K_t in colour 1]`.
    pub fn cliques_through_zero(&self, problem: &Problem) -> [u64; 2] {
        let colouring = self.colouring();
        [0, 1].map(|colour| {
            count_cliques(
                colouring.adjacency(),
                super::colouring::colour_mask(colour),
                colouring.neighbours(0, colour),
                problem.clique_size(colour) - 1,
            )
        })
    }

    /// The energy from the cliques through vertex 0: each clique has s (or t) vertices,
    /// every vertex lies in as many, so the totals are n·c₀/s and n·c₁/t.
    pub fn energy(&self, problem: &Problem) -> u64 {
        let [colour0, colour1] = self.cliques_through_zero(problem);
        let n = u64::from(self.n);
        n * colour0 / u64::from(problem.s) + n * colour1 / u64::from(problem.t)
    }

    /// The energy if it is below `bound`, else `None` — counting only as far as needed to
    /// tell (the exhaustive search skips most class sets this way).
    pub fn energy_below(&self, problem: &Problem, bound: u64) -> Option<u64> {
        let colouring = self.colouring();
        let n = u64::from(self.n);
        let mut energy = 0;
        for colour in [0, 1] {
            let size = u64::from(problem.clique_size(colour));
            // Cliques through 0 at which this colour alone reaches the bound:
            // n·c/size ≥ bound − energy  ⇔  c ≥ ⌈(bound − energy)·size / n⌉.
            let limit = (bound - energy).saturating_mul(size).div_ceil(n);
            let through = count_cliques_up_to(
                colouring.adjacency(),
                super::colouring::colour_mask(colour),
                colouring.neighbours(0, colour),
                problem.clique_size(colour) - 1,
                limit,
            );
            energy += n * through / size;
            if through >= limit || energy >= bound {
                return None;
            }
        }
        Some(energy)
    }
}

/// The lowest-energy circulants one search saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CirculantSearch {
    /// Class sets evaluated.
    pub evaluated: u64,
    /// Whether every class set was evaluated.
    pub exhaustive: bool,
    /// Up to `keep` (energy, circulant), lowest energy first (ties by class set).
    pub best: Vec<(u64, Circulant)>,
}

/// The `keep` smallest (energy, circulant) pairs of those pushed (`keep` ≥ 1).
#[derive(Clone, Debug)]
struct Lowest {
    keep: usize,
    items: Vec<(u64, Circulant)>,
    /// The largest kept pair after the last pruning, once `keep` are kept: anything not
    /// below it cannot enter.
    cutoff: Option<(u64, Circulant)>,
}

impl Lowest {
    fn new(keep: usize) -> Self {
        Self {
            keep: keep.max(1),
            items: Vec::new(),
            cutoff: None,
        }
    }

    fn push(&mut self, item: (u64, Circulant)) {
        if self.cutoff.is_some_and(|cutoff| item >= cutoff) {
            return;
        }
        self.items.push(item);
        if self.items.len() >= 2 * self.keep {
            self.prune();
        }
    }

    fn prune(&mut self) {
        self.items.sort_unstable();
        self.items.dedup();
        self.items.truncate(self.keep);
        if self.items.len() == self.keep {
            self.cutoff = self.items.last().copied();
        }
    }

    fn merge(mut self, other: Self) -> Self {
        for item in other.items {
            self.push(item);
        }
        self
    }

    fn into_sorted(mut self) -> Vec<(u64, Circulant)> {
        self.prune();
        self.items
    }
}

/// Evaluates every class set of K_n (2^⌊n/2⌋ of them, at most 2^[`EXHAUSTIVE_CLASSES`]), over
/// all cores; the result does not depend on how the work is split.
pub fn search_exhaustive(problem: &Problem, keep: usize) -> CirculantSearch {
    let classes = distance_classes(problem.n).min(EXHAUSTIVE_CLASSES);
    let total = 1u64 << classes;
    // u32 ranges split evenly over the threads (u64 ones are not indexed); 2^22 fits.
    let best = (0..total as u32)
        .into_par_iter()
        .with_min_len(256)
        .fold(
            || Lowest::new(keep),
            |mut lowest, distances| {
                let circulant = Circulant {
                    n: problem.n,
                    distances: u64::from(distances),
                };
                let bound = lowest.cutoff.map_or(u64::MAX, |(energy, _)| energy + 1);
                if let Some(energy) = circulant.energy_below(problem, bound) {
                    lowest.push((energy, circulant));
                }
                lowest
            },
        )
        .reduce(|| Lowest::new(keep), Lowest::merge)
        .into_sorted();
    CirculantSearch {
        evaluated: total,
        exhaustive: distance_classes(problem.n) <= EXHAUSTIVE_CLASSES,
        best,
    }
}

/// Tabu search over class sets, for about `evaluations` energy evaluations: each step
/// evaluates flipping every distance class and takes the best flip whose class was not
/// flipped in the last ⌈classes / 4⌉ steps (unless it beats the run's best); a run that
/// has not improved for 4·classes steps starts again from a random class set.
pub fn search_local(
    problem: &Problem,
    seed: u64,
    evaluations: u64,
    keep: usize,
) -> CirculantSearch {
    let classes = distance_classes(problem.n);
    let tenure = u64::from(classes.div_ceil(4));
    let mut rng = Pcg32::new(seed, 0xc12c_01a7);
    let mut lowest = Lowest::new(keep);
    let mut evaluated = 0;
    let random = |rng: &mut Pcg32| Circulant {
        n: problem.n,
        distances: (0..classes).fold(0, |bits, class| {
            bits | u64::from(rng.next_u32() >> 31) << class
        }),
    };
    let mut current = random(&mut rng);
    let mut current_energy = current.energy(problem);
    let mut run_best = current_energy;
    let mut stale = 0;
    let mut tabu_until = vec![0u64; classes as usize];
    let mut step = 0u64;
    while evaluated < evaluations {
        step += 1;
        let mut chosen: Option<(u64, Circulant, usize)> = None;
        for (class, &until) in tabu_until.iter().enumerate() {
            let candidate = Circulant {
                distances: current.distances ^ 1 << class,
                ..current
            };
            let energy = candidate.energy(problem);
            evaluated += 1;
            lowest.push((energy, candidate));
            let allowed = until <= step || energy < run_best;
            if allowed && chosen.is_none_or(|(best, _, _)| energy < best) {
                chosen = Some((energy, candidate, class));
            }
        }
        if let Some((energy, candidate, class)) = chosen {
            current = candidate;
            current_energy = energy;
            tabu_until[class] = step + tenure;
        }
        if current_energy < run_best {
            run_best = current_energy;
            stale = 0;
        } else {
            stale += 1;
        }
        if stale >= 4 * u64::from(classes) || current_energy == 0 {
            current = random(&mut rng);
            current_energy = current.energy(problem);
            evaluated += 1;
            lowest.push((current_energy, current));
            run_best = current_energy;
            stale = 0;
            tabu_until.fill(0);
        }
    }
    CirculantSearch {
        evaluated,
        exhaustive: false,
        best: lowest.into_sorted(),
    }
}

/// Exhaustive when K_n has at most [`EXHAUSTIVE_CLASSES`] distance classes, else local search
/// with `evaluations` evaluations.
pub fn search(problem: &Problem, seed: u64, evaluations: u64, keep: usize) -> CirculantSearch {
    if distance_classes(problem.n) <= EXHAUSTIVE_CLASSES {
        search_exhaustive(problem, keep)
    } else {
        search_local(problem, seed, evaluations, keep)
    }
}

/// Start colourings for the general search from circulants.
#[derive(Clone, Debug)]
pub struct CirculantStarts {
    /// Up to `keep` colourings of K_n with their energies, lowest first: circulants of K_n,
    /// and circulants of K_{n+1} with vertex n deleted. Those of energy 0 are witnesses.
    pub colourings: Vec<(u64, Colouring)>,
    /// Class sets evaluated on K_n and K_{n+1}.
    pub evaluated: u64,
    /// Whether every class set of K_n was evaluated.
    pub exhaustive: bool,
}

/// The best circulants of K_n and of K_{n+1} (n < 64) with a vertex deleted — the energy of
/// the latter recounted on K_n by the general counter — merged, lowest energy first.
pub fn starts(problem: &Problem, seed: u64, evaluations: u64, keep: usize) -> CirculantStarts {
    let own = search(problem, seed, evaluations, keep);
    let mut colourings: Vec<(u64, Colouring)> = own
        .best
        .iter()
        .map(|(energy, circulant)| (*energy, circulant.colouring()))
        .collect();
    let mut evaluated = own.evaluated;
    if problem.n < super::MAX_VERTICES {
        let larger = Problem {
            n: problem.n + 1,
            ..*problem
        };
        let found = search(&larger, seed, evaluations, keep);
        evaluated += found.evaluated;
        for (_, circulant) in &found.best {
            let deleted = circulant.colouring().without_vertex(problem.n);
            colourings.push((energy(&deleted, problem), deleted));
        }
    }
    colourings.sort_by(|a, b| (a.0, a.1.adjacency()).cmp(&(b.0, b.1.adjacency())));
    colourings.dedup();
    colourings.truncate(keep);
    CirculantStarts {
        colourings,
        evaluated,
        exhaustive: own.exhaustive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_circulant_energy_equals_the_general_count() {
        let mut rng = Pcg32::new(31, 0);
        for (n, s, t) in [
            (9u32, 3u32, 3u32),
            (17, 4, 4),
            (24, 4, 5),
            (25, 5, 4),
            (34, 5, 5),
            (64, 4, 4),
        ] {
            let problem = Problem::new(n, s, t).unwrap();
            for _ in 0..6 {
                let distances = u64::from(rng.next_u32()) & ((1 << distance_classes(n)) - 1);
                let circulant = Circulant { n, distances };
                assert_eq!(
                    circulant.energy(&problem),
                    energy(&circulant.colouring(), &problem),
                    "n={n} s={s} t={t} distances {:?}",
                    circulant.distance_list()
                );
            }
        }
    }

    #[test]
    fn the_bounded_energy_is_the_energy_exactly_when_below_the_bound() {
        let mut rng = Pcg32::new(32, 0);
        for (n, s, t) in [(17u32, 4u32, 4u32), (24, 4, 5), (30, 5, 3)] {
            let problem = Problem::new(n, s, t).unwrap();
            for _ in 0..20 {
                let distances = u64::from(rng.next_u32()) & ((1 << distance_classes(n)) - 1);
                let circulant = Circulant { n, distances };
                let energy = circulant.energy(&problem);
                for bound in [0, 1, energy, energy + 1, energy * 2 + 1, u64::MAX] {
                    let expected = (energy < bound).then_some(energy);
                    assert_eq!(
                        circulant.energy_below(&problem, bound),
                        expected,
                        "bound {bound}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_exhaustive_search_finds_the_paley_graph_of_order_17() {
        let problem = Problem::new(17, 4, 4).unwrap();
        let found = search_exhaustive(&problem, 8);
        assert!(found.exhaustive);
        assert_eq!(found.evaluated, 256);
        let witnesses: Vec<Vec<u32>> = found
            .best
            .iter()
            .filter(|(energy, _)| *energy == 0)
            .map(|(_, circulant)| circulant.distance_list())
            .collect();
        // The non-residues and the quadratic residues mod 17 (±1, ±2, ±4, ±8), ordered
        // by class set.
        assert_eq!(witnesses, [vec![3, 5, 6, 7], vec![1, 2, 4, 8]]);
        // Energies are non-decreasing and each is the circulant's own.
        for pair in found.best.windows(2) {
            assert!(pair[0] <= pair[1]);
        }
        for (energy, circulant) in &found.best {
            assert_eq!(*energy, circulant.energy(&problem));
        }
    }

    #[test]
    fn starts_include_deleted_vertex_colourings_with_recounted_energies() {
        let problem = Problem::new(16, 4, 4).unwrap();
        let starts = starts(&problem, 1, 0, 6);
        // Deleting a vertex of the Paley graph of order 17 leaves a witness on K_16.
        assert_eq!(starts.colourings[0].0, 0);
        for (energy_found, colouring) in &starts.colourings {
            assert_eq!(colouring.n(), 16);
            assert_eq!(*energy_found, energy(colouring, &problem));
        }
        // The local search reaches the Paley graph too.
        let local = search_local(&Problem::new(17, 4, 4).unwrap(), 5, 3000, 4);
        assert_eq!(local.best[0].0, 0);
    }
}
