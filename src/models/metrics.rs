//! The unit of every live metric a stage or source reports (the `extra`
//! figures of a run report: `StageModel::extra`, a blocking source's
//! `blocked_s`, a source's `generated_<kind>`), as parameters declare theirs
//! in [`super::Param`]. The inspector shows each metric with its unit; a
//! test fails if any built-in reports a metric not listed here.

/// A live metric's name and unit. Units: `s`, `bytes`, `share` (0 to 1,
/// shown as a percentage), `flag` (0 or 1, shown as yes or no), or what the
/// number counts (`records`, `requests`, `GB-months`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
}

const fn m(name: &'static str, unit: &'static str) -> Metric {
    Metric { name, unit }
}

/// Every metric of every kind, by name (a name means the same thing, in the
/// same unit, wherever it appears).
pub const METRICS: &[Metric] = &[
    // sources
    m("blocked_s", "s"),
    // cdc
    m("records_behind", "records"),
    m("lag_s", "s"),
    m("max_lag_s", "s"),
    m("changes_received", "records"),
    // warehouse
    m("dashboard_mean_s", "s"),
    m("dashboard_p95_s", "s"),
    m("report_mean_s", "s"),
    m("report_p95_s", "s"),
    m("adhoc_mean_s", "s"),
    m("adhoc_p95_s", "s"),
    m("etl_mean_s", "s"),
    m("etl_p95_s", "s"),
    m("queue_wait_mean_s", "s"),
    m("queue_wait_p95_s", "s"),
    m("queries_queued", "queries"),
    m("queries_done", "queries"),
    m("bytes_scanned", "bytes"),
    m("spectrum_bytes_scanned", "bytes"),
    m("bytes_billed", "bytes"),
    m("spectrum_bytes_billed", "bytes"),
    m("table_bytes", "bytes"),
    m("nodes", "nodes"),
    m("concurrency_scaling_s", "s"),
    // sql_store
    m("rows_applied", "rows"),
    m("rows_per_s_limit", "rows/s"),
    m("kms_requests", "requests"),
    // kv_store
    m("write_units", "write units"),
    m("items_written", "items"),
    m("stored_bytes", "bytes"),
    m("throttled_records", "records"),
    m("throttled_hot_partition_share", "share"),
    m("oversized_items", "items"),
    // spark
    m("batches", "micro-batches"),
    m("batch_duration_s_last", "s"),
    m("batch_duration_s_max", "s"),
    m("trigger_delay_s_max", "s"),
    m("shuffle_bytes", "bytes"),
    m("late_records", "records"),
    m("state_records", "records"),
    m("state_records_max", "records"),
    m("executors", "executors"),
    m("executor_hours", "executor-hours"),
    m("disk_bytes", "bytes"),
    m("tasks_started", "tasks"),
    // dedup
    m("precision", "share"),
    m("recall", "share"),
    m("duplicates_in", "records"),
    m("duplicates_passed", "records"),
    m("false_positives", "records"),
    m("sampled", "flag"),
    m("index_size", "entries"),
    m("query_time_mean_s", "s"),
    // monitor
    m("alarms_fired", "alarms"),
    m("alarms_in_alarm", "alarms"),
    m("notifications", "notifications"),
    // object_store
    m("put_requests", "requests"),
    m("bytes_written", "bytes"),
    m("stored_bytes_standard", "bytes"),
    m("stored_bytes_cold", "bytes"),
    m("gb_months", "GB-months"),
    m("gb_months_standard", "GB-months"),
    m("gb_months_cold", "GB-months"),
    // function
    m("invocations", "invocations"),
    m("cold_starts", "invocations"),
    m("cold_start_fraction", "share"),
    m("gb_seconds", "GB-s"),
    m("max_concurrent_invocations", "invocations"),
    m("concurrency_limit", "invocations"),
    m("warm_environments", "environments"),
    // stream
    m("shards", "shards"),
    m("shard_hours", "shard-hours"),
    m("put_payload_units", "PUT payload units"),
    m("bytes_in", "bytes"),
    m("bytes_out", "bytes"),
    m("iterator_age_s", "s"),
    m("iterator_age_s_max", "s"),
    m("hot_shard_throttled_share", "share"),
    m("reshards", "reshards"),
    m("reshards_refused", "reshards"),
    m("consumer_crashes", "crashes"),
    m("redelivered_records", "records"),
    m("subscribers", "subscribers"),
    m("outstanding_messages", "messages"),
    m("outstanding_messages_max", "messages"),
    m("flow_control_paused_s", "s"),
    m("out_of_order_records", "records"),
    // link
    m("utilisation", "share"),
    m("bandwidth_used_fraction", "share"),
    m("bytes_carried", "bytes"),
    m("transfer_time_s", "s"),
    // etl
    m("dpu_hours", "DPU-hours"),
    m("job_runs", "runs"),
    m("runs_skipped", "runs"),
    m("job_duration_s_last", "s"),
    m("workers_last", "workers"),
    m("schema_failures", "records"),
    m("schema_rejected", "records"),
    // transfer
    m("migration_time_s", "s"),
    m("devices_used", "devices"),
    m("devices_shipped", "trips"),
    m("waves_started", "waves"),
    m("checksum_failures", "batches"),
    m("batches_resent", "batches"),
    m("bytes_recopied", "bytes"),
    m("bytes_copied", "bytes"),
    m("bytes_landed", "bytes"),
    m("devices_lost", "devices"),
    m("records_too_large", "records"),
];

