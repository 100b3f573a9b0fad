//! The simulation: sources, stages, the event loop and back-pressure.
//!
//! ```text
//!  source ──hand_off──▶ stage A ──emit/forward──▶ stage B ──▶ (delivered)
//!    │  buffer            │ room? accept                │
//!    │◀── blocked ────────┘ drop | block | reject ──▶ retry (back-off) ─▶ dead letter
//! ```
//!
//! Every batch is always in exactly one place: a source's buffer, a stage
//! model, a stage's held output (emitted, waiting for room downstream), a
//! retry slot, or counted out (delivered, dropped by reason). That is what
//! makes the conservation check exact.

use super::batch::Batch;
use super::dist::Dist;
use super::event::{Ev, EventQueue};
use super::histogram::Histogram;
use super::metrics::{mul_wide, DropReason, StageMetrics};
use super::rng::Stream;
use super::series::{Merge, Series};
use super::source::{RetryPolicy, SourceConfig, SourceState};
use super::stage::{Ctx, Model, Output};
use super::time::{Nanos, NS_PER_S};
use super::token_bucket::TokenBucket;
use std::collections::{BTreeMap, VecDeque};

/// What a full stage does with records that do not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullPolicy {
    /// Drop them, counted as `full` (or `throttled` over a rate limit).
    Drop,
    /// Make the sender wait: its server stalls holding the batch.
    Block,
    /// Refuse them: the sender retries by its policy, then dead-letters.
    Reject,
}

/// How a router splits its input.
#[derive(Clone, Debug, PartialEq)]
pub enum Routes {
    /// Records go to each target with probability proportional to its weight.
    Ratio(Vec<(usize, f64)>),
    /// A batch goes to target `key % n`.
    Key(Vec<usize>),
    /// A batch goes to the target of its kind (`by_kind[kind]`), else to
    /// `default`; with neither it is dropped as `unrouted`.
    Kind {
        by_kind: Vec<Option<usize>>,
        default: Option<usize>,
    },
}

impl Routes {
    /// Where a batch of kind `kind` goes (routers by kind only).
    fn kind_target(by_kind: &[Option<usize>], default: Option<usize>, kind: u16) -> Option<usize> {
        by_kind.get(kind as usize).copied().flatten().or(default)
    }
}

/// A stage as the engine runs it.
#[derive(Clone, Debug)]
pub struct StageConfig {
    pub id: String,
    /// The kind's name, for reports.
    pub kind: String,
    pub model: Model,
    /// Downstream stage; `None` delivers (the end of the pipeline).
    pub to: Option<usize>,
    /// For routers.
    pub routes: Option<Routes>,
    pub on_full: FullPolicy,
    /// Retry policy of this stage *as a sender*.
    pub retry: Option<RetryPolicy>,
    /// Where this stage sends records it gives up on.
    pub dead_letter: Option<usize>,
    /// Admission rate limit.
    pub rate_limit: Option<TokenBucket>,
    /// Access control denies this stage's operations (`[governance]`): every
    /// record it is handed is dropped with reason `denied`.
    pub denied: bool,
}

/// An operational change at a point in time (a fault, or its end).
#[derive(Clone, Debug, PartialEq)]
pub struct TimedControl {
    pub at_ns: Nanos,
    pub stage: usize,
    pub control: super::stage::Control,
    /// What the scenario called it (for the log).
    pub label: String,
}

/// What happened when a timed control or an alarm acted.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlLog {
    pub at_ns: Nanos,
    pub stage: String,
    pub label: String,
    /// `None` when applied; the reason when the stage refused.
    pub refused: Option<String>,
}

/// A complete, validated model ready to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    pub duration_ns: Nanos,
    pub warmup_ns: Nanos,
    /// Time-series sampling step.
    pub resolution_ns: Nanos,
    /// Stop after this many events (a limit on everything).
    pub event_budget: u64,
    pub sources: Vec<SourceConfig>,
    pub stages: Vec<StageConfig>,
    /// The fault timeline.
    pub controls: Vec<TimedControl>,
}

/// Who holds a batch that is being handed downstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Holder {
    /// A stage's output slot (a server stalls until it is released).
    Stage(u32, u32),
    /// A source (its buffer waits behind this batch).
    Source(u32),
    /// A retry slot of a sender.
    Retry(Origin),
}

/// A sender, for accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Stage(u32),
    Source(u32),
}

