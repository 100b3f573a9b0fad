//! The one call the shells make: scenario text in, finished run out.

use crate::cost::{self, MappingNote};
use crate::report::{self, RunReport};
use crate::scenario::schema::Provider;
use crate::scenario::{self, Format, Scenario, ScenarioErrors};
use crate::sim::Simulation;

/// Overrides a user can give on the command line or in the UI.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    /// Simulated duration in nanoseconds.
    pub duration_ns: Option<u64>,
    /// Re-map the scenario to this provider's services and price it so
    /// (else the scenario's `[cost] provider`, else as written).
    pub provider: Option<Provider>,
}

/// Why a run could not produce results.
#[derive(Debug)]
pub enum RunError {
    /// The scenario is invalid (exit status 2 in the CLI).
    Invalid(ScenarioErrors),
    /// The run broke an invariant: a bug, reported loudly.
    ConservationViolated(Box<RunReport>),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Invalid(e) => write!(f, "{e}"),
            RunError::ConservationViolated(r) => {
                write!(f, "conservation violated (a bug in pipelab): {:?}", r.conservation)
            }
        }
    }
}

/// A scenario ready to step.
pub struct Prepared {
    /// The scenario as run (after the provider mapping, if any).
    pub scenario: Scenario,
    pub sim: Simulation,
    /// The provider the scenario was mapped to, if any.
    pub provider: Option<Provider>,
    /// What the mapping changed.
    pub mapping: Vec<MappingNote>,
}

/// Loads scenario text and builds the simulation, applying overrides.
pub fn prepare(text: &str, format: Format, o: &Overrides) -> Result<Prepared, RunError> {
    let parsed = scenario::parse(text, format).map_err(RunError::Invalid)?;
    let provider = cost::provider_for(&parsed, o.provider);
    let (mut scenario, mapping) = match provider {
        Some(p) => cost::map_scenario(&parsed, p),
        None => (parsed, Vec::new()),
    };
    let mut cfg = scenario::compile(&scenario, text).map_err(|e| RunError::Invalid(ScenarioErrors(e)))?;
    if let Some(s) = o.seed {
        cfg.seed = s;
        scenario.seed = s;
    }
    if let Some(d) = o.duration_ns {
        if d == 0 {
            return Err(RunError::Invalid(ScenarioErrors(vec![scenario::ScenarioError {
                path: "duration".into(),
                line: None,
                column: None,
                message: "must be more than zero".into(),
            }])));
        }
        cfg.duration_ns = d;
        scenario.duration.0 = d;
        if cfg.warmup_ns >= d {
            cfg.warmup_ns = 0;
        }
        if scenario.resolution.is_none() {
            cfg.resolution_ns = (d / 256).max(1);
        }
    }
    Ok(Prepared {
        scenario,
        sim: Simulation::new(cfg),
        provider,
        mapping,
    })
}

/// The step of the running cost series: the run's time-series resolution,
/// doubled until at most [`crate::sim::series::MAX_POINTS`] points cover
/// the run.
pub fn cost_step_ns(resolution_ns: u64, duration_ns: u64) -> u64 {
    let mut step = resolution_ns.max(1);
    while duration_ns / step > crate::sim::series::MAX_POINTS as u64 {
        step *= 2;
    }
    step
}

/// Runs a prepared scenario to its end and checks conservation. The run
/// pauses at every step of the cost series to snapshot usage (pausing and
/// resuming gives exactly the uninterrupted run).
pub fn finish(p: &mut Prepared) -> Result<RunReport, RunError> {
    let step = cost_step_ns(p.sim.resolution_ns, p.sim.duration_ns);
    let mut snapshots = Vec::new();
    let mut t = (p.sim.now / step + 1) * step;
    while t < p.sim.duration_ns && !p.sim.is_finished() {
        p.sim.run_until(t);
        snapshots.push(report::snapshot(&p.sim, &p.scenario.name));
        t += step;
    }
    p.sim.run();
    let mut r = report::build(&p.sim, &p.scenario.name);
    if !r.conservation.holds {
        return Err(RunError::ConservationViolated(Box::new(r)));
    }
    let mut c = cost::report::build(&p.scenario, &r, p.provider, p.mapping.clone());
    c.series = cost::report::series(&p.scenario, &snapshots, &c, p.provider);
    r.cost = Some(c);
    if p.scenario.governance.is_some() {
        r.governance = Some(crate::governance::evaluate(&p.scenario, &r));
    }
    Ok(r)
}

/// Loads and runs scenario text to the end.
pub fn run_text(text: &str, format: Format, o: &Overrides) -> Result<(Prepared, RunReport), RunError> {
    let mut p = prepare(text, format, o)?;
    let r = finish(&mut p)?;
    Ok((p, r))
}
