//! A run's checkpoint: what the browser keeps in IndexedDB after every completed epoch so that a
//! reload (or a lost GPU) costs at most the epoch in progress. Plain data and a byte format, so
//! it is tested natively; the worker does the storing.
//!
//! ```text
//! magic "DLCKPT01" | u32 LE json length | JSON (everything but weights) | weights records
//! ```

use crate::protocol::{FromWorker, Role};
use crate::settings::Settings;
use crate::train::Schedule;
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"DLCKPT01";

/// Where one network's training stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    pub role: Role,
    /// Completed epochs.
    pub epoch: usize,
    /// The learning rate for the next epoch.
    pub lr: f64,
    pub schedule: Schedule,
    /// Training is over for this network (all epochs, or early stopping).
    pub done: bool,
    /// Byte length of its weights record, which follows the JSON in role order.
    pub record_len: usize,
    /// The network's run configuration as its weights file would store it
    /// (`train::RunConfig::to_json`); `null` in checkpoints written before it.
    #[serde(default)]
    pub config: serde_json::Value,
}

/// Everything but the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointHead {
    pub settings: Settings,
    pub saved_at_ms: f64,
    pub roles: Vec<RoleState>,
    /// The messages that drew the page so far (curves, results), replayed on resume.
    pub log: Vec<FromWorker>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub head: CheckpointHead,
    /// One weights record (burnpack) per entry of `head.roles`.
    pub records: Vec<Vec<u8>>,
}

impl Checkpoint {
    pub fn role(&self, role: Role) -> Option<(&RoleState, &[u8])> {
        self.head
            .roles
            .iter()
            .zip(&self.records)
            .find(|(r, _)| r.role == role)
            .map(|(r, b)| (r, b.as_slice()))
    }

    /// One line for the page: where the run stopped.
    pub fn summary(&self) -> String {
        let s = &self.head.settings;
        let parts: Vec<String> = self
            .head
            .roles
            .iter()
            .map(|r| {
                if r.done {
                    format!("{} done", r.role.label())
                } else {
                    format!("{} at epoch {} of {}", r.role.label(), r.epoch, s.epochs)
                }
            })
            .collect();
        format!("{} ({} samples): {}", s.dataset, s.subset, parts.join(", "))
    }

    /// The checkpoint's bytes, or why it cannot be saved: a head that would not decode (a
    /// non-finite number, which JSON writes as `null`) is refused here, so the checkpoint
    /// already stored is kept instead of being replaced by one that cannot be resumed.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        let mut head = self.head.clone();
        for (r, b) in head.roles.iter_mut().zip(&self.records) {
            r.record_len = b.len();
        }
        let json = serde_json::to_vec(&head).map_err(|e| format!("checkpoint not saved: {e}"))?;
        check_head(&head).map_err(|e| e.replace("checkpoint damaged", "checkpoint not saved"))?;
        let mut out =
            Vec::with_capacity(12 + json.len() + self.records.iter().map(Vec::len).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for b in &self.records {
            out.extend_from_slice(b);
        }
        Ok(out)
    }

    /// Read a checkpoint from storage: its layout with checked arithmetic, its settings through
    /// the share link's checks, its numbers finite. Errors say what is wrong with it.
    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err("not a Distill Lab checkpoint".into());
        }
        let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
        let truncated = "checkpoint truncated";
        let end = 12usize.checked_add(len).ok_or(truncated)?;
        let json = bytes.get(12..end).ok_or(truncated)?;
        let mut head: CheckpointHead =
            serde_json::from_slice(json).map_err(|e| format!("checkpoint damaged: {e}"))?;
        let (settings, changed) = head.settings.checked();
        if !changed.is_empty() {
            return Err(format!(
                "checkpoint settings out of range: {}",
                changed.join("; ")
            ));
        }
        head.settings = settings;
        check_head(&head)?;
        let mut at = end;
        let mut records = Vec::with_capacity(head.roles.len());
        for r in &head.roles {
            let next = at.checked_add(r.record_len).ok_or(truncated)?;
            records.push(bytes.get(at..next).ok_or(truncated)?.to_vec());
            at = next;
        }
        Ok(Checkpoint { head, records })
    }

    /// Replace (or add) one network's state and weights.
    pub fn set_role(&mut self, state: RoleState, record: Vec<u8>) {
        if let Some(i) = self.head.roles.iter().position(|r| r.role == state.role) {
            self.head.roles[i] = state;
            self.records[i] = record;
        } else {
            self.head.roles.push(state);
            self.records.push(record);
        }
    }
}

