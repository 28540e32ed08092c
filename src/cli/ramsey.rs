//! `wgzero ramsey --s S --t T --n N`: searches for 2-colourings of K_n with no K_s in
//! colour 0 and no K_t in colour 1 (witnesses that R(s,t) > n), prints each new one (up to
//! isomorphism) as the graph6 of its colour-0 graph on stdout, archives it in
//! `<out>/ramsey/counterexamples.jsonl`, and checkpoints the search in
//! `<out>/ramsey/search.json` so that `--resume` continues it.
//!
//! Exit codes: 0 when `--count` witness classes were found, 1 when the time ran out first
//! (the message gives the lowest energy reached) or something failed, 2 for bad flags.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use wgzero::backend::{BackendChoice, Compute};
use wgzero::games::clique::archive::RamseyArchive;
use wgzero::gpu::Gpu;
use wgzero::ramsey::checkpoint::{self, FORMAT_VERSION, SearchCheckpoint};
use wgzero::ramsey::circulant;
use wgzero::ramsey::engine::{DEFAULT_GPU_CHAINS, Engine};
use wgzero::ramsey::guide::{self, GuideSettings, StartSource};
use wgzero::ramsey::search::Method;
use wgzero::ramsey::witnesses::WitnessSet;
use wgzero::ramsey::{Colouring, Problem, RamseyError, verify_witness};

use super::GlobalOptions;

/// The method used when `--method` is not given: within 0.2 s of the fastest on the small
/// targets (R(4,4)/K_17, R(4,5)/K_24, R(5,5)/K_34) and the only one that reaches R(5,5)
/// witnesses on K_38-K_42 in seconds (docs/RAMSEY.md).
pub const DEFAULT_METHOD: Method = Method::Circulant;
/// Minutes searched when `--minutes` is not given.
pub const DEFAULT_MINUTES: f64 = 10.0;
/// Class sets the circulant search anneals over when K_n has too many to try them all.
const CIRCULANT_EVALUATIONS: u64 = 20_000;
/// Boards of at most this many edges search on the CPU under `--backend auto`: there one
/// core finds an R(4,4) witness on K_17 in 3 ms and R(5,5) on K_34 in 0.03 s, while the
/// GPU's chains, each far slower than a core, take 60–110 ms and 0.16 s (H100,
/// docs/RAMSEY.md). From K_36 (630 edges) the GPU wins: 3.6 s where the CPU fails.
const CPU_EDGES: usize = 600;
/// A round of chain steps lasts about this long: progress, deadline and checkpoints are
/// looked at between rounds.
const ROUND: Duration = Duration::from_millis(100);

#[derive(Args)]
pub struct RamseyArgs {
    /// The clique size colour 0 must avoid (K_s).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=64))]
    s: u32,
    /// The clique size colour 1 must avoid (K_t).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=64))]
    t: u32,
    /// Vertices of K_n, the graph to colour (at most 64).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=64))]
    n: u32,
    /// Time budget of this invocation, in minutes (a resumed search gets this much more).
    #[arg(long, default_value_t = DEFAULT_MINUTES, value_parser = super::settings::minutes)]
    minutes: f64,
    /// Witnesses to find, distinct up to isomorphism (of the colour-0 graph), counting those
    /// a resumed search found before.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    count: u64,
    /// Seed of the chains' random numbers (default 1); a search is deterministic per seed
    /// and number of chains.
    #[arg(long)]
    seed: Option<u64>,
    /// Independent chains: on the GPU one per thread (default 65,536), on the CPU spread
    /// over the cores (default one per core).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    chains: Option<u32>,
    /// circulant: the best circulant colourings of K_n and K_{n+1} (less a vertex) first,
    /// then tabu search restarting from them; tabu: tabu search from random colourings;
    /// anneal: simulated annealing from random colourings. Default: circulant.
    #[arg(long, value_enum)]
    method: Option<Method>,
    /// The run directory (default runs/ramsey-S-T-N).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the search checkpointed in --out.
    #[arg(long)]
    resume: bool,
    /// Print a JSON summary line on stdout at the end.
    #[arg(long)]
    json: bool,
    /// Seconds between checkpoints (a kill loses at most this much search).
    #[arg(long, default_value_t = 5.0, value_parser = super::settings::seconds)]
    checkpoint_seconds: f64,
    /// What the chains restart from, besides circulants: random colourings (the default),
    /// or the final positions of avoid games (`wgzero train --mode avoid --n N --k S,T`)
    /// played by MCTS, unfinished edges filled greedily: `learned` with the network
    /// --guide-run hands out, `untrained` with its architecture at initial weights,
    /// `uniform` with uniform priors. Off by default: docs/RAMSEY.md has the ablation.
    #[arg(long, value_enum)]
    starts: Option<StartsArg>,
    /// The avoid-mode clique run whose network plays the games of --starts learned or
    /// untrained.
    #[arg(long, value_name = "RUN")]
    guide_run: Option<PathBuf>,
    /// Games played for --starts (one start colouring each).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    guide_games: u32,
    /// Simulations per move in the games of --starts (0 plays the network's priors).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    guide_sims: u32,
}

