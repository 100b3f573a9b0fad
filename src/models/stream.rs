//! `stream`: a sharded log and the consumer application that reads it —
//! Kinesis Data Streams with KCL workers, Kafka with a consumer group, or
//! Pub/Sub with a subscriber.
//!
//! Write side: each batch's partition key hashes to a shard; each shard
//! admits at most its write limits (records/s and bytes/s, token buckets with
//! one second of burst); the rest is refused and goes back to the producer,
//! which retries with back-off (`on_full = "reject"` and the sender's
//! `retry`). Read side: `consumers` workers lease shards (shard s → worker
//! s mod consumers), poll them (at most `reads_per_s` reads and
//! `read_bytes_per_s` per shard, `records_per_read` per read), process what
//! they read, and hand it downstream. Records not read within `retention`
//! expire (dropped as `expired`). A crashed worker's shards are re-read from
//! the last checkpoint: the re-read records are duplicates, created here and
//! counted. Resharding happens on a schedule, by hand through faults, or by
//! an alarm; on-demand streams resize themselves every 15 minutes to twice
//! the recent peak.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError, Params};
use crate::scenario::compile::dist_of;
use crate::scenario::schema::DistSpec;
use crate::scenario::units::{ByteRate, Duration, Rate};
use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::metrics::DropReason;
use crate::sim::stage::{Control, Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos, NS_PER_S};
use crate::sim::token_bucket::TokenBucket;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const KINESIS_SRC: &str = "docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html";

/// Published limits used as defaults.
pub const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "write records per shard",
        value: 1000.0,
        unit: "records/s",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "write bytes per shard",
        value: 1_048_576.0,
        unit: "bytes/s",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "read bytes per shard (shared)",
        value: 2_097_152.0,
        unit: "bytes/s",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "GetRecords calls per shard",
        value: 5.0,
        unit: "reads/s",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "records per GetRecords",
        value: 10_000.0,
        unit: "records",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "default retention",
        value: 86_400.0,
        unit: "s",
        source: "docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "resharding calls per 24 h",
        value: 10.0,
        unit: "calls",
        source: "API_UpdateShardCount (list truncated in stored copy)",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "on-demand default write capacity",
        value: 4_194_304.0,
        unit: "bytes/s",
        source: KINESIS_SRC,
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "Pub/Sub subscription retention (default)",
        value: 604_800.0,
        unit: "s",
        source: "docs.cloud.google.com/pubsub/docs/subscription-properties",
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "Pub/Sub default ack deadline",
        value: 10.0,
        unit: "s",
        source: "not confirmed (plugin sample config)",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "Pub/Sub max ack deadline",
        value: 600.0,
        unit: "s",
        source: "luci-go quota.go citing cloud.google.com/pubsub/quotas",
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "Pub/Sub subscriber flow control: max outstanding messages (client library default)",
        value: 1000.0,
        unit: "messages",
        source: "googleapis/python-pubsub google/cloud/pubsub_v1/types.py FlowControl.max_messages \
                 (\"Defaults to 1000\"); the Java client's maxOutstandingElementCount is also 1,000",
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "Pub/Sub subscriber flow control: max outstanding bytes (client library default)",
        value: 104_857_600.0,
        unit: "bytes",
        source: "googleapis/python-pubsub google/cloud/pubsub_v1/types.py FlowControl.max_bytes \
                 (\"Defaults to 100 MiB\"); the Go client defaults to 1 GB",
        confirmed: true,
    },
    Limit {
        provider: "Kafka",
        name: "throughput per broker (assumption)",
        value: 50e6,
        unit: "bytes/s",
        source: "assumption: a mid-size broker on 10 GbE with replication factor 3",
        confirmed: false,
    },
];

