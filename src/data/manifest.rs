//! `manifest.json`: what a prepared dataset folder holds. The page, the CLI and the tests read
//! it; `format` is bumped on any incompatible change.

use super::DataError;
use serde::{Deserialize, Serialize};

pub const FORMAT: u32 = 1;

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

    pub fn from_json(text: &str) -> Result<Manifest, DataError> {
        let m: Manifest = serde_json::from_str(text)
            .map_err(|e| DataError::Manifest(format!("not a valid manifest.json ({e})")))?;
        if m.format != FORMAT {
            return Err(DataError::Manifest(format!(
                "format {} is not the supported format {FORMAT}; prepare the data again with this version",
                m.format
            )));
        }
        for split in [SplitKind::Train, SplitKind::Test] {
            let total: usize = m.shards(split).map(|s| s.count).sum();
            let expected = match split {
                SplitKind::Train => m.splits.train,
                SplitKind::Test => m.splits.test,
            };
            if total != expected {
                return Err(DataError::Manifest(format!(
                    "{} shards hold {total} samples but splits.{} says {expected}",
                    split.name(),
                    split.name()
                )));
            }
        }
        Ok(m)
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
        if let Some(n) = i.datasets.iter().find(|n| {
            n.is_empty()
                || n.len() > 64
                || !n
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }) {
            return Err(bad(format!("{n:?} is not a dataset folder name")));
        }
        Ok(i)
    }
}
