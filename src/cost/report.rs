//! The cost report: every priced line traceable to a catalogue row, totals
//! for the simulated period, a 730-hour month and a year, and what was left
//! unpriced and why.

use super::catalogue;
use super::mapping::MappingNote;
use super::meters::{self, Gap};
use crate::report::{text, RunReport};
use crate::scenario::schema::{CostSpec, Provider, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Seconds in a billing month (730 hours).
pub const SECONDS_PER_MONTH: f64 = 730.0 * 3600.0;

/// One priced line: a stage's use of one catalogue row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// Stage id.
    pub stage: String,
    pub service: String,
    pub item: String,
    /// Catalogue row id (`data/prices.json`).
    pub id: String,
    /// Quantity used in the simulated period, in `unit`s (before free tier).
    pub quantity: f64,
    pub unit: String,
    /// USD per `unit` (the catalogue's, or the scenario's override).
    pub unit_usd: f64,
    /// USD for the simulated period, after free tier and discounts.
    pub usd: f64,
    /// `usd` scaled to a 730-hour month.
    pub per_month_usd: f64,
    /// False when the price (or a figure the quantity rests on) is unconfirmed.
    pub confirmed: bool,
    pub region: String,
    /// True when the scenario overrode the catalogue price.
    pub overridden: bool,
    /// Share taken off by discounts (0 = none).
    pub discount_fraction: f64,
    /// Free-tier quantity subtracted, in `unit`s.
    pub free_quantity: f64,
    /// How the quantity was measured.
    pub note: String,
}

/// A whole priced run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// "aws", "gcp", or "mixed" when a scenario as written uses both.
    pub provider: String,
    /// Length of the priced period, in seconds.
    pub simulated_s: f64,
    /// USD for the simulated period.
    pub total_usd: f64,
    /// `total_usd` scaled to a 730-hour month.
    pub per_month_usd: f64,
    /// `per_month_usd` × 12.
    pub per_year_usd: f64,
    /// USD per million records delivered (`None` when none were).
    pub per_million_records_usd: Option<f64>,
    pub records_delivered: u64,
    pub lines: Vec<CostLine>,
    /// What costs money but has no line, and why.
    pub unpriced: Vec<Gap>,
    /// Regions, discounts, overrides, free tiers and conversions used.
    pub assumptions: Vec<String>,
    /// What the provider mapping did (empty when none was applied).
    pub mapping: Vec<MappingNote>,
    /// Accumulated USD over simulated time, priced as the usage accrued:
    /// one point per sampling step (the run's time-series resolution,
    /// doubled until at most [`crate::sim::series::MAX_POINTS`] points fit),
    /// the last at the end of the run and equal to `total_usd`. Filled in
    /// by [`crate::run::finish`]; empty when the report was built otherwise.
    #[serde(default)]
    pub series: Vec<CostPoint>,
}

/// One point of the running cost.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostPoint {
    /// Simulated time, in seconds.
    pub t_s: f64,
    /// USD accumulated from time zero to `t_s`.
    pub usd: f64,
}

/// Prices a finished run of `sc` (already mapped to its provider, if any).
/// `provider` is the provider it was mapped to, if it was.
pub fn build(sc: &Scenario, rep: &RunReport, provider: Option<Provider>, mapping: Vec<MappingNote>) -> CostReport {
    let spec = sc.cost.clone().unwrap_or_default();
    let simulated_s = rep.simulated_s;
    let months = simulated_s / SECONDS_PER_MONTH;
    let scale = if simulated_s > 0.0 { 1.0 / months } else { 0.0 };
    let free_tier = spec.free_tier.unwrap_or(false);
    let mut lines = Vec::new();
    let mut unpriced = Vec::new();
    for st in &sc.stages {
        let Some(sr) = rep.stages.get(&st.id) else {
            continue;
        };
        let (mut usage, gaps) = meters::meter(st, sr, simulated_s);
        unpriced.extend(gaps);
        usage.extend(meters::governance(
            sc,
            st,
            sr,
            simulated_s,
            provider.unwrap_or(Provider::Aws),
        ));
        for u in usage {
            let row = catalogue::find(u.id).expect("meters name catalogue rows");
            let over = spec.overrides.get(u.id).copied();
            let Some(unit_usd) = over.or(row.usd) else {
                unpriced.push(Gap {
                    stage: u.stage.clone(),
                    service: row.service.clone(),
                    reason: format!(
                        "{}: no published price in the stored sources ({} {} used); set one with \
                         `[cost] overrides = {{ \"{}\" = <usd> }}`",
                        row.item,
                        fmt_qty(u.quantity),
                        row.unit,
                        row.id
                    ),
                });
                continue;
            };
            let free_quantity = if free_tier {
                row.free_per_month.map_or(0.0, |f| (f * months).min(u.quantity))
            } else {
                0.0
            };
            let keep: f64 = spec
                .discounts
                .iter()
                .filter(|d| d.items.iter().any(|i| i == u.id))
                .map(|d| 1.0 - d.fraction)
                .product();
            let usd = (u.quantity - free_quantity) * unit_usd * keep;
            lines.push(CostLine {
                stage: u.stage,
                service: row.service.clone(),
                item: row.item.clone(),
                id: row.id.clone(),
                quantity: u.quantity,
                unit: row.unit.clone(),
                unit_usd,
                usd,
                per_month_usd: usd * scale,
                confirmed: over.is_some() || (row.confirmed && !u.unconfirmed_assumption),
                region: row.region.clone(),
                overridden: over.is_some(),
                discount_fraction: 1.0 - keep,
                free_quantity,
                note: u.note,
            });
        }
    }
    // `+ 0.0`: the empty sum of f64 is −0.0.
    let total_usd: f64 = lines.iter().map(|l| l.usd).sum::<f64>() + 0.0;
    let per_month_usd = total_usd * scale;
    let delivered = rep.end_to_end.delivered;
    let mut providers: BTreeSet<&str> = BTreeSet::new();
    providers.extend(lines.iter().filter_map(|l| l.id.split('.').next()));
    let provider_name = match provider {
        Some(p) => p.name().to_string(),
        None => match providers.len() {
            0 => "aws".to_string(),
            1 => providers.iter().next().copied().unwrap_or("aws").to_string(),
            _ => "mixed".to_string(),
        },
    };
    let assumptions = assumptions(&spec, &lines, free_tier);
    CostReport {
        provider: provider_name,
        simulated_s,
        total_usd,
        per_month_usd,
        per_year_usd: per_month_usd * 12.0,
        per_million_records_usd: (delivered > 0).then(|| total_usd / delivered as f64 * 1e6),
        records_delivered: delivered,
        lines,
        unpriced,
        assumptions,
        mapping,
        series: Vec::new(),
    }
}

