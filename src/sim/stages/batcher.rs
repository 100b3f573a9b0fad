//! `batcher`: accumulates records and emits them as one batch when `size`
//! records have gathered or `window` has passed since the first of them,
//! whichever comes first (a producer's linger, a micro-batch trigger).

use crate::sim::batch::Batch;
use crate::sim::stage::{Ctx, StageModel};
use crate::sim::time::Nanos;

/// A size- or time-triggered batcher.
#[derive(Clone, Debug)]
pub struct BatcherStage {
    size: u64,
    window_ns: Option<Nanos>,
    capacity: u64,
    open: Option<Batch>,
    /// Incremented on every flush; a window timer for an older generation is stale.
    generation: u32,
    /// Emitted batches not yet released.
    outstanding: u64,
}

impl BatcherStage {
    /// Flush at `size` records or after `window_ns` (either may be unbounded).
    pub fn new(size: u64, window_ns: Option<Nanos>, capacity: u64) -> Self {
        BatcherStage {
            size: size.max(1),
            window_ns,
            capacity,
            open: None,
            generation: 0,
            outstanding: 0,
        }
    }

    fn flush(&mut self, ctx: &mut Ctx) {
        if let Some(b) = self.open.take() {
            self.generation = self.generation.wrapping_add(1);
            self.outstanding += 1;
            ctx.emit(0, b);
        }
    }
}

impl StageModel for BatcherStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.in_system()), false)
    }

    fn accept(&mut self, ctx: &mut Ctx, mut batch: Batch) {
        loop {
            let have = self.open.map_or(0, |b| b.count);
            let need = self.size - have;
            let part = if batch.count > need {
                Some(batch.split_off(need))
            } else {
                None
            };
            let (take, rest) = match part {
                Some(p) => (p, Some(batch)),
                None => (batch, None),
            };
            ctx.record_wait(0, take.count);
            match &mut self.open {
                Some(open) => open.absorb(&take),
                None => {
                    self.open = Some(take);
                    if let Some(w) = self.window_ns {
                        ctx.schedule(ctx.now + w, self.generation);
                    }
                }
            }
            if self.open.map_or(0, |b| b.count) >= self.size {
                self.flush(ctx);
            }
            match rest {
                Some(r) => batch = r,
                None => break,
            }
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx, generation: u32) {
        if generation == self.generation {
            self.flush(ctx);
        }
    }

    fn release(&mut self, _ctx: &mut Ctx, _slot: u32) {
        self.outstanding -= 1;
    }

    fn in_system(&self) -> u64 {
        self.open.map_or(0, |b| b.count)
    }
    fn in_queue(&self) -> u64 {
        self.in_system()
    }
    fn busy(&self) -> u64 {
        self.outstanding
    }
    fn servers(&self) -> Option<u64> {
        None
    }
}
