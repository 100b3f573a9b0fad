//! Sharing and files in the page: the toolbar group (Share, File, Export,
//! Record), the share-link dialog, the engine-version notice, and what the
//! page does with the worker's answers (`view::exchange` computes them in
//! the worker: links, saved files, exports, Mermaid imports).
//!
//! Opening the page with a `#p1.…` fragment (or changing the fragment)
//! opens that link; the Share button puts the current run's link in the
//! address bar (`history.replaceState`, so nothing reloads) and shows it.

use super::charts::ChartSpec;
use super::state::{Model, Msg, Shared};
use super::{bridge, exports, files, mermaid_dialog, record};
use crate::view::exchange::MermaidReport;
use crate::view::live::{FromWorker, ScenarioView, ToWorker};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

/// What the sharing UI shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShareState {
    /// The share dialog's link (the whole URL).
    pub link: Option<String>,
    /// Whether the link reached the clipboard (none: not tried yet).
    pub copied: Option<bool>,
    /// The engine-version notice of an opened link.
    pub notice: Option<String>,
    /// The Mermaid paste dialog is open.
    pub mermaid_open: bool,
    /// What the last Mermaid import made.
    pub mermaid: Option<MermaidReport>,
    /// An export the worker is preparing (it runs the scenario to its end).
    pub busy: Option<String>,
    pub recording: bool,
}

/// What the user does in the sharing UI.
pub enum ShareMsg {
    CloseLink,
    Copied(bool),
    DismissNotice,
    Mermaid(bool),
    Busy(Option<String>),
    Recording(bool),
}

impl ShareState {
    pub fn on_action(&mut self, a: ShareMsg) {
        match a {
            ShareMsg::CloseLink => {
                self.link = None;
                self.copied = None;
            }
            ShareMsg::Copied(ok) => self.copied = Some(ok),
            ShareMsg::DismissNotice => self.notice = None,
            ShareMsg::Mermaid(open) => {
                self.mermaid_open = open;
                if !open {
                    self.mermaid = None;
                }
            }
            ShareMsg::Busy(b) => self.busy = b,
            ShareMsg::Recording(r) => self.recording = r,
        }
    }

    /// The worker's sharing answers (`Link`, `Opened`, `File`, `Mermaid`).
    pub fn on_worker(&mut self, w: FromWorker) {
        match w {
            FromWorker::Link { fragment } => {
                self.link = Some(put_in_address_bar(&fragment));
                self.copied = None;
            }
            FromWorker::Opened { notice, .. } => self.notice = notice,
            FromWorker::File { file } => {
                self.busy = None;
                files::download_text(&file.name, &file.mime, &file.text);
            }
            FromWorker::Mermaid { report } => self.mermaid = Some(report),
            _ => {}
        }
    }
}

/// The page's address with this fragment, set without reloading.
fn put_in_address_bar(fragment: &str) -> String {
    let Some(w) = web_sys::window() else {
        return format!("#{fragment}");
    };
    let href = w.location().href().unwrap_or_default();
    let base = href.split('#').next().unwrap_or("").to_string();
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("#{fragment}")));
    }
    format!("{base}#{fragment}")
}

/// Takes a share link out of the address bar (another scenario was
/// chosen: reloading should not bring the link's run back).
pub fn forget_link() {
    if fragment_in_address_bar().is_some() {
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let path = web_sys::window()
                .and_then(|w| w.location().pathname().ok())
                .unwrap_or_default();
            let search = web_sys::window()
                .and_then(|w| w.location().search().ok())
                .unwrap_or_default();
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}")));
        }
    }
}

/// The share fragment in the address bar, if any (`#p1.…`, or anything
/// after `#` that is not empty: a broken link should say so).
pub fn fragment_in_address_bar() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let f = hash.strip_prefix('#').unwrap_or(&hash);
    (!f.is_empty()).then(|| f.to_string())
}

/// Opens the link in the address bar whenever the fragment changes (a
/// link pasted into an open page).
pub fn listen_for_links() {
    let Some(w) = web_sys::window() else { return };
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        if let Some(f) = fragment_in_address_bar() {
            bridge::send(&ToWorker::Open {
                name: String::new(),
                text: f,
            });
        }
    });
    let _ = w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// File-name stem for page-side exports.
pub fn stem(view: &ScenarioView) -> String {
    let base = if view.name == "custom" { &view.title } else { &view.name };
    format!("pipelab-{}", crate::view::exchange::slugify(base))
}

