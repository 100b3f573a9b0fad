//! The simulation's Web Worker (built by Trunk for wasm32): it owns the
//! simulation and streams snapshots to the page.

#[cfg(target_arch = "wasm32")]
fn main() {
    pipelab::web::worker::start();
}

// Native builds have no worker; the CLI is `pipelab`.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the simulation worker is built with `trunk build`; use the `pipelab` CLI natively");
}
