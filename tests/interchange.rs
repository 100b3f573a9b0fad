//! Interchange as a user meets it: Mermaid diagrams drawn elsewhere import
//! and run; exported Mermaid reads back to the same graph; share links
//! replay the same run; CSV exports parse.

use pipelab::interchange::{self, mermaid_in, mermaid_out};
use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, schema::Scenario, Format};
use std::collections::BTreeSet;

const FINTRUST: &str = include_str!("mermaid/fintrust-architecture.mmd");
const TICKET: &str = include_str!("mermaid/ticket-streaming-architecture.mmd");

/// Imports `text`, runs the scenario to its end, and returns both.
fn import_and_run(text: &str) -> (mermaid_in::Imported, pipelab::report::RunReport) {
    let imp = interchange::import(text).unwrap_or_else(|e| panic!("import: {e}"));
    let toml = mermaid_in::to_toml(&imp);
    let (_, rep) = run::run_text(&toml, Format::Toml, &Overrides::default()).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert!(rep.conservation.holds, "conservation: {:?}", rep.conservation);
    (imp, rep)
}

fn kind(sc: &Scenario, id: &str) -> String {
    if sc.sources.iter().any(|s| s.id == id) {
        return "source".into();
    }
    sc.stages
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.kind.clone())
        .unwrap_or_else(|| panic!("no `{id}`"))
}

fn region(sc: &Scenario, id: &str) -> Option<String> {
    sc.stages.iter().find(|s| s.id == id).and_then(|s| s.region.clone())
}

fn flavour(sc: &Scenario, id: &str) -> Option<String> {
    let st = sc.stages.iter().find(|s| s.id == id)?;
    st.params.get("flavour").and_then(|v| v.as_str()).map(String::from)
}

#[test]
fn the_fintrust_seed_diagram_imports_with_every_node_mapped_and_runs() {
    let (imp, rep) = import_and_run(FINTRUST);
    let sc = &imp.scenario;
    assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    for (id, k) in [
        ("Snowball", "transfer"),
        ("S3", "object_store"),
        ("OnPrem", "source"),
        ("DirectConnect", "link"),
        ("Kinesis", "stream"),
        ("Glue", "etl"),
        ("Redshift", "warehouse"),
        ("Lambda", "function"),
        ("CloudWatch", "monitor"),
    ] {
        assert_eq!(kind(sc, id), k, "{id}");
    }
    assert_eq!(flavour(sc, "Snowball").as_deref(), Some("snowball"));
    assert_eq!(flavour(sc, "Redshift").as_deref(), Some("redshift"));
    // Subgraphs are regions (innermost title); S3 is first drawn in Phase 1.
    assert_eq!(region(sc, "Glue").as_deref(), Some("AWS VPC"));
    assert_eq!(region(sc, "DirectConnect").as_deref(), Some("AWS Region"));
    assert_eq!(region(sc, "S3").as_deref(), Some("Phase 1: Initial Setup"));
    // The monitor watches Lambda and acts on it; Kinesis and Snowball get sources.
    let cw = sc.stages.iter().find(|s| s.id == "CloudWatch").unwrap();
    let links = pipelab::models::control_links("monitor", "CloudWatch", &cw.params);
    assert!(links.contains(&("Lambda".into(), "CloudWatch".into())), "{links:?}");
    assert!(links.contains(&("CloudWatch".into(), "Lambda".into())), "{links:?}");
    let fed: BTreeSet<&str> = sc.sources.iter().map(|s| s.to.as_str()).collect();
    assert!(fed.contains("Kinesis") && fed.contains("Snowball") && fed.contains("DirectConnect"));
    assert!(rep.end_to_end.delivered > 0);
    // The bulk load reaches S3 within the run (four days).
    assert!(rep.stages["S3"].arrived > 0, "S3 got {}", rep.stages["S3"].arrived);
}

