//! The Ramsey gallery: the counterexamples a run archived (drawn `avoid` games: 2-colourings
//! of K_n without a monochromatic K_k; and `wgzero ramsey`'s witnesses, which may avoid
//! K_s in colour 0 and K_t in colour 1), one card per class up to isomorphism, with how
//! often it was found and its independent re-check; any of them copies as graph6.

use std::path::{Path, PathBuf};

use eframe::egui::{self, Stroke};

use super::board::{PLAYER_COLOURS, vertex_position};
use crate::games::clique::archive::{WitnessClass, witness_classes};
use crate::games::clique::graph6;

/// One gallery: the archive of a run directory.
#[derive(Default)]
pub struct RamseyTab {
    /// The run directory shown (the active run's unless the user typed another).
    pub path: String,
    loaded: Option<Loaded>,
    /// The last graph6 copied (shown as confirmation).
    pub copied: Option<String>,
}

struct Loaded {
    path: PathBuf,
    /// The archived count when loaded: a change reloads.
    archived: u64,
    classes: Result<(Vec<WitnessClass>, bool), String>,
}

impl RamseyTab {
    /// The classes shown (after [`RamseyTab::refresh`]).
    pub fn classes(&self) -> &[WitnessClass] {
        match self.loaded.as_ref().map(|l| &l.classes) {
            Some(Ok((classes, _))) => classes,
            _ => &[],
        }
    }

    /// Loads the archive of the typed path, or of `active` (the running run's directory
    /// and its archived count) when none is typed, if it changed.
    pub fn refresh(&mut self, active: Option<(&Path, u64)>) {
        let (path, archived) = if self.path.trim().is_empty() {
            match active {
                Some((path, archived)) => (path.to_owned(), archived),
                None => return,
            }
        } else {
            (PathBuf::from(self.path.trim()), 0)
        };
        let stale = self
            .loaded
            .as_ref()
            .is_none_or(|loaded| loaded.path != path || loaded.archived != archived);
        if stale {
            self.loaded = Some(Loaded {
                classes: witness_classes(&path).map_err(|error| error.to_string()),
                path,
                archived,
            });
        }
    }

    pub fn ramsey_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.label("Run directory:");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("the active run")
                    .desired_width(360.0),
            );
            if ui.button("Reload").clicked() {
                self.loaded = None;
            }
        });
        let Some(loaded) = &self.loaded else {
            ui.label("No run: start an avoid-mode run in Train, or type a run directory.");
            return;
        };
        let (classes, torn) = match &loaded.classes {
            Ok(classes) => classes,
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
                return;
            }
        };
        let found: u64 = classes.iter().map(|c| c.found).sum();
        ui.label(format!(
            "{}: {found} counterexamples archived, {} distinct up to isomorphism{}",
            loaded.path.display(),
            classes.len(),
            if *torn {
                " (a torn last line was skipped)"
            } else {
                ""
            }
        ));
        if classes.is_empty() {
            ui.label(
                "No counterexamples yet: they are the drawn games of avoid mode (a full \
                 board without a monochromatic K_k) and the witnesses `wgzero ramsey` finds.",
            );
            return;
        }
        if let Some(copied) = &self.copied {
            ui.label(format!("copied {copied}"));
        }
        let mut copy = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (index, class) in classes.iter().enumerate() {
                    ui.group(|ui| {
                        ui.vertical(|ui| {
                            ui.set_width(220.0);
                            ui.label(
                                egui::RichText::new(format!(
                                    "#{}: K_{}, {}",
                                    index + 1,
                                    class.n,
                                    avoided_cliques(class.k, class.t)
                                ))
                                .strong(),
                            );
                            match graph6::decode(&class.example.graph6) {
                                Ok((n, colour0)) => colouring_ui(ui, n, &colour0, 200.0),
                                Err(error) => {
                                    ui.colored_label(
                                        ui.visuals().error_fg_color,
                                        error.to_string(),
                                    );
                                }
                            }
                            ui.label(format!(
                                "found {} times, {} labelled colourings",
                                class.found, class.distinct_labelled
                            ));
                            match &class.verified {
                                Ok(()) => {
                                    ui.label(format!(
                                        "verified: {} (re-checked)",
                                        avoided_cliques(class.k, class.t)
                                    ));
                                }
                                Err(reason) => {
                                    ui.colored_label(
                                        ui.visuals().error_fg_color,
                                        format!("FAILS the check: {reason}"),
                                    );
                                }
                            }
                            ui.monospace(&class.example.graph6);
                            if ui
                                .button(format!("Copy graph6 of #{}", index + 1))
                                .clicked()
                            {
                                copy = Some(class.example.graph6.clone());
                            }
                        });
                    });
                }
            });
        });
        if let Some(text) = copy {
            ui.ctx().copy_text(text.clone());
            self.copied = Some(text);
        }
    }
}

/// What a witness avoids: "no monochromatic K_4", or "no K_4 in colour 0, no K_5 in
/// colour 1" for an asymmetric R(s,t) witness.
fn avoided_cliques(s: u32, t: u32) -> String {
    if s == t {
        format!("no monochromatic K_{s}")
    } else {
        format!("no K_{s} in colour 0, no K_{t} in colour 1")
    }
}

/// Draws a full 2-colouring of K_n (colour 0 = the graph `colour0`, colour 1 the rest) on
/// a circle, `size` points wide.
pub fn colouring_ui(ui: &mut egui::Ui, n: u32, colour0: &[u64], size: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    let at = |i: u32| {
        let v = vertex_position(n, i) * rect.width();
        rect.center() + egui::vec2(v.x, v.y)
    };
    for u in 0..n {
        for v in u + 1..n {
            let colour = PLAYER_COLOURS[usize::from(colour0[u as usize] >> v & 1 == 0)];
            painter.line_segment([at(u), at(v)], Stroke::new(1.5, colour));
        }
    }
    for i in 0..n {
        painter.circle_filled(at(i), 3.5, ui.visuals().text_color());
    }
}
