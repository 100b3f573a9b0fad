//! `object_store`: an object store bucket (Amazon S3, Google Cloud Storage).
//!
//! Writes are limited per key prefix: each prefix has a token bucket of
//! `write_rate` requests per second (burst `burst`), and a batch goes to
//! prefix `batch.key % prefixes`. Requests over the limit are throttled (S3's
//! 503 SlowDown): the stage's room is a throughput-type limit, so `on_full`
//! decides whether the sender drops, blocks or retries.
//!
//! Requests per batch (the decision): by default every record is one object,
//! so one PUT request per record, and a batch that finds fewer tokens than
//! records is split (the rest throttled). With `objects_per_batch = k` a batch
//! is written as `min(k, records)` objects (a writer that packs records into
//! files, e.g. `1` = one object per batch); such a batch is all or nothing:
//! admitted only when that many tokens are there.
//!
//! Storage: bytes count as stored once their PUT completes. The stage keeps
//! the exact integer time integral of stored bytes (byte·nanoseconds) and
//! reports it as GB-months (GB = 2³⁰ bytes, month = 730 h, as the providers
//! bill). With `transition_after`, bytes move to a colder class at that age
//! (S3 Standard-IA / Glacier, GCS Nearline / Coldline), and both classes are
//! integrated separately.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::compile::dist_of;
use crate::scenario::schema::DistSpec;
use crate::scenario::units::{Duration, Rate};
use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos};
use crate::sim::token_bucket::TokenBucket;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "write requests per partitioned prefix",
        value: 3500.0,
        unit: "requests/s",
        source: "repost.aws knowledge-center http-5xx-errors-s3; docs.aws.amazon.com/athena \
                 performance-tuning-s3-throttling (pricing-and-limits.md §2 #40)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "read requests per partitioned prefix (not modelled)",
        value: 5500.0,
        unit: "requests/s",
        source: "pricing-and-limits.md §2 #40",
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "write requests per bucket, initial (autoscales)",
        value: 1000.0,
        unit: "requests/s",
        source: "cloud.google.com/storage/docs/request-rate ('approximately 1000 object write requests per \
                 second'); not in pricing-and-limits.md, and per bucket rather than per prefix",
        confirmed: false,
    },
];

