//! Training: optimisers, the schedule, the step-wise trainer, evaluation and the teacher-logit
//! cache. Every function that reads a tensor is `async`: on wasm every read is.

#[cfg(feature = "train")]
pub mod adadelta;
#[cfg(feature = "train")]
pub mod cache;
#[cfg(feature = "train")]
pub mod cohort;
#[cfg(feature = "train")]
mod epochs;
#[cfg(feature = "train")]
pub mod eval;
#[cfg(feature = "train")]
pub mod experiment;
#[cfg(feature = "train")]
pub mod fit;
#[cfg(feature = "train")]
mod objective;
#[cfg(feature = "train")]
mod optim_state;
pub mod role;
#[cfg(feature = "train")]
pub mod run_config;
#[cfg(feature = "train")]
pub mod runner;
pub mod schedule;
#[cfg(feature = "train")]
mod step_metrics;
pub mod sweep;
#[cfg(feature = "train")]
mod train_config;
#[cfg(feature = "train")]
pub mod trainer;

#[cfg(feature = "train")]
pub use adadelta::AdadeltaConfig;
#[cfg(feature = "train")]
pub use cache::{CACHE_BATCH, LogitCache, Targets, Teach, Teaching, teach};
#[cfg(feature = "train")]
pub use cohort::{Cohort, CohortHooks, Member, fit_cohort};
#[cfg(feature = "train")]
pub use eval::{EvalResult, Evaluation, evaluate, hints, logits, logits_from_hints};
#[cfg(feature = "train")]
pub use experiment::{DataConfig, EXPERIMENT_VERSION, Experiment, TeacherSpec};
#[cfg(feature = "train")]
pub use fit::{Control, FitEnd, FitError, FitHooks, FitOptions, fit};
pub use role::{PerRole, Role};
#[cfg(feature = "train")]
pub use run_config::{NetworkConfig, ObjectiveConfig, RUN_CONFIG_VERSION, RunConfig};
#[cfg(feature = "train")]
pub use runner::{
    Event, Fitted, RunHooks, Sets, Stage, StudentsRun, StudentsSpec, Taught, run_students,
    run_teacher,
};
pub use schedule::{EpochOutcome, Schedule};
pub use sweep::{Cell, SweepHooks, SweepPlan, Swept, sweep};
#[cfg(feature = "train")]
pub use trainer::{Forward, Objective, StepHandle, StepMetrics, TrainConfig, Trainer, read_steps};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The optimiser: Adadelta as in the study, or Adam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    #[default]
    Adadelta,
    Adam,
}

impl OptimizerKind {
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adadelta => "adadelta",
            OptimizerKind::Adam => "adam",
        }
    }

    /// Keras' defaults: Adadelta lr 1.0 (Keras 2, the study's), Adam 1e-3.
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Adadelta => 1.0,
            OptimizerKind::Adam => 1e-3,
        }
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "adadelta" => Ok(OptimizerKind::Adadelta),
            "adam" => Ok(OptimizerKind::Adam),
            _ => Err(format!(
                "unknown optimizer '{s}'; expected adadelta or adam"
            )),
        }
    }
}

/// `matrix[true][predicted]` counts over `labels` and `predictions` paired in order; a class
/// outside `0..classes` is left out. The CLI's per-class accuracy and the page's confusion
/// matrix both count here.
pub fn confusion(labels: &[u8], predictions: &[u8], classes: usize) -> Vec<Vec<u32>> {
    let mut m = vec![vec![0u32; classes]; classes];
    for (&t, &p) in labels.iter().zip(predictions) {
        if let Some(cell) = m
            .get_mut(t as usize)
            .and_then(|row| row.get_mut(p as usize))
        {
            *cell += 1;
        }
    }
    m
}

/// One finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    pub loss: f32,
    pub accuracy: f32,
    pub val_loss: f32,
    pub val_accuracy: f32,
    /// The learning rate used in this epoch.
    pub lr: f64,
    pub lr_reduced: bool,
    pub steps: usize,
}
