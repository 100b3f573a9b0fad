//! The discrete-event engine.
//!
//! Time is integer nanoseconds ([`time`]); events are ordered by (time,
//! insertion sequence) ([`event`]); every component draws from its own random
//! stream ([`rng`]); entities are record batches ([`batch`]) flowing from
//! [`source`]s through [`stage`]s connected with bounded capacity and explicit
//! back-pressure ([`engine`]); every record is accounted for
//! ([`conservation`]).

pub mod batch;
pub mod conservation;
pub mod dist;
pub mod engine;
pub mod event;
pub mod histogram;
pub mod metrics;
pub mod rng;
pub mod series;
pub mod slab;
pub mod source;
pub mod stage;
pub mod stages;
pub mod time;
pub mod token_bucket;

pub use engine::{Config, FullPolicy, Routes, Simulation, StageConfig};
