//! The event queue: a binary min-heap keyed by (time, insertion sequence).
//!
//! Ordering contract: events fire in increasing time; events at the same
//! time fire in the order they were scheduled (FIFO). The sequence number
//! makes every tie break the same way on every run and target.

use super::time::Nanos;

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
    /// Apply operational change `0` of the fault timeline.
    Control(u32),
    /// Monitor stage `0` evaluates its alarm `1`.
    Alarm(u32, u32),
    /// Take a time-series sample.
    Sample,
    /// End of the warm-up period: statistics restart.
    Warmup,
}

impl Ev {
    /// Packs into 64 bits: tag (4) | a (28) | b (32).
    #[inline(always)]
    fn pack(self) -> u64 {
        let (tag, a, b) = match self {
            Ev::Source(i) => (0u64, i, 0),
            Ev::Stage(s, p) => (1, s, p),
            Ev::Retry(i) => (2, i, 0),
            Ev::Wake(s) => (3, s, 0),
            Ev::Sample => (4, 0, 0),
            Ev::Warmup => (5, 0, 0),
            Ev::Control(i) => (6, i, 0),
            Ev::Alarm(s, a) => (7, s, a),
        };
        debug_assert!(a < (1 << 28));
        (tag << 60) | ((a as u64) << 32) | b as u64
    }

    #[inline]
    fn unpack(v: u64) -> Ev {
        let a = ((v >> 32) & ((1 << 28) - 1)) as u32;
        let b = v as u32;
        match v >> 60 {
            0 => Ev::Source(a),
            1 => Ev::Stage(a, b),
            2 => Ev::Retry(a),
            3 => Ev::Wake(a),
            4 => Ev::Sample,
            5 => Ev::Warmup,
            6 => Ev::Control(a),
            _ => Ev::Alarm(a, b),
        }
    }
}

/// One pending event. Three plain words: the heap moves them with scalar
/// loads and stores (a packed `u128` key was measurably slower: mixed-width
/// stores and loads defeat store forwarding).
#[derive(Clone, Copy, Debug)]
struct Entry {
    time: Nanos,
    seq: u64,
    ev: u64,
}

impl Entry {
    #[inline(always)]
    fn before(&self, o: &Entry) -> bool {
        self.time < o.time || (self.time == o.time && self.seq < o.seq)
    }
}

/// A binary min-heap of entries on (time, seq), sifted with a hole.
#[derive(Clone, Debug, Default)]
struct Heap(Vec<Entry>);

impl Heap {
    #[inline(always)]
    fn push(&mut self, e: Entry) {
        let h = &mut self.0;
        let mut i = h.len();
        h.push(e);
        while i > 0 {
            let parent = (i - 1) / 2;
            if !e.before(&h[parent]) {
                break;
            }
            h[i] = h[parent];
            i = parent;
        }
        h[i] = e;
    }

    /// Removes the top (the heap must not be empty).
    #[inline(always)]
    fn remove_top(&mut self) {
        let h = &mut self.0;
        let last = h.pop().expect("non-empty");
        let n = h.len();
        if n > 0 {
            let mut i = 0;
            loop {
                let l = 2 * i + 1;
                if l >= n {
                    break;
                }
                let r = l + 1;
                let c = if r < n && h[r].before(&h[l]) { r } else { l };
                if !h[c].before(&last) {
                    break;
                }
                h[i] = h[c];
                i = c;
            }
            h[i] = last;
        }
    }
}

/// The time and sequence of an empty heap's top: after every real entry.
const NONE: Entry = Entry {
    time: Nanos::MAX,
    seq: u64::MAX,
    ev: 0,
};

/// Pending events, in two binary min-heaps on (time, seq) that share one
/// sequence counter: sources' next arrivals in one, everything else in the
/// other; a pop takes the earlier of the two tops. The order is exactly
/// that of one heap, but the source heap holds one entry per source (one,
/// in most scenarios: push and pop then move nothing) and the other heap is
/// smaller, so half of the events of a queueing model skip the sifting.
#[derive(Clone, Debug, Default)]
pub struct EventQueue {
    sources: Heap,
    others: Heap,
    seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `ev` at `time`. Inlined so that packing and the choice of
    /// heap fold to constants at each call site.
    #[inline(always)]
    pub fn push(&mut self, time: Nanos, ev: Ev) {
        let e = Entry {
            time,
            seq: self.seq,
            ev: ev.pack(),
        };
        self.seq += 1;
        if matches!(ev, Ev::Source(_)) {
            self.sources.push(e);
        } else {
            self.others.push(e);
        }
    }

    /// Time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        match (self.sources.0.first(), self.others.0.first()) {
            (Some(a), Some(b)) => Some(a.time.min(b.time)),
            (a, b) => a.or(b).map(|e| e.time),
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, Ev)> {
        self.pop_due(Nanos::MAX)
    }

    /// Removes and returns the earliest event if it is due by `t` (its time
    /// is at most `t`): the event loop's peek and pop in one.
    #[inline(always)]
    pub fn pop_due(&mut self, t: Nanos) -> Option<(Nanos, Ev)> {
        let s = *self.sources.0.first().unwrap_or(&NONE);
        let o = *self.others.0.first().unwrap_or(&NONE);
        let (top, heap) = if s.before(&o) {
            (s, &mut self.sources)
        } else {
            (o, &mut self.others)
        };
        if heap.0.is_empty() || top.time > t {
            return None;
        }
        heap.remove_top();
        Some((top.time, Ev::unpack(top.ev)))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.sources.0.len() + self.others.0.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_sequence_order_for_random_schedules() {
        let mut rng = crate::sim::rng::Stream::new(1, "heap");
        let mut q = EventQueue::new();
        // Reference: (time, insertion number, event), kept sorted.
        let mut reference: Vec<(u64, u32, Ev)> = Vec::new();
        let mut next = 0u32;
        for round in 0..5000u32 {
            for _ in 0..(1 + rng.below(3)) {
                let t = 1000 + rng.below(40);
                // Sources' events go to their own heap: ties between the two
                // heaps must still fire in scheduling order.
                let ev = if rng.below(3) == 0 {
                    Ev::Source(next)
                } else {
                    Ev::Stage(round % 7, next)
                };
                q.push(t, ev);
                reference.push((t, next, ev));
                next += 1;
            }
            if rng.below(2) == 0 || round == 4999 {
                while !reference.is_empty() && rng.below(2) == 0 {
                    reference.sort_by_key(|r| (r.0, r.1));
                    let (t, _, ev) = reference.remove(0);
                    assert_eq!(q.peek_time(), Some(t));
                    assert_eq!(q.pop(), Some((t, ev)));
                    assert_eq!(q.len(), reference.len());
                }
            }
        }
        reference.sort_by_key(|r| (r.0, r.1));
        for (t, _, ev) in reference {
            assert_eq!(q.pop_due(t - 1), None, "not due before its time");
            assert_eq!(q.pop_due(t), Some((t, ev)));
        }
        assert!(q.pop().is_none());
        assert!(q.is_empty() && q.peek_time().is_none());
    }

    #[test]
    fn equal_times_fire_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(5, Ev::Stage(0, 1));
        q.push(3, Ev::Stage(0, 2));
        q.push(5, Ev::Source(3));
        q.push(5, Ev::Stage(0, 4));
        q.push(5, Ev::Source(5));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert!(q.is_empty());
        assert_eq!(
            order,
            vec![
                (3, Ev::Stage(0, 2)),
                (5, Ev::Stage(0, 1)),
                (5, Ev::Source(3)),
                (5, Ev::Stage(0, 4)),
                (5, Ev::Source(5))
            ]
        );
    }
}
