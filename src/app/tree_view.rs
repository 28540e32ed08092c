//! An interactive search tree: nodes laid out left to right (depth → x, leaf order → y),
//! children ordered by visits, expanded and collapsed by the user, panned and zoomed with
//! a glam [`Affine2`]. Each child shows N, P, Q and U, labelled; edges are coloured by Q
//! (from the chooser's view) and as thick as their share of the parent's visits.
//!
//! The layout is rebuilt only when the tree or the expanded set changes; each frame draws
//! only what lies in the viewport, with less detail when zoomed out, so a tree of 100,000
//! nodes with a thousand expanded stays fluid.

use std::collections::HashSet;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Stroke};
use glam::{Affine2, Vec2};

use crate::search::RootPolicy;
use crate::search::selection::{NodeSelection, selection_at};
use crate::search::tree_dump::TreeDump;

/// Tree-space size of a column (depth step) and of a row.
const COLUMN: f32 = 360.0;
const ROW: f32 = 30.0;
/// A node's box in tree space.
const BOX: Vec2 = Vec2::new(300.0, 24.0);
/// Most node widgets registered for accessibility per frame.
const MOST_WIDGETS: usize = 400;
/// The smallest zoom (a tree of 100,000 rows fits 600 points at 0.0002).
const MIN_ZOOM: f32 = 0.0001;

/// One visible node in the layout.
#[derive(Clone, Debug)]
struct Item {
    node: u32,
    /// The visible parent's item index (None for the root).
    parent: Option<usize>,
    /// The parent's selection entry for this child: (index into the parent's selection).
    via: Option<usize>,
    depth: u32,
    row: f32,
    has_children: bool,
}

/// The visible nodes, their positions, and the selections of the expanded ones.
#[derive(Default)]
struct Layout {
    items: Vec<Item>,
    /// Per item, the node's selection (computed for expanded nodes and the root).
    selections: Vec<Option<NodeSelection>>,
    rows: f32,
}

/// What the tree shows and how it is searched (for N, P, Q, U).
pub struct TreeSource<'a> {
    pub tree: &'a TreeDump,
    pub policy: &'a RootPolicy,
    pub simulations: u32,
    /// A move's name ("edge 2–5", "Nf3") by the node it leaves and its action.
    pub move_name: &'a dyn Fn(u32, u32) -> String,
    /// Changes whenever the tree changes (rebuilds the layout).
    pub generation: u64,
}

/// The view's state: expanded nodes, selection, pan and zoom.
pub struct TreeView {
    expanded: HashSet<u32>,
    /// The node whose position the board shows.
    pub selected: u32,
    /// Tree space → view space (before the canvas offset).
    view: Affine2,
    layout: Layout,
    /// (tree generation, expanded generation) the layout was built for.
    built_for: Option<(u64, u64)>,
    expanded_generation: u64,
    /// Frame the root and what is expanded at the next draw (set by reset, expand and
    /// collapse; panning and zooming are left alone otherwise).
    frame_pending: bool,
    /// Show the whole tree at the next draw.
    whole_pending: bool,
    /// The user has panned or zoomed since: a growing tree no longer reframes.
    moved_by_user: bool,
}

impl Default for TreeView {
    fn default() -> Self {
        Self {
            expanded: [0].into_iter().collect(),
            selected: 0,
            view: Affine2::from_translation(Vec2::new(20.0, 20.0)),
            layout: Layout::default(),
            built_for: None,
            expanded_generation: 0,
            frame_pending: true,
            whole_pending: false,
            moved_by_user: false,
        }
    }
}

/// A colour for Q in [−1, 1]: red (bad for the chooser) through grey to green (good).
pub fn q_colour(q: Option<f32>) -> Color32 {
    let Some(q) = q else {
        return Color32::from_gray(110);
    };
    let grey = Color32::from_gray(150);
    if q >= 0.0 {
        grey.lerp_to_gamma(Color32::from_rgb(40, 200, 80), q.min(1.0))
    } else {
        grey.lerp_to_gamma(Color32::from_rgb(230, 60, 50), (-q).min(1.0))
    }
}

fn pos(v: Vec2) -> Pos2 {
    Pos2::new(v.x, v.y)
}

