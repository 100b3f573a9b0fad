//! Two runs side by side: the same figures from each, with the difference.

use super::text::{num, Columns};
use super::RunReport;
use serde::{Deserialize, Serialize};

/// One compared figure.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Row {
    /// `run`, `cost` or a stage id.
    pub scope: String,
    /// Figure name with its unit (`latency_s.p95`, `throughput_per_s`).
    pub metric: String,
    pub a: f64,
    pub b: f64,
    /// `b − a`.
    pub delta: f64,
    /// `(b − a) / a`, when `a` is not zero.
    pub change: Option<f64>,
}

fn row(scope: &str, metric: &str, a: f64, b: f64) -> Row {
    Row {
        scope: scope.into(),
        metric: metric.into(),
        a,
        b,
        delta: b - a,
        change: if a == 0.0 { None } else { Some((b - a) / a) },
    }
}

/// The figures a reviewer compares first: end to end, cost, and for each
/// stage present in both runs its flow, losses, utilisation and delay.
pub fn rows(a: &RunReport, b: &RunReport) -> Vec<Row> {
    let (ea, eb) = (&a.end_to_end, &b.end_to_end);
    let mut out = vec![
        row("run", "simulated_s", a.simulated_s, b.simulated_s),
        row(
            "run",
            "generated",
            a.conservation.generated as f64,
            b.conservation.generated as f64,
        ),
        row("run", "delivered", ea.delivered as f64, eb.delivered as f64),
        row(
            "run",
            "dropped",
            a.conservation.dropped as f64,
            b.conservation.dropped as f64,
        ),
        row(
            "run",
            "deduplicated",
            a.conservation.deduplicated as f64,
            b.conservation.deduplicated as f64,
        ),
        row(
            "run",
            "delivered_duplicates",
            ea.delivered_duplicates as f64,
            eb.delivered_duplicates as f64,
        ),
        row("run", "latency_s.mean", ea.latency_s.mean, eb.latency_s.mean),
        row("run", "latency_s.p50", ea.latency_s.p50, eb.latency_s.p50),
        row("run", "latency_s.p95", ea.latency_s.p95, eb.latency_s.p95),
        row("run", "latency_s.p99", ea.latency_s.p99, eb.latency_s.p99),
        row("run", "latency_s.max", ea.latency_s.max, eb.latency_s.max),
    ];
    if let (Some(ca), Some(cb)) = (&a.cost, &b.cost) {
        out.push(row("cost", "per_month_usd", ca.per_month_usd, cb.per_month_usd));
        out.push(row("cost", "per_year_usd", ca.per_year_usd, cb.per_year_usd));
        if let (Some(x), Some(y)) = (ca.per_million_records_usd, cb.per_million_records_usd) {
            out.push(row("cost", "per_million_records_usd", x, y));
        }
    }
    for id in &a.stage_order {
        let (Some(sa), Some(sb)) = (a.stages.get(id), b.stages.get(id)) else {
            continue;
        };
        out.extend([
            row(id, "completed", sa.completed as f64, sb.completed as f64),
            row(id, "dropped", sa.dropped as f64, sb.dropped as f64),
            row(id, "throttled", sa.throttled as f64, sb.throttled as f64),
            row(id, "utilization", sa.utilization, sb.utilization),
            row(id, "mean_in_system", sa.mean_in_system, sb.mean_in_system),
            row(id, "sojourn_s.p95", sa.sojourn_s.p95, sb.sojourn_s.p95),
        ]);
    }
    out
}

/// Stages only one of the runs has (`(in a only, in b only)`).
pub fn unmatched(a: &RunReport, b: &RunReport) -> (Vec<String>, Vec<String>) {
    let only = |x: &RunReport, y: &RunReport| {
        x.stage_order
            .iter()
            .filter(|id| !y.stages.contains_key(*id))
            .cloned()
            .collect()
    };
    (only(a, b), only(b, a))
}

/// Plain-text side-by-side table.
pub fn render(a: &RunReport, b: &RunReport) -> String {
    use super::text::Align::{Left, Right};
    let mut s = format!("A: {}\nB: {}\n\n", a.scenario, b.scenario);
    let mut t = Columns::new(
        &["scope", "metric", "A", "B", "B - A", "change"],
        &[Left, Left, Right, Right, Right, Right],
    );
    for r in rows(a, b) {
        let change = r.change.map_or("-".to_string(), |c| format!("{:+.1}%", c * 100.0));
        t.row(vec![
            r.scope.clone(),
            r.metric.clone(),
            num(r.a),
            num(r.b),
            num(r.delta),
            change,
        ]);
    }
    s.push_str(&t.render());
    let (oa, ob) = unmatched(a, b);
    if !oa.is_empty() {
        s.push_str(&format!("\nonly in A: {}\n", oa.join(", ")));
    }
    if !ob.is_empty() {
        s.push_str(&format!("only in B: {}\n", ob.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{run_text, Overrides};
    use crate::scenario::{builtin, Format};

    #[test]
    fn comparing_a_run_with_itself_gives_zero_deltas_and_another_run_does_not() {
        let t = builtin::find("mm4-teaching").unwrap().text;
        let (_, a) = run_text(t, Format::Toml, &Overrides::default()).unwrap();
        let rs = rows(&a, &a);
        assert!(rs.len() > 11 && rs.iter().all(|r| r.delta == 0.0));
        let o = Overrides {
            seed: Some(99),
            ..Overrides::default()
        };
        let (_, b) = run_text(t, Format::Toml, &o).unwrap();
        let moved = rows(&a, &b).into_iter().filter(|r| r.delta != 0.0).count();
        assert!(moved > 5, "another seed moves the figures");
        assert!(render(&a, &b).contains("latency_s.p95"));
    }
}
