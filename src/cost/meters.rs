//! Usage meters: each priced stage's usage figures (its report's `extra`)
//! turned into quantities in the units of catalogue rows.
//!
//! Which rows apply depends on the stage's kind and flavour (the flavour is
//! the service: `kinesis` bills shard-hours and PUT payload units, `pubsub`
//! bills throughput per TiB, and so on). Quantities are in the row's `unit`
//! (e.g. 0.36 of "1M units"), so `quantity × usd` is the line's price.
//!
//! Data transfer is metered on `link` stages marked `egress = "internet"`
//! or `"inter_region"` (bytes carried, priced in the provider's monthly
//! volume tiers prorated to the run); KMS requests, KMS keys and PII
//! inspection come from the scenario's `[governance]` section
//! ([`governance`]). Not metered: GET requests (no stage reads objects).
//!
//! On-premises flavours (`etl` and `warehouse` with `flavour = "onprem"`)
//! are priced from the `onprem.*` rows, which are documented assumptions.

use crate::report::StageReport;
use crate::scenario::schema::{Provider, Scenario, StageSpec};
use crate::scenario::units::parse_duration_ns;
use serde::{Deserialize, Serialize};

/// Bytes in a GB as the providers bill it (binary gigabyte, also used for
/// `gb_months` by `object_store`).
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;
/// Bytes in a TiB.
pub const BYTES_PER_TIB: f64 = 1_099_511_627_776.0;

/// Quantity of one catalogue row used by one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    /// Stage id.
    pub stage: String,
    /// Catalogue row id.
    pub id: &'static str,
    /// Quantity in the row's unit.
    pub quantity: f64,
    /// How the quantity was measured (meter names and conversion).
    pub note: String,
    /// True when the quantity itself rests on an unconfirmed figure.
    pub unconfirmed_assumption: bool,
}

/// Something that costs money but is not priced, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// Stage id.
    pub stage: String,
    /// The service (or "" when the kind has none).
    pub service: String,
    /// Why there is no line.
    pub reason: String,
}

/// The stage's flavour as written, or its kind's default.
pub fn flavour_of(spec: &StageSpec) -> String {
    if let Some(f) = spec.params.get("flavour").and_then(|v| v.as_str()) {
        return f.to_string();
    }
    match spec.kind.as_str() {
        "stream" => "kinesis",
        "function" => "lambda",
        "object_store" => "s3",
        "transfer" => "snowball",
        "link" => "direct_connect",
        "etl" => "glue",
        "warehouse" => "redshift",
        "dedup" => "opensearch",
        "kv_store" => "dynamodb",
        "sql_store" => "rds",
        "spark" => "emr",
        _ => "",
    }
    .to_string()
}

/// vCPUs of one Dataflow worker as the meters assume it (n1-standard-4-like).
const DATAFLOW_WORKER_VCPU: f64 = 4.0;
/// Memory of one Dataflow worker as the meters assume it, GB.
const DATAFLOW_WORKER_GB: f64 = 15.0;

/// A `spark` stage's cores per executor (default 4).
fn cores_per_executor(spec: &StageSpec) -> f64 {
    spec.params.get("cores").and_then(|v| v.as_u64()).unwrap_or(4) as f64
}

fn param_str<'a>(spec: &'a StageSpec, key: &str) -> Option<&'a str> {
    spec.params.get(key).and_then(|v| v.as_str())
}

fn param_duration_s(spec: &StageSpec, key: &str) -> Option<f64> {
    param_str(spec, key)
        .and_then(|s| parse_duration_ns(s).ok())
        .map(|ns| ns as f64 / 1e9)
}

/// Cloud Functions (1st gen) CPU clock for a memory size, in GHz: the
/// published tier table (128 MB → 0.2 GHz … 4 GB and up → 4.8 GHz). Not in
/// the stored sources, so lines using it are marked unconfirmed.
pub fn gcf_ghz(memory_mb: u64) -> f64 {
    const TIERS: &[(u64, f64)] = &[
        (128, 0.2),
        (256, 0.4),
        (512, 0.8),
        (1024, 1.4),
        (2048, 2.4),
        (4096, 4.8),
    ];
    TIERS
        .iter()
        .find(|(mb, _)| memory_mb <= *mb)
        .map_or(4.8, |(_, ghz)| *ghz)
}

