//! The chess board: 8 × 8 squares with the pieces as discs in their side's colour lettered
//! K Q R B N P (egui's default fonts carry no chess glyphs: its emoji fonts, which do,
//! are an optional feature), moved by clicking a piece and then a target square. The picked
//! piece's legal targets are marked, the last move and a king in check are tinted, a
//! policy (per action, [`Overlay::heat`]) is drawn as arrows from square to square for its
//! most likely moves, and the board can be seen from black's side.
//!
//! Every square is a widget while the board takes moves (labelled `square e4`, toggled on
//! while it is a legal target of the picked piece), for keyboards, screen readers and tests.

use eframe::egui::{self, Align2, Color32, FontId, Pos2, Rect, Sense, Stroke};

use super::board::{BoardView, Overlay};
use crate::games::GameState;
use crate::games::chess::bitboard::{file_of, rank_of, square, square_name};
use crate::games::chess::{ChessGame, Color, Move, Outcome, PieceKind, Square, encoding, notation};

/// How many of the policy's moves get an arrow, most likely first.
pub const ARROWS: usize = 5;

const LIGHT: Color32 = Color32::from_rgb(240, 217, 181);
const DARK: Color32 = Color32::from_rgb(181, 136, 99);
const LAST_MOVE: Color32 = Color32::from_rgb(205, 210, 106);
const PICKED: Color32 = Color32::from_rgb(130, 170, 90);
const CHECK: Color32 = Color32::from_rgb(230, 70, 60);
const TARGET: Color32 = Color32::from_rgba_premultiplied(20, 60, 20, 90);
const ARROW: Color32 = Color32::from_rgb(30, 110, 220);
const LINE: Color32 = Color32::from_rgb(220, 120, 20);
const WHITE_PIECE: Color32 = Color32::from_rgb(250, 250, 245);
const BLACK_PIECE: Color32 = Color32::from_rgb(20, 20, 20);

/// The board's view state: orientation, the piece picked up and the promotion choice.
#[derive(Clone, Debug)]
pub struct ChessBoard {
    /// Black's side at the bottom.
    pub flipped: bool,
    /// The picked piece's square, with the key of the position it was picked in (a new
    /// position drops it).
    picked: Option<(u64, Square)>,
    /// What a pawn reaching the last rank becomes.
    pub promotion: PieceKind,
}

impl Default for ChessBoard {
    fn default() -> Self {
        Self {
            flipped: false,
            picked: None,
            promotion: PieceKind::Queen,
        }
    }
}

/// The move's name for people: its SAN in `game`'s position, or its UCI text if it is not
/// on the board there.
pub fn move_name(game: &ChessGame, action: usize) -> String {
    match encoding::move_of(action, game.position()) {
        Some(chess_move) if game.legal_moves().contains(&chess_move) => {
            notation::san(game.position(), chess_move)
        }
        Some(chess_move) => notation::uci(chess_move),
        None => format!("action {action}"),
    }
}

/// One line on how the game stands: whose move, check, or the result and why.
pub fn status_line(game: &ChessGame) -> String {
    let side = |color: Color| match color {
        Color::White => "white",
        Color::Black => "black",
    };
    let mover = game.position().side_to_move();
    match game.outcome() {
        None if game.position().in_check() => format!("{} to move, in check", side(mover)),
        None => format!("{} to move", side(mover)),
        Some(Outcome::Checkmate) => {
            format!("checkmate: {} wins ({})", side(mover.other()), result(game))
        }
        Some(Outcome::Stalemate) => "draw by stalemate (½-½)".to_owned(),
        Some(Outcome::InsufficientMaterial) => "draw by insufficient material (½-½)".to_owned(),
        Some(Outcome::FiftyMoveRule) => "draw by the fifty-move rule (½-½)".to_owned(),
        Some(Outcome::ThreefoldRepetition) => "draw by threefold repetition (½-½)".to_owned(),
        Some(Outcome::PlyCap) => format!(
            "draw: the game reached its cap of {} plies (½-½)",
            game.ply_cap()
        ),
    }
}

