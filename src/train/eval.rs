//! Evaluation and batched inference (the teacher-logit cache, the explorer's samples).

use crate::data::Split;
use crate::data::batch::{self, Norm};
use crate::distill::cross_entropy;
use crate::model::{Classifier, Teacher};
use burn::prelude::*;
use burn::tensor::Transaction;
use serde::{Deserialize, Serialize};

/// Accuracy and loss over a split, with every prediction (for the confusion matrix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    pub loss: f32,
    pub accuracy: f32,
    pub predictions: Vec<u8>,
}

impl EvalResult {
    /// `matrix[true][predicted]` counts ([`super::confusion`]).
    pub fn confusion(&self, labels: &[u8], classes: usize) -> Vec<Vec<u32>> {
        super::confusion(labels, &self.predictions, classes)
    }

    pub fn per_class_accuracy(&self, labels: &[u8], classes: usize) -> Vec<f32> {
        self.confusion(labels, classes)
            .iter()
            .enumerate()
            .map(|(c, row)| {
                let total: u32 = row.iter().sum();
                if total == 0 {
                    0.0
                } else {
                    row[c] as f32 / total as f32
                }
            })
            .collect()
    }
}

/// Logits `[indices.len(), classes]` for the samples at `indices`, computed `batch` at a time.
/// `model` should be in eval mode (`valid()`), on a device without autodiff.
pub fn logits<M: Classifier>(
    model: &M,
    data: &Split,
    indices: &[usize],
    norm: Norm,
    batch: usize,
    device: &Device,
) -> Tensor<2> {
    batched(data, indices, norm, batch, device, |x| model.logits(x))
}

/// The teacher's hint-layer outputs `[indices.len(), 1024]` (FitNets' stage-1 targets) for the
/// samples at `indices`, `batch` at a time; `teacher` in eval mode, without autodiff.
pub fn hints(
    teacher: &Teacher,
    data: &Split,
    indices: &[usize],
    norm: Norm,
    batch: usize,
    device: &Device,
) -> Tensor<2> {
    batched(data, indices, norm, batch, device, |x| teacher.hint(x))
}

/// The logits `[n, classes]` for hint-layer outputs `hints` `[n, 1024]` ([`hints`]), `batch`
/// rows at a time: the rows [`logits`] would give for the same samples and batch, without
/// running the convolutions again.
pub fn logits_from_hints(teacher: &Teacher, hints: &Tensor<2>, batch: usize) -> Tensor<2> {
    let [n, _] = hints.dims();
    let parts: Vec<Tensor<2>> = (0..n)
        .step_by(batch.max(1))
        .map(|a| teacher.head(hints.clone().slice(a..(a + batch.max(1)).min(n))))
        .collect();
    Tensor::cat(parts, 0)
}

/// `f` of the images at `indices` (`[b, 784]` → `[b, width]`), `batch` at a time, concatenated.
fn batched(
    data: &Split,
    indices: &[usize],
    norm: Norm,
    batch: usize,
    device: &Device,
    f: impl Fn(Tensor<2>) -> Tensor<2>,
) -> Tensor<2> {
    let parts: Vec<Tensor<2>> = indices
        .chunks(batch.max(1))
        .map(|idx| f(batch::images(data, idx, norm, device)))
        .collect();
    Tensor::cat(parts, 0)
}

/// Mean cross-entropy and accuracy over the first `count` samples, in one device read.
pub async fn evaluate<M: Classifier>(
    model: &M,
    data: &Split,
    count: usize,
    norm: Norm,
    batch: usize,
    device: &Device,
) -> Result<EvalResult, String> {
    let mut e = Evaluation::new(data, count, batch, device)?;
    while e.step(model, data, norm, device) {}
    e.finish(data).await
}

/// An evaluation a batch at a time, so that a shell can yield between batches: on the CPU
/// backend a batch runs to completion when it is queued, and in the browser the teacher takes
/// about half a second per 512 samples, 10-20 s for a whole test set, with nothing else heard
/// meanwhile. On a GPU queueing is instant and the read in `finish` waits for the work.
pub struct Evaluation {
    count: usize,
    batch: usize,
    /// Samples queued so far.
    queued: usize,
    /// Summed cross-entropy, `[1]`.
    loss_sum: Tensor<1>,
    /// Predicted classes, `[batch]` each.
    preds: Vec<Tensor<1, Int>>,
}

impl Evaluation {
    /// Over the first `count` samples of `data` (all of them if fewer), `batch` at a time.
    pub fn new(data: &Split, count: usize, batch: usize, device: &Device) -> Result<Self, String> {
        let count = count.min(data.len());
        if count == 0 {
            return Err("nothing to evaluate: the validation set is empty".into());
        }
        Ok(Evaluation {
            count,
            batch: batch.max(1),
            queued: 0,
            loss_sum: Tensor::zeros([1], device),
            preds: Vec::new(),
        })
    }

    /// Queue the next batch; false once every batch has been queued.
    pub fn step<M: Classifier>(
        &mut self,
        model: &M,
        data: &Split,
        norm: Norm,
        device: &Device,
    ) -> bool {
        if self.queued >= self.count {
            return false;
        }
        let idx: Vec<usize> = (self.queued..(self.queued + self.batch).min(self.count)).collect();
        self.queued += idx.len();
        let out = model.logits(batch::images(data, &idx, norm, device)); // [b, C]
        let y = batch::labels(data, &idx, device);
        let loss = cross_entropy(out.clone(), y).mul_scalar(idx.len() as f32);
        self.loss_sum = self.loss_sum.clone() + loss;
        self.preds.push(out.argmax(1).reshape([idx.len()]));
        true
    }

    /// Read the results, in one device read, once `step` has queued every batch.
    pub async fn finish(self, data: &Split) -> Result<EvalResult, String> {
        let count = self.count;
        if self.queued < count {
            return Err("the evaluation was read before all of its batches ran".into());
        }
        let read = Transaction::default()
            .register(self.loss_sum)
            .register(Tensor::cat(self.preds, 0))
            .execute_async()
            .await
            .map_err(|e| format!("reading evaluation results from the device failed: {e:?}"))?;
        let loss = read[0].iter::<f64>().next().unwrap_or(f64::NAN) as f32 / count as f32;
        let predictions: Vec<u8> = read[1].iter::<f64>().map(|p| p as u8).collect();
        let correct = predictions
            .iter()
            .zip(&data.labels[..count])
            .filter(|(p, t)| p == t)
            .count();
        Ok(EvalResult {
            loss,
            accuracy: correct as f32 / count as f32,
            predictions,
        })
    }
}
