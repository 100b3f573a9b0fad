//! Plain view models shared by the browser and the CLI: the diagram's
//! layout, the charts' drawing functions (generic over the plotters
//! backend: canvas in the browser, SVG in tests and the CLI), and the live
//! session the browser's worker drives.

pub mod chart;
pub mod diagram;
pub mod exchange;
pub mod live;
