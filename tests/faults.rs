//! The fault timeline: each fault's effect shows in the metrics and every
//! affected record is accounted for.

use pipelab::report::RunReport;
use pipelab::run::{self, Overrides};
use pipelab::scenario::{self, Format};

fn run(text: &str) -> RunReport {
    let r = run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1;
    assert!(r.conservation.holds, "conservation: {:?}", r.conservation);
    r
}

const QUEUE: &str = r#"
name = "slowdown"
seed = 5
duration = "3000s"

[[source]]
id = "requests"
arrivals = "poisson"
rate = "50/s"
to = "service"

[[stage]]
id = "service"
kind = "queue"
servers = 2
service = { dist = "exponential", mean = "20ms" }
"#;

#[test]
fn a_regional_slowdown_raises_latency_while_it_lasts_and_is_logged() {
    let healthy = run(QUEUE);
    // Service three times slower for 1,000 s: utilisation goes from 0.5 to
    // 1.5 per server-pair... 50/s × 60 ms = 3 busy servers > 2: a queue builds.
    let slowed = run(&format!(
        "{QUEUE}\n[[fault]]\nat = \"1000s\"\nstage = \"service\"\naction = \"slow\"\nfactor = 3.0\nduration = \"1000s\"\n"
    ));
    let (h, s) = (&healthy.stages["service"], &slowed.stages["service"]);
    assert!(
        s.sojourn_s.p99 > 10.0 * h.sojourn_s.p99,
        "{} vs {}",
        s.sojourn_s.p99,
        h.sojourn_s.p99
    );
    assert_eq!(slowed.controls.len(), 2);
    assert!(slowed.controls.iter().all(|c| c.applied));
    assert_eq!(slowed.controls[0].at_s, 1000.0);
    assert_eq!(slowed.controls[1].at_s, 2000.0);
}

#[test]
fn a_stopped_stage_holds_its_records_and_resumes() {
    let r = run(&format!(
        "{QUEUE}\n[[fault]]\nat = \"500s\"\nstage = \"service\"\naction = \"stop\"\nduration = \"60s\"\n"
    ));
    let s = &r.stages["service"];
    // About 60 s × 50/s = 3,000 records waited for the restart.
    assert!(s.wait_s.max > 59.0, "{}", s.wait_s.max);
    assert_eq!(s.dropped, 0);
}

#[test]
fn a_fault_a_stage_cannot_take_is_refused_and_reported() {
    let r = run(&format!(
        "{QUEUE}\n[[fault]]\nat = \"10s\"\nstage = \"service\"\naction = \"crash\"\n"
    ));
    assert_eq!(r.controls.len(), 1);
    assert!(!r.controls[0].applied);
    assert!(r.controls[0].refused.as_deref().unwrap().contains("crash"));
}

#[test]
fn a_slowed_link_takes_longer_to_carry_the_same_bytes() {
    let base = r#"
name = "link"
duration = "10000s"

[[source]]
id = "files"
arrivals = "constant"
rate = "1/s"
record_size = "50 MB"
limit = 100
to = "wan"

[[stage]]
id = "wan"
kind = "link"
flavour = "vpn"
"#;
    let healthy = run(base);
    let slowed = run(&format!(
        "{base}\n[[fault]]\nat = \"0s\"\nstage = \"wan\"\naction = \"slow\"\nfactor = 4.0\n"
    ));
    let (h, s) = (
        healthy.stages["wan"].extra["transfer_time_s"],
        slowed.stages["wan"].extra["transfer_time_s"],
    );
    // 50 MB at 1.25 Gbps × 0.8 = 125 MB/s takes 0.4 s, so the healthy link
    // keeps up with one file a second (done ≈ 99.4 s after the first); four
    // times slower it takes 1.6 s a file and falls behind: 100 × 1.6 s.
    assert!((s - 160.0).abs() < 0.01 * 160.0, "{s}");
    assert!(h < 100.0, "{h}");
}

#[test]
fn faults_on_missing_stages_are_located_errors() {
    let text = format!("{QUEUE}\n[[fault]]\nat = \"10s\"\nstage = \"servce\"\naction = \"stop\"\n");
    let e = scenario::load(&text, Format::Toml).unwrap_err().0.remove(0);
    assert!(e.message.contains("did you mean `service`"), "{e}");
    assert_eq!(e.path, "fault[0].stage");
    assert_eq!(e.line, Some(18), "{e}");
}

#[test]
fn a_fault_field_its_action_does_not_use_is_a_located_error() {
    for (fields, action, field) in [
        ("action = \"crash\"\nduration = \"1min\"", "crash", "duration"),
        ("action = \"stop\"\nfactor = 2.0", "stop", "factor"),
        ("action = \"slow\"\nfactor = 2.0\nshards = 4", "slow", "shards"),
        ("action = \"scale\"\nshards = 4\nworker = 1", "scale", "worker"),
    ] {
        let text = format!("{QUEUE}\n[[fault]]\nat = \"10s\"\nstage = \"service\"\n{fields}\n");
        let e = scenario::load(&text, Format::Toml).unwrap_err().0.remove(0);
        assert!(e.message.contains(&format!("`{action}` does not use `{field}`")), "{e}");
        assert_eq!(e.path, "fault[0]");
        assert_eq!(e.line, Some(18), "{e}");
    }
    // The fields an action does use are accepted.
    let ok = format!(
        "{QUEUE}\n[[fault]]\nat = \"10s\"\nstage = \"service\"\naction = \"slow\"\nfactor = 2.0\nduration = \"5s\"\n"
    );
    scenario::load(&ok, Format::Toml).expect("slow takes factor and duration");
}
