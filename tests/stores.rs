//! `kv_store`, `cdc`, `sql_store` and governance against their published
//! behaviour (DynamoDB partition limits, CQRS replication lag, KMS, reviews).

use pipelab::governance;
use pipelab::models::cdc::differing_records;
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

/// `rate` writes/s of `size` over 256 keys into a table; refused writes drop.
fn table(rate: u32, size: &str, key_extra: &str, table_extra: &str) -> String {
    format!(
        r#"
name = "dynamodb"
seed = 3
duration = "120s"

[[source]]
id = "app"
arrivals = "poisson"
rate = "{rate}/s"
record_size = "{size}"
key_buckets = 256
{key_extra}
to = "table"

[[stage]]
id = "table"
kind = "kv_store"
on_full = "reject"
{table_extra}
"#
    )
}

#[test]
fn a_hot_key_throttles_below_the_tables_capacity_while_uniform_keys_do_not() {
    // 3,000 writes/s of 1 KB into 4 on-demand partitions of 1,000 WCU/s.
    let uniform = run(&table(3000, "1000 B", "", "partitions = 4"));
    assert!(
        uniform.stages["table"].throttled < 1000,
        "{}",
        uniform.stages["table"].throttled
    );
    let hot = run(&table(3000, "1000 B", "hot_key_share = 0.5", "partitions = 4"));
    let t = &hot.stages["table"];
    // Half the load (1,500/s) on one partition of 1,000/s: ~500/s refused.
    assert!(t.throttled > 40_000, "hot throttled {}", t.throttled);
    assert!(extra(&hot, "table", "throttled_hot_partition_share") > 0.9);
    assert!((t.arrived as f64) < 0.9 * 3000.0 * 120.0);
}

#[test]
fn provisioned_capacity_caps_throughput_and_large_items_cost_more_units() {
    // 2,000 WCU provisioned, 3,000 writes/s of 1 KB: about 2,000/s get in.
    let r = run(&table(3000, "1000 B", "", "wcu = \"2000/s\""));
    let per_s = r.stages["table"].arrived as f64 / 120.0;
    assert!(per_s < 2000.0 * 1.02 && per_s > 1900.0, "{per_s}/s");
    // 2.5 KB items cost 3 WCU: about 667/s of the same capacity.
    let big = run(&table(3000, "2500 B", "", "wcu = \"2000/s\""));
    let per_s = big.stages["table"].arrived as f64 / 120.0;
    assert!(per_s < 2000.0 / 3.0 * 1.02 && per_s > 600.0, "{per_s}/s");
    assert_eq!(
        extra(&big, "table", "write_units"),
        3.0 * big.stages["table"].arrived as f64
    );
}

#[test]
fn an_oversized_item_is_a_located_error_and_bad_params_too() {
    let e = scenario::load(&table(10, "500 KB", "", ""), Format::Toml).unwrap_err();
    let s = format!("{e:?}");
    assert!(
        s.contains("source[0].record_size") && s.contains("item size limit"),
        "{s}"
    );
    let e = scenario::load(&table(10, "1 KB", "", "partitions = 0"), Format::Toml).unwrap_err();
    assert!(format!("{e:?}").contains("stage[0].partitions"), "{e:?}");
    let e = scenario::load(&table(10, "1 KB", "", "wcus = 5"), Format::Toml).unwrap_err();
    assert!(format!("{e:?}").contains("did you mean `wcu`"), "{e:?}");
    let e = scenario::load(&table(10, "1 KB", "", "mode = \"provisioned\""), Format::Toml).unwrap_err();
    assert!(format!("{e:?}").contains("stage[0].mode"), "{e:?}");
}

/// 1,000 writes/s into DynamoDB, replicated to an RDS instance of `iops`.
fn cqrs(iops: u32, governance: &str) -> String {
    format!(
        r#"
name = "cqrs"
seed = 7
duration = "120s"

[[source]]
id = "app"
arrivals = "poisson"
rate = "1000/s"
record_size = "500 B"
key_buckets = 64
to = "table"

[[stage]]
id = "table"
kind = "kv_store"
partitions = 4
to = "changes"

[[stage]]
id = "changes"
kind = "cdc"
appliers = 2
propagation = "100ms"
to = "sql"

[[stage]]
id = "sql"
kind = "sql_store"
iops = "{iops}/s"
on_full = "block"
{governance}
"#
    )
}

