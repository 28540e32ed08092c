//! `wgzero arena`: chess matches between two players (a checkpoint's agent, another
//! checkpoint, a UCI engine such as Stockfish, the random mover or the one-ply
//! material-greedy player), games run concurrently, openings played with both colours,
//! the score reported as an Elo difference ([`elo`]) and every game written as PGN.
//!
//! - [`player`]: the [`Player`] trait, the built-in movers, UCI engines as child processes;
//! - [`agent`]: wgzero's agent, a checkpoint's network with the engine's tree search;
//! - [`openings`]: random balanced starts; [`elo`]: the statistics; [`curve`]: a run's
//!   results over training time and their plot.

pub mod agent;
pub mod curve;
pub mod elo;
pub mod openings;
pub mod player;

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use agent::AgentSpec;
pub use elo::{EloEstimate, Tally};
pub use player::{GreedyMover, Player, RandomMover, UciEngine, UciEngineSpec, UciLimit};

use crate::games::chess::pgn::{self, PgnTags};
use crate::games::chess::{ChessGame, Color, Move, Outcome};

#[derive(Debug, thiserror::Error)]
pub enum ArenaError {
    /// A setting to change (exit code 2).
    #[error("{0}")]
    Settings(String),
    /// A UCI engine could not be started or stopped answering.
    #[error("engine: {0}")]
    Engine(String),
    /// A player broke the rules (an illegal or unreadable move): it loses the game.
    #[error("{0}")]
    Forfeit(String),
    #[error("agent: {0}")]
    Agent(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Who plays, and how hard each side may think.
#[derive(Clone, Debug)]
pub enum PlayerSpec {
    Agent(AgentSpec),
    Uci(UciEngineSpec),
    Random,
    Greedy,
}

impl PlayerSpec {
    /// A fresh player; `seed` makes the built-in movers' choices repeatable.
    pub fn build(&self, seed: u64) -> Result<Box<dyn Player>, ArenaError> {
        Ok(match self {
            Self::Agent(spec) => Box::new(spec.build()?),
            Self::Uci(spec) => Box::new(UciEngine::start(spec)?),
            Self::Random => Box::new(RandomMover::new(seed)),
            Self::Greedy => Box::new(GreedyMover::new(seed)),
        })
    }
}

impl fmt::Display for PlayerSpec {
    /// The player and its search budget, as reports state it.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Agent(spec) => write!(formatter, "{spec}"),
            Self::Uci(spec) => {
                write!(formatter, "{}", spec.command.join(" "))?;
                for (name, value) in &spec.options {
                    write!(formatter, ", {name} = {value}")?;
                }
                write!(formatter, ", {}", spec.limit)
            }
            Self::Random => formatter.write_str("the uniform random mover"),
            Self::Greedy => formatter.write_str("the one-ply material-greedy player"),
        }
    }
}

/// How a match is played.
#[derive(Clone, Debug)]
pub struct MatchSettings {
    pub games: usize,
    /// Games played at once (each with its own pair of players).
    pub concurrency: usize,
    pub seed: u64,
    /// Written into every game's PGN.
    pub event: String,
    /// The match stops after this long: no game starts after it, and the games still
    /// being played are abandoned (not counted). `None` plays every game.
    pub time_limit: Option<Duration>,
}

/// One finished game.
#[derive(Clone, Debug, Serialize)]
pub struct GameRecord {
    /// 0-based; game `2i` and `2i + 1` share opening `i` with colours swapped.
    pub index: usize,
    pub first_is_white: bool,
    /// The first player's points: 1, ½ or 0.
    pub first_points: f64,
    /// "1-0", "0-1" or "1/2-1/2".
    pub result: String,
    /// Why the game ended ("checkmate", "threefold repetition", "forfeit: …").
    pub termination: String,
    pub plies: usize,
    #[serde(skip)]
    pub pgn: String,
}

/// A match's outcome from the first player's view.
#[derive(Clone, Debug, Serialize)]
pub struct MatchReport {
    pub first: String,
    pub second: String,
    pub games: usize,
    #[serde(flatten)]
    pub tally: Tally,
    #[serde(flatten)]
    pub estimate: EloEstimate,
    pub seconds: f64,
    /// Whether the time limit ended the match before all its games were played (then
    /// `games` counts the finished ones).
    pub stopped_by_time_limit: bool,
}