impl TreeView {
    /// Starts over for a new tree: the root expanded and selected, the view reset.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn is_expanded(&self, node: u32) -> bool {
        self.expanded.contains(&node)
    }

    pub fn set_expanded(&mut self, node: u32, expanded: bool) {
        let changed = if expanded {
            self.expanded.insert(node)
        } else {
            self.expanded.remove(&node)
        };
        if changed {
            self.expanded_generation += 1;
        }
    }

    /// Expands the `count` most visited expanded-in-the-search nodes (and so everything
    /// above them).
    pub fn expand_most_visited(&mut self, tree: &TreeDump, count: usize) {
        let mut nodes: Vec<u32> = (0..tree.nodes.len() as u32)
            .filter(|&n| tree.nodes[n as usize].num_edges > 0)
            .collect();
        nodes.sort_by_key(|&n| std::cmp::Reverse(tree.nodes[n as usize].visits));
        nodes.truncate(count);
        self.expanded = nodes.into_iter().collect();
        self.expanded.insert(tree.root);
        self.expanded_generation += 1;
        self.frame_pending = true;
        self.moved_by_user = false;
    }

    /// Collapses everything but the root.
    pub fn collapse_all(&mut self, tree: &TreeDump) {
        self.expanded = [tree.root].into_iter().collect();
        self.expanded_generation += 1;
        self.frame_pending = true;
        self.moved_by_user = false;
    }

    /// Shows the whole laid-out tree at the next draw, however small that makes it (the
    /// "Whole tree" button); panning or zooming afterwards is the user's.
    pub fn show_whole_tree(&mut self) {
        self.whole_pending = true;
        self.moved_by_user = true;
    }

    /// Zooms so the layout's rows fit the canvas height (between 0.6, where labels still
    /// show, and full size; with `whole`, as small as needed) and puts the root at the
    /// left, level with the canvas's middle.
    fn frame(&mut self, canvas: Vec2, whole: bool) {
        let Some(root) = self.layout.items.first() else {
            return;
        };
        let height = (self.layout.rows.max(1.0) * ROW).max(ROW);
        let depth = self
            .layout
            .items
            .iter()
            .map(|item| item.depth)
            .max()
            .unwrap_or(0);
        let width = depth as f32 * COLUMN + BOX.x;
        let scale = if whole {
            (canvas.y / height)
                .min(canvas.x / width)
                .clamp(MIN_ZOOM, 1.0)
        } else {
            (canvas.y / height).clamp(0.6, 1.0)
        };
        let root_centre = Vec2::new(0.0, root.row * ROW + BOX.y / 2.0) * scale;
        self.view = Affine2::from_translation(Vec2::new(12.0, canvas.y / 2.0) - root_centre)
            * Affine2::from_scale(Vec2::splat(scale));
    }

    /// The principal variation from `node`: the most visited child, repeatedly (edges'
    /// actions).
    pub fn principal_variation(tree: &TreeDump, node: u32) -> Vec<u32> {
        let mut line = Vec::new();
        let mut at = node;
        while let Some(edge) = tree
            .edges_of(at)
            .filter(|&e| tree.edges[e].visits > 0)
            .max_by_key(|&e| (tree.edges[e].visits, std::cmp::Reverse(e)))
        {
            line.push(tree.edges[edge].action);
            match tree.edges[edge].child {
                Some(child) if line.len() < 512 => at = child,
                _ => break,
            }
        }
        line
    }

    /// Visible nodes in the current layout (for tests and measurements).
    pub fn visible_nodes(&self) -> usize {
        self.layout.items.len()
    }

    fn rebuild(&mut self, source: &TreeSource<'_>) {
        let key = (source.generation, self.expanded_generation);
        if self.built_for == Some(key) {
            return;
        }
        self.built_for = Some(key);
        let tree = source.tree;
        let mut layout = Layout::default();
        if tree.nodes.is_empty() {
            self.layout = layout;
            return;
        }
        let mut next_row = 0.0f32;
        // Depth first, children in order of visits; rows of internal nodes are their
        // children's middle (set when the last child is done).
        enum Visit {
            Enter {
                node: u32,
                parent: Option<usize>,
                via: Option<usize>,
                depth: u32,
            },
            Leave(usize),
        }
        let mut stack = vec![Visit::Enter {
            node: tree.root,
            parent: None,
            via: None,
            depth: 0,
        }];
        let mut seen = HashSet::new();
        while let Some(visit) = stack.pop() {
            match visit {
                Visit::Enter {
                    node,
                    parent,
                    via,
                    depth,
                } => {
                    if !seen.insert(node) {
                        continue;
                    }
                    let has_children = tree
                        .edges_of(node)
                        .any(|e| tree.edges[e].child.is_some() && tree.edges[e].visits > 0);
                    let index = layout.items.len();
                    let expanded = has_children && self.expanded.contains(&node);
                    let selection = if expanded || node == tree.root {
                        selection_at(tree, node, source.policy, source.simulations)
                    } else {
                        None
                    };
                    layout.items.push(Item {
                        node,
                        parent,
                        via,
                        depth,
                        row: next_row,
                        has_children,
                    });
                    if expanded && let Some(selection) = &selection {
                        let mut order: Vec<usize> = (0..selection.children.len())
                            .filter(|&c| {
                                selection.children[c].child.is_some()
                                    && selection.children[c].visits > 0
                            })
                            .collect();
                        order
                            .sort_by_key(|&c| (std::cmp::Reverse(selection.children[c].visits), c));
                        stack.push(Visit::Leave(index));
                        for &c in order.iter().rev() {
                            stack.push(Visit::Enter {
                                node: selection.children[c].child.unwrap_or(0),
                                parent: Some(index),
                                via: Some(c),
                                depth: depth + 1,
                            });
                        }
                    } else {
                        next_row += 1.0;
                    }
                    layout.selections.push(selection);
                }
                Visit::Leave(index) => {
                    let rows: Vec<f32> = layout.items[index + 1..]
                        .iter()
                        .filter(|item| item.parent == Some(index))
                        .map(|item| item.row)
                        .collect();
                    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
                        layout.items[index].row = (first + last) / 2.0;
                    }
                }
            }
        }
        layout.rows = next_row;
        self.layout = layout;
        self.frame_pending |= !self.moved_by_user;
    }

    /// The label of item `index`: its move and N, P, Q, U (or the root's N and value).
    fn label(&self, index: usize, source: &TreeSource<'_>) -> String {
        let item = &self.layout.items[index];
        match (item.parent, item.via) {
            (Some(parent), Some(via)) => {
                let Some(child) = self.layout.selections[parent]
                    .as_ref()
                    .and_then(|s| s.children.get(via))
                else {
                    return format!("node {}", item.node);
                };
                let q = child.q.map_or("–".to_owned(), |q| format!("{q:+.3}"));
                format!(
                    "{}  N {}  P {:.3}  Q {q}  U {:.3}",
                    (source.move_name)(self.layout.items[parent].node, child.action),
                    child.visits,
                    child.prior,
                    child.u
                )
            }
            _ => {
                let node = &source.tree.nodes[item.node as usize];
                let value = self.layout.selections[index]
                    .as_ref()
                    .map_or(node.raw_value, |s| s.value);
                format!("root  N {}  V {value:+.3}", node.visits)
            }
        }
    }

    /// Draws the tree in the space left in `ui`; returns the node clicked (selected).
    pub fn tree_ui(&mut self, ui: &mut egui::Ui, source: &TreeSource<'_>) -> Option<u32> {
        self.rebuild(source);
        let size = ui.available_size().max(egui::vec2(200.0, 200.0));
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        if self.frame_pending || self.whole_pending {
            self.frame(Vec2::new(rect.width(), rect.height()), self.whole_pending);
            self.frame_pending = false;
            self.whole_pending = false;
        }
        if response.dragged() {
            let delta = response.drag_delta();
            self.view = Affine2::from_translation(Vec2::new(delta.x, delta.y)) * self.view;
            self.moved_by_user = true;
        }
        if response.hovered() {
            let (scroll, pointer) =
                ui.input(|input| (input.smooth_scroll_delta.y, input.pointer.hover_pos()));
            if scroll != 0.0
                && let Some(pointer) = pointer
            {
                let at = Vec2::new(pointer.x - rect.min.x, pointer.y - rect.min.y);
                let zoom = (scroll / 300.0).exp();
                let current = self.view.matrix2.x_axis.x;
                let zoom = (current * zoom).clamp(MIN_ZOOM, 4.0) / current;
                self.view = Affine2::from_translation(at)
                    * Affine2::from_scale(Vec2::splat(zoom))
                    * Affine2::from_translation(-at)
                    * self.view;
                self.moved_by_user = true;
            }
        }
        let screen = Affine2::from_translation(Vec2::new(rect.min.x, rect.min.y)) * self.view;
        let scale = screen.matrix2.x_axis.x;
        let painter = ui.painter_at(rect);
        // An outline, not a fill: a software renderer pays for every pixel filled.
        painter.rect_stroke(
            rect,
            0.0,
            ui.visuals().widgets.noninteractive.bg_stroke,
            egui::StrokeKind::Inside,
        );
        let corner = |item: &Item| Vec2::new(item.depth as f32 * COLUMN, item.row * ROW);
        let viewport = Rect::from_min_max(rect.min, rect.max).expand(4.0);
        let on_screen = |a: Vec2, b: Vec2| {
            let (a, b) = (screen.transform_point2(a), screen.transform_point2(b));
            viewport.intersects(Rect::from_two_pos(pos(a), pos(b)))
        };
        let text_size = 12.0 * scale;
        let detailed = text_size >= 7.0;
        // Rows under two pixels apart: one box per column and pixel row, one edge per
        // column and pair of pixel rows (what would be drawn over each other anyway).
        let coarse = scale * ROW < 2.0;
        let mut drawn_edges = HashSet::new();
        let mut drawn_boxes = HashSet::new();
        // Edges first.
        for item in &self.layout.items {
            let Some(parent_index) = item.parent else {
                continue;
            };
            let parent = &self.layout.items[parent_index];
            let from = corner(parent) + Vec2::new(BOX.x, BOX.y / 2.0);
            let to = corner(item) + Vec2::new(0.0, BOX.y / 2.0);
            if !on_screen(from, to) {
                continue;
            }
            let child = item.via.and_then(|via| {
                self.layout.selections[parent_index]
                    .as_ref()?
                    .children
                    .get(via)
            });
            let (q, share) = child.map_or((None, 0.0), |c| {
                let parent_visits = source.tree.nodes[parent.node as usize].visits.max(1);
                (c.q, c.visits as f32 / parent_visits as f32)
            });
            let (from, to) = (screen.transform_point2(from), screen.transform_point2(to));
            if coarse && !drawn_edges.insert((parent.depth, from.y as i32, to.y as i32)) {
                continue;
            }
            painter.line_segment(
                [pos(from), pos(to)],
                Stroke::new((0.6 + 7.0 * share) * scale.max(0.3), q_colour(q)),
            );
        }
        let pointer = response.interact_pointer_pos();
        let mut clicked = None;
        let mut toggled = None;
        let mut widgets = 0;
        for (index, item) in self.layout.items.iter().enumerate() {
            let min = corner(item);
            if !on_screen(min, min + BOX) {
                continue;
            }
            let box_rect = Rect::from_min_max(
                pos(screen.transform_point2(min)),
                pos(screen.transform_point2(min + BOX)),
            );
            let selected = item.node == self.selected;
            let fill = if selected {
                ui.visuals().selection.bg_fill
            } else {
                ui.visuals().widgets.inactive.bg_fill
            };
            if !coarse || drawn_boxes.insert((item.depth, box_rect.min.y as i32)) {
                painter.rect_filled(box_rect, 3.0 * scale, fill);
            }
            let toggle_rect = Rect::from_min_max(
                Pos2::new(box_rect.max.x - 18.0 * scale, box_rect.min.y),
                box_rect.max,
            );
            if detailed {
                let label = self.label(index, source);
                painter.text(
                    box_rect.left_center() + egui::vec2(4.0 * scale, 0.0),
                    egui::Align2::LEFT_CENTER,
                    &label,
                    egui::FontId::monospace(text_size),
                    ui.visuals().text_color(),
                );
                if item.has_children {
                    let expanded = self.expanded.contains(&item.node);
                    painter.text(
                        toggle_rect.center(),
                        egui::Align2::CENTER_CENTER,
                        if expanded { "−" } else { "+" },
                        egui::FontId::monospace(text_size * 1.2),
                        ui.visuals().strong_text_color(),
                    );
                }
                // Accessible widgets for the nodes on screen: select, and expand/collapse.
                if widgets < MOST_WIDGETS {
                    widgets += 1;
                    let id = response.id.with(("node", item.node));
                    let node_response = ui.interact(box_rect, id, Sense::click());
                    node_response.widget_info(|| {
                        egui::WidgetInfo::selected(
                            egui::Role::Button,
                            true,
                            selected,
                            format!("node {}: {label}", item.node),
                        )
                    });
                    if node_response.clicked() {
                        clicked = Some(item.node);
                    }
                    if node_response.double_clicked() && item.has_children {
                        toggled = Some(item.node);
                    }
                    if item.has_children {
                        let expanded = self.expanded.contains(&item.node);
                        let toggle = ui.interact(toggle_rect, id.with("toggle"), Sense::click());
                        toggle.widget_info(|| {
                            egui::WidgetInfo::labeled(
                                egui::Role::Button,
                                true,
                                format!(
                                    "{} node {}",
                                    if expanded { "collapse" } else { "expand" },
                                    item.node
                                ),
                            )
                        });
                        if toggle.clicked() {
                            toggled = Some(item.node);
                            clicked = None;
                        }
                    }
                }
            }
            // Clicks on the canvas itself (beyond the widgets registered this frame).
            if response.clicked()
                && let Some(pointer) = pointer
                && box_rect.contains(pointer)
            {
                if item.has_children && toggle_rect.contains(pointer) {
                    toggled = Some(item.node);
                } else {
                    clicked = Some(item.node);
                }
            }
        }
        if let Some(node) = toggled {
            let expanded = self.expanded.contains(&node);
            self.set_expanded(node, !expanded);
        }
        if let Some(node) = clicked {
            self.selected = node;
        }
        if !detailed {
            painter.text(
                rect.left_bottom() + egui::vec2(6.0, -6.0),
                egui::Align2::LEFT_BOTTOM,
                "zoom in to read the nodes",
                egui::FontId::proportional(12.0),
                ui.visuals().weak_text_color(),
            );
        }
        clicked
    }
}
