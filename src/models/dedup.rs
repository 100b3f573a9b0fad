//! `dedup`: duplicate removal by exact key or by vector similarity
//! (Amazon OpenSearch Service k-NN, Vertex AI Vector Search).
//!
//! Records carry their content as a (group, variant) pair (see
//! [`crate::sim::source::Duplicates`]): `mode = "exact"` removes a record
//! whose content was seen within `window` (state bounded by `max_index`);
//! `mode = "near"` regenerates each record's embedding and runs a real
//! nearest-neighbour search (brute force, Euclidean distance) over the
//! vectors indexed within `window`, removing the record when the nearest
//! one is within `threshold`. When the index holds more than `sample`
//! vectors, only the newest `sample` are searched and `sampled` reports 1.
//! Ground truth (`Batch::duplicates`) gives precision and recall.
//!
//! Records pass one FIFO query server: each record's query takes
//! `query_time + index size / (nodes × scan_rate)`.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::Duration;
use crate::sim::batch::Batch;
use crate::sim::source::Duplicates;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

pub const DEDUP: KindInfo = KindInfo {
    name: "dedup",
    aws: "Amazon OpenSearch Service (k-NN)",
    gcp: "Vertex AI Vector Search",
    help: "Removes duplicate records. `mode = \"exact\"` drops a record whose content key was seen within \
           `window` (the state is bounded by `max_index` keys). `mode = \"near\"` embeds each record (vectors \
           regenerated from the source's `duplicates` option) and searches the vectors indexed within `window` \
           for the nearest one: a record within `threshold` (Euclidean distance between unit-length embeddings) \
           is dropped as a duplicate. A lower threshold misses noisy copies (recall falls); a higher one removes \
           distinct records that happen to be similar (precision falls). Each query takes `query_time` plus the \
           index size over `nodes` × `scan_rate`; large indexes are searched over the newest `sample` vectors \
           only (reported as `sampled`). Removed records count as deduplicated. It does not model approximate \
           index structures (HNSW recall loss), index refresh delays or shard replicas.",
    params: &[
        super::choice("flavour", "opensearch | vector_search"),
        super::choice("mode", "exact | near"),
        super::dur("window", "s"),
        super::ratio("threshold", "Euclidean distance"),
        super::count("max_index", "records in the index"),
        super::count("sample", "vectors searched per query"),
        super::count("nodes", "nodes"),
        super::dur("query_time", "s per query"),
        super::ratio("scan_rate", "vectors/s per node (a number)"),
    ],
    has_to: true,
    limits: &[
        Limit {
            provider: "AWS",
            name: "k-NN vector dimension, maximum (Lucene/Faiss engines)",
            value: 16_000.0,
            unit: "dimensions",
            source: "commonly quoted (OpenSearch k-NN docs); not found in stored sources",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "brute-force scan rate per node (pipelab assumption)",
            value: 10e6,
            unit: "vectors/s",
            source: "assumption: a few distance evaluations per ns per core",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "query overhead per record (pipelab assumption)",
            value: 0.001,
            unit: "s",
            source: "assumption",
            confirmed: false,
        },
    ],
};

/// Which service the stage stands for (names the cost meter).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// Amazon OpenSearch Service with the k-NN plugin.
    Opensearch,
    /// Vertex AI Vector Search.
    VectorSearch,
}

/// How duplicates are recognised.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Same content key within the window.
    Exact,
    /// Nearest neighbour within a distance threshold.
    Near,
}

/// The `dedup` kind's parameters as written in a scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub flavour: Option<Flavour>,
    /// `"exact"` (default) or `"near"`.
    pub mode: Option<Mode>,
    /// How long a record stays in the index (default 10 min).
    pub window: Option<Duration>,
    /// Near mode: largest Euclidean distance counted as a duplicate (default 0.5).
    pub threshold: Option<f64>,
    /// Most records kept in the index (default 100,000); the oldest go first.
    pub max_index: Option<u64>,
    /// Near mode: most vectors searched per query (default 5,000).
    pub sample: Option<u64>,
    /// Index nodes sharing the scan (default 2).
    pub nodes: Option<u32>,
    /// Fixed time per record query (default 1 ms).
    pub query_time: Option<Duration>,
    /// Vectors compared per second per node (default 10^7).
    pub scan_rate: Option<f64>,
}