pub const STREAM: KindInfo = KindInfo {
    name: "stream",
    aws: "Amazon Kinesis Data Streams",
    gcp: "Google Cloud Pub/Sub",
    help: "A sharded stream and the consumer application reading it (Kinesis with KCL workers, Kafka with a \
           consumer group, Pub/Sub with a subscriber). Partition keys hash to shards; each shard admits 1,000 \
           records/s and 1 MiB/s (Kinesis) and refuses the rest, which the producer retries, so a hot key \
           throttles one shard while the stream as a whole has room. Workers lease shards, read at most 5 times \
           and 2 MiB per second per shard, and checkpoint periodically; a crashed worker's shards are re-read \
           from the last checkpoint, producing duplicates. Records unread after the retention period expire. \
           Iterator age (lag) is reported. Pub/Sub (`flavour = \"pubsub\"`) has no shards: `consumers` \
           subscribers pull by streaming pull, each holding at most `max_outstanding_messages` (default 1,000) \
           and `max_outstanding_bytes` (default 100 MiB) unacknowledged messages, processed concurrently, so a \
           subscriber's throughput is at most outstanding / `process` time (Little's law); `ordering_keys = true` \
           delivers each key's messages in order, one outstanding per key, so a hot key is limited to one message \
           per `process` time; a message processed past `ack_deadline` is redelivered (a duplicate). Not \
           modelled: per-record size limits, enhanced fan-out HTTP/2 push latency, Kafka replication and leader \
           election, Pub/Sub publish quotas and exactly-once delivery.",
    params: &[
        super::choice("flavour", "kinesis | kafka | pubsub"),
        super::choice("mode", "provisioned | on_demand"),
        super::count("shards", "shards"),
        super::count("partitions", "partitions (Kafka)"),
        super::rate("write_records_per_shard", "records/s per shard"),
        super::rate("write_bytes_per_shard", "bytes/s per shard"),
        super::count("aggregation", "user records per stream record"),
        super::rate("read_bytes_per_shard", "bytes/s per shard"),
        super::ratio("reads_per_s", "reads/s per shard (a number)"),
        super::count("records_per_read", "records per read"),
        super::dur("retention", "s"),
        super::count("consumers", "record processors"),
        super::dur("process", "s per record (or a distribution)"),
        super::dur("poll_interval", "s"),
        super::dur("checkpoint_interval", "s"),
        super::dur("failover", "s"),
        super::flag("enhanced_fan_out"),
        super::count("other_consumer_apps", "applications"),
        super::table("reshard", "[{ at, shards }]"),
        super::dur("reshard_time", "s"),
        super::count("max_reshards_per_day", "reshards per day"),
        super::count("brokers", "brokers"),
        super::rate("broker_throughput", "bytes/s per broker"),
        super::dur("ack_deadline", "s"),
        super::count("max_outstanding_messages", "messages per subscriber"),
        super::size("max_outstanding_bytes", "bytes per subscriber"),
        super::flag("ordering_keys"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which service the stream is.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Kinesis,
    Kafka,
    Pubsub,
}

/// Capacity mode (Kinesis).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CapacityMode {
    Provisioned,
    OnDemand,
}

/// A scheduled resharding.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReshardAt {
    pub at: Duration,
    pub shards: u32,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct StreamParams {
    flavour: Option<Flavour>,
    mode: Option<CapacityMode>,
    shards: Option<u32>,
    partitions: Option<u32>,
    write_records_per_shard: Option<Rate>,
    write_bytes_per_shard: Option<ByteRate>,
    aggregation: Option<u32>,
    read_bytes_per_shard: Option<ByteRate>,
    reads_per_s: Option<f64>,
    records_per_read: Option<u64>,
    retention: Option<Duration>,
    consumers: Option<u32>,
    process: Option<DistSpec<Duration>>,
    poll_interval: Option<Duration>,
    checkpoint_interval: Option<Duration>,
    failover: Option<Duration>,
    enhanced_fan_out: Option<bool>,
    other_consumer_apps: Option<u32>,
    #[serde(default)]
    reshard: Vec<ReshardAt>,
    reshard_time: Option<Duration>,
    max_reshards_per_day: Option<u32>,
    brokers: Option<u32>,
    broker_throughput: Option<ByteRate>,
    ack_deadline: Option<Duration>,
    max_outstanding_messages: Option<u64>,
    max_outstanding_bytes: Option<crate::scenario::units::Bytes>,
    ordering_keys: Option<bool>,
}

/// Resolved configuration.
#[derive(Clone, Debug)]
pub struct StreamConfig {
    pub flavour: Flavour,
    pub mode: CapacityMode,
    pub shards: u32,
    /// Per-shard write limits; `None` = no limit (Pub/Sub).
    pub write_records_per_s: Option<f64>,
    pub write_bytes_per_s: Option<f64>,
    /// User records per stream record (KPL aggregation).
    pub aggregation: u32,
    pub read_bytes_per_s: f64,
    pub reads_per_s: f64,
    pub records_per_read: u64,
    pub retention_ns: Nanos,
    pub consumers: u32,
    /// Consumer processing time per record, in nanoseconds.
    pub process: Dist,
    pub poll_interval_ns: Nanos,
    pub checkpoint_interval_ns: Nanos,
    pub failover_ns: Nanos,
    pub reshards: Vec<(Nanos, u32)>,
    pub reshard_time_ns: Nanos,
    pub max_reshards_per_day: u32,
    /// Pub/Sub: a read not acknowledged within this is redelivered.
    pub ack_deadline_ns: Option<Nanos>,
    /// Pub/Sub: subscriber flow control and ordering keys (`None` for
    /// Kinesis and Kafka, which read by shard).
    pub flow: Option<super::pubsub::FlowControl>,
}

pub fn build(kind: &KindInfo, params: &Params, _env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: StreamParams = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::Kinesis);
    let mut errors = Vec::new();
    let shards = match (p.shards, p.partitions, flavour) {
        (Some(_), Some(_), _) => {
            errors.push(ParamError::at("partitions", "give `shards` or `partitions`, not both"));
            1
        }
        (Some(n), None, _) | (None, Some(n), _) => n,
        (None, None, Flavour::Pubsub) => 1,
        (None, None, _) if p.mode == Some(CapacityMode::OnDemand) => 4,
        (None, None, _) => {
            errors.push(ParamError::stage(
                "a `stream` needs `shards` (Kinesis) or `partitions` (Kafka)",
            ));
            1
        }
    };
    if shards == 0 || shards > 20_000 {
        errors.push(ParamError::at(
            if p.partitions.is_some() { "partitions" } else { "shards" },
            "must be 1 to 20,000 (the default account quota)",
        ));
    }
    if p.consumers == Some(0) {
        errors.push(ParamError::at("consumers", "must be at least 1"));
    }
    if p.aggregation == Some(0) {
        errors.push(ParamError::at("aggregation", "must be at least 1"));
    }
    if p.reads_per_s.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        errors.push(ParamError::at("reads_per_s", "must be more than zero"));
    }
    if p.retention.is_some_and(|r| r.0 == 0 || r.0 > 8_760 * 3_600 * NS_PER_S) {
        errors.push(ParamError::at(
            "retention",
            "must be more than zero and at most 365 days",
        ));
    }
    if p.ack_deadline.is_some() && flavour != Flavour::Pubsub {
        errors.push(ParamError::at("ack_deadline", "applies to `flavour = \"pubsub\"` only"));
    }
    for (set, key) in [
        (p.max_outstanding_messages.is_some(), "max_outstanding_messages"),
        (p.max_outstanding_bytes.is_some(), "max_outstanding_bytes"),
        (p.ordering_keys.is_some(), "ordering_keys"),
    ] {
        if set && flavour != Flavour::Pubsub {
            errors.push(ParamError::at(key, "applies to `flavour = \"pubsub\"` only"));
        }
    }
    if p.max_outstanding_messages == Some(0) {
        errors.push(ParamError::at("max_outstanding_messages", "must be at least 1"));
    }
    if p.max_outstanding_bytes
        .is_some_and(|b| !(b.0 >= 1.0 && b.0.is_finite()))
    {
        errors.push(ParamError::at("max_outstanding_bytes", "must be at least 1 byte"));
    }
    if flavour == Flavour::Pubsub && p.consumers.unwrap_or(1) as u64 > 65_535 {
        errors.push(ParamError::at("consumers", "at most 65,535 subscribers"));
    }
    if (p.brokers.is_some() || p.broker_throughput.is_some()) && flavour != Flavour::Kafka {
        errors.push(ParamError::at(
            if p.brokers.is_some() {
                "brokers"
            } else {
                "broker_throughput"
            },
            "applies to `flavour = \"kafka\"` only",
        ));
    }
    let process = match &p.process {
        Some(d) => dist_of(d).unwrap_or_else(|e| {
            errors.push(ParamError::at("process", e));
            Dist::Deterministic { value: 0.0 }
        }),
        None => Dist::Deterministic { value: 0.0 },
    };
    for r in &p.reshard {
        if r.shards == 0 {
            errors.push(ParamError::at("reshard", "shards must be at least 1"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let fan_out_share = if p.enhanced_fan_out.unwrap_or(false) {
        1.0
    } else {
        1.0 / (1 + p.other_consumer_apps.unwrap_or(0)) as f64
    };
    let (write_records, write_bytes, read_bytes, reads, retention) = match flavour {
        Flavour::Kinesis => (
            Some(1000.0),
            Some(1_048_576.0),
            2_097_152.0 * fan_out_share,
            5.0,
            86_400 * NS_PER_S,
        ),
        Flavour::Kafka => {
            let brokers = p.brokers.unwrap_or(3).max(1) as f64;
            let per_partition = p.broker_throughput.map_or(50e6, |b| b.0) * brokers / shards as f64;
            (
                None,
                Some(per_partition),
                per_partition * 2.0,
                1000.0,
                7 * 86_400 * NS_PER_S,
            )
        }
        Flavour::Pubsub => (None, None, f64::INFINITY, 1000.0, 7 * 86_400 * NS_PER_S),
    };
    let cfg = StreamConfig {
        flavour,
        mode: p.mode.unwrap_or(CapacityMode::Provisioned),
        shards,
        write_records_per_s: p.write_records_per_shard.map(|r| r.0).or(write_records),
        write_bytes_per_s: p.write_bytes_per_shard.map(|r| r.0).or(write_bytes),
        aggregation: p.aggregation.unwrap_or(1),
        read_bytes_per_s: p.read_bytes_per_shard.map_or(read_bytes, |r| r.0),
        reads_per_s: p.reads_per_s.unwrap_or(reads),
        records_per_read: p.records_per_read.unwrap_or(10_000).max(1),
        retention_ns: p.retention.map_or(retention, |r| r.0),
        consumers: p.consumers.unwrap_or(1),
        process,
        poll_interval_ns: p.poll_interval.map_or(NS_PER_S, |d| d.0.max(1)),
        checkpoint_interval_ns: p.checkpoint_interval.map_or(60 * NS_PER_S, |d| d.0.max(1)),
        failover_ns: p.failover.map_or(10 * NS_PER_S, |d| d.0),
        reshards: p.reshard.iter().map(|r| (r.at.0, r.shards)).collect(),
        reshard_time_ns: p.reshard_time.map_or(30 * NS_PER_S, |d| d.0),
        max_reshards_per_day: p.max_reshards_per_day.unwrap_or(10),
        ack_deadline_ns: match flavour {
            Flavour::Pubsub => Some(p.ack_deadline.map_or(10 * NS_PER_S, |d| d.0)),
            _ => None,
        },
        flow: (flavour == Flavour::Pubsub).then(|| super::pubsub::FlowControl {
            max_messages: p.max_outstanding_messages.unwrap_or(1000),
            max_bytes: p.max_outstanding_bytes.map_or(104_857_600, |b| b.0 as u64),
            ordering_keys: p.ordering_keys.unwrap_or(false),
        }),
    };
    Ok(Built {
        model: Model::Stream(Box::new(StreamStage::new(cfg))),
        routes: None,
    })
}

// Timer payloads: the top two bits say what the timer is for.
const T_POLL: u32 = 0;
const T_DONE: u32 = 1;
const T_EXPIRE: u32 = 2;
const T_CONTROL: u32 = 3;
/// Control timers: index 0 = on-demand resize, 1.. = scheduled reshards
/// (apply at `at + reshard_time`), 0x8000.. = worker restarts.
fn payload(kind: u32, gen: u32, index: u32) -> u32 {
    (kind << 30) | ((gen & 0x3fff) << 16) | (index & 0xffff)
}

#[derive(Clone, Debug)]
struct Shard {
    buf: VecDeque<Batch>,
    records: u64,
    write_records: Option<TokenBucket>,
    write_bytes: Option<TokenBucket>,
    /// Earliest time of the next read (5 reads/s and 2 MiB/s per shard).
    next_read_at: Nanos,
    /// Records handed downstream since the last checkpoint.
    since_checkpoint: u64,
    next_checkpoint: Nanos,
    expiry_pending: bool,
    /// Records throttled at this shard (for hot-shard reports).
    throttled: u64,
    /// The shard's record processor (one per leased shard, as in KCL):
    /// the batch being processed, and whether it has been handed on.
    current: Option<Batch>,
    emitted: bool,
    poll_pending: bool,
    /// Write bytes one record of a batch refused here needs (0: none
    /// refused since the last `next_room_at`): blocked senders wake when
    /// this shard, not any shard, has room for a record again.
    refused_need: u64,
}

/// A consumer worker (a KCL process): it holds the leases of shards
/// `s` with `s mod consumers = w`; a crash stops all of them until the
/// leases fail over.
#[derive(Clone, Debug)]
struct Worker {
    /// Generation: bumped on a crash so stale timers are ignored.
    gen: u32,
    down_until: Nanos,
}

/// A sharded stream with its consumer application.
#[derive(Clone, Debug)]
pub struct StreamStage {
    cfg: StreamConfig,
    shards: Vec<Shard>,
    /// Shards accepting writes (the first `active`); older ones drain.
    active: usize,
    workers: Vec<Worker>,
    /// All consumers stopped (a fault).
    stopped: bool,
    started: bool,
    iterator_age_max_ns: Nanos,
    reshards_done: u32,
    reshards_refused: u32,
    reshard_times: Vec<Nanos>,
    /// On-demand: peak bytes written in the current window.
    window_bytes: u64,
    window_peak_bytes_per_s: f64,
    last_window_at: Nanos,
    redeliveries: u64,
    crashes: u32,
    // Usage meters (for the cost model).
    /// ∫ active shards dt up to `shards_since`, in shard·ns.
    shard_ns: u128,
    shards_since: Nanos,
    /// PUT payload units (25 KiB each, per stream record after aggregation),
    /// times the aggregation factor.
    put_units: u64,
    bytes_in: u64,
    bytes_out: u64,
    /// Pub/Sub: the subscription (no shard readers).
    sub: Option<Box<super::pubsub::Subscription>>,
}

fn shard_of(key: u32, n: usize) -> usize {
    // Partition keys are hashed (MD5 in Kinesis; any good mix will do).
    (crate::sim::rng::fnv1a64(&key.to_le_bytes()) % n as u64) as usize
}

impl StreamStage {
    /// A stream from its configuration.
    pub fn new(cfg: StreamConfig) -> Self {
        let mut s = StreamStage {
            shards: Vec::new(),
            active: 0,
            workers: (0..cfg.consumers).map(|_| Worker { gen: 0, down_until: 0 }).collect(),
            stopped: false,
            started: false,
            iterator_age_max_ns: 0,
            reshards_done: 0,
            reshards_refused: 0,
            reshard_times: Vec::new(),
            window_bytes: 0,
            window_peak_bytes_per_s: 0.0,
            last_window_at: 0,
            redeliveries: 0,
            crashes: 0,
            shard_ns: 0,
            shards_since: 0,
            put_units: 0,
            bytes_in: 0,
            bytes_out: 0,
            sub: cfg
                .flow
                .map(|fc| Box::new(super::pubsub::Subscription::new(fc, cfg.consumers))),
            cfg,
        };
        s.set_active_shards(s.cfg.shards as usize);
        s
    }

    fn new_shard(&self) -> Shard {
        let agg = self.cfg.aggregation as f64;
        Shard {
            buf: VecDeque::new(),
            records: 0,
            // Tokens count user records: KPL aggregation packs `agg` of them per stream record.
            write_records: self
                .cfg
                .write_records_per_s
                .map(|r| TokenBucket::new(r * agg, (r * agg).ceil() as u64)),
            write_bytes: self.cfg.write_bytes_per_s.map(|b| TokenBucket::new(b, b.ceil() as u64)),
            next_read_at: 0,
            since_checkpoint: 0,
            next_checkpoint: self.cfg.checkpoint_interval_ns,
            expiry_pending: false,
            throttled: 0,
            refused_need: 0,
            current: None,
            emitted: false,
            poll_pending: false,
        }
    }

    fn set_active_shards(&mut self, n: usize) {
        while self.shards.len() < n {
            let sh = self.new_shard();
            self.shards.push(sh);
        }
        self.active = n;
    }

    /// Shards currently accepting writes.
    pub fn active_shards(&self) -> usize {
        self.active
    }

    fn start(&mut self, ctx: &mut Ctx) {
        self.started = true;
        for (i, &(at, _)) in self.cfg.reshards.iter().enumerate() {
            ctx.schedule(at.max(ctx.now), payload(T_CONTROL, 0, 1 + i as u32));
        }
        if self.cfg.mode == CapacityMode::OnDemand {
            ctx.schedule(ctx.now + 900 * NS_PER_S, payload(T_CONTROL, 0, 0));
        }
    }

    fn worker_of(&self, s: usize) -> usize {
        s % self.workers.len()
    }

    /// Schedules shard `s`'s record processor to poll at `at`.
    fn schedule_poll(&mut self, ctx: &mut Ctx, s: usize, at: Nanos) {
        let gen = self.workers[self.worker_of(s)].gen;
        let sh = &mut self.shards[s];
        if sh.poll_pending || sh.current.is_some() {
            return;
        }
        sh.poll_pending = true;
        ctx.schedule(at.max(ctx.now), payload(T_POLL, gen, s as u32));
    }

    fn ensure_expiry(&mut self, ctx: &mut Ctx, s: usize) {
        let sh = &mut self.shards[s];
        if sh.expiry_pending {
            return;
        }
        if let Some(head) = sh.buf.front() {
            sh.expiry_pending = true;
            ctx.schedule(
                head.stage_arrival + self.cfg.retention_ns,
                payload(T_EXPIRE, 0, s as u32),
            );
        }
    }

    fn expire(&mut self, ctx: &mut Ctx, s: usize) {
        let ret = self.cfg.retention_ns;
        let sh = &mut self.shards[s];
        while let Some(head) = sh.buf.front() {
            if head.stage_arrival + ret > ctx.now {
                break;
            }
            let b = sh.buf.pop_front().expect("head");
            sh.records -= b.count;
            ctx.drop_records(DropReason::Expired, b.count);
        }
    }

    /// Shard `s`'s record processor polls: reads if it may, else waits.
    fn poll(&mut self, ctx: &mut Ctx, s: usize) {
        let now = ctx.now;
        if self.stopped || self.shards[s].current.is_some() {
            return;
        }
        let down = self.workers[self.worker_of(s)].down_until;
        if down > now {
            self.schedule_poll(ctx, s, down);
            return;
        }
        self.expire(ctx, s);
        let sh = &self.shards[s];
        if sh.buf.is_empty() {
            // Idle: GetRecords returned nothing; try again after the idle time.
            let at = now + self.cfg.poll_interval_ns;
            self.schedule_poll(ctx, s, at);
        } else if sh.next_read_at > now {
            let at = sh.next_read_at;
            self.schedule_poll(ctx, s, at);
        } else {
            self.read(ctx, s);
        }
    }

    /// One GetRecords call on shard `s`, then processing.
    fn read(&mut self, ctx: &mut Ctx, s: usize) {
        let cfg = &self.cfg;
        let sh = &mut self.shards[s];
        // One GetRecords call returns up to `records_per_read` records from
        // the head of the shard, across as many batches as that takes.
        let mut b = sh.buf.pop_front().expect("non-empty shard");
        if b.count > cfg.records_per_read {
            let part = b.split_off(cfg.records_per_read);
            sh.buf.push_front(b);
            b = part;
        }
        while let Some(next) = sh.buf.front_mut() {
            let room = cfg.records_per_read - b.count;
            if room == 0 {
                break;
            }
            if next.count > room {
                let part = next.split_off(room);
                b.absorb(&part);
                break;
            }
            let next = sh.buf.pop_front().expect("front");
            b.absorb(&next);
        }
        sh.records -= b.count;
        let read_time = 1e9 / cfg.reads_per_s;
        let byte_time = if cfg.read_bytes_per_s.is_finite() {
            b.bytes as f64 / cfg.read_bytes_per_s * 1e9
        } else {
            0.0
        };
        sh.next_read_at = ctx.now + round_ns(read_time.max(byte_time));
        ctx.record_wait(ctx.now - b.stage_arrival.min(ctx.now), b.count);
        self.iterator_age_max_ns = self.iterator_age_max_ns.max(ctx.now - b.stage_arrival.min(ctx.now));
        let t = round_ns(cfg.process.sample_sum(b.count, ctx.rng));
        sh.current = Some(b);
        sh.emitted = false;
        let gen = self.workers[s % self.workers.len()].gen;
        ctx.schedule(ctx.now + t, payload(T_DONE, gen, s as u32));
        self.ensure_expiry(ctx, s);
    }

    fn done(&mut self, ctx: &mut Ctx, s: usize) {
        let Some(b) = self.shards[s].current else { return };
        if let Some(deadline) = self.cfg.ack_deadline_ns {
            // Pub/Sub: processing longer than the ack deadline means the
            // message was redelivered meanwhile; the copy is a duplicate.
            let took = ctx.now - b.stage_arrival.min(ctx.now);
            if took > deadline && b.duplicates < b.count {
                let mut copy = b;
                copy.duplicates = copy.count;
                copy.stage_arrival = ctx.now;
                ctx.create_records(copy.count);
                self.redeliveries += copy.count;
                let sh = &mut self.shards[s];
                sh.records += copy.count;
                sh.buf.push_back(copy);
            }
        }
        let sh = &mut self.shards[s];
        if ctx.now >= sh.next_checkpoint {
            sh.since_checkpoint = 0;
            let k = self.cfg.checkpoint_interval_ns;
            sh.next_checkpoint = (ctx.now / k + 1) * k;
        }
        sh.since_checkpoint += b.count;
        self.bytes_out += b.bytes;
        let sh = &mut self.shards[s];
        sh.emitted = true;
        ctx.emit(s as u32, b);
    }

    /// A worker crashes: what it delivered since the last checkpoint is
    /// re-read (duplicates), what it was processing goes back unread, and its
    /// shards wait for the lease to fail over.
    pub fn crash_worker(&mut self, ctx: &mut Ctx, w: usize) {
        if w >= self.workers.len() {
            return;
        }
        self.crashes += 1;
        let nw = self.workers.len();
        let wk = &mut self.workers[w];
        wk.gen = wk.gen.wrapping_add(1);
        wk.down_until = ctx.now + self.cfg.failover_ns;
        for s in (0..self.shards.len()).filter(|s| s % nw == w) {
            let sh = &mut self.shards[s];
            sh.poll_pending = false;
            if !sh.emitted {
                if let Some(b) = sh.current.take() {
                    sh.records += b.count;
                    sh.buf.push_front(b);
                }
            }
            if ctx.now >= sh.next_checkpoint {
                sh.since_checkpoint = 0;
            }
            let n = sh.since_checkpoint;
            if n > 0 {
                let mut copy = Batch::new(n, 0, ctx.now);
                copy.duplicates = n;
                ctx.create_records(n);
                sh.records += n;
                sh.buf.push_front(copy);
                sh.since_checkpoint = 0;
            }
            self.ensure_expiry(ctx, s);
            let at = ctx.now + self.cfg.failover_ns;
            self.schedule_poll(ctx, s, at);
        }
    }

    /// Stops (or restarts) all consumer workers: records pile up and may expire.
    pub fn set_consumers_stopped(&mut self, ctx: &mut Ctx, stopped: bool) {
        self.stopped = stopped;
        if !stopped {
            for s in 0..self.shards.len() {
                self.schedule_poll(ctx, s, ctx.now);
            }
        }
    }

    /// Asks for `n` shards (UpdateShardCount): at most doubling or halving
    /// per call and `max_reshards_per_day` calls per 24 h; takes
    /// `reshard_time`. Returns false when refused.
    pub fn request_reshard(&mut self, ctx: &mut Ctx, n: u32) -> bool {
        let day = 86_400 * NS_PER_S;
        let now = ctx.now;
        self.reshard_times.retain(|&t| t + day > now);
        let cur = self.active as u32;
        let n = n.clamp(1, 20_000);
        if n == cur || self.reshard_times.len() as u32 >= self.cfg.max_reshards_per_day || n > cur * 2 || n * 2 < cur {
            if n != cur {
                self.reshards_refused += 1;
            }
            return false;
        }
        self.reshard_times.push(now);
        // Apply after the resharding time; index 0x4000 + n encodes the target.
        ctx.schedule(
            now + self.cfg.reshard_time_ns,
            payload(T_CONTROL, 0, 0x4000 | n.min(0x3fff)),
        );
        true
    }

    fn apply_reshard(&mut self, ctx: &mut Ctx, n: usize) {
        self.reshards_done += 1;
        self.shard_ns += self.active as u128 * (ctx.now - self.shards_since) as u128;
        self.shards_since = ctx.now;
        self.set_active_shards(n);
        for s in 0..self.shards.len() {
            self.schedule_poll(ctx, s, ctx.now);
        }
    }

    fn iterator_age_ns(&self, now: Nanos) -> Nanos {
        self.shards
            .iter()
            .filter_map(|s| s.buf.front())
            .map(|b| now.saturating_sub(b.stage_arrival))
            .max()
            .unwrap_or(0)
    }

    /// Current iterator age (the oldest unread record's age), in seconds.
    pub fn iterator_age_s(&self, now: Nanos) -> f64 {
        let ns = match &self.sub {
            Some(sub) => sub.oldest_age(now),
            None => self.iterator_age_ns(now),
        };
        ns as f64 / 1e9
    }

    // ------------------------------------------------------------ Pub/Sub

    /// Pub/Sub: delivers what flow control and ordering allow.
    fn pubsub_dispatch(&mut self, ctx: &mut Ctx) {
        if self.stopped {
            return;
        }
        let Some(sub) = self.sub.as_mut() else { return };
        let age = sub.dispatch(ctx, &self.cfg.process, |i| payload(T_DONE, 0, i), payload(T_POLL, 0, 0));
        self.iterator_age_max_ns = self.iterator_age_max_ns.max(age);
        self.pubsub_expiry(ctx);
    }

    fn pubsub_expiry(&mut self, ctx: &mut Ctx) {
        let retention = self.cfg.retention_ns;
        let Some(sub) = self.sub.as_mut() else { return };
        if sub.expiry_pending {
            return;
        }
        if let Some(at) = sub.next_expiry(retention) {
            sub.expiry_pending = true;
            ctx.schedule(at.max(ctx.now), payload(T_EXPIRE, 0, 0));
        }
    }

    fn pubsub_event(&mut self, ctx: &mut Ctx, kind: u32, index: u32) {
        let deadline = self.cfg.ack_deadline_ns;
        let retention = self.cfg.retention_ns;
        let Some(sub) = self.sub.as_mut() else { return };
        match kind {
            T_DONE => {
                if let Some(b) = sub.done(ctx, index, deadline) {
                    self.bytes_out += b.bytes;
                    ctx.emit(index, b);
                }
            }
            T_POLL => sub.woke(),
            T_EXPIRE => {
                sub.expiry_pending = false;
                sub.expire(ctx, retention);
            }
            _ => {}
        }
        self.pubsub_dispatch(ctx);
        self.pubsub_expiry(ctx);
    }

    /// Pub/Sub: operational changes act on subscribers, not shards.
    fn pubsub_control(&mut self, ctx: &mut Ctx, c: Control) -> Result<(), String> {
        let failover = self.cfg.failover_ns;
        let Some(sub) = self.sub.as_mut() else {
            return Ok(());
        };
        match c {
            Control::Stop => self.stopped = true,
            Control::Resume => self.stopped = false,
            Control::Crash(w) => {
                if w as usize >= sub.subscribers() {
                    return Err(format!(
                        "there is no subscriber {w} (subscribers are 0 to {})",
                        sub.subscribers() - 1
                    ));
                }
                self.crashes += 1;
                sub.crash(w as usize, ctx.now + failover);
            }
            Control::ScaleTo(n) => sub.set_subscribers(n.max(1) as usize),
            Control::ScaleBy(f) => {
                let n = ((sub.subscribers() as f64 * f).round() as usize).max(1);
                sub.set_subscribers(n);
            }
            Control::Slow(_) => {
                return Err("`slow` does not apply to a stream; slow its consumers' `process` instead".into())
            }
        }
        self.pubsub_dispatch(ctx);
        Ok(())
    }
}

impl StageModel for StreamStage {
    fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool) {
        let s = shard_of(batch.key, self.active);
        let sh = &mut self.shards[s];
        let mut room = u64::MAX;
        if let Some(tb) = &mut sh.write_records {
            room = room.min(tb.available(now));
        }
        if let Some(tb) = &mut sh.write_bytes {
            let bytes = tb.available(now);
            let per_record = (batch.bytes as f64 / batch.count as f64).max(1.0);
            room = room.min((bytes as f64 / per_record) as u64);
        }
        if room < batch.count {
            sh.throttled += batch.count - room;
            let per_record = batch.bytes.div_ceil(batch.count.max(1)).max(1);
            sh.refused_need = sh.refused_need.max(per_record);
        }
        (room, true)
    }

    fn next_room_at(&mut self, now: Nanos) -> Option<Nanos> {
        let mut best = None::<Nanos>;
        let any_refused = self.shards[..self.active].iter().any(|sh| sh.refused_need > 0);
        for sh in &mut self.shards[..self.active] {
            if any_refused && sh.refused_need == 0 || sh.write_records.is_none() && sh.write_bytes.is_none() {
                continue;
            }
            // A shard has room when both its record and byte limits allow
            // one more record; blocked senders wake at the first such shard.
            let need = std::mem::take(&mut sh.refused_need).max(1);
            let records = sh.write_records.as_mut().map_or(0, |tb| tb.time_until_one(now));
            let bytes = sh.write_bytes.as_mut().map_or(0, |tb| tb.time_until(now, need));
            let t = now + records.max(bytes);
            best = Some(best.map_or(t, |b| b.min(t)));
        }
        best
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        if let Some(sub) = self.sub.as_mut() {
            self.bytes_in += batch.bytes;
            sub.push(batch, false);
            self.pubsub_dispatch(ctx);
            return;
        }
        if !self.started {
            self.start(ctx);
        }
        let s = shard_of(batch.key, self.active);
        let sh = &mut self.shards[s];
        if let Some(tb) = &mut sh.write_records {
            tb.take(ctx.now, batch.count);
        }
        if let Some(tb) = &mut sh.write_bytes {
            tb.take(ctx.now, batch.bytes);
        }
        sh.records += batch.count;
        sh.buf.push_back(batch);
        self.window_bytes += batch.bytes;
        self.bytes_in += batch.bytes;
        // PUT payload units: each stream record (user records packed by KPL
        // aggregation) is billed in 25 KiB units, rounded up.
        // Counted in user-record units (× aggregation) so that single-record
        // batches pack across arrivals as the KPL does; divided at report time.
        let agg = self.cfg.aggregation as u64;
        let bytes_per_stream_record = (batch.bytes * agg).div_ceil(batch.count.max(1));
        self.put_units += batch.count * bytes_per_stream_record.div_ceil(25 * 1024).max(1);
        self.ensure_expiry(ctx, s);
        if !self.stopped {
            // An idle processor sees new data at its next poll, not instantly.
            let at = ctx.now + self.cfg.poll_interval_ns;
            self.schedule_poll(ctx, s, at);
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx, p: u32) {
        let (kind, gen, index) = (p >> 30, (p >> 16) & 0x3fff, (p & 0xffff) as usize);
        if self.sub.is_some() {
            self.pubsub_event(ctx, kind, index as u32);
            return;
        }
        match kind {
            T_POLL => {
                if index < self.shards.len() && self.workers[self.worker_of(index)].gen & 0x3fff == gen {
                    self.shards[index].poll_pending = false;
                    self.poll(ctx, index);
                }
            }
            T_DONE => {
                if index < self.shards.len() && self.workers[self.worker_of(index)].gen & 0x3fff == gen {
                    self.done(ctx, index);
                }
            }
            T_EXPIRE => {
                self.shards[index].expiry_pending = false;
                self.expire(ctx, index);
                self.ensure_expiry(ctx, index);
            }
            _ => {
                if index & 0x4000 != 0 {
                    self.apply_reshard(ctx, index & 0x3fff);
                } else if index == 0 {
                    // On-demand: resize to twice the peak of the last 15 minutes.
                    let window_s = (ctx.now - self.last_window_at) as f64 / 1e9;
                    let rate = self.window_bytes as f64 / window_s.max(1.0);
                    self.window_peak_bytes_per_s = self.window_peak_bytes_per_s.max(rate);
                    let per_shard = self.cfg.write_bytes_per_s.unwrap_or(1_048_576.0);
                    let want = ((2.0 * rate / per_shard).ceil() as usize).max(4);
                    if want > self.active {
                        self.apply_reshard(ctx, want);
                    }
                    self.window_bytes = 0;
                    self.last_window_at = ctx.now;
                    ctx.schedule(ctx.now + 900 * NS_PER_S, payload(T_CONTROL, 0, 0));
                } else if let Some(&(_, n)) = self.cfg.reshards.get(index - 1) {
                    self.request_reshard(ctx, n);
                }
            }
        }
    }

    fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        if let Some(sub) = self.sub.as_mut() {
            sub.release(slot);
            self.pubsub_dispatch(ctx);
            return;
        }
        let s = slot as usize;
        self.shards[s].current = None;
        self.shards[s].emitted = false;
        self.poll(ctx, s);
    }

    fn in_system(&self) -> u64 {
        if let Some(sub) = &self.sub {
            return sub.in_system();
        }
        let processing: u64 = self
            .shards
            .iter()
            .filter(|s| !s.emitted)
            .filter_map(|s| s.current.map(|c| c.count))
            .sum();
        self.shards.iter().map(|s| s.records).sum::<u64>() + processing
    }
    fn in_queue(&self) -> u64 {
        if let Some(sub) = &self.sub {
            return sub.records;
        }
        self.shards.iter().map(|s| s.records).sum()
    }
    fn busy(&self) -> u64 {
        if let Some(sub) = &self.sub {
            return sub.busy();
        }
        self.shards.iter().filter(|s| s.current.is_some()).count() as u64
    }
    fn servers(&self) -> Option<u64> {
        if let (Some(sub), Some(fc)) = (&self.sub, self.cfg.flow) {
            return Some(sub.subscribers() as u64 * fc.max_messages);
        }
        Some(self.shards.len() as u64)
    }

    fn control(&mut self, ctx: &mut Ctx, c: Control) -> Result<(), String> {
        if self.sub.is_some() {
            return self.pubsub_control(ctx, c);
        }
        match c {
            Control::Stop => self.set_consumers_stopped(ctx, true),
            Control::Resume => self.set_consumers_stopped(ctx, false),
            Control::Crash(w) => {
                if w as usize >= self.workers.len() {
                    return Err(format!(
                        "there is no consumer {w} (consumers are 0 to {})",
                        self.workers.len() - 1
                    ));
                }
                self.crash_worker(ctx, w as usize)
            }
            Control::ScaleTo(n) => {
                self.request_reshard(ctx, n);
            }
            Control::ScaleBy(f) => {
                let n = ((self.active as f64 * f).round() as u32).max(1);
                self.request_reshard(ctx, n);
            }
            Control::Slow(_) => {
                return Err("`slow` does not apply to a stream; slow its consumers' `process` instead".into())
            }
        }
        Ok(())
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let hot = self.shards.iter().map(|s| s.throttled).max().unwrap_or(0);
        let total: u64 = self.shards.iter().map(|s| s.throttled).sum();
        let mut v = vec![
            ("shards", self.active as f64),
            (
                "shard_hours",
                (self.shard_ns + self.active as u128 * (now - self.shards_since.min(now)) as u128) as f64 / 3.6e12,
            ),
            (
                "put_payload_units",
                self.put_units.div_ceil(self.cfg.aggregation as u64) as f64,
            ),
            ("bytes_in", self.bytes_in as f64),
            ("bytes_out", self.bytes_out as f64),
            ("iterator_age_s", self.iterator_age_s(now)),
            ("iterator_age_s_max", self.iterator_age_max_ns as f64 / 1e9),
            (
                "hot_shard_throttled_share",
                if total == 0 { 0.0 } else { hot as f64 / total as f64 },
            ),
            ("reshards", self.reshards_done as f64),
            ("reshards_refused", self.reshards_refused as f64),
            ("consumer_crashes", self.crashes as f64),
            (
                "redelivered_records",
                (self.redeliveries + self.sub.as_ref().map_or(0, |s| s.redelivered)) as f64,
            ),
        ];
        if let Some(sub) = &self.sub {
            v.extend([
                ("subscribers", sub.subscribers() as f64),
                ("outstanding_messages", sub.outstanding() as f64),
                ("outstanding_messages_max", sub.outstanding_max as f64),
                ("flow_control_paused_s", sub.paused_ns(now) as f64 / 1e9),
                ("out_of_order_records", sub.out_of_order as f64),
            ]);
        }
        v
    }
}
