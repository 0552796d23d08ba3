//! The worker's side of the training loop: yield to the event loop so messages get through,
//! honour pause and stop, post step and epoch metrics, keep an eval copy of the model for the
//! explorer.

use super::{SharedRef, run, web};
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Role, StepPoint};
use crate::train::{Control, EpochRecord, EvalResult, FitHooks, StepMetrics};
use burn::module::Module;

/// How long the loop may run before it lets messages in.
const SLICE_MS: f64 = 40.0;

pub struct WebHooks {
    pub shared: SharedRef,
    pub role: Role,
    pub steps_per_epoch: usize,
    pub epochs: usize,
    last_yield: f64,
    started: f64,
    samples: usize,
}

impl WebHooks {
    pub fn new(shared: SharedRef, role: Role, steps_per_epoch: usize, epochs: usize) -> Self {
        let now = web::now_ms();
        WebHooks {
            shared,
            role,
            steps_per_epoch,
            epochs,
            last_yield: now,
            started: now,
            samples: 0,
        }
    }
}

impl<M: Module + Clone + Into<Network>> FitHooks<M> for WebHooks {
    async fn between_steps(&mut self) -> Control {
        if web::now_ms() - self.last_yield < SLICE_MS {
            return Control::Continue;
        }
        web::sleep_ms(0).await;
        loop {
            let (paused, stop) = {
                let s = self.shared.borrow();
                (s.paused, s.stop)
            };
            if stop {
                return Control::Stop;
            }
            if !paused {
                break;
            }
            web::sleep_ms(100).await;
        }
        self.last_yield = web::now_ms();
        Control::Continue
    }

    fn on_steps(&mut self, steps: &[StepMetrics]) {
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
        self.shared.borrow().send(FromWorker::Steps {
            role: self.role,
            points,
            steps_per_epoch: self.steps_per_epoch,
            epochs: self.epochs,
            samples_per_sec: (self.samples as f64 / secs.max(1e-3)) as f32,
        });
    }

    fn on_epoch(&mut self, record: &EpochRecord, _eval: &EvalResult, model: &M) {
        {
            let mut s = self.shared.borrow_mut();
            s.set_model(self.role, model.valid().into());
            s.send(FromWorker::Epoch {
                role: self.role,
                record: record.clone(),
            });
        }
        wasm_bindgen_futures::spawn_local(run::send_logits(self.shared.clone()));
    }
}
