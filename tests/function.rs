//! The `function` and `object_store` kinds run end to end: scenario text in
//! the public TOML format through `run_text`, assertions on the report.
//! Every test also checks that conservation holds.

use pipelab::report::{RunReport, StageReport};
use pipelab::run::{self, Overrides};
use pipelab::scenario::{self, Format};

fn run_toml(text: &str) -> RunReport {
    let r = run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1;
    assert!(r.conservation.holds, "conservation: {:?}", r.conservation);
    r
}

fn extra(s: &StageReport, key: &str) -> f64 {
    *s.extra
        .get(key)
        .unwrap_or_else(|| panic!("no extra `{key}` in {:?}", s.extra))
}

/// A Poisson source into a function with `params`, rejecting when throttled;
/// the source retries 3 times and dead-letters.
fn throttle_scenario(rate: &str, duration: &str, source_extra: &str, params: &str) -> String {
    format!(
        r#"
name = "function throttling"
seed = 11
duration = "{duration}"

[[source]]
id = "events"
arrivals = "poisson"
rate = "{rate}"
to = "fn"
retry = {{ max = 3, base = "50ms", cap = "1s" }}
dead_letter = "dlq"
{source_extra}

[[stage]]
id = "fn"
kind = "function"
on_full = "reject"
to = "out"
{params}

[[stage]]
id = "out"
kind = "sink"

[[stage]]
id = "dlq"
kind = "sink"
"#
    )
}

/// One invocation that runs for an hour holds the only environment, so every
/// other record is throttled on each of its 1 + 3 attempts and then
/// dead-lettered: the counts are exact.
#[test]
fn records_that_never_get_in_are_retried_then_dead_lettered_exactly() {
    let r = run_toml(&throttle_scenario(
        "10/s",
        "60s",
        "limit = 50",
        r#"concurrency = 1
duration = "1h""#,
    ));
    let f = &r.stages["fn"];
    let src = &r.sources["events"];
    assert_eq!(f.arrived, 1, "only the first record got in");
    assert_eq!(f.in_flight, 1, "and it is still running");
    assert_eq!(f.throttled, 49 * 4, "each of 49 records refused on 4 attempts");
    assert_eq!(src.retried, 49 * 3, "3 retries each");
    assert_eq!(r.end_to_end.dead_lettered, 49);
    assert_eq!(r.stages["dlq"].arrived, 49);
    assert_eq!(r.end_to_end.delivered, 0);
    assert_eq!(r.conservation.generated, 50);
    assert_eq!(extra(f, "invocations"), 1.0);
}

/// λ = 200/s, 100 ms per invocation: the offered concurrency is 20, so a
/// limit of 5 throttles heavily and 100 not at all.
#[test]
fn a_function_at_its_limit_throttles_and_more_concurrency_removes_it() {
    let at_limit = run_toml(&throttle_scenario(
        "200/s",
        "120s",
        "",
        r#"concurrency = 5
duration = "100ms"
cold_start = "0ms""#,
    ));
    let f = &at_limit.stages["fn"];
    let src = &at_limit.sources["events"];
    assert!(f.throttled > 10_000, "throttled {}", f.throttled);
    // Every refusal is either retried or, after the last retry, dead-lettered.
    assert_eq!(f.throttled, src.retried + at_limit.end_to_end.dead_lettered);
    assert!(at_limit.end_to_end.dead_lettered > 1_000);
    // Records in = records accepted + records dead-lettered + retrying.
    assert_eq!(
        at_limit.conservation.generated,
        f.arrived + at_limit.end_to_end.dead_lettered + src.in_flight
    );
    assert_eq!(at_limit.stages["out"].arrived, f.completed);
    // Concurrency in use never exceeds the limit, and overload keeps it full.
    assert_eq!(extra(f, "max_concurrent_invocations"), 5.0);
    assert!(
        f.mean_busy_servers <= 5.0 && f.mean_busy_servers > 4.8,
        "{}",
        f.mean_busy_servers
    );
    assert!(f.utilization <= 1.0);
    // Throughput is capped at 5 / 0.1 s = 50 invocations/s.
    assert!(f.throughput_per_s <= 50.0 + 1e-9, "{}", f.throughput_per_s);

    let roomy = run_toml(&throttle_scenario(
        "200/s",
        "120s",
        "",
        r#"concurrency = 100
duration = "100ms"
cold_start = "0ms""#,
    ));
    let f = &roomy.stages["fn"];
    assert_eq!(f.throttled, 0);
    assert_eq!(roomy.end_to_end.dead_lettered, 0);
    assert!(extra(f, "max_concurrent_invocations") <= 100.0);
    // Little's law for an infinite-server station: busy = λ × 0.1 s = 20.
    assert!(
        (f.mean_busy_servers / 20.0 - 1.0).abs() < 0.03,
        "{}",
        f.mean_busy_servers
    );
}

