//! `pipelab claims` and `pipelab compare`.

use super::{invalid, read_scenario};
use pipelab::claims::{self, Runner};
use pipelab::report::compare;
use pipelab::run::{self, Overrides, RunError};
use pipelab::scenario::schema::Provider;

/// Checks every claim (or those whose id or story contains `only`).
pub fn claims_cmd(json: bool, only: Option<&str>) -> i32 {
    let specs = match claims::all() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let wanted = |c: &claims::ClaimSpec| {
        only.is_none_or(|o| {
            let o = o.to_lowercase();
            c.id.to_lowercase().contains(&o) || c.story.to_lowercase().contains(&o)
        })
    };
    let chosen: Vec<&claims::ClaimSpec> = specs.iter().filter(|c| wanted(c)).collect();
    let results = match check_all(&chosen) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if results.is_empty() {
        eprintln!("error: no claim matches `{}`", only.unwrap_or_default());
        return 2;
    }
    let missed = results.iter().filter(|r| !r.within_tolerance).count();
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "claims": results })).expect("results serialise")
        );
    } else {
        out!("{}", claims::render(&results));
        let explained = results
            .iter()
            .filter(|r| !r.within_tolerance && r.known_miss.is_some())
            .count();
        outln!(
            "\n{} of {} claims reproduced within tolerance{}",
            results.len() - missed,
            results.len(),
            if explained > 0 {
                format!(" ({explained} known misses, explained above and in data/claims.toml)")
            } else {
                String::new()
            }
        );
    }
    0
}

/// Checks claims on every core (claims share runs through one [`Runner`];
/// the results keep the table's order whatever thread finishes first).
fn check_all(chosen: &[&claims::ClaimSpec]) -> Result<Vec<claims::ClaimResult>, String> {
    let runner = Runner::default();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(chosen.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<claims::ClaimResult, String>>> = (0..chosen.len()).map(|_| None).collect();
    let done = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(c) = chosen.get(i) else { break };
                let r = runner.check(c);
                done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("a claim was not checked".into())))
        .collect()
}

/// Runs two scenarios and prints them side by side.
pub fn compare_cmd(a: &str, b: &str, seed: Option<u64>, provider: Option<Provider>, json: bool) -> i32 {
    let mut reports = Vec::new();
    for arg in [a, b] {
        let (text, format) = match read_scenario(arg) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        };
        let o = Overrides {
            seed,
            provider,
            ..Overrides::default()
        };
        match run::run_text(&text, format, &o) {
            Ok((_, r)) => reports.push(r),
            Err(RunError::Invalid(e)) => return invalid(arg, &e),
            Err(e) => {
                eprintln!("error: {arg}: {e}");
                return 1;
            }
        }
    }
    let (ra, rb) = (&reports[0], &reports[1]);
    if json {
        let (only_a, only_b) = compare::unmatched(ra, rb);
        let v = serde_json::json!({
            "a": ra.scenario, "b": rb.scenario,
            "rows": compare::rows(ra, rb),
            "only_in_a": only_a, "only_in_b": only_b,
        });
        outln!("{}", serde_json::to_string_pretty(&v).expect("rows serialise"));
    } else {
        out!("{}", compare::render(ra, rb));
    }
    0
}
