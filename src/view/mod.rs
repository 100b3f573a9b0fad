//! Plain view models shared by the browser and the CLI: the diagram's
//! layout and the charts' drawing functions (generic over the plotters
//! backend: canvas in the browser, SVG in tests and the CLI).

pub mod chart;
pub mod diagram;