/// The PGN result of `game`: `1-0`, `0-1`, `1/2-1/2`, or `*` while it goes on.
pub fn result(game: &ChessGame) -> &'static str {
    match game.outcome() {
        None => "*",
        Some(Outcome::Checkmate) => match game.position().side_to_move() {
            Color::White => "0-1",
            Color::Black => "1-0",
        },
        Some(_) => "1/2-1/2",
    }
}

impl ChessBoard {
    /// The square the picked piece stands on, if one is picked in `game`'s position.
    pub fn picked(&self, game: &ChessGame) -> Option<Square> {
        self.picked
            .filter(|&(key, _)| key == game.position().key())
            .map(|(_, square)| square)
    }

    /// Puts the picked piece down.
    pub fn put_down(&mut self) {
        self.picked = None;
    }

    /// The legal moves of the piece on `from`.
    pub fn moves_from(game: &ChessGame, from: Square) -> Vec<Move> {
        if game.outcome().is_some() {
            return Vec::new();
        }
        game.legal_moves()
            .iter()
            .copied()
            .filter(|m| m.from == from)
            .collect()
    }

    /// The squares the picked piece may move to.
    pub fn targets(&self, game: &ChessGame) -> Vec<Square> {
        let mut targets: Vec<Square> = self
            .picked(game)
            .map(|from| Self::moves_from(game, from))
            .unwrap_or_default()
            .iter()
            .map(|m| m.to)
            .collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }

    /// The promotion choice's buttons ("Promote to: queen rook bishop knight").
    pub fn promotion_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Promote to:");
            for (kind, name) in [
                (PieceKind::Queen, "queen"),
                (PieceKind::Rook, "rook"),
                (PieceKind::Bishop, "bishop"),
                (PieceKind::Knight, "knight"),
            ] {
                ui.selectable_value(&mut self.promotion, kind, name);
            }
        });
    }

    /// A click on `clicked` in `game`: picks a piece up, plays the picked piece's move
    /// there (the promotion choice for a pawn reaching the last rank), or puts it down.
    /// Returns the move's action when one is played.
    pub fn click(&mut self, game: &ChessGame, clicked: Square) -> Option<usize> {
        let key = game.position().key();
        if let Some(from) = self.picked(game) {
            let moves: Vec<Move> = Self::moves_from(game, from)
                .into_iter()
                .filter(|m| m.to == clicked)
                .collect();
            let chosen = moves
                .iter()
                .find(|m| m.promotion.is_none_or(|kind| kind == self.promotion))
                .or(moves.first());
            if let Some(&chess_move) = chosen {
                self.picked = None;
                return Some(encoding::action_of(
                    chess_move,
                    game.position().side_to_move(),
                ));
            }
        }
        let mover = game.position().side_to_move();
        let own = game
            .position()
            .piece_at(clicked)
            .is_some_and(|piece| piece.color == mover);
        self.picked = (own && self.picked(game) != Some(clicked)).then_some((key, clicked));
        None
    }

    /// The screen rectangle of `square` on a board drawn in `rect`.
    fn square_rect(&self, rect: Rect, at: Square) -> Rect {
        let side = rect.width() / 8.0;
        let (file, rank) = (file_of(at) as f32, rank_of(at) as f32);
        let (column, row) = if self.flipped {
            (7.0 - file, rank)
        } else {
            (file, 7.0 - rank)
        };
        Rect::from_min_size(
            rect.min + egui::vec2(column * side, row * side),
            egui::vec2(side, side),
        )
    }

    /// An arrow from `from` to `to`, `width` wide, with its head and an optional label.
    fn arrow(
        painter: &egui::Painter,
        from: Pos2,
        to: Pos2,
        width: f32,
        colour: Color32,
        label: Option<String>,
        font: f32,
    ) {
        let along = to - from;
        let length = along.length().max(1.0);
        let unit = along / length;
        let normal = egui::vec2(-unit.y, unit.x);
        let head = (width * 2.6).max(8.0);
        let neck = to - unit * head;
        painter.line_segment([from, neck], Stroke::new(width, colour));
        painter.add(egui::Shape::convex_polygon(
            vec![to, neck + normal * head * 0.6, neck - normal * head * 0.6],
            colour,
            Stroke::NONE,
        ));
        if let Some(label) = label {
            painter.text(
                neck - unit * head * 0.4,
                Align2::CENTER_CENTER,
                label,
                FontId::proportional(font),
                Color32::WHITE,
            );
        }
    }
}

