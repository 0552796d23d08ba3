//! A number input that keeps what is being typed until it is committed.
//!
//! Yew's `value` makes an input controlled: every render of the panel writes the committed value
//! back into the field. Any render that lands while someone is typing — the previous field's
//! commit, a message from the worker — would wipe the uncommitted text (the e2e share-link test
//! lost a typed value this way on a loaded machine). The field shows its draft while there is
//! one and the committed value otherwise; a commit (Enter, Tab, leaving the field) clamps the
//! number, hands it on and drops the draft, so the field then shows what the settings hold.

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    pub id: AttrValue,
    /// The committed value, as the settings hold it.
    pub value: AttrValue,
    pub step: AttrValue,
    pub min: f64,
    pub max: f64,
    pub disabled: bool,
    /// The parsed, clamped number, on commit.
    pub on_commit: Callback<f64>,
}

#[function_component(NumberField)]
pub fn number_field(p: &NumberFieldProps) -> Html {
    let draft = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            draft.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()))
        })
    };
    let onchange = {
        let draft = draft.clone();
        let (commit, min, max) = (p.on_commit.clone(), p.min, p.max);
        Callback::from(move |e: Event| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            // Text that is no number (an emptied field) commits nothing: the field shows the
            // setting again.
            if let Ok(v) = text.trim().parse::<f64>() {
                commit.emit(v.clamp(min, max));
            }
            draft.set(None);
        })
    };
    let value = match &*draft {
        Some(text) => AttrValue::from(text.clone()),
        None => p.value.clone(),
    };
    html! {
        <input id={p.id.clone()} type="number" {value} step={p.step.clone()}
            min={p.min.to_string()} max={p.max.to_string()} disabled={p.disabled}
            {oninput} {onchange} />
    }
}
