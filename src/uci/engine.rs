//! The engine: its settings, the network, the position, and the search worker.
//!
//! The caller's thread reads commands and answers them at once (`isready` and `stop` too
//! while a search runs); each `go` moves the network into a worker thread that searches
//! one [`TreeSearch`], prints `info` lines and `bestmove`, and hands the network back when
//! it ends. A worker that fails or panics costs only its search: the engine answers with
//! a legal move and rebuilds the network for the next `go`.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use web_time::Instant;

use super::command::{self, Command, GoParams};
use super::time::{Budget, budget};
use super::{UciError, centipawns};
use crate::backend::{self, BackendChoice, Compute};
use crate::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use crate::games::chess::bitboard::Color;
use crate::games::chess::{ChessGame, encoding, notation};
use crate::games::{ChessConfig, GameSpec, GameState};
use crate::search::{
    Evaluator, RootPolicy, SearchError, SearchInfo, SearchLimits, TreeConfig, TreeSearch,
};

/// Simulations per move when `go` sets no limit (the Simulations option's default).
pub const DEFAULT_SIMULATIONS: u64 = 800;
/// The Simulations option's largest value.
pub const MAX_SIMULATIONS: u64 = 100_000_000;
/// Leaves per network call by default: the CPU backend gains little from large batches
/// (its cost is per row) and loses search quality to virtual loss; a GPU's cost is per
/// call, so it takes many rows at once.
pub const DEFAULT_BATCH_CPU: usize = 8;
pub const DEFAULT_BATCH_GPU: usize = 64;
/// The Batch option's largest value.
pub const MAX_BATCH: usize = 1024;
/// A search stops growing its tree at this many nodes (each holds a position with its
/// history: a few million fit in a few GB).
pub const MAX_TREE_NODES: usize = 2_000_000;

/// What the engine is set to; the options of `uci` and `setoption`.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineSettings {
    /// A run directory or checkpoint file; `None` takes [`default_network`].
    pub checkpoint: Option<String>,
    pub backend: BackendChoice,
    /// `--adapter`: the GPU adapter's name contains this.
    pub adapter: Option<String>,
    /// Leaves per network call; `None` the backend's default.
    pub batch: Option<usize>,
    pub simulations: u64,
}

/// The network the engine searches with, compiled for one batch on one backend.
pub struct Network {
    evaluator: Box<dyn Evaluator + Send>,
    tree: TreeConfig,
    batch: usize,
    /// The checkpoint's training iteration and time, seconds.
    iteration: u64,
    elapsed_seconds: f64,
    /// One line saying what was loaded, on which backend and why.
    pub description: String,
}

impl Network {
    /// Loads the chess checkpoint `source` names and compiles it on `compute` for `batch`
    /// leaves per call; `why` says why that backend runs (for the description).
    pub fn load(
        source: &CheckpointSource,
        compute: &Compute,
        batch: usize,
        why: &str,
    ) -> Result<Self, UciError> {
        let (checkpoint, config) = source
            .load(&GameSpec::Chess(ChessConfig::default()))
            .map_err(|e| UciError::Checkpoint(format!("{source}: {e}")))?;
        let GameSpec::Chess(game) = config.game else {
            return Err(UciError::Checkpoint(format!(
                "{} holds a {} network, not a chess one (wgzero train --game chess trains one)",
                checkpoint.path().display(),
                config.game.name()
            )));
        };
        let batch = batch.max(1);
        let evaluator = checkpoint_evaluator(&checkpoint, &game, &config.network, compute, batch)
            .map_err(|e| {
            UciError::Checkpoint(format!("{}: {e}", checkpoint.path().display()))
        })?;
        let mut evaluator: Box<dyn Evaluator + Send> = Box::new(evaluator);
        // First uses pay one-time costs, paid here rather than inside the first search's
        // time budget: the attack tables (magic multipliers are searched at first use,
        // about 0.3 s on one core, more on a loaded machine) and the program's first call.
        let start = ChessGame::default();
        start.legal_moves();
        let mut observation = vec![0.0; start.observation_len()];
        start.write_observation(&mut observation);
        evaluator.evaluate(&observation, 1).map_err(|e| {
            UciError::Backend(format!("the network's first evaluation failed: {e}"))
        })?;
        // The run's PUCT constants if it trained with PUCT; AlphaZero's defaults otherwise.
        let tree = match config.search.policy {
            RootPolicy::AlphaZero {
                c_puct,
                first_play_urgency,
                ..
            } => TreeConfig {
                c_puct,
                first_play_urgency,
            },
            RootPolicy::Gumbel { .. } => TreeConfig::default(),
        };
        Ok(Network {
            evaluator,
            tree,
            batch,
            iteration: checkpoint.record().iteration,
            elapsed_seconds: checkpoint.record().elapsed_seconds,
            description: format!(
                "network {} (iteration {}), backend {} ({why}), batch {batch}",
                checkpoint.path().display(),
                checkpoint.record().iteration,
                compute.name(),
            ),
        })
    }

    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The checkpoint's training iteration.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The checkpoint's training time, seconds, over all resumed sessions.
    pub fn elapsed_seconds(&self) -> f64 {
        self.elapsed_seconds
    }

