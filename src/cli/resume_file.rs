//! A checkpoint file of `distill train` and `distill sweep` (cli/resume.rs saves and resumes
//! them), read as hostile input: every length checked against the bytes there are, the records'
//! sha256 against its head.
//!
//! ```text
//! magic "DLRESUME" | u32 LE head length | head JSON | weights record | optimizer record
//! ```

use crate::data::{MAX_WEIGHTS_BYTES, sha256_hex};
use crate::train::{EpochRecord, Schedule};
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"DLRESUME";
/// The format this build writes and reads.
const FORMAT: u32 = 1;
/// The largest head read: a 1,000-epoch curve is about 200 kB.
const MAX_HEAD: usize = 16 << 20;
/// The largest checkpoint read: the weights and twice as much optimizer state (Adam's two
/// moments), each at most a weights file's limit, and the head.
pub(super) const MAX_BYTES: usize = 3 * MAX_WEIGHTS_BYTES + MAX_HEAD;

/// Where one network's training stands, but for its weights and optimizer state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Everything that shapes the network's training (`resume::ResumeKeys`); the file is refused if it
    /// differs from this run's.
    pub key: serde_json::Value,
    /// Completed epochs.
    pub epoch: usize,
    /// The learning rate for the next epoch.
    pub lr: f64,
    pub schedule: Schedule,
    /// Early stopping ended it: no more epochs, however many are asked for. (A network that
    /// ran all it was asked to goes on when a later command asks for more.)
    pub stopped_early: bool,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Seconds spent on it so far, over every process that trained it.
    pub seconds: f64,
}

/// The head as the file stores it: [`Head`] and what the file's own bytes give — its format,
/// the records' lengths and their sha256 (a damaged file is refused, not resumed into another
/// run) — computed by [`Saved::encode`], checked by [`Saved::decode`].
#[derive(Serialize, Deserialize)]
struct Stored<H> {
    format: u32,
    #[serde(flatten)]
    head: H,
    weights_len: usize,
    optimizer_len: usize,
    records_sha256: String,
}

/// One network's checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub head: Head,
    pub weights: Vec<u8>,
    pub optimizer: Vec<u8>,
}

impl Saved {
    pub fn encode(&self) -> Vec<u8> {
        let records = [self.weights.as_slice(), &self.optimizer].concat();
        let stored = Stored {
            format: FORMAT,
            head: &self.head,
            weights_len: self.weights.len(),
            optimizer_len: self.optimizer.len(),
            records_sha256: sha256_hex(&records),
        };
        let json = serde_json::to_vec(&stored).expect("a checkpoint's head serialises");
        let mut out = Vec::with_capacity(12 + json.len() + records.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&records);
        out
    }

    /// Read `bytes` (the file `name`), every length checked against the bytes there are. The
    /// records themselves are checked when they are loaded into the network.
    pub fn decode(name: &str, bytes: &[u8]) -> std::result::Result<Saved, String> {
        let bad = |why: &str| format!("{name}: not a checkpoint this build can read ({why})");
        if bytes.len() > MAX_BYTES {
            return Err(bad("larger than any checkpoint"));
        }
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("no DLRESUME header"))?;
        let (len, rest) = rest.split_at_checked(4).ok_or_else(|| bad("cut short"))?;
        let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
        if len > MAX_HEAD {
            return Err(bad("its head is larger than any checkpoint's"));
        }
        let (json, rest) = rest.split_at_checked(len).ok_or_else(|| bad("cut short"))?;
        let stored: Stored<Head> =
            serde_json::from_slice(json).map_err(|e| bad(&format!("its head: {e}")))?;
        if stored.format != FORMAT {
            return Err(bad(&format!(
                "format {}, this build reads {FORMAT}",
                stored.format
            )));
        }
        if stored.weights_len.checked_add(stored.optimizer_len) != Some(rest.len()) {
            return Err(bad("its records are not the length its head gives"));
        }
        if stored.head.history.len() != stored.head.epoch {
            return Err(bad("its curve does not have one point per epoch"));
        }
        if sha256_hex(rest) != stored.records_sha256 {
            return Err(bad(
                "its records are damaged: their sha256 differs from its head's",
            ));
        }
        let (weights, optimizer) = rest.split_at(stored.weights_len);
        Ok(Saved {
            head: stored.head,
            weights: weights.to_vec(),
            optimizer: optimizer.to_vec(),
        })
    }
}
