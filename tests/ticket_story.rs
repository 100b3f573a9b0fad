//! The ticket-streaming seed story (`ticket-before`, `ticket-after`): its
//! two variants point at each other, run on GCP as well as AWS, and keep
//! their mechanisms when re-mapped. The headline figures are checked in
//! `tests/claims.rs`.

use pipelab::report::RunReport;
use pipelab::run::{self, Overrides};
use pipelab::scenario::schema::Provider;
use pipelab::scenario::{self, builtin, Format};

fn run_on(name: &str, provider: Provider) -> RunReport {
    let b = builtin::find(name).unwrap_or_else(|| panic!("no built-in {name}"));
    let o = Overrides {
        provider: Some(provider),
        ..Overrides::default()
    };
    let (_, r) = run::run_text(b.text, Format::Toml, &o).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(r.conservation.holds, "{name}: {:?}", r.conservation);
    r
}

#[test]
fn before_and_after_are_one_story_that_compares_each_with_the_other() {
    for (name, variant, other) in [
        ("ticket-before", "before", "ticket-after"),
        ("ticket-after", "after", "ticket-before"),
    ] {
        let sc = scenario::parse(builtin::find(name).unwrap().text, Format::Toml).unwrap();
        let story = sc.story.expect("a [story] table");
        assert_eq!((story.id.as_str(), story.variant.as_str()), ("ticket", variant));
        assert_eq!(story.compare.as_deref(), Some(other));
        assert!(story.steps.iter().any(|s| s.phase == "result"), "{name}");
    }
}

#[test]
fn the_streaming_variant_runs_and_prices_on_gcp_with_its_mechanisms_intact() {
    let r = run_on("ticket-after", Provider::Gcp);
    let cost = r.cost.as_ref().expect("priced");
    assert_eq!(cost.provider, "gcp");
    for id in [
        "gcp.pubsub.throughput_tib",
        "gcp.dataproc.dataproc_uplift_on_compute_engine",
    ] {
        assert!(cost.lines.iter().any(|l| l.id == id), "no {id} line");
    }
    assert!(cost.lines.iter().all(|l| l.id.starts_with("gcp.")));
    // Vertex AI Vector Search has no price in the catalogue: said, not guessed.
    assert!(cost.unpriced.iter().any(|g| g.stage == "dedup"));
    // The re-mapped pipeline still removes duplicates and resolves fast.
    let e = &r.end_to_end;
    assert!((e.delivered_duplicates as f64) < 0.05 * e.delivered as f64);
    assert!(e.latency_s.max < 2.0 * 3600.0, "{}", e.latency_s.max);
}

#[test]
fn the_on_premises_variant_stays_on_premises_on_either_provider() {
    for p in [Provider::Aws, Provider::Gcp] {
        let r = run_on("ticket-before", p);
        let cost = r.cost.expect("priced");
        assert!(!cost.lines.is_empty());
        assert!(
            cost.lines.iter().all(|l| l.id == "onprem.hadoop.node_share_4core_hour"),
            "{p:?}: {:?}",
            cost.lines.iter().map(|l| &l.id).collect::<Vec<_>>()
        );
    }
}
