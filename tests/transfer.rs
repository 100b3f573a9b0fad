//! The `transfer` and `link` stage kinds through the public file format:
//! each scenario is TOML text run like the CLI runs it, and the expected
//! times are worked out by hand in the comments.

use pipelab::report::RunReport;
use pipelab::run::{self, Overrides};
use pipelab::scenario::{self, Format};

fn run_toml(text: &str) -> RunReport {
    let r = run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1;
    assert!(r.conservation.holds, "conservation: {:?}", r.conservation);
    r
}

fn extra(r: &RunReport, stage: &str, name: &str) -> f64 {
    *r.stages[stage]
        .extra
        .get(name)
        .unwrap_or_else(|| panic!("stage `{stage}` has no `{name}`"))
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    let rel = (got / want - 1.0).abs();
    assert!(rel <= tol, "{what}: got {got}, want {want} ({:.3} % off)", rel * 100.0);
}

/// `tb` terabytes in 1 TB records, all on site at time 0, moved by a
/// `transfer` stage with the given extra lines into a sink.
fn migration(tb: u64, seed: u64, params: &str) -> String {
    format!(
        r#"
name = "migration"
seed = {seed}
duration = "40d"

[[source]]
id = "history"
arrivals = "trace"
trace = "0s,{tb},{bytes}"
to = "move"

[[stage]]
id = "move"
kind = "transfer"
device_capacity = "10 TB"
copy_rate = "100 MB/s"
ingest_rate = "200 MB/s"
shipping = "1d"
{params}
to = "lake"

[[stage]]
id = "lake"
kind = "sink"
"#,
        bytes = tb * 1_000_000_000_000
    )
}

fn landed_all(r: &RunReport, tb: u64) {
    assert_eq!(r.end_to_end.delivered, tb, "every record lands");
    assert_eq!(extra(r, "move", "bytes_landed"), tb as f64 * 1e12);
}

/// 30 TB on three 10 TB devices: fill 10^5 s (10 TB at 100 MB/s), ship
/// 86,400 s, ingest 5·10^4 s (at 200 MB/s), return 86,400 s.
/// Serial: a device's whole cycle (322,800 s) before the next starts, so the
/// last lands at 2 × 322,800 + 236,400 = 882,000 s (10.2 days).
/// Staggered: each device fills while the previous ships, fills run back to
/// back, the last is full at 300,000 s and lands at 436,400 s (5.05 days):
/// overlap hides two ship + ingest + return legs, 445,600 s, about -51 %.
#[test]
fn staggered_transfer_beats_serial_by_the_overlap() {
    let serial = run_toml(&migration(30, 1, "devices = 3\nmode = \"serial\""));
    let staggered = run_toml(&migration(30, 1, "devices = 3\nmode = \"staggered\""));
    landed_all(&serial, 30);
    landed_all(&staggered, 30);
    let (ts, tg) = (
        extra(&serial, "move", "migration_time_s"),
        extra(&staggered, "move", "migration_time_s"),
    );
    close(ts, 882_000.0, 1e-6, "serial");
    close(tg, 436_400.0, 1e-6, "staggered");
    close(ts - tg, 445_600.0, 1e-6, "time saved by overlap");
    assert_eq!(extra(&staggered, "move", "devices_used"), 3.0);
}

/// 60 TB, staggered. Three devices: the fourth load waits for device 1 to
/// come back (322,800 s), and so on; the sixth load is full at 622,800 s and
/// lands at 759,200 s. Six devices: fills never wait, the sixth is full at
/// 600,000 s and lands at 736,400 s. Ingest at 400 MB/s instead of 200 (six
/// devices): 25,000 s per device instead of 50,000, lands at 711,400 s.
#[test]
fn more_devices_or_faster_ingest_shorten_the_migration() {
    let three = run_toml(&migration(60, 1, "devices = 3"));
    let six = run_toml(&migration(60, 1, "devices = 6"));
    let fast = run_toml(
        &migration(60, 1, "devices = 6\ningest_rate = \"400 MB/s\"").replace("ingest_rate = \"200 MB/s\"\n", ""),
    );
    for r in [&three, &six, &fast] {
        landed_all(r, 60);
    }
    close(extra(&three, "move", "migration_time_s"), 759_200.0, 1e-6, "3 devices");
    close(extra(&six, "move", "migration_time_s"), 736_400.0, 1e-6, "6 devices");
    close(
        extra(&fast, "move", "migration_time_s"),
        711_400.0,
        1e-6,
        "faster ingest",
    );
}