/// Two deterministic bursts (100 records/s for 10 s, 100 ms each, 200 ms
/// cold start) 390 s apart. With `keep_warm` shorter than the gap the second
/// burst finds no warm environment and pays exactly the first burst's cold
/// starts again; with a longer `keep_warm` it pays none.
#[test]
fn cold_starts_follow_idleness_longer_than_keep_warm() {
    let bursts = |keep_warm: &str| {
        format!(
            r#"
name = "bursts"
seed = 3
duration = "420s"

[[source]]
id = "first"
arrivals = "constant"
rate = "100/s"
stop = "10s"
to = "fn"

[[source]]
id = "second"
arrivals = "constant"
rate = "100/s"
start = "400s"
stop = "410s"
to = "fn"

[[stage]]
id = "fn"
kind = "function"
concurrency = 1000
duration = "100ms"
cold_start = "200ms"
keep_warm = "{keep_warm}"
"#
        )
    };
    let short = run_toml(&bursts("60s"));
    let long = run_toml(&bursts("10min"));
    let (cs, cl) = (
        extra(&short.stages["fn"], "cold_starts"),
        extra(&long.stages["fn"], "cold_starts"),
    );
    // During the first 300 ms every arrival (every 10 ms) is cold: ~30.
    assert!((25.0..=35.0).contains(&cl), "cold starts with a long keep_warm: {cl}");
    assert_eq!(cs, 2.0 * cl, "the second burst is all cold again");
    assert_eq!(extra(&short.stages["fn"], "invocations"), 2_000.0);
    assert_eq!(extra(&long.stages["fn"], "warm_environments"), cl);
}

/// Steady Poisson load: environments are reused, cold starts are only the
/// pool's initial growth.
#[test]
fn steady_load_is_mostly_warm() {
    let r = run_toml(&throttle_scenario(
        "50/s",
        "600s",
        "",
        r#"duration = { dist = "exponential", mean = "100ms" }
keep_warm = "5min""#,
    ));
    let f = &r.stages["fn"];
    assert!(extra(f, "invocations") > 29_000.0);
    assert!(extra(f, "cold_start_fraction") < 0.001, "{:?}", f.extra);
    assert_eq!(f.throttled, 0);
}

/// GB-seconds = Σ occupied time × memory. With no cold start and nothing
/// blocking downstream that is invocations × mean duration × GB:
/// N × 0.2 s × 2 GB, within sampling error (the mean of N ≈ 200,000
/// exponential draws is within 1 % with overwhelming probability: its
/// relative standard deviation is 1/√N ≈ 0.22 %).
#[test]
fn gb_seconds_are_invocations_times_mean_duration_times_memory() {
    let r = run_toml(&throttle_scenario(
        "100/s",
        "2000s",
        "",
        r#"duration = { dist = "exponential", mean = "200ms" }
cold_start = "0ms"
memory_mb = 2048"#,
    ));
    let f = &r.stages["fn"];
    let n = extra(f, "invocations");
    let want = n * 0.2 * 2.0;
    let got = extra(f, "gb_seconds");
    assert!((got / want - 1.0).abs() < 0.01, "GB-s {got}, expected {want}");
}