/// What must hold of a head, saved or read: it reads back as written (JSON has no infinity or
/// NaN: a non-finite number anywhere, e.g. a schedule's best loss, would be written `null` and
/// the next read would fail), each role once, finite positive learning rates, epochs within the
/// run's.
fn check_head(head: &CheckpointHead) -> Result<(), String> {
    let json = serde_json::to_vec(head).map_err(|e| format!("checkpoint damaged: {e}"))?;
    serde_json::from_slice::<CheckpointHead>(&json)
        .map_err(|e| format!("checkpoint damaged: it would not read back as written ({e})"))?;
    for (i, r) in head.roles.iter().enumerate() {
        if head.roles[..i].iter().any(|o| o.role == r.role) {
            return Err(format!(
                "checkpoint damaged: {} appears twice",
                r.role.label()
            ));
        }
        if !(r.lr.is_finite() && r.lr > 0.0) {
            return Err(format!(
                "checkpoint damaged: {} has learning rate {}",
                r.role.label(),
                r.lr
            ));
        }
        if r.epoch > head.settings.epochs {
            return Err(format!(
                "checkpoint damaged: {} at epoch {} of {}",
                r.role.label(),
                r.epoch,
                head.settings.epochs
            ));
        }
    }
    if !head.saved_at_ms.is_finite() {
        return Err("checkpoint damaged: no valid save time".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut c = Checkpoint {
            head: CheckpointHead {
                settings: Settings::default(),
                saved_at_ms: 1.0,
                roles: Vec::new(),
                log: vec![FromWorker::Notice("hello".into())],
            },
            records: Vec::new(),
        };
        let state = |role, epoch| RoleState {
            config: serde_json::Value::Null,
            role,
            epoch,
            lr: 1.0,
            schedule: Schedule::new(true, true),
            done: false,
            record_len: 0,
        };
        c.set_role(state(Role::Teacher, 2), vec![1, 2, 3]);
        c.set_role(state(Role::Baseline, 1), vec![9; 10]);
        c.set_role(state(Role::Teacher, 3), vec![4, 5]);
        let back = Checkpoint::decode(&c.encode().unwrap()).unwrap();
        assert_eq!(back.role(Role::Teacher).unwrap().1, &[4, 5]);
        assert_eq!(back.role(Role::Teacher).unwrap().0.epoch, 3);
        assert_eq!(back.role(Role::Baseline).unwrap().1, &[9; 10][..]);
        assert_eq!(back.head.log, c.head.log);
        assert!(back.summary().contains("teacher CNN at epoch 3 of 5"));
        assert!(Checkpoint::decode(&c.encode().unwrap()[..20]).is_err());
        assert!(Checkpoint::decode(b"nonsense").is_err());
        // A role's run configuration is kept verbatim; one saved before it existed reads as
        // `null`.
        let mut with = state(Role::Distilled, 1);
        with.config = serde_json::json!({"version": 1, "samples": 64});
        c.set_role(with.clone(), vec![7]);
        let back = Checkpoint::decode(&c.encode().unwrap()).unwrap();
        assert_eq!(back.role(Role::Distilled).unwrap().0.config, with.config);
        let mut old = serde_json::to_value(state(Role::Baseline, 1)).unwrap();
        old.as_object_mut().unwrap().remove("config");
        let old: RoleState = serde_json::from_value(old).unwrap();
        assert_eq!(old.config, serde_json::Value::Null);
    }
}
