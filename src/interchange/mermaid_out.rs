//! Any scenario → Mermaid flowchart text that Mermaid renders and
//! [`super::mermaid_in`] reads back to the same graph (stage ids, kinds,
//! data and control links, regions; kind parameters other than the
//! flavour are not carried).
//!
//! Regions become subgraphs; sources are stadiums, stores cylinders,
//! monitors hexagons, routers diamonds, sinks circles; data links are solid
//! (`-->`, dead letters labelled `dead letter`), control links (a monitor's
//! watch and action) dotted (`-.->`). Every box carries a `pl-<kind>`
//! class (`pl-source` for sources), which names its kind on re-import and
//! colours it. Labels are always quoted, with `"`, `#`, `<`, `>` and the
//! backtick written as Mermaid entity codes; an id Mermaid cannot take
//! (spaces, reserved words like `end`) is replaced by `n<k>` and the
//! original is kept in a `%%` comment (such ids do not round-trip).

use crate::scenario::schema::Scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Words Mermaid's flowchart grammar reserves.
const RESERVED: &[&str] = &[
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "class",
    "classDef",
    "style",
    "linkStyle",
    "click",
    "direction",
    "call",
    "href",
    "default",
    "callback",
];

/// Whether `id` can be written as a Mermaid node id as it is.
pub fn is_plain_id(id: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let b: Vec<char> = id.chars().collect();
    if b.is_empty() || !ok_char(b[0]) || !ok_char(b[b.len() - 1]) {
        return false;
    }
    let mut prev_sep = false;
    for &c in &b {
        if c == '-' || c == '.' {
            if prev_sep {
                return false;
            }
            prev_sep = true;
        } else if ok_char(c) {
            prev_sep = false;
        } else {
            return false;
        }
    }
    !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(id))
}

