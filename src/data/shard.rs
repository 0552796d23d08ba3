//! The shard file: a gzip stream (so any static host serves it as opaque bytes) of
//!
//! ```text
//! magic  "DLSHARD1"            8 bytes
//! count  u32 little-endian     number of samples
//! rows   u16 LE, cols u16 LE   28, 28
//! labels count bytes           0-based class indices
//! pixels count*rows*cols bytes upright images, row-major, 0 = background
//! ```
//!
//! gzip is written with mtime 0 and no file name so the same input gives byte-identical shards.

use super::{DataError, inflate};
use flate2::{Compression, GzBuilder, read::GzDecoder};
use std::io::Write;

pub const MAGIC: &[u8; 8] = b"DLSHARD1";
const HEADER: usize = 16;

/// One decoded shard: `labels.len()` samples of `rows * cols` pixels each.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardData {
    pub rows: usize,
    pub cols: usize,
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

impl ShardData {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// Encode samples into shard bytes (gzip level 9).
pub fn encode(rows: usize, cols: usize, labels: &[u8], pixels: &[u8]) -> Vec<u8> {
    debug_assert_eq!(labels.len() * rows * cols, pixels.len());
    let mut raw = Vec::with_capacity(HEADER + labels.len() + pixels.len());
    raw.extend_from_slice(MAGIC);
    raw.extend_from_slice(&(labels.len() as u32).to_le_bytes());
    raw.extend_from_slice(&(rows as u16).to_le_bytes());
    raw.extend_from_slice(&(cols as u16).to_le_bytes());
    raw.extend_from_slice(labels);
    raw.extend_from_slice(pixels);
    let mut enc = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    enc.write_all(&raw).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

const BAD_MAGIC: &str = "not a Distill Lab shard (bad magic)";

/// Decode shard bytes, checking the structure. `file` names the shard in errors.
pub fn decode(file: &str, bytes: &[u8]) -> Result<ShardData, DataError> {
    let err = |detail: String| DataError::Shard {
        file: file.to_string(),
        detail,
    };
    // Reading stops at the size the shard's own header declares (magic, count, rows, cols).
    let mut raw =
        inflate::read_declared(
            GzDecoder::new(bytes),
            bytes.len(),
            HEADER,
            inflate::MAX_INFLATED,
            |h| {
                if &h[..8] != MAGIC {
                    return Err(BAD_MAGIC.to_string());
                }
                let count = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")) as usize;
                let size = u16::from_le_bytes([h[12], h[13]]) as usize
                    * u16::from_le_bytes([h[14], h[15]]) as usize;
                size.checked_add(1)
            .and_then(|per| per.checked_mul(count))
            .and_then(|n| n.checked_add(HEADER))
            .ok_or_else(|| {
                format!("its header declares {count} samples, more than this machine can address")
            })
            },
        )
        .map_err(|e| match e {
            inflate::InflateError::Declared(detail) => err(detail),
            e => err(format!(
                "not a valid shard stream ({e}); the file is damaged, prepare it again"
            )),
        })?;
    if raw.len() < HEADER || &raw[..8] != MAGIC {
        return Err(err(BAD_MAGIC.into()));
    }
    let count = u32::from_le_bytes(raw[8..12].try_into().expect("4 bytes")) as usize;
    let rows = u16::from_le_bytes([raw[12], raw[13]]) as usize;
    let cols = u16::from_le_bytes([raw[14], raw[15]]) as usize;
    let expected = HEADER + count * (1 + rows * cols); // no overflow: read_declared checked it
    if raw.len() != expected {
        return Err(err(format!(
            "truncated: {count} samples of {rows}x{cols} need {expected} bytes, found {}",
            raw.len()
        )));
    }
    let pixels = raw.split_off(HEADER + count);
    let labels = raw[HEADER..].to_vec();
    Ok(ShardData {
        rows,
        cols,
        labels,
        pixels,
    })
}
