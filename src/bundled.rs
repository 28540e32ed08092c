//! Networks shipped inside the library: small trained MLPs for the clique game on K_6,
//! k = 3, one per mode, and a residual net for chess (what `wgzero uci` plays without
//! `--checkpoint`), so that playing and searching work with no run of one's own.
//! They are embedded with `include_bytes!` and load without a file system (the browser
//! build). Each is an inference export (`wgzero export`) of a `wgzero train` run, kept in
//! `assets/networks/<name>/`; docs/NETWORKS.md has the commands that made them, their
//! measured accuracy and how to regenerate them.
//!
//! What a user names on the command line (`--checkpoint bundled:avoid`) resolves through
//! [`CheckpointSource`](crate::evaluate::checkpoint::CheckpointSource).

use std::fmt;

use crate::games::chess::DEFAULT_PLY_CAP;
use crate::games::clique::{CliqueConfig, Mode};
use crate::games::{ChessConfig, GameSpec};
use crate::run_dir::RunDirError;
use crate::run_dir::checkpoint::Checkpoint;
use crate::train::config::TrainConfig;

/// Where the bundled networks lie, from the repository root: one folder per network,
/// named as the network, holding one checkpoint.
pub const NETWORKS_DIRECTORY: &str = "assets/networks";

/// The prefix that names a bundled network where a checkpoint is expected: `bundled`,
/// `bundled:MODE`, `bundled:NAME`.
pub const PREFIX: &str = "bundled";

/// One network shipped inside the library: a checkpoint's two files, embedded.
pub struct BundledNetwork {
    /// The game's label (`clique-n6-k3-avoid`, `chess`), which is also its folder's name
    /// under [`NETWORKS_DIRECTORY`].
    pub name: &'static str,
    /// The game it was trained for.
    pub game: GameSpec,
    /// The checkpoint's JSON file, as written by `wgzero export`.
    pub json: &'static [u8],
    /// The checkpoint's safetensors file (the parameters, f32).
    pub tensors: &'static [u8],
    /// The two files' names in the folder (`ckpt-<iteration:08>.json`, `.safetensors`).
    pub file_names: [&'static str; 2],
}

/// A bundled network: its folder under `assets/networks/`, its game and the iteration of
/// the checkpoint there (the files' names).
macro_rules! bundled_network {
    ($name:literal, $game:expr, $iteration:literal) => {
        BundledNetwork {
            name: $name,
            game: $game,
            json: include_bytes!(concat!(
                "../assets/networks/",
                $name,
                "/ckpt-",
                $iteration,
                ".json"
            )),
            tensors: include_bytes!(concat!(
                "../assets/networks/",
                $name,
                "/ckpt-",
                $iteration,
                ".safetensors"
            )),
            file_names: [
                concat!("ckpt-", $iteration, ".json"),
                concat!("ckpt-", $iteration, ".safetensors"),
            ],
        }
    };
}

/// The clique game on K_6, k = 3, in `mode`.
const fn k6(mode: Mode) -> GameSpec {
    GameSpec::Clique(CliqueConfig {
        n: 6,
        k: 3,
        t: 3,
        mode,
    })
}

/// Every bundled network. To replace one, export the new run into its folder (emptied
/// first) and change the iteration here: docs/NETWORKS.md.
pub static NETWORKS: [BundledNetwork; 4] = [
    bundled_network!("clique-n6-k3-symmetric", k6(Mode::Symmetric), "00000331"),
    bundled_network!("clique-n6-k3-asymmetric", k6(Mode::Asymmetric), "00000672"),
    bundled_network!("clique-n6-k3-avoid", k6(Mode::Avoid), "00000966"),
    bundled_network!(
        "chess",
        GameSpec::Chess(ChessConfig {
            ply_cap: DEFAULT_PLY_CAP
        }),
        "00001638"
    ),
];

impl BundledNetwork {
    /// How it is named where a checkpoint is expected, and in messages:
    /// `bundled:clique-n6-k3-avoid`.
    pub fn label(&self) -> String {
        format!("{PREFIX}:{}", self.name)
    }

    /// Its checkpoint, checked as one read from files (SHA-256 of the tensors, format).
    pub fn checkpoint(&self) -> Result<Checkpoint, RunDirError> {
        Checkpoint::from_bytes(&self.label(), self.json, self.tensors)
    }

    /// Its checkpoint and the run configuration it was trained with (the game, the
    /// network, the search settings `wgzero eval` measures with).
    pub fn load(&self) -> Result<(Checkpoint, TrainConfig), RunDirError> {
        let checkpoint = self.checkpoint()?;
        let config = TrainConfig::from_checkpoint(&checkpoint)?;
        Ok((checkpoint, config))
    }
}

impl fmt::Debug for BundledNetwork {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("BundledNetwork")
            .field("name", &self.name)
            .field("game", &self.game)
            .field("json_bytes", &self.json.len())
            .field("tensors_bytes", &self.tensors.len())
            .finish()
    }
}

