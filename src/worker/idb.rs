//! The run checkpoint in IndexedDB: one database, one store, one key. Everything is awaited
//! through promises wrapped around IndexedDB's request callbacks.

use super::error::WorkerError;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode,
    WorkerGlobalScope,
};

const DB: &str = "distill-lab";
const STORE: &str = "runs";
const KEY: &str = "current";

/// Await an IndexedDB request's result.
async fn done(req: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        let r = req.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &r.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r = req.clone();
        let err = Closure::once_into_js(move || {
            let why = (r.error().ok().flatten()).map_or_else(
                || JsValue::from_str("IndexedDB request failed"),
                JsValue::from,
            );
            let _ = reject.call1(&JsValue::NULL, &why);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(err.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let global: WorkerGlobalScope = js_sys::global().unchecked_into();
    let factory = global.indexed_db()?.ok_or("no IndexedDB")?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB, 1)?;
    let upgrade = Closure::once_into_js({
        let req = req.clone();
        move || {
            if let Ok(db) = req.result().and_then(|d| d.dyn_into::<IdbDatabase>())
                && !db.object_store_names().contains(STORE)
            {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    Ok(done(&req).await?.unchecked_into())
}

/// A transaction's commit, watched from now (before its requests run). A full quota is only
/// known here: the request has already succeeded when the commit fails, and the transaction
/// aborts with `QuotaExceededError`.
fn committed(tx: &IdbTransaction) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let t = tx.clone();
        let aborted = Closure::once_into_js(move || {
            let why = (t.error()).map_or_else(
                || JsValue::from_str("IndexedDB transaction aborted"),
                JsValue::from,
            );
            let _ = reject.call1(&JsValue::NULL, &why);
        });
        tx.set_oncomplete(Some(ok.unchecked_ref()));
        // A failed request's error bubbles to the transaction, which then aborts.
        tx.set_onabort(Some(aborted.unchecked_ref()));
    });
    JsFuture::from(promise)
}

/// Store `value` under the one key, and wait until it is committed.
async fn put(value: &JsValue) -> Result<(), JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    let commit = committed(&tx);
    let store = tx.object_store(STORE)?;
    let stored = done(&store.put_with_key(value, &JsValue::from_str(KEY))?).await;
    let commit = commit.await.map(|_| ());
    stored.and(commit)
}

/// The saved checkpoint's bytes, if any.
pub async fn load() -> Option<Vec<u8>> {
    let db = open().await.ok()?;
    let tx = db.transaction_with_str(STORE).ok()?;
    let req = tx
        .object_store(STORE)
        .ok()?
        .get(&JsValue::from_str(KEY))
        .ok()?;
    let v = done(&req).await.ok()?;
    v.dyn_into::<Uint8Array>().ok().map(|a| a.to_vec())
}

/// Store the checkpoint. A failure (a full quota, storage turned off) costs only the ability to
/// resume from this epoch; the caller says so to the user.
pub async fn save(bytes: &[u8]) -> Result<(), WorkerError> {
    put(&Uint8Array::from(bytes).into()).await.map_err(|e| {
        let name = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.name()))
            .unwrap_or_else(|| format!("{e:?}"));
        WorkerError::Storage(if name.contains("Quota") {
            format!("the browser's storage quota is full ({name})")
        } else {
            format!("the browser refused to store it ({name})")
        })
    })
}

pub async fn clear() {
    let _ = put(&JsValue::NULL).await;
}