impl Holder {
    fn origin(self) -> Origin {
        match self {
            Holder::Stage(s, _) => Origin::Stage(s),
            Holder::Source(i) => Origin::Source(i),
            Holder::Retry(o) => o,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Waiter {
    holder: Holder,
    batch: Batch,
}

#[derive(Clone, Copy, Debug)]
struct RetryEntry {
    origin: Origin,
    target: u32,
    batch: Batch,
}

/// Per-stage charts.
#[derive(Clone, Debug)]
pub struct StageSeries {
    /// Records completed per second.
    pub throughput: Series,
    /// Time-average records in the stage.
    pub backlog: Series,
    /// Records dropped or refused per second.
    pub dropped: Series,
}

/// A stage at run time.
#[derive(Clone, Debug)]
pub struct StageRt {
    pub cfg: StageConfig,
    pub model: Model,
    pub metrics: StageMetrics,
    rng: Stream,
    /// Records emitted but not yet placed downstream.
    pub held: u64,
    waiting: VecDeque<Waiter>,
    wake_pending: bool,
    /// Touched by the current event (levels to be recomputed at its end).
    dirty: bool,
    /// Delivers into the dead-letter total rather than `delivered`.
    pub is_dead_letter: bool,
    pub series: StageSeries,
    last_completed: u64,
    last_area: u128,
    last_dropped: u64,
}

/// A source at run time.
#[derive(Clone, Debug)]
pub struct SourceRt {
    pub cfg: SourceConfig,
    pub state: SourceState,
    /// `arrived` = generated; `completed` = handed to the first stage.
    pub metrics: StageMetrics,
    buffer: VecDeque<Batch>,
    /// Records in `buffer`.
    pub buffered: u64,
    /// Records handed off but waiting (blocked) downstream.
    pub blocked_records: u64,
    blocked: bool,
    /// With `block_when_full`: since when generation has been paused.
    paused_since: Option<Nanos>,
    /// Time generation spent paused on a full buffer, in nanoseconds.
    pub paused_ns: Nanos,
}

/// End-to-end measurements.
#[derive(Clone, Debug, Default)]
pub struct EndToEnd {
    /// Records delivered out of the pipeline (whole run).
    pub delivered: u64,
    /// Records that ended in a dead-letter stage (whole run).
    pub dead_lettered: u64,
    /// Of the delivered records, how many were duplicates of earlier ones.
    pub delivered_duplicates: u64,
    /// Latency from event time to delivery (after warm-up).
    pub from_event: Histogram,
    /// Latency from ingest to delivery (after warm-up).
    pub from_ingest: Histogram,
    /// Delivered records per second, over time.
    pub throughput: Option<Series>,
    /// Mean event-time latency of each sampling step, in seconds.
    pub latency_mean_s: Option<Series>,
    last_delivered: u64,
    last_latency: (u128, u64),
    latency_sum_ns: u128,
    latency_n: u64,
}

/// The running simulation.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub now: Nanos,
    pub duration_ns: Nanos,
    pub warmup_ns: Nanos,
    pub seed: u64,
    pub resolution_ns: Nanos,
    pub events_processed: u64,
    pub event_budget: u64,
    /// True if the run stopped on its event budget.
    pub budget_exhausted: bool,
    queue: EventQueue,
    pub stages: Vec<StageRt>,
    pub sources: Vec<SourceRt>,
    retries: Vec<Option<RetryEntry>>,
    retry_free: Vec<u32>,
    /// Holders with parts blocked downstream, and how many.
    blocked_parts: BTreeMap<Holder, u32>,
    pub e2e: EndToEnd,
    retry_rng: Stream,
    /// Outputs emitted by stage calls, used as a stack: a call processes
    /// what it pushed and truncates back, so nested calls never allocate.
    out: Vec<Output>,
    batch_pool: Vec<Vec<Batch>>,
    /// Buffers for a router's parts (see [`Self::hand_off_routed`]).
    route_pool: Vec<Vec<(usize, Batch)>>,
    /// Stages touched by the current event, whose levels are set at its end.
    dirty: Vec<u32>,
    controls: Vec<TimedControl>,
    /// Faults and alarm actions as they happened.
    pub control_log: Vec<ControlLog>,
}

impl Simulation {
    /// Builds a simulation at time zero.
    pub fn new(cfg: Config) -> Self {
        let res = cfg.resolution_ns.max(1);
        let stages: Vec<StageRt> = cfg
            .stages
            .iter()
            .map(|s| StageRt {
                cfg: s.clone(),
                model: s.model.clone(),
                metrics: StageMetrics::default(),
                rng: Stream::new(cfg.seed, &format!("stage:{}", s.id)),
                held: 0,
                waiting: VecDeque::new(),
                wake_pending: false,
                dirty: false,
                is_dead_letter: false,
                series: StageSeries {
                    throughput: Series::new(res, Merge::Mean),
                    backlog: Series::new(res, Merge::Mean),
                    dropped: Series::new(res, Merge::Mean),
                },
                last_completed: 0,
                last_area: 0,
                last_dropped: 0,
            })
            .collect();
        let mut sim = Simulation {
            now: 0,
            duration_ns: cfg.duration_ns,
            warmup_ns: cfg.warmup_ns,
            seed: cfg.seed,
            resolution_ns: res,
            events_processed: 0,
            event_budget: cfg.event_budget,
            budget_exhausted: false,
            queue: EventQueue::new(),
            stages,
            sources: Vec::new(),
            retries: Vec::new(),
            retry_free: Vec::new(),
            blocked_parts: BTreeMap::new(),
            e2e: EndToEnd {
                throughput: Some(Series::new(res, Merge::Mean)),
                latency_mean_s: Some(Series::new(res, Merge::Mean)),
                ..Default::default()
            },
            retry_rng: Stream::new(cfg.seed, "engine:retry"),
            out: Vec::new(),
            batch_pool: Vec::new(),
            route_pool: Vec::new(),
            dirty: Vec::new(),
            controls: cfg.controls.clone(),
            control_log: Vec::new(),
        };
        for (i, c) in cfg.controls.iter().enumerate() {
            sim.queue.push(c.at_ns, Ev::Control(i as u32));
        }
        for (s, st) in sim.stages.iter().enumerate() {
            if let Model::Monitor(m) = &st.model {
                for (a, alarm) in m.alarms.iter().enumerate() {
                    sim.queue.push(alarm.period_ns, Ev::Alarm(s as u32, a as u32));
                }
            }
            if let Some((at, payload)) = st.model.initial_timer() {
                sim.queue.push(at, Ev::Stage(s as u32, payload));
            }
        }
        let dl: Vec<usize> = cfg
            .stages
            .iter()
            .filter_map(|s| s.dead_letter)
            .chain(cfg.sources.iter().filter_map(|s| s.dead_letter))
            .collect();
        for d in dl {
            sim.stages[d].is_dead_letter = true;
        }
        for (i, sc) in cfg.sources.into_iter().enumerate() {
            let mut state = SourceState::new(&sc, cfg.seed);
            if let Some(t) = state.first_time(&sc) {
                sim.queue.push(t, Ev::Source(i as u32));
            }
            sim.sources.push(SourceRt {
                cfg: sc,
                state,
                metrics: StageMetrics::default(),
                buffer: VecDeque::new(),
                buffered: 0,
                blocked_records: 0,
                blocked: false,
                paused_since: None,
                paused_ns: 0,
            });
        }
        if cfg.warmup_ns > 0 {
            sim.queue.push(cfg.warmup_ns, Ev::Warmup);
        }
        sim.queue.push(res, Ev::Sample);
        sim
    }

    /// Runs until simulated time `t` (events at exactly `t` included), the
    /// event budget, or the end of the scenario, whichever comes first.
    /// Pausing here and resuming gives exactly the results of one run.
    ///
    /// Never inlined: the event loop is then a function of its own, which
    /// a wasm engine recompiles with its optimising tier after a call or
    /// two (V8 does not swap code inside a running loop, so a loop inlined
    /// into a caller that runs once stays in the baseline tier).
    #[inline(never)]
    pub fn run_until(&mut self, t: Nanos) {
        let t = t.min(self.duration_ns);
        loop {
            if self.events_processed >= self.event_budget {
                if self.queue.peek_time().is_some_and(|next| next <= t) {
                    self.budget_exhausted = true;
                    return;
                }
                break;
            }
            let Some((time, ev)) = self.queue.pop_due(t) else {
                break;
            };
            self.fire(time, ev);
        }
        self.now = self.now.max(t);
    }

    /// Runs at most `max_events` events (for a UI frame budget); returns true
    /// when the run has reached its end. Never inlined (see [`Self::run_until`]).
    #[inline(never)]
    pub fn run_events(&mut self, max_events: u64) -> bool {
        for _ in 0..max_events {
            match self.queue.peek_time() {
                Some(next) if next <= self.duration_ns && !self.budget_exhausted => {
                    if self.events_processed >= self.event_budget {
                        self.budget_exhausted = true;
                        break;
                    }
                    let (time, ev) = self.queue.pop().expect("peeked");
                    self.fire(time, ev);
                }
                _ => {
                    self.now = self.duration_ns;
                    return true;
                }
            }
        }
        self.is_finished()
    }

    /// Handles event `ev`, taken off the queue at `time`: the body of both
    /// event loops.
    #[inline(always)]
    fn fire(&mut self, time: Nanos, ev: Ev) {
        self.now = time;
        self.events_processed += 1;
        self.handle(ev);
        self.flush_levels();
    }

    /// Runs to the end of the scenario.
    pub fn run(&mut self) {
        self.run_until(self.duration_ns);
    }

    /// True once simulated time has reached the scenario's duration.
    pub fn is_finished(&self) -> bool {
        self.now >= self.duration_ns || self.budget_exhausted
    }

    #[inline(always)]
    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Source(i) => self.source_event(i as usize),
            Ev::Alarm(s, a) => self.evaluate_alarm(s as usize, a as usize),
            Ev::Control(i) => {
                let c = self.controls[i as usize].clone();
                self.apply_control(c.stage, c.control, c.label);
            }
            Ev::Stage(s, payload) => {
                let s = s as usize;
                let (_, start) = self.call_stage(s, |m, ctx| m.on_event(ctx, payload));
                self.relevel(s);
                self.process_outputs(s, start);
            }
            Ev::Retry(i) => {
                let e = self.retries[i as usize].take().expect("retry slot in use");
                self.retry_free.push(i);
                self.hand_off(Holder::Retry(e.origin), e.target as usize, e.batch, false);
            }
            Ev::Wake(s) => {
                self.stages[s as usize].wake_pending = false;
                self.drain_waiting(s as usize);
            }
            Ev::Sample => self.sample(),
            Ev::Warmup => self.restart_stats(),
        }
    }

