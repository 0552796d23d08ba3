//! The worker's side of the training loop: yield to the event loop so messages get through,
//! honour pause and stop, post step and epoch metrics, keep an eval copy of the model for the
//! explorer, and checkpoint after every epoch.

use super::error::WorkerError;
use super::state::{Model, RunState, SharedRef, send};
use super::{checkpoints, explorer, web};
use crate::checkpoint::RoleState;
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Classifier;
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Role, StepPoint};
use crate::train::{
    Cohort, CohortHooks, Control, EpochRecord, EvalResult, Evaluation, FitHooks, StepMetrics,
    Trainer,
};
use burn::prelude::*;

/// How long the loop may run before it lets messages in.
const SLICE_MS: f64 = 40.0;

/// Samples per batch of inference: validation and the teacher-logit cache.
pub const EVAL_BATCH: usize = 512;

pub struct WebHooks {
    pub shared: SharedRef,
    pub role: Role,
    /// The device the model trains on (the explorer's copy lives there too).
    pub device: Device,
    /// A sweep cell: no curves, no checkpoints.
    pub quiet: bool,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    slice: Slice,
    started: f64,
    samples: usize,
    /// Epochs and steps run before this fit on the same curve (FitNets' hint stage).
    offset: (usize, usize),
    /// Whether epochs are checkpointed (not FitNets' hint stage: its network is not a student).
    checkpoints: bool,
    /// The last epoch's validation accuracy (a sweep cell's result).
    pub last_val_accuracy: Option<f32>,
}

impl WebHooks {
    pub fn new<M: Classifier>(
        shared: SharedRef,
        role: Role,
        trainer: &Trainer<M>,
        device: &Device,
        quiet: bool,
    ) -> Self {
        let plan = (trainer.config().epochs, trainer.steps_per_epoch());
        Self::with_plan(shared, role, plan, device, quiet)
    }

    /// Hooks for a network that runs `epochs` of `steps_per_epoch` steps (a cohort member).
    pub fn with_plan(
        shared: SharedRef,
        role: Role,
        (epochs, steps_per_epoch): (usize, usize),
        device: &Device,
        quiet: bool,
    ) -> Self {
        let now = web::now_ms();
        WebHooks {
            shared,
            role,
            device: device.clone(),
            quiet,
            epochs,
            steps_per_epoch,
            slice: Slice::new(),
            started: now,
            samples: 0,
            offset: (0, 0),
            checkpoints: true,
            last_val_accuracy: None,
        }
    }

    /// Continue a curve after `epochs` epochs and `steps` steps of an earlier stage.
    pub fn after(mut self, epochs: usize, steps: usize) -> Self {
        self.offset = (epochs, steps);
        self.epochs += epochs;
        self
    }

    /// Post curves and keep the explorer's copy, but write no checkpoints.
    pub fn without_checkpoints(mut self) -> Self {
        self.checkpoints = false;
        self
    }

    /// An epoch ended: post it, keep `model` for the explorer, checkpoint `state`.
    pub fn epoch_end(
        &mut self,
        record: &EpochRecord,
        eval: &EvalResult,
        model: Network,
        state: RoleState,
    ) {
        self.last_val_accuracy = Some(record.val_accuracy);
        if self.quiet {
            return;
        }
        let record = EpochRecord {
            epoch: record.epoch + self.offset.0,
            ..record.clone()
        };
        {
            let mut s = self.shared.borrow_mut();
            s.set_model(Model {
                role: self.role,
                net: model.clone(),
                device: self.device.clone(),
            });
            s.send(FromWorker::Epoch {
                role: self.role,
                record,
            });
            s.send(FromWorker::Predictions {
                role: self.role,
                predictions: eval.predictions.clone(),
            });
        }
        wasm_bindgen_futures::spawn_local(explorer::send_logits(self.shared.clone(), false));
        if self.checkpoints {
            wasm_bindgen_futures::spawn_local(checkpoints::save(self.shared.clone(), state, model));
        }
    }

    /// Metrics of steps just read, as a `Steps` message.
    pub fn steps(&mut self, steps: &[StepMetrics]) {
        if self.quiet {
            return;
        }
        self.samples += steps.iter().map(|s| s.samples).sum::<usize>();
        let secs = (web::now_ms() - self.started) / 1000.0;
        let points = steps
            .iter()
            .map(|s| StepPoint {
                step: s.step + self.offset.1,
                epoch: s.epoch + self.offset.0,
                loss: s.loss,
                accuracy: s.accuracy,
            })
            .collect();
        send(
            &self.shared,
            FromWorker::Steps {
                role: self.role,
                points,
                steps_per_epoch: self.steps_per_epoch,
                epochs: self.epochs,
                samples_per_sec: (self.samples as f64 / secs.max(1e-3)) as f32,
            },
        );
    }

