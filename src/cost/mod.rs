//! Cost from simulated usage, and the AWS ↔ GCP service mapping.
//!
//! Data flow: the scenario (optionally re-mapped by [`mapping`] to one
//! provider's services before compiling) runs; [`meters`] turns each
//! stage's usage figures into quantities of [`catalogue`] rows; [`report`]
//! prices them with the scenario's `[cost]` overrides, discounts and free
//! tiers, and totals them per run, month and year.
//!
//! Pure: no I/O, no clock. Prices are data (`data/prices.json`) compiled in.

pub mod catalogue;
pub mod mapping;
pub mod meters;
pub mod report;

pub use mapping::{map_scenario, MappingNote};
pub use report::{CostLine, CostPoint, CostReport};

use crate::scenario::error::{suggest, ScenarioError};
use crate::scenario::locate::top_level_line;
use crate::scenario::schema::{CostSpec, Provider};

/// The 1-based line where price id `id` is written, else the `[cost]`
/// table's line.
fn line_of_id(text: &str, id: &str, fallback_key: &str) -> Option<usize> {
    let dq = format!("\"{id}\"");
    let sq = format!("'{id}'");
    text.lines()
        .position(|l| {
            let code = l.split('#').next().unwrap_or("");
            code.contains(&dq) || code.contains(&sq)
        })
        .map(|i| i + 1)
        .or_else(|| top_level_line(text, fallback_key))
        .or_else(|| {
            text.lines()
                .position(|l| l.trim_start().starts_with("[cost") || l.contains("\"cost\""))
                .map(|i| i + 1)
        })
}

fn unknown_id(id: &str) -> String {
    let hint = suggest(id, catalogue::rows().iter().map(|r| r.id.as_str()))
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("unknown price id `{id}` (ids are listed in data/prices.json){hint}")
}

/// Checks a `[cost]` table: price ids exist, prices and fractions are in
/// range. Every error names its field path and line in `text`.
pub fn check_spec(spec: &CostSpec, text: &str) -> Vec<ScenarioError> {
    let mut errors = Vec::new();
    let mut push = |path: String, line: Option<usize>, message: String| {
        errors.push(ScenarioError {
            path,
            line,
            column: None,
            message,
        })
    };
    for (id, usd) in &spec.overrides {
        let line = line_of_id(text, id, "overrides");
        if catalogue::find(id).is_none() {
            push(format!("cost.overrides.{id}"), line, unknown_id(id));
        } else if !(usd.is_finite() && *usd >= 0.0) {
            push(
                format!("cost.overrides.{id}"),
                line,
                format!("{usd} is not a price: expected USD ≥ 0"),
            );
        }
    }
    for (i, d) in spec.discounts.iter().enumerate() {
        for (j, id) in d.items.iter().enumerate() {
            if catalogue::find(id).is_none() {
                push(
                    format!("cost.discounts[{i}].items[{j}]"),
                    line_of_id(text, id, "discounts"),
                    unknown_id(id),
                );
            }
        }
        if !(0.0..=1.0).contains(&d.fraction) {
            push(
                format!("cost.discounts[{i}].fraction"),
                top_level_line(text, "discounts").or_else(|| top_level_line(text, "fraction")),
                format!("{} is not a fraction: expected 0 to 1 (0.3 = 30 % off)", d.fraction),
            );
        }
    }
    errors
}

/// The provider a run is priced as: the command line's, else the
/// scenario's `[cost] provider`, else none (each stage as written).
pub fn provider_for(sc: &crate::scenario::Scenario, given: Option<Provider>) -> Option<Provider> {
    given.or(sc.cost.as_ref().and_then(|c| c.provider))
}
