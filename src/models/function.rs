//! `function`: a serverless function (AWS Lambda, Google Cloud Functions).
//!
//! Each invocation runs in its own execution environment; at most
//! `concurrency` invocations run at once. An arriving batch is split into
//! invocations of up to `batch_size` records each (a stream trigger hands a
//! function a batch of records; with `batch_size = 1` every record is its own
//! invocation). There is no waiting queue: when all concurrency is in use new
//! work is *throttled*, so the stage's room is a throughput-type limit and the
//! stage's `on_full` decides what the sender sees (with `reject`, the sender
//! retries with back-off and then dead-letters, as a Lambda caller would on a
//! 429 `TooManyRequestsException`).
//!
//! Cold starts: an invocation that finds no idle warm environment pays
//! `cold_start` extra time. An environment stays warm for `keep_warm` after
//! its invocation ends; the most recently used warm environment is reused
//! first, so under a steady load the pool shrinks to what the load needs and
//! a burst after a long idle period is all cold.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::compile::dist_of;
use crate::scenario::schema::DistSpec;
use crate::scenario::units::Duration;
use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos, NS_PER_S};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "concurrent executions (default, per region)",
        value: 1000.0,
        unit: "executions",
        source: "docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (pricing-and-limits.md §2 #16)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "maximum memory",
        value: 10240.0,
        unit: "MB",
        source: "docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (pricing-and-limits.md §2 #18)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "default memory",
        value: 128.0,
        unit: "MB",
        source: "Lambda console/API default; not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "typical cold start (model default)",
        value: 0.25,
        unit: "s",
        source: "commonly quoted figure; AWS publishes none",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "idle environment kept warm (model default)",
        value: 300.0,
        unit: "s",
        source: "commonly quoted figure; AWS publishes none",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "maximum instances (default, 2nd gen; 1st gen 3,000)",
        value: 100.0,
        unit: "instances",
        source: "cloud.google.com/functions/docs/configuring/max-instances",
        confirmed: true,
    },
    Limit {
        provider: "GCP",
        name: "maximum memory (2nd gen)",
        value: 32768.0,
        unit: "MB",
        source: "not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "default memory",
        value: 256.0,
        unit: "MB",
        source: "not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "typical cold start (model default)",
        value: 0.5,
        unit: "s",
        source: "commonly quoted figure; Google publishes none",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "idle instance kept warm (model default)",
        value: 900.0,
        unit: "s",
        source: "commonly quoted figure; Google publishes none",
        confirmed: false,
    },
];

