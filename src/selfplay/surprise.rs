//! Policy-surprise weighting of the replay (KataGo's): positions where the search taught
//! the network something are stored more often. The GPU twins are `record_sample` and
//! `weigh_trajectory` in `shaders/selfplay/play.wgsl`.

/// How much the search taught the network at one position: KL(target ‖ prior), the
/// divergence of the search's policy target (`[actions]`) from the network's prior,
/// `(action, prior)` over the legal moves (renormalised to sum to 1; priors are clamped
/// to 1e-6 so that a move the network ruled out stays finite).
pub fn policy_surprise(target: &[f32], priors: impl Iterator<Item = (usize, f32)> + Clone) -> f32 {
    let total: f32 = priors.clone().map(|(_, prior)| prior).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let divergence: f32 = priors
        .filter(|&(action, _)| target[action] > 0.0)
        .map(|(action, prior)| {
            let p = target[action];
            p * (p / (prior / total).max(1e-6)).ln()
        })
        .sum();
    divergence.max(0.0)
}

/// Policy-surprise weights of one finished game's positions: w_t = (1 − λ) + λ·L·s_t / Σs
/// for the surprises s of its L positions, so that Σw = L. A game without surprise keeps
/// weight 1 everywhere.
pub fn surprise_weights(surprises: &[f32], lambda: f32) -> Vec<f32> {
    let total: f32 = surprises.iter().sum();
    let length = surprises.len() as f32;
    surprises
        .iter()
        .map(|&surprise| {
            if total > 0.0 {
                (1.0 - lambda) + lambda * length * surprise / total
            } else {
                1.0
            }
        })
        .collect()
}

/// The replay weights of one finished game's positions: the policy-surprise weights
/// ([`surprise_weights`], λ = `lambda`) times `fraction`, the share of a game's positions
/// the replay keeps in expectation (`--replay-fraction`), so that a game of L positions
/// stores `fraction`·L of them.
pub fn replay_weights(surprises: &[f32], lambda: f32, fraction: f32) -> Vec<f32> {
    surprise_weights(surprises, lambda)
        .into_iter()
        .map(|weight| weight * fraction)
        .collect()
}

/// Copies of a position of weight `weight` to store: ⌊w⌋, plus one more when `uniform`
/// (in [0, 1)) falls below w's fraction, so that the expected count is w.
pub fn weight_copies(weight: f32, uniform: f32) -> u32 {
    weight.floor() as u32 + u32::from(uniform < weight.fract())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_surprise_is_the_divergence_from_the_renormalised_prior() {
        // Uniform prior over 4 legal moves (given unnormalised): KL = ln 4 − H(target).
        let target = [0.5, 0.0, 0.25, 0.25, 0.0];
        let priors = [(0, 3.0), (1, 3.0), (2, 3.0), (3, 3.0)];
        let entropy: f32 = -(0.5f32 * 0.5f32.ln() + 2.0 * 0.25 * 0.25f32.ln());
        let surprise = policy_surprise(&target, priors.iter().copied());
        assert!(
            (surprise - (4f32.ln() - entropy)).abs() < 1e-6,
            "{surprise}"
        );
        // A target equal to the prior taught nothing.
        let same = [0.25, 0.25, 0.25, 0.25, 0.0];
        assert!(policy_surprise(&same, priors.iter().copied()).abs() < 1e-6);
    }

    #[test]
    fn surprise_weights_keep_a_games_total_and_round_to_copies_at_random() {
        let surprises = [0.0, 1.0, 3.0, 0.0];
        assert_eq!(surprise_weights(&surprises, 0.0), vec![1.0; 4]);
        assert_eq!(surprise_weights(&surprises, 1.0), vec![0.0, 1.0, 3.0, 0.0]);
        let half = surprise_weights(&surprises, 0.5);
        assert_eq!(half, vec![0.5, 1.0, 2.0, 0.5]);
        assert_eq!(half.iter().sum::<f32>(), 4.0);
        assert_eq!(surprise_weights(&[0.0, 0.0], 0.8), vec![1.0, 1.0]);
        assert_eq!(weight_copies(2.25, 0.2), 3);
        assert_eq!(weight_copies(2.25, 0.3), 2);
        assert_eq!(weight_copies(0.0, 0.0), 0);
    }

    #[test]
    fn the_replay_fraction_scales_every_weight() {
        let surprises = [0.0, 1.0, 3.0, 0.0];
        assert_eq!(replay_weights(&surprises, 0.0, 0.25), vec![0.25; 4]);
        assert_eq!(
            replay_weights(&surprises, 0.5, 0.5),
            vec![0.25, 0.5, 1.0, 0.25]
        );
        assert_eq!(
            replay_weights(&surprises, 0.8, 1.0),
            surprise_weights(&surprises, 0.8)
        );
        assert_eq!(weight_copies(0.25, 0.1), 1);
        assert_eq!(weight_copies(0.25, 0.3), 0);
    }
}