#[test]
fn cdc_lag_rises_when_the_sql_store_is_too_small_and_stays_low_when_it_is_big_enough() {
    // 600 IOPS / 2 per write = 300 rows/s against 1,000 changes/s.
    let small = run(&cqrs(600, ""));
    assert!(
        extra(&small, "changes", "lag_s") > 60.0,
        "{}",
        extra(&small, "changes", "lag_s")
    );
    assert!(extra(&small, "changes", "records_behind") > 60_000.0);
    let big = run(&cqrs(6000, ""));
    assert!(
        extra(&big, "changes", "max_lag_s") < 1.0,
        "{}",
        extra(&big, "changes", "max_lag_s")
    );
    assert!(extra(&big, "changes", "records_behind") < 200.0);
    for r in [&small, &big] {
        // The consistency check: rows that differ = changes not yet applied
        // (in the change log or held by an applier, or in a transaction not
        // yet committed).
        let differ = differing_records(r, "table", "sql").unwrap();
        let pending = r.stages["changes"].in_flight + r.stages["sql"].in_flight;
        assert_eq!(differ, pending);
        // `records_behind` may still count a held batch the store has
        // partly taken: at most one batch per applier more.
        let behind = extra(r, "changes", "records_behind") as u64;
        assert!(behind >= r.stages["changes"].in_flight && behind <= r.stages["changes"].in_flight + 200);
    }
}

#[test]
fn kms_adds_its_latency_and_one_request_per_write() {
    let plain = run(&cqrs(6000, ""));
    let enc = run(&cqrs(
        6000,
        "[governance]\nencrypted = [\"table\"]\nkms_latency = \"20ms\"\naudit = true",
    ));
    let d = enc.stages["table"].sojourn_s.mean - plain.stages["table"].sojourn_s.mean;
    assert!((d - 0.020).abs() < 0.001, "{d}");
    assert_eq!(extra(&enc, "table", "kms_requests"), enc.stages["table"].arrived as f64);
    assert_eq!(extra(&plain, "table", "kms_requests"), 0.0);
    let sc = scenario::parse(&cqrs(6000, "[governance]\nencrypted = [\"table\"]"), Format::Toml).unwrap();
    assert_eq!(
        governance::evaluate(&sc, &enc).kms_requests,
        enc.stages["table"].arrived
    );
}

const CARDS: &str = r#"
[governance]
audit = true
encrypted = ["table", "sql"]

[[governance.dataset]]
id = "cards"
card_data = true

[[governance.grant]]
principal = "api"
dataset = "cards"
actions = ["write"]

[[governance.grant]]
principal = "etl"
dataset = "cards"
actions = ["read", "write"]

[[governance.access]]
stage = "table"
principal = "api"
dataset = "cards"
action = "write"

[[governance.access]]
stage = "sql"
principal = "etl"
dataset = "cards"
action = "write"
"#;

#[test]
fn the_compliance_check_flags_unencrypted_card_data_wildcards_and_no_audit() {
    let good = scenario::parse(&cqrs(6000, CARDS), Format::Toml).unwrap();
    assert_eq!(governance::check(&good), vec![]);
    let bad_text = CARDS
        .replace("encrypted = [\"table\", \"sql\"]", "encrypted = [\"table\"]")
        .replace("actions = [\"read\", \"write\"]", "actions = [\"*\"]")
        .replace("audit = true", "");
    let bad = scenario::parse(&cqrs(6000, &bad_text), Format::Toml).unwrap();
    let rules: Vec<(String, String)> = governance::check(&bad)
        .into_iter()
        .map(|f| (f.rule, f.subject))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("unencrypted_card_data".into(), "sql".into()),
            ("wildcard_grant".into(), "etl".into()),
            ("no_audit_trail".into(), "scenario".into()),
        ]
    );
    let none = scenario::parse(&cqrs(6000, ""), Format::Toml).unwrap();
    assert_eq!(governance::check(&none)[0].rule, "no_governance");
}

