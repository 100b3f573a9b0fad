//! Per-stage counters, time integrals and histograms.
//!
//! Two families live side by side:
//! - **flow counters** (`arrived`, `completed`, `dropped`, …) cover the whole
//!   run and are what conservation is checked against;
//! - **statistics** (integrals, histograms, `measured_*`) restart at the end
//!   of warm-up so that start-up transients do not bias the means.
//!
//! Time integrals are exact integers (records × nanoseconds in `u128`), so the
//! time-average number in system is the same on every target.

use super::histogram::Histogram;
use super::time::Nanos;

/// The exact 128-bit product of two `u64`s. Natively one multiply; wasm32
/// has no 64×64→128 instruction and lowers `u128 * u128` to a library call,
/// so there the product is put together from four 32×32→64 multiplies (the
/// same value, bit for bit).
#[inline(always)]
pub fn mul_wide(a: u64, b: u64) -> u128 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        a as u128 * b as u128
    }
    #[cfg(target_arch = "wasm32")]
    {
        // Levels, time steps and latencies mostly fit 32 bits: then one
        // 64-bit multiply is exact.
        if (a | b) >> 32 == 0 {
            (a * b) as u128
        } else {
            mul_wide_halves(a, b)
        }
    }
}

/// [`mul_wide`] from 32-bit halves (what wasm32 uses).
#[inline(always)]
pub fn mul_wide_halves(a: u64, b: u64) -> u128 {
    const LO: u64 = 0xffff_ffff;
    let (a_lo, a_hi, b_lo, b_hi) = (a & LO, a >> 32, b & LO, b >> 32);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let mid = (ll >> 32) + (lh & LO) + (hl & LO);
    let lo = (ll & LO) | (mid << 32);
    let hi = a_hi * b_hi + (lh >> 32) + (hl >> 32) + (mid >> 32);
    ((hi as u128) << 64) | lo as u128
}

/// Why records were dropped. The order is the order of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// The receiving stage was full and its policy is `drop`.
    Full,
    /// Over a rate limit, with no retry policy on the sender.
    Throttled,
    /// Retries exhausted and no dead-letter stage named.
    DeadLetter,
    /// A source's own buffer overflowed while downstream blocked it.
    SourceBuffer,
    /// Not read before the retention period ended (streams).
    Expired,
    /// Later than the watermark allowed (stream processing).
    Late,
    /// Lost to a fault (a failed device, a crashed component).
    Failed,
    /// Broken by or rejected for a schema change (ETL jobs).
    Schema,
    /// Refused by access control: the stage's principal has no grant for
    /// the operation (`[governance]`).
    Denied,
    /// A router by kind has no route for the record's kind and no default.
    Unrouted,
}

impl DropReason {
    /// All reasons, in report order.
    pub const ALL: [DropReason; 10] = [
        DropReason::Full,
        DropReason::Throttled,
        DropReason::DeadLetter,
        DropReason::SourceBuffer,
        DropReason::Expired,
        DropReason::Late,
        DropReason::Failed,
        DropReason::Schema,
        DropReason::Denied,
        DropReason::Unrouted,
    ];

    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Full => "full",
            DropReason::Throttled => "throttled",
            DropReason::DeadLetter => "dead_letter",
            DropReason::SourceBuffer => "source_buffer_full",
            DropReason::Expired => "expired",
            DropReason::Late => "late",
            DropReason::Failed => "failed",
            DropReason::Schema => "schema",
            DropReason::Denied => "denied",
            DropReason::Unrouted => "unrouted",
        }
    }
}

/// Levels a stage is at, integrated over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Levels {
    /// Records in the stage (waiting, in service, or held by a blocked server).
    pub in_system: u64,
    /// Records waiting for a server.
    pub in_queue: u64,
    /// Servers busy (serving or blocked).
    pub busy: u64,
}

