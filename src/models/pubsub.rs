//! The subscriber side of a Pub/Sub `stream` (`flavour = "pubsub"`):
//! streaming pull with per-subscriber flow control and ordering keys.
//!
//! ```text
//!  publish ──▶ backlog (one lane; with ordering keys, one lane per key)
//!                 │  delivered while the subscriber has room:
//!                 │  outstanding messages < max_outstanding_messages and
//!                 │  outstanding bytes    < max_outstanding_bytes
//!                 ▼
//!   subscriber k: callbacks run concurrently, each `process` long ──▶ ack ──▶ downstream
//! ```
//!
//! A subscriber holds at most `max_outstanding_messages` messages and
//! `max_outstanding_bytes` received but not yet acknowledged (the client
//! libraries' flow control: 1,000 messages and 100 MiB by default); when
//! either is reached, delivery to it pauses until an ack (a message is acked
//! once its callback has finished and handed it downstream, so a blocked
//! downstream keeps messages outstanding). By Little's law a subscriber's
//! throughput is then at most outstanding / processing time. With ordering
//! keys, messages of one key are delivered in publish order, one at a time:
//! the next is delivered after the previous is acked, so a hot key is
//! limited to 1 / processing time whatever the flow control allows.
//! A message whose processing outlasts the ack deadline is redelivered (a
//! duplicate). A crashed subscriber's unacked messages are redelivered to
//! the others (no duplicates: Pub/Sub acks each message, there is no
//! checkpoint). Undelivered messages expire after the retention period.

use crate::sim::batch::Batch;
use crate::sim::dist::Dist;
use crate::sim::metrics::DropReason;
use crate::sim::stage::Ctx;
use crate::sim::time::{round_ns, Nanos};
use std::collections::{BTreeMap, VecDeque};

/// Deliveries in flight are named by a 16-bit timer index.
const MAX_DELIVERIES: usize = 0xffff;

/// Flow-control and ordering settings of a subscription.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlowControl {
    /// Messages received and not yet acknowledged, per subscriber.
    pub max_messages: u64,
    /// Bytes received and not yet acknowledged, per subscriber.
    pub max_bytes: u64,
    /// Deliver each ordering key's messages in order, one at a time.
    pub ordering_keys: bool,
}

/// Messages (a batch: one message in the exact regime) delivered to a
/// subscriber and not yet acknowledged.
#[derive(Clone, Copy, Debug)]
struct Delivery {
    batch: Batch,
    sub: u32,
    lane: u32,
    delivered_at: Nanos,
    /// Handed downstream (acked), waiting to be released.
    emitted: bool,
    /// Its subscriber crashed: redelivered when its timer fires.
    lost: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Subscriber {
    msgs: u64,
    bytes: u64,
    down_until: Nanos,
}

/// A subscription's backlog and its subscribers.
#[derive(Clone, Debug)]
pub struct Subscription {
    fc: FlowControl,
    /// Undelivered messages per lane (lane 0 only without ordering keys).
    lanes: BTreeMap<u32, VecDeque<Batch>>,
    /// Lanes that may deliver now, in the order they became ready.
    ready: VecDeque<u32>,
    /// Per lane: a message outstanding (ordering keys) or queued in `ready`.
    lane_state: BTreeMap<u32, (bool, bool)>,
    /// Undelivered records.
    pub records: u64,
    deliveries: Vec<Option<Delivery>>,
    free: Vec<u32>,
    subs: Vec<Subscriber>,
    next_sub: usize,
    pub expiry_pending: bool,
    wake_pending: bool,
    /// Last acked event time per key (for counting reordering).
    last_acked: BTreeMap<u32, Nanos>,
    // --- measurements ---
    pub redelivered: u64,
    pub out_of_order: u64,
    pub outstanding_max: u64,
    /// Time some lane had messages but no subscriber had room, in ns.
    pub flow_paused_ns: Nanos,
    paused_since: Option<Nanos>,
}

impl Subscription {
    /// A subscription with `subscribers` subscribers.
    pub fn new(fc: FlowControl, subscribers: u32) -> Self {
        Subscription {
            fc,
            lanes: BTreeMap::new(),
            ready: VecDeque::new(),
            lane_state: BTreeMap::new(),
            records: 0,
            deliveries: Vec::new(),
            free: Vec::new(),
            subs: vec![Subscriber::default(); subscribers.max(1) as usize],
            next_sub: 0,
            expiry_pending: false,
            wake_pending: false,
            last_acked: BTreeMap::new(),
            redelivered: 0,
            out_of_order: 0,
            outstanding_max: 0,
            flow_paused_ns: 0,
            paused_since: None,
        }
    }

    fn lane_of(&self, b: &Batch) -> u32 {
        if self.fc.ordering_keys {
            b.key
        } else {
            0
        }
    }

    /// Marks lane `l` ready if it has messages, is not busy and not queued.
    fn maybe_ready(&mut self, l: u32) {
        let has = self.lanes.get(&l).is_some_and(|q| !q.is_empty());
        let st = self.lane_state.entry(l).or_insert((false, false));
        if has && !st.0 && !st.1 {
            st.1 = true;
            self.ready.push_back(l);
        }
    }