pub const FUNCTION: KindInfo = KindInfo {
    name: "function",
    aws: "AWS Lambda",
    gcp: "Cloud Functions",
    help: "A serverless function: at most `concurrency` invocations run at once, each handling up to \
           `batch_size` records of an arriving batch (larger batches become several invocations) for a time \
           drawn from `duration` (plus `per_record` per record). An invocation that finds no warm environment \
           pays `cold_start`; environments stay warm for `keep_warm` after finishing, so steady load is mostly \
           warm and a burst after idleness is cold. When all concurrency is in use new work is throttled \
           (`on_full = \"reject\"` makes the sender retry with back-off, then dead-letter). GB-seconds \
           (`memory_mb` × time an environment is occupied, cold start included) and invocations are measured \
           for cost. It does not model the asynchronous-invocation queue, timeouts, per-1-ms billing \
           rounding, provisioned concurrency or the scaling-rate limit.",
    params: &[
        super::choice("flavour", "lambda | cloud_functions"),
        super::count("concurrency", "concurrent executions"),
        super::count("batch_size", "records per invocation"),
        super::dur("duration", "s per invocation (or a distribution)"),
        super::dur("per_record", "s per record (or a distribution)"),
        super::dur("cold_start", "s (or a distribution)"),
        super::dur("keep_warm", "s"),
        super::count("memory_mb", "MB of memory"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which provider's defaults apply.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Lambda,
    CloudFunctions,
}

impl Flavour {
    /// (concurrency, memory MB, max memory MB, cold start s, keep warm s).
    fn defaults(self) -> (u64, u64, u64, f64, f64) {
        let pick = |provider: &str, name: &str| {
            LIMITS
                .iter()
                .find(|l| l.provider == provider && l.name.starts_with(name))
                .map(|l| l.value)
                .expect("limit listed")
        };
        let p = match self {
            Flavour::Lambda => "AWS",
            Flavour::CloudFunctions => "GCP",
        };
        let conc = match self {
            Flavour::Lambda => pick(p, "concurrent executions"),
            Flavour::CloudFunctions => pick(p, "maximum instances"),
        };
        (
            conc as u64,
            pick(p, "default memory") as u64,
            pick(p, "maximum memory") as u64,
            pick(p, "typical cold start"),
            pick(p, "idle"),
        )
    }
}

/// A `function` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"lambda"` (default) or `"cloud_functions"`: whose defaults apply.
    pub flavour: Option<Flavour>,
    /// Maximum concurrent invocations (environments busy at once).
    pub concurrency: Option<u64>,
    /// Maximum records per invocation (default 1).
    pub batch_size: Option<u64>,
    /// Run time per invocation (required).
    pub duration: Option<DistSpec<Duration>>,
    /// Extra run time per record of the invocation's batch.
    pub per_record: Option<DistSpec<Duration>>,
    /// Extra time an invocation pays when it needs a new environment.
    pub cold_start: Option<DistSpec<Duration>>,
    /// How long an idle environment stays warm.
    pub keep_warm: Option<Duration>,
    /// Memory size in MB (MiB, as both providers mean it): GB-s = MB / 1024 × s.
    pub memory_mb: Option<u64>,
}

fn dist(key: &str, d: &DistSpec<Duration>, errors: &mut Vec<ParamError>) -> Dist {
    dist_of(d).unwrap_or_else(|e| {
        errors.push(ParamError::at(key, e));
        Dist::Deterministic { value: 0.0 }
    })
}

/// Builds a `function` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::Lambda);
    let (conc, mem, max_mem, cold_s, warm_s) = flavour.defaults();
    let mut errors = Vec::new();
    if env.capacity != u64::MAX {
        errors.push(ParamError::at(
            "capacity",
            "a `function` has no waiting queue: its limit is `concurrency` (work beyond it is throttled)",
        ));
    }
    let concurrency = p.concurrency.unwrap_or(conc);
    if concurrency == 0 || concurrency > u32::MAX as u64 {
        errors.push(ParamError::at("concurrency", "must be at least 1 (and below 2³²)"));
    }
    let batch_size = p.batch_size.unwrap_or(1);
    if batch_size == 0 {
        errors.push(ParamError::at("batch_size", "must be at least 1 record"));
    }
    let memory_mb = p.memory_mb.unwrap_or(mem);
    if memory_mb == 0 || memory_mb > max_mem {
        errors.push(ParamError::at(
            "memory_mb",
            format!("must be between 1 and {max_mem} MB for this flavour"),
        ));
    }
    let duration = match &p.duration {
        Some(d) => dist("duration", d, &mut errors),
        None => {
            errors.push(ParamError::stage(
                "a `function` needs `duration` (run time per invocation), like \"120ms\"",
            ));
            Dist::Deterministic { value: 0.0 }
        }
    };
    let per_record = p.per_record.as_ref().map(|d| dist("per_record", d, &mut errors));
    let cold_start = match &p.cold_start {
        Some(d) => dist("cold_start", d, &mut errors),
        None => Dist::Deterministic { value: cold_s * 1e9 },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let keep_warm_ns = p.keep_warm.map_or((warm_s * NS_PER_S as f64) as Nanos, |d| d.0);
    let model = FunctionStage::new(FunctionConfig {
        concurrency,
        batch_size,
        duration,
        per_record,
        cold_start,
        keep_warm_ns,
        memory_mb,
    });
    Ok(Built {
        model: Model::Function(model),
        routes: None,
    })
}

/// What a [`FunctionStage`] is built from.
#[derive(Clone, Debug)]
pub struct FunctionConfig {
    /// Maximum concurrent invocations.
    pub concurrency: u64,
    /// Maximum records per invocation.
    pub batch_size: u64,
    /// Run time per invocation, in nanoseconds.
    pub duration: Dist,
    /// Extra run time per record, in nanoseconds.
    pub per_record: Option<Dist>,
    /// Extra time of a cold start, in nanoseconds.
    pub cold_start: Dist,
    /// How long an idle environment stays warm, in nanoseconds.
    pub keep_warm_ns: Nanos,
    /// Memory size in MB (MiB).
    pub memory_mb: u64,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    batch: Batch,
    /// When the invocation started (its environment became busy).
    started: Nanos,
    /// True while running; false once emitted (held until released).
    running: bool,
    /// True from start until released (the environment is busy).
    used: bool,
}

/// The engine model of a `function` stage.
#[derive(Clone, Debug)]
pub struct FunctionStage {
    cfg: FunctionConfig,
    /// One slot per busy environment; grown on demand up to `concurrency`.
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Environments busy (running or holding an emitted output).
    busy: u64,
    running_records: u64,
    /// Idle warm environments: the time each became idle, oldest first.
    /// Reuse takes the newest (back); expiry removes from the front.
    warm: VecDeque<Nanos>,
    invocations: u64,
    cold_starts: u64,
    /// Occupied time of finished invocations, in nanoseconds (exact).
    occupied_ns: u128,
    max_busy: u64,
}

impl FunctionStage {
    /// A function stage from its configuration.
    pub fn new(cfg: FunctionConfig) -> Self {
        FunctionStage {
            cfg,
            slots: Vec::new(),
            free: Vec::new(),
            busy: 0,
            running_records: 0,
            warm: VecDeque::new(),
            invocations: 0,
            cold_starts: 0,
            occupied_ns: 0,
            max_busy: 0,
        }
    }

    /// Environments idle for `keep_warm` or longer are gone.
    fn expire(&mut self, now: Nanos) {
        while let Some(&idle) = self.warm.front() {
            if idle.saturating_add(self.cfg.keep_warm_ns) <= now {
                self.warm.pop_front();
            } else {
                break;
            }
        }
    }

    /// Starts one invocation on `batch` (at most `batch_size` records).
    fn invoke(&mut self, ctx: &mut Ctx, batch: Batch) {
        let now = ctx.now;
        self.expire(now);
        let cold = self.warm.pop_back().is_none();
        let mut t = self.cfg.duration.sample(ctx.rng);
        if let Some(pr) = &self.cfg.per_record {
            t += pr.sample_sum(batch.count, ctx.rng);
        }
        if cold {
            t += self.cfg.cold_start.sample(ctx.rng);
            self.cold_starts += 1;
        }
        self.invocations += 1;
        let slot = Slot {
            batch,
            started: now,
            running: true,
            used: true,
        };
        let id = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() as u32 - 1
            }
        };
        self.busy += 1;
        self.max_busy = self.max_busy.max(self.busy);
        debug_assert!(self.busy <= self.cfg.concurrency, "concurrency exceeded");
        self.running_records += batch.count;
        ctx.schedule(now + round_ns(t).max(1), id);
    }

    /// Occupied nanoseconds so far, including invocations still busy at `now`.
    fn occupied_at(&self, now: Nanos) -> u128 {
        let running: u128 = self
            .slots
            .iter()
            .filter(|s| s.used)
            .map(|s| (now - s.started.min(now)) as u128)
            .sum();
        self.occupied_ns + running
    }
}

