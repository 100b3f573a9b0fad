//! Service names → pipelab kinds: which stage kind (and flavour) a box
//! labelled "Amazon Kinesis", "Pub/Sub" or "Apache Spark on EMR" stands for.
//!
//! Matching is case-insensitive over the node's label and id, split into
//! words (camelCase ids too: `SparkEMR` → `spark emr`). Short names (≤ 3
//! letters: S3, EMR, RDS, DMS, IAM, KMS, DLP, SQS, GCS) must be a whole
//! word; longer ones may appear inside a word (`DirectConnect`). The first
//! row that matches wins, so specific services come before generic words.

/// What a diagram box becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A stage of this kind, with this flavour (if the kind has flavours).
    Stage(&'static str, Option<&'static str>),
    /// A record generator (`[[source]]`); an on-premises database that
    /// something writes into becomes a `sql_store` instead.
    Source,
    /// A governance entry rather than a stage.
    Governance(Gov),
}

/// Governance services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gov {
    /// IAM, Lake Formation, Dataplex: a principal with grants on the
    /// stages it is linked to.
    Access,
    /// KMS / Cloud KMS: the linked stages are encrypted.
    Kms,
    /// Macie / Sensitive Data Protection (DLP): the linked stages are scanned for PII.
    PiiScan,
    /// CloudTrail / Cloud Audit Logs: an audit trail.
    Audit,
}

use Role::*;

