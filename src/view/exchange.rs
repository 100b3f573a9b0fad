//! Sharing and files for the browser app, pure: what the worker answers
//! when the page asks for a share link, opens a link or a file, saves the
//! scenario, exports results or imports a Mermaid diagram.
//!
//! ```text
//!  Session (text + overrides) ──bake──▶ scenario text that replays the run on its own
//!        │                                 ├─▶ saved file (TOML / JSON, as `pipelab run` reads it)
//!        │                                 └─▶ share link (`interchange::share`, seed and provider as fields)
//!        └──run::run_text──▶ the CLI's report ──▶ run JSON, results CSV, cost CSV
//! ```
//!
//! *Baking* writes the page's settings (seed, duration, provider) into the
//! scenario text, editing only the lines concerned when the text is TOML
//! (comments survive, and a share link of an edited built-in stays a small
//! line edit); the edit is checked by re-reading both documents, with a
//! whole re-serialisation as the fallback.

use super::live::{Session, Settings};
use crate::interchange::{self, csv, mermaid_in, mermaid_out, share};
use crate::report::RunReport;
use crate::run::{self, Overrides};
use crate::scenario::units::{format_duration_ns, parse_duration_ns};
use crate::scenario::{builtin, Format, MAX_SCENARIO_BYTES};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A file for the page to offer as a download.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileOut {
    pub name: String,
    pub mime: String,
    pub text: String,
}

/// A box of a pasted diagram that named no known service.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UnmappedView {
    pub id: String,
    pub label: String,
    pub line: usize,
    /// The kind it runs as meanwhile.
    pub placeholder: String,
}

/// What a Mermaid import made, for the paste dialog.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MermaidReport {
    pub title: String,
    pub sources: usize,
    pub stages: usize,
    pub unmapped: Vec<UnmappedView>,
    pub notes: Vec<String>,
    /// Every stage kind, for the per-box choice.
    pub kinds: Vec<String>,
}

/// A share link (or file) opened into a session.
pub struct OpenedRun {
    pub session: Session,
    /// The page's settings that reproduce the link's overrides.
    pub settings: Settings,
    /// Set when the link was made by another engine version.
    pub notice: Option<String>,
    pub variant: Option<String>,
}

/// Which of the page's settings [`bake`] writes into the text.
#[derive(Clone, Copy, Debug)]
pub struct Knobs {
    pub seed: bool,
    pub duration: bool,
    pub provider: bool,
}

/// Every setting: a file that replays the run with no options.
pub const ALL_KNOBS: Knobs = Knobs {
    seed: true,
    duration: true,
    provider: true,
};

fn doc_of(text: &str, format: Format) -> Result<Value, String> {
    match format {
        Format::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        Format::Toml => crate::scenario::tree::toml_to_value(text).map_err(|e| e.to_string()),
    }
}

fn write_doc(doc: &Value, format: Format) -> Result<String, String> {
    match format {
        Format::Json => serde_json::to_string_pretty(doc)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Toml => {
            crate::scenario::toml_text::document(doc).map_err(|e| format!("cannot be written as TOML: {e}"))
        }
    }
}

