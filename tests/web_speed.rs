//! Engine speed in wasm32: the two workloads of `pipelab bench` (M/M/4 for
//! the same 200,000 simulated seconds, and the day), timed and printed.
//! Timing is never asserted (machines differ); what is asserted is that
//! every timed run gives the same digest (the day: the golden one), so the
//! figures are for the real computation. In headless Chromium, where the
//! app runs (wall time):
//!
//! `WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver cargo test --release --target wasm32-unknown-unknown --test web_speed -- --nocapture`
//!
//! Without `WASM_BINDGEN_USE_BROWSER` it runs in Node (an older V8), where
//! CPU time is also read (`process.cpuUsage`), steady on a shared machine.
#![cfg(target_arch = "wasm32")]

use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

const GOLDEN: &str = include_str!("golden/digests.json");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now_ms() -> f64;
    type CpuUsage;
    #[wasm_bindgen(catch, js_namespace = process, js_name = cpuUsage)]
    fn cpu_usage() -> Result<CpuUsage, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn user(this: &CpuUsage) -> f64;
    #[wasm_bindgen(method, getter)]
    fn system(this: &CpuUsage) -> f64;
}

/// CPU time of the process in seconds, where the host tells it (Node).
fn cpu_s() -> Option<f64> {
    cpu_usage().ok().map(|u| (u.user() + u.system()) / 1e6)
}

struct Timing {
    wall_s: f64,
    cpu_s: Option<f64>,
    events: u64,
    records: u64,
}

/// Runs built-in `name` `runs` times, at its own duration or for
/// `seconds` of simulated time, checking every run's digest (against the
/// golden file at its own duration, else against the first run); returns the
/// best wall and CPU times.
fn best_of(name: &str, runs: u32, seconds: Option<u64>) -> Timing {
    let golden: BTreeMap<String, String> = serde_json::from_str(GOLDEN).expect("golden json");
    let text = builtin::find(name).expect("built-in").text;
    let mut t = Timing {
        wall_s: f64::INFINITY,
        cpu_s: None,
        events: 0,
        records: 0,
    };
    let mut digest: Option<String> = None;
    for _ in 0..runs {
        let o = Overrides {
            duration_ns: seconds.map(|s| s * 1_000_000_000),
            ..Overrides::default()
        };
        let mut p = run::prepare(text, Format::Toml, &o).expect("prepares");
        let (w0, c0) = (performance_now_ms(), cpu_s());
        p.sim.run();
        let (w1, c1) = (performance_now_ms(), cpu_s());
        t.wall_s = t.wall_s.min((w1 - w0) / 1e3);
        if let (Some(a), Some(b)) = (c0, c1) {
            t.cpu_s = Some(t.cpu_s.map_or(b - a, |c: f64| c.min(b - a)));
        }
        t.events = p.sim.events_processed;
        let r = pipelab::report::build(&p.sim, &p.scenario.name);
        match seconds {
            None => assert_eq!(r.digest, golden[name], "{name}: wasm32 digest differs from native"),
            Some(_) => {
                let first = digest.get_or_insert_with(|| r.digest.clone());
                assert_eq!(&r.digest, first, "{name}: runs differ");
            }
        }
        t.records = r.conservation.generated;
    }
    t
}

#[wasm_bindgen_test]
fn engine_speed_in_wasm32_mm4_exact_and_a_simulated_day() {
    // The native `pipelab bench` workload: 200,000 simulated seconds.
    let m = best_of("mm4-teaching", 3, Some(200_000));
    let per_cpu = m.cpu_s.map_or(String::new(), |c| {
        format!(" ({:.1} M per CPU-second)", m.events as f64 / c / 1e6)
    });
    console_log!(
        "wasm32 M/M/4, one record per batch: {} events in {:.3} s = {:.1} M events/s{per_cpu} (best of 3)",
        m.events,
        m.wall_s,
        m.events as f64 / m.wall_s / 1e6
    );
    let d = best_of("day-500m-pipeline", 5, None);
    let cpu = d.cpu_s.map_or(String::new(), |c| format!(" ({c:.3} CPU-s)"));
    console_log!(
        "wasm32 day of {:.0} M records, five stages (aggregated): {} events in {:.3} s{cpu} (best of 5)",
        d.records as f64 / 1e6,
        d.events,
        d.wall_s
    );
}
