//! Deep mutual learning in the page: the method's student and a peer (a second student or a
//! CNN) trained together from scratch, beside the baseline.

use super::error::WorkerError;
use super::hooks::{CohortWeb, WebHooks};
use super::load::Env;
use super::outcome::{check, finish};
use super::start::{restored, resumed};
use super::state::send;
use crate::distill::Method;
use crate::model::snapshot::Network;
use crate::model::{self, StudentConfig, TeacherConfig};
use crate::protocol::{FromWorker, Phase, Role};
use crate::settings::MUTUAL_T;
use crate::train::cohort::PEER_SEED_OFFSET;
use crate::train::{self, Cohort, Member, Objective, TrainConfig, Trainer};
use burn::prelude::*;

/// Deep mutual learning: the method's student (`Distilled`) and its peer (`Peer`, a student;
/// or `Teacher`, a CNN) from scratch, side by side with the baseline. The student starts from
/// the baseline's initial weights, data order and masks; the peer from seeds of its own.
pub async fn mutual(env: &Env<'_>) -> Result<Phase, WorkerError> {
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
    let cfg = s.train_config();
    model::seed(ad, cfg.seed);
    let student = StudentConfig::new(env.classes).init(ad);
    let (peer, peer_role) = peer(env, &cfg)?;
    let mutual = Objective::Mutual {
        temperature: MUTUAL_T,
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
        let net = baseline.model().valid().into();
        finished.push((Role::Baseline, net, baseline.epoch()));
    }
    if ok_c {
        for (role, m) in [Role::Distilled, peer_role]
            .into_iter()
            .zip(cohort.members())
        {
            finished.push((role, m.network(), m.epoch()));
        }
    }
    Ok(finish(shared, finished, &env.device, ok_b && ok_c).await)
}

/// The cohort's second member, from a seed of its own (weights and dropout masks): a student
/// (`Peer`) or, for `dml-cnn`, a teacher CNN (`Teacher`); restored from the checkpoint if any.
fn peer(env: &Env<'_>, cfg: &TrainConfig) -> Result<(Member, Role), WorkerError> {
    let (ad, n, classes) = (&env.ad, env.train.len(), env.classes);
    let peer_seed = cfg.seed.wrapping_add(PEER_SEED_OFFSET);
    model::seed(ad, peer_seed);
    let mutual = Objective::Mutual {
        temperature: MUTUAL_T,
    };
    if env.settings.method == Method::MutualTeacher {
        let fresh = TeacherConfig::new(classes).init(ad);
        let (cnn, st) = resumed(env.resume, Role::Teacher, fresh)?;
        let t = Trainer::new(cnn, cfg.clone(), mutual, n, ad).with_mask_seed(peer_seed);
        Ok((Member::Teacher(restored(st, t)), Role::Teacher))
    } else {
        let fresh = StudentConfig::new(classes).init(ad);
        let (mlp, st) = resumed(env.resume, Role::Peer, fresh)?;
        let t = Trainer::new(mlp, cfg.clone(), mutual, n, ad).with_mask_seed(peer_seed);
        Ok((Member::Student(restored(st, t)), Role::Peer))
    }
}
