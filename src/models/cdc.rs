//! `cdc`: change data capture from a key-value table into a SQL database
//! (DynamoDB Streams with a Lambda applier, MongoDB change streams or
//! Datastream on Google Cloud).
//!
//! The changes the upstream store wrote arrive here (the store's `to`) and
//! wait in a FIFO log. `appliers` workers each take up to `batch_size`
//! changes from the head, once `propagation` (the stream's delivery delay)
//! has passed since they were written, and hand them to the SQL store. A change is *applied* once the
//! store has taken it; give the store `on_full = "block"` so an applier
//! whose store is busy waits holding its changes — that back-pressure is
//! what makes the lag grow when the store is too small.
//!
//! Metrics: `records_behind` = changes received but not yet handed to the
//! SQL store (queued or held by an applier; a held batch the store has
//! partly taken counts whole until it is all placed, so it may exceed the
//! exact figure by up to one batch per applier). The exact consistency
//! check is [`differing_records`]: it equals this stage's in-flight records
//! (held outputs included) plus the SQL store's uncommitted rows.
//! `lag_s` = age of the oldest such change; `max_lag_s` its maximum.

use super::{parse_params, BuildEnv, Built, KindInfo, ParamError};
use crate::report::RunReport;
use crate::scenario::units::Duration;
use crate::sim::batch::Batch;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::Nanos;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const CDC: KindInfo = KindInfo {
    name: "cdc",
    aws: "DynamoDB Streams",
    gcp: "Datastream",
    help: "Change data capture: the changes an upstream `kv_store` wrote (link the store's `to` here) are \
           applied to a `sql_store` downstream by `appliers` workers taking up to `batch_size` changes each \
           after `propagation`. Give the SQL store `on_full = \"block\"` so a busy store holds the appliers \
           back: then the replication lag (`lag_s`, age of the oldest unapplied change) and `records_behind` \
           grow when the store is too small and stay near zero when it keeps up. `records_behind` plus the \
           SQL store's in-flight rows is the consistency check: the rows on which the two stores differ. It \
           does not model stream shards, the 24-hour retention of DynamoDB Streams, reordering or failed \
           applies.",
    params: &[
        super::count("appliers", "appliers"),
        super::count("batch_size", "changes per hand-over"),
        super::dur("propagation", "s"),
    ],
    has_to: true,
    limits: &[],
};

/// A `cdc` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Parallel appliers (default 1).
    pub appliers: Option<u32>,
    /// Most changes one applier hands over at once (default 100).
    pub batch_size: Option<u64>,
    /// Delay before a change can be applied (default 0).
    pub propagation: Option<Duration>,
}

