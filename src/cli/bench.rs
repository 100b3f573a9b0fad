//! `pipelab bench`: engine speed on the two reference workloads.

use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::time::Instant;

/// CPU time this thread has run so far, in seconds, from Linux's
/// `/proc/thread-self/schedstat` (`None` elsewhere). On a shared machine,
/// events per CPU-second is the steadier figure; wall time is the headline.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

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
    let cpu0 = thread_cpu_s();
    let t = Instant::now();
    p.sim.run();
    let mm4_wall = t.elapsed().as_secs_f64();
    let mm4_cpu = cpu0.zip(thread_cpu_s()).map(|(a, b)| b - a);
    let mm4_events = p.sim.events_processed;
    let eps = mm4_events as f64 / mm4_wall;
    let eps_cpu = mm4_cpu.filter(|&c| c > 0.0).map(|c| mm4_events as f64 / c);

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
                "mm4": {"events": mm4_events, "wall_s": mm4_wall, "events_per_s": eps, "cpu_s": mm4_cpu, "events_per_cpu_s": eps_cpu},
                "day_500m": {"records": rep.conservation.generated, "events": rep.events, "wall_s": day_wall, "digest": rep.digest},
            })
        );
    } else {
        let per_cpu = eps_cpu.map_or(String::new(), |e| format!(" ({:.1} M per CPU-second)", e / 1e6));
        outln!(
            "M/M/4, one record per batch: {mm4_events} events in {mm4_wall:.3} s = {:.1} M events/s{per_cpu}",
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
