//! Quantities written with their units: `"15ms"`, `"2h"`, `"100/s"`,
//! `"1.5 MB"`, `"1 GiB"`, `"1 MiB/s"`.
//!
//! Each type deserialises from a string and serialises back to a canonical
//! string, so scenario files round-trip. Errors say what was expected.

use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

fn split_number(s: &str) -> Result<(f64, &str), String> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == '-' || c == '+') && i == 0)
                || c == 'e' && i > 0 && s[..i].chars().all(|d| d.is_ascii_digit() || d == '.'))
        })
        .map_or(s.len(), |(i, _)| i);
    let (num, unit) = s.split_at(end);
    let num: String = num.chars().filter(|&c| c != '_').collect();
    let v: f64 = num.parse().map_err(|_| format!("`{s}` does not start with a number"))?;
    if !v.is_finite() {
        return Err(format!("`{s}` is not a finite number"));
    }
    Ok((v, unit.trim()))
}

const DURATION_UNITS: &str = "ns, us, ms, s, min, h, d";

fn duration_unit_ns(u: &str) -> Option<f64> {
    Some(match u {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" | "sec" | "secs" => 1e9,
        "min" | "mins" | "m" => 60e9,
        "h" | "hr" | "hrs" => 3600e9,
        "d" | "day" | "days" => 86_400e9,
        "w" | "week" | "weeks" => 604_800e9,
        _ => return None,
    })
}

/// Parses a duration into nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<u64, String> {
    let (v, unit) = split_number(s)?;
    if unit.is_empty() {
        return Err(format!(
            "`{s}` has no unit; write it like \"15ms\" or \"2h\" ({DURATION_UNITS})"
        ));
    }
    let k = duration_unit_ns(unit)
        .ok_or_else(|| format!("unknown time unit `{unit}` in `{s}` (expected one of {DURATION_UNITS})"))?;
    if v < 0.0 {
        return Err(format!("`{s}` is negative; a duration must be zero or more"));
    }
    let ns = v * k;
    if ns > u64::MAX as f64 / 2.0 {
        return Err(format!("`{s}` is too long"));
    }
    Ok(ns.round() as u64)
}

/// Formats nanoseconds with the largest unit that keeps it exact-ish.
pub fn format_duration_ns(ns: u64) -> String {
    for (u, k) in [
        ("d", 86_400_000_000_000u64),
        ("h", 3_600_000_000_000),
        ("min", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if ns >= k && ns % k == 0 {
            return format!("{}{u}", ns / k);
        }
    }
    if ns >= 1_000_000_000 {
        return format!("{}s", ns as f64 / 1e9);
    }
    format!("{ns}ns")
}

const SIZE_UNITS: &str = "B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB";

fn size_unit_bytes(u: &str) -> Option<f64> {
    Some(match u {
        "B" | "b" | "bytes" | "byte" => 1.0,
        "KB" | "kB" | "kb" => 1e3,
        "MB" | "mb" => 1e6,
        "GB" | "gb" => 1e9,
        "TB" | "tb" => 1e12,
        "PB" | "pb" => 1e15,
        "KiB" => 1024.0,
        "MiB" => 1_048_576.0,
        "GiB" => 1_073_741_824.0,
        "TiB" => 1_099_511_627_776.0,
        "PiB" => 1_125_899_906_842_624.0,
        _ => return None,
    })
}

/// Parses a size into bytes (may be fractional for per-record means).
pub fn parse_bytes(s: &str) -> Result<f64, String> {
    let (v, unit) = split_number(s)?;
    if unit.is_empty() {
        return Err(format!(
            "`{s}` has no unit; write it like \"1.5 MB\" or \"1 GiB\" ({SIZE_UNITS})"
        ));
    }
    let k = size_unit_bytes(unit)
        .ok_or_else(|| format!("unknown size unit `{unit}` in `{s}` (expected one of {SIZE_UNITS})"))?;
    if v < 0.0 {
        return Err(format!("`{s}` is negative; a size must be zero or more"));
    }
    Ok(v * k)
}

/// Parses a rate like `"100/s"` or `"2 MiB/s"` into (amount per second, is_bytes).
pub fn parse_rate(s: &str) -> Result<(f64, bool), String> {
    let (lhs, rhs) = s
        .rsplit_once('/')
        .ok_or_else(|| format!("`{s}` is not a rate; write it like \"100/s\" or \"1 MiB/s\""))?;
    let per_ns = duration_unit_ns(rhs.trim()).ok_or_else(|| {
        format!(
            "unknown time unit `{}` after `/` in `{s}` (expected one of {DURATION_UNITS})",
            rhs.trim()
        )
    })?;
    let per_s = 1e9 / per_ns;
    let (v, unit) = split_number(lhs)?;
    if v < 0.0 {
        return Err(format!("`{s}` is negative; a rate must be zero or more"));
    }
    if unit.is_empty() || unit == "records" || unit == "events" || unit == "msgs" || unit == "requests" {
        Ok((v * per_s, false))
    } else {
        let k = size_unit_bytes(unit)
            .ok_or_else(|| format!("unknown unit `{unit}` in rate `{s}` (expected a count or one of {SIZE_UNITS})"))?;
        Ok((v * k * per_s, true))
    }
}

macro_rules! unit_type {
    ($name:ident, $inner:ty, $expect:literal, $parse:expr, $fmt:expr) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&$fmt(self))
            }
        }
        impl<'de> de::Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        $parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

