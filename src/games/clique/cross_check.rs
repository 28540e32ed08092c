//! The WGSL rules checked against the Rust rules: random games played on both, comparing
//! every state word, legal mask and outcome after every step, and the observations at the
//! end of every chunk of steps.
//!
//! The host plays each game in Rust first (random legal moves, plus now and then an
//! illegal action, which both sides must ignore), then the GPU replays the actions: one
//! submit per chunk of steps records apply → legal mask → outcome and copies the results
//! into history buffers, read back once per chunk.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::gpu::{CliqueBatch, CliqueGpuError, DEFAULT_WORKGROUP_SIZE, legal_words};
use super::state::{CliqueState, NO_ACTION};
use super::{CliqueConfig, observation_len};
use crate::games::GameState;
use crate::gpu::Gpu;

/// What one cross-check compared.
#[derive(Clone, Debug, Serialize)]
pub struct CrossCheckReport {
    pub n: u32,
    /// Colour 0's clique size.
    pub k: u32,
    /// Colour 1's clique size (= k except in avoid mode with two sizes).
    pub t: u32,
    pub mode: super::Mode,
    /// Games played to the end on both sides.
    pub games: u64,
    /// Legal moves applied (per game, summed).
    pub moves: u64,
    /// Illegal actions sent, which both sides had to ignore.
    pub illegal_actions: u64,
    /// (game, step) pairs whose state, legal mask and outcome were compared.
    pub compared_steps: u64,
    /// Observations compared.
    pub compared_observations: u64,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CrossCheckError {
    #[error(transparent)]
    Gpu(#[from] CliqueGpuError),
    #[error("the GPU rules disagree with the Rust rules: {0}")]
    Mismatch(String),
}

impl From<crate::gpu::GpuError> for CrossCheckError {
    fn from(error: crate::gpu::GpuError) -> Self {
        Self::Gpu(error.into())
    }
}

/// SplitMix64: the host's random choices.
struct HostRandom(u64);

impl HostRandom {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// One random game's action list, with an illegal action (a taken edge, or one past the
/// last edge) about once in 16 steps.
fn random_game(config: CliqueConfig, random: &mut HostRandom) -> (Vec<u32>, u64, u64) {
    let mut state = CliqueState::new(config);
    let mut actions = Vec::new();
    let (mut moves, mut illegal) = (0, 0);
    while !state.is_over() {
        if random.below(16) == 0 {
            let taken: Vec<usize> = (0..config.num_edges())
                .filter(|&a| state.owner(a).is_some())
                .collect();
            let action = if taken.is_empty() || random.below(2) == 0 {
                config.num_edges() + random.below(3)
            } else {
                taken[random.below(taken.len())]
            };
            actions.push(action as u32);
            illegal += 1;
            continue;
        }
        let legal = state.legal_actions();
        let action = legal[random.below(legal.len())];
        let _ = state.apply(action);
        actions.push(action as u32);
        moves += 1;
    }
    (actions, moves, illegal)
}

fn pack_mask(mask: &[bool], words: usize) -> Vec<u32> {
    let mut packed = vec![0u32; words];
    for (action, &legal) in mask.iter().enumerate() {
        packed[action / 32] |= u32::from(legal) << (action % 32);
    }
    packed
}

/// Plays at least `games` random games of `config` on the GPU (`slots` at a time) and in
/// Rust, comparing after every step. `seed` fixes the games.
pub fn cross_check(
    gpu: &Arc<Gpu>,
    config: CliqueConfig,
    games: u64,
    slots: u32,
    seed: u64,
) -> Result<CrossCheckReport, CrossCheckError> {
    let start = Instant::now();
    let batch = CliqueBatch::new(Arc::clone(gpu), config, slots, DEFAULT_WORKGROUP_SIZE)?;
    let slots_usize = slots as usize;
    let state_words = CliqueState::words_per_state(config);
    let mask_words = legal_words(config);
    // Steps per submit: keep the history buffers near 16 MiB.
    let words_per_step = slots_usize * (state_words + mask_words + 2);
    let chunk_steps = (4usize << 20).div_ceil(words_per_step).clamp(1, 64);
    let history =
        |label: &str, words: usize| gpu.storage_buffer(label, (chunk_steps * words * 4) as u64);
    let state_history = history("cross-check states", slots_usize * state_words);
    let mask_history = history("cross-check masks", slots_usize * mask_words);
    let outcome_history = history("cross-check outcomes", slots_usize * 2);
    let observation_words = observation_len(config.n);

    let mut random = HostRandom(seed);
    let mut report = CrossCheckReport {
        n: config.n,
        k: config.k,
        t: config.t,
        mode: config.mode,
        games: 0,
        moves: 0,
        illegal_actions: 0,
        compared_steps: 0,
        compared_observations: 0,
        seconds: 0.0,
    };
    while report.games < games {
        let plans: Vec<Vec<u32>> = (0..slots)
            .map(|_| {
                let (actions, moves, illegal) = random_game(config, &mut random);
                report.moves += moves;
                report.illegal_actions += illegal;
                actions
            })
            .collect();
        report.games += u64::from(slots);
        let round_steps = plans.iter().map(Vec::len).max().unwrap_or(0);
        let mut rust_states = vec![CliqueState::new(config); slots_usize];
        batch.reset();
        for chunk_start in (0..round_steps).step_by(chunk_steps) {
            let steps = chunk_steps.min(round_steps - chunk_start);
            let actions: Vec<u32> = (chunk_start..chunk_start + steps)
                .flat_map(|step| {
                    plans
                        .iter()
                        .map(move |plan| plan.get(step).copied().unwrap_or(NO_ACTION))
                })
                .collect();
            let action_buffer = gpu.upload("cross-check actions", &actions);
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("cross-check"),
                });
            let copy = |encoder: &mut wgpu::CommandEncoder,
                        from: &wgpu::Buffer,
                        to: &wgpu::Buffer,
                        step: usize,
                        words: usize| {
                let bytes = (words * 4) as u64;
                encoder.copy_buffer_to_buffer(from, 0, to, step as u64 * bytes, bytes);
            };
            for step in 0..steps {
                let bytes = (slots_usize * 4) as u64;
                encoder.copy_buffer_to_buffer(
                    &action_buffer,
                    step as u64 * bytes,
                    &batch.actions,
                    0,
                    bytes,
                );
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
                batch.encode_apply(&mut pass);
                batch.encode_legal_mask(&mut pass);
                batch.encode_outcome(&mut pass);
                if step + 1 == steps {
                    batch.encode_observation(&mut pass)?;
                }
                drop(pass);
                copy(
                    &mut encoder,
                    &batch.states,
                    &state_history,
                    step,
                    slots_usize * state_words,
                );
                copy(
                    &mut encoder,
                    &batch.legal_masks,
                    &mask_history,
                    step,
                    slots_usize * mask_words,
                );
                copy(
                    &mut encoder,
                    &batch.outcomes,
                    &outcome_history,
                    step,
                    slots_usize * 2,
                );
            }
            gpu.queue.submit([encoder.finish()]);
            let gpu_states: Vec<u32> =
                gpu.read(&state_history, steps * slots_usize * state_words)?;
            let gpu_masks: Vec<u32> = gpu.read(&mask_history, steps * slots_usize * mask_words)?;
            let gpu_outcomes: Vec<[f32; 2]> = gpu.read(&outcome_history, steps * slots_usize)?;
            let gpu_observations: Vec<f32> =
                gpu.read(batch.observations()?, slots_usize * observation_words)?;

            let mut mask = vec![false; config.num_edges()];
            let mut observation = vec![0f32; observation_words];
            for step in 0..steps {
                for (slot, state) in rust_states.iter_mut().enumerate() {
                    let action = actions[step * slots_usize + slot];
                    let place = || {
                        format!(
                            "{config:?}, game slot {slot}, step {}, action {action}",
                            chunk_start + step
                        )
                    };
                    if action != NO_ACTION {
                        let before = state.clone();
                        if state.apply(action as usize).is_err() && *state != before {
                            return Err(CrossCheckError::Mismatch(format!(
                                "Rust changed on an illegal action ({})",
                                place()
                            )));
                        }
                    }
                    let row = step * slots_usize + slot;
                    let words = &gpu_states[row * state_words..(row + 1) * state_words];
                    let expected = state.to_words();
                    if words != expected.as_slice() {
                        return Err(CrossCheckError::Mismatch(format!(
                            "state words differ ({}): GPU {words:?}, Rust {expected:?}",
                            place()
                        )));
                    }
                    state.legal_mask(&mut mask);
                    let expected_mask = pack_mask(&mask, mask_words);
                    let gpu_mask = &gpu_masks[row * mask_words..(row + 1) * mask_words];
                    if gpu_mask != expected_mask.as_slice() {
                        return Err(CrossCheckError::Mismatch(format!(
                            "legal masks differ ({}): GPU {gpu_mask:?}, Rust {expected_mask:?}",
                            place()
                        )));
                    }
                    let expected_outcome = match state.terminal_value() {
                        Some(value) => [1.0, value],
                        None => [0.0, 0.0],
                    };
                    if gpu_outcomes[row] != expected_outcome {
                        return Err(CrossCheckError::Mismatch(format!(
                            "outcomes differ ({}): GPU {:?}, Rust {expected_outcome:?}",
                            place(),
                            gpu_outcomes[row]
                        )));
                    }
                    report.compared_steps += 1;
                    if step + 1 == steps {
                        state.write_observation(&mut observation);
                        let gpu_observation = &gpu_observations
                            [slot * observation_words..(slot + 1) * observation_words];
                        if gpu_observation != observation.as_slice() {
                            return Err(CrossCheckError::Mismatch(format!(
                                "observations differ ({})",
                                place()
                            )));
                        }
                        report.compared_observations += 1;
                    }
                }
            }
        }
        if let Some(slot) = rust_states.iter().position(|state| !state.is_over()) {
            return Err(CrossCheckError::Mismatch(format!(
                "game slot {slot} did not finish in Rust"
            )));
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}
