//! `pipelab sweep` and the `--set` knobs of `run` and `cost`.

use super::read_scenario;
use pipelab::claims::knob::{self, Knobs};
use pipelab::run::Overrides;
use pipelab::scenario::Format;
use pipelab::sweep::{self, Axis};

/// Reads a scenario and sets `--set <knob>=<value>` fields on it.
pub fn read_with_sets(arg: &str, sets: &[String]) -> Result<(String, Format), String> {
    let (text, format) = read_scenario(arg)?;
    let knobs = parse_sets(sets)?;
    if knobs.is_empty() {
        return Ok((text, format));
    }
    let changed = knob::apply(&text, format, &knobs).map_err(|e| format!("{arg}: {e}"))?;
    Ok((changed, Format::Json))
}

fn parse_sets(sets: &[String]) -> Result<Knobs, String> {
    let mut knobs = Knobs::new();
    for s in sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--set `{s}`: expected <stage>.<field>=<value>"))?;
        let v = sweep::value(v.trim()).map_err(|e| format!("--set `{s}`: {e}"))?;
        knobs.insert(k.trim().to_string(), v);
    }
    Ok(knobs)
}

/// Runs the grid and prints a table (or one JSON object).
pub fn sweep_cmd(arg: &str, vary: &[String], sets: &[String], metrics: &[String], o: &Overrides, json: bool) -> i32 {
    let parsed = (|| -> Result<_, String> {
        let (text, format) = read_scenario(arg)?;
        let axes = vary.iter().map(|v| Axis::parse(v)).collect::<Result<Vec<_>, _>>()?;
        Ok((text, format, axes, parse_sets(sets)?))
    })();
    let (text, format, axes, fixed) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let metrics: Vec<String> = if metrics.is_empty() {
        sweep::DEFAULT_METRICS.iter().map(|m| m.to_string()).collect()
    } else {
        metrics.to_vec()
    };
    match sweep::sweep(&text, format, &fixed, &axes, &metrics, o) {
        Ok(s) => {
            if json {
                outln!("{}", serde_json::to_string_pretty(&s).expect("a sweep serialises"));
            } else {
                out!("{}", sweep::render(&s));
            }
            0
        }
        Err(e) => {
            eprintln!("error: {arg}: {e}");
            2
        }
    }
}
