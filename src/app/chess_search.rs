//! Chess in the Search tab: set up a position (click moves on the board, or type a FEN),
//! search it with a chess checkpoint or the uniform net, and watch the tree: moves named
//! in SAN, the selected node's board with its children's visit shares as arrows. Trees
//! from the standard start save to and open from tree files, as the clique game's do.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use eframe::egui;

use super::board::{BoardView, Overlay};
use super::chess_board::{ChessBoard, move_name, status_line};
use super::network::{ChessNetwork, ChessNetworkChoice, ChessNetworkPicker};
use super::search::{SearchRequest, SearchSettings};
use super::tree_view::{TreeSource, TreeView};
use crate::backend::Compute;
use crate::games::chess::{ChessGame, Position, STARTING_FEN};
use crate::games::{ChessConfig, GameSpec, GameState};
use crate::search::interactive::InteractiveSearch;
use crate::search::tree_dump::TreeDump;
use crate::search::tree_file::TreeFile;

/// Search work per frame: the rest draws the UI.
const FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

/// The positions of a tree's nodes, replayed from its root once each and kept while the
/// tree keeps its nodes (a live search only adds nodes; a new search or file starts over).
struct NodePositions {
    root: ChessGame,
    /// Per node, the edge that leads to it, and per edge the node it leaves (for the
    /// latest tree; refreshed when it grows).
    parents: Vec<Option<u32>>,
    owners: Vec<Option<u32>>,
    games: HashMap<u32, ChessGame>,
    names: HashMap<(u32, u32), String>,
}

impl NodePositions {
    fn new(root: ChessGame) -> Self {
        Self {
            root,
            parents: Vec::new(),
            owners: Vec::new(),
            games: HashMap::new(),
            names: HashMap::new(),
        }
    }

    fn refresh(&mut self, tree: &TreeDump) {
        if self.parents.len() != tree.nodes.len() || self.owners.len() != tree.edges.len() {
            self.parents = tree.parent_edges();
            self.owners = tree.edge_owners();
        }
    }

    /// `node`'s position (`None` if no path from the root leads there).
    fn game(&mut self, tree: &TreeDump, node: u32) -> Option<ChessGame> {
        if node == tree.root {
            return Some(self.root.clone());
        }
        if let Some(game) = self.games.get(&node) {
            return Some(game.clone());
        }
        // Up to the nearest known ancestor, then down, remembering each position.
        let mut path = Vec::new();
        let mut at = node;
        let mut game = loop {
            if at == tree.root {
                break self.root.clone();
            }
            if let Some(game) = self.games.get(&at) {
                break game.clone();
            }
            if path.len() > tree.nodes.len() {
                return None;
            }
            let edge = (*self.parents.get(at as usize)?)?;
            path.push((at, tree.edges[edge as usize].action as usize));
            at = (*self.owners.get(edge as usize)?)?;
        };
        for &(child, action) in path.iter().rev() {
            game.apply(action).ok()?;
            self.games.insert(child, game.clone());
        }
        Some(game)
    }

    fn name(&mut self, tree: &TreeDump, node: u32, action: u32) -> String {
        if let Some(name) = self.names.get(&(node, action)) {
            return name.clone();
        }
        let name = match self.game(tree, node) {
            Some(game) => move_name(&game, action as usize),
            None => format!("action {action}"),
        };
        self.names.insert((node, action), name.clone());
        name
    }
}

/// The tree shown: a live search's snapshot or a file opened.
struct Shown {
    file: TreeFile,
    generation: u64,
}

pub struct ChessSearch {
    pub picker: ChessNetworkPicker,
    network: Option<ChessNetwork>,
    loaded_once: bool,
    /// The root position: a start position and the actions played from it.
    start: Position,
    pub position: Vec<usize>,
    /// The FEN typed.
    pub fen: String,
    search: Option<InteractiveSearch<ChessGame>>,
    shown: Option<Shown>,
    generation: u64,
    positions: RefCell<NodePositions>,
    pub tree_view: TreeView,
    setup_board: ChessBoard,
    node_board: ChessBoard,
    pub error: Option<String>,
    pub message: Option<String>,
}

impl Default for ChessSearch {
    fn default() -> Self {
        Self {
            picker: ChessNetworkPicker::with(Some(ChessNetworkChoice::Uniform)),
            network: None,
            loaded_once: false,
            start: Position::starting(),
            position: Vec::new(),
            fen: String::new(),
            search: None,
            shown: None,
            generation: 0,
            positions: RefCell::new(NodePositions::new(ChessGame::default())),
            tree_view: TreeView::default(),
            setup_board: ChessBoard::default(),
            node_board: ChessBoard::default(),
            error: None,
            message: None,
        }
    }
}