/// A TOML value as written on a line.
fn toml_value(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn is_header(line: &str) -> bool {
    line.trim_start().starts_with('[')
}

fn sets_key(line: &str, key: &str) -> bool {
    line.trim_start()
        .strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Sets `key = value` at the top level (`table` none) or in `[table]` by
/// editing lines; none when the text's shape is not the simple one.
fn edit_toml_line(text: &str, table: Option<&str>, key: &str, value: &str) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let new_line = format!("{key} = {value}");
    let (start, end) = match table {
        None => (0, lines.iter().position(|l| is_header(l)).unwrap_or(lines.len())),
        Some(t) => {
            let header = format!("[{t}]");
            match lines.iter().position(|l| l.trim() == header) {
                Some(h) => (
                    h + 1,
                    lines[h + 1..]
                        .iter()
                        .position(|l| is_header(l))
                        .map_or(lines.len(), |i| h + 1 + i),
                ),
                None => {
                    // No such table: append it.
                    let mut out = text.trim_end_matches('\n').to_string();
                    out.push_str(&format!("\n\n{header}\n{new_line}\n"));
                    return Some(out);
                }
            }
        }
    };
    match (start..end).find(|&i| sets_key(&lines[i], key)) {
        Some(i) => lines[i] = new_line,
        None => {
            // After the table's last key (or the header), before blank lines and comments that lead the next table.
            let mut at = end;
            while at > start && {
                let t = lines[at - 1].trim();
                t.is_empty() || t.starts_with('#')
            } {
                at -= 1;
            }
            lines.insert(at, new_line);
        }
    }
    Some(lines.join("\n"))
}

/// The scenario text with the chosen overrides written into it, so that
/// running it with no options (`pipelab run file.toml`) gives the run the
/// overrides gave; checked by preparing it.
pub fn bake(text: &str, o: &Overrides, which: Knobs) -> Result<String, String> {
    let format = Format::sniff(text);
    let mut doc = doc_of(text, format)?;
    let obj = doc.as_object_mut().ok_or("the scenario is not a table")?;
    // (table, key, value) in the order written.
    let mut sets: Vec<(Option<&str>, &str, Value)> = Vec::new();
    let mut whole = false;
    if let (true, Some(seed)) = (which.seed, o.seed) {
        sets.push((None, "seed", serde_json::json!(seed)));
    }
    if let (true, Some(d)) = (which.duration, o.duration_ns) {
        let mut w = format_duration_ns(d);
        if parse_duration_ns(&w) != Ok(d) {
            w = format!("{d}ns");
        }
        sets.push((None, "duration", Value::String(w)));
        // As the override does: a warm-up as long as the run is dropped.
        let warm = obj
            .get("warmup")
            .and_then(Value::as_str)
            .and_then(|w| parse_duration_ns(w).ok());
        if warm.is_some_and(|w| w >= d) {
            obj.remove("warmup");
            whole = true;
        }
    }
    if let (true, Some(p)) = (which.provider, o.provider) {
        sets.push((Some("cost"), "provider", Value::String(p.name().into())));
    }
    if sets.is_empty() && !whole {
        return Ok(text.to_string());
    }
    for (table, key, v) in &sets {
        let target = match table {
            None => &mut *obj,
            Some(t) => obj
                .entry(t.to_string())
                .or_insert_with(|| Value::Object(Default::default()))
                .as_object_mut()
                .ok_or_else(|| format!("`{t}` is not a table"))?,
        };
        target.insert(key.to_string(), v.clone());
    }
    let by_lines = (format == Format::Toml && !whole)
        .then(|| {
            sets.iter().try_fold(text.to_string(), |t, (table, key, v)| {
                edit_toml_line(&t, *table, key, &toml_value(v))
            })
        })
        .flatten()
        .filter(|t| doc_of(t, Format::Toml).is_ok_and(|d| d == doc));
    let out = match by_lines {
        Some(t) => t,
        None => write_doc(&doc, format)?,
    };
    run::prepare(&out, format, &Overrides::default()).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A value as inline TOML (none for `null`, which TOML lacks).
fn inline_toml(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).ok()?,
        Value::Array(a) => {
            let items: Option<Vec<String>> = a.iter().map(inline_toml).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Object(o) => {
            let items: Option<Vec<String>> = o
                .iter()
                .map(|(k, v)| {
                    let key = if mermaid_out::is_plain_id(k) {
                        k.clone()
                    } else {
                        serde_json::to_string(k).ok()?
                    };
                    Some(format!("{key} = {}", inline_toml(v)?))
                })
                .collect();
            format!("{{ {} }}", items?.join(", "))
        }
    })
}

/// Sets (or, `value` none, removes) `key` in the `n`-th `[[table]]` block
/// of TOML text by editing its lines.
fn edit_block_line(text: &str, table: &str, n: usize, key: &str, value: Option<&str>) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let header = format!("[[{table}]]");
    let start = lines.iter().enumerate().filter(|(_, l)| l.trim() == header).nth(n)?.0 + 1;
    let end = lines[start..]
        .iter()
        .position(|l| is_header(l))
        .map_or(lines.len(), |i| start + i);
    let at = (start..end).find(|&i| sets_key(&lines[i], key));
    match (at, value) {
        (Some(i), Some(v)) => lines[i] = format!("{key} = {v}"),
        (Some(i), None) => {
            lines.remove(i);
        }
        (None, Some(v)) => {
            let mut at = end;
            while at > start && {
                let t = lines[at - 1].trim();
                t.is_empty() || t.starts_with('#')
            } {
                at -= 1;
            }
            lines.insert(at, format!("{key} = {v}"));
        }
        (None, None) => {}
    }
    Some(lines.join("\n"))
}