    // ---------------------------------------------------------------- sources

    fn source_event(&mut self, i: usize) {
        {
            // A producer that blocks on a full buffer stops generating
            // (closed loop) until the buffer has room again.
            let src = &mut self.sources[i];
            if src.cfg.block_when_full && src.blocked && src.buffered >= src.cfg.buffer_records {
                src.paused_since = Some(self.now);
                return;
            }
        }
        if SourceState::is_single(&self.sources[i].cfg) {
            // Exact regime: one record, no batch buffer.
            let src = &mut self.sources[i];
            if let Some((b, next)) = src.state.emit_single(&src.cfg, self.now) {
                if let Some(t) = next {
                    self.queue.push(t, Ev::Source(i as u32));
                }
                self.source_batch(i, b);
            }
            return;
        }
        let mut batches = self.batch_pool.pop().unwrap_or_default();
        let next = {
            let src = &mut self.sources[i];
            src.state.emit(&src.cfg, self.now, &mut batches)
        };
        if let Some(t) = next {
            self.queue.push(t, Ev::Source(i as u32));
        }
        for b in batches.drain(..) {
            self.source_batch(i, b);
        }
        self.batch_pool.push(batches);
    }

    /// A batch source `i` generated: sent on, or buffered behind blocked ones.
    #[inline(always)]
    fn source_batch(&mut self, i: usize, mut b: Batch) {
        let src = &mut self.sources[i];
        src.metrics.arrived += b.count;
        src.metrics.measured_arrived += b.count;
        if src.blocked || !src.buffer.is_empty() {
            let room = src.cfg.buffer_records.saturating_sub(src.buffered);
            // A blocking producer keeps what it generated before pausing.
            if room < b.count && !src.cfg.block_when_full {
                let lost = b.count - room;
                src.metrics.drop_records(DropReason::SourceBuffer, lost);
                if room == 0 {
                    return;
                }
                b = b.split_off(room);
            }
            src.buffered += b.count;
            src.buffer.push_back(b);
        } else {
            self.send_from_source(i, b);
        }
    }