impl BoardView<ChessGame> for ChessBoard {
    /// `overlay.heat` is the policy per action (a probability each); its [`ARROWS`] most
    /// likely moves get arrows as wide and opaque as their share. `overlay.line` is drawn
    /// as numbered arrows; the last move comes from the game itself.
    fn board_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &ChessGame,
        overlay: &Overlay,
        interactive: bool,
        size: f32,
    ) -> Option<usize> {
        let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), Sense::hover());
        let painter = ui.painter_at(rect);
        let side = rect.width() / 8.0;
        let position = state.position();
        let picked = self.picked(state);
        let targets = self.targets(state);
        let last = state.moves().last().copied();
        let checked_king = position
            .in_check()
            .then(|| position.king_square(position.side_to_move()));
        for at in 0..64u8 {
            let cell = self.square_rect(rect, at);
            let dark = (file_of(at) + rank_of(at)).is_multiple_of(2);
            let mut fill = if dark { DARK } else { LIGHT };
            if last.is_some_and(|m| m.from == at || m.to == at) {
                fill = fill.lerp_to_gamma(LAST_MOVE, 0.6);
            }
            if picked == Some(at) {
                fill = fill.lerp_to_gamma(PICKED, 0.7);
            }
            if checked_king == Some(at) {
                fill = fill.lerp_to_gamma(CHECK, 0.75);
            }
            painter.rect_filled(cell, 0.0, fill);
        }
        // Coordinates along the bottom and left edges.
        let small = FontId::proportional((side * 0.18).max(8.0));
        for index in 0..8u8 {
            let file_square = if self.flipped {
                square(7 - index, 7)
            } else {
                square(index, 0)
            };
            let cell = self.square_rect(rect, file_square);
            painter.text(
                cell.right_bottom() + egui::vec2(-2.0, -1.0),
                Align2::RIGHT_BOTTOM,
                ((b'a' + file_of(file_square)) as char).to_string(),
                small.clone(),
                Color32::from_black_alpha(150),
            );
            let rank_square = if self.flipped {
                square(7, index)
            } else {
                square(0, 7 - index)
            };
            let cell = self.square_rect(rect, rank_square);
            painter.text(
                cell.left_top() + egui::vec2(2.0, 1.0),
                Align2::LEFT_TOP,
                (rank_of(rank_square) + 1).to_string(),
                small.clone(),
                Color32::from_black_alpha(150),
            );
        }
        let piece_font = FontId::proportional(side * 0.42);
        for at in 0..64u8 {
            let Some(piece) = position.piece_at(at) else {
                continue;
            };
            let centre = self.square_rect(rect, at).center();
            let (fill, ink) = match piece.color {
                Color::White => (WHITE_PIECE, BLACK_PIECE),
                Color::Black => (BLACK_PIECE, WHITE_PIECE),
            };
            let radius = match piece.kind {
                PieceKind::Pawn => 0.27,
                PieceKind::King | PieceKind::Queen => 0.40,
                _ => 0.35,
            } * side;
            painter.circle(centre, radius, fill, Stroke::new(1.5, ink));
            if piece.kind != PieceKind::Pawn {
                painter.text(
                    centre,
                    Align2::CENTER_CENTER,
                    piece.kind.letter().to_ascii_uppercase(),
                    piece_font.clone(),
                    ink,
                );
            }
        }
        for &at in &targets {
            let cell = self.square_rect(rect, at);
            if position.piece_at(at).is_some() {
                painter.circle_stroke(cell.center(), side * 0.44, Stroke::new(side * 0.07, TARGET));
            } else {
                painter.circle_filled(cell.center(), side * 0.15, TARGET);
            }
        }
        // The policy's most likely moves, most likely drawn last (on top).
        if let Some(heat) = &overlay.heat {
            let mut best: Vec<(usize, f32)> = heat
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, h)| h > 0.0)
                .collect();
            best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            best.truncate(ARROWS);
            let most = best.first().map_or(1.0, |&(_, h)| h).max(1e-6);
            for &(action, share) in best.iter().rev() {
                let Some(chess_move) = encoding::move_of(action, position) else {
                    continue;
                };
                let weight = (share / most).clamp(0.0, 1.0);
                let colour = ARROW.gamma_multiply(0.35 + 0.55 * weight);
                Self::arrow(
                    &painter,
                    self.square_rect(rect, chess_move.from).center(),
                    self.square_rect(rect, chess_move.to).center(),
                    side * (0.05 + 0.17 * weight),
                    colour,
                    Some(format!("{:.0}%", share * 100.0)),
                    (side * 0.2).max(9.0),
                );
            }
        }
        // A line of play: numbered arrows, each move in the position it is played from.
        let mut walk = state.clone();
        for (step, &action) in overlay.line.iter().enumerate() {
            let Some(chess_move) = encoding::move_of(action, walk.position()) else {
                break;
            };
            Self::arrow(
                &painter,
                self.square_rect(rect, chess_move.from).center(),
                self.square_rect(rect, chess_move.to).center(),
                side * 0.06,
                LINE.gamma_multiply(0.85),
                Some(format!("{}", step + 1)),
                (side * 0.22).max(9.0),
            );
            if walk.apply(action).is_err() {
                break;
            }
        }
        let mut clicked = None;
        if interactive && state.outcome().is_none() {
            for at in 0..64u8 {
                let cell = self.square_rect(rect, at);
                let id = response.id.with(("square", at));
                let widget = ui.interact(cell, id, Sense::click());
                let name = format!("square {}", square_name(at));
                let target = targets.contains(&at);
                widget.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, target, &name)
                });
                if widget.clicked() {
                    clicked = Some(at);
                }
            }
        }
        clicked.and_then(|at| self.click(state, at))
    }

    fn move_name(&self, state: &ChessGame, action: usize) -> String {
        move_name(state, action)
    }

    fn player_colour(&self, player: u8) -> (Color32, &'static str) {
        if player & 1 == 0 {
            (WHITE_PIECE, "white")
        } else {
            (BLACK_PIECE, "black")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::chess::bitboard::parse_square;

    fn at(name: &str) -> Square {
        parse_square(name).unwrap()
    }

    #[test]
    fn a_click_on_a_piece_then_a_target_plays_the_rules_move() {
        let game = ChessGame::default();
        let mut board = ChessBoard::default();
        assert_eq!(board.click(&game, at("e2")), None);
        assert_eq!(board.targets(&game), vec![at("e3"), at("e4")]);
        let action = board.click(&game, at("e4")).expect("e2e4 is legal");
        let mut played = game.clone();
        played.apply(action).unwrap();
        assert_eq!(notation::uci(*played.moves().last().unwrap()), "e2e4");
        // An illegal target puts the piece down; an opponent's piece is not picked.
        assert_eq!(board.click(&game, at("e2")), None);
        assert_eq!(board.click(&game, at("e5")), None);
        assert_eq!(board.picked(&game), None);
        assert_eq!(board.click(&game, at("e7")), None);
        assert_eq!(board.picked(&game), None);
    }

    #[test]
    fn a_pawn_promotes_to_the_chosen_piece() {
        let game = ChessGame::from_fen("8/4P3/8/8/8/8/k7/4K3 w - - 0 1").unwrap();
        for (kind, text) in [(PieceKind::Queen, "e7e8q"), (PieceKind::Knight, "e7e8n")] {
            let mut board = ChessBoard {
                promotion: kind,
                ..ChessBoard::default()
            };
            board.click(&game, at("e7"));
            let action = board.click(&game, at("e8")).unwrap();
            let mut played = game.clone();
            played.apply(action).unwrap();
            assert_eq!(notation::uci(*played.moves().last().unwrap()), text);
        }
    }

    #[test]
    fn the_status_names_check_mate_and_draws() {
        let mut game = ChessGame::default();
        for text in ["f2f3", "e7e5", "g2g4", "d8h4"] {
            let chess_move = notation::parse_uci(game.position(), text).unwrap();
            game.play(chess_move).unwrap();
        }
        assert_eq!(result(&game), "0-1");
        assert!(status_line(&game).starts_with("checkmate: black wins"));
        let stalemate = ChessGame::from_fen("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1").unwrap();
        assert_eq!(status_line(&stalemate), "draw by stalemate (½-½)");
    }
}
