//! The training loop both shells run: steps, batched metric reads, a validation pass per epoch,
//! the schedule, NaN detection. The shell supplies [`FitHooks`]: the CLI draws progress bars,
//! the browser worker yields to the event loop, honours pause and stop, and posts metrics.

use super::EpochOutcome;
use super::epochs::{self, LoopHooks, Stepped};
use super::eval::{EvalResult, Evaluation};
use super::trainer::{StepHandle, StepMetrics, Trainer, read_steps};
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

pub use super::EpochRecord;

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

/// The shell's side of the loop.
#[allow(async_fn_in_trait)] // The futures are awaited where they are made; no Send needed.
pub trait FitHooks<M: Classifier> {
    /// Called after every training step and every validation batch: a place to yield, to pause
    /// (by not returning), or to stop.
    async fn between_steps(&mut self) -> Control {
        Control::Continue
    }
    /// Metrics of the steps just read.
    fn on_steps(&mut self, _steps: &[StepMetrics]) {}
    /// An epoch finished and was validated.
    fn on_epoch(&mut self, _record: &EpochRecord, _eval: &EvalResult, _trainer: &Trainer<M>) {}
}

/// Train until the configured epochs are done, early stopping fires, or the hooks say stop.
/// `device` is the plain (non-autodiff) device, used for validation. The loop itself is
/// [`super::epochs::run`], shared with the mutual-learning cohort.
pub async fn fit<M: Classifier, H: FitHooks<M>>(
    trainer: &mut Trainer<M>,
    train: &Split,
    val: &Split,
    norm: Norm,
    device: &Device,
    opts: FitOptions,
    hooks: &mut H,
) -> Result<FitEnd, FitError> {
    epochs::run(trainer, train, val, norm, device, opts, &mut One(hooks)).await
}

/// One trainer is a loop of one network.
impl<M: Classifier> Stepped for Trainer<M> {
    type Net = M;
    fn count(&self) -> usize {
        1
    }
    fn finished(&self) -> bool {
        Trainer::finished(self)
    }
    fn epoch_done(&self) -> bool {
        Trainer::epoch_done(self)
    }
    fn lr(&self, _: usize) -> f64 {
        Trainer::lr(self)
    }
    fn epoch(&self, _: usize) -> usize {
        Trainer::epoch(self)
    }
    fn steps_per_epoch(&self, _: usize) -> usize {
        Trainer::steps_per_epoch(self)
    }
    fn step(&mut self, train: &Split, norm: Norm) -> Option<Vec<StepHandle>> {
        Trainer::step(self, train, norm).map(|h| vec![h])
    }
    fn network(&self, _: usize) -> M {
        self.model().valid()
    }
    fn end_epoch(&mut self, _: usize, val_loss: f32) -> EpochOutcome {
        Trainer::end_epoch(self, val_loss)
    }
}

/// [`FitHooks`] as the shared loop's hooks (network 0 is the only one).
struct One<'a, H>(&'a mut H);

impl<M: Classifier, H: FitHooks<M>> LoopHooks<Trainer<M>> for One<'_, H> {
    async fn between_steps(&mut self) -> Control {
        self.0.between_steps().await
    }
    fn on_steps(&mut self, _: usize, steps: &[StepMetrics]) {
        self.0.on_steps(steps)
    }
    fn on_epoch(&mut self, _: usize, record: &EpochRecord, eval: &EvalResult, t: &Trainer<M>) {
        self.0.on_epoch(record, eval, t)
    }
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
