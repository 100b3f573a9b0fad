//! Log-bucketed latency histogram with bounded relative error.
//!
//! Values are nanoseconds. Each power of two is cut into 2^[`SUB_BITS`]
//! linear sub-buckets, so a bucket's width is at most 1/128 of its lower
//! bound: any quantile read back is within 0.8 % of the true value (the
//! midpoint is reported, halving that). Memory is fixed (64 × 128 buckets)
//! whatever the run length; updating is a shift and an add. Weights are
//! record counts, so aggregated batches count as many records as they hold.

use super::metrics::mul_wide;
use super::time::{to_secs, Nanos};

const SUB_BITS: u32 = 7;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;
/// Storage rounded up to a power of two, so that a masked index provably
/// fits and the hot `record` has no bounds check (the tail stays zero).
const SLOTS: usize = BUCKETS.next_power_of_two();

/// A weighted histogram of nanosecond values.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; SLOTS]>,
    total: u64,
    /// Sum of value × weight; u128 so that a day of records cannot overflow.
    sum: u128,
    max: Nanos,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("max", &self.max)
            .finish()
    }
}

#[inline]
fn bucket_of(v: Nanos) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = msb - SUB_BITS;
    let sub = ((v >> shift) as usize) & (SUB - 1);
    ((shift as usize + 1) << SUB_BITS) + sub
}

/// Lower bound and width of bucket `i`.
fn bucket_range(i: usize) -> (u64, u64) {
    if i < SUB {
        return (i as u64, 1);
    }
    let shift = (i >> SUB_BITS) as u32 - 1;
    let sub = (i & (SUB - 1)) as u64;
    (((SUB as u64) | sub) << shift, 1u64 << shift)
}

/// Summary statistics in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: Box::new([0; SLOTS]),
            total: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Records `weight` observations of `value_ns`.
    #[inline]
    pub fn record(&mut self, value_ns: Nanos, weight: u64) {
        // `bucket_of` is below BUCKETS for every u64: the mask is a no-op
        // that lets the compiler drop the bounds check.
        self.counts[bucket_of(value_ns) & (SLOTS - 1)] += weight;
        self.total += weight;
        self.sum += mul_wide(value_ns, weight);
        if value_ns > self.max {
            self.max = value_ns;
        }
    }

    /// Records `weight` observations of `value_ns` in two histograms at
    /// once (the bucket is computed once): the same as two `record` calls.
    #[inline]
    pub fn record_in_both(a: &mut Histogram, b: &mut Histogram, value_ns: Nanos, weight: u64) {
        let i = bucket_of(value_ns) & (SLOTS - 1);
        for h in [a, b] {
            h.counts[i] += weight;
            h.total += weight;
            h.sum += mul_wide(value_ns, weight);
            if value_ns > h.max {
                h.max = value_ns;
            }
        }
    }

    /// Number of observations (records).
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Exact mean in nanoseconds.
    pub fn mean_ns(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// Largest value seen, exact.
    pub fn max_ns(&self) -> Nanos {
        self.max
    }

    /// The q-quantile (0..=1), midpoint of its bucket, never above the maximum.
    pub fn quantile_ns(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, w) = bucket_range(i);
                let mid = lo as f64 + (w as f64 - 1.0) / 2.0;
                return mid.min(self.max as f64);
            }
        }
        self.max as f64
    }

    /// Mean, percentiles and maximum in seconds.
    pub fn summary_s(&self) -> Summary {
        let s = |ns: f64| ns / 1e9;
        Summary {
            mean: s(self.mean_ns()),
            p50: s(self.quantile_ns(0.50)),
            p95: s(self.quantile_ns(0.95)),
            p99: s(self.quantile_ns(0.99)),
            max: to_secs(self.max),
        }
    }

    /// Forgets everything (used at the end of warm-up).
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
        self.sum = 0;
        self.max = 0;
    }

    /// Feeds the histogram's state to a digest.
    pub fn digest_into(&self, d: &mut crate::report::digest::Digest) {
        d.u64(self.total);
        d.u128(self.sum);
        d.u64(self.max);
        for (i, &c) in self.counts.iter().enumerate() {
            if c != 0 {
                d.u64(i as u64);
                d.u64(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_within_one_percent() {
        let mut prev_end = 0u64;
        for i in 0..(40 * SUB) {
            let (lo, w) = bucket_range(i);
            assert_eq!(lo, prev_end, "bucket {i}");
            assert!(w == 1 || (w as f64) / (lo as f64) <= 1.0 / SUB as f64 + 1e-12);
            prev_end = lo + w;
            assert_eq!(bucket_of(lo), i);
            assert_eq!(bucket_of(lo + w - 1), i);
        }
    }

    #[test]
    fn quantiles_of_a_uniform_ramp_are_within_one_percent() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000, 1);
        }
        for q in [0.5, 0.95, 0.99] {
            let exact = q * 100_000.0 * 1000.0;
            let got = h.quantile_ns(q);
            assert!((got / exact - 1.0).abs() < 0.01, "q {q}: {got} vs {exact}");
        }
        assert_eq!(h.max_ns(), 100_000_000);
        assert!((h.mean_ns() - 50_000_500.0).abs() < 1e-6);
    }

    #[test]
    fn weights_count_as_records() {
        let mut h = Histogram::new();
        h.record(10, 99);
        h.record(1_000_000, 1);
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile_ns(0.5), 10.0);
        assert!(h.quantile_ns(0.999) > 990_000.0);
    }
}
