//! Keep and share trained models: download each network as a weights file, load one back (a
//! file for another architecture or dataset is refused and nothing is lost), or start from the
//! pretrained teacher published in `data/`.

use crate::protocol::Role;
use crate::settings::Settings;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ModelsProps {
    pub settings: Settings,
    /// Which networks exist to download (by `Role::index`).
    pub has_model: [bool; 4],
    /// Weights files loaded from disk, described.
    pub imported: Rc<Vec<super::state::Imported>>,
    pub running: bool,
    pub on_export: Callback<Role>,
    /// (file name, bytes)
    pub on_import: Callback<(String, Vec<u8>)>,
    pub on_settings: Callback<super::controls::Edit>,
}

#[function_component(Models)]
pub fn models(p: &ModelsProps) -> Html {
    super::renders::panel("models");
    let s = p;
    let has = |r: Role| s.has_model[r.index()];
    let on_file = {
        let cb = p.on_import.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let cb = cb.clone();
            spawn_local(async move {
                if let Ok(buf) = JsFuture::from(file.array_buffer()).await {
                    cb.emit((file.name(), js_sys::Uint8Array::new(&buf).to_vec()));
                }
            });
        })
    };
    let pretrained = {
        let cb = p.on_settings.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            cb.emit(std::rc::Rc::new(move |s: &mut Settings| s.pretrained = on));
        })
    };
    html! {
        <section class="models" aria-label="Models">
            <h2>{ "Keep and share models" }</h2>
            <div class="buttons">
                { for Role::ALL.iter().filter(|&&r| r.in_method(s.settings.method) || has(r)).map(|&role| {
                    let cb = p.on_export.clone();
                    html! {
                        <button id={format!("download-{}", role.key())} disabled={!has(role)}
                            onclick={Callback::from(move |_| cb.emit(role))}>{ format!("Download the {}", role.label_for(s.settings.method)) }</button>
                    }
                }) }
                <label class="upload" for="upload">{ "Load a weights file (.dlw): " }
                    <input id="upload" type="file" accept=".dlw" disabled={p.running} onchange={on_file} />
                </label>
            </div>
            if !s.settings.hidden("teacher") {
                <label class="check" for="ctl-teacher">
                    <input id="ctl-teacher" type="checkbox" checked={s.settings.pretrained} disabled={p.running} onchange={pretrained} />
                    { " Use the pretrained teacher in data/ (skips teacher training: the 10-minute lesson)" }
                </label>
            }
            if !s.imported.is_empty() {
                <ul class="imported" id="imported">
                    { for s.imported.iter().map(|i| html! {
                        <li>{ format!("Loaded {}; the next run uses it instead of training it.", i.description) }
                            { for i.run.clone().map(|q| reopen(p, i.role, q)) }</li>
                    }) }
                </ul>
            }
        </section>
    }
}

/// "The run it was trained with": that run's settings, applied in place (no reload: the loaded
/// files stay) on this page ([`Settings::on_this_page`]).
fn reopen(p: &ModelsProps, role: Role, query: String) -> Html {
    let cb = p.on_settings.clone();
    let href = format!("?{query}");
    let onclick = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        let (run, _) = Settings::from_query(&query);
        cb.emit(std::rc::Rc::new(move |s: &mut Settings| {
            *s = s.on_this_page(run.clone())
        }));
    });
    html! {
        <>{ " " }<a id={format!("reopen-{}", role.key())} {href} {onclick}>{ "Open the run it was trained with" }</a></>
    }
}

/// Save bytes as a file (a Blob URL and a click on a temporary link).
pub fn save_file(name: &str, bytes: &[u8]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/octet-stream");
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc
        .create_element("a")
        .map(|e| e.unchecked_into::<web_sys::HtmlAnchorElement>())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
