//! Bounded decompression. Every inflater in `data/` reads through here, so no stream grows past
//! the size its own header declares (or [`MAX_INFLATED`]), and a decompression bomb costs at
//! most that much memory and time: reading stops one byte past the bound.

use std::io::Read;

/// deflate's largest expansion: a 258-byte match coded in about 2 bits (RFC 1951) is 1032:1.
/// Used only to size the first allocation, never as a limit.
pub const MAX_RATIO: usize = 1032;

/// The most any one file is inflated to: EMNIST's largest official member (byclass' training
/// images, 697,932 × 784 bytes + 16) fits with room to spare.
pub const MAX_INFLATED: usize = 1 << 30;

/// Why a bounded inflate failed.
#[derive(Debug)]
pub enum InflateError {
    /// The compressed stream itself is broken.
    Corrupt(std::io::Error),
    /// The header declares a size that cannot be (overflow, or over the cap).
    Declared(String),
    /// The stream holds more than declared.
    Longer { declared: usize },
}

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InflateError::Corrupt(e) => write!(f, "corrupt compressed data ({e})"),
            InflateError::Declared(s) => f.write_str(s),
            InflateError::Longer { declared } => write!(
                f,
                "it inflates to more than the {declared} bytes its header declares"
            ),
        }
    }
}

/// A first allocation for `compressed` input bytes that may inflate to at most `limit`.
fn capacity(compressed: usize, limit: usize) -> usize {
    compressed.saturating_mul(MAX_RATIO).min(limit)
}

/// Inflate all of `r` (from `compressed` input bytes), refusing more than `limit` bytes.
pub fn read_at_most(
    r: impl Read,
    compressed: usize,
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::with_capacity(capacity(compressed, limit));
    r.take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(InflateError::Corrupt)?;
    if out.len() > limit {
        return Err(InflateError::Longer { declared: limit });
    }
    Ok(out)
}

/// Inflate a stream whose first `head` bytes declare its whole length: `declared(head bytes)`
/// returns that length (checked arithmetic, its own error otherwise), which may be at most
/// `cap` (the parsers pass [`MAX_INFLATED`]; a fuzz target, less). A stream shorter than
/// `head` comes back whole, for the parser to call truncated; one longer than declared fails.
pub fn read_declared(
    mut r: impl Read,
    compressed: usize,
    head: usize,
    cap: usize,
    declared: impl FnOnce(&[u8]) -> Result<usize, String>,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::with_capacity(head);
    (&mut r)
        .take(head as u64)
        .read_to_end(&mut out)
        .map_err(InflateError::Corrupt)?;
    if out.len() < head {
        return Ok(out);
    }
    let total = declared(&out).map_err(InflateError::Declared)?;
    if total > cap {
        return Err(InflateError::Declared(format!(
            "its header declares {total} bytes, more than the {cap} any dataset file of the lab has"
        )));
    }
    if total < head {
        // Declared shorter than the `head` bytes already read.
        return Err(InflateError::Longer { declared: total });
    }
    let rest = read_at_most(r, compressed, total - head).map_err(|e| match e {
        InflateError::Longer { .. } => InflateError::Longer { declared: total },
        e => e,
    })?;
    out.extend_from_slice(&rest);
    Ok(out)
}