/// The text as the built-in it was made from plus line edits, when it is
/// a built-in edited in the page (the inspector rewrites the whole text,
/// which would make its share link carry all of it): the same document,
/// so the same run; none when no built-in is a few line edits away.
pub fn rebase_on_builtin(text: &str) -> Option<String> {
    if Format::sniff(text) != Format::Toml {
        return None;
    }
    let want = doc_of(text, Format::Toml).ok()?;
    let want = want.as_object()?;
    let b = builtin::all().iter().find(|b| {
        doc_of(b.text, Format::Toml)
            .ok()
            .and_then(|d| d.get("name").cloned())
            .is_some_and(|n| Some(&n) == want.get("name"))
    })?;
    let base = doc_of(b.text, Format::Toml).ok()?;
    let base = base.as_object()?;
    let mut out = b.text.to_string();
    for key in want.keys().chain(base.keys().filter(|k| !want.contains_key(*k))) {
        let (w, was) = (want.get(key), base.get(key));
        if w == was {
            continue;
        }
        match (key.as_str(), w, was) {
            ("source" | "stage" | "fault", Some(Value::Array(wa)), Some(Value::Array(ba))) if wa.len() >= ba.len() => {
                for (i, (we, be)) in wa.iter().zip(ba).enumerate() {
                    let (we, be) = (we.as_object()?, be.as_object()?);
                    for k in we.keys().chain(be.keys().filter(|k| !we.contains_key(*k))) {
                        if we.get(k) != be.get(k) {
                            let v = we.get(k).map(inline_toml).map(|v| v.ok_or(())).transpose().ok()?;
                            out = edit_block_line(&out, key, i, k, v.as_deref())?;
                        }
                    }
                }
                // Added entries (faults from the inspector) go at the end.
                for we in &wa[ba.len()..] {
                    let mut block = format!("\n[[{key}]]\n");
                    for (k, v) in we.as_object()? {
                        block.push_str(&format!("{k} = {}\n", inline_toml(v)?));
                    }
                    out = out.trim_end_matches('\n').to_string() + "\n" + &block;
                }
            }
            ("fault", Some(Value::Array(wa)), None) => {
                for we in wa {
                    let mut block = String::from("\n[[fault]]\n");
                    for (k, v) in we.as_object()? {
                        block.push_str(&format!("{k} = {}\n", inline_toml(v)?));
                    }
                    out = out.trim_end_matches('\n').to_string() + "\n" + &block;
                }
            }
            (_, Some(v), _) if !v.is_object() && !matches!(v, Value::Array(a) if a.iter().any(Value::is_object)) => {
                out = edit_toml_line(&out, None, key, &inline_toml(v)?)?;
            }
            _ => return None,
        }
    }
    doc_of(&out, Format::Toml)
        .ok()
        .filter(|d| d.as_object() == Some(want))
        .map(|_| out)
}

/// The text, or the same document as its built-in plus line edits (see
/// [`rebase_on_builtin`]): a built-in edited in the inspector travels as
/// the built-in plus its edits, and saves with its comments.
fn as_builtin_edit(text: String) -> String {
    if builtin::all().iter().any(|b| b.text == text) {
        text
    } else {
        rebase_on_builtin(&text).unwrap_or(text)
    }
}

/// A short file-name stem for the session: the built-in's name, else the title.
pub fn slug(session: &Session) -> String {
    if session.name == "custom" {
        slugify(&session.prepared.scenario.name)
    } else {
        slugify(&session.name)
    }
}

/// Lower-case ASCII letters and digits joined by single dashes, at most 48
/// characters (`"FinTrust after: Kinesis"` → `fintrust-after-kinesis`);
/// `scenario` when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.trim_matches('-').chars().take(48).collect();
    if s.is_empty() {
        "scenario".into()
    } else {
        s.trim_end_matches('-').to_string()
    }
}

