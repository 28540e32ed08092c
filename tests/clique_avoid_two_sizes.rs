//! Avoid mode with two clique sizes (colour 0 avoids K_s, colour 1 K_t) against an
//! independent enumeration of the (3,4)-graphs — triangle-free graphs with no independent
//! set of 4 vertices, the colour-0 graphs of the witnesses that R(3,4) > n — built vertex by
//! vertex with nothing shared with the rules, the solver or the archive.
//!
//! What it shows, besides the rules and the archive agreeing with the enumeration: R(3,4) =
//! 9 (no (3,4)-graph on 9 vertices), and a drawn avoid game gives colour 0 ⌈E/2⌉ edges and
//! colour 1 ⌊E/2⌋, which no witness on K_7 (for s,t = 3,4) or K_8 (either order) has; the
//! largest board where self-play can draw, and so archive an R(3,4) witness, is K_7 with
//! `--k 4,3` (colour 1 triangle-free).

use std::collections::{BTreeMap, BTreeSet};

use wgzero::games::clique::archive::{RamseyArchive, check_witness, verify};
use wgzero::games::clique::canonical::canonical_form;
use wgzero::games::clique::{
    CliqueConfig, CliqueSizes, CliqueState, Mode, Status, edge_index, graph6,
};
use wgzero::games::{GameInfo, GameState};

/// Does the vertex set `candidates` of `graph` hold an independent set of `size` vertices?
fn holds_independent_set(graph: &[u64], candidates: u64, size: u32) -> bool {
    if size == 0 {
        return true;
    }
    if candidates.count_ones() < size {
        return false;
    }
    let v = candidates.trailing_zeros() as usize;
    let rest = candidates & !(1 << v);
    holds_independent_set(graph, rest & !graph[v], size - 1)
        || holds_independent_set(graph, rest, size)
}

/// Every labelled (3,4)-graph on `n` vertices. Vertex k joins with a neighbourhood among
/// 0..k that is independent (else a triangle) and whose complement in 0..k holds no
/// independent 3-set (else an independent 4-set with k).
fn three_four_graphs(n: usize) -> Vec<Vec<u64>> {
    fn extend(graph: &mut Vec<u64>, n: usize, found: &mut Vec<Vec<u64>>) {
        let k = graph.len();
        if k == n {
            found.push(graph.clone());
            return;
        }
        for neighbours in 0u64..1 << k {
            let triangle = (0..k).any(|v| neighbours >> v & 1 == 1 && graph[v] & neighbours != 0);
            let others = ((1u64 << k) - 1) & !neighbours;
            if triangle || holds_independent_set(graph, others, 3) {
                continue;
            }
            for (v, row) in graph.iter_mut().enumerate() {
                *row |= (neighbours >> v & 1) << k;
            }
            graph.push(neighbours);
            extend(graph, n, found);
            graph.pop();
            for row in graph.iter_mut() {
                *row &= !(1 << k);
            }
        }
    }
    let mut found = Vec::new();
    extend(&mut Vec::new(), n, &mut found);
    found
}

fn edge_count(graph: &[u64]) -> u32 {
    graph.iter().map(|row| row.count_ones()).sum::<u32>() / 2
}

fn complement(graph: &[u64]) -> Vec<u64> {
    let n = graph.len();
    (0..n)
        .map(|v| !graph[v] & ((1u64 << n) - 1) & !(1 << v))
        .collect()
}

fn avoid(n: u32, s: u32, t: u32) -> CliqueConfig {
    CliqueConfig::with_sizes(n, CliqueSizes { s, t }, Mode::Avoid).unwrap()
}

/// The game that colours `colour0` for player 0 and the rest for player 1, alternating,
/// each in edge order, until the board is full or the game is over. `colour0` must hold
/// ⌈E/2⌉ edges.
fn play_colouring(config: CliqueConfig, colour0: &[u64]) -> CliqueState {
    let n = config.n;
    let mut edges = [Vec::new(), Vec::new()];
    for u in 0..n {
        for v in u + 1..n {
            let colour = usize::from(colour0[u as usize] >> v & 1 == 0);
            edges[colour].push(edge_index(n, u, v));
        }
    }
    assert_eq!(edges[0].len(), config.num_edges().div_ceil(2));
    let mut state = CliqueState::new(config);
    for turn in 0..config.num_edges() {
        if state.is_over() {
            break;
        }
        state.apply(edges[turn % 2][turn / 2]).unwrap();
    }
    state
}