/// (names, role), first match wins.
pub const TABLE: &[(&[&str], Role)] = &[
    // Governance.
    (
        &["lake formation", "lakeformation", "dataplex", "iam"],
        Governance(Gov::Access),
    ),
    (&["kms", "key management"], Governance(Gov::Kms)),
    (
        &["macie", "dlp", "sensitive data protection", "data loss prevention"],
        Governance(Gov::PiiScan),
    ),
    (
        &["cloudtrail", "cloud trail", "audit log", "audit logs"],
        Governance(Gov::Audit),
    ),
    // Monitoring.
    (
        &[
            "cloudwatch",
            "cloud watch",
            "cloud monitoring",
            "stackdriver",
            "monitoring",
            "alarm",
            "alerting",
        ],
        Stage("monitor", None),
    ),
    // Change data capture (before the stores it reads: "DynamoDB Streams").
    (&["dynamodb stream", "dynamodbstream", "ddb stream"], Stage("cdc", None)),
    (
        &[
            "dms",
            "database migration",
            "datastream",
            "debezium",
            "change data capture",
            "cdc",
        ],
        Stage("cdc", None),
    ),
    // Bulk transfer and links.
    (
        &["snowball", "snowmobile", "snow family"],
        Stage("transfer", Some("snowball")),
    ),
    (
        &["transfer appliance", "transferappliance"],
        Stage("transfer", Some("transfer_appliance")),
    ),
    (
        &["direct connect", "directconnect"],
        Stage("link", Some("direct_connect")),
    ),
    (&["interconnect"], Stage("link", Some("interconnect"))),
    (&["vpn", "site to site"], Stage("link", Some("vpn"))),
    // Delivery streams batch by size and time.
    (&["firehose"], Stage("batcher", None)),
    // Stream processors (before "kinesis": Kinesis Data Analytics runs Flink).
    (
        &["flink", "kinesis data analytics", "kinesis analytics"],
        Stage("etl", None),
    ),
    // Streams.
    (&["kinesis"], Stage("stream", Some("kinesis"))),
    (&["pub sub", "pubsub"], Stage("stream", Some("pubsub"))),
    (
        &["kafka", "msk", "confluent", "redpanda"],
        Stage("stream", Some("kafka")),
    ),
    // Processing.
    (
        &["mapreduce", "map reduce", "hadoop"],
        Stage("spark", Some("mapreduce")),
    ),
    (&["dataproc"], Stage("spark", Some("dataproc"))),
    (&["spark", "emr", "databricks"], Stage("spark", Some("emr"))),
    (&["glue"], Stage("etl", Some("glue"))),
    (&["dataflow", "apache beam"], Stage("etl", Some("dataflow"))),
    // Warehouses (Spectrum queries S3 from Redshift).
    (&["redshift", "spectrum"], Stage("warehouse", Some("redshift"))),
    (&["bigquery", "big query"], Stage("warehouse", Some("bigquery"))),
    (
        &[
            "snowflake",
            "synapse",
            "athena",
            "presto",
            "trino",
            "warehouse",
            "warehousing",
        ],
        Stage("warehouse", None),
    ),
    // Search and vectors.
    (
        &["opensearch", "open search", "elasticsearch", "elastic search", "knn"],
        Stage("dedup", Some("opensearch")),
    ),
    (
        &["vertex", "vector search", "matching engine"],
        Stage("dedup", Some("vector_search")),
    ),
    // Stores.
    (
        &["dynamodb", "dynamo db", "keyspaces", "cassandra"],
        Stage("kv_store", Some("dynamodb")),
    ),
    (&["bigtable", "big table", "hbase"], Stage("kv_store", Some("bigtable"))),
    (
        &["cloud sql", "cloudsql", "alloydb"],
        Stage("sql_store", Some("cloud_sql")),
    ),
    (&["rds", "aurora"], Stage("sql_store", Some("rds"))),
    (&["spanner", "azure sql"], Stage("sql_store", None)),
    (
        &[
            "firestore",
            "datastore",
            "mongodb",
            "mongo db",
            "documentdb",
            "document db",
            "cosmos",
            "redis",
            "memorystore",
            "elasticache",
            "elasti cache",
        ],
        Stage("kv_store", None),
    ),
    // Functions.
    (&["lambda"], Stage("function", Some("lambda"))),
    (
        &["cloud functions", "cloud function", "cloudfunctions", "cloud run"],
        Stage("function", Some("cloud_functions")),
    ),
    // Object stores.
    (&["s3", "glacier"], Stage("object_store", Some("s3"))),
    (
        &["cloud storage", "cloudstorage", "gcs"],
        Stage("object_store", Some("gcs")),
    ),
    (
        &["data lake", "datalake", "bucket", "object storage"],
        Stage("object_store", None),
    ),
    // Fan-out services and front doors pass records on to every target.
    (
        &[
            "eventbridge",
            "event bridge",
            "sns",
            "eventarc",
            "event grid",
            "api gateway",
            "apigateway",
            "apigee",
        ],
        Stage("router", None),
    ),
    // Where records come from: on-premises systems and databases, apps, devices.
    (
        &[
            "on premises",
            "on premise",
            "onprem",
            "on prem",
            "data center",
            "datacenter",
            "sql server",
            "sqlserver",
            "oracle",
            "mainframe",
        ],
        Source,
    ),
    (&["postgres", "postgresql", "mysql", "mariadb", "database"], Source),
    (
        &[
            "producer",
            "api",
            "client",
            "clients",
            "users",
            "user",
            "app",
            "application",
            "mobile",
            "iot",
            "sensor",
            "sensors",
            "device",
            "devices",
            "source",
            "sources",
            "website",
            "web app",
            "clickstream",
            "events",
        ],
        Source,
    ),
    // Generic stages.
    (&["sqs", "queue", "message queue"], Stage("queue", None)),
    (
        &["load balancer", "router", "fanout", "fan out", "split"],
        Stage("router", None),
    ),
    (&["batch", "buffer", "batcher"], Stage("batcher", None)),
    (
        &[
            "dashboard",
            "quicksight",
            "quick sight",
            "looker",
            "tableau",
            "power bi",
            "report",
            "reports",
            "analysts",
            "sink",
            "consumer",
        ],
        Stage("sink", None),
    ),
    (&["delay", "network"], Stage("delay", None)),
    (&["function", "serverless"], Stage("function", None)),
    (&["storage", "store"], Stage("object_store", None)),
    (&["etl", "transform", "processing"], Stage("etl", None)),
    (&["stream", "streaming", "ingestion", "ingest"], Stage("stream", None)),
];

