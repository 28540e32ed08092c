//! Optimizer updates built by `optim::add_update`, on every backend, over several steps
//! against an f64 re-implementation of the published rules:
//! - Adam: Kingma & Ba (2015), Algorithm 1 (bias-corrected moments, ε outside the root);
//! - AdamW: Loshchilov & Hutter (2019), Algorithm 2 with schedule multiplier η_t = the
//!   learning rate and α = 1 (PyTorch's AdamW): `θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ)`;
//! - SGD with heavy-ball momentum as PyTorch applies it: `b ← μ·b + g; θ ← θ − lr·b`;
//! - L2: `g ← g + l2·θ`, before the moments (coupled, unlike AdamW's decay);
//! - global-norm clipping (Pascanu et al. 2013), before L2 as in PyTorch's
//!   `clip_grad_norm_` followed by the optimizer's weight decay:
//!   `g ← g·min(1, max_norm / ‖(g_1, …, g_n)‖₂)` over all parameters together.
//!
//! The loss `Σ x⊙θ + ½ Σ d⊙θ²` has the gradient `x + d⊙θ`, computed here in f64 from
//! the reference's own parameters; `x` changes every step. Parameters, moments and the
//! step counter are read back by name after every step.

#[allow(dead_code)]
mod harness;

use harness::{Data, assert_close, read, widen};
use wgzero::graph::autodiff::gradients;
use wgzero::graph::optim::{LEARNING_RATE, Optimizer, STEP, UpdateConfig, add_update};
use wgzero::graph::{CompileOptions, Graph, GraphError, Init, Program};
use wgzero::testing::on_every_backend;

/// (name, extents) of the parameters under training.
const PARAMETERS: [(&str, &[usize]); 2] = [("weight", &[3, 4]), ("bias", &[5])];
const STEPS: usize = 6;

fn curvature(index: usize, count: usize) -> Vec<f32> {
    Data::new(60 + index as u64).uniform(count, 0.5, 2.0)
}

/// The training graph: `loss = Σ_p Σ x_p⊙p + ½ Σ d_p⊙p²` and the update of every `p`.
fn build(config: &UpdateConfig) -> Graph {
    let g = Graph::new();
    let mut params = Vec::new();
    let mut loss = g.scalar(0.0);
    for (index, (name, dims)) in PARAMETERS.iter().enumerate() {
        let p = g.parameter(name, *dims, Init::Normal { std: 0.5 });
        let x = g.input(&format!("x.{name}"), *dims);
        let d = g.constant(&curvature(index, p.shape.num_elements()), *dims);
        let term = g.add(
            g.sum_all(g.mul(x, p)),
            g.scale(g.sum_all(g.mul(d, g.square(p))), 0.5),
        );
        loss = g.add(loss, term);
        params.push(p);
    }
    let grads = gradients(&g, loss, &params).unwrap();
    add_update(&g, &params, &grads, config);
    g.output("loss", loss);
    g
}

/// The f64 reference optimizer state.
struct Reference {
    params: Vec<Vec<f64>>,
    first_moment: Vec<Vec<f64>>,
    second_moment: Vec<Vec<f64>>,
    momentum: Vec<Vec<f64>>,
    /// Σ over steps of |Δθ| per element: the parameter tolerance scales with it.
    travelled: Vec<Vec<f64>>,
    step: i32,
}

impl Reference {
    fn new(params: Vec<Vec<f64>>) -> Self {
        let zeros: Vec<Vec<f64>> = params.iter().map(|p| vec![0.0; p.len()]).collect();
        Self {
            first_moment: zeros.clone(),
            second_moment: zeros.clone(),
            momentum: zeros.clone(),
            travelled: zeros,
            params,
            step: 0,
        }
    }

    fn loss(&self, inputs: &[Vec<f32>]) -> f64 {
        let mut total = 0.0;
        for (index, (p, x)) in self.params.iter().zip(inputs).enumerate() {
            let d = curvature(index, p.len());
            for i in 0..p.len() {
                total += f64::from(x[i]) * p[i] + 0.5 * f64::from(d[i]) * p[i] * p[i];
            }
        }
        total
    }

