//! A text field that keeps what the user types across re-renders (snapshots
//! re-render the page many times a second) and takes a new value only when
//! its source value changes.

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    pub id: AttrValue,
    /// The value from the model; the field resets to it when it changes.
    pub value: AttrValue,
    #[prop_or_default]
    pub size: Option<u32>,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub multiline: bool,
    /// Fired on `change` (Enter or leaving the field) with the text.
    #[prop_or_default]
    pub on_change: Callback<String>,
    /// Fired on every keystroke with the text.
    #[prop_or_default]
    pub on_input: Callback<String>,
    #[prop_or_default]
    pub node_ref: NodeRef,
}

#[function_component]
pub fn TextField(p: &FieldProps) -> Html {
    // (source value, text shown). A new source value replaces the text in
    // the same render: an effect would show the stale text for one frame,
    // which a user (or a test) reading the field right after load can see.
    let state = use_mut_ref(|| (p.value.clone(), p.value.to_string()));
    let redraw = use_force_update();
    {
        let mut s = state.borrow_mut();
        if s.0 != p.value {
            *s = (p.value.clone(), p.value.to_string());
        }
    }
    let shown = state.borrow().1.clone();
    let read = |e: &Event| -> String {
        if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
            i.value()
        } else if let Some(t) = e.target_dyn_into::<HtmlTextAreaElement>() {
            t.value()
        } else {
            String::new()
        }
    };
    let oninput = {
        let (state, cb) = (state.clone(), p.on_input.clone());
        Callback::from(move |e: InputEvent| {
            let v = read(&e);
            state.borrow_mut().1 = v.clone();
            redraw.force_update();
            cb.emit(v);
        })
    };
    let onchange = {
        let cb = p.on_change.clone();
        Callback::from(move |e: Event| cb.emit(read(&e)))
    };
    if p.multiline {
        html! {
            <textarea id={p.id.clone()} ref={p.node_ref.clone()} value={shown} {oninput} {onchange}
                      spellcheck="false" rows="14" placeholder={p.placeholder.clone()} />
        }
    } else {
        html! {
            <input id={p.id.clone()} ref={p.node_ref.clone()} type="text" value={shown} {oninput} {onchange}
                   size={p.size.map(|s| s.to_string())} placeholder={p.placeholder.clone()}
                   spellcheck="false" autocomplete="off" />
        }
    }
}
