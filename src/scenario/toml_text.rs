//! TOML text of a JSON value, byte for byte as the `toml` crate (0.8)
//! writes it: [`document`] is `toml::to_string(doc)` and [`inline`] is
//! `toml::Value::try_from(v)?.to_string()`. The worker writes scenario
//! files with these instead of the crate's serializer, which went through
//! `toml_edit`'s document model and took 35 KB of the wasm worker; the
//! tests below compare both on every built-in and on generated values.
//!
//! What `toml` does, and so what this does: a table's plain values come
//! first (`key = value`), then its tables (`[a.b]`) and arrays of tables
//! (`[[a.c]]`, an array whose elements are all tables and that is not
//! empty), depth first, one blank line before each header but the first
//! line of the text; a header is left out for a table holding only tables;
//! keys and values in the map's order. Strings take the first of basic
//! `"…"`, literal `'…'`, multi-line basic and multi-line literal that needs
//! no escapes. A null anywhere, or an integer above `i64::MAX`, cannot be
//! written.

use serde_json::{Map, Value};
use std::fmt::Write;

/// `toml::to_string(doc)`: the document `doc` (a table) as TOML text, or
/// the `toml` crate's message for what cannot be written.
pub fn document(doc: &Value) -> Result<String, String> {
    writable(doc)?;
    let Value::Object(root) = doc else {
        return Err("unsupported rust type".into());
    };
    let mut tables = Vec::new();
    nested(root, &mut Vec::new(), false, &mut tables);
    let mut out = String::new();
    let mut first = true;
    for (table, path, array) in tables {
        let values: Vec<(&String, &Value)> = table.iter().filter(|(_, v)| kind(v) == Kind::Value).collect();
        // A table with entries but no plain values has no header of its own.
        let visible = table.is_empty() || !values.is_empty();
        if path.is_empty() {
            if !values.is_empty() {
                first = false;
            }
        } else if array || visible {
            if !std::mem::take(&mut first) {
                out.push('\n');
            }
            let (open, close) = if array { ("[[", "]]") } else { ("[", "]") };
            out.push_str(open);
            for (i, k) in path.iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                key(&mut out, k);
            }
            out.push_str(close);
            out.push('\n');
        }
        for (k, v) in values {
            key(&mut out, k);
            out.push_str(" = ");
            value(&mut out, v);
            out.push('\n');
        }
    }
    Ok(out)
}

/// `toml::Value::try_from(v)?.to_string()`: `v` as an inline TOML value
/// (`[1, 2]`, `{ a = "x" }`), or `None` when TOML cannot hold it.
pub fn inline(v: &Value) -> Option<String> {
    writable(v).ok()?;
    let mut out = String::new();
    value(&mut out, v);
    Some(out)
}

/// The first thing, in the serializer's order, that TOML cannot hold.
fn writable(v: &Value) -> Result<(), String> {
    match v {
        Value::Null => Err("unsupported unit type".into()),
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => Err("out-of-range value for u64 type".into()),
        Value::Array(a) => a.iter().try_for_each(writable),
        Value::Object(m) => m.values().try_for_each(writable),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Value,
    Table,
    ArrayOfTables,
}

/// How a table's entry is written.
fn kind(v: &Value) -> Kind {
    match v {
        Value::Object(_) => Kind::Table,
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_object) => Kind::ArrayOfTables,
        _ => Kind::Value,
    }
}

type Tables<'a> = Vec<(&'a Map<String, Value>, Vec<&'a String>, bool)>;

/// `table` and the tables under it, depth first, with their paths and
/// whether each is an element of an array of tables.
fn nested<'a>(table: &'a Map<String, Value>, path: &mut Vec<&'a String>, array: bool, out: &mut Tables<'a>) {
    out.push((table, path.clone(), array));
    for (k, v) in table {
        let (elements, array) = match (kind(v), v) {
            (Kind::Table, _) => (std::slice::from_ref(v), false),
            (Kind::ArrayOfTables, Value::Array(a)) => (a.as_slice(), true),
            _ => continue,
        };
        for t in elements {
            if let Value::Object(t) = t {
                path.push(k);
                nested(t, path, array, out);
                path.pop();
            }
        }
    }
}