#[test]
fn operations_are_allowed_or_denied_by_grants_and_audited() {
    let text = cqrs(
        6000,
        &CARDS.replace(
            "principal = \"etl\"\ndataset = \"cards\"\nactions",
            "principal = \"other\"\ndataset = \"cards\"\nactions",
        ),
    );
    let r = run(&text);
    let sc = scenario::parse(&text, Format::Toml).unwrap();
    let u = governance::evaluate(&sc, &r);
    assert_eq!(u.allowed, r.stages["table"].arrived);
    assert_eq!(u.denied, r.stages["sql"].arrived);
    assert_eq!(u.audit_events, u.allowed + u.denied);
    assert!(governance::check(&sc).iter().any(|f| f.rule == "access_not_granted"));
    // Denied operations are blocked: every record handed to `sql` is
    // dropped there with reason `denied`, none is delivered; the allowed
    // run delivers them. The counts are in the run JSON under `governance`.
    let sql = &r.stages["sql"];
    assert!(sql.arrived > 100_000, "{}", sql.arrived);
    assert_eq!(sql.dropped_by_reason.get("denied"), Some(&sql.arrived));
    assert_eq!(r.end_to_end.delivered, 0);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["governance"]["denied"], sql.arrived);
    assert_eq!(json["governance"]["allowed"], r.stages["table"].arrived);
    assert_eq!(json["governance"]["audit_events"], u.audit_events);
    assert_eq!(json["governance"]["kms_requests"], u.kms_requests);
    let ok = run(&cqrs(6000, CARDS));
    assert_eq!(ok.stages["sql"].dropped_by_reason.get("denied"), None);
    assert!(ok.end_to_end.delivered > 100_000);
    let g = ok.governance.as_ref().expect("governance counts");
    assert_eq!(
        (g.denied, g.allowed),
        (0, ok.stages["table"].arrived + ok.stages["sql"].arrived)
    );
    assert!(run(&cqrs(6000, "")).governance.is_none());
    let e = scenario::load(&cqrs(6000, "[governance]\nencrypted = [\"tabel\"]"), Format::Toml).unwrap_err();
    assert!(format!("{e:?}").contains("did you mean `table`"), "{e:?}");
}

/// Bigtable with `nodes` nodes fed `rate` rows/s of 4 KB over 256 row
/// keys, aggregated per 100 ms (refused writes are dropped).
fn bigtable(rate: u32, key_extra: &str, nodes: u32) -> RunReport {
    run(&format!(
        r#"
name = "bigtable"
seed = 3
duration = "120s"

[[source]]
id = "app"
arrivals = "poisson"
rate = "{rate}/s"
aggregate = "100ms"
record_size = "4 KB"
key_buckets = 256
{key_extra}
to = "table"

[[stage]]
id = "table"
kind = "kv_store"
flavour = "bigtable"
nodes = {nodes}
on_full = "reject"
"#
    ))
}

#[test]
fn bigtable_admits_nodes_times_the_per_node_rate_and_a_hot_row_key_throttles_one_node() {
    // Row key k lands on node k mod nodes; each SSD node takes 10,000
    // rows/s whatever their size. 40,000 rows/s offered to 3 nodes: every
    // node gets over 13,000/s, so about 30,000/s get in (plus the first
    // second's burst).
    let over = bigtable(40_000, "", 3);
    let per_s = over.stages["table"].arrived as f64 / 120.0;
    assert!(per_s > 29_500.0 && per_s < 30_000.0 * 1.02, "{per_s}/s");
    assert_eq!(
        extra(&over, "table", "write_units"),
        over.stages["table"].arrived as f64
    );
    // Six nodes: 40,000/s is about 6,700/s per node, all admitted.
    let six = bigtable(40_000, "", 6);
    assert_eq!(six.stages["table"].throttled, 0);
    // 20,000 rows/s is under 3 nodes' 30,000/s, but with 70 % on one row
    // key its node gets 14,000/s plus 85/255 of the other 6,000/s = 16,000/s
    // of its 10,000: about 6,000/s refused, all on that node.
    let hot = bigtable(20_000, "hot_key_share = 0.7", 3);
    let refused_per_s = hot.stages["table"].throttled as f64 / 120.0;
    assert!(refused_per_s > 5_700.0 && refused_per_s < 6_300.0, "{refused_per_s}/s");
    assert_eq!(extra(&hot, "table", "throttled_hot_partition_share"), 1.0);
    assert_eq!(bigtable(20_000, "", 3).stages["table"].throttled, 0);
}
