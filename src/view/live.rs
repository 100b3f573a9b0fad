//! The live session behind the browser app: a prepared simulation advanced on
//! a fixed grid of simulated time, plain serialisable snapshots of it, and
//! the messages the page and its Web Worker exchange (JSON strings).
//!
//! ```text
//!  page (yew)  ── ToWorker (play, pause, step, seek, edit, …) ──▶  worker
//!              ◀── FromWorker (loaded view, snapshots, errors) ──   Session
//! ```
//!
//! The worker owns the simulation; the page only renders what it receives.
//! Everything here is pure: the worker decides *when* to advance (wall
//! clock), the session decides *what* a step is (one grid interval), so the
//! points a run produces do not depend on how fast the browser is.

use crate::cost;
use crate::cost::mapping::MappingNote;
use crate::report::{self, table::secs, RunReport};
use crate::run::{self, Overrides, Prepared};
use crate::scenario::schema::{Provider, Scenario, StorySpec};
use crate::scenario::{builtin, Format};
use crate::sim::metrics::DropReason;
use crate::view::diagram::{layout, Diagram};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Grid intervals per run: one chart point per interval.
pub const GRID_STEPS: u64 = 400;

/// Keys every source may have (for the inspector).
pub const SOURCE_KEYS: &[&str] = &[
    "arrivals",
    "rate",
    "to",
    "record_size",
    "kinds",
    "aggregate",
    "key_buckets",
    "key_skew",
    "hot_key_share",
    "buffer",
    "start",
    "stop",
    "limit",
    "profile",
    "spikes",
    "trace",
    "retry",
    "dead_letter",
    "duplicates",
    "lateness",
    "region",
];

/// Where a scenario comes from (externally tagged: `{"builtin": "name"}`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioSource {
    /// A built-in, by short name.
    Builtin(String),
    /// Text the user gave (TOML or JSON).
    Text(String),
}

/// Run settings the page controls.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// `"aws"`, `"gcp"`, or none (as written).
    #[serde(default)]
    pub provider: Option<String>,
}

/// A fault the user adds from the inspector.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FaultEdit {
    pub stage: String,
    /// `stop`, `crash`, `slow` or `scale`.
    pub action: String,
    /// When, as written (`"10min"`).
    pub at: String,
    /// How long (`stop`, `slow`), as written; empty for none.
    #[serde(default)]
    pub duration: String,
    /// For `slow` and `scale`.
    #[serde(default)]
    pub factor: Option<f64>,
}

/// Page → worker, externally tagged (`{"play": {"speed": 60.0}}`,
/// `"pause"`) like [`FromWorker`]: the worker reads it straight from the
/// text (an internally tagged enum is buffered first through serde's
/// `Content`, which took 24 KB of the worker).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    Load {
        source: ScenarioSource,
        #[serde(default)]
        settings: Settings,
    },
    /// `speed`: simulated seconds per wall second; 0 = as fast as possible.
    Play {
        speed: f64,
    },
    Pause,
    /// One grid interval.
    Step,
    /// Back to time zero with the same scenario and settings.
    Reset,
    /// Run (or re-run) to this simulated time, then pause.
    Seek {
        t_s: f64,
    },
    /// The metric presentation mode highlights (read in every snapshot).
    Focus {
        stage: Option<String>,
        metric: Option<String>,
    },
    /// Set one key of a stage or source (`value` empty: remove it).
    Edit {
        node: String,
        key: String,
        value: String,
    },
    AddFault {
        fault: FaultEdit,
    },
    /// Run another built-in to its end and send its points for an overlay
    /// (none: clear the overlay).
    Compare {
        name: Option<String>,
    },
    /// Sharing and files (answered by `view::exchange`): `link` (a share
    /// link of what runs: `FromWorker::Link`), `toml` or `json` (the
    /// scenario as a file), `csv`, `run_json`, `cost_csv` or `mermaid`
    /// (`FromWorker::File`).
    Export {
        what: String,
    },
    /// Open a scenario file's text (TOML, JSON, or Mermaid by its `name`),
    /// or, with no name, a share link (a broken one loads the default
    /// scenario and says why).
    Open {
        #[serde(default)]
        name: String,
        text: String,
    },
    /// Import a Mermaid flowchart; `kinds` chooses kinds for boxes by id.
    ImportMermaid {
        text: String,
        #[serde(default)]
        kinds: BTreeMap<String, String>,
    },
    /// Check the claims of a story (its `[story] id`) on the built-ins
    /// `data/claims.toml` names, one claim per worker turn: `Claims`, then
    /// one `Claim` each.
    CheckClaims {
        story: String,
    },
}

/// A built-in, for the picker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BuiltinEntry {
    pub name: String,
    pub title: String,
}

/// Worker → page, externally tagged (`{"snapshot": {"snap": …}}`): the
/// page reads it straight from the text (an internally tagged enum is
/// buffered first, which took 50 KB of the page for serde's buffer).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum FromWorker {
    Ready {
        builtins: Vec<BuiltinEntry>,
    },
    Loaded {
        view: Box<ScenarioView>,
    },
    Snapshot {
        snap: Box<Snapshot>,
    },
    Overlay {
        overlay: Option<Box<Overlay>>,
    },
    /// `during`: `load`, `edit`, `fault`, `compare`, `message`, `link`,
    /// `file`, `export` or `mermaid`.
    Error {
        during: String,
        message: String,
    },
    /// A share link of the current run (the fragment, without `#`).
    Link {
        fragment: String,
    },
    /// A link or file was opened: the settings it runs with (before its `Loaded`).
    Opened {
        settings: Settings,
        notice: Option<String>,
        variant: Option<String>,
    },
    /// A file to download.
    File {
        file: crate::view::exchange::FileOut,
    },
    /// What a Mermaid import made (after its `Loaded`).
    Mermaid {
        report: crate::view::exchange::MermaidReport,
    },
    /// The claims of `story` about to be checked, in order (none: the
    /// story has no claims).
    Claims {
        story: String,
        claims: Vec<crate::claims::ClaimTitle>,
    },
    /// Claim `index` of the last `Claims` list checked, or why it could not be.
    Claim {
        story: String,
        index: usize,
        result: Result<crate::claims::ClaimResult, String>,
    },
}

