//! The scenario file format (TOML, or the same model as JSON).
//!
//! Field names are the file's keys; unknown keys are rejected. Quantities are
//! strings with units (see [`super::units`]). This is a public format: files
//! written by other tools must keep working, so fields are only ever added.

use super::units::{Bytes, Duration, Rate};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

fn default_seed() -> u64 {
    1
}

/// A whole scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Display name.
    pub name: String,
    /// What the scenario shows, in a sentence or two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time to run.
    pub duration: Duration,
    /// Initial period excluded from statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Duration>,
    /// Time-series sampling step (default: duration / 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Duration>,
    /// Stop after this many events (default 2,000,000,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_budget: Option<u64>,
    /// Record generators.
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceSpec>,
    /// Processing stages.
    #[serde(default, rename = "stage")]
    pub stages: Vec<StageSpec>,
    /// The fault timeline.
    #[serde(default, rename = "fault", skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// How to price the run (optional; see [`crate::cost`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSpec>,
    /// Access control, encryption, audit and PII scanning (optional; see
    /// [`crate::governance`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<GovernanceSpec>,
    /// The architecture story this scenario tells (optional; see [`StorySpec`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<StorySpec>,
}

/// The `[story]` table: a seed story told over the run, for presentation mode.
///
/// A story comes in variants (`before`, `after`, `migration`), one scenario
/// each, sharing a `story` id; `compare` names the scenario to compare with.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StorySpec {
    /// Story id shared by its variants (e.g. `fintrust`).
    pub id: String,
    /// Story title (e.g. "FinTrust Bank: data-warehouse migration").
    pub title: String,
    /// Which variant this scenario is: `before`, `after` or `migration`.
    pub variant: String,
    /// Built-in (or file) name of the variant to compare with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<String>,
    /// Steps in order: Situation, Task, Action, Challenges, Result.
    #[serde(default, rename = "step", skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StoryStep>,
}

/// One step of a story: a slide in presentation mode.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoryStep {
    /// `situation`, `task`, `action`, `challenges` or `result`.
    pub phase: String,
    /// Slide heading.
    pub title: String,
    /// Slide text (plain text, never rendered as HTML).
    pub text: String,
    /// Simulated time the step jumps to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Duration>,
    /// Stage whose metric proves the step (highlighted in the diagram).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The metric that proves it, as a key of the stage's report
    /// (`sojourn_s.p95`, `throttled`, `extra.lag_s`, …) or of the run (`end_to_end.latency_s.p95`,
    /// `cost.per_year_usd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
}

/// Phases a story step may have, in presentation order.
pub const STORY_PHASES: &[&str] = &["situation", "task", "action", "challenges", "result"];

/// The `[governance]` table.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSpec {
    /// Principals (IAM roles, service accounts).
    #[serde(default, rename = "principal", skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<PrincipalSpec>,
    /// Datasets and what they hold.
    #[serde(default, rename = "dataset", skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetSpec>,
    /// Permissions (Lake Formation / Dataplex / IAM grants).
    #[serde(default, rename = "grant", skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantSpec>,
    /// Which stage touches which dataset as which principal.
    #[serde(default, rename = "access", skip_serializing_if = "Vec::is_empty")]
    pub accesses: Vec<AccessSpec>,
    /// Stages whose data is encrypted with a KMS key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encrypted: Vec<String>,
    /// Added time per KMS request on encrypted stores (default 5 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_latency: Option<Duration>,
    /// Whether an audit trail (CloudTrail / Cloud Audit Logs) records every operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<bool>,
    /// Stages whose stored bytes are scanned for PII (Macie / Sensitive Data Protection).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pii_scan: Vec<String>,
    /// Share of the stored objects a PII scan inspects (Macie classification
    /// jobs' `samplingPercentage` / DLP sampling), 0 < x ≤ 1 (default 1: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii_sample: Option<f64>,
}

/// A principal.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A dataset.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    pub id: String,
    /// Holds personal data (GDPR).
    #[serde(default)]
    pub pii: bool,
    /// Holds cardholder data (PCI DSS).
    #[serde(default)]
    pub card_data: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// A grant: `principal` may do `actions` (`read`, `write`, `*`) on `dataset`
/// (`*` = every dataset), optionally only on `columns`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    pub principal: String,
    pub dataset: String,
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// A stage's access: every record it takes is one `action` on `dataset` by `principal`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    pub stage: String,
    pub principal: String,
    pub dataset: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
}

/// A cloud provider, for pricing and the service mapping.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Aws,
    Gcp,
}

