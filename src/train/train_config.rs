//! How to train one network: what the study's `train.py` takes as flags.

use super::OptimizerKind;
use crate::data::augment::Augment;
use serde::{Deserialize, Serialize};

/// How to train: the study's `train.py` flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub seed: u64,
    /// ReduceLROnPlateau(patience 1, factor 0.1) on validation loss.
    pub plateau: bool,
    /// EarlyStopping(patience 3) on validation loss.
    pub early_stopping: bool,
    /// How each step's training images are varied ([`crate::data::augment`]); off by default,
    /// and then left out of the stored config (files written before it read back as off).
    #[serde(default, skip_serializing_if = "Augment::is_off")]
    pub augment: Augment,
}

impl TrainConfig {
    /// The study's schedule: 50 epochs of Adadelta (lr 1.0) at batch 256, both callbacks on.
    pub fn study() -> Self {
        TrainConfig {
            epochs: 50,
            batch_size: 256,
            optimizer: OptimizerKind::Adadelta,
            lr: OptimizerKind::Adadelta.default_lr(),
            seed: 0,
            plateau: true,
            early_stopping: true,
            augment: Augment::OFF,
        }
    }
}
