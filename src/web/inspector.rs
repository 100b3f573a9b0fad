//! The inspector: the selected node's parameters (editable; the worker
//! re-parses the edited scenario with the core and answers with the located
//! error or a new run), its help, its published limits, its live metrics,
//! and a form to add a fault on the timeline.

use super::field::TextField;
use super::state::Shared;
use crate::report::table::secs;
use crate::view::live::{FaultEdit, NodeLive, NodeView, ParamView};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub node: Shared<NodeView>,
    pub live: Option<NodeLive>,
    /// The last edit or fault error, if any.
    pub error: Option<String>,
    pub on_edit: Callback<(String, String)>,
    pub on_fault: Callback<FaultEdit>,
    pub on_close: Callback<()>,
    pub duration_s: f64,
}

#[derive(Properties, PartialEq)]
struct ParamProps {
    node: String,
    param: ParamView,
    on_edit: Callback<(String, String)>,
}

/// One key: a text field; Enter or "Apply" sends it, empty resets to the default.
#[function_component]
fn ParamRow(p: &ParamProps) -> Html {
    let input = use_node_ref();
    let dirty = use_state(|| false);
    let submit = {
        let (input, cb, key, dirty) = (input.clone(), p.on_edit.clone(), p.param.key.clone(), dirty.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(i) = input.cast::<HtmlInputElement>() {
                cb.emit((key.clone(), i.value()));
                dirty.set(false);
            }
        })
    };
    let on_input = {
        let dirty = dirty.clone();
        Callback::from(move |_: String| dirty.set(true))
    };
    let field_id = format!("param-{}-{}", p.node, p.param.key);
    html! {
        <form class={classes!("param", (!p.param.set).then_some("unset"))} onsubmit={submit} data-key={p.param.key.clone()}>
            <div class="param-head">
                <label for={field_id.clone()}>{ &p.param.key }</label>
                if !p.param.unit.is_empty() {
                    <span class={classes!("unit", format!("unit-{}", p.param.kind))} title={format!("{}: {}", p.param.kind, p.param.unit)}>{ &p.param.unit }</span>
                }
            </div>
            <div class="param-input">
                <TextField id={field_id} node_ref={input} value={p.param.value.clone()} {on_input} placeholder="default" />
                <button type="submit" class={classes!("apply", (*dirty).then_some("dirty"))} title="apply and re-run">{ "Apply" }</button>
            </div>
            <div class="hint">{ &p.param.hint }</div>
        </form>
    }
}

fn metric_rows(l: &NodeLive) -> Html {
    html! {
        <table class="metrics">
            <tbody>
            { for crate::view::live::metric_rows(l).into_iter().map(|r| html! {
                <tr>
                    <th>{ r.name }</th>
                    <td class="num">{ r.value }</td>
                    <td class="unit" title={r.declared}>{ r.unit }</td>
                </tr>
            }) }
            </tbody>
        </table>
    }
}

#[derive(Properties, PartialEq)]
struct FaultProps {
    stage: String,
    on_fault: Callback<FaultEdit>,
    duration_s: f64,
}

#[function_component]
fn FaultForm(p: &FaultProps) -> Html {
    let (action, at, dur, factor) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let local_error = use_state(|| None::<String>);
    let onsubmit = {
        let (action, at, dur, factor, cb, stage, err) = (
            action.clone(),
            at.clone(),
            dur.clone(),
            factor.clone(),
            p.on_fault.clone(),
            p.stage.clone(),
            local_error.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let val = |r: &NodeRef| r.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let action = action
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let f = val(&factor);
            let factor = if f.trim().is_empty() {
                None
            } else {
                match f.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() && x > 0.0 => Some(x),
                    _ => {
                        err.set(Some(format!("factor: `{}` is not a positive number", f.trim())));
                        return;
                    }
                }
            };
            err.set(None);
            cb.emit(FaultEdit {
                stage: stage.clone(),
                action,
                at: val(&at),
                duration: val(&dur),
                factor,
            });
        })
    };
    let default_at = secs(p.duration_s / 3.0);
    html! {
        <form class="fault-form" {onsubmit}>
            <h3>{ "Add a fault on the timeline" }</h3>
            <div class="fault-grid">
                <label>{ "action" }
                    <select ref={action} id="fault-action">
                        <option value="stop">{ "stop" }</option>
                        <option value="slow">{ "slow" }</option>
                        <option value="crash">{ "crash" }</option>
                        <option value="scale">{ "scale" }</option>
                    </select>
                </label>
                <label>{ "at" }<TextField node_ref={at} id="fault-at" value={default_at} /></label>
                <label>{ "for" }<TextField node_ref={dur} id="fault-duration" value="" placeholder="e.g. 5min" /></label>
                <label>{ "factor" }<TextField node_ref={factor} id="fault-factor" value="" placeholder="slow/scale" /></label>
            </div>
            <button type="submit" id="fault-add">{ "Add fault and re-run" }</button>
            if let Some(e) = &*local_error { <p class="error" role="alert">{ e }</p> }
        </form>
    }
}

#[function_component]
pub fn Inspector(p: &InspectorProps) -> Html {
    let n = &*p.node;
    let close = {
        let cb = p.on_close.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    html! {
        <aside class="inspector" id="inspector" aria-label="inspector">
            <div class="insp-head">
                <div>
                    <h2 id="inspector-title">{ &n.id }</h2>
                    <div class="insp-kind">{ if n.service.is_empty() { n.kind.clone() } else { format!("{} · {}", n.kind, n.service) } }</div>
                </div>
                <button class="icon" onclick={close} title="close" aria-label="close the inspector">{ "×" }</button>
            </div>
            if let Some(e) = &p.error {
                <pre class="error" role="alert" id="inspector-error">{ e }</pre>
            }
            <p class="help">{ &n.help }</p>
            if let Some(l) = &p.live {
                <h3>{ "Metrics" }</h3>
                { metric_rows(l) }
            }
            <h3>{ "Parameters" }</h3>
            <div class="params">
                { for n.params.iter().map(|param| html! {
                    <ParamRow key={format!("{}:{}:{}", n.id, param.key, param.value)} node={n.id.clone()} param={param.clone()} on_edit={p.on_edit.clone()} />
                }) }
            </div>
            if n.kind != "source" {
                <FaultForm stage={n.id.clone()} on_fault={p.on_fault.clone()} duration_s={p.duration_s} />
            }
            if !n.limits.is_empty() {
                <h3>{ "Published limits used as defaults" }</h3>
                <ul class="limits">
                    { for n.limits.iter().map(|l| html! {
                        <li><b>{ format!("{} {}: {} {}", l.provider, l.name, l.value, l.unit) }</b><span>{ &l.source }</span></li>
                    }) }
                </ul>
            }
        </aside>
    }
}
