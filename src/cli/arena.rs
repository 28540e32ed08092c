//! `wgzero arena`: a chess checkpoint's matches against engines and built-in players, with
//! the score as an Elo difference and every game written as PGN.

use std::fs::OpenOptions;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;
use wgzero::arena::curve::{self, ResultLine};
use wgzero::arena::openings::{self, OpeningSource};
use wgzero::arena::{
    AgentSpec, ArenaError, GameRecord, MatchReport, MatchSettings, PlayerSpec, Tally,
    UciEngineSpec, UciLimit, append_pgn, play_match,
};
use wgzero::backend::Compute;
use wgzero::evaluate::checkpoint::CheckpointSource;
use wgzero::uci::engine::{DEFAULT_BATCH_CPU, DEFAULT_BATCH_GPU};

use super::GlobalOptions;

const LONG_ABOUT: &str = "\
Play a chess checkpoint against opponents and report, for each, the score, the Elo \
difference with its 95 % interval and the likelihood of superiority; every game is written \
as PGN as soon as it ends.

Opponents (--opponent, repeatable; one match each, in order):
  random                the uniformly random mover
  greedy                the one-ply material-greedy player (mates in one if it can, else \
takes the most material)
  stockfish[;…]         Stockfish, as uci:stockfish
  uci:COMMAND[;…]       any UCI engine: COMMAND is the program and its arguments; after it, \
