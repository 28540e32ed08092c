//! The serialisable choice of a game, and the hand-over from it to generic code.

use serde::{Deserialize, Serialize};

use super::chess::adapter::ChessConfig;
use super::clique::CliqueConfig;
use super::{Game, GameError, GameInfo};
use crate::nn::spec::NetworkSpec;

/// Which game a run plays, with its settings. Written into run configurations as
/// `{"clique": {"n": 6, "k": 3, "mode": "symmetric"}}` or `{"chess": {"ply_cap": 512}}`;
/// configurations written before chess could be trained hold the clique settings bare,
/// and still load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", from = "StoredGame")]
pub enum GameSpec {
    Clique(CliqueConfig),
    Chess(ChessConfig),
}

/// How a [`GameSpec`] may be stored: tagged by game, or (format of earlier runs) the
/// clique settings alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredGame {
    Tagged(TaggedGame),
    BareClique(CliqueConfig),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum TaggedGame {
    Clique(CliqueConfig),
    Chess(ChessConfig),
}

impl From<StoredGame> for GameSpec {
    fn from(stored: StoredGame) -> Self {
        match stored {
            StoredGame::Tagged(TaggedGame::Clique(config)) | StoredGame::BareClique(config) => {
                GameSpec::Clique(config)
            }
            StoredGame::Tagged(TaggedGame::Chess(config)) => GameSpec::Chess(config),
        }
    }
}

impl Default for GameSpec {
    /// The main job's game: the clique game on K_6, k = 3, symmetric.
    fn default() -> Self {
        GameSpec::Clique(CliqueConfig {
            n: 6,
            k: 3,
            t: 3,
            mode: super::clique::Mode::Symmetric,
        })
    }
}

/// Generic code to run with the typed game of a [`GameSpec`].
pub trait GameVisitor {
    type Output;
    fn visit<G: Game>(self, game: G) -> Self::Output;
}

impl GameSpec {
    /// Runs `visitor` with the typed game.
    pub fn visit<V: GameVisitor>(&self, visitor: V) -> V::Output {
        match *self {
            GameSpec::Clique(config) => visitor.visit(config),
            GameSpec::Chess(config) => visitor.visit(config),
        }
    }

    /// The game's sizes, networks and defaults.
    pub fn info(&self) -> &dyn GameInfo {
        match self {
            GameSpec::Clique(config) => config,
            GameSpec::Chess(config) => config,
        }
    }

    /// Checks the game's own settings as its constructors do (for specs read from files).
    pub fn validate(&self) -> Result<(), GameError> {
        match *self {
            GameSpec::Clique(config) => {
                CliqueConfig::with_sizes(config.n, config.sizes(), config.mode).map(|_| ())
            }
            GameSpec::Chess(config) => ChessConfig::new(config.ply_cap).map(|_| ()),
        }
    }

    /// The game's name on the command line (`--game`).
    pub fn name(&self) -> &'static str {
        match self {
            GameSpec::Clique(_) => "clique",
            GameSpec::Chess(_) => "chess",
        }
    }
}

/// Settings a run of a game starts from (each can be changed by the run's configuration).
#[derive(Clone, Debug, PartialEq)]
pub struct PlayDefaults {
    pub network: NetworkSpec,
    pub games_in_flight: u32,
    /// Self-play moves per game in each iteration.
    pub moves_per_iteration: u32,
    /// Moves per game sampled in proportion to visits before play turns greedy.
    pub temperature_moves: u32,
    /// Random openings are `0..=random_opening` moves long.
    pub random_opening: u32,
    pub replay_capacity: u64,
    /// Games per evaluation match.
    pub evaluation_games: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::clique::Mode;

    #[test]
    fn specs_round_trip_and_bare_clique_settings_still_load() {
        let clique = GameSpec::Clique(CliqueConfig::new(6, 3, Mode::Avoid).unwrap());
        let chess = GameSpec::Chess(ChessConfig::new(300).unwrap());
        for spec in [clique, chess] {
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(
                serde_json::from_str::<GameSpec>(&text).unwrap(),
                spec,
                "{text}"
            );
        }
        assert_eq!(
            serde_json::to_value(clique).unwrap(),
            serde_json::json!({"clique": {"n": 6, "k": 3, "mode": "avoid"}})
        );
        let bare = r#"{"n": 6, "k": 3, "mode": "avoid"}"#;
        assert_eq!(serde_json::from_str::<GameSpec>(bare).unwrap(), clique);
        assert!(serde_json::from_str::<GameSpec>(r#"{"go": {"size": 19}}"#).is_err());
    }
}