#[test]
fn r_3_4_is_9_and_the_witnesses_on_8_vertices_are_the_archives() {
    let mut edges_by_n = BTreeMap::new();
    for n in 6..=9 {
        let graphs = three_four_graphs(n);
        let edges: BTreeSet<u32> = graphs.iter().map(|graph| edge_count(graph)).collect();
        edges_by_n.insert(n, edges);
        for graph in graphs.iter().step_by(7) {
            check_witness(n as u32, 3, 4, graph).unwrap();
            check_witness(n as u32, 4, 3, &complement(graph)).unwrap();
            assert!(check_witness(n as u32, 3, 3, graph).is_err());
        }
        if n == 8 {
            // 17,640 labelled graphs, 3 up to isomorphism (the known (3,4,8)-graphs).
            assert_eq!(graphs.len(), 17_640);
            let classes: BTreeSet<String> = graphs
                .iter()
                .map(|graph| graph6::encode(8, &canonical_form(8, graph)))
                .collect();
            assert_eq!(classes.len(), 3, "{classes:?}");
        }
    }
    // R(3,4) = 9: no witness on 9 vertices.
    assert!(edges_by_n[&9].is_empty());
    // A drawn game on K_n colours ⌈E/2⌉ edges 0. Triangle-free colour 0 (--k 3,4) can
    // draw on K_6 (8 edges) but not on K_7 (11) or K_8 (14); triangle-free colour 1
    // (--k 4,3) on K_6 (7), K_7 (10), not K_8 (14).
    let possible = |n: usize, colour: u32| {
        let e = (n * (n - 1) / 2) as u32;
        edges_by_n[&n].contains(&[e.div_ceil(2), e / 2][colour as usize])
    };
    assert_eq!(
        [6, 7, 8].map(|n| (possible(n, 0), possible(n, 1))),
        [(true, true), (false, true), (false, false)]
    );
}

#[test]
fn a_drawn_k7_game_with_sizes_4_3_is_archived_as_an_r_3_4_witness() {
    // Colour 1 (player 1, 10 edges) a triangle-free graph with no independent 4-set, colour
    // 0 its complement (11 edges, no K_4).
    let colour1 = three_four_graphs(7)
        .into_iter()
        .find(|graph| edge_count(graph) == 10)
        .unwrap();
    let colour0 = complement(&colour1);
    let config = avoid(7, 4, 3);
    assert_eq!(config.label(), "clique-n7-s4-t3-avoid");
    let state = play_colouring(config, &colour0);
    assert_eq!(state.status(), Status::Draw);
    // Colour 0 has triangles: with one size, 3, the game would have ended earlier.
    assert!(check_witness(7, 3, 3, &colour0).is_err());

    let dir = tempfile::tempdir().unwrap();
    let mut archive = RamseyArchive::open(dir.path()).unwrap();
    let outcome = archive.record(&state, "test").unwrap();
    assert!(outcome.new_labelled && outcome.new_up_to_isomorphism);
    let counts = archive.counts();
    assert_eq!(
        (counts[0].n, counts[0].k, counts[0].t, counts[0].records),
        (7, 4, 3, 1)
    );
    let report = verify(dir.path()).unwrap();
    assert_eq!((report.boards[0].k, report.boards[0].t), (4, 3));
    let line = std::fs::read_to_string(archive.path()).unwrap();
    assert!(line.contains(r#""k":4,"t":3"#), "{line}");

    // The same colouring played with the sizes swapped: colour 0 completes a triangle.
    let swapped = play_colouring(avoid(7, 3, 4), &colour0);
    assert_eq!(swapped.status(), Status::Won(1));
}
