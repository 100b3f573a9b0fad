//! Record batches: the entities that flow through a pipeline.
//!
//! A batch of one record is an exact per-record simulation; sources may
//! aggregate many records into one batch (as a producer library does) so that
//! a day of hundreds of millions of records stays fast. Splitting keeps every
//! integer field exact: the parts always add up to the whole.

use super::time::Nanos;

/// A batch of records that travel together.
///
/// Copied on every hand-off, so its size matters (80 bytes, pinned by a
/// test): the times and counts are full `u64`s, the rarely used content
/// identity of a one-record batch (`group`, `variant`) shares one word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    /// Number of records (> 0).
    pub count: u64,
    /// Total payload in bytes.
    pub bytes: u64,
    /// Mean event time of the records: when they happened at the source.
    pub event_time: Nanos,
    /// Earliest event time of the records.
    pub event_min: Nanos,
    /// The records' event times lie in `[event_min, event_min + event_span]`
    /// (spread uniformly, for latency percentiles).
    pub event_span: Nanos,
    /// When the batch entered the pipeline (first stage).
    pub ingest_time: Nanos,
    /// When the batch entered the stage currently holding it.
    pub stage_arrival: Nanos,
    /// How many of the records are duplicates of earlier records.
    pub duplicates: u64,
    /// Partition key or key bucket (for sharding and routing by key).
    pub key: u32,
    /// Record kind: the scenario-wide id of a name in a source's `kinds`
    /// (0 = none).
    pub kind: u16,
    /// Delivery attempts made so far for the current hop (for retries).
    pub attempts: u16,
    /// Content group of a single-record batch (0 = none): records with the
    /// same group are copies of one original (see [`content_group`]), so a
    /// detector can regenerate the base vector from it.
    pub group: u32,
    /// 0 for an original or an exact copy; otherwise the seed of a
    /// near-duplicate's noise (a noisy copy of the group's base vector).
    pub variant: u32,
}

/// The content group of the `n`-th original record (from 1): `n` itself up
/// to `u32::MAX` (four billion single-record originals, twice the default
/// event budget), then numbered round again from 1, never 0.
#[inline]
pub fn content_group(n: u64) -> u32 {
    ((n.max(1) - 1) % u32::MAX as u64 + 1) as u32
}

impl Batch {
    /// A batch of `count` records, `bytes` in total, created at `now`.
    pub fn new(count: u64, bytes: u64, now: Nanos) -> Self {
        Batch {
            count,
            bytes,
            event_time: now,
            event_min: now,
            event_span: 0,
            ingest_time: now,
            stage_arrival: now,
            duplicates: 0,
            key: 0,
            kind: 0,
            attempts: 0,
            group: 0,
            variant: 0,
        }
    }

    /// Takes `n` records (0 < n < count) off this batch and returns them as a
    /// new batch; bytes and duplicates are shared proportionally, rounding
    /// down for the part taken, so the two parts always sum to the original.
    pub fn split_off(&mut self, n: u64) -> Batch {
        debug_assert!(n > 0 && n < self.count);
        let mut part = *self;
        part.count = n;
        part.bytes = ((self.bytes as u128 * n as u128) / self.count as u128) as u64;
        part.duplicates = ((self.duplicates as u128 * n as u128) / self.count as u128) as u64;
        self.count -= n;
        self.bytes -= part.bytes;
        self.duplicates -= part.duplicates;
        part
    }

    /// Merges `other` into this batch (for batching stages): counts add, the
    /// event time becomes the count-weighted mean and the span covers both.
    pub fn absorb(&mut self, other: &Batch) {
        let total = self.count + other.count;
        let lo = self.event_min.min(other.event_min);
        let hi = (self.event_min + self.event_span).max(other.event_min + other.event_span);
        let mean = (self.event_time as u128 * self.count as u128 + other.event_time as u128 * other.count as u128)
            / total as u128;
        self.event_time = mean as Nanos;
        self.event_min = lo;
        self.event_span = hi - lo;
        self.ingest_time = self.ingest_time.min(other.ingest_time);
        self.stage_arrival = self.stage_arrival.min(other.stage_arrival);
        self.count = total;
        self.bytes += other.bytes;
        self.duplicates += other.duplicates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_conserves_counts_bytes_and_duplicates() {
        for n in 1..100u64 {
            let mut b = Batch::new(100, 12_345, 0);
            b.duplicates = 31;
            let p = b.split_off(n);
            assert_eq!(p.count + b.count, 100);
            assert_eq!(p.bytes + b.bytes, 12_345);
            assert_eq!(p.duplicates + b.duplicates, 31);
        }
    }

    #[test]
    fn a_batch_is_80_bytes() {
        // Every hand-off copies it: grow it only for a reason.
        assert_eq!(std::mem::size_of::<Batch>(), 80);
    }

    #[test]
    fn content_groups_number_originals_and_skip_zero_when_they_wrap() {
        assert_eq!(content_group(1), 1);
        assert_eq!(content_group(123_456), 123_456);
        assert_eq!(content_group(u32::MAX as u64), u32::MAX);
        assert_eq!(content_group(u32::MAX as u64 + 1), 1);
    }

    #[test]
    fn absorbing_weights_event_time_by_count() {
        let mut a = Batch::new(1, 10, 100);
        let b = Batch::new(3, 30, 200);
        a.absorb(&b);
        assert_eq!(
            (a.count, a.bytes, a.event_time, a.event_min, a.event_span),
            (4, 40, 175, 100, 100)
        );
    }
}