impl ChessSearch {
    pub fn network(&self) -> Option<&ChessNetwork> {
        self.network.as_ref()
    }

    /// The tree shown, if any.
    pub fn tree_file(&self) -> Option<&TreeFile> {
        self.shown.as_ref().map(|shown| &shown.file)
    }

    /// Whether the live search has work requested and not done.
    pub fn is_searching(&self) -> bool {
        self.search
            .as_ref()
            .is_some_and(|s| s.simulations_done() < s.target() || !s.root_evaluated())
    }

    fn config(&self) -> ChessConfig {
        self.network
            .as_ref()
            .map_or_else(ChessConfig::default, |network| network.game)
    }

    /// The root position: the start and the moves, replayed by the rules.
    pub fn root_game(&self) -> Result<ChessGame, String> {
        let mut game = ChessGame::new(self.start.clone()).with_ply_cap(self.config().ply_cap);
        for &action in &self.position {
            game.apply(action)
                .map_err(|error| format!("the position: {error}"))?;
        }
        Ok(game)
    }

    /// Loads the picker's network; the settings follow its run's root policy.
    pub fn load_network(&mut self, compute: &Compute, settings: &mut SearchSettings) {
        self.loaded_once = true;
        let Some(choice) = &self.picker.choice else {
            return;
        };
        match choice.load(compute) {
            Ok(network) => {
                if let Some(policy) = &network.run_policy {
                    settings.follow(policy);
                }
                self.message = Some(format!("network: {}", network.description));
                self.network = Some(network);
                self.error = None;
                self.search = None;
            }
            Err(error) => self.error = Some(error),
        }
    }

    fn set_root(&mut self, start: Position, moves: Vec<usize>) {
        let previous = (
            std::mem::replace(&mut self.start, start),
            self.position.clone(),
        );
        self.position = moves;
        if let Err(error) = self.root_game() {
            (self.start, self.position) = previous;
            self.error = Some(error);
            return;
        }
        self.search = None;
        self.error = None;
    }

    /// The position from the FEN typed; a bad FEN changes nothing and says what is wrong.
    pub fn set_fen(&mut self) {
        match Position::from_fen(self.fen.trim()) {
            Ok(position) => self.set_root(position, Vec::new()),
            Err(error) => self.error = Some(format!("the FEN: {error}")),
        }
    }

    fn new_search(&mut self, settings: &SearchSettings) -> Result<(), String> {
        let game = self.root_game()?;
        if game.outcome().is_some() {
            return Err(format!(
                "the game is over in this position ({}): there is nothing to search",
                status_line(&game)
            ));
        }
        let search = InteractiveSearch::new(game.clone(), settings.config())
            .map_err(|error| error.to_string())?;
        self.search = Some(search);
        self.positions = RefCell::new(NodePositions::new(game));
        self.tree_view.reset();
        self.refresh_shown();
        Ok(())
    }

    /// Carries out a request of the Search section's buttons.
    pub fn request(&mut self, request: SearchRequest, settings: &SearchSettings) {
        self.error = None;
        if matches!(request, SearchRequest::Run | SearchRequest::New) {
            self.search = None;
        }
        if self.search.is_none()
            && let Err(error) = self.new_search(settings)
        {
            self.error = Some(error);
            return;
        }
        if let Some(search) = &mut self.search {
            match request {
                SearchRequest::Run => search.request_all(),
                SearchRequest::New => {}
                SearchRequest::Step(more) => {
                    let granted = search.request(more);
                    if granted < more {
                        self.message = Some(format!(
                            "{granted} of {more} simulations: a Gumbel search plans its root \
                             for its total; search again with more simulations to go further"
                        ));
                    }
                }
            }
        }
    }

    fn refresh_shown(&mut self) {
        let (Some(search), Some(network)) = (&self.search, &self.network) else {
            return;
        };
        self.generation += 1;
        self.shown = Some(Shown {
            file: TreeFile::from_search(
                GameSpec::Chess(network.game),
                self.position.clone(),
                network.source.clone(),
                search,
            ),
            generation: self.generation,
        });
    }

