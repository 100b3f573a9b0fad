//! `kv_store`: a partitioned key-value table (Amazon DynamoDB, Cloud Bigtable).
//!
//! The table is split into partitions (Bigtable: nodes). A batch goes to
//! partition `batch.key % partitions`, so one hot key loads one partition.
//! Each partition admits write capacity units (WCU) from its own token
//! bucket: DynamoDB allows at most 1,000 WCU/s per partition, and a record
//! of `b` bytes costs `ceil(b / 1 KB)` WCU. In provisioned mode the table's
//! `wcu` is split evenly over the partitions (so it caps the table's total);
//! on demand each partition runs at its own limit. Writes over a partition's
//! budget are throttled (ProvisionedThroughputExceededException): `room` is
//! a throughput-type limit, so the sender drops, blocks or retries by its
//! `on_full` policy, even while the table as a whole has spare capacity.
//!
//! Items larger than `item_limit` (DynamoDB: 400 KB) are rejected. The
//! scenario compiler reports a source whose fixed record size exceeds it as
//! a located error; records of variable size that exceed it at run time are
//! dropped here as `failed` and counted in `oversized_items`.
//!
//! With `encrypted = true` each write also calls KMS once per record (a
//! simplification: real SDKs cache data keys), adding `kms_latency`.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{Bytes, Duration, Rate};
use crate::sim::batch::Batch;
use crate::sim::metrics::DropReason;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::Nanos;
use crate::sim::token_bucket::TokenBucket;
use serde::{Deserialize, Serialize};

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "write capacity units per partition",
        value: 1000.0,
        unit: "WCU/s",
        source: "docs.aws.amazon.com amazondynamodb warm-throughput-scenarios (pricing-and-limits.md §2 #28)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "read capacity units per partition (reads not modelled)",
        value: 3000.0,
        unit: "RCU/s",
        source: "pricing-and-limits.md §2 #28",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "bytes per write capacity unit",
        value: 1024.0,
        unit: "bytes",
        source: "docs.aws.amazon.com DynamoDB read-write-operations (pricing-and-limits.md §2 #29)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "maximum item size",
        value: 409_600.0,
        unit: "bytes",
        source: "pricing-and-limits.md §2 #30 (not in stored excerpts)",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "writes per SSD node",
        value: 10_000.0,
        unit: "rows/s",
        source: "cloud.google.com/bigtable/docs/performance (not in pricing-and-limits.md)",
        confirmed: false,
    },
];