/// Aggregated batches of exactly 1,000 records into `batch_size = 100`:
/// ten invocations per batch.
#[test]
fn large_batches_are_split_into_invocations_of_batch_size() {
    let r = run_toml(
        r#"
name = "batches"
seed = 1
duration = "60s"

[[source]]
id = "stream"
arrivals = "constant"
rate = "1000/s"
aggregate = "1s"
to = "fn"

[[stage]]
id = "fn"
kind = "function"
batch_size = 100
concurrency = 10
duration = "500ms"
cold_start = "0ms"
on_full = "drop"
"#,
    );
    let f = &r.stages["fn"];
    assert!(f.arrived >= 59_000 && f.arrived % 1_000 == 0, "{}", f.arrived);
    assert_eq!(extra(f, "invocations") * 100.0, f.arrived as f64);
    // 10 invocations of 500 ms each second fit 10 concurrent ones exactly.
    assert_eq!(f.throttled + f.dropped, 0);
    assert_eq!(extra(f, "max_concurrent_invocations"), 10.0);
}

fn store_scenario(prefixes: u32) -> String {
    format!(
        r#"
name = "prefixes"
seed = 2
duration = "30s"

[[source]]
id = "writers"
arrivals = "poisson"
rate = "10000/s"
key_buckets = 4
to = "bucket"

[[stage]]
id = "bucket"
kind = "object_store"
flavour = "s3"
prefixes = {prefixes}
on_full = "drop"
to = "done"

[[stage]]
id = "done"
kind = "sink"
"#
    )
}

/// 10,000 writes/s: one prefix admits at most 3,500/s (+ a one-second
/// burst), and the rest is throttled; spread over 4 prefixes (2,500/s each)
/// nothing is.
#[test]
fn one_prefix_throttles_above_3500_writes_per_second_and_four_do_not() {
    let one = run_toml(&store_scenario(1));
    let s = &one.stages["bucket"];
    let admitted = s.arrived - s.dropped;
    assert!(admitted <= 3_500 * 30 + 3_500, "admitted {admitted}");
    assert!(admitted >= 3_500 * 30, "admitted {admitted}");
    assert_eq!(s.dropped_by_reason.get("throttled").copied(), Some(s.dropped));
    assert_eq!(extra(s, "put_requests"), admitted as f64);

    let four = run_toml(&store_scenario(4));
    let s = &four.stages["bucket"];
    assert_eq!(s.dropped, 0);
    assert!(s.arrived > 290_000);
    assert_eq!(extra(s, "put_requests"), s.arrived as f64);
}

fn storage_scenario(transition: &str) -> String {
    format!(
        r#"
name = "storage"
seed = 4
duration = "1000s"

[[source]]
id = "writer"
arrivals = "constant"
rate = "100/s"
record_size = "1 MiB"
to = "bucket"

[[stage]]
id = "bucket"
kind = "object_store"
latency = "20ms"
{transition}
"#
    )
}

/// Constant writes of r = 100 objects/s of 1 MiB for T = 1000 s, each stored
/// d = 20 ms after it arrives. Object k (k = 1, 2, …) arrives at k/r and is
/// stored from c_k = k/r + d, so up to T the integral is
///   S = Σ_{k=1}^{N} (T − d − k/r)  with N = 99,998 (c_N = T, the last term 0)
///     = N·(T − d) − N(N+1)/(2r)
///     = 99,998 × 999.98 − 99,998 × 99,999 / 200
///     = 99,996,000.04 − 49,998,500.01 = 49,997,500.03 MiB·s,
/// which is the triangle r·T²/2 = 5 × 10⁷ MiB·s less d·r·T = 2,000 and the
/// discreteness T/2 = 500 (to within 0.03). In GB-months (GB = 1,024 MiB,
/// month = 730 h = 2,628,000 s): S / 1,024 / 2,628,000 = 0.0185790…
#[test]
fn gb_months_of_a_constant_write_rate_is_the_triangle_integral() {
    let r = run_toml(&storage_scenario(""));
    let s = &r.stages["bucket"];
    let n = 99_998.0_f64;
    let exact = n * 999.98 - n * (n + 1.0) / 200.0;
    assert!((exact - 49_997_500.03).abs() < 1e-3);
    let want = exact / 1024.0 / 2_628_000.0;
    let got = extra(s, "gb_months");
    assert!((got / want - 1.0).abs() < 1e-9, "GB-months {got}, expected {want}");
    let triangle = 100.0 * 1000.0_f64.powi(2) / 2.0 / 1024.0 / 2_628_000.0;
    assert!((got / triangle - 1.0).abs() < 1e-4);
    assert_eq!(extra(s, "stored_bytes"), n * 1_048_576.0);
    assert_eq!(extra(s, "stored_bytes_cold"), 0.0);
    assert_eq!(r.end_to_end.delivered, 99_998);
}