    #[inline(always)]
    fn send_from_source(&mut self, i: usize, b: Batch) {
        let to = self.sources[i].cfg.to;
        self.sources[i].blocked_records += b.count;
        let holder = Holder::Source(i as u32);
        let blocked = self.hand_off(holder, to, b, false);
        if blocked > 0 {
            self.sources[i].blocked = true;
            *self.blocked_parts.entry(holder).or_insert(0) += blocked;
        }
    }

    /// Restarts a producer paused on its full buffer once there is room:
    /// the record it was blocked on is generated now (exact regime), or the
    /// next interval starts now (aggregated).
    fn resume_source(&mut self, i: usize) {
        let now = self.now;
        let src = &mut self.sources[i];
        let Some(since) = src.paused_since else {
            return;
        };
        if src.blocked && src.buffered >= src.cfg.buffer_records {
            return;
        }
        src.paused_since = None;
        src.paused_ns += now - since;
        let at = match src.cfg.aggregate_ns {
            Some(dt) => now + dt,
            None if src.cfg.stop_ns.is_some_and(|e| now >= e) => return,
            None => now,
        };
        self.queue.push(at, Ev::Source(i as u32));
    }

    /// Time source `i` has spent paused on a full buffer, up to now.
    pub fn source_blocked_ns(&self, i: usize) -> Nanos {
        let s = &self.sources[i];
        s.paused_ns + s.paused_since.map_or(0, |t| self.now - t)
    }

    fn drain_source_buffer(&mut self, i: usize) {
        while !self.sources[i].blocked {
            let Some(b) = self.sources[i].buffer.pop_front() else {
                break;
            };
            self.sources[i].buffered -= b.count;
            self.send_from_source(i, b);
        }
    }

    // ---------------------------------------------------------------- stages

    /// Marks stage `s` as changed by the current event: its levels are
    /// integrated up to now (with their old values) on the first touch and
    /// recomputed once, when the event is done ([`Self::flush_levels`]).
    #[inline]
    fn relevel(&mut self, s: usize) {
        let st = &mut self.stages[s];
        if !st.dirty {
            st.dirty = true;
            st.metrics.advance(self.now);
            self.dirty.push(s as u32);
        }
    }

    /// Records the new levels of every stage the event touched.
    #[inline]
    fn flush_levels(&mut self) {
        for i in 0..self.dirty.len() {
            let st = &mut self.stages[self.dirty[i] as usize];
            st.dirty = false;
            let mut l = st.model.levels();
            l.in_system += st.held;
            st.metrics.levels = l;
        }
        self.dirty.clear();
    }

    /// Calls stage `s`'s model with its context; returns the call's result
    /// and where its outputs start on the output stack. Always inlined:
    /// as a call it cost about 30 instructions of set-up per stage call.
    #[inline(always)]
    fn call_stage<R>(&mut self, s: usize, f: impl FnOnce(&mut Model, &mut Ctx) -> R) -> (R, usize) {
        let start = self.out.len();
        let st = &mut self.stages[s];
        let mut ctx = Ctx {
            now: self.now,
            stage: s as u32,
            rng: &mut st.rng,
            metrics: &mut st.metrics,
            events: &mut self.queue,
            out: &mut self.out,
        };
        (f(&mut st.model, &mut ctx), start)
    }

    /// Forwards what stage `s` emitted since `start`, then pops it.
    #[inline(always)]
    fn process_outputs(&mut self, s: usize, start: usize) {
        if self.out.len() > start {
            self.forward_outputs(s, start);
        }
    }

    #[inline(never)]
    fn forward_outputs(&mut self, s: usize, start: usize) {
        let end = self.out.len();
        for i in start..end {
            let o = self.out[i];
            self.forward(s, o);
        }
        self.out.truncate(start);
    }

    /// Sends a stage's emitted batch downstream (or delivers it).
    #[inline(always)]
    fn forward(&mut self, s: usize, o: Output) {
        if o.slot == super::stage::DEAD_LETTER_SLOT {
            self.stage_dead_letter(s, o.batch);
            return;
        }
        let n = o.batch.count;
        self.stages[s].held += n;
        let holder = Holder::Stage(s as u32, o.slot);
        match self.stages[s].cfg.to {
            None => {
                self.deliver(s, &o.batch);
                self.sender_done(holder, &o.batch);
                self.release(s, o.slot);
            }
            Some(t) => {
                let blocked = self.hand_off(holder, t, o.batch, false);
                if blocked == 0 {
                    self.release(s, o.slot);
                } else {
                    *self.blocked_parts.entry(holder).or_insert(0) += blocked;
                    self.relevel(s);
                }
            }
        }
    }

