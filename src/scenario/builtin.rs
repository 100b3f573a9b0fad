//! Scenarios compiled into every binary (CLI and browser alike).

/// A built-in scenario.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// Short name (`pipelab run <name>`), the file stem in `scenarios/`.
    pub name: &'static str,
    /// TOML text.
    pub text: &'static str,
}

macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        /// Every built-in scenario, in menu order.
        pub fn all() -> &'static [Builtin] {
            static ALL: std::sync::OnceLock<Vec<Builtin>> = std::sync::OnceLock::new();
            ALL.get_or_init(|| vec![$(Builtin { name: $name, text: crate::embedded!(concat!("scenarios/", $name, ".toml")) }),*])
        }
    };
}

builtins![
    "mm4-teaching",
    "mm1k-blocking",
    "backpressure-tandem",
    "throttle-retry",
    "kinesis-autoscale",
    "lambda-burst",
    "day-500m-pipeline",
    "fintrust-bulk-transfer",
    "ticket-dedup",
    "edutech-cqrs",
    "ticket-spark-streaming",
    "fintrust-before",
    "fintrust-after",
    "fintrust-migration",
    "ticket-before",
    "ticket-after",
    "edutech-before",
    "edutech-after"
];

/// The scenario the app opens with.
pub const DEFAULT: &str = "backpressure-tandem";

/// Finds a built-in by name.
pub fn find(name: &str) -> Option<&'static Builtin> {
    all().iter().find(|b| b.name == name)
}

/// The display title of a built-in (its `name` field), falling back to the short name.
pub fn title(b: &Builtin) -> String {
    super::parse(b.text, super::Format::Toml)
        .map(|s| s.name)
        .unwrap_or_else(|_| b.name.to_string())
}
