//! `warehouse`: an analytical warehouse (Amazon Redshift, BigQuery) that
//! loads what arrives and serves an internal query mix.
//!
//! Loads grow the table (bytes) and pass straight through (delivered).
//! Queries of each class arrive as a Poisson process (from the stage's
//! random stream), wait for a WLM slot (FIFO), then scan:
//! bytes scanned = table × `fraction`, ÷ `partitions` with a partition
//! filter, × `zone_map_selectivity` with a sort-key filter. The scan is
//! spread over the parallel units (Redshift: nodes × slices; BigQuery:
//! slots) by the distribution style; the slowest unit sets the time:
//! `even` gives each unit 1/P, `key` gives the hottest unit
//! max(`key_skew`, 1/P), `all` scans one node's full copy over its slices.
//! Spectrum queries scan external data at `spectrum_rate` instead.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{ByteRate, Bytes, Rate};
use crate::sim::batch::Batch;
use crate::sim::histogram::Histogram;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos, NS_PER_S};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const WAREHOUSE: KindInfo = KindInfo {
    name: "warehouse",
    aws: "Amazon Redshift (+ Redshift Spectrum)",
    gcp: "BigQuery",
    help: "A warehouse that loads arriving records (the table grows by their bytes; loads pass through) and \
           runs a query mix of its own: each class in `queries` arrives at its `rate`, waits for one of \
           `wlm_slots` (queueing when all are busy; `concurrency_scaling` adds as many again while queries \
           wait), then scans its `fraction` of the table, cut to 1/`partitions` by a `partition_filter` and to \
           `zone_map_selectivity` by a `sort_key_filter`. Scan time is bytes over the parallel units (Redshift \
           `nodes` × `slices_per_node`, BigQuery `slots`) at `scan_rate` each, and the slowest unit sets it: a \
           `key` distribution on a skewed key (`key_skew` = share of rows on the hottest slice) is slower than \
           `even`. `spectrum = true` queries scan S3 at `spectrum_rate`. With `initial_size` (bytes, e.g. \
           \"500 GB\") the table holds data from time zero and the query mix starts then; without it, queries \
           start with the first load. `bytes_billed` rounds each query up to the MiB with BigQuery's on-demand \
           minimum of 10 MiB per table referenced (`tables` per query class, default 1) and Spectrum's 10 MB \
           per query. BigQuery `billing`: `on_demand` (per TiB scanned, up to 2000 burst slots) or `capacity` (a \
           reservation of `slots`, per slot-hour, Standard edition); the default is `capacity` when `slots` is \
           given (only a reservation caps the slots) and `on_demand` otherwise. `node_type` (Redshift: `dc2.large`, `ra3.4xlarge`, \
           `ra3.16xlarge`, ...) sets the price only; `flavour = \"onprem\"` is an on-premises MPP warehouse \
           (nodes × slices), priced from assumed `onprem.*` rows. It does not model joins, caching, \
           vacuum, compression or result-set transfer.",
    params: &[
        super::choice("flavour", "redshift | bigquery | onprem"),
        super::choice(
            "node_type",
            "dc2.large | dc2.8xlarge | ra3.xlplus | ra3.4xlarge | ra3.16xlarge",
        ),
        super::count("nodes", "nodes"),
        super::count("slices_per_node", "slices per node"),
        super::count("slots", "slots (BigQuery)"),
        super::choice("billing", "on_demand | capacity (BigQuery)"),
        super::rate("scan_rate", "bytes/s per slice or slot"),
        super::size("initial_size", "bytes"),
        super::count("partitions", "partitions"),
        super::ratio("zone_map_selectivity", "share of blocks read, 0 to 1"),
        super::choice("distribution", "key | even | all"),
        super::ratio("key_skew", "share of rows on the hottest slice, 0 to 1"),
        super::count("wlm_slots", "WLM query slots"),
        super::flag("concurrency_scaling"),
        super::rate("spectrum_rate", "bytes/s"),
        super::table("queries", "[{ class, rate, fraction, partition_filter, … }]"),
    ],
    has_to: true,
    limits: &[
        Limit {
            provider: "AWS",
            name: "slices per ra3.xlplus node",
            value: 2.0,
            unit: "slices",
            source: "commonly quoted (Redshift node types); not found in stored sources",
            confirmed: false,
        },
        Limit {
            provider: "AWS",
            name: "WLM concurrency, automatic default queue (pipelab default)",
            value: 5.0,
            unit: "queries",
            source: "manual WLM default queue concurrency 5, commonly quoted; not found in stored sources",
            confirmed: false,
        },
        Limit {
            provider: "GCP",
            name: "BigQuery on-demand slots per project (burst)",
            value: 2000.0,
            unit: "slots",
            source: "commonly quoted; not found in stored sources",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "scan rate per slice or slot (pipelab assumption)",
            value: 100e6,
            unit: "bytes/s",
            source: "assumption",
            confirmed: false,
        },
        Limit {
            provider: "GCP",
            name: "BigQuery on-demand minimum bytes billed per table referenced (and per query)",
            value: MIB_10,
            unit: "bytes",
            source: "cloud.google.com/bigquery/pricing: \"rounded up to the nearest MB, with a minimum 10 MB data \
                     processed per table referenced by the query, and with a minimum 10 MB data processed per \
                     query\" (quoted by google/adk-python BigQueryToolConfig.maximum_bytes_billed, >= 10485760)",
            confirmed: true,
        },
        Limit {
            provider: "AWS",
            name: "Redshift Spectrum minimum bytes billed per query",
            value: MIB_10,
            unit: "bytes",
            source: "pricing-and-limits.md prices #11 note: 10 MB minimum per query (vantage handbook)",
            confirmed: true,
        },
        Limit {
            provider: "AWS",
            name: "Spectrum scan rate per query (pipelab assumption)",
            value: 1e9,
            unit: "bytes/s",
            source: "assumption",
            confirmed: false,
        },
    ],
};