    /// Stage `s` gives `b` up: it goes to its `dead_letter` stage (which
    /// takes everything, like a sink), else it is dropped as `dead_letter`.
    fn stage_dead_letter(&mut self, s: usize, b: Batch) {
        let n = b.count;
        let Some(dl) = self.stages[s].cfg.dead_letter else {
            self.stages[s].metrics.drop_records(DropReason::DeadLetter, n);
            return;
        };
        self.stages[s].metrics.count_dead_lettered(n);
        self.hand_to_dead_letter(dl, b);
    }

    /// Dead-letter stage `dl` takes all of `b`: it is a sink.
    fn hand_to_dead_letter(&mut self, dl: usize, mut b: Batch) {
        let st = &mut self.stages[dl];
        st.metrics.arrived += b.count;
        st.metrics.measured_arrived += b.count;
        b.stage_arrival = self.now;
        let (_, start) = self.call_stage(dl, |m, ctx| m.accept(ctx, b));
        self.relevel(dl);
        self.process_outputs(dl, start);
    }

    fn release(&mut self, s: usize, slot: u32) {
        let (_, start) = self.call_stage(s, |m, ctx| m.release(ctx, slot));
        self.relevel(s);
        self.process_outputs(s, start);
        if !self.stages[s].waiting.is_empty() {
            self.drain_waiting(s);
        }
    }

    /// Records leave the pipeline at stage `s`.
    fn deliver(&mut self, s: usize, b: &Batch) {
        if self.stages[s].is_dead_letter {
            self.e2e.dead_lettered += b.count;
            return;
        }
        let now = self.now;
        let e = &mut self.e2e;
        e.delivered += b.count;
        e.delivered_duplicates += b.duplicates;
        let from_ingest = now - b.ingest_time.min(now);
        let lat_mean = now.saturating_sub(b.event_time);
        e.latency_sum_ns += mul_wide(lat_mean, b.count);
        e.latency_n += b.count;
        if b.event_span == 0 || b.count == 1 {
            if lat_mean == from_ingest {
                Histogram::record_in_both(&mut e.from_ingest, &mut e.from_event, lat_mean, b.count);
            } else {
                e.from_ingest.record(from_ingest, b.count);
                e.from_event.record(lat_mean, b.count);
            }
        } else {
            e.from_ingest.record(from_ingest, b.count);
            // Records of a batch happened spread over its span: record that
            // spread so percentiles stay right when batches are large.
            let m = b.count.min(8);
            let lo = b.event_min;
            for k in 0..m {
                let w = b.count / m + u64::from(k < b.count % m);
                let t = lo + b.event_span * (2 * k + 1) / (2 * m);
                e.from_event.record(now.saturating_sub(t), w);
            }
        }
    }

    /// Accounts `b` as having left its holder successfully (placed downstream,
    /// dropped downstream, or delivered).
    #[inline(always)]
    fn sender_done(&mut self, holder: Holder, b: &Batch) {
        let n = b.count;
        match holder {
            Holder::Stage(s, _) => {
                let now = self.now;
                let st = &mut self.stages[s as usize];
                st.held -= n;
                st.metrics.completed += n;
                st.metrics.measured_completed += n;
                st.metrics.sojourn.record(now - b.stage_arrival.min(now), n);
                self.relevel(s as usize);
            }
            Holder::Source(i) => {
                let src = &mut self.sources[i as usize];
                src.blocked_records -= n;
                src.metrics.completed += n;
                src.metrics.measured_completed += n;
            }
            Holder::Retry(o) => {
                let m = self.origin_metrics(o);
                m.retrying -= n;
                m.completed += n;
                m.measured_completed += n;
            }
        }
    }

    /// Takes `n` records out of a holder's in-flight bucket (they move to a
    /// retry slot, a dead-letter stage, or are dropped at the sender).
    fn holder_remove(&mut self, holder: Holder, n: u64) {
        match holder {
            Holder::Stage(s, _) => {
                self.stages[s as usize].held -= n;
                self.relevel(s as usize);
            }
            Holder::Source(i) => self.sources[i as usize].blocked_records -= n,
            Holder::Retry(o) => self.origin_metrics(o).retrying -= n,
        }
    }

    fn origin_metrics(&mut self, o: Origin) -> &mut StageMetrics {
        match o {
            Origin::Stage(s) => &mut self.stages[s as usize].metrics,
            Origin::Source(i) => &mut self.sources[i as usize].metrics,
        }
    }

    fn origin_policy(&self, o: Origin) -> (Option<RetryPolicy>, Option<usize>) {
        match o {
            Origin::Stage(s) => (
                self.stages[s as usize].cfg.retry,
                self.stages[s as usize].cfg.dead_letter,
            ),
            Origin::Source(i) => (
                self.sources[i as usize].cfg.retry,
                self.sources[i as usize].cfg.dead_letter,
            ),
        }
    }

    /// Hands `b` from `holder` to stage `t` (resolving routers). Returns the
    /// number of parts left blocked (registered as waiters on their target).
    #[inline(always)]
    fn hand_off(&mut self, holder: Holder, t: usize, b: Batch, front: bool) -> u32 {
        if self.stages[t].cfg.routes.is_some() {
            return self.hand_off_routed(holder, t, b, front);
        }
        self.place(holder, t, b, front)
    }