    /// A published batch joins the backlog (at the back, or at the front
    /// for a redelivery of unacked messages).
    pub fn push(&mut self, b: Batch, front: bool) {
        let l = self.lane_of(&b);
        self.records += b.count;
        let q = self.lanes.entry(l).or_default();
        if front {
            q.push_front(b);
        } else {
            q.push_back(b);
        }
        self.maybe_ready(l);
    }

    /// Messages delivered and not yet acked (counting emitted ones).
    pub fn outstanding(&self) -> u64 {
        self.subs.iter().map(|s| s.msgs).sum()
    }

    /// Records inside: the backlog plus deliveries not yet handed on.
    pub fn in_system(&self) -> u64 {
        self.records
            + self
                .deliveries
                .iter()
                .flatten()
                .filter(|d| !d.emitted)
                .map(|d| d.batch.count)
                .sum::<u64>()
    }

    /// Deliveries in flight.
    pub fn busy(&self) -> u64 {
        self.deliveries.iter().flatten().count() as u64
    }

    /// Subscribers.
    pub fn subscribers(&self) -> usize {
        self.subs.len()
    }

    /// Age of the oldest undelivered message.
    pub fn oldest_age(&self, now: Nanos) -> Nanos {
        self.lanes
            .values()
            .filter_map(|q| q.front())
            .map(|b| now.saturating_sub(b.stage_arrival))
            .max()
            .unwrap_or(0)
    }

    /// Resizes to `n` subscribers (scaling the consumer fleet).
    pub fn set_subscribers(&mut self, n: usize) {
        // Subscribers beyond `n` keep their outstanding messages until acked.
        if n > self.subs.len() {
            self.subs.resize(n, Subscriber::default());
        } else {
            self.subs.truncate(n.max(1).max(self.busiest_needed()));
        }
    }

