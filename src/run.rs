//! The one call the shells make: scenario text in, finished run out.

use crate::report::{self, RunReport};
use crate::scenario::{self, Format, Scenario, ScenarioErrors};
use crate::sim::Simulation;

/// Overrides a user can give on the command line or in the UI.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    /// Simulated duration in nanoseconds.
    pub duration_ns: Option<u64>,
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
    pub scenario: Scenario,
    pub sim: Simulation,
}

/// Loads scenario text and builds the simulation, applying overrides.
pub fn prepare(text: &str, format: Format, o: &Overrides) -> Result<Prepared, RunError> {
    let (mut scenario, mut cfg) = scenario::load(text, format).map_err(RunError::Invalid)?;
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
    })
}

/// Runs a prepared scenario to its end and checks conservation.
pub fn finish(p: &mut Prepared) -> Result<RunReport, RunError> {
    p.sim.run();
    let r = report::build(&p.sim, &p.scenario.name);
    if !r.conservation.holds {
        return Err(RunError::ConservationViolated(Box::new(r)));
    }
    Ok(r)
}

/// Loads and runs scenario text to the end.
pub fn run_text(text: &str, format: Format, o: &Overrides) -> Result<(Prepared, RunReport), RunError> {
    let mut p = prepare(text, format, o)?;
    let r = finish(&mut p)?;
    Ok((p, r))
}
