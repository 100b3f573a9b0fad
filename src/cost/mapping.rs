//! The AWS ↔ GCP mapping: a pure rewrite of a parsed [`Scenario`] so that
//! every stage names the other provider's service (its `flavour`), before
//! compiling. Mechanics change with the flavour where the services really
//! differ: a Kinesis stream becomes a Pub/Sub topic with no shard write
//! limits and no resharding; Lambda becomes Cloud Functions (other default
//! concurrency, memory and cold starts); S3 becomes Cloud Storage (other
//! request-rate limits); Snowball becomes Transfer Appliance (other device
//! capacity); Direct Connect becomes Interconnect (10 Gbps default).
//!
//! Kafka stays Kafka and a VPN stays a VPN (both exist on either side).

use super::meters::flavour_of;
use crate::scenario::schema::{Provider, Scenario};
use serde::{Deserialize, Serialize};

/// What the mapping did to one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingNote {
    /// Stage id.
    pub stage: String,
    pub kind: String,
    /// Service before and after.
    pub from: String,
    pub to: String,
    /// What changed beyond the name, or why nothing could.
    pub note: String,
}

/// Stream parameters that only mean something for Kinesis.
const KINESIS_ONLY: &[&str] = &[
    "mode",
    "write_records_per_shard",
    "write_bytes_per_shard",
    "aggregation",
    "read_bytes_per_shard",
    "reads_per_s",
    "enhanced_fan_out",
    "other_consumer_apps",
    "reshard",
    "reshard_time",
    "max_reshards_per_day",
];

/// (kind, AWS flavour, GCP flavour) pairs that map one to one.
const PAIRS: &[(&str, &str, &str)] = &[
    ("stream", "kinesis", "pubsub"),
    ("function", "lambda", "cloud_functions"),
    ("object_store", "s3", "gcs"),
    ("transfer", "snowball", "transfer_appliance"),
    ("link", "direct_connect", "interconnect"),
    ("etl", "glue", "dataflow"),
    ("spark", "emr", "dataproc"),
    ("warehouse", "redshift", "bigquery"),
    ("dedup", "opensearch", "vector_search"),
    ("kv_store", "dynamodb", "bigtable"),
    ("sql_store", "rds", "cloud_sql"),
];

/// The provider a stage of `kind` with `flavour` runs on, when its flavour
/// belongs to one side of a mapped pair (`None` for Kafka, VPN and the
/// generic kinds, which exist on either side).
pub fn side_of(kind: &str, flavour: &str) -> Option<Provider> {
    PAIRS.iter().find_map(|(k, a, g)| match *k == kind {
        true if *a == flavour => Some(Provider::Aws),
        true if *g == flavour => Some(Provider::Gcp),
        _ => None,
    })
}

/// The service name of a kind's flavour, for notes.
pub fn service(kind: &str, flavour: &str) -> String {
    let info = crate::models::kind_info(kind);
    let aws = info.map_or("", |k| k.aws);
    let gcp = info.map_or("", |k| k.gcp);
    match flavour {
        "kafka" => "Apache Kafka".into(),
        "vpn" => "Site-to-site VPN".into(),
        "mapreduce" => "Hadoop MapReduce".into(),
        "onprem" => match kind {
            "etl" => "On-premises ETL servers".into(),
            "warehouse" => "On-premises MPP warehouse".into(),
            _ => "On-premises".into(),
        },
        f if PAIRS.iter().any(|(k, a, _)| *k == kind && *a == f) => aws.into(),
        f if PAIRS.iter().any(|(k, _, g)| *k == kind && *g == f) => gcp.into(),
        _ => aws.into(),
    }
}

