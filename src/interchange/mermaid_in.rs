//! A Mermaid flowchart → a runnable [`Scenario`].
//!
//! ```text
//!  flowchart text ──mermaid_syntax::parse──▶ Flowchart ──import──▶ Scenario + unmapped + notes
//! ```
//!
//! - **Boxes** become stages of the kind their label or id names (see
//!   [`super::services`]), with that service's flavour and reasonable
//!   defaults; a `pl-<kind>` class (`class A pl-stream`, `A:::pl-stream`)
//!   names the kind outright (exported diagrams carry one). Boxes that are
//!   where records come from (on-premises systems, apps, devices) become
//!   `[[source]]`s; governance services (IAM, Lake Formation, KMS, Macie,
//!   DLP, CloudTrail) become `[governance]` entries for the stages they
//!   link to. A box nothing matches runs as a `delay` placeholder and is
//!   listed in [`Imported::unmapped`].
//! - **Subgraphs** become regions (a stage's innermost subgraph's title).
//! - **Solid and thick links** are data links (`to`); a box with several
//!   outgoing data links feeds a `router` (`<id>_fanout`, equal weights).
//!   A link labelled "dead letter" / "DLQ" sets `dead_letter`.
//! - **Dotted links** from a monitor are alarm actions on the target (a
//!   stream is scaled ×2, anything else is sent a notification); links
//!   into a monitor (of any style) say what it watches. A dotted link
//!   between two data boxes carries data all the same (pipelab has no
//!   other kind of control link) and a note says so.
//! - Stages nothing feeds get a source (`<id>_in`, 100 records/s of 1 KB;
//!   a 10 TB bulk load into a transfer device). The run lasts an hour, or
//!   four days when the diagram has a transfer device (then the added
//!   streams carry 10 records/s, aggregated per second, to stay quick). A link that would close a
//!   cycle is left out, with a note, so the scenario always compiles.

use super::mermaid_syntax::{self, Flowchart, LinkStyle, MermaidError};
use super::services::{self, Gov, Role};
use crate::scenario::schema::Scenario;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A box the importer could not map to a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmapped {
    pub id: String,
    pub label: String,
    /// Line of its first mention in the diagram.
    pub line: usize,
    /// The kind it runs as meanwhile.
    pub placeholder: String,
}

impl Unmapped {
    /// What to tell the user.
    pub fn message(&self) -> String {
        let kinds: Vec<&str> = crate::models::KINDS.iter().map(|k| k.name).collect();
        format!(
            "line {}: `{}` (\"{}\") names no known service: it runs as a `{}` placeholder; choose its kind ({}) in the scenario, or add `class {} pl-<kind>` to the diagram",
            self.line,
            self.id,
            self.label,
            self.placeholder,
            kinds.join(", "),
            self.id
        )
    }
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario: Scenario,
    /// Boxes that matched no service (empty when every node was mapped).
    pub unmapped: Vec<Unmapped>,
    /// What the importer decided where the diagram was ambiguous.
    pub notes: Vec<String>,
    /// The parsed diagram.
    pub chart: Flowchart,
}

/// The placeholder kind of unmapped boxes.
pub const PLACEHOLDER_KIND: &str = "delay";

/// Default arrival rate of added sources.
const SOURCE_RATE: &str = "100/s";
/// Default arrival rate of added sources when the diagram has a transfer device.
const SOURCE_RATE_WITH_TRANSFER: &str = "10/s";

#[derive(Clone, Debug, PartialEq)]
enum NodeRole {
    Stage {
        kind: String,
        flavour: Option<&'static str>,
    },
    Source,
    Gov(Gov),
}

fn is_dead_letter_label(l: &str) -> bool {
    let w = services::words(l).join(" ");
    w.contains("dead letter") || w == "dlq" || w.starts_with("dlq ") || w.contains("deadletter")
}

fn db_like(label: &str, id: &str) -> bool {
    let mut ws = services::words(label);
    ws.extend(services::words(id));
    ws.iter().any(|w| {
        matches!(
            w.as_str(),
            "sql"
                | "database"
                | "db"
                | "oracle"
                | "postgres"
                | "postgresql"
                | "mysql"
                | "mariadb"
                | "server"
                | "mainframe"
        )
    })
}

