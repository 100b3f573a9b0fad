//! # pipelab
//!
//! A deterministic discrete-event simulator of cloud data pipelines.
//!
//! ```text
//!   scenario text ──parse/validate──▶ sim::Config ──Simulation::run──▶ metrics
//!   (scenario)                          (sim)                         │
//!                                                                     ▼
//!        browser (web) ◀── view (diagram layout, charts) ◀── report (JSON, table, digest)
//!        CLI (bin/pipelab)
//! ```
//!
//! The core (`sim`, `scenario`, `report`, `view`, `run`) is pure: no I/O, no
//! clock, no browser or terminal APIs. It compiles for x86_64 and wasm32 and
//! gives the same results, bit for bit, on both. The browser app (`web`,
//! wasm32 only) and the CLI (`src/bin/pipelab.rs`, native only) are thin
//! shells over it.

pub mod claims;
pub mod cost;
pub mod embedded;
pub mod governance;
pub mod interchange;
pub mod models;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod view;

#[cfg(target_arch = "wasm32")]
pub mod web;
