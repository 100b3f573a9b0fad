//! Architecture invariants enforced as tests.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The core never names a browser, terminal, file or clock API.
#[test]
fn the_core_is_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for d in [
        "sim",
        "scenario",
        "report",
        "view",
        "cost",
        "governance",
        "claims",
        "models",
        "interchange",
    ] {
        rust_files(&root.join(d), &mut files);
    }
    files.push(root.join("run.rs"));
    files.push(root.join("sweep.rs"));
    files.push(root.join("embedded.rs"));
    let forbidden = [
        "web_sys",
        "yew",
        "wasm_bindgen",
        "gloo",
        "clap",
        "std::fs",
        "std::io",
        "Instant::now",
        "SystemTime",
        "std::env",
        "HashMap",
        "HashSet",
        "println!",
        "eprintln!",
    ];
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for w in forbidden {
                if code.contains(w) {
                    hits.push(format!("{}:{}: {w}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(files.len() > 10, "found the core's files");
    assert!(hits.is_empty(), "the core must stay pure:\n{}", hits.join("\n"));
}