/// Default kind parameters for an imported stage.
fn defaults(kind: &str, flavour: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(f) = flavour {
        m.insert("flavour".into(), json!(f));
    }
    match kind {
        "stream" => match flavour {
            Some("kafka") => {
                m.insert("partitions".into(), json!(4));
            }
            Some("pubsub") => {}
            _ => {
                m.insert("shards".into(), json!(2));
            }
        },
        "etl" => {
            m.insert("mode".into(), json!("streaming"));
            m.insert("workers".into(), json!(2));
            m.insert("per_record".into(), json!("2ms"));
        }
        "spark" => {
            m.insert("executors".into(), json!(2));
            m.insert("cores".into(), json!(4));
            m.insert("per_record".into(), json!("1ms"));
        }
        "function" => {
            m.insert("duration".into(), json!("100ms"));
        }
        "batcher" => {
            m.insert("size".into(), json!(500));
            m.insert("window".into(), json!("60s"));
        }
        "queue" => {
            m.insert("servers".into(), json!(4));
            m.insert("service".into(), json!({"dist": "exponential", "mean": "10ms"}));
        }
        "delay" => {
            m.insert("delay".into(), json!("10ms"));
        }
        _ => {}
    }
    m
}

/// An id not yet taken, from `base`.
fn fresh(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}{n}");
        n += 1;
    }
    taken.insert(id.clone());
    id
}

/// Whether `to` reaches `from` over `edges` (adding from → to would close a cycle).
fn reaches(edges: &BTreeMap<String, Vec<String>>, start: &str, goal: &str) -> bool {
    let mut stack = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == goal {
            return true;
        }
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(next) = edges.get(&n) {
            stack.extend(next.iter().cloned());
        }
    }
    false
}

/// An import as a scenario document (the scenario's fields as JSON), for
/// shells that run it from text without the typed [`Scenario`] (the
/// browser's worker: no second deserializer for the schema).
#[derive(Clone, Debug)]
pub struct ImportedDoc {
    pub doc: Value,
    pub unmapped: Vec<Unmapped>,
    pub notes: Vec<String>,
    pub chart: Flowchart,
}

/// Parses a Mermaid flowchart and maps it to a scenario.
pub fn import(text: &str) -> Result<Imported, MermaidError> {
    let d = import_doc(text)?;
    let node = crate::scenario::tree::Node::from_value(&d.doc);
    let scenario: Scenario = crate::scenario::tree::deserialize(&node, crate::scenario::tree::Mode::Value, "")
        .map_err(|e| MermaidError {
            line: 0,
            message: format!(
                "internal: the imported scenario does not fit the schema: {}",
                e.message_for(crate::scenario::tree::Mode::Value)
            ),
        })?;
    Ok(Imported {
        scenario,
        unmapped: d.unmapped,
        notes: d.notes,
        chart: d.chart,
    })
}

