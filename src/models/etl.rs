//! `etl`: a managed ETL job (AWS Glue, Google Cloud Dataflow).
//!
//! In `batch` mode records accumulate between scheduled runs (every
//! `schedule`, aligned to multiples of it while records wait); each run takes
//! everything accumulated, pays the job's `startup` and then processes the
//! records on its workers. In `streaming` mode the job starts once and then
//! processes whatever has accumulated, run after run, with no further
//! start-up. A run's processing time is
//! `max(records × per_record / workers, hottest partition × per_record)`:
//! the input is split into `partitions`, and with a `skew` factor the hottest
//! partition holds `skew` times the mean partition's records, so under heavy
//! skew the slowest partition sets the job's time whatever the worker count.
//! With `max_workers` the job autoscales (Dataflow): each run uses enough
//! workers to finish its processing within the target (the schedule in
//! batch mode, 60 s in streaming), between `min_workers` and `max_workers`.
//!
//! Schema evolution: `schema_changes` are producer schema changes at given
//! times. Records whose event time lies after a change (and before
//! `schema_fix` has passed, if given) are affected: without a schema
//! registry every change breaks them (the job fails on them: counted as
//! `schema_failures`, dropped with reason `schema`); with
//! `schema_registry = true` compatible changes pass and incompatible
//! producers are rejected by the registry (counted as `schema_rejected`,
//! dropped with reason `schema`). When the stage names a `dead_letter`
//! stage, those records go there instead (as records that can be counted
//! and inspected downstream, like a Glue job writing bad records to an
//! error path or a Dataflow dead-letter output), and are not dropped.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::Duration;
use crate::sim::batch::Batch;
use crate::sim::metrics::DropReason;
use crate::sim::stage::{Control, Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos, NS_PER_S};
use serde::{Deserialize, Serialize};

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "DPU size (vCPU; 16 GB memory)",
        value: 4.0,
        unit: "vCPU",
        source: "aws.amazon.com/jp/glue/pricing; docs.ansible.com aws_glue_job (pricing-and-limits.md limits #31)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "DPUs per job (default; legacy 2-100)",
        value: 10.0,
        unit: "DPU",
        source: "docs.ansible.com aws_glue_job module (pricing-and-limits.md limits #32)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "MaxConcurrentRuns per job (default)",
        value: 1.0,
        unit: "runs",
        source: "docs.aws.amazon.com AWS::Glue::Job ExecutionProperty (pricing-and-limits.md limits #34)",
        confirmed: true,
    },
    Limit {
        provider: "AWS",
        name: "job start-up (model default)",
        value: 30.0,
        unit: "s",
        source: "commonly quoted for Glue 2.0+; not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "workers (model default)",
        value: 1.0,
        unit: "workers",
        source: "not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "GCP",
        name: "job start-up (model default)",
        value: 180.0,
        unit: "s",
        source: "commonly quoted for Dataflow worker boot; not in the stored reference",
        confirmed: false,
    },
];

