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
    let text = use_state(|| p.value.to_string());
    {
        let text = text.clone();
        use_effect_with(p.value.clone(), move |v| text.set(v.to_string()));
    }
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
        let (text, cb) = (text.clone(), p.on_input.clone());
        Callback::from(move |e: InputEvent| {
            let v = read(&e);
            text.set(v.clone());
            cb.emit(v);
        })
    };
    let onchange = {
        let cb = p.on_change.clone();
        Callback::from(move |e: Event| cb.emit(read(&e)))
    };
    if p.multiline {
        html! {
            <textarea id={p.id.clone()} ref={p.node_ref.clone()} value={(*text).clone()} {oninput} {onchange}
                      spellcheck="false" rows="14" placeholder={p.placeholder.clone()} />
        }
    } else {
        html! {
            <input id={p.id.clone()} ref={p.node_ref.clone()} type="text" value={(*text).clone()} {oninput} {onchange}
                   size={p.size.map(|s| s.to_string())} placeholder={p.placeholder.clone()}
                   spellcheck="false" autocomplete="off" />
        }
    }
}
