//! The page's runs beyond classic distillation: deep mutual learning (the method's student and
//! a peer, a second student or a CNN, trained together from scratch beside the baseline) and
//! FitNets' hint stage before the distilled student's classic distillation.

use super::hooks::{self, CohortWeb, WebHooks};
use super::run::{Halt, check, publish_result, stopped, train_config};
use super::{Model, SharedRef, send};
use crate::checkpoint::{Checkpoint, RoleState};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::distill::Method;
use crate::model::snapshot::{self, Network};
use crate::model::{self, Classifier, StudentConfig, TeacherConfig};
use crate::protocol::{FromWorker, Phase, Role};
use crate::settings::{MUTUAL_T, Settings};
use crate::train::cohort::PEER_SEED_OFFSET;
use crate::train::{self, Cohort, Control, FitOptions, Member, Objective, Trainer};
use burn::prelude::*;
use std::rc::Rc;

/// What a run's training phases share.
pub struct Env<'a> {
    pub shared: &'a SharedRef,
    pub settings: &'a Settings,
    pub resume: Option<&'a Checkpoint>,
    /// The plain device (validation, the explorer) and its autodiff twin (training).
    pub device: Device,
    pub ad: Device,
    pub train: Rc<Split>,
    pub test: Rc<Split>,
    pub norm: Norm,
    pub opts: FitOptions,
    pub classes: usize,
}

/// `fresh` with the weights the checkpoint holds for `role`, and that role's saved state.
pub fn resumed<M: Module>(
    resume: Option<&Checkpoint>,
    role: Role,
    fresh: M,
) -> Result<(M, Option<RoleState>), Halt> {
    match resume.and_then(|c| c.role(role)) {
        Some((state, record)) => {
            let m = snapshot::load_record(role.key(), fresh, record.to_vec())
                .map_err(|e| Halt::Fail(e.to_string()))?;
            Ok((m, Some(state.clone())))
        }
        None => Ok((fresh, None)),
    }
}

/// `t` continued from a checkpoint's `state`, if there is one.
fn restored<M: Classifier>(state: Option<RoleState>, mut t: Trainer<M>) -> Trainer<M> {
    if let Some(st) = state {
        t.restore(st.epoch, st.lr, st.schedule);
    }
    t
}

/// Rows `[n, width]` computed `EVAL_BATCH` samples at a time by `rows`, yielding between
/// batches and posting `Phase::Caching` progress; `None` if the page said stop.
pub async fn cache(
    shared: &SharedRef,
    n: usize,
    rows: impl Fn(&[usize]) -> Tensor<2>,
) -> Option<Tensor<2>> {
    send(shared, FromWorker::Phase(Phase::Caching { done: 0, of: n }));
    let idx: Vec<usize> = (0..n).collect();
    let mut parts = Vec::new();
    let mut slice = hooks::Slice::new();
    for (i, chunk) in idx.chunks(hooks::EVAL_BATCH).enumerate() {
        parts.push(rows(chunk));
        if slice.used_up() {
            let done = ((i + 1) * hooks::EVAL_BATCH).min(n);
            send(shared, FromWorker::Phase(Phase::Caching { done, of: n }));
        }
        if slice.check(shared).await == Control::Stop {
            return None;
        }
    }
    Some(Tensor::cat(parts, 0))
}

/// Deep mutual learning: the method's student (`Distilled`) and its peer (`Peer`, a student;
/// or `Teacher`, a CNN) from scratch, side by side with the baseline. The student starts from
/// the baseline's initial weights, data order and masks; the peer from seeds of its own.
pub async fn mutual(env: &Env<'_>) -> Result<Phase, Halt> {
    let (s, shared, ad) = (env.settings, env.shared, &env.ad);
    let n = env.train.len();
    send(shared, FromWorker::Phase(Phase::Students));
    if s.labelled(n).is_some() {
        send(
            shared,
            FromWorker::Notice(
                "Deep mutual learning learns from labels only: every training sample is used labelled (labels= applies to classic distillation and FitNets).".into(),
            ),
        );
    }
    let cfg = train_config(s, s.seed);
    model::seed(ad, cfg.seed);
    let student = StudentConfig::new(env.classes).init(ad);
    let peer_seed = cfg.seed.wrapping_add(PEER_SEED_OFFSET);
    model::seed(ad, peer_seed);
    let peer_role = if s.method == Method::MutualTeacher {
        Role::Teacher
    } else {
        Role::Peer
    };
    let mutual = Objective::Mutual {
        temperature: MUTUAL_T,
    };
    let peer = if peer_role == Role::Teacher {
        let (cnn, st) = resumed(
            env.resume,
            peer_role,
            TeacherConfig::new(env.classes).init(ad),
        )?;
        let t = Trainer::new(cnn, cfg.clone(), mutual.clone(), n, ad).with_mask_seed(peer_seed);
        Member::Teacher(restored(st, t))
    } else {
        let (mlp, st) = resumed(
            env.resume,
            peer_role,
            StudentConfig::new(env.classes).init(ad),
        )?;
        let t = Trainer::new(mlp, cfg.clone(), mutual.clone(), n, ad).with_mask_seed(peer_seed);
        Member::Student(restored(st, t))
    };
    let (own, st) = resumed(env.resume, Role::Distilled, student.clone())?;
    let own = restored(st, Trainer::new(own, cfg.clone(), mutual, n, ad));
    let (base, st) = resumed(env.resume, Role::Baseline, student)?;
    let mut baseline = restored(
        st,
        Trainer::new(base, cfg.clone(), Objective::CrossEntropy, n, ad),
    );
    let mut cohort = Cohort::new(vec![Member::Student(own), peer], MUTUAL_T)?;
    let plan = (cfg.epochs, baseline.steps_per_epoch());
    let mut hb = WebHooks::new(
        shared.clone(),
        Role::Baseline,
        &baseline,
        &env.device,
        false,
    );
    let mut hc = CohortWeb {
        members: [Role::Distilled, peer_role]
            .map(|r| WebHooks::with_plan(shared.clone(), r, plan, &env.device, false))
            .into(),
    };
    let (train_set, test) = (&*env.train, &*env.test);
    let (eb, ec) = futures::join!(
        train::fit(
            &mut baseline,
            train_set,
            test,
            env.norm,
            &env.device,
            env.opts,
            &mut hb
        ),
        train::fit_cohort(
            &mut cohort,
            train_set,
            test,
            env.norm,
            &env.device,
            env.opts,
            &mut hc
        ),
    );
    let ok_b = check(shared, Role::Baseline, eb)?;
    let ok_c = check(shared, Role::Distilled, ec)?;
    let mut finished: Vec<(Role, Network, usize)> = Vec::new();
    if ok_b {
        finished.push((
            Role::Baseline,
            baseline.model().valid().into(),
            baseline.epoch(),
        ));
    }
    if ok_c {
        for (role, m) in [Role::Distilled, peer_role]
            .into_iter()
            .zip(cohort.members())
        {
            finished.push((role, m.network(), m.epoch()));
        }
    }
    for (role, net, epochs) in finished {
        shared.borrow_mut().set_model(Model {
            role,
            net: net.clone(),
            device: env.device.clone(),
        });
        publish_result(shared, role, &net, epochs, &env.device).await;
    }
    super::tools::send_logits(shared.clone(), false).await;
    Ok(if ok_b && ok_c && !stopped(shared) {
        Phase::Done
    } else {
        Phase::Stopped
    })
}
