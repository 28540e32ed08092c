//! Whole training steps (forward, loss, backward, Adam) compiled as one graph: a small MLP
//! and a small residual conv net (NHWC 6×6 boards, 3×3 convs) learn synthetic tasks whose
//! targets are functions of the inputs, on every backend. The loss must fall, and every
//! backend's per-step losses must match the CPU backend's.

#[allow(dead_code)]
mod harness;

use harness::{Data, read};
use wgzero::backend::Compute;
use wgzero::graph::autodiff::gradients;
use wgzero::graph::optim::{Optimizer, UpdateConfig, add_update};
use wgzero::graph::{CompileOptions, Graph, Init, Program, Tensor};
use wgzero::testing::on_every_backend;

/// A training task: the graph (with its update), the batch to feed every step, and the
/// lowest loss possible (the policy targets' mean entropy: a perfect fit leaves it).
struct Task {
    graph: Graph,
    inputs: Vec<(&'static str, Vec<f32>)>,
    floor: f32,
}

/// Mean entropy of the rows of `targets`, in nats.
fn mean_entropy(targets: &[f32], columns: usize) -> f32 {
    let rows = targets.len() / columns;
    let total: f64 = targets
        .iter()
        .filter(|&&t| t > 0.0)
        .map(|&t| -f64::from(t) * f64::from(t).ln())
        .sum();
    (total / rows as f64) as f32
}

fn adam(graph: &Graph, loss: Tensor, learning_rate: f32) {
    let params = graph.parameters();
    let grads = gradients(graph, loss, &params).unwrap();
    let config = UpdateConfig {
        optimizer: Optimizer::adam(),
        learning_rate,
        l2: 0.0,
        clip_global_norm: None,
    };
    add_update(graph, &params, &grads, &config);
    graph.output("loss", loss);
}

fn he(fan_in: usize) -> Init {
    Init::Normal {
        std: (2.0 / fan_in as f32).sqrt(),
    }
}

/// 6 features → 16 → layer norm → 16 → (3 policy logits, 1 value). Targets: the class
/// whose fixed random direction best matches the features (as soft targets), and
/// `tanh` of a fixed linear function of them.
fn mlp_task() -> Task {
    const BATCH: usize = 48;
    const FEATURES: usize = 6;
    const CLASSES: usize = 3;
    let mut data = Data::new(70);
    let features = data.uniform(BATCH * FEATURES, -1.0, 1.0);
    let directions = data.uniform(FEATURES * CLASSES, -1.0, 1.0);
    let value_weights = data.uniform(FEATURES, -1.0, 1.0);
    let (mut policy_target, mut value_target) = (Vec::new(), Vec::new());
    for row in features.chunks(FEATURES) {
        let score = |c: usize| -> f32 {
            (0..FEATURES)
                .map(|i| row[i] * directions[i * CLASSES + c])
                .sum()
        };
        let best = (0..CLASSES)
            .max_by(|&a, &b| score(a).total_cmp(&score(b)))
            .unwrap();
        policy_target.extend((0..CLASSES).map(|c| if c == best { 0.9 } else { 0.05 }));
        value_target.push(
            row.iter()
                .zip(&value_weights)
                .map(|(x, w)| x * w)
                .sum::<f32>()
                .tanh(),
        );
    }

    let g = Graph::new();
    let x = g.input("features", [BATCH, FEATURES]);
    let policy_targets = g.input("policy_target", [BATCH, CLASSES]);
    let value_targets = g.input("value_target", [BATCH, 1]);
    let w1 = g.parameter("w1", [FEATURES, 16], he(FEATURES));
    let b1 = g.parameter("b1", [16], Init::Zeros);
    let w2 = g.parameter("w2", [16, 16], he(16));
    let b2 = g.parameter("b2", [16], Init::Zeros);
    let policy_w = g.parameter("policy_w", [16, CLASSES], he(16));
    let value_w = g.parameter("value_w", [16, 1], he(16));
    let hidden = g.relu(g.linear(x, w1, Some(b1)));
    let hidden = g.tanh(g.linear(g.layer_norm(hidden, 1e-5), w2, Some(b2)));
    let logits = g.linear(hidden, policy_w, None);
    let value = g.tanh(g.linear(hidden, value_w, None));
    let policy_loss = g.mean_all(g.soft_cross_entropy(logits, policy_targets, None));
    let loss = g.add(policy_loss, g.mse(value, value_targets));
    adam(&g, loss, 0.01);
    Task {
        graph: g,
        floor: mean_entropy(&policy_target, CLASSES),
        inputs: vec![
            ("features", features),
            ("policy_target", policy_target),
            ("value_target", value_target),
        ],
    }
}

/// A residual conv net on NHWC `[8, 6, 6, 4]` boards: 3×3 stem to 8 channels, one
/// residual block of two 3×3 convs, a 1×1 policy head over the 36 squares with a legality
/// mask, and a pooled value head. Targets: a softmax of the 3×3 neighbourhood sums of
/// plane 0 minus plane 1 over the legal squares (plane 2 > 0), and `tanh` of the board's
/// mean of plane 0 minus plane 1.
fn residual_conv_task() -> Task {
    const BATCH: usize = 8;
    const SIDE: usize = 6;
    const PLANES: usize = 4;
    const CHANNELS: usize = 8;
    const SQUARES: usize = SIDE * SIDE;
    let mut data = Data::new(71);
    let boards = data.integers(BATCH * SQUARES * PLANES, 0, 1);
    let plane = |b: usize, y: isize, x: isize, p: usize| -> f32 {
        if y < 0 || x < 0 || y >= SIDE as isize || x >= SIDE as isize {
            return 0.0;
        }
        boards[((b * SIDE + y as usize) * SIDE + x as usize) * PLANES + p]
    };
    let (mut mask, mut policy_target, mut value_target) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..BATCH {
        let mut logits = Vec::new();
        for square in 0..SQUARES {
            let (y, x) = ((square / SIDE) as isize, (square % SIDE) as isize);
            let legal = square == 0 || plane(b, y, x, 2) > 0.0;
            mask.push(if legal { 1.0 } else { 0.0 });
            let mut total = 0.0;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    total += plane(b, y + dy, x + dx, 0) - plane(b, y + dy, x + dx, 1);
                }
            }
            logits.push(if legal { (total * 0.7).exp() } else { 0.0 });
        }
        let sum: f32 = logits.iter().sum();
        policy_target.extend(logits.iter().map(|v| v / sum));
        let balance: f32 = (0..SQUARES)
            .map(|s| {
                plane(b, (s / SIDE) as isize, (s % SIDE) as isize, 0)
                    - plane(b, (s / SIDE) as isize, (s % SIDE) as isize, 1)
            })
            .sum();
        value_target.push((balance / SQUARES as f32 * 4.0).tanh());
    }

    let g = Graph::new();
    let boards_in = g.input("boards", [BATCH, SIDE, SIDE, PLANES]);
    let mask_in = g.input("mask", [BATCH, SQUARES]);
    let policy_targets = g.input("policy_target", [BATCH, SQUARES]);
    let value_targets = g.input("value_target", [BATCH, 1]);
    let conv = |name: &str, x: Tensor, k: usize, cin: usize, cout: usize| {
        let w = g.parameter(&format!("{name}.w"), [k, k, cin, cout], he(k * k * cin));
        let b = g.parameter(&format!("{name}.b"), [cout], Init::Zeros);
        g.add(g.conv2d(x, w), b)
    };
    let stem = g.relu(conv("stem", boards_in, 3, PLANES, CHANNELS));
    let inner = g.relu(conv("block.a", stem, 3, CHANNELS, CHANNELS));
    let trunk = g.relu(g.add(stem, conv("block.b", inner, 3, CHANNELS, CHANNELS)));
    let policy_plane = conv("policy", trunk, 1, CHANNELS, 1);
    let logits = g.reshape(policy_plane, [BATCH, SQUARES]);
    let policy_loss = g.mean_all(g.soft_cross_entropy(logits, policy_targets, Some(mask_in)));
    let pooled = g.mean(trunk, &[1, 2], false);
    let value_w = g.parameter("value.w", [CHANNELS, 1], he(CHANNELS));
    let value = g.tanh(g.linear(pooled, value_w, None));
    let loss = g.add(policy_loss, g.mse(value, value_targets));
    adam(&g, loss, 0.01);
    Task {
        graph: g,
        floor: mean_entropy(&policy_target, SQUARES),
        inputs: vec![
            ("boards", boards),
            ("mask", mask),
            ("policy_target", policy_target),
            ("value_target", value_target),
        ],
    }
}