    /// Advances the live search by one frame's budget (never waits).
    pub fn tick(&mut self, compute: &Compute, settings: &mut SearchSettings, ctx: &egui::Context) {
        if !self.loaded_once {
            self.load_network(compute, settings);
        }
        let (Some(search), Some(network)) = (&mut self.search, &mut self.network) else {
            return;
        };
        let before = (search.simulations_done(), search.root_evaluated());
        if search.simulations_done() >= search.target() && search.root_evaluated() {
            return;
        }
        match search.advance(&mut network.evaluator, FRAME_BUDGET) {
            Ok(_) => {
                if (search.simulations_done(), search.root_evaluated()) != before {
                    self.refresh_shown();
                }
                ctx.request_repaint();
            }
            Err(error) => {
                self.error = Some(format!("the search failed: {error}"));
                self.search = None;
            }
        }
    }

    /// Writes the tree shown to `path`. Tree files hold the root as moves from the
    /// standard start, so a tree from another FEN is not saved.
    pub fn save_tree(&mut self, path: &Path) {
        if self.start != Position::starting() {
            self.error = Some(
                "a tree file holds its root as moves from the standard start: this tree's \
                 root comes from a FEN, so it cannot be saved"
                    .into(),
            );
            return;
        }
        match &self.shown {
            Some(shown) => match shown.file.save(path) {
                Ok(()) => self.message = Some(format!("saved {}", path.display())),
                Err(error) => self.error = Some(error.to_string()),
            },
            None => self.error = Some("no tree to save: search first".into()),
        }
    }

    /// Shows a chess tree file (checked when it was loaded).
    pub fn show_file(&mut self, file: TreeFile, path: &Path) {
        let GameSpec::Chess(config) = &file.game else {
            return;
        };
        let mut root = ChessGame::default().with_ply_cap(config.ply_cap);
        for &action in &file.position {
            if let Err(error) = root.apply(action) {
                self.error = Some(format!("{}: its root position: {error}", path.display()));
                return;
            }
        }
        self.search = None;
        self.start = Position::starting();
        self.position = file.position.clone();
        self.generation += 1;
        self.positions = RefCell::new(NodePositions::new(root));
        self.shown = Some(Shown {
            file,
            generation: self.generation,
        });
        self.tree_view.reset();
        self.error = None;
        self.message = Some(format!("opened {}", path.display()));
    }

