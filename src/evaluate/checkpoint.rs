//! A saved network, ready to evaluate: what `wgzero eval`, `search` and `play` load, named
//! as a user names it ([`CheckpointSource`]: a run directory, a checkpoint file or a
//! bundled network), and compiled into an evaluator ([`checkpoint_evaluator`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::EvaluateError;
use crate::backend::Compute;
use crate::bundled::{self, BundledError, BundledNetwork};
use crate::games::{GameInfo, GameSpec};
use crate::graph::Graph;
use crate::nn::{self, spec::NetworkSpec};
use crate::run_dir::checkpoint::{Checkpoint, Restore};
use crate::search::ProgramEvaluator;
use crate::train::config::TrainConfig;

/// What a `--checkpoint` argument names, for every front end (`wgzero play`, `eval` and
/// `search`, and the app) through one parser.
///
/// Spellings ([`CheckpointSource::parse`]):
/// - `bundled`: the [bundled network](crate::bundled) for the game the command's flags
///   choose (K_6, k = 3, symmetric unless they say otherwise);
/// - `bundled:MODE` (`bundled:avoid`) or `bundled:NAME` (`bundled:clique-n6-k3-avoid`): that
///   bundled network, whatever the flags;
/// - anything else: a path, as [`Checkpoint::load`] takes it (a run directory, meaning its
///   latest checkpoint; its `checkpoints/` folder; a checkpoint's `.json` or `.safetensors`
///   file). A folder named `bundled` is `./bundled`.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckpointSource {
    Path(PathBuf),
    /// A bundled network: the one named, or (`None`) the one for the command's game.
    Bundled(Option<&'static BundledNetwork>),
}

impl CheckpointSource {
    /// Parses a spelling (see the type); `bundled:` followed by a name or mode no bundled
    /// network has is an error listing those there are. Usable as a clap value parser.
    pub fn parse(text: &str) -> Result<Self, BundledError> {
        if text == bundled::PREFIX {
            return Ok(Self::Bundled(None));
        }
        match text
            .strip_prefix(bundled::PREFIX)
            .and_then(|rest| rest.strip_prefix(':'))
        {
            Some(name) => Ok(Self::Bundled(Some(bundled::by_name(name)?))),
            None => Ok(Self::Path(PathBuf::from(text))),
        }
    }

    /// Loads the checkpoint and the run configuration it was trained with. `game` is the
    /// game the command's flags choose (`GameSpec::default()` without flags), which a bare
    /// `bundled` follows; a path or a named network fixes its own game, and the caller
    /// decides whether flags that disagree with it are an error.
    pub fn load(&self, game: &GameSpec) -> Result<(Checkpoint, TrainConfig), EvaluateError> {
        let network = match self {
            Self::Path(path) => {
                let checkpoint = Checkpoint::load(path)?;
                let config = TrainConfig::from_checkpoint(&checkpoint)?;
                return Ok((checkpoint, config));
            }
            Self::Bundled(Some(network)) => network,
            Self::Bundled(None) => bundled::for_game(game)?,
        };
        Ok(network.load()?)
    }

    /// Whether it names a bundled network.
    pub fn is_bundled(&self) -> bool {
        matches!(self, Self::Bundled(_))
    }
}

impl FromStr for CheckpointSource {
    type Err = BundledError;

    fn from_str(text: &str) -> Result<Self, BundledError> {
        Self::parse(text)
    }
}

impl fmt::Display for CheckpointSource {
    /// The spelling it was parsed from, normalised (`bundled:NAME` for a named network).
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path(path) => write!(formatter, "{}", path.display()),
            Self::Bundled(None) => formatter.write_str(bundled::PREFIX),
            Self::Bundled(Some(network)) => formatter.write_str(&network.label()),
        }
    }
}

/// An inference program of `spec` for `game`, compiled on `compute` for `batch` positions
/// per call, holding `checkpoint`'s parameters. An error if the checkpoint was saved for
/// another network (the checkpoint module names the first difference).
pub fn checkpoint_evaluator(
    checkpoint: &Checkpoint,
    game: &dyn GameInfo,
    spec: &NetworkSpec,
    compute: &Compute,
    batch: usize,
) -> Result<ProgramEvaluator, EvaluateError> {
    let network = game.network(spec)?;
    let mut evaluator = ProgramEvaluator::new(network.as_ref(), compute, batch, 0)?;
    // The program's persistent values, by name and shape, come from the graph it was
    // compiled from; building that graph again gives the same list.
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), batch);
    checkpoint.restore(
        &game.network_descriptor(spec),
        &graph,
        evaluator.program_mut(),
        Restore::Inference,
    )?;
    Ok(evaluator)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::clique::Mode;

    #[test]
    fn spellings_parse_to_paths_and_bundled_networks() {
        assert_eq!(
            CheckpointSource::parse("bundled").unwrap(),
            CheckpointSource::Bundled(None)
        );
        for spelling in ["bundled:avoid", "bundled:clique-n6-k3-avoid"] {
            let CheckpointSource::Bundled(Some(network)) =
                CheckpointSource::parse(spelling).unwrap()
            else {
                panic!("{spelling} is not a bundled network");
            };
            assert!(matches!(network.game, GameSpec::Clique(clique) if clique.mode == Mode::Avoid));
            assert_eq!(
                CheckpointSource::parse(spelling).unwrap().to_string(),
                "bundled:clique-n6-k3-avoid"
            );
        }
        for path in [
            "runs/x",
            "./bundled",
            "bundled/ckpt-00000001.json",
            "bundledx",
        ] {
            assert_eq!(
                CheckpointSource::parse(path).unwrap(),
                CheckpointSource::Path(PathBuf::from(path))
            );
        }
        assert!(matches!(
            CheckpointSource::parse("bundled:draw"),
            Err(BundledError::Unknown { .. })
        ));
        assert!(matches!(
            CheckpointSource::parse("bundled:"),
            Err(BundledError::Unknown { .. })
        ));
    }
}
