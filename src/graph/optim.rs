//! Optimizer updates as graph nodes: each step's new parameters and moments are computed
//! in the graph and committed with assigns, so fusion turns a parameter's whole update
//! into one kernel and the update never leaves the device.

use super::ir::{Graph, Init, Tensor};

/// Which update rule, with its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Optimizer {
    /// SGD with momentum (`momentum` 0 gives plain SGD).
    Sgd { momentum: f32 },
    /// Adam; with `decoupled_weight_decay` > 0 it is AdamW.
    Adam {
        beta1: f32,
        beta2: f32,
        epsilon: f32,
        decoupled_weight_decay: f32,
    },
}

impl Optimizer {
    pub fn adam() -> Self {
        Optimizer::Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            decoupled_weight_decay: 0.0,
        }
    }
}

/// Everything an update step needs besides the rule.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpdateConfig {
    pub optimizer: Optimizer,
    /// Initial value of the `optimizer.learning_rate` state (write it to change it).
    pub learning_rate: f32,
    /// L2 penalty coefficient added to the gradient (`g + l2 · p`).
    pub l2: f32,
    /// Rescale all gradients together when their global norm exceeds this.
    pub clip_global_norm: Option<f32>,
}

/// Names of the optimizer's own states.
pub const LEARNING_RATE: &str = "optimizer.learning_rate";
pub const STEP: &str = "optimizer.step";
/// β₁ᵗ and β₂ᵗ after the last step (Adam).
pub const BETA1_POWER: &str = "optimizer.beta1_power";
pub const BETA2_POWER: &str = "optimizer.beta2_power";

/// Appends the update of every parameter in `params` (with gradients `grads`) and assigns
/// the results. Moments are states named `<param>.m`, `<param>.v` (Adam) or
/// `<param>.momentum` (SGD).
pub fn add_update(graph: &Graph, params: &[Tensor], grads: &[Tensor], config: &UpdateConfig) {
    assert_eq!(params.len(), grads.len(), "one gradient per parameter");
    let learning_rate = graph.state(LEARNING_RATE, [], Init::Constant(config.learning_rate));
    let mut grads = grads.to_vec();
    if let Some(max_norm) = config.clip_global_norm {
        grads = clip_global_norm(graph, &grads, max_norm);
    }
    if config.l2 != 0.0 {
        for (grad, param) in grads.iter_mut().zip(params) {
            *grad = graph.add(*grad, graph.scale(*param, config.l2));
        }
    }
    let names: Vec<String> = params
        .iter()
        .map(|p| match graph.node(p.id).op {
            super::ir::Op::Parameter { name, .. } => name,
            other => panic!("add_update: {} is not a parameter", other.name()),
        })
        .collect();
    match config.optimizer {
        Optimizer::Sgd { momentum } => {
            for ((param, grad), name) in params.iter().zip(&grads).zip(&names) {
                let velocity = if momentum != 0.0 {
                    let buffer = graph.state(&format!("{name}.momentum"), param.shape, Init::Zeros);
                    let next = graph.add(graph.scale(buffer, momentum), *grad);
                    graph.assign(buffer, next);
                    next
                } else {
                    *grad
                };
                graph.assign(
                    *param,
                    graph.sub(*param, graph.mul(learning_rate, velocity)),
                );
            }
        }
        Optimizer::Adam {
            beta1,
            beta2,
            epsilon,
            decoupled_weight_decay,
        } => {
            let step = graph.state(STEP, [], Init::Zeros);
            let next_step = graph.shift(step, 1.0);
            graph.assign(step, next_step);
            // Bias corrections 1 − βᵗ, folded into one scalar step size. βᵗ is kept as a
            // running product: GPU `pow` (exp2 ∘ log2) loses digits that 1 − βᵗ then
            // magnifies at small t.
            let power = |name: &str, beta: f32| {
                let state = graph.state(name, [], Init::Constant(1.0));
                let next = graph.scale(state, beta);
                graph.assign(state, next);
                next
            };
            let correction1 = graph.sub(graph.scalar(1.0), power(BETA1_POWER, beta1));
            let correction2 = graph.sub(graph.scalar(1.0), power(BETA2_POWER, beta2));
            let step_size = graph.div(
                graph.mul(learning_rate, graph.sqrt(correction2)),
                correction1,
            );
            // ε is scaled like the bias-corrected form: sqrt(v̂) + ε = (sqrt(v) + ε·sqrt(c2)) / sqrt(c2).
            let scaled_epsilon = graph.scale(graph.sqrt(correction2), epsilon);
            for ((param, grad), name) in params.iter().zip(&grads).zip(&names) {
                let m = graph.state(&format!("{name}.m"), param.shape, Init::Zeros);
                let v = graph.state(&format!("{name}.v"), param.shape, Init::Zeros);
                let next_m = graph.add(graph.scale(m, beta1), graph.scale(*grad, 1.0 - beta1));
                let next_v = graph.add(
                    graph.scale(v, beta2),
                    graph.scale(graph.square(*grad), 1.0 - beta2),
                );
                graph.assign(m, next_m);
                graph.assign(v, next_v);
                let direction = graph.div(next_m, graph.add(graph.sqrt(next_v), scaled_epsilon));
                let mut next = graph.sub(*param, graph.mul(step_size, direction));
                if decoupled_weight_decay != 0.0 {
                    let decay =
                        graph.mul(learning_rate, graph.scale(*param, decoupled_weight_decay));
                    next = graph.sub(next, decay);
                }
                graph.assign(*param, next);
            }
        }
    }
}

/// Scales all gradients by `min(1, max_norm / ‖g‖)` where `‖g‖` is their joint L2 norm.
pub fn clip_global_norm(graph: &Graph, grads: &[Tensor], max_norm: f32) -> Vec<Tensor> {
    let squares = grads
        .iter()
        .map(|g| graph.sum_all(graph.square(*g)))
        .reduce(|a, b| graph.add(a, b))
        .expect("at least one gradient");
    let norm = graph.sqrt(squares);
    let factor = graph.minimum(
        graph.scalar(1.0),
        graph.div(graph.scalar(max_norm), graph.shift(norm, 1e-12)),
    );
    grads.iter().map(|g| graph.mul(*g, factor)).collect()
}
