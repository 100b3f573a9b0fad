//! Sources: open-loop record generators.
//!
//! A source's rate is a base rate times an hourly profile multiplier times
//! the factors of any active spikes: a piecewise-constant function of time.
//! Poisson arrivals are drawn exactly against it (the exponential "work"
//! left is carried across rate changes, which is exact because the process
//! is memoryless). With `aggregate` set, the source instead emits, per key
//! bucket and per interval, one batch whose count is Poisson with the
//! integrated rate: independent Poisson counts per bucket are exactly a
//! multinomial split of the Poisson total.

use super::batch::{content_group, Batch};
use super::dist::Dist;
use super::rng::Stream;
use super::time::{round_ns, Nanos, NS_PER_S};

/// How arrivals are spaced.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson process (exponential gaps).
    Poisson,
    /// Evenly spaced at the current rate.
    Constant,
    /// Replay of a trace: (time, records, bytes if given).
    Trace(Vec<TraceRow>),
}

/// One row of a replayed trace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraceRow {
    pub time_ns: Nanos,
    pub count: u64,
    pub bytes: Option<u64>,
}

/// A record kind a source emits, with its share of the records and size.
#[derive(Clone, Debug, PartialEq)]
pub struct KindMix {
    /// Scenario-wide kind id carried in [`Batch::kind`] (from 1; 0 = none).
    pub id: u16,
    pub name: String,
    /// Share of the source's records (the shares of a source sum to 1).
    pub share: f64,
    /// Bytes per record of this kind.
    pub size: Dist,
}

/// Splits `count` records over kinds with shares `shares`: each kind's
/// quota is `count · share` plus the fraction it was owed by earlier calls
/// (`carry`); whole quotas are given, the records left over go to the
/// largest remainders (ties to the first kind), and what each kind is still
/// owed (or was given ahead) is carried. The counts sum to `count` exactly,
/// and over any run of calls every kind's total stays within the number of
/// kinds of `share` times the records split: deterministic, no draws.
pub fn apportion(count: u64, shares: &[f64], carry: &mut [f64], out: &mut [u64]) {
    let quota = |share: f64, owed: f64| count as f64 * share + owed;
    let mut given = 0u64;
    for ((n, &share), &owed) in out.iter_mut().zip(shares).zip(carry.iter()) {
        let q = quota(share, owed);
        *n = if q > 0.0 { q.floor() as u64 } else { 0 };
        given += *n;
    }
    // Float rounding aside, whole quotas sum to at most `count`; clamped
    // negative quotas can push the sum over it, so adjust both ways.
    while given != count {
        let short = given < count;
        let mut best: Option<(usize, f64)> = None;
        for (i, ((&n, &share), &owed)) in out.iter().zip(shares).zip(carry.iter()).enumerate() {
            let rem = quota(share, owed) - n as f64;
            let better = match best {
                None => short || n > 0,
                Some((_, b)) if short => rem > b,
                Some((_, b)) => n > 0 && rem < b,
            };
            if better {
                best = Some((i, rem));
            }
        }
        let Some((i, _)) = best else { break };
        if short {
            out[i] += 1;
            given += 1;
        } else {
            out[i] -= 1;
            given -= 1;
        }
    }
    for ((owed, &share), &n) in carry.iter_mut().zip(shares).zip(out.iter()) {
        *owed += count as f64 * share - n as f64;
    }
}

/// A temporary multiplication of a source's rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    pub start_ns: Nanos,
    pub duration_ns: Nanos,
    pub factor: f64,
}

/// Retry behaviour of a sender whose batch was refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u16,
    /// Back-off before retry k (k from 0) is `min(cap, base · 2^k)`.
    pub base_ns: Nanos,
    pub cap_ns: Nanos,
    /// Full jitter: the back-off is drawn uniformly in [0, that].
    pub jitter: bool,
}

