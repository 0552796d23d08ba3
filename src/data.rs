//! Datasets: the official files in (gzip IDX, zip archives, MATLAB v5), shards out.
//!
//! Everything here is pure: functions take bytes (or a [`zip::RangeRead`]) and return values.
//! The CLI does the file and network I/O, the browser worker does the fetching.

pub mod augment;
#[cfg(feature = "train")]
pub mod batch;
pub mod dataset;
pub mod error;
pub mod idx;
pub mod inflate;
pub mod manifest;
pub mod mat;
mod mat_value;
pub mod prepare;
pub mod shard;
pub mod subset;
pub mod zip;

pub use dataset::{DatasetKind, prepare_command};
pub use error::DataError;
pub use manifest::{DataIndex, Manifest, ShardInfo, SplitKind};
pub use prepare::{RawSet, Split};

use sha2::{Digest, Sha256};

/// The largest weights file the page or the worker reads: the teacher for 62 classes (EMNIST
/// byclass, the largest official split) is about 13.7 MB; anything four times that is not one
/// of the lab's (`model::snapshot::MAX_BYTES`; here, below every other module, so the page,
/// which links no burn, caps its fetch of the published teacher too).
pub const MAX_WEIGHTS_BYTES: usize = 64 << 20;

/// Lower-case hex sha256 of `bytes`, the form the manifest and the official README use.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
