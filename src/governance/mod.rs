//! Governance: access control, encryption, audit and PII scanning.
//!
//! [`check`] is a static compliance review of a scenario's architecture —
//! what a PCI DSS or GDPR reviewer would flag. [`evaluate`] counts, from a
//! run's report, the operations each declared access made: every record a
//! stage took is one operation by its principal on its dataset, allowed when
//! a grant covers it and denied otherwise, each one an audit event when the
//! audit trail is on (CloudTrail and Cloud Audit Logs record denied calls
//! too), plus KMS requests on encrypted stages and bytes inspected by PII
//! scanning. Denied operations are also *blocked* in the simulation: the
//! compiler marks a stage with a denied access, and the engine drops every
//! record handed to it with reason `denied` (an AccessDenied error is not
//! retryable, so the records are lost unless the sender dead-letters them),
//! so a missing grant shows up as lost data, not only as a count. The
//! counts appear in `pipelab run --json` under `governance`. The KMS latency itself is applied inside the
//! `kv_store` and `sql_store` models (see [`kms_latency_ns`]). Pure.

use crate::report::RunReport;
use crate::scenario::schema::{AccessSpec, GovernanceSpec, Scenario};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default KMS request time added per encrypted write, in nanoseconds.
pub const DEFAULT_KMS_LATENCY_NS: u64 = 5_000_000;

/// One thing a reviewer would flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id: `unencrypted_card_data`, `unencrypted_pii`,
    /// `wildcard_grant`, `no_audit_trail`, `access_not_granted`, `no_governance`.
    pub rule: String,
    /// The requirement it fails, e.g. "PCI DSS 3.5".
    pub standard: String,
    /// What it is about (a stage, grant or the scenario).
    pub subject: String,
    pub message: String,
}

fn finding(rule: &str, standard: &str, subject: &str, message: String) -> Finding {
    Finding {
        rule: rule.into(),
        standard: standard.into(),
        subject: subject.into(),
        message,
    }
}

/// Whether stage `id` is encrypted (listed in `[governance] encrypted` or
/// with `encrypted = true` among its parameters).
pub fn is_encrypted(sc: &Scenario, id: &str) -> bool {
    let listed = sc
        .governance
        .as_ref()
        .is_some_and(|g| g.encrypted.iter().any(|s| s == id));
    listed
        || sc
            .stages
            .iter()
            .any(|s| s.id == id && s.params.get("encrypted").and_then(|v| v.as_bool()) == Some(true))
}

/// KMS time per encrypted write for stage `id`, in nanoseconds, when the
/// governance section lists it as encrypted.
pub fn kms_latency_ns(sc: &Scenario, id: &str) -> Option<u64> {
    let g = sc.governance.as_ref()?;
    g.encrypted
        .iter()
        .any(|s| s == id)
        .then(|| g.kms_latency.map_or(DEFAULT_KMS_LATENCY_NS, |d| d.0))
}

fn action_covers(granted: &str, wanted: &str) -> bool {
    granted == "*" || granted == wanted || (granted == "write" && wanted == "read")
}

/// Whether some grant allows `a`.
pub fn allowed(g: &GovernanceSpec, a: &AccessSpec) -> bool {
    g.grants.iter().any(|gr| {
        gr.principal == a.principal
            && (gr.dataset == "*" || gr.dataset == a.dataset)
            && gr.actions.iter().any(|x| action_covers(x, &a.action))
            && match (&gr.columns, &a.columns) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(have), Some(want)) => want.iter().all(|c| have.contains(c)),
            }
    })
}