/// One editable key of a node, as the inspector shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ParamView {
    pub key: String,
    /// As written (strings bare, tables and arrays as inline TOML); empty when unset.
    pub value: String,
    pub set: bool,
    /// What to type, with units.
    pub hint: String,
    /// What the value counts or measures (from the core's parameter info;
    /// empty for a key the kind does not list).
    #[serde(default)]
    pub unit: String,
    /// `duration`, `rate`, `size`, `count`, `ratio`, `enum`, `bool`, `text`
    /// or `table` (empty when unknown).
    #[serde(default)]
    pub kind: String,
}

/// A published limit, for the inspector.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LimitView {
    pub provider: String,
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub source: String,
}

/// A source or stage as the page shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NodeView {
    pub id: String,
    /// `source` or the stage kind.
    pub kind: String,
    /// The service for the chosen provider ("" for generic stages).
    pub service: String,
    pub region: Option<String>,
    pub help: String,
    pub params: Vec<ParamView>,
    pub limits: Vec<LimitView>,
}

/// What the page needs to draw a loaded scenario.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ScenarioView {
    /// Built-in short name, or `"custom"`.
    pub name: String,
    pub title: String,
    pub description: String,
    /// The scenario text as run (after the user's edits).
    pub text: String,
    pub diagram: Diagram,
    /// Sources then stages: the order of every per-node vector below.
    pub nodes: Vec<NodeView>,
    pub story: Option<StorySpec>,
    /// `aws`, `gcp`, or none (as written).
    pub provider: Option<String>,
    pub seed: u64,
    pub duration_s: f64,
    /// Grid interval (one Step), in seconds.
    pub step_s: f64,
}

/// The state of a run at one grid point (per-node vectors in `ScenarioView::nodes` order).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Point {
    pub t_s: f64,
    /// Records completed per second over the last interval.
    pub rate: Vec<f64>,
    /// Records inside each node at this time.
    pub backlog: Vec<f64>,
    /// Stream lag (iterator age or micro-batch lag) where the node has one, in seconds.
    pub lag_s: Vec<f64>,
    /// End-to-end latency percentiles so far (after warm-up), in seconds.
    pub p50_s: f64,
    pub p95_s: f64,
    pub p99_s: f64,
    /// Whole-run totals so far.
    pub throttled: u64,
    pub dropped: u64,
    pub late: u64,
    pub duplicates: u64,
    /// Cost of the run so far, when the scenario has priced services.
    pub cost_usd: Option<f64>,
}

/// One node, live.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NodeLive {
    pub id: String,
    pub arrived: u64,
    pub completed: u64,
    pub dropped: u64,
    pub throttled: u64,
    pub in_flight: u64,
    /// Busy servers / servers over the last interval (None: no server count).
    pub utilization: Option<f64>,
    /// Time-averaged since warm-up.
    pub utilization_mean: f64,
    pub rate_per_s: f64,
    pub sojourn_p50_s: f64,
    pub sojourn_p95_s: f64,
    pub sojourn_p99_s: f64,
    pub lag_s: Option<f64>,
    pub extra: BTreeMap<String, f64>,
}

/// The run's price so far.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CostLive {
    pub provider: String,
    pub total_usd: f64,
    pub per_month_usd: f64,
}

/// The highlighted metric's current value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FocusValue {
    pub label: String,
    pub value: String,
}

/// What the page renders while a run goes on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub t_s: f64,
    pub duration_s: f64,
    /// 0 to 1.
    pub progress: f64,
    pub events: u64,
    pub finished: bool,
    pub playing: bool,
    /// Index of `points[0]` in the run's points (the page truncates there and appends).
    pub first_point: usize,
    pub points: Vec<Point>,
    pub nodes: Vec<NodeLive>,
    pub delivered: u64,
    pub e2e_p50_s: f64,
    pub e2e_p95_s: f64,
    pub e2e_p99_s: f64,
    pub cost: Option<CostLive>,
    pub conservation_holds: bool,
    pub focus: Option<FocusValue>,
    /// Simulated events per wall second over the last slice (filled by the worker).
    pub events_per_s: f64,
    /// The run's digest once it has finished (the same as `pipelab run`'s
    /// for the same text and settings: the shipped bundle's check).
    #[serde(default)]
    pub digest: Option<String>,
}

/// A whole other run, for the A/B overlay.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Overlay {
    pub name: String,
    pub title: String,
    /// The story variant (`before`, `after`, …) or the name.
    pub label: String,
    pub node_ids: Vec<String>,
    pub points: Vec<Point>,
}

/// The built-ins with their titles.
pub fn builtins() -> Vec<BuiltinEntry> {
    builtin::all()
        .iter()
        .map(|b| BuiltinEntry {
            name: b.name.to_string(),
            title: builtin::title(b),
        })
        .collect()
}

/// Turns the page's settings into run overrides (errors name the field).
pub fn overrides(s: &Settings) -> Result<Overrides, String> {
    let provider = match s.provider.as_deref() {
        None | Some("") => None,
        Some("aws") => Some(Provider::Aws),
        Some("gcp") => Some(Provider::Gcp),
        Some(p) => return Err(format!("provider: `{p}` is not `aws` or `gcp`")),
    };
    let duration_ns = match s.duration_s {
        None => None,
        Some(d) if d.is_finite() && d > 0.0 && d <= 400.0 * 86_400.0 => Some((d * 1e9) as u64),
        Some(d) => return Err(format!("duration: {d} s is not between 0 and 400 days")),
    };
    Ok(Overrides {
        seed: s.seed,
        duration_ns,
        provider,
    })
}

