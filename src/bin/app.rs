//! The browser app's entry point (built by Trunk for wasm32). The
//! simulation itself runs in the `worker` bin.

#[cfg(target_arch = "wasm32")]
fn main() {
    pipelab::web::start();
}

// Native builds have no browser app; the CLI is `pipelab`.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the browser app is built with `trunk build`; use the `pipelab` CLI natively");
}
