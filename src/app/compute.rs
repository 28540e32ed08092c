//! One device for UI and compute: eframe's wgpu device is requested the way wgzero opens
//! its own (the adapter's limits, every optional feature wgzero uses), on the adapter
//! wgzero would pick, then wrapped as wgzero's [`Gpu`]. Where that adapter is a software
//! rasterizer, compute takes the CPU backend instead, as `--backend auto` does in the CLI.

use std::sync::Arc;

use eframe::egui_wgpu::{self, WgpuConfiguration, WgpuSetup, WgpuSetupCreateNew};
use eframe::wgpu;

use crate::backend::{BackendChoice, Compute, Decision, decide};
use crate::gpu::{Gpu, adapters};

/// Where compute runs in the app, and why (shown on screen at all times).
#[derive(Clone)]
pub struct ComputeChoice {
    pub compute: Compute,
    pub reason: String,
    /// The adapter eframe renders with, if any (it may differ from where compute runs).
    pub render_adapter: Option<String>,
}

impl ComputeChoice {
    /// The CPU backend, for `reason`.
    pub fn cpu(reason: impl Into<String>) -> Self {
        Self {
            compute: Compute::Cpu,
            reason: reason.into(),
            render_adapter: None,
        }
    }
}

/// eframe's wgpu setup: wgzero's adapter ranking (hardware first, native APIs before GL),
/// narrowed by `--adapter` / `WGZERO_ADAPTER`, and wgzero's device request.
pub fn wgpu_configuration(adapter_filter: Option<String>) -> WgpuConfiguration {
    let mut setup = WgpuSetupCreateNew::without_display_handle();
    setup.native_adapter_selector = Some(Arc::new(move |available, surface| {
        let mut candidates: Vec<&wgpu::Adapter> = available
            .iter()
            .filter(|adapter| surface.is_none_or(|surface| adapter.is_surface_supported(surface)))
            .collect();
        if let Some(filter) = &adapter_filter {
            let wanted = filter.to_lowercase();
            let names: Vec<String> = candidates
                .iter()
                .map(|adapter| adapter.get_info().name)
                .collect();
            candidates.retain(|adapter| adapter.get_info().name.to_lowercase().contains(&wanted));
            if candidates.is_empty() {
                return Err(format!(
                    "no GPU adapter that can draw the window has a name containing {filter:?} \
                     (from --adapter or WGZERO_ADAPTER); available: {}",
                    names.join(", ")
                ));
            }
        }
        candidates
            .into_iter()
            .max_by_key(|adapter| adapters::rank(&adapter.get_info()))
            .cloned()
            .ok_or_else(|| adapters::NO_ADAPTER_HINT.to_owned())
    }));
    setup.device_descriptor = Arc::new(Gpu::device_descriptor);
    WgpuConfiguration {
        wgpu_setup: WgpuSetup::CreateNew(setup),
        ..WgpuConfiguration::default()
    }
}

/// What the CPU backend is in this build, for the reasons shown on screen.
const CPU_NOTE: &str = if cfg!(target_arch = "wasm32") {
    " (compiled to wasm, single-threaded)"
} else {
    ""
};

/// The adapter's name, or what it is when the platform hides the name (browsers may).
fn display_name(info: &wgpu::AdapterInfo) -> String {
    if info.name.is_empty() {
        "an unnamed adapter".to_owned()
    } else {
        info.name.clone()
    }
}

/// What the kernels give up on a device without f16 or subgroups, for the status line
/// (empty when it has both).
fn kernel_note(features: wgpu::Features) -> String {
    let missing: Vec<&str> = [
        (wgpu::Features::SHADER_F16, "f16"),
        (wgpu::Features::SUBGROUP, "subgroups"),
    ]
    .into_iter()
    .filter(|(feature, _)| !features.contains(*feature))
    .map(|(_, name)| name)
    .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(
            "; baseline kernels (the device has no {})",
            missing.join(" and no ")
        )
    }
}