/// A scenario being run on the grid.
pub struct Session {
    pub name: String,
    pub text: String,
    pub format: Format,
    pub overrides: Overrides,
    pub prepared: Prepared,
    pub step_ns: u64,
    /// One per grid point reached (the first at time zero).
    pub points: Vec<Point>,
    /// Per node: completed and busy area at the last point.
    prev: Vec<(u64, u128)>,
    prev_t: u64,
    /// Per node: busy servers / servers over the last interval.
    util: Vec<Option<f64>>,
    /// The run's raw document (for the inspector's values).
    raw: Value,
    /// Whether the scenario prices anything (else no cost series).
    priced: bool,
}

/// What the diagram shows when the scenario is re-mapped to another
/// provider: a box whose service the mapping changed is titled with the new
/// service (its label names the old one: "Amazon Redshift (RA3)" over
/// BigQuery would mislead a room) over its kind, and region names say the
/// new provider ("AWS Region" becomes "Google Cloud Region"). The run
/// itself is untouched: only the picture's words change.
fn remapped_for_display(
    sc: &Scenario,
    mapping: &[MappingNote],
    provider: Option<Provider>,
    nodes: &[NodeView],
) -> (Scenario, Vec<String>) {
    let mut shown = sc.clone();
    let mut subs: Vec<String> = nodes.iter().map(|n| n.service.clone()).collect();
    let Some(to) = provider else { return (shown, subs) };
    let changed = |id: &str| mapping.iter().any(|m| m.stage == id && m.from != m.to);
    let offset = sc.sources.len();
    // Two boxes on one service (a history load and the streaming ETL, both
    // Dataflow) are told apart by their ids instead of their kind.
    let shared = |service: &str| nodes.iter().filter(|n| n.service == service).count() > 1;
    for (i, st) in shown.stages.iter_mut().enumerate() {
        if changed(&st.id) {
            if let Some(n) = nodes.get(offset + i) {
                st.label = Some(n.service.clone());
                subs[offset + i] = if shared(&n.service) {
                    st.id.clone()
                } else {
                    st.kind.replace('_', " ")
                };
            }
        }
    }
    let (from_words, to_word): (&[&str], &str) = match to {
        Provider::Gcp => (&["AWS", "Amazon Web Services"], "Google Cloud"),
        Provider::Aws => (&["Google Cloud", "GCP"], "AWS"),
    };
    let rename = |r: &mut Option<String>| {
        if let Some(name) = r {
            for w in from_words {
                *name = name.replace(w, to_word);
            }
        }
    };
    shown.sources.iter_mut().for_each(|s| rename(&mut s.region));
    shown.stages.iter_mut().for_each(|s| rename(&mut s.region));
    (shown, subs)
}

