//! The Ramsey counterexample archive: drawn avoid games are checked, appended durably,
//! counted (labelled and up to isomorphism, against brute-force isomorphism), reopened,
//! and a torn or forged line is handled as documented.

use std::path::PathBuf;

use wgzero::games::GameState;
use wgzero::games::clique::archive::{
    ARCHIVE_FILE, ArchiveError, RamseyArchive, verify, witness_classes,
};
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status, graph6};

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wgzero-archive-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Random avoid games until `draws` have ended drawn.
fn drawn_games(config: CliqueConfig, draws: usize, seed: u64) -> Vec<CliqueState> {
    let mut random = seed;
    let mut found = Vec::new();
    while found.len() < draws {
        let mut state = CliqueState::new(config);
        while !state.is_over() {
            let legal = state.legal_actions();
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
                .apply(legal[(random >> 33) as usize % legal.len()])
                .unwrap();
        }
        if state.status() == Status::Draw {
            found.push(state);
        }
    }
    found
}

/// Brute-force isomorphism: some permutation of 0..n maps one graph onto the other.
fn isomorphic(n: usize, a: &[u64], b: &[u64]) -> bool {
    fn extend(n: usize, a: &[u64], b: &[u64], map: &mut Vec<usize>, used: u64) -> bool {
        let v = map.len();
        if v == n {
            return true;
        }
        for image in 0..n {
            if used >> image & 1 == 1 || a[v].count_ones() != b[image].count_ones() {
                continue;
            }
            let consistent = (0..v).all(|w| (a[v] >> w & 1) == (b[image] >> map[w] & 1));
            if consistent {
                map.push(image);
                if extend(n, a, b, map, used | 1 << image) {
                    return true;
                }
                map.pop();
            }
        }
        false
    }
    extend(n, a, b, &mut Vec::new(), 0)
}

