//! The Mermaid paste box: a flowchart pasted here is imported by the core
//! in the worker (`interchange::mermaid_in`) and loaded; boxes it could not
//! map are listed, each with a choice of kind, and importing again with
//! those choices maps them (`class <id> pl-<kind>`, as in the diagram).

use super::bridge;
use super::share::ShareMsg;
use super::state::{Model, Msg};
use crate::interchange::MAX_MERMAID_BYTES;
use crate::report::table::counted;
use crate::view::exchange::MermaidReport;
use crate::view::live::ToWorker;
use std::collections::BTreeMap;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub report: Option<MermaidReport>,
    pub error: Option<String>,
    pub on_close: Callback<()>,
}

const EXAMPLE: &str =
    "flowchart LR\n  subgraph AWS\n    k[Kinesis] --> l[Lambda] --> s[(S3)]\n  end\n  app[Mobile app] --> k";

/// The dialog (the page shows it while `ShareState::mermaid_open`).
pub fn view(m: &Model, d: &UseReducerDispatcher<Model>) -> Html {
    let d = d.clone();
    html! {
        <MermaidDialog report={m.share.mermaid.clone()}
            error={m.error.as_ref().filter(|(w, _)| w == "mermaid").map(|(_, e)| e.clone())}
            on_close={Callback::from(move |_| d.dispatch(Msg::Share(ShareMsg::Mermaid(false))))} />
    }
}

#[function_component]
pub fn MermaidDialog(props: &Props) -> Html {
    let text_ref = use_node_ref();
    let kinds = use_state(BTreeMap::<String, String>::new);
    let local_error = use_state(|| None::<String>);
    let import = {
        let (text_ref, kinds, local_error) = (text_ref.clone(), kinds.clone(), local_error.clone());
        move |with_kinds: bool| {
            let Some(t) = text_ref.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let text = t.value();
            if text.len() > MAX_MERMAID_BYTES {
                local_error.set(Some(format!(
                    "The diagram is {} bytes; the limit is {MAX_MERMAID_BYTES} (256 KiB).",
                    text.len()
                )));
                return;
            }
            if text.trim().is_empty() {
                local_error.set(Some(
                    "Paste a Mermaid flowchart first (it starts with `flowchart` or `graph`).".into(),
                ));
                return;
            }
            local_error.set(None);
            bridge::send(&ToWorker::ImportMermaid {
                text,
                kinds: if with_kinds { (*kinds).clone() } else { BTreeMap::new() },
            });
        }
    };
    let on_import = {
        let import = import.clone();
        let kinds = kinds.clone();
        Callback::from(move |_: MouseEvent| {
            kinds.set(BTreeMap::new());
            import(false)
        })
    };
    let on_apply = Callback::from(move |_: MouseEvent| import(true));
    let close = {
        let c = props.on_close.clone();
        Callback::from(move |_: MouseEvent| c.emit(()))
    };
    let error = (*local_error).clone().or(props.error.clone());
    let report = props.report.as_ref().map(|r| {
        let summary = format!(
            "Loaded “{}”: {}, {}{}",
            r.title,
            counted(r.sources, "source", "sources"),
            counted(r.stages, "stage", "stages"),
            if r.unmapped.is_empty() {
                ", every box mapped.".to_string()
            } else {
                format!(", {} not mapped:", counted(r.unmapped.len(), "box", "boxes"))
            }
        );
        let rows = r.unmapped.iter().map(|u| {
            let on_kind = {
                let (kinds, id) = (kinds.clone(), u.id.clone());
                Callback::from(move |e: Event| {
                    let sel: HtmlSelectElement = e.target_unchecked_into();
                    let mut k = (*kinds).clone();
                    if sel.value().is_empty() {
                        k.remove(&id);
                    } else {
                        k.insert(id.clone(), sel.value());
                    }
                    kinds.set(k);
                })
            };
            let chosen = kinds.get(&u.id).cloned().unwrap_or_default();
            html! {
                <li key={u.id.clone()} class="unmapped" data-id={u.id.clone()}>
                    <span class="mono">{ &u.id }</span>
                    <span class="muted">{ format!(" “{}” (line {}) runs as a {} placeholder ", u.label, u.line, u.placeholder) }</span>
                    <select id={format!("kind-{}", u.id)} onchange={on_kind} aria-label={format!("kind of {}", u.id)}>
                        <option value="" selected={chosen.is_empty()}>{ "choose a kind…" }</option>
                        { for r.kinds.iter().map(|k| html! { <option value={k.clone()} selected={*k == chosen}>{ k }</option> }) }
                    </select>
                </li>
            }
        });
        html! {
            <div class="mermaid-report" id="mermaid-report">
                <p class={if r.unmapped.is_empty() { "ok" } else { "warn" }}>{ summary }</p>
                if !r.unmapped.is_empty() {
                    <ul class="unmapped-list">{ for rows }</ul>
                }
                if !r.notes.is_empty() {
                    <details class="notes"><summary>{ format!("{} from the importer", counted(r.notes.len(), "note", "notes")) }</summary>
                        <ul>{ for r.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    </details>
                }
            </div>
        }
    });
    let has_unmapped = props.report.as_ref().is_some_and(|r| !r.unmapped.is_empty());
    html! {
        <div class="modal-back">
            <div class="modal wide" id="mermaid-dialog" role="dialog" aria-modal="true" aria-labelledby="mermaid-title">
                <h2 id="mermaid-title">{ "Import a Mermaid diagram" }</h2>
                <p class="muted">{ "Paste a flowchart (flowchart or graph, any direction). Boxes map to services by their label and id; subgraphs become regions, solid links data, dotted links control. Up to 256 KiB." }</p>
                <textarea id="mermaid-text" ref={text_ref} class="mono" rows="12" spellcheck="false" placeholder={EXAMPLE} />
                if let Some(e) = error {
                    <div class="dialog-error" id="mermaid-error" role="alert"><pre>{ e }</pre></div>
                }
                if let Some(r) = report { { r } }
                <div class="modal-actions">
                    if has_unmapped {
                        <button id="mermaid-apply" onclick={on_apply} disabled={kinds.is_empty()}>{ "Import with these kinds" }</button>
                    }
                    <button id="mermaid-import" class="primary" onclick={on_import}>{ "Import and load" }</button>
                    <button id="mermaid-close" onclick={close}>{ "Close" }</button>
                </div>
            </div>
        </div>
    }
}