#[test]
fn the_ticket_seed_diagram_imports_with_every_node_mapped_and_runs() {
    let (imp, rep) = import_and_run(TICKET);
    let sc = &imp.scenario;
    assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    for (id, k) in [
        ("OnPrem", "source"),
        ("DirectConnect", "link"),
        ("Kinesis", "stream"),
        ("S3", "object_store"),
        ("SparkEMR", "spark"),
        ("OpenSearch", "dedup"),
        ("Glue", "etl"),
        ("Lambda", "function"),
        ("CloudWatch", "monitor"),
    ] {
        assert_eq!(kind(sc, id), k, "{id}");
    }
    assert_eq!(flavour(sc, "SparkEMR").as_deref(), Some("emr"));
    // Kinesis feeds S3 and Spark: a router splits its output.
    let k = sc.stages.iter().find(|s| s.id == "Kinesis").unwrap();
    assert_eq!(kind(sc, k.to.as_deref().unwrap()), "router");
    assert_eq!(
        region(sc, "SparkEMR").as_deref(),
        Some("Real-Time Processing & Optimization")
    );
    // The dotted S3 -.-> Glue is data, and says so.
    assert!(
        imp.notes.iter().any(|n| n.contains("`S3` -.-> `Glue`")),
        "{:?}",
        imp.notes
    );
    assert_eq!(
        sc.stages.iter().find(|s| s.id == "S3").unwrap().to.as_deref(),
        Some("Glue")
    );
    assert!(rep.end_to_end.delivered > 0);
    assert!(rep.stages["OpenSearch"].completed > 0);
}

/// A GCP pipeline drawn right to left with other syntax: inline link
/// text, `&`, v11 shapes, classes, click lines, a DLQ.
const GCP: &str = r#"%%{init: {"flowchart": {"htmlLabels": false}} }%%
---
title: Clickstream on GCP
---
flowchart RL
  %% devices to the warehouse
  devices(["Mobile devices"]) -- events --> ps[[Cloud Pub/Sub]]:::hot
  subgraph gcp [Google Cloud]
    direction LR
    ps ==> df{{"Dataflow (streaming)"}} --> bq[(BigQuery)] & gcs[(Cloud Storage)]
    df -->|dead letter| dlq[(Bigtable DLQ table)]
    vx@{ shape: rect, label: "Vertex AI Vector Search" }
    cf>Cloud Functions] --> sql[(Cloud SQL)]
  end
  gcs --> vx --> cf
  mon{{Cloud Monitoring}} -.->|scale| ps
  df -.- mon
  ta[/Transfer Appliance/] --> ic[Partner Interconnect] --> gcs
  dp((Dataproc)) ~~~ bq
  classDef hot fill:#f96
  click ps href "https://example.com" _blank
  style bq fill:#bbf
  linkStyle 0 stroke:#f00
"#;

#[test]
fn a_gcp_diagram_with_other_syntax_imports_and_runs() {
    let (imp, rep) = import_and_run(GCP);
    let sc = &imp.scenario;
    assert_eq!(sc.name, "Clickstream on GCP");
    assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    for (id, k, f) in [
        ("devices", "source", None),
        ("ps", "stream", Some("pubsub")),
        ("df", "etl", Some("dataflow")),
        ("bq", "warehouse", Some("bigquery")),
        ("gcs", "object_store", Some("gcs")),
        ("dlq", "kv_store", Some("bigtable")),
        ("vx", "dedup", Some("vector_search")),
        ("cf", "function", Some("cloud_functions")),
        ("sql", "sql_store", Some("cloud_sql")),
        ("mon", "monitor", None),
        ("ta", "transfer", Some("transfer_appliance")),
        ("ic", "link", Some("interconnect")),
        ("dp", "spark", Some("dataproc")),
    ] {
        assert_eq!(kind(sc, id), k, "{id}");
        assert_eq!(flavour(sc, id).as_deref(), f, "{id}");
    }
    let df = sc.stages.iter().find(|s| s.id == "df").unwrap();
    assert_eq!(df.dead_letter.as_deref(), Some("dlq"));
    assert_eq!(region(sc, "df").as_deref(), Some("Google Cloud"));
    // The monitor watches Dataflow and scales Pub/Sub.
    let mon = sc.stages.iter().find(|s| s.id == "mon").unwrap();
    let links = pipelab::models::control_links("monitor", "mon", &mon.params);
    assert!(links.contains(&("df".into(), "mon".into())) && links.contains(&("mon".into(), "ps".into())));
    assert!(rep.stages["bq"].arrived > 0);
}

