//! The study's callbacks on validation loss, as Keras defines them:
//! `ReduceLROnPlateau(patience=1, factor=0.1, min_delta=1e-4)` and `EarlyStopping(patience=3)`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub plateau: bool,
    pub early_stopping: bool,
    pub plateau_patience: usize,
    pub plateau_factor: f64,
    pub stop_patience: usize,
    best_for_lr: f32,
    lr_wait: usize,
    best_for_stop: f32,
    stop_wait: usize,
}

/// What the schedule decided after an epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochOutcome {
    pub lr: f64,
    pub lr_reduced: bool,
    pub stop: bool,
}

/// Keras' ReduceLROnPlateau default `min_delta`.
const PLATEAU_MIN_DELTA: f32 = 1e-4;

impl Schedule {
    /// (The "best so far" start at `f32::MAX`, not infinity: a checkpoint stores the schedule as
    /// JSON, which has no infinity.)
    pub fn new(plateau: bool, early_stopping: bool) -> Self {
        Schedule {
            plateau,
            early_stopping,
            plateau_patience: 1,
            plateau_factor: 0.1,
            stop_patience: 3,
            best_for_lr: f32::MAX,
            lr_wait: 0,
            best_for_stop: f32::MAX,
            stop_wait: 0,
        }
    }

    /// Feed one epoch's validation loss; returns the learning rate for the next epoch.
    pub fn end_epoch(&mut self, val_loss: f32, lr: f64) -> EpochOutcome {
        let mut out = EpochOutcome {
            lr,
            lr_reduced: false,
            stop: false,
        };
        if self.plateau {
            if val_loss < self.best_for_lr - PLATEAU_MIN_DELTA {
                self.best_for_lr = val_loss;
                self.lr_wait = 0;
            } else {
                self.lr_wait += 1;
                if self.lr_wait >= self.plateau_patience {
                    out.lr = lr * self.plateau_factor;
                    out.lr_reduced = true;
                    self.lr_wait = 0;
                }
            }
        }
        if self.early_stopping {
            if val_loss < self.best_for_stop {
                self.best_for_stop = val_loss;
                self.stop_wait = 0;
            } else {
                self.stop_wait += 1;
                out.stop = self.stop_wait >= self.stop_patience;
            }
        }
        out
    }
}
