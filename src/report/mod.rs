//! Results of a run as plain data: the JSON object of `pipelab run --json`,
//! the text table, and the digest. Nothing here reads a clock or does I/O;
//! the shells fill in `wall_s`.

pub mod compare;
pub mod digest;
pub mod table;
pub mod text;

use crate::sim::conservation;
use crate::sim::histogram::Summary;
use crate::sim::metrics::DropReason;
use crate::sim::time::to_secs;
use crate::sim::Simulation;
use digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the engine's results: bump when the same input may give
/// different numbers.
pub const ENGINE_VERSION: &str = concat!("pipelab-engine/", env!("CARGO_PKG_VERSION"));

/// The map of `entries` (a repeated key keeps its last value, as with
/// `collect`). `extend` inserts one by one; `collect` sorts first, which
/// put a stable-sort routine per map type in the wasm worker.
fn map_of<K: Ord, V>(entries: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(entries);
    map
}

/// One stage's results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StageReport {
    pub kind: String,
    /// Records that entered (whole run).
    pub arrived: u64,
    /// Records that left downstream or were delivered (whole run).
    pub completed: u64,
    /// Records dropped here (whole run).
    pub dropped: u64,
    pub dropped_by_reason: BTreeMap<String, u64>,
    /// Records refused here and handed back to their sender.
    pub throttled: u64,
    /// Records this stage sent again after a refusal.
    pub retried: u64,
    /// Records inside at the end.
    pub in_flight: u64,
    /// Busy servers / servers, time-averaged (0 for infinite-server stages).
    pub utilization: f64,
    /// Time-average busy servers.
    pub mean_busy_servers: f64,
    /// Time-average records in the stage.
    pub mean_in_system: f64,
    /// Time-average records waiting for a server.
    pub mean_in_queue: f64,
    /// Records completed per second, after warm-up.
    pub throughput_per_s: f64,
    /// Fraction of records that waited for a server, after warm-up.
    pub wait_probability: f64,
    /// Fraction of arrivals dropped here, after warm-up.
    pub drop_fraction: f64,
    pub wait_s: Summary,
    pub sojourn_s: Summary,
    /// Records this stage created (duplicates from re-reads; whole run).
    pub created: u64,
    /// Records this stage removed as duplicates (whole run).
    #[serde(default)]
    pub deduplicated: u64,
    /// Kind-specific measurements (units in the names).
    pub extra: BTreeMap<String, f64>,
}

/// End-to-end results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EndToEndReport {
    /// Records delivered (whole run).
    pub delivered: u64,
    /// Records that ended in a dead-letter stage.
    pub dead_lettered: u64,
    /// Of the delivered records, how many were duplicates of earlier ones.
    #[serde(default)]
    pub delivered_duplicates: u64,
    /// Event time to delivery, after warm-up.
    pub latency_s: Summary,
    /// Ingest to delivery, after warm-up.
    pub latency_from_ingest_s: Summary,
}

/// The conservation balance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ConservationReport {
    pub generated: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub deduplicated: u64,
    pub in_flight: u64,
    pub holds: bool,
}

/// A fault or alarm action as it happened.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ControlReport {
    pub at_s: f64,
    pub stage: String,
    pub action: String,
    pub applied: bool,
    /// Why the stage refused, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// A whole run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunReport {
    pub scenario: String,
    pub seed: u64,
    pub engine_version: String,
    /// "exact" (one record per batch), "aggregated", or "mixed".
    pub regime: String,
    pub simulated_s: f64,
    pub events: u64,
    /// Wall-clock seconds, filled in by the shell (0 in the core).
    pub wall_s: f64,
    pub digest: String,
    pub budget_exhausted: bool,
    pub sources: BTreeMap<String, StageReport>,
    pub stages: BTreeMap<String, StageReport>,
    /// Stage ids in pipeline order (the JSON object above is sorted by id).
    pub stage_order: Vec<String>,
    pub end_to_end: EndToEndReport,
    pub conservation: ConservationReport,
    /// Faults and alarm actions, in time order.
    pub controls: Vec<ControlReport>,
    /// The run priced (filled in by [`crate::run::finish`]; not part of the
    /// digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::cost::CostReport>,
    /// Governance counts of the run (allowed and denied operations, audit
    /// events, KMS requests, PII GB inspected), when the scenario has a
    /// `[governance]` section (filled in by [`crate::run::finish`]; not part
    /// of the digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<crate::governance::Usage>,
}

