//! `import-mermaid`, `export-mermaid`, `share`, `open`, and the run's
//! file exports (`--csv`, `--cost-csv`, `--chart out.png|out.svg`).

use super::{invalid, read_scenario};
use pipelab::interchange::{self, mermaid_in, mermaid_out, share};
use pipelab::report::table::counted;
use pipelab::scenario::schema::Provider;
use pipelab::scenario::{self, Format};

/// Writes `bytes` to `path`, or says why not (exit 2).
pub fn write_file(flag: &str, path: &str, bytes: &[u8]) -> Result<(), i32> {
    std::fs::write(path, bytes).map_err(|e| {
        eprintln!("error: {flag} {path}: {e}");
        2
    })
}

/// Whether a path names a Mermaid file (`.mmd`, `.mermaid`).
pub fn is_mermaid_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.ends_with(".mmd") || p.ends_with(".mermaid")
}

/// Imports Mermaid `text` read from `path`; a diagram without a title is
/// named after the file.
pub fn import_file(path: &str, text: &str) -> Result<mermaid_in::Imported, String> {
    if text.len() > interchange::MAX_MERMAID_BYTES {
        return Err(format!(
            "{path}: {} bytes; the limit is {} (256 KiB)",
            text.len(),
            interchange::MAX_MERMAID_BYTES
        ));
    }
    let mut imp = interchange::import(text).map_err(|e| format!("{path}: {e}"))?;
    if imp.chart.title.is_none() && path != "-" {
        let stem = std::path::Path::new(path)
            .file_stem()
            .map_or(path.to_string(), |s| s.to_string_lossy().into_owned());
        imp.scenario.name = format!("{stem} (imported from Mermaid)");
    }
    Ok(imp)
}

/// `pipelab import-mermaid <file.mmd> [-o out.toml|out.json]`.
pub fn import_mermaid(file: &str, out: Option<&str>) -> i32 {
    let text = if file == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin().take_limit(), &mut s) {
            eprintln!("error: stdin: {e}");
            return 2;
        }
        s
    } else {
        match std::fs::metadata(file) {
            Err(e) => {
                eprintln!("error: {file}: {e}");
                return 2;
            }
            Ok(m) if m.len() > interchange::MAX_MERMAID_BYTES as u64 => {
                eprintln!(
                    "error: {file}: {} bytes; the limit is {} (256 KiB)",
                    m.len(),
                    interchange::MAX_MERMAID_BYTES
                );
                return 2;
            }
            Ok(_) => match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {file}: {e}");
                    return 2;
                }
            },
        }
    };
    let imp = match import_file(file, &text) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let toml = if out.is_some_and(|o| o.to_ascii_lowercase().ends_with(".json")) {
        serde_json::to_string_pretty(&imp.scenario).unwrap_or_default() + "\n"
    } else {
        mermaid_in::to_toml(&imp)
    };
    match out {
        Some(path) => {
            if let Err(c) = write_file("-o", path, toml.as_bytes()) {
                return c;
            }
            eprintln!(
                "wrote {path}: {}, {}{}",
                counted(imp.scenario.sources.len(), "source", "sources"),
                counted(imp.scenario.stages.len(), "stage", "stages"),
                if imp.unmapped.is_empty() {
                    ", every box mapped".to_string()
                } else {
                    format!(", {} unmapped", imp.unmapped.len())
                }
            );
        }
        None => out!("{toml}"),
    }
    for u in &imp.unmapped {
        eprintln!("unmapped: {}", u.message());
    }
    for n in &imp.notes {
        eprintln!("note: {n}");
    }
    0
}

/// Bounded stdin (the Mermaid size cap plus one byte, so oversize is seen).
trait TakeLimit {
    fn take_limit(self) -> std::io::Take<Self>
    where
        Self: Sized;
}
impl<R: std::io::Read> TakeLimit for R {
    fn take_limit(self) -> std::io::Take<Self> {
        self.take(interchange::MAX_MERMAID_BYTES as u64 + 1)
    }
}

/// `pipelab export-mermaid <scenario|builtin> [-o out.mmd]`.
pub fn export_mermaid(arg: &str, out: Option<&str>) -> i32 {
    let (text, format) = match read_scenario(arg) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let sc = match scenario::load(&text, format) {
        Ok((sc, _)) => sc,
        Err(e) => return invalid(arg, &e),
    };
    let mmd = mermaid_out::export(&sc);
    match out {
        Some(path) => match write_file("-o", path, mmd.as_bytes()) {
            Ok(()) => 0,
            Err(c) => c,
        },
        None => {
            out!("{mmd}");
            0
        }
    }
}

/// `pipelab share <scenario|builtin> [--seed] [--provider] [--variant] [--url]`.
pub fn share_cmd(
    arg: &str,
    seed: Option<u64>,
    provider: Option<Provider>,
    variant: Option<String>,
    url: Option<&str>,
) -> i32 {
    let (text, format) = match read_scenario(arg) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let sc = match scenario::load(&text, format) {
        Ok((sc, _)) => sc,
        Err(e) => return invalid(arg, &e),
    };
    let mut s = share::Shared::new(text);
    s.seed = seed;
    s.provider = provider;
    s.variant = variant.or_else(|| sc.story.as_ref().map(|st| st.variant.clone()));
    let frag = share::encode(&s);
    match url {
        Some(base) => outln!("{}#{frag}", base.split('#').next().unwrap_or(base)),
        None => outln!("{frag}"),
    }
    eprintln!("{} characters", frag.len());
    0
}

/// Decodes a link for `open`: the payload and its run overrides.
pub fn open_link(link: &str) -> Result<(share::Opened, String, Format), i32> {
    match share::decode(link) {
        Ok(o) => {
            if let Some(n) = &o.notice {
                eprintln!("notice: {n}");
            }
            let text = o.shared.scenario.clone();
            let format = o.shared.format();
            Ok((o, text, format))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(2)
        }
    }
}
