//! Why a worker task could not go on. Each message says what happened and what to do.

use crate::data::DataError;
use crate::model::snapshot::WeightsError;
use crate::train::FitError;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The GPU device failed: a run can go on on the CPU from its last checkpoint.
    #[error("the GPU device failed ({0})")]
    Device(String),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The browser's storage refused a write (a full quota, storage turned off).
    #[error("{0}")]
    Storage(String),
    /// There is no saved run to resume, or it cannot be read.
    #[error("{0}")]
    Checkpoint(String),
    /// Something the task needs is not there yet (the message says what to do first).
    #[error("{0}")]
    NotReady(String),
    #[error("{0}")]
    Other(String),
}

impl From<String> for WorkerError {
    fn from(s: String) -> Self {
        WorkerError::Other(s)
    }
}

impl From<FitError> for WorkerError {
    fn from(e: FitError) -> Self {
        match e {
            FitError::Device(e) => WorkerError::Device(e),
            e => WorkerError::Other(e.to_string()),
        }
    }
}
