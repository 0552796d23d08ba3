//! The browser's side of the worker: time, yielding, fetch and Cache Storage, and a panic
//! reporter (a panic kills the worker; the page hears why first).

use super::state::Reply;
use crate::fetch::{Fetched, fetch_capped};
use crate::protocol::FromWorker;
use js_sys::{Promise, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response, WorkerGlobalScope};

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

/// GET `url`: `Ok(None)` on 404, the body otherwise, of at most `max` bytes (a larger
/// `Content-Length`, or a body that grows past it, is refused before more is read; a stalled
/// server is given up on: [`crate::fetch`]).
pub async fn fetch_bytes(url: &str, max: usize) -> Result<Option<Vec<u8>>, String> {
    match fetch_capped(url, max, None).await? {
        Fetched::Body(b) => Ok(Some(b)),
        Fetched::Status(404) => Ok(None),
        Fetched::Status(s) => Err(format!("could not fetch {url}: HTTP {s}")),
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
