//! One network's whole run configuration, as burn's examples keep it: one `Config` nesting the
//! network, the training loop (optimizer, learning rate, schedule, seed) and the objective.
//! The CLI and the page build it the same way and store it verbatim as a weights file's
//! `training` metadata, so both write one schema. Versioned: files written before it carry
//! free-form JSON there and still load (their network comes from `WeightsMeta.network`); they
//! just have no `RunConfig` ([`RunConfig::from_json`] says `None`).

use super::{Experiment, TrainConfig};
use crate::distill::{DistillConfig, Method};
use crate::model::{StudentConfig, TeacherConfig};
use burn::config::Config;
use serde::{Deserialize, Serialize};

/// The version this build writes.
pub const RUN_CONFIG_VERSION: u32 = 1;

/// The network a run trains.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkConfig {
    Teacher(TeacherConfig),
    Student(StudentConfig),
}

impl NetworkConfig {
    /// The network's own config, as a weights file's `network` metadata holds it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            NetworkConfig::Teacher(c) => serde_json::to_value(c),
            NetworkConfig::Student(c) => serde_json::to_value(c),
        }
        .unwrap_or_default()
    }
}

/// What the network learns from: labels alone (`method: None`), or a method's objective, with
/// only the knobs that method has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveConfig {
    pub method: Option<Method>,
    /// The loss written out with its numbers (`Method::describe`), or "cross-entropy".
    pub loss: String,
    /// Classic distillation and FitNets' stage 2.
    pub distill: Option<DistillConfig>,
    /// FitNets' stage-1 epochs.
    pub hint_epochs: Option<usize>,
    /// Deep mutual learning's temperature.
    pub mutual_t: Option<f32>,
    /// Only the first k training samples carry labels (classic distillation).
    pub labelled: Option<usize>,
}

impl ObjectiveConfig {
    /// Cross-entropy against the labels.
    pub fn labels() -> Self {
        ObjectiveConfig {
            method: None,
            loss: "cross-entropy".into(),
            distill: None,
            hint_epochs: None,
            mutual_t: None,
            labelled: None,
        }
    }

    /// `method`'s objective with its own knobs.
    pub fn method(
        method: Method,
        distill: DistillConfig,
        hint_epochs: usize,
        mutual_t: f32,
    ) -> Self {
        let uses_teacher = method.needs_teacher();
        ObjectiveConfig {
            method: Some(method),
            loss: method.describe(&distill, mutual_t),
            distill: uses_teacher.then_some(distill),
            hint_epochs: (method == Method::FitNets).then_some(hint_epochs),
            mutual_t: method.is_mutual().then_some(mutual_t),
            labelled: None,
        }
    }
}

/// One network's run.
#[derive(Config, Debug)]
pub struct RunConfig {
    pub network: NetworkConfig,
    pub train: TrainConfig,
    pub objective: ObjectiveConfig,
    /// Training samples an epoch draws from.
    pub samples: usize,
    /// Who trained it: the CLI or the page.
    pub trained_by: String,
    /// The page's settings as a share link's query, when the page trained it.
    #[config(default = "None")]
    pub settings: Option<String>,
    /// The whole run this network was part of (files written before it: `None`).
    #[config(default = "None")]
    pub experiment: Option<Experiment>,
    #[config(default = "RUN_CONFIG_VERSION")]
    pub version: u32,
}

impl RunConfig {
    /// As stored in a weights file's metadata.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// A weights file's `training` metadata as a run config: `None` for files written before
    /// run configs (free-form JSON) and for versions this build does not know.
    pub fn from_json(v: &serde_json::Value) -> Option<RunConfig> {
        super::experiment::versioned(v, RUN_CONFIG_VERSION)
    }
}
