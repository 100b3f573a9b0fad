//! The conservation invariant: every record is accounted for.
//!
//! Overall, `generated = delivered + dropped + deduplicated + in flight`
//! (dropped covers every reason, dead letters included; generated counts
//! duplicate copies that stages create, like a consumer's re-reads); per
//! stage, `arrived + created = completed + dropped + in flight`. Checked at the end of every
//! run and, in debug builds, at every time-series sample.

use super::engine::Simulation;

/// Per-stage balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageBalance {
    pub id: String,
    pub arrived: u64,
    /// Records the stage created (duplicates from re-reads).
    pub created: u64,
    pub completed: u64,
    pub dropped: u64,
    /// Records removed here as duplicates.
    pub deduplicated: u64,
    pub in_flight: u64,
}

impl StageBalance {
    /// True when `arrived + created = completed + dropped + deduplicated + in_flight`.
    pub fn holds(&self) -> bool {
        self.arrived + self.created == self.completed + self.dropped + self.deduplicated + self.in_flight
    }
}

/// The whole-run balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conservation {
    /// Records from sources plus copies stages created (re-reads).
    pub generated: u64,
    pub delivered: u64,
    /// Dropped for any reason, including records that ended in a dead-letter stage.
    pub dropped: u64,
    pub deduplicated: u64,
    pub in_flight: u64,
    pub stages: Vec<StageBalance>,
}

impl Conservation {
    /// True when the overall and every per-stage balance hold.
    pub fn holds(&self) -> bool {
        self.generated == self.delivered + self.dropped + self.deduplicated + self.in_flight
            && self.stages.iter().all(StageBalance::holds)
    }
}

/// Computes the balance of `sim` as it stands.
pub fn check(sim: &Simulation) -> Conservation {
    let mut stages = Vec::new();
    let mut dropped = sim.e2e.dead_lettered;
    let mut in_flight = 0;
    let mut generated = 0;
    let mut deduplicated = 0;
    for (i, s) in sim.sources.iter().enumerate() {
        let b = StageBalance {
            id: s.cfg.id.clone(),
            arrived: s.metrics.arrived,
            created: 0,
            completed: s.metrics.completed,
            dropped: s.metrics.dropped_total(),
            deduplicated: 0,
            in_flight: sim.source_in_flight(i),
        };
        generated += b.arrived;
        dropped += b.dropped;
        in_flight += b.in_flight;
        stages.push(b);
    }
    for (i, s) in sim.stages.iter().enumerate() {
        let b = StageBalance {
            id: s.cfg.id.clone(),
            arrived: s.metrics.arrived,
            created: s.metrics.created,
            completed: s.metrics.completed,
            dropped: s.metrics.dropped_total(),
            deduplicated: s.metrics.deduplicated,
            in_flight: sim.stage_in_flight(i),
        };
        generated += b.created;
        deduplicated += b.deduplicated;
        dropped += b.dropped;
        in_flight += b.in_flight;
        stages.push(b);
    }
    Conservation {
        generated,
        delivered: sim.e2e.delivered,
        dropped,
        deduplicated,
        in_flight,
        stages,
    }
}
