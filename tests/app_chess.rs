//! The app's chess board, driven through egui_kittest on the CPU backend: a click on a
//! piece marks exactly the rules' legal targets, a click on one plays that move (the FEN
//! after it is the rules'), other clicks do nothing, promotion takes the piece chosen, a bad
//! FEN is a message, the agent (a tiny chess checkpoint) answers with a legal move and its
//! policy is drawn, the bundled chess network loads with one click, the Search tab searches
//! a chess position with moves named in SAN, and the Games tab replays a recorded chess game.
//! Our Rust rules are the reference here: they are perft-exact and checked against
//! python-chess in `tests/chess_rules.rs`.

#![cfg(feature = "app")]

mod chess_checkpoint;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use eframe::egui::accesskit::{Role, Toggled};
use egui_kittest::Harness;
use egui_kittest::kittest::{By, NodeT, Queryable};
use web_time::Instant;
use wgzero::app::play::GameChoice;
use wgzero::app::{AppOptions, Tab, WgzeroApp};
use wgzero::backend::BackendChoice;
use wgzero::games::GameState;
use wgzero::games::chess::bitboard::square_name;
use wgzero::games::chess::notation::{parse_uci, uci};
use wgzero::games::chess::{ChessGame, Square};

fn harness(tab: Tab) -> Harness<'static, WgzeroApp> {
    let options = AppOptions {
        backend: BackendChoice::Cpu,
        tab,
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| WgzeroApp::new(cc, options));
    harness.run_steps(2);
    click(&mut harness, "chess");
    harness
}

/// Scrolls the widget labelled `label` into view and clicks it.
fn click(harness: &mut Harness<'static, WgzeroApp>, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.run_steps(4);
    harness.get_by_label(label).click();
    harness.run_steps(2);
}

/// Focuses the text field labelled `label` and types `text` into it.
fn type_into(harness: &mut Harness<'static, WgzeroApp>, label: &str, text: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.run_steps(4);
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(2);
}