#[test]
fn pentagon_colourings_of_k5_are_recorded_counted_and_reopened() {
    let dir = fresh_dir("k5");
    let config = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
    let games = drawn_games(config, 60, 5);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    let mut labelled = std::collections::HashSet::new();
    for game in &games {
        let outcome = archive.record(game, "test").unwrap();
        assert_eq!(
            outcome.new_labelled,
            labelled.insert(graph6::encode(5, game.adjacency(0)))
        );
    }
    // Colour 0 of a triangle-free 2-colouring of K_5 is a 5-cycle: 12 labelled, 1 class.
    let counts = archive.counts();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].records, 60);
    assert_eq!(counts[0].distinct_labelled, labelled.len() as u64);
    assert!(labelled.len() <= 12);
    assert_eq!(counts[0].distinct_up_to_isomorphism, 1);
    drop(archive);
    let reopened = RamseyArchive::open(&dir).unwrap();
    assert_eq!(reopened.counts(), counts);
    let report = verify(&dir).unwrap();
    assert_eq!(report.records, 60);
    assert_eq!(report.boards, counts);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn isomorphism_classes_of_k8_counterexamples_match_brute_force() {
    let dir = fresh_dir("k8");
    let config = CliqueConfig::new(8, 4, Mode::Avoid).unwrap();
    let games = drawn_games(config, 40, 8);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    let mut classes: Vec<Vec<u64>> = Vec::new();
    for game in &games {
        let outcome = archive.record(game, "test").unwrap();
        let graph = game.adjacency(0).to_vec();
        let new_class = !classes.iter().any(|c| isomorphic(8, c, &graph));
        if new_class {
            classes.push(graph);
        }
        assert_eq!(outcome.new_up_to_isomorphism, new_class);
    }
    assert_eq!(
        archive.counts()[0].distinct_up_to_isomorphism,
        classes.len() as u64
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_drawn_avoid_games_are_accepted() {
    let dir = fresh_dir("reject");
    let mut archive = RamseyArchive::open(&dir).unwrap();
    let symmetric = CliqueConfig::new(5, 3, Mode::Symmetric).unwrap();
    let lost = CliqueState::from_actions(
        CliqueConfig::new(5, 3, Mode::Avoid).unwrap(),
        &[0, 9, 1, 8, 4],
    )
    .unwrap();
    assert!(matches!(
        archive.record(&CliqueState::new(symmetric), "t"),
        Err(ArchiveError::NotAvoid(_))
    ));
    assert!(matches!(
        archive.record(&lost, "t"),
        Err(ArchiveError::NotDrawn(Status::Won(1)))
    ));
    assert!(archive.counts().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_last_line_is_skipped_then_cut_and_a_forged_line_is_an_error() {
    let dir = fresh_dir("torn");
    let config = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
    let games = drawn_games(config, 3, 9);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    for game in &games {
        archive.record(game, "test").unwrap();
    }
    drop(archive);
    let file = dir.join(ARCHIVE_FILE);
    let whole = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{whole}{{\"n\":5,\"k\":3,\"gra")).unwrap();
    let report = verify(&file).unwrap();
    assert!(report.torn_last_line);
    assert_eq!(report.records, 3);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        whole,
        "the torn tail is cut"
    );
    archive.record(&games[0], "again").unwrap();
    assert_eq!(archive.counts()[0].records, 4);
    drop(archive);
    // A forged line: the empty graph on 5 vertices is no counterexample (colour 1 = K_5).
    let forged = "{\"n\":5,\"k\":3,\"graph6\":\"D??\",\"canonical_graph6\":\"D??\",\"source\":\"x\",\"time_unix_ms\":0}\n";
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(forged);
    std::fs::write(&file, text).unwrap();
    match verify(&dir) {
        Err(ArchiveError::Corrupt {
            line: 5, message, ..
        }) => assert!(message.contains("K_3"), "{message}"),
        other => panic!("expected a corrupt line 5, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_batch_records_what_single_records_do_and_a_bad_state_writes_none_of_it() {
    let config = CliqueConfig::new(8, 4, Mode::Avoid).unwrap();
    let games = drawn_games(config, 30, 11);
    let one_by_one_dir = fresh_dir("single");
    let mut one_by_one = RamseyArchive::open(&one_by_one_dir).unwrap();
    let singles: Vec<_> = games
        .iter()
        .map(|game| one_by_one.record(game, "test").unwrap())
        .collect();

    let batch_dir = fresh_dir("batch");
    let mut batch = RamseyArchive::open(&batch_dir).unwrap();
    // A lost game in the batch: an error, and nothing of the batch is written or counted.
    let lost = CliqueState::from_actions(
        CliqueConfig::new(5, 3, Mode::Avoid).unwrap(),
        &[0, 9, 1, 8, 4],
    )
    .unwrap();
    let mut with_lost = games.clone();
    with_lost.insert(7, lost);
    assert!(matches!(
        batch.record_all(&with_lost, "test"),
        Err(ArchiveError::NotDrawn(_))
    ));
    assert!(batch.counts().is_empty());
    let outcomes = batch.record_all(&games, "test").unwrap();
    assert_eq!(outcomes, singles);
    assert_eq!(batch.counts(), one_by_one.counts());
    drop(batch);
    let reopened = RamseyArchive::open(&batch_dir).unwrap();
    assert_eq!(reopened.counts(), one_by_one.counts());
    let lines = std::fs::read_to_string(batch_dir.join(ARCHIVE_FILE)).unwrap();
    assert_eq!(lines.lines().count(), games.len());
    let _ = std::fs::remove_dir_all(&one_by_one_dir);
    let _ = std::fs::remove_dir_all(&batch_dir);
}

#[test]
fn the_gallery_groups_witnesses_by_brute_force_isomorphism_and_flags_a_forged_one() {
    let dir = fresh_dir("gallery");
    assert_eq!(witness_classes(&dir).unwrap(), (Vec::new(), false));
    let config = CliqueConfig::new(8, 4, Mode::Avoid).unwrap();
    let games = drawn_games(config, 30, 12);
    let mut archive = RamseyArchive::open(&dir).unwrap();
    for game in &games {
        archive.record(game, "test").unwrap();
    }
    drop(archive);
    // The expected classes by brute force: representative, games found, labelled ones.
    let mut expected: Vec<(Vec<u64>, u64, std::collections::HashSet<Vec<u64>>)> = Vec::new();
    for game in &games {
        let graph = game.adjacency(0).to_vec();
        match expected
            .iter_mut()
            .find(|(c, _, _)| isomorphic(8, c, &graph))
        {
            Some((_, found, labelled)) => {
                *found += 1;
                labelled.insert(graph);
            }
            None => expected.push((graph.clone(), 1, [graph].into_iter().collect())),
        }
    }
    let (classes, torn) = witness_classes(&dir).unwrap();
    assert!(!torn);
    assert_eq!(classes.len(), expected.len());
    for (class, (graph, found, labelled)) in classes.iter().zip(&expected) {
        let (n, example) = graph6::decode(&class.example.graph6).unwrap();
        assert_eq!(n, 8);
        assert!(isomorphic(8, &example, graph));
        assert_eq!(class.found, *found);
        assert_eq!(class.distinct_labelled, labelled.len() as u64);
        assert_eq!(class.verified, Ok(()));
    }
    // A forged record (the empty graph: colour 1 is all of K_5) is shown, as failing.
    let forged = "{\"n\":5,\"k\":3,\"graph6\":\"D??\",\"canonical_graph6\":\"D??\",\"source\":\"x\",\"time_unix_ms\":0}\n";
    let file = dir.join(ARCHIVE_FILE);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(forged);
    std::fs::write(&file, text).unwrap();
    let (classes, _) = witness_classes(&dir).unwrap();
    let last = classes.last().unwrap();
    assert_eq!((last.n, last.found), (5, 1));
    assert!(last.verified.as_ref().unwrap_err().contains("K_3"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn old_lines_without_t_read_as_t_equal_k_and_asymmetric_witnesses_count_apart() {
    use wgzero::games::clique::archive::BoardCounts;
    use wgzero::games::clique::canonical::canonical_form;
    let dir = fresh_dir("asymmetric");
    let circulant = |n: u32, distances: &[u32]| -> Vec<u64> {
        (0..n)
            .map(|v| {
                distances.iter().fold(0u64, |row, &d| {
                    row | 1 << ((v + d) % n) | 1 << ((v + n - d) % n)
                })
            })
            .collect()
    };
    // A line as archives wrote it before asymmetric witnesses: no "t".
    let pentagon = circulant(5, &[1]);
    let old_line = format!(
        "{{\"n\":5,\"k\":3,\"graph6\":\"{}\",\"canonical_graph6\":\"{}\",\"source\":\"old\",\"time_unix_ms\":0}}\n",
        graph6::encode(5, &pentagon),
        graph6::encode(5, &canonical_form(5, &pentagon))
    );
    std::fs::create_dir_all(dir.join("ramsey")).unwrap();
    std::fs::write(dir.join(ARCHIVE_FILE), &old_line).unwrap();
    let mut archive = RamseyArchive::open(&dir).unwrap();
    let symmetric = BoardCounts {
        n: 5,
        k: 3,
        t: 3,
        records: 1,
        distinct_labelled: 1,
        distinct_up_to_isomorphism: 1,
    };
    assert_eq!(archive.counts(), std::slice::from_ref(&symmetric));
    // The Wagner graph (Z_8, distances 1 and 4) is triangle-free with no independent set
    // of 4: no K_3 in colour 0, no K_4 in colour 1. Its complement is the (4,3) witness.
    let wagner = circulant(8, &[1, 4]);
    let complement = circulant(8, &[2, 3]);
    archive
        .record_colourings(8, (3, 4), std::slice::from_ref(&wagner), "test")
        .unwrap();
    assert!(matches!(
        archive.record_colourings(8, (4, 3), std::slice::from_ref(&wagner), "test"),
        Err(ArchiveError::WitnessRejected { s: 4, t: 3, .. })
    ));
    let outcome = archive
        .record_colourings(8, (4, 3), &[complement.clone(), complement], "test")
        .unwrap();
    assert!(outcome[0].new_up_to_isomorphism && !outcome[1].new_labelled);
    // The pentagon as an R(3,3) witness again: the old line's board.
    archive
        .record_colourings(5, (3, 3), std::slice::from_ref(&pentagon), "test")
        .unwrap();
    let boards: Vec<(u32, u32, u32, u64, u64)> = archive
        .counts()
        .iter()
        .map(|b| (b.n, b.k, b.t, b.records, b.distinct_up_to_isomorphism))
        .collect();
    assert_eq!(boards, [(5, 3, 3, 2, 1), (8, 3, 4, 1, 1), (8, 4, 3, 2, 1)]);
    drop(archive);
    let text = std::fs::read_to_string(dir.join(ARCHIVE_FILE)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("\"k\":3,\"t\":4,"), "{}", lines[1]);
    assert!(
        !lines[4].contains("\"t\""),
        "symmetric lines keep the old form: {}",
        lines[4]
    );
    let reopened = RamseyArchive::open(&dir).unwrap();
    assert_eq!(
        reopened.counts()[0],
        BoardCounts {
            records: 2,
            ..symmetric
        }
    );
    assert_eq!(verify(&dir).unwrap().boards, reopened.counts());
    let (classes, _) = witness_classes(&dir).unwrap();
    let sizes: Vec<(u32, u32, u32)> = classes.iter().map(|c| (c.n, c.k, c.t)).collect();
    assert_eq!(sizes, [(5, 3, 3), (8, 3, 4), (8, 4, 3)]);
    assert!(classes.iter().all(|c| c.verified.is_ok()));
    let _ = std::fs::remove_dir_all(&dir);
}
