//! How a network's training ended, said to the page: early stopping and non-finite losses as
//! notices and errors, a finished network as a results-table row.

use super::error::WorkerError;
use super::explorer;
use super::hooks;
use super::state::{Model, SharedRef, send, stopped};
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Phase, ResultRow, Role};
use crate::train::{FitEnd, FitError};
use burn::prelude::*;

/// What a fit ending means for the run: go on, stop quietly, or fail.
pub fn check(
    shared: &SharedRef,
    role: Role,
    end: Result<FitEnd, FitError>,
) -> Result<bool, WorkerError> {
    match end {
        Ok(FitEnd::Finished) => Ok(true),
        Ok(FitEnd::EarlyStopped(epoch)) => {
            send(
                shared,
                FromWorker::Notice(format!(
                    "{}: early stopping after epoch {epoch} (validation loss stopped improving)",
                    role.label()
                )),
            );
            Ok(true)
        }
        Ok(FitEnd::Stopped) => Ok(false),
        Err(e @ (FitError::NonFinite { .. } | FitError::NonFiniteValidation { .. })) => {
            // The weights of the last completed epoch stay loaded (explorer, download, resume).
            send(
                shared,
                FromWorker::Error {
                    message: format!("{}: {e}", role.label()),
                    fatal: false,
                },
            );
            Ok(false)
        }
        Err(FitError::Device(e)) => Err(WorkerError::Device(e)),
    }
}

/// Validation accuracy of a finished network, as a results-table row.
pub async fn publish_result(
    shared: &SharedRef,
    role: Role,
    net: &Network,
    epochs: usize,
    device: &Device,
) {
    let Some(data) = shared.borrow().loaded.clone() else {
        return;
    };
    let (test, norm) = (data.test.clone(), data.norm());
    let acc = match hooks::evaluate(shared, net, &test, norm, device).await {
        Ok(Some(r)) => r.accuracy,
        Ok(None) => return, // stopped
        Err(_) => f32::NAN,
    };
    send(
        shared,
        FromWorker::Result(ResultRow {
            role,
            params: net.num_params(),
            val_accuracy: acc,
            epochs,
        }),
    );
}

/// The end of a run: each network that finished (role, network, epochs) kept for the explorer
/// and published as a results row, then the explorer refreshed, so that it shows every final
/// network by the time the page says the run is over. Done if every fit finished and nobody
/// said stop.
pub async fn finish(
    shared: &SharedRef,
    finished: Vec<(Role, Network, usize)>,
    device: &Device,
    all_ok: bool,
) -> Phase {
    for (role, net, epochs) in finished {
        shared.borrow_mut().set_model(Model {
            role,
            net: net.clone(),
            device: device.clone(),
        });
        publish_result(shared, role, &net, epochs, device).await;
    }
    explorer::send_logits(shared.clone(), false).await;
    if all_ok && !stopped(shared) {
        Phase::Done
    } else {
        Phase::Stopped
    }
}