/// `--starts`: where the chains restart from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StartsArg {
    Random,
    Uniform,
    Untrained,
    Learned,
}

impl RamseyArgs {
    /// The source `--starts` and `--guide-run` name.
    fn start_source(&self) -> anyhow::Result<StartSource> {
        let run = || {
            self.guide_run.clone().with_context(|| {
                format!(
                    "--starts {} plays games with a trained avoid-mode network: name its run \
                     with --guide-run RUN",
                    self.starts.map_or("", |starts| starts.name())
                )
            })
        };
        Ok(match self.starts.unwrap_or(StartsArg::Random) {
            StartsArg::Random => StartSource::Random,
            StartsArg::Uniform => StartSource::Uniform,
            StartsArg::Untrained => StartSource::Untrained { run: run()? },
            StartsArg::Learned => StartSource::Learned { run: run()? },
        })
    }
}

impl StartsArg {
    fn name(self) -> &'static str {
        match self {
            StartsArg::Random => "random",
            StartsArg::Uniform => "uniform",
            StartsArg::Untrained => "untrained",
            StartsArg::Learned => "learned",
        }
    }
}

/// A search being run, with what it has found.
struct Session {
    problem: Problem,
    method: Method,
    search: Engine,
    witnesses: WitnessSet,
    /// Seconds searched by earlier runs of this search.
    elapsed_before: f64,
    started: Instant,
    out: PathBuf,
    archive: RamseyArchive,
    /// When the command started.
    invoked: Instant,
    /// Seconds spent opening the backend and making the chains (pipelines built, chains
    /// uploaded and started): the start-up, apart from the search.
    startup_seconds: f64,
    /// Seconds of this command's search (the circulant phase included, the start-up not)
    /// until its first new witness class.
    first_witness_seconds: Option<f64>,
    /// The guided start colourings this command made (`--starts`), for the JSON summary.
    guided: Option<serde_json::Value>,
}

impl Session {
    fn elapsed_seconds(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    /// Verifies (again, cheaply) and keeps a witness; a new class is archived and printed.
    fn take_witness(&mut self, colouring: &Colouring) -> anyhow::Result<bool> {
        verify_witness(&self.problem, colouring)?;
        if !self.witnesses.insert(colouring) {
            return Ok(false);
        }
        if self.first_witness_seconds.is_none() {
            let searched = self.invoked.elapsed().as_secs_f64() - self.startup_seconds;
            self.first_witness_seconds = Some(searched);
        }
        let source = format!("ramsey-{}", self.method);
        let sizes = (self.problem.s, self.problem.t);
        self.archive.record_colourings(
            self.problem.n,
            sizes,
            &[colouring.adjacency().to_vec()],
            &source,
        )?;
        println!("{}", colouring.graph6());
        Ok(true)
    }

    fn save(&self) -> anyhow::Result<()> {
        let checkpoint = SearchCheckpoint {
            format_version: FORMAT_VERSION,
            method: self.method,
            search: self.search.snapshot()?,
            elapsed_seconds: self.elapsed_seconds(),
            witnesses: self.witnesses.entries().to_vec(),
        };
        checkpoint::save(&self.out, &checkpoint)
            .with_context(|| format!("saving the search in {}", self.out.display()))
    }
}

pub fn run(global: &GlobalOptions, args: &RamseyArgs) -> anyhow::Result<()> {
    let invoked = Instant::now();
    let problem = Problem::new(args.n, args.s, args.t)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("runs/ramsey-{}-{}-{}", args.s, args.t, args.n)));
    // The budget includes the circulant phase of a new search.
    let deadline = invoked + Duration::from_secs_f64(args.minutes * 60.0);
    let mut session = if args.resume {
        resume(global, problem, args, &out, invoked)?
    } else {
        start(global, problem, args, &out, invoked)?
    };
    search(&mut session, args, deadline)?;
    session.save()?;
    report(&session, args)
}

