//! The seed's claims, checked against the model.
//!
//! Each row of `data/claims.toml` names a claim of the seed stories, the
//! figure the seed gives, the two runs that should reproduce it (a built-in
//! scenario plus knobs, on a provider), the metric read from each run's JSON
//! report, and the tolerance. Nothing here holds a result: the before and
//! after figures come out of running the scenarios. Sensitivity rows turn
//! the knob that causes a claim and say which way the figure must move.

pub mod knob;
pub mod metric;

use crate::report::text::num;
use crate::run::{self, Overrides};
use crate::scenario::schema::Provider;
use crate::scenario::{builtin, Format};
use knob::Knobs;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The claims table, compiled in.
pub fn claims_toml() -> &'static str {
    crate::embedded!("data/claims.toml")
}

/// Default tolerance: ±15 % of the claimed change.
pub const DEFAULT_TOLERANCE: f64 = 0.15;

fn default_tolerance() -> f64 {
    DEFAULT_TOLERANCE
}
fn one() -> f64 {
    1.0
}

/// The whole table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[serde(rename = "claim")]
    claims: Vec<ClaimSpec>,
}

/// One run of a claim: a built-in scenario with knobs set.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// Built-in scenario name.
    pub scenario: String,
    /// Knobs to set (see [`knob`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: Knobs,
    /// Re-map to this provider before running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
}

/// Which way a figure must move.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

/// A knob turned on one side of a claim, and which way the figure must move.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sensitivity {
    /// What the change means, in words ("half the shards").
    pub what: String,
    /// `before` or `after` (default `after`).
    #[serde(default = "after_side")]
    pub side: String,
    /// Knobs to set on top of that side's own.
    pub set: Knobs,
    /// The figure on that side must go this way.
    pub expect: Direction,
}

fn after_side() -> String {
    "after".into()
}

/// One claim of the seed and how the model reproduces it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Stable id, `<story>/<claim>`.
    pub id: String,
    pub story: String,
    /// The claim in words.
    pub claim: String,
    /// The figure as the seed gives it ("24 h -> under 4 h (-83 %)").
    pub seed_figure: String,
    /// Unit of `before` and `after` after `scale`.
    pub unit: String,
    /// Expression over the run's JSON report (see [`metric`]).
    pub metric: String,
    /// Multiplies the metric (e.g. `1/3600` for seconds to hours).
    #[serde(default = "one")]
    pub scale: f64,
    pub before: Side,
    pub after: Side,
    /// Claimed relative change, (after − before) / before (−0.83 for −83 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    /// Allowed distance from the claimed change, as a fraction of it.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// The after figure must be below this (for "under 5 %" claims).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_below: Option<f64>,
    /// The before figure must be above this ("the old system could not take
    /// it", "over 30 minutes").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_above: Option<f64>,
    /// The after figure must be above this (for "over 50 million a day" claims).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_above: Option<f64>,
    /// The before figure must be within `tolerance` of this (e.g. 30 % duplicates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_near: Option<f64>,
    /// What in the model produces the figure.
    pub mechanism: String,
    /// Set when the mechanism, with inputs chosen from the workload, does
    /// not give the seed's figure: why. The row is still run and reported
    /// as a miss; its test checks that it still misses (so the note goes
    /// when the model changes) and that the change has the claimed sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_miss: Option<String>,
    /// Knobs that cause the figure, and which way they move it.
    #[serde(default, rename = "sensitivity", skip_serializing_if = "Vec::is_empty")]
    pub sensitivities: Vec<Sensitivity>,
}

/// Every claim in the table.
pub fn all() -> Result<Vec<ClaimSpec>, String> {
    // Through the scenario reader's tree (one deserializer in the worker,
    // not the toml crate's as well).
    let node = crate::scenario::tree::from_toml(claims_toml()).map_err(|e| format!("data/claims.toml: {e}"))?;
    let t: Table = crate::scenario::tree::deserialize(&node, crate::scenario::tree::Mode::Toml, claims_toml())
        .map_err(|e| format!("data/claims.toml: {e}"))?;
    Ok(t.claims)
}

/// The claims of one story: those whose id is `<story>/…`, `<story>` being
/// the `[story] id` of the story's built-ins (`fintrust`, `ticket`, `edutech`),
/// in the table's order.
pub fn of_story(story: &str) -> Result<Vec<ClaimSpec>, String> {
    let prefix = format!("{story}/");
    Ok(all()?.into_iter().filter(|c| c.id.starts_with(&prefix)).collect())
}

/// A claim as a list shows it before its runs are done.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClaimTitle {
    pub id: String,
    pub claim: String,
    pub seed_figure: String,
    pub mechanism: String,
}