/// 10 MiB: the per-query (BigQuery: per table referenced) minimum of bytes
/// billed; BigQuery's "10 MB" is 10,485,760 bytes.
const MIB_10: f64 = 10_485_760.0;

/// How BigQuery bills queries.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    /// Per TiB scanned (bytes billed), with up to 2000 burst slots.
    OnDemand,
    /// A reservation of `slots`, per slot-hour whether busy or idle.
    Capacity,
}

/// Which service.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Redshift,
    Bigquery,
    /// An on-premises MPP warehouse (nodes × slices like Redshift), priced
    /// from the `onprem.*` rows of the catalogue (assumptions).
    Onprem,
}

/// Redshift node types that have a price row (the type sets the price only;
/// give `slices_per_node` for its slices).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum NodeType {
    #[serde(rename = "dc2.large")]
    Dc2Large,
    #[serde(rename = "dc2.8xlarge")]
    Dc2X8large,
    #[serde(rename = "ra3.xlplus")]
    Ra3Xlplus,
    #[serde(rename = "ra3.4xlarge")]
    Ra3X4large,
    #[serde(rename = "ra3.16xlarge")]
    Ra3X16large,
}

/// How rows are spread over slices.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    Key,
    Even,
    All,
}

/// Query classes (names of the per-class measurements).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Dashboard,
    Report,
    Adhoc,
    Etl,
}

impl Class {
    /// (mean, p95) measurement names.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Class::Dashboard => ("dashboard_mean_s", "dashboard_p95_s"),
            Class::Report => ("report_mean_s", "report_p95_s"),
            Class::Adhoc => ("adhoc_mean_s", "adhoc_p95_s"),
            Class::Etl => ("etl_mean_s", "etl_p95_s"),
        }
    }
}

/// One class of the query mix.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// `dashboard`, `report`, `adhoc` or `etl`.
    pub class: Class,
    /// Queries per unit time, like "2/min".
    pub rate: Rate,
    /// Share of the table's bytes the query reads (columns, rows), default 1.
    pub fraction: Option<f64>,
    /// Filters on the partition column (monthly partitions).
    pub partition_filter: Option<bool>,
    /// Filters on the sort key (zone maps skip blocks).
    pub sort_key_filter: Option<bool>,
    /// Scans external data through Spectrum.
    pub spectrum: Option<bool>,
    /// Tables the query references (default 1): BigQuery on demand bills
    /// at least 10 MiB per table referenced.
    pub tables: Option<u32>,
}