/// Everything measured at one stage.
#[derive(Clone, Debug, Default)]
pub struct StageMetrics {
    // --- flow counters (whole run) ---
    /// Records that entered (accepted or dropped at the door).
    pub arrived: u64,
    /// Records that left downstream or were delivered.
    pub completed: u64,
    /// Records dropped here, by reason.
    pub dropped: [u64; 10],
    /// Records this stage created (duplicates from re-reads and
    /// redeliveries): they count as generated in the conservation balance.
    pub created: u64,
    /// Records this stage removed as duplicates of earlier records (they
    /// leave the balance as deduplicated, neither delivered nor dropped).
    pub deduplicated: u64,
    /// Records refused by this stage (full with `reject`, or over a rate
    /// limit) and handed back to their sender.
    pub throttled: u64,
    /// Records this stage, as a sender, sent again after a refusal.
    pub retried: u64,
    /// Records this stage sent to its dead-letter stage.
    pub dead_lettered: u64,
    /// Records this stage, as a sender, holds in retry back-off.
    pub retrying: u64,

    // --- statistics (after warm-up) ---
    /// Records arrived after warm-up.
    pub measured_arrived: u64,
    /// Records dropped after warm-up.
    pub measured_dropped: u64,
    /// Records completed after warm-up.
    pub measured_completed: u64,
    /// Records that had to wait for a server (wait > 0) after warm-up.
    pub measured_waited: u64,
    /// ∫ records in system dt, in record·ns.
    pub area_in_system: u128,
    /// ∫ records in queue dt.
    pub area_in_queue: u128,
    /// ∫ busy servers dt.
    pub area_busy: u128,
    /// Time spent waiting for a server, per record.
    pub wait: Histogram,
    /// Time from arrival at this stage to leaving it, per record.
    pub sojourn: Histogram,
    /// Start of the statistics window.
    pub stats_start: Nanos,

    /// Current levels and when they last changed.
    pub levels: Levels,
    last_change: Nanos,
    /// ∫ records in system dt before the statistics restarted (for charts).
    area_in_system_before_stats: u128,
}

impl StageMetrics {
    /// `n` records left this stage for its dead-letter stage: they count as
    /// completed here.
    pub fn count_dead_lettered(&mut self, n: u64) {
        self.dead_lettered += n;
        self.completed += n;
        self.measured_completed += n;
    }

    /// Integrates the current levels up to `now`.
    #[inline]
    pub fn advance(&mut self, now: Nanos) {
        let dt = now - self.last_change;
        if dt != 0 {
            let l = self.levels;
            self.area_in_system += mul_wide(l.in_system, dt);
            self.area_in_queue += mul_wide(l.in_queue, dt);
            self.area_busy += mul_wide(l.busy, dt);
            self.last_change = now;
        }
    }

    /// The three integrals as they would stand at `now` (read-only).
    pub fn areas_at(&self, now: Nanos) -> (u128, u128, u128) {
        let dt = now.saturating_sub(self.last_change) as u128;
        let l = self.levels;
        (
            self.area_in_system + l.in_system as u128 * dt,
            self.area_in_queue + l.in_queue as u128 * dt,
            self.area_busy + l.busy as u128 * dt,
        )
    }

    /// ∫ records in system dt since time zero, up to the last change.
    pub fn area_in_system_total(&self) -> u128 {
        self.area_in_system_before_stats + self.area_in_system
    }

    /// Total dropped here over all reasons.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// Counts a drop.
    #[inline]
    pub fn drop_records(&mut self, reason: DropReason, n: u64) {
        self.dropped[reason as usize] += n;
        self.measured_dropped += n;
    }

    /// Restarts the statistics at `now` (end of warm-up).
    pub fn restart_stats(&mut self, now: Nanos) {
        self.advance(now);
        self.area_in_system_before_stats += self.area_in_system;
        self.measured_arrived = 0;
        self.measured_dropped = 0;
        self.measured_completed = 0;
        self.measured_waited = 0;
        self.area_in_system = 0;
        self.area_in_queue = 0;
        self.area_busy = 0;
        self.wait.clear();
        self.sojourn.clear();
        self.stats_start = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_product_from_halves_equals_the_u128_product() {
        let mut rng = crate::sim::rng::Stream::new(3, "mul");
        let edges = [0, 1, 2, 0xffff_ffff, 0x1_0000_0000, u64::MAX - 1, u64::MAX];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(mul_wide_halves(a, b), a as u128 * b as u128, "{a} * {b}");
            }
        }
        for _ in 0..100_000 {
            let (a, b) = (rng.next_u64(), rng.next_u64() >> rng.below(64));
            assert_eq!(mul_wide_halves(a, b), a as u128 * b as u128, "{a} * {b}");
            assert_eq!(mul_wide(a, b), a as u128 * b as u128);
        }
    }
}