pub const ETL: KindInfo = KindInfo {
    name: "etl",
    aws: "AWS Glue",
    gcp: "Dataflow",
    help: "A managed ETL job. In `batch` mode records accumulate between runs every `schedule`; each run pays \
           `startup`, then takes records × `per_record` / `workers` (DPUs on Glue: 4 vCPU + 16 GB each), or the \
           hottest of `partitions` if the input is skewed (`skew` = hottest partition / mean), whichever is \
           longer. `mode = \"streaming\"` starts once and processes what accumulates run after run. \
           `max_workers` autoscales each run between `min_workers` and `max_workers` (Dataflow). \
           `schema_changes` ({ at, compatible }) change the producers' schema: without `schema_registry` \
           every change breaks the records produced after it (`schema_failures`), with it compatible changes \
           pass and incompatible producers are rejected (`schema_rejected`); both are dropped with reason \
           `schema` (until `schema_fix` has passed, if given), or sent to the stage's `dead_letter` stage \
           when it names one. `flavour = \"onprem\"` is a fixed set of on-premises \
           ETL servers (`workers`), priced per server-hour of the run from assumed `onprem.*` rows. Worker-hours (`dpu_hours`) are measured for \
           cost. It does not model job bookmarks, retries of failed runs, memory limits or the one-minute \
           billing minimum (`scale` and `slow` apply to later runs); a run due while one is still running is skipped (`runs_skipped`), as Glue's \
           default MaxConcurrentRuns = 1 does.",
    params: &[
        super::choice("flavour", "glue | dataflow | onprem"),
        super::choice("mode", "batch | streaming"),
        super::dur("schedule", "s between batch runs"),
        super::count("workers", "workers (DPUs)"),
        super::count("min_workers", "workers"),
        super::count("max_workers", "workers"),
        super::dur("per_record", "s per record per worker"),
        super::dur("startup", "s per run"),
        super::count("partitions", "partitions"),
        super::ratio("skew", "hottest / mean partition (≥ 1)"),
        super::table("schema_changes", "[{ at, compatible }]"),
        super::flag("schema_registry"),
        super::dur("schema_fix", "s to fix a schema failure"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which service's defaults apply.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    Glue,
    Dataflow,
    /// On-premises ETL servers (fixed `workers`), priced per server-hour
    /// from the `onprem.*` rows of the catalogue (assumptions).
    Onprem,
}

/// Scheduled batch runs or a continuously running job.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Batch,
    Streaming,
}

/// A producer schema change.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SchemaChange {
    /// When producers switch to the new schema (simulated time).
    pub at: Duration,
    /// Whether the new schema is backward compatible.
    pub compatible: bool,
}

/// An `etl` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"glue"` (default) or `"dataflow"`.
    pub flavour: Option<Flavour>,
    /// `"batch"` (default) or `"streaming"`.
    pub mode: Option<Mode>,
    /// Interval between batch runs (default 1 h).
    pub schedule: Option<Duration>,
    /// Workers (Glue DPUs / Dataflow workers) per run.
    pub workers: Option<u64>,
    /// Autoscaling floor (default 1).
    pub min_workers: Option<u64>,
    /// Autoscaling ceiling; autoscaling is on when given.
    pub max_workers: Option<u64>,
    /// Processing time of one record on one worker (required).
    pub per_record: Option<Duration>,
    /// Job start-up time per run (batch) or once (streaming).
    pub startup: Option<Duration>,
    /// Input partitions per run (default 4 per worker).
    pub partitions: Option<u64>,
    /// Hottest partition's records / mean partition's records (default 1).
    pub skew: Option<f64>,
    /// Producer schema changes.
    pub schema_changes: Option<Vec<SchemaChange>>,
    /// Whether a schema registry checks producers (default false).
    pub schema_registry: Option<bool>,
    /// How long after a change producers/jobs are fixed (default: never).
    pub schema_fix: Option<Duration>,
}

