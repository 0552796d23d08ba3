//! The teacher's phases: train it (or take it from a checkpoint, an uploaded file or the
//! server), then cache its outputs over the training set once, as the study does.

use super::error::WorkerError;
use super::explorer;
use super::hooks::Slice;
use super::load::Env;
use super::outcome::{check, publish_result};
use super::shell::PageRun;
use super::state::{Model, SharedRef, send, stopped};
use crate::distill::Method;
use crate::model::Teacher;
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Phase, Role};
use crate::train::{self, Control, LogitCache, Targets, Teach, Teaching};
use burn::prelude::*;

/// The run's teacher, trained or loaded (the core's [`train::run_teacher`] with the page's
/// hooks), in eval mode; `None` if the page said stop.
pub async fn teacher(env: &Env<'_>) -> Result<Option<Teacher>, WorkerError> {
    let (shared, s) = (env.shared, env.settings());
    send(shared, FromWorker::Phase(Phase::Training(Role::Teacher)));
    let (cfg, sets) = (s.teacher_train_config(), env.sets(&env.data.train));
    let (teacher, fitted) =
        train::run_teacher(env.classes(), &cfg, &sets, &mut PageRun::new(env)).await?;
    if let Some((end, _)) = fitted
        && (!check(shared, Role::Teacher, end)? || stopped(shared))
    {
        return Ok(None);
    }
    let eval: Network = teacher.model().valid().into();
    shared.borrow_mut().set_model(Model {
        role: Role::Teacher,
        net: eval.clone(),
        device: env.device.clone(),
    });
    publish_result(shared, Role::Teacher, &eval, teacher.epoch(), &env.device).await;
    wasm_bindgen_futures::spawn_local(explorer::send_logits(shared.clone(), false));
    Ok(Some(teacher.model().valid()))
}

/// What the teacher gives the students ([`train::teach`]): its logits over the training set
/// (or over K views of it; for FitNets before its stage 2, its hint layer too), posting
/// `Phase::Caching` as it goes, or the teacher itself for function matching. `None` if the page
/// said stop.
pub async fn cache(env: &Env<'_>, teacher: Teacher) -> Result<Option<Teaching>, WorkerError> {
    let past_hints = env.resume.and_then(|c| c.role(Role::Distilled)).is_some();
    let s = env.settings();
    let with_hints = s.method == Method::FitNets && !past_hints;
    let how = env.teach(teacher, with_hints, &s.train_config())?;
    let shared = env.shared;
    if let Teach::Cache(c) = &how {
        let of = c.progress().1; // n rows, or K · n with views
        send(shared, FromWorker::Phase(Phase::Caching { done: 0, of }));
    }
    let progress = |done, of| send(shared, FromWorker::Phase(Phase::Caching { done, of }));
    Ok(teaching(shared, how, progress).await)
}

/// [`fill`] a cache, or pass the live teacher on: what the students learn from. `None` if the
/// page said stop.
pub async fn teaching(
    shared: &SharedRef,
    how: Teach<'_>,
    progress: impl Fn(usize, usize),
) -> Option<Teaching> {
    match how {
        Teach::Live(teacher) => Some(Teaching {
            targets: None,
            live: Some(teacher),
        }),
        Teach::Cache(cache) => fill(shared, cache, progress).await.map(|t| Teaching {
            targets: Some(t),
            live: None,
        }),
    }
}

/// Run `cache` a batch at a time, letting messages in between (`progress` as slices end): on
/// the CPU backend a batch runs as it is queued, so Stop and Pause must work and the page shows
/// how far it got; on a GPU queueing is instant. `None` if the page said stop.
pub async fn fill(
    shared: &SharedRef,
    mut cache: LogitCache<'_>,
    progress: impl Fn(usize, usize),
) -> Option<Targets> {
    let mut slice = Slice::new();
    while cache.step() {
        if slice.used_up() {
            let (done, of) = cache.progress();
            progress(done, of);
        }
        if slice.check(shared).await == Control::Stop {
            return None;
        }
    }
    Some(cache.finish())
}