/// Builds a `cdc` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if env.capacity != u64::MAX {
        errors.push(ParamError::at("capacity", "a `cdc` log is unbounded in this model"));
    }
    if p.appliers == Some(0) {
        errors.push(ParamError::at("appliers", "must be at least 1"));
    }
    if p.batch_size == Some(0) {
        errors.push(ParamError::at("batch_size", "must be at least 1"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Built {
        model: Model::Cdc(Box::new(CdcStage::new(
            p.appliers.unwrap_or(1),
            p.batch_size.unwrap_or(100),
            p.propagation.map_or(0, |d| d.0),
        ))),
        routes: None,
    })
}

/// One applier: idle, or holding a batch (emitted once `true`).
#[derive(Clone, Copy, Debug)]
enum Applier {
    Idle,
    /// Holding changes; `true` once emitted to the store.
    Busy(Batch, bool),
}

/// The engine model of a `cdc` stage.
#[derive(Clone, Debug)]
pub struct CdcStage {
    log: VecDeque<Batch>,
    queued: u64,
    appliers: Vec<Applier>,
    batch_size: u64,
    propagation_ns: Nanos,
    received: u64,
    handed: u64,
    max_lag_ns: Nanos,
}

impl CdcStage {
    /// `appliers` workers of `batch_size` changes after `propagation_ns`.
    pub fn new(appliers: u32, batch_size: u64, propagation_ns: Nanos) -> Self {
        CdcStage {
            log: VecDeque::new(),
            queued: 0,
            appliers: vec![Applier::Idle; appliers as usize],
            batch_size,
            propagation_ns,
            received: 0,
            handed: 0,
            max_lag_ns: 0,
        }
    }

    /// Changes not yet handed to the SQL store.
    pub fn records_behind(&self) -> u64 {
        self.received - self.handed
    }

    /// Arrival time of the oldest unapplied change.
    fn oldest(&self) -> Option<Nanos> {
        let held = self.appliers.iter().filter_map(|a| match a {
            Applier::Busy(b, _) => Some(b.stage_arrival),
            Applier::Idle => None,
        });
        held.chain(self.log.front().map(|b| b.stage_arrival)).min()
    }

    fn note_lag(&mut self, now: Nanos) {
        if let Some(t) = self.oldest() {
            self.max_lag_ns = self.max_lag_ns.max(now.saturating_sub(t));
        }
    }

    /// Gives idle appliers the changes at the head of the log whose
    /// propagation is over, and hands them to the store at once.
    fn dispatch(&mut self, ctx: &mut Ctx) {
        let ready = |b: &Batch, p: Nanos, now: Nanos| b.stage_arrival.saturating_add(p) <= now;
        for i in 0..self.appliers.len() {
            if !matches!(self.appliers[i], Applier::Idle) {
                continue;
            }
            match self.log.front() {
                Some(f) if ready(f, self.propagation_ns, ctx.now) => {}
                _ => return,
            }
            let mut b = self.log.pop_front().expect("log not empty");
            if b.count > self.batch_size {
                let rest = b.split_off(b.count - self.batch_size);
                self.log.push_front(rest);
            } else {
                while let Some(next) = self.log.front_mut() {
                    let room = self.batch_size - b.count;
                    if room == 0 || !ready(next, self.propagation_ns, ctx.now) {
                        break;
                    }
                    if next.count <= room {
                        let n = self.log.pop_front().expect("front exists");
                        b.absorb(&n);
                    } else {
                        let part = next.split_off(room);
                        b.absorb(&part);
                    }
                }
            }
            self.queued -= b.count;
            self.appliers[i] = Applier::Busy(b, true);
            ctx.record_wait(ctx.now.saturating_sub(b.stage_arrival), b.count);
            ctx.emit(i as u32, b);
        }
    }
}

impl StageModel for CdcStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (u64::MAX, false)
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let lag = self.oldest().map_or(0, |t| now.saturating_sub(t));
        vec![
            ("records_behind", self.records_behind() as f64),
            ("lag_s", lag as f64 / 1e9),
            ("max_lag_s", self.max_lag_ns.max(lag) as f64 / 1e9),
            ("changes_received", self.received as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        self.received += batch.count;
        self.queued += batch.count;
        self.log.push_back(batch);
        self.note_lag(ctx.now);
        if self.propagation_ns == 0 {
            self.dispatch(ctx);
        } else {
            ctx.schedule(ctx.now + self.propagation_ns, 0);
        }
    }

    /// A change's propagation is over.
    fn on_event(&mut self, ctx: &mut Ctx, _payload: u32) {
        self.note_lag(ctx.now);
        self.dispatch(ctx);
    }

    /// The store took the changes: they are applied.
    fn release(&mut self, ctx: &mut Ctx, i: u32) {
        self.note_lag(ctx.now);
        if let Applier::Busy(b, _) = self.appliers[i as usize] {
            self.handed += b.count;
        }
        self.appliers[i as usize] = Applier::Idle;
        self.dispatch(ctx);
    }

    fn in_system(&self) -> u64 {
        // Emitted batches are outputs, which the engine counts itself.
        let propagating: u64 = self
            .appliers
            .iter()
            .map(|a| match a {
                Applier::Busy(b, false) => b.count,
                _ => 0,
            })
            .sum();
        self.queued + propagating
    }
    fn in_queue(&self) -> u64 {
        self.queued
    }
    fn busy(&self) -> u64 {
        self.appliers.iter().filter(|a| matches!(a, Applier::Busy(..))).count() as u64
    }
    fn servers(&self) -> Option<u64> {
        Some(self.appliers.len() as u64)
    }
}

/// The consistency check between a key-value store and the SQL store its
/// changes are applied to: rows written to `kv` that `sql` has not yet
/// committed (`kv.items_written − sql.rows_applied`), from a report taken at
/// any time. `None` if either stage is missing or of the wrong kind.
pub fn differing_records(report: &RunReport, kv: &str, sql: &str) -> Option<u64> {
    let w = *report.stages.get(kv)?.extra.get("items_written")?;
    let a = *report.stages.get(sql)?.extra.get("rows_applied")?;
    Some((w - a).max(0.0) as u64)
}
