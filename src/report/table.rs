//! The human-readable summary printed by `pipelab run`.

use super::RunReport;
use std::fmt::Write;

fn si(v: f64) -> String {
    si_digits(v, 3)
}

/// `n` and the noun that goes with it: "1 source", "3 sources".
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `v` with an SI suffix (k, M, G) from 10,000 up; below that whole numbers
/// as they are and fractions with `digits` decimals.
pub fn si_digits(v: f64, digits: usize) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else if a == a.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.digits$}")
    }
}

/// Seconds with a unit that keeps 3 significant figures.
pub fn secs(s: f64) -> String {
    if s == 0.0 {
        "0".into()
    } else if s < 1e-3 {
        format!("{:.1}us", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2}ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.2}s")
    } else if s < 7200.0 {
        format!("{:.1}min", s / 60.0)
    } else {
        format!("{:.2}h", s / 3600.0)
    }
}

/// Renders the report as an aligned text table.
pub fn render(r: &RunReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}  (seed {}, {} regime, {} simulated, {} events, {:.3} s wall)",
        r.scenario,
        r.seed,
        r.regime,
        secs(r.simulated_s),
        si(r.events as f64),
        r.wall_s
    );
    let _ = writeln!(o, "digest {}", r.digest);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<16} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "stage",
        "arrived",
        "done",
        "dropped",
        "thrott.",
        "retried",
        "in fl.",
        "util",
        "L",
        "Wq mean",
        "W mean",
        "W p99"
    );
    let rows = r.sources.iter().map(|(k, v)| (k.as_str(), v)).chain(
        r.stage_order
            .iter()
            .filter_map(|k| r.stages.get(k).map(|v| (k.as_str(), v))),
    );
    for (id, s) in rows {
        let _ = writeln!(
            o,
            "{:<16} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8} {:>6} {:>9} {:>9} {:>9} {:>9}",
            format!("{}{}", if s.kind == "source" { "▸ " } else { "" }, id),
            si(s.arrived as f64),
            si(s.completed as f64),
            si(s.dropped as f64),
            si(s.throttled as f64),
            si(s.retried as f64),
            si(s.in_flight as f64),
            if s.kind == "source" {
                "".into()
            } else {
                format!("{:.1}%", s.utilization * 100.0)
            },
            if s.kind == "source" {
                "".into()
            } else {
                format!("{:.3}", s.mean_in_system)
            },
            secs(s.wait_s.mean),
            secs(s.sojourn_s.mean),
            secs(s.sojourn_s.p99)
        );
    }
    let e = &r.end_to_end;
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "end to end: {} delivered, latency mean {} p50 {} p95 {} p99 {} max {}",
        si(e.delivered as f64),
        secs(e.latency_s.mean),
        secs(e.latency_s.p50),
        secs(e.latency_s.p95),
        secs(e.latency_s.p99),
        secs(e.latency_s.max)
    );
    for c in &r.controls {
        let _ = writeln!(
            o,
            "at {}: {} on {}{}",
            secs(c.at_s),
            c.action,
            c.stage,
            c.refused
                .as_deref()
                .map(|e| format!("  (refused: {e})"))
                .unwrap_or_default()
        );
    }
    let c = &r.conservation;
    let _ = writeln!(
        o,
        "conservation: generated {} = delivered {} + dropped {} + deduplicated {} + in flight {}  [{}]",
        c.generated,
        c.delivered,
        c.dropped,
        c.deduplicated,
        c.in_flight,
        if c.holds { "holds" } else { "VIOLATED" }
    );
    o
}