impl RetryPolicy {
    /// Back-off before the retry numbered `attempt` (0-based).
    pub fn backoff(&self, attempt: u16, rng: &mut Stream) -> Nanos {
        let exp = self.base_ns.saturating_mul(1u64 << attempt.min(40));
        let d = exp.min(self.cap_ns);
        if self.jitter {
            (d as f64 * rng.uniform()) as Nanos
        } else {
            d
        }
    }
}

/// A source as the engine runs it.
#[derive(Clone, Debug)]
pub struct SourceConfig {
    pub id: String,
    /// Index of the stage it feeds.
    pub to: usize,
    pub arrivals: Arrivals,
    /// Base rate in records per second.
    pub rate_per_s: f64,
    /// 24 hourly multipliers (a diurnal profile), repeating every day.
    pub hourly: Option<Vec<f64>>,
    pub spikes: Vec<Spike>,
    /// Bytes per record.
    pub record_bytes: Dist,
    /// Emit aggregated batches on this interval instead of single records.
    pub aggregate_ns: Option<Nanos>,
    /// Key buckets (partition keys) records are spread over.
    pub key_buckets: u32,
    /// Share of each key bucket (sums to 1); `None` = uniform. Built from a
    /// Zipf skew or a hot-key share, so that hot shards appear downstream.
    pub key_shares: Option<Vec<f64>>,
    /// Records the source buffers while downstream blocks it.
    pub buffer_records: u64,
    /// What happens when that buffer is full: `false` drops new records
    /// (counted as `source_buffer_full`), `true` blocks the caller: the
    /// source stops generating until the buffer has room (closed loop), and
    /// the time it spends so is counted (`blocked_s`).
    pub block_when_full: bool,
    pub start_ns: Nanos,
    pub stop_ns: Option<Nanos>,
    /// Stop after this many records.
    pub limit: Option<u64>,
    pub retry: Option<RetryPolicy>,
    pub dead_letter: Option<usize>,
    /// Duplicates injected at the source (none if `None`).
    pub duplicates: Option<Duplicates>,
    /// Late data: (share of records, delay between event time and arrival
    /// in nanoseconds). Poisson and constant arrivals only.
    pub lateness: Option<(f64, Dist)>,
    /// Record kinds (empty: every record has kind 0 and `record_bytes`).
    /// In the exact regime each record draws its kind (shares as
    /// probabilities); an aggregated source splits each batch into one batch
    /// per kind by [`apportion`].
    pub kinds: Vec<KindMix>,
}

/// Duplicates a source injects: a share of records are copies of recent
/// earlier records, exact or near (a noisy copy of the original's vector).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duplicates {
    /// Share of records that are duplicates, 0 to 1.
    pub fraction: f64,
    /// Share of duplicates that are near (noisy) rather than exact copies.
    pub near: f64,
    /// Dimension of the records' embedding vectors.
    pub dim: u32,
    /// Standard deviation of a near-duplicate's noise per component
    /// (base vectors have unit length, components of size about 1/√dim).
    pub noise: f64,
    /// A duplicate copies one of the last `spread` originals (uniformly).
    pub spread: u64,
}

impl Duplicates {
    /// Writes the embedding of content (`group`, `variant`) into `out`
    /// (`dim` components): the group's base vector, a unit vector drawn from
    /// a stream seeded by the group, plus for `variant > 0` Gaussian noise of
    /// `noise / √dim` per component from a stream seeded by the variant.
    /// Deterministic: any stage can regenerate a record's vector.
    pub fn vector(&self, group: u64, variant: u32, out: &mut Vec<f64>) {
        let dim = self.dim.max(1) as usize;
        out.clear();
        let mut base = Stream::new(group, "dup:base");
        out.extend((0..dim).map(|_| base.normal()));
        let norm = f64::sqrt(out.iter().map(|x| x * x).sum::<f64>()).max(1e-300);
        out.iter_mut().for_each(|x| *x /= norm);
        if variant > 0 {
            let mut n = Stream::new(group ^ ((variant as u64) << 32 | variant as u64), "dup:noise");
            let sd = self.noise / f64::sqrt(dim as f64);
            out.iter_mut().for_each(|x| *x += sd * n.normal());
        }
    }
}

const HOUR_NS: Nanos = 3600 * NS_PER_S;