fn stage_report(
    kind: &str,
    m: &crate::sim::metrics::StageMetrics,
    servers: Option<u64>,
    in_flight: u64,
    now: u64,
    extra: Vec<(&'static str, f64)>,
) -> StageReport {
    let window = now.saturating_sub(m.stats_start);
    let (a_sys, a_q, a_busy) = m.areas_at(now);
    let per = |a: u128| {
        if window == 0 {
            0.0
        } else {
            a as f64 / window as f64
        }
    };
    let mean_busy = per(a_busy);
    let frac = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    StageReport {
        kind: kind.to_string(),
        arrived: m.arrived,
        completed: m.completed,
        dropped: m.dropped_total(),
        dropped_by_reason: map_of(
            DropReason::ALL
                .iter()
                .filter(|r| m.dropped[**r as usize] > 0)
                .map(|r| (r.name().to_string(), m.dropped[*r as usize])),
        ),
        throttled: m.throttled,
        retried: m.retried,
        in_flight,
        utilization: servers.map_or(0.0, |c| if c == 0 { 0.0 } else { mean_busy / c as f64 }),
        mean_busy_servers: mean_busy,
        mean_in_system: per(a_sys),
        mean_in_queue: per(a_q),
        throughput_per_s: if window == 0 {
            0.0
        } else {
            m.measured_completed as f64 / to_secs(window)
        },
        wait_probability: frac(m.measured_waited, m.wait.count()),
        drop_fraction: frac(m.measured_dropped, m.measured_arrived),
        wait_s: m.wait.summary_s(),
        sojourn_s: m.sojourn.summary_s(),
        created: m.created,
        deduplicated: m.deduplicated,
        extra: map_of(extra.into_iter().map(|(k, v)| (k.to_string(), v))),
    }
}

/// A light report of `sim` as it stands, for pricing the run part-way
/// (the running cost series): per stage only the flow counters and
/// kind-specific measurements the cost meters read, the end-to-end
/// delivered count and the simulated time; no digest, latency summaries,
/// sources or conservation balance (all left empty or zero).
pub fn snapshot(sim: &Simulation, scenario_name: &str) -> RunReport {
    let now = sim.now;
    let stages = map_of(sim.stages.iter().enumerate().map(|(i, s)| {
        let m = &s.metrics;
        let r = StageReport {
            kind: s.cfg.kind.clone(),
            arrived: m.arrived,
            completed: m.completed,
            dropped: m.dropped_total(),
            dropped_by_reason: BTreeMap::new(),
            throttled: m.throttled,
            retried: m.retried,
            in_flight: sim.stage_in_flight(i),
            utilization: 0.0,
            mean_busy_servers: 0.0,
            mean_in_system: 0.0,
            mean_in_queue: 0.0,
            throughput_per_s: 0.0,
            wait_probability: 0.0,
            drop_fraction: 0.0,
            wait_s: Summary::default(),
            sojourn_s: Summary::default(),
            created: m.created,
            deduplicated: m.deduplicated,
            extra: map_of(sim.stage_extra(i).into_iter().map(|(k, v)| (k.to_string(), v))),
        };
        (s.cfg.id.clone(), r)
    }));
    RunReport {
        scenario: scenario_name.to_string(),
        seed: sim.seed,
        engine_version: ENGINE_VERSION.to_string(),
        regime: String::new(),
        simulated_s: to_secs(now),
        events: sim.events_processed,
        wall_s: 0.0,
        digest: String::new(),
        budget_exhausted: sim.budget_exhausted,
        sources: BTreeMap::new(),
        stages,
        stage_order: Vec::new(),
        end_to_end: EndToEndReport {
            delivered: sim.e2e.delivered,
            dead_lettered: sim.e2e.dead_lettered,
            delivered_duplicates: sim.e2e.delivered_duplicates,
            latency_s: Summary::default(),
            latency_from_ingest_s: Summary::default(),
        },
        conservation: ConservationReport {
            generated: 0,
            delivered: 0,
            dropped: 0,
            deduplicated: 0,
            in_flight: 0,
            holds: true,
        },
        controls: Vec::new(),
        cost: None,
        governance: None,
    }
}

/// Builds the report of `sim` as it stands (mid-run or finished).
pub fn build(sim: &Simulation, scenario_name: &str) -> RunReport {
    let now = sim.now;
    let stages = map_of(sim.stages.iter().enumerate().map(|(i, s)| {
        (
            s.cfg.id.clone(),
            stage_report(
                &s.cfg.kind,
                &s.metrics,
                s.model.servers(),
                sim.stage_in_flight(i),
                now,
                sim.stage_extra(i),
            ),
        )
    }));
    let sources = map_of(sim.sources.iter().enumerate().map(|(i, s)| {
        let mut r = stage_report(
            "source",
            &s.metrics,
            None,
            sim.source_in_flight(i),
            now,
            if s.cfg.block_when_full {
                vec![("blocked_s", to_secs(sim.source_blocked_ns(i)))]
            } else {
                Vec::new()
            },
        );
        // Records generated per kind: the mix the source produced.
        for (k, n) in s.cfg.kinds.iter().zip(&s.state.kind_generated) {
            r.extra.insert(format!("generated_{}", k.name), *n as f64);
        }
        (s.cfg.id.clone(), r)
    }));
    let c = conservation::check(sim);
    let agg = sim.sources.iter().filter(|s| s.cfg.is_aggregated()).count();
    let regime = match (agg, sim.sources.len()) {
        (0, _) => "exact",
        (a, n) if a == n => "aggregated",
        _ => "mixed",
    };
    RunReport {
        scenario: scenario_name.to_string(),
        seed: sim.seed,
        engine_version: ENGINE_VERSION.to_string(),
        regime: regime.to_string(),
        simulated_s: to_secs(now),
        events: sim.events_processed,
        wall_s: 0.0,
        digest: digest_of(sim),
        budget_exhausted: sim.budget_exhausted,
        sources,
        stages,
        stage_order: sim.stages.iter().map(|s| s.cfg.id.clone()).collect(),
        end_to_end: EndToEndReport {
            delivered: sim.e2e.delivered,
            dead_lettered: sim.e2e.dead_lettered,
            delivered_duplicates: sim.e2e.delivered_duplicates,
            latency_s: sim.e2e.from_event.summary_s(),
            latency_from_ingest_s: sim.e2e.from_ingest.summary_s(),
        },
        controls: sim
            .control_log
            .iter()
            .map(|c| ControlReport {
                at_s: to_secs(c.at_ns),
                stage: c.stage.clone(),
                action: c.label.clone(),
                applied: c.refused.is_none(),
                refused: c.refused.clone(),
            })
            .collect(),
        conservation: ConservationReport {
            holds: c.holds(),
            generated: c.generated,
            delivered: c.delivered,
            dropped: c.dropped,
            deduplicated: c.deduplicated,
            in_flight: c.in_flight,
        },
        cost: None,
        governance: None,
    }
}

/// The digest of a simulation's state: every counter, integral and
/// histogram bucket, in a fixed order.
pub fn digest_of(sim: &Simulation) -> String {
    let mut d = Digest::default();
    d.str(ENGINE_VERSION);
    d.u64(sim.seed);
    d.u64(sim.now);
    d.u64(sim.events_processed);
    let metrics = sim
        .sources
        .iter()
        .map(|s| (&s.cfg.id, &s.metrics))
        .chain(sim.stages.iter().map(|s| (&s.cfg.id, &s.metrics)));
    for (id, m) in metrics {
        d.str(id);
        for v in [
            m.arrived,
            m.completed,
            m.throttled,
            m.retried,
            m.retrying,
            m.dead_lettered,
            m.measured_arrived,
            m.measured_completed,
            m.measured_dropped,
            m.measured_waited,
        ] {
            d.u64(v);
        }
        // Reasons added after the first seven are hashed only when they
        // occurred, so runs without them keep their pinned digests.
        for (i, v) in m.dropped.into_iter().enumerate() {
            if i < 7 || v > 0 {
                d.u64(v);
            }
        }
        d.u64(m.created);
        d.u64(m.deduplicated);
        let (a, b, c) = m.areas_at(sim.now);
        d.u128(a);
        d.u128(b);
        d.u128(c);
        m.wait.digest_into(&mut d);
        m.sojourn.digest_into(&mut d);
    }
    for (i, _) in sim.stages.iter().enumerate() {
        d.u64(sim.stage_in_flight(i));
        for (k, v) in sim.stage_extra(i) {
            d.str(k);
            d.f64(v);
        }
    }
    d.u64(sim.e2e.delivered);
    d.u64(sim.e2e.dead_lettered);
    d.u64(sim.e2e.delivered_duplicates);
    sim.e2e.from_event.digest_into(&mut d);
    sim.e2e.from_ingest.digest_into(&mut d);
    d.hex()
}
