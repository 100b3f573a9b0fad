//! The cost model, checked against hand-computed figures.

use pipelab::cost::{catalogue, CostReport};
use pipelab::run::{self, Overrides};
use pipelab::scenario::schema::Provider;
use pipelab::scenario::{self, Format};

fn cost(text: &str, provider: Option<Provider>) -> CostReport {
    let o = Overrides {
        provider,
        ..Overrides::default()
    };
    let (_, rep) = run::run_text(text, Format::Toml, &o).unwrap_or_else(|e| panic!("{e}"));
    rep.cost.expect("priced")
}

fn line<'a>(c: &'a CostReport, id: &str) -> &'a pipelab::cost::CostLine {
    c.lines
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("no line {id}: {:#?}", c.lines))
}

/// 2 shards for 1 hour; 100 records/s of 1,000 bytes, constant.
const STREAM: &str = r#"
name = "two shards for an hour"
duration = "1h"
[[source]]
id = "in"
arrivals = "constant"
rate = "100/s"
record_size = "1000 B"
to = "s"
[[stage]]
id = "s"
kind = "stream"
shards = 2
"#;

#[test]
fn a_stream_costs_shard_hours_plus_put_units() {
    // By hand: 2 shards × 1 h × $0.015 = $0.03.
    // 100 records/s × 3,600 s = 360,000 records of 1,000 B, each one 25 KB
    // PUT payload unit: 0.36 M units × $0.014 = $0.00504.
    // Total $0.03504 for the hour; × 730 = $25.5792 a month.
    let c = cost(STREAM, None);
    assert_eq!(c.provider, "aws");
    let sh = line(&c, "aws.kinesis.shard_hour");
    assert!((sh.quantity - 2.0).abs() < 1e-9, "{sh:?}");
    assert!((sh.usd - 0.03).abs() < 1e-12, "{sh:?}");
    assert_eq!(
        (sh.unit.as_str(), sh.unit_usd, sh.confirmed),
        ("shard-hour", 0.015, true)
    );
    let put = line(&c, "aws.kinesis.put_payload_units_1m");
    // Constant arrivals at k/100 s for k = 0..: 360,000 or 360,001 in an hour.
    assert!((put.quantity - 0.36).abs() <= 1.1e-6, "{put:?}");
    assert!((put.usd - 0.00504).abs() < 2e-8, "{put:?}");
    assert!((c.total_usd - 0.03504).abs() < 2e-8, "{}", c.total_usd);
    assert!((c.per_month_usd - 0.03504 * 730.0).abs() < 1e-4, "{}", c.per_month_usd);
    assert!((c.per_year_usd - c.per_month_usd * 12.0).abs() < 1e-9);
    let per_m = c.per_million_records_usd.expect("records delivered");
    assert!((per_m - c.total_usd / c.records_delivered as f64 * 1e6).abs() < 1e-12);
    assert!(c.records_delivered > 350_000);
}

/// 10 records/s of 1 MiB into S3 for an hour.
const STORE: &str = r#"
name = "a constant write rate"
duration = "1h"
[[source]]
id = "in"
arrivals = "constant"
rate = "10/s"
record_size = "1 MiB"
to = "o"
[[stage]]
id = "o"
kind = "object_store"
"#;

#[test]
fn storage_is_integrated_over_time() {
    // Stored bytes grow linearly from 0 to 10 MiB/s × 3,600 s, so the
    // integral is the triangle r T² / 2 = 10 MiB/s × (3,600 s)² / 2.
    // In GiB-months: (10/1024 GiB/s) × 6,480,000 s² / 2,628,000 s per month
    // = 0.0240796 GiB-months; × $0.023 = $0.000553831.
    let c = cost(STORE, None);
    let gbm = (10.0 / 1024.0) * 3600.0 * 3600.0 / 2.0 / (730.0 * 3600.0);
    let st = line(&c, "aws.s3.standard_gb_month");
    assert!((st.quantity - gbm).abs() / gbm < 1e-3, "{st:?} vs {gbm}");
    assert!((st.usd - gbm * 0.023).abs() / (gbm * 0.023) < 1e-3, "{st:?}");
    // One PUT per record: 36,000 PUTs = 36 thousand × $0.005 = $0.18.
    let put = line(&c, "aws.s3.put_requests_1k");
    assert!((put.quantity - 36.0).abs() <= 0.0011, "{put:?}");
    assert!((put.usd - 0.18).abs() < 1e-5, "{put:?}");
}

