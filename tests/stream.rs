//! The `stream` kind against its published behaviour (Kinesis limits,
//! retention, checkpoints, resharding by alarm, Pub/Sub redelivery).

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

/// `rate` records/s of `size` each over `keys` partition keys into a
/// Kinesis stream of `shards`; refused records are dropped at the producer.
fn kinesis(rate: u32, size: &str, keys: u32, shards: u32, key_extra: &str) -> String {
    format!(
        r#"
name = "kinesis limits"
seed = 4
duration = "300s"

[[source]]
id = "producer"
arrivals = "poisson"
rate = "{rate}/s"
record_size = "{size}"
key_buckets = {keys}
{key_extra}
to = "stream"

[[stage]]
id = "stream"
kind = "stream"
shards = {shards}
on_full = "reject"
"#
    )
}

#[test]
fn n_shards_accept_at_most_n_thousand_records_per_second() {
    // 6,000 records/s offered to 4 shards: at most 4 × 1,000/s (plus one
    // second of burst per shard) get in; the rest is throttled.
    let r = run(&kinesis(6000, "100 B", 256, 4, ""));
    let s = &r.stages["stream"];
    let limit = 4.0 * 1000.0 * 301.0;
    assert!(s.arrived as f64 <= limit, "{} accepted", s.arrived);
    assert!(s.arrived as f64 > 0.97 * 4.0 * 1000.0 * 300.0, "{} accepted", s.arrived);
    assert!(s.throttled > 500_000, "{} throttled", s.throttled);
    assert_eq!(
        r.sources["producer"].dropped_by_reason["throttled"],
        r.sources["producer"].dropped
    );
}

#[test]
fn n_shards_accept_at_most_n_mebibytes_per_second() {
    // 800 records/s of 20 KB = 16 MB/s offered to 4 shards of 1 MiB/s: the
    // byte limit binds (about 4 × 1,048,576 / 20,000 = 210 records/s).
    let r = run(&kinesis(800, "20 KB", 256, 4, ""));
    let s = &r.stages["stream"];
    let per_s = s.arrived as f64 / 300.0;
    assert!(per_s <= 4.0 * 1_048_576.0 / 20_000.0 * 301.0 / 300.0, "{per_s}/s");
    assert!(per_s > 0.95 * 4.0 * 1_048_576.0 / 20_000.0, "{per_s}/s");
}

#[test]
fn a_skewed_key_makes_one_shard_throttle_under_the_aggregate_limit() {
    // 3,000 records/s is under 4 shards × 1,000/s, so uniform keys pass;
    // with half of all records on one key, that key's shard gets >= 1,500/s.
    let uniform = run(&kinesis(3000, "100 B", 256, 4, ""));
    assert!(
        uniform.stages["stream"].throttled < 1000,
        "uniform throttled {}",
        uniform.stages["stream"].throttled
    );
    let hot = run(&kinesis(3000, "100 B", 256, 4, "hot_key_share = 0.5"));
    let s = &hot.stages["stream"];
    assert!(s.throttled > 100_000, "hot throttled {}", s.throttled);
    assert!(extra(&hot, "stream", "hot_shard_throttled_share") > 0.9);
    // Zipf skew does the same in a milder way.
    let zipf = run(&kinesis(3000, "100 B", 16, 4, "key_skew = 1.2"));
    assert!(
        zipf.stages["stream"].throttled > 10_000,
        "zipf throttled {}",
        zipf.stages["stream"].throttled
    );
}

/// A constant 100 records/s; consumers stopped from t = 0 for `stop_s`,
/// retention `ret_s`: every record that arrived at or before
/// stop - retention expires unread; the rest are read after the restart.
fn outage(stop_s: &str, ret_s: &str) -> String {
    format!(
        r#"
name = "outage"
duration = "2000s"

[[source]]
id = "producer"
arrivals = "constant"
rate = "100/s"
key_buckets = 4
to = "stream"

[[stage]]
id = "stream"
kind = "stream"
shards = 2
retention = "{ret_s}"
on_full = "reject"

[[fault]]
at = "0s"
stage = "stream"
action = "stop"
duration = "{stop_s}"
"#
    )
}

#[test]
fn retention_shorter_than_an_outage_loses_exactly_the_expired_records() {
    // Arrivals at 10 ms, 20 ms, …; outage 900.005 s, retention 600 s:
    // arrivals at t <= 300.005 s expire, that is 30,000 records.
    let r = run(&outage("900.005s", "600s"));
    let s = &r.stages["stream"];
    assert_eq!(
        s.dropped_by_reason.get("expired"),
        Some(&30_000),
        "{:?}",
        s.dropped_by_reason
    );
    // A longer retention than the outage loses nothing.
    let r = run(&outage("900.005s", "1000s"));
    assert_eq!(r.stages["stream"].dropped, 0);
    assert!(extra(&r, "stream", "iterator_age_s_max") > 899.0);
}

