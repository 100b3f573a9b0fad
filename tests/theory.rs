//! The engine against queueing theory. Each test writes a scenario in the
//! public file format, runs it in the exact regime (one record per batch),
//! and compares with the closed form worked out in its comment.
//! Tolerances: 2 % for means and probabilities, 1 % for Little's law.

use pipelab::report::{RunReport, StageReport};
use pipelab::run::{self, Overrides};
use pipelab::scenario::Format;

fn run_toml(text: &str) -> RunReport {
    run::run_text(text, Format::Toml, &Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .1
}

fn queue_scenario(seed: u64, duration_s: u64, rate: f64, servers: u32, service: &str, capacity: &str) -> String {
    format!(
        r#"
name = "theory"
seed = {seed}
duration = "{duration_s}s"
warmup = "{warm}s"

[[source]]
id = "arrivals"
arrivals = "poisson"
rate = "{rate}/s"
to = "q"

[[stage]]
id = "q"
kind = "queue"
servers = {servers}
service = {service}
capacity = {capacity}
on_full = "drop"
"#,
        warm = duration_s / 50
    )
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    let rel = (got / want - 1.0).abs();
    assert!(
        rel <= tol,
        "{what}: simulated {got:.6}, theory {want:.6} ({:.2} % off, tolerance {:.1} %)",
        rel * 100.0,
        tol * 100.0
    );
}

fn littles_law(s: &StageReport, what: &str) {
    close(
        s.mean_in_system,
        s.throughput_per_s * s.sojourn_s.mean,
        0.01,
        &format!("{what}: Little's law L = λW"),
    );
}

/// M/M/1 with λ = 7/s, μ = 10/s (ρ = 0.7):
/// L = ρ/(1-ρ) = 2.3333, Wq = ρ/(μ-λ) = 0.23333 s, W = 1/(μ-λ) = 0.33333 s,
/// P(wait) = ρ = 0.7.
#[test]
fn mm1_matches_closed_forms() {
    let r = run_toml(&queue_scenario(
        101,
        200_000,
        7.0,
        1,
        r#"{ dist = "exponential", mean = "100ms" }"#,
        r#""unbounded""#,
    ));
    let q = &r.stages["q"];
    close(q.mean_in_system, 7.0 / 3.0, 0.02, "M/M/1 L");
    close(q.wait_s.mean, 0.7 / 3.0, 0.02, "M/M/1 Wq");
    close(q.sojourn_s.mean, 1.0 / 3.0, 0.02, "M/M/1 W");
    close(q.wait_probability, 0.7, 0.02, "M/M/1 P(wait)");
    close(q.utilization, 0.7, 0.02, "M/M/1 utilisation");
    littles_law(q, "M/M/1");
    assert!(r.conservation.holds);
}

/// Erlang C for c servers with offered load a = λ/μ, ρ = a/c.
fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / c as f64;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let last = term * a / c as f64 / (1.0 - rho);
    last / (sum + last)
}

/// M/M/c with λ = 80/s, μ = 25/s, c = 4 (ρ = 0.8): Erlang C gives
/// P(wait) = 0.59643, Wq = C/(cμ-λ) = 0.029822 s, L = λ(Wq + 1/μ) = 5.5857.
/// Also c = 3 at λ = 60/s (ρ = 0.8) to vary the server count.
#[test]
fn mmc_matches_erlang_c() {
    for (c, lambda, seed) in [(4u32, 80.0, 7u64), (3, 60.0, 8)] {
        let mu = 25.0;
        let pw = erlang_c(c, lambda / mu);
        let wq = pw / (c as f64 * mu - lambda);
        let r = run_toml(&queue_scenario(
            seed,
            40_000,
            lambda,
            c,
            r#"{ dist = "exponential", mean = "40ms" }"#,
            r#""unbounded""#,
        ));
        let q = &r.stages["q"];
        close(q.wait_probability, pw, 0.02, &format!("M/M/{c} P(wait)"));
        close(q.wait_s.mean, wq, 0.02, &format!("M/M/{c} Wq"));
        close(q.mean_in_system, lambda * (wq + 1.0 / mu), 0.02, &format!("M/M/{c} L"));
        close(q.mean_in_queue, lambda * wq, 0.025, &format!("M/M/{c} Lq"));
        littles_law(q, &format!("M/M/{c}"));
    }
    assert!((erlang_c(4, 3.2) - 0.596_43).abs() < 1e-4);
}

