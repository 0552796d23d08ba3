//! The step-wise trainer: one batch per call, so the browser worker can yield between steps,
//! pause and resume. Metrics come back as tensors ([`StepHandle`]) and are read in batches with
//! [`read_steps`], one device round trip for many steps.

pub use super::objective::Objective;
use super::optim_state;
use super::schedule::{EpochOutcome, Schedule};
pub use super::step_metrics::{StepHandle, StepMetrics, read_steps};
pub use super::train_config::TrainConfig;
use crate::data::Split;
use crate::data::batch::{self, Norm};
use crate::distill::{
    cross_entropy, distill_loss, distill_loss_partly_labelled, hint_loss, mixed_cross_entropy,
    mutual_loss, weigh,
};
use crate::model::{Classifier, dropout};
use crate::rng::epoch_order;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;

/// One step's forward pass, before its loss: the batch's sample indices, labels `[B]` and
/// logits `[B, C]` (on the autodiff graph), and for FitNets' stage 1 the regressed guided layer.
pub struct Forward {
    idx: Vec<usize>,
    end: usize,
    pub labels: Tensor<1, Int>,
    pub logits: Tensor<2>,
    guided: Option<Tensor<2>>,
    /// mixup's other image in each view.
    mix: Option<batch::Mix>,
    /// Function matching: the teacher's logits on this batch's views `[B, C]`.
    live: Option<Tensor<2>>,
    /// The view shown ([`crate::data::augment::view`]); `None` without augmentation.
    view: Option<u64>,
}

impl Forward {
    /// The batch's samples: indices into the training split, in the batch's order.
    pub fn indices(&self) -> &[usize] {
        &self.idx
    }
}

pub struct Trainer<M: Classifier> {
    model: M,
    optim: ModuleOptimizer,
    config: TrainConfig,
    objective: Objective,
    schedule: Schedule,
    device: Device,
    lr: f64,
    /// Training samples used: the first `n` of the split.
    n: usize,
    order: Vec<usize>,
    cursor: usize,
    epoch: usize,
    step: usize,
    /// Seeds the dropout masks (the config's seed unless a cohort peer needs masks of its own
    /// while it sees the same data order).
    mask_seed: u64,
    /// Needs no more training though epochs remain ([`Trainer::stop_here`]).
    stopped: bool,
}

impl<M: Classifier> Trainer<M> {
    /// `model` must live on an autodiff device. Trains on the first `n` samples of the split.
    pub fn new(
        model: M,
        config: TrainConfig,
        objective: Objective,
        n: usize,
        device: &Device,
    ) -> Self {
        let optim = optim_state::fresh(config.optimizer);
        Trainer {
            mask_seed: config.seed,
            model,
            optim,
            lr: config.lr,
            schedule: Schedule::new(config.plateau, config.early_stopping),
            config,
            objective,
            device: device.clone(),
            n,
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            step: 0,
            stopped: false,
        }
    }

    /// Draw dropout masks from `seed` rather than the config's (whose data order stays).
    pub fn with_mask_seed(mut self, seed: u64) -> Self {
        self.mask_seed = seed;
        self
    }

    /// The same trainer around `model` instead (weights restored or carried over from another
    /// stage), before its first step: the optimizer has no state yet to lose.
    pub fn with_model(mut self, model: M) -> Self {
        self.model = model;
        self
    }

    pub fn model(&self) -> &M {
        &self.model
    }

