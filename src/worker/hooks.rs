//! The worker's side of the training loop: yield to the event loop so messages get through,
//! honour pause and stop, post step and epoch metrics, keep an eval copy of the model for the
//! explorer, and checkpoint after every epoch.

use super::{Model, SharedRef, idb, send, tools, web};
use crate::checkpoint::RoleState;
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Classifier;
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Role, StepPoint};
use crate::train::{Control, EpochRecord, EvalResult, Evaluation, FitHooks, StepMetrics, Trainer};
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
}

impl WebHooks {
    pub fn new<M: Classifier>(
        shared: SharedRef,
        role: Role,
        trainer: &Trainer<M>,
        device: &Device,
        quiet: bool,
    ) -> Self {
        let now = web::now_ms();
        WebHooks {
            shared,
            role,
            device: device.clone(),
            quiet,
            epochs: trainer.config().epochs,
            steps_per_epoch: trainer.steps_per_epoch(),
            slice: Slice::new(),
            started: now,
            samples: 0,
        }
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
) -> Result<Option<EvalResult>, String> {
    let mut e = Evaluation::new(data, data.len(), EVAL_BATCH, device)?;
    let mut slice = Slice::new();
    while e.step(model, data, norm, device) {
        if slice.check(shared).await == Control::Stop {
            return Ok(None);
        }
    }
    e.finish(data).await.map(Some)
}

/// Let messages in; wait while paused; report a stop.
pub async fn yield_and_check(shared: &SharedRef) -> Control {
    web::sleep_ms(0).await;
    loop {
        let (paused, stop) = {
            let s = shared.borrow();
            (s.paused, s.stop)
        };
        if stop {
            return Control::Stop;
        }
        if !paused {
            return Control::Continue;
        }
        web::sleep_ms(100).await;
    }
}

impl<M: Classifier + Into<Network> + 'static> FitHooks<M> for WebHooks {
    async fn between_steps(&mut self) -> Control {
        self.slice.check(&self.shared).await
    }

    fn on_steps(&mut self, steps: &[StepMetrics]) {
        if self.quiet {
            return;
        }
        self.samples += steps.iter().map(|s| s.samples).sum::<usize>();
        let secs = (web::now_ms() - self.started) / 1000.0;
        let points = steps
            .iter()
            .map(|s| StepPoint {
                step: s.step,
                epoch: s.epoch,
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

    fn on_epoch(&mut self, record: &EpochRecord, eval: &EvalResult, trainer: &Trainer<M>) {
        if self.quiet {
            return;
        }
        let model: Network = trainer.model().valid().into();
        {
            let mut s = self.shared.borrow_mut();
            s.set_model(Model {
                role: self.role,
                net: model.clone(),
                device: self.device.clone(),
            });
            s.send(FromWorker::Epoch {
                role: self.role,
                record: record.clone(),
            });
            s.send(FromWorker::Predictions {
                role: self.role,
                predictions: eval.predictions.clone(),
            });
        }
        wasm_bindgen_futures::spawn_local(tools::send_logits(self.shared.clone(), false));
        let state = RoleState {
            role: self.role,
            epoch: trainer.epoch(),
            lr: trainer.lr(),
            schedule: trainer.schedule().clone(),
            done: trainer.finished(),
            record_len: 0,
        };
        wasm_bindgen_futures::spawn_local(checkpoint(self.shared.clone(), state, model));
    }
}

/// Read the weights (async), put them into the checkpoint, write it to IndexedDB.
pub async fn checkpoint(shared: SharedRef, state: RoleState, model: Network) {
    let Ok(record) = model.record_bytes().await else {
        return;
    };
    let encoded = {
        let mut s = shared.borrow_mut();
        let Some(c) = s.ckpt.as_mut() else { return };
        c.set_role(state, record);
        c.head.saved_at_ms = js_sys::Date::now();
        c.encode()
    };
    // Either failure leaves the checkpoint already stored as it was; the run goes on.
    let saved = match encoded {
        Ok(bytes) => idb::save(&bytes).await,
        Err(e) => Err(e),
    };
    if let Err(e) = saved {
        send(
            &shared,
            FromWorker::Notice(format!(
                "This epoch was not checkpointed ({e}); the run goes on, and a reload resumes from the last checkpoint saved."
            )),
        );
    }
}
