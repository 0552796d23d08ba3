//! The training worker: owns the device, the models, the shards and the trainers. The page
//! talks to it only through [`crate::protocol`] messages.

mod data;
mod hooks;
mod run;
mod web;

use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Role, ToWorker};
use burn::prelude::*;
use gloo_worker::{HandlerId, Worker, WorkerScope};
use std::cell::RefCell;
use std::rc::Rc;

/// Everything the run, the hooks and the message handler share. Single-threaded: `Rc<RefCell>`.
pub struct Shared {
    scope: WorkerScope<TrainingWorker>,
    client: Option<HandlerId>,
    paused: bool,
    stop: bool,
    running: bool,
    /// Test samples the explorer shows.
    inspect: Vec<usize>,
    /// The latest eval-mode copy of each network, for the explorer.
    models: Vec<(Role, Network)>,
    /// Validation data, its normalisation and the device, once loaded.
    test: Option<Rc<Split>>,
    norm: Option<Norm>,
    device: Option<Device>,
}

impl Shared {
    fn send(&self, msg: FromWorker) {
        if let Some(id) = self.client {
            self.scope.respond(id, msg);
        }
    }

    fn model(&self, role: Role) -> Option<&Network> {
        self.models.iter().find(|(r, _)| *r == role).map(|(_, m)| m)
    }

    fn set_model(&mut self, role: Role, model: Network) {
        self.models.retain(|(r, _)| *r != role);
        self.models.push((role, model));
    }
}

pub type SharedRef = Rc<RefCell<Shared>>;

pub struct TrainingWorker {
    shared: SharedRef,
}

impl Worker for TrainingWorker {
    type Message = ();
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(scope: &WorkerScope<Self>) -> Self {
        web::install_panic_reporter();
        TrainingWorker {
            shared: Rc::new(RefCell::new(Shared {
                scope: scope.clone(),
                client: None,
                paused: false,
                stop: false,
                running: false,
                inspect: Vec::new(),
                models: Vec::new(),
                test: None,
                norm: None,
                device: None,
            })),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, _scope: &WorkerScope<Self>, msg: ToWorker, id: HandlerId) {
        let mut s = self.shared.borrow_mut();
        s.client = Some(id);
        web::set_reporter(s.scope.clone(), id);
        match msg {
            ToWorker::Start(settings) => {
                if s.running {
                    s.send(FromWorker::Notice(
                        "a run is already going; stop it first".into(),
                    ));
                    return;
                }
                s.running = true;
                s.stop = false;
                s.paused = false;
                s.models.clear();
                drop(s);
                wasm_bindgen_futures::spawn_local(run::run(self.shared.clone(), settings));
            }
            ToWorker::Pause => s.paused = true,
            ToWorker::Resume => s.paused = false,
            ToWorker::Stop => {
                s.stop = true;
                s.paused = false;
            }
            ToWorker::Inspect(samples) => {
                s.inspect = samples;
                drop(s);
                wasm_bindgen_futures::spawn_local(run::send_logits(self.shared.clone()));
            }
        }
    }
}