    pub fn into_model(self) -> M {
        self.model
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Optimisation steps taken.
    pub fn steps(&self) -> usize {
        self.step
    }

    pub fn lr(&self) -> f64 {
        self.lr
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Continue a run saved after `epoch` completed epochs, with its learning rate and schedule.
    /// (The optimizer's running averages start afresh: on WebGPU they cannot be read back
    /// without a blocking read, so checkpoints hold weights only.)
    pub fn restore(&mut self, epoch: usize, lr: f64, schedule: Schedule) {
        self.epoch = epoch;
        self.lr = lr;
        self.schedule = schedule;
        self.cursor = 0;
        self.step = epoch * self.steps_per_epoch();
    }

    /// The optimizer's running averages as a burnpack record, keyed by the ids of the model's
    /// parameters (which the model's own record carries): with the weights, what a checkpoint
    /// needs for the resumed run to take exactly the steps the uninterrupted one would. Reads
    /// every state tensor, so for the native CLI (in the browser, WebGPU reads are async).
    pub fn optimizer_record(&self) -> Result<Vec<u8>, String> {
        let bytes = (self.optim.into_bytes())
            .map_err(|e| format!("serialising the optimizer's state failed: {e}"))?;
        Ok(bytes.to_vec())
    }

    /// Continue with the optimizer state `record` ([`Trainer::optimizer_record`] of this run),
    /// after the model's weights were restored from the same checkpoint. A record that does not
    /// fit the model (a parameter it does not have, another shape, a number that is not finite)
    /// is refused and nothing changes: burn would panic on it at the next step.
    pub fn restore_optimizer(&mut self, record: Vec<u8>) -> Result<(), String> {
        optim_state::fits(&self.model, &record)?;
        let fresh = optim_state::fresh(self.config.optimizer);
        self.optim = (fresh.from_bytes(burn::tensor::Bytes::from_bytes_vec(record)))
            .map_err(|e| format!("the optimizer's state is damaged ({e})"))?;
        Ok(())
    }

    pub fn samples(&self) -> usize {
        self.n
    }

    pub fn steps_per_epoch(&self) -> usize {
        self.n.div_ceil(self.config.batch_size)
    }

    pub fn epoch_done(&self) -> bool {
        self.cursor >= self.n
    }

    /// All epochs run (the schedule may stop earlier: see [`Trainer::end_epoch`]).
    pub fn finished(&self) -> bool {
        self.stopped || self.epoch >= self.config.epochs
    }

    /// Count the network as trained where it stands: a loaded one, or a restored one whose
    /// schedule had already stopped it.
    pub fn stop_here(&mut self) {
        self.stopped = true;
    }

    /// One optimisation step on the next batch of the epoch; `None` once the epoch is done.
    pub fn step(&mut self, data: &Split, norm: Norm) -> Option<StepHandle> {
        let fwd = self.forward_next(data, norm)?;
        let loss = self.loss(&fwd);
        Some(self.finish_step(fwd, loss))
    }

    /// The forward pass of the next batch of the epoch (`None` once the epoch is done), under
    /// this step's dropout masks: a function of (seed, step, layer) alone (model::dropout).
    pub fn forward_next(&mut self, data: &Split, norm: Norm) -> Option<Forward> {
        if self.epoch_done() {
            return None;
        }
        if self.cursor == 0 {
            self.order = epoch_order(self.config.seed, self.epoch, self.n);
        }
        let end = (self.cursor + self.config.batch_size).min(self.n);
        let idx = self.order[self.cursor..end].to_vec();
        let labels = batch::labels(data, &idx, &self.device); // [B]
        let view = self.view();
        let (x, mix) = match view {
            None => (batch::images(data, &idx, norm, &self.device), None), // [B, 784]
            Some(v) => {
                let a = &self.config.augment;
                let b = batch::views(
                    data,
                    &idx,
                    norm,
                    a,
                    self.config.seed,
                    v,
                    self.n,
                    &self.device,
                );
                (b.images, b.mix)
            }
        };
        let live = match &self.objective {
            Objective::Match { teacher, .. } => Some(teacher.logits(x.clone().without_autodiff())),
            _ => None,
        }; // [B, C]
        let key = dropout::step_key(self.mask_seed, self.step);
        let hinting = matches!(self.objective, Objective::Hint { .. });
        let (logits, guided) = dropout::with_stream(key, || match self.model.guided(x.clone()) {
            Some((guess, logits)) if hinting => (logits, Some(guess)),
            _ => (self.model.logits(x), None),
        }); // [B, C], [B, hint]
        Some(Forward {
            idx,
            end,
            labels,
            logits,
            guided,
            mix,
            live,
            view,
        })
    }

    /// The view this epoch's batches show: `None` without augmentation; with cached views,
    /// the epoch's turn among them; otherwise a fresh view every epoch.
    fn view(&self) -> Option<u64> {
        if self.config.augment.is_off() {
            return None;
        }
        Some(match &self.objective {
            Objective::Distill { views, .. } if *views > 0 => (self.epoch % views) as u64,
            _ => self.epoch as u64,
        })
    }

    /// The objective's loss for a forward pass, `[1]`.
    pub fn loss(&self, fwd: &Forward) -> Tensor<1> {
        let (logits, y) = (fwd.logits.clone(), fwd.labels.clone());
        let rows = || batch::index_tensor(&fwd.idx, &self.device);
        // The labels' term: with mixup, each image's label by its share of the view, and only
        // for images that carry one (the first `labelled` samples, when not all do).
        let hard = |labelled: Option<usize>| match &fwd.mix {
            None => cross_entropy(logits.clone(), y.clone()),
            Some(m) => {
                let on = |i: usize| f32::from(u8::from(labelled.is_none_or(|k| i < k)));
                let b = fwd.idx.len();
                let weights =
                    |w: Vec<f32>| Tensor::from_data(TensorData::new(w, [b]), &self.device);
                let own = (fwd.idx.iter().zip(&m.shares)).map(|(&i, s)| (1.0 - s) * on(i));
                let other = (m.partners.iter().zip(&m.shares)).map(|(&p, s)| s * on(p));
                mixed_cross_entropy(
                    logits.clone(),
                    y.clone(),
                    m.labels.clone(),
                    weights(own.collect()),
                    weights(other.collect()),
                )
            }
        };
        match &self.objective {
            Objective::CrossEntropy => hard(None),
            Objective::Match { config, .. } => {
                let t = fwd
                    .live
                    .clone()
                    .expect("function matching computes the teacher's logits");
                weigh(config, hard(None), logits, t).total
            }
            Objective::Mutual { temperature } => mutual_loss(logits, &[], y, *temperature),
            Objective::Hint { teacher_hints } => {
                let guess = fwd
                    .guided
                    .clone()
                    .expect("FitNets' hint objective needs a network with a hint regressor");
                hint_loss(guess, teacher_hints.clone().select(0, rows())) // [B, hint]
            }
            Objective::Distill {
                config,
                teacher_logits,
                labelled,
                views,
            } => {
                let t = match (views, fwd.view) {
                    (0, _) | (_, None) => teacher_logits.clone().select(0, rows()), // [B, C]
                    (_, Some(v)) => {
                        let at: Vec<usize> =
                            fwd.idx.iter().map(|&i| v as usize * self.n + i).collect();
                        teacher_logits
                            .clone()
                            .select(0, batch::index_tensor(&at, &self.device))
                    }
                };
                if fwd.mix.is_some() {
                    return weigh(config, hard(*labelled), logits, t).total;
                }
                match labelled {
                    Some(k) if fwd.idx.iter().any(|&i| i >= *k) => {
                        let b = fwd.idx.len();
                        let mask: Vec<f32> = fwd
                            .idx
                            .iter()
                            .map(|&i| f32::from(u8::from(i < *k)))
                            .collect();
                        let mask = Tensor::from_data(TensorData::new(mask, [b]), &self.device);
                        distill_loss_partly_labelled(config, logits, t, y, mask).total
                    }
                    _ => distill_loss(config, logits, t, y).total,
                }
            }
        }
    }

    /// Back-propagate `loss` (`[1]`, from `fwd`'s logits) and take the optimizer step.
    pub fn finish_step(&mut self, fwd: Forward, loss: Tensor<1>) -> StepHandle {
        let b = fwd.idx.len();
        let correct = fwd
            .logits
            .without_autodiff()
            .argmax(1)
            .reshape([b])
            .equal(fwd.labels)
            .int()
            .sum(); // [1]
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self.optim.step(self.lr, self.model.clone(), grads);
        self.cursor = fwd.end;
        self.step += 1;
        StepHandle {
            epoch: self.epoch,
            step: self.step,
            samples: b,
            loss: loss.without_autodiff(),
            correct,
        }
    }

    /// Close the epoch with its validation loss: applies the plateau and early-stopping rules.
    pub fn end_epoch(&mut self, val_loss: f32) -> EpochOutcome {
        let out = self.schedule.end_epoch(val_loss, self.lr);
        self.lr = out.lr;
        self.epoch += 1;
        self.cursor = 0;
        if out.stop {
            self.config.epochs = self.epoch;
        }
        out
    }
}
