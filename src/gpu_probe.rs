//! Asks the browser for its WebGPU adapter. Used by the page (which worker bundle to load) and
//! by the worker (which device to start); works in a window and in a worker alike.

use crate::device::{Adapter, is_software_adapter};
use crate::js_error::js_err;
use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `navigator.gpu.requestAdapter()`'s adapter, or why there is none.
pub async fn adapter() -> Adapter {
    match request().await {
        Ok(a) => a,
        Err(why) => Adapter::Missing(why),
    }
}

async fn request() -> Result<Adapter, String> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(js_err)?;
    let gpu = Reflect::get(&nav, &"gpu".into()).map_err(js_err)?;
    if gpu.is_undefined() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request = Reflect::get(&gpu, &"requestAdapter".into()).map_err(js_err)?;
    let promise = request
        .unchecked_ref::<js_sys::Function>()
        .call0(&gpu)
        .map_err(js_err)?;
    let adapter = JsFuture::from(promise.unchecked_into::<Promise>())
        .await
        .map_err(js_err)?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but offered no adapter".into());
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| {
        Reflect::get(&info, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let name = [field("vendor"), field("architecture"), field("description")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    // Chromium moved the flag from the adapter to its info (GPUAdapterInfo.isFallbackAdapter).
    let flag = |o: &JsValue| {
        Reflect::get(o, &"isFallbackAdapter".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let fallback = flag(&adapter) || flag(&info);
    let name = if name.is_empty() {
        "unnamed adapter".to_string()
    } else {
        name
    };
    Ok(Adapter::Found {
        software: is_software_adapter(&name, fallback),
        name: if fallback {
            format!("{name} (fallback adapter)")
        } else {
            name
        },
    })
}
