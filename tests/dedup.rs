//! The `dedup` and `warehouse` kinds: duplicates injected at the source are
//! removed (and counted as deduplicated), warehouse queries scale with bytes
//! scanned, distribution skew and WLM slots.

use pipelab::report::RunReport;
use pipelab::run::{self, Overrides};
use pipelab::scenario::Format;

fn run(text: &str) -> RunReport {
    let r = run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1;
    assert!(r.conservation.holds, "conservation: {:?}", r.conservation);
    r
}

fn extra(r: &RunReport, stage: &str, key: &str) -> f64 {
    r.stages[stage].extra[key]
}

/// 20 records/s for 200 s, 30 % duplicates (`near` of them noisy), into
/// `stage` (TOML of the middle stage, or "" for none) then a sink.
fn pipeline(near: f64, noise: f64, stage: &str) -> String {
    let to = if stage.is_empty() { "sink" } else { "dedup" };
    format!(
        r#"
name = "dedup"
seed = 3
duration = "200s"

[[source]]
id = "events"
arrivals = "poisson"
rate = "20/s"
to = "{to}"
duplicates = {{ fraction = 0.3, near = {near}, dim = 16, noise = {noise} }}

{stage}

[[stage]]
id = "sink"
kind = "sink"
"#
    )
}

fn dedup(mode: &str, extra: &str) -> String {
    format!("[[stage]]\nid = \"dedup\"\nkind = \"dedup\"\nmode = \"{mode}\"\nwindow = \"1h\"\nto = \"sink\"\n{extra}\n")
}

#[test]
fn exact_dedup_removes_exactly_the_exact_duplicates() {
    let r = run(&pipeline(0.0, 0.0, &dedup("exact", "")));
    let d = &r.stages["dedup"];
    assert!(extra(&r, "dedup", "duplicates_in") > 1000.0);
    assert_eq!(d.deduplicated as f64, extra(&r, "dedup", "duplicates_in"));
    assert_eq!(extra(&r, "dedup", "false_positives"), 0.0);
    assert_eq!(r.end_to_end.delivered_duplicates, 0);
    assert_eq!(r.conservation.deduplicated, d.deduplicated);
    // A short window misses copies of older originals.
    let short = run(&pipeline(0.0, 0.0, &dedup("exact", "").replace("1h", "1s")));
    assert!(
        extra(&short, "dedup", "recall") < 0.5,
        "{}",
        extra(&short, "dedup", "recall")
    );
}

#[test]
fn without_dedup_thirty_percent_duplicates_reach_the_sink_and_with_it_under_five() {
    let none = run(&pipeline(0.5, 0.1, ""));
    let share = none.end_to_end.delivered_duplicates as f64 / none.end_to_end.delivered as f64;
    assert!((share - 0.3).abs() < 0.03, "{share}");
    let r = run(&pipeline(0.5, 0.1, &dedup("near", "threshold = 0.5")));
    let share = r.end_to_end.delivered_duplicates as f64 / r.end_to_end.delivered as f64;
    assert!(share < 0.05, "{share}");
    assert!(extra(&r, "dedup", "precision") > 0.95);
    // Exact matching alone lets the near copies through.
    let e = run(&pipeline(0.5, 0.1, &dedup("exact", "")));
    let share = e.end_to_end.delivered_duplicates as f64 / e.end_to_end.delivered as f64;
    assert!(share > 0.1, "{share}");
}

#[test]
fn near_dedup_threshold_trades_precision_for_recall() {
    // Noisy copies lie about 0.5 from their original; distinct records about 1.4.
    let mut seen = Vec::new();
    for th in [0.3, 0.6, 1.1] {
        let r = run(&pipeline(1.0, 0.5, &dedup("near", &format!("threshold = {th}"))));
        seen.push((extra(&r, "dedup", "precision"), extra(&r, "dedup", "recall")));
    }
    assert!(seen.windows(2).all(|w| w[1].1 > w[0].1), "recall rises: {seen:?}");
    assert!(seen[2].0 < seen[0].0 && seen[2].0 < 0.95, "precision falls: {seen:?}");
}

#[test]
fn a_small_sample_is_reported() {
    let r = run(&pipeline(0.5, 0.1, &dedup("near", "sample = 50")));
    assert_eq!(extra(&r, "dedup", "sampled"), 1.0);
    let r = run(&pipeline(0.5, 0.1, &dedup("near", "")));
    assert_eq!(extra(&r, "dedup", "sampled"), 0.0);
}

/// A load of 1 GB/s for 100 s into a warehouse with `params`.
fn warehouse(params: &str, queries: &str) -> String {
    format!(
        r#"
name = "warehouse"
seed = 5
duration = "300s"

[[source]]
id = "loads"
arrivals = "constant"
rate = "1/s"
record_size = "1 GB"
stop = "100s"
to = "wh"

[[stage]]
id = "wh"
kind = "warehouse"
to = "sink"
nodes = 4
slices_per_node = 2
scan_rate = "100 MB/s"
partitions = 10
{params}
queries = [{queries}]

[[stage]]
id = "sink"
kind = "sink"
"#
    )
}