/// Closes the drop-down menu a click came from.
fn close_menu(e: &MouseEvent) {
    if let Some(d) = e
        .target_dyn_into::<Element>()
        .and_then(|t| t.closest("details").ok().flatten())
    {
        let _ = d.remove_attribute("open");
    }
}

/// Title of the error banner for this kind of failure, if the banner shows it.
pub fn error_title(during: &str) -> Option<&'static str> {
    Some(match during {
        "link" => "Could not open this share link (showing the default scenario instead): ",
        "file" => "Could not open this file: ",
        "export" => "Could not export: ",
        "mermaid" => return None,
        _ => return None,
    })
}

/// The toolbar group: Share, File (open, save, paste Mermaid), Export, Record.
pub fn toolbar(m: &Model, d: &UseReducerDispatcher<Model>, charts: &[Shared<ChartSpec>], file_ref: &NodeRef) -> Html {
    let view = m.view.clone();
    let loaded = view.is_some();
    let stem = view.as_ref().map(|v| stem(v)).unwrap_or_else(|| "pipelab".into());
    let s = &m.share;
    let on_share = Callback::from(|_: MouseEvent| bridge::send(&ToWorker::Export { what: "link".into() }));
    let worker_file = |label: &'static str, id: &'static str, what: &'static str, busy: Option<&'static str>| {
        let d = d.clone();
        let busy_text = busy.map(str::to_string);
        let msg = ToWorker::Export { what: what.into() };
        let onclick = Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            if busy_text.is_some() {
                d.dispatch(Msg::Share(ShareMsg::Busy(busy_text.clone())));
            }
            bridge::send(&msg);
        });
        html! { <button {id} role="menuitem" {onclick} disabled={!loaded}>{ label }</button> }
    };
    let chart_file = |label: &'static str, png: bool| {
        let (d, specs, stem, dark) = (d.clone(), charts.to_vec(), stem.clone(), m.dark);
        let onclick = Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            if let Err(msg) = exports::download_charts(&specs, dark, &stem, png) {
                d.dispatch(Msg::Worker(FromWorker::Error {
                    during: "export".into(),
                    message: msg,
                }));
            }
        });
        let id = if png { "export-png" } else { "export-svg" };
        html! { <button {id} role="menuitem" {onclick} disabled={charts.is_empty()}>{ label }</button> }
    };
    let on_open = {
        let file_ref = file_ref.clone();
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            if let Some(i) = file_ref.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let on_paste = {
        let d = d.clone();
        Callback::from(move |e: MouseEvent| {
            close_menu(&e);
            d.dispatch(Msg::Share(ShareMsg::Mermaid(true)));
        })
    };
    let on_file = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(f) = input.files().and_then(|l| l.get(0)) {
                let d = d.clone();
                d.dispatch(Msg::Loading);
                files::open(f, move |err| d.dispatch(Msg::Worker(err)));
            }
            input.set_value("");
        })
    };
    let on_record = {
        let (d, recording, stem) = (d.clone(), s.recording, stem.clone());
        let title = view.as_ref().map(|v| v.title.clone()).unwrap_or_default();
        Callback::from(move |_: MouseEvent| {
            if recording {
                record::stop();
                d.dispatch(Msg::Share(ShareMsg::Recording(false)));
            } else {
                match record::start(&format!("{stem}.webm"), &title) {
                    Ok(()) => d.dispatch(Msg::Share(ShareMsg::Recording(true))),
                    Err(msg) => d.dispatch(Msg::Worker(FromWorker::Error {
                        during: "export".into(),
                        message: msg,
                    })),
                }
            }
        })
    };
    let can_record = record::supported();
    html! {
        <div class="share-bar" role="group" aria-label="share and files">
            <button id="share" onclick={on_share} disabled={!loaded} title="a link that replays this run: scenario with your edits, seed, provider">{ "Share" }</button>
            <details class="menu" id="file-menu">
                <summary>{ "File ▾" }</summary>
                <div class="menu-list" role="menu">
                    <button id="open-file-button" role="menuitem" onclick={on_open}>{ "Open file… (TOML, JSON, Mermaid)" }</button>
                    <button id="paste-mermaid" role="menuitem" onclick={on_paste}>{ "Paste a Mermaid diagram…" }</button>
                    <hr />
                    { worker_file("Save as TOML", "save-toml", "toml", None) }
                    { worker_file("Save as JSON", "save-json", "json", None) }
                </div>
            </details>
            <details class="menu" id="export-menu">
                <summary>{ if let Some(b) = &s.busy { b.clone() } else { "Export ▾".to_string() } }</summary>
                <div class="menu-list" role="menu">
                    { chart_file("Charts as PNG", true) }
                    { chart_file("Charts as SVG", false) }
                    <hr />
                    { worker_file("Results CSV (per stage per step)", "export-csv", "csv", Some("Running…")) }
                    { worker_file("Run JSON (as pipelab run --json)", "export-json", "run_json", Some("Running…")) }
                    { worker_file("Cost CSV", "export-cost-csv", "cost_csv", Some("Running…")) }
                    { worker_file("Diagram as Mermaid", "export-mermaid", "mermaid", None) }
                </div>
            </details>
            <button id="record" class={classes!(s.recording.then_some("recording"))} onclick={on_record}
                disabled={!can_record || !loaded}
                title={if can_record { "record the diagram and charts as a WebM video" } else { "recording needs MediaRecorder, which this browser lacks" }}>
                { if s.recording { "■ Stop" } else { "● Record" } }
            </button>
            <input type="file" id="open-file" ref={file_ref.clone()} accept=".toml,.json,.mmd,.mermaid,.txt"
                class="hidden-input" onchange={on_file} />
        </div>
    }
}

