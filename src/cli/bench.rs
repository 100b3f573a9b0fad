//! `pipelab bench`: engine speed on the two reference workloads.

use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::time::Instant;

/// Events per second on M/M/4 with one record per batch, and wall time of a
/// simulated day of 500 million records through five stages.
pub fn run(mm4_seconds: u64, json: bool) -> i32 {
    let mm4 = builtin::find("mm4-teaching").expect("built-in").text;
    let mut p = match run::prepare(
        mm4,
        Format::Toml,
        &Overrides {
            seed: None,
            duration_ns: Some(mm4_seconds * 1_000_000_000),
            provider: None,
        },
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let t = Instant::now();
    p.sim.run();
    let mm4_wall = t.elapsed().as_secs_f64();
    let mm4_events = p.sim.events_processed;
    let eps = mm4_events as f64 / mm4_wall;

    let day = builtin::find("day-500m-pipeline").expect("built-in").text;
    let t = Instant::now();
    let (_, rep) = match run::run_text(day, Format::Toml, &Overrides::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let day_wall = t.elapsed().as_secs_f64();
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "mm4": {"events": mm4_events, "wall_s": mm4_wall, "events_per_s": eps},
                "day_500m": {"records": rep.conservation.generated, "events": rep.events, "wall_s": day_wall, "digest": rep.digest},
            })
        );
    } else {
        outln!(
            "M/M/4, one record per batch: {mm4_events} events in {mm4_wall:.3} s = {:.1} M events/s",
            eps / 1e6
        );
        outln!(
            "day of {:.0} M records, five stages (aggregated): {} events in {day_wall:.3} s",
            rep.conservation.generated as f64 / 1e6,
            rep.events
        );
    }
    0
}