    /// [`Self::hand_off`] to a router: split, then hand each part on. The
    /// parts go in a pooled buffer (a router inside a router takes another
    /// from the pool), so splitting does not allocate.
    #[inline(never)]
    fn hand_off_routed(&mut self, holder: Holder, t: usize, b: Batch, front: bool) -> u32 {
        if let Some(routes) = self.stages[t].cfg.routes.take() {
            let mut parts = self.route_pool.pop().unwrap_or_default();
            Self::route(&mut self.stages[t].rng, &routes, b, &mut parts);
            self.stages[t].cfg.routes = Some(routes);
            let m = &mut self.stages[t].metrics;
            m.arrived += b.count;
            m.measured_arrived += b.count;
            let mut blocked = 0;
            if parts.is_empty() {
                // A kind with no route and no default.
                m.drop_records(DropReason::Unrouted, b.count);
                self.sender_done(holder, &b);
            } else {
                m.completed += b.count;
                m.measured_completed += b.count;
                for &(target, part) in &parts {
                    blocked += self.hand_off(holder, target, part, front);
                }
            }
            parts.clear();
            self.route_pool.push(parts);
            return blocked;
        }
        self.place(holder, t, b, front)
    }

    /// Splits `b` by `routes` into `parts` (target, part); leaves `parts`
    /// empty when a router by kind has no route for it.
    fn route(rng: &mut Stream, routes: &Routes, mut b: Batch, parts: &mut Vec<(usize, Batch)>) {
        match routes {
            Routes::Key(targets) => parts.push((targets[b.key as usize % targets.len()], b)),
            Routes::Kind { by_kind, default } => {
                if let Some(target) = Routes::kind_target(by_kind, *default, b.kind) {
                    parts.push((target, b));
                }
            }
            Routes::Ratio(w) => {
                let total: f64 = w.iter().map(|x| x.1).sum();
                if b.count == 1 {
                    let mut u = rng.uniform() * total;
                    for &(target, wt) in w {
                        if u < wt {
                            parts.push((target, b));
                            return;
                        }
                        u -= wt;
                    }
                    parts.push((w[w.len() - 1].0, b));
                    return;
                }
                let mut rest_w = total;
                for (k, &(target, wt)) in w.iter().enumerate() {
                    let n = if k + 1 == w.len() {
                        b.count
                    } else {
                        rng.binomial(b.count, wt / rest_w)
                    };
                    rest_w -= wt;
                    if n == 0 {
                        continue;
                    }
                    if n == b.count {
                        parts.push((target, b));
                        break;
                    }
                    parts.push((target, b.split_off(n)));
                }
            }
        }
    }

    /// Room at stage `t` for `b`: the model's room (capacity left, counting
    /// held outputs, or a throughput limit) and rate-limit tokens. The flag
    /// says the limit was a throughput limit (a throttle).
    #[inline(always)]
    fn room(&mut self, t: usize, b: &Batch) -> (u64, bool) {
        let now = self.now;
        let st = &mut self.stages[t];
        let (model_room, throttled) = st.model.room(now, b);
        let cap = if throttled {
            model_room
        } else {
            model_room.saturating_sub(st.held)
        };
        match &mut st.cfg.rate_limit {
            Some(tb) => {
                let tokens = tb.available(now);
                if tokens < cap {
                    (tokens, true)
                } else {
                    (cap, throttled)
                }
            }
            None => (cap, throttled),
        }
    }

    /// Places `b` from `holder` at stage `t`: accepted if it fits, else by
    /// the stage's `on_full`. Returns the number of parts left blocked.
    #[inline(always)]
    fn place(&mut self, holder: Holder, t: usize, b: Batch, front: bool) -> u32 {
        let (room, by_tokens) = self.room(t, &b);
        let st = &self.stages[t];
        // FIFO fairness: newcomers queue behind blocked senders.
        let queue_behind = st.cfg.on_full == FullPolicy::Block && !front && !st.waiting.is_empty();
        if room >= b.count && !queue_behind {
            self.accept(holder, t, b);
            return 0;
        }
        let room = if queue_behind { 0 } else { room };
        self.place_partly(holder, t, b, front, room, by_tokens)
    }

    /// [`Self::place`] when `b` does not fit whole: `room` records go in.
    #[inline(never)]
    fn place_partly(&mut self, holder: Holder, t: usize, mut b: Batch, front: bool, room: u64, by_tokens: bool) -> u32 {
        let policy = self.stages[t].cfg.on_full;
        if room > 0 {
            let part = b.split_off(room);
            self.accept(holder, t, part);
        }
        let n = b.count;
        match policy {
            FullPolicy::Drop => {
                let reason = if by_tokens {
                    DropReason::Throttled
                } else {
                    DropReason::Full
                };
                let m = &mut self.stages[t].metrics;
                m.arrived += n;
                m.measured_arrived += n;
                m.drop_records(reason, n);
                self.sender_done(holder, &b);
                0
            }
            FullPolicy::Block => {
                let w = Waiter { holder, batch: b };
                let st = &mut self.stages[t];
                if front {
                    st.waiting.push_front(w);
                } else {
                    st.waiting.push_back(w);
                }
                if by_tokens {
                    self.schedule_wake(t);
                }
                1
            }
            FullPolicy::Reject => {
                self.stages[t].metrics.throttled += n;
                self.refuse(holder, t, b, by_tokens);
                0
            }
        }
    }

    fn schedule_wake(&mut self, t: usize) {
        let now = self.now;
        let st = &mut self.stages[t];
        if st.wake_pending {
            return;
        }
        let bucket = st.cfg.rate_limit.as_mut().map(|tb| now + tb.time_until_one(now));
        let model = st.model.next_room_at(now);
        let at = match (bucket, model) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(at) = at {
            st.wake_pending = true;
            self.queue.push(at.max(now + 1), Ev::Wake(t as u32));
        }
    }