/// The unit of live metric `name`, if it is declared.
pub fn unit(name: &str) -> Option<&'static str> {
    METRICS
        .iter()
        .find(|x| x.name == name)
        .map(|x| x.unit)
        .or_else(|| name.starts_with("generated_").then_some("records"))
}

/// `v` in `unit` for people: a number and the unit it is shown in (seconds
/// and bytes scaled to a readable unit, shares as percentages).
pub fn show(v: f64, unit: &str) -> (String, String) {
    // (from, divisor, unit), ascending.
    let scaled = |steps: &[(f64, f64, &str)]| {
        let (_, f, u) = steps
            .iter()
            .rev()
            .find(|(from, _, _)| v.abs() >= *from)
            .copied()
            .unwrap_or(steps[0]);
        (sig3(v / f), u.to_string())
    };
    match unit {
        "s" if v == 0.0 => ("0".into(), "s".into()),
        "s" => scaled(&[
            (0.0, 1e-6, "µs"),
            (1e-3, 1e-3, "ms"),
            (1.0, 1.0, "s"),
            (120.0, 60.0, "min"),
            (7200.0, 3600.0, "h"),
        ]),
        "bytes" => scaled(&[
            (0.0, 1.0, "B"),
            (1e3, 1e3, "kB"),
            (1e6, 1e6, "MB"),
            (1e9, 1e9, "GB"),
            (1e12, 1e12, "TB"),
        ]),
        "share" => (sig3(v * 100.0), "%".into()),
        "flag" => ((if v != 0.0 { "yes" } else { "no" }).into(), String::new()),
        _ => (sig3(v), unit.to_string()),
    }
}

/// Whole numbers as they are; others with three significant figures.
fn sig3(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let a = v.abs();
        let decimals = if a >= 100.0 {
            0
        } else if a >= 10.0 {
            1
        } else if a >= 1.0 {
            2
        } else {
            3
        };
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_declared_once_with_a_unit() {
        for (i, a) in METRICS.iter().enumerate() {
            assert!(!a.unit.is_empty(), "{} has no unit", a.name);
            assert!(METRICS[i + 1..].iter().all(|b| b.name != a.name), "{} twice", a.name);
            // Units last in names: a `_s` metric is in seconds, a `_bytes` one in bytes.
            if (a.name.ends_with("_s") || a.name.contains("_s_")) && !a.name.contains("_per_s") {
                assert_eq!(a.unit, "s", "{}", a.name);
            }
            if a.name.ends_with("bytes") || a.name.contains("bytes_") {
                assert_eq!(a.unit, "bytes", "{}", a.name);
            }
        }
    }

    #[test]
    fn values_are_shown_in_a_readable_unit() {
        assert_eq!(show(0.0042, "s"), ("4.20".into(), "ms".into()));
        assert_eq!(show(90.0, "s"), ("90".into(), "s".into()));
        assert_eq!(show(5400.0, "s"), ("90".into(), "min".into()));
        assert_eq!(show(2.5e12, "bytes"), ("2.50".into(), "TB".into()));
        assert_eq!(show(0.125, "share"), ("12.5".into(), "%".into()));
        assert_eq!(show(1.0, "flag").0, "yes");
        assert_eq!(show(3.0, "shards"), ("3".into(), "shards".into()));
        assert_eq!(unit("generated_feedback"), Some("records"));
        assert_eq!(unit("no_such_metric"), None);
    }
}