/// The loss before each of `steps` training steps on `compute`.
fn loss_curve(task: &Task, compute: &Compute, steps: usize) -> Vec<f32> {
    let options = CompileOptions {
        seed: 3,
        ..CompileOptions::default()
    };
    let mut program = Program::compile(&task.graph, compute, &options).unwrap();
    for (name, values) in &task.inputs {
        program.write(name, values).unwrap();
    }
    (0..steps)
        .map(|_| {
            program.run().unwrap();
            read(&program, "loss")[0]
        })
        .collect()
}

/// Trains on every backend: the loss's excess over the task's floor falls to below
/// `fraction` of its start, and each backend's curve matches the CPU's step by step.
fn check_training(what: &str, task: &Task, steps: usize, fraction: f32) {
    let reference = loss_curve(task, &Compute::Cpu, steps);
    eprintln!("{what} on the CPU (floor {}): {reference:?}", task.floor);
    let (first, last) = (reference[0] - task.floor, reference[steps - 1] - task.floor);
    assert!(
        first.is_finite() && last < fraction * first,
        "{what}: the loss above its floor {} went from {first} to {last}, not below \
         {fraction} of its start",
        task.floor
    );
    on_every_backend(|compute| {
        let curve = loss_curve(task, compute, steps);
        for (step, (&got, &want)) in curve.iter().zip(&reference).enumerate() {
            // Rounding differences between backends grow over the steps; 0.2% leaves
            // room for that, while a wrong kernel moves the curve by far more.
            assert!(
                (got - want).abs() <= 1e-4 + 2e-3 * want.abs(),
                "{what}: on {} the loss before step {step} is {got}, on the CPU {want}",
                compute.name()
            );
        }
    });
}

#[test]
fn mlp_learns_and_every_backend_follows_the_cpu() {
    check_training("mlp", &mlp_task(), 40, 0.2);
}

#[test]
fn residual_conv_net_learns_and_every_backend_follows_the_cpu() {
    check_training("residual conv net", &residual_conv_task(), 30, 0.15);
}
