//! Browser tests (wasm-bindgen-test in headless Chromium): the core gives
//! the same digests in wasm32 as natively, and the app mounts.
#![cfg(target_arch = "wasm32")]

use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use std::collections::BTreeMap;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Written by the native test `golden_digests_match_this_build`.
const GOLDEN: &str = include_str!("golden/digests.json");

#[wasm_bindgen_test]
fn wasm_digests_equal_native_digests_for_every_builtin() {
    let golden: BTreeMap<String, String> = serde_json::from_str(GOLDEN).expect("golden json");
    assert_eq!(golden.len(), builtin::ALL.len(), "golden file covers every built-in");
    for b in builtin::ALL {
        let (_, r) = run::run_text(b.text, Format::Toml, &Overrides::default()).expect("runs");
        assert_eq!(
            &r.digest, &golden[b.name],
            "{} differs between wasm32 and native",
            b.name
        );
        assert!(r.conservation.holds);
    }
}

#[wasm_bindgen_test]
async fn app_mounts_with_picker_diagram_and_chart() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<pipelab::web::App>::with_root(root).render();
    yew::platform::time::sleep(Duration::from_millis(300)).await;
    let options = doc.query_selector_all("#scenario-picker option").unwrap();
    assert_eq!(options.length() as usize, builtin::ALL.len());
    let nodes = doc.query_selector_all("#diagram g.node").unwrap();
    assert!(nodes.length() >= 2, "diagram has nodes");
    assert!(doc.query_selector("canvas.chart").unwrap().is_some());
}
