//! The run saved in IndexedDB: offered when the page loads, written after every epoch, read back
//! to resume. A checkpoint that cannot be decoded is said, never dropped silently.

use super::error::WorkerError;
use super::idb;
use super::state::{SharedRef, send};
use crate::checkpoint::{Checkpoint, RoleState};
use crate::model::snapshot::Network;
use crate::protocol::{CheckpointInfo, FromWorker};

/// Tell the page about a run saved by an earlier visit.
pub async fn offer(shared: SharedRef) {
    let info = idb::load()
        .await
        .and_then(|b| {
            Checkpoint::decode(&b)
                .map_err(|e| {
                    // Said, not dropped: the bytes stay stored until a new run replaces them.
                    send(
                        &shared,
                        FromWorker::Notice(format!(
                            "A saved run was found but cannot be resumed: {e}. Starting a new run replaces it."
                        )),
                    )
                })
                .ok()
        })
        .map(|c| CheckpointInfo {
            summary: c.summary(),
            saved_at_ms: c.head.saved_at_ms,
            query: c.head.settings.to_query(),
        });
    send(&shared, FromWorker::Checkpoint(info));
}

/// The saved run, or what to tell the user when there is none or it cannot be read.
pub async fn load() -> Result<Checkpoint, WorkerError> {
    match idb::load().await.map(|b| Checkpoint::decode(&b)) {
        Some(Ok(c)) => Ok(c),
        Some(Err(e)) => Err(WorkerError::Checkpoint(format!(
            "The saved run cannot be resumed: {e}."
        ))),
        None => Err(WorkerError::Checkpoint(
            "There is no saved run to resume.".into(),
        )),
    }
}

/// Read the weights (async), put them into the checkpoint, write it to IndexedDB.
pub async fn save(shared: SharedRef, mut state: RoleState, model: Network) {
    let Ok(record) = model.record_bytes().await else {
        return;
    };
    let encoded = {
        let mut s = shared.borrow_mut();
        // The network's run configuration, verbatim, as its weights file would hold it.
        if let Some(l) = &s.loaded {
            state.config = l.run_config(state.role).to_json();
        }
        let Some(c) = s.ckpt.as_mut() else { return };
        c.set_role(state, record);
        c.head.saved_at_ms = js_sys::Date::now();
        c.encode()
    };
    // Either failure leaves the checkpoint already stored as it was; the run goes on.
    let saved = match encoded {
        Ok(bytes) => idb::save(&bytes).await,
        Err(e) => Err(WorkerError::Other(e)),
    };
    if let Err(e) = saved {
        send(
            &shared,
            FromWorker::Notice(format!(
                "This epoch was not checkpointed ({e}); the run goes on, and a reload resumes from the last checkpoint saved."
            )),
        );
    }
}
