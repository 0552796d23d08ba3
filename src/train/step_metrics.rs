//! A training step's metrics: kept on the device as the step ends ([`StepHandle`]), read
//! many steps at a time ([`read_steps`], one device round trip).

use burn::prelude::*;
use burn::tensor::Transaction;
use serde::{Deserialize, Serialize};

/// One step's metrics, still on the device.
#[derive(Clone)]
pub struct StepHandle {
    pub epoch: usize,
    pub step: usize,
    pub samples: usize,
    pub(super) loss: Tensor<1>,
    pub(super) correct: Tensor<1, Int>,
}

/// One step's metrics, read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    pub epoch: usize,
    pub step: usize,
    pub samples: usize,
    pub loss: f32,
    pub accuracy: f32,
}

/// Read many steps' metrics in one transaction (one device sync for all of them).
pub async fn read_steps(handles: &[StepHandle]) -> Result<Vec<StepMetrics>, String> {
    if handles.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = Transaction::default();
    for h in handles {
        tx = tx.register(h.loss.clone()).register(h.correct.clone());
    }
    let data = tx
        .execute_async()
        .await
        .map_err(|e| format!("reading step metrics from the device failed: {e:?}"))?;
    Ok(handles
        .iter()
        .zip(data.chunks(2))
        .map(|(h, d)| {
            let loss = d[0].iter::<f64>().next().unwrap_or(f64::NAN) as f32;
            let correct = d[1].iter::<f64>().next().unwrap_or(0.0) as f32;
            StepMetrics {
                epoch: h.epoch,
                step: h.step,
                samples: h.samples,
                loss,
                accuracy: correct / h.samples as f32,
            }
        })
        .collect())
}