    /// One update with the gradients of the loss at `inputs` and learning rate `lr`.
    fn step(&mut self, inputs: &[Vec<f32>], config: &UpdateConfig, lr: f64) {
        let mut grads: Vec<Vec<f64>> = self
            .params
            .iter()
            .zip(inputs)
            .enumerate()
            .map(|(index, (p, x))| {
                let d = curvature(index, p.len());
                (0..p.len())
                    .map(|i| f64::from(x[i]) + f64::from(d[i]) * p[i])
                    .collect()
            })
            .collect();
        if let Some(max_norm) = config.clip_global_norm {
            let norm = grads.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
            let factor = (f64::from(max_norm) / norm).min(1.0);
            grads.iter_mut().flatten().for_each(|g| *g *= factor);
        }
        let l2 = f64::from(config.l2);
        for (grad, p) in grads.iter_mut().zip(&self.params) {
            for (g, &value) in grad.iter_mut().zip(p) {
                *g += l2 * value;
            }
        }
        self.step += 1;
        for (index, grad) in grads.iter().enumerate() {
            for (i, &g) in grad.iter().enumerate() {
                let old = self.params[index][i];
                let new = match config.optimizer {
                    Optimizer::Sgd { momentum } => {
                        let buffer = &mut self.momentum[index][i];
                        *buffer = f64::from(momentum) * *buffer + g;
                        old - lr * *buffer
                    }
                    Optimizer::Adam {
                        beta1,
                        beta2,
                        epsilon,
                        decoupled_weight_decay,
                    } => {
                        let (beta1, beta2) = (f64::from(beta1), f64::from(beta2));
                        let m = &mut self.first_moment[index][i];
                        *m = beta1 * *m + (1.0 - beta1) * g;
                        let v = &mut self.second_moment[index][i];
                        *v = beta2 * *v + (1.0 - beta2) * g * g;
                        let m_hat = *m / (1.0 - beta1.powi(self.step));
                        let v_hat = *v / (1.0 - beta2.powi(self.step));
                        let direction = m_hat / (v_hat.sqrt() + f64::from(epsilon));
                        old - lr * (direction + f64::from(decoupled_weight_decay) * old)
                    }
                };
                self.params[index][i] = new;
                self.travelled[index][i] += (new - old).abs();
            }
        }
    }
}

/// Trains `STEPS` steps on every backend, writing `optimizer.learning_rate` where
/// `new_rates` says (step index, rate), and compares every step with the reference.
fn check_against_reference(what: &str, config: UpdateConfig, new_rates: &[(usize, f32)]) {
    on_every_backend(|compute| {
        let graph = build(&config);
        let options = CompileOptions {
            seed: 5,
            ..CompileOptions::default()
        };
        let mut program = Program::compile(&graph, compute, &options).unwrap();
        assert_eq!(
            read(&program, LEARNING_RATE),
            [config.learning_rate],
            "{what}: initial learning rate"
        );
        let initial: Vec<Vec<f64>> = PARAMETERS
            .iter()
            .map(|(name, _)| widen(&read(&program, name)))
            .collect();
        let mut reference = Reference::new(initial);
        let mut lr = f64::from(config.learning_rate);
        let mut data = Data::new(61);
        for step in 0..STEPS {
            if let Some(&(_, rate)) = new_rates.iter().find(|(at, _)| *at == step) {
                program.write(LEARNING_RATE, &[rate]).unwrap();
                lr = f64::from(rate);
            }
            let inputs: Vec<Vec<f32>> = PARAMETERS
                .iter()
                .map(|(_, dims)| data.uniform(dims.iter().product(), -1.0, 1.0))
                .collect();
            for ((name, _), x) in PARAMETERS.iter().zip(&inputs) {
                program.write(&format!("x.{name}"), x).unwrap();
            }
            program.run().unwrap();
            let at = format!("{what}, step {}, on {}", step + 1, compute.name());
            let loss = reference.loss(&inputs);
            assert_close(
                &format!("{at}: loss"),
                &read(&program, "loss"),
                &[loss],
                harness::Tolerance::accumulated(17),
            );
            reference.step(&inputs, &config, lr);
            compare_state(&program, &reference, &config, &at);
        }
    });
}

fn is_adam(config: &UpdateConfig) -> bool {
    matches!(config.optimizer, Optimizer::Adam { .. })
}

fn compare_state(program: &Program, reference: &Reference, config: &UpdateConfig, at: &str) {
    for (index, (name, _)) in PARAMETERS.iter().enumerate() {
        // Parameters: f32 rounding, plus 0.1% of the distance travelled (GPU `pow` in
        // Adam's bias correction 1 − βᵗ loses digits to cancellation at small t).
        let got = read(program, name);
        for (i, (&g, &want)) in got.iter().zip(&reference.params[index]).enumerate() {
            let bound = 1e-6 + 1e-5 * want.abs() + 1e-3 * reference.travelled[index][i];
            assert!(
                (f64::from(g) - want).abs() <= bound,
                "{at}: {name}[{i}] is {g}, the reference {want} (bound {bound:e})"
            );
        }
        let moment = |suffix: &str| read(program, &format!("{name}.{suffix}"));
        let tolerance = harness::Tolerance {
            absolute: 1e-6,
            relative: 1e-4,
        };
        match config.optimizer {
            Optimizer::Adam { .. } => {
                let m = &reference.first_moment[index];
                assert_close(&format!("{at}: {name}.m"), &moment("m"), m, tolerance);
                let v = &reference.second_moment[index];
                assert_close(&format!("{at}: {name}.v"), &moment("v"), v, tolerance);
            }
            Optimizer::Sgd { momentum } if momentum != 0.0 => {
                let b = &reference.momentum[index];
                assert_close(
                    &format!("{at}: {name}.momentum"),
                    &moment("momentum"),
                    b,
                    tolerance,
                );
            }
            Optimizer::Sgd { .. } => {
                assert!(matches!(
                    program.read(&format!("{name}.momentum")),
                    Err(GraphError::UnknownName(_))
                ));
            }
        }
    }
    if is_adam(config) {
        assert_eq!(read(program, STEP), [reference.step as f32], "{at}: step");
    }
}