/// The GPU the chains run on, or `None` for the CPU cores; says which on stderr.
fn backend(global: &GlobalOptions, problem: &Problem) -> anyhow::Result<Option<Arc<Gpu>>> {
    let edges = problem.edge_count();
    if global.backend == BackendChoice::Auto && edges <= CPU_EDGES {
        eprintln!(
            "backend: cpu — K_{} is small ({edges} edges): the CPU cores find its witnesses \
             before a GPU search is under way (--backend gpu runs it there)",
            problem.n
        );
        return Ok(None);
    }
    Ok(match global.compute()? {
        Compute::Gpu(gpu) => Some(gpu),
        Compute::Cpu => None,
    })
}

/// A new search in `out`: circulant starts first for `--method circulant`.
fn start(
    global: &GlobalOptions,
    problem: Problem,
    args: &RamseyArgs,
    out: &Path,
    invoked: Instant,
) -> anyhow::Result<Session> {
    let path = checkpoint::checkpoint_path(out);
    if path.exists() {
        bail!(
            "{} holds a search already: pass --resume to continue it, or give another --out",
            path.display()
        );
    }
    let opening = Instant::now();
    let gpu = backend(global, &problem)?;
    let mut startup = opening.elapsed();
    let method = args.method.unwrap_or(DEFAULT_METHOD);
    let seed = args.seed.unwrap_or(1);
    let chains = args.chains.unwrap_or_else(|| {
        if gpu.is_some() {
            DEFAULT_GPU_CHAINS
        } else {
            rayon::current_num_threads() as u32
        }
    });
    let archive = RamseyArchive::open(out)
        .with_context(|| format!("opening the witness archive in {}", out.display()))?;
    let started = Instant::now();
    let mut found = Vec::new();
    let mut starts = Vec::new();
    if method == Method::Circulant {
        let keep = 16 + args.count.min(4096) as usize;
        let circulants = circulant::starts(&problem, seed, CIRCULANT_EVALUATIONS, keep);
        eprintln!(
            "circulant: {} class sets of K_{} ({}){} evaluated in {:.2} s; lowest energy {}",
            circulants.evaluated,
            problem.n,
            if circulants.exhaustive {
                "all of them"
            } else {
                "by tabu search"
            },
            if problem.n < wgzero::ramsey::MAX_VERTICES {
                format!(" and of K_{} less a vertex", problem.n + 1)
            } else {
                String::new()
            },
            started.elapsed().as_secs_f64(),
            circulants
                .colourings
                .first()
                .map_or(0, |(energy, _)| *energy),
        );
        for (energy, colouring) in circulants.colourings {
            if energy == 0 {
                found.push(colouring);
            } else {
                starts.push(colouring);
            }
        }
    }
    let source = args.start_source()?;
    let mut guided_report = None;
    if source != StartSource::Random {
        let compute = match &gpu {
            Some(gpu) => Compute::Gpu(gpu.clone()),
            None => Compute::Cpu,
        };
        let settings = GuideSettings::new(args.guide_games as usize, args.guide_sims, seed);
        let guided = guide::starts(&problem, &source, &settings, &compute)?;
        eprintln!(
            "starts: {} games of {} ({} simulations a move) in {:.2} s on the {}: {} drawn \
             (witnesses as played), mean energy {:.2}, lowest {}",
            guided.colourings.len(),
            guided.description,
            args.guide_sims,
            guided.seconds,
            compute.name(),
            guided.draws,
            guided.mean_energy(),
            guided.min_energy().unwrap_or(0),
        );
        guided_report = Some(json!({
            "source": source.name(),
            "games": guided.colourings.len(),
            "simulations": args.guide_sims,
            "seconds": guided.seconds,
            "draws": guided.draws,
            "mean_energy": guided.mean_energy(),
            "lowest_energy": guided.min_energy(),
        }));
        for (colouring, energy) in guided.colourings.into_iter().zip(guided.energies) {
            if energy == 0 {
                found.push(colouring);
            } else {
                starts.push(colouring);
            }
        }
    }
    let making = Instant::now();
    let search = Engine::start(
        gpu,
        problem,
        method.default_settings(&problem),
        seed,
        chains,
        starts,
    )?;
    startup += making.elapsed();
    let mut session = Session {
        problem,
        method,
        search,
        witnesses: WitnessSet::default(),
        elapsed_before: 0.0,
        started,
        out: out.to_owned(),
        archive,
        invoked,
        startup_seconds: startup.as_secs_f64(),
        first_witness_seconds: None,
        guided: guided_report,
    };
    for colouring in &found {
        if session.witnesses.len() as u64 >= args.count {
            break;
        }
        session.take_witness(colouring)?;
    }
    session.save()?;
    Ok(session)
}

