//! Determinism: the same scenario and seed give the same digest, pausing
//! and resuming changes nothing, and the digests match the golden file that
//! the wasm32 browser test also checks (so native = wasm32, bit for bit).

use pipelab::report;
use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::collections::BTreeMap;

fn digest(name: &str, seed: Option<u64>) -> String {
    let text = builtin::find(name).unwrap().text;
    run::run_text(
        text,
        Format::Toml,
        &Overrides {
            seed,
            duration_ns: None,
            provider: None,
        },
    )
    .unwrap()
    .1
    .digest
}

#[test]
fn same_seed_same_digest_other_seed_other_digest() {
    for b in builtin::all() {
        assert_eq!(digest(b.name, Some(9)), digest(b.name, Some(9)), "{}", b.name);
        assert_ne!(digest(b.name, Some(9)), digest(b.name, Some(10)), "{}", b.name);
    }
}

#[test]
fn pausing_and_resuming_gives_the_uninterrupted_result() {
    for name in ["backpressure-tandem", "throttle-retry", "day-500m-pipeline"] {
        let text = builtin::find(name).unwrap().text;
        let mut p = run::prepare(text, Format::Toml, &Overrides::default()).unwrap();
        let end = p.sim.duration_ns;
        // Uneven pause points, including ones that fall exactly on events.
        let mut t = 0;
        let mut k = 1u64;
        while t < end {
            t = (t + end / 7 + k * 1_234_567).min(end);
            p.sim.run_until(t);
            k += 1;
        }
        let paused = report::build(&p.sim, &p.scenario.name).digest;
        // And the event-count stepping used by the UI.
        let mut q = run::prepare(text, Format::Toml, &Overrides::default()).unwrap();
        while !q.sim.run_events(10_007) {}
        let stepped = report::build(&q.sim, &q.scenario.name).digest;
        let whole = digest(name, None);
        assert_eq!(paused, whole, "{name}: run_until in steps");
        assert_eq!(stepped, whole, "{name}: run_events in steps");
    }
}

#[test]
fn golden_digests_match_this_build() {
    let current: BTreeMap<String, String> = builtin::all()
        .iter()
        .map(|b| (b.name.to_string(), digest(b.name, None)))
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/digests.json");
    if std::env::var_os("PIPELAB_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&current).unwrap() + "\n").unwrap();
    }
    let golden: BTreeMap<String, String> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        golden, current,
        "engine results changed: if intended, rerun with PIPELAB_UPDATE_GOLDEN=1 (the wasm32 test checks the same file)"
    );
}

#[test]
fn the_event_budget_stops_a_run_after_exactly_that_many_events() {
    let text = builtin::find("mm4-teaching").unwrap().text;
    let whole = {
        let mut p = run::prepare(text, Format::Toml, &Overrides::default()).unwrap();
        p.sim.run();
        assert!(!p.sim.budget_exhausted);
        p.sim.events_processed
    };
    // A budget below the run's event count stops it there, whether the run
    // goes in one call or in pauses; one at or above it changes nothing.
    for budget in [1, 1000, whole - 1] {
        for steps in [1u64, 5] {
            let mut p = run::prepare(text, Format::Toml, &Overrides::default()).unwrap();
            p.sim.event_budget = budget;
            let end = p.sim.duration_ns;
            for k in 1..=steps {
                p.sim.run_until(end / steps * k);
            }
            assert!(p.sim.budget_exhausted, "budget {budget}, {steps} steps");
            assert_eq!(p.sim.events_processed, budget, "budget {budget}, {steps} steps");
            assert!(p.sim.is_finished());
        }
    }
    for budget in [whole, whole + 1] {
        let mut p = run::prepare(text, Format::Toml, &Overrides::default()).unwrap();
        p.sim.event_budget = budget;
        p.sim.run();
        assert!(!p.sim.budget_exhausted, "budget {budget}");
        assert_eq!(p.sim.events_processed, whole);
    }
}
