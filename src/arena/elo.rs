//! A match's score as an Elo difference: the logistic model, a 95 % interval from the
//! games' trinomial spread, and the likelihood of superiority.
//!
//! - score `s = (wins + draws / 2) / games`, Elo difference `−400 · log10(1 / s − 1)`;
//! - the interval maps `s ± 1.96 · σ / √games` through the same curve, where `σ²` is the
//!   variance of one game's result (1, ½ or 0) around `s` (as cutechess-cli reports it);
//!   a clean sweep (s = 0 or 1) has no spread, so there the interval is Wilson's score
//!   interval for `s`, whose inner end is finite (0 of 4 games: Elo below −7);
//! - the likelihood of superiority `½ · (1 + erf((wins − losses) / √(2 · (wins + losses))))`,
//!   the chance that the first player is the stronger one, draws carrying no information.
//!
//! A score of 0 or 1 has no finite Elo difference: those ends are `None`.

use serde::Serialize;

/// 97.5 % quantile of the standard normal distribution.
const Z_95: f64 = 1.959_963_984_540_054;

/// Wins, draws and losses of one player of a match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub wins: u32,
    pub draws: u32,
    pub losses: u32,
}

/// What a tally says about the two players' strength.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EloEstimate {
    /// Points per game, 0 to 1.
    pub score: f64,
    /// The Elo difference; `None` for a score of 0 or 1 (unbounded), or no games.
    pub elo: Option<f64>,
    /// The 95 % interval's ends; `None` where an end is unbounded.
    pub elo_low: Option<f64>,
    pub elo_high: Option<f64>,
    /// The likelihood of superiority, 0 to 1; `None` without a decisive game.
    pub likelihood_of_superiority: Option<f64>,
}

impl Tally {
    pub fn games(&self) -> u32 {
        self.wins + self.draws + self.losses
    }

    /// Adds one game's points for this player: 1, ½ or 0.
    pub fn add(&mut self, points: f64) {
        if points > 0.75 {
            self.wins += 1;
        } else if points < 0.25 {
            self.losses += 1;
        } else {
            self.draws += 1;
        }
    }

    pub fn points(&self) -> f64 {
        f64::from(self.wins) + f64::from(self.draws) / 2.0
    }

    pub fn estimate(&self) -> EloEstimate {
        let games = f64::from(self.games());
        if games == 0.0 {
            return EloEstimate {
                score: 0.0,
                elo: None,
                elo_low: None,
                elo_high: None,
                likelihood_of_superiority: None,
            };
        }
        let score = self.points() / games;
        let variance = (f64::from(self.wins) * (1.0 - score).powi(2)
            + f64::from(self.draws) * (0.5 - score).powi(2)
            + f64::from(self.losses) * score.powi(2))
            / games;
        let (low, high) = if score > 0.0 && score < 1.0 {
            let margin = Z_95 * (variance / games).sqrt();
            (score - margin, score + margin)
        } else {
            // The outer end is exactly 0 or 1 (rounding would make it a huge finite Elo).
            let (low, high) = wilson_interval(score, games);
            if score >= 1.0 {
                (low, 1.0)
            } else {
                (0.0, high)
            }
        };
        let decisive = f64::from(self.wins + self.losses);
        EloEstimate {
            score,
            elo: elo_of_score(score),
            elo_low: elo_of_score(low),
            elo_high: elo_of_score(high),
            likelihood_of_superiority:
                (decisive > 0.0).then(|| {
                    0.5 * (1.0
                        + erf((f64::from(self.wins) - f64::from(self.losses))
                            / (2.0 * decisive).sqrt()))
                }),
        }
    }
}

/// Wilson's 95 % score interval for a proportion `score` of `games` trials.
fn wilson_interval(score: f64, games: f64) -> (f64, f64) {
    let z2 = Z_95 * Z_95;
    let centre = score + z2 / (2.0 * games);
    let half = Z_95 * (score * (1.0 - score) / games + z2 / (4.0 * games * games)).sqrt();
    let scale = 1.0 + z2 / games;
    ((centre - half) / scale, (centre + half) / scale)
}

/// The Elo difference that makes `score` the expected points per game; `None` outside
/// (0, 1).
pub fn elo_of_score(score: f64) -> Option<f64> {
    (score > 0.0 && score < 1.0).then(|| -400.0 * (1.0 / score - 1.0).log10())
}

/// The error function, to within 1.2e-7 (Numerical Recipes' `erfc` by Chebyshev fit).
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let polynomial = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let complement = t * polynomial.exp();
    if x >= 0.0 {
        1.0 - complement
    } else {
        complement - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
        let actual = actual.expect("a finite value");
        assert!(
            (actual - expected).abs() < tolerance,
            "{actual} ≠ {expected}"
        );
    }

    /// Expected values computed apart with Python's math module (math.erf, math.log10).
    #[test]
    fn estimates_match_values_computed_apart() {
        let estimate = Tally {
            wins: 60,
            draws: 20,
            losses: 20,
        }
        .estimate();
        assert!((estimate.score - 0.7).abs() < 1e-12);
        close(estimate.elo, 147.190_714_117_837_76, 1e-9);
        close(estimate.elo_low, 86.225_015_200_304_23, 1e-9);
        close(estimate.elo_high, 218.251_777_641_074_8, 1e-9);
        close(
            estimate.likelihood_of_superiority,
            0.999_996_127_891_784_5,
            1e-6,
        );

        let estimate = Tally {
            wins: 3,
            draws: 1,
            losses: 6,
        }
        .estimate();
        close(estimate.elo, -107.538_124_917_031_98, 1e-9);
        close(estimate.elo_low, -446.460_168_972_611_7, 1e-9);
        close(estimate.elo_high, 91.642_035_637_463_21, 1e-9);
        close(
            estimate.likelihood_of_superiority,
            0.158_655_253_931_457_02,
            1e-6,
        );
    }

    #[test]
    fn even_and_one_sided_matches() {
        let even = Tally {
            wins: 5,
            draws: 2,
            losses: 5,
        }
        .estimate();
        close(even.elo, 0.0, 1e-12);
        close(even.likelihood_of_superiority, 0.5, 1e-7);
        // Sweeps take Wilson's interval: its inner end computed apart with Python.
        let sweep = Tally {
            wins: 10,
            draws: 0,
            losses: 0,
        }
        .estimate();
        assert_eq!((sweep.score, sweep.elo, sweep.elo_high), (1.0, None, None));
        close(sweep.elo_low, 166.201_527_183_890_85, 1e-6);
        let swept = Tally {
            wins: 0,
            draws: 0,
            losses: 4,
        }
        .estimate();
        assert_eq!((swept.elo, swept.elo_low), (None, None));
        close(swept.elo_high, -7.025_523_715_075_941, 1e-6);
        let draws = Tally {
            wins: 0,
            draws: 4,
            losses: 0,
        }
        .estimate();
        assert_eq!(draws.likelihood_of_superiority, None);
        assert_eq!(Tally::default().estimate().elo, None);
    }

    #[test]
    fn points_sort_into_wins_draws_and_losses() {
        let mut tally = Tally::default();
        for points in [1.0, 0.5, 0.0, 1.0] {
            tally.add(points);
        }
        assert_eq!(
            tally,
            Tally {
                wins: 2,
                draws: 1,
                losses: 1
            }
        );
        assert_eq!(tally.points(), 2.5);
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, expected) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (-2.0, -0.995_322_265_018_952_7),
        ] {
            assert!((erf(x) - expected).abs() < 2e-7, "erf({x})");
        }
    }
}