impl From<&ClaimSpec> for ClaimTitle {
    fn from(c: &ClaimSpec) -> Self {
        ClaimTitle {
            id: c.id.clone(),
            claim: c.claim.clone(),
            seed_figure: c.seed_figure.clone(),
            mechanism: c.mechanism.clone(),
        }
    }
}

/// A result's figures as text, the same in the CLI and the browser app.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    /// The before figure (shared number format, no unit).
    pub before: String,
    pub after: String,
    /// The simulated change in percent, signed (`-83.1 %`).
    pub change: String,
}

/// The result of checking one claim.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClaimResult {
    pub id: String,
    pub story: String,
    pub claim: String,
    pub seed_figure: String,
    /// Simulated figure before (in `unit`).
    pub before: f64,
    /// Simulated figure after (in `unit`).
    pub after: f64,
    pub unit: String,
    /// Simulated relative change, (after − before) / before.
    pub change: f64,
    /// The claimed relative change, when the claim has one.
    pub claimed_change: Option<f64>,
    /// What was required, in words.
    pub criterion: String,
    pub within_tolerance: bool,
    pub mechanism: String,
    /// Why the model misses the seed's figure, when that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_miss: Option<String>,
}

impl ClaimResult {
    /// The figures as text (see [`Shown`]).
    pub fn shown(&self) -> Shown {
        Shown {
            before: num(self.before),
            after: num(self.after),
            change: format!("{:+.1} %", self.change * 100.0),
        }
    }

    /// Whether the simulated change goes the way the claim says (its
    /// claimed change's sign; for bound-only claims, after below before
    /// when there is an `after_below` bound).
    pub fn direction_holds(&self, c: &ClaimSpec) -> bool {
        match (c.change, c.after_below, c.after_above) {
            (Some(claimed), _, _) => self.change * claimed > 0.0,
            (None, Some(_), _) => self.after < self.before,
            (None, None, Some(_)) => self.after >= self.before,
            (None, None, None) => false,
        }
    }
}

/// Runs scenarios for claims, each distinct run once. Shareable between
/// threads (the tests keep one in a static): a run another thread is doing
/// is waited for, not repeated, and distinct runs proceed in parallel.
#[derive(Default)]
pub struct Runner {
    cache: Mutex<BTreeMap<String, Arc<Slot>>>,
}

/// One run's report, filled by the first thread that asks for it.
type Slot = OnceLock<Result<Value, String>>;