/// A pipeline touching every mapped service.
const PIPE: &str = r#"
name = "every service"
duration = "10min"
[[source]]
id = "in"
arrivals = "poisson"
rate = "50/s"
record_size = "2 KiB"
to = "link"
[[stage]]
id = "link"
kind = "link"
to = "s"
[[stage]]
id = "s"
kind = "stream"
shards = 2
mode = "provisioned"
to = "fn"
[[stage]]
id = "fn"
kind = "function"
duration = "50ms"
to = "o"
[[stage]]
id = "o"
kind = "object_store"
"#;

#[test]
fn aws_and_gcp_reports_trace_every_line_to_the_catalogue() {
    let aws = cost(PIPE, Some(Provider::Aws));
    let gcp = cost(PIPE, Some(Provider::Gcp));
    assert_eq!((aws.provider.as_str(), gcp.provider.as_str()), ("aws", "gcp"));
    for (c, prefix) in [(&aws, "aws."), (&gcp, "gcp.")] {
        assert!(c.total_usd > 0.0);
        for l in &c.lines {
            let row = catalogue::find(&l.id).unwrap_or_else(|| panic!("{} not in the catalogue", l.id));
            assert!(l.id.starts_with(prefix), "{}", l.id);
            assert_eq!((&l.service, &l.item, &l.unit), (&row.service, &row.item, &row.unit));
            assert_eq!(Some(l.unit_usd), row.usd);
            assert!((l.usd - l.quantity * l.unit_usd).abs() <= 1e-12 * l.usd.abs().max(1.0));
        }
        let sum: f64 = c.lines.iter().map(|l| l.usd).sum();
        assert!((sum - c.total_usd).abs() < 1e-12);
    }
    // Pub/Sub bills throughput, not shards.
    assert!(gcp.lines.iter().all(|l| !l.id.contains("shard")));
    let tp = line(&gcp, "gcp.pubsub.throughput_tib");
    assert!(tp.quantity > 0.0);
    // Interconnect's circuit has no published price: said, not guessed.
    assert!(gcp
        .unpriced
        .iter()
        .any(|g| g.stage == "link" && g.reason.contains("no published price")));
    assert!(gcp
        .mapping
        .iter()
        .any(|m| m.stage == "s" && m.to == "Google Cloud Pub/Sub"));
    // Unconfirmed figures are marked.
    assert!(!line(&gcp, "gcp.cloud_functions.cpu_ghz_second").confirmed);
    let pairs = pipelab::cost::report::compare(&aws, &gcp);
    assert_eq!(
        pairs.iter().map(|p| p.stage.as_str()).collect::<Vec<_>>(),
        ["link", "s", "fn", "o"]
    );
}

#[test]
fn an_unknown_price_id_in_an_override_is_a_located_error() {
    let text = format!("{STREAM}\n[cost]\noverrides = {{ \"aws.kinesis.shard_hours\" = 0.01 }}\n");
    let e = scenario::load(&text, Format::Toml).expect_err("invalid").0.remove(0);
    assert_eq!(e.path, "cost.overrides.aws.kinesis.shard_hours", "{e}");
    assert_eq!(e.line, Some(text.lines().count()), "{e}");
    assert!(e.message.contains("did you mean `aws.kinesis.shard_hour`?"), "{e}");
    // A known id is fine, and the override is used and shown.
    let ok = format!("{STREAM}\n[cost]\noverrides = {{ \"aws.kinesis.shard_hour\" = 0.01 }}\n");
    let c = cost(&ok, None);
    let sh = line(&c, "aws.kinesis.shard_hour");
    assert!(sh.overridden && (sh.usd - 0.02).abs() < 1e-12, "{sh:?}");
    assert!(c
        .assumptions
        .iter()
        .any(|a| a.contains("override aws.kinesis.shard_hour")));
}

#[test]
fn a_discount_lowers_exactly_the_named_lines() {
    let plain = cost(STREAM, None);
    let text = format!(
        "{STREAM}\n[cost]\ndiscounts = [{{ items = [\"aws.kinesis.shard_hour\"], fraction = 0.3, note = \"1-year reserved\" }}]\n"
    );
    let disc = cost(&text, None);
    for (a, b) in plain.lines.iter().zip(&disc.lines) {
        if a.id == "aws.kinesis.shard_hour" {
            assert!((b.usd - a.usd * 0.7).abs() < 1e-12, "{b:?}");
            assert!((b.discount_fraction - 0.3).abs() < 1e-12);
        } else {
            assert_eq!(a.usd, b.usd, "{}", a.id);
        }
    }
    assert!(disc.assumptions.iter().any(|a| a.contains("1-year reserved")));
    let bad = format!("{STREAM}\n[cost]\ndiscounts = [{{ items = [\"aws.nope.x\"], fraction = 1.5 }}]\n");
    let errs = scenario::load(&bad, Format::Toml).expect_err("invalid").0;
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].path, "cost.discounts[0].items[0]");
    assert_eq!(errs[1].path, "cost.discounts[0].fraction");
}

