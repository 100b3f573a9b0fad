//! The stage contract that every model (generic or service) implements.
//!
//! A stage receives batches that fit its room, schedules its own timers,
//! and emits finished batches through [`Ctx::emit`], naming the output slot
//! (a server, a slab entry) that holds them. The engine then hands the batch
//! downstream; the slot stays occupied until the engine calls
//! [`StageModel::release`], which is how blocking after service works: a
//! server whose output cannot be placed simply is not released.
//!
//! Stages are stored in an enum ([`Model`]) and dispatched by `match`, so the
//! hot path has no dynamic dispatch.

use super::batch::Batch;
use super::event::{Ev, EventQueue};
use super::metrics::{Levels, StageMetrics};
use super::rng::Stream;
use super::stages::{BatcherStage, DelayStage, QueueStage};
use super::time::Nanos;

/// An emitted batch and the slot that holds it until released.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub slot: u32,
    pub batch: Batch,
}

/// The output slot that means "send to this stage's `dead_letter` stage":
/// records a stage gives up on (a schema failure, say) and emits there are
/// never held or released; without a `dead_letter` stage they are dropped
/// with reason `dead_letter`.
pub const DEAD_LETTER_SLOT: u32 = u32::MAX;

/// What a stage sees of the engine while it handles a call.
pub struct Ctx<'a> {
    /// Current simulated time.
    pub now: Nanos,
    /// This stage's index.
    pub stage: u32,
    /// This stage's random stream.
    pub rng: &'a mut Stream,
    /// This stage's metrics (for wait times; the engine keeps the rest).
    pub metrics: &'a mut StageMetrics,
    pub(crate) events: &'a mut EventQueue,
    pub(crate) out: &'a mut Vec<Output>,
}

impl Ctx<'_> {
    /// Schedules this stage's timer `payload` at absolute time `at`.
    #[inline]
    pub fn schedule(&mut self, at: Nanos, payload: u32) {
        self.events.push(at, Ev::Stage(self.stage, payload));
    }

    /// Emits `batch` held in `slot`.
    #[inline]
    pub fn emit(&mut self, slot: u32, batch: Batch) {
        self.out.push(Output { slot, batch });
    }

    /// Sends `batch` to the stage's `dead_letter` stage (see
    /// [`DEAD_LETTER_SLOT`]).
    #[inline]
    pub fn dead_letter(&mut self, batch: Batch) {
        self.out.push(Output {
            slot: DEAD_LETTER_SLOT,
            batch,
        });
    }

    /// Counts `n` records dropped inside the stage (expired, failed, …).
    #[inline]
    pub fn drop_records(&mut self, reason: super::metrics::DropReason, n: u64) {
        self.metrics.drop_records(reason, n);
    }

    /// Counts `n` records the stage created (re-read or redelivered copies).
    #[inline]
    pub fn create_records(&mut self, n: u64) {
        self.metrics.created += n;
    }

    /// Counts `n` records removed as duplicates of earlier records.
    #[inline]
    pub fn deduplicate(&mut self, n: u64) {
        self.metrics.deduplicated += n;
    }

    /// Records that `weight` records waited `wait_ns` for a server.
    #[inline]
    pub fn record_wait(&mut self, wait_ns: Nanos, weight: u64) {
        self.metrics.wait.record(wait_ns, weight);
        if wait_ns > 0 {
            self.metrics.measured_waited += weight;
        }
    }
}

/// An operational change applied to a stage by a fault on the timeline or
/// by an alarm's action.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Control {
    /// Stop processing (consumers stop reading, servers stop starting work).
    Stop,
    /// Undo `Stop`.
    Resume,
    /// Crash worker `n` (streams: re-read from the last checkpoint).
    Crash(u32),
    /// Multiply processing times by this factor (1.0 restores).
    Slow(f64),
    /// Resize to this many shards / servers.
    ScaleTo(u32),
    /// Resize by this factor (rounded, at least 1).
    ScaleBy(f64),
}

