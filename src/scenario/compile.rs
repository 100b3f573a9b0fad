//! Validation and compilation: a parsed [`Scenario`] becomes an engine
//! [`Config`], or every problem found, each located.

use super::error::{suggest, ScenarioError};
use super::locate::{line_of_path, top_level_line};
use super::schema::*;
use super::units::parse_duration_ns;
use crate::sim::dist::Dist;
use crate::sim::engine::{Config, FullPolicy, StageConfig};
use crate::sim::source::{Arrivals, KindMix, RetryPolicy, SourceConfig, Spike, TraceRow};
use crate::sim::time::NS_PER_S;
use crate::sim::token_bucket::TokenBucket;
use std::collections::BTreeMap;

/// Default event budget: far above any built-in, low enough to stop a runaway.
pub const DEFAULT_EVENT_BUDGET: u64 = 2_000_000_000;

struct Checker<'a> {
    text: &'a str,
    errors: Vec<ScenarioError>,
}

impl Checker<'_> {
    fn err(&mut self, section: &str, index: usize, id: &str, key: Option<&str>, message: String) {
        let path = match key {
            Some(k) => format!("{section}[{index}].{k}"),
            None => format!("{section}[{index}]"),
        };
        let line = line_of_path(self.text, id, key);
        self.errors.push(ScenarioError {
            path,
            line,
            column: None,
            message,
        });
    }
    fn top(&mut self, key: &str, message: String) {
        let line = top_level_line(self.text, key);
        self.errors.push(ScenarioError {
            path: key.to_string(),
            line,
            column: None,
            message,
        });
    }
}

/// Trait for quantities a distribution can be over.
pub trait Quantity {
    /// The value in base units (nanoseconds, bytes).
    fn base(&self) -> f64;
}
impl Quantity for super::units::Duration {
    fn base(&self) -> f64 {
        self.0 as f64
    }
}
impl Quantity for super::units::Bytes {
    fn base(&self) -> f64 {
        self.0
    }
}

/// Converts a distribution spec to an engine distribution (base units).
pub fn dist_of<Q: Quantity>(d: &DistSpec<Q>) -> Result<Dist, String> {
    let t = match d {
        DistSpec::Fixed(q) => return Ok(Dist::Deterministic { value: q.base() }),
        DistSpec::Table(t) => t,
    };
    let need = |q: &Option<Q>, name: &str| {
        q.as_ref()
            .map(Q::base)
            .ok_or_else(|| format!("`{}` needs `{name}`", dist_name(t.dist)))
    };
    let positive = |v: f64, name: &str| {
        if v > 0.0 {
            Ok(v)
        } else {
            Err(format!("`{name}` must be more than zero"))
        }
    };
    Ok(match t.dist {
        DistName::Exponential => Dist::Exponential {
            mean: positive(need(&t.mean, "mean")?, "mean")?,
        },
        DistName::Deterministic => Dist::Deterministic {
            value: t
                .value
                .as_ref()
                .or(t.mean.as_ref())
                .map(Q::base)
                .ok_or("`deterministic` needs `value`")?,
        },
        DistName::Uniform => {
            let (min, max) = (need(&t.min, "min")?, need(&t.max, "max")?);
            if max < min {
                return Err("`max` is below `min`".into());
            }
            Dist::Uniform { min, max }
        }
        DistName::Normal => Dist::Normal {
            mean: positive(need(&t.mean, "mean")?, "mean")?,
            sd: need(&t.sd, "sd")?,
        },
        DistName::Lognormal => Dist::LogNormal {
            mean: positive(need(&t.mean, "mean")?, "mean")?,
            sd: need(&t.sd, "sd")?,
        },
        DistName::Erlang => {
            let k = t.k.ok_or("`erlang` needs `k`")?;
            if k == 0 || k > 1000 {
                return Err("`k` must be 1 to 1000".into());
            }
            Dist::Erlang {
                k,
                mean: positive(need(&t.mean, "mean")?, "mean")?,
            }
        }
        DistName::Empirical => {
            let v: Vec<f64> = t
                .values
                .as_ref()
                .ok_or("`empirical` needs `values`")?
                .iter()
                .map(Q::base)
                .collect();
            if v.is_empty() {
                return Err("`values` is empty".into());
            }
            Dist::Empirical { values: v }
        }
    })
}