/// An inline value (nulls and out-of-range integers were refused before).
fn value(out: &mut String, v: &Value) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(f) = n.as_f64() {
                float(out, f);
            }
        }
        Value::String(s) => string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push(' ');
                key(out, k);
                out.push_str(" = ");
                value(out, x);
            }
            if !m.is_empty() {
                out.push(' ');
            }
            out.push('}');
        }
    }
}

fn float(out: &mut String, f: f64) {
    let _ = match (f.is_sign_negative(), f == 0.0) {
        (true, true) => write!(out, "-0.0"),
        (false, true) => write!(out, "0.0"),
        _ if f % 1.0 == 0.0 => write!(out, "{f}.0"),
        _ => write!(out, "{f}"),
    };
}

#[derive(Clone, Copy)]
enum Quotes {
    Bare,
    Literal,
    Basic,
    MlLiteral,
    MlBasic,
}

/// Whether `b` is a control character TOML writes as an escape (tab and,
/// for values, newline aside).
fn control(b: u8) -> bool {
    b <= 0x1f || b == 0x7f
}

fn key(out: &mut String, k: &str) {
    let bytes = k.as_bytes();
    let codes = bytes.iter().any(|&b| b != b'\t' && control(b));
    let quotes = if !k.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    {
        Quotes::Bare
    } else if !codes && !bytes.contains(&b'\\') && !bytes.contains(&b'"') {
        Quotes::Basic
    } else if !codes && !bytes.contains(&b'\'') {
        Quotes::Literal
    } else {
        Quotes::Basic
    };
    quoted(out, k, quotes, false);
}

/// The longest run of `q` in `bytes`.
fn run_of(bytes: &[u8], q: u8) -> usize {
    bytes.split(|&b| b != q).map(<[u8]>::len).max().unwrap_or(0)
}

fn string(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let codes = bytes.iter().any(|&b| b != b'\t' && b != b'\n' && control(b));
    let escape = bytes.contains(&b'\\');
    let newline = bytes.contains(&b'\n');
    let (single, double) = (run_of(bytes, b'\''), run_of(bytes, b'"'));
    let quotes = if !codes && !escape && double == 0 && !newline {
        Quotes::Basic
    } else if !codes && single == 0 && !newline {
        Quotes::Literal
    } else if !codes && !escape && double <= 2 {
        Quotes::MlBasic
    } else if !codes && single <= 2 {
        Quotes::MlLiteral
    } else if newline {
        Quotes::MlBasic
    } else {
        Quotes::Basic
    };
    quoted(out, s, quotes, newline);
}

