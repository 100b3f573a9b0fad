//! The `etl` (Glue / Dataflow) and `spark` (EMR / Dataproc, MapReduce)
//! kinds: schedules, workers and skew, schema changes, micro-batch lag,
//! watermarks and late data, join strategies.

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

fn extra(r: &RunReport, stage: &str, key: &str) -> f64 {
    r.stages[stage].extra[key]
}

fn dropped(r: &RunReport, stage: &str, reason: &str) -> u64 {
    r.stages[stage].dropped_by_reason.get(reason).copied().unwrap_or(0)
}

/// `n` records arriving within the first second into a stage of `kind`
/// with `params`, then a sink; `duration` long.
fn backlog(n: u64, duration: &str, kind: &str, params: &str) -> String {
    format!(
        r#"
name = "backlog"
seed = 3
duration = "{duration}"

[[source]]
id = "src"
arrivals = "constant"
rate = "{n}/s"
limit = {n}
record_size = "100 B"
to = "job"

[[stage]]
id = "job"
kind = "{kind}"
to = "out"
{params}

[[stage]]
id = "out"
kind = "sink"
"#
    )
}

// ---------------------------------------------------------------- etl ----

#[test]
fn more_workers_shorten_a_batch_job() {
    // 10,000 records × 100 ms = 1,000 worker-seconds, after 30 s start-up.
    let job = |w: u64| {
        let r = run(&backlog(
            10_000,
            "2h",
            "etl",
            &format!("schedule = \"1h\"\nworkers = {w}\nper_record = \"100ms\"\nstartup = \"30s\""),
        ));
        assert_eq!(r.end_to_end.delivered, 10_000);
        assert_eq!(extra(&r, "job", "job_runs"), 1.0);
        extra(&r, "job", "job_duration_s_last")
    };
    let (two, ten) = (job(2), job(10));
    assert!((two - (30.0 + 500.0)).abs() < 1e-6, "{two}");
    assert!((ten - (30.0 + 100.0)).abs() < 1e-6, "{ten}");
}

#[test]
fn etl_job_time_grows_with_skew() {
    let job = |skew: f64| {
        let r = run(&backlog(
            10_000,
            "2h",
            "etl",
            &format!("workers = 10\npartitions = 40\nskew = {skew}\nper_record = \"100ms\"\nstartup = \"0s\""),
        ));
        extra(&r, "job", "job_duration_s_last")
    };
    let (flat, mild, hot) = (job(1.0), job(4.0), job(20.0));
    // Balanced: 1,000 s / 10 workers. Skew 4 over 40 partitions: the hottest
    // holds 10 % = 100 s, a tie. Skew 20: 50 % of the records, 500 s.
    assert!((flat - 100.0).abs() < 1e-6, "{flat}");
    assert!((mild - 100.0).abs() < 1e-6, "{mild}");
    assert!((hot - 500.0).abs() < 1e-6, "{hot}");
}

#[test]
fn autoscaling_picks_workers_between_min_and_max() {
    // 1,000 worker-seconds to finish within the 10-min schedule: 2 workers.
    let r = run(&backlog(
        10_000,
        "30min",
        "etl",
        "flavour = \"dataflow\"\nschedule = \"10min\"\nmin_workers = 1\nmax_workers = 50\nper_record = \"100ms\"",
    ));
    assert_eq!(extra(&r, "job", "workers_last"), 2.0);
    // A floor above the need wins.
    let r = run(&backlog(
        10_000,
        "30min",
        "etl",
        "flavour = \"dataflow\"\nschedule = \"10min\"\nmin_workers = 5\nmax_workers = 50\nper_record = \"100ms\"",
    ));
    assert_eq!(extra(&r, "job", "workers_last"), 5.0);
}

