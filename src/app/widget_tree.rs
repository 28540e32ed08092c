//! The app's widgets as a list a test can read: egui's AccessKit tree of the last frame,
//! flattened to role, label, value and bounds. The browser build exposes it to the page
//! (`WebHandle::widgets`), so a test in a real browser asserts widgets, not only pixels,
//! and clicks them where they are.

use std::sync::{Arc, Mutex};

use eframe::egui;
use egui::accesskit;
use serde::Serialize;

/// One widget of the last frame.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Widget {
    /// AccessKit's role, e.g. `Button`, `Label`, `TextInput`, `Tab`.
    pub role: String,
    pub label: Option<String>,
    pub value: Option<String>,
    /// `[x0, y0, x1, y1]` in egui points (CSS pixels at zoom 1).
    pub bounds: Option<[f64; 4]>,
    pub disabled: bool,
}

/// The last frame's widgets, shared between the plugin that captures them and their
/// reader.
#[derive(Clone, Default)]
pub struct WidgetTree {
    widgets: Arc<Mutex<Vec<Widget>>>,
}

impl WidgetTree {
    /// Starts capturing `ctx`'s widgets from its next frame on.
    pub fn install(&self, ctx: &egui::Context) {
        ctx.enable_accesskit();
        ctx.add_plugin(Capture {
            widgets: Arc::clone(&self.widgets),
        });
    }

    /// The widgets of the last frame drawn.
    pub fn widgets(&self) -> Vec<Widget> {
        self.widgets
            .lock()
            .map(|widgets| widgets.clone())
            .unwrap_or_default()
    }
}

/// Flattens a frame's AccessKit update (egui sends every node of the frame) in tree order,
/// skipping nodes that say nothing (no label and no value) and unlabelled containers.
pub fn flatten(update: &accesskit::TreeUpdate) -> Vec<Widget> {
    let nodes: std::collections::HashMap<accesskit::NodeId, &accesskit::Node> =
        update.nodes.iter().map(|(id, node)| (*id, node)).collect();
    let mut widgets = Vec::new();
    let Some(root) = update.tree.as_ref().map(|tree| tree.root) else {
        return widgets;
    };
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        let Some(node) = nodes.get(&id) else {
            continue;
        };
        let label = node.label().map(str::to_owned);
        let value = node.value().map(str::to_owned);
        if label.is_some() || value.is_some() {
            widgets.push(Widget {
                role: format!("{:?}", node.role()),
                label,
                value,
                bounds: node
                    .bounds()
                    .map(|rect| [rect.x0, rect.y0, rect.x1, rect.y1]),
                disabled: node.is_disabled(),
            });
        }
        stack.extend(node.children().iter().rev().copied());
    }
    widgets
}

struct Capture {
    widgets: Arc<Mutex<Vec<Widget>>>,
}

impl egui::plugin::Plugin for Capture {
    fn debug_name(&self) -> &'static str {
        "wgzero widget tree"
    }

    fn output_hook(&mut self, _ctx: &egui::Context, output: &mut egui::FullOutput) {
        if let Some(update) = &output.platform_output.accesskit_update
            && let Ok(mut widgets) = self.widgets.lock()
        {
            *widgets = flatten(update);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame with a heading, a button and a text field flattens to those three widgets,
    /// with the labels and values egui drew.
    #[test]
    fn flatten_lists_the_frames_widgets() {
        let ctx = egui::Context::default();
        ctx.enable_accesskit();
        let mut text = "K_6".to_owned();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("wgzero");
                let _ = ui.button("Start");
                ui.text_edit_singleline(&mut text);
            });
        });
        output.textures_delta.clear();
        let update = output
            .platform_output
            .accesskit_update
            .expect("AccessKit is enabled");
        let widgets = flatten(&update);
        let find = |role: &str| widgets.iter().find(|widget| widget.role == role);
        let label = find("Label").expect("a label");
        assert_eq!(
            label.value.as_deref().or(label.label.as_deref()),
            Some("wgzero")
        );
        let button = find("Button").expect("a button");
        assert_eq!(button.label.as_deref(), Some("Start"));
        assert!(
            button
                .bounds
                .is_some_and(|[x0, y0, x1, y1]| x1 > x0 && y1 > y0)
        );
        let input = find("TextInput").expect("a text field");
        assert_eq!(input.value.as_deref(), Some("K_6"));
    }
}
