//! Turning a knob: setting one field of a scenario before running it.
//!
//! Claims compare variants that differ in a few knobs (fewer shards, serial
//! transfer, no dedup); sensitivity checks turn the knob that causes a claim.
//! A knob is `<stage or source id>.<field>[.<field>…]` (for example
//! `kinesis.shards`, `snowball.stagger`, `tickets.rate`) or a top-level path
//! (`duration`, `seed`, `cost.provider`). The value is whatever the field
//! takes in a scenario file (`8`, `"10 min"`, `true`).

use crate::scenario::{self, Format};
use serde_json::Value;
use std::collections::BTreeMap;

/// Knob path → value, applied in key order.
pub type Knobs = BTreeMap<String, Value>;

/// Returns scenario text (JSON, the same model as TOML) with `knobs` set.
pub fn apply(text: &str, format: Format, knobs: &Knobs) -> Result<String, String> {
    let sc = scenario::parse(text, format).map_err(|e| e.to_string())?;
    let mut v = serde_json::to_value(&sc).map_err(|e| e.to_string())?;
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
    let mut cur = obj;
    let segs: Vec<&str> = field_path.split('.').collect();
    for (i, seg) in segs.iter().enumerate() {
        let map = cur
            .as_object_mut()
            .ok_or_else(|| format!("knob `{path}`: `{seg}` is inside a value that is not a table"))?;
        if i + 1 == segs.len() {
            map.insert((*seg).to_string(), value);
            return Ok(());
        }
        cur = map
            .entry((*seg).to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(())
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
}