/// Words of a text: lower case, split at non-alphanumerics and camelCase
/// boundaries (`SparkEMR` → `spark emr`, `OnPrem` → `on prem`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let boundary = !cur.is_empty()
            && c.is_uppercase()
            && (prev.is_lowercase() || (prev.is_uppercase() && next.is_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether `name` occurs in `ws` (the words of a text).
fn matches(ws: &[String], name: &str) -> bool {
    let name_words: Vec<&str> = name.split(' ').collect();
    let squashed_name: String = name_words.concat();
    if squashed_name.len() <= 3 {
        // Short names: whole words only ("rds" must not match "records").
        return ws.iter().any(|w| w == &squashed_name);
    }
    // A run of words equal to the name, or the name inside one word.
    if ws.iter().any(|w| w.contains(&squashed_name)) {
        return true;
    }
    let joined = ws.join(" ");
    let padded = format!(" {joined} ");
    padded.contains(&format!(" {name} ")) || joined.replace(' ', "").contains(&squashed_name) && name_words.len() > 1
}

/// The role of a box with this label and id, if any row matches.
pub fn role_of(label: &str, id: &str) -> Option<Role> {
    let mut ws = words(label);
    ws.extend(words(id));
    TABLE
        .iter()
        .find(|(names, _)| names.iter().any(|n| matches(&ws, n)))
        .map(|(_, r)| *r)
}

/// The flavour a label names for a given kind (for boxes whose kind was
/// given by a `pl-<kind>` class).
pub fn flavour_for(kind: &str, label: &str, id: &str) -> Option<&'static str> {
    match role_of(label, id)? {
        Stage(k, f) if k == kind => f,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_camel_case_and_punctuation() {
        assert_eq!(words("SparkEMR"), ["spark", "emr"]);
        assert_eq!(words("Pub/Sub topic"), ["pub", "sub", "topic"]);
        assert_eq!(words("OnPrem"), ["on", "prem"]);
        assert_eq!(words("AWS S3"), ["aws", "s3"]);
    }

    #[test]
    fn services_map_case_insensitively_with_flavours() {
        let cases = [
            ("Amazon Kinesis (Real-Time Data)", "k", Stage("stream", Some("kinesis"))),
            ("Google Pub/Sub", "p", Stage("stream", Some("pubsub"))),
            ("", "SparkEMR", Stage("spark", Some("emr"))),
            ("Hadoop MapReduce", "m", Stage("spark", Some("mapreduce"))),
            ("Cloud Dataproc", "d", Stage("spark", Some("dataproc"))),
            ("AWS Glue (ETL Processing)", "g", Stage("etl", Some("glue"))),
            ("Redshift Spectrum", "r", Stage("warehouse", Some("redshift"))),
            ("BigQuery", "bq", Stage("warehouse", Some("bigquery"))),
            ("amazon s3", "x", Stage("object_store", Some("s3"))),
            ("Cloud Storage bucket", "x", Stage("object_store", Some("gcs"))),
            ("Transfer Appliance", "x", Stage("transfer", Some("transfer_appliance"))),
            ("AWS CloudWatch (Monitoring)", "x", Stage("monitor", None)),
            ("Cloud Monitoring", "x", Stage("monitor", None)),
            ("Vertex AI Vector Search", "x", Stage("dedup", Some("vector_search"))),
            ("Cloud SQL for MySQL", "x", Stage("sql_store", Some("cloud_sql"))),
            ("AWS DMS", "x", Stage("cdc", None)),
            ("Partner Interconnect", "x", Stage("link", Some("interconnect"))),
            ("On-Premises SQL Server", "x", Source),
            ("AWS Lake Formation", "x", Governance(Gov::Access)),
            ("Cloud DLP", "x", Governance(Gov::PiiScan)),
            ("Amazon Macie", "x", Governance(Gov::PiiScan)),
            ("AWS KMS", "x", Governance(Gov::Kms)),
        ];
        for (label, id, want) in cases {
            assert_eq!(role_of(label, id), Some(want), "{label} / {id}");
        }
    }

    #[test]
    fn every_name_in_the_table_is_reachable_as_a_label() {
        for (k, (names, role)) in TABLE.iter().enumerate() {
            for name in *names {
                let got = role_of(name, "").unwrap_or_else(|| panic!("`{name}` maps to nothing"));
                let first = TABLE.iter().position(|(_, r)| *r == got).expect("a row's role");
                assert!(
                    got == *role || first < k,
                    "`{name}` maps to {got:?}, a later row than its own ({role:?})"
                );
            }
        }
    }

    #[test]
    fn short_names_need_a_whole_word() {
        assert_eq!(role_of("records", "x"), None);
        assert_eq!(role_of("Thermostat", "t"), None);
        assert_eq!(role_of("My RDS", "t"), Some(Stage("sql_store", Some("rds"))));
    }
}
