//! A whole run in one versioned config: the data it draws, where its teacher comes from and how
//! the teacher's targets reach the students, and the students ([`StudentsSpec`]) — the core
//! runner's inputs, nested as burn's examples nest theirs. The page's settings
//! (`Settings::experiment`) and the CLI's flags (`cli::sweep::experiment`, `distill train`'s)
//! each convert into it; every weights file and checkpoint stores it in its networks'
//! [`super::RunConfig`].

use super::{StudentsSpec, TrainConfig};
use crate::data::augment::TargetsFrom;
use burn::config::Config;
use serde::{Deserialize, Serialize};

/// The version this build writes.
pub const EXPERIMENT_VERSION: u32 = 1;

/// The data a run draws: the first `train` training and `val` test samples of `dataset`.
#[derive(Config, Debug, PartialEq)]
pub struct DataConfig {
    /// The dataset's name, as its manifest gives it.
    pub dataset: String,
    pub train: usize,
    pub val: usize,
}

impl DataConfig {
    /// `asked` (training, validation) samples of `dataset`, at most what it `has`.
    pub fn first(dataset: &str, asked: (usize, usize), has: (usize, usize)) -> Self {
        DataConfig::new(dataset.into(), asked.0.min(has.0), asked.1.min(has.1))
    }
}

/// The teacher of a method that has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeacherSpec {
    /// Its loop when the run trains it; `None` when the run loads one (a weights file, the
    /// published teacher).
    pub train: Option<TrainConfig>,
    /// How its targets reach the students: cached for the images or K views of them, or live.
    pub targets: TargetsFrom,
}

/// One run, whole.
#[derive(Config, Debug, PartialEq)]
pub struct Experiment {
    pub data: DataConfig,
    /// `None` for methods without a teacher (deep mutual learning) and label-only runs.
    pub teacher: Option<TeacherSpec>,
    pub students: StudentsSpec,
    #[config(default = "EXPERIMENT_VERSION")]
    pub version: u32,
}

impl Experiment {
    /// As stored in a run config.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A stored experiment, `None` for a version this build does not know.
    pub fn from_json(v: &serde_json::Value) -> Option<Experiment> {
        versioned(v, EXPERIMENT_VERSION)
    }
}

/// A stored config of `version`'s schema, `None` for another version (or none) or a value
/// that does not read as one.
pub(super) fn versioned<T: serde::de::DeserializeOwned>(
    v: &serde_json::Value,
    version: u32,
) -> Option<T> {
    if v.get("version")?.as_u64()? != u64::from(version) {
        return None;
    }
    serde_json::from_value(v.clone()).ok()
}