impl StageModel for FunctionStage {
    /// Free concurrency times `batch_size` records: the invocations an
    /// accepted part needs (`ceil(records / batch_size)`) always fit. It is a
    /// throughput-type limit (throttling), not capacity: held outputs are
    /// already counted as busy environments.
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        let free = self.cfg.concurrency - self.busy;
        (free.saturating_mul(self.cfg.batch_size), true)
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let gb_s = self.occupied_at(now) as f64 * self.cfg.memory_mb as f64 / 1024.0 / NS_PER_S as f64;
        let warm = self
            .warm
            .iter()
            .filter(|&&idle| idle.saturating_add(self.cfg.keep_warm_ns) > now)
            .count();
        vec![
            ("invocations", self.invocations as f64),
            ("cold_starts", self.cold_starts as f64),
            (
                "cold_start_fraction",
                if self.invocations == 0 {
                    0.0
                } else {
                    self.cold_starts as f64 / self.invocations as f64
                },
            ),
            ("gb_seconds", gb_s),
            ("max_concurrent_invocations", self.max_busy as f64),
            ("concurrency_limit", self.cfg.concurrency as f64),
            ("warm_environments", warm as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, mut batch: Batch) {
        // No queue: records start at once.
        ctx.record_wait(0, batch.count);
        while batch.count > self.cfg.batch_size {
            let part = batch.split_off(self.cfg.batch_size);
            self.invoke(ctx, part);
        }
        self.invoke(ctx, batch);
    }

    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let s = &mut self.slots[slot as usize];
        debug_assert!(s.running);
        s.running = false;
        self.running_records -= s.batch.count;
        ctx.emit(slot, s.batch);
    }