/// The search checkpointed in `out`, checked against the flags given.
fn resume(
    global: &GlobalOptions,
    problem: Problem,
    args: &RamseyArgs,
    out: &Path,
    invoked: Instant,
) -> anyhow::Result<Session> {
    if let Some(starts) = args.starts {
        bail!(
            "--resume: the search's start colourings were made when it began (they are in its \
             checkpoint); leave --starts {} out to continue it",
            starts.name()
        );
    }
    let ramsey_dir = out.join("ramsey");
    if ramsey_dir.is_dir() {
        // A kill during a checkpoint's write leaves its temporary file behind.
        wgzero::run_dir::durable::remove_temporaries(&ramsey_dir)?;
    }
    let Some(saved) = checkpoint::load(out)? else {
        bail!(
            "--resume: there is no search to continue in {} (no {})",
            out.display(),
            checkpoint::CHECKPOINT_FILE
        );
    };
    let saved_problem = saved.search.problem;
    if saved_problem != problem {
        bail!(
            "--resume: {} holds a search for {}, not {}; give the same --s, --t and --n, or \
             another --out",
            out.display(),
            saved_problem.describe(),
            problem.describe()
        );
    }
    let chains = saved.search.chains.len() as u32;
    let differs = [
        (
            "--method",
            args.method.map(|m| m.to_string()),
            saved.method.to_string(),
        ),
        (
            "--seed",
            args.seed.map(|s| s.to_string()),
            saved.search.seed.to_string(),
        ),
        (
            "--chains",
            args.chains.map(|c| c.to_string()),
            chains.to_string(),
        ),
    ];
    for (flag, given, saved_value) in differs {
        if let Some(given) = given
            && given != saved_value
        {
            bail!(
                "--resume: {flag} {given} differs from the saved search's {saved_value}; leave \
                 {flag} out to continue it, or start a new search in another --out"
            );
        }
    }
    let bad = |reason: String| RamseyError::BadCheckpoint {
        path: checkpoint::checkpoint_path(out),
        reason,
    };
    let opening = Instant::now();
    // A chain the checkpoint describes badly is the checkpoint's fault; a GPU that cannot
    // take the search is not.
    let search =
        Engine::restore(backend(global, &problem)?, &saved.search).map_err(
            |error| match error {
                RamseyError::InvalidColouring { .. } => bad(error.to_string()),
                other => other,
            },
        )?;
    let startup = opening.elapsed();
    let witnesses = WitnessSet::from_entries(saved.witnesses).map_err(bad)?;
    let archive = RamseyArchive::open(out)
        .with_context(|| format!("opening the witness archive in {}", out.display()))?;
    eprintln!(
        "resuming {} ({} on the {}, {} chains, seed {}) after {:.1} s searched, {} witness \
         classes found",
        problem.describe(),
        saved.method,
        search.backend_name(),
        chains,
        saved.search.seed,
        saved.elapsed_seconds,
        witnesses.len()
    );
    Ok(Session {
        problem,
        method: saved.method,
        search,
        witnesses,
        elapsed_before: saved.elapsed_seconds,
        started: Instant::now(),
        out: out.to_owned(),
        archive,
        invoked,
        startup_seconds: startup.as_secs_f64(),
        first_witness_seconds: None,
        guided: None,
    })
}

