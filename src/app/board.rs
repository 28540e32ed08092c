//! Board views: a game's position drawn in a square, with clickable moves and overlays
//! (policy heat, a highlighted line of play, a completed clique). One trait, so the chess
//! board slots in beside the clique board. Geometry is glam's: board space is the unit
//! square around the origin, mapped to the screen by a pan/zoom [`Affine2`].

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke};
use glam::{Affine2, Vec2};

use crate::games::GameState;
use crate::games::clique::{CliqueState, endpoints, num_edges};

/// What a view draws over a position besides the position itself.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// Per action, a weight in [0, 1] drawn as heat on the moves still open.
    pub heat: Option<Vec<f32>>,
    /// Moves drawn numbered and emphasised, in order (a principal variation).
    pub line: Vec<usize>,
    /// Moves outlined (a completed clique).
    pub highlight: Vec<usize>,
    /// The move that led to this position.
    pub last_move: Option<usize>,
}

/// A game's board in the app.
pub trait BoardView<S: GameState> {
    /// Draws `state` with `overlay` in a square as wide as `size`; when `interactive`,
    /// the legal moves are clickable (and are accessible widgets labelled by
    /// [`BoardView::move_name`]). Returns the legal move clicked.
    fn board_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &S,
        overlay: &Overlay,
        interactive: bool,
        size: f32,
    ) -> Option<usize>;

    /// A move's name, as the board's widgets are labelled ("edge 2–5").
    fn move_name(&self, state: &S, action: usize) -> String;

    /// The colour the view gives `player`, and its name for legends.
    fn player_colour(&self, player: u8) -> (Color32, &'static str);
}

/// Player 0's and player 1's colours on the clique board.
pub const PLAYER_COLOURS: [Color32; 2] = [
    Color32::from_rgb(226, 74, 64),
    Color32::from_rgb(66, 133, 244),
];

const OPEN_EDGE: Color32 = Color32::from_gray(120);
const HIGHLIGHT: Color32 = Color32::from_rgb(255, 200, 40);

/// K_n on a circle: vertex i at angle 2πi/n from the top, clockwise.
#[derive(Clone, Debug)]
pub struct CliqueBoard {
    /// Board space → view space (before fitting the square): the user's pan and zoom.
    pub view: Affine2,
}

impl Default for CliqueBoard {
    fn default() -> Self {
        Self {
            view: Affine2::IDENTITY,
        }
    }
}

/// Vertex `i` of `n` in board space (radius 0.42 inside the unit square at the origin).
pub fn vertex_position(n: u32, i: u32) -> Vec2 {
    let angle = std::f32::consts::TAU * i as f32 / n as f32;
    Vec2::new(angle.sin(), -angle.cos()) * 0.42
}

/// Distance from `point` to the segment `a`–`b`.
pub fn segment_distance(point: Vec2, a: Vec2, b: Vec2) -> f32 {
    let along = b - a;
    let t =
        ((point - a).dot(along) / along.length_squared().max(f32::MIN_POSITIVE)).clamp(0.0, 1.0);
    point.distance(a + along * t)
}

/// Where an edge's clickable handle sits: off its midpoint, since chords through the
/// circle's centre share their midpoints.
const HANDLE_AT: f32 = 0.37;

fn to_pos(v: Vec2) -> Pos2 {
    Pos2::new(v.x, v.y)
}

fn to_vec(p: Pos2) -> Vec2 {
    Vec2::new(p.x, p.y)
}

impl CliqueBoard {
    /// Board space → screen, for a square `rect`.
    fn screen_from_board(&self, rect: Rect) -> Affine2 {
        let centre = to_vec(rect.center());
        Affine2::from_translation(centre)
            * Affine2::from_scale(Vec2::splat(rect.width()))
            * self.view
    }
}

