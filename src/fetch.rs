//! Every fetch the browser side makes — the worker's shards, manifests and weights, and the
//! page's own look-ups (the dataset index, the data check, the drawing teacher) — goes through
//! [`fetch_capped`]: a body larger than the caller expects is refused before it is read (from
//! `Content-Length`) or as soon as it grows past that (a body without one), and a server that
//! sends nothing for [`IDLE_MS`] is given up on. Works in a window and in a worker.

use crate::js_error::js_err;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, ReadableStreamDefaultReader, RequestInit, Response, Window,
    WorkerGlobalScope,
};

/// A fetch that gets nothing for this long — no headers, or no next chunk of the body — is
/// abandoned: the server has stalled. A slow network that keeps sending is never cut off.
pub const IDLE_MS: i32 = 15_000;

/// What a bounded fetch found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A 2xx answer's whole body.
    Body(Vec<u8>),
    /// Any other answer's status; its body is not read.
    Status(u16),
}

/// The scope's `fetch`, in a window or a worker.
fn fetch(url: &str, init: &RequestInit) -> Promise {
    let g = js_sys::global();
    match g.dyn_ref::<Window>() {
        Some(w) => w.fetch_with_str_and_init(url, init),
        None => (g.unchecked_ref::<WorkerGlobalScope>()).fetch_with_str_and_init(url, init),
    }
}

/// `setTimeout(resolve, ms, arg)` in a window or a worker; the timer's handle.
fn set_timeout(resolve: &js_sys::Function, ms: i32, arg: &JsValue) -> Option<i32> {
    let g = js_sys::global();
    match g.dyn_ref::<Window>() {
        Some(w) => w.set_timeout_with_callback_and_timeout_and_arguments_1(resolve, ms, arg),
        None => (g.unchecked_ref::<WorkerGlobalScope>())
            .set_timeout_with_callback_and_timeout_and_arguments_1(resolve, ms, arg),
    }
    .ok()
}

fn clear_timeout(handle: i32) {
    let g = js_sys::global();
    match g.dyn_ref::<Window>() {
        Some(w) => w.clear_timeout_with_handle(handle),
        None => (g.unchecked_ref::<WorkerGlobalScope>()).clear_timeout_with_handle(handle),
    }
}

/// GET `url` (only its first `range` bytes, when given: a server that ignores `Range` sends it
/// all, still bounded by `max`). `Err` when the request fails, the server stalls, or the body
/// would pass `max` bytes.
pub async fn fetch_capped(url: &str, max: usize, range: Option<usize>) -> Result<Fetched, String> {
    let controller = AbortController::new().map_err(js_err)?;
    let init = RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    if let Some(n) = range {
        let h = Headers::new().map_err(js_err)?;
        h.set("Range", &format!("bytes=0-{}", n.max(1) - 1))
            .map_err(js_err)?;
        init.set_headers(&h);
    }
    let give_up = |why: String| {
        controller.abort();
        why
    };
    let stalled = || {
        format!(
            "{url}: the server sent nothing for {} s (stalled)",
            IDLE_MS / 1000
        )
    };
    let resp: Response = match within(fetch(url, &init), IDLE_MS).await {
        None => return Err(give_up(stalled())),
        Some(r) => r.map_err(|e| format!("could not fetch {url}: {}", js_err(e)))?,
    }
    .unchecked_into();
    if !resp.ok() {
        controller.abort();
        return Ok(Fetched::Status(resp.status()));
    }
    let announced = (resp.headers().get("content-length").ok().flatten())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = announced.filter(|&n| n > max as u64) {
        return Err(give_up(format!(
            "{url}: the server announces {len} bytes, more than the {max} expected"
        )));
    }
    let Some(body) = resp.body() else {
        return Ok(Fetched::Body(Vec::new()));
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = match within(reader.read(), IDLE_MS).await {
            None => return Err(give_up(stalled())),
            Some(r) => r.map_err(|e| format!("could not read {url}: {}", js_err(e)))?,
        };
        let field = |k: &str| js_sys::Reflect::get(&chunk, &k.into()).unwrap_or(JsValue::UNDEFINED);
        if field("done").as_bool().unwrap_or(true) {
            break;
        }
        let value: Uint8Array = field("value").unchecked_into();
        let (start, n) = (out.len(), value.length() as usize);
        if start + n > max {
            return Err(give_up(format!(
                "{url}: more than the {max} bytes expected"
            )));
        }
        out.resize(start + n, 0);
        value.copy_to(&mut out[start..]);
    }
    Ok(Fetched::Body(out))
}

/// `promise`'s outcome, or `None` if it has not settled within `ms`.
async fn within(promise: Promise, ms: i32) -> Option<Result<JsValue, JsValue>> {
    let marker = js_sys::Object::new();
    let mut timer = None;
    let timeout = Promise::new(&mut |resolve, _| {
        timer = set_timeout(&resolve, ms, &marker);
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    let settled = JsFuture::from(race).await;
    // One timer per chunk read: cleared, not left to fire on a race already settled.
    if let Some(t) = timer {
        clear_timeout(t);
    }
    match settled {
        Ok(v) if js_sys::Object::is(&v, &marker) => None,
        other => Some(other),
    }
}
