//! The event queue: a binary min-heap keyed by (time, insertion sequence).
//!
//! Ordering contract: events fire in increasing time; events at the same
//! time fire in the order they were scheduled (FIFO). The sequence number
//! makes every tie break the same way on every run and target.

use super::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What an event does. Small and `Copy`: no allocation per event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// Source `0` emits its next arrival (or aggregated batch).
    Source(u32),
    /// Stage `0` handles its own timer with payload `1` (a server slot, a
    /// slab index, a window generation: the stage decides).
    Stage(u32, u32),
    /// A rejected batch held in retry slot `0` tries again.
    Retry(u32),
    /// Stage `0` may have room again (token bucket refilled): retry waiters.
    Wake(u32),
    /// Take a time-series sample.
    Sample,
    /// End of the warm-up period: statistics restart.
    Warmup,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    time: Nanos,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.time == o.time && self.seq == o.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    /// Reversed so that `BinaryHeap` (a max-heap) pops the earliest event.
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

/// Pending events.
#[derive(Clone, Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `ev` at `time`.
    #[inline]
    pub fn push(&mut self, time: Nanos, ev: Ev) {
        self.heap.push(Entry {
            time,
            seq: self.seq,
            ev,
        });
        self.seq += 1;
    }

    /// Time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, Ev)> {
        self.heap.pop().map(|e| (e.time, e.ev))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_fire_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(5, Ev::Stage(0, 1));
        q.push(3, Ev::Stage(0, 2));
        q.push(5, Ev::Stage(0, 3));
        q.push(5, Ev::Stage(0, 4));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (3, Ev::Stage(0, 2)),
                (5, Ev::Stage(0, 1)),
                (5, Ev::Stage(0, 3)),
                (5, Ev::Stage(0, 4))
            ]
        );
    }
}