    /// The invocation's output has been placed: its environment goes idle
    /// and warm (it stays busy, and billed, while blocked downstream).
    fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.used = false;
        self.occupied_ns += (ctx.now - s.started) as u128;
        self.busy -= 1;
        self.free.push(slot);
        self.warm.push_back(ctx.now);
    }

    fn in_system(&self) -> u64 {
        self.running_records
    }
    fn in_queue(&self) -> u64 {
        0
    }
    fn busy(&self) -> u64 {
        self.busy
    }
    fn servers(&self) -> Option<u64> {
        Some(self.cfg.concurrency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::event::EventQueue;
    use crate::sim::metrics::StageMetrics;
    use crate::sim::rng::Stream;
    use crate::sim::stage::Output;

    fn stage(concurrency: u64, batch_size: u64, keep_warm_ns: Nanos) -> FunctionStage {
        FunctionStage::new(FunctionConfig {
            concurrency,
            batch_size,
            duration: Dist::Deterministic { value: 100e6 },
            per_record: None,
            cold_start: Dist::Deterministic { value: 50e6 },
            keep_warm_ns,
            memory_mb: 1024,
        })
    }

    struct Harness {
        rng: Stream,
        metrics: StageMetrics,
        events: EventQueue,
        out: Vec<Output>,
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                rng: Stream::new(1, "test"),
                metrics: StageMetrics::default(),
                events: EventQueue::default(),
                out: Vec::new(),
            }
        }
        fn ctx(&mut self, now: Nanos) -> Ctx<'_> {
            Ctx {
                now,
                stage: 0,
                rng: &mut self.rng,
                metrics: &mut self.metrics,
                events: &mut self.events,
                out: &mut self.out,
            }
        }
    }

    #[test]
    fn room_counts_records_as_free_invocations_times_batch_size() {
        let mut f = stage(3, 10, NS_PER_S);
        let mut h = Harness::new();
        let b = Batch::new(25, 2500, 0);
        assert_eq!(f.room(0, &b), (30, true));
        // 25 records at 10 per invocation: 3 invocations (10, 10, 5).
        f.accept(&mut h.ctx(0), b);
        assert_eq!((f.busy(), f.in_system(), f.invocations), (3, 25, 3));
        assert_eq!(f.room(0, &b), (0, true), "all concurrency in use: throttled");
        assert_eq!(f.extra(0)[4], ("max_concurrent_invocations", 3.0));
    }

    #[test]
    fn warm_environments_are_reused_until_keep_warm_passes() {
        let mut f = stage(2, 1, 1_000 * 1_000_000);
        let mut h = Harness::new();
        f.accept(&mut h.ctx(0), Batch::new(1, 1, 0));
        assert_eq!(f.cold_starts, 1);
        // Cold: 100 ms run + 50 ms cold start, then released at 150 ms.
        f.on_event(&mut h.ctx(150_000_000), 0);
        f.release(&mut h.ctx(150_000_000), 0);
        // 999 ms idle: still warm.
        f.accept(&mut h.ctx(1_149_000_000), Batch::new(1, 1, 0));
        assert_eq!((f.invocations, f.cold_starts), (2, 1));
        f.on_event(&mut h.ctx(1_249_000_000), 0);
        f.release(&mut h.ctx(1_249_000_000), 0);
        // Exactly keep_warm idle: reclaimed, so cold again.
        f.accept(&mut h.ctx(2_249_000_000), Batch::new(1, 1, 0));
        assert_eq!((f.invocations, f.cold_starts), (3, 2));
        // GB-s so far: (150 + 100) ms finished + 0 running, at 1 GB.
        let gb = f.extra(2_249_000_000)[3].1;
        assert!((gb - 0.25).abs() < 1e-12, "{gb}");
    }
}