    /// The Network and Position sections.
    pub fn setup_ui(
        &mut self,
        ui: &mut egui::Ui,
        compute: &Compute,
        settings: &mut SearchSettings,
    ) {
        ui.heading("Network");
        if self.picker.picker_ui(ui, None) {
            self.load_network(compute, settings);
        }
        if let Some(network) = &self.network {
            ui.label(&network.description);
        }
        ui.separator();
        ui.heading("Position");
        if let Ok(game) = self.root_game() {
            let size = ui.available_width().min(300.0);
            let overlay = Overlay::default();
            if let Some(action) = self.setup_board.board_ui(ui, &game, &overlay, true, size) {
                let mut moves = self.position.clone();
                moves.push(action);
                self.set_root(self.start.clone(), moves);
            }
            ui.label(status_line(&game));
            self.setup_board.promotion_ui(ui);
            ui.add(
                egui::Label::new(egui::RichText::new(game.position().to_fen()).monospace()).wrap(),
            );
        }
        let label = ui.label("FEN");
        ui.add(
            egui::TextEdit::singleline(&mut self.fen)
                .hint_text(STARTING_FEN)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            if ui.button("Set FEN").clicked() {
                self.set_fen();
            }
            if ui.button("Start position").clicked() {
                self.fen = STARTING_FEN.to_owned();
                self.set_root(Position::starting(), Vec::new());
            }
            if ui.button("Undo move").clicked() && !self.position.is_empty() {
                let mut moves = self.position.clone();
                moves.pop();
                self.set_root(self.start.clone(), moves);
            }
            ui.checkbox(&mut self.setup_board.flipped, "Flip");
        });
    }

    /// The live search's progress line.
    pub fn progress_ui(&self, ui: &mut egui::Ui) {
        if let Some(search) = &self.search {
            ui.label(format!(
                "{} of {} simulations{}",
                search.simulations_done(),
                search.target().max(search.simulations_done()),
                if self.is_searching() { " …" } else { "" }
            ));
        }
    }

    /// The selected node: its board with its children's visit shares as arrows, and its
    /// children in SAN with N, share, P, Q.
    pub fn node_ui(&mut self, ui: &mut egui::Ui) {
        let Some(shown) = &self.shown else {
            ui.label("No tree yet: set up a position and press Run search, or open a tree file.");
            return;
        };
        let tree = &shown.file.tree;
        let node = self.tree_view.selected;
        ui.heading(format!("Node {node}"));
        let mut positions = self.positions.borrow_mut();
        positions.refresh(tree);
        let Some(game) = positions.game(tree, node) else {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("node {node}: no path from the root leads to it"),
            );
            return;
        };
        let Some(selection) = shown.file.selection(node) else {
            return;
        };
        let total: u32 = selection.children.iter().map(|c| c.visits).sum();
        let mut heat = vec![0.0; game.num_actions()];
        for child in &selection.children {
            if let Some(slot) = heat.get_mut(child.action as usize) {
                *slot = if total > 0 {
                    child.visits as f32 / total as f32
                } else {
                    child.prior
                };
            }
        }
        let overlay = Overlay {
            heat: Some(heat),
            ..Overlay::default()
        };
        let size = ui.available_width().min(340.0);
        self.node_board.board_ui(ui, &game, &overlay, false, size);
        ui.checkbox(&mut self.node_board.flipped, "Flip");
        let data = &tree.nodes[node as usize];
        ui.label(format!(
            "{}; N {}, network value {:+.3} for the player to move{}",
            status_line(&game),
            data.visits,
            data.raw_value,
            data.terminal_value
                .map_or(String::new(), |v| format!("; game over, value {v:+.0}"))
        ));
        ui.label(if total > 0 {
            "arrows: the children's visit shares"
        } else {
            "arrows: the network's prior (no child visited yet)"
        });
        let line = TreeView::principal_variation(tree, node);
        let mut walk = game.clone();
        let mut names = Vec::new();
        for &action in &line {
            names.push(move_name(&walk, action as usize));
            if walk.apply(action as usize).is_err() {
                break;
            }
        }
        ui.label(if names.is_empty() {
            "principal variation: none (no visited child)".to_owned()
        } else {
            format!("principal variation: {}", names.join(" "))
        });
        let mut order: Vec<usize> = (0..selection.children.len()).collect();
        order.sort_by_key(|&i| {
            (
                std::cmp::Reverse(selection.children[i].visits),
                std::cmp::Reverse((selection.children[i].prior * 1e6) as u32),
                i,
            )
        });
        egui::Grid::new("chess node children")
            .num_columns(5)
            .show(ui, |ui| {
                for header in ["move", "N", "share", "P", "Q"] {
                    ui.strong(header);
                }
                ui.end_row();
                for i in order {
                    let child = &selection.children[i];
                    let share = if total > 0 {
                        child.visits as f32 / total as f32
                    } else {
                        0.0
                    };
                    ui.label(move_name(&game, child.action as usize));
                    ui.monospace(child.visits.to_string());
                    ui.monospace(format!("{share:.3}"));
                    ui.monospace(format!("{:.3}", child.prior));
                    ui.monospace(child.q.map_or("–".to_owned(), |q| format!("{q:+.3}")));
                    ui.end_row();
                }
            });
    }

    pub fn tree_ui(&mut self, ui: &mut egui::Ui, expand_count: &mut u32) {
        let Some(shown) = &self.shown else {
            ui.label("The tree appears here.");
            return;
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} nodes, {} simulations",
                shown.file.tree.nodes.len(),
                shown.file.simulations_done
            ));
            if ui.button("Expand the most visited").clicked() {
                self.tree_view
                    .expand_most_visited(&shown.file.tree, *expand_count as usize);
            }
            let label = ui.label("nodes:");
            ui.add(egui::DragValue::new(expand_count).range(1..=100_000))
                .labelled_by(label.id);
            if ui.button("Collapse all").clicked() {
                self.tree_view.collapse_all(&shown.file.tree);
            }
            if ui.button("Whole tree").clicked() {
                self.tree_view.show_whole_tree();
            }
            ui.label("drag to pan, scroll to zoom; + / − expands; click a node for its position");
        });
        let tree = &shown.file.tree;
        self.positions.borrow_mut().refresh(tree);
        let positions = &self.positions;
        let name = |node: u32, action: u32| positions.borrow_mut().name(tree, node, action);
        let source = TreeSource {
            tree,
            policy: &shown.file.policy,
            simulations: shown.file.simulations,
            move_name: &name,
            generation: shown.generation,
        };
        self.tree_view.tree_ui(ui, &source);
    }
}