/// The dialogs and the notice banner.
pub fn overlays(m: &Model, d: &UseReducerDispatcher<Model>) -> Html {
    let s = &m.share;
    let link_dialog = s.link.as_ref().map(|url| {
        let close = {
            let d = d.clone();
            Callback::from(move |_: MouseEvent| d.dispatch(Msg::Share(ShareMsg::CloseLink)))
        };
        let copy = {
            let (d, url) = (d.clone(), url.clone());
            Callback::from(move |_: MouseEvent| {
                let d = d.clone();
                files::copy(&url, move |ok| d.dispatch(Msg::Share(ShareMsg::Copied(ok))));
            })
        };
        let select_all = Callback::from(|e: FocusEvent| {
            let i: HtmlInputElement = e.target_unchecked_into();
            i.select();
        });
        let v = m.view.as_ref();
        let what = v.map_or(String::new(), |v| {
            format!(
                "{} · seed {} · {}{}",
                v.title,
                v.seed,
                v.provider.as_deref().map_or("services as written".into(), |p| format!("as {}", p.to_uppercase())),
                v.story.as_ref().map_or(String::new(), |s| format!(" · {}", s.variant))
            )
        });
        let digest = m.snap.as_ref().and_then(|s| s.digest.clone());
        html! {
            <div class="modal-back" onclick={close.clone()}>
                <div class="modal" id="share-dialog" role="dialog" aria-modal="true" aria-labelledby="share-title"
                     onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                    <h2 id="share-title">{ "Share this run" }</h2>
                    <p class="muted">{ "Opening the link replays exactly this run: the scenario with your edits, its seed, provider and variant." }</p>
                    <input id="share-url" class="mono" readonly=true value={url.clone()} onfocus={select_all} />
                    <p class="share-meta">
                        <span id="share-length">{ format!("{} characters", url.chars().count()) }</span>
                        { " · " }{ what }
                        if let Some(dg) = digest { { " · digest " }<code>{ dg }</code> }
                        { format!(" · {}", crate::report::ENGINE_VERSION) }
                    </p>
                    <div class="modal-actions">
                        <span class="copied" id="share-copied">{ match s.copied { Some(true) => "Copied to the clipboard", Some(false) => "Copy failed: select the link and copy it", None => "The link is in the address bar too" } }</span>
                        <button id="share-copy" class="primary" onclick={copy}>{ "Copy link" }</button>
                        <button id="share-close" onclick={close}>{ "Close" }</button>
                    </div>
                </div>
            </div>
        }
    });
    let notice = s.notice.as_ref().map(|n| {
        let dismiss = {
            let d = d.clone();
            Callback::from(move |_: MouseEvent| d.dispatch(Msg::Share(ShareMsg::DismissNotice)))
        };
        html! {
            <div class="banner notice" role="status" id="notice-banner">
                <b>{ "Shared link: " }</b><span>{ n.clone() }</span>
                <button class="icon" onclick={dismiss} aria-label="dismiss">{ "×" }</button>
            </div>
        }
    });
    html! {
        <>
            if let Some(n) = notice { { n } }
            if let Some(l) = link_dialog { { l } }
            if s.mermaid_open { { mermaid_dialog::view(m, d) } }
        </>
    }
}