/// The static compliance review of `sc`, in a fixed order.
pub fn check(sc: &Scenario) -> Vec<Finding> {
    let Some(g) = &sc.governance else {
        return vec![finding(
            "no_governance",
            "PCI DSS 7 / 10; GDPR Art. 30, 32",
            "scenario",
            "no [governance] section: no access control, encryption or audit trail is declared".into(),
        )];
    };
    let mut out = Vec::new();
    let mut datasets: BTreeMap<&str, _> = BTreeMap::new();
    datasets.extend(g.datasets.iter().map(|d| (d.id.as_str(), d)));
    // Stores holding sensitive data (written to) must be encrypted at rest.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for a in g.accesses.iter().filter(|a| a.action == "write" || a.action == "*") {
        let Some(d) = datasets.get(a.dataset.as_str()) else {
            continue;
        };
        if seen.contains(&(a.stage.as_str(), a.dataset.as_str())) || is_encrypted(sc, &a.stage) {
            continue;
        }
        seen.push((&a.stage, &a.dataset));
        if d.card_data {
            out.push(finding(
                "unencrypted_card_data",
                "PCI DSS 3.5",
                &a.stage,
                format!("stage `{}` holds card data (`{}`) unencrypted", a.stage, d.id),
            ));
        } else if d.pii {
            out.push(finding(
                "unencrypted_pii",
                "GDPR Art. 32",
                &a.stage,
                format!("stage `{}` holds personal data (`{}`) unencrypted", a.stage, d.id),
            ));
        }
    }
    // Least privilege.
    for gr in &g.grants {
        if gr.dataset == "*" || gr.actions.iter().any(|x| x == "*") {
            out.push(finding(
                "wildcard_grant",
                "PCI DSS 7.2; GDPR Art. 25",
                &gr.principal,
                format!(
                    "principal `{}` is granted `{}` on `{}`: more than any stage needs",
                    gr.principal,
                    gr.actions.join(", "),
                    gr.dataset
                ),
            ));
        }
    }
    for a in &g.accesses {
        if !allowed(g, a) {
            out.push(finding(
                "access_not_granted",
                "PCI DSS 7.2",
                &a.stage,
                format!(
                    "stage `{}` does `{}` on `{}` as `{}` with no grant: every operation is denied",
                    a.stage, a.action, a.dataset, a.principal
                ),
            ));
        }
    }
    if g.audit != Some(true) {
        out.push(finding(
            "no_audit_trail",
            "PCI DSS 10.2; GDPR Art. 30",
            "scenario",
            "no audit trail: set `audit = true` (CloudTrail / Cloud Audit Logs)".into(),
        ));
    }
    out
}

/// Run-time governance counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Operations a grant allowed.
    pub allowed: u64,
    /// Operations no grant covered.
    pub denied: u64,
    /// Audit events recorded (every operation, when the trail is on).
    pub audit_events: u64,
    /// KMS requests made by encrypted stages.
    pub kms_requests: u64,
    /// Bytes inspected by PII scanning, in GB (2³⁰ bytes).
    pub pii_gb_inspected: f64,
}

/// Counts governance usage of a run of `sc` (see the module docs).
pub fn evaluate(sc: &Scenario, report: &RunReport) -> Usage {
    let mut u = Usage::default();
    let Some(g) = &sc.governance else { return u };
    for a in &g.accesses {
        let Some(st) = report.stages.get(&a.stage) else {
            continue;
        };
        if allowed(g, a) {
            u.allowed += st.arrived;
        } else {
            u.denied += st.arrived;
        }
    }
    if g.audit == Some(true) {
        u.audit_events = u.allowed + u.denied;
    }
    for s in &sc.stages {
        if !is_encrypted(sc, &s.id) {
            continue;
        }
        if let Some(st) = report.stages.get(&s.id) {
            u.kms_requests += st.extra.get("kms_requests").map_or(st.arrived, |k| *k as u64);
        }
    }
    for id in &g.pii_scan {
        if let Some(st) = report.stages.get(id) {
            u.pii_gb_inspected += pii_bytes(sc, st) / crate::cost::meters::BYTES_PER_GB;
        }
    }
    u
}

/// Bytes PII scanning inspects at a stage: what it stores (`stored_bytes`),
/// else what it wrote (`bytes_written`), else nothing.
pub fn pii_bytes(sc: &Scenario, st: &crate::report::StageReport) -> f64 {
    let sample = sc.governance.as_ref().and_then(|g| g.pii_sample).unwrap_or(1.0);
    sample
        * st.extra
            .get("stored_bytes")
            .or_else(|| st.extra.get("bytes_written"))
            .copied()
            .unwrap_or(0.0)
}
