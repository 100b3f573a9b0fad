//! Service-time and size distributions.
//!
//! Values are in the distribution's own unit (nanoseconds for times, bytes
//! for sizes). Each distribution can also draw the *sum* of `n` independent
//! values at once, which is how aggregated batches stay fast and honest:
//! exponential sums are Gamma draws, deterministic sums are exact, and the
//! rest use the normal approximation of the sum (mean n·μ, variance n·σ²),
//! which the central limit theorem makes accurate for the large n where it is
//! used.

use super::rng::Stream;

/// A non-negative distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Always `value`.
    Deterministic { value: f64 },
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// Uniform on `[min, max]`.
    Uniform { min: f64, max: f64 },
    /// Normal truncated at zero (redrawn when negative).
    Normal { mean: f64, sd: f64 },
    /// Lognormal with the given mean and standard deviation of the value itself.
    LogNormal { mean: f64, sd: f64 },
    /// Erlang-k (sum of k exponentials) with the given overall mean.
    Erlang { k: u32, mean: f64 },
    /// Uniform choice from a list of values.
    Empirical { values: Vec<f64> },
}

impl Dist {
    /// The mean.
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Deterministic { value } => *value,
            Dist::Exponential { mean } | Dist::Erlang { mean, .. } => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            // Truncation shifts the mean; for the sd/mean ratios used in
            // scenarios (< 0.5) the shift is below 0.01 % and is ignored.
            Dist::Normal { mean, .. } | Dist::LogNormal { mean, .. } => *mean,
            Dist::Empirical { values } => values.iter().sum::<f64>() / values.len().max(1) as f64,
        }
    }

    /// The variance.
    pub fn variance(&self) -> f64 {
        match self {
            Dist::Deterministic { .. } => 0.0,
            Dist::Exponential { mean } => mean * mean,
            Dist::Uniform { min, max } => (max - min) * (max - min) / 12.0,
            Dist::Normal { sd, .. } | Dist::LogNormal { sd, .. } => sd * sd,
            Dist::Erlang { k, mean } => mean * mean / *k as f64,
            Dist::Empirical { values } => {
                let m = self.mean();
                values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len().max(1) as f64
            }
        }
    }

    /// Squared coefficient of variation (variance / mean²), used by theory checks.
    pub fn scv(&self) -> f64 {
        let m = self.mean();
        if m == 0.0 {
            0.0
        } else {
            self.variance() / (m * m)
        }
    }

    /// One draw.
    #[inline(always)]
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        match self {
            Dist::Deterministic { value } => *value,
            Dist::Exponential { mean } => mean * rng.exp1(),
            _ => self.sample_other(rng),
        }
    }

    /// [`Self::sample`] for the distributions that take more than one draw.
    #[inline(never)]
    fn sample_other(&self, rng: &mut Stream) -> f64 {
        match self {
            Dist::Deterministic { value } => *value,
            Dist::Exponential { mean } => mean * rng.exp1(),
            Dist::Uniform { min, max } => min + (max - min) * rng.uniform(),
            Dist::Normal { mean, sd } => loop {
                let x = mean + sd * rng.normal();
                if x >= 0.0 {
                    break x;
                }
            },
            Dist::LogNormal { mean, sd } => {
                let s2 = libm::log(1.0 + (sd * sd) / (mean * mean));
                let mu = libm::log(*mean) - s2 / 2.0;
                libm::exp(mu + f64::sqrt(s2) * rng.normal())
            }
            Dist::Erlang { k, mean } => {
                let scale = mean / *k as f64;
                let mut p = 1.0;
                for _ in 0..*k {
                    p *= rng.uniform_pos();
                }
                -scale * libm::log(p)
            }
            Dist::Empirical { values } => values[rng.below(values.len() as u64) as usize],
        }
    }

    /// The sum of `n` independent draws.
    #[inline(always)]
    pub fn sample_sum(&self, n: u64, rng: &mut Stream) -> f64 {
        if n == 1 {
            return self.sample(rng);
        }
        self.sample_sum_many(n, rng)
    }

    #[inline(never)]
    fn sample_sum_many(&self, n: u64, rng: &mut Stream) -> f64 {
        match n {
            0 => 0.0,
            1 => self.sample(rng),
            _ => match self {
                Dist::Deterministic { value } => value * n as f64,
                Dist::Exponential { mean } => mean * rng.gamma(n as f64),
                Dist::Erlang { k, mean } => mean / *k as f64 * rng.gamma(n as f64 * *k as f64),
                _ if n <= 16 => (0..n).map(|_| self.sample(rng)).sum(),
                _ => {
                    let m = self.mean() * n as f64;
                    let sd = f64::sqrt(self.variance() * n as f64);
                    (m + sd * rng.normal()).max(0.0)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_mean_var(d: &Dist) {
        let mut s = Stream::new(11, "dist");
        let n = 60_000;
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut s)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        assert!((m / d.mean() - 1.0).abs() < 0.02, "{d:?}: mean {m}");
        if d.variance() > 0.0 {
            assert!((v / d.variance() - 1.0).abs() < 0.06, "{d:?}: var {v}");
        }
    }

    #[test]
    fn every_distribution_has_its_stated_mean_and_variance() {
        for d in [
            Dist::Deterministic { value: 5.0 },
            Dist::Exponential { mean: 40.0 },
            Dist::Uniform { min: 2.0, max: 6.0 },
            Dist::Normal { mean: 100.0, sd: 10.0 },
            Dist::LogNormal { mean: 50.0, sd: 20.0 },
            Dist::Erlang { k: 4, mean: 8.0 },
            Dist::Empirical {
                values: vec![1.0, 2.0, 9.0],
            },
        ] {
            check_mean_var(&d);
        }
    }

    #[test]
    fn sums_of_draws_scale_mean_and_variance_by_n() {
        let n = 500;
        for d in [
            Dist::Exponential { mean: 2.0 },
            Dist::Erlang { k: 3, mean: 2.0 },
            Dist::Uniform { min: 0.0, max: 4.0 },
        ] {
            let mut s = Stream::new(5, "sum");
            let xs: Vec<f64> = (0..20_000).map(|_| d.sample_sum(n, &mut s)).collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
            assert!((m / (d.mean() * n as f64) - 1.0).abs() < 0.01, "{d:?} {m}");
            assert!((v / (d.variance() * n as f64) - 1.0).abs() < 0.06, "{d:?} {v}");
        }
        assert_eq!(
            Dist::Deterministic { value: 3.0 }.sample_sum(7, &mut Stream::new(1, "x")),
            21.0
        );
    }
}