fn dist_name(d: DistName) -> &'static str {
    match d {
        DistName::Exponential => "exponential",
        DistName::Deterministic => "deterministic",
        DistName::Uniform => "uniform",
        DistName::Normal => "normal",
        DistName::Lognormal => "lognormal",
        DistName::Erlang => "erlang",
        DistName::Empirical => "empirical",
    }
}

fn retry_of(r: &RetrySpec) -> RetryPolicy {
    RetryPolicy {
        max_retries: r.max,
        base_ns: r.base.0,
        cap_ns: r.cap.map_or(20 * NS_PER_S, |c| c.0),
        jitter: r.jitter.unwrap_or(true),
    }
}

/// Parses an inline trace (`time,count[,bytes]` per line; a header line and
/// `#` comments are allowed). Errors name the trace's own line.
pub fn parse_trace(csv: &str) -> Result<Vec<TraceRow>, String> {
    let mut rows = Vec::new();
    for (i, raw) in csv.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || (i == 0 && l.chars().next().is_some_and(|c| c.is_alphabetic())) {
            continue;
        }
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f.len() < 2 || f.len() > 3 {
            return Err(format!(
                "trace line {}: expected `time,count[,bytes]`, found `{l}`",
                i + 1
            ));
        }
        let time_ns = match f[0].parse::<f64>() {
            Ok(s) if s >= 0.0 => (s * 1e9).round() as u64,
            Ok(_) => return Err(format!("trace line {}: time `{}` is negative", i + 1, f[0])),
            Err(_) => parse_duration_ns(f[0]).map_err(|e| format!("trace line {}: {e}", i + 1))?,
        };
        let count = f[1]
            .parse::<u64>()
            .map_err(|_| format!("trace line {}: count `{}` is not a whole number", i + 1, f[1]))?;
        let bytes = match f.get(2) {
            Some(b) => Some(
                b.parse::<u64>()
                    .map_err(|_| format!("trace line {}: bytes `{b}` is not a whole number", i + 1))?,
            ),
            None => None,
        };
        if let Some(prev) = rows.last().map(|r: &TraceRow| r.time_ns) {
            if time_ns < prev {
                return Err(format!("trace line {}: times must not go backwards", i + 1));
            }
        }
        if count > 0 {
            rows.push(TraceRow { time_ns, count, bytes });
        }
    }
    Ok(rows)
}

/// Longest region name, in characters (it labels a box in the diagram).
pub const MAX_REGION_CHARS: usize = 80;

/// What is wrong with a region name, if anything.
fn region_problem(r: &str) -> Option<String> {
    if r.trim().is_empty() {
        Some("is empty: name the region (on-premises, a cloud region, a VPC) or leave the key out".into())
    } else if r.chars().count() > MAX_REGION_CHARS {
        Some(format!(
            "is {} characters long; at most {MAX_REGION_CHARS}",
            r.chars().count()
        ))
    } else if r.chars().any(char::is_control) {
        Some("contains a control character (a line break or a tab)".into())
    } else {
        None
    }
}

