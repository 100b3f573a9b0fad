//! What-if sweeps for capacity planning: run one scenario over a grid of
//! knob values (shards × workers × nodes …) and tabulate chosen figures of
//! each run (latency, drops, cost), so "how many shards, at what cost" is
//! one command.
//!
//! Knobs are the claims' knobs (`<stage or source id>.<field>`, see
//! [`crate::claims::knob`]); figures are the claims' metric expressions
//! over the run's JSON report (see [`crate::claims::metric`]).

use crate::claims::knob::{self, Knobs};
use crate::claims::metric;
use crate::run::{self, Overrides};
use crate::scenario::Format;
use serde::Serialize;
use serde_json::Value;

/// Most runs one sweep may ask for (the grid's size), so a typo in a list
/// cannot start hours of work.
pub const MAX_RUNS: usize = 64;

/// Figures a sweep reports when none are asked for.
pub const DEFAULT_METRICS: &[&str] = &[
    "end_to_end.latency_s.p50",
    "end_to_end.latency_s.p95",
    "conservation.delivered",
    "conservation.dropped",
    "cost.per_month_usd",
];

/// One knob and the values it takes, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    pub knob: String,
    pub values: Vec<Value>,
}

impl Axis {
    /// Parses `stage.field=v1,v2,…`; each value is read as a TOML value
    /// (`8`, `true`, `"10 min"`), else taken as text (`10min`).
    pub fn parse(arg: &str) -> Result<Axis, String> {
        let (knob, list) = arg
            .split_once('=')
            .ok_or_else(|| format!("`{arg}`: expected <stage>.<field>=<value>[,<value>…]"))?;
        let knob = knob.trim();
        if knob.is_empty() {
            return Err(format!("`{arg}`: the knob before `=` is empty"));
        }
        let values: Vec<Value> = list.split(',').map(|v| value(v.trim())).collect::<Result<_, _>>()?;
        Ok(Axis {
            knob: knob.to_string(),
            values,
        })
    }
}

/// A knob value as written on a command line.
pub fn value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Err("an empty value".into());
    }
    // Bare text (`10min`) is not TOML: it is taken as a string.
    Ok(crate::scenario::tree::toml_value_text(text).unwrap_or_else(|_| Value::String(text.to_string())))
}

/// One run of the grid.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The knob values of this run, one per axis.
    pub knobs: Vec<Value>,
    /// The figures, one per metric (`None` when the run has no such figure).
    pub figures: Vec<Option<f64>>,
    /// The run's digest (so a point can be replayed exactly).
    pub digest: String,
}

/// A finished sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub scenario: String,
    pub axes: Vec<Axis>,
    pub metrics: Vec<String>,
    pub points: Vec<Point>,
}

/// Runs `text` once per point of the grid spanned by `axes` (the last axis
/// varies fastest), with `fixed` knobs set on every run.
pub fn sweep(
    text: &str,
    format: Format,
    fixed: &Knobs,
    axes: &[Axis],
    metrics: &[String],
    o: &Overrides,
) -> Result<Sweep, String> {
    let runs = axes.iter().try_fold(1usize, |n, a| {
        if a.values.is_empty() {
            Err(format!("`{}` has no values", a.knob))
        } else {
            Ok(n.saturating_mul(a.values.len()))
        }
    })?;
    if runs > MAX_RUNS {
        return Err(format!("{runs} runs asked for; a sweep runs at most {MAX_RUNS}"));
    }
    let mut points = Vec::with_capacity(runs);
    let mut scenario = String::new();
    for i in 0..runs {
        let mut knobs = fixed.clone();
        let mut at = Vec::with_capacity(axes.len());
        let mut rest = i;
        for a in axes.iter().rev() {
            at.push(a.values[rest % a.values.len()].clone());
            rest /= a.values.len();
        }
        at.reverse();
        for (a, v) in axes.iter().zip(&at) {
            knobs.insert(a.knob.clone(), v.clone());
        }
        let (text, format) = if knobs.is_empty() {
            (text.to_string(), format)
        } else {
            (knob::apply(text, format, &knobs)?, Format::Json)
        };
        let (_, rep) = run::run_text(&text, format, o).map_err(|e| format!("{}: {e}", describe(axes, &at)))?;
        scenario = rep.scenario.clone();
        let v = serde_json::to_value(&rep).map_err(|e| e.to_string())?;
        let figures = metrics.iter().map(|m| metric::eval(&v, m).ok()).collect();
        points.push(Point {
            knobs: at,
            figures,
            digest: rep.digest.clone(),
        });
    }
    Ok(Sweep {
        scenario,
        axes: axes.to_vec(),
        metrics: metrics.to_vec(),
        points,
    })
}