impl Provider {
    /// `"aws"` or `"gcp"`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
        }
    }
}

/// The `[cost]` table: which provider's services and prices, price
/// overrides, discounts and free tiers.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Provider the scenario is priced (and mapped) as (default `aws`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Price id (see `data/prices.json`) → unit price in USD.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub overrides: std::collections::BTreeMap<String, f64>,
    /// Discounts on named price ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<DiscountSpec>,
    /// Subtract the providers' monthly free tiers, prorated to the run
    /// (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_tier: Option<bool>,
}

/// A discount: the named price ids cost `1 − fraction` of their price.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DiscountSpec {
    pub items: Vec<String>,
    /// Share taken off, 0 to 1 (0.3 = 30 % off).
    pub fraction: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A fault: an operational change to a stage at a time, undone after
/// `duration` when one is given.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub at: Duration,
    pub stage: String,
    /// `stop` (consumers or servers stop), `crash` (a stream consumer
    /// crashes and re-reads from its checkpoint), `slow` (processing times
    /// multiplied by `factor`), `scale` (to `shards`, or by `factor`).
    pub action: FaultAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
}

/// Fault actions.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    Stop,
    Crash,
    Slow,
    Scale,
}

/// How a source spaces its arrivals.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalKind {
    Poisson,
    Constant,
    Trace,
}

/// A source of records.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub id: String,
    pub arrivals: ArrivalKind,
    /// Diagram region, as for stages (on-premises, a cloud region, …): the
    /// diagram draws the source inside it. Not part of the simulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Base rate (poisson and constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// The stage it feeds.
    pub to: String,
    /// 24 hourly rate multipliers (a diurnal profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Vec<f64>>,
    /// Temporary rate multipliers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spikes: Vec<SpikeSpec>,
    /// For `arrivals = "trace"`: CSV text with rows `time,count[,bytes]`
    /// (time in seconds, or with a unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Bytes per record (a size, or a distribution of sizes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_size: Option<DistSpec<Bytes>>,
    /// Record kinds and their shares of the records (sum 1), each with its
    /// own size (default `record_size`). A `router` with `by = "kind"`
    /// routes on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<KindMixSpec>>,
    /// Emit one batch per key bucket per interval (aggregated regime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Duration>,
    /// Key buckets (partition keys) records spread over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_buckets: Option<u32>,
    /// Zipf exponent of the key distribution (0 = uniform; 1 = classic Zipf).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_skew: Option<f64>,
    /// Share of all records carried by key 0 (a named hot key), 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_key_share: Option<f64>,
    /// Records buffered while downstream blocks (default 0: drop at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<Capacity>,
    /// When that buffer is full: `drop` new records (default) or `block`
    /// the producer (generation pauses until there is room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_full: Option<OnFull>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Duration>,
    /// Stop after this many records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Duplicates of earlier records injected at the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<DuplicatesSpec>,
    /// Late data: a share of records whose event time lies a delay before
    /// their arrival (poisson and constant arrivals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lateness: Option<LatenessSpec>,
}

/// One record kind of a source:
/// `{ name = "structured", share = 0.55, size = "600 B" }`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KindMixSpec {
    /// Kind name; the same name is the same kind in every source.
    pub name: String,
    /// Share of the source's records, more than 0 and at most 1.
    pub share: f64,
    /// Bytes per record of this kind (default: the source's `record_size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<DistSpec<Bytes>>,
}

/// `duplicates = { fraction = 0.3, near = 0.5, dim = 32, noise = 0.05 }`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesSpec {
    /// Share of records that duplicate an earlier record, 0 to 1.
    pub fraction: f64,
    /// Share of duplicates that are near (noisy) copies (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<f64>,
    /// Embedding dimension (default 32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dim: Option<u32>,
    /// Noise of a near copy relative to the unit base vector (default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// A duplicate copies one of the last `spread` originals (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<u64>,
}

/// Records that arrive later than they happened.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LatenessSpec {
    /// Share of records delayed, 0 to 1.
    pub fraction: f64,
    /// Delay between event time and arrival (a duration or a distribution).
    pub delay: DistSpec<Duration>,
}

/// A traffic spike.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    pub start: Duration,
    pub duration: Duration,
    pub factor: f64,
}

/// Retries of a refused batch.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Attempts after the first.
    pub max: u16,
    /// First back-off (doubles each retry).
    pub base: Duration,
    /// Largest back-off (default 20 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Duration>,
    /// Full jitter (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<bool>,
}