/// Builds a `dedup` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let threshold = p.threshold.unwrap_or(0.5);
    if !(threshold >= 0.0 && threshold.is_finite()) {
        errors.push(ParamError::at("threshold", "must be zero or more (a distance)"));
    }
    if p.window.is_some_and(|w| w.0 == 0) {
        errors.push(ParamError::at("window", "must be more than zero"));
    }
    if p.max_index == Some(0) {
        errors.push(ParamError::at("max_index", "must be at least 1"));
    }
    if p.sample == Some(0) {
        errors.push(ParamError::at("sample", "must be at least 1"));
    }
    if p.nodes == Some(0) {
        errors.push(ParamError::at("nodes", "must be at least 1"));
    }
    if p.scan_rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        errors.push(ParamError::at("scan_rate", "must be more than zero"));
    }
    if p.mode != Some(Mode::Near) {
        for k in ["threshold", "sample"] {
            if params.contains_key(k) {
                errors.push(ParamError::at(k, "applies only to `mode = \"near\"`"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let cfg = DedupConfig {
        flavour: p.flavour.unwrap_or(Flavour::Opensearch),
        mode: p.mode.unwrap_or(Mode::Exact),
        window_ns: p.window.map_or(600 * 1_000_000_000, |w| w.0),
        threshold,
        max_index: p.max_index.unwrap_or(100_000),
        sample: p.sample.unwrap_or(5_000),
        nodes: p.nodes.unwrap_or(2),
        query_ns: p.query_time.map_or(1_000_000, |d| d.0),
        scan_rate: p.scan_rate.unwrap_or(DEDUP.limit("brute-force scan rate per node")),
    };
    Ok(Built {
        model: Model::Dedup(Box::new(DedupStage::new(cfg, env.capacity))),
        routes: None,
    })
}

/// A dedup stage's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DedupConfig {
    pub flavour: Flavour,
    pub mode: Mode,
    /// How long an indexed record stays, ns.
    pub window_ns: Nanos,
    /// Near mode: distance threshold (unit-length embeddings).
    pub threshold: f64,
    /// Most entries in the index.
    pub max_index: u64,
    /// Most vectors searched per query.
    pub sample: u64,
    /// Index nodes.
    pub nodes: u32,
    /// Fixed query time per record, ns.
    pub query_ns: Nanos,
    /// Vectors compared per second per node.
    pub scan_rate: f64,
}

/// Timer: the query of the batch in service finished.
const DONE: u32 = 0;

/// One indexed record.
#[derive(Clone, Debug)]
struct Entry {
    at: Nanos,
    key: (u64, u32),
    /// Near mode: its embedding (empty in exact mode).
    vector: Vec<f64>,
}

/// The dedup stage.
#[derive(Clone, Debug)]
pub struct DedupStage {
    cfg: DedupConfig,
    capacity: u64,
    /// How sources make vectors (dimension, noise); set by the compiler.
    vectors: Option<Duplicates>,
    queue: VecDeque<Batch>,
    queued: u64,
    /// The batch in service: records to pass, records removed, start time.
    serving: Option<(Batch, u64, Nanos)>,
    /// An emitted, unreleased output holds the server.
    blocked: bool,
    /// Indexed records, oldest first.
    index: VecDeque<Entry>,
    /// Exact mode: content key → times it is indexed.
    keys: BTreeMap<(u64, u32), u32>,
    scratch: Vec<f64>,
    // --- measurements (whole run) ---
    duplicates_in: u64,
    true_positives: u64,
    false_positives: u64,
    duplicates_passed: u64,
    sampled: bool,
    query_ns_total: u128,
    queries: u64,
    busy_ns: Nanos,
}

impl DedupStage {
    /// A stage with settings `cfg` holding at most `capacity` records.
    pub fn new(cfg: DedupConfig, capacity: u64) -> Self {
        DedupStage {
            cfg,
            capacity,
            vectors: None,
            queue: VecDeque::new(),
            queued: 0,
            serving: None,
            blocked: false,
            index: VecDeque::new(),
            keys: BTreeMap::new(),
            scratch: Vec::new(),
            duplicates_in: 0,
            true_positives: 0,
            false_positives: 0,
            duplicates_passed: 0,
            sampled: false,
            query_ns_total: 0,
            queries: 0,
            busy_ns: 0,
        }
    }

    /// Sets how record vectors are regenerated (the sources' duplicates option).
    pub fn set_vectors(&mut self, d: Duplicates) {
        self.vectors = Some(d);
    }

    /// Drops index entries older than the window or beyond `max_index`.
    fn expire(&mut self, now: Nanos) {
        while let Some(e) = self.index.front() {
            if now.saturating_sub(e.at) <= self.cfg.window_ns && self.index.len() as u64 <= self.cfg.max_index {
                break;
            }
            let e = self.index.pop_front().expect("front exists");
            if let Some(c) = self.keys.get_mut(&e.key) {
                *c -= 1;
                if *c == 0 {
                    self.keys.remove(&e.key);
                }
            }
        }
    }

    /// Decides whether a one-record batch is a duplicate, indexing it if not.
    fn is_duplicate(&mut self, now: Nanos, b: &Batch) -> bool {
        let key = (b.group as u64, b.variant);
        let dup = match (self.cfg.mode, self.vectors) {
            (Mode::Exact, _) | (Mode::Near, None) => self.keys.contains_key(&key),
            (Mode::Near, Some(d)) => {
                d.vector(b.group as u64, b.variant, &mut self.scratch);
                let n = self.index.len();
                let searched = (self.cfg.sample as usize).min(n);
                if searched < n {
                    self.sampled = true;
                }
                let t2 = self.cfg.threshold * self.cfg.threshold;
                let q = &self.scratch;
                self.index
                    .iter()
                    .rev()
                    .take(searched)
                    .any(|e| e.vector.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() <= t2)
            }
        };
        if !dup {
            let vector = if self.cfg.mode == Mode::Near {
                self.scratch.clone()
            } else {
                Vec::new()
            };
            self.index.push_back(Entry { at: now, key, vector });
            *self.keys.entry(key).or_insert(0) += 1;
            self.expire(now);
        }
        dup
    }

    /// Records of `b` removed as duplicates, updating precision/recall counts.
    fn decide(&mut self, now: Nanos, b: &Batch) -> u64 {
        self.expire(now);
        self.duplicates_in += b.duplicates;
        if b.count == 1 && b.group != 0 {
            let truth = b.duplicates > 0;
            let said = self.is_duplicate(now, b);
            match (truth, said) {
                (true, true) => self.true_positives += 1,
                (false, true) => self.false_positives += 1,
                (true, false) => self.duplicates_passed += 1,
                (false, false) => {}
            }
            u64::from(said)
        } else {
            // Aggregated batches carry no content: remove their duplicates at
            // the recall measured so far on single records (1 if none yet).
            self.sampled |= b.duplicates > 0;
            let seen = self.true_positives + self.duplicates_passed;
            let removed = if seen == 0 {
                b.duplicates
            } else {
                ((b.duplicates as u128 * self.true_positives as u128) / seen as u128) as u64
            };
            self.true_positives += removed;
            self.duplicates_passed += b.duplicates - removed;
            removed
        }
    }

    fn start(&mut self, ctx: &mut Ctx, b: Batch) {
        ctx.record_wait(ctx.now - b.stage_arrival, b.count);
        let removed = self.decide(ctx.now, &b);
        let per_record =
            self.cfg.query_ns as f64 + self.index.len() as f64 / (self.cfg.nodes as f64 * self.cfg.scan_rate) * 1e9;
        let t = round_ns(per_record * b.count as f64);
        self.query_ns_total += t as u128;
        self.queries += b.count;
        self.serving = Some((b, removed, ctx.now));
        ctx.schedule(ctx.now + t, DONE);
    }

    fn next(&mut self, ctx: &mut Ctx) {
        if let Some(b) = self.queue.pop_front() {
            self.queued -= b.count;
            self.start(ctx, b);
        }
    }
}

impl StageModel for DedupStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.in_system()), false)
    }

    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        let said = self.true_positives + self.false_positives;
        let seen = self.true_positives + self.duplicates_passed;
        vec![
            // Share of removed records that really were duplicates.
            (
                "precision",
                if said == 0 {
                    1.0
                } else {
                    self.true_positives as f64 / said as f64
                },
            ),
            // Share of duplicates that were removed.
            (
                "recall",
                if seen == 0 {
                    1.0
                } else {
                    self.true_positives as f64 / seen as f64
                },
            ),
            ("duplicates_in", self.duplicates_in as f64),
            ("duplicates_passed", self.duplicates_passed as f64),
            ("false_positives", self.false_positives as f64),
            ("sampled", f64::from(u8::from(self.sampled))),
            ("index_size", self.index.len() as f64),
            (
                "query_time_mean_s",
                if self.queries == 0 {
                    0.0
                } else {
                    self.query_ns_total as f64 / self.queries as f64 / 1e9
                },
            ),
            ("nodes", self.cfg.nodes as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        if self.serving.is_none() && !self.blocked {
            self.start(ctx, batch);
        } else {
            self.queued += batch.count;
            self.queue.push_back(batch);
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx, _payload: u32) {
        let (mut b, removed, since) = self.serving.take().expect("a batch is in service");
        self.busy_ns += ctx.now - since;
        if removed > 0 {
            ctx.deduplicate(removed);
        }
        if removed >= b.count {
            self.next(ctx);
            return;
        }
        if removed > 0 {
            // The removed records leave; the duplicates count keeps those
            // that got through.
            let passed_dups = b.duplicates.saturating_sub(removed.min(b.duplicates));
            b.bytes -= (b.bytes as u128 * removed as u128 / b.count as u128) as u64;
            b.count -= removed;
            b.duplicates = passed_dups.min(b.count);
        }
        self.blocked = true;
        ctx.emit(0, b);
    }

    fn release(&mut self, ctx: &mut Ctx, _slot: u32) {
        self.blocked = false;
        self.next(ctx);
    }

    fn in_system(&self) -> u64 {
        self.queued + self.serving.map_or(0, |(b, _, _)| b.count)
    }
    fn in_queue(&self) -> u64 {
        self.queued
    }
    fn busy(&self) -> u64 {
        u64::from(self.serving.is_some() || self.blocked)
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness::{extra, run};

    fn stage(mode: Mode, threshold: f64) -> Model {
        let cfg = DedupConfig {
            flavour: Flavour::Opensearch,
            mode,
            window_ns: 1_000_000_000_000,
            threshold,
            max_index: 1_000_000,
            sample: 1_000_000,
            nodes: 1,
            query_ns: 1000,
            scan_rate: 1e9,
        };
        let mut s = DedupStage::new(cfg, u64::MAX);
        s.set_vectors(DUP);
        Model::Dedup(Box::new(s))
    }

    const DUP: Duplicates = Duplicates {
        fraction: 0.3,
        near: 0.5,
        dim: 8,
        noise: 0.6,
        spread: 50,
    };

    /// 400 records: originals, exact copies and noisy copies, with truth.
    fn records() -> Vec<Batch> {
        let mut rng = crate::sim::rng::Stream::new(9, "t");
        let mut originals = 0u64;
        (0..400)
            .map(|_| {
                let mut b = Batch::new(1, 10, 0);
                if originals > 0 && rng.uniform() < DUP.fraction {
                    b.group = (originals - rng.below(originals.min(DUP.spread))) as u32;
                    b.variant = if rng.uniform() < DUP.near {
                        1 + rng.below(1 << 30) as u32
                    } else {
                        0
                    };
                    b.duplicates = 1;
                } else {
                    originals += 1;
                    b.group = originals as u32;
                }
                b
            })
            .collect()
    }

    #[test]
    fn exact_mode_removes_exactly_the_exact_copies() {
        let input = records();
        let exact = input.iter().filter(|b| b.duplicates == 1 && b.variant == 0).count() as u64;
        let mut m = stage(Mode::Exact, 0.0);
        let out = run(&mut m, &input, 1);
        let passed: u64 = out.landed.iter().map(|(_, b)| b.count).sum();
        assert_eq!(passed, 400 - exact);
        assert_eq!(out.metrics.deduplicated, exact);
        assert_eq!(extra(&m, "false_positives"), 0.0);
    }

    /// Brute force on the same data: the nearest earlier kept vector.
    fn brute(input: &[Batch], threshold: f64) -> (u64, u64) {
        let (mut tp, mut fp) = (0, 0);
        let mut kept: Vec<Vec<f64>> = Vec::new();
        for b in input {
            let mut v = Vec::new();
            DUP.vector(b.group as u64, b.variant, &mut v);
            let d = kept
                .iter()
                .map(|k| libm::sqrt(k.iter().zip(&v).map(|(a, c)| (a - c) * (a - c)).sum::<f64>()))
                .fold(f64::INFINITY, f64::min);
            if d <= threshold {
                if b.duplicates == 1 {
                    tp += 1
                } else {
                    fp += 1
                }
            } else {
                kept.push(v);
            }
        }
        (tp, fp)
    }

    #[test]
    fn near_mode_trades_precision_for_recall_and_matches_brute_force() {
        let input = records();
        let mut last = (2.0, -1.0);
        for th in [0.2, 0.5, 0.8, 1.1] {
            let mut m = stage(Mode::Near, th);
            let out = run(&mut m, &input, 1);
            let (tp, fp) = brute(&input, th);
            assert_eq!(out.metrics.deduplicated, tp + fp, "threshold {th}");
            assert_eq!(extra(&m, "false_positives"), fp as f64);
            let (p, r) = (extra(&m, "precision"), extra(&m, "recall"));
            assert!(p <= last.0 && r >= last.1, "threshold {th}: p {p} r {r} after {last:?}");
            last = (p, r);
        }
        assert!(last.0 < 1.0 && last.1 > 0.9, "{last:?}");
    }
}
