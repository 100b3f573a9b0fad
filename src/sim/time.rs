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
/// nearest integer (halves up), saturating: NaN and negatives give 0, values
/// past `u64::MAX` give `u64::MAX`. Rust's float-to-integer `as` saturates
/// exactly so, which makes tests for those cases here redundant.
#[inline]
pub fn round_ns(ns: f64) -> Nanos {
    (ns + 0.5) as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_saturates_and_rounds_halves_up() {
        let cases = [
            (f64::NAN, 0),
            (f64::NEG_INFINITY, 0),
            (-1e30, 0),
            (-0.6, 0),
            (-0.0, 0),
            (0.0, 0),
            (0.49999999999999994, 1), // + 0.5 rounds to 1.0 in f64
            (0.4, 0),
            (0.5, 1),
            (1.5, 2),
            (2.4999, 2),
            (9_007_199_254_740_993.0, 9_007_199_254_740_992),
            (1.8e19, 18_000_000_000_000_000_000),
            (u64::MAX as f64, u64::MAX),
            (1e300, u64::MAX),
            (f64::INFINITY, u64::MAX),
        ];
        for (x, want) in cases {
            assert_eq!(round_ns(x), want, "{x}");
        }
    }

    #[test]
    fn seconds_round_trip_at_nanosecond_resolution() {
        assert_eq!(from_secs(0.1), 100_000_000);
        assert_eq!(from_secs(1.5e-9), 2);
        assert_eq!(from_secs(-3.0), 0);
        assert_eq!(to_secs(2_500_000_000), 2.5);
    }
}
