//! Record kinds: sources give each record a kind from their `kinds` mix, and
//! a router with `by = "kind"` sends each record to its kind's route.

use pipelab::report::RunReport;
use pipelab::run::{self, Overrides};
use pipelab::scenario::{self, Format};

fn run(text: &str) -> RunReport {
    let r = run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1;
    assert!(r.conservation.holds, "conservation: {:?}", r.conservation);
    r
}

fn generated(r: &RunReport, source: &str, kind: &str) -> u64 {
    r.sources[source].extra[&format!("generated_{kind}")] as u64
}

/// An aggregated source of kinds a/b/c and an exact one of kinds b/d into a
/// router by kind: a and b have routes, `default_route` (if any) takes the rest.
fn scenario(seed: u64, default_route: &str) -> String {
    format!(
        r#"
name = "kinds"
seed = {seed}
duration = "300s"

[[source]]
id = "app"
arrivals = "poisson"
rate = "700/s"
aggregate = "1s"
key_buckets = 4
kinds = [
  {{ name = "a", share = 0.5, size = "100 B" }},
  {{ name = "b", share = 0.3, size = {{ dist = "uniform", min = "150 B", max = "250 B" }} }},
  {{ name = "c", share = 0.2 }},
]
record_size = "300 B"
to = "by_kind"

[[source]]
id = "clicks"
arrivals = "poisson"
rate = "40/s"
kinds = [{{ name = "b", share = 0.6 }}, {{ name = "d", share = 0.4 }}]
to = "by_kind"

[[stage]]
id = "by_kind"
kind = "router"
by = "kind"
routes = [
  {{ kind = "a", to = "to_a" }},
  {{ kind = "b", to = "to_b" }},
  {default_route}
]

[[stage]]
id = "to_a"
kind = "sink"

[[stage]]
id = "to_b"
kind = "sink"

[[stage]]
id = "other"
kind = "sink"
"#
    )
}

#[test]
fn each_kind_arrives_only_at_its_route_and_records_without_one_are_dropped_as_unrouted() {
    let r = run(&scenario(5, ""));
    let (a, b, c) = (
        generated(&r, "app", "a"),
        generated(&r, "app", "b"),
        generated(&r, "app", "c"),
    );
    let (cb, d) = (generated(&r, "clicks", "b"), generated(&r, "clicks", "d"));
    assert_eq!(a + b + c, r.sources["app"].arrived);
    assert_eq!(cb + d, r.sources["clicks"].arrived);
    assert_eq!(r.stages["to_a"].arrived, a);
    assert_eq!(r.stages["to_b"].arrived, b + cb);
    assert_eq!(r.stages["other"].arrived, 0);
    let router = &r.stages["by_kind"];
    assert_eq!(router.dropped_by_reason["unrouted"], c + d);
    assert_eq!(router.arrived, a + b + c + cb + d);
    assert_eq!(r.end_to_end.delivered, a + b + cb);
}

#[test]
fn a_default_route_takes_the_kinds_without_a_route() {
    let r = run(&scenario(5, r#"{ to = "other" },"#));
    let other = generated(&r, "app", "c") + generated(&r, "clicks", "d");
    assert!(other > 0);
    assert_eq!(r.stages["other"].arrived, other);
    assert_eq!(r.stages["to_a"].arrived, generated(&r, "app", "a"));
    assert!(!r.stages["by_kind"].dropped_by_reason.contains_key("unrouted"));
}

#[test]
fn an_aggregated_source_splits_its_batches_with_exact_kind_counts() {
    // Largest remainders carried between batches: every kind's total is
    // within the number of kinds of its share of all records.
    let r = run(&scenario(11, ""));
    let total = r.sources["app"].arrived as f64;
    for (kind, share) in [("a", 0.5), ("b", 0.3), ("c", 0.2)] {
        let n = generated(&r, "app", kind) as f64;
        assert!((n - share * total).abs() <= 3.0, "{kind}: {n} of {total}");
    }
    // One-record batches draw their kind: the mix holds in expectation.
    let clicks = r.sources["clicks"].arrived as f64;
    let b = generated(&r, "clicks", "b") as f64;
    let sd = (clicks * 0.6 * 0.4).sqrt();
    assert!((b - 0.6 * clicks).abs() < 4.0 * sd, "{b} of {clicks}");
}

#[test]
fn the_same_seed_gives_the_same_digest_and_another_seed_another() {
    let a = run(&scenario(7, ""));
    let b = run(&scenario(7, ""));
    let c = run(&scenario(8, ""));
    assert_eq!(a.digest, b.digest);
    assert_ne!(a.digest, c.digest);
}

fn errors(text: &str) -> Vec<String> {
    match scenario::load(text, Format::Toml) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn shares_that_do_not_sum_to_one_are_a_located_error() {
    let text = scenario(1, "").replace("share = 0.2 }", "share = 0.25 }");
    let errs = errors(&text);
    // `kinds = [` is line 12 of the file.
    assert!(
        errs.iter()
            .any(|e| e.starts_with("line 12: source[0].kinds: the shares sum to 1.0")
                && e.ends_with("they must sum to 1")),
        "{errs:?}"
    );
}

#[test]
fn a_route_naming_an_unknown_kind_is_a_located_error_with_a_suggestion() {
    let text = scenario(1, "").replace(r#"kind = "b", to"#, r#"kind = "bb", to"#);
    let errs = errors(&text);
    // The second route is on line 33.
    assert!(
        errs.iter()
            .any(|e| e.starts_with("line 33: stage[0].routes[1].kind: unknown kind `bb`")
                && e.contains("did you mean `b`?")),
        "{errs:?}"
    );
}

#[test]
fn a_kind_listed_twice_or_a_second_default_route_is_an_error() {
    let text = scenario(1, r#"{ to = "other" }, { to = "to_a" },"#).replace(r#"name = "d""#, r#"name = "b""#);
    let errs = errors(&text).join("\n");
    assert!(
        errs.contains("source[1].kinds[1].name: kind `b` is listed twice"),
        "{errs}"
    );
    assert!(
        errs.contains("stage[0].routes[3]: a second route without `kind`"),
        "{errs}"
    );
}

#[test]
fn aggregated_trace_rows_split_by_kind_and_single_records_draw_theirs() {
    for aggregate in ["aggregate = \"1s\"", ""] {
        let text = format!(
            r#"
name = "trace kinds"
duration = "10s"

[[source]]
id = "t"
arrivals = "trace"
trace = "0,10,10000\n1,7\n2,1,50"
{aggregate}
kinds = [{{ name = "x", share = 0.7 }}, {{ name = "y", share = 0.3 }}]
to = "r"

[[stage]]
id = "r"
kind = "router"
by = "kind"
routes = [{{ kind = "x", to = "sx" }}, {{ kind = "y", to = "sy" }}]

[[stage]]
id = "sx"
kind = "sink"

[[stage]]
id = "sy"
kind = "sink"
"#
        );
        let r = run(&text);
        let (x, y) = (generated(&r, "t", "x"), generated(&r, "t", "y"));
        assert_eq!(x + y, 18, "{aggregate}");
        assert_eq!((r.stages["sx"].arrived, r.stages["sy"].arrived), (x, y));
        if !aggregate.is_empty() {
            // 10 → 7 + 3; 7 → 4.9 + 2.1 → 5 + 2; 1 → 0.6 (x) against 0.4 (y) → x.
            assert_eq!((x, y), (13, 5));
        }
    }
}