/// Same corruption rate (2 % per batch copy, 300 batches of 100 GB).
/// Per batch: about 300 × 0.02 / 0.98 ≈ 6 re-copies of 100 GB. Per job: a
/// failure redoes the device's load so far; with 100 batches a device needs
/// about (0.98^-100 - 1) / 0.02 ≈ 327 copies instead of 100. Copies run back
/// to back (staggered, one device per wave), so each re-copied byte adds
/// its copy time: migration = 436,400 s + re-copied bytes / 100 MB/s.
#[test]
fn per_batch_resend_recopies_less_and_finishes_sooner_than_per_job() {
    let text = |resend: &str| {
        migration(
            30,
            7,
            &format!("devices = 3\ncorruption_rate = 0.02\nresend = \"{resend}\""),
        )
        .replace("trace = \"0s,30,", "trace = \"0s,300,")
    };
    let batch = run_toml(&text("batch"));
    let job = run_toml(&text("job"));
    assert_eq!(batch.end_to_end.delivered, 300);
    assert_eq!(job.end_to_end.delivered, 300);
    let (rb, rj) = (
        extra(&batch, "move", "bytes_recopied"),
        extra(&job, "move", "bytes_recopied"),
    );
    assert!(rb > 0.0 && rb < rj, "re-copied: {rb} per batch, {rj} per job");
    assert!(extra(&batch, "move", "batches_resent") < extra(&job, "move", "batches_resent"));
    let (tb, tj) = (
        extra(&batch, "move", "migration_time_s"),
        extra(&job, "move", "migration_time_s"),
    );
    assert!(tb < tj, "per batch {tb} s, per job {tj} s");
    close(
        tb,
        436_400.0 + rb / 100e6,
        1e-6,
        "per batch: re-copies on the critical path",
    );
    close(
        tj,
        436_400.0 + rj / 100e6,
        1e-6,
        "per job: re-copies on the critical path",
    );
}

#[test]
fn zero_corruption_resends_nothing() {
    let r = run_toml(&migration(
        30,
        3,
        "devices = 2\ncorruption_rate = 0.0\nresend = \"job\"",
    ));
    landed_all(&r, 30);
    assert_eq!(extra(&r, "move", "batches_resent"), 0.0);
    assert_eq!(extra(&r, "move", "bytes_recopied"), 0.0);
}

fn over_link(bytes_per_record: u64, records: u64, params: &str) -> String {
    format!(
        r#"
name = "link"
seed = 1
duration = "30d"

[[source]]
id = "history"
arrivals = "trace"
trace = "0s,{records},{bytes}"
to = "wire"

[[stage]]
id = "wire"
kind = "link"
{params}
to = "lake"

[[stage]]
id = "lake"
kind = "sink"
"#,
        bytes = bytes_per_record * records
    )
}

/// B = 100 GB at R = 1 Gbps (125 MB/s) with ceiling u = 0.8 and 40 ms
/// latency: B / (R·u) + latency = 10^11 / 10^8 + 0.04 = 1,000.04 s.
#[test]
fn link_time_is_bytes_over_usable_bandwidth_plus_latency() {
    let r = run_toml(&over_link(
        1_000_000_000,
        100,
        "bandwidth = \"125 MB/s\"\nceiling = 0.8\nlatency = \"40ms\"",
    ));
    assert_eq!(r.end_to_end.delivered, 100);
    close(
        extra(&r, "wire", "transfer_time_s"),
        1_000.04,
        0.01,
        "B/(R·u) + latency",
    );
    assert_eq!(extra(&r, "wire", "bytes_carried"), 1e11);
    // Sending 1,000 s of a 30-day run.
    close(
        extra(&r, "wire", "utilisation"),
        1_000.0 / 2_592_000.0,
        0.01,
        "utilisation",
    );
}

