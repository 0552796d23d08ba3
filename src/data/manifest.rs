//! `manifest.json`: what a prepared dataset folder holds. The page, the CLI and the tests read
//! it; `format` is bumped on any incompatible change.

use super::inflate::MAX_INFLATED;
use super::shard::ShardData;
use super::{DataError, DatasetKind};
use serde::{Deserialize, Serialize};

pub const FORMAT: u32 = 1;

/// Rows and columns of every image the lab reads (its networks take 28x28).
pub const SIDE: usize = 28;

/// The largest manifest read (EMNIST letters' is about 20 KB).
pub const MAX_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    Train,
    Test,
}

impl SplitKind {
    pub fn name(self) -> &'static str {
        match self {
            SplitKind::Train => "train",
            SplitKind::Test => "test",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSizes {
    pub train: usize,
    pub test: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub file: String,
    pub split: SplitKind,
    /// Index of the shard's first sample within its split.
    pub start: usize,
    pub count: usize,
    pub bytes: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub dataset: String,
    pub classes: Vec<String>,
    /// `[rows, cols]`.
    pub image: [usize; 2],
    pub splits: SplitSizes,
    /// Mean and standard deviation of the training pixels scaled to [0, 1]; inputs are
    /// normalised with them.
    pub mean: f32,
    pub std: f32,
    pub shard_size: usize,
    /// What the shards were made from, e.g. "official gzip IDX files".
    pub source: String,
    pub shards: Vec<ShardInfo>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serialises");
        s.push('\n');
        s
    }

    /// Parse and check everything the lab relies on (a manifest is fetched from a server or
    /// read from a folder anyone can edit): see [`Manifest::check`].
    pub fn from_json(text: &str) -> Result<Manifest, DataError> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| {
            DataError::Manifest(format!(
                "not a valid manifest.json ({e}); prepare the data again"
            ))
        })?;
        m.check().map_err(|d| {
            DataError::Manifest(format!("{d}; prepare the data again with this version"))
        })?;
        Ok(m)
    }

    /// The format; a dataset the lab knows, with exactly its classes; 28x28 images; finite
    /// normalisation with `std > 0`; non-empty splits; each split's shards plain file names
    /// (never a path: the CLI joins them onto the folder, the worker onto a URL), each listed
    /// once, holding at least one sample and at most [`MAX_INFLATED`] bytes, with a sha256 of
    /// 64 hex digits, in order and contiguous from 0 to the split's size (checked arithmetic).
    // Over 80 lines: one check per rule the doc above lists, in that order.
    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "format {} is not the supported format {FORMAT}",
                self.format
            ));
        }
        let kind: DatasetKind = self.dataset.parse()?;
        if self.classes != kind.classes() {
            return Err(format!(
                "its {} classes are not the {} classes of {}",
                self.classes.len(),
                kind.num_classes(),
                self.dataset
            ));
        }
        if self.image != [SIDE, SIDE] {
            return Err(format!(
                "images are {}x{}; the lab's networks take {SIDE}x{SIDE}",
                self.image[0], self.image[1]
            ));
        }
        if !(self.mean.is_finite() && (0.0..=1.0).contains(&self.mean)) {
            return Err(format!("mean {} is not in [0, 1]", self.mean));
        }
        if !(self.std.is_finite() && self.std > 0.0 && self.std <= 1.0) {
            return Err(format!("std {} is not in (0, 1]", self.std));
        }
        if self.shard_size == 0 {
            return Err("shard_size is 0".into());
        }
        let mut seen = std::collections::HashSet::with_capacity(self.shards.len());
        for s in &self.shards {
            if !plain_file_name(&s.file) {
                return Err(format!("shard {:?} is not a plain file name", s.file));
            }
            if !seen.insert(s.file.as_str()) {
                return Err(format!("shard {} is listed twice", s.file));
            }
            if s.count == 0 || s.bytes == 0 || s.bytes > MAX_INFLATED {
                return Err(format!(
                    "shard {} lists {} samples in {} bytes",
                    s.file, s.count, s.bytes
                ));
            }
            if s.sha256.len() != 64 || !s.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("shard {}: {:?} is not a sha256", s.file, s.sha256));
            }
        }
        for split in [SplitKind::Train, SplitKind::Test] {
            let expected = match split {
                SplitKind::Train => self.splits.train,
                SplitKind::Test => self.splits.test,
            };
            if expected == 0 {
                return Err(format!("the {} split is empty", split.name()));
            }
            let mut next = 0usize;
            for s in self.shards(split) {
                if s.start != next {
                    return Err(format!(
                        "shard {} starts at sample {} where {} shards end at {next}",
                        s.file,
                        s.start,
                        split.name()
                    ));
                }
                next = next
                    .checked_add(s.count)
                    .ok_or_else(|| format!("shard {} counts past any size", s.file))?;
            }
            if next != expected {
                return Err(format!(
                    "{} shards hold {next} samples but splits.{} says {expected}",
                    split.name(),
                    split.name()
                ));
            }
        }
        Ok(())
    }

    /// Check a decoded shard against its entry: the count listed, 28x28, every label a class.
    /// The sha256 already matched, so this fails only for a manifest that was written by hand
    /// around a shard of another set.
    pub fn check_shard(&self, info: &ShardInfo, data: &ShardData) -> Result<(), DataError> {
        let err = |detail: String| DataError::Shard {
            file: info.file.clone(),
            detail: format!("{detail}; prepare the data again"),
        };
        if data.len() != info.count {
            return Err(err(format!(
                "holds {} samples, the manifest lists {}",
                data.len(),
                info.count
            )));
        }
        if [data.rows, data.cols] != self.image {
            return Err(err(format!(
                "images are {}x{}, the manifest says {}x{}",
                data.rows, data.cols, self.image[0], self.image[1]
            )));
        }
        if let Some((i, l)) =
            (data.labels.iter().enumerate()).find(|(_, l)| usize::from(**l) >= self.num_classes())
        {
            return Err(err(format!(
                "label {l} at sample {i} is not one of the {} classes",
                self.num_classes()
            )));
        }
        Ok(())
    }

    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    /// The shards of one split, in sample order.
    pub fn shards(&self, split: SplitKind) -> impl Iterator<Item = &ShardInfo> {
        self.shards.iter().filter(move |s| s.split == split)
    }

    /// The shards needed to hold the first `samples` samples of a split.
    pub fn shards_for(&self, split: SplitKind, samples: usize) -> Vec<&ShardInfo> {
        self.shards(split).filter(|s| s.start < samples).collect()
    }

    pub fn total_bytes(&self) -> usize {
        self.shards.iter().map(|s| s.bytes).sum()
    }
}

