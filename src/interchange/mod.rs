//! Interchange: pipelab's scenarios in and out of other formats, as pure
//! functions the CLI and the browser app share.
//!
//! - [`mermaid_syntax`]: Mermaid flowchart text → a plain graph.
//! - [`services`]: service names (Kinesis, Pub/Sub, Glue, …) → stage kinds.
//! - [`mermaid_in`]: the graph → a runnable scenario (plus unmapped boxes).
//! - [`mermaid_out`]: any scenario → Mermaid flowchart text.
//! - [`share`]: the share-link payload (scenario, seed, provider, variant,
//!   engine version), compressed into a URL fragment.
//! - [`csv`]: run results and cost reports as CSV.

pub mod base64url;
pub mod csv;
pub mod mermaid_in;
pub mod mermaid_out;
pub mod mermaid_syntax;
pub mod services;
pub mod share;

pub use mermaid_in::{import, Imported, Unmapped};
pub use mermaid_out::export as export_mermaid;
pub use mermaid_syntax::{MermaidError, MAX_MERMAID_BYTES};