impl BoardView<CliqueState> for CliqueBoard {
    fn board_ui(
        &mut self,
        ui: &mut egui::Ui,
        state: &CliqueState,
        overlay: &Overlay,
        interactive: bool,
        size: f32,
    ) -> Option<usize> {
        let n = state.config().n;
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(size, size), Sense::click_and_drag());
        // Pan with a drag, zoom with the scroll wheel over the board, reset on double click.
        if response.dragged() {
            let delta = to_vec(response.drag_delta().to_pos2()) / rect.width();
            self.view = Affine2::from_translation(delta) * self.view;
        }
        if response.hovered() {
            let scroll = ui.input(|input| input.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let zoom = (scroll / 400.0).exp();
                let at = ui
                    .input(|input| input.pointer.hover_pos())
                    .map_or(Vec2::ZERO, |p| {
                        (to_vec(p) - to_vec(rect.center())) / rect.width()
                    });
                self.view = Affine2::from_translation(at)
                    * Affine2::from_scale(Vec2::splat(zoom))
                    * Affine2::from_translation(-at)
                    * self.view;
            }
        }
        if response.double_clicked() {
            self.view = Affine2::IDENTITY;
        }
        let screen = self.screen_from_board(rect);
        let painter = ui.painter_at(rect);
        // An outline, not a fill: a software renderer pays for every pixel filled.
        painter.rect_stroke(
            rect,
            4.0,
            ui.visuals().widgets.noninteractive.bg_stroke,
            egui::StrokeKind::Inside,
        );
        let position = |i: u32| screen.transform_point2(vertex_position(n, i));
        let edges = num_edges(n);
        let scale = rect.width() / 400.0;
        // The open edge under the pointer (clicks anywhere near an edge take it).
        let hovered_edge = if interactive && !state.is_over() {
            response.hover_pos().and_then(|pointer| {
                let pointer = to_vec(pointer);
                (0..edges)
                    .filter(|&a| state.owner(a).is_none())
                    .map(|a| {
                        let (u, v) = endpoints(n, a);
                        (a, segment_distance(pointer, position(u), position(v)))
                    })
                    .filter(|&(_, distance)| distance < 8.0 * scale.max(0.5))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(a, _)| a)
            })
        } else {
            None
        };
        let mut clicked = hovered_edge.filter(|_| response.clicked());
        // Highlights under everything else.
        for &action in &overlay.highlight {
            let (u, v) = endpoints(n, action);
            painter.line_segment(
                [to_pos(position(u)), to_pos(position(v))],
                Stroke::new(11.0 * scale, HIGHLIGHT),
            );
        }
        for action in 0..edges {
            let (u, v) = endpoints(n, action);
            let (a, b) = (to_pos(position(u)), to_pos(position(v)));
            let stroke = match state.owner(action) {
                Some(player) => {
                    let width = if overlay.last_move == Some(action) {
                        6.0
                    } else {
                        4.0
                    };
                    Stroke::new(width * scale, PLAYER_COLOURS[player as usize])
                }
                None => {
                    let heat = overlay
                        .heat
                        .as_ref()
                        .and_then(|heat| heat.get(action))
                        .copied()
                        .unwrap_or(0.0)
                        .clamp(0.0, 1.0);
                    if hovered_edge == Some(action) {
                        Stroke::new(4.0 * scale, ui.visuals().strong_text_color())
                    } else if overlay.heat.is_some() {
                        let warm = Color32::from_rgb(255, 140, 0);
                        Stroke::new(
                            (1.0 + 7.0 * heat) * scale,
                            OPEN_EDGE.lerp_to_gamma(warm, heat),
                        )
                    } else {
                        Stroke::new(1.0 * scale, OPEN_EDGE)
                    }
                }
            };
            painter.line_segment([a, b], stroke);
        }
        // The line of play: numbered, dashed in the colour of the player making each move.
        let mut mover = state.to_move();
        for (step, &action) in overlay.line.iter().enumerate() {
            let (u, v) = endpoints(n, action);
            let (a, b) = (position(u), position(v));
            let colour = PLAYER_COLOURS[mover as usize];
            painter.extend(egui::Shape::dashed_line(
                &[to_pos(a), to_pos(b)],
                Stroke::new(3.0 * scale, colour),
                8.0 * scale,
                5.0 * scale,
            ));
            painter.text(
                to_pos(a.lerp(b, 0.5)),
                egui::Align2::CENTER_CENTER,
                format!("{}", step + 1),
                egui::FontId::proportional(13.0 * scale.max(0.8)),
                colour,
            );
            mover = 1 - mover;
        }
        for i in 0..n {
            let p = to_pos(position(i));
            painter.circle(
                p,
                9.0 * scale.max(0.6),
                ui.visuals().widgets.inactive.bg_fill,
                Stroke::new(1.5, ui.visuals().text_color()),
            );
            painter.text(
                p,
                egui::Align2::CENTER_CENTER,
                i.to_string(),
                egui::FontId::proportional(11.0 * scale.max(0.8)),
                ui.visuals().text_color(),
            );
        }
        // Each open edge is also a widget (for keyboards, screen readers and tests): a
        // small handle on the edge whose click plays it.
        if interactive && !state.is_over() {
            for action in (0..edges).filter(|&a| state.owner(a).is_none()) {
                let (u, v) = endpoints(n, action);
                let at = to_pos(position(u).lerp(position(v), HANDLE_AT));
                let handle = Rect::from_center_size(at, egui::vec2(6.0, 6.0));
                let id = response.id.with(("edge", action));
                let edge = ui.interact(handle, id, Sense::click());
                let name = self.move_name(state, action);
                edge.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if edge.clicked() {
                    clicked = Some(action);
                }
            }
        }
        clicked
    }

    fn move_name(&self, state: &CliqueState, action: usize) -> String {
        let (u, v) = endpoints(state.config().n, action);
        format!("edge {u}–{v}")
    }

    fn player_colour(&self, player: u8) -> (Color32, &'static str) {
        (
            PLAYER_COLOURS[player as usize & 1],
            ["red", "blue"][player as usize & 1],
        )
    }
}