/// The `warehouse` kind's parameters as written in a scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub flavour: Option<Flavour>,
    /// Redshift node type, for pricing (default `dc2.large`).
    pub node_type: Option<NodeType>,
    /// Redshift compute nodes (default 2).
    pub nodes: Option<u32>,
    /// Slices per node (default 2).
    pub slices_per_node: Option<u32>,
    /// BigQuery slots (default 2000).
    pub slots: Option<u32>,
    /// BigQuery billing model (default: `capacity` when `slots` is given,
    /// else `on_demand`).
    pub billing: Option<Billing>,
    /// Bytes/s each slice or slot scans (default 100 MB/s).
    pub scan_rate: Option<ByteRate>,
    /// Table size before any load.
    pub initial_size: Option<Bytes>,
    /// Partitions of the table (monthly: 12 per year of data; default 1).
    pub partitions: Option<u32>,
    /// Share of blocks a sort-key filter still reads (default 0.1).
    pub zone_map_selectivity: Option<f64>,
    /// `even` (default), `key` or `all`.
    pub distribution: Option<Distribution>,
    /// With `key`: share of rows on the hottest slice (default: even share).
    pub key_skew: Option<f64>,
    /// Concurrent queries (default 5).
    pub wlm_slots: Option<u32>,
    /// Doubles the slots while queries wait (default false).
    pub concurrency_scaling: Option<bool>,
    /// Spectrum bytes/s per query (default 1 GB/s).
    pub spectrum_rate: Option<ByteRate>,
    #[serde(default)]
    pub queries: Vec<QuerySpec>,
}

