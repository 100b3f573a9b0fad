//! `sql_store`: a relational database instance (Amazon RDS, Cloud SQL).
//!
//! Writes are bounded twice. Storage I/O: the instance's volume delivers
//! `iops` I/O operations per second and an ACID write (data page plus
//! write-ahead log) costs `ios_per_write`, so at most `iops / ios_per_write`
//! rows per second commit — a token bucket, a throughput-type limit.
//! Connections: at most `connections` transactions run at once, each taking
//! `latency`; when all are busy the instance is full (a capacity limit).
//! Instance sizes give defaults for both (see [`Instance`]).

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{Duration, Rate};
use crate::sim::batch::Batch;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::Nanos;
use crate::sim::token_bucket::TokenBucket;
use serde::{Deserialize, Serialize};

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "gp3 baseline IOPS per volume",
        value: 3000.0,
        unit: "IO/s",
        source: "docs.aws.amazon.com/ebs general-purpose gp3 (not in pricing-and-limits.md)",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "MySQL max_connections per GiB of instance memory (DBInstanceClassMemory/12582880)",
        value: 85.0,
        unit: "connections/GiB",
        source: "docs.aws.amazon.com/AmazonRDS CHAP_Limits max_connections (not in pricing-and-limits.md)",
        confirmed: false,
    },
];

pub const SQL_STORE: KindInfo = KindInfo {
    name: "sql_store",
    aws: "Amazon RDS",
    gcp: "Cloud SQL",
    help: "A relational database instance taking row writes. The instance size sets the storage IOPS and the \
           connection limit; each ACID write costs `ios_per_write` I/Os (data page and log), so it commits at \
           most `iops / ios_per_write` rows per second (throttled beyond, a throughput limit), and at most \
           `connections` transactions run at once (full beyond). Each transaction takes `latency`. Fed by a \
           `cdc` stage it is the read side of a CQRS design: when it is too small, the change stream's lag \
           grows. It reports rows applied, write I/Os and instance-hours. It does not model reads, locks and \
           deadlocks, replicas, Multi-AZ failover or storage growth.",
    params: &[
        super::choice("flavour", "rds | cloud_sql"),
        super::choice(
            "instance",
            "db.t3.medium | db.t3.large | db.m5.large | db.m5.xlarge | db.m5.4xlarge",
        ),
        super::rate("iops", "I/O operations/s"),
        super::ratio("ios_per_write", "I/Os per committed row"),
        super::count("connections", "connections"),
        super::dur("latency", "s per transaction"),
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
    Rds,
    CloudSql,
}

/// Instance sizes (RDS class names; Cloud SQL uses the same vCPU/memory).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Instance {
    #[serde(rename = "db.t3.medium")]
    T3Medium,
    #[serde(rename = "db.t3.large")]
    T3Large,
    #[serde(rename = "db.m5.large")]
    M5Large,
    #[serde(rename = "db.m5.xlarge")]
    M5Xlarge,
    #[serde(rename = "db.m5.4xlarge")]
    M5X4large,
}

impl Instance {
    /// (vCPUs, memory GiB, storage IOPS): gp3 baseline 3,000 IOPS, larger
    /// classes with provisioned IOPS scaled by memory (an assumption).
    pub fn shape(self) -> (u32, u32, f64) {
        match self {
            Instance::T3Medium => (2, 4, 1500.0),
            Instance::T3Large => (2, 8, 3000.0),
            Instance::M5Large => (2, 8, 3000.0),
            Instance::M5Xlarge => (4, 16, 6000.0),
            Instance::M5X4large => (16, 64, 20000.0),
        }
    }
}

/// A `sql_store` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"rds"` (default) or `"cloud_sql"`.
    pub flavour: Option<Flavour>,
    /// Instance class (default `"db.m5.large"`).
    pub instance: Option<Instance>,
    /// Storage I/O operations per second (default: the instance's).
    pub iops: Option<Rate>,
    /// I/Os per committed row (default 2: data page and log).
    pub ios_per_write: Option<f64>,
    /// Concurrent transactions (default: 85 per GiB of memory).
    pub connections: Option<u32>,
    /// Time per transaction (default 5 ms).
    pub latency: Option<Duration>,
    /// Whether storage is encrypted with a KMS key (one request per row).
    pub encrypted: Option<bool>,
    /// Added time per encrypted transaction (default 5 ms).
    pub kms_latency: Option<Duration>,
}

