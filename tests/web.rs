//! Browser tests (wasm-bindgen-test in headless Chromium): the core gives
//! the same digests in wasm32 as natively (whole runs and the worker's
//! grid-stepped session), and the app mounts.
#![cfg(target_arch = "wasm32")]

use pipelab::run::{self, Overrides};
use pipelab::scenario::{builtin, Format};
use pipelab::view::live::Session;
use std::collections::BTreeMap;
use std::time::Duration;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Written by the native test `golden_digests_match_this_build`.
const GOLDEN: &str = include_str!("golden/digests.json");

#[wasm_bindgen_test]
fn wasm_digests_equal_native_digests_for_every_builtin() {
    let golden: BTreeMap<String, String> = serde_json::from_str(GOLDEN).expect("golden json");
    assert_eq!(golden.len(), builtin::all().len(), "golden file covers every built-in");
    for b in builtin::all() {
        let (_, r) = run::run_text(b.text, Format::Toml, &Overrides::default()).expect("runs");
        assert_eq!(
            &r.digest, &golden[b.name],
            "{} differs between wasm32 and native",
            b.name
        );
        assert!(r.conservation.holds);
    }
}

/// The worker's session, stepped on its grid in wasm32, ends exactly where
/// an uninterrupted native run does.
#[wasm_bindgen_test]
fn a_live_session_stepped_on_the_grid_matches_the_native_digest() {
    let golden: BTreeMap<String, String> = serde_json::from_str(GOLDEN).expect("golden json");
    let mut s = Session::builtin("backpressure-tandem", Overrides::default()).expect("loads");
    while s.advance() {}
    assert_eq!(s.report().digest, golden["backpressure-tandem"]);
    let snap = s.snapshot(0, None);
    assert!(snap.finished && snap.conservation_holds);
}

/// The page mounts its shell (picker, transport, title) without a worker:
/// the worker's files exist only in a Trunk build, which the end-to-end
/// tests drive.
#[wasm_bindgen_test]
async fn app_mounts_its_shell_before_the_worker_answers() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<pipelab::web::App>::with_root(root).render();
    yew::platform::time::sleep(Duration::from_millis(300)).await;
    assert!(doc.query_selector("#scenario-picker").unwrap().is_some());
    assert!(doc.query_selector("#play").unwrap().is_some());
    assert!(doc.query_selector("#scenario-title").unwrap().is_some());
}