/// A duration in nanoseconds, written `"15ms"`, `"2h"`, `"10000s"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub u64);
unit_type!(
    Duration,
    u64,
    "a duration with a unit, like \"15ms\" or \"2h\"",
    |v: &str| parse_duration_ns(v).map(Duration),
    |d: &Duration| format_duration_ns(d.0)
);

/// A size in bytes, written `"1.5 MB"`, `"1 GiB"`, `"512 B"`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Bytes(pub f64);
unit_type!(
    Bytes,
    f64,
    "a size with a unit, like \"1.5 MB\" or \"1 GiB\"",
    |v: &str| parse_bytes(v).map(Bytes),
    |b: &Bytes| format!("{} B", b.0)
);

/// A count rate in records per second, written `"100/s"`, `"6000/min"`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Rate(pub f64);
unit_type!(
    Rate,
    f64,
    "a rate like \"100/s\"",
    |v: &str| match parse_rate(v) {
        Ok((r, false)) => Ok(Rate(r)),
        Ok((_, true)) => Err(format!("`{v}` is a byte rate; a record rate is written like \"100/s\"")),
        Err(e) => Err(e),
    },
    |r: &Rate| format!("{}/s", r.0)
);

/// A byte rate in bytes per second, written `"1 MiB/s"`.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct ByteRate(pub f64);
unit_type!(
    ByteRate,
    f64,
    "a byte rate like \"1 MiB/s\"",
    |v: &str| match parse_rate(v) {
        Ok((r, true)) => Ok(ByteRate(r)),
        Ok((_, false)) => Err(format!(
            "`{v}` has no size unit; a byte rate is written like \"1 MiB/s\""
        )),
        Err(e) => Err(e),
    },
    |r: &ByteRate| format!("{} B/s", r.0)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration_ns("15ms"), Ok(15_000_000));
        assert_eq!(parse_duration_ns("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration_ns("10000s"), Ok(10_000_000_000_000));
        assert_eq!(parse_duration_ns("0.1 s"), Ok(100_000_000));
        assert_eq!(parse_duration_ns("1.5us"), Ok(1_500));
        assert!(parse_duration_ns("15").unwrap_err().contains("no unit"));
        assert!(parse_duration_ns("15 parsecs")
            .unwrap_err()
            .contains("unknown time unit `parsecs`"));
        assert!(parse_duration_ns("-1s").unwrap_err().contains("negative"));
    }

    #[test]
    fn sizes_distinguish_decimal_and_binary_units() {
        assert_eq!(parse_bytes("1.5 MB"), Ok(1_500_000.0));
        assert_eq!(parse_bytes("1 GiB"), Ok(1_073_741_824.0));
        assert_eq!(parse_bytes("200 TB"), Ok(2e14));
        assert!(parse_bytes("3 furlongs").is_err());
    }

    #[test]
    fn rates_are_per_second() {
        assert_eq!(parse_rate("100/s"), Ok((100.0, false)));
        assert_eq!(parse_rate("6000/min"), Ok((100.0, false)));
        assert_eq!(parse_rate("5/ms"), Ok((5000.0, false)));
        assert_eq!(parse_rate("1 MiB/s"), Ok((1_048_576.0, true)));
        assert!(parse_rate("-5/s").unwrap_err().contains("negative"));
        assert!(parse_rate("100").unwrap_err().contains("not a rate"));
    }

    #[test]
    fn durations_format_back_to_what_they_parse_from() {
        for s in ["15ms", "2h", "10000s", "3d", "250us", "7ns"] {
            assert_eq!(
                parse_duration_ns(&format_duration_ns(parse_duration_ns(s).unwrap())),
                parse_duration_ns(s)
            );
        }
    }
}