impl Control {
    /// The name used in scenario files and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Control::Stop => "stop",
            Control::Resume => "resume",
            Control::Crash(_) => "crash",
            Control::Slow(_) => "slow",
            Control::ScaleTo(_) | Control::ScaleBy(_) => "scale",
        }
    }
}

/// The behaviour of one kind of stage.
pub trait StageModel {
    /// How many records of `batch` the stage can accept at `now`
    /// (`u64::MAX` if unbounded), not counting records its emitted but
    /// unreleased outputs hold (the engine subtracts those), and whether the
    /// limit is a throughput limit (a throttle) rather than capacity.
    fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool);
    /// When a throughput limit will next admit a record (for waking blocked
    /// senders); `None` if the stage has no such limit.
    fn next_room_at(&mut self, _now: Nanos) -> Option<Nanos> {
        None
    }
    /// A timer the stage wants at the start of the run, before any record
    /// arrives (time, payload); `None` for most kinds.
    fn initial_timer(&self) -> Option<(Nanos, u32)> {
        None
    }
    /// Kind-specific measurements for reports (name, value with its unit in
    /// the name), in a fixed order.
    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
    /// Applies an operational change; `Err` says why this kind cannot.
    fn control(&mut self, _ctx: &mut Ctx, c: Control) -> Result<(), String> {
        Err(format!("`{}` does not apply to this kind of stage", c.name()))
    }
    /// Takes `batch`, which fits the room.
    fn accept(&mut self, ctx: &mut Ctx, batch: Batch);
    /// One of this stage's timers fired.
    fn on_event(&mut self, ctx: &mut Ctx, payload: u32);
    /// The output held in `slot` has left: the slot is free again.
    fn release(&mut self, ctx: &mut Ctx, slot: u32);
    /// Records inside the stage, not counting emitted outputs.
    fn in_system(&self) -> u64;
    /// Records waiting for a server.
    fn in_queue(&self) -> u64;
    /// Busy servers (including ones blocked holding an output).
    fn busy(&self) -> u64;
    /// Number of servers, if finite (for utilisation).
    fn servers(&self) -> Option<u64>;
    /// The three levels at once (one dispatch per event on the hot path).
    #[inline]
    fn levels(&self) -> Levels {
        Levels {
            in_system: self.in_system(),
            in_queue: self.in_queue(),
            busy: self.busy(),
        }
    }
}

/// Every stage model, for static dispatch.
#[derive(Clone, Debug)]
pub enum Model {
    /// FIFO queue with c servers.
    Queue(QueueStage),
    /// Pure delay: every batch waits its own delay, no queueing.
    Delay(DelayStage),
    /// A sharded stream and its consumers (Kinesis, Kafka, Pub/Sub).
    Stream(Box<crate::models::stream::StreamStage>),
    /// Alarms over other stages (evaluated by the engine).
    Monitor(crate::models::monitor::MonitorStage),
    /// Accumulates records into larger batches by size or time.
    Batcher(BatcherStage),
    /// Serverless function: concurrency limit, cold starts, GB-seconds.
    Function(crate::models::function::FunctionStage),
    /// Object store: per-prefix request-rate limits, storage over time.
    ObjectStore(crate::models::object_store::ObjectStoreStage),
    /// Bulk migration on shipped devices (Snowball, Transfer Appliance).
    Transfer(crate::models::transfer::TransferStage),
    /// A network link: FIFO transmission at a bandwidth, then latency.
    Link(crate::models::link::LinkStage),
    /// Duplicate removal by key or vector similarity (OpenSearch k-NN).
    Dedup(Box<crate::models::dedup::DedupStage>),
    /// Analytical warehouse: loads and an internal query mix (Redshift, BigQuery).
    Warehouse(Box<crate::models::warehouse::WarehouseStage>),
    /// Partitioned key-value table (DynamoDB, Bigtable).
    KvStore(Box<crate::models::kv_store::KvStoreStage>),
    /// Change data capture applying a table's changes downstream.
    Cdc(Box<crate::models::cdc::CdcStage>),
    /// Relational database instance (RDS, Cloud SQL).
    SqlStore(Box<crate::models::sql_store::SqlStoreStage>),
    /// Managed ETL job (Glue, Dataflow): scheduled or streaming runs.
    Etl(Box<crate::models::etl::EtlStage>),
    /// Spark (or MapReduce) micro-batches with watermarks and joins.
    Spark(Box<crate::models::spark::SparkStage>),
    /// Zero-time splitter; resolved by the engine, never holds records.
    Router,
    /// Delivers everything it receives.
    Sink,
}

