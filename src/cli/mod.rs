//! Command-line arguments → library calls → printed results.
//!
//! Exit status: 0 on success, 2 on invalid input (with a located message),
//! 1 when a run breaks an invariant (a bug).

/// `println!` that exits quietly when stdout is closed (`pipelab … | head`)
/// instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

/// `print!` with the same behaviour.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if write!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod bench;
mod claims;
mod interchange;
mod png;
mod sweep;

use clap::{Parser, Subcommand, ValueEnum};
use pipelab::cost;
use pipelab::report::{self, table};
use pipelab::run::{self, Overrides, RunError};
use pipelab::scenario::schema::Provider;
use pipelab::scenario::{self, builtin, units, Format};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "pipelab", about = "Deterministic simulator of cloud data pipelines", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the built-in scenarios.
    List,
    /// Print the version of the tool and of its engine.
    Version,
    /// Describe the stage kinds: services, help, parameters and published limits.
    Kinds {
        /// One kind (all when omitted).
        kind: Option<String>,
    },
    /// Run a scenario to its end and print the results.
    Run {
        /// A scenario file (.toml or .json), a Mermaid diagram (.mmd), or the name of a built-in.
        scenario: String,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the simulated duration, like "2h" or "600s".
        #[arg(long)]
        duration: Option<String>,
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        exports: Exports,
        /// Re-map the scenario to this provider's services (and price it so).
        #[arg(long, value_enum)]
        provider: Option<ProviderArg>,
        /// Set a field before running: `<stage>.<field>=<value>` (repeatable), e.g. `kinesis.shards=8`.
        #[arg(long = "set", value_name = "KNOB=VALUE")]
        sets: Vec<String>,
    },
    /// Turn a Mermaid flowchart into a scenario file (prints the boxes it could not map).
    ImportMermaid {
        /// The diagram (.mmd), or `-` for standard input.
        file: String,
        /// Write the scenario here (JSON if it ends in `.json`, else TOML) instead of standard output.
        #[arg(short, long)]
        output: Option<String>,
    },
    /// Print a scenario's architecture as a Mermaid flowchart.
    ExportMermaid {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
        /// Write the diagram here instead of standard output.
        #[arg(short, long)]
        output: Option<String>,
    },
    /// Print a share-link fragment that replays this scenario exactly.
    Share {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
        /// Seed to replay with (else the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Provider to map to (else the scenario's).
        #[arg(long, value_enum)]
        provider: Option<ProviderArg>,
        /// Story variant to show (else the scenario's `[story] variant`).
        #[arg(long)]
        variant: Option<String>,
        /// Print a whole link on this page address instead of the fragment.
        #[arg(long)]
        url: Option<String>,
    },
    /// Run the scenario a share link (or its fragment) carries.
    Open {
        /// A link with a `#p1.…` fragment, or the fragment alone.
        link: String,
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        exports: Exports,
    },
    /// Run a scenario and print what it costs, per service and item.
    Cost {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
        /// Price as AWS, as GCP (re-mapping the services), or both side by side.
        #[arg(long, value_enum)]
        provider: Option<CostProviderArg>,
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
        /// Set a field before running: `<stage>.<field>=<value>` (repeatable).
        #[arg(long = "set", value_name = "KNOB=VALUE")]
        sets: Vec<String>,
    },
    /// Review a scenario's architecture as a PCI DSS or GDPR reviewer would.
    Compliance {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
        /// Print the findings as one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Check a scenario file without running it.
    Validate {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
    },
    /// Check the seed stories' claims: run each before and after, print the figures and the verdict.
    Claims {
        /// Print exactly one JSON object `{"claims": [...]}` on stdout.
        #[arg(long)]
        json: bool,
        /// Only claims whose id or story contains this text.
        #[arg(long)]
        only: Option<String>,
    },
    /// Run two scenarios and print them side by side with the differences.
    Compare {
        /// First scenario (file or built-in), "A".
        a: String,
        /// Second scenario (file or built-in), "B".
        b: String,
        /// Seed for both runs (default: each scenario's own).
        #[arg(long)]
        seed: Option<u64>,
        /// Re-map both to this provider.
        #[arg(long, value_enum)]
        provider: Option<ProviderArg>,
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// What-if capacity planning: run a scenario over a grid of knob values and tabulate figures.
    Sweep {
        /// A scenario file (.toml or .json) or the name of a built-in.
        scenario: String,
        /// A knob and its values: `<stage>.<field>=v1,v2,...` (repeatable: the runs span the grid, at most 64).
        #[arg(long, value_name = "KNOB=V1,V2,...", required = true)]
        vary: Vec<String>,
        /// A field set on every run: `<stage>.<field>=<value>` (repeatable).
        #[arg(long = "set", value_name = "KNOB=VALUE")]
        sets: Vec<String>,
        /// A figure of each run: a path into `pipelab run --json`, with `+ - * /` (repeatable;
        /// default: latency p50/p95, delivered, dropped, cost per month).
        #[arg(long, value_name = "PATH")]
        metric: Vec<String>,
        /// Seed for every run (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Re-map to this provider (and price it so).
        #[arg(long, value_enum)]
        provider: Option<ProviderArg>,
        /// Print exactly one JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Measure engine speed: events per second on M/M/4, and a day of 500 million records.
    Bench {
        /// Simulated seconds of the M/M/4 model.
        #[arg(long, default_value_t = 200_000)]
        mm4_seconds: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Files a run can write.
#[derive(clap::Args, Clone, Default)]
struct Exports {
    /// Also write the throughput chart to this path: SVG, or PNG if it ends in `.png`.
    #[arg(long)]
    chart: Option<String>,
    /// Also write the time series as CSV: one row per stage per time step.
    #[arg(long)]
    csv: Option<String>,
    /// Also write the cost report as CSV: one row per priced line.
    #[arg(long)]
    cost_csv: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProviderArg {
    Aws,
    Gcp,
}

impl From<ProviderArg> for Provider {
    fn from(p: ProviderArg) -> Provider {
        match p {
            ProviderArg::Aws => Provider::Aws,
            ProviderArg::Gcp => Provider::Gcp,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CostProviderArg {
    Aws,
    Gcp,
    Both,
}

/// Runs `text` mapped to `provider` and returns its cost report.
fn cost_of(arg: &str, text: &str, format: Format, provider: Option<Provider>) -> Result<cost::CostReport, i32> {
    let o = Overrides {
        provider,
        ..Overrides::default()
    };
    match run::run_text(text, format, &o) {
        Ok((_, rep)) => Ok(rep.cost.expect("finish prices the run")),
        Err(RunError::Invalid(e)) => Err(invalid(arg, &e)),
        Err(e @ RunError::ConservationViolated(_)) => {
            eprintln!("error: {arg}: {e}");
            Err(1)
        }
    }
}

fn cost_cmd(arg: &str, provider: Option<CostProviderArg>, json: bool, sets: &[String]) -> i32 {
    let (text, format) = match sweep::read_with_sets(arg, sets) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let one = |p: Option<Provider>| cost_of(arg, &text, format, p);
    match provider {
        Some(CostProviderArg::Both) => {
            let (aws, gcp) = match (one(Some(Provider::Aws)), one(Some(Provider::Gcp))) {
                (Ok(a), Ok(g)) => (a, g),
                (Err(c), _) | (_, Err(c)) => return c,
            };
            if json {
                let v = serde_json::json!({
                    "aws": aws,
                    "gcp": gcp,
                    "pairs": cost::report::compare(&aws, &gcp),
                    "difference_per_month_usd": gcp.per_month_usd - aws.per_month_usd,
                });
                outln!("{}", serde_json::to_string_pretty(&v).expect("report serialises"));
            } else {
                out!("{}", cost::report::render_both(&aws, &gcp));
            }
            0
        }
        p => {
            let p = p.map(|p| match p {
                CostProviderArg::Gcp => Provider::Gcp,
                _ => Provider::Aws,
            });
            match one(p) {
                Ok(r) => {
                    if json {
                        outln!("{}", serde_json::to_string_pretty(&r).expect("report serialises"));
                    } else {
                        out!("{}", cost::report::render(&r));
                    }
                    0
                }
                Err(c) => c,
            }
        }
    }
}

/// Scenario text and a display name, from a path or a built-in name.
fn read_scenario(arg: &str) -> Result<(String, Format), String> {
    if let Some(b) = builtin::find(arg) {
        return Ok((b.text.to_string(), Format::Toml));
    }
    let meta = std::fs::metadata(arg).map_err(|e| {
        let names: Vec<&str> = builtin::all().iter().map(|b| b.name).collect();
        format!("{arg}: {e} (and it is not a built-in: {})", names.join(", "))
    })?;
    if meta.len() > scenario::MAX_SCENARIO_BYTES as u64 {
        return Err(format!(
            "{arg}: {} bytes; the limit is {}",
            meta.len(),
            scenario::MAX_SCENARIO_BYTES
        ));
    }
    let text = std::fs::read_to_string(arg).map_err(|e| format!("{arg}: {e}"))?;
    if interchange::is_mermaid_path(arg) {
        // A Mermaid diagram runs as the scenario it imports to.
        let imp = interchange::import_file(arg, &text)?;
        for u in &imp.unmapped {
            eprintln!("unmapped: {}", u.message());
        }
        return Ok((pipelab::interchange::mermaid_in::to_toml(&imp), Format::Toml));
    }
    let format = if arg.ends_with(".json") {
        Format::Json
    } else if arg.ends_with(".toml") {
        Format::Toml
    } else {
        Format::sniff(&text)
    };
    Ok((text, format))
}

fn invalid(file: &str, e: &scenario::ScenarioErrors) -> i32 {
    for err in &e.0 {
        eprintln!("error: {file}: {err}");
    }
    2
}

/// Runs scenario text, writes the requested files, and prints the results
/// (a table, or one JSON object).
fn run_and_print(
    arg: &str,
    text: &str,
    format: Format,
    o: &Overrides,
    json: bool,
    exports: &Exports,
    replay: &str,
) -> i32 {
    let start = Instant::now();
    let (prepared, mut rep) = match run::run_text(text, format, o) {
        Ok(r) => r,
        Err(RunError::Invalid(e)) => return invalid(arg, &e),
        Err(e @ RunError::ConservationViolated(_)) => {
            eprintln!("error: {arg}: {e}");
            return 1;
        }
    };
    rep.wall_s = start.elapsed().as_secs_f64();
    if let Some(path) = &exports.chart {
        let data = pipelab::view::chart::throughput(&prepared.sim);
        let drawn = if path.to_ascii_lowercase().ends_with(".png") {
            png::chart_png(&data, 960, 420)
        } else {
            pipelab::view::chart::svg_string(&data, 960, 420).map(String::into_bytes)
        };
        match drawn {
            Ok(bytes) => {
                if let Err(c) = interchange::write_file("--chart", path, &bytes) {
                    return c;
                }
            }
            Err(e) => eprintln!("warning: chart not drawn: {e}"),
        }
    }
    if let Some(path) = &exports.csv {
        let csv = pipelab::interchange::csv::results(&prepared.sim);
        if let Err(c) = interchange::write_file("--csv", path, csv.as_bytes()) {
            return c;
        }
    }
    if let Some(path) = &exports.cost_csv {
        let csv = rep
            .cost
            .as_ref()
            .map(pipelab::interchange::csv::cost)
            .unwrap_or_default();
        if let Err(c) = interchange::write_file("--cost-csv", path, csv.as_bytes()) {
            return c;
        }
    }
    if json {
        outln!("{}", serde_json::to_string_pretty(&rep).expect("report serialises"));
    } else {
        out!("{}", table::render(&rep));
        if let Some(c) = &rep.cost {
            outln!(
                "cost ({}): {} for the run, {} per month (`pipelab cost` for details)",
                c.provider,
                pipelab::report::text::usd(c.total_usd),
                pipelab::report::text::usd(c.per_month_usd),
            );
        }
        outln!("replay: {replay} --seed {}", rep.seed);
    }
    0
}

/// Runs the CLI; returns the exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::List => {
            for b in builtin::all() {
                let sc = scenario::parse(b.text, Format::Toml).ok();
                let title = sc.as_ref().map_or(b.name.to_string(), |s| s.name.clone());
                outln!("{:<22} {}", b.name, title);
            }
            0
        }
        Cmd::Kinds { kind } => {
            let kinds: Vec<&pipelab::models::KindInfo> = match &kind {
                Some(k) => match pipelab::models::kind_info(k) {
                    Some(info) => vec![info],
                    None => {
                        eprintln!("error: {}", pipelab::models::unknown_kind(k));
                        return 2;
                    }
                },
                None => pipelab::models::KINDS.iter().collect(),
            };
            for k in kinds {
                outln!("{}", k.name);
                if !k.aws.is_empty() {
                    outln!("  AWS: {}   GCP: {}", k.aws, k.gcp);
                }
                outln!("  {}", k.help);
                if !k.params.is_empty() {
                    outln!("  parameters:");
                    for p in k.params {
                        outln!("    {:<26} {:<8} {}", p.name, p.kind.name(), p.unit);
                    }
                }
                for l in k.limits {
                    outln!(
                        "  limit ({}): {} = {} {}{}  [{}]",
                        l.provider,
                        l.name,
                        l.value,
                        l.unit,
                        if l.confirmed { "" } else { "  (unconfirmed)" },
                        l.source
                    );
                }
                outln!();
            }
            0
        }
        Cmd::Version => {
            outln!("pipelab {} ({})", env!("CARGO_PKG_VERSION"), report::ENGINE_VERSION);
            0
        }
        Cmd::Compliance { scenario: arg, json } => match read_scenario(&arg) {
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
            Ok((text, format)) => match scenario::load(&text, format) {
                Ok((sc, _)) => {
                    let findings = pipelab::governance::check(&sc);
                    if json {
                        println!("{}", serde_json::to_string(&findings).unwrap_or_default());
                    } else if findings.is_empty() {
                        println!("{arg}: no findings");
                    } else {
                        for f in &findings {
                            println!("{} [{}] {}: {}", f.rule, f.standard, f.subject, f.message);
                        }
                    }
                    // Findings are a review, not an error: exit 1 so scripts can gate on it.
                    i32::from(!findings.is_empty())
                }
                Err(e) => invalid(&arg, &e),
            },
        },
        Cmd::Validate { scenario: arg } => match read_scenario(&arg) {
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
            Ok((text, format)) => match scenario::load(&text, format) {
                Ok((sc, cfg)) => {
                    outln!(
                        "{arg}: valid ({}: {} sources, {} stages, {} simulated)",
                        sc.name,
                        cfg.sources.len(),
                        cfg.stages.len(),
                        units::format_duration_ns(cfg.duration_ns)
                    );
                    0
                }
                Err(e) => invalid(&arg, &e),
            },
        },
        Cmd::Claims { json, only } => claims::claims_cmd(json, only.as_deref()),
        Cmd::Compare {
            a,
            b,
            seed,
            provider,
            json,
        } => claims::compare_cmd(&a, &b, seed, provider.map(Provider::from), json),
        Cmd::Run {
            scenario: arg,
            seed,
            duration,
            json,
            exports,
            provider,
            sets,
        } => {
            let (text, format) = match sweep::read_with_sets(&arg, &sets) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            };
            let duration_ns = match duration.as_deref().map(units::parse_duration_ns).transpose() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("error: --duration: {e}");
                    return 2;
                }
            };
            let o = Overrides {
                seed,
                duration_ns,
                provider: provider.map(Provider::from),
            };
            run_and_print(&arg, &text, format, &o, json, &exports, &format!("pipelab run {arg}"))
        }
        Cmd::ImportMermaid { file, output } => interchange::import_mermaid(&file, output.as_deref()),
        Cmd::ExportMermaid { scenario, output } => interchange::export_mermaid(&scenario, output.as_deref()),
        Cmd::Share {
            scenario,
            seed,
            provider,
            variant,
            url,
        } => interchange::share_cmd(&scenario, seed, provider.map(Provider::from), variant, url.as_deref()),
        Cmd::Open { link, json, exports } => match interchange::open_link(&link) {
            Err(c) => c,
            Ok((opened, text, format)) => {
                if let Some(v) = &opened.shared.variant {
                    eprintln!("variant: {v}");
                }
                let o = opened.shared.overrides();
                run_and_print("share link", &text, format, &o, json, &exports, "pipelab open <link>")
            }
        },
        Cmd::Cost {
            scenario: arg,
            provider,
            json,
            sets,
        } => cost_cmd(&arg, provider, json, &sets),
        Cmd::Sweep {
            scenario,
            vary,
            sets,
            metric,
            seed,
            provider,
            json,
        } => {
            let o = Overrides {
                seed,
                provider: provider.map(Provider::from),
                ..Overrides::default()
            };
            sweep::sweep_cmd(&scenario, &vary, &sets, &metric, &o, json)
        }
        Cmd::Bench { mm4_seconds, json } => bench::run(mm4_seconds, json),
    }
}
