//! The page's side of the worker: spawn it, send intents as JSON strings,
//! hand its answers to a callback. Messages sent before the worker says it
//! is ready are queued (a wasm worker drops messages that arrive before its
//! listener exists).

use crate::view::live::{FromWorker, ToWorker};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, Url, Worker};

#[derive(Default)]
struct Link {
    worker: Option<Worker>,
    ready: bool,
    pending: Vec<String>,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link::default());
}

/// The directory the page was served from (worker files sit beside it).
fn base_dir() -> String {
    let href = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_default();
    let no_query = href.split(['?', '#']).next().unwrap_or("").to_string();
    match no_query.rfind('/') {
        Some(i) => no_query[..=i].to_string(),
        None => no_query,
    }
}

/// Spawns the worker; `on_message` gets every answer (the ready message included).
pub fn spawn(on_message: impl Fn(FromWorker) + 'static) -> Result<(), String> {
    let base = base_dir();
    let script = format!(
        "importScripts({js:?}); wasm_bindgen({wasm:?});",
        js = format!("{base}worker.js"),
        wasm = format!("{base}worker_bg.wasm")
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&script));
    let bag = BlobPropertyBag::new();
    bag.set_type("text/javascript");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &bag).map_err(|e| format!("{e:?}"))?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let worker = Worker::new(&url).map_err(|e| format!("could not start the simulation worker: {e:?}"))?;
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        match serde_json::from_str::<FromWorker>(&text) {
            Ok(msg) => {
                if matches!(msg, FromWorker::Ready { .. }) {
                    flush();
                }
                on_message(msg);
            }
            Err(err) => on_message(FromWorker::Error {
                during: "message".into(),
                message: format!("unreadable answer from the worker: {err}"),
            }),
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    LINK.with(|l| l.borrow_mut().worker = Some(worker));
    Ok(())
}

fn flush() {
    LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.ready = true;
        let pending = std::mem::take(&mut l.pending);
        if let Some(w) = l.worker.as_ref() {
            for m in pending {
                let _ = w.post_message(&JsValue::from_str(&m));
            }
        }
    });
}

/// Sends an intent (queued until the worker is ready).
pub fn send(cmd: &ToWorker) {
    let Ok(text) = serde_json::to_string(cmd) else { return };
    LINK.with(|l| {
        let mut l = l.borrow_mut();
        match (l.ready, l.worker.as_ref()) {
            (true, Some(w)) => {
                let _ = w.post_message(&JsValue::from_str(&text));
            }
            _ => l.pending.push(text),
        }
    });
}