/// Runs rounds of chain steps until `--count` classes are found or the deadline passes,
/// with progress on stderr and checkpoints.
fn search(session: &mut Session, args: &RamseyArgs, deadline: Instant) -> anyhow::Result<()> {
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        let bar = ProgressBar::new_spinner();
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").context("progress style")?);
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut steps_per_chain = 256u64;
    let mut last_progress = Instant::now();
    let mut steps_at_progress = session.search.totals();
    let mut last_checkpoint = Instant::now();
    let checkpoint_interval = Duration::from_secs_f64(args.checkpoint_seconds);
    // One round at least, so a search always moves on, even when start-up (compiling the
    // GPU's shaders, the circulant phase) took all of --minutes.
    let mut first_round = true;
    while (session.witnesses.len() as u64) < args.count
        && (first_round || Instant::now() < deadline)
    {
        first_round = false;
        let round = Instant::now();
        let witnesses = session.search.advance(steps_per_chain)?;
        let took = round.elapsed();
        let mut new_class = false;
        for witness in &witnesses {
            if session.witnesses.len() as u64 >= args.count {
                break;
            }
            new_class |= bar.suspend(|| session.take_witness(&witness.colouring))?;
        }
        // Rounds of about ROUND keep the deadline and the progress prompt.
        let scale = ROUND.as_secs_f64() / took.as_secs_f64().max(1e-6);
        steps_per_chain =
            ((steps_per_chain as f64 * scale.clamp(0.5, 2.0)) as u64).clamp(16, 1 << 26);
        if new_class || last_checkpoint.elapsed() >= checkpoint_interval {
            session.save()?;
            last_checkpoint = Instant::now();
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            let totals = session.search.totals();
            let seconds = last_progress.elapsed().as_secs_f64();
            let line = format!(
                "{:.0} s: {} {}: {}/{} witnesses, lowest energy {} (now {}), {} restarts, {:.2}M steps/s, {:.2}M flips/s",
                session.elapsed_seconds(),
                session.method,
                session.problem.describe(),
                session.witnesses.len(),
                args.count,
                session.search.best_energy(),
                session.search.lowest_current_energy(),
                totals.restarts,
                (totals.steps - steps_at_progress.steps) as f64 / seconds / 1e6,
                (totals.flips - steps_at_progress.flips) as f64 / seconds / 1e6,
            );
            if terminal {
                bar.set_message(line);
                bar.tick();
            } else {
                eprintln!("{line}");
            }
            last_progress = Instant::now();
            steps_at_progress = totals;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// The closing lines, and the exit status: an error when the count was not reached.
fn report(session: &Session, args: &RamseyArgs) -> anyhow::Result<()> {
    let totals = session.search.totals();
    let found = session.witnesses.len() as u64;
    let reached = found >= args.count;
    let best_energy = if found > 0 {
        0
    } else {
        session.search.best_energy()
    };
    if args.json {
        let summary = json!({
            "s": session.problem.s,
            "t": session.problem.t,
            "n": session.problem.n,
            "method": session.method,
            "backend": session.search.backend_name(),
            "seed": session.search.seed(),
            "chains": session.search.chains(),
            "count": args.count,
            "witnesses": found,
            "reached": reached,
            "best_energy": best_energy,
            "elapsed_seconds": session.elapsed_seconds(),
            "startup_seconds": session.startup_seconds,
            "first_witness_seconds": session.first_witness_seconds,
            "guided_starts": session.guided,
            "session_seconds": session.started.elapsed().as_secs_f64(),
            "steps": totals.steps,
            "flips": totals.flips,
            "restarts": totals.restarts,
            "witness_graph6": session.witnesses.entries().iter().map(|e| &e.graph6).collect::<Vec<_>>(),
            "out": session.out,
        });
        println!("{summary}");
    }
    let searched = format!(
        "{:.1} s searched in all, {} steps, {} restarts",
        session.elapsed_seconds(),
        totals.steps,
        totals.restarts
    );
    if reached {
        eprintln!(
            "found {found} witness class{} up to isomorphism: R({},{}) > {} ({searched}); \
             archived in {}",
            if found == 1 { "" } else { "es" },
            session.problem.s,
            session.problem.t,
            session.problem.n,
            session.archive.path().display()
        );
        return Ok(());
    }
    bail!(
        "time is up: {found} of {} witnesses for {} found ({searched}); the lowest energy \
         reached is {best_energy} (monochromatic forbidden cliques left). The search is saved \
         in {}: --resume continues it",
        args.count,
        session.problem.describe(),
        checkpoint::checkpoint_path(&session.out).display()
    )
}
