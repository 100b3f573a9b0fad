//! The `pipelab` command line: a thin shell over the library.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(pipelab_cli::main());
}

// The CLI is native only; wasm32 test builds still link every bin target.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
#[path = "../cli/mod.rs"]
mod pipelab_cli;
