//! Random streams: one per component, derived from (scenario seed, component id).
//!
//! Adding a component never perturbs another component's draws, because each
//! stream's seed depends only on the scenario seed and the component's own id.
//! The generator is named (xoshiro256++) so that x86_64 and wasm32 produce the
//! same sequence, and every transcendental function comes from `libm`.
//! Square roots use `f64::sqrt`: IEEE 754 requires it correctly rounded, so
//! it is the same bits everywhere (one instruction on both targets; libm's
//! is the same value in software on wasm32).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// FNV-1a over bytes: stable across targets and releases (unlike `std::hash`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Start of the exponential ziggurat's tail.
const ZIG_R: f64 = 7.697_117_470_131_05;
/// Area of each of its 256 layers.
const ZIG_V: f64 = 0.003_949_659_822_581_557;

/// Layer edges `x` (descending, `x[256] = 0`) and densities `f = e^-x`.
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
}

impl std::fmt::Debug for Ziggurat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ziggurat")
    }
}

/// The tables, built once with `libm` so that every target has the same bits.
fn ziggurat() -> &'static Ziggurat {
    static Z: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    Z.get_or_init(|| {
        let mut x = [0.0; 257];
        x[0] = ZIG_V / libm::exp(-ZIG_R);
        x[1] = ZIG_R;
        for i in 2..256 {
            x[i] = -libm::log(ZIG_V / x[i - 1] + libm::exp(-x[i - 1]));
        }
        x[256] = 0.0;
        let mut f = [0.0; 257];
        for i in 0..257 {
            f[i] = libm::exp(-x[i]);
        }
        Ziggurat { x, f }
    })
}

/// SplitMix64 finaliser, used to spread seeds.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A deterministic random stream owned by one component.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: Xoshiro256PlusPlus,
    /// Second normal deviate of the last polar-method pair.
    spare_normal: Option<f64>,
    /// The exponential ziggurat's tables (shared; held here so that a draw
    /// does not check a lazy static).
    zig: &'static Ziggurat,
}

impl Stream {
    /// The stream of component `component_id` under scenario `seed`.
    pub fn new(seed: u64, component_id: &str) -> Self {
        let s = splitmix64(seed ^ splitmix64(fnv1a64(component_id.as_bytes())));
        Stream {
            rng: Xoshiro256PlusPlus::seed_from_u64(s),
            spare_normal: None,
            zig: ziggurat(),
        }
    }