/// The share-link fragment (`p1.…`, without `#`) of what the session runs:
/// its text with the user's edits (and a duration override written in),
/// its seed and provider, and its story variant.
pub fn share_fragment(session: &Session) -> Result<String, String> {
    let variant = session.prepared.scenario.story.as_ref().map(|s| s.variant.clone());
    let text = bake(
        &session.text,
        &session.overrides,
        Knobs {
            seed: false,
            duration: true,
            provider: false,
        },
    )?;
    let mut s = share::Shared::new(as_builtin_edit(text));
    s.seed = session.overrides.seed;
    s.provider = session.overrides.provider;
    s.variant = variant;
    Ok(share::encode(&s))
}

fn settings_of(o: &Overrides) -> Settings {
    Settings {
        seed: o.seed,
        duration_s: None,
        provider: o.provider.map(|p| p.name().to_string()),
    }
}

/// Opens a share link (or its fragment): the run it carries, exactly.
pub fn open_link(link: &str) -> Result<OpenedRun, String> {
    let opened = share::decode(link).map_err(|e| e.to_string())?;
    let o = opened.shared.overrides();
    let text = opened.shared.scenario;
    // A built-in as it is here opens as that built-in (the picker shows it).
    let name = builtin::all()
        .iter()
        .find(|b| b.text == text)
        .map_or("custom", |b| b.name);
    let session = Session::new(name, &text, o.clone()).map_err(|e| format!("share link: its scenario: {e}"))?;
    Ok(OpenedRun {
        session,
        settings: settings_of(&o),
        notice: opened.notice,
        variant: opened.shared.variant,
    })
}

/// Opens a scenario file's text (TOML or JSON; a `.mmd`/`.mermaid` name is
/// imported as Mermaid), run as written: no overrides.
pub fn open_file(name: &str, text: &str) -> Result<OpenedRun, String> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(format!(
            "{name}: {} bytes; the limit is {MAX_SCENARIO_BYTES} (4 MiB)",
            text.len()
        ));
    }
    let lower = name.to_ascii_lowercase();
    let session = if lower.ends_with(".mmd") || lower.ends_with(".mermaid") {
        import_mermaid(text, &BTreeMap::new())
            .map(|(s, _)| s)
            .map_err(|e| format!("{name}: {e}"))?
    } else {
        Session::new("custom", text, Overrides::default()).map_err(|e| format!("{name}: {e}"))?
    };
    Ok(OpenedRun {
        session,
        settings: Settings::default(),
        notice: None,
        variant: None,
    })
}

/// The scenario as a file `pipelab run` replays (`toml` or `json`).
pub fn save(session: &Session, format: &str) -> Result<FileOut, String> {
    let baked = bake(&as_builtin_edit(session.text.clone()), &session.overrides, ALL_KNOBS)?;
    let want = match format {
        "toml" => Format::Toml,
        "json" => Format::Json,
        f => return Err(format!("format: `{f}` is not `toml` or `json`")),
    };
    let text = if Format::sniff(&baked) == want {
        baked
    } else {
        write_doc(&doc_of(&baked, Format::sniff(&baked))?, want)?
    };
    let (ext, mime) = match want {
        Format::Toml => ("toml", "application/toml"),
        Format::Json => ("json", "application/json"),
    };
    Ok(FileOut {
        name: format!("pipelab-{}.{ext}", slug(session)),
        mime: mime.into(),
        text,
    })
}

/// The session's scenario run to its end as `pipelab run` runs it; `wall_s`
/// is left for the caller (it has the clock).
pub fn full_run(session: &Session) -> Result<(run::Prepared, RunReport), String> {
    run::run_text(&session.text, session.format, &session.overrides).map_err(|e| e.to_string())
}