impl SourceConfig {
    /// The rate (records per second) in force at `t`.
    pub fn rate_at(&self, t: Nanos) -> f64 {
        let mut r = self.rate_per_s;
        if let Some(h) = &self.hourly {
            r *= h[((t / HOUR_NS) % 24) as usize];
        }
        for s in &self.spikes {
            if t >= s.start_ns && t - s.start_ns < s.duration_ns {
                r *= s.factor;
            }
        }
        if t < self.start_ns || self.stop_ns.is_some_and(|e| t >= e) {
            0.0
        } else {
            r
        }
    }

    /// The next time after `t` at which the rate may change.
    pub fn next_change(&self, t: Nanos) -> Nanos {
        let mut n = Nanos::MAX;
        if self.hourly.is_some() {
            n = (t / HOUR_NS + 1) * HOUR_NS;
        }
        for s in &self.spikes {
            for e in [s.start_ns, s.start_ns.saturating_add(s.duration_ns)] {
                if e > t {
                    n = n.min(e);
                }
            }
        }
        if self.start_ns > t {
            n = n.min(self.start_ns);
        }
        if let Some(e) = self.stop_ns {
            if e > t {
                n = n.min(e);
            }
        }
        n
    }

    /// ∫ rate dt over [t0, t1], in records.
    pub fn expected_records(&self, t0: Nanos, t1: Nanos) -> f64 {
        let mut t = t0;
        let mut acc = 0.0;
        while t < t1 {
            let e = self.next_change(t).min(t1);
            acc += self.rate_at(t) * (e - t) as f64 / NS_PER_S as f64;
            t = e;
        }
        acc
    }

    /// True when the rate never changes (no profile, spikes, start or stop):
    /// arrivals then need no piecewise bookkeeping.
    #[inline]
    pub fn is_stationary(&self) -> bool {
        self.hourly.is_none()
            && self.spikes.is_empty()
            && self.start_ns == 0
            && self.stop_ns.is_none()
            && self.rate_per_s > 0.0
    }

    /// True when records are emitted as aggregated batches.
    pub fn is_aggregated(&self) -> bool {
        self.aggregate_ns.is_some()
    }
}

/// Key shares for `n` keys: Zipf with exponent `skew` (share of key k is
/// proportional to 1/(k+1)^skew), with key 0 then forced to `hot` of the
/// total if given (the rest keep their relative Zipf or uniform weights).
pub fn key_shares(n: u32, skew: Option<f64>, hot: Option<f64>) -> Option<Vec<f64>> {
    if skew.is_none() && hot.is_none() {
        return None;
    }
    let n = n.max(1) as usize;
    let mut w: Vec<f64> = (0..n)
        .map(|k| libm::pow(k as f64 + 1.0, -skew.unwrap_or(0.0)))
        .collect();
    let total: f64 = w.iter().sum();
    w.iter_mut().for_each(|x| *x /= total);
    if let Some(h) = hot {
        if n == 1 {
            return Some(vec![1.0]);
        }
        let rest: f64 = w[1..].iter().sum();
        w[0] = h;
        w[1..].iter_mut().for_each(|x| *x *= (1.0 - h) / rest);
    }
    Some(w)
}

/// A source's running state.
#[derive(Clone, Debug)]
pub struct SourceState {
    pub rng: Stream,
    /// Next trace row to replay.
    pub trace_pos: usize,
    /// Fractional records carried between constant-rate aggregated intervals.
    pub carry: f64,
    /// Records generated so far.
    pub generated: u64,
    /// Original (non-duplicate) records so far, when injecting duplicates.
    pub originals: u64,
    /// Poisson arrivals at a rate that never changes (checked once).
    stationary_poisson: bool,
    /// Bytes of every record when the size is deterministic (no draw).
    fixed_bytes: Option<u64>,
    /// Records generated per kind (in the order of `SourceConfig::kinds`).
    pub kind_generated: Vec<u64>,
    /// Fractions of a record each kind is owed by [`apportion`].
    kind_carry: Vec<f64>,
    /// Scratch for the per-kind counts of a split.
    kind_split: Vec<u64>,
    /// The kinds' shares (in the order of `SourceConfig::kinds`).
    kind_shares: Vec<f64>,
}