#[test]
fn free_tiers_are_prorated_when_asked_for() {
    // Lambda: 1 M requests and 400,000 GB-s free per 730 h month; over a
    // 10-minute run that is 1/4,380 of it.
    let text = "name = \"f\"\nduration = \"10min\"\n[[source]]\nid = \"in\"\narrivals = \"constant\"\nrate = \"10/s\"\nto = \"fn\"\n[[stage]]\nid = \"fn\"\nkind = \"function\"\nduration = \"100ms\"\n[cost]\nfree_tier = true\n";
    let c = cost(text, None);
    let req = line(&c, "aws.lambda.requests_1m");
    assert!((req.free_quantity - req.quantity.min(600.0 / (730.0 * 3600.0))).abs() < 1e-12);
    let gbs = line(&c, "aws.lambda.duration_x86_gb_second");
    // 6,000 invocations × 0.1 s × 0.125 GB ≈ 75 GB-s (plus cold starts),
    // under the 91.3 GB-s free share: nothing to pay.
    assert!(gbs.free_quantity > 0.0 && gbs.usd.abs() < 1e-12, "{gbs:?}");
}

#[test]
fn the_cost_table_keeps_old_files_valid_and_round_trips() {
    let text =
        format!("{STREAM}\n[cost]\nprovider = \"gcp\"\noverrides = {{ \"gcp.pubsub.throughput_tib\" = 35.0 }}\n");
    let sc = scenario::parse(&text, Format::Toml).unwrap();
    let back = scenario::parse(&toml::to_string(&sc).unwrap(), Format::Toml).unwrap();
    assert_eq!(back, sc);
    let json = serde_json::to_string(&sc).unwrap();
    assert_eq!(scenario::parse(&json, Format::Json).unwrap(), sc);
    // The scenario's own provider maps it.
    let c = cost(&text, None);
    assert_eq!(c.provider, "gcp");
    assert_eq!(line(&c, "gcp.pubsub.throughput_tib").unit_usd, 35.0);
    let bad = format!("{STREAM}\n[cost]\nprovidr = \"gcp\"\n");
    assert!(scenario::parse(&bad, Format::Toml).is_err());
}

/// Every built-in maps to both providers and still validates and runs, with
/// every priced line traceable to the catalogue.
#[test]
fn every_builtin_runs_and_prices_on_both_providers() {
    for b in pipelab::scenario::builtin::all() {
        for provider in [
            pipelab::scenario::schema::Provider::Aws,
            pipelab::scenario::schema::Provider::Gcp,
        ] {
            let o = pipelab::run::Overrides {
                provider: Some(provider),
                ..Default::default()
            };
            let (_, r) = pipelab::run::run_text(b.text, pipelab::scenario::Format::Toml, &o)
                .unwrap_or_else(|e| panic!("{} on {provider:?}: {e}", b.name));
            assert!(r.conservation.holds, "{}", b.name);
            let cost = r.cost.expect("priced");
            assert!(cost.total_usd.is_finite() && cost.total_usd >= 0.0, "{}", b.name);
        }
    }
}

