//! `wgzero bench ramsey`: the witness search on one core. One JSON line per measurement:
//! the step rate of one annealing (or tabu) chain on boards where witnesses are rare, then
//! the time to a first witness on small targets, over several seeds, for each method.
//!
//! The schedule flags override the methods' defaults, to tune them by measurement.

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;
use wgzero::ramsey::anneal::EdgeChoice;
use wgzero::ramsey::chain::{Chain, ChainSettings, LocalSearch};
use wgzero::ramsey::circulant;
use wgzero::ramsey::search::Method;
use wgzero::ramsey::{Colouring, Problem};

use crate::cli::GlobalOptions;

#[derive(Args)]
pub struct RamseyBenchArgs {
    /// Boards of the step-rate measurement, as s:t:n, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "5:5:34,5:5:42")]
    rate_boards: Vec<String>,
    /// Seconds of each step-rate measurement.
    #[arg(long, default_value_t = 2.0, value_parser = crate::cli::settings::seconds)]
    rate_seconds: f64,
    /// Targets of the time-to-witness measurement, as s:t:n, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "4:4:17,4:5:24,5:5:34")]
    targets: Vec<String>,
    /// Methods timed.
    #[arg(long, value_delimiter = ',', default_value = "anneal,tabu,circulant")]
    methods: Vec<Method>,
    /// Seeds (independent runs) per target and method.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100000))]
    seeds: u64,
    /// Seconds after which one run counts as a failure.
    #[arg(long, default_value_t = 60.0, value_parser = crate::cli::settings::seconds)]
    timeout_seconds: f64,
    /// Annealing: temperature at each (re)start.
    #[arg(long)]
    start_temperature: Option<f32>,
    /// Annealing: the temperature's floor.
    #[arg(long)]
    end_temperature: Option<f32>,
    /// Annealing: factor per cooling stage.
    #[arg(long)]
    cooling: Option<f32>,
    /// Annealing: steps per cooling stage.
    #[arg(long)]
    steps_per_temperature: Option<u32>,
    /// Annealing: which edges are proposed.
    #[arg(long, value_enum)]
    edge_choice: Option<EdgeChoice>,
    /// Steps without a new lowest energy before a restart, in units of E (the edges).
    #[arg(long)]
    patience_per_edge: Option<f64>,
    /// Tabu: steps a flipped edge stays tabu.
    #[arg(long)]
    tenure: Option<u32>,
}

fn parse_board(text: &str) -> anyhow::Result<Problem> {
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|part| part.parse().ok()).collect();
    match numbers.as_deref() {
        Some(&[s, t, n]) => Ok(Problem::new(n, s, t)?),
        _ => anyhow::bail!("board {text:?} is not of the form s:t:n (for example 4:5:24)"),
    }
}

/// The method's default settings with the flags' overrides.
fn settings(args: &RamseyBenchArgs, method: Method, problem: &Problem) -> ChainSettings {
    let mut settings = method.default_settings(problem);
    let edges = f64::from(problem.n * (problem.n - 1) / 2);
    if let Some(patience) = args.patience_per_edge {
        settings.patience = (patience * edges).max(1.0) as u64;
    }
    match &mut settings.local_search {
        LocalSearch::Anneal(schedule) => {
            if let Some(value) = args.start_temperature {
                schedule.start_temperature = value;
            }
            if let Some(value) = args.end_temperature {
                schedule.end_temperature = value;
            }
            if let Some(value) = args.cooling {
                schedule.cooling = value;
            }
            if let Some(value) = args.steps_per_temperature {
                schedule.steps_per_temperature = value.max(1);
            }
            if let Some(value) = args.edge_choice {
                schedule.edge_choice = value;
            }
        }
        LocalSearch::Tabu(tabu) => {
            if let Some(value) = args.tenure {
                tabu.tenure = value.max(1);
            }
        }
    }
    settings
}