/// An export of the session: `toml` or `json` ([`save`]), `csv` (results),
/// `run_json` (the `pipelab run --json` object), `cost_csv`, or `mermaid`
/// (the diagram). `wall_s` measures the run for the JSON report.
pub fn export(session: &Session, what: &str, wall_s: &dyn Fn() -> f64) -> Result<FileOut, String> {
    if what == "toml" || what == "json" {
        return save(session, what);
    }
    let stem = format!("pipelab-{}", slug(session));
    let file = |ext: &str, mime: &str, text: String| FileOut {
        name: format!("{stem}.{ext}"),
        mime: mime.into(),
        text,
    };
    if what == "mermaid" {
        return Ok(file(
            "mmd",
            "text/plain",
            mermaid_out::export(&session.prepared.scenario),
        ));
    }
    let t0 = wall_s();
    let (p, mut rep) = full_run(session)?;
    rep.wall_s = (wall_s() - t0).max(0.0);
    match what {
        "csv" => Ok(file("csv", "text/csv", csv::results(&p.sim))),
        "cost_csv" => Ok(FileOut {
            name: format!("{stem}-cost.csv"),
            mime: "text/csv".into(),
            text: rep.cost.as_ref().map(csv::cost).unwrap_or_default(),
        }),
        "run_json" => Ok(file(
            "json",
            "application/json",
            serde_json::to_string_pretty(&rep).map_err(|e| e.to_string())? + "\n",
        )),
        w => Err(format!("no export named `{w}`")),
    }
}