/// AWS services the seeds do not use, bottom to top, with governance.
const AWS: &str = "graph BT
    oracle[(On-prem Oracle)] --> dms[AWS DMS] --> rds[(Amazon RDS)]
    app[Web app] --> ddb[(DynamoDB)] --> ddbs[DynamoDB Streams] --> aurora[(Aurora RDS)]
    msk[Amazon MSK Kafka] --> emr[EMR MapReduce job] --> spectrum[Redshift Spectrum]
    msk --> fh[Kinesis Firehose] --> lake[(S3 data lake)]
    kms[AWS KMS] -.-> ddb
    macie[Amazon Macie] -.-> lake
    lf[AWS Lake Formation] --> lake
    iam[IAM role] --- rds
    sqs[Amazon SQS] --> fn[Lambda] --> os[Amazon OpenSearch]
    fn -- DLQ --> dlq[(S3 failed events)]
";

#[test]
fn an_aws_diagram_with_governance_imports_and_runs() {
    let (imp, _) = import_and_run(AWS);
    let sc = &imp.scenario;
    assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    for (id, k) in [
        ("oracle", "source"),
        ("dms", "cdc"),
        ("rds", "sql_store"),
        ("ddb", "kv_store"),
        ("ddbs", "cdc"),
        ("msk", "stream"),
        ("emr", "spark"),
        ("spectrum", "warehouse"),
        ("fh", "batcher"),
        ("lake", "object_store"),
        ("sqs", "queue"),
        ("os", "dedup"),
    ] {
        assert_eq!(kind(sc, id), k, "{id}");
    }
    assert_eq!(flavour(sc, "emr").as_deref(), Some("mapreduce"));
    assert_eq!(flavour(sc, "msk").as_deref(), Some("kafka"));
    let g = sc.governance.as_ref().expect("governance");
    assert_eq!(g.encrypted, ["ddb"]);
    assert_eq!(g.pii_scan, ["lake"]);
    let principals: Vec<&str> = g.principals.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(principals, ["lf", "iam"]);
    assert_eq!(
        sc.stages.iter().find(|s| s.id == "fn").unwrap().dead_letter.as_deref(),
        Some("dlq")
    );
}

/// Services outside the seed stories, in Mermaid 11 syntax (front matter,
/// `@{ shape }` nodes, `A --> B & C`, markdown labels, `;` separators).
const EVENT_DRIVEN: &str = r#"---
title: Orders, event-driven
config:
  theme: neutral
---
flowchart TB
  api["`**Orders** API`"] --> gw[API Gateway] --> bus((EventBridge))
  bus --> sns{{SNS fan-out}} & flink[/Managed Flink/]
  sns --> fs[(Firestore)]; sns --> sp[(Cloud Spanner)]
  flink --> cache@{ shape: cyl, label: "ElastiCache" }
  flink --> lake[(S3 lake)] --> ath[Athena] --> bi[QuickSight]
"#;

#[test]
fn an_event_driven_diagram_with_other_services_imports_and_runs() {
    let (imp, rep) = import_and_run(EVENT_DRIVEN);
    let sc = &imp.scenario;
    assert!(imp.unmapped.is_empty(), "{:?}", imp.unmapped);
    for (id, k) in [
        ("api", "source"),
        ("gw", "router"),
        ("bus", "router"),
        ("sns", "router"),
        ("fs", "kv_store"),
        ("sp", "sql_store"),
        ("flink", "etl"),
        ("cache", "kv_store"),
        ("lake", "object_store"),
        ("ath", "warehouse"),
        ("bi", "sink"),
    ] {
        assert_eq!(kind(sc, id), k, "{id}");
    }
    assert_eq!(sc.name, "Orders, event-driven");
    // Records reach every branch of the fan-outs.
    for id in ["fs", "sp", "cache", "ath"] {
        assert!(rep.stages[id].arrived > 0, "{id} got no records");
    }
}

#[test]
fn text_that_is_not_a_flowchart_is_a_located_error() {
    let e = interchange::import("%% hi\nsequenceDiagram\n  Alice->>Bob: Hello").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.to_string().contains("not a Mermaid flowchart"), "{e}");
    let big = format!("graph LR\n{}", "%% padding padding padding\n".repeat(12_000));
    let e = interchange::import(&big).unwrap_err();
    assert!(e.message.contains("limit"), "{e}");
}

/// The graph of a scenario: ids with kinds, data links, control links, regions.
#[derive(Debug, PartialEq)]
struct Graph {
    nodes: BTreeSet<(String, String)>,
    data: BTreeSet<(String, String)>,
    dead: BTreeSet<(String, String)>,
    control: BTreeSet<(String, String)>,
    regions: BTreeSet<(String, Option<String>)>,
}