pub const OBJECT_STORE: KindInfo = KindInfo {
    name: "object_store",
    aws: "Amazon S3",
    gcp: "Cloud Storage",
    help: "An object store bucket. Writes are rate-limited per key prefix (S3: 3,500 PUT/s per prefix; GCS: \
           about 1,000 writes/s per bucket before it autoscales, unconfirmed); `prefixes` spreads records by \
           key (key modulo prefixes), and writes over the limit are throttled like a 503 SlowDown (use \
           `on_full = \"reject\"` with a retry policy upstream). Each record is one PUT unless \
           `objects_per_batch` packs a batch into fewer objects. Each request takes `latency`; records then \
           pass on to `to`. Stored bytes are integrated exactly over time and reported as GB-months, split \
           by storage class when `transition_after` moves objects to a colder class. It does not model \
           reads, deletes or expiry, GCS autoscaling, multipart uploads or per-object minimum storage \
           durations.",
    params: &[
        super::choice("flavour", "s3 | gcs"),
        super::count("prefixes", "prefixes"),
        super::rate("write_rate", "write requests/s per prefix"),
        super::count("burst", "requests"),
        super::count("objects_per_batch", "objects per batch"),
        super::dur("latency", "s per request (or a distribution)"),
        super::dur("transition_after", "s"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which provider's defaults apply.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    S3,
    Gcs,
}

impl Flavour {
    /// Default write requests per second per prefix.
    fn write_rate(self) -> f64 {
        let provider = match self {
            Flavour::S3 => "AWS",
            Flavour::Gcs => "GCP",
        };
        LIMITS
            .iter()
            .find(|l| l.provider == provider && l.name.starts_with("write requests"))
            .map(|l| l.value)
            .expect("limit listed")
    }
}

/// An `object_store` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"s3"` (default) or `"gcs"`: whose defaults apply.
    pub flavour: Option<Flavour>,
    /// Number of key prefixes the load is spread over (default 1).
    pub prefixes: Option<u32>,
    /// Write requests per second per prefix (default: the flavour's limit).
    pub write_rate: Option<Rate>,
    /// Requests a prefix admits at once (default: one second of `write_rate`).
    pub burst: Option<u64>,
    /// Objects (PUT requests) per batch; default: one per record.
    pub objects_per_batch: Option<u64>,
    /// Time per request (default 20 ms).
    pub latency: Option<DistSpec<Duration>>,
    /// Age at which stored bytes move to the colder class.
    pub transition_after: Option<Duration>,
}

/// Builds an `object_store` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::S3);
    let mut errors = Vec::new();
    if env.capacity != u64::MAX {
        errors.push(ParamError::at(
            "capacity",
            "an `object_store` has no capacity in records: its limit is `write_rate` per prefix",
        ));
    }
    let prefixes = p.prefixes.unwrap_or(1);
    if prefixes == 0 {
        errors.push(ParamError::at("prefixes", "must be at least 1"));
    }
    let rate = p.write_rate.map_or(flavour.write_rate(), |r| r.0);
    if !(rate > 0.0 && rate.is_finite()) {
        errors.push(ParamError::at("write_rate", "must be more than zero"));
    }
    let burst = p.burst.unwrap_or_else(|| rate.ceil().max(1.0) as u64);
    if burst == 0 {
        errors.push(ParamError::at("burst", "must be at least 1 request"));
    }
    if let Some(k) = p.objects_per_batch {
        if k == 0 {
            errors.push(ParamError::at("objects_per_batch", "must be at least 1"));
        } else if k > burst {
            errors.push(ParamError::at(
                "objects_per_batch",
                format!("{k} objects could never be admitted at once with `burst` = {burst}"),
            ));
        }
    }
    let latency = match &p.latency {
        Some(d) => dist_of(d).unwrap_or_else(|e| {
            errors.push(ParamError::at("latency", e));
            Dist::Deterministic { value: 0.0 }
        }),
        None => Dist::Deterministic { value: 20e6 },
    };
    if p.transition_after.is_some_and(|d| d.0 == 0) {
        errors.push(ParamError::at("transition_after", "must be more than zero"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let model = ObjectStoreStage::new(
        prefixes,
        rate,
        burst,
        p.objects_per_batch,
        latency,
        p.transition_after.map(|d| d.0),
    );
    Ok(Built {
        model: Model::ObjectStore(model),
        routes: None,
    })
}

/// Bytes in a GB as storage is billed (GiB).
const BYTES_PER_GB: u128 = 1 << 30;
/// A billing month: 730 hours, in nanoseconds.
const NS_PER_MONTH: u128 = 730 * 3600 * 1_000_000_000;

/// Stored bytes per class and their exact time integrals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Storage {
    standard: u64,
    cold: u64,
    /// ∫ standard bytes dt, in byte·nanoseconds.
    area_standard: u128,
    /// ∫ cold bytes dt, in byte·nanoseconds.
    area_cold: u128,
    last: Nanos,
}

impl Storage {
    fn integrate(&mut self, t: Nanos) {
        if t > self.last {
            let dt = (t - self.last) as u128;
            self.area_standard += self.standard as u128 * dt;
            self.area_cold += self.cold as u128 * dt;
            self.last = t;
        }
    }

    /// Integrates up to `now`, moving each cohort (written at, bytes) whose
    /// age reaches `age` at its exact transition time. Returns how many
    /// cohorts (from the front) moved.
    fn advance<'a>(
        &mut self,
        now: Nanos,
        age: Option<Nanos>,
        cohorts: impl Iterator<Item = &'a (Nanos, u64)>,
    ) -> usize {
        let mut moved = 0;
        if let Some(age) = age {
            for &(written, bytes) in cohorts {
                let at = written.saturating_add(age);
                if at > now {
                    break;
                }
                self.integrate(at);
                self.standard -= bytes;
                self.cold += bytes;
                moved += 1;
            }
        }
        self.integrate(now);
        moved
    }
}

/// The engine model of an `object_store` stage.
#[derive(Clone, Debug)]
pub struct ObjectStoreStage {
    /// One write-request bucket per prefix.
    prefixes: Vec<TokenBucket>,
    objects_per_batch: Option<u64>,
    /// Time per request, in nanoseconds.
    latency: Dist,
    transition_ns: Option<Nanos>,
    /// Writes close together are one cohort (bounded memory): a cohort
    /// transitions at its first write's age, at most this much early.
    coalesce_ns: Nanos,
    cohorts: VecDeque<(Nanos, u64)>,
    storage: Storage,
    slab: crate::sim::slab::BatchSlab,
    writing_records: u64,
    /// The prefix and tokens the last short room was waiting for.
    short: Option<(usize, u64)>,
    put_requests: u64,
    bytes_written: u64,
}

impl ObjectStoreStage {
    /// A store with `prefixes` prefixes of `rate` writes/s (burst `burst`),
    /// `latency` in nanoseconds and an optional transition age in nanoseconds.
    pub fn new(
        prefixes: u32,
        rate: f64,
        burst: u64,
        objects_per_batch: Option<u64>,
        latency: Dist,
        transition_ns: Option<Nanos>,
    ) -> Self {
        ObjectStoreStage {
            prefixes: (0..prefixes).map(|_| TokenBucket::new(rate, burst)).collect(),
            objects_per_batch,
            latency,
            transition_ns,
            coalesce_ns: transition_ns.map_or(0, |t| t / 1024),
            cohorts: VecDeque::new(),
            storage: Storage::default(),
            slab: crate::sim::slab::BatchSlab::default(),
            writing_records: 0,
            short: None,
            put_requests: 0,
            bytes_written: 0,
        }
    }

    fn prefix_of(&self, batch: &Batch) -> usize {
        batch.key as usize % self.prefixes.len()
    }

    /// PUT requests needed to write `batch`.
    fn requests(&self, batch: &Batch) -> u64 {
        self.objects_per_batch.map_or(batch.count, |k| k.min(batch.count))
    }

    fn advance(&mut self, now: Nanos) {
        let moved = self.storage.advance(now, self.transition_ns, self.cohorts.iter());
        self.cohorts.drain(..moved);
    }

    /// The storage as it will be at `now` (for reports, without mutating).
    fn storage_at(&self, now: Nanos) -> Storage {
        let mut s = self.storage;
        s.advance(now, self.transition_ns, self.cohorts.iter());
        s
    }
}

impl StageModel for ObjectStoreStage {
    /// Tokens of the batch's prefix, in records (per-record objects), or
    /// all-or-nothing for packed objects. Throughput-type: a throttle.
    fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool) {
        let p = self.prefix_of(batch);
        let tokens = self.prefixes[p].available(now);
        let need = self.requests(batch);
        if tokens >= need {
            return (batch.count, true);
        }
        match self.objects_per_batch {
            None => {
                self.short = Some((p, 1));
                (tokens, true)
            }
            Some(_) => {
                self.short = Some((p, need));
                (0, true)
            }
        }
    }

    fn next_room_at(&mut self, now: Nanos) -> Option<Nanos> {
        let (p, need) = self.short?;
        Some(now + self.prefixes[p].time_until(now, need))
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let s = self.storage_at(now);
        let gbm = |a: u128| a as f64 / (BYTES_PER_GB * NS_PER_MONTH) as f64;
        vec![
            ("put_requests", self.put_requests as f64),
            ("bytes_written", self.bytes_written as f64),
            ("stored_bytes", (s.standard + s.cold) as f64),
            ("stored_bytes_standard", s.standard as f64),
            ("stored_bytes_cold", s.cold as f64),
            ("gb_months", gbm(s.area_standard + s.area_cold)),
            ("gb_months_standard", gbm(s.area_standard)),
            ("gb_months_cold", gbm(s.area_cold)),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        ctx.record_wait(0, batch.count);
        let p = self.prefix_of(&batch);
        let n = self.requests(&batch);
        self.prefixes[p].take(ctx.now, n);
        self.put_requests += n;
        let slot = self.slab.insert(batch);
        self.writing_records += batch.count;
        // The batch's requests run in parallel: one latency for all of them.
        let d = round_ns(self.latency.sample(ctx.rng));
        ctx.schedule(ctx.now + d, slot);
    }

    /// The PUTs completed: the bytes are stored, and the records move on.
    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let b = self.slab.get(slot);
        let now = ctx.now;
        self.advance(now);
        self.storage.standard += b.bytes;
        self.bytes_written += b.bytes;
        if self.transition_ns.is_some() && b.bytes > 0 {
            match self.cohorts.back_mut() {
                Some(c) if now - c.0 <= self.coalesce_ns => c.1 += b.bytes,
                _ => self.cohorts.push_back((now, b.bytes)),
            }
        }
        self.writing_records -= b.count;
        ctx.emit(slot, b);
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.slab.remove(slot);
    }

    fn in_system(&self) -> u64 {
        self.writing_records
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

    const S: Nanos = 1_000_000_000;

    #[test]
    fn storage_integral_moves_cohorts_at_their_exact_age() {
        // 100 bytes written at 0 s and 100 more at 10 s; transition age 15 s,
        // so the first cohort moves at 15 s and the second at 25 s. To 30 s:
        //   standard = 100 B·10 s [0,10) + 200·5 [10,15) + 100·10 [15,25) = 3,000 B·s,
        //   cold     = 100 B·10 s [15,25) + 200·5 [25,30)                  = 2,000 B·s.
        let mut st = Storage::default();
        let cohorts = [(0, 100u64), (10 * S, 100u64)];
        st.standard = 100;
        assert_eq!(st.advance(10 * S, Some(15 * S), cohorts[..1].iter()), 0);
        st.standard += 100;
        assert_eq!(st.advance(30 * S, Some(15 * S), cohorts.iter()), 2);
        assert_eq!((st.standard, st.cold), (0, 200));
        assert_eq!(st.area_standard, 3_000 * S as u128);
        assert_eq!(st.area_cold, 2_000 * S as u128);
    }

    #[test]
    fn room_is_per_prefix_tokens_or_all_or_nothing_for_packed_objects() {
        let mut s = ObjectStoreStage::new(2, 10.0, 10, None, Dist::Deterministic { value: 0.0 }, None);
        let mut b = Batch::new(15, 0, 0);
        assert_eq!(s.room(0, &b), (10, true));
        b.key = 1;
        assert_eq!(s.room(0, &b), (10, true));
        s.prefixes[1].take(0, 10);
        assert_eq!(s.room(0, &b), (0, true));
        // One token every 100 ms.
        assert_eq!(s.next_room_at(0), Some(100_000_000));
        let mut packed = ObjectStoreStage::new(1, 10.0, 10, Some(4), Dist::Deterministic { value: 0.0 }, None);
        packed.prefixes[0].take(0, 6);
        assert_eq!(packed.room(0, &Batch::new(15, 0, 0)), (15, true), "4 objects, 4 tokens");
        packed.prefixes[0].take(0, 1);
        assert_eq!(packed.room(0, &Batch::new(15, 0, 0)), (0, true), "4 objects, 3 tokens");
        assert_eq!(
            packed.room(0, &Batch::new(2, 0, 0)),
            (2, true),
            "2 records are 2 objects"
        );
        // Needs 4 tokens with 3 left: one more in 100 ms.
        packed.room(0, &Batch::new(15, 0, 0));
        assert_eq!(packed.next_room_at(0), Some(100_000_000));
    }
}