macro_rules! dispatch {
    ($self:ident, $m:ident => $e:expr, router => $r:expr) => {
        match $self {
            Model::Queue($m) => $e,
            Model::Delay($m) => $e,
            Model::Stream($m) => $e,
            Model::Monitor($m) => $e,
            Model::Batcher($m) => $e,
            Model::Function($m) => $e,
            Model::ObjectStore($m) => $e,
            Model::Transfer($m) => $e,
            Model::Link($m) => $e,
            Model::Dedup($m) => $e,
            Model::Warehouse($m) => $e,
            Model::KvStore($m) => $e,
            Model::Cdc($m) => $e,
            Model::SqlStore($m) => $e,
            Model::Etl($m) => $e,
            Model::Spark($m) => $e,
            Model::Router | Model::Sink => $r,
        }
    };
}

impl Model {
    /// Room for records (see [`StageModel::room`]).
    #[inline(always)]
    pub fn room(&mut self, now: Nanos, batch: &Batch) -> (u64, bool) {
        dispatch!(self, m => m.room(now, batch), router => (u64::MAX, false))
    }
    /// See [`StageModel::next_room_at`].
    pub fn next_room_at(&mut self, now: Nanos) -> Option<Nanos> {
        dispatch!(self, m => m.next_room_at(now), router => None)
    }
    /// See [`StageModel::control`].
    pub fn control(&mut self, ctx: &mut Ctx, c: Control) -> Result<(), String> {
        dispatch!(self, m => m.control(ctx, c), router => Err(format!("`{}` does not apply to a router or sink", c.name())))
    }
    /// See [`StageModel::initial_timer`].
    pub fn initial_timer(&self) -> Option<(Nanos, u32)> {
        dispatch!(self, m => m.initial_timer(), router => None)
    }
    /// See [`StageModel::extra`].
    pub fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        dispatch!(self, m => m.extra(now), router => Vec::new())
    }
    /// See [`StageModel::accept`]. Sinks emit at once, to be delivered.
    #[inline(always)]
    pub fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        dispatch!(self, m => m.accept(ctx, batch), router => ctx.emit(0, batch))
    }
    /// See [`StageModel::on_event`].
    #[inline(always)]
    pub fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        dispatch!(self, m => m.on_event(ctx, payload), router => ())
    }
    /// See [`StageModel::release`].
    #[inline(always)]
    pub fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        dispatch!(self, m => m.release(ctx, slot), router => ())
    }
    /// See [`StageModel::in_system`].
    #[inline]
    pub fn in_system(&self) -> u64 {
        dispatch!(self, m => m.in_system(), router => 0)
    }
    /// See [`StageModel::in_queue`].
    #[inline]
    pub fn in_queue(&self) -> u64 {
        dispatch!(self, m => m.in_queue(), router => 0)
    }
    /// See [`StageModel::busy`].
    #[inline]
    pub fn busy(&self) -> u64 {
        dispatch!(self, m => m.busy(), router => 0)
    }
    /// See [`StageModel::levels`].
    #[inline(always)]
    pub fn levels(&self) -> Levels {
        dispatch!(self, m => m.levels(), router => Levels::default())
    }
    /// See [`StageModel::servers`].
    pub fn servers(&self) -> Option<u64> {
        dispatch!(self, m => m.servers(), router => None)
    }
}