/// `a=1, b=2`, naming a grid point in messages.
fn describe(axes: &[Axis], at: &[Value]) -> String {
    let parts: Vec<String> = axes.iter().zip(at).map(|(a, v)| format!("{}={v}", a.knob)).collect();
    if parts.is_empty() {
        "the scenario".into()
    } else {
        parts.join(", ")
    }
}

/// The sweep as a text table: one row per run, one column per knob and figure.
pub fn render(s: &Sweep) -> String {
    use crate::report::text::{num, Align, Columns};
    let mut header: Vec<&str> = s.axes.iter().map(|a| a.knob.as_str()).collect();
    header.extend(s.metrics.iter().map(String::as_str));
    let align: Vec<Align> = (0..header.len()).map(|_| Align::Right).collect();
    let mut t = Columns::new(&header, &align);
    for p in &s.points {
        let mut row: Vec<String> = p
            .knobs
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        row.extend(p.figures.iter().map(|f| f.map_or("-".into(), num)));
        t.row(row);
    }
    format!("{}\n{}", s.scenario, t.render())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    fn mm4() -> &'static str {
        builtin::find("mm4-teaching").unwrap().text
    }

    #[test]
    fn values_parse_as_toml_else_as_text() {
        let a = Axis::parse("server.servers=4,5, 6").unwrap();
        assert_eq!(a.knob, "server.servers");
        assert_eq!(a.values, vec![Value::from(4), Value::from(5), Value::from(6)]);
        let d = Axis::parse("server.service.mean=40ms,\"50 ms\",true").unwrap();
        assert_eq!(
            d.values,
            vec![Value::from("40ms"), Value::from("50 ms"), Value::from(true)]
        );
        assert!(Axis::parse("server.servers").is_err());
        assert!(Axis::parse("=4").is_err());
        assert!(Axis::parse("server.servers=4,,5").is_err());
    }

    #[test]
    fn more_servers_lower_the_wait_and_the_grid_runs_every_point_in_order() {
        let axes = vec![
            Axis::parse("server.servers=4,6").unwrap(),
            Axis::parse("duration=\"1000s\",\"2000s\"").unwrap(),
        ];
        let metrics = vec!["end_to_end.latency_s.mean".to_string(), "simulated_s".to_string()];
        let s = sweep(
            mm4(),
            Format::Toml,
            &Knobs::new(),
            &axes,
            &metrics,
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.points.len(), 4);
        let order: Vec<(i64, f64)> = s
            .points
            .iter()
            .map(|p| (p.knobs[0].as_i64().unwrap(), p.figures[1].unwrap()))
            .collect();
        assert_eq!(order, vec![(4, 1000.0), (4, 2000.0), (6, 1000.0), (6, 2000.0)]);
        // M/M/c: at 80/s and 40 ms, 4 servers are 80 % busy, 6 are 53 %.
        let (four, six) = (s.points[1].figures[0].unwrap(), s.points[3].figures[0].unwrap());
        assert!(six < four, "6 servers {six} s vs 4 servers {four} s");
        assert!(render(&s).lines().count() == 6, "{}", render(&s));
    }

    #[test]
    fn a_grid_larger_than_the_cap_or_a_bad_knob_is_an_error_naming_it() {
        let big = Axis::parse(&format!(
            "server.servers={}",
            (1..=65).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        ))
        .unwrap();
        let e = sweep(mm4(), Format::Toml, &Knobs::new(), &[big], &[], &Overrides::default()).unwrap_err();
        assert!(e.contains("65 runs") && e.contains("64"), "{e}");
        let bad = Axis::parse("server.servers=0").unwrap();
        let e = sweep(mm4(), Format::Toml, &Knobs::new(), &[bad], &[], &Overrides::default()).unwrap_err();
        assert!(e.contains("server.servers=0") && e.contains("servers"), "{e}");
    }

    #[test]
    fn a_figure_missing_from_a_run_is_blank_not_an_error() {
        let axes = vec![Axis::parse("duration=\"1000s\"").unwrap()];
        let metrics = vec!["stages.nowhere.completed".to_string()];
        let s = sweep(
            mm4(),
            Format::Toml,
            &Knobs::new(),
            &axes,
            &metrics,
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.points[0].figures, vec![None]);
        assert!(render(&s).contains('-'));
    }
}
