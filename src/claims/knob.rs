//! Turning a knob: setting one field of a scenario before running it.
//!
//! Claims compare variants that differ in a few knobs (fewer shards, serial
//! transfer, no dedup); sensitivity checks turn the knob that causes a claim.
//! A knob is `<stage or source id>.<field>[.<field>…]` (for example
//! `kinesis.shards`, `snowball.stagger`, `tickets.rate`) or a top-level path
//! (`duration`, `seed`, `cost.provider`). The value is whatever the field
//! takes in a scenario file (`8`, `"10 min"`, `true`). Lists are indexed
//! from 0, as `transactions.kinds[1].share`, `transactions.kinds.1.share`
//! or, for a top-level list, `fault[0].at`.

use crate::scenario::{self, Format};
use serde_json::Value;
use std::collections::BTreeMap;

/// Knob path → value, applied in key order.
pub type Knobs = BTreeMap<String, Value>;

/// Returns scenario text (JSON, the same model as TOML) with `knobs` set.
pub fn apply(text: &str, format: Format, knobs: &Knobs) -> Result<String, String> {
    // Checked first, so a broken text gives its located error; the knobs
    // then go onto the document as written (not a re-serialised model:
    // that would put every schema type's Serialize code in the worker).
    scenario::parse(text, format).map_err(|e| e.to_string())?;
    let mut v = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
        Format::Toml => scenario::tree::toml_to_value(text).map_err(|e| e.to_string())?,
    };
    for (path, value) in knobs {
        set(&mut v, path, value.clone())?;
    }
    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())
}

fn set(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    // A stage or source id first, else a top-level field.
    let found = ["stage", "source"].into_iter().find_map(|list| {
        root.get(list)
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .position(|i| i.get("id").and_then(Value::as_str) == Some(head))
            })
            .map(|k| (list, k))
    });
    let (obj, field_path) = match found {
        Some(_) if rest.is_empty() => return Err(format!("knob `{path}` names a stage but no field")),
        Some((list, k)) => (&mut root[list][k], rest),
        None => (root, path),
    };
    let segs = segments(path, field_path)?;
    let mut cur = obj;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        cur = match seg {
            Seg::Key(k) => {
                let map = cur
                    .as_object_mut()
                    .ok_or_else(|| format!("knob `{path}`: `{k}` is inside a value that is not a table"))?;
                if last {
                    map.insert(k.clone(), value);
                    return Ok(());
                }
                map.entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Seg::Index(n) => {
                let list = cur
                    .as_array_mut()
                    .ok_or_else(|| format!("knob `{path}`: [{n}] indexes a value that is not a list"))?;
                let len = list.len();
                let item = list.get_mut(*n).ok_or_else(|| {
                    format!("knob `{path}`: index {n} is out of range (the list has {len} entries, from 0)")
                })?;
                if last {
                    *item = value;
                    return Ok(());
                }
                item
            }
        };
    }
    Ok(())
}

/// One step of a knob's field path: a table key or a list index.
enum Seg {
    Key(String),
    Index(usize),
}

/// `kinds[1].share`, `kinds.1.share` and `fault.0.at` all index lists.
fn segments(path: &str, field_path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    for part in field_path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if let Ok(n) = key.parse::<usize>() {
            out.push(Seg::Index(n));
        } else if key.is_empty() {
            return Err(format!("knob `{path}` has an empty field name"));
        } else {
            out.push(Seg::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let (n, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("knob `{path}`: `[` without `]`"))?;
            let n = n
                .parse::<usize>()
                .map_err(|_| format!("knob `{path}`: `[{n}]` is not a list index (0, 1, 2, …)"))?;
            out.push(Seg::Index(n));
            rest = after.strip_prefix('[').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('[') {
                return Err(format!("knob `{path}`: unexpected `{after}` after `]`"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    #[test]
    fn a_knob_changes_one_stage_field_and_the_result_still_loads() {
        let b = builtin::find("mm4-teaching").unwrap();
        let mut k = Knobs::new();
        k.insert("server.servers".into(), Value::from(6));
        k.insert("duration".into(), Value::from("1000s"));
        let text = apply(b.text, Format::Toml, &k).unwrap();
        let (sc, cfg) = scenario::load(&text, Format::Json).unwrap();
        assert_eq!(cfg.duration_ns, 1_000_000_000_000);
        let v = serde_json::to_value(&sc).unwrap();
        assert_eq!(v["stage"][0]["servers"], Value::from(6));
    }

    #[test]
    fn a_knob_on_a_missing_field_is_an_error_when_compiled() {
        let b = builtin::find("mm4-teaching").unwrap();
        let mut k = Knobs::new();
        k.insert("server.sevrers".into(), Value::from(6));
        let text = apply(b.text, Format::Toml, &k).unwrap();
        assert!(scenario::load(&text, Format::Json).is_err());
    }

    #[test]
    fn a_knob_indexes_lists_by_position_with_brackets_or_dots() {
        let b = builtin::find("edutech-after").unwrap();
        let sc = scenario::parse(b.text, Format::Toml).unwrap();
        let v = serde_json::to_value(&sc).unwrap();
        let (src, kinds) = v["source"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|s| {
                s.get("kinds")
                    .map(|k| (s["id"].as_str().unwrap().to_string(), k.clone()))
            })
            .expect("edutech-after has a source with record kinds");
        assert!(kinds.as_array().unwrap().len() >= 2);
        for knob in [format!("{src}.kinds[1].share"), format!("{src}.kinds.1.share")] {
            let mut k = Knobs::new();
            k.insert(knob.clone(), Value::from(0.5));
            let text = apply(b.text, Format::Toml, &k).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            let s = v["source"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == src.as_str())
                .unwrap();
            assert_eq!(s["kinds"][1]["share"], Value::from(0.5), "{knob}");
            assert_eq!(s["kinds"][0], kinds[0], "{knob} leaves the other entries alone");
        }
    }

    #[test]
    fn a_knob_indexes_top_level_lists_and_names_a_bad_index() {
        let b = builtin::find("fintrust-migration").unwrap();
        let sc = scenario::parse(b.text, Format::Toml).unwrap();
        let v = serde_json::to_value(&sc).unwrap();
        let n = v["fault"].as_array().map_or(0, Vec::len);
        assert!(n > 0, "fintrust-migration has faults");
        let mut k = Knobs::new();
        k.insert("fault[0].at".into(), Value::from("1h"));
        let text = apply(b.text, Format::Toml, &k).unwrap();
        let out: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(out["fault"][0]["at"], Value::from("1h"));
        scenario::load(&text, Format::Json).expect("the changed fault still loads");
        let mut bad = Knobs::new();
        bad.insert(format!("fault[{n}].at"), Value::from("1h"));
        let e = apply(b.text, Format::Toml, &bad).unwrap_err();
        assert!(
            e.contains(&format!("index {n} is out of range")) && e.contains(&format!("has {n} entries")),
            "{e}"
        );
        let mut junk = Knobs::new();
        junk.insert("fault[x].at".into(), Value::from("1h"));
        assert!(apply(b.text, Format::Toml, &junk)
            .unwrap_err()
            .contains("not a list index"));
    }
}