#[test]
fn the_running_cost_accrues_over_time_and_ends_at_the_total() {
    // STREAM for an hour: shard-hours accrue linearly and PUT units with the
    // records, so the cost at t is about t/3,600 of the total; S3 storage
    // (STORE) is the integral of a growing store: about (t/T)² of it.
    let c = cost(STREAM, None);
    let s = &c.series;
    // The default resolution (1 h / 256 ≈ 14 s) fits in 512 points.
    assert_eq!(s.len(), 256, "{}", s.len());
    assert_eq!(s.last().unwrap().usd, c.total_usd);
    assert_eq!(s.last().unwrap().t_s, c.simulated_s);
    assert!(s.windows(2).all(|w| w[1].t_s > w[0].t_s && w[1].usd >= w[0].usd));
    let half = s.iter().find(|p| p.t_s >= 1800.0).unwrap();
    let share = half.usd / c.total_usd;
    assert!((share - half.t_s / 3600.0).abs() < 0.002, "{share} at {}", half.t_s);
    let st = cost(STORE, None);
    let store_line = line(&st, "aws.s3.standard_gb_month").usd;
    let puts = line(&st, "aws.s3.put_requests_1k").usd;
    let half = st.series.iter().find(|p| p.t_s >= 1800.0).unwrap();
    let f = half.t_s / 3600.0;
    let expect = store_line * f * f + puts * f;
    assert!((half.usd - expect).abs() / expect < 0.01, "{} vs {expect}", half.usd);
    // In the JSON, under cost.series as {t_s, usd}.
    let (_, rep) = run::run_text(STREAM, Format::Toml, &Overrides::default()).unwrap();
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["cost"]["series"][255]["usd"], c.total_usd);
    assert!(json["cost"]["series"][0]["t_s"].as_f64().unwrap() > 0.0);
}

/// An S3 bucket (encrypted, PII-scanned) whose changes leave through a
/// link to the internet, or to another region.
fn governed(egress: &str, flavour: &str) -> String {
    format!(
        r#"
name = "governed"
duration = "1h"
[[source]]
id = "in"
arrivals = "constant"
rate = "100/s"
record_size = "1 MiB"
to = "table"
[[stage]]
id = "table"
kind = "object_store"
to = "out"
[[stage]]
id = "out"
kind = "link"
flavour = "{flavour}"
bandwidth = "1 GB/s"
egress = "{egress}"
[governance]
encrypted = ["table"]
pii_scan = ["table"]
"#
    )
}

#[test]
fn kms_requests_pii_inspection_and_egress_are_metered() {
    // 100 records/s for an hour: 360,000 PUTs, each one KMS request:
    // 36 × 10,000 requests × $0.03 = $1.08, plus one key for 1/730 month.
    // PII: 360,000 MiB stored = 351.5625 GiB inspected × $1 (unconfirmed).
    // Internet egress: 351.5625 GiB, all in the first tier (10 TB a month
    // prorated to an hour is 14.03 GB): 14.03 GB × $0.09 + the rest × $0.085
    // (next 40 TB prorated = 56.1 GB) + the rest × $0.07.
    let c = cost(&governed("internet", "direct_connect"), None);
    let kms = line(&c, "aws.kms.symmetric_api_requests");
    assert!((kms.quantity - 36.0).abs() <= 0.0002, "{kms:?}");
    assert!((kms.usd - 1.08).abs() < 1e-5, "{kms:?}");
    let key = line(&c, "aws.kms.customer_managed_key");
    assert!((key.quantity - 1.0 / 730.0).abs() < 1e-12, "{key:?}");
    let gib = 360_000.0 / 1024.0;
    let pii = line(&c, "aws.macie.sensitive_data_discovery_first_50_tb");
    assert!((pii.quantity - gib).abs() < 0.01, "{pii:?}");
    assert!(!pii.confirmed, "Macie's price is unconfirmed");
    let month = 1.0 / 730.0;
    let t1 = 10_240.0 * month;
    let t2 = 40_960.0 * month;
    let e1 = line(&c, "aws.data_transfer.internet_egress_first_10_tb_month");
    let e2 = line(&c, "aws.data_transfer.internet_egress_next_40_tb_month");
    let e3 = line(&c, "aws.data_transfer.internet_egress_next_100_tb_month");
    assert!(
        (e1.quantity - t1).abs() < 1e-9 && (e2.quantity - t2).abs() < 1e-9,
        "{e1:?} {e2:?}"
    );
    assert!((e1.quantity + e2.quantity + e3.quantity - gib).abs() < 0.01);
    assert!((e1.usd - t1 * 0.09).abs() < 1e-9);
    // The governance counts in the run agree with the priced quantities.
    let (_, rep) = run::run_text(
        &governed("internet", "direct_connect"),
        Format::Toml,
        &Overrides::default(),
    )
    .unwrap();
    let g = rep.governance.as_ref().unwrap();
    assert_eq!(g.kms_requests as f64, kms.quantity * 1e4);
    assert_eq!(g.pii_gb_inspected, pii.quantity);
    // Inter-region instead: one line at $0.02/GB, no internet lines.
    let ir = cost(&governed("inter_region", "direct_connect"), None);
    let l = line(&ir, "aws.data_transfer.inter_region_us_east_1_other_regions");
    assert!((l.usd - l.quantity * 0.02).abs() < 1e-12 && (l.quantity - gib).abs() < 0.01);
    assert!(!ir.lines.iter().any(|l| l.id.contains("internet_egress")));
    // No egress: no transfer lines.
    let none = cost(&governed("none", "direct_connect"), None);
    assert!(!none.lines.iter().any(|l| l.id.contains("data_transfer")));
    // On GCP: Cloud KMS, Sensitive Data Protection and premium-tier egress
    // (first TiB a month prorated: 1,024/730 GB at $0.12).
    let g = cost(&governed("internet", "direct_connect"), Some(Provider::Gcp));
    assert!((line(&g, "gcp.kms.cryptographic_operations").quantity - 36.0).abs() <= 0.0002);
    assert!((line(&g, "gcp.dlp.content_storage_inspection").quantity - gib).abs() < 0.01);
    let first = line(
        &g,
        "gcp.egress.premium_tier_internet_egress_0_1_tib_worldwide_excl_china",
    );
    assert!((first.quantity - 1024.0 * month).abs() < 1e-9, "{first:?}");
    let second = line(
        &g,
        "gcp.egress.premium_tier_internet_egress_1_10_tib_worldwide_excl_china",
    );
    assert!((second.quantity - 9216.0 * month).abs() < 1e-9, "{second:?}");
}