pub const KV_STORE: KindInfo = KindInfo {
    name: "kv_store",
    aws: "Amazon DynamoDB",
    gcp: "Cloud Bigtable",
    help: "A partitioned key-value table. Records hash by key to `partitions` (Bigtable: `nodes`); each \
           partition admits at most 1,000 write capacity units per second (DynamoDB), one WCU per started KB \
           of item, so a hot key throttles its partition while the table as a whole has room. Provisioned \
           mode (`wcu` set) splits the table's capacity evenly over the partitions; on-demand mode gives each \
           partition its full limit. Throttled writes follow `on_full` (use `reject` with a retry policy \
           upstream, or `block`). Items over `item_limit` (400 KB) are rejected: a fixed record size over it \
           is a validation error. Each write takes `latency` (plus `kms_latency` when `encrypted`), then \
           passes to `to` (a `cdc` stage models the table's change stream). It reports write units, the \
           share of throttling on the hottest partition and stored bytes. It does not model reads, burst \
           credits, adaptive capacity, partition splits or Bigtable tablet rebalancing.",
    params: &[
        super::choice("flavour", "dynamodb | bigtable"),
        super::choice("mode", "provisioned | on_demand"),
        super::rate("wcu", "write capacity units (writes/s of 1 KB)"),
        super::count("partitions", "partitions"),
        super::count("nodes", "nodes (Bigtable)"),
        super::rate("partition_wcu", "write capacity units per partition"),
        super::size("item_limit", "bytes per item"),
        super::dur("latency", "s per write"),
        super::flag("encrypted"),
        super::dur("kms_latency", "s per KMS request"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which service is modelled.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Dynamodb,
    Bigtable,
}

/// Capacity mode (DynamoDB).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Provisioned,
    OnDemand,
}

fn limit(name: &str) -> f64 {
    LIMITS
        .iter()
        .find(|l| l.name.starts_with(name))
        .map(|l| l.value)
        .expect("limit listed")
}

/// A `kv_store` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"dynamodb"` (default) or `"bigtable"`.
    pub flavour: Option<Flavour>,
    /// `"provisioned"` (default when `wcu` is given) or `"on_demand"`.
    pub mode: Option<Mode>,
    /// Provisioned write capacity of the whole table, in WCU per second.
    pub wcu: Option<Rate>,
    /// Partitions (default: provisioned `ceil(wcu / 1,000)`, on demand 4).
    pub partitions: Option<u32>,
    /// Bigtable nodes (the flavour's partitions; default 1).
    pub nodes: Option<u32>,
    /// Write units per second one partition (node) admits (default: 1,000
    /// WCU for DynamoDB, 10,000 rows for Bigtable).
    pub partition_wcu: Option<Rate>,
    /// Largest item accepted (default 400 KB).
    pub item_limit: Option<Bytes>,
    /// Time per write (default 10 ms).
    pub latency: Option<Duration>,
    /// Whether writes are encrypted with a KMS key (one request per record).
    pub encrypted: Option<bool>,
    /// Added time per encrypted write (default 5 ms).
    pub kms_latency: Option<Duration>,
}