/// `sc` with every mapped stage rewritten to `to`'s service, and a note per
/// priced stage. Stages already on `to` are left exactly as written.
pub fn map_scenario(sc: &Scenario, to: Provider) -> (Scenario, Vec<MappingNote>) {
    let mut out = sc.clone();
    let mut notes = Vec::new();
    for st in &mut out.stages {
        let kind = st.kind.clone();
        let from = flavour_of(st);
        if kind == "monitor" {
            let k = crate::models::kind_info("monitor").expect("monitor kind");
            let (a, b) = match to {
                Provider::Aws => (k.gcp, k.aws),
                Provider::Gcp => (k.aws, k.gcp),
            };
            notes.push(MappingNote {
                stage: st.id.clone(),
                kind,
                from: a.into(),
                to: b.into(),
                note: "alarms behave the same; not priced".into(),
            });
            continue;
        }
        let Some(&(_, aws, gcp)) = PAIRS.iter().find(|(k, _, _)| *k == kind) else {
            continue;
        };
        let target = match to {
            Provider::Aws => aws,
            Provider::Gcp => gcp,
        };
        let other = match to {
            Provider::Aws => gcp,
            Provider::Gcp => aws,
        };
        if from != other {
            let note = if from == target {
                "already this provider's service".to_string()
            } else {
                format!("no faithful equivalent of `{from}` to map to; kept as written")
            };
            notes.push(MappingNote {
                stage: st.id.clone(),
                from: service(&kind, &from),
                to: service(&kind, &from),
                kind,
                note,
            });
            continue;
        }
        st.params
            .insert("flavour".into(), serde_json::Value::String(target.to_string()));
        let mut changed = Vec::new();
        if kind == "stream" {
            match to {
                Provider::Gcp => {
                    for k in KINESIS_ONLY {
                        if st.params.remove(*k).is_some() {
                            changed.push(format!("dropped `{k}`"));
                        }
                    }
                    changed.push(
                        "no per-shard write limits; shards are not used or billed; `consumers` become subscribers \
                         with flow control (1,000 outstanding messages each)"
                            .into(),
                    );
                }
                Provider::Aws => {
                    for k in ["ack_deadline", "max_outstanding_messages", "max_outstanding_bytes"] {
                        if st.params.remove(k).is_some() {
                            changed.push(format!("dropped `{k}`"));
                        }
                    }
                    if st.params.remove("ordering_keys").is_some() {
                        changed.push("dropped `ordering_keys` (a Kinesis shard keeps its keys in order)".into());
                    }
                    if !st.params.contains_key("shards") && !st.params.contains_key("partitions") {
                        st.params
                            .insert("mode".into(), serde_json::Value::String("on_demand".into()));
                        changed.push("no shard count given: on-demand capacity mode".into());
                    } else {
                        changed.push("per-shard write limits of 1,000 records/s and 1 MiB/s apply".into());
                    }
                }
            }
        }
        if kind == "warehouse" && to == Provider::Gcp {
            changed.push(if st.params.contains_key("slots") {
                "a reservation of `slots`, billed per slot-hour (Standard edition)".to_string()
            } else {
                "on-demand BigQuery: up to 2000 slots, billed per TiB scanned; give `slots` for a reservation \
                 billed per slot-hour"
                    .to_string()
            });
        }
        if kind == "warehouse" && to == Provider::Aws && st.params.remove("billing").is_some() {
            changed.push("dropped `billing` (Redshift bills node-hours)".into());
        }
        // Keys that only one flavour understands: drop them (say so) so the
        // mapped scenario still validates.
        let only_other: &[&str] = match (kind.as_str(), to) {
            ("kv_store", Provider::Gcp) => &["wcu", "partition_wcu", "mode", "partitions"],
            ("kv_store", Provider::Aws) => &["nodes", "node_rate"],
            ("warehouse", Provider::Gcp) => &[
                "node_type",
                "nodes",
                "slices_per_node",
                "distribution",
                "key_skew",
                "wlm_slots",
                "concurrency_scaling",
            ],
            ("warehouse", Provider::Aws) => &["slots"],
            ("sql_store", _) => &[],
            ("dedup", _) => &[],
            _ => &[],
        };
        for k in only_other {
            if st.params.remove(*k).is_some() {
                changed.push(format!("dropped `{k}` (no equivalent in the other service)"));
            }
        }
        notes.push(MappingNote {
            stage: st.id.clone(),
            from: service(&kind, &from),
            to: service(&kind, target),
            kind,
            note: if changed.is_empty() {
                "provider defaults (limits, latencies) change with the flavour".into()
            } else {
                changed.join("; ")
            },
        });
    }
    if let Some(c) = out.cost.as_mut() {
        c.provider = Some(to);
    }
    (out, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse, Format};

    const SC: &str = r#"
name = "m"
duration = "10s"
[[stage]]
id = "s"
kind = "stream"
shards = 2
mode = "provisioned"
to = "f"
[[stage]]
id = "f"
kind = "function"
duration = "20ms"
to = "o"
[[stage]]
id = "o"
kind = "object_store"
"#;

    #[test]
    fn gcp_rewrites_flavours_and_drops_kinesis_only_keys() {
        let sc = parse(SC, Format::Toml).unwrap();
        let (g, notes) = map_scenario(&sc, Provider::Gcp);
        let fl = |i: usize| g.stages[i].params["flavour"].as_str().unwrap().to_string();
        assert_eq!(
            (fl(0), fl(1), fl(2)),
            ("pubsub".into(), "cloud_functions".into(), "gcs".into())
        );
        assert!(!g.stages[0].params.contains_key("mode"));
        assert_eq!(notes.len(), 3);
        assert_eq!(notes[0].to, "Google Cloud Pub/Sub");
        crate::scenario::compile(&g, SC).expect("mapped scenario compiles");
        // And back: the flavours return; AWS on an AWS scenario changes nothing.
        let (a, _) = map_scenario(&g, Provider::Aws);
        assert_eq!(a.stages[0].params["flavour"], "kinesis");
        assert_eq!(map_scenario(&sc, Provider::Aws).0, sc);
    }
}