fn config(optimizer: Optimizer, learning_rate: f32) -> UpdateConfig {
    UpdateConfig {
        optimizer,
        learning_rate,
        l2: 0.0,
        clip_global_norm: None,
    }
}

#[test]
fn adam_follows_kingma_and_ba() {
    check_against_reference("adam", config(Optimizer::adam(), 0.01), &[]);
}

#[test]
fn adam_puts_epsilon_and_betas_where_the_paper_does() {
    // ε comparable to √v̂, so that ε inside the root or on the uncorrected v is caught.
    let optimizer = Optimizer::Adam {
        beta1: 0.8,
        beta2: 0.95,
        epsilon: 0.1,
        decoupled_weight_decay: 0.0,
    };
    check_against_reference("adam with a large epsilon", config(optimizer, 0.02), &[]);
}

#[test]
fn adamw_decays_weights_apart_from_the_moments() {
    let optimizer = Optimizer::Adam {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        decoupled_weight_decay: 0.1,
    };
    check_against_reference("adamw", config(optimizer, 0.05), &[]);
}

#[test]
fn sgd_without_momentum_keeps_no_momentum_state() {
    check_against_reference("sgd", config(Optimizer::Sgd { momentum: 0.0 }, 0.1), &[]);
}

#[test]
fn sgd_with_momentum_follows_the_heavy_ball_rule() {
    let sgd = Optimizer::Sgd { momentum: 0.9 };
    check_against_reference("sgd with momentum", config(sgd, 0.05), &[]);
}

#[test]
fn l2_enters_the_gradient_before_the_moments() {
    let mut adam = config(Optimizer::adam(), 0.01);
    adam.l2 = 0.5;
    check_against_reference("adam with l2", adam, &[]);
    let mut sgd = config(Optimizer::Sgd { momentum: 0.5 }, 0.05);
    sgd.l2 = 0.5;
    check_against_reference("sgd with l2", sgd, &[]);
}

#[test]
fn global_norm_clipping_scales_all_gradients_together() {
    // The raw gradient norm here is about 2 to 3: 0.3 always clips, 100 never does.
    for max_norm in [0.3, 100.0] {
        let mut sgd = config(Optimizer::Sgd { momentum: 0.5 }, 0.1);
        sgd.clip_global_norm = Some(max_norm);
        check_against_reference(&format!("sgd clipped at {max_norm}"), sgd, &[]);
        // With L2 as well: clipping applies to the loss gradient only, before L2.
        sgd.l2 = 0.5;
        check_against_reference(&format!("sgd clipped at {max_norm}, l2"), sgd, &[]);
    }
    let mut adam = config(Optimizer::adam(), 0.01);
    adam.clip_global_norm = Some(0.3);
    check_against_reference("adam clipped at 0.3", adam, &[]);
}

#[test]
fn writing_the_learning_rate_changes_the_step() {
    let schedule = [(2, 0.002), (4, 0.3)];
    check_against_reference(
        "adam, rate rewritten",
        config(Optimizer::adam(), 0.01),
        &schedule,
    );
    let sgd = config(Optimizer::Sgd { momentum: 0.9 }, 0.05);
    check_against_reference("sgd, rate rewritten", sgd, &schedule);
    // And the rewrite is what changed the step: the same run without it ends elsewhere.
    on_every_backend(|compute| {
        let final_weight = |rewrite: bool| {
            let graph = build(&sgd);
            let mut program =
                Program::compile(&graph, compute, &CompileOptions::default()).unwrap();
            let mut data = Data::new(62);
            for step in 0..3 {
                if rewrite && step == 1 {
                    program.write(LEARNING_RATE, &[0.5]).unwrap();
                }
                for (name, dims) in PARAMETERS {
                    let x = data.uniform(dims.iter().product(), -1.0, 1.0);
                    program.write(&format!("x.{name}"), &x).unwrap();
                }
                program.run().unwrap();
            }
            read(&program, "weight")
        };
        assert_ne!(
            final_weight(true),
            final_weight(false),
            "on {}",
            compute.name()
        );
    });
}
