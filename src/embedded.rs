//! Text files compiled into the binary: as they are natively; deflated in
//! the browser build (by `build.rs`) and inflated once, on first use, which
//! keeps about 100 KB of scenarios, prices and claims out of the wasm bundle.

/// The text of a file of this repository (a path from its root, a literal),
/// as `&'static str`.
#[macro_export]
macro_rules! embedded {
    ($path:expr) => {{
        #[cfg(not(target_arch = "wasm32"))]
        let text: &'static str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path));
        #[cfg(target_arch = "wasm32")]
        let text: &'static str = {
            static TEXT: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
            TEXT.get_or_init(|| {
                $crate::embedded::inflate(include_bytes!(concat!(env!("OUT_DIR"), "/", $path, ".deflate")))
            })
        };
        text
    }};
}

/// Inflates a file `build.rs` deflated. The bytes are this build's own, so
/// a failure is a build bug: it says so rather than running on without the
/// file.
pub fn inflate(packed: &[u8]) -> &'static str {
    let bytes = miniz_oxide::inflate::decompress_to_vec(packed).expect("build.rs deflated this file");
    String::from_utf8(bytes).expect("the file is UTF-8").leak()
}