#[test]
fn a_streaming_job_starts_once_and_keeps_up() {
    let r = run(r#"
name = "streaming etl"
seed = 5
duration = "600s"

[[source]]
id = "src"
arrivals = "poisson"
rate = "50/s"
to = "job"

[[stage]]
id = "job"
kind = "etl"
flavour = "dataflow"
mode = "streaming"
workers = 4
per_record = "20ms"
startup = "60s"
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#);
    let runs = extra(&r, "job", "job_runs");
    assert!(runs > 10.0, "{runs} runs");
    // Only the first run paid the start-up: the last one is short.
    assert!(extra(&r, "job", "job_duration_s_last") < 30.0);
    assert!(r.end_to_end.delivered > 25_000);
}

/// 10 records/s for 100 s, event time = arrival, into a Glue job with a
/// compatible change at 30 s and an incompatible one at 60 s.
fn schema(registry: bool) -> RunReport {
    run(&format!(
        r#"
name = "schema"
seed = 1
duration = "2h"

[[source]]
id = "src"
arrivals = "constant"
rate = "10/s"
stop = "100s"
to = "job"

[[stage]]
id = "job"
kind = "etl"
workers = 2
per_record = "1ms"
schema_registry = {registry}
schema_changes = [{{ at = "30s", compatible = true }}, {{ at = "60s", compatible = false }}]
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#
    ))
}

#[test]
fn a_schema_registry_passes_compatible_changes_and_rejects_incompatible_producers() {
    let without = schema(false);
    let with = schema(true);
    let generated = without.conservation.generated;
    assert_eq!(generated, with.conservation.generated);
    // Without a registry every change breaks the records after it (30 s on).
    let failed = extra(&without, "job", "schema_failures") as u64;
    assert_eq!(extra(&without, "job", "schema_rejected"), 0.0);
    assert_eq!(dropped(&without, "job", "schema"), failed);
    assert!((695..=705).contains(&failed), "{failed} of {generated}");
    assert_eq!(without.end_to_end.delivered, generated - failed);
    // With one, only records after the incompatible change (60 s on) are
    // refused, as rejections; the compatible change passes.
    let rejected = extra(&with, "job", "schema_rejected") as u64;
    assert_eq!(extra(&with, "job", "schema_failures"), 0.0);
    assert_eq!(dropped(&with, "job", "schema"), rejected);
    assert!((395..=405).contains(&rejected), "{rejected}");
    assert_eq!(with.end_to_end.delivered, generated - rejected);
    assert_eq!(failed - rejected, 300);
}

// -------------------------------------------------------------- spark ----

#[test]
fn mapreduce_adds_spills_hdfs_copies_and_jvm_start_ups_to_the_same_cpu() {
    // 100,000 records of 100 B arrive in the first second; the 10 s trigger
    // takes them as one batch: 100,000 × 1 ms / 8 cores = 12.5 s for Spark.
    // MapReduce, defaults (100 MB/s disks, 3 copies, 1 s JVMs), B = 10 MB on
    // 2 executors: spills 4 B / 200 MB/s = 0.2 s; HDFS max(3 B / 200 MB/s,
    // 2 B / (2 × 100 MiB/s)) = 0.15 s; one 128 MB map task and 8 reducers:
    // two waves of JVMs = 2 s. 14.85 s in all.
    let batch = |flavour: &str| {
        let r = run(&backlog(
            100_000,
            "10min",
            "spark",
            &format!("flavour = \"{flavour}\"\nexecutors = 2\ncores = 4\nper_record = \"1ms\"\ntrigger = \"10s\""),
        ));
        assert_eq!(r.end_to_end.delivered, 100_000);
        assert_eq!(extra(&r, "job", "batches"), 1.0);
        r
    };
    let spark = batch("emr");
    let mr = batch("mapreduce");
    let d = |r: &RunReport| extra(r, "job", "batch_duration_s_max");
    assert!((d(&spark) - 12.5).abs() < 1e-6, "{}", d(&spark));
    assert!((d(&mr) - 14.85).abs() < 1e-6, "{}", d(&mr));
    // Disk bytes: 4 B of spills + 3 B of HDFS copies; 1 map + 8 reduce tasks.
    assert_eq!(extra(&mr, "job", "disk_bytes"), 7e7);
    assert_eq!(extra(&mr, "job", "tasks_started"), 9.0);
    assert!(!spark.stages["job"].extra.contains_key("disk_bytes"));
}

fn lagging(executors: u64) -> RunReport {
    run(&format!(
        r#"
name = "lag"
seed = 9
duration = "600s"

[[source]]
id = "src"
arrivals = "poisson"
rate = "200/s"
to = "job"

[[stage]]
id = "job"
kind = "spark"
executors = {executors}
cores = 2
per_record = "20ms"
trigger = "10s"
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#
    ))
}

#[test]
fn a_trigger_shorter_than_the_batch_builds_lag_and_more_executors_remove_it() {
    // 1 × 2 cores at 20 ms a record: 100 records/s against 200/s offered.
    let slow = lagging(1);
    assert!(extra(&slow, "job", "batch_duration_s_max") > 10.0);
    assert!(extra(&slow, "job", "trigger_delay_s_max") > 60.0);
    assert!(
        slow.stages["job"].in_flight > 20_000,
        "{}",
        slow.stages["job"].in_flight
    );
    // 8 × 2 cores: a 10 s batch of ~2,000 records takes ~2.5 s.
    let fast = lagging(8);
    assert!(extra(&fast, "job", "batch_duration_s_max") < 5.0);
    assert_eq!(extra(&fast, "job", "trigger_delay_s_max"), 0.0);
    assert!(
        fast.end_to_end.latency_s.p99 < 16.0,
        "{}",
        fast.end_to_end.latency_s.p99
    );
    assert!(slow.end_to_end.latency_s.p50 > 3.0 * fast.end_to_end.latency_s.p99);
}

/// An on-time source (1/s from 0 s) and a late one (1/s from 50 s, 20
/// records, each with event time 60 s before its arrival) into Spark with
/// `watermark`.
fn watermark(watermark: &str, late: &str) -> String {
    format!(
        r#"
name = "watermark"
seed = 2
duration = "300s"

[[source]]
id = "ontime"
arrivals = "constant"
rate = "1/s"
to = "job"

[[source]]
id = "late"
arrivals = "constant"
rate = "1/s"
start = "50s"
limit = 20
lateness = {late}
to = "job"

[[stage]]
id = "job"
kind = "spark"
per_record = "1ms"
trigger = "5s"
window = "10s"
watermark = "{watermark}"
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#
    )
}

#[test]
fn records_later_than_the_watermark_are_dropped_and_counted_exactly() {
    let fixed = r#"{ fraction = 1.0, delay = "60s" }"#;
    // Watermark 30 s: each late record is 60 s behind the latest event time
    // (the on-time source's), so all 20 are dropped.
    let r = run(&watermark("30s", fixed));
    assert_eq!(dropped(&r, "job", "late"), 20);
    assert_eq!(extra(&r, "job", "late_records"), 20.0);
    assert_eq!(r.stages["job"].dropped, 20);
    // Watermark 90 s tolerates them all.
    let r = run(&watermark("90s", fixed));
    assert_eq!(dropped(&r, "job", "late"), 0);
}

#[test]
fn a_larger_watermark_drops_fewer_and_holds_more_state() {
    let random = r#"{ fraction = 1.0, delay = { dist = "exponential", mean = "60s" } }"#;
    let tight = run(&watermark("30s", random));
    let loose = run(&watermark("2min", random));
    let (lt, ll) = (dropped(&tight, "job", "late"), dropped(&loose, "job", "late"));
    assert!(lt > ll, "late: {lt} (30 s) vs {ll} (2 min)");
    assert!(lt > 5 && lt < 20, "{lt}");
    let (st, sl) = (
        extra(&tight, "job", "state_records_max"),
        extra(&loose, "job", "state_records_max"),
    );
    assert!(sl > st, "state: {st} (30 s) vs {sl} (2 min)");
}

#[test]
fn aggregated_late_sources_split_late_records_exactly() {
    // Aggregated regime: a binomial share of each batch is 10 min late,
    // far behind a 1 min watermark, so exactly the late share is dropped.
    let r = run(r#"
name = "aggregated lateness"
seed = 4
duration = "600s"

[[source]]
id = "src"
arrivals = "poisson"
rate = "1000/s"
aggregate = "1s"
lateness = { fraction = 0.1, delay = "10min" }
to = "job"

[[stage]]
id = "job"
kind = "spark"
executors = 4
per_record = "100us"
trigger = "10s"
watermark = "1min"
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#);
    let late = dropped(&r, "job", "late") as f64;
    let gen = r.conservation.generated as f64;
    assert!((late / gen - 0.1).abs() < 0.01, "{late} of {gen}");
}

/// Spark with a join of 1,000 records/s for 100 s (10 KB each, 1 GB in
/// all) against a 1 MB table, 4 executors, a batch every 10 s.
fn join(spec: &str) -> RunReport {
    run(&format!(
        r#"
name = "join"
seed = 6
duration = "200s"

[[source]]
id = "src"
arrivals = "constant"
rate = "1000/s"
stop = "100s"
record_size = "10 KB"
to = "job"

[[stage]]
id = "job"
kind = "spark"
executors = 4
per_record = "100us"
trigger = "10s"
join = {spec}
to = "out"

[[stage]]
id = "out"
kind = "sink"
"#
    ))
}

#[test]
fn a_broadcast_join_shuffles_only_the_small_side_times_executors() {
    let shuffle = join(r#"{ other_rows = 10000, other_bytes = "1 MB", strategy = "shuffle" }"#);
    let batches = extra(&shuffle, "job", "batches");
    let input = shuffle.end_to_end.delivered as f64 * 1e4;
    assert_eq!(extra(&shuffle, "job", "shuffle_bytes"), input + 1e6 * batches);
    let broadcast = join(r#"{ other_rows = 10000, other_bytes = "1 MB", strategy = "broadcast" }"#);
    let b = extra(&broadcast, "job", "batches");
    assert_eq!(extra(&broadcast, "job", "shuffle_bytes"), 4.0 * 1e6 * b);
    // `auto` broadcasts a table under the threshold, shuffles one above.
    let auto = join(r#"{ other_rows = 10000, other_bytes = "1 MB" }"#);
    assert_eq!(extra(&auto, "job", "shuffle_bytes"), 4.0 * 1e6 * b);
    let big = join(r#"{ other_rows = 10000, other_bytes = "1 MB", broadcast_threshold = "100 KB" }"#);
    assert_eq!(extra(&big, "job", "shuffle_bytes"), input + 1e6 * batches);
    assert!(extra(&broadcast, "job", "batch_duration_s_max") < extra(&shuffle, "job", "batch_duration_s_max"));
}

#[test]
fn filtering_before_the_join_cuts_the_shuffle() {
    let all = join(r#"{ other_rows = 10000, other_bytes = "1 MB", strategy = "shuffle" }"#);
    let filtered =
        join(r#"{ other_rows = 10000, other_bytes = "1 MB", strategy = "shuffle", filter_selectivity = 0.25 }"#);
    let batches = extra(&all, "job", "batches");
    let input = all.end_to_end.delivered as f64 * 1e4;
    let f = extra(&filtered, "job", "shuffle_bytes");
    assert!((f - (0.25 * input + 1e6 * batches)).abs() < 1.0, "{f}");
    assert!(f < 0.5 * extra(&all, "job", "shuffle_bytes"));
    assert!(extra(&filtered, "job", "batch_duration_s_max") < extra(&all, "job", "batch_duration_s_max"));
    // Too few join keys leave executors idle: a slower shuffle.
    let few_keys = join(r#"{ other_rows = 10000, other_bytes = "1 MB", strategy = "shuffle", key_cardinality = 1 }"#);
    assert!(extra(&few_keys, "job", "batch_duration_s_max") > extra(&all, "job", "batch_duration_s_max"));
}

// ------------------------------------------------------------- errors ----

#[test]
fn bad_params_give_located_errors() {
    let base = |kind: &str, line: &str| {
        format!(
            r#"name = "bad"
seed = 1
duration = "10s"

[[source]]
id = "s"
arrivals = "poisson"
rate = "1/s"
to = "job"

[[stage]]
id = "job"
kind = "{kind}"
per_record = "1ms"
{line}
"#
        )
    };
    let err = |kind: &str, line: &str| {
        let e = scenario::load(&base(kind, line), Format::Toml).expect_err("must be rejected");
        let first = e.0[0].clone();
        (first.line, first.message)
    };
    for (kind, line, want, needle) in [
        ("etl", "skew = 0.5", 15, "at least 1"),
        ("etl", "workers = 0", 15, "at least 1"),
        ("etl", "per_recrd = \"1ms\"", 15, "per_record"),
        ("etl", "mode = \"streaming\"\nschedule = \"1h\"", 16, "streaming"),
        ("etl", "schema_changes = [{ at = \"1h\" }]", 15, "compatible"),
        ("spark", "executors = 0", 15, "at least 1"),
        ("spark", "flavour = \"hadoop\"", 15, "mapreduce"),
        ("spark", "flavour = \"mapreduce\"\nreplication = 0", 16, "copies"),
        ("spark", "flavour = \"mapreduce\"\njobs = 0", 16, "from 1 to 1000"),
        ("spark", "disk_bandwidth = \"0 MB/s\"", 15, "more than zero"),
        (
            "spark",
            "join = { other_rows = 1, other_bytes = \"1 MB\", filter_selectivity = 2.0 }",
            15,
            "filter_selectivity",
        ),
    ] {
        let (at, msg) = err(kind, line);
        assert_eq!(at, Some(want), "{kind} `{line}`: {msg}");
        assert!(msg.contains(needle), "{kind} `{line}`: {msg}");
    }
    // A source's lateness is checked too.
    let text = base("spark", "").replace(
        "to = \"job\"\n\n[[stage]]",
        "lateness = { fraction = 2.0, delay = \"1s\" }\nto = \"job\"\n\n[[stage]]",
    );
    let e = scenario::load(&text, Format::Toml).expect_err("must be rejected");
    assert_eq!(e.0[0].line, Some(9), "{}", e.0[0]);
    assert!(e.0[0].message.contains("fraction"), "{}", e.0[0]);
}

// --------------------------------------------------------------- cost ----

#[test]
fn glue_bills_dpu_hours_and_maps_to_dataflow_workers() {
    // One run: 10 DPUs × (30 s + 100 s) = 1,300 DPU-s = 0.3611 DPU-hours.
    let text = backlog(
        10_000,
        "2h",
        "etl",
        "schedule = \"1h\"\nworkers = 10\nper_record = \"100ms\"\nstartup = \"30s\"",
    );
    let r = run(&text);
    let dpu_h = extra(&r, "job", "dpu_hours");
    assert!((dpu_h - 1300.0 / 3600.0).abs() < 1e-9, "{dpu_h}");
    let cost = r.cost.expect("priced");
    let glue = cost
        .lines
        .iter()
        .find(|l| l.id == "aws.glue.spark_etl_job_standard")
        .expect("a Glue line");
    assert!((glue.quantity - dpu_h).abs() < 1e-12);
    assert!((glue.usd - 0.44 * dpu_h).abs() < 1e-9, "{glue:?}");
    // The GCP mapping rewrites the flavour to Dataflow, billed per vCPU-hour.
    let o = Overrides {
        provider: Some(pipelab::scenario::schema::Provider::Gcp),
        ..Overrides::default()
    };
    let (_, rep) = run::run_text(&text, Format::Toml, &o).unwrap_or_else(|e| panic!("{e}"));
    let gcp = rep.cost.expect("priced");
    assert!(
        gcp.lines.iter().any(|l| l.id == "gcp.dataflow.batch_worker_vcpu"),
        "{:#?}",
        gcp.lines
    );
}

#[test]
fn schema_failures_go_to_the_dead_letter_stage_when_one_is_named() {
    // The same run as `schema(false)`, with a dead-letter stage on the job:
    // the broken records arrive there as records (counted and inspectable)
    // instead of being dropped with reason `schema`.
    let text = |dl: &str| {
        format!(
            r#"
name = "schema-dlq"
seed = 1
duration = "2h"

[[source]]
id = "src"
arrivals = "constant"
rate = "10/s"
stop = "100s"
to = "job"

[[stage]]
id = "job"
kind = "etl"
workers = 2
per_record = "1ms"
schema_changes = [{{ at = "30s", compatible = true }}, {{ at = "60s", compatible = false }}]
to = "out"
{dl}

[[stage]]
id = "out"
kind = "sink"

[[stage]]
id = "bad_records"
kind = "sink"
"#
        )
    };
    let dropped_run = run(&text(""));
    let failed = extra(&dropped_run, "job", "schema_failures") as u64;
    assert!((695..=705).contains(&failed), "{failed}");
    assert_eq!(dropped(&dropped_run, "job", "schema"), failed);
    assert_eq!(dropped_run.stages["bad_records"].arrived, 0);
    let dlq = run(&text("dead_letter = \"bad_records\""));
    assert_eq!(extra(&dlq, "job", "schema_failures") as u64, failed);
    assert_eq!(dropped(&dlq, "job", "schema"), 0);
    assert_eq!(dlq.stages["job"].dropped, 0);
    assert_eq!(dlq.stages["bad_records"].arrived, failed);
    assert_eq!(dlq.end_to_end.dead_lettered, failed);
    assert_eq!(dlq.end_to_end.delivered, dlq.conservation.generated - failed);
    assert_eq!(dlq.end_to_end.delivered, dropped_run.end_to_end.delivered);
}