/// The usage of one stage in catalogue units, and what could not be priced.
/// `simulated_s` is the length of the run in seconds.
pub fn meter(spec: &StageSpec, rep: &StageReport, simulated_s: f64) -> (Vec<Usage>, Vec<Gap>) {
    let x = |k: &str| rep.extra.get(k).copied().unwrap_or(0.0);
    let mut use_ = Vec::new();
    let mut gaps = Vec::new();
    let mut add = |id: &'static str, quantity: f64, note: String, unconfirmed: bool| {
        use_.push(Usage {
            stage: spec.id.clone(),
            id,
            quantity,
            note,
            unconfirmed_assumption: unconfirmed,
        })
    };
    let mut gap = |service: &str, reason: &str| {
        gaps.push(Gap {
            stage: spec.id.clone(),
            service: service.to_string(),
            reason: reason.to_string(),
        })
    };
    let hours = simulated_s / 3600.0;
    match (spec.kind.as_str(), flavour_of(spec).as_str()) {
        ("stream", "kinesis") => {
            if param_str(spec, "mode") == Some("on_demand") {
                add(
                    "aws.kinesis.on_demand_stream_hour",
                    hours,
                    "simulated hours".into(),
                    false,
                );
                add(
                    "aws.kinesis.on_demand_data_in_gb",
                    x("bytes_in") / BYTES_PER_GB,
                    "bytes_in / 2^30 (the 1 KB per-record rounding is not applied)".into(),
                    false,
                );
                add(
                    "aws.kinesis.on_demand_data_out_gb",
                    x("bytes_out") / BYTES_PER_GB,
                    "bytes_out / 2^30".into(),
                    false,
                );
            } else {
                let sh = x("shard_hours");
                add(
                    "aws.kinesis.shard_hour",
                    sh,
                    "shard_hours (integrated over resharding)".into(),
                    false,
                );
                add(
                    "aws.kinesis.put_payload_units_1m",
                    x("put_payload_units") / 1e6,
                    "put_payload_units / 10^6 (25 KB units of the bytes written)".into(),
                    false,
                );
                if param_duration_s(spec, "retention").is_some_and(|r| r > 86_400.0) {
                    add(
                        "aws.kinesis.extended_retention_shard_hour",
                        sh,
                        "shard_hours, retention above 24 h".into(),
                        false,
                    );
                    if param_duration_s(spec, "retention").is_some_and(|r| r > 7.0 * 86_400.0) {
                        gap(
                            "Amazon Kinesis Data Streams",
                            "retention above 7 days bills stored GB-months, which the stream does not meter",
                        );
                    }
                }
                if spec.params.get("enhanced_fan_out").and_then(|v| v.as_bool()) == Some(true) {
                    add(
                        "aws.kinesis.efo_consumer_shard_hour",
                        sh,
                        "shard_hours × 1 registered consumer".into(),
                        false,
                    );
                    add(
                        "aws.kinesis.efo_retrieval_gb",
                        x("bytes_out") / BYTES_PER_GB,
                        "bytes_out / 2^30".into(),
                        false,
                    );
                }
            }
        }
        ("stream", "pubsub") => add(
            "gcp.pubsub.throughput_tib",
            (x("bytes_in") + x("bytes_out")) / BYTES_PER_TIB,
            "(bytes_in + bytes_out) / 2^40: publish plus delivery, no shards billed; the 1,000-byte \
             minimum per request is not applied (request batching is not modelled)"
                .into(),
            false,
        ),
        ("stream", "kafka") => gap(
            "Apache Kafka",
            "Kafka (self-managed or managed) has no price in the catalogue; price its brokers as instances",
        ),
        ("function", "lambda") => {
            add(
                "aws.lambda.requests_1m",
                x("invocations") / 1e6,
                "invocations / 10^6".into(),
                false,
            );
            add(
                "aws.lambda.duration_x86_gb_second",
                x("gb_seconds"),
                "gb_seconds (memory × occupied time, cold starts included; no 1 ms rounding)".into(),
                false,
            );
        }
        ("function", "cloud_functions") => {
            let mem = spec.params.get("memory_mb").and_then(|v| v.as_u64()).unwrap_or(256);
            let ghz = gcf_ghz(mem);
            let seconds = x("gb_seconds") * 1024.0 / mem as f64;
            add(
                "gcp.cloud_functions.invocations_1m",
                x("invocations") / 1e6,
                "invocations / 10^6".into(),
                false,
            );
            add(
                "gcp.cloud_functions.memory_gb_second",
                x("gb_seconds"),
                "gb_seconds (memory × occupied time)".into(),
                false,
            );
            add(
                "gcp.cloud_functions.cpu_ghz_second",
                seconds * ghz,
                format!("occupied seconds × {ghz} GHz for {mem} MB (1st-gen tier table; not in the stored sources)"),
                true,
            );
        }
        ("object_store", "s3") => {
            add(
                "aws.s3.put_requests_1k",
                x("put_requests") / 1e3,
                "put_requests / 10^3".into(),
                false,
            );
            add(
                "aws.s3.standard_gb_month",
                x("gb_months_standard"),
                "gb_months_standard (stored bytes integrated over time)".into(),
                false,
            );
        }
        ("object_store", "gcs") => {
            add(
                "gcp.gcs.class_a_10k",
                x("put_requests") / 1e4,
                "put_requests / 10^4 (writes are Class A operations)".into(),
                false,
            );
            add(
                "gcp.gcs.standard_regional_gib_month",
                x("gb_months_standard"),
                "gb_months_standard (stored bytes integrated over time)".into(),
                false,
            );
        }
        ("transfer", "snowball") => {
            add(
                "aws.snowball.job",
                x("devices_shipped"),
                "devices_shipped (one job per device trip); days on site beyond the included ~10 are not metered"
                    .into(),
                false,
            );
        }
        ("transfer", "transfer_appliance") => add(
            "gcp.transfer_appliance.usage_fee",
            x("devices_shipped"),
            "devices_shipped (one usage fee per appliance trip)".into(),
            false,
        ),
        ("link", "direct_connect") => add(
            "aws.direct_connect.port_1g_hour",
            hours,
            "simulated hours of one dedicated 1 Gbps port (other port speeds are not in the catalogue); data \
             in is free; bytes leaving AWS are billed only with `egress` set"
                .into(),
            false,
        ),
        ("link", "interconnect") => add(
            "gcp.interconnect.circuit_10g_hour",
            hours,
            "simulated hours of one 10 Gbps circuit; ingress is free; egress is billed only with `egress` set".into(),
            false,
        ),
        ("link", "vpn") => gap("Site-to-site VPN", "no VPN price in the catalogue"),
        ("etl", "glue") => add(
            "aws.glue.spark_etl_job_standard",
            x("dpu_hours"),
            "dpu_hours (DPUs × run time, start-up included; the 1-minute minimum is not applied)".into(),
            false,
        ),
        ("etl", "dataflow") => {
            let streaming = param_str(spec, "mode") == Some("streaming");
            let vcpu = x("dpu_hours") * DATAFLOW_WORKER_VCPU;
            if streaming {
                add(
                    "gcp.dataflow.streaming_worker_vcpu",
                    vcpu,
                    format!("worker-hours × {DATAFLOW_WORKER_VCPU} vCPU (assumed worker size)"),
                    true,
                );
            } else {
                add(
                    "gcp.dataflow.batch_worker_vcpu",
                    vcpu,
                    format!("worker-hours × {DATAFLOW_WORKER_VCPU} vCPU (assumed worker size)"),
                    true,
                );
            }
            add(
                "gcp.dataflow.batch_worker_memory",
                x("dpu_hours") * DATAFLOW_WORKER_GB,
                format!(
                    "worker-hours × {DATAFLOW_WORKER_GB} GB (assumed worker size; the batch memory rate is used \
                     for streaming too)"
                ),
                true,
            );
        }
        ("spark", _) if param_str(spec, "hosting") == Some("on_prem") => {
            let inst = x("executor_hours") * cores_per_executor(spec) / 4.0;
            add(
                "onprem.hadoop.node_share_4core_hour",
                inst,
                "executor_hours × cores / 4 (the owner's servers, counted in 4-core shares, always on)".into(),
                true,
            );
        }
        ("spark", "emr") | ("spark", "mapreduce") => {
            let inst = x("executor_hours") * cores_per_executor(spec) / 4.0;
            add(
                "aws.ec2.m5_xlarge_linux_on_demand",
                inst,
                "executor_hours × cores / 4 (one m5.xlarge, 4 vCPU, per 4 executor cores)".into(),
                false,
            );
            add(
                "aws.emr.emr_uplift_for_m5_xlarge_on_top_of_ec2",
                inst,
                "the same m5.xlarge instance-hours".into(),
                false,
            );
        }
        ("spark", "dataproc") => {
            let vcpu = x("executor_hours") * cores_per_executor(spec);
            add(
                "gcp.compute_engine.n2_standard_4_on_demand_list",
                vcpu / 4.0,
                "executor_hours × cores / 4 (one n2-standard-4 per 4 executor cores)".into(),
                false,
            );
            add(
                "gcp.dataproc.dataproc_uplift_on_compute_engine",
                vcpu,
                "executor_hours × cores (vCPU-hours)".into(),
                false,
            );
        }
        ("warehouse", "redshift") => {
            let nodes = x("nodes").max(1.0);
            let node_type = param_str(spec, "node_type").unwrap_or("dc2.large");
            let (row, managed_storage) = match node_type {
                "dc2.8xlarge" => ("aws.redshift.dc2_8xlarge_on_demand", false),
                "ra3.xlplus" => ("aws.redshift.ra3_xlplus_on_demand", true),
                "ra3.4xlarge" => ("aws.redshift.ra3_4xlarge_on_demand", true),
                "ra3.16xlarge" => ("aws.redshift.ra3_16xlarge_on_demand", true),
                _ => ("aws.redshift.dc2_large_on_demand", false),
            };
            add(
                row,
                nodes * hours,
                format!("{nodes} {node_type} nodes × simulated hours (on demand)"),
                false,
            );
            if managed_storage {
                // RA3 bills managed storage apart from the nodes; the table's
                // size at the end of the run, held for the whole run.
                add(
                    "aws.redshift.redshift_managed_storage_ra3",
                    x("table_bytes") / BYTES_PER_GB * hours / 730.0,
                    "final table bytes / 2^30 × hours / 730".into(),
                    false,
                );
            }
            add(
                "aws.redshift.redshift_spectrum_data_scanned",
                x("spectrum_bytes_billed") / 1e12,
                "spectrum_bytes_billed / 10^12 (at least 10 MiB per query)".into(),
                false,
            );
        }
        ("warehouse", "onprem") => {
            let nodes = x("nodes").max(1.0);
            add(
                "onprem.warehouse.node_hour",
                nodes * hours,
                format!("{nodes} on-premises warehouse nodes × simulated hours (owned: paid busy or idle)"),
                true,
            );
            add(
                "onprem.san.gb_month",
                x("table_bytes") / BYTES_PER_GB * hours / 730.0,
                "final table bytes / 2^30 × hours / 730".into(),
                true,
            );
        }
        ("etl", "onprem") => {
            let servers = spec
                .params
                .get("workers")
                .or_else(|| spec.params.get("max_workers"))
                .and_then(|v| v.as_f64())
                .unwrap_or(10.0);
            add(
                "onprem.etl.server_hour",
                servers * hours,
                format!("{servers} on-premises ETL servers × simulated hours (owned: paid busy or idle)"),
                true,
            );
        }
        ("warehouse", "bigquery") => {
            let slots = spec.params.get("slots").and_then(|v| v.as_f64());
            let capacity = match param_str(spec, "billing") {
                Some(b) => b == "capacity",
                None => slots.is_some(),
            };
            if capacity {
                // A reservation bills its slots every hour, busy or idle.
                let slots = slots.unwrap_or(2000.0);
                add(
                    "gcp.bigquery.standard_edition_pay_as_you_go",
                    slots * hours,
                    format!("{slots} reserved slots × simulated hours (capacity billing)"),
                    false,
                );
            } else {
                add(
                    "gcp.bigquery.on_demand_query_compute_first_1_tib_month_free",
                    x("bytes_billed") / (1u64 << 40) as f64,
                    "bytes_billed / 2^40 (on demand: each query's bytes rounded up to the MiB, at least 10 MiB \
                     per table referenced)"
                        .into(),
                    false,
                );
            }
        }
        ("dedup", "opensearch") => {
            let nodes = x("nodes").max(1.0);
            add(
                "aws.opensearch.r6g_large_search_on_demand",
                nodes * hours,
                format!("{nodes} r6g.large.search nodes × simulated hours"),
                true,
            );
        }
        ("dedup", "vector_search") => gap("Vertex AI Vector Search", "no index-node price in the catalogue"),
        ("kv_store", "dynamodb") => {
            if param_str(spec, "mode") == Some("provisioned") {
                let wcu = spec.params.get("wcu").and_then(|v| v.as_f64()).unwrap_or(0.0);
                add(
                    "aws.dynamodb.provisioned_write_capacity",
                    wcu * hours,
                    format!("{wcu} WCU provisioned × simulated hours"),
                    false,
                );
            } else {
                add(
                    "aws.dynamodb.on_demand_write_request_units",
                    x("write_units") / 1e6,
                    "write_units / 10^6 (one WRU per started KB)".into(),
                    false,
                );
            }
            // Storage grows from zero during the run: about half the final
            // size on average (a linear-growth approximation).
            add(
                "aws.dynamodb.table_storage_standard_class",
                x("stored_bytes") / (1u64 << 30) as f64 / 2.0 * hours / 730.0,
                "final stored bytes / 2 × hours / 730 (linear growth assumed)".into(),
                true,
            );
        }
        ("kv_store", "bigtable") => {
            let nodes = spec.params.get("nodes").and_then(|v| v.as_f64()).unwrap_or(1.0);
            add(
                "gcp.bigtable.ssd_cluster_node",
                nodes * hours,
                format!("{nodes} nodes × simulated hours"),
                false,
            );
        }
        ("sql_store", "rds") => add(
            "aws.rds.mysql_db_m5_large_single_az",
            hours,
            "one instance × simulated hours (priced as db.m5.large)".into(),
            false,
        ),
        ("sql_store", "cloud_sql") => {
            add(
                "gcp.cloud_sql.enterprise_edition_vcpu_zonal",
                2.0 * hours,
                "2 vCPU × simulated hours (db.m5.large equivalent)".into(),
                false,
            );
            add(
                "gcp.cloud_sql.enterprise_edition_memory_zonal",
                8.0 * hours,
                "8 GB × simulated hours".into(),
                false,
            );
        }
        ("cdc", _) => gap(
            "DynamoDB Streams / Datastream",
            "stream reads by the applier are not priced (free for DynamoDB Streams read by Lambda)",
        ),
        ("monitor", _) => gap(
            "Amazon CloudWatch / Cloud Monitoring",
            "alarms and metrics are not priced (a few dollars a month at most)",
        ),
        (kind, f) => {
            if let Some(k) = crate::models::kind_info(kind) {
                if !k.aws.is_empty() {
                    gap(k.aws, &format!("flavour `{f}` has no prices in the catalogue"));
                }
            }
        }
    }
    if spec.kind == "link" {
        let gcp = flavour_of(spec) == "interconnect";
        let gb = x("bytes_carried") / BYTES_PER_GB;
        let months = simulated_s / super::report::SECONDS_PER_MONTH;
        match param_str(spec, "egress") {
            Some("internet") => {
                let tiers: &[(&'static str, f64)] = if gcp {
                    &[
                        (
                            "gcp.egress.premium_tier_internet_egress_0_1_tib_worldwide_excl_china",
                            1024.0,
                        ),
                        (
                            "gcp.egress.premium_tier_internet_egress_1_10_tib_worldwide_excl_china",
                            9216.0,
                        ),
                        (
                            "gcp.egress.premium_tier_internet_egress_over_10_tib_worldwide_excl_china",
                            f64::INFINITY,
                        ),
                    ]
                } else {
                    &[
                        ("aws.data_transfer.internet_egress_first_10_tb_month", 10_240.0),
                        ("aws.data_transfer.internet_egress_next_40_tb_month", 40_960.0),
                        // Beyond 150 TB a month AWS has cheaper tiers not in the catalogue.
                        ("aws.data_transfer.internet_egress_next_100_tb_month", f64::INFINITY),
                    ]
                };
                for (id, q) in tiered(gb, months, tiers) {
                    add(
                        id,
                        q,
                        "bytes_carried / 2^30 in this monthly volume tier (tiers prorated to the run, counted \
                         for this link alone)"
                            .into(),
                        false,
                    );
                }
            }
            Some("inter_region") => add(
                if gcp {
                    "gcp.egress.inter_region_within_north_america"
                } else {
                    "aws.data_transfer.inter_region_us_east_1_other_regions"
                },
                gb,
                "bytes_carried / 2^30 (inter-region transfer out)".into(),
                false,
            ),
            _ => {}
        }
    }
    (use_, gaps)
}