/// `data/index.json`: the dataset folders prepared side by side (`distill prepare` rewrites it),
/// so the page can offer the datasets this server has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataIndex {
    pub format: u32,
    pub datasets: Vec<String>,
}

/// The most datasets an index may list (the lab knows six).
const MAX_DATASETS: usize = 64;

impl DataIndex {
    pub fn new(mut datasets: Vec<String>) -> DataIndex {
        datasets.sort();
        datasets.dedup();
        DataIndex {
            format: FORMAT,
            datasets,
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("index serialises");
        s.push('\n');
        s
    }

    /// Parse and check: the format, at most 64 entries, each a plain folder name.
    pub fn from_json(text: &str) -> Result<DataIndex, DataError> {
        let bad = |d: String| DataError::Manifest(format!("data/index.json: {d}"));
        let i: DataIndex =
            serde_json::from_str(text).map_err(|e| bad(format!("not a dataset index ({e})")))?;
        if i.format != FORMAT {
            return Err(bad(format!("format {} is not {FORMAT}", i.format)));
        }
        if i.datasets.len() > MAX_DATASETS {
            return Err(bad(format!("{} datasets listed", i.datasets.len())));
        }
        if let Some(n) = (i.datasets.iter()).find(|n| !plain_file_name(n) || n.contains('.')) {
            return Err(bad(format!("{n:?} is not a dataset folder name")));
        }
        // Each set once (what `distill prepare` writes), so the picker lists each once.
        let mut seen = std::collections::BTreeSet::new();
        if let Some(n) = i.datasets.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(bad(format!(
                "{n:?} is listed twice; run `distill prepare` again to rewrite the index"
            )));
        }
        Ok(i)
    }
}

/// A file name with no path in it: ASCII letters, digits, `-`, `_` and `.`, not starting with
/// a dot (so neither `..` nor a hidden file), at most 64 characters. Dataset folder names are
/// these without any dot.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && (name.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