/// Parses a Mermaid flowchart and maps it to a scenario document.
pub fn import_doc(text: &str) -> Result<ImportedDoc, MermaidError> {
    let chart = mermaid_syntax::parse(text)?;
    let mut notes = Vec::new();
    let mut unmapped = Vec::new();

    // 1. Roles.
    let mut roles: BTreeMap<String, NodeRole> = BTreeMap::new();
    for n in &chart.nodes {
        let label = n.label.clone().unwrap_or_default();
        let explicit = n.classes.iter().find_map(|c| {
            let k = c.strip_prefix("pl-")?;
            if k == "source" {
                return Some(NodeRole::Source);
            }
            let info = crate::models::kind_info(k)?;
            Some(NodeRole::Stage {
                kind: info.name.to_string(),
                flavour: services::flavour_for(info.name, &label, &n.id),
            })
        });
        let role = explicit.or_else(|| {
            services::role_of(&label, &n.id).map(|r| match r {
                Role::Stage(k, f) => NodeRole::Stage {
                    kind: k.to_string(),
                    flavour: f,
                },
                Role::Source => NodeRole::Source,
                Role::Governance(g) => NodeRole::Gov(g),
            })
        });
        let role = role.unwrap_or_else(|| {
            unmapped.push(Unmapped {
                id: n.id.clone(),
                label: label.clone(),
                line: n.line,
                placeholder: PLACEHOLDER_KIND.into(),
            });
            NodeRole::Stage {
                kind: PLACEHOLDER_KIND.into(),
                flavour: None,
            }
        });
        roles.insert(n.id.clone(), role);
    }
    let is_monitor = |roles: &BTreeMap<String, NodeRole>, id: &str| matches!(roles.get(id), Some(NodeRole::Stage { kind, .. }) if kind == "monitor");

    // 2. Links by meaning.
    let mut data: Vec<(String, String, usize)> = Vec::new();
    let mut dead: Vec<(String, String)> = Vec::new();
    let mut watches: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut actions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut gov_links: Vec<(String, String)> = Vec::new();
    for e in &chart.edges {
        if e.style == LinkStyle::Invisible {
            continue;
        }
        if e.from == e.to {
            notes.push(format!("line {}: link from `{}` to itself left out", e.line, e.from));
            continue;
        }
        let (Some(rf), Some(rt)) = (roles.get(&e.from), roles.get(&e.to)) else {
            continue;
        };
        if let NodeRole::Gov(_) = rf {
            gov_links.push((e.from.clone(), e.to.clone()));
            continue;
        }
        if let NodeRole::Gov(_) = rt {
            gov_links.push((e.to.clone(), e.from.clone()));
            continue;
        }
        match (is_monitor(&roles, &e.from), is_monitor(&roles, &e.to)) {
            (true, true) => {
                notes.push(format!("line {}: link between two monitors left out", e.line));
                continue;
            }
            (false, true) => {
                push_unique(watches.entry(e.to.clone()).or_default(), &e.from);
                continue;
            }
            (true, false) => {
                push_unique(actions.entry(e.from.clone()).or_default(), &e.to);
                continue;
            }
            _ => {}
        }
        if e.style == LinkStyle::Dotted {
            notes.push(format!(
                "line {}: dotted link `{}` -.-> `{}` carries data (only links from a monitor are control links)",
                e.line, e.from, e.to
            ));
        }
        if e.both_ways {
            notes.push(format!(
                "line {}: two-way link `{}` <--> `{}` taken as data from `{}` to `{}`",
                e.line, e.from, e.to, e.from, e.to
            ));
        }
        if e.label.as_deref().is_some_and(is_dead_letter_label) {
            if !dead.iter().any(|(f, _)| f == &e.from) {
                dead.push((e.from.clone(), e.to.clone()));
            }
            continue;
        }
        if !data.iter().any(|(f, t, _)| f == &e.from && t == &e.to) {
            data.push((e.from.clone(), e.to.clone(), e.line));
        }
    }

    // 3. Sources something writes into are stores (or sinks) instead.
    let mut inbound: BTreeSet<String> = BTreeSet::new();
    inbound.extend(data.iter().map(|d| d.1.clone()).chain(dead.iter().map(|d| d.1.clone())));
    for n in &chart.nodes {
        if roles[&n.id] == NodeRole::Source && inbound.contains(&n.id) {
            let label = n.label.clone().unwrap_or_default();
            let kind = if db_like(&label, &n.id) { "sql_store" } else { "sink" };
            notes.push(format!(
                "`{}` looks like a source but receives data: it becomes a `{kind}`",
                n.id
            ));
            roles.insert(
                n.id.clone(),
                NodeRole::Stage {
                    kind: kind.into(),
                    flavour: None,
                },
            );
        }
    }

    // 4. Data links without cycles; dead letters too count for cycles.
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (f, t, line) in &data {
        if reaches(&out, t, f) {
            notes.push(format!(
                "line {line}: link `{f}` --> `{t}` would close a cycle; left out"
            ));
            continue;
        }
        out.entry(f.clone()).or_default().push(t.clone());
    }
    let mut dead_ok: Vec<(String, String)> = Vec::new();
    for (f, t) in dead {
        if reaches(&out, &t, &f) {
            notes.push(format!(
                "dead-letter link `{f}` --> `{t}` would close a cycle; left out"
            ));
        } else {
            dead_ok.push((f, t));
        }
    }

    // 5. Kinds that cannot send, and routers and monitors without links.
    let stage_ids: Vec<String> = chart
        .nodes
        .iter()
        .filter(|n| matches!(roles[&n.id], NodeRole::Stage { .. }))
        .map(|n| n.id.clone())
        .collect();
    for id in &stage_ids {
        let NodeRole::Stage { kind, .. } = roles[id].clone() else {
            continue;
        };
        let outs = out.get(id).map_or(0, Vec::len);
        let new_kind = match kind.as_str() {
            "sink" if outs > 0 => Some("delay"),
            "router" if outs == 0 => Some("sink"),
            "monitor" if !stage_ids.iter().any(|s| !is_monitor(&roles, s)) => Some("sink"),
            _ => None,
        };
        if let Some(k) = new_kind {
            notes.push(format!(
                "`{id}` is a `{kind}` but its links do not fit one: it becomes a `{k}`"
            ));
            roles.insert(
                id.clone(),
                NodeRole::Stage {
                    kind: k.into(),
                    flavour: None,
                },
            );
        }
    }

    let mut taken: BTreeSet<String> = BTreeSet::new();
    taken.extend(chart.nodes.iter().map(|n| n.id.clone()));
    let has_transfer = roles
        .values()
        .any(|r| matches!(r, NodeRole::Stage { kind, .. } if kind == "transfer"));
    let region_of = |id: &str| -> Option<String> {
        let n = &chart.nodes[chart.node_index(id)?];
        n.subgraph.map(|s| chart.subgraphs[s].title.clone())
    };

    // 6. Stages (with fan-out routers).
    let mut stages: Vec<Value> = Vec::new();
    let mut fed: BTreeSet<String> = BTreeSet::new();
    let mut monitors: Vec<String> = Vec::new();
    let kind_of = |roles: &BTreeMap<String, NodeRole>, id: &str| match roles.get(id) {
        Some(NodeRole::Stage { kind, .. }) => kind.clone(),
        _ => String::new(),
    };
    for n in &chart.nodes {
        let NodeRole::Stage { kind, flavour } = roles[&n.id].clone() else {
            continue;
        };
        let mut st = Map::new();
        st.insert("id".into(), json!(n.id));
        st.insert("kind".into(), json!(kind));
        if let Some(l) = n.label.as_deref().filter(|l| !l.is_empty() && *l != n.id) {
            st.insert("label".into(), json!(l));
        }
        if let Some(r) = region_of(&n.id) {
            st.insert("region".into(), json!(r));
        }
        st.extend(defaults(&kind, flavour));
        if kind == "monitor" {
            monitors.push(n.id.clone());
            stages.push(Value::Object(st));
            continue;
        }
        let targets = out.get(&n.id).cloned().unwrap_or_default();
        let mut router = None;
        if kind == "router" {
            st.insert(
                "routes".into(),
                Value::Array(targets.iter().map(|t| json!({"to": t})).collect()),
            );
        } else if targets.len() == 1 {
            st.insert("to".into(), json!(targets[0]));
        } else if targets.len() > 1 {
            let rid = fresh(&format!("{}_fanout", n.id), &mut taken);
            st.insert("to".into(), json!(rid));
            let mut r = Map::new();
            r.insert("id".into(), json!(rid));
            r.insert("kind".into(), json!("router"));
            if let Some(reg) = region_of(&n.id) {
                r.insert("region".into(), json!(reg));
            }
            r.insert(
                "routes".into(),
                Value::Array(targets.iter().map(|t| json!({"to": t})).collect()),
            );
            router = Some(Value::Object(r));
            fed.insert(rid);
        }
        for t in &targets {
            fed.insert(t.clone());
        }
        if let Some((_, t)) = dead_ok.iter().find(|(f, _)| f == &n.id) {
            st.insert("dead_letter".into(), json!(t));
            fed.insert(t.clone());
        }
        stages.push(Value::Object(st));
        if let Some(r) = router {
            stages.push(r);
        }
    }

    // 7. Sources: the diagram's, then one for every stage nothing feeds.
    let mut sources: Vec<Value> = Vec::new();
    let source_base = |sources: &mut Vec<Value>, id: String, to: String, bulk: bool| {
        let mut s = Map::new();
        s.insert("id".into(), json!(id));
        if bulk {
            // 10 TB as 100 records of 100 GB, all at once: a bulk load.
            s.insert("arrivals".into(), json!("trace"));
            s.insert("trace".into(), json!("0s,100,10000000000000"));
        } else {
            s.insert("arrivals".into(), json!("poisson"));
            // Beside a days-long bulk transfer, a lighter stream keeps the run quick.
            s.insert(
                "rate".into(),
                json!(if has_transfer {
                    SOURCE_RATE_WITH_TRANSFER
                } else {
                    SOURCE_RATE
                }),
            );
            s.insert("record_size".into(), json!("1 KB"));
            if has_transfer {
                s.insert("aggregate".into(), json!("1s"));
            }
        }
        s.insert("to".into(), json!(to));
        sources.push(Value::Object(s));
    };
    for n in &chart.nodes {
        if roles[&n.id] != NodeRole::Source {
            continue;
        }
        let targets = out.get(&n.id).cloned().unwrap_or_default();
        let to = match targets.len() {
            0 => {
                notes.push(format!(
                    "`{}` is a source that sends nowhere: it becomes a `sink`",
                    n.id
                ));
                let mut st = Map::new();
                st.insert("id".into(), json!(n.id));
                st.insert("kind".into(), json!("sink"));
                if let Some(l) = n.label.as_deref().filter(|l| !l.is_empty() && *l != n.id) {
                    st.insert("label".into(), json!(l));
                }
                if let Some(r) = region_of(&n.id) {
                    st.insert("region".into(), json!(r));
                }
                stages.push(Value::Object(st));
                continue;
            }
            1 => targets[0].clone(),
            _ => {
                let rid = fresh(&format!("{}_fanout", n.id), &mut taken);
                let mut r = Map::new();
                r.insert("id".into(), json!(rid));
                r.insert("kind".into(), json!("router"));
                r.insert(
                    "routes".into(),
                    Value::Array(targets.iter().map(|t| json!({"to": t})).collect()),
                );
                stages.push(Value::Object(r));
                rid
            }
        };
        for t in &targets {
            fed.insert(t.clone());
        }
        let bulk = kind_of(&roles, &to) == "transfer";
        source_base(&mut sources, n.id.clone(), to, bulk);
        if let (Some(r), Some(Value::Object(s))) = (region_of(&n.id), sources.last_mut()) {
            s.insert("region".into(), json!(r));
        }
        if let Some((_, t)) = dead_ok.iter().find(|(f, _)| f == &n.id) {
            if let Some(Value::Object(s)) = sources.last_mut() {
                s.insert("dead_letter".into(), json!(t));
            }
            fed.insert(t.clone());
        }
    }
    for n in &chart.nodes {
        let NodeRole::Stage { kind, .. } = &roles[&n.id] else {
            continue;
        };
        if kind == "monitor" || fed.contains(&n.id) {
            continue;
        }
        let sid = fresh(&format!("{}_in", n.id), &mut taken);
        source_base(&mut sources, sid, n.id.clone(), kind == "transfer");
    }

    // 8. Alarms.
    let data_stage = |id: &str| matches!(roles.get(id), Some(NodeRole::Stage { kind, .. }) if kind != "monitor");
    let first_stage = chart.nodes.iter().map(|n| n.id.clone()).find(|id| data_stage(id));
    for m in &monitors {
        let w: Vec<String> = watches
            .get(m)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| data_stage(s))
            .collect();
        let a: Vec<String> = actions
            .get(m)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|s| data_stage(s))
            .collect();
        // Every watched stage and every target appears in some alarm.
        let pairs: Vec<(String, String)> = match (w.is_empty(), a.is_empty()) {
            (false, false) => (0..w.len().max(a.len()))
                .map(|i| (w[i.min(w.len() - 1)].clone(), a[i.min(a.len() - 1)].clone()))
                .collect(),
            (true, false) => a.iter().map(|t| (t.clone(), t.clone())).collect(),
            (false, true) => w.iter().map(|s| (s.clone(), s.clone())).collect(),
            (true, true) => first_stage.iter().map(|s| (s.clone(), s.clone())).collect(),
        };
        if w.is_empty() && a.is_empty() {
            notes.push(format!(
                "monitor `{m}` has no links: it watches `{}`",
                first_stage.clone().unwrap_or_default()
            ));
        }
        let alarms: Vec<Value> = pairs
            .iter()
            .enumerate()
            .map(|(i, (watch, target))| {
                let watch_stream = kind_of(&roles, watch) == "stream";
                let action = match kind_of(&roles, target).as_str() {
                    "stream" => json!({"stage": target, "scale_by": 2.0}),
                    _ => json!({"stage": target, "command": "notify"}),
                };
                json!({
                    "id": format!("{m}-alarm-{}", i + 1),
                    "watch": watch,
                    "metric": if watch_stream { "iterator_age_s" } else { "backlog" },
                    "above": if watch_stream { 60.0 } else { 1000.0 },
                    "period": "60s",
                    "evaluation_periods": 2,
                    "cooldown": "10min",
                    "action": action,
                })
            })
            .collect();
        if let Some(Value::Object(st)) = stages.iter_mut().find(|s| s["id"] == json!(m)) {
            st.insert("alarms".into(), Value::Array(alarms));
        }
    }

    // 9. Governance.
    let mut gov = Map::new();
    let mut principals = Vec::new();
    let mut datasets: Vec<Value> = Vec::new();
    let mut grants = Vec::new();
    let mut accesses = Vec::new();
    let mut encrypted: Vec<String> = Vec::new();
    let mut pii_scan: Vec<String> = Vec::new();
    let mut audit = false;
    for n in &chart.nodes {
        let NodeRole::Gov(g) = roles[&n.id] else {
            continue;
        };
        let linked: Vec<String> = gov_links
            .iter()
            .filter(|(gid, s)| gid == &n.id && data_stage(s))
            .map(|(_, s)| s.clone())
            .collect();
        match g {
            Gov::Audit => audit = true,
            Gov::Kms => linked.iter().for_each(|s| push_unique(&mut encrypted, s)),
            Gov::PiiScan => linked.iter().for_each(|s| push_unique(&mut pii_scan, s)),
            Gov::Access => {
                principals.push(json!({"id": n.id}));
                for s in &linked {
                    if !datasets.iter().any(|d| d["id"] == json!(s)) {
                        datasets.push(json!({"id": s}));
                    }
                    grants.push(json!({"principal": n.id, "dataset": s, "actions": ["read", "write"]}));
                    accesses.push(json!({"stage": s, "principal": n.id, "dataset": s, "action": "write"}));
                }
            }
        }
        if linked.is_empty() && g != Gov::Audit {
            notes.push(format!(
                "governance box `{}` links to no stage: it applies to none",
                n.id
            ));
        }
    }
    let any_gov = audit || !principals.is_empty() || !encrypted.is_empty() || !pii_scan.is_empty();
    if !principals.is_empty() {
        gov.insert("principal".into(), Value::Array(principals));
        gov.insert("dataset".into(), Value::Array(datasets));
        gov.insert("grant".into(), Value::Array(grants));
        gov.insert("access".into(), Value::Array(accesses));
    }
    if !encrypted.is_empty() {
        gov.insert("encrypted".into(), json!(encrypted));
    }
    if !pii_scan.is_empty() {
        gov.insert("pii_scan".into(), json!(pii_scan));
    }
    if audit {
        gov.insert("audit".into(), json!(true));
    }

    // 10. The scenario.
    let name = chart
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Imported Mermaid flowchart".into());
    let mut sc = Map::new();
    sc.insert("name".into(), json!(name));
    sc.insert(
        "description".into(),
        json!(format!(
            "Imported from a Mermaid flowchart ({} boxes, {} links, direction {}). Rates and sizes are defaults: tune them.",
            chart.nodes.len(),
            chart.edges.len(),
            chart.direction
        )),
    );
    sc.insert("seed".into(), json!(1));
    if has_transfer {
        // A device fills, ships (2 days) and ingests within four days.
        sc.insert("duration".into(), json!("4d"));
        sc.insert("resolution".into(), json!("30min"));
    } else {
        sc.insert("duration".into(), json!("1h"));
        sc.insert("resolution".into(), json!("30s"));
    }
    sc.insert("source".into(), Value::Array(sources));
    sc.insert("stage".into(), Value::Array(stages));
    if any_gov {
        sc.insert("governance".into(), Value::Object(gov));
    }
    Ok(ImportedDoc {
        doc: Value::Object(sc),
        unmapped,
        notes,
        chart,
    })
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The imported scenario as TOML text, with a header comment listing the
/// unmapped boxes and the notes.
pub fn to_toml(imp: &Imported) -> String {
    let body = toml::to_string(&imp.scenario).unwrap_or_else(|e| format!("# could not write TOML: {e}\n"));
    format!("{}\n{body}", toml_header(&imp.unmapped, &imp.notes))
}

