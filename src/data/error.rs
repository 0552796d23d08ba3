//! One error type for everything that can be wrong with a dataset file, each variant naming the
//! file and what to do.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum DataError {
    #[error(
        "{file}: not a valid gzip stream ({detail}); the file is corrupt or truncated, download it again"
    )]
    Gzip { file: String, detail: String },
    #[error(
        "{file}: wrong IDX magic {found:#010x}, expected {expected:#010x} ({what}); is this the right file?"
    )]
    IdxMagic {
        file: String,
        found: u32,
        expected: u32,
        what: &'static str,
    },
    #[error(
        "{file}: truncated: the header promises {expected} bytes but the file holds {found}; download it again"
    )]
    Truncated {
        file: String,
        expected: usize,
        found: usize,
    },
    #[error("{file}: images are {rows}x{cols}, expected 28x28")]
    ImageSize {
        file: String,
        rows: usize,
        cols: usize,
    },
    #[error(
        "{split} split: {images} images but {labels} labels; the image and label files do not belong together"
    )]
    CountMismatch {
        split: String,
        images: usize,
        labels: usize,
    },
    #[error("{file}: label {label} at index {index} is outside {min}..={max} for {dataset}")]
    LabelRange {
        file: String,
        label: u8,
        index: usize,
        min: u8,
        max: u8,
        dataset: String,
    },
    #[error(
        "{file}: sha256 mismatch: expected {expected}, got {actual}; the file is not the official one or is damaged, download it again"
    )]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: {detail}; this is not the official file, download it again")]
    Oversized { file: String, detail: String },
    #[error("{file}: not a usable zip archive: {detail}")]
    Zip { file: String, detail: String },
    #[error("{file}: zip member {member} is missing; expected the official archive with {member}")]
    ZipMember { file: String, member: String },
    #[error("{file}: not a usable MATLAB file: {detail}")]
    Mat { file: String, detail: String },
    #[error("shard {file}: {detail}")]
    Shard { file: String, detail: String },
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("{0}")]
    Source(String),
}