/// Splits `quantity` (in a row's unit, over a run of `months`) over monthly
/// volume tiers `(row id, tier size per month)`: each tier's size is
/// prorated to the run; the last tier takes the rest. Zero-quantity tiers
/// are left out (but the first tier always appears).
pub fn tiered(quantity: f64, months: f64, tiers: &[(&'static str, f64)]) -> Vec<(&'static str, f64)> {
    let mut left = quantity;
    let mut out = Vec::new();
    for (i, &(id, per_month)) in tiers.iter().enumerate() {
        let cap = if i + 1 == tiers.len() {
            f64::INFINITY
        } else {
            per_month * months
        };
        let q = left.min(cap);
        if q > 0.0 || i == 0 {
            out.push((id, q));
        }
        left -= q;
        if left <= 0.0 {
            break;
        }
    }
    out
}

/// Usage governance adds to stage `spec`: for a stage encrypted (listed in
/// `[governance] encrypted`, or `encrypted = true`), KMS requests (a key
/// store refreshes its cached table key every 5 minutes, a SQL instance
/// decrypts its data key once, other stages ask per record: their
/// `kms_requests`, else one per record taken) and one
/// customer-managed key, and GB inspected by PII
/// scanning (Macie / Sensitive Data Protection) for stages in `pii_scan`,
/// on the provider the stage runs on (`default` when its flavour exists on
/// both sides).
pub fn governance(
    sc: &Scenario,
    spec: &StageSpec,
    rep: &StageReport,
    simulated_s: f64,
    default: Provider,
) -> Vec<Usage> {
    let gcp = super::mapping::side_of(&spec.kind, &flavour_of(spec)).unwrap_or(default) == Provider::Gcp;
    let mut out = Vec::new();
    let mut add = |id: &'static str, quantity: f64, note: String| {
        out.push(Usage {
            stage: spec.id.clone(),
            id,
            quantity,
            note,
            unconfirmed_assumption: false,
        })
    };
    if crate::governance::is_encrypted(sc, &spec.id) {
        // Who calls KMS how often depends on where the encryption happens.
        // DynamoDB caches its table key and asks KMS again about every five
        // minutes; RDS decrypts the instance's data key when the instance
        // starts; object stores without bucket keys (SSE-KMS) and
        // client-side envelope encryption ask once per object or record.
        let (requests, how) = match spec.kind.as_str() {
            "kv_store" => (
                libm::ceil(simulated_s / 300.0),
                "table key cached by DynamoDB / Bigtable: one request per 5 minutes",
            ),
            "sql_store" => (1.0, "instance data key decrypted once at start (RDS / Cloud SQL)"),
            _ => match rep.extra.get("kms_requests") {
                Some(k) => (*k, "kms_requests"),
                None => (rep.arrived as f64, "one request per record taken (arrived)"),
            },
        };
        let (req_id, key_id) = if gcp {
            ("gcp.kms.cryptographic_operations", "gcp.kms.software_key_version")
        } else {
            ("aws.kms.symmetric_api_requests", "aws.kms.customer_managed_key")
        };
        add(
            req_id,
            requests / 1e4,
            format!("{how} / 10^4 (encrypted in [governance])"),
        );
        add(
            key_id,
            simulated_s / super::report::SECONDS_PER_MONTH,
            "one key for the stage × months of the run".into(),
        );
    }
    if sc.governance.as_ref().is_some_and(|g| g.pii_scan.contains(&spec.id)) {
        add(
            if gcp {
                "gcp.dlp.content_storage_inspection"
            } else {
                "aws.macie.sensitive_data_discovery_first_50_tb"
            },
            crate::governance::pii_bytes(sc, rep) / BYTES_PER_GB,
            "pii_sample × stored_bytes (else bytes_written) / 2^30: what the stage holds is inspected once".into(),
        );
    }
    out
}
