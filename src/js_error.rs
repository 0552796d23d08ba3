//! The text of a JavaScript exception (an `Error`'s message, or whatever it was), for the
//! messages the page shows. Shared by the page and the worker.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

pub fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}
