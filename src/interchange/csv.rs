//! Results and cost reports as CSV (RFC 4180: comma-separated, a header
//! row, fields with commas, quotes or line breaks quoted), readable by
//! pandas (`pd.read_csv`) and spreadsheets.
//!
//! Results: one row per stage per time step, from the series the engine
//! keeps for charts ([`crate::sim::series`]: at most 512 buckets per
//! stage, each the mean over its bucket): `time_s` (end of the bucket),
//! `stage`, `kind`, `throughput_per_s` (records completed per second),
//! `backlog_records` (time-average records in the stage),
//! `dropped_per_s` (records dropped or refused per second). Monitors and
//! dead-letter stages are included like any stage.
//!
//! Costs: one row per priced line of [`crate::cost::CostReport`]; no total
//! row (sum `usd`).

use crate::cost::CostReport;
use crate::sim::Simulation;
use std::fmt::Write as _;

/// A field, quoted when it needs to be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A number: shortest text that reads back to the same `f64`.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Header of [`results`].
pub const RESULTS_HEADER: &str = "time_s,stage,kind,throughput_per_s,backlog_records,dropped_per_s";

/// The run's time series: one row per stage per time step.
pub fn results(sim: &Simulation) -> String {
    let mut out = String::from(RESULTS_HEADER);
    out.push('\n');
    let cols: Vec<_> = sim
        .stages
        .iter()
        .map(|s| {
            (
                field(&s.cfg.id),
                field(&s.cfg.kind),
                s.series.throughput.points_s(),
                s.series.backlog.points_s(),
                s.series.dropped.points_s(),
            )
        })
        .collect();
    let steps = cols.iter().map(|c| c.2.len()).max().unwrap_or(0);
    for i in 0..steps {
        for (id, kind, thr, back, drop) in &cols {
            let Some(&(t, v)) = thr.get(i) else {
                continue;
            };
            let b = back.get(i).map_or(0.0, |p| p.1);
            let d = drop.get(i).map_or(0.0, |p| p.1);
            let _ = writeln!(out, "{},{id},{kind},{},{},{}", num(t), num(v), num(b), num(d));
        }
    }
    out
}

/// Header of [`cost`].
pub const COST_HEADER: &str = "stage,service,item,id,quantity,unit,unit_usd,usd,per_month_usd,confirmed,region,overridden,discount_fraction,free_quantity,note";

/// The cost report: one row per priced line.
pub fn cost(c: &CostReport) -> String {
    let mut out = String::from(COST_HEADER);
    out.push('\n');
    for l in &c.lines {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&l.stage),
            field(&l.service),
            field(&l.item),
            field(&l.id),
            num(l.quantity),
            field(&l.unit),
            num(l.unit_usd),
            num(l.usd),
            num(l.per_month_usd),
            l.confirmed,
            field(&l.region),
            l.overridden,
            num(l.discount_fraction),
            num(l.free_quantity),
            field(&l.note),
        );
    }
    out
}

/// Splits CSV text into rows of fields (for tests and tools; quoted
/// fields may hold commas, quotes and line breaks).
pub fn parse(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut f = String::new();
    let mut q = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (q, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                f.push('"');
                chars.next();
            }
            (true, '"') => q = false,
            (true, c) => f.push(c),
            (false, '"') => q = true,
            (false, ',') => row.push(std::mem::take(&mut f)),
            (false, '\n') => {
                row.push(std::mem::take(&mut f));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => f.push(c),
        }
    }
    if !f.is_empty() || !row.is_empty() {
        row.push(f);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_fields_are_quoted_and_read_back() {
        let s = format!("{},{},{}\n", field("a,b"), field("say \"hi\""), field("two\nlines"));
        assert_eq!(parse(&s), vec![vec!["a,b", "say \"hi\"", "two\nlines"]]);
        assert_eq!(field("plain"), "plain");
    }

    #[test]
    fn results_have_one_row_per_stage_per_step() {
        let (p, _) = crate::run::run_text(
            crate::scenario::builtin::find("backpressure-tandem").unwrap().text,
            crate::scenario::Format::Toml,
            &crate::run::Overrides::default(),
        )
        .unwrap();
        let text = results(&p.sim);
        let rows = parse(&text);
        assert_eq!(rows[0].join(","), RESULTS_HEADER);
        let stages = p.sim.stages.len();
        let steps = p.sim.stages[0].series.throughput.values.len();
        assert!(steps > 10);
        assert_eq!(rows.len() - 1, stages * steps);
        // Each row: six fields, numbers where numbers belong; times ascend.
        let mut last_t = 0.0;
        for r in &rows[1..] {
            assert_eq!(r.len(), 6, "{r:?}");
            let t: f64 = r[0].parse().unwrap();
            assert!(t >= last_t);
            last_t = t;
            for v in &r[3..] {
                v.parse::<f64>().unwrap();
            }
        }
    }
}