impl PartialEq for BundledNetwork {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// The bundled network for `game`, or an error listing the boards that have one.
pub fn for_game(game: &GameSpec) -> Result<&'static BundledNetwork, BundledError> {
    NETWORKS
        .iter()
        .find(|network| network.game == *game)
        .ok_or(BundledError::NoNetwork { game: *game })
}

/// The bundled network a name or a mode names: `clique-n6-k3-avoid` or `avoid` (the
/// K_6, k = 3 network of that mode), `chess`; what follows `bundled:`.
pub fn by_name(name: &str) -> Result<&'static BundledNetwork, BundledError> {
    NETWORKS
        .iter()
        .find(|network| {
            network.name == name
                || matches!(network.game, GameSpec::Clique(clique) if clique.mode.name() == name)
        })
        .ok_or_else(|| BundledError::Unknown {
            spelling: format!("{PREFIX}:{name}"),
        })
}

/// A bundled network asked for and not there; the message lists what is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BundledError {
    #[error(
        "no network is bundled for {}: wgzero ships {}. Train one (wgzero train {}) and \
         pass its run directory as --checkpoint",
        game.info().label(),
        shipped(),
        train_flags(game)
    )]
    NoNetwork { game: GameSpec },
    #[error(
        "{spelling:?} names no bundled network: write {PREFIX} (the one for the game the \
         flags choose), {PREFIX}:MODE or {PREFIX}:NAME; wgzero ships {}",
        shipped()
    )]
    Unknown { spelling: String },
}

/// The bundled networks, for messages: `bundled:clique-n6-k3-symmetric, …, bundled:chess
/// (K_6, k = 3: bundled:MODE for short)`.
fn shipped() -> String {
    let labels: Vec<String> = NETWORKS.iter().map(BundledNetwork::label).collect();
    format!(
        "{} (K_6, k = 3: {PREFIX}:MODE for short)",
        labels.join(", ")
    )
}

/// The `wgzero train` flags of `game`.
fn train_flags(game: &GameSpec) -> String {
    match game {
        GameSpec::Clique(clique) => {
            format!(
                "--n {} --k {} --mode {}",
                clique.n,
                clique.sizes(),
                clique.mode
            )
        }
        GameSpec::Chess(_) => "--game chess".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_of_k6_k3_has_one_network_found_by_game_name_and_mode() {
        for mode in [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid] {
            let game = GameSpec::Clique(CliqueConfig::new(6, 3, mode).unwrap());
            let network = for_game(&game).unwrap();
            assert_eq!(network.game, game);
            assert_eq!(network.name, game.info().label());
            assert_eq!(by_name(network.name).unwrap(), network);
            assert_eq!(by_name(mode.name()).unwrap(), network);
        }
    }

    #[test]
    fn the_chess_network_is_found_by_game_and_name_and_loads_as_a_chess_run() {
        let game = GameSpec::Chess(ChessConfig::default());
        let network = for_game(&game).unwrap();
        assert_eq!(network.name, "chess");
        assert_eq!(network.name, game.info().label());
        assert_eq!(by_name("chess").unwrap(), network);
        let (checkpoint, config) = network.load().unwrap();
        assert_eq!(config.game, game);
        assert_eq!(checkpoint.record().iteration, 1638);
        // A chess game with another ply cap has no network.
        let capped = GameSpec::Chess(ChessConfig::new(100).unwrap());
        let message = for_game(&capped).unwrap_err().to_string();
        assert!(message.contains("chess-cap100"), "{message}");
        assert!(message.contains("bundled:chess"), "{message}");
    }

    #[test]
    fn a_board_without_a_network_says_which_boards_have_one() {
        let game = GameSpec::Clique(CliqueConfig::new(7, 3, Mode::Avoid).unwrap());
        let message = for_game(&game).unwrap_err().to_string();
        for needle in [
            "clique-n7-k3-avoid",
            "bundled:clique-n6-k3-symmetric",
            "bundled:clique-n6-k3-asymmetric",
            "bundled:clique-n6-k3-avoid",
            "wgzero train --n 7 --k 3 --mode avoid",
        ] {
            assert!(message.contains(needle), "{message} lacks {needle:?}");
        }
        let message = by_name("k7").unwrap_err().to_string();
        assert!(message.contains("\"bundled:k7\""), "{message}");
        assert!(message.contains("bundled:clique-n6-k3-avoid"), "{message}");
    }
}