    /// Uniform on [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn uniform_pos(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A raw 64-bit draw.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform integer in `0..n` (n > 0), by Lemire's multiply-shift (tiny bias
    /// below 2^-32 for the small n used here is irrelevant; kept simple and exact
    /// across targets).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.rng.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Exponential with mean 1, by Marsaglia and Tsang's ziggurat: one
    /// 64-bit draw, a multiply and a compare in 98.9 % of calls; the rest
    /// fall back to exact rejection with `libm`.
    #[inline(always)]
    pub fn exp1(&mut self) -> f64 {
        let z = self.zig;
        let u = self.rng.next_u64();
        let i = (u & 0xff) as usize;
        let x = (u >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * z.x[i];
        if x < z.x[i + 1] {
            return x;
        }
        self.exp1_edge(i, x)
    }

    /// The rest of [`Self::exp1`] after a draw `x` in layer `i` fell outside
    /// the layer's inner rectangle (1.1 % of calls): the tail, the wedge
    /// test, then fresh draws exactly as the loop would make them.
    #[cold]
    #[inline(never)]
    fn exp1_edge(&mut self, mut i: usize, mut x: f64) -> f64 {
        let z = self.zig;
        loop {
            if i == 0 {
                return ZIG_R - libm::log(self.uniform_pos());
            }
            if z.f[i + 1] + (z.f[i] - z.f[i + 1]) * self.uniform() < libm::exp(-x) {
                return x;
            }
            let u = self.rng.next_u64();
            i = (u & 0xff) as usize;
            x = (u >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * z.x[i];
            if x < z.x[i + 1] {
                return x;
            }
        }
    }

    /// Standard normal (Marsaglia's polar method).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = f64::sqrt(-2.0 * libm::log(s) / s);
                self.spare_normal = Some(v * m);
                return u * m;
            }
        }
    }

    /// Gamma(shape, 1) for shape >= 1 (Marsaglia and Tsang); for shape < 1
    /// uses the boost `Gamma(a+1) * U^(1/a)`.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let g = self.gamma(shape + 1.0);
            return g * libm::pow(self.uniform_pos(), 1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / f64::sqrt(9.0 * d);
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform_pos();
            if u < 1.0 - 0.0331 * x * x * x * x || libm::log(u) < 0.5 * x * x + d * (1.0 - v + libm::log(v)) {
                return d * v;
            }
        }
    }

    /// Poisson with mean `lambda` (Knuth for small means, PTRS by Hörmann
    /// for large ones). Exact in distribution; no normal approximation.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 || lambda.is_nan() {
            return 0;
        }
        if lambda < 12.0 {
            let limit = libm::exp(-lambda);
            let mut k = 0u64;
            let mut p = self.uniform_pos();
            while p > limit {
                k += 1;
                p *= self.uniform_pos();
            }
            return k;
        }
        let slam = f64::sqrt(lambda);
        let loglam = libm::log(lambda);
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform_pos();
            let us = 0.5 - u.abs();
            let k = libm::floor((2.0 * a / us + b) * u + lambda + 0.43);
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = libm::log(v) + libm::log(invalpha) - libm::log(a / (us * us) + b);
            let rhs = -lambda + k * loglam - libm::lgamma(k + 1.0);
            if lhs <= rhs {
                return k as u64;
            }
        }
    }

    /// Binomial(n, p): exact inversion for small n, otherwise a normal
    /// approximation rounded and clamped to `0..=n` (used only to split
    /// aggregated batches, where n is large).
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if n <= 64 {
            return (0..n).filter(|_| self.uniform() < p).count() as u64;
        }
        let mean = n as f64 * p;
        let sd = f64::sqrt(mean * (1.0 - p));
        let x = libm::round(mean + sd * self.normal());
        x.clamp(0.0, n as f64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn streams_depend_on_seed_and_component_only() {
        let a1: Vec<u64> = (0..4).map(|_| Stream::new(7, "a").next_u64()).collect();
        assert!(a1.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Stream::new(7, "a").next_u64(), Stream::new(7, "b").next_u64());
        assert_ne!(Stream::new(7, "a").next_u64(), Stream::new(8, "a").next_u64());
    }

    #[test]
    fn poisson_mean_and_variance_match_lambda_in_both_regimes() {
        for &lambda in &[3.0, 40.0, 5_000.0] {
            let mut s = Stream::new(1, "p");
            let xs: Vec<f64> = (0..40_000).map(|_| s.poisson(lambda) as f64).collect();
            let (m, v) = mean_var(&xs);
            assert!((m / lambda - 1.0).abs() < 0.01, "lambda {lambda}: mean {m}");
            assert!((v / lambda - 1.0).abs() < 0.05, "lambda {lambda}: var {v}");
        }
    }

    #[test]
    fn gamma_has_mean_shape_and_variance_shape() {
        for &k in &[0.5, 1.0, 7.0, 300.0] {
            let mut s = Stream::new(2, "g");
            let xs: Vec<f64> = (0..40_000).map(|_| s.gamma(k)).collect();
            let (m, v) = mean_var(&xs);
            assert!((m / k - 1.0).abs() < 0.02, "shape {k}: mean {m}");
            assert!((v / k - 1.0).abs() < 0.06, "shape {k}: var {v}");
        }
    }

    #[test]
    fn exponential_ziggurat_matches_the_distribution() {
        let mut s = Stream::new(4, "e");
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| s.exp1()).collect();
        let (m, v) = mean_var(&xs);
        assert!((m - 1.0).abs() < 0.005 && (v - 1.0).abs() < 0.015, "{m} {v}");
        // Tail probabilities P(X > t) = e^-t, including beyond the ziggurat's base.
        for t in [0.5, 2.0, 5.0, 8.0] {
            let p = xs.iter().filter(|&&x| x > t).count() as f64 / n as f64;
            let want = libm::exp(-t);
            assert!(
                (p - want).abs() < 4.0 * (want / n as f64).sqrt() + 1e-6,
                "t {t}: {p} vs {want}"
            );
        }
        let z = ziggurat();
        // The top layer (up to density 1 at x = 0) has the same area as the others.
        let top = z.x[255] * (1.0 - z.f[255]);
        assert!((top - ZIG_V).abs() < 1e-6, "layers close at the top: {top} vs {ZIG_V}");
    }

    #[test]
    fn normal_is_standard() {
        let mut s = Stream::new(3, "n");
        let xs: Vec<f64> = (0..40_000).map(|_| s.normal()).collect();
        let (m, v) = mean_var(&xs);
        assert!(m.abs() < 0.02 && (v - 1.0).abs() < 0.03, "{m} {v}");
    }
}
