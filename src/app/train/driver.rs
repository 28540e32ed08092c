//! Runs a [`Trainer`] for the app without ever blocking the UI: on native a worker thread
//! owns the trainer (it may wait for the GPU there, as the CLI does), on the web the
//! trainer advances a slice per frame. Either way the UI sends commands and polls updates.

use std::path::PathBuf;
use std::time::Duration;

use eframe::egui;

use crate::backend::Compute;
use crate::run_dir::metrics::IterationMetrics;
use crate::train::{TrainConfig, Trainer, TrainerEvent};

/// How a run begins: a new run directory, or an existing one resumed.
#[derive(Clone, Debug)]
pub enum RunSource {
    New {
        config: TrainConfig,
        run_dir: PathBuf,
    },
    Resume {
        run_dir: PathBuf,
    },
}

/// What the driver tells the UI.
#[derive(Debug)]
pub enum RunUpdate {
    /// A long step before the first iteration (compiling, building the accuracy set).
    Preparing(String),
    /// The trainer exists: the run's settings, where it runs, and its history so far (a
    /// resumed run's earlier iterations).
    Started {
        description: String,
        run_dir: PathBuf,
        config: Box<TrainConfig>,
        history: Vec<IterationMetrics>,
    },
    Event(TrainerEvent),
    Paused,
    Resumed,
    /// The run ended (stopped by the user); the last checkpoint holds everything.
    Stopped {
        iteration: u64,
    },
    Failed(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Pause,
    Resume,
    Stop,
}

/// Describes a trainer that has just been built.
fn started(trainer: &Trainer) -> RunUpdate {
    RunUpdate::Started {
        description: trainer.description(),
        run_dir: trainer.run_dir().to_owned(),
        config: Box::new(trainer.config().clone()),
        history: trainer.history().to_vec(),
    }
}

fn build(source: RunSource, compute: &Compute) -> Result<Trainer, String> {
    let trainer = match source {
        RunSource::New { config, run_dir } => Trainer::new(config, &run_dir, compute),
        RunSource::Resume { run_dir } => Trainer::resume(&run_dir, compute),
    };
    trainer.map_err(|error| error.to_string())
}

const PREPARING: &str =
    "preparing the run: compiling the networks' programs, building the accuracy set";

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
    use std::thread::JoinHandle;

    use super::*;

    /// Host work per slice between looks at the commands.
    const SLICE: Duration = Duration::from_millis(50);

    /// How soon the UI repaints after an update: coalesces the many progress events of a
    /// slice into frames at most 10 a second (while a run goes, the app repaints every
    /// 90 ms anyway, and the earlier request wins).
    const REPAINT_AFTER: Duration = Duration::from_millis(100);

    /// The trainer on a worker thread.
    pub struct RunDriver {
        commands: Sender<Command>,
        updates: Receiver<RunUpdate>,
        worker: Option<JoinHandle<()>>,
    }

    impl RunDriver {
        pub fn start(source: RunSource, compute: Compute, repaint: egui::Context) -> Self {
            let (commands, command_rx) = mpsc::channel();
            let (update_tx, updates) = mpsc::channel();
            let worker = std::thread::Builder::new()
                .name("wgzero-trainer".into())
                .spawn(move || work(source, compute, command_rx, update_tx, repaint))
                .expect("spawning a thread");
            Self {
                commands,
                updates,
                worker: Some(worker),
            }
        }

        pub fn pause(&self) {
            let _ = self.commands.send(Command::Pause);
        }

        pub fn resume(&self) {
            let _ = self.commands.send(Command::Resume);
        }

        pub fn stop(&self) {
            let _ = self.commands.send(Command::Stop);
        }

        /// The updates since the last call. Never blocks.
        pub fn poll(&mut self) -> Vec<RunUpdate> {
            self.updates.try_iter().collect()
        }
    }

    impl Drop for RunDriver {
        fn drop(&mut self) {
            let _ = self.commands.send(Command::Stop);
            if let Some(worker) = self.worker.take() {
                // At most one slice of work (and a checkpoint write) away.
                let _ = worker.join();
            }
        }
    }