fn crash_at(at: &str) -> String {
    format!(
        r#"
name = "crash"
duration = "3h"

[[source]]
id = "producer"
arrivals = "constant"
rate = "100/s"
key_buckets = 8
to = "stream"

[[stage]]
id = "stream"
kind = "stream"
shards = 2
consumers = 2
checkpoint_interval = "60s"
poll_interval = "200ms"
on_full = "reject"
to = "out"

[[stage]]
id = "out"
kind = "sink"

[[fault]]
at = "{at}"
stage = "stream"
action = "crash"
worker = 1
"#
    )
}

#[test]
fn a_consumer_crash_duplicates_the_records_since_its_last_checkpoint() {
    // Worker 1 holds shard 1 (about 50 records/s). Crashing 30 s after a
    // checkpoint re-reads about 30 s × 50/s = 1,500 records; 45 s after,
    // about 2,250; exactly at a checkpoint, none.
    for (at, secs) in [("6030s", 30.0), ("6045s", 45.0)] {
        let r = run(&crash_at(at));
        let created = r.stages["stream"].created as f64;
        // Within a poll interval's worth of reads (200 ms × 50/s) and the
        // shard split of 8 keys over 2 shards.
        assert!(
            (created - secs * 50.0).abs() <= 0.2 * secs * 50.0,
            "{at}: {created} duplicates, want ≈ {}",
            secs * 50.0
        );
        // The duplicates are delivered downstream on top of the originals.
        assert!(r.end_to_end.delivered > r.sources["producer"].arrived - 1000);
        assert_eq!(
            r.conservation.generated,
            r.sources["producer"].arrived + r.stages["stream"].created
        );
    }
    let r = run(&crash_at("6000s"));
    assert_eq!(
        r.stages["stream"].created, 0,
        "a crash on a checkpoint re-reads nothing"
    );
}

fn lagging(with_alarm: bool) -> String {
    let alarm = if with_alarm {
        r#"
[[stage]]
id = "cloudwatch"
kind = "monitor"
alarms = [{ id = "lag", watch = "stream", metric = "iterator_age_s", above = 60, period = "60s", evaluation_periods = 2, cooldown = "10min", action = { stage = "stream", scale_by = 2.0 } }]
"#
    } else {
        ""
    };
    format!(
        r#"
name = "lag"
duration = "3h"
seed = 3

[[source]]
id = "producer"
arrivals = "poisson"
rate = "200/s"
record_size = "8 KB"
key_buckets = 64
to = "stream"
retry = {{ max = 8, base = "100ms", cap = "5s" }}

[[stage]]
id = "stream"
kind = "stream"
shards = 2
other_consumer_apps = 2   # three apps share each shard's 2 MiB/s of reads
on_full = "reject"
{alarm}
"#
    )
}

#[test]
fn an_alarm_on_iterator_age_adds_shards_and_brings_the_lag_back_down() {
    // 200 × 8 KB = 1.6 MB/s over 2 shards: 0.8 MB/s written per shard but
    // only 2 MiB/s ÷ 3 apps = 0.7 MB/s read per shard, so lag grows
    // without bound. Doubling to 4 shards halves writes per shard (0.4 MB/s)
    // and doubles read capacity, so the backlog drains.
    let without = run(&lagging(false));
    assert!(
        extra(&without, "stream", "iterator_age_s") > 600.0,
        "{}",
        extra(&without, "stream", "iterator_age_s")
    );
    let with = run(&lagging(true));
    assert!(extra(&with, "stream", "reshards") >= 1.0);
    assert!(extra(&with, "stream", "shards") >= 4.0);
    assert!(
        extra(&with, "stream", "iterator_age_s") < 30.0,
        "{}",
        extra(&with, "stream", "iterator_age_s")
    );
    assert!(extra(&with, "cloudwatch", "alarms_fired") >= 1.0);
}