/// Validates `sc` (whose original text is `text`, for locating errors) and
/// builds the engine configuration.
pub fn compile(sc: &Scenario, text: &str) -> Result<Config, Vec<ScenarioError>> {
    let mut c = Checker {
        text,
        errors: Vec::new(),
    };
    if sc.duration.0 == 0 {
        c.top("duration", "must be more than zero".into());
    }
    if let Some(w) = sc.warmup {
        if w.0 >= sc.duration.0 && sc.duration.0 > 0 {
            c.top("warmup", "must be shorter than `duration`".into());
        }
    }
    if sc.stages.is_empty() {
        c.top("stage", "a scenario needs at least one [[stage]]".into());
    }

    // Ids: unique across sources and stages.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for (i, s) in sc.stages.iter().enumerate() {
        if s.id.is_empty() {
            c.err("stage", i, &s.id, Some("id"), "is empty".into());
        }
        if index.insert(&s.id, i).is_some() {
            c.err(
                "stage",
                i,
                &s.id,
                Some("id"),
                format!("`{}` is used by another stage", s.id),
            );
        }
        seen.insert(&s.id, ());
    }
    for (i, s) in sc.sources.iter().enumerate() {
        if seen.insert(&s.id, ()).is_some() {
            c.err(
                "source",
                i,
                &s.id,
                Some("id"),
                format!("`{}` is used by another source or stage", s.id),
            );
        }
    }
    // Regions (diagram groups) of stages and sources: a name a person can read.
    let regions = sc
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| ("stage", i, &s.id, &s.region))
        .chain(
            sc.sources
                .iter()
                .enumerate()
                .map(|(i, s)| ("source", i, &s.id, &s.region)),
        );
    for (section, i, id, region) in regions {
        if let Some(problem) = region.as_deref().and_then(region_problem) {
            c.err(section, i, id, Some("region"), problem);
        }
    }
    let ids: Vec<&str> = sc.stages.iter().map(|s| s.id.as_str()).collect();
    let resolve = |c: &mut Checker, section: &str, i: usize, id: &str, key: &str, target: &str| -> Option<usize> {
        match index.get(target) {
            Some(&t) => Some(t),
            None => {
                let hint = suggest(target, ids.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                c.err(
                    section,
                    i,
                    id,
                    Some(key),
                    format!("links to `{target}`, but there is no stage with that id{hint}"),
                );
                None
            }
        }
    };

    // Record kinds: one id per name across every source (1, 2, …; 0 = none).
    let mut kind_names: Vec<String> = Vec::new();
    for (i, s) in sc.sources.iter().enumerate() {
        let Some(kinds) = &s.kinds else { continue };
        if kinds.is_empty() {
            c.err(
                "source",
                i,
                &s.id,
                Some("kinds"),
                "is empty; leave it out for records without kinds".into(),
            );
        }
        for (j, k) in kinds.iter().enumerate() {
            let valid = !k.name.is_empty()
                && k.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
            if !valid {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some(&format!("kinds[{j}].name")),
                    format!("`{}`: a kind name is letters, digits, `_` and `-`", k.name),
                );
            }
            if kinds[..j].iter().any(|o| o.name == k.name) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some(&format!("kinds[{j}].name")),
                    format!("kind `{}` is listed twice", k.name),
                );
            }
            if !(k.share > 0.0 && k.share <= 1.0) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some(&format!("kinds[{j}].share")),
                    format!("is {}; a share is more than 0 and at most 1", k.share),
                );
            }
            if !kind_names.contains(&k.name) {
                kind_names.push(k.name.clone());
            }
        }
        let sum: f64 = kinds.iter().map(|k| k.share).sum();
        if !kinds.is_empty() && (sum - 1.0).abs() > 1e-9 {
            c.err(
                "source",
                i,
                &s.id,
                Some("kinds"),
                format!("the shares sum to {sum}; they must sum to 1"),
            );
        }
    }
    if kind_names.len() >= u16::MAX as usize {
        c.top("source", format!("{} record kinds; at most 65,534", kind_names.len()));
        kind_names.clear();
    }

    // Stages.
    let mut stages = Vec::new();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); sc.stages.len()];
    for (i, s) in sc.stages.iter().enumerate() {
        let Some(kind) = crate::models::kind_info(&s.kind) else {
            c.err("stage", i, &s.id, Some("kind"), crate::models::unknown_kind(&s.kind));
            continue;
        };
        for (present, key) in [(s.to.is_some(), "to"), (s.capacity.is_some(), "capacity")] {
            if present && !kind.has_to {
                c.err(
                    "stage",
                    i,
                    &s.id,
                    Some(key),
                    format!("does not apply to kind `{}`", kind.name),
                );
            }
        }
        let capacity = s.capacity.map_or(u64::MAX, Capacity::records);
        if capacity == 0 {
            c.err("stage", i, &s.id, Some("capacity"), "must be at least 1 record".into());
        }
        // Links named inside the kind's parameters (router routes).
        let mut link_errors: Vec<(String, String)> = Vec::new();
        let mut linked: Vec<usize> = Vec::new();
        let built = {
            let mut resolve = |key: &str, target: &str| -> Option<usize> {
                match index.get(target) {
                    Some(&t) => {
                        linked.push(t);
                        Some(t)
                    }
                    None => {
                        let hint = suggest(target, ids.iter().copied())
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        link_errors.push((
                            key.to_string(),
                            format!("links to `{target}`, but there is no stage with that id{hint}"),
                        ));
                        None
                    }
                }
            };
            let mut env = crate::models::BuildEnv {
                capacity,
                resolve: &mut resolve,
                kinds: &kind_names,
            };
            crate::models::build(kind, &s.params, &mut env)
        };
        for (key, msg) in link_errors {
            c.err("stage", i, &s.id, Some(&key), msg);
        }
        edges[i].extend(linked);
        let built = match built {
            Ok(b) => b,
            Err(errs) => {
                for e in errs {
                    c.err("stage", i, &s.id, e.key.as_deref(), e.message);
                }
                continue;
            }
        };
        let mut built = built;
        if let Some(k) = crate::governance::kms_latency_ns(sc, &s.id) {
            match &mut built.model {
                crate::sim::stage::Model::KvStore(m) => m.kms_ns = Some(k),
                crate::sim::stage::Model::SqlStore(m) => m.kms_ns = Some(k),
                _ => {}
            }
        }
        let to =
            s.to.as_deref()
                .and_then(|t| resolve(&mut c, "stage", i, &s.id, "to", t));
        if let Some(t) = to {
            edges[i].push(t);
        }
        let dead_letter = s
            .dead_letter
            .as_deref()
            .and_then(|t| resolve(&mut c, "stage", i, &s.id, "dead_letter", t));
        if let (Some(_), crate::sim::stage::Model::Etl(m)) = (dead_letter, &mut built.model) {
            m.schema_dead_letter = true;
        }
        let rate_limit = s.rate_limit.as_ref().map(|r| {
            if r.rate.0 <= 0.0 {
                c.err(
                    "stage",
                    i,
                    &s.id,
                    Some("rate_limit"),
                    "rate must be more than zero".into(),
                );
            }
            TokenBucket::new(r.rate.0, r.burst.unwrap_or(r.rate.0.ceil().max(1.0) as u64))
        });
        stages.push(StageConfig {
            id: s.id.clone(),
            kind: kind.name.to_string(),
            model: built.model,
            to,
            routes: built.routes,
            on_full: match s.on_full.unwrap_or(OnFull::Drop) {
                OnFull::Drop => FullPolicy::Drop,
                OnFull::Block => FullPolicy::Block,
                OnFull::Reject => FullPolicy::Reject,
            },
            retry: s.retry.as_ref().map(retry_of),
            dead_letter,
            rate_limit,
            denied: sc.governance.as_ref().is_some_and(|g| {
                g.accesses
                    .iter()
                    .any(|a| a.stage == s.id && !crate::governance::allowed(g, a))
            }),
        });
    }
    if let Some(g) = &sc.governance {
        if let Some(x) = g.pii_sample {
            if !(x > 0.0 && x <= 1.0) {
                c.top(
                    "governance",
                    format!("pii_sample is {x}; it must be more than 0 and at most 1"),
                );
            }
        }
        let names = g
            .encrypted
            .iter()
            .chain(&g.pii_scan)
            .chain(g.accesses.iter().map(|a| &a.stage));
        for name in names {
            if !index.contains_key(name.as_str()) {
                let hint = suggest(name, ids.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                c.top(
                    "governance",
                    format!("names stage `{name}`, but there is no stage with that id{hint}"),
                );
            }
        }
    }
    if let Some(story) = &sc.story {
        for (i, step) in story.steps.iter().enumerate() {
            if !super::schema::STORY_PHASES.contains(&step.phase.as_str()) {
                c.top(
                    "story",
                    format!(
                        "step {} has phase `{}`; expected one of {}",
                        i + 1,
                        step.phase,
                        super::schema::STORY_PHASES.join(", ")
                    ),
                );
            }
            if let Some(st) = &step.stage {
                if !index.contains_key(st.as_str()) {
                    c.top(
                        "story",
                        format!("step {} names stage `{st}`, but there is no stage with that id", i + 1),
                    );
                }
            }
            if let Some(at) = step.at {
                if at.0 > sc.duration.0 {
                    c.top(
                        "story",
                        format!("step {} is at {} s, after the end of the run", i + 1, at.0 as f64 / 1e9),
                    );
                }
            }
        }
    }
    if let Some(cost) = &sc.cost {
        c.errors.extend(crate::cost::check_spec(cost, text));
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }

    // Data links must not form a cycle (depth-first search, in id order).
    let mut state = vec![0u8; stages.len()];
    fn visit(v: usize, edges: &[Vec<usize>], state: &mut [u8], path: &mut Vec<usize>) -> Option<Vec<usize>> {
        state[v] = 1;
        path.push(v);
        for &w in &edges[v] {
            if state[w] == 1 {
                let from = path.iter().position(|&x| x == w).unwrap_or(0);
                let mut cyc = path[from..].to_vec();
                cyc.push(w);
                return Some(cyc);
            }
            if state[w] == 0 {
                if let Some(c) = visit(w, edges, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state[v] = 2;
        None
    }
    for v in 0..stages.len() {
        if state[v] == 0 {
            if let Some(cyc) = visit(v, &edges, &mut state, &mut Vec::new()) {
                let names: Vec<&str> = cyc.iter().map(|&x| sc.stages[x].id.as_str()).collect();
                let first = cyc[0];
                let key = if sc.stages[first].kind == "router" {
                    "routes"
                } else {
                    "to"
                };
                c.err(
                    "stage",
                    first,
                    &sc.stages[first].id,
                    Some(key),
                    format!("data links form a cycle: {}", names.join(" -> ")),
                );
                break;
            }
        }
    }

    // Sources.
    let mut sources = Vec::new();
    for (i, s) in sc.sources.iter().enumerate() {
        let to = resolve(&mut c, "source", i, &s.id, "to", &s.to);
        let arrivals = match s.arrivals {
            ArrivalKind::Poisson => Arrivals::Poisson,
            ArrivalKind::Constant => Arrivals::Constant,
            ArrivalKind::Trace => match &s.trace {
                None => {
                    c.err(
                        "source",
                        i,
                        &s.id,
                        None,
                        "`arrivals = \"trace\"` needs `trace` (CSV rows `time,count[,bytes]`)".into(),
                    );
                    Arrivals::Trace(vec![])
                }
                Some(csv) => Arrivals::Trace(parse_trace(csv).unwrap_or_else(|e| {
                    c.err("source", i, &s.id, Some("trace"), e);
                    vec![]
                })),
            },
        };
        let rate = match (s.arrivals, s.rate) {
            (ArrivalKind::Trace, Some(_)) => {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("rate"),
                    "does not apply to a trace (the trace sets the rate)".into(),
                );
                0.0
            }
            (ArrivalKind::Trace, None) => 0.0,
            (_, None) => {
                c.err("source", i, &s.id, None, "needs `rate`, like \"100/s\"".into());
                0.0
            }
            (_, Some(r)) if r.0 <= 0.0 => {
                c.err("source", i, &s.id, Some("rate"), "must be more than zero".into());
                0.0
            }
            (_, Some(r)) => r.0,
        };
        if let Some(p) = &s.profile {
            if p.len() != 24 {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("profile"),
                    format!("needs 24 hourly multipliers, found {}", p.len()),
                );
            } else if p.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("profile"),
                    "multipliers must be zero or more".into(),
                );
            }
        }
        for sp in &s.spikes {
            if !(sp.factor.is_finite() && sp.factor >= 0.0) {
                c.err("source", i, &s.id, Some("spikes"), "factor must be zero or more".into());
            }
        }
        if s.key_skew.is_some_and(|k| !(k.is_finite() && k >= 0.0)) {
            c.err("source", i, &s.id, Some("key_skew"), "must be zero or more".into());
        }
        if s.hot_key_share
            .is_some_and(|h| !(h.is_finite() && (0.0..=1.0).contains(&h)))
        {
            c.err(
                "source",
                i,
                &s.id,
                Some("hot_key_share"),
                "must be between 0 and 1".into(),
            );
        }
        if s.key_buckets == Some(0) {
            c.err("source", i, &s.id, Some("key_buckets"), "must be at least 1".into());
        }
        if s.on_full == Some(OnFull::Reject) {
            c.err(
                "source",
                i,
                &s.id,
                Some("on_full"),
                "a source's buffer either drops (`drop`) or blocks the producer (`block`)".into(),
            );
        }
        if s.aggregate.is_some_and(|a| a.0 == 0) {
            c.err("source", i, &s.id, Some("aggregate"), "must be more than zero".into());
        }
        let record_bytes = match &s.record_size {
            None => Dist::Deterministic { value: 1000.0 },
            Some(d) => dist_of(d).unwrap_or_else(|e| {
                c.err("source", i, &s.id, Some("record_size"), e);
                Dist::Deterministic { value: 0.0 }
            }),
        };
        let kinds: Vec<KindMix> = s
            .kinds
            .iter()
            .flatten()
            .enumerate()
            .map(|(j, k)| KindMix {
                id: kind_names.iter().position(|n| *n == k.name).map_or(0, |p| p as u16 + 1),
                name: k.name.clone(),
                share: k.share,
                size: match &k.size {
                    None => record_bytes.clone(),
                    Some(d) => dist_of(d).unwrap_or_else(|e| {
                        c.err("source", i, &s.id, Some(&format!("kinds[{j}].size")), e);
                        Dist::Deterministic { value: 0.0 }
                    }),
                },
            })
            .collect();
        if let Some(d) = &s.duplicates {
            let bad = |x: Option<f64>| x.is_some_and(|v| !(0.0..=1.0).contains(&v));
            if bad(Some(d.fraction)) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("duplicates"),
                    "`fraction` must be between 0 and 1".into(),
                );
            }
            if bad(d.near) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("duplicates"),
                    "`near` must be between 0 and 1".into(),
                );
            }
            if d.dim == Some(0) || d.dim.is_some_and(|n| n > 4096) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("duplicates"),
                    "`dim` must be between 1 and 4096".into(),
                );
            }
            if d.noise.is_some_and(|n| !(n >= 0.0 && n.is_finite())) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("duplicates"),
                    "`noise` must be zero or more".into(),
                );
            }
            if d.spread == Some(0) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("duplicates"),
                    "`spread` must be at least 1".into(),
                );
            }
        }
        // A key-value store rejects items over its size limit: a source
        // whose records are always (or at most) too large is an error here.
        if let Some(crate::sim::stage::Model::KvStore(kv)) = to.and_then(|t| stages.get(t)).map(|st| &st.model) {
            let smallest = |d: &Dist| match d {
                Dist::Deterministic { value } => Some(*value),
                Dist::Uniform { min, .. } => Some(*min),
                Dist::Empirical { values } => values.iter().copied().reduce(f64::min),
                _ => None,
            };
            let sizes: Vec<(String, &Dist)> = if kinds.is_empty() {
                vec![("record_size".to_string(), &record_bytes)]
            } else {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(j, k)| (format!("kinds[{j}].size"), &k.size))
                    .collect()
            };
            for (key, b) in sizes
                .iter()
                .filter_map(|(key, d)| Some((key, smallest(d)?)))
                .filter(|(_, b)| *b > kv.item_limit as f64)
            {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some(key),
                    format!(
                        "records of {b} bytes exceed the item size limit of `{}` ({} bytes); DynamoDB rejects them",
                        sc.stages[to.unwrap_or(0)].id,
                        kv.item_limit
                    ),
                );
            }
        }
        let dead_letter = s
            .dead_letter
            .as_deref()
            .and_then(|t| resolve(&mut c, "source", i, &s.id, "dead_letter", t));
        let lateness = s.lateness.as_ref().and_then(|l| {
            if !(l.fraction.is_finite() && (0.0..=1.0).contains(&l.fraction)) {
                c.err(
                    "source",
                    i,
                    &s.id,
                    Some("lateness"),
                    "lateness.fraction: must be between 0 and 1".into(),
                );
                return None;
            }
            match dist_of(&l.delay) {
                Ok(d) => Some((l.fraction, d)),
                Err(e) => {
                    c.err("source", i, &s.id, Some("lateness"), format!("lateness.delay: {e}"));
                    None
                }
            }
        });
        sources.push(SourceConfig {
            id: s.id.clone(),
            to: to.unwrap_or(0),
            arrivals,
            rate_per_s: rate,
            hourly: s.profile.clone().filter(|p| p.len() == 24),
            spikes: s
                .spikes
                .iter()
                .map(|sp| Spike {
                    start_ns: sp.start.0,
                    duration_ns: sp.duration.0,
                    factor: sp.factor,
                })
                .collect(),
            record_bytes,
            aggregate_ns: s.aggregate.map(|a| a.0),
            key_buckets: s.key_buckets.unwrap_or(1).max(1),
            key_shares: crate::sim::source::key_shares(s.key_buckets.unwrap_or(1), s.key_skew, s.hot_key_share),
            buffer_records: s.buffer.map_or(0, Capacity::records),
            block_when_full: s.on_full == Some(OnFull::Block),
            start_ns: s.start.map_or(0, |d| d.0),
            stop_ns: s.stop.map(|d| d.0),
            limit: s.limit,
            retry: s.retry.as_ref().map(retry_of),
            dead_letter,
            duplicates: s.duplicates.as_ref().map(|d| crate::sim::source::Duplicates {
                fraction: d.fraction,
                near: d.near.unwrap_or(0.0),
                dim: d.dim.unwrap_or(32),
                noise: d.noise.unwrap_or(0.05),
                spread: d.spread.unwrap_or(100),
            }),
            lateness,
            kinds,
        });
    }

    // Near-duplicate detectors regenerate vectors the way the sources made them.
    if let Some(d) = sources.iter().find_map(|s| s.duplicates) {
        for st in stages.iter_mut() {
            if let crate::sim::stage::Model::Dedup(m) = &mut st.model {
                m.set_vectors(d);
            }
        }
    }

    // Alarms may only watch metrics their stage has.
    for (i, st) in stages.iter().enumerate() {
        if let crate::sim::stage::Model::Monitor(m) = &st.model {
            for a in &m.alarms {
                let extra = stages[a.watch].model.extra(0);
                let known: Vec<&str> = crate::models::STANDARD_METRICS
                    .iter()
                    .copied()
                    .chain(extra.iter().map(|(k, _)| *k))
                    .collect();
                if !known.contains(&a.metric.as_str()) {
                    let hint = suggest(&a.metric, known.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    c.err(
                        "stage",
                        i,
                        &st.id,
                        Some("alarms"),
                        format!(
                            "alarm `{}`: stage `{}` has no metric `{}` (it has: {}){hint}",
                            a.id,
                            stages[a.watch].id,
                            a.metric,
                            known.join(", ")
                        ),
                    );
                }
            }
        }
    }

    // The fault timeline.
    let mut controls = Vec::new();
    for (i, f) in sc.faults.iter().enumerate() {
        let fid = format!("fault {i}");
        let Some(&s) = index.get(f.stage.as_str()) else {
            let hint = suggest(&f.stage, ids.iter().copied())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            c.errors.push(ScenarioError {
                path: format!("fault[{i}].stage"),
                line: line_of_fault(text, i),
                column: None,
                message: format!("there is no stage `{}`{hint}", f.stage),
            });
            continue;
        };
        use crate::sim::stage::Control;
        let mut bad = |msg: &str| {
            c.errors.push(ScenarioError {
                path: format!("fault[{i}]"),
                line: line_of_fault(text, i),
                column: None,
                message: msg.to_string(),
            });
        };
        // A field the action does not read is a mistake, not a no-op: a
        // user who writes `duration` on a crash expects it to matter.
        let action = format!("{:?}", f.action).to_lowercase();
        let used = |field: &str| match f.action {
            FaultAction::Stop => field == "duration",
            FaultAction::Crash => field == "worker",
            FaultAction::Slow => field == "factor" || field == "duration",
            FaultAction::Scale => field == "shards" || field == "factor",
        };
        let given = [
            ("duration", f.duration.is_some()),
            ("factor", f.factor.is_some()),
            ("worker", f.worker.is_some()),
            ("shards", f.shards.is_some()),
        ];
        if let Some((field, _)) = given.iter().find(|(k, set)| *set && !used(k)) {
            let takes: Vec<&str> = given.iter().map(|(k, _)| *k).filter(|k| used(k)).collect();
            bad(&format!(
                "`{action}` does not use `{field}` (it takes {})",
                takes.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
            ));
            continue;
        }
        let (start, end) = match f.action {
            FaultAction::Stop => (Control::Stop, Some(Control::Resume)),
            FaultAction::Crash => (Control::Crash(f.worker.unwrap_or(0)), None),
            FaultAction::Slow => match f.factor {
                Some(x) if x > 0.0 && x.is_finite() => (Control::Slow(x), Some(Control::Slow(1.0))),
                _ => {
                    bad("`slow` needs `factor` > 0 (2.0 = twice as slow)");
                    continue;
                }
            },
            FaultAction::Scale => match (f.shards, f.factor) {
                (Some(n), None) if n > 0 => (Control::ScaleTo(n), None),
                (None, Some(x)) if x > 0.0 && x.is_finite() => (Control::ScaleBy(x), None),
                _ => {
                    bad("`scale` needs `shards` (> 0) or `factor` (> 0), not both");
                    continue;
                }
            },
        };
        let label = format!("{fid}: {}", start.name());
        controls.push(crate::sim::engine::TimedControl {
            at_ns: f.at.0,
            stage: s,
            control: start,
            label,
        });
        if let (Some(d), Some(undo)) = (f.duration, end) {
            controls.push(crate::sim::engine::TimedControl {
                at_ns: f.at.0 + d.0,
                stage: s,
                control: undo,
                label: format!("{fid}: end ({})", undo.name()),
            });
        }
    }

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let resolution = sc.resolution.map_or((sc.duration.0 / 256).max(1), |r| r.0.max(1));
    Ok(Config {
        seed: sc.seed,
        duration_ns: sc.duration.0,
        warmup_ns: sc.warmup.map_or(0, |w| w.0),
        resolution_ns: resolution,
        event_budget: sc.event_budget.unwrap_or(DEFAULT_EVENT_BUDGET),
        sources,
        stages,
        controls,
    })
}

/// The line of the `i`-th `[[fault]]` table (TOML) or fault object (JSON).
fn line_of_fault(text: &str, i: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[fault]]"))
        .nth(i)
        .map(|(n, _)| n + 1)
        .or_else(|| super::locate::top_level_line(text, "fault"))
}
