//! Known Ramsey colourings are recognised by the independent check and by the search's
//! counter alike, colourings with a monochromatic forbidden clique are always rejected,
//! and the searches find witnesses that the independent check accepts.

use wgzero::games::clique::archive::{ArchiveError, RamseyArchive, check_witness};
use wgzero::ramsey::circulant::Circulant;
use wgzero::ramsey::counting::{count_in_colour, energy};
use wgzero::ramsey::rng::Pcg32;
use wgzero::ramsey::search::{Method, Search};
use wgzero::ramsey::{Colouring, Problem, verify_witness};

/// The Paley graph of prime order p ≡ 1 (mod 4): i ~ j when i − j is a nonzero square.
fn paley(p: u32) -> Colouring {
    let squares: Vec<u32> = (1..p).map(|x| x * x % p).collect();
    let mut adjacency = vec![0u64; p as usize];
    for i in 0..p {
        for j in 0..p {
            if i != j && squares.contains(&((j + p - i) % p)) {
                adjacency[i as usize] |= 1 << j;
            }
        }
    }
    Colouring::from_adjacency(p, adjacency).unwrap()
}

#[test]
fn the_paley_graph_of_order_17_is_an_r44_witness() {
    let colouring = paley(17);
    let problem = Problem::new(17, 4, 4).unwrap();
    check_witness(17, 4, 4, colouring.adjacency()).unwrap();
    verify_witness(&problem, &colouring).unwrap();
    assert_eq!(energy(&colouring, &problem), 0);
    // The residues ±1, ±2, ±4, ±8 as a circulant are the same graph.
    assert_eq!(
        Circulant::from_distances(17, &[1, 2, 4, 8]).colouring(),
        colouring
    );
    // It has triangles in both colours: it is no R(3,4) or R(4,3) witness.
    assert!(check_witness(17, 3, 4, colouring.adjacency()).is_err());
    assert!(count_in_colour(&colouring, &Problem::new(17, 3, 3).unwrap(), 1) > 0);
    // K_18 has no witness: adding any vertex to the Paley graph fails.
    let mut rng = Pcg32::new(1, 0);
    for _ in 0..20 {
        let mut adjacency = colouring.adjacency().to_vec();
        adjacency.push(0);
        for v in 0..17 {
            if rng.next_u32() >> 31 == 1 {
                adjacency[v] |= 1 << 17;
                adjacency[17] |= 1 << v;
            }
        }
        assert!(check_witness(18, 4, 4, &adjacency).is_err());
    }
}

#[test]
fn the_circulant_1_2_4_8_9_of_order_24_is_an_r45_witness_with_colour_0_avoiding_k4() {
    // Colour 0 = the distances {1, 2, 4, 8, 9}: it holds triangles but no K_4, and colour 1
    // (distances 3, 5, 6, 7, 10, 11, 12) holds K_4s but no K_5. So it is an R(4,5) witness
    // with s = 4 in colour 0 and t = 5 in colour 1; the other orientation fails.
    let colouring = Circulant::from_distances(24, &[1, 2, 4, 8, 9]).colouring();
    check_witness(24, 4, 5, colouring.adjacency()).unwrap();
    let reversed = check_witness(24, 5, 4, colouring.adjacency()).unwrap_err();
    assert!(reversed.contains("colour 1 holds a K_4"), "{reversed}");
    let problem = Problem::new(24, 4, 5).unwrap();
    assert_eq!(energy(&colouring, &problem), 0);
    assert!(energy(&colouring, &Problem::new(24, 5, 4).unwrap()) > 0);
    assert!(count_in_colour(&colouring, &Problem::new(24, 3, 4).unwrap(), 0) > 0);
    assert!(count_in_colour(&colouring, &Problem::new(24, 5, 4).unwrap(), 1) > 0);
}

#[test]
fn any_colouring_with_a_monochromatic_k5_is_rejected_for_r55() {
    // The Paley graph of order 37 has no K_5 in either colour: an R(5,5) witness.
    let witness = paley(37);
    let problem = Problem::new(37, 5, 5).unwrap();
    check_witness(37, 5, 5, witness.adjacency()).unwrap();
    assert_eq!(energy(&witness, &problem), 0);
    let dir = std::env::temp_dir().join(format!("wgzero-ramsey-k5-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    let mut rng = Pcg32::new(5, 0);
    for trial in 0..40 {
        // Plant a K_5 of one colour on 5 random vertices of the witness (or of a random
        // colouring of K_n).
        let (n, mut colouring) = if trial % 2 == 0 {
            (37, witness.clone())
        } else {
            let n = 5 + rng.below(30);
            (n, Colouring::random(n, rng.next_u32(), &mut rng))
        };
        let colour = rng.below(2);
        let mut members = Vec::new();
        while members.len() < 5 {
            let v = rng.below(n);
            if !members.contains(&v) {
                members.push(v);
            }
        }
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                if colouring.colour(a, b) != colour {
                    colouring.flip(a, b);
                }
            }
        }
        let problem = Problem::new(n, 5, 5).unwrap();
        let reason = check_witness(n, 5, 5, colouring.adjacency()).unwrap_err();
        assert!(reason.contains("K_5"), "{reason}");
        assert!(verify_witness(&problem, &colouring).is_err());
        assert!(count_in_colour(&colouring, &problem, colour) > 0);
        assert!(matches!(
            archive.record_colourings(n, (5, 5), &[colouring.adjacency().to_vec()], "test"),
            Err(ArchiveError::WitnessRejected { .. })
        ));
    }
    assert!(archive.counts().is_empty(), "nothing rejected was archived");
    let outcome = archive
        .record_colourings(37, (5, 5), &[witness.adjacency().to_vec()], "test")
        .unwrap();
    assert!(outcome[0].new_up_to_isomorphism);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_method_finds_witnesses_the_independent_check_accepts() {
    for (n, s, t) in [(17, 4, 4), (13, 3, 5), (8, 4, 3)] {
        let problem = Problem::new(n, s, t).unwrap();
        for method in [Method::Anneal, Method::Tabu] {
            let mut search =
                Search::new(problem, method.default_settings(&problem), 2, 2, Vec::new());
            let mut found = Vec::new();
            for _ in 0..200 {
                found.extend(search.advance(2000).unwrap());
                if !found.is_empty() {
                    break;
                }
            }
            assert!(
                !found.is_empty(),
                "{method} found no witness for {}",
                problem.describe()
            );
            for witness in &found {
                check_witness(n, s, t, witness.colouring.adjacency()).unwrap();
            }
        }
    }
}