/// The edges of a monochromatic clique of `player`'s size (K_k; K_t for colour 1 in avoid
/// mode with two sizes) in `player`'s colour that contains the last move, if the game just
/// ended by completing one.
pub fn completed_clique(state: &CliqueState, player: u8) -> Option<Vec<usize>> {
    let config = state.config();
    let (n, k) = (config.n, config.clique_size(player) as usize);
    let last = state.last_action()? as usize;
    if state.owner(last) != Some(player) {
        return None;
    }
    let (u, v) = endpoints(n, last);
    let adjacency = state.adjacency(player);
    // Extend {u, v} by common neighbours in the player's colour, depth first.
    fn extend(adjacency: &[u64], chosen: &mut Vec<u32>, candidates: u64, k: usize) -> bool {
        if chosen.len() == k {
            return true;
        }
        let mut rest = candidates;
        while rest != 0 {
            let w = rest.trailing_zeros();
            rest &= rest - 1;
            chosen.push(w);
            if extend(adjacency, chosen, rest & adjacency[w as usize], k) {
                return true;
            }
            chosen.pop();
        }
        false
    }
    let mut chosen = vec![u, v];
    let common = adjacency[u as usize] & adjacency[v as usize];
    if !extend(adjacency, &mut chosen, common, k) {
        return None;
    }
    let mut edges = Vec::new();
    for (i, &a) in chosen.iter().enumerate() {
        for &b in &chosen[i + 1..] {
            edges.push(crate::games::clique::edge_index(n, a.min(b), a.max(b)));
        }
    }
    Some(edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::clique::{CliqueConfig, Mode, Status, edge_index};

    #[test]
    fn the_completed_clique_is_found_and_is_monochromatic() {
        let config = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
        // Player 0 takes 0-1, 1-2, then 0-2; player 1 plays elsewhere.
        let moves = [
            edge_index(6, 0, 1),
            edge_index(6, 3, 4),
            edge_index(6, 1, 2),
            edge_index(6, 4, 5),
            edge_index(6, 0, 2),
        ];
        let state = CliqueState::from_actions(config, &moves).unwrap();
        assert_eq!(state.status(), Status::Won(0));
        let mut clique = completed_clique(&state, 0).unwrap();
        clique.sort();
        let mut expected = vec![moves[0], moves[2], moves[4]];
        expected.sort();
        assert_eq!(clique, expected);
        assert_eq!(completed_clique(&state, 1), None);
    }

    #[test]
    fn segment_distance_is_euclidean() {
        let (a, b) = (Vec2::new(0.0, 0.0), Vec2::new(2.0, 0.0));
        assert!((segment_distance(Vec2::new(1.0, 1.0), a, b) - 1.0).abs() < 1e-6);
        assert!((segment_distance(Vec2::new(3.0, 0.0), a, b) - 1.0).abs() < 1e-6);
    }
}