    /// A search tree over `game` with the network's PUCT settings and batch.
    pub fn tree(&self, game: &ChessGame) -> Result<TreeSearch<ChessGame>, SearchError> {
        TreeSearch::new(game.clone(), self.tree, self.batch)
    }

    /// Searches `tree` until `limits` or `stop` say so (see [`TreeSearch::run`]).
    pub fn search(
        &mut self,
        tree: &mut TreeSearch<ChessGame>,
        limits: &SearchLimits,
        stop: &AtomicBool,
        report: &mut dyn FnMut(&SearchInfo),
    ) -> Result<SearchInfo, SearchError> {
        tree.run(self.evaluator.as_mut(), limits, stop, report)
    }
}

/// The network used without a Checkpoint: the chess network bundled with the library
/// (`bundled:chess`, docs/NETWORKS.md).
pub fn default_network() -> CheckpointSource {
    CheckpointSource::Bundled(None)
}

/// Loads the checkpoint `settings` name (or the default) and compiles it on its backend.
pub fn load_network(settings: &EngineSettings) -> Result<Network, UciError> {
    let source = match settings.checkpoint.as_deref().map(str::trim) {
        None | Some("") | Some("<empty>") => default_network(),
        Some(text) => CheckpointSource::parse(text)
            .map_err(|e| UciError::Checkpoint(format!("{text}: {e}")))?,
    };
    let resolved = backend::resolve(settings.backend, settings.adapter.as_deref())
        .map_err(|e| UciError::Backend(e.to_string()))?;
    let batch = settings.batch.unwrap_or(match resolved.compute {
        Compute::Cpu => DEFAULT_BATCH_CPU,
        Compute::Gpu(_) => DEFAULT_BATCH_GPU,
    });
    Network::load(&source, &resolved.compute, batch, &resolved.reason)
}

/// Where the engine's lines go: one writer shared with the search worker, each line
/// written whole and flushed. A closed pipe is ignored (the engine ends at its input's end).
#[derive(Clone)]
pub struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl Output {
    pub fn new(writer: Box<dyn Write + Send>) -> Self {
        Self(Arc::new(Mutex::new(writer)))
    }

    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::stdout()))
    }

    pub fn line(&self, text: &str) {
        let mut writer = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = writeln!(writer, "{text}");
        let _ = writer.flush();
    }
}

/// A search under way in its worker thread.
struct Running {
    stop: Arc<AtomicBool>,
    /// Set by the worker just before it prints `bestmove`: a GUI may send its next
    /// command before the thread has ended, and that command must wait for it, not be
    /// refused as arriving during a search.
    answered: Arc<AtomicBool>,
    worker: JoinHandle<Network>,
}

/// A UCI chess engine: reads commands, answers them, searches in a worker thread.
pub struct Engine {
    settings: EngineSettings,
    /// `None` while a search holds it, or after a failed worker (rebuilt at the next `go`).
    network: Option<Network>,
    game: ChessGame,
    output: Output,
    running: Option<Running>,
}

impl Engine {
    /// An engine with the network `settings` choose, loaded now so that a bad setting
    /// shows at once.
    pub fn new(settings: EngineSettings, output: Output) -> Result<Self, UciError> {
        let network = load_network(&settings)?;
        Ok(Self {
            settings,
            network: Some(network),
            game: ChessGame::default().with_ply_cap(u32::MAX),
            output,
            running: None,
        })
    }

    /// What the loaded network is, on which backend.
    pub fn description(&self) -> Option<&str> {
        self.network.as_ref().map(|n| n.description.as_str())
    }

