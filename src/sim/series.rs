//! Time series for charts, bounded in memory however long the run.
//!
//! Samples arrive at a fixed step. A series holds at most [`MAX_POINTS`]
//! buckets; when it is full, neighbouring buckets merge and the bucket width
//! doubles, so a run of any length keeps at most that many points at the
//! finest resolution that fits.

use super::time::Nanos;

/// Upper bound on points kept per series.
pub const MAX_POINTS: usize = 512;

/// How samples combine into a wider bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// Rates (records per second): average over the bucket.
    Mean,
    /// Peaks (latency, backlog maxima): the largest value.
    Max,
}

/// An equally spaced series starting at time zero.
#[derive(Clone, Debug)]
pub struct Series {
    step_ns: Nanos,
    /// Bucket width in nanoseconds (a power-of-two multiple of the step).
    pub width_ns: Nanos,
    /// One value per completed bucket.
    pub values: Vec<f64>,
    merge: Merge,
    pending: f64,
    pending_n: u64,
}

impl Series {
    /// An empty series sampled every `step_ns`.
    pub fn new(step_ns: Nanos, merge: Merge) -> Self {
        let step_ns = step_ns.max(1);
        Series {
            step_ns,
            width_ns: step_ns,
            values: Vec::new(),
            merge,
            pending: 0.0,
            pending_n: 0,
        }
    }

    fn combine(&self, a: f64, b: f64) -> f64 {
        match self.merge {
            Merge::Mean => a + b,
            Merge::Max => a.max(b),
        }
    }

    /// Appends the next sample.
    pub fn push(&mut self, value: f64) {
        self.pending = if self.pending_n == 0 {
            value
        } else {
            self.combine(self.pending, value)
        };
        self.pending_n += 1;
        if self.pending_n < self.width_ns / self.step_ns {
            return;
        }
        let v = match self.merge {
            Merge::Mean => self.pending / self.pending_n as f64,
            Merge::Max => self.pending,
        };
        self.pending_n = 0;
        self.values.push(v);
        if self.values.len() == MAX_POINTS {
            let merge = self.merge;
            self.values = self
                .values
                .chunks(2)
                .map(|c| match merge {
                    Merge::Mean => c.iter().sum::<f64>() / c.len() as f64,
                    Merge::Max => c.iter().cloned().fold(f64::MIN, f64::max),
                })
                .collect();
            self.width_ns *= 2;
        }
    }

    /// Points as (bucket end time in seconds, value).
    pub fn points_s(&self) -> Vec<(f64, f64)> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, &v)| ((i as u64 + 1) as f64 * self.width_ns as f64 / 1e9, v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_and_the_mean_is_preserved() {
        let mut s = Series::new(10, Merge::Mean);
        for i in 0..100_000 {
            s.push((i % 4) as f64);
        }
        assert!(s.values.len() < MAX_POINTS);
        assert!(s.values.iter().all(|&v| v == 1.5));
        assert!(s.width_ns > 10 && s.width_ns % 10 == 0);
    }

    #[test]
    fn peaks_survive_merging() {
        let mut s = Series::new(1, Merge::Max);
        for i in 0..(MAX_POINTS * 2) {
            s.push(if i == 700 { 9.0 } else { 1.0 });
        }
        assert_eq!(s.values.iter().cloned().fold(0.0, f64::max), 9.0);
    }
}
