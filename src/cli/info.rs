//! `wgzero info`: every adapter with the features and limits that matter to wgzero, and the
//! backend wgzero would use.

use clap::Args;
use serde::Serialize;
use wgzero::backend::{self, Compute};
use wgzero::gpu::{self, AdapterReport, adapters};

use super::GlobalOptions;

#[derive(Args)]
pub struct InfoArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct InfoReport {
    adapters: Vec<AdapterReport>,
    chosen_backend: String,
    chosen_adapter: Option<String>,
    reason: String,
    /// Elements the GPU self-test checked on the chosen adapter, if a GPU was chosen.
    self_test_elements: Option<u32>,
    cpu_threads: usize,
}

pub fn run(global: &GlobalOptions, args: &InfoArgs) -> anyhow::Result<()> {
    let instance = adapters::instance();
    let reports: Vec<AdapterReport> = adapters::enumerate(&instance)
        .iter()
        .map(AdapterReport::of)
        .collect();
    let resolved = backend::resolve(global.backend, global.adapter.as_deref())?;
    let (chosen_adapter, self_test_elements) = match &resolved.compute {
        Compute::Cpu => (None, None),
        Compute::Gpu(gpu) => (
            Some(gpu.info.name.clone()),
            Some(gpu::self_test(gpu, 4099, 0x5eed)?),
        ),
    };
    let report = InfoReport {
        adapters: reports,
        chosen_backend: match resolved.compute {
            Compute::Cpu => "cpu".to_owned(),
            Compute::Gpu(_) => "gpu".to_owned(),
        },
        chosen_adapter,
        reason: resolved.reason,
        self_test_elements,
        cpu_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

fn mebibytes(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

fn print_text(report: &InfoReport) {
    println!("GPU adapters, best first:");
    if report.adapters.is_empty() {
        println!("  none — {}", adapters::NO_ADAPTER_HINT);
    }
    for (index, adapter) in report.adapters.iter().enumerate() {
        let kind = if adapter.is_software {
            "software"
        } else {
            "hardware"
        };
        println!(
            "  [{index}] {} — {} {} ({kind})",
            adapter.name, adapter.backend, adapter.device_type
        );
        println!("      driver: {} {}", adapter.driver, adapter.driver_info);
        let features = if adapter.features.is_empty() {
            "none".to_owned()
        } else {
            adapter.features.join(" ")
        };
        println!("      optional features: {features}");
        println!(
            "      subgroup size {}..{}; storage binding {}; buffer {}; {} storage buffers per \
             stage; {} KiB workgroup memory; {} invocations per workgroup (x ≤ {}); {} \
             workgroups per dimension",
            adapter.subgroup_min_size,
            adapter.subgroup_max_size,
            mebibytes(adapter.max_storage_buffer_binding_bytes),
            mebibytes(adapter.max_buffer_bytes),
            adapter.max_storage_buffers_per_shader_stage,
            adapter.max_compute_workgroup_storage_bytes / 1024,
            adapter.max_compute_invocations_per_workgroup,
            adapter.max_compute_workgroup_size_x,
            adapter.max_compute_workgroups_per_dimension,
        );
    }
    match &report.chosen_adapter {
        Some(name) => println!("wgzero would use: the GPU backend on {name}"),
        None => println!(
            "wgzero would use: the CPU backend ({} threads)",
            report.cpu_threads
        ),
    }
    println!("  because: {}", report.reason);
    if let Some(elements) = report.self_test_elements {
        println!("  GPU self-test: {elements} elements computed and checked against the CPU");
    }
}
