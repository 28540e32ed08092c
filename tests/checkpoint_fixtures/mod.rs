//! What the checkpoint tests share: a small MLP's compiled training step with a fixed
//! batch, its network descriptor, and a metrics record.
#![allow(dead_code)] // Each test file uses its own part.

use std::num::NonZeroUsize;

use serde_json::{Value, json};
use wgzero::backend::Compute;
use wgzero::graph::optim::{Optimizer, UpdateConfig};
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::{self, Network, mlp::Mlp, names};
use wgzero::run_dir::metrics::IterationMetrics;

pub fn small_mlp() -> Mlp {
    Mlp {
        input: 6,
        hidden: vec![8],
        actions: 5,
    }
}

pub fn descriptor(mlp: &Mlp) -> Value {
    json!({ "kind": "mlp", "input": mlp.input, "hidden": mlp.hidden, "actions": mlp.actions })
}

pub const BATCH: usize = 4;

/// A compiled Adam training step for `mlp` with a fixed batch written in.
pub fn training_program(mlp: &Mlp, compute: &Compute, seed: u64) -> (Graph, Program) {
    let graph = Graph::new();
    let update = UpdateConfig {
        optimizer: Optimizer::adam(),
        learning_rate: 1e-2,
        l2: 0.0,
        clip_global_norm: None,
    };
    nn::training_step(&graph, mlp, BATCH, &update).unwrap();
    let options = CompileOptions {
        seed,
        ..CompileOptions::default()
    };
    let mut program = Program::compile(&graph, compute, &options).unwrap();
    let actions = mlp.num_actions();
    let observations: Vec<f32> = (0..BATCH * mlp.observation_len())
        .map(|i| ((i * 7) % 5) as f32 / 4.0)
        .collect();
    let mask = vec![1.0; BATCH * actions];
    let mut target = vec![0.0; BATCH * actions];
    for row in 0..BATCH {
        target[row * actions + (row * 3) % actions] = 1.0;
    }
    let values: Vec<f32> = (0..BATCH).map(|row| [1.0, -1.0, 0.0][row % 3]).collect();
    program.write(names::OBSERVATIONS, &observations).unwrap();
    program.write(names::LEGAL_MASK, &mask).unwrap();
    program.write(names::POLICY_TARGET, &target).unwrap();
    program.write(names::VALUE_TARGET, &values).unwrap();
    (graph, program)
}

pub fn inference_program(mlp: &Mlp, compute: &Compute) -> (Graph, Program) {
    let graph = Graph::new();
    nn::inference(&graph, mlp, 2);
    let program = Program::compile(&graph, compute, &CompileOptions::default()).unwrap();
    (graph, program)
}

pub fn metrics_record(iteration: u64) -> IterationMetrics {
    IterationMetrics {
        iteration,
        elapsed_seconds: iteration as f64,
        loss: 1.0,
        policy_loss: 0.75,
        value_loss: 0.25,
        policy_entropy: 1.5,
        learning_rate: 2e-3,
        mean_game_length: 9.0,
        first_player_win_rate: 0.5,
        draw_rate: 0.25,
        random_win_rate: None,
        random_draw_rate: None,
        previous_win_rate: None,
        previous_draw_rate: None,
        policy_accuracy: Some(0.5),
        search_accuracy: None,
        positions_per_second: 100.0,
        evaluations_per_second: 1000.0,
        games_played: 8,
        counterexamples_total: 0,
        counterexamples_distinct: 0,
        backend: "cpu".to_owned(),
    }
}

pub fn keep(count: usize) -> NonZeroUsize {
    NonZeroUsize::new(count).unwrap()
}
