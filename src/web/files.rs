//! Files in and out of the page: downloads (a Blob, an object URL and a
//! temporary `<a download>`) and reading a chosen or dropped file (its
//! size checked before it is read).

use super::bridge;
use crate::scenario::MAX_SCENARIO_BYTES;
use crate::view::live::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

fn document() -> Option<web_sys::Document> {
    web_sys::window().and_then(|w| w.document())
}

/// Offers `url` as a download named `name`.
pub fn download_url(name: &str, url: &str) {
    let Some(doc) = document() else { return };
    let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<HtmlAnchorElement>().ok())
    else {
        return;
    };
    a.set_href(url);
    a.set_download(name);
    let _ = a.set_attribute("style", "display: none");
    if let Some(body) = doc.body() {
        let _ = body.append_child(&a);
        a.click();
        a.remove();
    }
}

/// Offers a Blob as a download; its object URL is revoked a little later.
pub fn download_blob(name: &str, blob: &Blob) {
    let Ok(url) = Url::create_object_url_with_blob(blob) else {
        return;
    };
    download_url(name, &url);
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
}

/// Offers text as a download.
pub fn download_text(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let bag = BlobPropertyBag::new();
    bag.set_type(mime);
    if let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &bag) {
        download_blob(name, &blob);
    }
}

/// Reads a scenario file (TOML, JSON, or Mermaid by its name) and asks the
/// worker to open it; a file over the size cap is refused unread.
pub fn open(file: web_sys::File, on_error: impl Fn(FromWorker) + 'static) {
    let name = file.name();
    let size = file.size();
    if size > MAX_SCENARIO_BYTES as f64 {
        on_error(FromWorker::Error {
            during: "file".into(),
            message: format!("{name}: {size:.0} bytes; the limit is {MAX_SCENARIO_BYTES} (4 MiB)"),
        });
        return;
    }
    let promise = file.text();
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(v) => bridge::send(&ToWorker::Open {
                name,
                text: v.as_string().unwrap_or_default(),
            }),
            Err(e) => on_error(FromWorker::Error {
                during: "file".into(),
                message: format!("{name}: could not be read ({e:?})"),
            }),
        }
    });
}

/// Copies text to the clipboard; `done` hears whether it worked.
pub fn copy(text: &str, done: impl Fn(bool) + 'static) {
    let Some(w) = web_sys::window() else { return done(false) };
    let clip = js_sys::Reflect::get(&w, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()))
        .ok()
        .filter(|c| !c.is_undefined());
    let Some(clip) = clip else { return done(false) };
    let write = js_sys::Reflect::get(&clip, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(write) = write else { return done(false) };
    match write.call1(&clip, &JsValue::from_str(text)) {
        Ok(p) => match p.dyn_into::<js_sys::Promise>() {
            Ok(p) => wasm_bindgen_futures::spawn_local(async move {
                done(wasm_bindgen_futures::JsFuture::from(p).await.is_ok());
            }),
            Err(_) => done(false),
        },
        Err(_) => done(false),
    }
}