/// [`to_toml`] of an [`ImportedDoc`].
pub fn doc_to_toml(d: &ImportedDoc) -> String {
    let body =
        crate::scenario::toml_text::document(&d.doc).unwrap_or_else(|e| format!("# could not write TOML: {e}\n"));
    format!("{}\n{body}", toml_header(&d.unmapped, &d.notes))
}

fn toml_header(unmapped: &[Unmapped], notes: &[String]) -> String {
    let mut head = String::from("# Imported from a Mermaid flowchart by pipelab.\n");
    for u in unmapped {
        head.push_str(&format!("# UNMAPPED: {}\n", u.message()));
    }
    for n in notes {
        head.push_str(&format!("# note: {n}\n"));
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{compile, Format};

    fn compiles(imp: &Imported) {
        let text = to_toml(imp);
        crate::scenario::load(&text, Format::Toml).unwrap_or_else(|e| panic!("{e}\n{text}"));
        compile(&imp.scenario, "").expect("compiles");
    }

    #[test]
    fn a_chain_gets_a_source_and_a_fanout_router() {
        let imp = import("flowchart LR\n k[Kinesis] --> s3[(S3)] & f[Lambda]").unwrap();
        let sc = &imp.scenario;
        assert!(imp.unmapped.is_empty());
        assert_eq!(sc.sources.len(), 1);
        assert_eq!(sc.sources[0].to, "k");
        let k = sc.stages.iter().find(|s| s.id == "k").unwrap();
        assert_eq!(k.to.as_deref(), Some("k_fanout"));
        let r = sc.stages.iter().find(|s| s.id == "k_fanout").unwrap();
        assert_eq!(r.kind, "router");
        assert_eq!(crate::models::param_links("router", &r.params), ["s3", "f"]);
        compiles(&imp);
    }

    #[test]
    fn unknown_boxes_are_listed_and_still_compile() {
        let imp = import("graph TD\n a[Kafka] --> b[Flux capacitor] --> c[BigQuery]").unwrap();
        assert_eq!(imp.unmapped.len(), 1);
        assert_eq!((imp.unmapped[0].id.as_str(), imp.unmapped[0].line), ("b", 2));
        assert!(imp.unmapped[0].message().contains("pl-<kind>"));
        let b = imp.scenario.stages.iter().find(|s| s.id == "b").unwrap();
        assert_eq!(b.kind, PLACEHOLDER_KIND);
        compiles(&imp);
    }

    #[test]
    fn every_kind_named_by_class_compiles_with_its_defaults() {
        for k in crate::models::KINDS {
            let text = format!(
                "flowchart LR\n a[Kinesis] --> b[thing]:::pl-{} --> c[sink]:::pl-sink\n m[CloudWatch] -.-> a",
                k.name
            );
            let imp = import(&text).unwrap();
            let b = imp.scenario.stages.iter().find(|s| s.id == "b").unwrap();
            // Kinds that cannot pass records on are turned into ones that can.
            if k.has_to {
                assert_eq!(b.kind, k.name);
            }
            compiles(&imp);
        }
    }

    #[test]
    fn a_source_with_two_targets_feeds_a_router() {
        let imp = import("flowchart LR\n app[Mobile app] --> k[Kinesis] & q[SQS]").unwrap();
        let src = &imp.scenario.sources[0];
        assert_eq!((src.id.as_str(), src.to.as_str()), ("app", "app_fanout"));
        compiles(&imp);
    }

    #[test]
    fn cycles_are_broken_with_a_note() {
        let imp = import("graph LR\n a[SQS queue] --> b[Lambda] --> a").unwrap();
        assert!(imp.notes.iter().any(|n| n.contains("cycle")), "{:?}", imp.notes);
        compiles(&imp);
    }

    #[test]
    fn governance_boxes_become_governance_entries() {
        let imp = import(
            "flowchart LR\n app[Mobile app] --> ddb[(DynamoDB)] --> rds[(RDS)]\n kms[AWS KMS] -.- ddb\n \
             macie[Amazon Macie] -.-> rds\n lf[Lake Formation] --> rds\n trail[CloudTrail]",
        )
        .unwrap();
        let g = imp.scenario.governance.clone().expect("governance");
        assert_eq!(g.encrypted, ["ddb"]);
        assert_eq!(g.pii_scan, ["rds"]);
        assert_eq!(g.audit, Some(true));
        assert_eq!(g.principals[0].id, "lf");
        assert_eq!(g.accesses[0].stage, "rds");
        assert!(imp.scenario.sources.iter().any(|s| s.id == "app"));
        compiles(&imp);
    }
}