impl SourceState {
    /// A new state for `cfg` under `seed`.
    pub fn new(cfg: &SourceConfig, seed: u64) -> Self {
        SourceState {
            rng: Stream::new(seed, &format!("source:{}", cfg.id)),
            trace_pos: 0,
            carry: 0.0,
            generated: 0,
            originals: 0,
            stationary_poisson: matches!(cfg.arrivals, Arrivals::Poisson) && cfg.is_stationary(),
            fixed_bytes: match cfg.record_bytes {
                Dist::Deterministic { value } => Some(value as u64),
                _ => None,
            },
            kind_generated: vec![0; cfg.kinds.len()],
            kind_carry: vec![0.0; cfg.kinds.len()],
            kind_split: vec![0; cfg.kinds.len()],
            kind_shares: cfg.kinds.iter().map(|k| k.share).collect(),
        }
    }

    /// Time of the first emission, or `None` if the source never emits.
    pub fn first_time(&mut self, cfg: &SourceConfig) -> Option<Nanos> {
        match &cfg.arrivals {
            Arrivals::Trace(rows) => rows.first().map(|r| r.time_ns),
            _ => match cfg.aggregate_ns {
                Some(dt) => Some(cfg.start_ns + dt),
                None => self.next_arrival(cfg, cfg.start_ns),
            },
        }
    }

    /// The next single-record arrival after `t` (exact regime).
    #[inline(always)]
    pub fn next_arrival(&mut self, cfg: &SourceConfig, t: Nanos) -> Option<Nanos> {
        if self.stationary_poisson {
            return Some(t + (self.rng.exp1() / cfg.rate_per_s * NS_PER_S as f64) as Nanos).map(|n| n.max(t + 1));
        }
        self.next_arrival_varying(cfg, t)
    }

    /// [`Self::next_arrival`] for arrivals other than stationary Poisson.
    #[inline(never)]
    fn next_arrival_varying(&mut self, cfg: &SourceConfig, mut t: Nanos) -> Option<Nanos> {
        match cfg.arrivals {
            Arrivals::Poisson if cfg.is_stationary() => {
                Some(t + (self.rng.exp1() / cfg.rate_per_s * NS_PER_S as f64) as Nanos).map(|n| n.max(t + 1))
            }
            Arrivals::Poisson => {
                let mut work = self.rng.exp1();
                loop {
                    let r = cfg.rate_at(t);
                    let change = cfg.next_change(t);
                    if r > 0.0 {
                        let dt = work / r * NS_PER_S as f64;
                        if (t as f64 + dt) < change as f64 {
                            return Some(t + (dt as Nanos).max(1));
                        }
                        work -= r * (change - t) as f64 / NS_PER_S as f64;
                    }
                    if change == Nanos::MAX {
                        return None;
                    }
                    t = change;
                }
            }
            Arrivals::Constant => loop {
                let r = cfg.rate_at(t);
                if r > 0.0 {
                    return Some(t + ((NS_PER_S as f64 / r) as Nanos).max(1));
                }
                let change = cfg.next_change(t);
                if change == Nanos::MAX {
                    return None;
                }
                t = change;
            },
            Arrivals::Trace(_) => None,
        }
    }