fn lag_of(extra: &[(&'static str, f64)]) -> Option<f64> {
    ["lag_s", "iterator_age_s"]
        .iter()
        .find_map(|k| extra.iter().find(|(n, _)| n == k).map(|(_, v)| *v))
}

/// The scenario text as a JSON value (TOML converted).
fn raw_value(text: &str, format: Format) -> Result<Value, String> {
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        Format::Toml => crate::scenario::tree::toml_to_value(text).map_err(|e| e.to_string()),
    }
}

impl Session {
    /// Parses, compiles and prepares `text` (errors are the located messages).
    pub fn new(name: &str, text: &str, overrides: Overrides) -> Result<Session, String> {
        let format = Format::sniff(text);
        let prepared = run::prepare(text, format, &overrides).map_err(|e| e.to_string())?;
        let raw = raw_value(text, format)?;
        let step_ns = (prepared.sim.duration_ns / GRID_STEPS).max(1);
        let n = prepared.sim.sources.len() + prepared.sim.stages.len();
        let priced = {
            let r = report::build(&prepared.sim, &prepared.scenario.name);
            !cost::report::build(&prepared.scenario, &r, prepared.provider, Vec::new())
                .lines
                .is_empty()
        };
        let mut s = Session {
            name: name.to_string(),
            text: text.to_string(),
            format,
            overrides,
            step_ns,
            points: Vec::new(),
            prev: vec![(0, 0); n],
            prev_t: 0,
            util: vec![None; n],
            prepared,
            raw,
            priced,
        };
        s.record();
        Ok(s)
    }

    /// A built-in by name.
    pub fn builtin(name: &str, overrides: Overrides) -> Result<Session, String> {
        let b = builtin::find(name).ok_or_else(|| format!("no built-in scenario named `{name}`"))?;
        Session::new(name, b.text, overrides)
    }

    /// The same scenario and settings from time zero.
    pub fn restarted(&self) -> Result<Session, String> {
        Session::new(&self.name, &self.text, self.overrides.clone())
    }

    pub fn now_ns(&self) -> u64 {
        self.prepared.sim.now
    }

    pub fn finished(&self) -> bool {
        self.prepared.sim.is_finished()
    }

    /// Runs one grid interval and records its point; false once finished.
    pub fn advance(&mut self) -> bool {
        if self.finished() {
            return false;
        }
        let sim = &mut self.prepared.sim;
        let next = ((sim.now / self.step_ns) + 1) * self.step_ns;
        sim.run_until(next.min(sim.duration_ns));
        self.record();
        true
    }

    /// Advances grid intervals until simulated time reaches `t_ns` (or the end).
    pub fn advance_to(&mut self, t_ns: u64) {
        while self.now_ns() < t_ns && self.advance() {}
    }

    /// The report as it stands, priced when the scenario has priced services.
    pub fn report(&self) -> RunReport {
        let p = &self.prepared;
        let mut r = report::build(&p.sim, &p.scenario.name);
        if self.priced {
            r.cost = Some(cost::report::build(&p.scenario, &r, p.provider, p.mapping.clone()));
        }
        r
    }

    fn record(&mut self) {
        let sim = &self.prepared.sim;
        let now = sim.now;
        if now != 0 && self.points.last().is_some_and(|p| p.t_s == now as f64 / 1e9) {
            return;
        }
        let dt_ns = now.saturating_sub(self.prev_t);
        let dt_s = dt_ns as f64 / 1e9;
        let ns = sim.sources.len();
        let metrics = sim
            .sources
            .iter()
            .map(|s| &s.metrics)
            .chain(sim.stages.iter().map(|s| &s.metrics));
        let mut rate = Vec::new();
        let mut backlog = Vec::new();
        let mut lag = Vec::new();
        let mut next_prev = Vec::new();
        let mut util = Vec::new();
        let (mut throttled, mut dropped, mut late, mut duplicates) = (0, 0, 0, 0);
        for (i, m) in metrics.enumerate() {
            let (done0, busy0) = self.prev[i];
            let busy = m.areas_at(now).2;
            rate.push(if dt_s > 0.0 {
                m.completed.saturating_sub(done0) as f64 / dt_s
            } else {
                0.0
            });
            let servers = if i < ns {
                None
            } else {
                sim.stages[i - ns].model.servers()
            };
            // The busy integral restarts at the end of warm-up: then the
            // interval's area is what accumulated since.
            let d_busy = if busy >= busy0 { busy - busy0 } else { busy };
            util.push(match servers {
                Some(c) if c > 0 && dt_ns > 0 => Some((d_busy as f64 / dt_ns as f64 / c as f64).min(1.0)),
                _ => None,
            });
            if i < ns {
                backlog.push(sim.source_in_flight(i) as f64);
                lag.push(0.0);
            } else {
                backlog.push(sim.stage_in_flight(i - ns) as f64);
                lag.push(lag_of(&sim.stage_extra(i - ns)).unwrap_or(0.0));
            }
            next_prev.push((m.completed, busy));
            throttled += m.throttled;
            dropped += m.dropped_total();
            late += m.dropped[DropReason::Late as usize];
            duplicates += m.created;
        }
        let lat = sim.e2e.from_event.summary_s();
        let cost_usd = if self.priced {
            self.report().cost.map(|c| c.total_usd)
        } else {
            None
        };
        self.points.push(Point {
            t_s: now as f64 / 1e9,
            rate,
            backlog,
            lag_s: lag,
            p50_s: lat.p50,
            p95_s: lat.p95,
            p99_s: lat.p99,
            throttled,
            dropped,
            late,
            duplicates,
            cost_usd,
        });
        if dt_ns > 0 {
            self.util = util;
        }
        self.prev = next_prev;
        self.prev_t = now;
    }

    /// The view of the loaded scenario for the page.
    pub fn view(&self) -> ScenarioView {
        let sc = &self.prepared.scenario;
        let mut nodes = Vec::new();
        for (i, s) in sc.sources.iter().enumerate() {
            let raw = self.raw.get("source").and_then(|v| v.get(i));
            nodes.push(NodeView {
                id: s.id.clone(),
                kind: "source".into(),
                service: String::new(),
                region: s.region.clone(),
                help: "Generates records: Poisson, constant or a trace, with an optional daily profile, \
                       spikes, duplicates and late data."
                    .into(),
                params: params_view(raw, SOURCE_KEYS, "source"),
                limits: Vec::new(),
            });
        }
        for (i, s) in sc.stages.iter().enumerate() {
            let raw = self.raw.get("stage").and_then(|v| v.get(i));
            let info = crate::models::kind_info(&s.kind);
            let mut keys: Vec<&str> = info.map(|k| k.param_names().collect()).unwrap_or_default();
            keys.extend(
                crate::models::COMMON_KEYS
                    .iter()
                    .filter(|k| !matches!(**k, "id" | "kind")),
            );
            nodes.push(NodeView {
                id: s.id.clone(),
                kind: s.kind.clone(),
                service: match (s.kind.as_str(), self.prepared.provider, info) {
                    // A monitor has no flavour to map: it is the provider's own.
                    ("monitor", Some(crate::scenario::schema::Provider::Gcp), Some(k)) => k.gcp.to_string(),
                    _ => service_name(&s.kind, &cost::meters::flavour_of(s)),
                },
                region: s.region.clone(),
                help: info.map_or(String::new(), |k| k.help.to_string()),
                params: params_view(raw, &keys, &s.kind),
                limits: info
                    .map(|k| {
                        k.limits
                            .iter()
                            .map(|l| LimitView {
                                provider: l.provider.into(),
                                name: l.name.into(),
                                value: l.value,
                                unit: l.unit.into(),
                                source: l.source.into(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        ScenarioView {
            name: self.name.clone(),
            title: sc.name.clone(),
            description: sc.description.clone().unwrap_or_default(),
            text: self.text.clone(),
            diagram: {
                let (shown, subs) = remapped_for_display(sc, &self.prepared.mapping, self.prepared.provider, &nodes);
                layout(&shown, &subs)
            },
            nodes,
            story: sc.story.clone(),
            provider: self.prepared.provider.map(|p| p.name().to_string()),
            seed: self.prepared.sim.seed,
            duration_s: self.prepared.sim.duration_ns as f64 / 1e9,
            step_s: self.step_ns as f64 / 1e9,
        }
    }

    /// The live state, with the points from `first_point` on.
    pub fn snapshot(&self, first_point: usize, focus: Option<(&str, &str)>) -> Snapshot {
        let sim = &self.prepared.sim;
        let r = self.report();
        let last = self.points.last();
        let ids = sim
            .sources
            .iter()
            .map(|s| &s.cfg.id)
            .chain(sim.stages.iter().map(|s| &s.cfg.id));
        let nodes = ids
            .enumerate()
            .map(|(i, id)| {
                let s = r.sources.get(id).or_else(|| r.stages.get(id));
                let ns = sim.sources.len();
                NodeLive {
                    id: id.clone(),
                    arrived: s.map_or(0, |s| s.arrived),
                    completed: s.map_or(0, |s| s.completed),
                    dropped: s.map_or(0, |s| s.dropped),
                    throttled: s.map_or(0, |s| s.throttled),
                    in_flight: s.map_or(0, |s| s.in_flight),
                    utilization: self.util.get(i).copied().flatten(),
                    utilization_mean: s.map_or(0.0, |s| s.utilization),
                    rate_per_s: last.and_then(|p| p.rate.get(i)).copied().unwrap_or(0.0),
                    sojourn_p50_s: s.map_or(0.0, |s| s.sojourn_s.p50),
                    sojourn_p95_s: s.map_or(0.0, |s| s.sojourn_s.p95),
                    sojourn_p99_s: s.map_or(0.0, |s| s.sojourn_s.p99),
                    lag_s: if i < ns { None } else { lag_of(&sim.stage_extra(i - ns)) },
                    extra: s.map(|s| s.extra.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let first = first_point.min(self.points.len());
        Snapshot {
            t_s: sim.now as f64 / 1e9,
            duration_s: sim.duration_ns as f64 / 1e9,
            progress: if sim.duration_ns == 0 {
                1.0
            } else {
                (sim.now as f64 / sim.duration_ns as f64).min(1.0)
            },
            events: sim.events_processed,
            finished: self.finished(),
            playing: false,
            first_point: first,
            points: self.points[first..].to_vec(),
            nodes,
            delivered: r.end_to_end.delivered,
            e2e_p50_s: r.end_to_end.latency_s.p50,
            e2e_p95_s: r.end_to_end.latency_s.p95,
            e2e_p99_s: r.end_to_end.latency_s.p99,
            cost: r.cost.as_ref().map(|c| CostLive {
                provider: c.provider.clone(),
                total_usd: c.total_usd,
                per_month_usd: c.per_month_usd,
            }),
            conservation_holds: r.conservation.holds,
            focus: focus.and_then(|(stage, metric)| metric_value(&r, stage, metric)),
            events_per_s: 0.0,
            digest: self.finished().then(|| r.digest.clone()),
        }
    }

    /// The scenario text with one key of a node set (empty `value`: removed).
    pub fn edited(&self, node: &str, key: &str, value: &str) -> Result<String, String> {
        let mut doc = self.raw.clone();
        let (table, i) = find_node(&doc, node).ok_or_else(|| format!("no stage or source named `{node}`"))?;
        let key = key.trim();
        if key.is_empty() || matches!(key, "id" | "kind") {
            return Err(format!("`{key}` cannot be edited here"));
        }
        let entry = doc
            .get_mut(table)
            .and_then(|v| v.get_mut(i))
            .and_then(|v| v.as_object_mut())
            .ok_or_else(|| format!("{table}[{i}] is not a table"))?;
        match parse_value(value)? {
            None => {
                entry.remove(key);
            }
            Some(v) => {
                entry.insert(key.to_string(), v);
            }
        }
        self.write(&doc)
    }

    /// The scenario text with a fault added to its timeline.
    pub fn with_fault(&self, f: &FaultEdit) -> Result<String, String> {
        let mut doc = self.raw.clone();
        let mut t = serde_json::Map::new();
        t.insert("at".into(), Value::String(f.at.trim().to_string()));
        t.insert("stage".into(), Value::String(f.stage.clone()));
        t.insert("action".into(), Value::String(f.action.clone()));
        if !f.duration.trim().is_empty() {
            t.insert("duration".into(), Value::String(f.duration.trim().to_string()));
        }
        if let Some(x) = f.factor {
            t.insert("factor".into(), serde_json::json!(x));
        }
        let obj = doc.as_object_mut().ok_or("the scenario is not a table")?;
        let faults = obj.entry("fault").or_insert_with(|| Value::Array(Vec::new()));
        faults
            .as_array_mut()
            .ok_or("`fault` is not an array of tables")?
            .push(Value::Object(t));
        self.write(&doc)
    }

    fn write(&self, doc: &Value) -> Result<String, String> {
        match self.format {
            Format::Json => serde_json::to_string_pretty(doc).map_err(|e| e.to_string()),
            Format::Toml => crate::scenario::toml_text::document(doc),
        }
    }
}

/// Runs a built-in to its end on the grid, for the A/B overlay.
pub fn overlay(name: &str, overrides: Overrides) -> Result<Overlay, String> {
    let mut s = Session::builtin(name, overrides)?;
    while s.advance() {}
    let sc = &s.prepared.scenario;
    Ok(Overlay {
        name: name.to_string(),
        title: sc.name.clone(),
        label: sc.story.as_ref().map_or(name.to_string(), |st| st.variant.clone()),
        node_ids: sc
            .sources
            .iter()
            .map(|x| x.id.clone())
            .chain(sc.stages.iter().map(|x| x.id.clone()))
            .collect(),
        points: s.points,
    })
}

fn find_node(doc: &Value, id: &str) -> Option<(&'static str, usize)> {
    for table in ["stage", "source"] {
        if let Some(a) = doc.get(table).and_then(|v| v.as_array()) {
            if let Some(i) = a.iter().position(|t| t.get("id").and_then(|v| v.as_str()) == Some(id)) {
                return Some((table, i));
            }
        }
    }
    None
}

/// What the user typed, as a value: empty is none; a TOML literal (number,
/// boolean, quoted string, array, inline table) as such; anything else is a
/// plain string (so `40ms` and `100/s` need no quotes).
pub fn parse_value(input: &str) -> Result<Option<Value>, String> {
    let t = input.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() > 100_000 {
        return Err("the value is longer than 100,000 characters".into());
    }
    match crate::scenario::tree::toml_value_text(t) {
        Ok(v) => Ok(Some(v)),
        Err(e) if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') => {
            Err(format!("`{t}` is not a valid value: {}", e.message()))
        }
        Err(_) => Ok(Some(Value::String(t.to_string()))),
    }
}

/// A value as the inspector shows it: strings bare, the rest as inline TOML.
pub fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => crate::scenario::toml_text::inline(other).unwrap_or_else(|| other.to_string()),
    }
}

/// What to type for a key, with its units.
pub fn hint(key: &str, value: Option<&Value>) -> String {
    let k = key;
    let numeric = |s: &str| s.chars().next().is_some_and(|c| c.is_ascii_digit());
    let by_value = value.and_then(|v| v.as_str()).filter(|s| numeric(s)).and_then(|s| {
        if s.contains("/s") || s.contains("/min") || s.contains("/h") {
            Some("a rate, e.g. 100/s, 1 MiB/s")
        } else if s.ends_with('B') {
            Some("a size, e.g. 600 B, 1 MiB, 2 TB")
        } else if s.ends_with('s') || s.ends_with("min") || s.ends_with('h') || s.ends_with('d') {
            Some("a duration, e.g. 40ms, 2s, 15min, 1h")
        } else {
            None
        }
    });
    if let Some(h) = by_value {
        return h.into();
    }
    match k {
        "service" | "delay" => {
            "a duration or a distribution, e.g. 40ms or { dist = \"exponential\", mean = \"40ms\" }".into()
        }
        "capacity" | "buffer" => "records (a whole number) or unbounded".into(),
        "on_full" => "drop, block or reject".into(),
        "rate" => "a rate, e.g. 100/s".into(),
        "to" | "dead_letter" => "a stage id".into(),
        "retry" => "{ max = 5, base = \"100ms\", cap = \"5s\" }".into(),
        "rate_limit" => "{ rate = \"100/s\", burst = 10 }".into(),
        _ if k.ends_with("_s") || k.contains("time") || k.contains("latency") || k.contains("window") => {
            "a duration, e.g. 40ms, 2s, 15min".into()
        }
        _ if k.contains("bandwidth") || k.contains("bytes") || k.contains("size") => "a size or rate with units".into(),
        _ => match value {
            Some(Value::Number(_)) => "a number".into(),
            Some(Value::Bool(_)) => "true or false".into(),
            Some(Value::Object(_)) => "an inline table { key = value, … }".into(),
            Some(Value::Array(_)) => "an array [a, b, …]".into(),
            _ => "as in the scenario file (units in strings)".into(),
        },
    }
}

/// What to type for a parameter of a known kind, with an example (the
/// inspector shows the unit itself beside the key).
pub fn typed_hint(p: &crate::models::Param) -> String {
    use crate::models::ParamKind as K;
    match p.kind {
        K::Duration => "a duration with a unit, e.g. 40ms, 2s, 15min".into(),
        K::Rate => "a rate with a unit, e.g. 100/s, 1 MiB/s".into(),
        K::Size => "a size with a unit, e.g. 600 B, 1 MiB, 2 TB".into(),
        K::Count => "a whole number".into(),
        K::Ratio => "a number".into(),
        K::Enum => "one of the names above".into(),
        K::Bool => "true or false".into(),
        K::Text => "text".into(),
        K::Table => "inline TOML, e.g. { key = value } or [{ … }]".into(),
    }
}

/// The inspector's rows for `keys` of a node of `kind` (`"source"` for sources).
fn params_view(raw: Option<&Value>, keys: &[&str], kind: &str) -> Vec<ParamView> {
    let obj = raw.and_then(|v| v.as_object());
    let row = |k: &str, v: Option<&Value>| {
        let info = crate::models::param_info(kind, k);
        ParamView {
            key: k.to_string(),
            value: v.map(show_value).unwrap_or_default(),
            set: v.is_some(),
            hint: info.map_or_else(|| hint(k, v), typed_hint),
            unit: info.map_or(String::new(), |p| p.unit.to_string()),
            kind: info.map_or(String::new(), |p| p.kind.name().to_string()),
        }
    };
    let mut out: Vec<ParamView> = keys.iter().map(|k| row(k, obj.and_then(|o| o.get(*k)))).collect();
    // Keys written in the file but not listed (kept editable).
    if let Some(o) = obj {
        for (k, v) in o {
            if !matches!(k.as_str(), "id" | "kind") && !keys.contains(&k.as_str()) {
                out.push(row(k, Some(v)));
            }
        }
    }
    // Set keys first, in the kind's order (a stable partition; a sort
    // would add a sort routine to the worker for this one list).
    let (mut set, unset): (Vec<ParamView>, Vec<ParamView>) = out.into_iter().partition(|p| p.set);
    set.extend(unset);
    set
}

/// One row of the inspector's live metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    pub name: String,
    pub value: String,
    /// The unit the value is shown in (`ms`, `GB`, `%`, `records`).
    pub unit: String,
    /// The metric's declared unit (`models::metrics`); empty if it has none.
    pub declared: &'static str,
}

/// A node's live metrics with their units: the counters every node has,
/// then the kind's own figures (`extra`), each in its declared unit.
pub fn metric_rows(l: &NodeLive) -> Vec<MetricRow> {
    let row = |name: &str, v: f64, declared: &'static str| {
        let (value, unit) = crate::models::metrics::show(v, declared);
        MetricRow {
            name: name.to_string(),
            value,
            unit,
            declared,
        }
    };
    let mut rows = vec![
        row("arrived", l.arrived as f64, "records"),
        row("completed", l.completed as f64, "records"),
        row("dropped", l.dropped as f64, "records"),
        row("throttled", l.throttled as f64, "records"),
        row("inside now", l.in_flight as f64, "records"),
        MetricRow {
            value: format!("{:.1}", l.rate_per_s),
            ..row("throughput", 0.0, "records/s")
        },
    ];
    if let Some(u) = l.utilization {
        rows.push(MetricRow {
            value: format!("{:.0} now · {:.0} mean", u * 100.0, l.utilization_mean * 100.0),
            ..row("utilisation", 0.0, "share")
        });
    }
    rows.push(row("time in stage p50", l.sojourn_p50_s, "s"));
    rows.push(row("p95", l.sojourn_p95_s, "s"));
    rows.push(row("p99", l.sojourn_p99_s, "s"));
    for (k, v) in &l.extra {
        let declared = crate::models::metrics::unit(k).unwrap_or("");
        // The unit has its own column: `iterator_age_s_max` reads "iterator age max".
        let words: Vec<&str> = k.split('_').filter(|w| !(declared == "s" && *w == "s")).collect();
        rows.push(row(&words.join(" "), *v, declared));
    }
    rows
}

/// The service a kind's flavour names ("" for generic stages).
pub fn service_name(kind: &str, flavour: &str) -> String {
    let Some(info) = crate::models::kind_info(kind) else {
        return String::new();
    };
    if info.aws.is_empty() {
        return String::new();
    }
    cost::mapping::service(kind, flavour)
}

/// Reads a metric of a stage's report (`sojourn_s.p95`, `extra.lag_s`) or of
/// the run (`end_to_end.latency_s.p95`, `cost.per_year_usd`), formatted.
pub fn metric_value(r: &RunReport, stage: &str, metric: &str) -> Option<FocusValue> {
    let doc = serde_json::to_value(r).ok()?;
    let path: String = metric.split('.').map(|p| format!("/{p}")).collect();
    let v = if stage.is_empty() {
        None
    } else {
        doc.pointer(&format!("/stages/{stage}{path}"))
            .or_else(|| doc.pointer(&format!("/sources/{stage}{path}")))
    }
    .or_else(|| doc.pointer(&path))?;
    let x = v.as_f64()?;
    let last = metric.rsplit('.').next().unwrap_or(metric);
    let value = if metric.ends_with("_usd") || metric.contains("_usd.") || metric.starts_with("cost.") {
        format!("${x:.2}")
    } else if metric.contains("_s.") || last.ends_with("_s") || matches!(last, "p50" | "p95" | "p99" | "mean" | "max") {
        secs(x)
    } else if last == "utilization" || last.ends_with("fraction") || last.ends_with("probability") {
        format!("{:.1} %", x * 100.0)
    } else if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    };
    let label = if stage.is_empty() {
        metric.to_string()
    } else {
        format!("{stage} · {metric}")
    };
    Some(FocusValue { label, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_advances_on_the_grid_and_matches_an_uninterrupted_run() {
        let mut s = Session::builtin("backpressure-tandem", Overrides::default()).unwrap();
        assert_eq!(s.points.len(), 1, "a point at time zero");
        while s.advance() {}
        assert_eq!(s.points.len() as u64, GRID_STEPS + 1);
        let (_, whole) = run::run_text(s.text.as_str(), Format::Toml, &Overrides::default()).unwrap();
        assert_eq!(s.report().digest, whole.digest, "stepping on the grid changes nothing");
        let snap = s.snapshot(0, None);
        assert!(snap.finished && snap.conservation_holds);
        assert_eq!(snap.points.len(), s.points.len());
        assert_eq!(snap.nodes.len(), s.view().nodes.len());
    }

    #[test]
    fn every_live_metric_the_inspector_shows_has_a_declared_unit() {
        for b in builtin::all() {
            for provider in [None, Some(crate::scenario::schema::Provider::Gcp)] {
                let mut s = Session::builtin(
                    b.name,
                    Overrides {
                        provider,
                        ..Overrides::default()
                    },
                )
                .unwrap();
                for _ in 0..3 {
                    s.advance();
                }
                for n in &s.snapshot(0, None).nodes {
                    for r in metric_rows(n) {
                        assert!(
                            !r.declared.is_empty(),
                            "{} ({provider:?}): {} `{}` has no unit",
                            b.name,
                            n.id,
                            r.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn snapshots_carry_only_new_points() {
        let mut s = Session::builtin("mm4-teaching", Overrides::default()).unwrap();
        for _ in 0..10 {
            s.advance();
        }
        let snap = s.snapshot(8, None);
        assert_eq!((snap.first_point, snap.points.len()), (8, 3));
        assert_eq!(snap.digest, None, "no digest before the end");
        assert!(snap.t_s > 0.0 && snap.progress > 0.0 && snap.progress < 1.0);
        let rate = snap.points.last().unwrap().rate[1];
        assert!(rate > 0.0, "the server completes records: {rate}");
    }

    #[test]
    fn an_edit_rewrites_the_text_and_bad_values_say_why() {
        let s = Session::builtin("backpressure-tandem", Overrides::default()).unwrap();
        let text = s.edited("writer", "servers", "1").unwrap();
        let slow = Session::new("custom", &text, Overrides::default()).unwrap();
        let v = slow.view();
        let writer = v.nodes.iter().find(|n| n.id == "writer").unwrap();
        assert_eq!(writer.params.iter().find(|p| p.key == "servers").unwrap().value, "1");
        // A unit the parser does not know: the located error names the field.
        let bad = s.edited("writer", "capacity", "lots").unwrap();
        let e = Session::new("custom", &bad, Overrides::default()).err().unwrap();
        assert!(e.contains("capacity"), "{e}");
        assert!(s.edited("nope", "servers", "1").is_err());
        assert!(parse_value("{ dist = ").is_err());
        assert_eq!(parse_value("40ms").unwrap(), Some(Value::String("40ms".into())));
        assert_eq!(parse_value("").unwrap(), None);
    }

    /// The page's provider switch set to `p`.
    fn on_provider(p: &str) -> Overrides {
        overrides(&Settings {
            provider: Some(p.into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_remapped_story_diagram_names_the_new_provider_services_and_regions() {
        let gcp = on_provider("gcp");
        let as_written = Session::builtin("fintrust-after", Overrides::default()).unwrap().view();
        let g = Session::builtin("fintrust-after", gcp).unwrap().view();
        let words = |v: &ScenarioView| {
            v.diagram
                .nodes
                .iter()
                .flat_map(|n| [n.label.clone(), n.sub.clone()])
                .chain(v.diagram.regions.iter().map(|r| r.name.clone()))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let (w, a) = (words(&g), words(&as_written));
        assert!(a.contains("Amazon Redshift") && a.contains("AWS Region"), "{a}");
        for gone in ["Redshift", "Kinesis", "CloudWatch", "AWS"] {
            assert!(!w.contains(gone), "`{gone}` on the GCP diagram: {w}");
        }
        for shown in ["BigQuery", "Pub/Sub", "Dataflow", "Google Cloud Region", "ON-PREM"] {
            assert!(
                w.to_uppercase().contains(&shown.to_uppercase()),
                "`{shown}` missing: {w}"
            );
        }
        // Two boxes on one service are told apart by their ids.
        let dataflow_subs = |v: &ScenarioView| -> Vec<String> {
            v.diagram
                .nodes
                .iter()
                .filter(|n| n.label == "Dataflow")
                .map(|n| n.sub.clone())
                .collect()
        };
        let dataflow = dataflow_subs(&g);
        let subs = dataflow_subs(
            &Session::builtin("fintrust-migration", on_provider("gcp"))
                .unwrap()
                .view(),
        );
        assert_eq!(dataflow, vec!["etl".to_string()], "one Dataflow box: its kind");
        assert!(
            subs.len() == 2 && subs[0] != subs[1],
            "two Dataflow boxes, told apart: {subs:?}"
        );
        // The run is the same run: only the picture's words changed.
        assert_eq!(g.nodes.len(), as_written.nodes.len());
    }

    #[test]
    fn the_provider_switch_renames_services() {
        let (aws, gcp) = (on_provider("aws"), on_provider("gcp"));
        let a = Session::builtin("kinesis-autoscale", aws).unwrap().view();
        let g = Session::builtin("kinesis-autoscale", gcp).unwrap().view();
        let svc = |v: &ScenarioView| v.nodes.iter().map(|n| n.service.clone()).collect::<Vec<_>>().join(",");
        assert!(svc(&a).contains("Kinesis"), "{}", svc(&a));
        assert!(svc(&g).contains("Pub/Sub"), "{}", svc(&g));
        // A monitor has no flavour of its own: it is the provider's, and the diagram says so.
        assert!(
            svc(&a).contains("CloudWatch") && !svc(&a).contains("Cloud Monitoring"),
            "{}",
            svc(&a)
        );
        assert!(
            svc(&g).contains("Cloud Monitoring") && !svc(&g).contains("CloudWatch"),
            "{}",
            svc(&g)
        );
        let monitor = |v: &ScenarioView| v.diagram.nodes.iter().find(|n| n.kind == "monitor").unwrap().clone();
        let sub = |v: &ScenarioView| monitor(v).sub;
        // Re-mapped, the box is titled with its new service (not its old
        // label, "CloudWatch alarm") over its kind.
        let label = |v: &ScenarioView| monitor(v).label;
        assert_eq!(
            (label(&g).as_str(), sub(&g).as_str()),
            ("Google Cloud Monitoring", "monitor")
        );
        assert!(overrides(&Settings {
            provider: Some("azure".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn a_fault_added_from_the_inspector_reaches_the_timeline() {
        let s = Session::builtin("backpressure-tandem", Overrides::default()).unwrap();
        let text = s
            .with_fault(&FaultEdit {
                stage: "writer".into(),
                action: "stop".into(),
                at: "5min".into(),
                duration: "2min".into(),
                factor: None,
            })
            .unwrap();
        let mut t = Session::new("custom", &text, Overrides::default()).unwrap();
        while t.advance() {}
        let r = t.report();
        assert!(
            r.controls.iter().any(|c| c.stage == "writer" && c.at_s == 300.0),
            "{:?}",
            r.controls
        );
    }

    #[test]
    fn metrics_are_read_by_their_report_keys() {
        let mut s = Session::builtin("backpressure-tandem", Overrides::default()).unwrap();
        while s.advance() {}
        let r = s.report();
        let v = metric_value(&r, "writer", "sojourn_s.p95").unwrap();
        assert!(v.value.ends_with('s'), "{v:?}");
        assert!(metric_value(&r, "", "end_to_end.delivered").is_some());
        assert!(metric_value(&r, "writer", "no.such").is_none());
    }

    #[test]
    fn the_inspector_shows_a_unit_for_every_listed_parameter_of_every_builtin() {
        for key in SOURCE_KEYS {
            assert!(
                crate::models::param_info("source", key).is_some(),
                "source key {key} has no unit"
            );
        }
        for b in builtin::all() {
            let v = Session::builtin(b.name, Overrides::default()).unwrap().view();
            for n in &v.nodes {
                for p in &n.params {
                    assert!(
                        !p.unit.is_empty() && !p.kind.is_empty(),
                        "{}: {}.{} has no unit",
                        b.name,
                        n.id,
                        p.key
                    );
                }
            }
        }
        let v = Session::builtin("kinesis-autoscale", Overrides::default())
            .unwrap()
            .view();
        let stream = v.nodes.iter().find(|n| n.kind == "stream").unwrap();
        let retention = stream.params.iter().find(|p| p.key == "retention").unwrap();
        assert_eq!((retention.kind.as_str(), retention.unit.as_str()), ("duration", "s"));
        assert!(retention.hint.contains("duration"), "{}", retention.hint);
    }

    #[test]
    fn the_presentation_fixture_has_a_story_regions_and_a_comparison() {
        let text = include_str!("../../www/e2e/fixtures/story-tandem.toml");
        let mut s = Session::new("custom", text, Overrides::default()).unwrap();
        let v = s.view();
        let story = v.story.clone().unwrap();
        assert_eq!(story.compare.as_deref(), Some("backpressure-tandem"));
        assert_eq!(story.steps.len(), 3);
        assert_eq!(v.diagram.regions.len(), 2);
        s.advance_to(story.steps[1].at.unwrap().0);
        let snap = s.snapshot(0, Some(("ingest", "in_flight")));
        assert!(snap.focus.is_some(), "the step's metric is readable");
        let o = overlay("backpressure-tandem", Overrides::default()).unwrap();
        assert_eq!(o.points.len() as u64, GRID_STEPS + 1);
        assert_eq!(o.node_ids, ["producer", "ingest", "writer", "warehouse"]);
    }

    #[test]
    fn messages_round_trip_as_json() {
        let m = ToWorker::Load {
            source: ScenarioSource::Builtin("mm4-teaching".into()),
            settings: Settings::default(),
        };
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<ToWorker>(&s).unwrap(), m);
        let p: ToWorker = serde_json::from_str(r#"{"play":{"speed":60}}"#).unwrap();
        assert_eq!(p, ToWorker::Play { speed: 60.0 });
        assert_eq!(serde_json::from_str::<ToWorker>(r#""pause""#).unwrap(), ToWorker::Pause);
    }
}
