//! The training worker: owns the device, the models, the shards and the trainers. The page
//! talks to it only through [`crate::protocol`] messages; this file routes each one. Modules
//! import downwards only: `web`, `idb`, `data`, `error` → `state` → `backend`, `explorer`,
//! `checkpoints` → `hooks` → `outcome`, `start` → `load` → `shell` → `teacher`, `students` →
//! `run`, `sweep`, `bench`, `files` → this file.

mod backend;
mod bench;
mod checkpoints;
mod data;
mod error;
mod explorer;
mod files;
mod hooks;
mod idb;
mod load;
mod outcome;
mod run;
mod shell;
mod start;
mod state;
mod students;
mod sweep;
mod teacher;
mod web;

use crate::protocol::{FromWorker, Role, ToWorker};
use gloo_worker::{HandlerId, Worker, WorkerScope};
use state::{Shared, SharedRef};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

pub struct TrainingWorker {
    shared: SharedRef,
}

impl Worker for TrainingWorker {
    type Message = ();
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        web::install_panic_reporter();
        spawn_local(web::heartbeat());
        TrainingWorker {
            shared: Rc::new(RefCell::new(Shared::default())),
        }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, scope: &WorkerScope<Self>, msg: ToWorker, id: HandlerId) {
        let shared = self.shared.clone();
        let reply: state::Reply = {
            let scope = scope.clone();
            Rc::new(move |m| scope.respond(id, m))
        };
        web::set_reporter(reply.clone());
        let mut s = shared.borrow_mut();
        s.set_reply(reply);
        if !begin_if_long(&mut s, &msg) {
            return;
        }
        match msg {
            ToWorker::Hello => {
                drop(s);
                spawn_local(checkpoints::offer(shared));
            }
            ToWorker::Start(settings) => {
                // Keep only the networks loaded from files; trained ones are trained again.
                let imported: Vec<Role> = s.imported.iter().map(|(r, _, _)| *r).collect();
                s.models.retain(|m| imported.contains(&m.role));
                drop(s);
                spawn_local(run::run(shared, settings, None, false));
            }
            ToWorker::ResumeFromCheckpoint { cpu } => {
                drop(s);
                spawn_local(run::resume(shared, cpu));
            }
            ToWorker::DiscardCheckpoint => {
                s.ckpt = None;
                drop(s);
                spawn_local(idb::clear());
            }
            ToWorker::Pause => s.run = s.run.after(Some(true)),
            ToWorker::Unpause => s.run = s.run.after(Some(false)),
            ToWorker::Stop => s.run = s.run.after(None),
            ToWorker::Inspect(samples) => {
                s.inspect = samples;
                drop(s);
                spawn_local(explorer::send_logits(shared, true));
            }
            ToWorker::Classify(pixels) => {
                drop(s);
                spawn_local(explorer::classify(shared, pixels));
            }
            ToWorker::Export(role) => {
                drop(s);
                spawn_local(files::export(shared, role));
            }
            ToWorker::Import {
                id,
                name,
                bytes,
                settings,
            } => {
                drop(s);
                spawn_local(files::import(shared, id, name, bytes, settings));
            }
            ToWorker::Sweep(spec) => {
                drop(s);
                spawn_local(sweep::sweep(shared, spec));
            }
            ToWorker::Bench { cpu } => {
                drop(s);
                spawn_local(bench::bench(shared, cpu));
            }
            ToWorker::Remembered(m) => s.remembered = m,
        }
    }
}

/// A run, a resumed run, a sweep or a speed test: the worker's one long task, begun here unless
/// one is already going (then the page hears so and the message is dropped). False if dropped.
fn begin_if_long(s: &mut Shared, msg: &ToWorker) -> bool {
    let long_task = matches!(
        msg,
        ToWorker::Start(_)
            | ToWorker::ResumeFromCheckpoint { .. }
            | ToWorker::Sweep(_)
            | ToWorker::Bench { .. }
    );
    if long_task && s.run.busy() {
        let notice = "a run is already going; stop it first";
        s.send(FromWorker::Notice(notice.into()));
        return false;
    }
    if long_task {
        s.begin();
    }
    true
}
