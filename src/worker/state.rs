//! What the run, the hooks and the message handler share: the networks, the loaded data
//! ([`Loaded`]), the checkpoint and where the run is (`RunState`). Single-threaded: `Rc<RefCell>`.

use crate::checkpoint::Checkpoint;
use crate::data::batch::Norm;
use crate::data::{Manifest, Split};
use crate::model::snapshot::{Network, WeightsMeta};
use crate::protocol::{FromWorker, Role};
use crate::settings::Settings;
use crate::train::{Experiment, RunConfig};
use burn::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// How the worker answers the page that last spoke to it.
pub type Reply = Rc<dyn Fn(FromWorker)>;

/// A trained (or loaded) network in eval mode, on the device it lives on.
#[derive(Clone)]
pub struct Model {
    pub role: Role,
    pub net: Network,
    pub device: Device,
}

/// Where the worker's one long task (a run, a sweep, a speed test) is. The page's `Pause`,
/// `Unpause` and `Stop` move it; the task reads it between steps (`hooks::yield_and_check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunState {
    #[default]
    Idle,
    Running,
    Paused,
    /// Stop asked for; the task ends at its next check.
    Stopping,
}

impl RunState {
    pub fn busy(self) -> bool {
        self != RunState::Idle
    }

    /// The state after a page's `Pause` (`Some(true)`), `Unpause` (`Some(false)`) or `Stop`
    /// (`None`): an idle worker stays idle.
    pub fn after(self, pause: Option<bool>) -> RunState {
        match (self, pause) {
            (RunState::Idle, _) => RunState::Idle,
            (RunState::Stopping, _) | (_, None) => RunState::Stopping,
            (_, Some(true)) => RunState::Paused,
            (_, Some(false)) => RunState::Running,
        }
    }
}

/// A run's data and the settings it ran with: what its phases train on and, after it, what
/// the explorer, drawing, downloads and the sweep use.
#[derive(Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub manifest: Manifest,
    pub train: Rc<Split>,
    pub test: Rc<Split>,
}

impl Loaded {
    pub fn norm(&self) -> Norm {
        Norm::of(&self.manifest)
    }

    pub fn classes(&self) -> usize {
        self.manifest.num_classes()
    }

    /// The run the settings describe on this data: what the runner is given and every file of
    /// the run stores.
    pub fn experiment(&self) -> Experiment {
        let has = (self.train.len(), self.test.len());
        self.settings.experiment(self.classes(), has)
    }

    /// `role`'s run config in this run, the experiment with it (what its weights file and the
    /// checkpoint store).
    pub fn run_config(&self, role: Role) -> RunConfig {
        let c = self
            .settings
            .run_config(role, self.classes(), self.train.len());
        c.with_experiment(Some(self.experiment()))
    }
}

#[derive(Default)]
pub struct Shared {
    reply: Option<Reply>,
    pub run: RunState,
    /// Test samples the explorer shows.
    pub inspect: Vec<usize>,
    /// The latest eval copy of each network, for the explorer, drawing and downloads.
    pub models: Vec<Model>,
    /// Weights files the user loaded, used by the next run instead of training.
    pub imported: Vec<(Role, WeightsMeta, Vec<u8>)>,
    /// The last run's data and settings (the run's `load::Env` holds the same `Rc`).
    pub loaded: Option<Rc<Loaded>>,
    /// The dataset a weights file was checked against before any run loaded one.
    pub import_dataset: Option<Manifest>,
    /// WebGPU, once started (it can only be initialised once per worker).
    #[cfg_attr(not(feature = "webgpu"), allow(dead_code))]
    pub webgpu: Option<Device>,
    /// Why the browser lost the GPU device (`GPUDevice.lost`), once it has.
    pub webgpu_lost: Option<String>,
    /// Both backends as measured on this adapter before (`ToWorker::Remembered`).
    pub remembered: Option<crate::device::Measured>,
    /// The run's checkpoint, mirrored to IndexedDB after every epoch.
    pub ckpt: Option<Checkpoint>,
}

impl Shared {
    pub fn set_reply(&mut self, reply: Reply) {
        self.reply = Some(reply);
    }

    /// Post to the page; messages that draw curves and results also go into the checkpoint's
    /// log, to be replayed on resume.
    pub fn send(&mut self, msg: FromWorker) {
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
        if let Some(reply) = &self.reply {
            reply(msg);
        }
    }

    /// The dataset the lab works on: the last run's, else the one an import was checked against.
    pub fn manifest(&self) -> Option<&Manifest> {
        (self.loaded.as_ref().map(|l| &l.manifest)).or(self.import_dataset.as_ref())
    }

    pub fn model(&self, role: Role) -> Option<&Model> {
        self.models.iter().find(|m| m.role == role)
    }

    pub fn set_model(&mut self, model: Model) {
        self.models.retain(|m| m.role != model.role);
        self.models.push(model);
    }

    /// A long task starts: a fresh run state.
    pub fn begin(&mut self) {
        self.run = RunState::Running;
    }
}

pub type SharedRef = Rc<RefCell<Shared>>;

/// Post a message (borrowing the shared state only for the moment).
pub fn send(shared: &SharedRef, msg: FromWorker) {
    shared.borrow_mut().send(msg);
}

/// A non-fatal error for the page.
pub fn say_error(shared: &SharedRef, message: String) {
    send(
        shared,
        FromWorker::Error {
            message,
            fatal: false,
        },
    );
}

/// Whether the page asked the current task to stop.
pub fn stopped(shared: &SharedRef) -> bool {
    shared.borrow().run == RunState::Stopping
}

/// The long task ended, however it ended.
pub fn end(shared: &SharedRef) {
    shared.borrow_mut().run = RunState::Idle;
}