#[test]
fn a_table_encrypted_by_its_own_parameter_pays_for_kms_requests() {
    // 50 writes/s for 10 minutes into an encrypted DynamoDB table (no
    // [governance] section): DynamoDB caches the table key, so KMS sees one
    // request per 5 minutes (2 in all), not one per write (30,000).
    let text = r#"
name = "encrypted table"
duration = "10min"
[[source]]
id = "in"
arrivals = "constant"
rate = "50/s"
record_size = "500 B"
to = "t"
[[stage]]
id = "t"
kind = "kv_store"
partitions = 2
encrypted = true
"#;
    let (_, rep) = run::run_text(text, Format::Toml, &Overrides::default()).unwrap();
    let c = rep.cost.as_ref().unwrap();
    let kms = line(c, "aws.kms.symmetric_api_requests");
    assert_eq!(
        rep.stages["t"].extra["kms_requests"], 30_000.0,
        "the model still counts each write"
    );
    assert!((kms.quantity * 1e4 - 2.0).abs() < 1e-9, "{kms:?}");
    let plain = cost(&text.replace("encrypted = true", ""), None);
    assert!(!plain.lines.iter().any(|l| l.id.starts_with("aws.kms")));
}

/// Two hours of an on-premises ETL farm and warehouse, and a Redshift RA3
/// cluster: owned capacity is paid by the hour whether busy or not.
const ONPREM_AND_RA3: &str = r#"
name = "on-prem and RA3"
duration = "2h"
[[source]]
id = "in"
arrivals = "constant"
rate = "1/s"
to = "etl"
[[stage]]
id = "etl"
kind = "etl"
flavour = "onprem"
workers = 3
per_record = "1ms"
to = "edw"
[[stage]]
id = "edw"
kind = "warehouse"
flavour = "onprem"
nodes = 4
initial_size = "1 TB"
to = "rs"
[[stage]]
id = "rs"
kind = "warehouse"
node_type = "ra3.4xlarge"
nodes = 2
"#;

#[test]
fn onprem_servers_and_ra3_nodes_are_priced_per_hour_of_the_run() {
    // By hand: ETL 3 servers × 2 h × $6 = $36; warehouse 4 nodes × 2 h × $15
    // = $120; RA3: 2 nodes × 2 h × $3.26 = $13.04. Storage: the on-prem
    // table is 1 TB plus the 7,200 small records loaded, held
    // 2 h of a 730 h month at $0.40 per GB-month.
    let c = cost(ONPREM_AND_RA3, None);
    assert_eq!(c.provider, "mixed");
    assert!((line(&c, "onprem.etl.server_hour").usd - 36.0).abs() < 1e-9);
    assert!((line(&c, "onprem.warehouse.node_hour").usd - 120.0).abs() < 1e-9);
    assert!((line(&c, "aws.redshift.ra3_4xlarge_on_demand").usd - 13.04).abs() < 1e-9);
    let san = line(&c, "onprem.san.gb_month");
    let gb = 1e12 / 1_073_741_824.0;
    assert!(
        san.quantity >= gb * 2.0 / 730.0 && san.quantity < gb * 1.01 * 2.0 / 730.0,
        "{san:?}"
    );
    assert!(!san.confirmed, "on-prem rows are assumptions");
    // RA3 managed storage is billed apart from the nodes.
    line(&c, "aws.redshift.redshift_managed_storage_ra3");
}

