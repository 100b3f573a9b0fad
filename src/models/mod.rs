//! Stage kinds: each kind names its parameters (checked with their own
//! located errors), its AWS and GCP flavours, its user-facing help, and
//! builds its engine [`Model`]. Generic teaching stages live in
//! [`generic`]; service models (streams, transfer, functions, …) each have a
//! file of their own.
//!
//! Adding a kind: write its file with a `Params` type, a `KIND` info and a
//! `build` function, and add one line to [`KINDS`] and one arm to [`build`].

pub mod cdc;
pub mod dedup;
pub mod etl;
pub mod function;
pub mod generic;
pub mod kv_store;
pub mod link;
pub mod metrics;
pub mod monitor;
pub mod object_store;
pub mod pubsub;
pub mod spark;
pub mod sql_store;
pub mod stream;
pub mod transfer;
pub mod warehouse;

use crate::scenario::error::{suggest, with_suggestion};
use crate::scenario::tree::{self, Entry, Mode, Node, Val};
use crate::sim::engine::Routes;
use crate::sim::stage::Model;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Kind-specific parameters as written in the file (any format).
pub type Params = BTreeMap<String, serde_json::Value>;

/// What a kind is, for validation, the UI and the provider mapping.
#[derive(Clone, Copy, Debug)]
pub struct KindInfo {
    /// The `kind = "…"` name.
    pub name: &'static str,
    /// Service this kind stands for on AWS ("" for generic stages).
    pub aws: &'static str,
    /// Service on Google Cloud ("" for generic stages).
    pub gcp: &'static str,
    /// One paragraph of user-facing help: what it models and what it does not.
    pub help: &'static str,
    /// Its parameters: names (for suggestions), kinds and units (for the
    /// inspector and `pipelab kinds`).
    pub params: &'static [Param],
    /// Whether `to` applies (false for routers and sinks).
    pub has_to: bool,
    /// Published service limits used as parameter defaults, with sources.
    pub limits: &'static [Limit],
}

/// What a parameter's value is: how the inspector asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A duration (`40ms`, `2h`) or a distribution of durations.
    Duration,
    /// Something per unit of time (`100/s`, `1 MiB/s`).
    Rate,
    /// An amount of data (`600 B`, `2 TB`).
    Size,
    /// A whole number of things.
    Count,
    /// A plain number: a share, a probability, an exponent.
    Ratio,
    /// One of a few names.
    Enum,
    /// `true` or `false`.
    Bool,
    /// A name or an id.
    Text,
    /// An inline table or an array of them.
    Table,
}

impl ParamKind {
    /// Lower-case name, as the inspector shows it.
    pub fn name(self) -> &'static str {
        match self {
            ParamKind::Duration => "duration",
            ParamKind::Rate => "rate",
            ParamKind::Size => "size",
            ParamKind::Count => "count",
            ParamKind::Ratio => "ratio",
            ParamKind::Enum => "enum",
            ParamKind::Bool => "bool",
            ParamKind::Text => "text",
            ParamKind::Table => "table",
        }
    }
}

/// One parameter of a kind (or of every stage, or of a source).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    /// What the number counts or measures (`s`, `records/s per shard`,
    /// `bytes`, `workers`); for enums and booleans the choices; for tables
    /// their shape. Never empty.
    pub unit: &'static str,
}

const fn param(name: &'static str, kind: ParamKind, unit: &'static str) -> Param {
    Param { name, kind, unit }
}
/// A duration parameter in `unit` (seconds, or seconds per something).
pub const fn dur(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Duration, unit)
}
pub const fn rate(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Rate, unit)
}
pub const fn size(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Size, unit)
}
pub const fn count(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Count, unit)
}
pub const fn ratio(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Ratio, unit)
}
/// One of `choices` (written `a | b | c`).
pub const fn choice(name: &'static str, choices: &'static str) -> Param {
    param(name, ParamKind::Enum, choices)
}
pub const fn flag(name: &'static str) -> Param {
    param(name, ParamKind::Bool, "true | false")
}
pub const fn text(name: &'static str, unit: &'static str) -> Param {
    param(name, ParamKind::Text, unit)
}
/// An inline table or array of the shape `shape`.
pub const fn table(name: &'static str, shape: &'static str) -> Param {
    param(name, ParamKind::Table, shape)
}

/// Keys every stage may have (besides `id` and `kind`), with units.
pub const COMMON_PARAMS: &[Param] = &[
    text("label", "name shown in diagrams"),
    text("region", "diagram region name"),
    text("to", "stage id"),
    count("capacity", "records (or unbounded)"),
    choice("on_full", "drop | block | reject"),
    table("rate_limit", "{ rate, burst }"),
    table("retry", "{ max, base, cap }"),
    text("dead_letter", "stage id"),
];

