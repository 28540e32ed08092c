//! `wgzero export`: a copy of a checkpoint for inference, to share or to ship
//! (`assets/networks/`, docs/NETWORKS.md): the parameters without the optimizer state and
//! the last iteration's metrics only, written as a run writes checkpoints.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use wgzero::evaluate::checkpoint::CheckpointSource;
use wgzero::games::GameSpec;

const LONG_ABOUT: &str = "\
Write a copy of a checkpoint for inference into a new or empty folder.

The copy holds the network's parameters (not the optimizer's state) and the metrics of \
its last iteration only (not the run's history), so it is a fraction of the size; the rest \
of the JSON (format version, network, run configuration, iteration, the tensors' size and \
SHA-256) is as in the original. It loads and verifies like any checkpoint: --checkpoint \
FOLDER in eval, play and search. It cannot resume a run. This is how the bundled \
networks in assets/networks/ were made (docs/NETWORKS.md).";

#[derive(Args)]
#[command(
    about = "Write a checkpoint's copy for inference (parameters, last metrics) into a folder",
    long_about = LONG_ABOUT
)]
pub struct ExportArgs {
    /// A run directory (its latest checkpoint), its checkpoints/ folder, a checkpoint's
    /// .json or .safetensors file, or bundled:MODE.
    #[arg(long, value_name = "RUN_DIR_OR_FILE", value_parser = CheckpointSource::parse)]
    checkpoint: CheckpointSource,
    /// The folder to write ckpt-<iteration>.json and .safetensors into: new, or holding
    /// no checkpoint.
    #[arg(long, value_name = "FOLDER")]
    out: PathBuf,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let (checkpoint, _) = args
        .checkpoint
        .load(&GameSpec::default())
        .with_context(|| format!("--checkpoint {}", args.checkpoint))?;
    let saved = checkpoint
        .export_for_inference(&args.out)
        .with_context(|| format!("--out {}", args.out.display()))?;
    let tensors = saved.path.with_extension("safetensors");
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |meta| meta.len());
    println!(
        "exported iteration {} of {} to {} ({} bytes) and {} ({} bytes)",
        saved.iteration,
        checkpoint.path().display(),
        saved.path.display(),
        size(&saved.path),
        tensors.display(),
        size(&tensors)
    );
    Ok(())
}