    /// Emits what is due at `now` into `out`; returns the next emission time.
    pub fn emit(&mut self, cfg: &SourceConfig, now: Nanos, out: &mut Vec<Batch>) -> Option<Nanos> {
        let remaining = cfg.limit.map_or(u64::MAX, |l| l.saturating_sub(self.generated));
        if remaining == 0 {
            return None;
        }
        match &cfg.arrivals {
            Arrivals::Trace(rows) if !cfg.kinds.is_empty() => {
                let row = rows[self.trace_pos];
                let count = row.count.min(remaining);
                if cfg.aggregate_ns.is_some() {
                    self.push_kinds(cfg, out, count, row.bytes, (now, now, 0), 0);
                } else {
                    let mut left = row.bytes.unwrap_or(0);
                    for i in 0..count {
                        let k = self.draw_kind(cfg);
                        let b = match row.bytes {
                            Some(_) if i + 1 == count => left,
                            Some(total) => total / count,
                            None => cfg.kinds[k].size.sample(&mut self.rng) as u64,
                        };
                        left = left.saturating_sub(b);
                        self.push(out, 1, b, now, 0);
                        if let Some(last) = out.last_mut() {
                            last.kind = cfg.kinds[k].id;
                        }
                    }
                }
                self.trace_pos += 1;
                rows.get(self.trace_pos).map(|r| r.time_ns.max(now))
            }
            Arrivals::Trace(rows) => {
                let row = rows[self.trace_pos];
                let count = row.count.min(remaining);
                let bytes = row
                    .bytes
                    .unwrap_or_else(|| cfg.record_bytes.sample_sum(count, &mut self.rng) as u64);
                if cfg.aggregate_ns.is_some() || count == 1 {
                    self.push(out, count, bytes, now, 0);
                } else {
                    let mut left = bytes;
                    for i in 0..count {
                        let b = if i + 1 == count { left } else { bytes / count };
                        left -= b;
                        self.push(out, 1, b, now, 0);
                    }
                }
                self.trace_pos += 1;
                rows.get(self.trace_pos).map(|r| r.time_ns.max(now))
            }
            _ => match cfg.aggregate_ns {
                None => {
                    let (b, next) = self.emit_one(cfg, now);
                    self.generated += 1;
                    out.push(b);
                    next
                }
                Some(dt) => {
                    let t0 = now - dt;
                    let lambda = cfg.expected_records(t0, now);
                    let k = cfg.key_buckets.max(1);
                    let mut left = remaining;
                    for key in 0..k {
                        let share = cfg.key_shares.as_ref().map_or(1.0 / k as f64, |s| s[key as usize]);
                        let count = match cfg.arrivals {
                            Arrivals::Constant => {
                                let exact = lambda * share + self.carry;
                                let c = exact.floor();
                                self.carry = exact - c;
                                c as u64
                            }
                            _ => self.rng.poisson(lambda * share),
                        }
                        .min(left);
                        left -= count;
                        if count > 0 && !cfg.kinds.is_empty() {
                            self.push_kinds(cfg, out, count, None, (t0 + dt / 2, t0, dt), key);
                        } else if count > 0 {
                            let bytes = cfg.record_bytes.sample_sum(count, &mut self.rng).round() as u64;
                            self.push(out, count, bytes, t0 + dt / 2, dt);
                            if let Some(b) = out.last_mut() {
                                b.event_min = t0;
                            }
                            if let Some(b) = out.last_mut() {
                                b.key = key;
                                if let Some(d) = cfg.duplicates {
                                    b.duplicates = self.rng.binomial(b.count, d.fraction);
                                }
                            }
                            if let Some((share, delay)) = &cfg.lateness {
                                self.make_late(out, *share, delay);
                            }
                        }
                    }
                    let next = now + dt;
                    match cfg.stop_ns {
                        Some(e) if now >= e => None,
                        _ if cfg.next_change(now) == Nanos::MAX && cfg.rate_at(now) == 0.0 => None,
                        _ => Some(next),
                    }
                }
            },
        }
    }

    /// True when the source emits exactly one single-record batch per
    /// emission (Poisson or constant arrivals, not aggregated): the engine
    /// then takes [`Self::emit_one`] and skips the batch buffer.
    #[inline]
    pub fn is_single(cfg: &SourceConfig) -> bool {
        cfg.aggregate_ns.is_none() && !matches!(cfg.arrivals, Arrivals::Trace(_))
    }