pub fn run(_global: &GlobalOptions, args: &RamseyBenchArgs) -> anyhow::Result<()> {
    // One core: every measurement runs in a one-thread pool.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("building a one-thread pool")?;
    pool.install(|| {
        // An empty list (`--targets ""`) skips that measurement.
        fn given(list: &[String]) -> impl Iterator<Item = &String> {
            list.iter().filter(|text| !text.trim().is_empty())
        }
        for board in given(&args.rate_boards) {
            step_rate(args, &parse_board(board)?)?;
        }
        for target in given(&args.targets) {
            let problem = parse_board(target)?;
            for &method in &args.methods {
                time_to_witness(args, &problem, method)?;
            }
        }
        Ok(())
    })
}

/// Steps and accepted flips per second of one chain of each local search (restarts
/// included) on `problem`.
fn step_rate(args: &RamseyBenchArgs, problem: &Problem) -> anyhow::Result<()> {
    for method in [Method::Anneal, Method::Tabu] {
        if !args.methods.contains(&method) {
            continue;
        }
        let settings = settings(args, method, problem);
        let mut chain = Chain::new(*problem, settings, 1, 0, &[]);
        let started = Instant::now();
        while started.elapsed().as_secs_f64() < args.rate_seconds {
            chain.run(1024, &[]);
        }
        let seconds = started.elapsed().as_secs_f64();
        let counters = chain.counters();
        println!(
            "{}",
            json!({
                "bench": "ramsey_step_rate",
                "method": method,
                "s": problem.s, "t": problem.t, "n": problem.n,
                "threads": 1,
                "settings": settings,
                "seconds": seconds,
                "steps": counters.steps,
                "flips": counters.flips,
                "restarts": counters.restarts,
                "witnesses": counters.witnesses,
                "lowest_energy": chain.best().0,
                "steps_per_second": counters.steps as f64 / seconds,
                "flips_per_second": counters.flips as f64 / seconds,
            })
        );
    }
    Ok(())
}

/// Seconds to a first witness on one core for seeds 1..=seeds, and their summary.
fn time_to_witness(
    args: &RamseyBenchArgs,
    problem: &Problem,
    method: Method,
) -> anyhow::Result<()> {
    let settings = settings(args, method, problem);
    let mut seconds = Vec::new();
    let mut steps = Vec::new();
    let mut failures = 0;
    for seed in 1..=args.seeds {
        let started = Instant::now();
        let mut starts: Vec<Colouring> = Vec::new();
        let mut found = false;
        if method == Method::Circulant {
            let circulants = circulant::starts(problem, seed, 20_000, 16);
            found = circulants
                .colourings
                .first()
                .is_some_and(|(energy, _)| *energy == 0);
            starts = circulants
                .colourings
                .into_iter()
                .filter(|(energy, _)| *energy > 0)
                .map(|(_, colouring)| colouring)
                .collect();
        }
        let mut chain_steps = 0;
        if !found {
            let mut chain = Chain::new(*problem, settings, seed, 0, &starts);
            while started.elapsed().as_secs_f64() < args.timeout_seconds {
                chain_steps += chain.run_until_witness(4096, &starts);
                if !chain.take_found().is_empty() {
                    found = true;
                    break;
                }
            }
        }
        if found {
            seconds.push(started.elapsed().as_secs_f64());
            steps.push(chain_steps);
        } else {
            failures += 1;
        }
    }
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (!sorted.is_empty()).then(|| sorted[sorted.len() / 2]);
    let mean = (!sorted.is_empty()).then(|| sorted.iter().sum::<f64>() / sorted.len() as f64);
    println!(
        "{}",
        json!({
            "bench": "ramsey_time_to_witness",
            "method": method,
            "s": problem.s, "t": problem.t, "n": problem.n,
            "threads": 1,
            "settings": settings,
            "seeds": args.seeds,
            "timeout_seconds": args.timeout_seconds,
            "found": seconds.len(),
            "failures": failures,
            "median_seconds": median,
            "mean_seconds": mean,
            "max_seconds": sorted.last(),
            "seconds": seconds,
            "steps": steps,
        })
    );
    Ok(())
}
