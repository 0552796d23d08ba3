//! The browser's side of the worker: time, yielding, fetch and Cache Storage, and a panic
//! reporter (a panic kills the worker; the page hears why first).

use super::state::Reply;
use crate::js_error::js_err;
use crate::protocol::FromWorker;
use js_sys::{Promise, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Cache, ReadableStreamDefaultReader, RequestInit, Response, WorkerGlobalScope,
};

fn global() -> WorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Milliseconds, high resolution.
pub fn now_ms() -> f64 {
    global()
        .performance()
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Let the worker's event loop run (messages from the page: pause, stop, inspect).
pub async fn sleep_ms(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let _ = global().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}

/// A fetch that gets nothing for this long — no headers, or no next chunk of the body — is
/// abandoned: the server has stalled. A slow network that keeps sending is never cut off.
pub const IDLE_MS: i32 = 15_000;

/// GET `url`: `Ok(None)` on 404, the body otherwise, of at most `max` bytes (a larger
/// `Content-Length`, or a body that grows past it, is refused before more is read).
pub async fn fetch_bytes(url: &str, max: usize) -> Result<Option<Vec<u8>>, String> {
    let controller = AbortController::new().map_err(js_err)?;
    let init = RequestInit::new();
    init.set_signal(Some(&controller.signal()));
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
    let resp: Response =
        match within(global().fetch_with_str_and_init(url, &init), IDLE_MS).await {
            None => return Err(give_up(stalled())),
            Some(r) => r.map_err(|e| format!("could not fetch {url}: {}", js_err(e)))?,
        }
        .unchecked_into();
    if resp.status() == 404 {
        return Ok(None);
    }
    if !resp.ok() {
        return Err(give_up(format!(
            "could not fetch {url}: HTTP {}",
            resp.status()
        )));
    }
    let announced = (resp.headers().get("content-length").ok().flatten())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = announced.filter(|&n| n > max as u64) {
        return Err(give_up(format!(
            "{url}: the server announces {len} bytes, more than the {max} expected"
        )));
    }
    let Some(body) = resp.body() else {
        return Ok(Some(Vec::new()));
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
    Ok(Some(out))
}

/// `promise`'s outcome, or `None` if it has not settled within `ms`.
async fn within(promise: Promise, ms: i32) -> Option<Result<JsValue, JsValue>> {
    let marker = js_sys::Object::new();
    let mut timer = None;
    let timeout = Promise::new(&mut |resolve, _| {
        let g = global();
        timer =
            (g.set_timeout_with_callback_and_timeout_and_arguments_1(&resolve, ms, &marker)).ok();
    });
    let race = Promise::race(&js_sys::Array::of2(&promise, &timeout));
    let settled = JsFuture::from(race).await;
    // One timer per chunk read: cleared, not left to fire on a race already settled.
    if let Some(t) = timer {
        global().clear_timeout_with_handle(t);
    }
    match settled {
        Ok(v) if js_sys::Object::is(&v, &marker) => None,
        other => Some(other),
    }
}

const CACHE: &str = "distill-lab-data-v1";

async fn cache() -> Option<Cache> {
    let storage = global().caches().ok()?;
    JsFuture::from(storage.open(CACHE))
        .await
        .ok()
        .map(|c| c.unchecked_into())
}

/// Bytes stored under `key` in Cache Storage, if any (no cache: `None`).
pub async fn cached(key: &str) -> Option<Vec<u8>> {
    let cache = cache().await?;
    let hit = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    if hit.is_undefined() {
        return None;
    }
    let resp: Response = hit.unchecked_into();
    let buf = JsFuture::from(resp.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buf).to_vec())
}

/// Store bytes under `key` (best effort: a full or missing cache only costs a re-download).
pub async fn store(key: &str, bytes: &[u8]) {
    let Some(cache) = cache().await else { return };
    let mut copy = bytes.to_vec();
    if let Ok(resp) = Response::new_with_opt_u8_array(Some(&mut copy)) {
        let _ = JsFuture::from(cache.put_with_str(key, &resp)).await;
    }
}

thread_local! {
    static REPORTER: RefCell<Option<Reply>> = const { RefCell::new(None) };
}

/// Where the heartbeat and a panic's last word go: the page that last spoke.
pub fn set_reporter(reply: Reply) {
    REPORTER.with(|r| *r.borrow_mut() = Some(reply));
}

/// Say [`FromWorker::Alive`] every [`crate::protocol::HEARTBEAT_MS`], forever (to the page
/// that last spoke), so the page can tell a dead worker from a busy one.
pub async fn heartbeat() {
    loop {
        sleep_ms(crate::protocol::HEARTBEAT_MS).await;
        REPORTER.with(|r| {
            if let Some(reply) = r.borrow().as_ref() {
                reply(FromWorker::Alive);
            }
        });
    }
}

/// On a panic (a lost GPU device ends in one), tell the page before the worker dies.
pub fn install_panic_reporter() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("the training worker stopped: {info}");
        web_sys::console::error_1(&message.clone().into());
        REPORTER.with(|r| {
            if let Some(reply) = r.borrow().as_ref() {
                reply(FromWorker::Crashed(message));
            }
        });
    }));
}