/// Steps frames until `done` holds, failing after `limit`.
fn step_until(
    harness: &mut Harness<'static, WgzeroApp>,
    limit: Duration,
    what: &str,
    done: impl Fn(&WgzeroApp) -> bool,
) {
    let start = Instant::now();
    while !done(harness.state()) {
        harness.step();
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(2);
}

/// The squares the board marks as legal targets (toggled on), by name.
fn marked_squares(harness: &Harness<'static, WgzeroApp>) -> BTreeSet<String> {
    harness
        .query_all(By::new().role(Role::Button).predicate(|node| {
            node.toggled() == Some(Toggled::True)
                && node.label().is_some_and(|l| l.starts_with("square "))
        }))
        .map(|node| node.accesskit_node().label().unwrap()["square ".len()..].to_owned())
        .collect()
}

/// The rules' legal targets of the piece on `from`.
fn rules_targets(game: &ChessGame, from: &str) -> BTreeSet<String> {
    let from: Square = wgzero::games::chess::bitboard::parse_square(from).unwrap();
    game.legal_moves()
        .iter()
        .filter(|m| m.from == from)
        .map(|m| square_name(m.to))
        .collect()
}

fn play_game(harness: &Harness<'static, WgzeroApp>) -> ChessGame {
    harness.state().play().chess.game().clone()
}

#[test]
fn clicks_play_legal_moves_mark_the_rules_targets_and_ignore_the_rest() {
    let mut harness = harness(Tab::Play);
    assert_eq!(harness.state().play().game_choice, GameChoice::Chess);
    let mut reference = ChessGame::default();
    // Nothing is marked until a piece is picked; then exactly its legal targets.
    assert!(marked_squares(&harness).is_empty());
    click(&mut harness, "square e2");
    assert_eq!(marked_squares(&harness), rules_targets(&reference, "e2"));
    click(&mut harness, "square e4");
    reference
        .play(parse_uci(reference.position(), "e2e4").unwrap())
        .unwrap();
    assert_eq!(
        play_game(&harness).position().to_fen(),
        reference.position().to_fen()
    );
    assert!(marked_squares(&harness).is_empty());
    // Black to move: a white piece is not picked, an illegal target plays nothing.
    click(&mut harness, "square d2");
    assert!(marked_squares(&harness).is_empty());
    click(&mut harness, "square e7");
    assert_eq!(marked_squares(&harness), rules_targets(&reference, "e7"));
    click(&mut harness, "square e4");
    click(&mut harness, "square d5");
    assert_eq!(harness.state().play().chess.moves.len(), 1);
    // A knight's targets, then its move.
    click(&mut harness, "square g8");
    let knight = rules_targets(&reference, "g8");
    assert_eq!(knight.len(), 2);
    assert_eq!(marked_squares(&harness), knight);
    click(&mut harness, "square f6");
    reference
        .play(parse_uci(reference.position(), "g8f6").unwrap())
        .unwrap();
    assert_eq!(
        play_game(&harness).position().to_fen(),
        reference.position().to_fen()
    );
    // Take back one move (two players: one move).
    click(&mut harness, "Take back");
    assert_eq!(harness.state().play().chess.moves.len(), 1);
}

#[test]
fn a_fen_sets_the_position_promotion_takes_the_chosen_piece_and_a_bad_fen_is_a_message() {
    let mut harness = harness(Tab::Play);
    let fen = "8/4P3/8/8/8/8/k7/4K3 w - - 0 1";
    type_into(&mut harness, "FEN", fen);
    click(&mut harness, "Set FEN");
    assert_eq!(play_game(&harness).position().to_fen(), fen);
    click(&mut harness, "knight");
    click(&mut harness, "square e7");
    click(&mut harness, "square e8");
    let game = play_game(&harness);
    assert_eq!(uci(*game.moves().last().unwrap()), "e7e8n");
    let mut reference = ChessGame::from_fen(fen).unwrap();
    reference
        .play(parse_uci(reference.position(), "e7e8n").unwrap())
        .unwrap();
    assert_eq!(game.position().to_fen(), reference.position().to_fen());
    // A bad FEN changes nothing and says what is wrong.
    harness.state_mut().play_mut().chess.fen = "8/8/8 w - - 0 1".to_owned();
    harness.run_steps(1);
    click(&mut harness, "Set FEN");
    let error = harness
        .state()
        .play()
        .chess
        .error
        .clone()
        .expect("an error");
    assert!(error.starts_with("the FEN: invalid FEN"), "{error}");
    assert_eq!(
        play_game(&harness).position().to_fen(),
        reference.position().to_fen()
    );
    click(&mut harness, "Start position");
    assert_eq!(
        play_game(&harness).position().to_fen(),
        ChessGame::default().position().to_fen()
    );
}

fn load_tiny_checkpoint(harness: &mut Harness<'static, WgzeroApp>, checkpoint: &Path) {
    click(harness, "chess checkpoint");
    type_into(
        harness,
        "Chess checkpoint (run directory or file)",
        checkpoint.to_str().unwrap(),
    );
    click(harness, "Load chess network");
    let chess = &harness.state().play().chess;
    assert!(chess.error.is_none(), "{:?}", chess.error);
    assert!(chess.network().is_some());
}

#[test]
fn the_agent_answers_with_a_legal_move_and_its_policy_is_drawn() {
    let checkpoint = chess_checkpoint::tiny_chess_checkpoint();
    let mut harness = harness(Tab::Play);
    load_tiny_checkpoint(&mut harness, checkpoint);
    harness.state_mut().play_mut().chess.simulations = 8;
    click(&mut harness, "square e2");
    click(&mut harness, "square e4");
    step_until(
        &mut harness,
        Duration::from_secs(120),
        "the agent's move",
        |app| app.play().chess.moves.len() == 2 && !app.play().chess.is_thinking(),
    );
    let mut reference = ChessGame::default();
    reference
        .play(parse_uci(reference.position(), "e2e4").unwrap())
        .unwrap();
    let answer = harness.state().play().chess.moves[1];
    assert!(
        reference.legal_actions().contains(&answer),
        "the agent played action {answer}"
    );
    reference.apply(answer).unwrap();
    assert_eq!(
        play_game(&harness).position().to_fen(),
        reference.position().to_fen()
    );
    // The policy shown is the network's prior over the legal moves of the position.
    step_until(&mut harness, Duration::from_secs(60), "the policy", |app| {
        app.play()
            .chess
            .analysis
            .as_ref()
            .is_some_and(|a| a.moves_played == 2)
    });
    let analysis = harness.state().play().chess.analysis.clone().unwrap();
    let legal = reference.legal_actions();
    let total: f32 = legal.iter().map(|&a| analysis.policy[a]).sum();
    assert!((total - 1.0).abs() < 1e-3, "{total}");
    harness.get(
        By::new()
            .label_contains("arrows: the agent's prior")
            .role(Role::Label),
    );
    if wgzero::testing::test_gpu().is_some() {
        save_screenshot(&mut harness, "play-chess.png");
    }
}

#[test]
fn the_bundled_network_loads_with_one_click_and_its_prior_is_a_trained_one() {
    let mut harness = harness(Tab::Play);
    click(&mut harness, "bundled");
    let chess = &harness.state().play().chess;
    assert!(chess.error.is_none(), "{:?}", chess.error);
    let description = chess.network().unwrap().description.clone();
    assert!(
        description.contains("bundled:chess (iteration 1638"),
        "{description}"
    );
    step_until(
        &mut harness,
        Duration::from_secs(120),
        "the policy",
        |app| {
            app.play()
                .chess
                .analysis
                .as_ref()
                .is_some_and(|a| a.moves_played == 0)
        },
    );
    // The prior over the start position's 20 moves sums to one and is not the uniform
    // net's 1/20 each: the trained network was loaded, not a stand-in.
    let analysis = harness.state().play().chess.analysis.clone().unwrap();
    let legal = ChessGame::default().legal_actions();
    assert_eq!(legal.len(), 20);
    let total: f32 = legal.iter().map(|&a| analysis.policy[a]).sum();
    assert!((total - 1.0).abs() < 1e-3, "{total}");
    let largest = legal
        .iter()
        .map(|&a| analysis.policy[a])
        .fold(0.0f32, f32::max);
    let smallest = legal
        .iter()
        .map(|&a| analysis.policy[a])
        .fold(1.0f32, f32::min);
    // (The uniform net gives 0.05 each.)
    assert!(
        largest > 2.0 * smallest,
        "a near-uniform prior: shares from {smallest} to {largest}"
    );
}

/// Renders the frame to `name` in the test binary's temporary folder.
fn save_screenshot(harness: &mut Harness<'static, WgzeroApp>, name: &str) {
    harness.run_steps(3);
    let mut image = harness
        .render()
        .expect("rendering on the wgpu test renderer");
    let panel = eframe::egui::Visuals::dark().panel_fill;
    for pixel in image.pixels_mut() {
        let alpha = pixel.0[3] as u32;
        for (channel, background) in [panel.r(), panel.g(), panel.b()].into_iter().enumerate() {
            let value = pixel.0[channel] as u32 + background as u32 * (255 - alpha) / 255;
            pixel.0[channel] = value.min(255) as u8;
        }
        pixel.0[3] = 255;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-tabs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::fs::File::create(dir.join(name)).unwrap();
    let mut encoder = png::Encoder::new(file, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(image.as_raw())
        .unwrap();
}

#[test]
fn the_search_tab_searches_a_chess_position_and_names_moves_in_san() {
    let mut harness = harness(Tab::Search);
    step_until(
        &mut harness,
        Duration::from_secs(60),
        "the network",
        |app| app.search().chess.network().is_some(),
    );
    click(&mut harness, "square g1");
    click(&mut harness, "square f3");
    assert_eq!(harness.state().search().chess.position.len(), 1);
    harness.state_mut().search_mut().settings.simulations = 40;
    click(&mut harness, "Run search");
    step_until(
        &mut harness,
        Duration::from_secs(120),
        "the search",
        |app| app.search().chess.tree_file().is_some() && !app.search().chess.is_searching(),
    );
    let file = harness.state().search().chess.tree_file().unwrap().clone();
    assert_eq!(file.simulations_done, 40);
    // The root's children are black's 20 replies, each shown by its SAN.
    let mut root = ChessGame::default();
    root.play(parse_uci(root.position(), "g1f3").unwrap())
        .unwrap();
    let edges = &file.tree.edges[file.tree.edges_of(file.tree.root)];
    assert_eq!(edges.len(), 20);
    let visited = edges
        .iter()
        .max_by_key(|e| e.visits)
        .expect("a visited child");
    let san = wgzero::app::chess_board::move_name(&root, visited.action as usize);
    assert!(
        harness.query_all(By::new().label(&san)).next().is_some(),
        "no widget named {san}"
    );
    harness.get(
        By::new()
            .label_contains("principal variation: ")
            .role(Role::Label),
    );
    // The tree saves and reopens identical, moves named the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chess-tree.json");
    harness.state_mut().search_mut().tree_path = path.display().to_string();
    harness.run_steps(1);
    click(&mut harness, "Save tree");
    assert!(path.is_file(), "{:?}", harness.state().search().chess.error);
    harness.state_mut().search_mut().open_tree(&path);
    harness.run_steps(2);
    assert_eq!(harness.state().search().chess.tree_file(), Some(&file));
    assert!(
        harness.query_all(By::new().label(&san)).next().is_some(),
        "no widget named {san} after reopening"
    );
}

#[test]
fn the_games_tab_replays_a_recorded_chess_game_with_moves_in_san() {
    let checkpoint = chess_checkpoint::tiny_chess_checkpoint();
    let options = AppOptions {
        backend: BackendChoice::Cpu,
        tab: Tab::Games,
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| WgzeroApp::new(cc, options));
    harness.state_mut().games_mut().path = checkpoint.display().to_string();
    harness.run_steps(2);
    let record = harness
        .state()
        .games()
        .records
        .first()
        .expect("the run recorded its games")
        .clone();
    harness.state_mut().games_mut().select(0);
    harness.run_steps(2);
    let first = record.moves[0].action as usize;
    let san = wgzero::app::chess_board::move_name(&ChessGame::default(), first);
    harness.get(
        By::new()
            .label_contains(&format!("move 1 of {}: {san} played", record.moves.len()))
            .role(Role::Label),
    );
    // The final position is the rules' replay of every recorded move.
    harness.state_mut().games_mut().move_index = record.moves.len();
    harness.run_steps(2);
    harness.get(
        By::new()
            .label_contains(&format!(
                "the final position after {} moves",
                record.moves.len()
            ))
            .role(Role::Label),
    );
}