/// A label as a quoted Mermaid string.
pub fn quote(label: &str) -> String {
    let mut s = String::from("\"");
    for c in label.chars() {
        match c {
            '"' => s.push_str("#quot;"),
            '#' => s.push_str("#35;"),
            '<' => s.push_str("#lt;"),
            '>' => s.push_str("#gt;"),
            '`' => s.push_str("#96;"),
            '\n' | '\r' | '\t' => s.push(' '),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// The shape brackets for a kind.
fn shape(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "source" => ("([", "])"),
        "object_store" | "kv_store" | "sql_store" | "warehouse" => ("[(", ")]"),
        "monitor" => ("{{", "}}"),
        "router" => ("{", "}"),
        "sink" => ("((", "))"),
        "stream" => ("[[", "]]"),
        _ => ("[", "]"),
    }
}

/// Fill colours per kind (calm, readable with dark text).
fn fill(kind: &str) -> &'static str {
    match kind {
        "source" => "#e8f1fb",
        "stream" | "cdc" => "#dbeafe",
        "etl" | "spark" | "function" | "dedup" => "#dcfce7",
        "object_store" | "kv_store" | "sql_store" | "warehouse" => "#fef3c7",
        "transfer" | "link" => "#ede9fe",
        "monitor" => "#fce7f3",
        _ => "#f1f5f9",
    }
}

/// The scenario as a Mermaid flowchart (left to right).
pub fn export(sc: &Scenario) -> String {
    let mut out = String::new();
    let title = sc.name.replace(['"', '\n', '\r'], "'");
    let _ = writeln!(out, "---\ntitle: \"{}\"\n---", title.replace('\\', "/"));
    out.push_str("flowchart LR\n");
    // Mermaid ids.
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut mid: BTreeMap<String, String> = BTreeMap::new();
    let all_ids: Vec<&str> = sc
        .sources
        .iter()
        .map(|s| s.id.as_str())
        .chain(sc.stages.iter().map(|s| s.id.as_str()))
        .collect();
    for id in &all_ids {
        if is_plain_id(id) {
            taken.insert(id.to_string());
        }
    }
    let mut k = 1;
    for id in &all_ids {
        let m = if is_plain_id(id) {
            id.to_string()
        } else {
            while taken.contains(&format!("n{k}")) {
                k += 1;
            }
            let m = format!("n{k}");
            taken.insert(m.clone());
            let _ = writeln!(out, "    %% {m} is `{}`", id.replace(['\n', '\r'], " "));
            m
        };
        mid.insert(id.to_string(), m);
    }
    let m = |id: &str| mid.get(id).cloned().unwrap_or_else(|| id.to_string());

    let node = |id: &str, label: &str, kind: &str| {
        let (o, c) = shape(kind);
        format!("{}{o}{}{c}", m(id), quote(label))
    };
    // Sources and stages without a region at the top; regions as subgraphs.
    let mut regions: Vec<&str> = Vec::new();
    for s in &sc.sources {
        match s.region.as_deref() {
            Some(r) => {
                if !regions.contains(&r) {
                    regions.push(r);
                }
            }
            None => {
                let _ = writeln!(out, "    {}", node(&s.id, &s.id, "source"));
            }
        }
    }
    for st in &sc.stages {
        match st.region.as_deref() {
            Some(r) => {
                if !regions.contains(&r) {
                    regions.push(r);
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "    {}",
                    node(&st.id, st.label.as_deref().unwrap_or(&st.id), &st.kind)
                );
            }
        }
    }
    for (i, r) in regions.iter().enumerate() {
        let mut sid = format!("region_{}", i + 1);
        while taken.contains(&sid) {
            sid.push('_');
        }
        let _ = writeln!(out, "    subgraph {sid} [{}]", quote(r));
        for s in sc.sources.iter().filter(|s| s.region.as_deref() == Some(*r)) {
            let _ = writeln!(out, "        {}", node(&s.id, &s.id, "source"));
        }
        for st in sc.stages.iter().filter(|s| s.region.as_deref() == Some(*r)) {
            let _ = writeln!(
                out,
                "        {}",
                node(&st.id, st.label.as_deref().unwrap_or(&st.id), &st.kind)
            );
        }
        out.push_str("    end\n");
    }
    // Links.
    let mut seen: BTreeSet<(String, String, &str)> = BTreeSet::new();
    let mut link = |out: &mut String, a: &str, b: &str, arrow: &'static str| {
        if seen.insert((a.to_string(), b.to_string(), arrow)) {
            let _ = writeln!(out, "    {} {arrow} {}", m(a), m(b));
        }
    };
    for s in &sc.sources {
        link(&mut out, &s.id, &s.to, "-->");
        if let Some(d) = &s.dead_letter {
            link(&mut out, &s.id, d, "-->|dead letter|");
        }
    }
    for st in &sc.stages {
        if let Some(t) = &st.to {
            link(&mut out, &st.id, t, "-->");
        }
        for t in crate::models::param_links(&st.kind, &st.params) {
            link(&mut out, &st.id, &t, "-->");
        }
        if let Some(d) = &st.dead_letter {
            link(&mut out, &st.id, d, "-->|dead letter|");
        }
    }
    for st in &sc.stages {
        for (a, b) in crate::models::control_links(&st.kind, &st.id, &st.params) {
            link(&mut out, &a, &b, "-.->");
        }
    }
    // Kind classes: named on re-import, coloured in Mermaid.
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in &sc.sources {
        by_kind.entry("source").or_default().push(m(&s.id));
    }
    for st in &sc.stages {
        by_kind.entry(st.kind.as_str()).or_default().push(m(&st.id));
    }
    for (kind, ids) in &by_kind {
        let _ = writeln!(
            out,
            "    classDef pl-{kind} fill:{},stroke:#475569,color:#0f172a",
            fill(kind)
        );
        let _ = writeln!(out, "    class {} pl-{kind}", ids.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_mermaid_cannot_take_are_detected() {
        assert!(is_plain_id("s3"));
        assert!(is_plain_id("enrolment-api"));
        assert!(!is_plain_id("end"));
        assert!(!is_plain_id("End"));
        assert!(!is_plain_id("two words"));
        assert!(!is_plain_id("-x"));
        assert!(!is_plain_id("a--b"));
        assert!(!is_plain_id(""));
    }

    #[test]
    fn labels_are_quoted_with_entity_codes() {
        assert_eq!(quote("a \"b\" #1 <x>"), "\"a #quot;b#quot; #35;1 #lt;x#gt;\"");
        assert_eq!(
            super::super::mermaid_syntax::clean_label(&quote("a \"b\" #1 <x> `c`")),
            "a \"b\" #1 <x> `c`"
        );
    }
}