/// Builds an `etl` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::Glue);
    let pick = |provider: &str, name: &str| {
        LIMITS
            .iter()
            .find(|l| l.provider == provider && l.name.starts_with(name))
            .map(|l| l.value)
            .expect("limit listed")
    };
    let (def_workers, def_startup_s) = match flavour {
        Flavour::Glue | Flavour::Onprem => (pick("AWS", "DPUs per job"), pick("AWS", "job start-up")),
        Flavour::Dataflow => (pick("GCP", "workers"), pick("GCP", "job start-up")),
    };
    let mut errors = Vec::new();
    let mode = p.mode.unwrap_or(Mode::Batch);
    if mode == Mode::Streaming && p.schedule.is_some() {
        errors.push(ParamError::at(
            "schedule",
            "a streaming job has no schedule; remove it or use mode = \"batch\"",
        ));
    }
    let schedule_ns = p.schedule.map_or(3600 * NS_PER_S, |d| d.0);
    if schedule_ns == 0 {
        errors.push(ParamError::at("schedule", "must be more than zero"));
    }
    let workers = p.workers.unwrap_or(def_workers as u64);
    if workers == 0 {
        errors.push(ParamError::at("workers", "must be at least 1"));
    }
    let min_workers = p.min_workers.unwrap_or(1);
    if min_workers == 0 {
        errors.push(ParamError::at("min_workers", "must be at least 1"));
    }
    if let Some(m) = p.max_workers {
        if m < min_workers {
            errors.push(ParamError::at(
                "max_workers",
                format!("must be at least `min_workers` ({min_workers})"),
            ));
        }
    } else if p.min_workers.is_some() {
        errors.push(ParamError::at(
            "min_workers",
            "applies only with `max_workers` (autoscaling)",
        ));
    }
    let per_record_ns = match p.per_record {
        Some(d) if d.0 == 0 => {
            errors.push(ParamError::at("per_record", "must be more than zero"));
            1
        }
        Some(d) => d.0,
        None => {
            errors.push(ParamError::stage(
                "an `etl` stage needs `per_record` (processing time of one record on one worker), like \"2ms\"",
            ));
            1
        }
    };
    if p.partitions == Some(0) {
        errors.push(ParamError::at("partitions", "must be at least 1"));
    }
    let skew = p.skew.unwrap_or(1.0);
    if !(skew.is_finite() && skew >= 1.0) {
        errors.push(ParamError::at(
            "skew",
            "must be at least 1 (hottest partition / mean partition)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let registry = p.schema_registry.unwrap_or(false);
    let fix = p.schema_fix.map_or(Nanos::MAX, |d| d.0);
    let mut windows: Vec<(Nanos, Nanos, bool)> = p
        .schema_changes
        .unwrap_or_default()
        .iter()
        .filter(|c| !(registry && c.compatible))
        .map(|c| (c.at.0, c.at.0.saturating_add(fix), registry))
        .collect();
    // A handful of windows: an insertion sort (stable, like `sort_by_key`,
    // without a general sort routine in the wasm worker).
    for i in 1..windows.len() {
        let mut j = i;
        while j > 0 && windows[j - 1].0 > windows[j].0 {
            windows.swap(j - 1, j);
            j -= 1;
        }
    }
    let model = EtlStage::new(EtlConfig {
        mode,
        schedule_ns,
        workers,
        autoscale: p.max_workers.map(|m| (min_workers, m)),
        per_record_ns,
        startup_ns: p.startup.map_or((def_startup_s * NS_PER_S as f64) as Nanos, |d| d.0),
        partitions: p.partitions,
        skew,
        broken: windows,
        capacity: env.capacity,
    });
    Ok(Built {
        model: Model::Etl(Box::new(model)),
        routes: None,
    })
}

/// What an [`EtlStage`] is built from.
#[derive(Clone, Debug)]
pub struct EtlConfig {
    pub mode: Mode,
    /// Interval between batch runs, in nanoseconds.
    pub schedule_ns: Nanos,
    /// Workers per run (without autoscaling).
    pub workers: u64,
    /// (min, max) workers when autoscaling.
    pub autoscale: Option<(u64, u64)>,
    /// Processing time of one record on one worker, in nanoseconds.
    pub per_record_ns: Nanos,
    /// Start-up time, in nanoseconds.
    pub startup_ns: Nanos,
    /// Partitions per run (`None`: 4 per worker).
    pub partitions: Option<u64>,
    /// Hottest partition / mean partition (≥ 1).
    pub skew: f64,
    /// Event-time intervals `[from, to)` whose records are refused, and
    /// whether by the registry (rejected) rather than the job (failed).
    pub broken: Vec<(Nanos, Nanos, bool)>,
    /// Records the stage may hold (`u64::MAX`: unbounded).
    pub capacity: u64,
}

/// Records waiting for the next run, kept as they arrived (so their event
/// times stay as precise as the sources made them), with the sum of their
/// arrival times (for the mean wait).
#[derive(Clone, Debug, Default)]
pub(crate) struct Pending {
    batches: Vec<Batch>,
    count: u64,
    bytes: u64,
    /// Σ count × stage arrival, in record-nanoseconds.
    arrival_sum: u128,
}

/// The records of one run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Taken {
    pub(crate) batches: Vec<Batch>,
    pub(crate) count: u64,
    pub(crate) bytes: u64,
    /// The records' mean arrival time.
    pub(crate) mean_arrival: Nanos,
}

impl Pending {
    pub(crate) fn add(&mut self, b: Batch) {
        self.arrival_sum += b.count as u128 * b.stage_arrival as u128;
        self.count += b.count;
        self.bytes += b.bytes;
        self.batches.push(b);
    }
    pub(crate) fn count(&self) -> u64 {
        self.count
    }
    /// Takes everything, if anything waits.
    pub(crate) fn take(&mut self) -> Option<Taken> {
        if self.count == 0 {
            return None;
        }
        let t = Taken {
            batches: std::mem::take(&mut self.batches),
            count: self.count,
            bytes: self.bytes,
            mean_arrival: (self.arrival_sum / self.count as u128) as Nanos,
        };
        self.count = 0;
        self.bytes = 0;
        self.arrival_sum = 0;
        Some(t)
    }
}

/// The fraction of `b`'s records (event times spread uniformly over
/// `[event_min, event_min + event_span]`) whose event time lies in `[lo, hi)`.
pub(crate) fn fraction_in(b: &Batch, lo: Nanos, hi: Nanos) -> f64 {
    if b.event_span == 0 {
        return if b.event_time >= lo && b.event_time < hi {
            1.0
        } else {
            0.0
        };
    }
    let a = b.event_min;
    let z = b.event_min + b.event_span;
    let overlap = hi.min(z).saturating_sub(lo.max(a));
    overlap as f64 / b.event_span as f64
}

/// The engine model of an `etl` stage.
#[derive(Clone, Debug)]
pub struct EtlStage {
    cfg: EtlConfig,
    pending: Pending,
    /// Records of the run in progress.
    running: u64,
    /// The run in progress: (records, workers, started).
    job: Option<(Taken, u64, Nanos)>,
    /// A run timer is scheduled.
    timer_set: bool,
    /// The streaming job has started (paid its start-up).
    started: bool,
    held: crate::sim::slab::BatchSlab,
    /// Worker-nanoseconds of finished runs.
    worker_ns: u128,
    job_runs: u64,
    runs_skipped: u64,
    last_duration_ns: Nanos,
    last_workers: u64,
    schema_failures: u64,
    schema_rejected: u64,
    /// Processing-time factor from `slow` faults (1 = normal).
    slow: f64,
    /// Records broken by a schema change go to the stage's `dead_letter`
    /// stage (set by the compiler when one is named) instead of being
    /// dropped with reason `schema`.
    pub schema_dead_letter: bool,
}

const TIMER_RUN: u32 = 0;
const TIMER_DONE: u32 = 1;

impl EtlStage {
    /// An ETL stage from its configuration.
    pub fn new(cfg: EtlConfig) -> Self {
        EtlStage {
            cfg,
            pending: Pending::default(),
            running: 0,
            job: None,
            timer_set: false,
            started: false,
            held: crate::sim::slab::BatchSlab::default(),
            worker_ns: 0,
            job_runs: 0,
            runs_skipped: 0,
            last_duration_ns: 0,
            last_workers: 0,
            schema_failures: 0,
            schema_rejected: 0,
            slow: 1.0,
            schema_dead_letter: false,
        }
    }

    /// Workers for a run of `count` records.
    fn workers_for(&self, count: u64) -> u64 {
        match self.cfg.autoscale {
            None => self.cfg.workers,
            Some((lo, hi)) => {
                let target = match self.cfg.mode {
                    Mode::Batch => self.cfg.schedule_ns,
                    Mode::Streaming => 60 * NS_PER_S,
                } as f64;
                let need = libm::ceil(count as f64 * self.cfg.per_record_ns as f64 / target) as u64;
                need.clamp(lo, hi)
            }
        }
    }

    /// Processing time (no start-up) of `count` records on `workers`, in
    /// nanoseconds: the balanced share or the hottest partition, whichever
    /// is longer.
    pub fn processing_ns(&self, count: u64, workers: u64) -> f64 {
        let work = count as f64 * self.cfg.per_record_ns as f64;
        let parts = self.cfg.partitions.unwrap_or(4 * workers).max(1) as f64;
        let hot_share = (self.cfg.skew / parts).min(1.0);
        (work / workers as f64).max(work * hot_share)
    }

    fn start_run(&mut self, ctx: &mut Ctx) {
        let Some(batch) = self.pending.take() else {
            return;
        };
        ctx.record_wait(ctx.now.saturating_sub(batch.mean_arrival), batch.count);
        let workers = self.workers_for(batch.count);
        let mut t = self.processing_ns(batch.count, workers) * self.slow;
        if self.cfg.mode == Mode::Batch || !self.started {
            t += self.cfg.startup_ns as f64;
            self.started = true;
        }
        self.running = batch.count;
        self.job = Some((batch, workers, ctx.now));
        ctx.schedule(ctx.now + round_ns(t).max(1), TIMER_DONE);
    }

    fn arm(&mut self, ctx: &mut Ctx) {
        if self.timer_set {
            return;
        }
        match self.cfg.mode {
            Mode::Batch => {
                let s = self.cfg.schedule_ns;
                let at = (ctx.now / s + 1).saturating_mul(s);
                ctx.schedule(at, TIMER_RUN);
                self.timer_set = true;
            }
            Mode::Streaming => {
                if self.job.is_none() {
                    ctx.schedule(ctx.now, TIMER_RUN);
                    self.timer_set = true;
                }
            }
        }
    }

    /// Drops the records of `batch` produced under a broken schema; returns
    /// what is left (if anything).
    fn check_schema(&mut self, ctx: &mut Ctx, mut batch: Batch) -> Option<Batch> {
        for &(lo, hi, rejected) in &self.cfg.broken {
            let f = fraction_in(&batch, lo, hi);
            let n = (libm::round(f * batch.count as f64) as u64).min(batch.count);
            if n == 0 {
                continue;
            }
            if rejected {
                self.schema_rejected += n;
            } else {
                self.schema_failures += n;
            }
            // Keep the records outside the window: the bad part is the later one.
            let whole = n == batch.count;
            let bad = if whole { batch } else { batch.split_off(n) };
            if self.schema_dead_letter {
                ctx.dead_letter(bad);
            } else {
                ctx.drop_records(DropReason::Schema, n);
            }
            if whole {
                return None;
            }
        }
        Some(batch)
    }
}

impl StageModel for EtlStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.cfg.capacity.saturating_sub(self.in_system()), false)
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let running = self
            .job
            .as_ref()
            .map_or(0, |(_, w, s)| *w as u128 * (now.saturating_sub(*s)) as u128);
        vec![
            (
                "dpu_hours",
                (self.worker_ns + running) as f64 / 3600.0 / NS_PER_S as f64,
            ),
            ("job_runs", self.job_runs as f64),
            ("runs_skipped", self.runs_skipped as f64),
            ("job_duration_s_last", self.last_duration_ns as f64 / NS_PER_S as f64),
            ("workers_last", self.last_workers as f64),
            ("schema_failures", self.schema_failures as f64),
            ("schema_rejected", self.schema_rejected as f64),
        ]
    }

    /// `scale` changes the workers of later runs (the autoscaling ceiling
    /// when autoscaling); `slow` stretches later runs.
    fn control(&mut self, _ctx: &mut Ctx, c: Control) -> Result<(), String> {
        let current = self.cfg.autoscale.map_or(self.cfg.workers, |a| a.1);
        let n = match c {
            Control::Slow(f) => {
                self.slow = f;
                return Ok(());
            }
            Control::ScaleTo(n) => n as u64,
            Control::ScaleBy(f) => libm::round(current as f64 * f) as u64,
            other => return Err(format!("`{}` does not apply to an `etl` stage", other.name())),
        }
        .max(1);
        match &mut self.cfg.autoscale {
            Some((lo, hi)) => *hi = n.max(*lo),
            None => self.cfg.workers = n,
        }
        Ok(())
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        let Some(mut batch) = self.check_schema(ctx, batch) else {
            return;
        };
        batch.stage_arrival = ctx.now;
        self.pending.add(batch);
        self.arm(ctx);
    }

    fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        match payload {
            TIMER_RUN => {
                self.timer_set = false;
                if self.job.is_some() {
                    // Batch: the run is refused (one concurrent run per job).
                    self.runs_skipped += 1;
                } else {
                    self.start_run(ctx);
                }
                if self.cfg.mode == Mode::Batch && self.pending.count() > 0 {
                    self.arm(ctx);
                }
            }
            _ => {
                let (batch, workers, started) = self.job.take().expect("a run in progress");
                let d = ctx.now - started;
                self.worker_ns += workers as u128 * d as u128;
                self.job_runs += 1;
                self.last_duration_ns = d;
                self.last_workers = workers;
                self.running = 0;
                for b in batch.batches {
                    let slot = self.held.insert(b);
                    ctx.emit(slot, b);
                }
                if self.pending.count() > 0 {
                    self.arm(ctx);
                }
            }
        }
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.held.remove(slot);
    }

    fn in_system(&self) -> u64 {
        self.pending.count() + self.running
    }
    fn in_queue(&self) -> u64 {
        self.pending.count()
    }
    fn busy(&self) -> u64 {
        self.job.as_ref().map_or(0, |j| j.1)
    }
    fn servers(&self) -> Option<u64> {
        Some(self.cfg.autoscale.map_or(self.cfg.workers, |a| a.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness;

    fn stage(workers: u64, skew: f64, broken: Vec<(Nanos, Nanos, bool)>) -> EtlStage {
        EtlStage::new(EtlConfig {
            mode: Mode::Batch,
            schedule_ns: 3600 * NS_PER_S,
            workers,
            autoscale: None,
            per_record_ns: 1_000_000,
            startup_ns: 10 * NS_PER_S,
            partitions: Some(40),
            skew,
            broken,
            capacity: u64::MAX,
        })
    }

    #[test]
    fn a_run_takes_startup_plus_records_over_workers_or_the_hottest_partition() {
        let s = stage(10, 1.0, vec![]);
        // 1,000,000 records × 1 ms / 10 workers = 100 s.
        assert_eq!(s.processing_ns(1_000_000, 10), 100.0 * 1e9);
        // Skew 8 over 40 partitions: the hottest holds 20 % → 200 s.
        let s = stage(10, 8.0, vec![]);
        assert_eq!(s.processing_ns(1_000_000, 10), 200.0 * 1e9);
        let mut m = Model::Etl(Box::new(stage(10, 1.0, vec![])));
        let out = harness::run(&mut m, &[Batch::new(1_000_000, 1000, 0)], 1);
        // Run at the first schedule tick (1 h), 10 s start-up + 100 s.
        assert_eq!(out.landed.len(), 1);
        assert_eq!(out.landed[0].0, 3600 * NS_PER_S + 110 * NS_PER_S);
        assert_eq!(harness::extra(&m, "job_runs"), 1.0);
        assert!((harness::extra(&m, "dpu_hours") - 10.0 * 110.0 / 3600.0).abs() < 1e-9);
    }

    #[test]
    fn records_produced_in_a_broken_window_are_dropped_and_counted() {
        // Event times spread over [0, 100 s): the last 30 % are after the change.
        let mut b = Batch::new(1000, 1000, 50 * NS_PER_S);
        b.event_min = 0;
        b.event_span = 100 * NS_PER_S;
        let mut m = Model::Etl(Box::new(stage(1, 1.0, vec![(70 * NS_PER_S, Nanos::MAX, false)])));
        let out = harness::run(&mut m, &[b], 1);
        assert_eq!(out.landed.iter().map(|l| l.1.count).sum::<u64>(), 700);
        assert_eq!(out.metrics.dropped[DropReason::Schema as usize], 300);
        assert_eq!(harness::extra(&m, "schema_failures"), 300.0);
    }
}
