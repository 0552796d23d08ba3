//! The students' phase in the page: the core's [`train::run_students`] (the baseline beside the
//! method's student, FitNets' stages, or a deep-mutual-learning cohort), seeded as the CLI
//! seeds it, so the page's seed N is the CLI's seed N, with the page's hooks ([`PageRun`]);
//! then the results.

use super::error::WorkerError;
use super::hooks::{CohortWeb, WebHooks};
use super::load::Env;
use super::outcome::{check, finish};
use super::shell::PageRun;
use super::state::send;
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Phase, Role};
use crate::settings;
use crate::train::{self, StudentsRun, Taught, Teaching};
use burn::prelude::*;
use std::rc::Rc;

pub async fn students(env: &Env<'_>, teaching: Teaching) -> Result<Phase, WorkerError> {
    let (shared, s) = (env.shared, env.settings());
    send(shared, FromWorker::Phase(Phase::Students));
    let n = env.data.train.len();
    let mutual = s.method.is_mutual();
    // With fewer labels than samples the baseline learns from the labelled ones alone
    // (repeated to full-size epochs), the distilled student from all n, the rest unlabelled;
    // deep mutual learning uses every sample labelled.
    let labelled = s.labelled(n);
    let base_set = match labelled {
        Some(k) if !mutual => Rc::new(env.data.train.repeated(k, settings::LABELLED_EPOCH)),
        _ => env.data.train.clone(),
    };
    let sets = env.sets(&base_set);
    let spec = env.data.experiment().students;
    let run = train::run_students(&spec, &sets, &teaching, &mut PageRun::new(env)).await?;
    let (finished, ok) = outcome(env, run)?;
    Ok(finish(shared, finished, &env.device, ok).await)
}

/// The networks that finished, by role, with their epochs; and whether all did.
#[allow(clippy::type_complexity)] // One use: the students' outcome.
fn outcome(
    env: &Env<'_>,
    run: StudentsRun<WebHooks, CohortWeb>,
) -> Result<(Vec<(Role, Network, usize)>, bool), WorkerError> {
    let shared = env.shared;
    let mut finished: Vec<(Role, Network, usize)> = Vec::new();
    let mut all = true;
    if let Some(b) = run.baseline {
        let ok = check(shared, Role::Baseline, b.end)?;
        if ok {
            finished.push((
                Role::Baseline,
                b.trainer.model().valid().into(),
                b.trainer.epoch(),
            ));
        }
        all &= ok;
    }
    match run.taught {
        Some(Taught::Student { student, .. }) => {
            let ok = check(shared, Role::Distilled, student.end)?;
            if ok {
                let t = &student.trainer;
                finished.push((Role::Distilled, t.model().valid().into(), t.epoch()));
            }
            all &= ok;
        }
        Some(Taught::Cohort {
            cohort, end, peer, ..
        }) => {
            let ok = check(shared, Role::Distilled, end)?;
            if ok {
                for (role, m) in [Role::Distilled, peer].into_iter().zip(cohort.members()) {
                    finished.push((role, m.network(), m.epoch()));
                }
            }
            all &= ok;
        }
        None => {}
    }
    Ok((finished, all))
}