/// A source's keys (besides `id`), with units.
pub const SOURCE_PARAMS: &[Param] = &[
    choice("arrivals", "poisson | constant | trace"),
    rate("rate", "records/s"),
    text("to", "stage id"),
    text("region", "diagram region name"),
    size("record_size", "bytes per record (or a distribution)"),
    dur("aggregate", "s per batch interval"),
    count("key_buckets", "key buckets"),
    ratio("key_skew", "Zipf exponent (0 = uniform)"),
    ratio("hot_key_share", "share of records, 0 to 1"),
    count("buffer", "records (or unbounded)"),
    choice("on_full", "drop | block"),
    dur("start", "s from the run's start"),
    dur("stop", "s from the run's start"),
    count("limit", "records"),
    table("profile", "24 hourly rate multipliers"),
    table("spikes", "[{ start, duration, factor }]"),
    text("trace", "CSV rows time,count[,bytes]"),
    table("retry", "{ max, base, cap }"),
    text("dead_letter", "stage id"),
    table("duplicates", "{ fraction, near, dim, noise, spread }"),
    table("lateness", "{ fraction, delay }"),
    table("kinds", "[{ name, share, size }]"),
];

/// A key's parameter info for a node of `kind` (`"source"` for sources):
/// the kind's own, then the keys every stage has.
pub fn param_info(kind: &str, key: &str) -> Option<&'static Param> {
    if kind == "source" {
        return SOURCE_PARAMS.iter().find(|p| p.name == key);
    }
    kind_info(kind)
        .and_then(|k| k.params.iter().find(|p| p.name == key))
        .or_else(|| COMMON_PARAMS.iter().find(|p| p.name == key))
}

impl KindInfo {
    /// Its parameter names, in order.
    pub fn param_names(&self) -> impl Iterator<Item = &'static str> {
        self.params.iter().map(|p| p.name)
    }

    /// The value of the published limit whose name starts with `name`.
    ///
    /// Defaults read limits by name, not position, so adding a limit to a
    /// kind's list cannot silently change another default. Every lookup runs
    /// when the kind is built, so a misspelt name fails the kind's own tests.
    pub fn limit(&self, name: &str) -> f64 {
        match self.limits.iter().find(|l| l.name.starts_with(name)) {
            Some(l) => l.value,
            None => panic!("kind `{}` has no limit named `{name}`", self.name),
        }
    }
}

/// A published service limit or figure, kept as data with where it came
/// from (see `shared/reference/pricing-and-limits.md`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// Which provider's figure ("AWS", "GCP").
    pub provider: &'static str,
    /// What it limits, e.g. "write records per shard".
    pub name: &'static str,
    pub value: f64,
    /// Unit, e.g. "records/s", "bytes/s", "s".
    pub unit: &'static str,
    /// Where the figure was published, and when.
    pub source: &'static str,
    /// False when no stored source confirmed it.
    pub confirmed: bool,
}

/// Every kind, in menu order.
pub const KINDS: &[KindInfo] = &[
    generic::QUEUE,
    generic::DELAY,
    generic::BATCHER,
    generic::ROUTER,
    generic::SINK,
    stream::STREAM,
    monitor::MONITOR,
    function::FUNCTION,
    object_store::OBJECT_STORE,
    transfer::TRANSFER,
    link::LINK,
    dedup::DEDUP,
    warehouse::WAREHOUSE,
    kv_store::KV_STORE,
    cdc::CDC,
    sql_store::SQL_STORE,
    etl::ETL,
    spark::SPARK,
];

/// Looks a kind up by name.
pub fn kind_info(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.name == name)
}

/// Keys every stage may have, whatever its kind.
pub const COMMON_KEYS: &[&str] = &[
    "id",
    "kind",
    "label",
    "region",
    "to",
    "capacity",
    "on_full",
    "rate_limit",
    "retry",
    "dead_letter",
];

/// A problem with one parameter (`key` = `None` for the stage as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub key: Option<String>,
    pub message: String,
}

