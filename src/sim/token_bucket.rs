//! Token bucket in exact integer arithmetic.
//!
//! Tokens are counted in pico-records (10⁻¹² of a record) and the rate in
//! milli-records per second, so that refilling over `dt` nanoseconds adds
//! exactly `rate_mrps × dt` pico-records: no floating point, the same on
//! every target.

use super::time::Nanos;

const PICO: u128 = 1_000_000_000_000;

/// A rate limit with a burst allowance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Refill rate in milli-records per second.
    rate_mrps: u64,
    /// Bucket size in records.
    burst: u64,
    level_pico: u128,
    last: Nanos,
}

impl TokenBucket {
    /// `rate_per_s` records per second, up to `burst` records at once; starts full.
    pub fn new(rate_per_s: f64, burst: u64) -> Self {
        let burst = burst.max(1);
        TokenBucket {
            rate_mrps: (rate_per_s * 1000.0).round().max(1.0) as u64,
            burst,
            level_pico: burst as u128 * PICO,
            last: 0,
        }
    }

    fn refill(&mut self, now: Nanos) {
        if now > self.last {
            let add = self.rate_mrps as u128 * (now - self.last) as u128;
            self.level_pico = (self.level_pico + add).min(self.burst as u128 * PICO);
            self.last = now;
        }
    }

    /// Whole tokens available at `now`.
    pub fn available(&mut self, now: Nanos) -> u64 {
        self.refill(now);
        (self.level_pico / PICO) as u64
    }

    /// Takes `n` tokens (callers check [`available`](Self::available) first).
    pub fn take(&mut self, now: Nanos, n: u64) {
        self.refill(now);
        self.level_pico = self.level_pico.saturating_sub(n as u128 * PICO);
    }

    /// Nanoseconds until at least one whole token is available.
    pub fn time_until_one(&mut self, now: Nanos) -> Nanos {
        self.time_until(now, 1)
    }

    /// Nanoseconds until at least `n` whole tokens are available (`n` is
    /// capped at the burst, the most the bucket can ever hold).
    pub fn time_until(&mut self, now: Nanos, n: u64) -> Nanos {
        self.refill(now);
        let want = n.min(self.burst) as u128 * PICO;
        if self.level_pico >= want {
            return 0;
        }
        let missing = want - self.level_pico;
        missing.div_ceil(self.rate_mrps as u128) as Nanos
    }

    /// Bucket size in records.
    pub fn burst(&self) -> u64 {
        self.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_exactly_rate_times_time_plus_burst() {
        // 1,000 records/s with a burst of 10: over 2 s at most 2,010 pass.
        let mut tb = TokenBucket::new(1000.0, 10);
        let mut admitted = 0;
        for ms in 0..=2000u64 {
            let now = ms * 1_000_000;
            let n = tb.available(now).min(5);
            tb.take(now, n);
            admitted += n;
        }
        assert_eq!(admitted, 2010);
    }

    #[test]
    fn waits_the_right_time_for_one_token() {
        let mut tb = TokenBucket::new(4.0, 1);
        tb.take(0, 1);
        assert_eq!(tb.time_until_one(0), 250_000_000);
    }
}
