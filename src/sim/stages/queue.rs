//! `queue`: c servers (or infinitely many), FIFO, capacity K counting records
//! waiting plus in service. With one record per batch and exponential times
//! this is the textbook M/M/c/K queue.

use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::stage::{Ctx, StageModel};
use crate::sim::time::Nanos;
use std::collections::VecDeque;

/// How long a batch takes to serve.
#[derive(Clone, Debug)]
pub struct ServiceTime {
    /// Time per record, in nanoseconds.
    pub per_record: Dist,
    /// Fixed time per batch (request overhead), in nanoseconds.
    pub per_batch_ns: Nanos,
    /// Optional throughput per server in bytes per second; adds bytes / rate.
    pub bytes_per_s: Option<f64>,
}

impl ServiceTime {
    /// Draws the service time of `batch`.
    #[inline(always)]
    pub fn draw(&self, batch: &Batch, rng: &mut crate::sim::rng::Stream) -> Nanos {
        let mut t = self.per_record.sample_sum(batch.count, rng);
        if let Some(bps) = self.bytes_per_s {
            t += batch.bytes as f64 / bps * 1e9;
        }
        self.per_batch_ns + crate::sim::time::round_ns(t)
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    batch: Batch,
    /// True while serving; false once emitted (blocked or leaving).
    serving: bool,
    used: bool,
}

/// A FIFO multi-server queue.
#[derive(Clone, Debug)]
pub struct QueueStage {
    service: ServiceTime,
    /// Capacity in records (waiting + in service + held); `u64::MAX` = unbounded.
    capacity: u64,
    /// `None` = infinite servers.
    servers: Option<u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    queue: VecDeque<Batch>,
    queued_records: u64,
    serving_records: u64,
    busy: u64,
    /// Service-time multiplier (a slowdown fault); 1 = normal.
    slow: f64,
    /// Stopped: no new service starts.
    stopped: bool,
}

impl QueueStage {
    /// A queue with `servers` servers (`None` = infinite) and `capacity` records.
    pub fn new(service: ServiceTime, servers: Option<u32>, capacity: u64) -> Self {
        let n = servers.unwrap_or(0);
        QueueStage {
            service,
            capacity,
            servers,
            slots: Vec::with_capacity(n as usize),
            free: (0..n).rev().collect(),
            queue: VecDeque::new(),
            queued_records: 0,
            serving_records: 0,
            busy: 0,
            slow: 1.0,
            stopped: false,
        }
    }

    /// Held-output records are counted by the engine against capacity, so
    /// room here only covers waiting and serving records.
    fn occupied(&self) -> u64 {
        self.queued_records + self.serving_records
    }

    fn take_slot(&mut self) -> Option<u32> {
        if let Some(s) = self.free.pop() {
            return Some(s);
        }
        if self.servers.is_none() {
            self.slots.push(Slot {
                batch: Batch::new(1, 0, 0),
                serving: false,
                used: false,
            });
            return Some(self.slots.len() as u32 - 1);
        }
        None
    }

    #[inline(always)]
    fn start(&mut self, ctx: &mut Ctx, slot: u32, batch: Batch) {
        ctx.record_wait(ctx.now - batch.stage_arrival, batch.count);
        let t = self.service.draw(&batch, ctx.rng);
        let t = if self.slow == 1.0 {
            t
        } else {
            crate::sim::time::round_ns(t as f64 * self.slow)
        };
        let i = slot as usize;
        if i >= self.slots.len() {
            self.slots.resize(
                i + 1,
                Slot {
                    batch,
                    serving: false,
                    used: false,
                },
            );
        }
        self.slots[i] = Slot {
            batch,
            serving: true,
            used: true,
        };
        self.serving_records += batch.count;
        self.busy += 1;
        ctx.schedule(ctx.now + t, slot);
    }
}

impl StageModel for QueueStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.occupied()), false)
    }

    #[inline]
    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        if self.queue.is_empty() && !self.stopped {
            if let Some(slot) = self.take_slot() {
                self.start(ctx, slot, batch);
                return;
            }
        }
        self.queued_records += batch.count;
        self.queue.push_back(batch);
    }

    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let s = &mut self.slots[slot as usize];
        debug_assert!(s.serving && s.used);
        s.serving = false;
        self.serving_records -= s.batch.count;
        ctx.emit(slot, s.batch);
    }

    fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        self.busy -= 1;
        self.slots[slot as usize].used = false;
        if self.stopped {
            self.free.push(slot);
            return;
        }
        if let Some(next) = self.queue.pop_front() {
            self.queued_records -= next.count;
            self.start(ctx, slot, next);
        } else {
            self.free.push(slot);
        }
    }

    fn in_system(&self) -> u64 {
        self.occupied()
    }
    fn in_queue(&self) -> u64 {
        self.queued_records
    }
    fn busy(&self) -> u64 {
        self.busy
    }
    fn servers(&self) -> Option<u64> {
        self.servers.map(|s| s as u64)
    }

    fn control(&mut self, ctx: &mut Ctx, c: crate::sim::stage::Control) -> Result<(), String> {
        use crate::sim::stage::Control;
        match c {
            Control::Slow(f) if f > 0.0 && f.is_finite() => self.slow = f,
            Control::Slow(_) => return Err("slow factor must be more than zero".into()),
            Control::Stop => self.stopped = true,
            Control::Resume => {
                self.stopped = false;
                while !self.queue.is_empty() {
                    let Some(slot) = self.take_slot() else { break };
                    let next = self.queue.pop_front().expect("non-empty");
                    self.queued_records -= next.count;
                    self.start(ctx, slot, next);
                }
            }
            Control::ScaleTo(_) | Control::ScaleBy(_) | Control::Crash(_) => {
                return Err(format!("`{}` does not apply to a queue", c.name()))
            }
        }
        Ok(())
    }
}
