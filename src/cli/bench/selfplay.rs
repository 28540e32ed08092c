//! `wgzero bench selfplay`: pure self-play throughput of the GPU search (no training):
//! positions/s and network evaluations/s, with auto-reset and the AlphaZero policy with
//! Dirichlet noise on. The clique game runs an MLP 3E→128→128→(E, 1) on one-hot edge
//! observations; chess (`--game chess`) the residual net of each `--chess-configs` entry.

use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::games::{ChessConfig, GameInfo, GpuGame};
use wgzero::gpu::timing::Timestamps;
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::{self, spec::NetworkSpec};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{FirstPlayUrgency, RootPolicy, SearchConfig};
use wgzero::selfplay::SelfPlayReport;
use wgzero::selfplay::gpu::GpuSelfPlay;
use wgzero::selfplay::record::PlaySettings;

use crate::cli::GlobalOptions;
use crate::cli::settings::{NetworkArgs, SearchArgs};

#[derive(Args)]
pub struct SelfplayArgs {
    /// Boards and batch sizes as n:k:batch, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "6:3:1024,6:3:8192,14:4:1024"
    )]
    configs: Vec<String>,
    #[arg(long, value_enum, default_value_t = Mode::Symmetric)]
    mode: Mode,
    /// The game: the clique game (--configs, --mode) or chess (--chess-configs, --ply-cap).
    #[arg(long, value_enum, default_value_t = BenchGame::Clique)]
    game: BenchGame,
    /// Chess only: residual nets and batch sizes as filters:blocks:batch, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "64:3:1024,64:6:1024")]
    chess_configs: Vec<String>,
    /// Chess only: plies after which a game is a draw (and restarts).
    #[arg(long, default_value_t = wgzero::games::chess::DEFAULT_PLY_CAP)]
    ply_cap: u32,
    /// The network: an MLP 3E → 128 → 128 → (E, 1) unless --net, --hidden or --layers
    /// say otherwise.
    #[command(flatten)]
    network: NetworkArgs,
    /// The search: 50 simulations of PUCT (c 1.25) with Dirichlet noise (α 0.3, ε 0.25)
    /// unless --sims, --policy, --c-puct, --noise or --considered say otherwise.
    #[command(flatten)]
    search: SearchArgs,
    /// Seconds of timed self-play per configuration (after the warm-up).
    #[arg(long, default_value_t = 10.0, value_parser = crate::cli::settings::seconds)]
    seconds: f64,
    /// Moves played before timing starts.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=1000000))]
    warmup_moves: u32,
    /// Moves recorded into one submit.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10000))]
    moves_per_submit: u32,
    /// Also time one move kernel by kernel with GPU timestamps.
    #[arg(long)]
    profile: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BenchGame {
    Clique,
    Chess,
}

#[derive(Serialize)]
struct Line {
    bench: &'static str,
    /// The game's label (`clique-n6-k3-symmetric`, `chess`) and network.
    game: String,
    network: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    batch: u32,
    sims: u32,
    positions_per_s: f64,
    evals_per_s: f64,
    moves: u64,
    seconds: f64,
    games_finished: u64,
    dispatches_per_move: usize,
    adapter: String,
}

#[derive(Serialize)]
struct ProfileLine {
    bench: &'static str,
    game: String,
    batch: u32,
    /// GPU seconds of one move per group of kernels.
    seconds_per_move: Vec<(String, f64)>,
    total_seconds_per_move: f64,
}

/// Three whole numbers `a:b:c` (n:k:batch, or filters:blocks:batch for chess).
fn parse(text: &str) -> anyhow::Result<(u32, u32, u32)> {
    let parts: Vec<&str> = text.split(':').collect();
    let [n, k, batch] = parts.as_slice() else {
        bail!(
            "{text:?} is not three numbers a:b:c (n:k:batch, e.g. 6:3:1024; filters:blocks:batch for chess, e.g. 64:6:1024)"
        );
    };
    let number = |s: &str| {
        s.parse::<u32>()
            .with_context(|| format!("{s:?} in {text:?} is not a whole number"))
    };
    Ok((number(n)?, number(k)?, number(batch)?))
}

pub fn run(global: &GlobalOptions, args: &SelfplayArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let Compute::Gpu(gpu) = &compute else {
        bail!(
            "bench selfplay measures the GPU search; it needs a GPU adapter (--backend gpu forces a software one)"
        );
    };
    let mut search_config = SearchConfig {
        simulations: 50,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: Some((0.3, 0.25)),
        },
        reuse_subtree: false,
    };
    args.search.apply(&mut search_config)?;
    match args.game {
        BenchGame::Clique => {
            let spec = args.network.spec(&NetworkSpec::Mlp {
                hidden: vec![128, 128],
            })?;
            for text in &args.configs {
                let (n, k, batch) = parse(text)?;
                let config = CliqueConfig::new(n, k, args.mode)?;
                let mut line = measure(gpu, &compute, &config, &spec, search_config, batch, args)?;
                line.n = Some(n);
                line.k = Some(k);
                line.mode = Some(args.mode.to_string());
                println!("{}", serde_json::to_string(&line)?);
            }
        }
        BenchGame::Chess => {
            let config = ChessConfig::new(args.ply_cap)?;
            for text in &args.chess_configs {
                let (filters, blocks, batch) = parse(text)?;
                let spec = NetworkSpec::ResNet {
                    filters: filters as usize,
                    blocks: blocks as usize,
                };
                let line = measure(gpu, &compute, &config, &spec, search_config, batch, args)?;
                println!("{}", serde_json::to_string(&line)?);
            }
        }
    }
    Ok(())
}