    /// Emits the one record due at `now` for a source with
    /// [`Self::is_single`] (the caller checked the record limit) and returns
    /// it with the next emission time. Draws exactly what [`Self::emit`]
    /// draws, in the same order.
    #[inline]
    pub fn emit_single(&mut self, cfg: &SourceConfig, now: Nanos) -> Option<(Batch, Option<Nanos>)> {
        if cfg.limit.is_some_and(|l| self.generated >= l) {
            return None;
        }
        let (b, next) = self.emit_one(cfg, now);
        self.generated += 1;
        Some((b, next))
    }

    #[inline(always)]
    fn emit_one(&mut self, cfg: &SourceConfig, now: Nanos) -> (Batch, Option<Nanos>) {
        let (kind, bytes) = if !cfg.kinds.is_empty() {
            self.draw_kind_and_size(cfg)
        } else {
            match self.fixed_bytes {
                Some(b) => (0, b),
                None => (0, cfg.record_bytes.sample(&mut self.rng) as u64),
            }
        };
        let key = match &cfg.key_shares {
            Some(shares) => {
                // Inverse CDF over the shares (few keys: a linear scan is fine).
                let mut u = self.rng.uniform();
                let mut k = shares.len() - 1;
                for (i, &p) in shares.iter().enumerate() {
                    if u < p {
                        k = i;
                        break;
                    }
                    u -= p;
                }
                k as u32
            }
            None if cfg.key_buckets > 1 => self.rng.below(cfg.key_buckets as u64) as u32,
            None => 0,
        };
        let mut b = Batch::new(1, bytes, now);
        b.key = key;
        b.kind = kind;
        if let Some(d) = cfg.duplicates {
            self.mark_duplicate(&d, &mut b);
        }
        if let Some((share, delay)) = &cfg.lateness {
            if self.rng.uniform() < *share {
                let d = round_ns(delay.sample(&mut self.rng));
                b.event_time = now.saturating_sub(d);
                b.event_min = b.event_time;
            }
        }
        (b, self.next_arrival(cfg, now))
    }

    /// Draws one record's kind (index into `cfg.kinds`) and counts it.
    fn draw_kind(&mut self, cfg: &SourceConfig) -> usize {
        let mut u = self.rng.uniform();
        let mut k = cfg.kinds.len() - 1;
        for (i, kind) in cfg.kinds.iter().enumerate() {
            if u < kind.share {
                k = i;
                break;
            }
            u -= kind.share;
        }
        self.kind_generated[k] += 1;
        k
    }

    /// A single record's kind id and size, drawn in that order.
    #[inline(never)]
    fn draw_kind_and_size(&mut self, cfg: &SourceConfig) -> (u16, u64) {
        let k = self.draw_kind(cfg);
        let kind = &cfg.kinds[k];
        (kind.id, kind.size.sample(&mut self.rng) as u64)
    }