/// The FinTrust comparison: 200 TB over a 1 Gbps Direct Connect port at full
/// rate is 2·10^14 / 1.25·10^8 = 1.6·10^6 s ≈ 18.5 days; three 80 TB
/// Snowballs with the default (assumed) rates, staggered, take about 10.6
/// days: fills of 80, 80 and 40 TB at 300 MB/s (266,667 + 266,667 +
/// 133,333 s), then 2 days' shipping and 80,000 s of ingest at 500 MB/s.
#[test]
fn a_link_and_devices_compare_on_the_same_bytes() {
    let tb = 1_000_000_000_000;
    let link = run_toml(&over_link(
        tb,
        200,
        "flavour = \"direct_connect\"\nceiling = 1.0\nlatency = \"0s\"",
    ));
    close(
        extra(&link, "wire", "transfer_time_s"),
        1.6e6,
        0.01,
        "200 TB over 1 Gbps",
    );
    let devices = run_toml(
        &over_link(tb, 200, "devices = 3").replace("kind = \"link\"", "kind = \"transfer\"\nflavour = \"snowball\""),
    );
    assert_eq!(devices.end_to_end.delivered, 200);
    let want = 2e14 / 300e6 + 2.0 * 86_400.0 + 40e12 / 500e6;
    close(
        extra(&devices, "wire", "migration_time_s"),
        want,
        1e-6,
        "200 TB by Snowball",
    );
    assert!(want < 1.6e6);
}

fn load_error(text: &str) -> scenario::error::ScenarioError {
    let errs = scenario::load(text, Format::Toml).expect_err("should not load").0;
    errs.into_iter().next().expect("one error")
}

#[test]
fn bad_params_give_located_errors() {
    let base = migration(30, 1, "devices = 3");
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;

    let t = base.replace("devices = 3", "devies = 3");
    let e = load_error(&t);
    assert!(
        e.message.contains("unknown field `devies`") && e.message.contains("`devices`"),
        "{e}"
    );
    assert_eq!(e.line, Some(line_of(&t, "devies")), "{e}");

    let t = base.replace("device_capacity = \"10 TB\"", "device_capacity = \"-5 TB\"");
    let e = load_error(&t);
    assert!(e.message.contains("negative"), "{e}");
    assert_eq!(e.line, Some(line_of(&t, "device_capacity")), "{e}");

    let t = base.replace("devices = 3", "flavour = \"snowmobile\"");
    let e = load_error(&t);
    assert!(
        e.message.contains("snowmobile") && e.message.contains("snowball"),
        "{e}"
    );
    assert_eq!(e.line, Some(line_of(&t, "flavour")), "{e}");

    let t = over_link(1, 1, "flavour = \"carrier_pigeon\"\nceiling = 1.5");
    let e = load_error(&t);
    assert!(
        e.message.contains("carrier_pigeon") && e.message.contains("interconnect"),
        "{e}"
    );
    assert_eq!(e.line, Some(line_of(&t, "flavour")), "{e}");

    let t = over_link(1, 1, "ceiling = 1.5");
    let e = load_error(&t);
    assert!(e.message.contains("at most 1"), "{e}");
    assert_eq!(e.line, Some(line_of(&t, "ceiling")), "{e}");
}

/// A device lost in transit: its data is copied again from site onto a
/// replacement, so every byte still lands, later than without the loss.
#[test]
fn a_device_lost_in_transit_is_recopied_and_delays_the_migration() {
    let base = pipelab::scenario::builtin::find("fintrust-bulk-transfer").unwrap().text;
    let run = |text: &str| {
        let r = pipelab::run::run_text(text, pipelab::scenario::Format::Toml, &Default::default())
            .unwrap()
            .1;
        assert!(r.conservation.holds);
        r
    };
    let healthy = run(base);
    // The first Snowball fills 80 TB at 300 MB/s (about 3.1 days) and then
    // ships for 2 days: at 3.5 days it is on the road.
    let lost = run(&format!(
        "{base}\n[[fault]]\nat = \"302400s\"\nstage = \"snowball\"\naction = \"crash\"\n"
    ));
    let (h, l) = (&healthy.stages["snowball"], &lost.stages["snowball"]);
    assert_eq!(l.extra["devices_lost"], 1.0);
    assert!(lost.controls[0].applied, "{:?}", lost.controls);
    assert_eq!(
        l.extra["bytes_landed"], h.extra["bytes_landed"],
        "every byte still lands"
    );
    assert!(l.extra["bytes_recopied"] >= 79e12, "{}", l.extra["bytes_recopied"]);
    assert!(l.extra["migration_time_s"] > h.extra["migration_time_s"] + 86_400.0);
    // With nothing in transit the fault is refused, and says why.
    let early = run(&format!(
        "{base}\n[[fault]]\nat = \"10s\"\nstage = \"snowball\"\naction = \"crash\"\n"
    ));
    assert!(!early.controls[0].applied);
    assert!(early.controls[0].refused.as_deref().unwrap().contains("in transit"));
}