/// What a full stage does.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OnFull {
    Drop,
    Block,
    Reject,
}

/// A rate limit on admission.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    pub rate: Rate,
    /// Records admitted at once (default: one second's worth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u64>,
}

/// A processing stage: the keys every kind shares, plus the kind's own
/// parameters (checked by the kind, see [`crate::models`]).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct StageSpec {
    pub id: String,
    /// One of [`crate::models::KINDS`].
    pub kind: String,
    /// Label shown in diagrams (defaults to the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Diagram region (on-premises, region, VPC, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Records waiting plus in service (plus held by blocked servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Capacity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_full: Option<OnFull>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSpec>,
    /// As a sender: retries when downstream refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
    /// As a sender: where records go when retries are exhausted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Downstream stage; none means completed records are delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The kind's own parameters.
    #[serde(flatten)]
    pub params: crate::models::Params,
}

/// A capacity: a whole number of records, or `"unbounded"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    Unbounded,
    Records(u64),
}

impl Capacity {
    /// Records, with unbounded as `u64::MAX`.
    pub fn records(self) -> u64 {
        match self {
            Capacity::Unbounded => u64::MAX,
            Capacity::Records(n) => n,
        }
    }
}

/// A server count: a whole number, or `"infinite"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Servers {
    Infinite,
    Count(u32),
}

macro_rules! count_or_word {
    ($ty:ident, $word:literal, $alt:literal, $inf:expr, $count:expr, $out:expr, $expect:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        if v == $word || v == $alt {
                            Ok($inf)
                        } else {
                            Err(E::custom(format!(
                                "expected a whole number or \"{}\", found \"{v}\"",
                                $word
                            )))
                        }
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        $count(v).map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        if v < 0 {
                            Err(E::custom(format!(
                                "{v} is negative; expected a whole number or \"{}\"",
                                $word
                            )))
                        } else {
                            self.visit_u64(v as u64)
                        }
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        Err(E::custom(format!("{v} is not a whole number")))
                    }
                }
                d.deserialize_any(V)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match $out(self) {
                    Some(n) => s.serialize_u64(n),
                    None => s.serialize_str($word),
                }
            }
        }
    };
}

count_or_word!(
    Capacity,
    "unbounded",
    "infinite",
    Capacity::Unbounded,
    |v: u64| Ok::<_, String>(Capacity::Records(v)),
    |c: &Capacity| match c {
        Capacity::Unbounded => None,
        Capacity::Records(n) => Some(*n),
    },
    "a whole number of records or \"unbounded\""
);

count_or_word!(
    Servers,
    "infinite",
    "unbounded",
    Servers::Infinite,
    |v: u64| if v == 0 || v > 1_000_000 {
        Err(format!("{v} servers: expected 1 to 1,000,000, or \"infinite\""))
    } else {
        Ok(Servers::Count(v as u32))
    },
    |c: &Servers| match c {
        Servers::Infinite => None,
        Servers::Count(n) => Some(*n as u64),
    },
    "a whole number of servers or \"infinite\""
);

/// Distribution names.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DistName {
    Exponential,
    Deterministic,
    Uniform,
    Normal,
    Lognormal,
    Erlang,
    Empirical,
}

/// A distribution of a quantity `Q` (a duration or a size). Written either as
/// a plain quantity (deterministic) or as a table:
/// `{ dist = "exponential", mean = "40ms" }`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, bound(deserialize = "Q: Deserialize<'de>"))]
pub struct DistTable<Q> {
    pub dist: DistName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Q>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Q>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Q>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Q>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<Q>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Q>>,
}

/// A distribution, as a plain quantity or a table.
#[derive(Clone, Debug, PartialEq)]
pub enum DistSpec<Q> {
    Fixed(Q),
    Table(DistTable<Q>),
}

impl<'de, Q: Deserialize<'de>> Deserialize<'de> for DistSpec<Q> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<Q>(std::marker::PhantomData<Q>);
        impl<'de, Q: Deserialize<'de>> Visitor<'de> for V<Q> {
            type Value = DistSpec<Q>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity with a unit, or a table like { dist = \"exponential\", mean = \"40ms\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Q::deserialize(de::value::StrDeserializer::<E>::new(v)).map(DistSpec::Fixed)
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
                DistTable::deserialize(de::value::MapAccessDeserializer::new(m)).map(DistSpec::Table)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<Q: Serialize> Serialize for DistSpec<Q> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DistSpec::Fixed(q) => q.serialize(s),
            DistSpec::Table(t) => t.serialize(s),
        }
    }
}
