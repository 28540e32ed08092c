//! The browser build's entry point: `web/index.html` creates a [`WebHandle`] and starts the
//! app on its canvas. eframe draws with WebGPU where the browser has it (WebGL2
//! otherwise), and compute shares that device ([`super::compute`]).
//!
//! The page's address sets the start: `?tab=search` opens a tab, `?backend=cpu` keeps
//! compute on the CPU backend, `?backend=gpu` puts it on WebGPU whatever the adapter
//! (`auto`, the default, takes WebGPU on a hardware adapter, the CPU backend on a
//! software one).
//! The handle also gives the page the app's state and widgets as JSON, for its tests.
//! Files (run directories) live in the browser's IndexedDB ([`crate::storage`]), loaded
//! before the app starts, so a reload finds the runs of earlier visits.

use std::path::Path;
use std::sync::{Arc, Mutex};

use clap::ValueEnum;
use eframe::wgpu;
use wasm_bindgen::prelude::*;

use super::widget_tree::WidgetTree;
use super::{AppOptions, WgzeroApp};

/// The running app, as the page holds it.
#[wasm_bindgen]
pub struct WebHandle {
    runner: eframe::WebRunner,
    widgets: WidgetTree,
    /// Why the device eframe draws with was lost, once it is: the page can then no longer
    /// draw, so it shows [`WebHandle::device_lost`] itself.
    lost: Arc<Mutex<Option<String>>>,
}

impl Default for WebHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl WebHandle {
    /// Installs the panic handler and the console logger.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        // A second handle in the same page finds the logger installed: nothing to do.
        let _ = eframe::WebLogger::init(log::LevelFilter::Info);
        Self {
            runner: eframe::WebRunner::new(),
            widgets: WidgetTree::default(),
            lost: Arc::default(),
        }
    }

    /// Starts the app on `canvas`, with the options of the page's query string (`search`,
    /// as in `location.search`). A bad option is an error naming the values allowed.
    pub async fn start(
        &self,
        canvas: web_sys::HtmlCanvasElement,
        search: String,
    ) -> Result<(), JsValue> {
        let options = options_from_query(&search).map_err(|message| JsValue::from_str(&message))?;
        // Runs of earlier visits live in IndexedDB: load them before the app reads a file.
        // What cannot be loaded is said in the console; the rest of the app works on.
        if let Err(error) = crate::storage::restore().await {
            log::warn!("{error}");
        }
        let web_options = eframe::WebOptions {
            wgpu_options: super::compute::wgpu_configuration(None),
            dithering: false,
            ..eframe::WebOptions::default()
        };
        let widgets = self.widgets.clone();
        let lost = Arc::clone(&self.lost);
        self.runner
            .start(
                canvas,
                web_options,
                Box::new(move |cc| {
                    widgets.install(&cc.egui_ctx);
                    // On the web a device takes any number of loss callbacks (each awaits
                    // its `lost` promise), so this one leaves compute's (`Gpu`) in place.
                    if let Some(render) = &cc.wgpu_render_state {
                        render
                            .device
                            .set_device_lost_callback(move |reason, message| {
                                if reason != wgpu::DeviceLostReason::Destroyed {
                                    *lost.lock().unwrap_or_else(|e| e.into_inner()) =
                                        Some(crate::gpu::loss_description(reason, &message));
                                }
                            });
                    }
                    Ok(Box::new(WgzeroApp::new(cc, options)))
                }),
            )
            .await
    }

    /// The app's state as JSON ([`WgzeroApp::state_json`]); `null` before it starts.
    pub fn state(&self) -> String {
        self.runner
            .app_mut::<WgzeroApp>()
            .map_or_else(|| "null".to_owned(), |app| app.state_json().to_string())
    }

    /// The widgets of the last frame as JSON ([`super::widget_tree::Widget`]).
    pub fn widgets(&self) -> String {
        serde_json::to_string(&self.widgets.widgets()).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Once the device eframe draws with is lost: what happened and what is kept, for the
    /// page to show (the canvas can no longer draw it). A training run computing on that
    /// device has failed with the same loss; its checkpoints stay in the browser's storage.
    pub fn device_lost(&self) -> Option<String> {
        let reason = self
            .lost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let kept = self
            .runner
            .app_mut::<WgzeroApp>()
            .and_then(|app| app.train.run_dir().map(Path::to_path_buf))
            .map(|run_dir| match crate::run_dir::checkpoint::latest_iteration(&run_dir) {
                Some(iteration) => format!(
                    "The run {} keeps its checkpoint of iteration {iteration} in this browser. ",
                    run_dir.display()
                ),
                None => format!("The run {} had saved no checkpoint yet. ", run_dir.display()),
            })
            .unwrap_or_default();
        Some(format!(
            "The GPU device this page draws with was lost ({reason}). {kept}Reload the page \
             to go on; if this repeats, open it with ?backend=cpu."
        ))
    }

    /// The panic message, if the app panicked (the page then shows it instead of the app).
    pub fn panic_message(&self) -> Option<String> {
        self.runner.panic_summary().map(|summary| summary.message())
    }
}

/// The options of a query string such as `?tab=search&backend=cpu`.
fn options_from_query(search: &str) -> Result<AppOptions, String> {
    let mut options = AppOptions::default();
    for pair in search.trim_start_matches('?').split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        match key {
            "tab" => options.tab = parse_value(key, value)?,
            "backend" => options.backend = parse_value(key, value)?,
            _ => {}
        }
    }
    Ok(options)
}

fn parse_value<T: ValueEnum>(key: &str, value: &str) -> Result<T, String> {
    T::from_str(value, true).map_err(|_| {
        let allowed: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|variant| variant.to_possible_value())
            .map(|possible| possible.get_name().to_owned())
            .collect();
        format!(
            "the page's address has {key}={value}; {key} takes one of: {}",
            allowed.join(", ")
        )
    })
}
