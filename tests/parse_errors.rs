//! `scenario::parse` reads TOML and JSON through one value tree
//! (`scenario::tree`) and one Deserializer. This checks it against the
//! reference it replaced, `serde_path_to_error` over the `toml` and
//! `serde_json` text deserializers: on every built-in and thousands of
//! mutations of each (wrong types, bad units, unknown, missing and repeated
//! keys, broken syntax), the same scenario or the same error: field path,
//! line, column and message (JSON syntax errors included: the reference
//! read lazily, so an error before a syntax error wins).

// Native only: the reference crate is a native dev-dependency.
#![cfg(not(target_arch = "wasm32"))]

use pipelab::scenario::{self, builtin, error, locate, tree, Format, Scenario, ScenarioError};

/// The parser before the value tree.
fn reference(text: &str, format: Format) -> Result<Scenario, ScenarioError> {
    let clean = |p: String| if p == "." { String::new() } else { p };
    match format {
        Format::Toml => {
            let de = toml::Deserializer::new(text);
            serde_path_to_error::deserialize::<_, Scenario>(de).map_err(|e| {
                let path = clean(e.path().to_string());
                let inner = e.into_inner();
                let (line, column) = match inner.span() {
                    Some(s) => {
                        let (l, c) = locate::line_col(text, s.start);
                        (Some(l), Some(c))
                    }
                    None => (None, None),
                };
                ScenarioError {
                    path,
                    line,
                    column,
                    message: error::with_suggestion(inner.message().trim()),
                }
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize::<_, Scenario>(&mut de).map_err(|e| {
                let path = clean(e.path().to_string());
                let inner = e.into_inner();
                let msg = inner.to_string();
                let msg = msg
                    .rsplit_once(" at line ")
                    .map_or(msg.as_str(), |(m, _)| m)
                    .to_string();
                ScenarioError {
                    path,
                    line: Some(inner.line()),
                    column: Some(inner.column()),
                    message: error::with_suggestion(&msg),
                }
            })
        }
    }
}

fn new(text: &str, format: Format) -> Result<Scenario, ScenarioError> {
    scenario::parse(text, format).map_err(|mut e| e.0.remove(0))
}

/// The one deliberate difference: a table written as the array of its
/// fields in order (serde reads a struct from a sequence) is refused.
fn refused_struct_array(r: &Result<Scenario, ScenarioError>) -> bool {
    matches!(r, Err(e) if e.message.starts_with("invalid type: sequence, expected struct "))
}

/// Values to put in place of a value.
const SUBSTITUTES: &[&str] = &[
    "\"zz\"",
    "-3",
    "0",
    "7",
    "1.5",
    "true",
    "[1, 2]",
    "[]",
    "\"40 parsecs\"",
    "\"infinite\"",
    "\"-5ms\"",
];

fn toml_mutations(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let join = |ls: &[String]| ls.join("\n") + "\n";
    for (i, l) in lines.iter().enumerate() {
        let owned: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        if let Some((k, _)) = l.split_once(" = ") {
            if !k.trim_start().starts_with('#') {
                for s in SUBSTITUTES {
                    let mut m = owned.clone();
                    m[i] = format!("{k} = {s}");
                    out.push(join(&m));
                }
                let mut m = owned.clone();
                m[i] = format!("{k} = {{ a = 1 }}");
                out.push(join(&m));
                let mut m = owned.clone();
                m[i] = l.replacen(k.trim(), &format!("{}x", k.trim()), 1);
                out.push(join(&m));
                let mut m = owned.clone();
                m.remove(i);
                out.push(join(&m));
                let mut m = owned.clone();
                m[i] = l.replacen('"', "", 1);
                out.push(join(&m));
            }
        } else if l.starts_with("[[") || l.starts_with('[') {
            let mut m = owned.clone();
            m[i] = l.replace(']', "");
            out.push(join(&m));
        }
    }
    out
}

fn json_mutations(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let owned: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        let join = |ls: &[String]| ls.join("\n") + "\n";
        if let Some((k, v)) = l.split_once("\": ") {
            let comma = if v.ends_with(',') { "," } else { "" };
            for s in SUBSTITUTES
                .iter()
                .chain(&["null", "{\"a\": 1}", "{}", "-0", "1e400", "18446744073709551616"])
            {
                let mut m = owned.clone();
                m[i] = format!("{k}\": {s}{comma}");
                out.push(join(&m));
            }
            let mut m = owned.clone();
            m[i] = l.replacen("\":", "x\":", 1);
            out.push(join(&m));
            let mut m = owned.clone();
            m.remove(i);
            out.push(join(&m));
            let mut m = owned.clone();
            m[i] = l.replacen('"', "", 1);
            out.push(join(&m));
            let mut m = owned.clone();
            m.insert(i, l.to_string());
            out.push(join(&m));
        }
    }
    out
}

fn json_of(text: &str) -> String {
    let v: serde_json::Value = toml::from_str(text).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn toml_parses_and_fails_exactly_as_the_reference() {
    let mut checked = 0;
    for b in builtin::all() {
        for text in std::iter::once(b.text.to_string()).chain(toml_mutations(b.text)) {
            let n = new(&text, Format::Toml);
            if !refused_struct_array(&n) {
                assert_eq!(n, reference(&text, Format::Toml), "{}:\n{text}", b.name);
            }
            checked += 1;
        }
    }
    assert!(checked > 5_000, "{checked}");
}

#[test]
fn json_parses_and_fails_exactly_as_the_reference() {
    let (mut checked, mut syntax) = (0, 0);
    for b in builtin::all() {
        let json = json_of(b.text);
        for text in std::iter::once(json.clone()).chain(json_mutations(&json)) {
            let (n, r) = (new(&text, Format::Json), reference(&text, Format::Json));
            if n.is_err() && serde_json::from_str::<serde_json::Value>(&text).is_err() {
                syntax += 1;
            }
            if !refused_struct_array(&n) {
                assert_eq!(n, r, "{}:\n{text}", b.name);
            }
            checked += 1;
        }
    }
    assert!(checked > 5_000 && syntax > 100, "{checked} {syntax}");
}

#[test]
fn a_json_value_fails_exactly_as_the_reference() {
    // Kind parameters and imported Mermaid go through `Mode::Value`.
    let mut checked = 0;
    for b in builtin::all() {
        for text in toml_mutations(b.text).iter().step_by(3) {
            let Ok(v) = toml::from_str::<serde_json::Value>(text) else {
                continue;
            };
            let r = serde_path_to_error::deserialize::<_, Scenario>(v.clone())
                .map_err(|e| (e.path().to_string(), e.into_inner().to_string()));
            let n = tree::deserialize::<Scenario>(&tree::Node::from_value(&v), tree::Mode::Value, "").map_err(|e| {
                (
                    e.path.clone().unwrap_or_default(),
                    e.message_for(tree::Mode::Value).to_string(),
                )
            });
            if !matches!(&n, Err((_, m)) if m.starts_with("invalid type: sequence, expected struct ")) {
                assert_eq!(n, r, "{text}");
            }
            checked += 1;
        }
    }
    assert!(checked > 1_000, "{checked}");
}

#[test]
fn toml_reads_into_the_same_json_value_as_the_toml_crate() {
    let extra = "a = 1979-05-27T07:32:00Z\nb = nan\nc = -0\nd = [1, 2.5, \"x\", { e = true }]\n[f.g]\nh = 'i'\n";
    for text in builtin::all().iter().map(|b| b.text).chain([extra]) {
        let reference: serde_json::Value = toml::from_str(text).unwrap();
        assert_eq!(tree::toml_to_value(text).unwrap(), reference, "{text}");
    }
    let bad = "a = [1,\n";
    assert_eq!(
        tree::toml_to_value(bad).unwrap_err().to_string(),
        toml::from_str::<serde_json::Value>(bad).unwrap_err().to_string()
    );
}

#[test]
fn a_table_written_as_an_array_of_its_fields_is_refused_with_its_line() {
    let text = "name = \"x\"\nduration = \"1s\"\n[[source]]\nid = \"s\"\narrivals = \"poisson\"\nrate = \"1/s\"\nto = \"k\"\nretry = [3, \"50ms\", \"1s\"]\n[[stage]]\nid = \"k\"\nkind = \"sink\"\n";
    assert!(reference(text, Format::Toml).is_ok(), "serde read it positionally");
    let e = new(text, Format::Toml).unwrap_err();
    assert_eq!((e.path.as_str(), e.line), ("source[0].retry", Some(8)), "{e}");
    assert!(
        e.message
            .starts_with("invalid type: sequence, expected struct RetrySpec"),
        "{e}"
    );
}
