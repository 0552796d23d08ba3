//! The epoch loop, once: [`super::fit`] (one network) and [`super::cohort`] (networks trained
//! together) both run it. Steps with their metrics read in batches, a validation pass per
//! network per epoch, each network's schedule; the first network's schedule and early stopping
//! decide when the run ends.

use super::eval::{EvalResult, Evaluation};
use super::trainer::{StepHandle, StepMetrics, read_steps};
use super::{EpochOutcome, EpochRecord};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Classifier;
use burn::prelude::*;

/// How the loop reads and validates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Read step metrics every this many steps (one device round trip for all of them).
    pub read_every: usize,
    /// Validate on the first this many validation samples.
    pub val_count: usize,
    /// Batch size for the validation pass (inference only, so larger than training's).
    pub eval_batch: usize,
}

/// What the shell wants after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// How a fit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitEnd {
    /// All epochs ran.
    Finished,
    /// Early stopping ended the run after this many epochs.
    EarlyStopped(usize),
    /// The shell asked to stop.
    Stopped,
}

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// The loss became NaN or infinite.
    NonFinite {
        epoch: usize,
        step: usize,
        loss: f32,
    },
    /// The validation loss became NaN or infinite (the model's outputs overflowed).
    NonFiniteValidation { epoch: usize, loss: f32 },
    /// A device read failed (on the web: the GPU device was lost).
    Device(String),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::NonFinite { epoch, step, loss } => write!(
                f,
                "the loss became {loss} at step {step} (epoch {}); training stopped. Lower the learning rate or the temperature and start again",
                epoch + 1
            ),
            FitError::NonFiniteValidation { epoch, loss } => write!(
                f,
                "the validation loss became {loss} after epoch {}; training stopped before it reached the schedule. Lower the learning rate and start again",
                epoch + 1
            ),
            FitError::Device(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FitError {}

/// What the loop steps: one trainer, or a cohort of them. Network `0` leads.
pub(crate) trait Stepped {
    /// A network in eval mode, off the autodiff graph, for validation.
    type Net: Classifier;
    fn count(&self) -> usize;
    /// Whether the lead network's run is over (its epochs done or its early stopping fired).
    fn finished(&self) -> bool;
    fn epoch_done(&self) -> bool;
    fn lr(&self, m: usize) -> f64;
    fn epoch(&self, m: usize) -> usize;
    fn steps_per_epoch(&self, m: usize) -> usize;
    /// One step of every network on the epoch's next batch; `None` once the epoch is done.
    fn step(&mut self, train: &Split, norm: Norm) -> Option<Vec<StepHandle>>;
    fn network(&self, m: usize) -> Self::Net;
    fn end_epoch(&mut self, m: usize, val_loss: f32) -> EpochOutcome;
}

/// The shell's side, per network (`0` is the run's own).
#[allow(async_fn_in_trait)] // Awaited where made; no Send needed.
pub(crate) trait LoopHooks<S> {
    async fn between_steps(&mut self) -> Control;
    fn on_steps(&mut self, m: usize, steps: &[StepMetrics]);
    fn on_epoch(&mut self, m: usize, record: &EpochRecord, eval: &EvalResult, stepped: &S);
}

/// Train until the lead network's epochs are done, its early stopping fires, or the hooks say
/// stop. `device` is the plain (non-autodiff) device, used for validation.
pub(crate) async fn run<S: Stepped, H: LoopHooks<S>>(
    s: &mut S,
    train: &Split,
    val: &Split,
    norm: Norm,
    device: &Device,
    opts: FitOptions,
    hooks: &mut H,
) -> Result<FitEnd, FitError> {
    let k = s.count();
    while !s.finished() {
        let lrs: Vec<f64> = (0..k).map(|m| s.lr(m)).collect();
        let mut pending: Vec<Vec<StepHandle>> = (0..k).map(|_| Vec::new()).collect();
        let mut sums: Vec<EpochSums> = (0..k).map(|_| EpochSums::default()).collect();
        while let Some(handles) = s.step(train, norm) {
            for (p, h) in pending.iter_mut().zip(handles) {
                p.push(h);
            }
            if pending[0].len() >= opts.read_every.max(1) || s.epoch_done() {
                for (m, (p, sum)) in pending.iter_mut().zip(&mut sums).enumerate() {
                    let steps = sum.read(p).await?;
                    hooks.on_steps(m, &steps);
                }
            }
            if hooks.between_steps().await == Control::Stop {
                return Ok(FitEnd::Stopped);
            }
        }
        let mut stop = false;
        for m in 0..k {
            let model = s.network(m);
            let between = async || hooks.between_steps().await;
            let Some(eval) = validate(&model, val, norm, device, opts, s.epoch(m), between).await?
            else {
                return Ok(FitEnd::Stopped);
            };
            let steps = s.steps_per_epoch(m);
            let outcome = s.end_epoch(m, eval.loss);
            let record = sums[m].record(s.epoch(m), &eval, lrs[m], outcome.lr_reduced, steps);
            stop |= m == 0 && outcome.stop;
            hooks.on_epoch(m, &record, &eval, s);
        }
        if stop {
            return Ok(FitEnd::EarlyStopped(s.epoch(0)));
        }
    }
    Ok(FitEnd::Finished)
}

/// One epoch's training metrics as they are read.
#[derive(Default)]
pub(crate) struct EpochSums {
    loss: f64,
    correct: f64,
    seen: usize,
}

impl EpochSums {
    /// Read the `pending` steps (one device round trip), fail on a non-finite loss, add them up.
    pub(crate) async fn read(
        &mut self,
        pending: &mut Vec<StepHandle>,
    ) -> Result<Vec<StepMetrics>, FitError> {
        let steps = read_steps(pending).await.map_err(FitError::Device)?;
        pending.clear();
        if let Some(bad) = steps.iter().find(|s| !s.loss.is_finite()) {
            return Err(FitError::NonFinite {
                epoch: bad.epoch,
                step: bad.step,
                loss: bad.loss,
            });
        }
        for s in &steps {
            self.loss += s.loss as f64 * s.samples as f64;
            self.correct += s.accuracy as f64 * s.samples as f64;
            self.seen += s.samples;
        }
        Ok(steps)
    }

    /// The record of the epoch that ended as the `epoch`-th, validated as `eval`.
    pub(crate) fn record(
        &self,
        epoch: usize,
        eval: &EvalResult,
        lr: f64,
        lr_reduced: bool,
        steps: usize,
    ) -> EpochRecord {
        let seen = self.seen.max(1) as f64;
        EpochRecord {
            epoch,
            loss: (self.loss / seen) as f32,
            accuracy: (self.correct / seen) as f32,
            val_loss: eval.loss,
            val_accuracy: eval.accuracy,
            lr,
            lr_reduced,
            steps,
        }
    }
}

/// Validate `model` a batch at a time, awaiting `between` after each batch as between steps;
/// `None` if it said stop. A non-finite loss is an error.
pub(crate) async fn validate<M: Classifier>(
    model: &M,
    val: &Split,
    norm: Norm,
    device: &Device,
    opts: FitOptions,
    epoch: usize,
    mut between: impl AsyncFnMut() -> Control,
) -> Result<Option<EvalResult>, FitError> {
    let mut eval =
        Evaluation::new(val, opts.val_count, opts.eval_batch, device).map_err(FitError::Device)?;
    while eval.step(model, val, norm, device) {
        if between().await == Control::Stop {
            return Ok(None);
        }
    }
    let eval = eval.finish(val).await.map_err(FitError::Device)?;
    if !eval.loss.is_finite() {
        return Err(FitError::NonFiniteValidation {
            epoch,
            loss: eval.loss,
        });
    }
    Ok(Some(eval))
}
