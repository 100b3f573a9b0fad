//! For the browser build only: deflates the texts the core compiles in
//! (built-in scenarios, the price catalogue, the claims table) into OUT_DIR,
//! so the wasm bundle carries them compressed (`pipelab::embedded!` inflates
//! each on first use). Native builds include the files as they are.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut files: Vec<String> = vec!["data/prices.json".into(), "data/claims.toml".into()];
    let mut scenarios: Vec<String> = fs::read_dir("scenarios")
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok())
        .map(|e| format!("scenarios/{}", e.file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".toml"))
        .collect();
    scenarios.sort();
    files.extend(scenarios);
    println!("cargo:rerun-if-changed=scenarios");
    for f in files {
        println!("cargo:rerun-if-changed={f}");
        let data = fs::read(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let packed = miniz_oxide::deflate::compress_to_vec(&data, 10);
        let dest = Path::new(&out).join(format!("{f}.deflate"));
        fs::create_dir_all(dest.parent().expect("a file has a folder")).expect("OUT_DIR is writable");
        fs::write(&dest, packed).expect("OUT_DIR is writable");
    }
}
