//! The `pipelab` binary as a user runs it: exit codes, JSON shape, located errors.

use std::process::Command;

fn pipelab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pipelab"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("pipelab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const MM2: &str = r#"
name = "M/M/2 written elsewhere"
seed = 3
duration = "2000s"
warmup = "100s"

[[source]]
id = "in"
arrivals = "poisson"
rate = "30/s"
to = "srv"

[[stage]]
id = "srv"
kind = "queue"
servers = 2
service = { dist = "exponential", mean = "50ms" }
capacity = 40
on_full = "block"
"#;

#[test]
fn list_and_version_work() {
    let (code, out, _) = pipelab(&["list"]);
    assert_eq!(code, 0);
    for name in [
        "mm4-teaching",
        "mm1k-blocking",
        "backpressure-tandem",
        "throttle-retry",
        "day-500m-pipeline",
    ] {
        assert!(out.contains(name), "{out}");
    }
    let (code, out, _) = pipelab(&["version"]);
    assert_eq!(code, 0);
    assert!(out.contains("pipelab-engine/"), "{out}");
}

#[test]
fn kinds_lists_every_kind_with_its_services_and_sourced_limits() {
    let (code, out, _) = pipelab(&["kinds"]);
    assert_eq!(code, 0);
    for k in pipelab::models::KINDS {
        assert!(out.contains(k.help), "{} help missing", k.name);
    }
    let (code, out, _) = pipelab(&["kinds", "stream"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Amazon Kinesis Data Streams") && out.contains("write records per shard = 1000 records/s"),
        "{out}"
    );
    assert!(
        out.contains("service-sizes-and-limits"),
        "limits carry their source: {out}"
    );
    let (code, _, err) = pipelab(&["kinds", "strem"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `stream`"), "{err}");
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "list",
        "version",
        "kinds",
        "run",
        "validate",
        "bench",
        "cost",
        "compliance",
        "claims",
        "compare",
    ] {
        let (code, out, _) = pipelab(&[sub, "--help"]);
        assert_eq!(code, 0, "{sub}");
        assert!(out.contains("Usage"), "{sub}: {out}");
    }
}

#[test]
fn run_json_prints_one_object_with_the_documented_keys() {
    let f = temp_file("mm2.toml", MM2);
    let (code, out, err) = pipelab(&["run", &f, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is exactly one JSON object");
    for k in [
        "scenario",
        "seed",
        "engine_version",
        "simulated_s",
        "events",
        "wall_s",
        "digest",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let s = &v["stages"]["srv"];
    for k in [
        "kind",
        "arrived",
        "completed",
        "dropped",
        "throttled",
        "retried",
        "in_flight",
        "utilization",
        "mean_in_system",
        "mean_in_queue",
    ] {
        assert!(s.get(k).is_some(), "missing stages.srv.{k}");
    }
    for h in ["wait_s", "sojourn_s"] {
        for k in ["mean", "p50", "p95", "p99", "max"] {
            assert!(s[h][k].is_f64(), "missing stages.srv.{h}.{k}");
        }
    }
    assert!(v["end_to_end"]["delivered"].as_u64().unwrap() > 50_000);
    assert!(v["end_to_end"]["latency_s"]["p99"].is_f64());
    let c = &v["conservation"];
    assert_eq!(c["holds"], true);
    let sum = ["delivered", "dropped", "deduplicated", "in_flight"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(c["generated"].as_u64().unwrap(), sum);
    // Same input, same digest; --seed changes it.
    let (_, again, _) = pipelab(&["run", &f, "--json"]);
    let v2: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(v["digest"], v2["digest"]);
    let (_, other, _) = pipelab(&["run", &f, "--json", "--seed", "4"]);
    let v3: serde_json::Value = serde_json::from_str(&other).unwrap();
    assert_ne!(v["digest"], v3["digest"]);
    assert_eq!(v3["seed"], 4);
}

#[test]
fn duration_override_and_chart_output() {
    let svg = std::env::temp_dir().join(format!("pipelab-chart-{}.svg", std::process::id()));
    let (code, out, err) = pipelab(&[
        "run",
        "mm4-teaching",
        "--duration",
        "300s",
        "--json",
        "--chart",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["simulated_s"], 300.0);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("polyline"));
}

#[test]
fn bad_files_exit_2_with_a_located_message() {
    let cases = [
        (
            "unit.toml",
            MM2.replace("\"50ms\"", "\"50 lightyears\""),
            "line 17",
            "lightyears",
        ),
        (
            "field.toml",
            MM2.replace("capacity = 40", "capcity = 40"),
            "line 18",
            "did you mean `capacity`",
        ),
        (
            "negative.toml",
            MM2.replace("\"30/s\"", "\"-30/s\""),
            "line 10",
            "negative",
        ),
        (
            "missing.toml",
            MM2.replace("to = \"srv\"", "to = \"nowhere\""),
            "line 11",
            "no stage with that id",
        ),
        (
            "kind.toml",
            MM2.replace("kind = \"queue\"", "kind = \"qeue\""),
            "line 15",
            "unknown kind `qeue`",
        ),
        (
            "cycle.toml",
            MM2.replace("on_full = \"block\"", "on_full = \"block\"\nto = \"srv\""),
            "line 20",
            "cycle: srv -> srv",
        ),
        (
            "syntax.toml",
            MM2.replace("servers = 2", "servers = = 2"),
            "line 16",
            "",
        ),
    ];
    for (name, text, line, needle) in cases {
        let f = temp_file(name, &text);
        for cmd in ["run", "validate"] {
            let (code, out, err) = pipelab(&[cmd, &f]);
            assert_eq!(code, 2, "{name} {cmd}: {out}{err}");
            assert!(err.contains(line) && err.contains(needle), "{name} {cmd}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let (code, _, err) = pipelab(&["run", "/nonexistent/x.toml"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn json_scenarios_run_like_toml_ones() {
    let toml_file = temp_file("same.toml", MM2);
    let sc: toml::Value = toml::from_str(MM2).unwrap();
    let json_file = temp_file("same.json", &serde_json::to_string_pretty(&sc).unwrap());
    let (_, a, _) = pipelab(&["run", &toml_file, "--json"]);
    let (code, b, err) = pipelab(&["run", &json_file, "--json"]);
    assert_eq!(code, 0, "{err}");
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
    assert_eq!(a["digest"], b["digest"]);
    let (code, out, _) = pipelab(&["validate", &json_file]);
    assert_eq!(code, 0);
    assert!(out.contains("valid"));
}

const PRICED: &str = r#"
name = "priced"
duration = "10min"
[[source]]
id = "in"
arrivals = "poisson"
rate = "20/s"
to = "s"
[[stage]]
id = "s"
kind = "stream"
shards = 1
to = "fn"
[[stage]]
id = "fn"
kind = "function"
duration = "20ms"
"#;

#[test]
fn cost_both_prints_both_totals() {
    let f = temp_file("priced.toml", PRICED);
    let (code, out, err) = pipelab(&["cost", &f, "--provider", "both"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("cost (aws)") && out.contains("cost (gcp)"), "{out}");
    assert!(out.contains("total per run: AWS $") && out.contains(", GCP $"), "{out}");
    assert!(out.contains("Google Cloud Pub/Sub"), "{out}");
    let (code, out, err) = pipelab(&["cost", &f, "--provider", "both", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert!(v["aws"]["total_usd"].as_f64().unwrap() > 0.0);
    assert!(v["gcp"]["total_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(v["pairs"].as_array().unwrap().len(), 2);
}

#[test]
fn run_json_contains_the_cost() {
    let f = temp_file("priced-run.toml", PRICED);
    let (code, out, err) = pipelab(&["run", &f, "--json", "--provider", "gcp"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let c = &v["cost"];
    assert_eq!(c["provider"], "gcp");
    for k in ["total_usd", "per_month_usd", "per_year_usd", "per_million_records_usd"] {
        assert!(c[k].as_f64().is_some(), "{k}: {c}");
    }
    let l = &c["lines"][0];
    for k in [
        "service",
        "item",
        "id",
        "quantity",
        "unit",
        "unit_usd",
        "usd",
        "confirmed",
    ] {
        assert!(!l[k].is_null(), "{k}: {l}");
    }
    let (code, out, _) = pipelab(&["run", "mm4-teaching", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cost"]["total_usd"], 0.0);
    let bad = temp_file(
        "bad-cost.toml",
        &format!("{PRICED}[cost]\noverrides = {{ \"aws.kinesis.shard\" = 1 }}\n"),
    );
    let (code, _, err) = pipelab(&["cost", &bad]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 19") && err.contains("cost.overrides.aws.kinesis.shard"),
        "{err}"
    );
}

#[test]
fn claims_json_has_one_object_per_claim_with_the_documented_keys() {
    let (code, out, err) = pipelab(&["claims", "--json", "--only", "staggered"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let claims = v["claims"].as_array().expect("claims list");
    assert_eq!(claims.len(), 1);
    for key in [
        "story",
        "claim",
        "seed_figure",
        "before",
        "after",
        "unit",
        "change",
        "within_tolerance",
    ] {
        assert!(claims[0].get(key).is_some(), "missing {key}: {}", claims[0]);
    }
    let (before, after) = (
        claims[0]["before"].as_f64().unwrap(),
        claims[0]["after"].as_f64().unwrap(),
    );
    let change = claims[0]["change"].as_f64().unwrap();
    assert!((change - (after - before) / before).abs() < 1e-12);
    let (code, _, err) = pipelab(&["claims", "--only", "no-such-claim"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn compare_prints_two_runs_side_by_side_with_deltas() {
    let f = temp_file("mm2.toml", MM2);
    let (code, out, err) = pipelab(&["compare", &f, "mm4-teaching", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let p95 = rows
        .iter()
        .find(|r| r["metric"] == "latency_s.p95")
        .expect("latency row");
    let (a, b, d) = (
        p95["a"].as_f64().unwrap(),
        p95["b"].as_f64().unwrap(),
        p95["delta"].as_f64().unwrap(),
    );
    assert!(a > 0.0 && b > 0.0 && (d - (b - a)).abs() < 1e-12);
    assert_eq!(v["only_in_a"][0], "srv");
    let (code, text, _) = pipelab(&["compare", &f, &f]);
    assert_eq!(code, 0);
    assert!(text.contains("latency_s.p95") && text.contains("+0.0%"), "{text}");
    let (code, _, err) = pipelab(&["compare", &f, "no-such-scenario"]);
    assert_eq!(code, 2, "{err}");
}