    /// Stage `t` takes all of `b`.
    #[inline(always)]
    fn accept(&mut self, holder: Holder, t: usize, mut b: Batch) {
        self.sender_done(holder, &b);
        if self.stages[t].cfg.denied {
            let m = &mut self.stages[t].metrics;
            m.arrived += b.count;
            m.measured_arrived += b.count;
            m.drop_records(DropReason::Denied, b.count);
            return;
        }
        let now = self.now;
        if matches!(holder, Holder::Source(_)) || matches!(holder, Holder::Retry(Origin::Source(_))) {
            b.ingest_time = now;
        }
        b.stage_arrival = now;
        b.attempts = 0;
        let st = &mut self.stages[t];
        if let Some(tb) = &mut st.cfg.rate_limit {
            tb.take(now, b.count);
        }
        st.metrics.arrived += b.count;
        st.metrics.measured_arrived += b.count;
        let (_, start) = self.call_stage(t, |m, ctx| m.accept(ctx, b));
        self.relevel(t);
        self.process_outputs(t, start);
    }

    /// Stage `t` refused `b`: retry with back-off, dead-letter, or drop.
    fn refuse(&mut self, holder: Holder, t: usize, mut b: Batch, by_tokens: bool) {
        let origin = holder.origin();
        let (retry, dead_letter) = self.origin_policy(origin);
        let n = b.count;
        self.holder_remove(holder, n);
        match retry {
            Some(rp) if b.attempts < rp.max_retries => {
                let delay = rp.backoff(b.attempts, &mut self.retry_rng);
                b.attempts += 1;
                let m = self.origin_metrics(origin);
                m.retrying += n;
                m.retried += n;
                let entry = RetryEntry {
                    origin,
                    target: t as u32,
                    batch: b,
                };
                let idx = match self.retry_free.pop() {
                    Some(i) => {
                        self.retries[i as usize] = Some(entry);
                        i
                    }
                    None => {
                        self.retries.push(Some(entry));
                        self.retries.len() as u32 - 1
                    }
                };
                self.queue.push(self.now + delay.max(1), Ev::Retry(idx));
            }
            _ => match dead_letter {
                Some(dl) => {
                    self.origin_metrics(origin).count_dead_lettered(n);
                    self.hand_to_dead_letter(dl, b);
                }
                None => {
                    let reason = if retry.is_some() {
                        DropReason::DeadLetter
                    } else if by_tokens {
                        DropReason::Throttled
                    } else {
                        DropReason::Full
                    };
                    self.origin_metrics(origin).drop_records(reason, n);
                }
            },
        }
    }

    /// Lets blocked senders into stage `t`, first come first served.
    fn drain_waiting(&mut self, t: usize) {
        loop {
            let Some(&w) = self.stages[t].waiting.front() else {
                return;
            };
            let (room, by_tokens) = self.room(t, &w.batch);
            if room == 0 {
                if by_tokens {
                    self.schedule_wake(t);
                }
                return;
            }
            self.stages[t].waiting.pop_front();
            if self.place(w.holder, t, w.batch, true) > 0 {
                return; // the remainder went back to the front
            }
            self.part_resolved(w.holder);
        }
    }

    /// One blocked part of `holder` has been placed.
    fn part_resolved(&mut self, holder: Holder) {
        if matches!(holder, Holder::Retry(_)) {
            return;
        }
        let left = {
            let c = self.blocked_parts.get_mut(&holder).expect("blocked holder registered");
            *c -= 1;
            *c
        };
        if left > 0 {
            return;
        }
        self.blocked_parts.remove(&holder);
        match holder {
            Holder::Stage(s, slot) => self.release(s as usize, slot),
            Holder::Source(i) => {
                self.sources[i as usize].blocked = false;
                self.drain_source_buffer(i as usize);
                self.resume_source(i as usize);
            }
            Holder::Retry(_) => {}
        }
    }

    // ---------------------------------------------------------------- control

    /// Applies an operational change to stage `s` and logs the outcome.
    fn apply_control(&mut self, s: usize, c: super::stage::Control, label: String) {
        let (result, start) = self.call_stage(s, |m, ctx| m.control(ctx, c));
        self.relevel(s);
        self.process_outputs(s, start);
        self.control_log.push(ControlLog {
            at_ns: self.now,
            stage: self.stages[s].cfg.id.clone(),
            label,
            refused: result.err(),
        });
        if !self.stages[s].waiting.is_empty() {
            self.drain_waiting(s);
        }
    }

    /// The current value of a metric of stage `s` for an alarm; rates are
    /// per second since the alarm's previous sample.
    fn metric_value(&self, s: usize, metric: &str, last: (u64, u64, u64), period_ns: Nanos) -> (f64, (u64, u64, u64)) {
        let st = &self.stages[s];
        let m = &st.metrics;
        let counts = (m.completed, m.throttled, m.dropped_total());
        let per_s = |now: u64, before: u64| (now - before.min(now)) as f64 / (period_ns as f64 / 1e9);
        let v = match metric {
            "backlog" => self.stage_in_flight(s) as f64,
            "throughput_per_s" => per_s(counts.0, last.0),
            "throttled_per_s" => per_s(counts.1, last.1),
            "dropped_per_s" => per_s(counts.2, last.2),
            "utilization" => st
                .model
                .servers()
                .map_or(0.0, |c| st.model.busy() as f64 / c.max(1) as f64),
            other => st
                .model
                .extra(self.now)
                .into_iter()
                .find(|(k, _)| *k == other)
                .map_or(0.0, |(_, v)| v),
        };
        (v, counts)
    }