#[test]
fn pubsub_redelivers_messages_processed_past_the_ack_deadline() {
    let text = |deadline: &str| {
        format!(
            r#"
name = "pubsub"
duration = "600s"

[[source]]
id = "publisher"
arrivals = "poisson"
rate = "20/s"
to = "topic"

[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
ack_deadline = "{deadline}"
process = {{ dist = "exponential", mean = "200ms" }}
poll_interval = "100ms"
"#
        )
    };
    let tight = run(&text("1s"));
    let loose = run(&text("600s"));
    assert!(
        tight.stages["topic"].created > 0,
        "late acks are redelivered as duplicates"
    );
    assert_eq!(loose.stages["topic"].created, 0);
    assert_eq!(
        tight.stages["topic"].throttled, 0,
        "Pub/Sub has no per-shard write limit"
    );
}

#[test]
fn kafka_partitions_share_broker_throughput() {
    // 3 brokers × 10 MB/s over 6 partitions = 5 MB/s per partition; one hot
    // key at 8 MB/s throttles its partition.
    let text = r#"
name = "kafka"
duration = "120s"

[[source]]
id = "app"
arrivals = "poisson"
rate = "1000/s"
record_size = "8 KB"
key_buckets = 1
to = "log"

[[stage]]
id = "log"
kind = "stream"
flavour = "kafka"
partitions = 6
brokers = 3
broker_throughput = "10 MB/s"
on_full = "reject"
"#;
    let r = run(text);
    let per_s = r.stages["log"].arrived as f64 / 120.0;
    assert!(per_s < 5e6 / 8000.0 * 1.02 && per_s > 5e6 / 8000.0 * 0.95, "{per_s}/s");
}

#[test]
fn bad_stream_parameters_are_located() {
    let text = kinesis(100, "1 KB", 4, 4, "").replace("shards = 4", "shardz = 4");
    let e = scenario::load(&text, Format::Toml).unwrap_err().0.remove(0);
    assert!(e.message.contains("did you mean `shards`"), "{e}");
    assert_eq!(e.line, Some(18), "{e}");
    let text = kinesis(100, "1 KB", 4, 4, "").replace("shards = 4", "shards = 0");
    let e = scenario::load(&text, Format::Toml).unwrap_err().0.remove(0);
    assert!(e.message.contains("1 to 20,000"), "{e}");
}

#[test]
fn producer_aggregation_packs_records_under_the_per_shard_record_limit() {
    // 6,000 records/s of 100 B into 4 shards: 1,000 stream records/s per
    // shard would throttle a third of them, but KPL aggregation of 10 user
    // records per stream record needs only 150 stream records/s per shard
    // (and 150 KB/s, under 1 MiB/s).
    let plain = run(&kinesis(6000, "100 B", 256, 4, ""));
    let packed = run(&kinesis(6000, "100 B", 256, 4, "").replace("shards = 4", "shards = 4\naggregation = 10"));
    assert!(plain.stages["stream"].throttled > 500_000);
    assert_eq!(packed.stages["stream"].throttled, 0);
    // PUT payload units are billed per stream record (25 KiB each).
    let units = extra(&packed, "stream", "put_payload_units");
    assert!(
        (units - packed.stages["stream"].arrived as f64 / 10.0).abs() < 0.01 * units,
        "{units}"
    );
}

#[test]
fn an_on_demand_stream_grows_to_twice_its_recent_peak() {
    // 10 MB/s offered to an on-demand stream that starts at 4 MiB/s: it
    // throttles until the 15-minute resizes double it (4 → 8 → 16 shards).
    let text = r#"
name = "on-demand"
duration = "1h"

[[source]]
id = "producer"
arrivals = "poisson"
rate = "1000/s"
record_size = "10 KB"
key_buckets = 512
to = "stream"

[[stage]]
id = "stream"
kind = "stream"
mode = "on_demand"
on_full = "reject"
"#;
    let r = run(text);
    assert!(r.stages["stream"].throttled > 0, "throttles before the first resize");
    assert!(
        extra(&r, "stream", "shards") >= 16.0,
        "{}",
        extra(&r, "stream", "shards")
    );
    assert!(extra(&r, "stream", "shard_hours") > 4.0 && extra(&r, "stream", "shard_hours") < 16.0);
}

/// A Pub/Sub topic fed 500 messages/s of `size`, one subscriber processing
/// each message for `process`, with flow-control `params`.
fn pubsub(size: &str, process: &str, params: &str) -> RunReport {
    run(&format!(
        r#"
name = "pubsub flow control"
duration = "300s"

[[source]]
id = "publisher"
arrivals = "constant"
rate = "500/s"
record_size = "{size}"
to = "topic"

[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
process = {process}
ack_deadline = "600s"
{params}
"#
    ))
}

#[test]
fn pubsub_flow_control_bounds_a_subscriber_by_outstanding_over_processing_time() {
    // Little's law: a subscriber holding at most M unacked messages, each
    // processed for 1 s, delivers at most M messages/s; the rest wait in
    // the subscription.
    for m in [100u64, 200] {
        let r = pubsub("1 KB", "\"1s\"", &format!("max_outstanding_messages = {m}"));
        let t = &r.stages["topic"];
        let per_s = t.completed as f64 / 300.0;
        assert!((per_s / m as f64 - 1.0).abs() < 0.01, "M = {m}: {per_s}/s");
        assert_eq!(extra(&r, "topic", "outstanding_messages_max"), m as f64);
        assert!(extra(&r, "topic", "flow_control_paused_s") > 290.0);
        assert!(t.in_flight > (500 - m) * 290, "the backlog grows: {}", t.in_flight);
    }
    // The byte limit binds first with large messages: 50 MiB of 1 MiB
    // messages is 50 outstanding, so 50 messages/s.
    let r = pubsub("1 MiB", "\"1s\"", "max_outstanding_bytes = \"50 MiB\"");
    let per_s = r.stages["topic"].completed as f64 / 300.0;
    assert!((per_s / 50.0 - 1.0).abs() < 0.01, "{per_s}/s");
    // The defaults (1,000 messages, 100 MiB) let 500/s of 10 ms work through.
    let r = pubsub("1 KB", "\"10ms\"", "");
    assert!(r.stages["topic"].completed as f64 > 0.99 * 500.0 * 300.0);
    assert_eq!(extra(&r, "topic", "flow_control_paused_s"), 0.0);
}

/// 300 messages/s over 10 keys, half on one hot key, each processed for an
/// exponential 10 ms, with or without ordering keys.
fn ordered(ordering: bool) -> RunReport {
    run(&format!(
        r#"
name = "pubsub ordering keys"
seed = 4
duration = "300s"

[[source]]
id = "publisher"
arrivals = "poisson"
rate = "300/s"
key_buckets = 10
hot_key_share = 0.5
to = "topic"

[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
process = {{ dist = "exponential", mean = "10ms" }}
ordering_keys = {ordering}
"#
    ))
}

#[test]
fn pubsub_ordering_keys_deliver_in_order_and_a_hot_key_is_limited_to_one_at_a_time() {
    let free = ordered(false);
    let keyed = ordered(true);
    // Without ordering, messages run concurrently and finish out of order.
    assert!(extra(&free, "topic", "out_of_order_records") > 1000.0);
    assert!(free.stages["topic"].completed as f64 > 0.99 * 300.0 * 300.0);
    // With ordering keys, never out of order; the hot key (150/s offered)
    // gets one message at a time: at most 1 / 10 ms = 100/s, so about
    // 100 + 150 = 250 messages/s get through and its backlog grows.
    assert_eq!(extra(&keyed, "topic", "out_of_order_records"), 0.0);
    let per_s = keyed.stages["topic"].completed as f64 / 300.0;
    assert!(per_s > 240.0 && per_s < 256.0, "{per_s}/s");
    assert!(keyed.stages["topic"].in_flight > 10_000);
    assert!(extra(&keyed, "topic", "iterator_age_s") > 60.0);
}

/// A producer at 100 records/s into a queue serving 50/s that blocks it,
/// with a 50-record buffer whose `on_full` is `policy`.
fn producer(policy: &str) -> String {
    format!(
        r#"
name = "blocking producer"
duration = "600s"

[[source]]
id = "producer"
arrivals = "constant"
rate = "100/s"
buffer = 50
on_full = "{policy}"
to = "q"

[[stage]]
id = "q"
kind = "queue"
servers = 1
service = "20ms"
capacity = 10
on_full = "block"
"#
    )
}

#[test]
fn a_full_producer_buffer_drops_or_blocks_generation_by_policy() {
    let drop = run(&producer("drop"));
    let block = run(&producer("block"));
    let (d, b) = (&drop.sources["producer"], &block.sources["producer"]);
    // Drop: generation goes on at 100/s and half is lost at the buffer.
    assert!((d.arrived as f64 - 60_000.0).abs() < 10.0, "{}", d.arrived);
    let lost = d.dropped_by_reason["source_buffer_full"] as f64;
    assert!((lost - 30_000.0).abs() < 200.0, "{lost}");
    assert!(!d.extra.contains_key("blocked_s"));
    // Block: nothing is lost; generation pauses while the buffer is full,
    // so it runs at the queue's 50/s and is blocked half the time.
    assert_eq!(b.dropped, 0);
    assert!((b.arrived as f64 - 30_000.0).abs() < 200.0, "{}", b.arrived);
    let blocked = b.extra["blocked_s"];
    assert!(blocked > 290.0 && blocked < 301.0, "{blocked}");
    // The queue delivers the same 50/s either way.
    let (x, y) = (drop.end_to_end.delivered as f64, block.end_to_end.delivered as f64);
    assert!((x - y).abs() < 100.0 && (y - 30_000.0).abs() < 100.0, "{x} vs {y}");
    let e = scenario::load(&producer("reject"), Format::Toml).unwrap_err();
    assert!(format!("{e:?}").contains("source[0].on_full"), "{e:?}");
}

#[test]
fn pubsub_only_settings_are_dropped_when_mapped_to_kinesis() {
    let text = r#"
name = "ordered topic"
duration = "60s"

[[source]]
id = "publisher"
arrivals = "constant"
rate = "100/s"
to = "topic"

[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
shards = 2
max_outstanding_messages = 10
max_outstanding_bytes = "1 MiB"
ordering_keys = true
"#;
    let o = Overrides {
        provider: Some(pipelab::scenario::schema::Provider::Aws),
        ..Overrides::default()
    };
    let (p, r) = run::run_text(text, Format::Toml, &o).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.scenario.stages[0].params["flavour"], "kinesis");
    for k in ["max_outstanding_messages", "max_outstanding_bytes", "ordering_keys"] {
        assert!(!p.scenario.stages[0].params.contains_key(k), "{k} kept");
    }
    assert!(!r.stages["topic"].extra.contains_key("outstanding_messages"));
    assert!(r.stages["topic"].completed > 5000);
    // As written (Pub/Sub), the same text runs with one subscriber.
    let r = run(text);
    assert_eq!(extra(&r, "topic", "subscribers"), 1.0);
    assert!(r.stages["topic"].completed > 5000);
}

#[test]
fn a_crashed_pubsub_subscriber_has_its_unacked_messages_redelivered_without_duplicates() {
    // Two subscribers, 200 messages/s of 1 s work (each holds ~100); one
    // crashes at 60 s: its ~100 unacked messages go back to the
    // subscription and the other subscriber takes them; nothing is lost
    // and, unlike a KCL checkpoint re-read, nothing is delivered twice.
    let r = run(r#"
name = "pubsub crash"
duration = "180s"

[[source]]
id = "publisher"
arrivals = "constant"
rate = "200/s"
to = "topic"

[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
consumers = 2
process = "1s"
ack_deadline = "600s"
failover = "30s"

[[fault]]
at = "60s"
stage = "topic"
action = "crash"
worker = 0
"#);
    let t = &r.stages["topic"];
    let redelivered = extra(&r, "topic", "redelivered_records");
    assert!((90.0..=110.0).contains(&redelivered), "{redelivered}");
    assert_eq!(t.created, 0);
    assert_eq!(t.dropped, 0);
    assert_eq!(r.end_to_end.delivered_duplicates, 0);
    assert_eq!(extra(&r, "topic", "consumer_crashes"), 1.0);
    // Everything published a second or more before the end was delivered.
    assert!(r.end_to_end.delivered >= 200 * 178, "{}", r.end_to_end.delivered);
    let bad = r#"
name = "pubsub crash"
duration = "10s"
[[source]]
id = "p"
arrivals = "constant"
rate = "1/s"
to = "topic"
[[stage]]
id = "topic"
kind = "stream"
flavour = "pubsub"
[[fault]]
at = "1s"
stage = "topic"
action = "crash"
worker = 3
"#;
    // Crashing a subscriber that does not exist is refused, and logged so.
    assert!(!run(bad).controls[0].applied);
}

#[test]
fn a_sender_blocked_by_one_hot_shard_waits_for_that_shard_not_for_an_idle_one() {
    // A 2,000-ticket backlog of 16 KB records crosses a fast link in about
    // 0.3 s, far above one shard's 1 MiB/s. With `block`, the link waits
    // for the refused shard's byte allowance: 32 MB over 2 shards at
    // 1 MiB/s each drains in about 16 s. Waking whenever *any* shard had a
    // token used to spin at one instant and exhaust the event budget.
    let r = run(r#"
name = "burst into a blocking stream"
seed = 5
duration = "120s"

[[source]]
id = "backlog"
arrivals = "trace"
trace = "0s,2000,32000000"
key_buckets = 16
to = "link"

[[stage]]
id = "link"
kind = "link"
to = "stream"

[[stage]]
id = "stream"
kind = "stream"
shards = 2
on_full = "block"
"#);
    assert!(!r.budget_exhausted, "{} events", r.events);
    assert!(r.events < 200_000, "{} events", r.events);
    assert_eq!(r.stages["stream"].arrived, 2000);
    assert_eq!(r.conservation.dropped, 0);
    let drained = r.stages["link"].extra["transfer_time_s"];
    assert!((10.0..40.0).contains(&drained), "drained in {drained} s");
}