    /// Answers commands from `input` until `quit` or the end of input, then stops any
    /// search (which prints its `bestmove`) and returns.
    pub fn run(&mut self, mut input: impl BufRead) {
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            match input.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // Bytes that are not UTF-8 become U+FFFD: such a token is unknown, not fatal.
            if !self.handle(&String::from_utf8_lossy(&bytes)) {
                break;
            }
        }
        self.stop_search();
    }

    /// Answers one line; `false` once it was `quit`.
    pub fn handle(&mut self, line: &str) -> bool {
        match command::parse(line) {
            Ok(None) => {}
            Ok(Some(Command::Quit)) => return false,
            Ok(Some(command)) => self.execute(command),
            Err(error) => self.error(&format!("{error} (line ignored: {:?})", line.trim())),
        }
        true
    }

    fn error(&self, message: &str) {
        self.output.line(&format!("info string error: {message}"));
    }

    fn execute(&mut self, command: Command) {
        match command {
            Command::Uci => self.identify(),
            Command::IsReady => {
                self.reap();
                self.output.line("readyok");
            }
            Command::UciNewGame => {
                self.reap();
                self.game = ChessGame::default().with_ply_cap(u32::MAX);
            }
            Command::Position(game) => self.game = *game,
            Command::Go(go) => self.go(&go),
            Command::Stop => self.stop_search(),
            Command::SetOption { name, value } => self.set_option(&name, value.as_deref()),
            Command::Quit => {}
        }
    }

    fn identify(&self) {
        let s = &self.settings;
        let batch = self
            .network
            .as_ref()
            .map_or(s.batch.unwrap_or(DEFAULT_BATCH_CPU), Network::batch);
        let backend = match s.backend {
            BackendChoice::Auto => "auto",
            BackendChoice::Gpu => "gpu",
            BackendChoice::Cpu => "cpu",
        };
        let checkpoint = s.checkpoint.as_deref().unwrap_or("<empty>");
        for line in [
            format!("id name wgzero {}", env!("CARGO_PKG_VERSION")),
            "id author wgzero".to_owned(),
            format!(
                "option name Simulations type spin default {} min 1 max {MAX_SIMULATIONS}",
                s.simulations
            ),
            format!("option name Batch type spin default {batch} min 1 max {MAX_BATCH}"),
            format!("option name Backend type combo default {backend} var auto var gpu var cpu"),
            format!("option name Checkpoint type string default {checkpoint}"),
            "uciok".to_owned(),
        ] {
            self.output.line(&line);
        }
    }

    fn set_option(&mut self, name: &str, value: Option<&str>) {
        self.reap();
        if self.running.is_some() {
            self.error(&format!(
                "setoption {name} while searching is ignored; send stop first"
            ));
            return;
        }
        let value = value.unwrap_or("").trim();
        let mut settings = self.settings.clone();
        let rebuild = match name.to_ascii_lowercase().as_str() {
            "simulations" => match value.parse::<u64>() {
                Ok(n) if (1..=MAX_SIMULATIONS).contains(&n) => {
                    settings.simulations = n;
                    false
                }
                _ => {
                    return self.error(&format!(
                        "Simulations must be a whole number in 1..={MAX_SIMULATIONS}, got {value:?}"
                    ));
                }
            },
            "batch" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_BATCH).contains(&n) => {
                    settings.batch = Some(n);
                    true
                }
                _ => {
                    return self.error(&format!(
                        "Batch must be a whole number in 1..={MAX_BATCH}, got {value:?}"
                    ));
                }
            },
            "backend" => {
                settings.backend = match value.to_ascii_lowercase().as_str() {
                    "auto" => BackendChoice::Auto,
                    "gpu" => BackendChoice::Gpu,
                    "cpu" => BackendChoice::Cpu,
                    _ => {
                        return self.error(&format!("Backend is auto, gpu or cpu, got {value:?}"));
                    }
                };
                true
            }
            "checkpoint" => {
                settings.checkpoint = Some(value.to_owned());
                true
            }
            _ => {
                return self.error(&format!(
                    "no option {name:?} (the options are Simulations, Batch, Backend, Checkpoint)"
                ));
            }
        };
        if rebuild {
            match load_network(&settings) {
                Ok(network) => {
                    self.output
                        .line(&format!("info string {}", network.description));
                    self.network = Some(network);
                }
                Err(error) => {
                    return self.error(&format!("{error}; the engine keeps its previous settings"));
                }
            }
        }
        self.settings = settings;
    }

    /// Joins a worker whose search has answered, taking the network back.
    fn reap(&mut self) {
        if self.running.as_ref().is_some_and(|running| {
            running.answered.load(Ordering::Acquire) || running.worker.is_finished()
        }) {
            self.join();
        }
    }

    fn join(&mut self) {
        if let Some(running) = self.running.take() {
            match running.worker.join() {
                Ok(network) => self.network = Some(network),
                Err(_) => self.error("the search thread failed; the network will be reloaded"),
            }
        }
    }

    /// Stops the search under way, if any; it prints its `bestmove`.
    fn stop_search(&mut self) {
        if let Some(running) = &self.running {
            running.stop.store(true, Ordering::Relaxed);
        }
        self.join();
    }

    fn go(&mut self, go: &GoParams) {
        let started = Instant::now();
        self.reap();
        if self.running.is_some() {
            return self.error("go while searching is ignored; send stop first");
        }
        if let Some(outcome) = self.game.outcome() {
            self.error(&format!(
                "the game is over ({outcome:?}); there is no move to search"
            ));
            self.output.line("bestmove 0000");
            return;
        }
        let network = match self.network.take() {
            Some(network) => network,
            None => match load_network(&self.settings) {
                Ok(network) => network,
                Err(error) => {
                    self.error(&format!("{error}; playing the first legal move"));
                    self.output
                        .line(&format!("bestmove {}", first_legal_move(&self.game)));
                    return;
                }
            },
        };
        let white = self.game.position().side_to_move() == Color::White;
        let budget = budget(go, white, self.settings.simulations);
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicBool::new(false));
        let job = Job {
            game: self.game.clone(),
            budget,
            started,
            stop: Arc::clone(&stop),
            answered: Arc::clone(&answered),
            output: self.output.clone(),
        };
        let worker = std::thread::Builder::new()
            .name("uci-search".into())
            .spawn(move || job.search(network));
        match worker {
            Ok(worker) => {
                self.running = Some(Running {
                    stop,
                    answered,
                    worker,
                })
            }
            Err(error) => {
                self.error(&format!("cannot start the search thread: {error}"));
                self.output
                    .line(&format!("bestmove {}", first_legal_move(&self.game)));
            }
        }
    }
}

