//! Where each network of a run starts: the checkpoint's weights and schedule (a resumed run),
//! a weights file the user loaded, the teacher published on the server, or fresh weights.

use super::error::WorkerError;
use super::state::SharedRef;
use super::web;
use crate::checkpoint::{Checkpoint, RoleState};
use crate::model::Arch;
use crate::model::snapshot;
use crate::protocol::Role;
use crate::settings::Settings;

/// Weights for `role` that the run should start from, and that role's saved state: the
/// checkpoint's, an uploaded file's, or (teacher) the published pretrained one.
pub async fn weights(
    shared: &SharedRef,
    s: &Settings,
    role: Role,
    resume: Option<&Checkpoint>,
) -> Result<Option<(Vec<u8>, Option<RoleState>)>, WorkerError> {
    if let Some((state, record)) = resume.and_then(|c| c.role(role)) {
        return Ok(Some((record.to_vec(), Some(state.clone()))));
    }
    if let Some((_, _, record)) = shared.borrow().imported.iter().find(|(r, _, _)| *r == role) {
        return Ok(Some((record.clone(), None)));
    }
    if role == Role::Teacher && s.pretrained {
        let url = format!("data/{}/teacher.dlw", s.dataset);
        let bytes = web::fetch_bytes(&url, snapshot::MAX_BYTES).await?.ok_or_else(|| {
            WorkerError::NotReady(format!(
                "There is no pretrained teacher at {url}. Make one with\n  cargo run --release --bin distill -- train --data data/{0} --model cnn --out runs/teacher --publish data/{0}\nor untick \"use the pretrained teacher\".",
                s.dataset
            ))
        })?;
        let (meta, record) = snapshot::decode(&url, &bytes)?;
        let m = (shared.borrow().manifest().cloned())
            .ok_or_else(|| WorkerError::NotReady("the dataset's manifest is not loaded".into()))?;
        meta.check(&url, Arch::Cnn, &m.dataset, &m.classes)?;
        return Ok(Some((record, None)));
    }
    Ok(None)
}
