//! From the official files to shards: validate, orient, relabel, split into fixed-size shards.

use super::dataset::{DatasetKind, FileRole};
use super::idx::{self, IdxImages};
use super::manifest::{FORMAT, Manifest, ShardInfo, SplitKind, SplitSizes};
use super::{DataError, sha256_hex, shard};

/// Samples per shard: small enough that one shard's decode in the worker (sha256, inflate,
/// checks) stays a short pause between steps, large enough that EMNIST letters is a few dozen
/// files of about 1 MB (the decode times per size: docs/PERFORMANCE.md).
pub const DEFAULT_SHARD_SIZE: usize = 4096;
pub use super::manifest::SIDE;
pub const PIXELS: usize = SIDE * SIDE;

/// One split in canonical form: upright 28x28 images and 0-based labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    pub labels: Vec<u8>,
    pub pixels: Vec<u8>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * PIXELS..(i + 1) * PIXELS]
    }

    /// The first `n` samples, repeated whole until there are at least `at_least` (a few-label
    /// experiment's small set, so that an epoch still holds enough steps for the plateau
    /// schedule and early stopping to mean what they mean on a full set).
    pub fn repeated(&self, n: usize, at_least: usize) -> Split {
        let n = n.min(self.len());
        let copies = if n == 0 {
            1
        } else {
            at_least.div_ceil(n).max(1)
        };
        Split {
            labels: self.labels[..n].repeat(copies),
            pixels: self.pixels[..n * PIXELS].repeat(copies),
        }
    }

    /// Per-class sample counts.
    pub fn class_counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }
}

/// A whole dataset in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSet {
    pub kind: DatasetKind,
    pub source: String,
    pub train: Split,
    pub test: Split,
}

/// A file's name and its bytes, as read by the CLI (from a folder, a zip or a download).
#[derive(Debug, Clone)]
pub struct NamedBytes {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Check a file against its official sha256, when we know it.
pub fn verify_official(
    kind: DatasetKind,
    role: FileRole,
    file: &NamedBytes,
) -> Result<(), DataError> {
    if let Some(expected) = kind.official_sha256(role) {
        let actual = sha256_hex(&file.bytes);
        if actual != expected {
            return Err(DataError::Checksum {
                file: file.name.clone(),
                expected: expected.to_string(),
                actual,
            });
        }
    }
    Ok(())
}

/// Build the canonical set from the four gzip IDX files, given in [`FileRole::ALL`] order.
pub fn from_gz_files(
    kind: DatasetKind,
    files: &[NamedBytes; 4],
    source: &str,
) -> Result<RawSet, DataError> {
    for (role, file) in FileRole::ALL.iter().zip(files) {
        verify_official(kind, *role, file)?;
    }
    let [ti, tl, si, sl] = files;
    let train_images = idx::parse_images(&ti.name, &idx::gunzip(&ti.name, &ti.bytes)?)?;
    let train_labels = idx::parse_labels(&tl.name, &idx::gunzip(&tl.name, &tl.bytes)?)?;
    let test_images = idx::parse_images(&si.name, &idx::gunzip(&si.name, &si.bytes)?)?;
    let test_labels = idx::parse_labels(&sl.name, &idx::gunzip(&sl.name, &sl.bytes)?)?;
    Ok(RawSet {
        kind,
        source: source.to_string(),
        train: to_split(kind, "train", train_images, train_labels, &tl.name)?,
        test: to_split(kind, "test", test_images, test_labels, &sl.name)?,
    })
}

/// Validate one split as stored officially (file order, official labels) and make it canonical.
pub fn to_split(
    kind: DatasetKind,
    split: &str,
    images: IdxImages,
    labels: Vec<u8>,
    labels_file: &str,
) -> Result<Split, DataError> {
    if images.count != labels.len() {
        return Err(DataError::CountMismatch {
            split: split.to_string(),
            images: images.count,
            labels: labels.len(),
        });
    }
    let min = kind.label_offset();
    let max = min + kind.num_classes() as u8 - 1;
    if let Some((index, &label)) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| !(min..=max).contains(*l))
    {
        return Err(DataError::LabelRange {
            file: labels_file.to_string(),
            label,
            index,
            min,
            max,
            dataset: kind.name().to_string(),
        });
    }
    let mut pixels = images.pixels;
    if kind.transposed() {
        idx::transpose_images(&mut pixels, SIDE);
    }
    Ok(Split {
        labels: labels.into_iter().map(|l| l - min).collect(),
        pixels,
    })
}

/// The prepared folder's contents: the manifest and the shard files, in memory.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub manifest: Manifest,
    pub files: Vec<NamedBytes>,
}

/// Mean and standard deviation of the pixels scaled to [0, 1] (f64 sums: exact and deterministic).
pub fn pixel_stats(pixels: &[u8]) -> (f32, f32) {
    let mut hist = [0u64; 256];
    for &p in pixels {
        hist[p as usize] += 1;
    }
    let n = pixels.len().max(1) as f64;
    let mean = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| v as f64 * c as f64)
        .sum::<f64>()
        / n
        / 255.0;
    let var = hist
        .iter()
        .enumerate()
        .map(|(v, &c)| (v as f64 / 255.0 - mean).powi(2) * c as f64)
        .sum::<f64>()
        / n;
    (mean as f32, var.sqrt() as f32)
}

/// Cut a canonical set into shards of `shard_size` samples (the last of each split may be shorter).
pub fn build_shards(set: &RawSet, shard_size: usize) -> Prepared {
    let (mean, std) = pixel_stats(&set.train.pixels);
    let mut shards = Vec::new();
    let mut files = Vec::new();
    for (kind, split) in [(SplitKind::Train, &set.train), (SplitKind::Test, &set.test)] {
        for (i, start) in (0..split.len()).step_by(shard_size).enumerate() {
            let end = (start + shard_size).min(split.len());
            let bytes = shard::encode(
                SIDE,
                SIDE,
                &split.labels[start..end],
                &split.pixels[start * PIXELS..end * PIXELS],
            );
            let file = format!("{}-{i:03}.shard", kind.name());
            shards.push(ShardInfo {
                file: file.clone(),
                split: kind,
                start,
                count: end - start,
                bytes: bytes.len(),
                sha256: sha256_hex(&bytes),
            });
            files.push(NamedBytes { name: file, bytes });
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        dataset: set.kind.name().to_string(),
        classes: set.kind.classes(),
        image: [SIDE, SIDE],
        splits: SplitSizes {
            train: set.train.len(),
            test: set.test.len(),
        },
        mean,
        std,
        shard_size,
        source: set.source.clone(),
        shards,
    };
    Prepared { manifest, files }
}
