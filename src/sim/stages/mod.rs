//! Generic stages: the building blocks for teaching and for service models.

mod batcher;
mod delay;
mod queue;

pub use batcher::BatcherStage;
pub use delay::DelayStage;
pub use queue::{QueueStage, ServiceTime};