`;`-separated NAME=VALUE pairs: nodes=N, movetime=MS or depth=D limit its moves \
(default movetime=100), anything else is a UCI option (setoption), e.g. \
'stockfish;Skill Level=0' or 'stockfish;UCI_LimitStrength=true;UCI_Elo=1350;movetime=100'
  checkpoint:RUN[;…]    another chess checkpoint; sims=N, movetime=MS (default: this \
command's --sims and --movetime)

The checkpoint searches each move with the UCI engine's tree search: --sims simulations \
(default 800), or --movetime milliseconds (then --sims caps it). The budget is stated with \
every result.

Colours alternate: games 2i and 2i+1 share opening i with colours swapped. Openings are \
--opening-plies random plies (default 4), kept when --opening-engine (default stockfish) at \
depth --opening-depth (10) scores them within ±--opening-window centipawns (50); \
--openings random skips the scoring, --openings start plays every game from the start.

With a run directory as --checkpoint, each match is also appended to \
RUN_DIR/arena/results.jsonl (the checkpoint's iteration and training minutes, the score and \
Elo), and RUN_DIR/arena/elo.png plots Elo against training minutes per opponent: run the \
arena after each training session for the strength curve of a long run. --plot-only \
redraws that plot from results.jsonl and plays nothing (after results were merged from \
another machine, say).

Elo: score s = (wins + draws/2) / games, Elo = −400·log10(1/s − 1); the interval maps \
s ± 1.96·σ/√games (σ the spread of one game's result); the likelihood of superiority is \
½(1 + erf((wins − losses)/√(2(wins + losses)))).";

#[derive(Args)]
#[command(
    about = "Play a chess checkpoint against engines and built-in players: score, Elo with \
             a 95 % interval, PGN",
    long_about = LONG_ABOUT
)]
pub struct ArenaArgs {
    /// The chess checkpoint: a run directory (its latest checkpoint), its checkpoints/
    /// folder, or a checkpoint's .json or .safetensors file.
    #[arg(long, value_name = "RUN_DIR_OR_FILE", value_parser = CheckpointSource::parse)]
    checkpoint: CheckpointSource,
    /// An opponent (see above); repeat for several matches.
    #[arg(long, value_name = "SPEC", default_value = "random")]
    opponent: Vec<String>,
    /// Games per match (colours alternate, so an even number plays each opening twice).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    games: u32,
    /// Stop each match after this many minutes: no game starts after it, games still
    /// being played are abandoned, and the result counts the games finished.
    #[arg(long, value_name = "MINUTES", value_parser = |text: &str| super::settings::minutes_up_to(text, 1e6))]
    match_minutes: Option<f64>,
    /// Games played at once, each with its own players [default: the CPU cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    concurrency: Option<u32>,
    /// The checkpoint's simulations per move (a cap with --movetime).
    #[arg(long, default_value_t = 800, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    sims: u32,
    /// The checkpoint's thinking time per move in milliseconds, instead of a fixed
    /// number of simulations.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    movetime: Option<u64>,
    /// Leaves the checkpoint's search evaluates per network call [default: the UCI
    /// engine's, 8 on the CPU backend and 64 on a GPU].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    batch: Option<u32>,
    /// Where the openings come from.
    #[arg(long, value_enum, default_value_t = OpeningKind::Scored)]
    openings: OpeningKind,
    /// The UCI engine scoring the openings (program and arguments).
    #[arg(long, value_name = "COMMAND", default_value = "stockfish")]
    opening_engine: String,
    /// The depth the openings are scored at.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    opening_depth: u32,
    /// The largest score, in centipawns either way, an opening may have.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i32).range(0..=10_000))]
    opening_window: i32,
    /// Random plies per opening.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=40))]
    opening_plies: u32,
    /// The PGN file games are appended to [default: RUN_DIR/arena/arena-<unix time>.pgn
    /// for a run directory, else arena-<unix time>.pgn here].
    #[arg(long, value_name = "FILE")]
    pgn: Option<PathBuf>,
    /// Seeds the openings and the built-in players' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// One JSON line per match on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Redraw RUN_DIR/arena/elo.png from RUN_DIR/arena/results.jsonl and play nothing.
    #[arg(long)]
    plot_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OpeningKind {
    /// Random plies scored by --opening-engine, balanced ones kept.
    Scored,
    /// Random plies, unscored.
    Random,
    /// Every game from the standard start.
    Start,
}

/// One match's JSON line.
#[derive(Serialize)]
struct MatchLine<'a> {
    #[serde(flatten)]
    report: &'a MatchReport,
    openings: &'a str,
    pgn: &'a Path,
}

pub fn run(global: &GlobalOptions, args: &ArenaArgs) -> anyhow::Result<()> {
    if args.plot_only {
        return plot_only(&args.checkpoint);
    }
    let compute = global.compute()?;
    let movetime = args.movetime.map(Duration::from_millis);
    let agent = AgentSpec::load(
        &args.checkpoint,
        &compute,
        args.sims,
        movetime,
        batch(args, &compute),
    )?;
    let opponents = args
        .opponent
        .iter()
        .map(|text| {
            opponent(text, &compute, args, movetime).with_context(|| format!("--opponent {text}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pgn_path = args
        .pgn
        .clone()
        .unwrap_or_else(|| default_pgn_path(&args.checkpoint));
    if let Some(parent) = pgn_path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("--pgn: cannot create {}", parent.display()))?;
    }
    let mut pgn = BufWriter::new(
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&pgn_path)
            .with_context(|| format!("--pgn: cannot open {}", pgn_path.display()))?,
    );
    let source = opening_source(args)?;
    let count = args.games.div_ceil(2) as usize;
    eprintln!("openings: {count} ({})", opening_text(args));
    let openings =
        openings::openings(count, args.opening_plies, &source, args.seed, &mut |kept| {
            if kept % 10 == 0 || kept == count {
                eprint!("\ropenings: {kept}/{count}");
            }
        })?;
    eprintln!();
    let concurrency = args.concurrency.map_or_else(
        || std::thread::available_parallelism().map_or(1, |cores| cores.get()),
        |count| count as usize,
    );
    let first = PlayerSpec::Agent(agent.clone());
    for (index, second) in opponents.iter().enumerate() {
        eprintln!("match {}: {first} against {second}", index + 1);
        let settings = MatchSettings {
            games: args.games as usize,
            concurrency,
            seed: args.seed.wrapping_add(index as u64),
            event: format!("wgzero arena: {} vs {}", agent.label, second),
            time_limit: args
                .match_minutes
                .map(|minutes| Duration::from_secs_f64(minutes * 60.0)),
        };
        let report = play_match(
            &first,
            second,
            &openings,
            &settings,
            &mut |record, tally| {
                append_pgn(&mut pgn, record)?;
                eprintln!("{}", game_line(record, tally, args.games));
                Ok(())
            },
        )?;
        if let Some(run_dir) = run_directory(&args.checkpoint) {
            curve::append(&run_dir, &result_line(&agent, second, &report))?;
        }
        if args.json {
            let line = MatchLine {
                report: &report,
                openings: &opening_text(args),
                pgn: &pgn_path,
            };
            println!("{}", serde_json::to_string(&line)?);
        } else {
            println!("{}", report_text(&report));
        }
    }
    eprintln!("PGN: {}", pgn_path.display());
    if let Some(run_dir) = run_directory(&args.checkpoint) {
        let plot = curve::write_plot(&run_dir)?;
        eprintln!(
            "Elo over training time: {} (from {})",
            plot.display(),
            run_dir.join("arena").join(curve::RESULTS_FILE).display()
        );
    }
    Ok(())
}

/// `--plot-only`: the run's Elo curve redrawn from the results it holds.
fn plot_only(checkpoint: &CheckpointSource) -> anyhow::Result<()> {
    let run_dir = run_directory(checkpoint).ok_or_else(|| {
        ArenaError::Settings(
            "--plot-only needs a run directory as --checkpoint (one holding checkpoints/ and \
             arena/results.jsonl)"
                .into(),
        )
    })?;
    let results = run_dir.join("arena").join(curve::RESULTS_FILE);
    if curve::read(&run_dir)?.is_empty() {
        return Err(ArenaError::Settings(format!(
            "--plot-only: {} holds no results yet; play a match with --checkpoint {} first",
            results.display(),
            run_dir.display()
        ))
        .into());
    }
    let plot = curve::write_plot(&run_dir)?;
    println!("{} (from {})", plot.display(), results.display());
    Ok(())
}

/// The run directory `--checkpoint` names, if it names one (results and the Elo curve
/// are kept there).
fn run_directory(checkpoint: &CheckpointSource) -> Option<PathBuf> {
    match checkpoint {
        CheckpointSource::Path(path) if path.join("checkpoints").is_dir() => Some(path.clone()),
        _ => None,
    }
}

fn result_line(agent: &AgentSpec, opponent: &PlayerSpec, report: &MatchReport) -> ResultLine {
    ResultLine {
        iteration: agent.iteration(),
        training_minutes: agent.training_minutes(),
        opponent: opponent.to_string(),
        budget: agent.budget(),
        games: report.games as u32,
        wins: report.tally.wins,
        draws: report.tally.draws,
        losses: report.tally.losses,
        score: report.estimate.score,
        elo: report.estimate.elo,
        elo_low: report.estimate.elo_low,
        elo_high: report.estimate.elo_high,
        unix_seconds: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
    }
}

fn opening_text(args: &ArenaArgs) -> String {
    match args.openings {
        OpeningKind::Scored => format!(
            "{} random plies, {} at depth {} within ±{} cp",
            args.opening_plies, args.opening_engine, args.opening_depth, args.opening_window
        ),
        OpeningKind::Random => format!("{} random plies, unscored", args.opening_plies),
        OpeningKind::Start => "the standard start".to_owned(),
    }
}

fn opening_source(args: &ArenaArgs) -> anyhow::Result<OpeningSource> {
    Ok(match args.openings {
        OpeningKind::Scored => OpeningSource::Scored {
            engine: UciEngineSpec {
                command: engine_command(&args.opening_engine).context(
                    "--opening-engine: openings are scored by a UCI engine (install stockfish, \
                     e.g. apt install stockfish, or name one), or pass --openings random",
                )?,
                options: Vec::new(),
                limit: UciLimit::Depth(args.opening_depth),
            },
            window: args.opening_window,
        },
        OpeningKind::Random => OpeningSource::Random,
        OpeningKind::Start => OpeningSource::Start,
    })
}

/// A program and its arguments, the program looked up on PATH and in /usr/games (where
/// Debian installs stockfish, not always on root's PATH).
fn engine_command(text: &str) -> Result<Vec<String>, ArenaError> {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let Some(program) = words.first() else {
        return Err(ArenaError::Settings("the engine command is empty".into()));
    };
    if !program.contains('/') {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/games")])
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file());
        match found {
            Some(found) => words[0] = found.to_string_lossy().into_owned(),
            None => {
                return Err(ArenaError::Settings(format!(
                    "{program:?} is not on PATH (nor in /usr/games)"
                )));
            }
        }
    }
    Ok(words)
}

/// `--batch`, or the UCI engine's default for the backend.
fn batch(args: &ArenaArgs, compute: &Compute) -> usize {
    args.batch.map_or(
        match compute {
            Compute::Cpu => DEFAULT_BATCH_CPU,
            Compute::Gpu(_) => DEFAULT_BATCH_GPU,
        },
        |batch| batch as usize,
    )
}

/// Parses an `--opponent` spec (see the long help).
fn opponent(
    text: &str,
    compute: &Compute,
    args: &ArenaArgs,
    movetime: Option<Duration>,
) -> anyhow::Result<PlayerSpec> {
    let mut parts = text.split(';').map(str::trim);
    let head = parts.next().unwrap_or("");
    let pairs = parts
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.split_once('=')
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .ok_or_else(|| ArenaError::Settings(format!("{part:?} is not NAME=VALUE")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let number = |name: &str, value: &str| -> Result<u64, ArenaError> {
        value
            .parse::<u64>()
            .ok()
            .filter(|&number| number > 0)
            .ok_or_else(|| {
                ArenaError::Settings(format!("{name}={value}: expected a whole number ≥ 1"))
            })
    };
    let no_pairs = |name: &str| -> Result<(), ArenaError> {
        match pairs.first() {
            Some((key, _)) => Err(ArenaError::Settings(format!(
                "{name} takes no settings, got {key}"
            ))),
            None => Ok(()),
        }
    };
    if head == "random" {
        no_pairs("random")?;
        return Ok(PlayerSpec::Random);
    }
    if head == "greedy" {
        no_pairs("greedy")?;
        return Ok(PlayerSpec::Greedy);
    }
    if let Some(run) = head.strip_prefix("checkpoint:") {
        let mut sims = args.sims;
        let mut time = movetime;
        for (name, value) in &pairs {
            match name.as_str() {
                "sims" => sims = u32::try_from(number(name, value)?).unwrap_or(u32::MAX),
                "movetime" => time = Some(Duration::from_millis(number(name, value)?)),
                _ => {
                    return Err(ArenaError::Settings(format!(
                        "checkpoint opponents take sims= and movetime=, not {name}"
                    ))
                    .into());
                }
            }
        }
        let source = CheckpointSource::parse(run)?;
        return Ok(PlayerSpec::Agent(AgentSpec::load(
            &source,
            compute,
            sims,
            time,
            batch(args, compute),
        )?));
    }
    let command = match head.strip_prefix("uci:") {
        Some(command) => command,
        None if head == "stockfish" => "stockfish",
        None => {
            return Err(ArenaError::Settings(format!(
                "unknown opponent {head:?}: random, greedy, stockfish, uci:COMMAND or checkpoint:RUN"
            ))
            .into());
        }
    };
    let mut limit = UciLimit::MoveTime(Duration::from_millis(100));
    let mut options = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "nodes" => limit = UciLimit::Nodes(number(&name, &value)?),
            "movetime" => limit = UciLimit::MoveTime(Duration::from_millis(number(&name, &value)?)),
            "depth" => {
                limit = UciLimit::Depth(u32::try_from(number(&name, &value)?).unwrap_or(u32::MAX))
            }
            _ => options.push((name, value)),
        }
    }
    Ok(PlayerSpec::Uci(UciEngineSpec {
        command: engine_command(command)?,
        options,
        limit,
    }))
}

fn default_pgn_path(checkpoint: &CheckpointSource) -> PathBuf {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let name = format!("arena-{seconds}.pgn");
    match checkpoint {
        CheckpointSource::Path(path) if path.join("checkpoints").is_dir() => {
            path.join("arena").join(name)
        }
        _ => PathBuf::from(name),
    }
}

fn game_line(record: &GameRecord, tally: &Tally, games: u32) -> String {
    let colour = if record.first_is_white {
        "white"
    } else {
        "black"
    };
    format!(
        "game {}/{games} ({} of {games} done): checkpoint as {colour}, {} ({}, {} plies); +{} ={} −{}",
        record.index + 1,
        tally.games(),
        record.result,
        record.termination,
        record.plies,
        tally.wins,
        tally.draws,
        tally.losses
    )
}

fn signed(value: Option<f64>, unbounded: &str) -> String {
    value.map_or_else(|| unbounded.to_owned(), |value| format!("{value:+.0}"))
}

fn report_text(report: &MatchReport) -> String {
    let estimate = &report.estimate;
    format!(
        "{} vs {}: +{} ={} −{} of {} games, score {:.1} %, Elo {} [{}, {}] (95 %), \
         likelihood of superiority {}, {:.0} s{}",
        report.first,
        report.second,
        report.tally.wins,
        report.tally.draws,
        report.tally.losses,
        report.games,
        100.0 * estimate.score,
        signed(
            estimate.elo,
            if estimate.score >= 1.0 {
                "+∞"
            } else {
                "-∞"
            }
        ),
        signed(estimate.elo_low, "-∞"),
        signed(estimate.elo_high, "+∞"),
        estimate.likelihood_of_superiority.map_or_else(
            || "n/a (no decisive game)".to_owned(),
            |los| format!("{:.1} %", 100.0 * los)
        ),
        report.seconds,
        if report.stopped_by_time_limit {
            " (stopped by --match-minutes)"
        } else {
            ""
        }
    )
}
