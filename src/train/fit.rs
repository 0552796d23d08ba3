//! Training one network, as both shells run it: the shared epoch loop ([`super::epochs`]:
//! steps, batched metric reads, a validation pass per epoch, the schedule, NaN detection) over
//! one [`Trainer`]. The shell supplies [`FitHooks`]: the CLI draws progress bars, the browser
//! worker yields to the event loop, honours pause and stop, and posts metrics.

use super::EpochOutcome;
pub use super::EpochRecord;
use super::epochs::{self, LoopHooks, Stepped};
pub use super::epochs::{Control, FitEnd, FitError, FitOptions};
use super::eval::EvalResult;
use super::trainer::{StepHandle, StepMetrics, Trainer};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Classifier;
use burn::prelude::*;

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