    fn work(
        source: RunSource,
        compute: Compute,
        commands: Receiver<Command>,
        updates: Sender<RunUpdate>,
        repaint: egui::Context,
    ) {
        let send = |update: RunUpdate| {
            let _ = updates.send(update);
            repaint.request_repaint_after(REPAINT_AFTER);
        };
        send(RunUpdate::Preparing(PREPARING.into()));
        let mut trainer = match build(source, &compute) {
            Ok(trainer) => trainer,
            Err(error) => return send(RunUpdate::Failed(error)),
        };
        send(started(&trainer));
        let mut paused = false;
        loop {
            // While paused, sleep until a command comes; a UI that is gone means stop.
            let command = if paused {
                Some(commands.recv().unwrap_or(Command::Stop))
            } else {
                match commands.try_recv() {
                    Ok(command) => Some(command),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Command::Stop),
                }
            };
            match command {
                Some(Command::Stop) => {
                    return send(RunUpdate::Stopped {
                        iteration: trainer.iteration(),
                    });
                }
                Some(Command::Pause) => {
                    if !paused {
                        paused = true;
                        trainer.pause_clock();
                        send(RunUpdate::Paused);
                    }
                    continue;
                }
                Some(Command::Resume) if paused => {
                    paused = false;
                    trainer.resume_clock();
                    send(RunUpdate::Resumed);
                }
                Some(Command::Resume) | None => {}
            }
            let advance = match trainer.advance(SLICE) {
                Ok(advance) => advance,
                Err(error) => return send(RunUpdate::Failed(error.to_string())),
            };
            for event in advance.events {
                send(RunUpdate::Event(event));
            }
            if let (Some(submission), Some(gpu)) = (advance.waiting_for, trainer.gpu()) {
                // This thread may block: the UI thread never does.
                if let Err(error) = gpu.wait_for(Some(submission)) {
                    return send(RunUpdate::Failed(error.to_string()));
                }
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::collections::VecDeque;

    use super::*;

    /// Host work per frame: the rest of the frame draws the UI.
    const FRAME_BUDGET: Duration = Duration::from_millis(30);

    enum State {
        /// Built on the next poll (after a frame has shown that it is preparing).
        Pending(RunSource),
        Running {
            trainer: Box<Trainer>,
            paused: bool,
        },
        Done,
    }

    /// The trainer advanced a slice per frame (the browser has no threads to spare).
    pub struct RunDriver {
        state: State,
        compute: Compute,
        queued: VecDeque<Command>,
        repaint: egui::Context,
        announced: bool,
    }

    impl RunDriver {
        pub fn start(source: RunSource, compute: Compute, repaint: egui::Context) -> Self {
            Self {
                state: State::Pending(source),
                compute,
                queued: VecDeque::new(),
                repaint,
                announced: false,
            }
        }

        pub fn pause(&mut self) {
            self.queued.push_back(Command::Pause);
        }

        pub fn resume(&mut self) {
            self.queued.push_back(Command::Resume);
        }

        pub fn stop(&mut self) {
            self.queued.push_back(Command::Stop);
        }

        /// Advances the trainer by one frame's slice; the updates it made.
        pub fn poll(&mut self) -> Vec<RunUpdate> {
            let mut updates = Vec::new();
            if !self.announced {
                self.announced = true;
                updates.push(RunUpdate::Preparing(PREPARING.into()));
                self.repaint.request_repaint();
                return updates;
            }
            if let State::Pending(_) = self.state {
                let State::Pending(source) = std::mem::replace(&mut self.state, State::Done) else {
                    unreachable!()
                };
                match build(source, &self.compute) {
                    Ok(trainer) => {
                        updates.push(started(&trainer));
                        self.state = State::Running {
                            trainer: Box::new(trainer),
                            paused: false,
                        };
                    }
                    Err(error) => updates.push(RunUpdate::Failed(error)),
                }
            }
            let State::Running { trainer, paused } = &mut self.state else {
                return updates;
            };
            while let Some(command) = self.queued.pop_front() {
                match command {
                    Command::Pause if !*paused => {
                        *paused = true;
                        trainer.pause_clock();
                        updates.push(RunUpdate::Paused);
                    }
                    Command::Resume if *paused => {
                        *paused = false;
                        trainer.resume_clock();
                        updates.push(RunUpdate::Resumed);
                    }
                    Command::Stop => {
                        updates.push(RunUpdate::Stopped {
                            iteration: trainer.iteration(),
                        });
                        self.state = State::Done;
                        return updates;
                    }
                    _ => {}
                }
            }
            if *paused {
                return updates;
            }
            match trainer.advance(FRAME_BUDGET) {
                Ok(advance) => updates.extend(advance.events.into_iter().map(RunUpdate::Event)),
                Err(error) => {
                    updates.push(RunUpdate::Failed(error.to_string()));
                    self.state = State::Done;
                    return updates;
                }
            }
            self.repaint.request_repaint();
            updates
        }
    }
}

pub use imp::RunDriver;