    pub async fn between(&mut self) -> Control {
        self.slice.check(&self.shared).await
    }
}

/// Work in slices of `SLICE_MS`: between two pieces of work, let messages in only when the
/// slice is used up (a yield costs a few milliseconds, a piece of work may cost less).
pub struct Slice {
    started: f64,
}

impl Slice {
    pub fn new() -> Self {
        Slice {
            started: web::now_ms(),
        }
    }

    /// Yield if the slice is used up (then pause is waited out and stop reported); what to do
    /// next.
    pub async fn check(&mut self, shared: &SharedRef) -> Control {
        if web::now_ms() - self.started < SLICE_MS {
            return Control::Continue;
        }
        let c = yield_and_check(shared).await;
        self.started = web::now_ms();
        c
    }

    /// Whether the next `check` will yield.
    pub fn used_up(&self) -> bool {
        web::now_ms() - self.started >= SLICE_MS
    }
}

/// `train::evaluate` over all of `data`, letting messages in between batches; `None` if the
/// page said stop meanwhile.
pub async fn evaluate<M: Classifier>(
    shared: &SharedRef,
    model: &M,
    data: &Split,
    norm: Norm,
    device: &Device,
) -> Result<Option<EvalResult>, WorkerError> {
    let mut e = Evaluation::new(data, data.len(), EVAL_BATCH, device)?;
    let mut slice = Slice::new();
    while e.step(model, data, norm, device) {
        if slice.check(shared).await == Control::Stop {
            return Ok(None);
        }
    }
    Ok(Some(e.finish(data).await?))
}

/// Let messages in; wait while paused; report a stop.
pub async fn yield_and_check(shared: &SharedRef) -> Control {
    web::sleep_ms(0).await;
    loop {
        let state = shared.borrow().run;
        match state {
            RunState::Stopping => return Control::Stop,
            RunState::Paused => web::sleep_ms(100).await,
            RunState::Running | RunState::Idle => return Control::Continue,
        }
    }
}

impl<M: Classifier + Into<Network> + 'static> FitHooks<M> for WebHooks {
    async fn between_steps(&mut self) -> Control {
        self.between().await
    }

    fn on_steps(&mut self, steps: &[StepMetrics]) {
        self.steps(steps);
    }

    fn on_epoch(&mut self, record: &EpochRecord, eval: &EvalResult, trainer: &Trainer<M>) {
        if self.quiet {
            // A sweep cell: only its accuracy is wanted (no copy of the model, no checkpoint).
            self.last_val_accuracy = Some(record.val_accuracy);
            return;
        }
        let state = RoleState {
            role: self.role,
            epoch: trainer.epoch(),
            lr: trainer.lr(),
            schedule: trainer.schedule().clone(),
            done: trainer.finished(),
            record_len: 0,
            config: serde_json::Value::Null,
        };
        self.epoch_end(record, eval, trainer.model().valid().into(), state);
    }
}

/// A deep-mutual-learning cohort's side of the loop: each member posts under its own role.
pub struct CohortWeb {
    pub members: Vec<WebHooks>,
}

impl CohortHooks for CohortWeb {
    async fn between_steps(&mut self) -> Control {
        match self.members.first_mut() {
            Some(h) => h.between().await,
            None => Control::Continue,
        }
    }

    fn on_steps(&mut self, member: usize, steps: &[StepMetrics]) {
        if let Some(h) = self.members.get_mut(member) {
            h.steps(steps);
        }
    }

    fn on_epoch(&mut self, member: usize, record: &EpochRecord, eval: &EvalResult, c: &Cohort) {
        let (Some(h), Some(m)) = (self.members.get_mut(member), c.members().get(member)) else {
            return;
        };
        let state = RoleState {
            role: h.role,
            epoch: m.epoch(),
            lr: m.lr(),
            schedule: m.schedule().clone(),
            done: m.finished(),
            record_len: 0,
            config: serde_json::Value::Null,
        };
        h.epoch_end(record, eval, m.network(), state);
    }
}
