//! Simulated time: integer nanoseconds.
//!
//! The engine never uses floating-point time; seconds appear only at the
//! edges (reports, charts) through [`to_secs`].

/// A point in, or a span of, simulated time in nanoseconds.
pub type Nanos = u64;

/// Nanoseconds per second.
pub const NS_PER_S: Nanos = 1_000_000_000;

/// Converts nanoseconds to seconds (for reports only).
#[inline]
pub fn to_secs(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// Converts seconds to nanoseconds, rounding to nearest and saturating at
/// zero and at `u64::MAX`.
#[inline]
pub fn from_secs(s: f64) -> Nanos {
    if s.is_nan() || s <= 0.0 {
        0
    } else {
        let ns = s * NS_PER_S as f64;
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            (ns + 0.5) as Nanos
        }
    }
}

/// Rounds a non-negative number of nanoseconds held in a float to the
/// nearest integer, saturating.
#[inline]
pub fn round_ns(ns: f64) -> Nanos {
    if ns.is_nan() || ns <= 0.0 {
        0
    } else if ns >= u64::MAX as f64 {
        u64::MAX
    } else {
        (ns + 0.5) as Nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_trip_at_nanosecond_resolution() {
        assert_eq!(from_secs(0.1), 100_000_000);
        assert_eq!(from_secs(1.5e-9), 2);
        assert_eq!(from_secs(-3.0), 0);
        assert_eq!(to_secs(2_500_000_000), 2.5);
    }
}
