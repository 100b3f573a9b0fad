//! Criterion benchmarks: the engine's event rate and a simulated day.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};

fn mm4_events(c: &mut Criterion) {
    let text = builtin::find("mm4-teaching").unwrap().text;
    let o = Overrides {
        seed: None,
        duration_ns: Some(20_000 * 1_000_000_000),
        provider: None,
    };
    let events = {
        let mut p = run::prepare(text, Format::Toml, &o).unwrap();
        p.sim.run();
        p.sim.events_processed
    };
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(events));
    g.sample_size(10);
    g.bench_function("mm4_exact_20000s", |b| {
        b.iter(|| {
            let mut p = run::prepare(text, Format::Toml, &o).unwrap();
            p.sim.run();
            p.sim.events_processed
        })
    });
    g.finish();
}

fn day_500m(c: &mut Criterion) {
    let text = builtin::find("day-500m-pipeline").unwrap().text;
    let mut g = c.benchmark_group("scenario");
    g.sample_size(10);
    g.bench_function("day_500m_five_stages", |b| {
        b.iter(|| {
            run::run_text(text, Format::Toml, &Overrides::default())
                .unwrap()
                .1
                .events
        })
    });
    g.finish();
}

criterion_group!(benches, mm4_events, day_500m);
criterion_main!(benches);
