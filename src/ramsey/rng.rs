//! PCG32 (O'Neill's `pcg32`, XSH-RR 64/32): the random numbers of every search chain.
//!
//! The whole generator is two `u64` words — the LCG state and its odd increment (the
//! stream) — so a chain's randomness checkpoints as two numbers, and a WGSL twin can hold
//! it as two `vec2<u32>` and reproduce every draw: one 64-bit multiply-add per draw
//! (emulated with 32-bit halves on the GPU), then a shift, an xor and a rotation. Bounded
//! draws take the remainder (`next_u32() % bound`), which a kernel reproduces exactly; its
//! bias (below bound / 2^32 ≤ 2^-20 for the ≤ 2016 edges of K_64) does not matter here.

use serde::{Deserialize, Serialize};

/// The LCG multiplier of PCG's 64-bit generators.
const MULTIPLIER: u64 = 6_364_136_223_846_793_005;

/// One PCG32 generator: `state` advances by `state * MULTIPLIER + increment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pcg32 {
    pub state: u64,
    /// Odd; selects one of 2^63 streams.
    pub increment: u64,
}

impl Pcg32 {
    /// The generator `pcg32_srandom_r(seed, stream)` of the reference implementation makes:
    /// different streams give independent sequences for the same seed.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self {
            state: 0,
            increment: stream << 1 | 1,
        };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(seed);
        rng.next_u32();
        rng
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULTIPLIER).wrapping_add(self.increment);
        let xorshifted = ((old >> 18 ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    /// A number in 0..bound (`bound` > 0), as `next_u32() % bound`.
    pub fn below(&mut self, bound: u32) -> u32 {
        self.next_u32() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_implementation_demo() {
        // pcg32-demo of the reference C implementation: pcg32_srandom_r(&rng, 42, 54),
        // first six outputs.
        let mut rng = Pcg32::new(42, 54);
        let outputs: Vec<u32> = (0..6).map(|_| rng.next_u32()).collect();
        assert_eq!(
            outputs,
            [
                0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e
            ]
        );
    }

    #[test]
    fn streams_differ_and_bounded_draws_cover_the_range() {
        let mut first = Pcg32::new(7, 0);
        let mut second = Pcg32::new(7, 1);
        let a: Vec<u32> = (0..8).map(|_| first.next_u32()).collect();
        let b: Vec<u32> = (0..8).map(|_| second.next_u32()).collect();
        assert_ne!(a, b);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[first.below(10) as usize] += 1;
        }
        assert!(
            seen.iter().all(|&count| (800..1200).contains(&count)),
            "{seen:?}"
        );
    }
}