/// Builds a `kv_store` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::Dynamodb);
    let mut errors = Vec::new();
    if env.capacity != u64::MAX {
        errors.push(ParamError::at(
            "capacity",
            "a `kv_store` has no capacity in records: its limit is write units per partition",
        ));
    }
    let mode = p.mode.unwrap_or(if p.wcu.is_some() {
        Mode::Provisioned
    } else {
        Mode::OnDemand
    });
    if flavour == Flavour::Bigtable {
        for (set, key) in [
            (p.wcu.is_some(), "wcu"),
            (p.mode.is_some(), "mode"),
            (p.partitions.is_some(), "partitions"),
        ] {
            if set {
                errors.push(ParamError::at(
                    key,
                    "does not apply to `flavour = \"bigtable\"` (use `nodes`)",
                ));
            }
        }
    } else if p.nodes.is_some() {
        errors.push(ParamError::at(
            "nodes",
            "applies to `flavour = \"bigtable\"` only (use `partitions`)",
        ));
    }
    let per_partition = p.partition_wcu.map_or(
        match flavour {
            Flavour::Dynamodb => limit("write capacity units per partition"),
            Flavour::Bigtable => limit("writes per SSD node"),
        },
        |r| r.0,
    );
    if !(per_partition > 0.0 && per_partition.is_finite()) {
        errors.push(ParamError::at("partition_wcu", "must be more than zero"));
    }
    let wcu = match (mode, p.wcu) {
        (Mode::Provisioned, None) if flavour == Flavour::Dynamodb => {
            errors.push(ParamError::at("mode", "provisioned mode needs `wcu`, like \"2000/s\""));
            None
        }
        (Mode::OnDemand, Some(_)) => {
            errors.push(ParamError::at("wcu", "does not apply in on-demand mode"));
            None
        }
        (_, Some(w)) if !(w.0 > 0.0 && w.0.is_finite()) => {
            errors.push(ParamError::at("wcu", "must be more than zero"));
            None
        }
        (_, w) => w.map(|w| w.0),
    };
    let partitions = match flavour {
        Flavour::Bigtable => p.nodes.unwrap_or(1),
        Flavour::Dynamodb => p.partitions.unwrap_or_else(|| match wcu {
            Some(w) if per_partition > 0.0 => libm::ceil(w / per_partition).max(1.0) as u32,
            _ => 4,
        }),
    };
    if partitions == 0 {
        let key = if flavour == Flavour::Bigtable {
            "nodes"
        } else {
            "partitions"
        };
        errors.push(ParamError::at(key, "must be at least 1"));
    }
    let item_limit = p.item_limit.map_or(limit("maximum item size"), |b| b.0) as u64;
    if item_limit == 0 {
        errors.push(ParamError::at("item_limit", "must be more than zero"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let rate = match wcu {
        Some(w) => (w / partitions as f64).min(per_partition),
        None => per_partition,
    };
    let unit_bytes = match flavour {
        Flavour::Dynamodb => limit("bytes per write capacity unit") as u64,
        // Bigtable's node limit counts rows, whatever their size.
        Flavour::Bigtable => u64::MAX,
    };
    let encrypted = p.encrypted.unwrap_or(false);
    let mut model = KvStoreStage::new(
        partitions,
        rate,
        unit_bytes,
        item_limit,
        p.latency.map_or(10_000_000, |d| d.0),
    );
    if encrypted {
        model.kms_ns = Some(p.kms_latency.map_or(5_000_000, |d| d.0));
    }
    Ok(Built {
        model: Model::KvStore(Box::new(model)),
        routes: None,
    })
}

/// The engine model of a `kv_store` stage.
#[derive(Clone, Debug)]
pub struct KvStoreStage {
    /// One write-unit bucket per partition.
    partitions: Vec<TokenBucket>,
    /// Bytes per write unit (`u64::MAX`: one unit per record).
    unit_bytes: u64,
    /// Largest item, in bytes.
    pub item_limit: u64,
    /// Time per write, in nanoseconds.
    latency_ns: Nanos,
    /// KMS time per encrypted write, in nanoseconds (`None`: unencrypted).
    pub kms_ns: Option<Nanos>,
    slab: crate::sim::slab::BatchSlab,
    writing: u64,
    /// The partition and units the last short room waited for.
    short: Option<(usize, u64)>,
    /// Records refused for want of units, per partition.
    throttled: Vec<u64>,
    write_units: u64,
    items_written: u64,
    stored_bytes: u64,
    oversized: u64,
    kms_requests: u64,
}

impl KvStoreStage {
    /// A table of `partitions` partitions admitting `rate` write units/s
    /// each, `unit_bytes` per unit, items up to `item_limit` bytes and
    /// `latency_ns` per write.
    pub fn new(partitions: u32, rate: f64, unit_bytes: u64, item_limit: u64, latency_ns: Nanos) -> Self {
        let burst = libm::ceil(rate).max(1.0) as u64;
        KvStoreStage {
            partitions: (0..partitions).map(|_| TokenBucket::new(rate, burst)).collect(),
            unit_bytes,
            item_limit,
            latency_ns,
            kms_ns: None,
            slab: crate::sim::slab::BatchSlab::default(),
            writing: 0,
            short: None,
            throttled: vec![0; partitions as usize],
            write_units: 0,
            items_written: 0,
            stored_bytes: 0,
            oversized: 0,
            kms_requests: 0,
        }
    }

    fn partition_of(&self, b: &Batch) -> usize {
        b.key as usize % self.partitions.len()
    }

    /// Mean item size of a batch, in bytes (rounded up).
    fn item_bytes(b: &Batch) -> u64 {
        b.bytes.div_ceil(b.count.max(1))
    }

    /// Write units per record of `b`.
    fn units_per_record(&self, b: &Batch) -> u64 {
        if self.unit_bytes == u64::MAX {
            1
        } else {
            Self::item_bytes(b).div_ceil(self.unit_bytes).max(1)
        }
    }
}

impl StageModel for KvStoreStage {
    /// Records the batch's partition has write units for. Throughput-type.
    fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool) {
        if Self::item_bytes(batch) > self.item_limit {
            // Rejected whole in `accept`; no units needed.
            return (batch.count, true);
        }
        let p = self.partition_of(batch);
        let per = self.units_per_record(batch);
        let fit = self.partitions[p].available(now) / per;
        if fit >= batch.count {
            return (batch.count, true);
        }
        self.short = Some((p, per));
        self.throttled[p] += batch.count - fit;
        (fit, true)
    }

    fn next_room_at(&mut self, now: Nanos) -> Option<Nanos> {
        let (p, need) = self.short?;
        Some(now + self.partitions[p].time_until(now, need))
    }

    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        let total: u64 = self.throttled.iter().sum();
        let hot = self.throttled.iter().copied().max().unwrap_or(0);
        vec![
            ("write_units", self.write_units as f64),
            ("items_written", self.items_written as f64),
            ("stored_bytes", self.stored_bytes as f64),
            ("throttled_records", total as f64),
            (
                "throttled_hot_partition_share",
                if total == 0 { 0.0 } else { hot as f64 / total as f64 },
            ),
            ("oversized_items", self.oversized as f64),
            ("kms_requests", self.kms_requests as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        if Self::item_bytes(&batch) > self.item_limit {
            self.oversized += batch.count;
            ctx.drop_records(DropReason::Failed, batch.count);
            return;
        }
        ctx.record_wait(0, batch.count);
        let p = self.partition_of(&batch);
        let units = self.units_per_record(&batch) * batch.count;
        self.partitions[p].take(ctx.now, units);
        self.write_units += units;
        let mut d = self.latency_ns;
        if let Some(k) = self.kms_ns {
            self.kms_requests += batch.count;
            d += k;
        }
        let slot = self.slab.insert(batch);
        self.writing += batch.count;
        ctx.schedule(ctx.now + d, slot);
    }

    /// The write completed: the items are stored and the change moves on.
    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let b = self.slab.get(slot);
        self.items_written += b.count;
        self.stored_bytes += b.bytes;
        self.writing -= b.count;
        ctx.emit(slot, b);
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.slab.remove(slot);
    }

    fn in_system(&self) -> u64 {
        self.writing
    }
    fn in_queue(&self) -> u64 {
        0
    }
    fn busy(&self) -> u64 {
        self.slab.occupied()
    }
    fn servers(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness;

    #[test]
    fn a_record_costs_one_wcu_per_started_kilobyte_and_hashes_to_its_partition() {
        let mut s = KvStoreStage::new(2, 1000.0, 1024, 409_600, 0);
        // 2.5 KB items cost 3 WCU each: 1,000 WCU fit 333 of them.
        let b = Batch::new(1000, 2560 * 1000, 0);
        assert_eq!(s.room(0, &b), (333, true));
        let mut other = b;
        other.key = 1;
        s.partitions[0].take(0, 1000);
        assert_eq!(s.room(0, &other), (333, true), "partition 1 is untouched");
        assert_eq!(s.room(0, &b), (0, true));
        // 3 WCU at 1,000/s: 3 ms.
        assert_eq!(s.next_room_at(0), Some(3_000_000));
        assert!(s.throttled[0] > 0 && s.throttled[1] > 0);
    }

    #[test]
    fn oversized_items_are_dropped_and_counted() {
        let mut m = Model::KvStore(Box::new(KvStoreStage::new(1, 1000.0, 1024, 409_600, 0)));
        let out = harness::run(&mut m, &[Batch::new(2, 2 * 500_000, 0), Batch::new(1, 100, 0)], 1);
        assert_eq!(out.landed.len(), 1);
        assert_eq!(harness::extra(&m, "oversized_items"), 2.0);
        assert_eq!(harness::extra(&m, "write_units"), 1.0);
    }

    #[test]
    fn kms_adds_latency_and_one_request_per_record() {
        let mut s = KvStoreStage::new(1, 1000.0, 1024, 409_600, 10_000_000);
        s.kms_ns = Some(5_000_000);
        let mut m = Model::KvStore(Box::new(s));
        let out = harness::run(&mut m, &harness::chunks(3, 100), 1);
        assert!(out.landed.iter().all(|(t, _)| *t == 15_000_000));
        assert_eq!(harness::extra(&m, "kms_requests"), 3.0);
    }
}