#[test]
fn query_time_scales_with_bytes_over_slices_and_partition_filters_prune() {
    let q = |pf: bool| format!(r#"{{ class = "report", rate = "1/min", partition_filter = {pf} }}"#);
    let full = run(&warehouse("", &q(false)));
    let pruned = run(&warehouse("", &q(true)));
    assert_eq!(full.end_to_end.delivered, 100);
    let (a, b) = (
        extra(&full, "wh", "report_mean_s"),
        extra(&pruned, "wh", "report_mean_s"),
    );
    // Up to 100 GB over 8 slices at 100 MB/s: at most 125 s; a filter reads a tenth.
    assert!(a > 20.0 && a < 126.0, "{a}");
    assert!(b < a / 5.0, "{b} vs {a}");
    let big = run(&warehouse("", &q(false)).replace("nodes = 4", "nodes = 8"));
    let c = extra(&big, "wh", "report_mean_s");
    assert!(c < a * 0.7, "{c} vs {a}");
}

#[test]
fn a_skewed_distribution_key_is_slower_than_even() {
    let q = r#"{ class = "dashboard", rate = "2/min", partition_filter = true }"#;
    let even = run(&warehouse("distribution = \"even\"", q));
    let key = run(&warehouse("distribution = \"key\"\nkey_skew = 0.5", q));
    let (e, k) = (
        extra(&even, "wh", "dashboard_p95_s"),
        extra(&key, "wh", "dashboard_p95_s"),
    );
    assert!(k > 3.0 * e, "{k} vs {e}");
}

#[test]
fn queries_queue_when_wlm_slots_are_full() {
    let q = r#"{ class = "adhoc", rate = "30/min" }"#;
    let one = run(&warehouse("wlm_slots = 1", q));
    let many = run(&warehouse("wlm_slots = 500", q));
    assert!(
        extra(&one, "wh", "queue_wait_mean_s") > 10.0,
        "{}",
        extra(&one, "wh", "queue_wait_mean_s")
    );
    assert_eq!(extra(&many, "wh", "queue_wait_mean_s"), 0.0);
    let scaled = run(&warehouse("wlm_slots = 1\nconcurrency_scaling = true", q));
    // Twice the slots while the queue is long: more queries finish.
    assert!(extra(&scaled, "wh", "queries_done") > extra(&one, "wh", "queries_done"));
    assert!(extra(&scaled, "wh", "concurrency_scaling_s") > 0.0);
}

#[test]
fn bad_params_give_located_errors() {
    for (text, needle) in [
        (pipeline(0.0, 0.0, &dedup("near", "threshold = -1")), "threshold"),
        (
            pipeline(0.0, 0.0, &dedup("exact", "thresold = 1")),
            "did you mean `threshold`",
        ),
        (pipeline(0.0, 0.0, &dedup("fuzzy", "")), "mode"),
        (
            pipeline(0.0, 0.0, "").replace("fraction = 0.3", "fraction = 1.3"),
            "duplicates",
        ),
        (warehouse("distribution = \"hash\"", ""), "distribution"),
        (warehouse("wlm_slots = 0", ""), "wlm_slots"),
        (
            warehouse("", r#"{ class = "report", rate = "1/min", fraction = 2 }"#),
            "fraction",
        ),
    ] {
        let e = run::run_text(&text, Format::Toml, &Overrides::default())
            .err()
            .expect("an error");
        let msg = e.to_string();
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains("line"), "not located: {msg}");
    }
}

#[test]
fn queries_run_on_the_initial_table_before_the_first_load() {
    // Loads start at 200 s; 30 dashboard queries a minute each read 1 %.
    let q = r#"{ class = "dashboard", rate = "30/min", fraction = 0.01 }"#;
    let late = |params: &str| run(&warehouse(params, q).replace("stop = \"100s\"", "start = \"200s\""));
    let empty = late("");
    let loaded = late("initial_size = \"100 GB\"");
    let (a, b) = (
        extra(&empty, "wh", "queries_done"),
        extra(&loaded, "wh", "queries_done"),
    );
    // Without data the mix starts with the first load (100 s of 300 s);
    // with it, at time zero: about three times as many queries.
    assert!(a > 20.0 && b > 2.4 * a, "{a} vs {b}");
    // Before the first load each query reads 1 % of 100 GB: 1 GB over 8
    // slices at 100 MB/s = 1.25 s.
    assert!(extra(&loaded, "wh", "bytes_scanned") >= 60.0 * 1e9);
    assert!(extra(&empty, "wh", "bytes_scanned") > 0.0);
}

#[test]
fn bigquery_bills_at_least_ten_mib_per_table_referenced_per_query() {
    // Tiny queries (1e-9 of a 100 GB table = 100 bytes) on BigQuery: each is
    // billed 10 MiB per table it references, not the bytes it scanned.
    let q = |tables: u32| format!(r#"{{ class = "adhoc", rate = "6/min", fraction = 1e-9, tables = {tables} }}"#);
    let text = |tables: u32| {
        warehouse("", &q(tables))
            .replace(
                "nodes = 4\nslices_per_node = 2",
                "flavour = \"bigquery\"\nslots = 100\nbilling = \"on_demand\"",
            )
            .replace("partitions = 10", "partitions = 10\ninitial_size = \"100 GB\"")
    };
    let one = run(&text(1));
    let n = extra(&one, "wh", "queries_done");
    assert!(n > 10.0, "{n}");
    let scanned = extra(&one, "wh", "bytes_scanned");
    assert!(scanned < 1e6 && scanned > 0.0, "{scanned}");
    // Billed = 10 MiB per started query; the cost line prices billed bytes.
    let started = extra(&one, "wh", "bytes_billed") / 10_485_760.0;
    assert!(
        started >= n && started <= n + 5.0 && started.fract() == 0.0,
        "{started} vs {n}"
    );
    let three = run(&text(3));
    assert!(extra(&three, "wh", "bytes_billed") >= 3.0 * 10_485_760.0 * extra(&three, "wh", "queries_done"));
    let cost = one.cost.as_ref().expect("priced");
    let l = cost
        .lines
        .iter()
        .find(|l| l.id.starts_with("gcp.bigquery.on_demand"))
        .expect("a BigQuery line");
    assert_eq!(l.quantity, extra(&one, "wh", "bytes_billed") / (1u64 << 40) as f64);
}