impl ParamError {
    /// An error about `key`.
    pub fn at(key: &str, message: impl Into<String>) -> Self {
        ParamError {
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
    /// An error about the whole stage.
    pub fn stage(message: impl Into<String>) -> Self {
        ParamError {
            key: None,
            message: message.into(),
        }
    }
}

/// Deserialises a kind's parameters, naming the offending key on error and
/// suggesting the nearest known key for a misspelt one.
pub fn parse_params<T: DeserializeOwned>(kind: &KindInfo, params: &Params) -> Result<T, ParamError> {
    // Through the scenario's value tree: one Deserializer for every model.
    let node = Node::bare(Val::Map(
        params
            .iter()
            .map(|(k, v)| Entry {
                key: k.clone(),
                key_at: None,
                node: Node::from_value(v),
            })
            .collect(),
    ));
    tree::deserialize::<T>(&node, Mode::Value, "").map_err(|e| {
        let msg = e.message_for(Mode::Value).to_string();
        let path = e.path.unwrap_or_else(|| ".".into());
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            let key = rest.split('`').next().unwrap_or("").to_string();
            let hint = suggest(&key, kind.param_names().chain(COMMON_KEYS.iter().copied()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            let known = kind.param_names().collect::<Vec<_>>().join("`, `");
            return ParamError::at(
                &key,
                format!(
                    "unknown field `{key}` for kind `{}` (its fields: `{known}`){hint}",
                    kind.name
                ),
            );
        }
        let key = path
            .split(['.', '['])
            .next()
            .filter(|k| !k.is_empty() && *k != "?")
            .unwrap_or("")
            .to_string();
        let message = with_suggestion(&msg);
        if key.is_empty() {
            ParamError::stage(message)
        } else {
            ParamError {
                key: Some(key),
                message: if path.contains('.') {
                    format!("{path}: {message}")
                } else {
                    message
                },
            }
        }
    })
}

/// What building a stage needs from the scenario around it.
pub struct BuildEnv<'a> {
    /// Capacity from the common `capacity` key (`u64::MAX` if unbounded).
    pub capacity: u64,
    /// Resolves a stage id named under `key` to its index (reporting a
    /// located error itself when there is no such stage).
    pub resolve: &'a mut dyn FnMut(&str, &str) -> Option<usize>,
    /// The scenario's record kinds, by name; kind id = position + 1 (id 0
    /// is a record without a kind).
    pub kinds: &'a [String],
}

/// A built stage.
pub struct Built {
    pub model: Model,
    /// For routers: where records go.
    pub routes: Option<Routes>,
}

/// Builds the model of a stage of kind `kind`.
pub fn build(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    match kind.name {
        "queue" => generic::build_queue(kind, params, env),
        "delay" => generic::build_delay(kind, params, env),
        "batcher" => generic::build_batcher(kind, params, env),
        "router" => generic::build_router(kind, params, env),
        "sink" => generic::build_sink(kind, params, env),
        "stream" => stream::build(kind, params, env),
        "monitor" => monitor::build(kind, params, env),
        "function" => function::build(kind, params, env),
        "object_store" => object_store::build(kind, params, env),
        "transfer" => transfer::build(kind, params, env),
        "dedup" => dedup::build(kind, params, env),
        "warehouse" => warehouse::build(kind, params, env),
        "link" => link::build(kind, params, env),
        "kv_store" => kv_store::build(kind, params, env),
        "cdc" => cdc::build(kind, params, env),
        "sql_store" => sql_store::build(kind, params, env),
        "etl" => etl::build(kind, params, env),
        "spark" => spark::build(kind, params, env),
        other => Err(vec![ParamError::stage(format!("kind `{other}` has no builder"))]),
    }
}

/// The stage ids a stage's kind-specific parameters link to (router routes),
/// for diagrams and cycle checks; unparsable parameters link nowhere.
pub fn param_links(kind: &str, params: &Params) -> Vec<String> {
    match kind {
        "router" => generic::router_targets(params),
        _ => Vec::new(),
    }
}

/// Control links (dashed in diagrams) a stage's parameters describe:
/// (from id, to id). They carry no data and may form loops.
pub fn control_links(kind: &str, id: &str, params: &Params) -> Vec<(String, String)> {
    match kind {
        "monitor" => monitor::control_links(params)
            .into_iter()
            .flat_map(|(watch, target)| [(watch, id.to_string()), (id.to_string(), target)])
            .collect(),
        _ => Vec::new(),
    }
}

/// Standard metric names an alarm can watch on any stage.
pub const STANDARD_METRICS: &[&str] = &[
    "backlog",
    "throughput_per_s",
    "throttled_per_s",
    "dropped_per_s",
    "utilization",
];

/// "unknown kind" with a suggestion.
pub fn unknown_kind(name: &str) -> String {
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    let hint = suggest(name, names.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("unknown kind `{name}` (kinds: {}){hint}", names.join(", "))
}

/// A minimal engine for unit tests of one model: batches go in at time 0,
/// timers fire in order, and every emitted batch is placed downstream at
/// once (released), so a model can be checked on its own.
#[cfg(test)]
pub(crate) mod harness {
    use crate::sim::batch::Batch;
    use crate::sim::event::{Ev, EventQueue};
    use crate::sim::metrics::StageMetrics;
    use crate::sim::rng::Stream;
    use crate::sim::stage::{Ctx, Model, Output};
    use crate::sim::time::Nanos;

    /// What came out of a model run.
    pub struct Outcome {
        /// (time, batch) of every emitted batch, in order.
        pub landed: Vec<(Nanos, Batch)>,
        pub metrics: StageMetrics,
    }

    struct Bench {
        q: EventQueue,
        rng: Stream,
        metrics: StageMetrics,
        out: Vec<Output>,
        landed: Vec<(Nanos, Batch)>,
    }

    impl Bench {
        /// Runs one model call at `now` (a timer if `timer`, else accepts
        /// `b`), then places every emitted batch downstream.
        fn step(&mut self, model: &mut Model, now: Nanos, timer: Option<u32>, b: Batch) {
            let mut ctx = Ctx {
                now,
                stage: 0,
                rng: &mut self.rng,
                metrics: &mut self.metrics,
                events: &mut self.q,
                out: &mut self.out,
            };
            match timer {
                Some(p) => model.on_event(&mut ctx, p),
                None => model.accept(&mut ctx, b),
            }
            // Releasing may emit more; FIFO order like the engine.
            let mut k = 0;
            while k < ctx.out.len() {
                let o = ctx.out[k];
                self.landed.push((now, o.batch));
                model.release(&mut ctx, o.slot);
                k += 1;
            }
            ctx.out.clear();
        }
    }

    /// Feeds `input` to `model` at time 0 and runs it dry.
    pub fn run(model: &mut Model, input: &[Batch], seed: u64) -> Outcome {
        let mut bench = Bench {
            q: EventQueue::new(),
            rng: Stream::new(seed, "stage:test"),
            metrics: StageMetrics::default(),
            out: Vec::new(),
            landed: Vec::new(),
        };
        for b in input {
            bench.step(model, 0, None, *b);
        }
        while let Some((t, ev)) = bench.q.pop() {
            if let Ev::Stage(_, p) = ev {
                bench.step(model, t, Some(p), Batch::new(1, 0, t));
            }
        }
        Outcome {
            landed: bench.landed,
            metrics: bench.metrics,
        }
    }

    /// `n` one-record batches of `bytes` each, arriving at time 0.
    pub fn chunks(n: u64, bytes: u64) -> Vec<Batch> {
        (0..n).map(|_| Batch::new(1, bytes, 0)).collect()
    }

    /// The kind-specific measurement `name`.
    pub fn extra(model: &Model, name: &str) -> f64 {
        model
            .extra(0)
            .into_iter()
            .find(|(k, _)| *k == name)
            .unwrap_or_else(|| panic!("no extra `{name}`"))
            .1
    }
}

#[cfg(test)]
mod param_tests {
    use super::*;

    #[test]
    fn every_parameter_of_every_kind_has_a_unit_and_a_kind() {
        let mut n = 0;
        for k in KINDS {
            for (i, p) in k.params.iter().enumerate() {
                n += 1;
                assert!(!p.unit.trim().is_empty(), "{}.{} has no unit", k.name, p.name);
                assert!(
                    !k.params[..i].iter().any(|q| q.name == p.name),
                    "{}.{} listed twice",
                    k.name,
                    p.name
                );
                assert_eq!(param_info(k.name, p.name), Some(p));
                if p.kind == ParamKind::Enum {
                    assert!(
                        p.unit.contains(" | "),
                        "{}.{}: an enum lists its choices",
                        k.name,
                        p.name
                    );
                }
            }
        }
        assert!(n > 100, "{n} parameters");
        // Keys every stage has, and every source key, have units too.
        let common: Vec<&str> = COMMON_KEYS
            .iter()
            .copied()
            .filter(|k| !matches!(*k, "id" | "kind"))
            .collect();
        assert_eq!(COMMON_PARAMS.iter().map(|p| p.name).collect::<Vec<_>>(), common);
        for p in COMMON_PARAMS.iter().chain(SOURCE_PARAMS) {
            assert!(!p.unit.trim().is_empty(), "{} has no unit", p.name);
        }
        assert_eq!(param_info("queue", "capacity").map(|p| p.kind), Some(ParamKind::Count));
        assert_eq!(param_info("source", "rate").map(|p| p.kind), Some(ParamKind::Rate));
        assert_eq!(param_info("queue", "shards"), None);
    }
}
