//! The browser app (wasm32 only): a thin Yew shell over a Web Worker that
//! owns the simulation.
//!
//! The page sends intents (`view::live::ToWorker`: load, play, pause, step,
//! seek, edit) as JSON strings and renders the snapshots it gets back: the
//! live diagram (`diagram`), charts drawn with `view::chart` on canvases
//! (`charts`), the inspector (`inspector`) and presentation mode
//! (`present`). It computes no metric itself.

mod bridge;
mod charts;
mod claims;
mod diagram;
mod exports;
mod field;
mod files;
mod inspector;
mod mermaid_dialog;
mod present;
mod record;
mod share;
mod state;
pub mod worker;

use crate::report::table::secs;
use crate::view::live::{FaultEdit, ScenarioSource, Settings, ToWorker};
use state::{Model, Msg, Shared, SPEEDS};
use std::collections::BTreeMap;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

fn load(current: &str, settings: &Settings) {
    let source = if current == "custom" {
        return;
    } else {
        ScenarioSource::Builtin(current.to_string())
    };
    bridge::send(&ToWorker::Load {
        source,
        settings: settings.clone(),
    });
}

/// Loads a built-in, or the user's kept edits of it (shown under its name).
fn load_or_edited(d: &UseReducerDispatcher<Model>, name: &str, settings: &Settings, edits: &BTreeMap<String, String>) {
    match edits.get(name) {
        Some(text) => {
            d.dispatch(Msg::Base(Some(name.to_string())));
            bridge::send(&ToWorker::Load {
                source: ScenarioSource::Text(text.clone()),
                settings: settings.clone(),
            });
        }
        None => {
            d.dispatch(Msg::Base(None));
            load(name, settings);
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn set_theme_attr(dark: bool) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

fn initial_dark() -> bool {
    if let Some(v) = storage().and_then(|s| s.get_item("pipelab-theme").ok().flatten()) {
        return v == "dark";
    }
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn money(v: f64) -> String {
    if v >= 1000.0 {
        format!("${:.0}", v)
    } else {
        format!("${v:.2}")
    }
}

/// The whole page.
#[function_component]
pub fn App() -> Html {
    let model = use_reducer(Model::default);
    // Start the worker once, and load the default scenario.
    {
        let dispatch = model.dispatcher();
        use_effect_with((), move |_| {
            let dark = initial_dark();
            set_theme_attr(dark);
            dispatch.dispatch(Msg::Dark(dark));
            let d = dispatch.clone();
            if let Err(e) = bridge::spawn(move |m| d.dispatch(Msg::Worker(m))) {
                dispatch.dispatch(Msg::Worker(crate::view::live::FromWorker::Error {
                    during: "load".into(),
                    message: e,
                }));
            }
            // A share link in the address bar opens instead of the default.
            match share::fragment_in_address_bar() {
                Some(link) => bridge::send(&ToWorker::Open {
                    name: String::new(),
                    text: link,
                }),
                None => load(crate::scenario::builtin::DEFAULT, &Settings::default()),
            }
            share::listen_for_links();
        });
    }
    let m = &*model;
    let d = model.dispatcher();

    let on_pick = {
        let d = d.clone();
        let settings = m.settings.clone();
        let edits = m.edits.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let name = sel.value();
            d.dispatch(Msg::Choose(name.clone()));
            d.dispatch(Msg::Loading);
            let s = Settings {
                seed: None,
                duration_s: None,
                ..settings.clone()
            };
            d.dispatch(Msg::Settings(s.clone()));
            load_or_edited(&d, &name, &s, &edits);
        })
    };
    let playing = m.snap.as_ref().is_some_and(|s| s.playing);
    let finished = m.snap.as_ref().is_some_and(|s| s.finished);
    let on_play = {
        let speed = m.speed;
        Callback::from(move |_: MouseEvent| {
            if playing {
                bridge::send(&ToWorker::Pause)
            } else {
                bridge::send(&ToWorker::Play { speed })
            }
        })
    };
    let on_step = Callback::from(|_: MouseEvent| bridge::send(&ToWorker::Step));
    let on_reset = Callback::from(|_: MouseEvent| bridge::send(&ToWorker::Reset));
    let on_speed = {
        let d = d.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v: f64 = sel.value().parse().unwrap_or(0.0);
            d.dispatch(Msg::Speed(v));
            if playing {
                bridge::send(&ToWorker::Play { speed: v });
            }
        })
    };
    // Seed, duration and provider reload the scenario with the new settings.
    let apply_settings = {
        let d = d.clone();
        let current = m.current.clone();
        let text = m.view.as_ref().map(|v| v.text.clone());
        let edits = m.edits.clone();
        move |s: Settings| {
            d.dispatch(Msg::Settings(s.clone()));
            d.dispatch(Msg::Loading);
            if current == "custom" {
                d.dispatch(Msg::Base(None));
                bridge::send(&ToWorker::Load {
                    source: ScenarioSource::Text(text.clone().unwrap_or_default()),
                    settings: s,
                });
            } else {
                load_or_edited(&d, &current, &s, &edits);
            }
        }
    };
    let on_provider = {
        let apply = apply_settings.clone();
        let s = m.settings.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            apply(Settings {
                provider: if v.is_empty() { None } else { Some(v) },
                ..s.clone()
            });
        })
    };
    let on_seed = {
        let apply = apply_settings.clone();
        let s = m.settings.clone();
        let d = d.clone();
        Callback::from(move |v: String| match v.trim().parse::<u64>() {
            Ok(seed) => apply(Settings {
                seed: Some(seed),
                ..s.clone()
            }),
            Err(_) => d.dispatch(Msg::Worker(crate::view::live::FromWorker::Error {
                during: "settings".into(),
                message: format!("seed: `{}` is not a whole number from 0 to 2^64 - 1", v.trim()),
            })),
        })
    };
    let on_duration = {
        let apply = apply_settings.clone();
        let s = m.settings.clone();
        let d = d.clone();
        Callback::from(
            move |v: String| match crate::scenario::units::parse_duration_ns(v.trim()) {
                Ok(ns) if ns > 0 => apply(Settings {
                    duration_s: Some(ns as f64 / 1e9),
                    ..s.clone()
                }),
                _ => d.dispatch(Msg::Worker(crate::view::live::FromWorker::Error {
                    during: "settings".into(),
                    message: format!("duration: `{}` is not a duration like 30min, 2h or 86400s", v.trim()),
                })),
            },
        )
    };
    let on_theme = {
        let d = d.clone();
        let dark = m.dark;
        Callback::from(move |_: MouseEvent| {
            let next = !dark;
            set_theme_attr(next);
            if let Some(s) = storage() {
                let _ = s.set_item("pipelab-theme", if next { "dark" } else { "light" });
            }
            d.dispatch(Msg::Dark(next));
        })
    };
    let on_select = {
        let d = d.clone();
        Callback::from(move |id: String| d.dispatch(Msg::Select(Some(id))))
    };
    let on_close = {
        let d = d.clone();
        Callback::from(move |_| d.dispatch(Msg::Select(None)))
    };
    // An edit or a fault of a built-in is kept as that built-in's edited text.
    let base = (m.current != "custom").then(|| m.current.clone());
    let on_edit = {
        let sel = m.selected.clone().unwrap_or_default();
        let (d, base) = (d.clone(), base.clone());
        Callback::from(move |(key, value): (String, String)| {
            d.dispatch(Msg::Base(base.clone()));
            bridge::send(&ToWorker::Edit {
                node: sel.clone(),
                key,
                value,
            })
        })
    };
    let on_fault = {
        let d = d.clone();
        Callback::from(move |f: FaultEdit| {
            d.dispatch(Msg::Base(base.clone()));
            bridge::send(&ToWorker::AddFault { fault: f })
        })
    };
    let text_ref = use_node_ref();
    let on_run_text = {
        let text_ref = text_ref.clone();
        let d = d.clone();
        let settings = m.settings.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(t) = text_ref.cast::<HtmlTextAreaElement>() {
                d.dispatch(Msg::Loading);
                d.dispatch(Msg::Base(None));
                bridge::send(&ToWorker::Load {
                    source: ScenarioSource::Text(t.value()),
                    settings: settings.clone(),
                });
            }
        })
    };

    let view = m.view.clone();
    let snap = m.snap.clone();
    let t_s = snap.as_ref().map_or(0.0, |s| s.t_s);
    let chart_specs: Vec<Shared<charts::ChartSpec>> = match &view {
        Some(v) => charts::build(v, &m.points, m.overlay.as_deref(), t_s)
            .into_iter()
            .map(Shared::new)
            .collect(),
        None => Vec::new(),
    };
    let story = view.as_ref().and_then(|v| v.story.clone());
    let compare = story.as_ref().and_then(|s| s.compare.clone());

    let options: Html = m
        .builtins
        .iter()
        .map(|b| html! { <option key={b.name.clone()} value={b.name.clone()} selected={b.name == m.current}>{ &b.title }</option> })
        .collect();
    let error_banner = m
        .error
        .as_ref()
        .filter(|(during, _)| during != "edit" && during != "fault" && during != "mermaid");
    let file_ref = use_node_ref();
    let on_drop = {
        let d = d.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(f) = e.data_transfer().and_then(|t| t.files()).and_then(|l| l.get(0)) {
                let d = d.clone();
                d.dispatch(Msg::Loading);
                files::open(f, move |err| d.dispatch(Msg::Worker(err)));
            }
        })
    };
    let nodes_shared = view.as_ref().map(|v| Shared::new(v.nodes.clone()));
    let diagram_shared = view.as_ref().map(|v| Shared::new(v.diagram.clone()));
    let selected_node = view
        .as_ref()
        .zip(m.selected.as_ref())
        .and_then(|(v, s)| v.nodes.iter().find(|n| &n.id == s).cloned());
    let present_cb = {
        let d = d.clone();
        Callback::from(move |p: Option<usize>| d.dispatch(Msg::Present(p)))
    };

    html! {
        <div class="app" ondragover={Callback::from(|e: DragEvent| e.prevent_default())} ondrop={on_drop}>
            <header class="top">
                <div class="brand" title="deterministic simulation of cloud data pipelines">{ "pipelab" }</div>
                <label class="picker">
                    <span class="sr">{ "Scenario" }</span>
                    <select id="scenario-picker" onchange={on_pick} disabled={!m.ready}>
                        { options }
                        if m.current == "custom" { <option value="custom" selected=true>{ "Your scenario" }</option> }
                    </select>
                </label>
                if m.edited_text().is_some() {
                    <span class="edited-mark" id="edited-mark" title="your edits of this built-in are kept while you switch scenarios">{ "● edited" }</span>
                    <button id="revert" class="ghost" title="drop your edits and reload the built-in" onclick={{
                        let (d, name, s) = (d.clone(), m.current.clone(), m.settings.clone());
                        Callback::from(move |_: MouseEvent| {
                            d.dispatch(Msg::Revert(name.clone()));
                            d.dispatch(Msg::Loading);
                            load(&name, &s);
                        })
                    }}>{ "↺ Revert to built-in" }</button>
                }
                if let (Some(st), Some(other)) = (story.as_ref(), compare.as_ref()) {
                    <div class="segmented" role="group" aria-label="variant">
                        <button class="on" id="variant-current" aria-pressed="true">{ &st.variant }</button>
                        <button id="variant-other" onclick={{
                            let other = other.clone();
                            let d = d.clone();
                            let s = m.settings.clone();
                            let edits = m.edits.clone();
                            Callback::from(move |_: MouseEvent| {
                                d.dispatch(Msg::Choose(other.clone()));
                                load_or_edited(&d, &other, &s, &edits);
                            })
                        }} title={format!("load the {other} variant")}>{ format!("⇄ {other}") }</button>
                        <label class="check"><input type="checkbox" id="overlay-toggle" checked={m.overlay.is_some()}
                            onchange={{
                                let other = other.clone();
                                Callback::from(move |e: Event| {
                                    let i: HtmlInputElement = e.target_unchecked_into();
                                    bridge::send(&ToWorker::Compare { name: i.checked().then(|| other.clone()) });
                                })
                            }} />{ "A/B" }</label>
                        if let Some(o) = m.overlay.as_ref() {
                            <span class="overlay-label" id="overlay-label" title={o.title.clone()}>{ format!("dashed: {}", o.label) }</span>
                        }
                    </div>
                }
                <label class="field">
                    <span>{ "Provider" }</span>
                    <select id="provider" onchange={on_provider}>
                        <option value="" selected={m.settings.provider.is_none()}>{ "as written" }</option>
                        <option value="aws" selected={m.settings.provider.as_deref() == Some("aws")}>{ "AWS" }</option>
                        <option value="gcp" selected={m.settings.provider.as_deref() == Some("gcp")}>{ "Google Cloud" }</option>
                    </select>
                </label>
                <div class="spacer" />
                if story.is_some() {
                    <button id="present" class="ghost" onclick={{
                        let d = d.clone();
                        Callback::from(move |_: MouseEvent| {
                            present::enter_fullscreen();
                            d.dispatch(Msg::Present(Some(0)));
                        })
                    }}>{ "▶ Present" }</button>
                }
                <button id="theme" class="ghost" onclick={on_theme} aria-label="switch theme">
                    { if m.dark { "☀ Light" } else { "☾ Dark" } }
                </button>
            </header>
            <div class="transport" role="toolbar" aria-label="simulation controls">
                <button id="play" class="primary" onclick={on_play} disabled={view.is_none()}>
                    { if playing { "❚❚ Pause" } else if finished { "↻ Replay" } else { "▶ Play" } }
                </button>
                <button id="step" onclick={on_step} disabled={view.is_none() || finished} title="one grid interval">
                    { view.as_ref().map_or("Step".to_string(), |v| format!("Step {}", secs(v.step_s))) }
                </button>
                <button id="reset" onclick={on_reset} disabled={view.is_none()}>{ "Reset" }</button>
                <label class="field">
                    <span>{ "Speed" }</span>
                    <select id="speed" onchange={on_speed}>
                        { for SPEEDS.iter().map(|(v, name)| html! { <option value={v.to_string()} selected={*v == m.speed}>{ *name }</option> }) }
                    </select>
                </label>
                <label class="field">
                    <span>{ "Seed" }</span>
                    <field::TextField id="seed" size={Some(6)} on_change={on_seed}
                           value={view.as_ref().map(|v| v.seed.to_string()).unwrap_or_default()} />
                </label>
                <label class="field">
                    <span>{ "Duration" }</span>
                    <field::TextField id="duration" size={Some(7)} on_change={on_duration}
                           value={view.as_ref().map(|v| secs(v.duration_s)).unwrap_or_default()} />
                </label>
                <div class="progress" title="simulated time">
                    <div class="bar"><div class="fill" style={format!("width: {:.1}%", snap.as_ref().map_or(0.0, |s| s.progress * 100.0))} /></div>
                    <span id="sim-time">{ snap.as_ref().map_or(String::new(), |s| format!("{} / {}", secs(s.t_s), secs(s.duration_s))) }</span>
                </div>
                <div class="stat" id="events">{ snap.as_ref().map_or(String::new(), |s| format!("{} events", crate::view::chart::compact(s.events as f64))) }</div>
                if let Some(c) = snap.as_ref().and_then(|s| s.cost.clone()) {
                    <div class="stat cost" id="cost" title="cost of the simulated period; per month at this rate">
                        { format!("{} · {}/mo · {}", money(c.total_usd), money(c.per_month_usd), c.provider.to_uppercase()) }
                    </div>
                }
            </div>
            if let Some((during, msg)) = error_banner {
                <div class="banner error" role="alert" id="error-banner">
                    <b>{ share::error_title(during).map(str::to_string).unwrap_or_else(|| format!("Could not {}: ", if during == "settings" { "apply that setting" } else if during == "compare" { "compare" } else { "load this scenario" })) }</b>
                    <pre>{ msg }</pre>
                    <button class="icon" onclick={{ let d = d.clone(); Callback::from(move |_: MouseEvent| d.dispatch(Msg::ClearError)) }}>{ "×" }</button>
                </div>
            }
            { share::overlays(m, &d) }
            <div class={classes!("workspace", selected_node.is_some().then_some("with-inspector"))}>
                <main>
                    <div class="intro-row">
                    <section class="intro">
                        <h1 id="scenario-title">{ view.as_ref().map_or(if m.loading { "Loading…".to_string() } else { String::new() }, |v| v.title.clone()) }</h1>
                        <p class="desc">{ view.as_ref().map(|v| v.description.clone()).unwrap_or_default() }</p>
                    </section>
                    { share::toolbar(m, &d, &chart_specs, &file_ref) }
                    </div>
                    <section class="panel diagram-panel">
                        <div class="panel-head">
                            <h2>{ "Architecture" }</h2>
                            <div class="legend-inline">
                                <span class="sw source" />{ "source" }
                                <span class="sw util-lo" />{ "idle" }<span class="sw util-hi" />{ "busy" }
                                <span class="badge-key backlog">{ "▮ inside" }</span>
                                <span class="badge-key throttled">{ "⟲ throttled" }</span>
                                <span class="badge-key dropped">{ "✕ dropped" }</span>
                                <span class="dash-key" />{ "control / dead letter" }
                            </div>
                        </div>
                        if let (Some(dg), Some(ns)) = (diagram_shared.clone(), nodes_shared.clone()) {
                            <diagram::DiagramView diagram={dg} nodes={ns} snap={snap.clone()} selected={m.selected.clone()}
                                highlight={None::<String>} on_select={on_select.clone()} />
                        }
                    </section>
                    <section class="charts" id="charts">
                        { for chart_specs.iter().map(|c| html! { <charts::ChartCanvas key={c.id} spec={c.clone()} dark={m.dark} live={playing} /> }) }
                    </section>
                    if let (Some(v), Some(s)) = (view.as_ref(), snap.as_ref()) {
                        <section class="panel results">
                            <h2>{ "Results so far" }</h2>
                            <p class="summary">
                                { format!("{} simulated · {} events · {} delivered · end-to-end p50 {} p95 {} p99 {} · ",
                                    secs(s.t_s), s.events, s.delivered, secs(s.e2e_p50_s), secs(s.e2e_p95_s), secs(s.e2e_p99_s)) }
                                <span class={if s.conservation_holds { "ok" } else { "bad" }}>
                                    { if s.conservation_holds { "every record accounted for" } else { "conservation violated" } }
                                </span>
                            </p>
                            <table class="stages">
                                <thead><tr>
                                    <th>{ "node" }</th><th>{ "service" }</th><th class="num">{ "arrived" }</th><th class="num">{ "completed" }</th>
                                    <th class="num">{ "dropped" }</th><th class="num">{ "throttled" }</th><th class="num">{ "inside" }</th><th class="num">{ "utilisation" }</th><th class="num">{ "p99 in stage" }</th>
                                </tr></thead>
                                <tbody>
                                { for s.nodes.iter().zip(v.nodes.iter()).map(|(l, n)| html! {
                                    <tr key={l.id.clone()} data-id={l.id.clone()}>
                                        <td class="id">{ &l.id }</td>
                                        <td>{ if n.service.is_empty() { n.kind.clone() } else { n.service.clone() } }</td>
                                        <td class="num">{ l.arrived }</td>
                                        <td class="num">{ l.completed }</td>
                                        <td class="num">{ l.dropped }</td>
                                        <td class="num">{ l.throttled }</td>
                                        <td class="num">{ l.in_flight }</td>
                                        <td class="num">{ format!("{:.1} %", l.utilization_mean * 100.0) }</td>
                                        <td class="num">{ secs(l.sojourn_p99_s) }</td>
                                    </tr>
                                }) }
                                </tbody>
                            </table>
                            <p class="digest">{ format!("seed {} · {} · {:.0} events/s in the worker", v.seed, v.provider.clone().map_or("services as written".into(), |p| format!("priced as {}", p.to_uppercase())), s.events_per_s) }
                                if let Some(dg) = &s.digest { { " · digest " }<code id="run-digest">{ dg }</code> }
                            </p>
                        </section>
                    }
                    if let Some(st) = story.as_ref() { { claims::panel(&m.claims, &st.id) } }
                    <details class="panel own">
                        <summary>{ "Your own scenario (TOML or JSON)" }</summary>
                        <field::TextField id="scenario-text" node_ref={text_ref} multiline=true
                                  value={view.as_ref().map(|v| v.text.clone()).unwrap_or_default()} />
                        <button id="run-text" class="primary" onclick={on_run_text}>{ "Load this text" }</button>
                    </details>
                </main>
                if let Some(n) = selected_node {
                    <inspector::Inspector node={Shared::new(n.clone())}
                        live={snap.as_ref().and_then(|s| s.nodes.iter().find(|l| l.id == n.id).cloned())}
                        error={m.error.as_ref().filter(|(d, _)| d == "edit" || d == "fault").map(|(_, e)| e.clone())}
                        on_edit={on_edit} on_fault={on_fault} on_close={on_close}
                        duration_s={view.as_ref().map_or(0.0, |v| v.duration_s)} />
                }
            </div>
            if let (Some(step), Some(st), Some(dg), Some(ns)) = (m.present, story, diagram_shared, nodes_shared) {
                <present::Presentation story={st} step={step} diagram={dg} nodes={ns} snap={snap.clone()}
                    chart={chart_specs.first().cloned()} dark={m.dark} on_step={present_cb} />
            }
        </div>
    }
}