/// `s` between its delimiters, escaped in basic strings as `toml_write`
/// does (a multi-line basic string escapes every third `"` in a row).
fn quoted(out: &mut String, s: &str, quotes: Quotes, newline: bool) {
    let (delimiter, escaped, multi_line) = match quotes {
        Quotes::Bare => ("", false, false),
        Quotes::Literal => ("'", false, false),
        Quotes::Basic => ("\"", true, false),
        Quotes::MlLiteral => ("'''", false, true),
        Quotes::MlBasic => ("\"\"\"", true, true),
    };
    out.push_str(delimiter);
    if newline && multi_line {
        out.push('\n');
    }
    if !escaped {
        out.push_str(s);
    } else {
        let max_quotes = if multi_line { 2 } else { 0 };
        let mut rest = s;
        while !rest.is_empty() {
            let mut plain = 0;
            let mut escape = None;
            let mut quotes = 0;
            for (i, &b) in rest.as_bytes().iter().enumerate() {
                if b == b'"' {
                    quotes += 1;
                    if quotes > max_quotes {
                        escape = Some("\\\"");
                        break;
                    }
                } else {
                    quotes = 0;
                }
                escape = match b {
                    0x8 => Some("\\b"),
                    0x9 => Some("\\t"),
                    0xa if !multi_line => Some("\\n"),
                    0xc => Some("\\f"),
                    0xd => Some("\\r"),
                    b'\\' => Some("\\\\"),
                    _ => None,
                };
                if escape.is_some() || (b != b'\n' && control(b)) {
                    break;
                }
                plain = i + 1;
            }
            out.push_str(&rest[..plain]);
            rest = &rest[plain..];
            if let Some(e) = escape {
                out.push_str(e);
                rest = &rest[1..];
            } else if let Some(&b) = rest.as_bytes().first() {
                let _ = write!(out, "\\u{:04X}", b);
                rest = &rest[1..];
            }
        }
    }
    out.push_str(delimiter);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use serde_json::json;

    fn reference_document(v: &Value) -> Result<String, String> {
        toml::to_string(v).map_err(|e| e.to_string())
    }

    fn reference_inline(v: &Value) -> Option<String> {
        toml::Value::try_from(v).ok().map(|t| t.to_string())
    }

    fn same(v: &Value) {
        assert_eq!(document(v), reference_document(v), "{v}");
        assert_eq!(inline(v), reference_inline(v), "{v}");
    }

    #[test]
    fn every_builtin_is_written_as_the_toml_crate_writes_it() {
        for b in crate::scenario::builtin::all() {
            let v = crate::scenario::tree::toml_to_value(b.text).unwrap();
            same(&v);
            for (_, x) in v.as_object().unwrap() {
                same(x);
            }
        }
    }

    #[test]
    fn tables_arrays_and_refusals_are_written_as_the_toml_crate_writes_them() {
        for v in [
            json!({}),
            json!({"a": {}}),
            json!({"a": {"b": {"c": 1}}, "z": 2}),
            json!({"a": {"b": {}}}),
            json!({"a": [{"b": {"c": [{"d": 1}, {}]}}, {"x": [1, {"y": 2}]}], "b": []}),
            json!({"a": [{}], "b": [[{"c": 1}]], "c": [{"d": {}}]}),
            json!({"x": {"y": [{"z": 1}], "w": 0}}),
            json!({"n": null}),
            json!({"a": [1, null]}),
            json!({"a": u64::MAX, "b": null}),
            json!({"b": null, "a": u64::MAX}),
            json!({"i": i64::MIN, "u": i64::MAX, "f": [-0.0, 0.0, 1.0, 1e300, -2.5e-300, 0.1, 123456789.0]}),
            json!([1, 2]),
            json!("text"),
            json!(3),
            json!(null),
            json!({"inline": [{"a": 1, "b": {"c": []}}, "s", {}]}),
        ] {
            same(&v);
        }
    }

    /// A string of quotes, backslashes, control characters, newlines and
    /// other characters, in runs.
    fn tricky(rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> String {
        const PIECES: [&str; 18] = [
            "a", "'", "'''", "\"", "\"\"\"", "\\", "\n", "\t", "\r", "\u{1}", "\u{7f}", "é", "-", "_", " ", ".", "=",
            "\u{8}",
        ];
        let n = rng.random_range(0..10);
        (0..n).map(|_| PIECES[rng.random_range(0..PIECES.len())]).collect()
    }

    fn random_value(rng: &mut rand_xoshiro::Xoshiro256PlusPlus, depth: u32) -> Value {
        match rng.random_range(0..if depth == 0 { 6 } else { 9 }) {
            0 => Value::String(tricky(rng)),
            1 => json!(rng.random_range(-5i64..5)),
            2 => json!(rng.random_range(0..4) as f64 * 0.5 - 1.0),
            3 => json!(rng.random::<bool>()),
            4 => json!(rng.random::<u64>() >> rng.random_range(0..64)),
            5 if rng.random_range(0..20) == 0 => Value::Null,
            5 => json!(rng.random::<f64>() * 1e6),
            6 => Value::Array(
                (0..rng.random_range(0..3))
                    .map(|_| random_value(rng, depth - 1))
                    .collect(),
            ),
            7 => Value::Array(
                (0..rng.random_range(1..3))
                    .map(|_| random_table(rng, depth - 1))
                    .collect(),
            ),
            _ => random_table(rng, depth - 1),
        }
    }

    fn random_table(rng: &mut rand_xoshiro::Xoshiro256PlusPlus, depth: u32) -> Value {
        let mut m = Map::new();
        for _ in 0..rng.random_range(0..4) {
            m.insert(tricky(rng), random_value(rng, depth));
        }
        Value::Object(m)
    }

    #[test]
    fn generated_documents_are_written_as_the_toml_crate_writes_them() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
        for _ in 0..20_000 {
            let v = random_table(&mut rng, 3);
            same(&v);
        }
    }
}