    /// Samples alarm `a` of monitor stage `s`, fires its action when due,
    /// and schedules the next sample.
    fn evaluate_alarm(&mut self, s: usize, a: usize) {
        use crate::models::monitor::AlarmAction;
        let Model::Monitor(m) = &self.stages[s].model else {
            return;
        };
        let al = m.alarms[a].clone();
        let (value, counts) = self.metric_value(al.watch, &al.metric, al.last_counts, al.period_ns);
        let breach = if al.above {
            value > al.threshold
        } else {
            value < al.threshold
        };
        let now = self.now;
        let mut fire = false;
        if let Model::Monitor(m) = &mut self.stages[s].model {
            let st = &mut m.alarms[a];
            st.last_counts = counts;
            st.breaches = if breach { st.breaches + 1 } else { 0 };
            if st.breaches >= st.evaluation_periods {
                let cooled = st.last_fired.is_none_or(|t| now >= t + st.cooldown_ns);
                if !st.in_alarm || cooled {
                    fire = true;
                    st.in_alarm = true;
                    st.last_fired = Some(now);
                    st.fired += 1;
                }
            } else if !breach {
                st.in_alarm = false;
            }
        }
        if fire {
            let label = format!(
                "alarm {}: {} {} {} ({:.3})",
                al.id,
                al.metric,
                if al.above { ">" } else { "<" },
                al.threshold,
                value
            );
            match al.action {
                AlarmAction::Control(c) => self.apply_control(al.target, c, label),
                AlarmAction::Notify => {
                    if let Model::Monitor(m) = &mut self.stages[s].model {
                        m.notifications += 1;
                    }
                    self.stages[s].metrics.created += 1;
                    self.stages[s].held += 1;
                    let holder = Holder::Stage(s as u32, 0);
                    let blocked = self.hand_off(holder, al.target, Batch::new(1, 100, now), false);
                    if blocked > 0 {
                        *self.blocked_parts.entry(holder).or_insert(0) += blocked;
                    }
                    let target = self.stages[al.target].cfg.id.clone();
                    self.control_log.push(ControlLog {
                        at_ns: now,
                        stage: target,
                        label,
                        refused: None,
                    });
                }
            }
        }
        if now + al.period_ns <= self.duration_ns {
            self.queue.push(now + al.period_ns, Ev::Alarm(s as u32, a as u32));
        }
    }

    // ---------------------------------------------------------------- statistics

    fn restart_stats(&mut self) {
        let now = self.now;
        for st in &mut self.stages {
            st.metrics.restart_stats(now);
        }
        for src in &mut self.sources {
            src.metrics.restart_stats(now);
        }
        self.e2e.from_event.clear();
        self.e2e.from_ingest.clear();
    }

    fn sample(&mut self) {
        let now = self.now;
        let dt_s = self.resolution_ns as f64 / NS_PER_S as f64;
        for s in 0..self.stages.len() {
            self.stages[s].metrics.advance(now);
            let st = &mut self.stages[s];
            let m = &st.metrics;
            let dropped = m.dropped_total() + m.throttled;
            st.series
                .throughput
                .push((m.completed - st.last_completed) as f64 / dt_s);
            st.series
                .backlog
                .push((m.area_in_system_total() - st.last_area) as f64 / self.resolution_ns as f64);
            st.series.dropped.push((dropped - st.last_dropped) as f64 / dt_s);
            st.last_completed = m.completed;
            st.last_area = m.area_in_system_total();
            st.last_dropped = dropped;
        }
        let e = &mut self.e2e;
        if let Some(s) = &mut e.throughput {
            s.push((e.delivered - e.last_delivered) as f64 / dt_s);
        }
        let (sum, n) = (e.latency_sum_ns - e.last_latency.0, e.latency_n - e.last_latency.1);
        if let Some(s) = &mut e.latency_mean_s {
            s.push(if n == 0 { 0.0 } else { sum as f64 / n as f64 / 1e9 });
        }
        e.last_delivered = e.delivered;
        e.last_latency = (e.latency_sum_ns, e.latency_n);
        if now + self.resolution_ns <= self.duration_ns {
            self.queue.push(now + self.resolution_ns, Ev::Sample);
        }
        #[cfg(debug_assertions)]
        {
            let c = super::conservation::check(self);
            assert!(c.holds(), "conservation violated at t={now} ns: {c:?}");
        }
    }

    /// Kind-specific measurements of stage `s`.
    pub fn stage_extra(&self, s: usize) -> Vec<(&'static str, f64)> {
        self.stages[s].model.extra(self.now)
    }

    /// Records currently inside stage `s` (model, held outputs and retries).
    pub fn stage_in_flight(&self, s: usize) -> u64 {
        let st = &self.stages[s];
        st.model.in_system() + st.held + st.metrics.retrying
    }

    /// Records currently held by source `i` (buffer, blocked, retrying).
    pub fn source_in_flight(&self, i: usize) -> u64 {
        let s = &self.sources[i];
        s.buffered + s.blocked_records + s.metrics.retrying
    }

    /// Events still pending.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// A default service time for tests: exponential with mean `mean_ns`.
    pub fn exp_service(mean_ns: f64) -> super::stages::ServiceTime {
        super::stages::ServiceTime {
            per_record: Dist::Exponential { mean: mean_ns },
            per_batch_ns: 0,
            bytes_per_s: None,
        }
    }
}