/// Plays `settings.games` games between `first` and `second`: game `g` starts with the
/// opening `g / 2`, the first player white in even games. `on_game` hears each game as it
/// ends (in the order they end). With a time limit, a match that finished no game at all
/// is an error naming the limit.
pub fn play_match(
    first: &PlayerSpec,
    second: &PlayerSpec,
    openings: &[Vec<Move>],
    settings: &MatchSettings,
    on_game: &mut dyn FnMut(&GameRecord, &Tally) -> Result<(), ArenaError>,
) -> Result<MatchReport, ArenaError> {
    if settings.games == 0 {
        return Err(ArenaError::Settings("--games must be at least 1".into()));
    }
    if openings.len() < settings.games.div_ceil(2) {
        return Err(ArenaError::Settings(format!(
            "{} games need {} openings, not {}",
            settings.games,
            settings.games.div_ceil(2),
            openings.len()
        )));
    }
    let started = Instant::now();
    let deadline = settings.time_limit.map(|limit| started + limit);
    let next = AtomicUsize::new(0);
    let workers = settings.concurrency.clamp(1, settings.games);
    let (sender, receiver) = channel::<Result<Option<GameRecord>, ArenaError>>();
    let mut tally = Tally::default();
    let mut failure = None;
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                let seed = settings
                    .seed
                    .wrapping_mul(1_000_003)
                    .wrapping_add(worker as u64);
                let mut players = match (first.build(seed), second.build(seed ^ 0x5EED)) {
                    (Ok(a), Ok(b)) => [a, b],
                    (Err(error), _) | (_, Err(error)) => {
                        let _ = sender.send(Err(error));
                        return;
                    }
                };
                loop {
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= settings.games {
                        return;
                    }
                    let record = play_game(
                        &mut players,
                        &[first, second],
                        index,
                        &openings[index / 2],
                        settings,
                        seed,
                        deadline,
                    );
                    let failed = record.is_err();
                    if sender.send(record).is_err() || failed {
                        // Stop the others: no index is left to take.
                        next.store(settings.games, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
        drop(sender);
        for record in receiver {
            match record {
                Ok(None) => {}
                Ok(Some(record)) if failure.is_none() => {
                    tally.add(record.first_points);
                    if let Err(error) = on_game(&record, &tally) {
                        failure = Some(error);
                        next.store(settings.games, Ordering::Relaxed);
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    let stopped_by_time_limit = (tally.games() as usize) < settings.games;
    if tally.games() == 0 {
        let minutes = settings.time_limit.unwrap_or_default().as_secs_f64() / 60.0;
        return Err(ArenaError::Settings(format!(
            "no game of the match finished within its time limit ({minutes} minutes): \
             raise --match-minutes or lower --sims"
        )));
    }
    Ok(MatchReport {
        first: first.to_string(),
        second: second.to_string(),
        games: tally.games() as usize,
        tally,
        estimate: tally.estimate(),
        seconds: started.elapsed().as_secs_f64(),
        stopped_by_time_limit,
    })
}

/// Plays one game. A player's failure loses the game by forfeit and the player is started
/// again for the next game; a player that cannot be started again ends the match. A game
/// still being played at `deadline` is abandoned: `None`.
fn play_game(
    players: &mut [Box<dyn Player>; 2],
    specs: &[&PlayerSpec; 2],
    index: usize,
    opening: &[Move],
    settings: &MatchSettings,
    seed: u64,
    deadline: Option<Instant>,
) -> Result<Option<GameRecord>, ArenaError> {
    let first_is_white = index.is_multiple_of(2);
    // order[0] plays white and order[1] black (0 is the first player, 1 the second).
    let order: [usize; 2] = if first_is_white { [0, 1] } else { [1, 0] };
    let mut game = ChessGame::default();
    for &chess_move in opening {
        game.play(chess_move).map_err(|error| {
            ArenaError::Settings(format!("opening {}: {error}", openings::describe(opening)))
        })?;
    }
    let mut forfeit = None;
    for &player in &order {
        if let Err(error) = players[player].new_game() {
            forfeit = Some((player, error));
        }
    }
    while forfeit.is_none() && game.outcome().is_none() {
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return Ok(None);
        }
        let mover = match game.position().side_to_move() {
            Color::White => order[0],
            Color::Black => order[1],
        };
        let chosen = players[mover].choose(&game).and_then(|chess_move| {
            let text = crate::games::chess::notation::uci(chess_move);
            game.play(chess_move).map_err(|_| {
                ArenaError::Forfeit(format!(
                    "{} played the illegal move {text}",
                    players[mover].name()
                ))
            })
        });
        if let Err(error) = chosen {
            forfeit = Some((mover, error));
        }
    }
    let tags = PgnTags {
        event: settings.event.clone(),
        site: "wgzero arena".into(),
        date: pgn_date(),
        round: (index + 1).to_string(),
        white: players[order[0]].name(),
        black: players[order[1]].name(),
        forfeit: forfeit.as_ref().map(|(player, error)| {
            let color = if *player == order[0] {
                Color::White
            } else {
                Color::Black
            };
            (color, error.to_string())
        }),
    };
    let pgn = pgn::export(&game, &tags);
    let (result, termination) = match &forfeit {
        Some((player, error)) => {
            let result = if *player == order[0] { "0-1" } else { "1-0" };
            (result.to_owned(), format!("forfeit: {error}"))
        }
        None => (
            pgn::result_text(&game).to_owned(),
            outcome_text(game.outcome()),
        ),
    };
    let white_points = match result.as_str() {
        "1-0" => 1.0,
        "0-1" => 0.0,
        _ => 0.5,
    };
    if let Some((player, _)) = forfeit {
        // A crashed or hung engine is started again; one that cannot be ends the match.
        players[player] = specs[player].build(seed.wrapping_add(index as u64))?;
    }
    Ok(Some(GameRecord {
        index,
        first_is_white,
        first_points: if first_is_white {
            white_points
        } else {
            1.0 - white_points
        },
        result,
        termination,
        plies: game.moves().len(),
        pgn,
    }))
}

fn outcome_text(outcome: Option<Outcome>) -> String {
    match outcome {
        Some(outcome) => pgn::termination_text(outcome).to_owned(),
        None => "unfinished".to_owned(),
    }
}

/// Today's date as PGN writes it, "YYYY.MM.DD" (UTC).
fn pgn_date() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!("{year:04}.{month:02}.{day:02}")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends each game's PGN to `writer` as it ends, flushed, so a killed match keeps every
/// finished game.
pub fn append_pgn(writer: &mut impl Write, record: &GameRecord) -> Result<(), ArenaError> {
    writer.write_all(record.pgn.as_bytes())?;
    writer.write_all(b"\n")?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_793), (2026, 12, 6));
    }

    #[test]
    fn greedy_beats_random_and_every_game_is_recorded() {
        let openings =
            openings::openings(10, 4, &openings::OpeningSource::Random, 5, &mut |_| {}).unwrap();
        let settings = MatchSettings {
            games: 20,
            concurrency: 2,
            seed: 1,
            event: "test".into(),
            time_limit: None,
        };
        let mut seen = Vec::new();
        let report = play_match(
            &PlayerSpec::Greedy,
            &PlayerSpec::Random,
            &openings,
            &settings,
            &mut |record, _| {
                seen.push(record.clone());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(report.games, 20);
        seen.sort_by_key(|record| record.index);
        assert_eq!(
            seen.iter().map(|record| record.index).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );
        for pair in seen.chunks(2) {
            assert!(pair[0].first_is_white && !pair[1].first_is_white);
            let opening = openings::describe(&openings[pair[0].index / 2]);
            for record in pair {
                assert!(
                    record
                        .pgn
                        .contains(&format!("[Round \"{}\"]", record.index + 1))
                );
                assert!(record.plies >= 4, "{opening}");
            }
        }
        assert!(
            report.tally.wins > report.tally.losses,
            "{:?}",
            report.tally
        );
        assert!(!report.stopped_by_time_limit);
    }

    #[test]
    fn a_time_limit_ends_the_match_with_the_games_finished_counted() {
        let openings =
            openings::openings(50_000, 4, &openings::OpeningSource::Random, 5, &mut |_| {})
                .unwrap();
        let mut settings = MatchSettings {
            games: 100_000,
            concurrency: 2,
            seed: 1,
            event: "test".into(),
            time_limit: Some(Duration::from_millis(300)),
        };
        let mut heard = 0;
        let report = play_match(
            &PlayerSpec::Greedy,
            &PlayerSpec::Random,
            &openings,
            &settings,
            &mut |_, _| {
                heard += 1;
                Ok(())
            },
        )
        .unwrap();
        assert!(report.stopped_by_time_limit);
        assert!(
            report.games >= 1 && report.games < 100_000,
            "{}",
            report.games
        );
        assert_eq!(report.games, heard);
        assert_eq!(report.tally.games() as usize, report.games);

        settings.time_limit = Some(Duration::ZERO);
        let error = play_match(
            &PlayerSpec::Greedy,
            &PlayerSpec::Random,
            &openings,
            &settings,
            &mut |_, _| Ok(()),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("--match-minutes"), "{error}");
    }
}
