//! Which engine runs the compute: the GPU (wgpu) or the CPU backend.
//!
//! `auto` takes a hardware GPU when there is one. Software rasterizers (lavapipe,
//! llvmpipe, SwiftShader) are about a hundred times slower than the CPU backend, so `auto`
//! passes them over; `--backend gpu` (or naming the adapter) still forces them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::gpu::{Gpu, GpuError, adapters};

/// The user's choice, from `--backend`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A hardware GPU if there is one, else the CPU backend.
    #[default]
    Auto,
    /// The best GPU adapter, software ones included; an error if there is none.
    Gpu,
    /// The CPU backend.
    Cpu,
}

/// The engine that will run the compute.
#[derive(Clone)]
pub enum Compute {
    Cpu,
    Gpu(Arc<Gpu>),
}

impl Compute {
    pub fn name(&self) -> String {
        match self {
            Compute::Cpu => "cpu".to_owned(),
            Compute::Gpu(gpu) if gpu.info.name.is_empty() => "gpu".to_owned(),
            Compute::Gpu(gpu) => format!("gpu ({})", gpu.info.name),
        }
    }

    pub fn gpu(&self) -> Option<&Arc<Gpu>> {
        match self {
            Compute::Cpu => None,
            Compute::Gpu(gpu) => Some(gpu),
        }
    }
}

/// What [`decide`] settles on, before any device is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Cpu {
        reason: String,
    },
    /// Use the adapter at this index of the (ranked, filtered) list.
    Gpu {
        adapter_index: usize,
        reason: String,
    },
}

impl Decision {
    pub fn reason(&self) -> &str {
        match self {
            Decision::Cpu { reason } | Decision::Gpu { reason, .. } => reason,
        }
    }
}

fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.device_type, info.backend)
}

/// Decides between CPU and GPU given the adapters (ranked best first, already narrowed by
/// a name filter if `named` is true). Pure, so every branch is testable without a driver.
pub fn decide(
    choice: BackendChoice,
    adapters: &[wgpu::AdapterInfo],
    named: bool,
) -> Result<Decision, GpuError> {
    match choice {
        BackendChoice::Cpu => Ok(Decision::Cpu {
            reason: "--backend cpu was given".to_owned(),
        }),
        BackendChoice::Gpu => {
            let best = adapters.first().ok_or(GpuError::NoAdapter)?;
            Ok(Decision::Gpu {
                adapter_index: 0,
                reason: format!("--backend gpu was given; using {}", describe(best)),
            })
        }
        BackendChoice::Auto => {
            let Some(best) = adapters.first() else {
                return Ok(Decision::Cpu {
                    reason: format!("{}; using the CPU backend", adapters::NO_ADAPTER_HINT),
                });
            };
            if named {
                return Ok(Decision::Gpu {
                    adapter_index: 0,
                    reason: format!("the named adapter {}", describe(best)),
                });
            }
            if best.device_type != wgpu::DeviceType::Cpu {
                return Ok(Decision::Gpu {
                    adapter_index: 0,
                    reason: format!("hardware adapter {}", describe(best)),
                });
            }
            Ok(Decision::Cpu {
                reason: format!(
                    "only software GPU adapters found (best: {}); the CPU backend is about \
                     100x faster than them, so using it (--backend gpu forces the adapter)",
                    describe(best)
                ),
            })
        }
    }
}

/// The resolved engine and the one-line reason for it.
pub struct Resolved {
    pub compute: Compute,
    pub reason: String,
}

/// Enumerates adapters, decides, and opens the device if the GPU was chosen.
pub fn resolve(choice: BackendChoice, adapter_name: Option<&str>) -> Result<Resolved, GpuError> {
    if choice == BackendChoice::Cpu {
        let decision = decide(choice, &[], false)?;
        return Ok(Resolved {
            compute: Compute::Cpu,
            reason: decision.reason().to_owned(),
        });
    }
    let instance = adapters::instance();
    let mut candidates = adapters::enumerate(&instance);
    let filter = adapters::name_filter(adapter_name);
    if let Some(filter) = &filter {
        candidates = adapters::filter_by_name(candidates, filter)?;
    }
    let infos: Vec<wgpu::AdapterInfo> = candidates.iter().map(|a| a.get_info()).collect();
    match decide(choice, &infos, filter.is_some())? {
        Decision::Cpu { reason } => Ok(Resolved {
            compute: Compute::Cpu,
            reason,
        }),
        Decision::Gpu {
            adapter_index,
            reason,
        } => {
            let adapter = candidates.swap_remove(adapter_index);
            let gpu = Gpu::new(instance, adapter)?;
            Ok(Resolved {
                compute: Compute::Gpu(Arc::new(gpu)),
                reason,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, device_type: wgpu::DeviceType) -> wgpu::AdapterInfo {
        let mut info = wgpu::AdapterInfo::new(device_type, wgpu::Backend::Vulkan);
        info.name = name.to_owned();
        info
    }

    #[test]
    fn auto_takes_hardware() {
        let list = [adapter("H100", wgpu::DeviceType::DiscreteGpu)];
        let decision = decide(BackendChoice::Auto, &list, false).unwrap();
        assert!(matches!(
            decision,
            Decision::Gpu {
                adapter_index: 0,
                ..
            }
        ));
    }

    #[test]
    fn auto_passes_over_software_adapters() {
        let list = [adapter("llvmpipe", wgpu::DeviceType::Cpu)];
        let decision = decide(BackendChoice::Auto, &list, false).unwrap();
        assert!(matches!(decision, Decision::Cpu { .. }), "{decision:?}");
        assert!(decision.reason().contains("llvmpipe"));
    }

    #[test]
    fn auto_uses_a_named_software_adapter() {
        let list = [adapter("llvmpipe", wgpu::DeviceType::Cpu)];
        let decision = decide(BackendChoice::Auto, &list, true).unwrap();
        assert!(matches!(decision, Decision::Gpu { .. }));
    }

    #[test]
    fn auto_without_adapters_falls_back_with_a_hint() {
        let decision = decide(BackendChoice::Auto, &[], false).unwrap();
        assert!(matches!(decision, Decision::Cpu { .. }));
        assert!(decision.reason().contains("mesa-vulkan-drivers"));
    }

    #[test]
    fn forced_gpu_takes_software_and_errors_without_adapters() {
        let list = [adapter("llvmpipe", wgpu::DeviceType::Cpu)];
        let decision = decide(BackendChoice::Gpu, &list, false).unwrap();
        assert!(matches!(decision, Decision::Gpu { .. }));
        assert!(matches!(
            decide(BackendChoice::Gpu, &[], false),
            Err(GpuError::NoAdapter)
        ));
    }

    #[test]
    fn ranking_puts_hardware_first() {
        let software = adapter("llvmpipe", wgpu::DeviceType::Cpu);
        let hardware = adapter("RTX", wgpu::DeviceType::IntegratedGpu);
        assert!(adapters::rank(&hardware) > adapters::rank(&software));
    }
}
