//! The students' phase: the baseline and the method's student side by side from the same
//! initial weights, seeded as the CLI seeds them (`distill train`/`sweep --seed`), so the
//! page's seed N is the CLI's seed N. FitNets runs its hint stage first, on the same curve.

use super::error::WorkerError;
use super::hooks::WebHooks;
use super::load::Env;
use super::outcome::{check, finish};
use super::start;
use super::state::send;
use crate::distill::Method;
use crate::model::snapshot::{self, Network};
use crate::model::{self, HintedStudent, Student, StudentConfig};
use crate::protocol::{FromWorker, Phase, Role};
use crate::settings;
use crate::train::{self, FitEnd, FitError, Objective, Teaching, TrainConfig, Trainer};
use burn::prelude::*;
use std::rc::Rc;

pub async fn students(env: &Env<'_>, teaching: Teaching) -> Result<Phase, WorkerError> {
    let (shared, s, ad, device) = (env.shared, env.settings, &env.ad, &env.device);
    send(shared, FromWorker::Phase(Phase::Students));
    model::seed(ad, s.seed);
    let student = StudentConfig::new(env.classes).init(ad);
    let cfg = s.train_config();
    let (train_set, n) = (&env.train, env.train.len());
    // With fewer labels than samples the baseline learns from the labelled ones alone
    // (repeated to full-size epochs); the distilled student from all n, the rest unlabelled.
    let labelled = s.labelled(n);
    let base_set = match labelled {
        Some(k) => Rc::new(train_set.repeated(k, settings::LABELLED_EPOCH)),
        None => train_set.clone(),
    };
    let distill = teaching.objective(s.distill_config(), labelled)?;
    let hints = teaching.targets.and_then(|t| t.hints);
    let mut baseline = Trainer::new(
        student.clone(),
        cfg.clone(),
        Objective::CrossEntropy,
        base_set.len(),
        ad,
    );
    let mut distilled = Trainer::new(student.clone(), cfg.clone(), distill, n, ad);
    resume_student(env, Role::Baseline, &mut baseline, &student, &cfg).await?;
    resume_student(env, Role::Distilled, &mut distilled, &student, &cfg).await?;
    let mut hb = WebHooks::new(shared.clone(), Role::Baseline, &baseline, device, false);
    let mut hd = WebHooks::new(shared.clone(), Role::Distilled, &distilled, device, false);
    if s.method == Method::FitNets && hints.is_none() {
        // Resumed in FitNets' stage 2: its curve goes on after the hint stage's epochs.
        let hint_steps = s.hint_epochs * distilled.steps_per_epoch();
        hd = hd.after(s.hint_epochs, hint_steps);
    }
    let (test, norm, opts) = (&*env.test, env.norm, env.opts);
    let distilled_run = async {
        if let Some((hints, width)) = hints {
            let Some((hinted, steps)) =
                fitnets_hints(env, student.clone(), width, hints, &cfg).await?
            else {
                return Ok(FitEnd::Stopped);
            };
            let objective = distilled.objective().clone();
            distilled = Trainer::new(hinted, cfg.clone(), objective, n, ad);
            hd = WebHooks::new(shared.clone(), Role::Distilled, &distilled, device, false)
                .after(s.hint_epochs, steps);
            let describe = s.distill_config().describe();
            let notice = format!(
                "FitNets stage 2: classic distillation from the hinted weights ({describe})."
            );
            send(shared, FromWorker::Notice(notice));
        }
        train::fit(&mut distilled, train_set, test, norm, device, opts, &mut hd).await
    };
    let (eb, ed) = futures::join!(
        train::fit(&mut baseline, &base_set, test, norm, device, opts, &mut hb),
        distilled_run,
    );
    let ok_b = check(shared, Role::Baseline, eb)?;
    let ok_d = check(shared, Role::Distilled, ed)?;
    let mut finished: Vec<(Role, Network, usize)> = Vec::new();
    for (role, t, ok) in [
        (Role::Baseline, &baseline, ok_b),
        (Role::Distilled, &distilled, ok_d),
    ] {
        if ok {
            finished.push((role, t.model().valid().into(), t.epoch()));
        }
    }
    Ok(finish(shared, finished, device, ok_b && ok_d).await)
}

/// `t` from the weights the run starts `role` from (checkpoint or uploaded file), if any: a
/// checkpoint's schedule goes on, an uploaded student counts as trained.
async fn resume_student(
    env: &Env<'_>,
    role: Role,
    t: &mut Trainer<Student>,
    fresh: &Student,
    cfg: &TrainConfig,
) -> Result<(), WorkerError> {
    let Some((record, state)) = start::weights(env.shared, env.settings, role, env.resume).await?
    else {
        return Ok(());
    };
    let loaded = snapshot::load_record(role.key(), fresh.clone(), record)?;
    let (objective, size) = (t.objective().clone(), t.samples());
    *t = Trainer::new(loaded, cfg.clone(), objective, size, &env.ad);
    match state {
        Some(st) => t.restore(st.epoch, st.lr, st.schedule),
        None => t.restore(cfg.epochs, env.settings.lr(), t.schedule().clone()),
    }
    Ok(())
}

/// FitNets' stage 1 in the page: `student` with a fresh regressor to the teacher's `width`-unit
/// hint layer, fit to the cached `hints` for the hint epochs (no schedule), posted as the
/// distilled student's first epochs but never checkpointed. Returns the student without its
/// regressor and the steps taken, or `None` if the page said stop.
async fn fitnets_hints(
    env: &Env<'_>,
    student: Student,
    width: usize,
    hints: Tensor<2>,
    cfg: &TrainConfig,
) -> Result<Option<(Student, usize)>, FitError> {
    let s = env.settings;
    let stage1 = TrainConfig {
        epochs: s.hint_epochs,
        plateau: false,
        early_stopping: false,
        ..cfg.clone()
    };
    let hinted = HintedStudent::new(student, width, &env.ad);
    let objective = Objective::Hint {
        teacher_hints: hints,
    };
    let mut t = Trainer::new(hinted, stage1, objective, env.train.len(), &env.ad);
    let mut h = WebHooks::new(env.shared.clone(), Role::Distilled, &t, &env.device, false)
        .without_checkpoints();
    send(
        env.shared,
        FromWorker::Notice(format!(
            "FitNets stage 1: {} epochs fitting the student's 512 hidden units to the teacher's 1024 through a learned regressor (½‖h_t − W·h_s‖²; the curve is that loss, and the output layer is not trained yet, so accuracy stays near chance).",
            s.hint_epochs
        )),
    );
    let (train_set, test) = (&*env.train, &*env.test);
    let end = train::fit(
        &mut t,
        train_set,
        test,
        env.norm,
        &env.device,
        env.opts,
        &mut h,
    );
    match end.await? {
        FitEnd::Stopped => Ok(None),
        _ => {
            let steps = t.steps();
            Ok(Some((t.into_model().into_student(), steps)))
        }
    }
}