/// Times self-play of `game` with the network `spec` at `batch` games, and profiles one
/// move with `--profile`.
fn measure<G: GpuGame + GameInfo>(
    gpu: &std::sync::Arc<wgzero::gpu::Gpu>,
    compute: &Compute,
    game: &G,
    spec: &NetworkSpec,
    search_config: SearchConfig,
    batch: u32,
    args: &SelfplayArgs,
) -> anyhow::Result<Line> {
    let network = GameInfo::network(game, spec)?;
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), batch as usize);
    let Program::Gpu(program) = Program::compile(&graph, compute, &CompileOptions::default())?
    else {
        unreachable!("compiled for the GPU")
    };
    let search = GpuSearch::new(gpu, game, program, search_config, batch, 1)?;
    let self_play = GpuSelfPlay::new(
        gpu,
        &search,
        game,
        PlaySettings {
            temperature_moves: u32::MAX,
            late_temperature: 0.0,
            random_opening: 0,
            surprise_weight: 0.0,
            replay_fraction: 1.0,
            record: false,
            log_draws: false,
            trace_games: 0,
        },
    )?;
    self_play.reset();
    let play = |moves: u32| {
        search.submit(|search, pass| {
            for _ in 0..moves {
                search.record_search(pass);
                self_play.record_play(pass);
            }
        })
    };
    for _ in 0..args.warmup_moves.div_ceil(args.moves_per_submit) {
        play(args.moves_per_submit);
    }
    gpu.wait()?;
    let before = self_play.read_games()?;
    let start = Instant::now();
    let mut moves = 0u64;
    // One small status read per batch of submits keeps the queue from running far
    // ahead without stalling it every move.
    while start.elapsed().as_secs_f64() < args.seconds {
        for _ in 0..4 {
            play(args.moves_per_submit);
            moves += u64::from(args.moves_per_submit);
        }
        gpu.wait()?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let after = self_play.read_games()?;
    let report = SelfPlayReport::between(&before, &after);
    let (positions, finished) = (report.positions, report.games);
    let evaluations = moves * u64::from(batch) * u64::from(search_config.simulations + 1);
    if args.profile {
        profile(gpu, &search, &self_play, &game.label(), batch)?;
    }
    Ok(Line {
        bench: "selfplay",
        game: game.label(),
        network: GameInfo::network_descriptor(game, spec),
        n: None,
        k: None,
        mode: None,
        batch,
        sims: search_config.simulations,
        positions_per_s: positions as f64 / seconds,
        evals_per_s: evaluations as f64 / seconds,
        moves,
        seconds,
        games_finished: finished,
        dispatches_per_move: search.dispatches_per_search() + 1,
        adapter: gpu.info.name.clone(),
    })
}

fn profile(
    gpu: &std::sync::Arc<wgzero::gpu::Gpu>,
    search: &GpuSearch,
    self_play: &GpuSelfPlay,
    game: &str,
    batch: u32,
) -> anyhow::Result<()> {
    let marks = 4 * (search.config().simulations + 4);
    let Some(timer) = Timestamps::new(gpu, marks) else {
        eprintln!("profile: the adapter has no timestamps inside passes; skipped");
        return Ok(());
    };
    let mut encoder = gpu
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("profile"),
        });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
        timer.mark(&mut pass, "start");
        search.record_search_timed(&mut pass, Some(&timer));
        self_play.record_play(&mut pass);
        timer.mark(&mut pass, "play");
    }
    timer.resolve(&mut encoder);
    gpu.queue.submit([encoder.finish()]);
    let intervals = timer.read(gpu)?;
    let mut totals: Vec<(String, f64)> = Vec::new();
    for (label, seconds) in intervals {
        match totals.iter_mut().find(|(l, _)| *l == label) {
            Some((_, total)) => *total += seconds,
            None => totals.push((label, seconds)),
        }
    }
    let total = totals.iter().map(|(_, s)| s).sum();
    let line = ProfileLine {
        bench: "selfplay_profile",
        game: game.to_owned(),
        batch,
        seconds_per_move: totals,
        total_seconds_per_move: total,
    };
    println!("{}", serde_json::to_string(&line)?);
    Ok(())
}
