//! The epoch loop, once: [`super::fit`] (one network) and [`super::cohort`] (networks trained
//! together) both run it. Steps with their metrics read in batches, a validation pass per
//! network per epoch, each network's schedule; the first network's schedule and early stopping
//! decide when the run ends.

use super::EpochOutcome;
use super::eval::EvalResult;
use super::fit::{Control, EpochRecord, EpochSums, FitEnd, FitError, FitOptions, validate};
use super::trainer::{StepHandle, StepMetrics};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Classifier;
use burn::prelude::*;

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
