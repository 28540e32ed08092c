//! Initial values of parameters and states, drawn from the program's seed and the node's
//! name so that they do not depend on build order or backend.

use rand::{RngExt, SeedableRng};

use super::ir::Init;

fn name_hash(name: &str) -> u64 {
    // FNV-1a: stable across runs and platforms, unlike std's randomised hasher.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `count` values for the node called `name` under `init`.
pub fn initial_values(init: Init, count: usize, seed: u64, name: &str) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ name_hash(name));
    match init {
        Init::Zeros => vec![0.0; count],
        Init::Constant(value) => vec![value; count],
        Init::Uniform { bound } => (0..count)
            .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * bound)
            .collect(),
        Init::Normal { std } => (0..count)
            .map(|_| {
                // Box–Muller; 1 − u keeps the logarithm finite.
                let u: f32 = 1.0 - rng.random::<f32>();
                let v: f32 = rng.random::<f32>();
                std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
            })
            .collect(),
    }
}