/// Builds a `sql_store` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if env.capacity != u64::MAX {
        errors.push(ParamError::at(
            "capacity",
            "a `sql_store` has no capacity in records: its limits are `iops` and `connections`",
        ));
    }
    let (_, mem, iops0) = p.instance.unwrap_or(Instance::M5Large).shape();
    let iops = p.iops.map_or(iops0, |r| r.0);
    if !(iops > 0.0 && iops.is_finite()) {
        errors.push(ParamError::at("iops", "must be more than zero"));
    }
    let ios = p.ios_per_write.unwrap_or(2.0);
    if !(ios > 0.0 && ios.is_finite()) {
        errors.push(ParamError::at("ios_per_write", "must be more than zero"));
    }
    let connections = p.connections.unwrap_or(mem * 85);
    if connections == 0 {
        errors.push(ParamError::at("connections", "must be at least 1"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut m = SqlStoreStage::new(iops / ios, connections, p.latency.map_or(5_000_000, |d| d.0));
    if p.encrypted.unwrap_or(false) {
        m.kms_ns = Some(p.kms_latency.map_or(5_000_000, |d| d.0));
    }
    Ok(Built {
        model: Model::SqlStore(Box::new(m)),
        routes: None,
    })
}

/// The engine model of a `sql_store` stage.
#[derive(Clone, Debug)]
pub struct SqlStoreStage {
    /// Rows per second the storage commits.
    rows: TokenBucket,
    connections: u32,
    /// Time per transaction, in nanoseconds.
    latency_ns: Nanos,
    /// KMS time per encrypted transaction (`None`: unencrypted).
    pub kms_ns: Option<Nanos>,
    rate: f64,
    slab: crate::sim::slab::BatchSlab,
    writing: u64,
    rows_applied: u64,
    kms_requests: u64,
    /// Rows of the last partly admitted batch still waiting for storage I/O
    /// (the wake-up waits for them, capped at the burst, not for one row).
    short: u64,
}

impl SqlStoreStage {
    /// An instance committing `rows_per_s` rows per second over at most
    /// `connections` concurrent transactions of `latency_ns` each.
    pub fn new(rows_per_s: f64, connections: u32, latency_ns: Nanos) -> Self {
        SqlStoreStage {
            rows: TokenBucket::new(rows_per_s, libm::ceil(rows_per_s / 10.0).max(1.0) as u64),
            connections,
            latency_ns,
            kms_ns: None,
            rate: rows_per_s,
            slab: crate::sim::slab::BatchSlab::default(),
            writing: 0,
            rows_applied: 0,
            kms_requests: 0,
            short: 1,
        }
    }
}

impl StageModel for SqlStoreStage {
    /// Full when every connection is busy; else rows the storage can commit now.
    fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool) {
        if self.slab.occupied() >= self.connections as u64 {
            return (0, false);
        }
        let fit = self.rows.available(now).min(batch.count);
        self.short = (batch.count - fit).max(1);
        (fit, true)
    }

    /// When the rows the last refused batch still needs have accrued (at
    /// most a burst): waking for every single row made a saturated instance
    /// admit aggregated batches a row at a time.
    fn next_room_at(&mut self, now: Nanos) -> Option<Nanos> {
        Some(now + self.rows.time_until(now, self.short))
    }

    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        vec![
            ("rows_applied", self.rows_applied as f64),
            ("rows_per_s_limit", self.rate),
            ("kms_requests", self.kms_requests as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        ctx.record_wait(0, batch.count);
        self.rows.take(ctx.now, batch.count);
        let mut d = self.latency_ns;
        if let Some(k) = self.kms_ns {
            self.kms_requests += batch.count;
            d += k;
        }
        let slot = self.slab.insert(batch);
        self.writing += batch.count;
        ctx.schedule(ctx.now + d, slot);
    }

    /// The transaction committed.
    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let b = self.slab.get(slot);
        self.rows_applied += b.count;
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
        Some(self.connections as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_rows_the_storage_commits_until_connections_run_out() {
        let mut s = SqlStoreStage::new(1000.0, 1, 0);
        assert_eq!(s.room(0, &Batch::new(500, 0, 0)), (100, true), "burst = 0.1 s of rows");
        s.slab.insert(Batch::new(1, 0, 0)); // one transaction open
        assert_eq!(s.room(0, &Batch::new(5, 0, 0)), (0, false));
    }

    #[test]
    fn a_refused_batch_waits_for_its_missing_rows_not_for_one() {
        let mut s = SqlStoreStage::new(1000.0, 10, 0);
        // The burst is 100 rows: a batch of 150 gets 100 now and needs 50 more.
        assert_eq!(s.room(0, &Batch::new(150, 0, 0)), (100, true));
        s.rows.take(0, 100);
        assert_eq!(s.next_room_at(0), Some(50_000_000), "50 rows at 1,000 rows/s");
        // A batch larger than the burst waits for a full burst at most.
        assert_eq!(s.room(0, &Batch::new(1000, 0, 0)), (0, true));
        assert_eq!(s.next_room_at(0), Some(100_000_000));
    }
}
