//! Scenarios: the file format, its units, validation with located errors,
//! and the built-in scenarios compiled into every binary.
//!
//! Data flow: text (TOML or JSON) → [`Scenario`] (serde, unknown fields
//! rejected) → [`compile`] (cross-field checks) → [`crate::sim::Config`].

pub mod builtin;
pub mod compile;
pub mod error;
pub mod locate;
pub mod schema;
pub mod toml_text;
pub mod tree;
pub mod units;

pub use compile::compile;
pub use error::{ScenarioError, ScenarioErrors};
pub use schema::Scenario;

use crate::sim::Config;

/// The largest scenario text accepted, in bytes.
pub const MAX_SCENARIO_BYTES: usize = 4 * 1024 * 1024;

/// File formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// Guesses the format from the text: JSON starts with `{`.
    pub fn sniff(text: &str) -> Format {
        if text.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

fn one(path: String, line: Option<usize>, column: Option<usize>, message: String) -> ScenarioErrors {
    ScenarioErrors(vec![ScenarioError {
        path,
        line,
        column,
        message,
    }])
}

/// Parses scenario text without validating cross-field rules.
pub fn parse(text: &str, format: Format) -> Result<Scenario, ScenarioErrors> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(one(
            String::new(),
            None,
            None,
            format!("the file is {} bytes; the limit is {MAX_SCENARIO_BYTES}", text.len()),
        ));
    }
    let (node, mode) = match format {
        Format::Toml => match tree::from_toml(text) {
            Ok(node) => (node, tree::Mode::Toml),
            Err(e) => {
                let (line, column) = match e.span() {
                    Some(s) => {
                        let (l, c) = locate::line_col(text, s.start);
                        (Some(l), Some(c))
                    }
                    None => (None, None),
                };
                return Err(one(
                    String::new(),
                    line,
                    column,
                    error::with_suggestion(e.message().trim()),
                ));
            }
        },
        Format::Json => (tree::from_json(text), tree::Mode::Json),
    };
    tree::deserialize::<Scenario>(&node, mode, text).map_err(|e| {
        let path = clean_path(e.path.as_deref().unwrap_or("."));
        if e.syntax {
            // serde_json names a syntax error and its place.
            let (line, column, msg) = match serde_json::from_str::<serde_json::Value>(text) {
                Err(e) => {
                    let msg = e.to_string();
                    let msg = msg
                        .rsplit_once(" at line ")
                        .map_or(msg.as_str(), |(m, _)| m)
                        .to_string();
                    (Some(e.line()), Some(e.column()), msg)
                }
                Ok(_) => (None, None, "the JSON could not be read".to_string()),
            };
            return one(path, line, column, error::with_suggestion(&msg));
        }
        let (line, column) = match (e.at, mode) {
            (Some(at), tree::Mode::Toml) => {
                let (l, c) = locate::line_col(text, at);
                (Some(l), Some(c))
            }
            (Some(at), _) => {
                let (l, c) = tree::json_line_col(text, at);
                (Some(l), Some(c))
            }
            (None, _) => (None, None),
        };
        let msg = match mode {
            tree::Mode::Toml => e.message.trim(),
            _ => e.message_for(mode),
        };
        one(path, line, column, error::with_suggestion(msg))
    })
}

/// Paths are written `stage[1].servers`; the top level shows as `.`.
fn clean_path(p: &str) -> String {
    if p == "." {
        String::new()
    } else {
        p.to_string()
    }
}

/// Parses and validates scenario text into a runnable configuration.
pub fn load(text: &str, format: Format) -> Result<(Scenario, Config), ScenarioErrors> {
    let sc = parse(text, format)?;
    let cfg = compile(&sc, text).map_err(ScenarioErrors)?;
    Ok((sc, cfg))
}