fn first_legal_move(game: &ChessGame) -> String {
    game.legal_moves()
        .iter()
        .next()
        .map_or_else(|| "0000".to_owned(), |&m| notation::uci(m))
}

/// One search, as the worker runs it.
struct Job {
    game: ChessGame,
    budget: Budget,
    started: Instant,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicBool>,
    output: Output,
}

impl Job {
    fn search(self, mut network: Network) -> Network {
        let mut tree = match network.tree(&self.game) {
            Ok(tree) => tree,
            Err(error) => {
                self.output.line(&format!("info string error: {error}"));
                self.answered.store(true, Ordering::Release);
                self.output
                    .line(&format!("bestmove {}", first_legal_move(&self.game)));
                return network;
            }
        };
        let limits = SearchLimits {
            nodes: self.budget.nodes,
            // A deadline past what an Instant holds is no deadline.
            deadline: self.budget.time.and_then(|t| self.started.checked_add(t)),
            tree_nodes: Some(MAX_TREE_NODES),
        };
        let result = network.search(&mut tree, &limits, &self.stop, &mut |info| {
            self.output.line(&self.info_line(info));
        });
        match result {
            Ok(info) => {
                // UCI: in infinite mode the answer waits for `stop`, even after the search
                // ended (the tree reached its size bound).
                while self.budget.infinite && !self.stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                let info = SearchInfo {
                    elapsed: self.started.elapsed(),
                    ..info
                };
                self.output.line(&self.info_line(&info));
            }
            Err(error) => self
                .output
                .line(&format!("info string error: the search failed: {error}")),
        }
        let line = self.moves(&tree.principal_variation(2));
        let answer = match line.as_slice() {
            [best, ponder, ..] => format!("bestmove {best} ponder {ponder}"),
            [best] => format!("bestmove {best}"),
            [] => format!("bestmove {}", first_legal_move(&self.game)),
        };
        self.answered.store(true, Ordering::Release);
        self.output.line(&answer);
        network
    }

    /// Actions from the root as UCI moves, as far as they are legal in turn.
    fn moves(&self, actions: &[usize]) -> Vec<String> {
        let mut game = self.game.clone();
        let mut moves = Vec::new();
        for &action in actions {
            let Some(chess_move) = encoding::move_of(action, game.position()) else {
                break;
            };
            if game.apply(action).is_err() {
                break;
            }
            moves.push(notation::uci(chess_move));
        }
        moves
    }

    fn info_line(&self, info: &SearchInfo) -> String {
        let elapsed = self.started.elapsed();
        let seconds = elapsed.as_secs_f64();
        let nps = if seconds > 0.0 {
            (info.nodes as f64 / seconds) as u64
        } else {
            0
        };
        let mut line = format!(
            "info depth {} seldepth {} time {} nodes {} nps {nps} score cp {}",
            (info.mean_depth.round() as u32).max(1),
            info.max_depth.max(1),
            elapsed.as_millis(),
            info.nodes,
            centipawns(info.root_value),
        );
        let pv = self.moves(&info.principal_variation);
        if !pv.is_empty() {
            line.push_str(" pv ");
            line.push_str(&pv.join(" "));
        }
        line
    }
}
