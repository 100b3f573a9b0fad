//! `delay`: every batch waits its own delay drawn from a distribution, with
//! no queueing (an infinite-server station, like network latency).

use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::stage::{Ctx, StageModel};
use crate::sim::time::round_ns;
use crate::sim::time::Nanos;

/// A pure delay.
#[derive(Clone, Debug)]
pub struct DelayStage {
    delay: Dist,
    capacity: u64,
    slab: crate::sim::slab::BatchSlab,
    delaying_records: u64,
}

impl DelayStage {
    /// A delay stage; `delay` is in nanoseconds.
    pub fn new(delay: Dist, capacity: u64) -> Self {
        DelayStage {
            delay,
            capacity,
            slab: crate::sim::slab::BatchSlab::default(),
            delaying_records: 0,
        }
    }
}

impl StageModel for DelayStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.delaying_records), false)
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        ctx.record_wait(0, batch.count);
        let slot = self.slab.insert(batch);
        self.delaying_records += batch.count;
        let d = round_ns(self.delay.sample(ctx.rng));
        ctx.schedule(ctx.now + d, slot);
    }

    fn on_event(&mut self, ctx: &mut Ctx, slot: u32) {
        let b = self.slab.get(slot);
        self.delaying_records -= b.count;
        ctx.emit(slot, b);
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.slab.remove(slot);
    }

    fn in_system(&self) -> u64 {
        self.delaying_records
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