fn graph(sc: &Scenario) -> Graph {
    let mut g = Graph {
        nodes: BTreeSet::new(),
        data: BTreeSet::new(),
        dead: BTreeSet::new(),
        control: BTreeSet::new(),
        regions: BTreeSet::new(),
    };
    for s in &sc.sources {
        g.nodes.insert((s.id.clone(), "source".into()));
        g.data.insert((s.id.clone(), s.to.clone()));
        if let Some(d) = &s.dead_letter {
            g.dead.insert((s.id.clone(), d.clone()));
        }
    }
    for st in &sc.stages {
        g.nodes.insert((st.id.clone(), st.kind.clone()));
        g.regions.insert((st.id.clone(), st.region.clone()));
        if let Some(t) = &st.to {
            g.data.insert((st.id.clone(), t.clone()));
        }
        for t in pipelab::models::param_links(&st.kind, &st.params) {
            g.data.insert((st.id.clone(), t));
        }
        if let Some(d) = &st.dead_letter {
            g.dead.insert((st.id.clone(), d.clone()));
        }
        for l in pipelab::models::control_links(&st.kind, &st.id, &st.params) {
            g.control.insert(l);
        }
    }
    g
}

#[test]
fn exported_mermaid_reimports_to_the_same_graph_for_every_builtin() {
    for b in builtin::all() {
        let sc = pipelab::scenario::parse(b.text, Format::Toml).unwrap();
        let text = mermaid_out::export(&sc);
        let back = interchange::import(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", b.name));
        assert!(back.unmapped.is_empty(), "{}: {:?}", b.name, back.unmapped);
        assert_eq!(graph(&back.scenario), graph(&sc), "{}\n{text}", b.name);
        assert_eq!(back.scenario.name, sc.name.replace('"', "'"), "{}", b.name);
        // And it runs.
        let toml = mermaid_in::to_toml(&back);
        run::run_text(&toml, Format::Toml, &Overrides::default()).unwrap_or_else(|e| panic!("{}: {e}", b.name));
    }
}

#[test]
fn imported_seeds_export_and_reimport_to_the_same_graph() {
    for text in [FINTRUST, TICKET, GCP, AWS] {
        let first = interchange::import(text).unwrap().scenario;
        let again = interchange::import(&mermaid_out::export(&first)).unwrap().scenario;
        assert_eq!(graph(&again), graph(&first));
    }
}

#[test]
fn awkward_ids_and_labels_are_escaped_safely() {
    let mut sc = pipelab::scenario::parse(builtin::find("mm4-teaching").unwrap().text, Format::Toml).unwrap();
    sc.name = "A \"quoted\" name".into();
    sc.stages[0].label = Some("Server <b>#1</b> \"main\" [x] {y} | z `q`".into());
    sc.stages[0].region = Some("On-prem \"DC\" ]".into());
    let text = mermaid_out::export(&sc);
    let back = interchange::import(&text).unwrap().scenario;
    assert_eq!(back.stages[0].label, sc.stages[0].label, "{text}");
    assert_eq!(back.stages[0].region, sc.stages[0].region, "{text}");
    // An id Mermaid reserves is renamed, with the original in a comment.
    sc.stages[0].id = "end".into();
    sc.sources[0].to = "end".into();
    let text = mermaid_out::export(&sc);
    assert!(text.contains("%% n1 is `end`"), "{text}");
    assert!(interchange::import(&text).is_ok(), "{text}");
}

/// The built-in's text with one edit: its seed line changed (or added).
fn one_edit(text: &str) -> String {
    if !text.lines().any(|l| l.starts_with("seed = ")) {
        return format!("seed = 4242\n{text}");
    }
    let mut done = false;
    let edited = text
        .lines()
        .map(|l| {
            if !done && l.starts_with("seed = ") {
                done = true;
                "seed = 4242".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // An editor keeps the file's last newline.
    if text.ends_with('\n') {
        edited + "\n"
    } else {
        edited
    }
}

#[test]
fn share_links_of_builtins_with_an_edit_stay_short_and_replay_the_same_run() {
    use interchange::share;
    println!("| built-in | scenario bytes | link | link with one edit |");
    println!("|---|---:|---:|---:|");
    for b in builtin::all() {
        let plain = share::encode(&share::Shared::new(b.text));
        let edited_text = one_edit(b.text);
        assert_ne!(edited_text, b.text, "{}: edited", b.name);
        let mut s = share::Shared::new(edited_text.clone());
        s.seed = Some(77);
        let edited = share::encode(&s);
        println!(
            "| `{}` | {} | {} | {} |",
            b.name,
            b.text.len(),
            plain.len(),
            edited.len()
        );
        // Under the classic 2,083-character URL limit, with room for the page address.
        assert!(edited.len() < 2000, "{}: {} characters", b.name, edited.len());
        // Opening the link gives the run its author saw.
        let o = share::decode(&format!("https://example.org/pipelab/#{edited}")).unwrap();
        assert_eq!(o.notice, None);
        let (_, a) = run::run_text(&o.shared.scenario, o.shared.format(), &o.shared.overrides()).unwrap();
        let direct = Overrides {
            seed: Some(77),
            ..Overrides::default()
        };
        let (_, b2) = run::run_text(&edited_text, Format::Toml, &direct).unwrap();
        assert_eq!(a.digest, b2.digest, "{}", b.name);
        assert_eq!(o.shared.scenario, edited_text, "{}: the edit is in the link", b.name);
    }
}

#[test]
fn results_csv_has_a_row_per_stage_per_step_and_costs_a_row_per_line() {
    let (p, rep) = run::run_text(
        builtin::find("kinesis-autoscale").unwrap().text,
        Format::Toml,
        &Overrides::default(),
    )
    .unwrap();
    let rows = interchange::csv::parse(&interchange::csv::results(&p.sim));
    assert_eq!(
        rows[0],
        [
            "time_s",
            "stage",
            "kind",
            "throughput_per_s",
            "backlog_records",
            "dropped_per_s"
        ]
    );
    let stages: BTreeSet<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(stages.len(), p.sim.stages.len());
    // The stream's throughput column, averaged over time, is its completed records per second.
    let stream: Vec<f64> = rows[1..]
        .iter()
        .filter(|r| r[1] == "stream")
        .map(|r| r[3].parse().unwrap())
        .collect();
    let mean = stream.iter().sum::<f64>() / stream.len() as f64;
    let expect = rep.stages["stream"].completed as f64 / rep.simulated_s;
    assert!((mean - expect).abs() / expect < 0.02, "{mean} vs {expect}");
    let c = rep.cost.as_ref().unwrap();
    let cost_rows = interchange::csv::parse(&interchange::csv::cost(c));
    assert_eq!(cost_rows.len() - 1, c.lines.len());
    let total: f64 = cost_rows[1..].iter().map(|r| r[7].parse::<f64>().unwrap()).sum();
    assert!(
        (total - c.total_usd).abs() < 1e-6 * c.total_usd.max(1.0),
        "{total} vs {}",
        c.total_usd
    );
}

/// Mangled diagrams (characters deleted, doubled or replaced by Mermaid's
/// own punctuation and by multi-byte text) give a scenario or a located
/// error, never a panic; whatever imports also compiles.
#[test]
fn mangled_diagrams_never_panic() {
    let pieces = [
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        "<",
        ">",
        "|",
        "\"",
        "-",
        ".",
        "=",
        "&",
        ":",
        ";",
        "%%",
        "@",
        "\n",
        "é",
        "→",
        "🚀",
        "-->",
        "-.->",
        "end",
        "subgraph ",
        ":::",
        "~~~",
        "o",
        "x",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut imported = 0;
    for base in [FINTRUST, TICKET, GCP, AWS] {
        let chars: Vec<char> = base.chars().collect();
        for _ in 0..150 {
            let mut text: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
            for _ in 0..1 + next(4) {
                let i = next(text.len());
                match next(3) {
                    0 => text[i] = String::new(),
                    1 => text[i] = pieces[next(pieces.len())].to_string(),
                    _ => text.insert(i, pieces[next(pieces.len())].to_string()),
                }
            }
            let text: String = text.concat();
            match interchange::import(&text) {
                Ok(imp) => {
                    imported += 1;
                    pipelab::scenario::compile(&imp.scenario, "").unwrap_or_else(|e| panic!("{e:?}\n{text}"));
                }
                Err(e) => assert!(!e.message.is_empty()),
            }
        }
    }
    assert!(imported > 50, "most small changes still import: {imported}");
}