/// Builds a `warehouse` stage.
pub fn build(kind: &KindInfo, params: &super::Params, _env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let flavour = p.flavour.unwrap_or(Flavour::Redshift);
    for (k, v) in [
        ("nodes", p.nodes),
        ("slices_per_node", p.slices_per_node),
        ("slots", p.slots),
        ("partitions", p.partitions),
        ("wlm_slots", p.wlm_slots),
    ] {
        if v == Some(0) {
            errors.push(ParamError::at(k, "must be at least 1"));
        }
    }
    for (k, v) in [("scan_rate", p.scan_rate), ("spectrum_rate", p.spectrum_rate)] {
        if v.is_some_and(|r| !(r.0 > 0.0 && r.0.is_finite())) {
            errors.push(ParamError::at(k, "must be more than zero"));
        }
    }
    for (k, v) in [
        ("zone_map_selectivity", p.zone_map_selectivity),
        ("key_skew", p.key_skew),
    ] {
        if v.is_some_and(|x| !(x > 0.0 && x <= 1.0)) {
            errors.push(ParamError::at(k, "must be more than 0 and at most 1"));
        }
    }
    if p.key_skew.is_some() && p.distribution != Some(Distribution::Key) {
        errors.push(ParamError::at("key_skew", "applies only to `distribution = \"key\"`"));
    }
    for (i, q) in p.queries.iter().enumerate() {
        if p.queries[..i].iter().any(|r| r.class == q.class) {
            errors.push(ParamError::at("queries", format!("queries[{i}]: class listed twice")));
        }
        if !(q.rate.0 > 0.0 && q.rate.0.is_finite()) {
            errors.push(ParamError::at(
                "queries",
                format!("queries[{i}]: rate must be more than zero"),
            ));
        }
        if q.fraction.is_some_and(|f| !(f > 0.0 && f <= 1.0)) {
            errors.push(ParamError::at(
                "queries",
                format!("queries[{i}]: fraction must be more than 0 and at most 1"),
            ));
        }
    }
    if p.node_type.is_some() && flavour != Flavour::Redshift {
        errors.push(ParamError::at("node_type", "applies to Redshift only"));
    }
    if p.billing.is_some() && flavour != Flavour::Bigquery {
        errors.push(ParamError::at("billing", "applies to BigQuery only"));
    }
    if p.billing == Some(Billing::OnDemand) && p.slots.is_some_and(|s| s > 2000) {
        errors.push(ParamError::at(
            "slots",
            "on-demand BigQuery bursts to at most 2000 slots; use billing = \"capacity\" for a larger reservation",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (units, per_node) = match flavour {
        Flavour::Redshift | Flavour::Onprem => {
            let s = p.slices_per_node.unwrap_or(2);
            (p.nodes.unwrap_or(2) * s, s)
        }
        Flavour::Bigquery => {
            let s = p.slots.unwrap_or(2000);
            (s, s)
        }
    };
    let cfg = WarehouseConfig {
        flavour,
        nodes: if flavour != Flavour::Bigquery {
            p.nodes.unwrap_or(2)
        } else {
            0
        },
        units,
        units_per_node: per_node,
        scan_rate: p
            .scan_rate
            .map_or(WAREHOUSE.limit("scan rate per slice or slot"), |r| r.0),
        initial_bytes: p.initial_size.map_or(0.0, |b| b.0),
        partitions: p.partitions.unwrap_or(1),
        zone_map_selectivity: p.zone_map_selectivity.unwrap_or(0.1),
        distribution: p.distribution.unwrap_or(Distribution::Even),
        key_skew: p.key_skew.unwrap_or(0.0),
        wlm_slots: p.wlm_slots.unwrap_or(5),
        concurrency_scaling: p.concurrency_scaling.unwrap_or(false),
        spectrum_rate: p
            .spectrum_rate
            .map_or(WAREHOUSE.limit("Spectrum scan rate per query"), |r| r.0),
        queries: p.queries,
    };
    Ok(Built {
        model: Model::Warehouse(Box::new(WarehouseStage::new(cfg))),
        routes: None,
    })
}

/// A warehouse's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct WarehouseConfig {
    pub flavour: Flavour,
    /// Redshift nodes (0 for BigQuery).
    pub nodes: u32,
    /// Parallel scan units: slices (Redshift) or slots (BigQuery).
    pub units: u32,
    /// Units on one node (for `all` distribution).
    pub units_per_node: u32,
    /// Bytes/s per unit.
    pub scan_rate: f64,
    /// Table bytes before loads.
    pub initial_bytes: f64,
    pub partitions: u32,
    pub zone_map_selectivity: f64,
    pub distribution: Distribution,
    /// Share of rows on the hottest slice with `key` (0 = even).
    pub key_skew: f64,
    pub wlm_slots: u32,
    pub concurrency_scaling: bool,
    /// Spectrum bytes/s per query.
    pub spectrum_rate: f64,
    pub queries: Vec<QuerySpec>,
}

/// Timer payloads: class `i` arrives at `i`; query in slot `s` ends at `DONE + s`;
/// `START` starts the query mix at time zero when the table has an `initial_size`.
const DONE: u32 = 1 << 20;
const START: u32 = DONE - 1;

/// A query waiting or running.
#[derive(Clone, Copy, Debug)]
struct Query {
    class: usize,
    arrived: Nanos,
}

/// The warehouse stage.
#[derive(Clone, Debug)]
pub struct WarehouseStage {
    cfg: WarehouseConfig,
    started: bool,
    table_bytes: f64,
    waiting: VecDeque<Query>,
    /// Running queries by slot.
    running: Vec<Option<Query>>,
    /// Loads emitted and unreleased, by slot.
    loads: Vec<Option<u64>>,
    free_loads: Vec<u32>,
    // --- measurements ---
    latency: Vec<Histogram>,
    queue_wait: Histogram,
    queued_queries: u64,
    bytes_scanned: f64,
    spectrum_bytes: f64,
    /// Bytes billed: scanned bytes rounded up to the MiB with the
    /// per-query (per table) minimum.
    bytes_billed: f64,
    spectrum_bytes_billed: f64,
    scaling_ns: Nanos,
}

impl WarehouseStage {
    /// A warehouse with settings `cfg`.
    pub fn new(cfg: WarehouseConfig) -> Self {
        let slots = cfg.wlm_slots as usize * if cfg.concurrency_scaling { 2 } else { 1 };
        WarehouseStage {
            table_bytes: cfg.initial_bytes,
            latency: cfg.queries.iter().map(|_| Histogram::new()).collect(),
            running: vec![None; slots],
            cfg,
            started: false,
            waiting: VecDeque::new(),
            loads: Vec::new(),
            free_loads: Vec::new(),
            queue_wait: Histogram::new(),
            queued_queries: 0,
            bytes_scanned: 0.0,
            spectrum_bytes: 0.0,
            bytes_billed: 0.0,
            spectrum_bytes_billed: 0.0,
            scaling_ns: 0,
        }
    }

    /// Bytes query class `q` scans now, and its scan time in seconds.
    pub fn scan(&self, q: &QuerySpec) -> (f64, f64) {
        let mut bytes = self.table_bytes * q.fraction.unwrap_or(1.0);
        if q.partition_filter == Some(true) {
            bytes /= self.cfg.partitions as f64;
        }
        if q.sort_key_filter == Some(true) {
            bytes *= self.cfg.zone_map_selectivity;
        }
        if q.spectrum == Some(true) {
            return (bytes, bytes / self.cfg.spectrum_rate);
        }
        let p = self.cfg.units as f64;
        let slowest = match self.cfg.distribution {
            Distribution::Even => bytes / p,
            Distribution::Key => bytes * self.cfg.key_skew.max(1.0 / p),
            Distribution::All => bytes / self.cfg.units_per_node as f64,
        };
        (bytes, slowest / self.cfg.scan_rate)
    }

    /// Slots in use now: the base ones, plus the scaling ones while queries wait.
    fn slots_open(&self) -> usize {
        self.cfg.wlm_slots as usize
            * if self.cfg.concurrency_scaling && !self.waiting.is_empty() {
                2
            } else {
                1
            }
    }

    fn try_start(&mut self, ctx: &mut Ctx) {
        while let Some(q) = self.waiting.front().copied() {
            let open = self.slots_open();
            let Some(slot) = self.running.iter().take(open).position(Option::is_none) else {
                return;
            };
            self.waiting.pop_front();
            self.queue_wait.record(ctx.now - q.arrived, 1);
            let spec = &self.cfg.queries[q.class];
            let (bytes, secs) = self.scan(spec);
            let min = MIB_10 * spec.tables.unwrap_or(1).max(1) as f64;
            let billed = libm::ceil(bytes / 1_048_576.0) * 1_048_576.0;
            if spec.spectrum == Some(true) {
                self.spectrum_bytes += bytes;
                self.spectrum_bytes_billed += billed.max(MIB_10);
            } else {
                self.bytes_scanned += bytes;
                self.bytes_billed += billed.max(min);
            }
            let t = round_ns(secs * NS_PER_S as f64).max(1);
            if slot >= self.cfg.wlm_slots as usize {
                self.scaling_ns += t;
            }
            self.running[slot] = Some(q);
            ctx.schedule(ctx.now + t, DONE + slot as u32);
        }
    }

    /// Starts the query mix (once): at the first load, or at time zero when
    /// the table already holds data.
    fn start_queries(&mut self, ctx: &mut Ctx) {
        if !self.started {
            self.started = true;
            for c in 0..self.cfg.queries.len() {
                self.schedule_arrival(ctx, c);
            }
        }
    }

    fn schedule_arrival(&self, ctx: &mut Ctx, class: usize) {
        let rate = self.cfg.queries[class].rate.0;
        let gap = round_ns(ctx.rng.exp1() / rate * NS_PER_S as f64).max(1);
        ctx.schedule(ctx.now + gap, class as u32);
    }
}

impl StageModel for WarehouseStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (u64::MAX, false)
    }

    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        let mut v = Vec::new();
        for (q, h) in self.cfg.queries.iter().zip(&self.latency) {
            let (mean, p95) = q.class.names();
            v.push((mean, h.mean_ns() / 1e9));
            v.push((p95, h.quantile_ns(0.95) / 1e9));
        }
        v.push(("queue_wait_mean_s", self.queue_wait.mean_ns() / 1e9));
        v.push(("queue_wait_p95_s", self.queue_wait.quantile_ns(0.95) / 1e9));
        v.push(("queries_queued", self.queued_queries as f64));
        v.push((
            "queries_done",
            self.latency.iter().map(Histogram::count).sum::<u64>() as f64,
        ));
        v.push(("bytes_scanned", self.bytes_scanned));
        v.push(("spectrum_bytes_scanned", self.spectrum_bytes));
        v.push(("bytes_billed", self.bytes_billed));
        v.push(("spectrum_bytes_billed", self.spectrum_bytes_billed));
        v.push(("table_bytes", self.table_bytes));
        v.push(("nodes", self.cfg.nodes as f64));
        v.push(("concurrency_scaling_s", self.scaling_ns as f64 / 1e9));
        v
    }

    fn initial_timer(&self) -> Option<(Nanos, u32)> {
        (self.cfg.initial_bytes > 0.0 && !self.cfg.queries.is_empty()).then_some((0, START))
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        self.start_queries(ctx);
        self.table_bytes += batch.bytes as f64;
        let slot = match self.free_loads.pop() {
            Some(s) => {
                self.loads[s as usize] = Some(batch.count);
                s
            }
            None => {
                self.loads.push(Some(batch.count));
                self.loads.len() as u32 - 1
            }
        };
        ctx.emit(slot, batch);
    }

    fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        if payload == START {
            self.start_queries(ctx);
            return;
        }
        if payload >= DONE {
            let slot = (payload - DONE) as usize;
            let q = self.running[slot].take().expect("a running query");
            self.latency[q.class].record(ctx.now - q.arrived, 1);
        } else {
            let class = payload as usize;
            if self.running.iter().take(self.slots_open()).all(Option::is_some) {
                self.queued_queries += 1;
            }
            self.waiting.push_back(Query {
                class,
                arrived: ctx.now,
            });
            self.schedule_arrival(ctx, class);
        }
        self.try_start(ctx);
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.loads[slot as usize] = None;
        self.free_loads.push(slot);
    }

    fn in_system(&self) -> u64 {
        0
    }
    fn in_queue(&self) -> u64 {
        0
    }
    fn busy(&self) -> u64 {
        self.running.iter().filter(|q| q.is_some()).count() as u64
    }
    fn servers(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wh(distribution: Distribution, skew: f64) -> WarehouseStage {
        let mut s = WarehouseStage::new(WarehouseConfig {
            flavour: Flavour::Redshift,
            nodes: 4,
            units: 8,
            units_per_node: 2,
            scan_rate: 100e6,
            initial_bytes: 0.0,
            partitions: 12,
            zone_map_selectivity: 0.1,
            distribution,
            key_skew: skew,
            wlm_slots: 5,
            concurrency_scaling: false,
            spectrum_rate: 1e9,
            queries: vec![],
        });
        s.table_bytes = 96e9;
        s
    }

    fn q(partition_filter: bool) -> QuerySpec {
        QuerySpec {
            class: Class::Report,
            rate: Rate(1.0),
            fraction: None,
            partition_filter: Some(partition_filter),
            sort_key_filter: None,
            spectrum: None,
            tables: None,
        }
    }

    #[test]
    fn scan_time_is_bytes_over_slices_and_pruning_cuts_it() {
        let s = wh(Distribution::Even, 0.0);
        // 96 GB over 8 slices at 100 MB/s: 120 s; one month of 12: 10 s.
        assert_eq!(s.scan(&q(false)), (96e9, 120.0));
        assert_eq!(s.scan(&q(true)), (8e9, 10.0));
        // A skewed key puts 40 % on one slice: 0.4 × 96 GB / 100 MB/s.
        let k = wh(Distribution::Key, 0.4);
        assert!((k.scan(&q(false)).1 - 384.0).abs() < 1e-9);
    }
}
