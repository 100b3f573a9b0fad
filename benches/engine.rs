//! Criterion benchmarks: the two figures of `pipelab bench`.
//!
//! - `engine/mm4_exact`: M/M/4 with one record per batch (`mm4-teaching` for
//!   200,000 simulated seconds, as `pipelab bench`); the throughput line is
//!   events per second.
//! - `scenario/day_500m_five_stages`: a simulated day of 500 million records
//!   through five stages (`day-500m-pipeline`, aggregated); the time is the
//!   figure.
//!
//! Parsing and building the simulation are set-up, outside the timing.
//! Run with `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::time::Duration;

/// Simulated seconds of the M/M/4 run (the default of `pipelab bench`).
const MM4_SECONDS: u64 = 200_000;

fn prepared(name: &str, duration_ns: Option<u64>) -> run::Prepared {
    let text = builtin::find(name).expect("built-in").text;
    let o = Overrides {
        seed: None,
        duration_ns,
        provider: None,
    };
    run::prepare(text, Format::Toml, &o).expect("built-in prepares")
}

fn mm4_events(c: &mut Criterion) {
    let duration = Some(MM4_SECONDS * 1_000_000_000);
    let events = {
        let mut p = prepared("mm4-teaching", duration);
        p.sim.run();
        p.sim.events_processed
    };
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(events));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("mm4_exact", |b| {
        b.iter_batched(
            || prepared("mm4-teaching", duration),
            |mut p| {
                p.sim.run();
                p.sim.events_processed
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn day_500m(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    g.bench_function("day_500m_five_stages", |b| {
        b.iter_batched(
            || prepared("day-500m-pipeline", None),
            |mut p| {
                p.sim.run();
                p.sim.events_processed
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, mm4_events, day_500m);
criterion_main!(benches);
