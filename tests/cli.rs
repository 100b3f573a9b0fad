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

// ---- interchange: Mermaid in and out, share links, file exports ----

const DIAGRAM: &str = "flowchart LR\n  app[Mobile app] --> ps[[Pub/Sub]] --> df[Dataflow] --> bq[(BigQuery)]\n  df --> x[Flux capacitor]\n";

#[test]
fn import_mermaid_writes_a_runnable_scenario_and_lists_unmapped_boxes() {
    let mmd = temp_file("in.mmd", DIAGRAM);
    let out = temp_file("imported.toml", "");
    let (code, _, err) = pipelab(&["import-mermaid", &mmd, "-o", &out]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("unmapped:") && err.contains("`x`"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    let (code, stdout, err) = pipelab(&["run", &out, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["stages"]["ps"]["kind"], "stream");
    assert_eq!(v["conservation"]["holds"], true);
    // To stdout when no -o.
    let (code, stdout, _) = pipelab(&["import-mermaid", &mmd]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("[[stage]]") && stdout.contains("# UNMAPPED"),
        "{stdout}"
    );
}

#[test]
fn import_mermaid_of_bad_input_exits_2_with_a_located_message() {
    let seq = temp_file("seq.mmd", "sequenceDiagram\n  A->>B: hi\n");
    let (code, _, err) = pipelab(&["import-mermaid", &seq]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 1") && err.contains("not a Mermaid flowchart"),
        "{err}"
    );
    let broken = temp_file("broken.mmd", "graph TD\n  a[open --> b\n");
    let (code, _, err) = pipelab(&["import-mermaid", &broken]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");
    let big = temp_file("big.mmd", &format!("graph TD\n{}", "a --> b\n".repeat(40_000)));
    let (code, _, err) = pipelab(&["import-mermaid", &big]);
    assert_eq!(code, 2);
    assert!(err.contains("limit"), "{err}");
    let (code, _, _) = pipelab(&["import-mermaid", "/no/such/file.mmd"]);
    assert_eq!(code, 2);
}

#[test]
fn export_mermaid_prints_a_flowchart_that_imports_back() {
    let (code, stdout, err) = pipelab(&["export-mermaid", "kinesis-autoscale"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("flowchart LR"), "{stdout}");
    assert!(stdout.contains("cloudwatch -.-> stream"), "{stdout}");
    let mmd = temp_file("exported.mmd", &stdout);
    let (code, toml, err) = pipelab(&["import-mermaid", &mmd]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("unmapped"), "{err}");
    assert!(toml.contains("kind = \"monitor\""));
}

fn digest_of(args: &[&str]) -> String {
    let (code, stdout, err) = pipelab(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    v["digest"].as_str().unwrap().to_string()
}

#[test]
fn a_share_link_opens_to_the_same_run() {
    let (code, frag, err) = pipelab(&["share", "throttle-retry", "--seed", "11", "--provider", "gcp"]);
    assert_eq!(code, 0, "{err}");
    let frag = frag.trim();
    assert!(frag.starts_with("p1."), "{frag}");
    let original = digest_of(&["run", "throttle-retry", "--seed", "11", "--provider", "gcp", "--json"]);
    assert_eq!(digest_of(&["open", frag, "--json"]), original);
    let url = format!("https://example.org/pipelab/#{frag}");
    assert_eq!(digest_of(&["open", &url, "--json"]), original);
    // A file with edits travels too.
    let f = temp_file("edited.toml", &MM2.replace("2000s", "900s"));
    let (_, frag2, _) = pipelab(&["share", &f]);
    assert_eq!(
        digest_of(&["open", frag2.trim(), "--json"]),
        digest_of(&["run", &f, "--json"])
    );
    // --url prints a whole link.
    let (_, link, _) = pipelab(&["share", "mm4-teaching", "--url", "https://example.org/p/#old"]);
    assert!(link.starts_with("https://example.org/p/#p1."), "{link}");
}

#[test]
fn a_tampered_or_truncated_link_exits_2() {
    let (_, frag, _) = pipelab(&["share", "mm4-teaching"]);
    let frag = frag.trim();
    let mut b = frag.as_bytes().to_vec();
    let i = b.len() / 2;
    b[i] = if b[i] == b'a' { b'b' } else { b'a' };
    for bad in [
        String::from_utf8(b).unwrap(),
        frag[..frag.len() - 3].to_string(),
        "nonsense".into(),
    ] {
        let (code, _, err) = pipelab(&["open", &bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("share link"), "{err}");
    }
}

#[test]
fn run_writes_csv_cost_csv_and_png_and_svg_charts() {
    let dir = std::env::temp_dir().join(format!("pipelab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (code, _, err) = pipelab(&[
        "run",
        "lambda-burst",
        "--csv",
        &p("r.csv"),
        "--cost-csv",
        &p("c.csv"),
        "--chart",
        &p("t.png"),
    ]);
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(p("r.csv")).unwrap();
    assert!(csv.starts_with("time_s,stage,kind,throughput_per_s,backlog_records,dropped_per_s\n"));
    assert!(csv.lines().count() > 100);
    let cost = std::fs::read_to_string(p("c.csv")).unwrap();
    assert!(cost.starts_with("stage,service,item,id,quantity"), "{cost}");
    assert!(cost.lines().count() >= 2, "{cost}");
    let png = std::fs::read(p("t.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 960);
    assert!(png.len() > 5_000, "a drawn chart, not a blank: {} bytes", png.len());
    let (code, _, _) = pipelab(&["run", "mm4-teaching", "--chart", &p("t.svg")]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(p("t.svg")).unwrap().starts_with("<svg"));
    let (code, _, err) = pipelab(&["run", "mm4-teaching", "--csv", "/no/such/dir/r.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("--csv"), "{err}");
}

#[test]
fn a_mermaid_file_runs_directly_and_imports_to_json() {
    let mmd = temp_file("seed.mmd", include_str!("mermaid/ticket-streaming-architecture.mmd"));
    let (code, stdout, err) = pipelab(&["run", &mmd, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["scenario"], "seed (imported from Mermaid)");
    assert_eq!(v["stages"]["SparkEMR"]["kind"], "spark");
    assert_eq!(v["conservation"]["holds"], true);
    let json = temp_file("seed.json", "");
    let (code, _, err) = pipelab(&["import-mermaid", &mmd, "-o", &json]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(digest_of(&["run", &json, "--json"]), v["digest"].as_str().unwrap());
}

#[test]
fn set_changes_one_field_before_the_run_and_a_bad_set_exits_2() {
    let f = temp_file("mm2-set.toml", MM2);
    let digest = |args: &[&str]| -> String {
        let (code, out, err) = pipelab(args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["digest"].as_str().unwrap().to_string()
    };
    let plain = digest(&["run", &f, "--json"]);
    let three = digest(&["run", &f, "--json", "--set", "srv.servers=3"]);
    assert_ne!(plain, three, "a third server changes the run");
    let (code, _, err) = pipelab(&["run", &f, "--set", "srv.servers"]);
    assert_eq!(code, 2);
    assert!(err.contains("srv.servers") && err.contains("<value>"), "{err}");
    let (code, _, err) = pipelab(&["run", &f, "--set", "srv.servers=0"]);
    assert_eq!(code, 2);
    assert!(err.contains("servers"), "{err}");
}

#[test]
fn sweep_tabulates_a_grid_and_more_servers_wait_less() {
    let f = temp_file("mm2-sweep.toml", MM2);
    let (code, out, err) = pipelab(&[
        "sweep",
        &f,
        "--vary",
        "srv.servers=2,3",
        "--metric",
        "end_to_end.latency_s.mean",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    let mean = |i: usize| points[i]["figures"][0].as_f64().unwrap();
    assert!(mean(1) < mean(0), "3 servers {} s vs 2 servers {} s", mean(1), mean(0));
    let (code, table, _) = pipelab(&["sweep", &f, "--vary", "srv.servers=2,3"]);
    assert_eq!(code, 0);
    assert!(
        table.contains("srv.servers") && table.contains("cost.per_month_usd"),
        "{table}"
    );
    let (code, _, err) = pipelab(&["sweep", &f, "--vary", "nowhere"]);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
}