    /// Subscribers that still hold deliveries must stay (the highest index + 1).
    fn busiest_needed(&self) -> usize {
        self.deliveries
            .iter()
            .flatten()
            .map(|d| d.sub as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// Room at subscriber `s` for messages of `per_msg` bytes.
    fn room(&self, s: usize, per_msg: u64, now: Nanos) -> u64 {
        let sub = &self.subs[s];
        if sub.down_until > now || sub.msgs >= self.fc.max_messages || sub.bytes >= self.fc.max_bytes {
            return 0;
        }
        let by_msgs = self.fc.max_messages - sub.msgs;
        // A message larger than the byte limit is still delivered alone.
        let by_bytes = ((self.fc.max_bytes - sub.bytes) / per_msg.max(1)).max(u64::from(sub.msgs == 0));
        by_msgs.min(by_bytes)
    }

    /// Delivers what flow control and ordering allow. `timer(index)` is the
    /// payload of a delivery's completion timer; `wake` the payload of a
    /// wake-up when a down subscriber comes back.
    pub fn dispatch(&mut self, ctx: &mut Ctx, process: &Dist, timer: impl Fn(u32) -> u32, wake: u32) -> Nanos {
        let now = ctx.now;
        let mut oldest_wait = 0;
        while let Some(&lane) = self.ready.front() {
            if self.deliveries.len() >= MAX_DELIVERIES && self.free.is_empty() {
                break;
            }
            let head = *self.lanes[&lane].front().expect("a ready lane has messages");
            let per_msg = head.bytes.div_ceil(head.count.max(1));
            let n = self.subs.len();
            let Some((s, room)) = (0..n)
                .map(|k| (self.next_sub + k) % n)
                .map(|s| (s, self.room(s, per_msg, now)))
                .find(|&(_, r)| r > 0)
            else {
                break;
            };
            self.next_sub = (s + 1) % n;
            let q = self.lanes.get_mut(&lane).expect("lane");
            let mut b = q.pop_front().expect("head");
            if b.count > room {
                let part = b.split_off(room);
                q.push_front(b);
                b = part;
            }
            let lane_empty = q.is_empty();
            self.records -= b.count;
            self.ready.pop_front();
            let st = self.lane_state.entry(lane).or_insert((false, false));
            st.1 = false;
            if self.fc.ordering_keys {
                st.0 = true; // one outstanding per key: ready again at its ack
            } else if !lane_empty {
                st.1 = true;
                self.ready.push_back(lane);
            }
            let waited = now.saturating_sub(b.stage_arrival);
            oldest_wait = oldest_wait.max(waited);
            ctx.record_wait(waited, b.count);
            // Ordered messages of a key run one after another; unordered
            // ones run concurrently, each callback one `process` long.
            let t = if self.fc.ordering_keys {
                process.sample_sum(b.count, ctx.rng)
            } else {
                process.sample_sum(b.count, ctx.rng) / b.count as f64
            };
            let sub = &mut self.subs[s];
            sub.msgs += b.count;
            sub.bytes += b.bytes;
            let d = Delivery {
                batch: b,
                sub: s as u32,
                lane,
                delivered_at: now,
                emitted: false,
                lost: false,
            };
            let idx = match self.free.pop() {
                Some(i) => {
                    self.deliveries[i as usize] = Some(d);
                    i
                }
                None => {
                    self.deliveries.push(Some(d));
                    self.deliveries.len() as u32 - 1
                }
            };
            ctx.schedule(now + round_ns(t), timer(idx));
        }
        self.outstanding_max = self.outstanding_max.max(self.outstanding());
        // Flow control (or a down subscriber) holds back messages.
        let held = !self.ready.is_empty();
        match (held, self.paused_since) {
            (true, None) => self.paused_since = Some(now),
            (false, Some(t)) => {
                self.flow_paused_ns += now - t;
                self.paused_since = None;
            }
            _ => {}
        }
        if held && !self.wake_pending {
            if let Some(up) = self.subs.iter().map(|s| s.down_until).filter(|&t| t > now).min() {
                self.wake_pending = true;
                ctx.schedule(up, wake);
            }
        }
        oldest_wait
    }

    /// The wake-up timer fired.
    pub fn woke(&mut self) {
        self.wake_pending = false;
    }

    /// Delivery `idx` finished processing. Returns the batch to hand
    /// downstream (the ack), or `None` when its subscriber crashed (the
    /// messages went back to the backlog). `ack_deadline` redelivers
    /// messages processed for longer (duplicates).
    pub fn done(&mut self, ctx: &mut Ctx, idx: u32, ack_deadline: Option<Nanos>) -> Option<Batch> {
        let d = self.deliveries.get(idx as usize).copied().flatten()?;
        if d.lost {
            self.finish(idx);
            self.redelivered += d.batch.count;
            let mut b = d.batch;
            b.attempts = b.attempts.saturating_add(1);
            self.push(b, true);
            return None;
        }
        if let Some(deadline) = ack_deadline {
            if ctx.now - d.delivered_at > deadline && d.batch.duplicates < d.batch.count {
                let mut copy = d.batch;
                copy.duplicates = copy.count;
                copy.stage_arrival = ctx.now;
                ctx.create_records(copy.count);
                self.redelivered += copy.count;
                self.push(copy, false);
            }
        }
        let key = d.batch.key;
        let last = self.last_acked.entry(key).or_insert(0);
        if d.batch.event_min < *last {
            self.out_of_order += d.batch.count;
        }
        *last = (*last).max(d.batch.event_min);
        if let Some(Some(x)) = self.deliveries.get_mut(idx as usize) {
            x.emitted = true;
        }
        Some(d.batch)
    }

    /// The acked delivery `idx` has been placed downstream: its
    /// flow-control room (and its ordering key) is free again.
    pub fn release(&mut self, idx: u32) {
        self.finish(idx);
    }

    fn finish(&mut self, idx: u32) {
        let Some(d) = self.deliveries.get_mut(idx as usize).and_then(Option::take) else {
            return;
        };
        self.free.push(idx);
        let sub = &mut self.subs[d.sub as usize];
        sub.msgs -= d.batch.count;
        sub.bytes -= d.batch.bytes;
        if self.fc.ordering_keys {
            if let Some(st) = self.lane_state.get_mut(&d.lane) {
                st.0 = false;
            }
        }
        self.maybe_ready(d.lane);
    }

    /// Subscriber `w` crashes: its unacked messages are redelivered when
    /// their callbacks would have ended; it takes none until `up_at`.
    pub fn crash(&mut self, w: usize, up_at: Nanos) {
        if let Some(s) = self.subs.get_mut(w) {
            s.down_until = up_at;
        }
        for d in self.deliveries.iter_mut().flatten() {
            if d.sub as usize == w && !d.emitted {
                d.lost = true;
            }
        }
    }

    /// Drops undelivered messages older than `retention`; returns when the
    /// next one expires (if any).
    pub fn expire(&mut self, ctx: &mut Ctx, retention: Nanos) -> Option<Nanos> {
        let mut next: Option<Nanos> = None;
        for q in self.lanes.values_mut() {
            while let Some(h) = q.front() {
                if h.stage_arrival + retention > ctx.now {
                    let at = h.stage_arrival + retention;
                    next = Some(next.map_or(at, |n| n.min(at)));
                    break;
                }
                let b = q.pop_front().expect("head");
                self.records -= b.count;
                ctx.drop_records(DropReason::Expired, b.count);
            }
        }
        // Emptied lanes leave the ready queue.
        let lanes = &self.lanes;
        let states = &mut self.lane_state;
        self.ready.retain(|l| {
            let keep = lanes.get(l).is_some_and(|q| !q.is_empty());
            if !keep {
                if let Some(st) = states.get_mut(l) {
                    st.1 = false;
                }
            }
            keep
        });
        next
    }

    /// When the oldest undelivered message expires.
    pub fn next_expiry(&self, retention: Nanos) -> Option<Nanos> {
        self.lanes
            .values()
            .filter_map(|q| q.front())
            .map(|h| h.stage_arrival + retention)
            .min()
    }

    /// Time delivery was held back by flow control, up to `now`, in ns.
    pub fn paused_ns(&self, now: Nanos) -> Nanos {
        self.flow_paused_ns + self.paused_since.map_or(0, |t| now.saturating_sub(t))
    }
}