/// A transition after 500 s moves the bytes written before T − 500 s to the
/// cold class (cohorts coalesce over 500 s / 1024 ≈ 0.49 s, so up to ~49
/// objects may move early); the total integral does not change.
#[test]
fn lifecycle_transition_splits_bytes_and_gb_months_by_class() {
    let plain = run_toml(&storage_scenario(""));
    let tiered = run_toml(&storage_scenario(r#"transition_after = "500s""#));
    let (p, t) = (&plain.stages["bucket"], &tiered.stages["bucket"]);
    let mib = 1_048_576.0;
    // Objects stored by 500 s: c_k = k/100 + 0.02 ≤ 500 ⇔ k ≤ 49,998.
    let cold = extra(t, "stored_bytes_cold") / mib;
    assert!((49_998.0..=49_998.0 + 50.0).contains(&cold), "cold objects {cold}");
    assert_eq!(
        extra(t, "stored_bytes_cold") + extra(t, "stored_bytes_standard"),
        extra(p, "stored_bytes")
    );
    let total = extra(t, "gb_months_standard") + extra(t, "gb_months_cold");
    assert!((total / extra(p, "gb_months") - 1.0).abs() < 1e-12);
    assert!(extra(t, "gb_months_cold") > 0.0);
}

/// Problems in a stage's parameters are reported at the offending line.
#[test]
fn bad_params_give_located_errors() {
    let base = |line: &str| {
        format!(
            r#"name = "bad"
seed = 1
duration = "10s"

[[source]]
id = "s"
arrivals = "poisson"
rate = "1/s"
to = "fn"

[[stage]]
id = "fn"
kind = "function"
duration = "100ms"
{line}
"#
        )
    };
    let err = |line: &str| {
        let e = scenario::load(&base(line), Format::Toml).expect_err("must be rejected");
        let first = e.0[0].clone();
        (first.line, first.message)
    };
    // The offending key is on line 15.
    let (line, msg) = err("concurency = 5");
    assert_eq!(line, Some(15), "{msg}");
    assert!(msg.contains("unknown field `concurency`"), "{msg}");
    assert!(msg.contains("did you mean `concurrency`?"), "{msg}");

    let (line, msg) = err("concurrency = 0");
    assert_eq!(line, Some(15), "{msg}");
    assert!(msg.contains("at least 1"), "{msg}");

    let (line, msg) = err(r#"flavour = "lamda""#);
    assert_eq!(line, Some(15), "{msg}");
    assert!(msg.contains("lambda") && msg.contains("cloud_functions"), "{msg}");

    let (line, msg) = err(r#"flavour = "s3""#);
    assert_eq!(line, Some(15), "{msg}");

    // And for the object store.
    let text = base("").replace(
        "kind = \"function\"\nduration = \"100ms\"",
        "kind = \"object_store\"\nprefixes = 0",
    );
    let e = scenario::load(&text, Format::Toml).expect_err("zero prefixes");
    assert_eq!(e.0[0].line, Some(14), "{}", e.0[0]);
    assert!(e.0[0].message.contains("at least 1"), "{}", e.0[0]);
}