/// The running cost of a run of `sc`: `snapshots` are reports of the run
/// part-way (at increasing times), `last` the finished run's cost report;
/// each snapshot is priced as [`build`] prices the whole run, so the series
/// ends exactly at `last.total_usd`.
pub fn series(sc: &Scenario, snapshots: &[RunReport], last: &CostReport, provider: Option<Provider>) -> Vec<CostPoint> {
    snapshots
        .iter()
        .filter(|r| r.simulated_s < last.simulated_s)
        .map(|r| CostPoint {
            t_s: r.simulated_s,
            usd: build(sc, r, provider, Vec::new()).total_usd,
        })
        .chain(std::iter::once(CostPoint {
            t_s: last.simulated_s,
            usd: last.total_usd,
        }))
        .collect()
}

fn assumptions(spec: &CostSpec, lines: &[CostLine], free_tier: bool) -> Vec<String> {
    let mut a = Vec::new();
    let mut regions: BTreeSet<&str> = BTreeSet::new();
    regions.extend(lines.iter().map(|l| l.region.as_str()));
    if !regions.is_empty() {
        a.push(format!(
            "list prices for region {}",
            regions.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    a.push("month = 730 h, year = 12 months; usage scaled linearly from the simulated period".into());
    a.push("GB = GiB = 2^30 bytes, TiB = 2^40 bytes".into());
    for (id, usd) in &spec.overrides {
        let was = catalogue::find(id)
            .and_then(|r| r.usd)
            .map_or("no published price".to_string(), |u| format!("catalogue {u}"));
        a.push(format!("override {id}: {usd} USD ({was})"));
    }
    for d in &spec.discounts {
        a.push(format!(
            "discount {}% on {}{}",
            fmt_qty(d.fraction * 100.0),
            d.items.join(", "),
            d.note.as_ref().map_or(String::new(), |n| format!(" ({n})"))
        ));
    }
    a.push(if free_tier {
        "monthly free tiers subtracted, prorated to the simulated period".into()
    } else {
        "no free tiers (set `free_tier = true` under [cost])".into()
    });
    let unconfirmed = lines.iter().filter(|l| !l.confirmed).count();
    if unconfirmed > 0 {
        a.push(format!(
            "{unconfirmed} line(s) use an unconfirmed price or figure (marked `?`)"
        ));
    }
    a
}

/// One stage priced both ways.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairDiff {
    pub stage: String,
    pub aws_service: String,
    pub gcp_service: String,
    /// USD per 730-hour month on each side.
    pub aws_per_month_usd: f64,
    pub gcp_per_month_usd: f64,
    /// `gcp_per_month_usd − aws_per_month_usd`.
    pub difference_per_month_usd: f64,
    /// False when a side has an unpriced item for this stage.
    pub complete: bool,
}

/// Per-stage comparison of the same scenario priced as AWS and as GCP.
pub fn compare(aws: &CostReport, gcp: &CostReport) -> Vec<PairDiff> {
    let mut stages: Vec<&str> = Vec::new();
    for l in aws.lines.iter().chain(&gcp.lines) {
        if !stages.contains(&l.stage.as_str()) {
            stages.push(&l.stage);
        }
    }
    for g in aws.unpriced.iter().chain(&gcp.unpriced) {
        if !stages.contains(&g.stage.as_str()) {
            stages.push(&g.stage);
        }
    }
    let side = |r: &CostReport, st: &str| {
        let usd: f64 = r
            .lines
            .iter()
            .filter(|l| l.stage == st)
            .map(|l| l.per_month_usd)
            .sum::<f64>()
            + 0.0;
        let service = r
            .lines
            .iter()
            .find(|l| l.stage == st)
            .map(|l| l.service.clone())
            .or_else(|| r.unpriced.iter().find(|g| g.stage == st).map(|g| g.service.clone()))
            .unwrap_or_default();
        let gap = r.unpriced.iter().any(|g| g.stage == st);
        (service, usd, gap)
    };
    stages
        .into_iter()
        .map(|st| {
            let (a_s, a, a_gap) = side(aws, st);
            let (g_s, g, g_gap) = side(gcp, st);
            PairDiff {
                stage: st.to_string(),
                aws_service: a_s,
                gcp_service: g_s,
                aws_per_month_usd: a,
                gcp_per_month_usd: g,
                difference_per_month_usd: g - a,
                complete: !a_gap && !g_gap,
            }
        })
        .collect()
}

/// A quantity for people: up to 6 significant digits, no exponent for
/// everyday sizes.
pub fn fmt_qty(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-9..1e12).contains(&a) {
        return format!("{v:.3e}");
    }
    let digits = (6 - (a.log10().floor() as i32 + 1)).clamp(0, 15) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The report as a text table.
pub fn render(r: &CostReport) -> String {
    use text::Align::{Left, Right};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "cost ({}), {} simulated:",
        r.provider,
        crate::scenario::units::format_duration_ns((r.simulated_s * 1e9) as u64)
    );
    let mut t = text::Columns::new(
        &[
            "stage",
            "service",
            "item",
            "quantity",
            "unit",
            "unit USD",
            "USD",
            "USD/month",
            "",
        ],
        &[Left, Left, Left, Right, Left, Right, Right, Right, Left],
    )
    .indent(2);
    for l in &r.lines {
        let mut item = l.item.clone();
        if l.discount_fraction > 0.0 {
            item = format!("{item} (-{}%)", fmt_qty(l.discount_fraction * 100.0));
        }
        t.row(vec![
            l.stage.clone(),
            l.service.clone(),
            item,
            fmt_qty(l.quantity),
            l.unit.clone(),
            fmt_qty(l.unit_usd),
            text::usd(l.usd),
            text::usd(l.per_month_usd),
            if l.confirmed { "" } else { "?" }.into(),
        ]);
    }
    s.push_str(&t.render());
    let _ = writeln!(
        s,
        "  total {} for the run; {} per month; {} per year",
        text::usd(r.total_usd),
        text::usd(r.per_month_usd),
        text::usd(r.per_year_usd)
    );
    if r.lines.iter().any(|l| !l.confirmed) {
        let _ = writeln!(
            s,
            "  ? = price or usage rests on an unconfirmed assumption (`confirmed: false` in data/prices.json)"
        );
    }
    match r.per_million_records_usd {
        Some(v) => {
            let _ = writeln!(s, "  {} per million records delivered", text::usd(v));
        }
        None => {
            let _ = writeln!(s, "  no records delivered");
        }
    }
    for g in &r.unpriced {
        let _ = writeln!(s, "  not priced: {} ({}): {}", g.stage, g.service, g.reason);
    }
    for m in &r.mapping {
        let _ = writeln!(s, "  mapped: {} {} -> {}: {}", m.stage, m.from, m.to, m.note);
    }
    for a in &r.assumptions {
        let _ = writeln!(s, "  assumption: {a}");
    }
    s
}

/// Two reports side by side, with the difference per mapped pair.
pub fn render_both(aws: &CostReport, gcp: &CostReport) -> String {
    use text::Align::{Left, Right};
    let mut t = text::Columns::new(
        &[
            "stage",
            "AWS service",
            "AWS USD/mo",
            "GCP service",
            "GCP USD/mo",
            "GCP - AWS",
            "",
        ],
        &[Left, Left, Right, Left, Right, Right, Left],
    );
    for p in compare(aws, gcp) {
        t.row(vec![
            p.stage.clone(),
            p.aws_service.clone(),
            text::usd(p.aws_per_month_usd),
            p.gcp_service.clone(),
            text::usd(p.gcp_per_month_usd),
            text::usd(p.difference_per_month_usd),
            if p.complete { "" } else { "(incomplete: see not priced)" }.into(),
        ]);
    }
    t.row(vec![
        "total".into(),
        String::new(),
        text::usd(aws.per_month_usd),
        String::new(),
        text::usd(gcp.per_month_usd),
        text::usd(gcp.per_month_usd - aws.per_month_usd),
    ]);
    let mut s = t.render();
    let _ = writeln!(
        s,
        "total per run: AWS {}, GCP {}; per year: AWS {}, GCP {}",
        text::usd(aws.total_usd),
        text::usd(gcp.total_usd),
        text::usd(aws.per_year_usd),
        text::usd(gcp.per_year_usd)
    );
    s.push('\n');
    s.push_str(&render(aws));
    s.push('\n');
    s.push_str(&render(gcp));
    s
}