impl Runner {
    /// An empty runner (usable in a `static`).
    pub const fn new() -> Self {
        Runner {
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The JSON report of `side` with `extra` knobs on top.
    pub fn report(&self, side: &Side, extra: &Knobs) -> Result<Value, String> {
        let mut knobs = side.set.clone();
        knobs.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        let key = serde_json::to_string(&(&side.scenario, &knobs, side.provider)).map_err(|e| e.to_string())?;
        // A poisoned lock only means another claim's run panicked; the map
        // itself is still whole.
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(cache.entry(key).or_default())
        };
        slot.get_or_init(|| Self::run(side, &knobs)).clone()
    }

    fn run(side: &Side, knobs: &Knobs) -> Result<Value, String> {
        let b = builtin::find(&side.scenario).ok_or_else(|| format!("no built-in scenario `{}`", side.scenario))?;
        let (text, format) = if knobs.is_empty() {
            (b.text.to_string(), Format::Toml)
        } else {
            (knob::apply(b.text, Format::Toml, knobs)?, Format::Json)
        };
        let o = Overrides {
            provider: side.provider,
            ..Overrides::default()
        };
        let (_, rep) = run::run_text(&text, format, &o).map_err(|e| format!("{}: {e}", side.scenario))?;
        serde_json::to_value(&rep).map_err(|e| e.to_string())
    }

    /// The claim's figure on one side, scaled.
    pub fn figure(&self, c: &ClaimSpec, side: &Side, extra: &Knobs) -> Result<f64, String> {
        let v = self.report(side, extra)?;
        metric::eval(&v, &c.metric)
            .map(|x| x * c.scale)
            .map_err(|e| format!("{}: {e}", c.id))
    }

    /// Checks one claim.
    pub fn check(&self, c: &ClaimSpec) -> Result<ClaimResult, String> {
        let none = Knobs::new();
        let before = self.figure(c, &c.before, &none)?;
        let after = self.figure(c, &c.after, &none)?;
        let change = if before == 0.0 { 0.0 } else { (after - before) / before };
        let mut ok = true;
        let mut criteria = Vec::new();
        if let Some(claimed) = c.change {
            let tol = c.tolerance * claimed.abs();
            ok &= (change - claimed).abs() <= tol;
            criteria.push(format!("change {:+.1} % ± {:.1} points", claimed * 100.0, tol * 100.0));
        }
        if let Some(limit) = c.after_below {
            ok &= after < limit;
            criteria.push(format!("after < {} {}", limit, c.unit));
        }
        if let Some(floor) = c.before_above {
            ok &= before > floor;
            criteria.push(format!("before > {} {}", floor, c.unit));
        }
        if let Some(limit) = c.after_above {
            ok &= after > limit;
            criteria.push(format!("after > {} {}", limit, c.unit));
        }
        if let Some(near) = c.before_near {
            ok &= (before - near).abs() <= c.tolerance * near.abs();
            criteria.push(format!("before {} {} ± {:.0} %", near, c.unit, c.tolerance * 100.0));
        }
        Ok(ClaimResult {
            id: c.id.clone(),
            story: c.story.clone(),
            claim: c.claim.clone(),
            seed_figure: c.seed_figure.clone(),
            before,
            after,
            unit: c.unit.clone(),
            change,
            claimed_change: c.change,
            criterion: criteria.join("; "),
            within_tolerance: ok,
            mechanism: c.mechanism.clone(),
            known_miss: c.known_miss.clone(),
        })
    }

    /// Runs one sensitivity row: the figure on its side without and with the
    /// knob, and whether it moved the expected way.
    pub fn sensitivity(&self, c: &ClaimSpec, s: &Sensitivity) -> Result<(f64, f64, bool), String> {
        let side = match s.side.as_str() {
            "before" => &c.before,
            "after" => &c.after,
            other => return Err(format!("{}: sensitivity side `{other}` (use before or after)", c.id)),
        };
        let base = self.figure(c, side, &Knobs::new())?;
        let turned = self.figure(c, side, &s.set)?;
        let moved = match s.expect {
            Direction::Higher => turned > base,
            Direction::Lower => turned < base,
        };
        Ok((base, turned, moved))
    }
}

/// Plain-text table of claim results.
pub fn render(results: &[ClaimResult]) -> String {
    let mut out = String::new();
    let mut story = "";
    for r in results {
        if r.story != story {
            story = &r.story;
            out.push_str(&format!("\n{story}\n"));
        }
        let f = r.shown();
        out.push_str(&format!(
            "  {} {}\n    seed: {}\n    model: {} -> {} {} ({}), required: {}\n",
            if r.within_tolerance { "ok  " } else { "MISS" },
            r.claim,
            r.seed_figure,
            f.before,
            f.after,
            r.unit,
            f.change,
            r.criterion
        ));
        if let (false, Some(why)) = (r.within_tolerance, &r.known_miss) {
            out.push_str(&format!("    known miss: {why}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_table_parses_and_names_built_ins() {
        let claims = all().expect("data/claims.toml parses");
        let mut ids = std::collections::BTreeSet::new();
        let stories: std::collections::BTreeSet<String> = builtin::all()
            .iter()
            .filter_map(|b| crate::scenario::load(b.text, Format::Toml).ok()?.0.story.map(|s| s.id))
            .collect();
        for c in &claims {
            assert!(ids.insert(c.id.clone()), "duplicate claim id {}", c.id);
            for s in [&c.before, &c.after] {
                assert!(
                    builtin::find(&s.scenario).is_some(),
                    "{}: no built-in {}",
                    c.id,
                    s.scenario
                );
            }
            assert!(
                c.change.is_some() || c.after_below.is_some() || c.after_above.is_some(),
                "{}: a claim needs a change or a bound",
                c.id
            );
            let story = c.id.split('/').next().unwrap_or_default();
            assert!(
                stories.contains(story),
                "{}: the id's story `{story}` is no built-in's [story] id (the app finds a story's claims by it)",
                c.id
            );
            assert!(
                !c.sensitivities.is_empty(),
                "{}: every claim needs a sensitivity row",
                c.id
            );
        }
    }

    #[test]
    fn a_story_has_its_own_claims_and_no_other() {
        let edutech = of_story("edutech").expect("claims parse");
        assert!(!edutech.is_empty());
        assert!(edutech.iter().all(|c| c.id.starts_with("edutech/")));
        let all = all().expect("claims parse");
        let n = all.iter().filter(|c| c.story == edutech[0].story).count();
        assert_eq!(edutech.len(), n, "every claim of the story, by id");
        assert!(
            of_story("edu").expect("claims parse").is_empty(),
            "a prefix of a story id is not a story"
        );
    }
}
