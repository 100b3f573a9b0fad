//! Presentation mode: the story's steps as slides beside the live diagram.
//! Each step jumps the simulation to its moment (`Seek`) and highlights its
//! stage and metric (`Focus`); arrow keys move between steps, Escape leaves.

use super::bridge;
use super::charts::{ChartCanvas, ChartSpec};
use super::diagram::DiagramView;
use super::state::Shared;
use crate::report::table::secs;
use crate::scenario::schema::StorySpec;
use crate::view::diagram::Diagram;
use crate::view::live::{NodeView, Snapshot, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Asks the browser for full screen (it may refuse, e.g. headless: then the
/// overlay still fills the window).
pub fn enter_fullscreen() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.request_fullscreen();
    }
}

fn exit_fullscreen() {
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        if d.fullscreen_element().is_some() {
            d.exit_fullscreen();
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct PresentProps {
    pub story: StorySpec,
    pub step: usize,
    pub diagram: Shared<Diagram>,
    pub nodes: Shared<Vec<NodeView>>,
    pub snap: Option<Shared<Snapshot>>,
    pub chart: Option<Shared<ChartSpec>>,
    pub dark: bool,
    pub on_step: Callback<Option<usize>>,
}

fn phase_name(p: &str) -> String {
    let mut c = p.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

#[function_component]
pub fn Presentation(p: &PresentProps) -> Html {
    let n = p.story.steps.len();
    let step = p.step.min(n.saturating_sub(1));
    // Entering a step: highlight its metric and jump to its moment.
    {
        let s = p.story.steps.get(step).cloned();
        use_effect_with(step, move |_| {
            if let Some(s) = s {
                bridge::send(&ToWorker::Focus {
                    stage: s.stage.clone(),
                    metric: s.metric.clone(),
                });
                if let Some(at) = s.at {
                    bridge::send(&ToWorker::Seek { t_s: at.0 as f64 / 1e9 });
                }
            }
        });
    }
    // Arrow keys, Page Up/Down and Escape.
    {
        let cb = p.on_step.clone();
        use_effect_with((step, n), move |&(step, n)| {
            let doc = web_sys::window().and_then(|w| w.document());
            let handler = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| match e.key().as_str() {
                "ArrowRight" | "PageDown" | " " => {
                    e.prevent_default();
                    if step + 1 < n {
                        cb.emit(Some(step + 1));
                    }
                }
                "ArrowLeft" | "PageUp" => {
                    e.prevent_default();
                    if step > 0 {
                        cb.emit(Some(step - 1));
                    }
                }
                "Escape" => {
                    exit_fullscreen();
                    cb.emit(None);
                }
                _ => {}
            });
            if let Some(d) = &doc {
                let _ = d.add_event_listener_with_callback("keydown", handler.as_ref().unchecked_ref());
            }
            move || {
                if let Some(d) = &doc {
                    let _ = d.remove_event_listener_with_callback("keydown", handler.as_ref().unchecked_ref());
                }
                drop(handler);
            }
        });
    }
    let go = |to: Option<usize>| {
        let cb = p.on_step.clone();
        Callback::from(move |_: MouseEvent| {
            if to.is_none() {
                exit_fullscreen();
            }
            cb.emit(to)
        })
    };
    let cur = p.story.steps.get(step);
    let highlight = cur.and_then(|s| s.stage.clone());
    let focus = p.snap.as_ref().and_then(|s| s.focus.clone());
    let noop = Callback::from(|_: String| {});
    html! {
        <div class="present" id="presentation" role="dialog" aria-label="presentation">
            <section class="slides">
                <div class="story-title">{ &p.story.title }<span class="variant">{ &p.story.variant }</span></div>
                <ol class="phases">
                    { for p.story.steps.iter().enumerate().map(|(i, s)| html! {
                        <li class={classes!((i == step).then_some("on"), (i < step).then_some("done"))}
                            onclick={go(Some(i))} title={s.title.clone()}>{ phase_name(&s.phase) }</li>
                    }) }
                </ol>
                if let Some(s) = cur {
                    <article class="slide" id="slide" data-step={step.to_string()}>
                        <div class="phase">{ phase_name(&s.phase) }</div>
                        <h2 id="slide-title">{ &s.title }</h2>
                        <p>{ &s.text }</p>
                        <div class="moment">
                            { s.at.map(|a| format!("at {}", secs(a.0 as f64 / 1e9))).unwrap_or_default() }
                            { p.snap.as_ref().map(|sn| format!(" · simulated {}", secs(sn.t_s))).unwrap_or_default() }
                        </div>
                        if let Some(f) = focus.filter(|_| s.metric.is_some()) {
                            <div class="metric-card" id="focus-metric">
                                <div class="label">{ f.label }</div>
                                <div class="value">{ f.value }</div>
                            </div>
                        }
                    </article>
                }
                <nav class="slide-nav">
                    <button id="prev" onclick={go(step.checked_sub(1))} disabled={step == 0}>{ "← Back" }</button>
                    <span class="count">{ format!("{} / {}", step + 1, n.max(1)) }</span>
                    <button id="next" class="primary" onclick={go(Some(step + 1))} disabled={step + 1 >= n}>{ "Next →" }</button>
                    <button id="exit" class="ghost" onclick={go(None)}>{ "Exit (Esc)" }</button>
                </nav>
            </section>
            <section class="stage-view">
                <DiagramView id={AttrValue::from("present-diagram")} diagram={p.diagram.clone()} nodes={p.nodes.clone()}
                    snap={p.snap.clone()} selected={None::<String>} highlight={highlight} on_select={noop} />
                if let Some(c) = &p.chart {
                    <ChartCanvas spec={c.clone()} dark={p.dark} live={p.snap.as_ref().is_some_and(|s| s.playing)} />
                }
            </section>
        </div>
    }
}