/// M/D/1 with λ = 7/s, D = 100 ms (ρ = 0.7): Pollaczek–Khinchine gives
/// Wq = ρD / (2(1-ρ)) = 0.116667 s and L = ρ + λWq = 1.516667.
#[test]
fn md1_matches_pollaczek_khinchine() {
    let r = run_toml(&queue_scenario(5, 100_000, 7.0, 1, r#""100ms""#, r#""unbounded""#));
    let q = &r.stages["q"];
    close(q.wait_s.mean, 0.7 * 0.1 / 0.6, 0.02, "M/D/1 Wq");
    close(q.mean_in_system, 0.7 + 7.0 * (0.7 * 0.1 / 0.6), 0.02, "M/D/1 L");
    littles_law(q, "M/D/1");
}

/// M/M/1/K with λ = 9/s, μ = 10/s, K = 5 (ρ = 0.9):
/// P(block) = (1-ρ)ρ^K / (1-ρ^(K+1)) = 0.126023,
/// L = ρ/(1-ρ) - (K+1)ρ^(K+1)/(1-ρ^(K+1)) = 2.135679.
/// Also K = 2 at ρ = 1.2 (overloaded; still stable because it is finite).
#[test]
fn mm1k_blocking_probability_and_occupancy() {
    for (k, lambda, seed) in [(5u32, 9.0, 3u64), (2, 12.0, 4)] {
        let rho: f64 = lambda / 10.0;
        let rk1 = rho.powi(k as i32 + 1);
        let p_block = (1.0 - rho) * rho.powi(k as i32) / (1.0 - rk1);
        let l = rho / (1.0 - rho) - (k as f64 + 1.0) * rk1 / (1.0 - rk1);
        let r = run_toml(&queue_scenario(
            seed,
            100_000,
            lambda,
            1,
            r#"{ dist = "exponential", mean = "100ms" }"#,
            &k.to_string(),
        ));
        let q = &r.stages["q"];
        close(q.drop_fraction, p_block, 0.02, &format!("M/M/1/{k} blocking"));
        close(q.mean_in_system, l, 0.02, &format!("M/M/1/{k} L"));
        littles_law(q, &format!("M/M/1/{k}"));
        assert_eq!(q.dropped_by_reason.get("full").copied().unwrap_or(0), q.dropped);
        assert!(r.conservation.holds);
    }
}

/// Two M/M/1 queues in tandem (a Jackson network): λ = 5/s, μ1 = 10/s,
/// μ2 = 8/s. Each behaves as M/M/1: L1 = 1, L2 = 5/3, and the end-to-end
/// sojourn is 1/(μ1-λ) + 1/(μ2-λ) = 0.2 + 0.33333 = 0.53333 s.
#[test]
fn tandem_of_two_queues_matches_jackson() {
    let text = r#"
name = "tandem"
seed = 21
duration = "200000s"
warmup = "2000s"

[[source]]
id = "arrivals"
arrivals = "poisson"
rate = "5/s"
to = "first"

[[stage]]
id = "first"
kind = "queue"
service = { dist = "exponential", mean = "100ms" }
to = "second"

[[stage]]
id = "second"
kind = "queue"
service = { dist = "exponential", mean = "125ms" }
"#;
    let r = run_toml(text);
    close(r.stages["first"].mean_in_system, 1.0, 0.02, "tandem L1");
    close(r.stages["second"].mean_in_system, 5.0 / 3.0, 0.02, "tandem L2");
    close(
        r.end_to_end.latency_s.mean,
        0.2 + 1.0 / 3.0,
        0.02,
        "tandem end-to-end W",
    );
    littles_law(&r.stages["first"], "tandem first");
    littles_law(&r.stages["second"], "tandem second");
}

/// The aggregated regime agrees with the exact one on means: the same
/// M/M/4 load offered as 1-second Poisson batches gives the same throughput
/// and utilisation (service of a batch of n is a Gamma(n) sum).
#[test]
fn aggregated_and_exact_regimes_agree_on_throughput_and_utilisation() {
    let base = queue_scenario(
        9,
        20_000,
        80.0,
        4,
        r#"{ dist = "exponential", mean = "40ms" }"#,
        r#""unbounded""#,
    );
    let exact = run_toml(&base);
    let agg = run_toml(&base.replace("to = \"q\"", "to = \"q\"\naggregate = \"100ms\""));
    assert_eq!(agg.regime, "aggregated");
    let (e, a) = (&exact.stages["q"], &agg.stages["q"]);
    close(a.throughput_per_s, e.throughput_per_s, 0.01, "throughput");
    close(a.utilization, e.utilization, 0.02, "utilisation");
}