#[test]
fn a_node_type_on_a_warehouse_that_is_not_redshift_is_a_located_error() {
    let text = "name = \"x\"\nduration = \"1s\"\n[[source]]\nid = \"in\"\narrivals = \"constant\"\nrate = \"1/s\"\nto = \"w\"\n\
                [[stage]]\nid = \"w\"\nkind = \"warehouse\"\nflavour = \"bigquery\"\nnode_type = \"ra3.4xlarge\"\n";
    let err = match scenario::load(text, Format::Toml) {
        Ok(_) => panic!("accepted a BigQuery node type"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("node_type") && err.contains("Redshift only"), "{err}");
}

#[test]
fn a_sampled_pii_scan_inspects_and_bills_that_share_of_the_bytes() {
    let full = cost(&governed("none", "direct_connect"), None);
    let quarter = cost(
        &format!("{}pii_sample = 0.25\n", governed("none", "direct_connect")),
        None,
    );
    let id = "aws.macie.sensitive_data_discovery_first_50_tb";
    let (f, q) = (line(&full, id).quantity, line(&quarter, id).quantity);
    assert!(f > 0.0 && (q / f - 0.25).abs() < 1e-12, "{f} vs {q}");
    let bad = format!("{}pii_sample = 1.5\n", governed("none", "direct_connect"));
    let e = match pipelab::scenario::load(&bad, Format::Toml) {
        Ok(_) => panic!("pii_sample = 1.5 accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("pii_sample"), "{e}");
}

/// A BigQuery table queried 60 times an hour, each query scanning 1 GiB.
fn bigquery(extra: &str) -> String {
    format!(
        "name = \"bq\"\nduration = \"1h\"\n[[source]]\nid = \"in\"\narrivals = \"constant\"\nrate = \"1/s\"\nto = \"w\"\n\
         [[stage]]\nid = \"w\"\nkind = \"warehouse\"\nflavour = \"bigquery\"\ninitial_size = \"1 GiB\"\n{extra}\
         queries = [{{ class = \"dashboard\", rate = \"60/h\" }}]\n"
    )
}

#[test]
fn bigquery_without_a_reservation_bills_bytes_scanned_and_with_one_bills_slot_hours() {
    let on_demand = cost(&bigquery(""), Some(Provider::Gcp));
    let scanned = line(
        &on_demand,
        "gcp.bigquery.on_demand_query_compute_first_1_tib_month_free",
    );
    assert!(scanned.quantity > 0.0, "{scanned:?}");
    assert!(on_demand
        .lines
        .iter()
        .all(|l| l.id != "gcp.bigquery.standard_edition_pay_as_you_go"));

    // By hand: 100 slots × 1 h × $0.04 = $4, however much is scanned.
    let reserved = cost(&bigquery("slots = 100\n"), Some(Provider::Gcp));
    let slot_hours = line(&reserved, "gcp.bigquery.standard_edition_pay_as_you_go");
    assert!((slot_hours.quantity - 100.0).abs() < 1e-9, "{slot_hours:?}");
    assert!((slot_hours.usd - 4.0).abs() < 1e-9, "{slot_hours:?}");
    assert!(reserved
        .lines
        .iter()
        .all(|l| l.id != "gcp.bigquery.on_demand_query_compute_first_1_tib_month_free"));

    // An explicit on-demand billing keeps per-TiB pricing with a slot cap.
    let capped = cost(&bigquery("slots = 100\nbilling = \"on_demand\"\n"), Some(Provider::Gcp));
    line(&capped, "gcp.bigquery.on_demand_query_compute_first_1_tib_month_free");
}

#[test]
fn bigquery_billing_on_redshift_or_on_demand_beyond_2000_slots_is_a_located_error() {
    let redshift = bigquery("billing = \"capacity\"\n").replace("flavour = \"bigquery\"", "flavour = \"redshift\"");
    let err = scenario::load(&redshift, Format::Toml)
        .expect_err("rejected")
        .to_string();
    assert!(err.contains("billing") && err.contains("BigQuery only"), "{err}");
    let err = scenario::load(&bigquery("slots = 5000\nbilling = \"on_demand\"\n"), Format::Toml)
        .expect_err("rejected")
        .to_string();
    assert!(err.contains("slots") && err.contains("2000"), "{err}");
}