/// Where compute runs in a browser with WebGPU, chosen by the page's `?backend=`: a
/// hardware adapter takes it; a software fallback (SwiftShader) does not by default, since
/// there the CPU backend, even in wasm on one thread, is the faster (docs/PERFORMANCE.md,
/// the browser build's rows).
fn browser_decision(choice: BackendChoice, info: &wgpu::AdapterInfo) -> Decision {
    let software = info.device_type == wgpu::DeviceType::Cpu;
    let adapter = format!(
        "{}{}",
        display_name(info),
        if software {
            " (a software fallback)"
        } else {
            ""
        }
    );
    match choice {
        BackendChoice::Cpu => Decision::Cpu {
            reason: format!("?backend=cpu was given; the CPU backend{CPU_NOTE}"),
        },
        BackendChoice::Gpu => Decision::Gpu {
            adapter_index: 0,
            reason: format!("WebGPU in this browser, as ?backend=gpu asks: {adapter}"),
        },
        BackendChoice::Auto if software => Decision::Cpu {
            reason: format!(
                "this browser's WebGPU adapter is {adapter}, slower than the CPU backend{CPU_NOTE}, \
                 so compute runs on the CPU (?backend=gpu forces WebGPU)"
            ),
        },
        BackendChoice::Auto => Decision::Gpu {
            adapter_index: 0,
            reason: format!("WebGPU in this browser: {adapter}"),
        },
    }
}

/// Decides where compute runs, given the renderer's state (None without the wgpu renderer,
/// as in tests): eframe's device when the choice allows it, else the CPU backend. Without a
/// render state, `auto` and `gpu` open a device of their own, as the CLI does.
pub fn choose_compute(
    choice: BackendChoice,
    adapter_filter: Option<&str>,
    render_state: Option<&egui_wgpu::RenderState>,
) -> ComputeChoice {
    let Some(render_state) = render_state else {
        return match crate::backend::resolve(choice, adapter_filter) {
            Ok(resolved) => ComputeChoice {
                compute: resolved.compute,
                reason: resolved.reason,
                render_adapter: None,
            },
            Err(error) => ComputeChoice::cpu(format!("{error}; using the CPU backend")),
        };
    };
    let info = render_state.adapter.get_info();
    let render_adapter = Some(format!("{} ({:?})", display_name(&info), info.backend));
    let compute_shaders = render_state
        .adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS);
    if !compute_shaders && choice != BackendChoice::Cpu {
        // A browser without WebGPU: eframe draws with WebGL2, which has no compute shaders.
        return ComputeChoice {
            compute: Compute::Cpu,
            reason: format!(
                "the window draws with {} ({:?}), which has no compute shaders (no WebGPU \
                 here); compute runs on the CPU backend{}",
                display_name(&info),
                info.backend,
                CPU_NOTE
            ),
            render_adapter,
        };
    }
    let decision = if cfg!(target_arch = "wasm32") {
        Ok(browser_decision(choice, &info))
    } else {
        let named = adapters::name_filter(adapter_filter).is_some();
        decide(choice, std::slice::from_ref(&info), named)
    };
    match decision {
        Ok(Decision::Gpu { reason, .. }) => {
            let gpu = Gpu::from_parts(
                render_state.instance.clone(),
                render_state.adapter.clone(),
                render_state.device.clone(),
                render_state.queue.clone(),
            );
            let kernels = kernel_note(gpu.features);
            ComputeChoice {
                compute: Compute::Gpu(Arc::new(gpu)),
                reason: format!("{reason}, shared with the window{kernels}"),
                render_adapter,
            }
        }
        Ok(Decision::Cpu { reason }) => ComputeChoice {
            compute: Compute::Cpu,
            reason,
            render_adapter,
        },
        Err(error) => ComputeChoice {
            compute: Compute::Cpu,
            reason: format!("{error}; using the CPU backend"),
            render_adapter,
        },
    }
}