/// Imports a Mermaid flowchart as a session; `kinds` names a kind for boxes
/// by id (the user's choice for unmapped ones), as `class <id> pl-<kind>`
/// lines would.
pub fn import_mermaid(text: &str, kinds: &BTreeMap<String, String>) -> Result<(Session, MermaidReport), String> {
    if text.len() > interchange::MAX_MERMAID_BYTES {
        return Err(format!(
            "the diagram is {} bytes; the limit is {} (256 KiB)",
            text.len(),
            interchange::MAX_MERMAID_BYTES
        ));
    }
    let mut full = text.to_string();
    for (id, kind) in kinds {
        if !mermaid_out::is_plain_id(id) {
            return Err(format!("`{id}` is not a box id"));
        }
        if kind != "source" && crate::models::kind_info(kind).is_none() {
            return Err(crate::models::unknown_kind(kind));
        }
        full.push_str(&format!("\n    class {id} pl-{kind}"));
    }
    let imp = mermaid_in::import_doc(&full).map_err(|e| e.to_string())?;
    let toml = mermaid_in::doc_to_toml(&imp);
    let session = Session::new("custom", &toml, Overrides::default())?;
    let mut kinds_list = vec!["source".to_string()];
    kinds_list.extend(crate::models::KINDS.iter().map(|k| k.name.to_string()));
    let report = MermaidReport {
        title: session.prepared.scenario.name.clone(),
        sources: session.prepared.scenario.sources.len(),
        stages: session.prepared.scenario.stages.len(),
        unmapped: imp
            .unmapped
            .iter()
            .map(|u| UnmappedView {
                id: u.id.clone(),
                label: u.label.clone(),
                line: u.line,
                placeholder: u.placeholder.clone(),
            })
            .collect(),
        notes: imp.notes.clone(),
        kinds: kinds_list,
    };
    Ok((session, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::Provider;

    fn session(name: &str, o: Overrides) -> Session {
        Session::builtin(name, o).unwrap()
    }

    fn digest_as_run(text: &str, o: &Overrides) -> String {
        run::run_text(text, Format::sniff(text), o).unwrap().1.digest
    }

    #[test]
    fn a_saved_file_replays_the_page_run_with_no_options() {
        let o = Overrides {
            seed: Some(7),
            duration_ns: Some(90_000_000_000),
            provider: Some(Provider::Gcp),
        };
        let s = session("kinesis-autoscale", o.clone());
        let want = digest_as_run(&s.text, &o);
        for f in ["toml", "json"] {
            let file = save(&s, f).unwrap();
            assert!(file.name.ends_with(&format!("kinesis-autoscale.{f}")), "{}", file.name);
            assert_eq!(digest_as_run(&file.text, &Overrides::default()), want, "{f}");
        }
        // TOML keeps the built-in's comments: only the lines concerned change.
        let toml = save(&s, "toml").unwrap().text;
        let comments = |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).count();
        assert_eq!(comments(&toml), comments(&s.text));
        assert!(
            toml.contains("seed = 7") && toml.contains("provider = \"gcp\""),
            "{toml}"
        );
    }

    #[test]
    fn a_duration_shorter_than_the_warm_up_drops_it_as_the_override_does() {
        let text = builtin::find("mm4-teaching").unwrap().text;
        assert!(text.contains("warmup = \"500s\""));
        let o = Overrides {
            duration_ns: Some(300_000_000_000),
            ..Overrides::default()
        };
        let baked = bake(text, &o, ALL_KNOBS).unwrap();
        assert_eq!(digest_as_run(&baked, &Overrides::default()), digest_as_run(text, &o));
    }

    #[test]
    fn a_share_link_replays_the_session_and_stays_an_edit() {
        let o = Overrides {
            seed: Some(3),
            duration_ns: Some(600_000_000_000),
            provider: Some(Provider::Aws),
        };
        let s = session("ticket-dedup", o.clone());
        let f = share_fragment(&s).unwrap();
        assert!(
            f.len() < 300,
            "{} characters: the duration travels as a line edit",
            f.len()
        );
        let opened = open_link(&format!("https://x.test/#{f}")).unwrap();
        assert_eq!(opened.settings.seed, Some(3));
        assert_eq!(opened.settings.provider.as_deref(), Some("aws"));
        assert_eq!(
            opened.variant,
            s.prepared.scenario.story.as_ref().map(|st| st.variant.clone())
        );
        let mut a = opened.session;
        let mut b = s;
        a.advance_to(u64::MAX);
        b.advance_to(u64::MAX);
        assert_eq!(a.report().digest, b.report().digest);
        // An unchanged built-in opens as that built-in.
        let plain = share_fragment(&session("mm4-teaching", Overrides::default())).unwrap();
        assert_eq!(open_link(&plain).unwrap().session.name, "mm4-teaching");
        assert!(open_link("#p1.AAAA").is_err());
    }

    #[test]
    fn an_inspector_edit_still_makes_a_short_link_to_the_same_run() {
        for (name, node, key, value) in [
            ("fintrust-after", "", "", ""),
            ("kinesis-autoscale", "stream", "shards", "3"),
            ("backpressure-tandem", "writer", "servers", "3"),
            ("ticket-after", "dedup", "threshold", ""),
        ] {
            let s = session(name, Overrides::default());
            let text = if node.is_empty() {
                s.text.clone()
            } else {
                match s.edited(node, key, value) {
                    Ok(t) => t,
                    Err(_) => continue,
                }
            };
            let edited = Session::new("custom", &text, Overrides::default()).unwrap();
            let fault = crate::view::live::FaultEdit {
                stage: edited.prepared.scenario.stages[0].id.clone(),
                action: "stop".into(),
                at: "1min".into(),
                duration: "1min".into(),
                factor: None,
            };
            let with_fault = Session::new("custom", &edited.with_fault(&fault).unwrap(), Overrides::default()).unwrap();
            // One edit travels as one changed line; an edit and a fault as
            // the span between them (a link carries one span).
            // Saved, it keeps the built-in's comments and replays the run.
            let saved = save(&edited, "toml").unwrap().text;
            let comments = |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).count();
            assert_eq!(comments(&saved), comments(builtin::find(name).unwrap().text), "{name}");
            for (mut e, limit) in [(edited, 300), (with_fault, 2_000)] {
                let f = share_fragment(&e).unwrap();
                assert!(f.len() < limit, "{name}: {} characters", f.len());
                let mut o = open_link(&f).unwrap().session;
                e.advance_to(u64::MAX);
                o.advance_to(u64::MAX);
                assert_eq!(o.report().digest, e.report().digest, "{name}");
                if limit == 300 {
                    assert_eq!(
                        digest_as_run(&saved, &Overrides::default()),
                        e.report().digest,
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn exports_are_the_cli_s_files() {
        let s = session("mm4-teaching", Overrides::default());
        let json = export(&s, "run_json", &|| 0.0).unwrap();
        let v: Value = serde_json::from_str(&json.text).unwrap();
        let (_, rep) = full_run(&s).unwrap();
        assert_eq!(v["digest"], Value::String(rep.digest));
        let rows = csv::parse(&export(&s, "csv", &|| 0.0).unwrap().text);
        assert_eq!(rows[0].join(","), csv::RESULTS_HEADER);
        assert!(rows.len() > 10 && rows.iter().all(|r| r.len() == rows[0].len()));
        let mmd = export(&s, "mermaid", &|| 0.0).unwrap().text;
        let back = mermaid_in::import(&mmd).unwrap();
        assert!(back.unmapped.is_empty());
        assert!(export(&s, "nonsense", &|| 0.0).is_err());
    }

    #[test]
    fn a_pasted_diagram_imports_and_a_chosen_kind_maps_its_box() {
        let text = "flowchart LR\n a[Kinesis] --> b[Mystery box] --> c[(S3)]\n";
        let (_, r) = import_mermaid(text, &BTreeMap::new()).unwrap();
        assert_eq!(r.unmapped.len(), 1);
        assert_eq!(r.unmapped[0].id, "b");
        let kinds = BTreeMap::from([("b".to_string(), "queue".to_string())]);
        let (s, r) = import_mermaid(text, &kinds).unwrap();
        assert!(r.unmapped.is_empty());
        assert!(s
            .prepared
            .scenario
            .stages
            .iter()
            .any(|st| st.id == "b" && st.kind == "queue"));
        let bad = BTreeMap::from([("b".to_string(), "warp_drive".to_string())]);
        assert!(import_mermaid(text, &bad).is_err());
        assert!(import_mermaid("sequenceDiagram\n A->>B: hi", &BTreeMap::new()).is_err());
        let huge = "flowchart LR\n".to_string() + &"a --> b\n".repeat(40_000);
        assert!(import_mermaid(&huge, &BTreeMap::new())
            .err()
            .unwrap()
            .contains("256 KiB"));
    }

    #[test]
    fn the_seed_diagrams_import_fully_mapped_and_run_as_the_cli_s_import_does() {
        for text in [
            include_str!("../../tests/mermaid/fintrust-architecture.mmd"),
            include_str!("../../tests/mermaid/ticket-streaming-architecture.mmd"),
        ] {
            let (mut s, r) = import_mermaid(text, &BTreeMap::new()).unwrap();
            assert!(r.unmapped.is_empty(), "{:?}", r.unmapped);
            assert!(r.stages > 5);
            // The worker's document route gives the CLI's scenario (same run).
            let cli = mermaid_in::to_toml(&mermaid_in::import(text).unwrap());
            s.advance_to(u64::MAX);
            assert_eq!(s.report().digest, digest_as_run(&cli, &Overrides::default()));
        }
    }

    #[test]
    fn the_sharing_messages_round_trip_as_json() {
        use crate::view::live::{FromWorker, ToWorker};
        for m in [
            ToWorker::Export { what: "link".into() },
            ToWorker::Open {
                name: String::new(),
                text: "#p1.x".into(),
            },
            ToWorker::ImportMermaid {
                text: "flowchart LR\n a --> b".into(),
                kinds: BTreeMap::from([("b".into(), "queue".into())]),
            },
        ] {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<ToWorker>(&s).unwrap(), m, "{s}");
        }
        let s = session("mm4-teaching", Overrides::default());
        let (_, report) = import_mermaid("flowchart LR\n a[Kinesis] --> b[thing]", &BTreeMap::new()).unwrap();
        for m in [
            FromWorker::File {
                file: save(&s, "json").unwrap(),
            },
            FromWorker::Mermaid { report },
            FromWorker::Opened {
                settings: Settings::default(),
                notice: Some("n".into()),
                variant: None,
            },
        ] {
            let t = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<FromWorker>(&t).unwrap(), m, "{t}");
        }
    }

    #[test]
    fn a_file_too_large_or_malformed_is_a_located_message() {
        assert!(open_file("big.toml", &"#".repeat(MAX_SCENARIO_BYTES + 1))
            .err()
            .unwrap()
            .contains("4 MiB"));
        let e = open_file("bad.toml", "name = \"x\"\nduration = \"soon\"\n")
            .err()
            .unwrap();
        assert!(e.starts_with("bad.toml: ") && e.contains("line 2"), "{e}");
    }
}
