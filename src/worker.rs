//! The training worker: owns the device, the models, the shards and the trainers. The page
//! talks to it only through [`crate::protocol`] messages.

mod data;
mod hooks;
mod idb;
mod methods;
mod run;
mod tools;
mod web;

use crate::checkpoint::Checkpoint;
use crate::data::batch::Norm;
use crate::data::{Manifest, Split};
use crate::model::snapshot::{Network, WeightsMeta};
use crate::protocol::{FromWorker, Role, ToWorker};
use crate::settings::Settings;
use burn::prelude::*;
use gloo_worker::{HandlerId, Worker, WorkerScope};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

/// A trained (or loaded) network in eval mode, on the device it lives on.
#[derive(Clone)]
pub struct Model {
    pub role: Role,
    pub net: Network,
    pub device: Device,
}

/// Everything the run, the hooks and the message handler share. Single-threaded: `Rc<RefCell>`.
pub struct Shared {
    scope: WorkerScope<TrainingWorker>,
    client: Option<HandlerId>,
    paused: bool,
    stop: bool,
    running: bool,
    /// Test samples the explorer shows.
    inspect: Vec<usize>,
    /// The latest eval copy of each network, for the explorer, drawing and downloads.
    models: Vec<Model>,
    /// Weights files the user loaded, used by the next run instead of training.
    imported: Vec<(Role, WeightsMeta, Vec<u8>)>,
    settings: Option<Settings>,
    manifest: Option<Manifest>,
    train: Option<Rc<Split>>,
    test: Option<Rc<Split>>,
    norm: Option<Norm>,
    /// WebGPU, once started (it can only be initialised once per worker).
    #[cfg_attr(not(feature = "webgpu"), allow(dead_code))]
    webgpu: Option<Device>,
    /// The run's checkpoint, mirrored to IndexedDB after every epoch.
    ckpt: Option<Checkpoint>,
}

impl Shared {
    /// Post to the page; messages that draw curves and results also go into the checkpoint's
    /// log, to be replayed on resume.
    fn send(&mut self, msg: FromWorker) {
        if matches!(
            msg,
            FromWorker::Steps { .. }
                | FromWorker::Epoch { .. }
                | FromWorker::Result(_)
                | FromWorker::Notice(_)
        ) && let Some(c) = self.ckpt.as_mut()
        {
            c.head.log.push(msg.clone());
        }
        if let Some(id) = self.client {
            self.scope.respond(id, msg);
        }
    }

    fn model(&self, role: Role) -> Option<&Model> {
        self.models.iter().find(|m| m.role == role)
    }

    fn set_model(&mut self, model: Model) {
        self.models.retain(|m| m.role != model.role);
        self.models.push(model);
    }
}

pub type SharedRef = Rc<RefCell<Shared>>;

/// Post a message (borrowing the shared state only for the moment).
pub fn send(shared: &SharedRef, msg: FromWorker) {
    shared.borrow_mut().send(msg);
}

pub struct TrainingWorker {
    shared: SharedRef,
}

impl Worker for TrainingWorker {
    type Message = ();
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(scope: &WorkerScope<Self>) -> Self {
        web::install_panic_reporter();
        spawn_local(web::heartbeat());
        TrainingWorker {
            shared: Rc::new(RefCell::new(Shared {
                scope: scope.clone(),
                client: None,
                paused: false,
                stop: false,
                running: false,
                inspect: Vec::new(),
                models: Vec::new(),
                imported: Vec::new(),
                settings: None,
                manifest: None,
                train: None,
                test: None,
                norm: None,
                webgpu: None,
                ckpt: None,
            })),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, _scope: &WorkerScope<Self>, msg: ToWorker, id: HandlerId) {
        let shared = self.shared.clone();
        let mut s = shared.borrow_mut();
        s.client = Some(id);
        web::set_reporter(s.scope.clone(), id);
        let busy = s.running;
        match msg {
            ToWorker::Hello => {
                drop(s);
                spawn_local(tools::offer_checkpoint(shared));
            }
            ToWorker::Start(_)
            | ToWorker::ResumeFromCheckpoint { .. }
            | ToWorker::Sweep(_)
            | ToWorker::Bench { .. }
                if busy =>
            {
                s.send(FromWorker::Notice(
                    "a run is already going; stop it first".into(),
                ));
            }
            ToWorker::Start(settings) => {
                s.running = true;
                s.stop = false;
                s.paused = false;
                // Keep only the networks loaded from files; trained ones are trained again.
                let imported: Vec<Role> = s.imported.iter().map(|(r, _, _)| *r).collect();
                s.models.retain(|m| imported.contains(&m.role));
                drop(s);
                spawn_local(run::run(shared, settings, None, false));
            }
            ToWorker::ResumeFromCheckpoint { cpu } => {
                s.running = true;
                s.stop = false;
                s.paused = false;
                drop(s);
                spawn_local(run::resume(shared, cpu));
            }
            ToWorker::DiscardCheckpoint => {
                s.ckpt = None;
                drop(s);
                spawn_local(idb::clear());
            }
            ToWorker::Pause => s.paused = true,
            ToWorker::Unpause => s.paused = false,
            ToWorker::Stop => {
                s.stop = true;
                s.paused = false;
            }
            ToWorker::Inspect(samples) => {
                s.inspect = samples;
                drop(s);
                spawn_local(tools::send_logits(shared, true));
            }
            ToWorker::Classify(pixels) => {
                drop(s);
                spawn_local(tools::classify(shared, pixels));
            }
            ToWorker::Export(role) => {
                drop(s);
                spawn_local(tools::export(shared, role));
            }
            ToWorker::Import {
                id,
                name,
                bytes,
                settings,
            } => {
                drop(s);
                spawn_local(tools::import(shared, id, name, bytes, settings));
            }
            ToWorker::Sweep(spec) => {
                s.running = true;
                s.stop = false;
                drop(s);
                spawn_local(tools::sweep(shared, spec));
            }
            ToWorker::Bench { cpu } => {
                s.running = true;
                drop(s);
                spawn_local(tools::bench(shared, cpu));
            }
        }
    }
}