    /// Pushes `count` records as one batch per kind ([`apportion`]), each
    /// with its kind's sizes (or its part of `bytes`, when given), event
    /// times `(mean, min, span)` and `key`; then duplicates and late records
    /// per batch as for a batch without kinds.
    fn push_kinds(
        &mut self,
        cfg: &SourceConfig,
        out: &mut Vec<Batch>,
        count: u64,
        bytes: Option<u64>,
        (event_time, event_min, span): (Nanos, Nanos, Nanos),
        key: u32,
    ) {
        let mut split = std::mem::take(&mut self.kind_split);
        apportion(count, &self.kind_shares, &mut self.kind_carry, &mut split);
        let mut bytes_left = bytes.unwrap_or(0);
        let mut records_left = count;
        for (k, &n) in split.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let b = match bytes {
                Some(total) => {
                    records_left -= n;
                    let part = if records_left == 0 {
                        bytes_left
                    } else {
                        ((total as u128 * n as u128) / count as u128) as u64
                    };
                    bytes_left -= part;
                    part
                }
                None => cfg.kinds[k].size.sample_sum(n, &mut self.rng).round() as u64,
            };
            self.kind_generated[k] += n;
            self.push(out, n, b, event_time, span);
            if let Some(last) = out.last_mut() {
                last.event_min = event_min;
                last.key = key;
                last.kind = cfg.kinds[k].id;
                if let Some(d) = cfg.duplicates {
                    last.duplicates = self.rng.binomial(n, d.fraction);
                }
            }
            if let Some((share, delay)) = &cfg.lateness {
                self.make_late(out, *share, delay);
            }
        }
        self.kind_split = split;
    }

    /// Makes the last (one-record) batch of `out` a duplicate of a recent
    /// original with probability `fraction`, or a new original.
    fn mark_duplicate(&mut self, d: &Duplicates, b: &mut Batch) {
        if self.originals > 0 && self.rng.uniform() < d.fraction {
            let back = self.rng.below(d.spread.max(1).min(self.originals));
            b.group = content_group(self.originals - back);
            b.variant = if self.rng.uniform() < d.near {
                1 + self.rng.below(u32::MAX as u64 - 1) as u32
            } else {
                0
            };
            b.duplicates = 1;
        } else {
            self.originals += 1;
            b.group = content_group(self.originals);
        }
    }

    /// Turns a binomial share of the last batch in `out` into late records:
    /// split off and shifted back in event time by one delay draw.
    fn make_late(&mut self, out: &mut Vec<Batch>, share: f64, delay: &Dist) {
        let Some(last) = out.last_mut() else { return };
        let late = self.rng.binomial(last.count, share);
        if late == 0 {
            return;
        }
        let d = round_ns(delay.sample(&mut self.rng));
        let mut part = if late == last.count {
            out.pop().expect("a batch")
        } else {
            last.split_off(late)
        };
        part.event_time = part.event_time.saturating_sub(d);
        part.event_min = part.event_min.saturating_sub(d);
        out.push(part);
    }

    fn push(&mut self, out: &mut Vec<Batch>, count: u64, bytes: u64, event_time: Nanos, span: Nanos) {
        let mut b = Batch::new(count, bytes, event_time);
        b.event_span = span;
        self.generated += count;
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(arrivals: Arrivals, rate: f64) -> SourceConfig {
        SourceConfig {
            id: "s".into(),
            to: 0,
            arrivals,
            rate_per_s: rate,
            hourly: None,
            spikes: vec![],
            record_bytes: Dist::Deterministic { value: 100.0 },
            aggregate_ns: None,
            key_buckets: 1,
            key_shares: None,
            buffer_records: 0,
            block_when_full: false,
            start_ns: 0,
            stop_ns: None,
            limit: None,
            retry: None,
            dead_letter: None,
            duplicates: None,
            lateness: None,
            kinds: vec![],
        }
    }

    #[test]
    fn spikes_and_profiles_multiply_the_rate_piecewise() {
        let mut c = cfg(Arrivals::Poisson, 10.0);
        let mut h = vec![1.0; 24];
        h[1] = 3.0;
        c.hourly = Some(h);
        c.spikes = vec![Spike {
            start_ns: 10 * NS_PER_S,
            duration_ns: 5 * NS_PER_S,
            factor: 2.0,
        }];
        assert_eq!(c.rate_at(0), 10.0);
        assert_eq!(c.rate_at(12 * NS_PER_S), 20.0);
        assert_eq!(c.rate_at(HOUR_NS + 1), 30.0);
        // 10 s at 10/s, 5 s at 20/s, then up to the hour at 10/s, then an hour at 30/s.
        let exp = c.expected_records(0, 2 * HOUR_NS);
        assert!((exp - (10.0 * 3600.0 + 50.0 + 30.0 * 3600.0)).abs() < 1e-6, "{exp}");
    }

    #[test]
    fn poisson_arrivals_follow_a_profile_in_count() {
        let mut c = cfg(Arrivals::Poisson, 5.0);
        let mut h = vec![1.0; 24];
        h[0] = 4.0;
        c.hourly = Some(h);
        let mut s = SourceState::new(&c, 1);
        let mut t = s.first_time(&c).unwrap();
        let (mut first_hour, mut second_hour) = (0, 0);
        while t < 2 * HOUR_NS {
            if t < HOUR_NS {
                first_hour += 1
            } else {
                second_hour += 1
            }
            t = s.next_arrival(&c, t).unwrap();
        }
        // Expected 72,000 and 18,000; 3 standard deviations is under 1 % and 2.2 %.
        assert!((first_hour as f64 / 72_000.0 - 1.0).abs() < 0.01, "{first_hour}");
        assert!((second_hour as f64 / 18_000.0 - 1.0).abs() < 0.023, "{second_hour}");
    }

    #[test]
    fn zipf_and_hot_key_shares_sum_to_one_and_favour_key_zero() {
        let z = key_shares(10, Some(1.0), None).unwrap();
        assert!((z.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Harmonic number H_10 = 2.928968: key 0 has 1/H_10 of the load.
        assert!((z[0] - 1.0 / 2.928_968_25).abs() < 1e-6, "{}", z[0]);
        let h = key_shares(5, None, Some(0.6)).unwrap();
        assert_eq!(h[0], 0.6);
        assert!(h[1..].iter().all(|&x| (x - 0.1).abs() < 1e-12));
        assert!(key_shares(5, None, None).is_none());
    }

    #[test]
    fn aggregated_constant_source_emits_exactly_the_integrated_rate() {
        let mut c = cfg(Arrivals::Constant, 333.3);
        c.aggregate_ns = Some(NS_PER_S / 10);
        c.key_buckets = 4;
        let mut s = SourceState::new(&c, 1);
        let mut out = Vec::new();
        let mut t = s.first_time(&c).unwrap();
        while t <= 100 * NS_PER_S {
            t = s.emit(&c, t, &mut out).unwrap();
        }
        let total: u64 = out.iter().map(|b| b.count).sum();
        assert!((total as i64 - 33_330).abs() <= 1, "{total}");
        assert!(out.iter().all(|b| b.key < 4 && b.bytes == b.count * 100));
    }

    #[test]
    fn apportioning_gives_exact_counts_and_keeps_every_kinds_total_within_the_number_of_kinds() {
        let shares = [0.55, 0.3, 0.15];
        let (mut carry, mut out, mut total) = ([0.0; 3], [0u64; 3], [0u64; 3]);
        let mut split = 0u64;
        for count in (1..400u64).chain([1, 1, 1, 2, 7, 1_000_003]) {
            apportion(count, &shares, &mut carry, &mut out);
            assert_eq!(out.iter().sum::<u64>(), count);
            split += count;
            for k in 0..3 {
                total[k] += out[k];
                assert!(
                    (total[k] as f64 - shares[k] * split as f64).abs() < 3.0,
                    "{k}: {total:?} of {split}"
                );
            }
        }
        // Single records take turns by what each kind is owed.
        let (mut carry, mut out) = ([0.0; 2], [0u64; 2]);
        let turns: Vec<u64> = (0..4)
            .map(|_| {
                apportion(1, &[0.5, 0.5], &mut carry, &mut out);
                out[1]
            })
            .collect();
        assert_eq!(turns, [0, 1, 0, 1]);
    }

    #[test]
    fn late_records_carry_event_times_before_their_arrival() {
        let mut c = cfg(Arrivals::Constant, 1000.0);
        c.aggregate_ns = Some(NS_PER_S);
        c.lateness = Some((0.25, Dist::Deterministic { value: 60e9 }));
        let mut st = SourceState::new(&c, 3);
        let mut out = Vec::new();
        let mut t = st.first_time(&c).unwrap();
        for _ in 0..100 {
            t = st.emit(&c, t, &mut out).unwrap();
        }
        assert_eq!(out.iter().map(|b| b.count).sum::<u64>(), st.generated);
        // After the first minute (earlier event times stop at zero).
        let after: Vec<&Batch> = out.iter().filter(|b| b.ingest_time > 70 * NS_PER_S).collect();
        let total: u64 = after.iter().map(|b| b.count).sum();
        let late: u64 = after
            .iter()
            .filter(|b| b.event_min + 60 * NS_PER_S <= b.ingest_time)
            .map(|b| b.count)
            .sum();
        assert!((late as f64 / total as f64 - 0.25).abs() < 0.01, "{late} of {total}");
    }
}