/// Loads a built-in scenario by name.
pub fn load_builtin(name: &str) -> Option<Result<(Scenario, Config), ScenarioErrors>> {
    builtin::find(name).map(|b| load(b.text, Format::Toml))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MM4: &str = r#"
name = "M/M/4 teaching example"
seed = 7
duration = "10000s"   # simulated time
warmup = "500s"       # excluded from statistics

[[source]]
id = "arrivals"
arrivals = "poisson"
rate = "80/s"
to = "server"

[[stage]]
id = "server"
kind = "queue"
servers = 4
service = { dist = "exponential", mean = "40ms" }
capacity = "unbounded"   # or a whole number K: records waiting plus in service
on_full = "drop"         # or "block"
# no `to`: completed records are delivered
"#;

    #[test]
    fn the_issue_example_parses_unchanged() {
        let (sc, cfg) = load(MM4, Format::Toml).expect("valid");
        assert_eq!(sc.seed, 7);
        assert_eq!(cfg.duration_ns, 10_000_000_000_000);
        assert_eq!(cfg.warmup_ns, 500_000_000_000);
        assert_eq!(cfg.sources[0].rate_per_s, 80.0);
        assert_eq!(cfg.stages[0].to, None);
    }

    #[test]
    fn json_is_the_same_model() {
        let (sc, _) = load(MM4, Format::Toml).unwrap();
        let json = serde_json::to_string_pretty(&sc).unwrap();
        let (back, _) = load(&json, Format::Json).expect("round trip");
        assert_eq!(back, sc);
        let toml_again = toml::to_string(&sc).unwrap();
        assert_eq!(load(&toml_again, Format::Toml).unwrap().0, sc);
    }

    fn first_error(text: &str, f: Format) -> ScenarioError {
        load(text, f).expect_err("invalid").0.remove(0)
    }

    #[test]
    fn unknown_fields_are_rejected_with_a_suggestion_and_a_line() {
        let bad = MM4.replace("servers = 4", "sevrers = 4");
        let e = first_error(&bad, Format::Toml);
        assert_eq!(e.line, Some(16), "{e}");
        assert!(e.message.contains("did you mean `servers`?"), "{e}");
        assert!(e.path.starts_with("stage[0]"), "{e}");
    }

    #[test]
    fn bad_units_name_the_field_and_line() {
        let e = first_error(&MM4.replace("\"40ms\"", "\"40 parsecs\""), Format::Toml);
        assert_eq!(e.line, Some(17), "{e}");
        assert!(e.path.contains("stage[0].service"), "{e}");
        assert!(e.message.contains("parsecs"), "{e}");
        let e = first_error(&MM4.replace("\"80/s\"", "\"-80/s\""), Format::Toml);
        assert_eq!((e.line, e.path.as_str()), (Some(10), "source[0].rate"), "{e}");
        assert!(e.message.contains("negative"), "{e}");
    }

    #[test]
    fn a_source_may_name_its_region_and_a_bad_region_is_located() {
        let with = MM4.replace("to = \"server\"", "to = \"server\"\nregion = \"on-premises\"");
        let (sc, _) = load(&with, Format::Toml).unwrap();
        assert_eq!(sc.sources[0].region.as_deref(), Some("on-premises"));
        // The region is drawing only: the run is the same.
        let digest = |t: &str| {
            crate::run::run_text(t, Format::Toml, &Default::default())
                .unwrap()
                .1
                .digest
        };
        assert_eq!(digest(&with), digest(MM4));
        let e = first_error(
            &MM4.replace("to = \"server\"", "to = \"server\"\nregion = \" \""),
            Format::Toml,
        );
        assert_eq!((e.line, e.path.as_str()), (Some(12), "source[0].region"), "{e}");
        assert!(e.message.contains("empty"), "{e}");
        let long = "x".repeat(compile::MAX_REGION_CHARS + 1);
        let e = first_error(
            &MM4.replace("servers = 4", &format!("servers = 4\nregion = \"{long}\"")),
            Format::Toml,
        );
        assert_eq!(e.path, "stage[0].region", "{e}");
        assert!(e.message.contains("at most 80"), "{e}");
    }

    #[test]
    fn links_to_missing_stages_and_cycles_are_located() {
        let e = first_error(&MM4.replace("to = \"server\"", "to = \"sever\""), Format::Toml);
        assert_eq!((e.line, e.path.as_str()), (Some(11), "source[0].to"), "{e}");
        assert!(e.message.contains("did you mean `server`?"), "{e}");
        let cyc = r#"
name = "loop"
duration = "1s"
[[stage]]
id = "a"
kind = "delay"
delay = "1ms"
to = "b"
[[stage]]
id = "b"
kind = "delay"
delay = "1ms"
to = "a"
"#;
        let e = first_error(cyc, Format::Toml);
        assert!(e.message.contains("cycle: a -> b -> a"), "{e}");
        assert_eq!(e.line, Some(8), "{e}");
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let (sc, _) = load(MM4, Format::Toml).unwrap();
        let json = serde_json::to_string_pretty(&sc)
            .unwrap()
            .replace("\"servers\": 4", "\"servers\": -4");
        let e = first_error(&json, Format::Json);
        assert!(e.line.is_some() && e.path.contains("servers"), "{e}");
        assert!(e.message.contains("negative"), "{e}");
    }

    #[test]
    fn story_steps_are_checked_for_phase_stage_and_time() {
        let story = |phase: &str, stage: &str, at: &str| {
            format!(
                "{MM4}\n[story]\nid = \"s\"\ntitle = \"S\"\nvariant = \"after\"\n\
                 [[story.step]]\nphase = \"{phase}\"\ntitle = \"t\"\ntext = \"x\"\nstage = \"{stage}\"\nat = \"{at}\"\n"
            )
        };
        let (sc, _) = load(&story("result", "server", "1h"), Format::Toml).expect("valid story");
        assert_eq!(sc.story.unwrap().steps[0].stage.as_deref(), Some("server"));
        let e = first_error(&story("epilogue", "server", "1h"), Format::Toml);
        assert!(e.path == "story" && e.message.contains("epilogue"), "{e}");
        let e = first_error(&story("result", "sever", "1h"), Format::Toml);
        assert!(e.message.contains("`sever`"), "{e}");
        let e = first_error(&story("result", "server", "1000h"), Format::Toml);
        assert!(e.message.contains("after the end"), "{e}");
    }

    #[test]
    fn every_builtin_loads() {
        for b in builtin::all() {
            load(b.text, Format::Toml).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        }
    }
}
