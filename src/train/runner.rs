//! An experiment's networks, built and trained once for the CLI and the page: the teacher
//! ([`run_teacher`]), then the students ([`run_students`]) — the label-only baseline and the
//! method's student from the same seeded initial weights, data order and dropout masks: classic
//! distillation, FitNets (its hint stage, then distillation from the hinted weights), or a
//! deep-mutual-learning cohort (the student and a peer with seeds of its own). Between them the
//! teacher's targets are cached ([`super::teach`]). The shells supply [`RunHooks`]: where a
//! network starts (a checkpoint, a weights file), each fit's progress, what to tell the user.

use super::cohort::PEER_SEED_OFFSET;
use super::{
    Cohort, CohortHooks, FitEnd, FitError, FitHooks, FitOptions, Member, Objective, Role, Teaching,
    TrainConfig, Trainer, fit, fit_cohort,
};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::distill::{DistillConfig, Method};
use crate::model::{
    self, Classifier, HintedStudent, Student, StudentConfig, Teacher, TeacherConfig,
};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which students to train, and how: what the page's settings (`Settings::students_spec`) and
/// the CLI's flags (`distill sweep`, `distill train`) both convert into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentsSpec {
    pub classes: usize,
    /// The baseline's loop; every student's, but for FitNets' hint stage.
    pub cfg: TrainConfig,
    /// Train the label-only baseline.
    pub baseline: bool,
    /// The method's student, if any.
    pub method: Option<Method>,
    /// Classic distillation and FitNets' second stage.
    pub distill: DistillConfig,
    /// FitNets' stage-1 epochs (at least one runs).
    pub hint_epochs: usize,
    /// Deep mutual learning's temperature.
    pub mutual_t: f32,
    /// Classic distillation and FitNets: only the first k training samples carry labels.
    pub labelled: Option<usize>,
}

/// Where the students train and validate.
pub struct Sets<'a> {
    /// What the method's student sees (the teacher's targets are cached over it).
    pub train: &'a Split,
    /// The baseline's set: `train`, or its labelled samples repeated to full-size epochs.
    pub baseline_train: &'a Split,
    pub test: &'a Split,
    pub norm: Norm,
    /// The plain device (validation); the networks train on its autodiff form.
    pub device: &'a Device,
    pub opts: FitOptions,
}

/// Where a fit sits on its network's curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The whole run.
    Whole,
    /// FitNets' stage 1: the hinted student fits the teacher's hint layer (not a student yet:
    /// nothing to checkpoint).
    Hints,
    /// FitNets' stage 2, after `epochs` hint epochs of `steps` steps in all.
    AfterHints { epochs: usize, steps: usize },
}

/// What the runner tells the user along the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// FitNets' stage 1 starts: `epochs` epochs fitting the hint layer.
    HintStage { epochs: usize },
    /// FitNets' stage 2 starts: classic distillation from the hinted weights (`loss` in words).
    SecondStage { loss: String },
    /// Deep mutual learning ignores `labelled`: every sample is used labelled.
    MutualUsesAllLabels,
}

/// What differs between the CLI and the page.
#[allow(async_fn_in_trait)] // Awaited where made, as `FitHooks`.
pub trait RunHooks {
    type Error: From<String>;
    /// Progress of one network's fit.
    type Fit: FitHooks<Teacher> + FitHooks<Student> + FitHooks<HintedStudent>;
    /// Progress of a cohort's fit.
    type Cohort: CohortHooks;
    /// `t`, freshly built for `role`, as the run starts it: unchanged, or with weights and a
    /// schedule restored (a checkpoint, a weights file the user loaded; one that needs no more
    /// training is [`Trainer::stop_here`]'d, and is not fitted).
    async fn start<M: Classifier>(
        &mut self,
        role: Role,
        t: Trainer<M>,
    ) -> Result<Trainer<M>, Self::Error>;
    /// Progress for `role`'s fit of `t` in `stage`.
    fn fit<M: Classifier>(&mut self, role: Role, t: &Trainer<M>, stage: Stage) -> Self::Fit;
    /// Progress for a cohort whose members post as `roles`, each `plan` = (epochs, steps per
    /// epoch).
    fn cohort(&mut self, roles: [Role; 2], plan: (usize, usize)) -> Self::Cohort;
    fn event(&mut self, event: Event);
}

/// One network's fit: the trainer as it ended, how it ended, and its hooks (with whatever
/// they gathered).
pub struct Fitted<M: Classifier, H> {
    pub trainer: Trainer<M>,
    pub end: Result<FitEnd, FitError>,
    pub hooks: H,
}

/// The method's side of a run.
#[allow(clippy::large_enum_variant)] // One per run, moved a few times: not worth a box.
pub enum Taught<H, C> {
    /// Classic distillation or FitNets (`hints`: its stage 1, when it ran here; the hinted
    /// network itself became the student).
    Student {
        student: Fitted<Student, H>,
        hints: Option<(Result<FitEnd, FitError>, H)>,
    },
    /// Deep mutual learning: the cohort (member 0 the student, member 1 the peer posting as
    /// `peer`).
    Cohort {
        cohort: Cohort,
        end: Result<FitEnd, FitError>,
        hooks: C,
        peer: Role,
    },
}

pub struct StudentsRun<H, C> {
    pub baseline: Option<Fitted<Student, H>>,
    pub taught: Option<Taught<H, C>>,
}

/// The teacher CNN of `classes` classes under `cfg`, seeded by it, started where the hooks say
/// and fitted on `sets.train` unless it starts trained.
pub async fn run_teacher<H: RunHooks>(
    classes: usize,
    cfg: &TrainConfig,
    sets: &Sets<'_>,
    hooks: &mut H,
) -> Result<(Trainer<Teacher>, Option<(Result<FitEnd, FitError>, H::Fit)>), H::Error> {
    let ad = sets.device.clone().autodiff();
    model::seed(&ad, cfg.seed);
    let init = TeacherConfig::new(classes).init(&ad);
    let n = sets.train.len();
    let t = Trainer::new(init, cfg.clone(), Objective::CrossEntropy, n, &ad);
    let mut t = hooks.start(Role::Teacher, t).await?;
    if t.finished() {
        return Ok((t, None));
    }
    let mut h = hooks.fit(Role::Teacher, &t, Stage::Whole);
    let end = fit_on(&mut t, sets.train, sets, &mut h).await;
    Ok((t, Some((end, h))))
}

/// Train the students `spec` asks for on `sets`, the method's from `teaching` (its cached
/// targets, hint layer, or live teacher). The baseline and the method's student run side by
/// side (interleaved where the hooks yield), so both curves grow together in the page.
pub async fn run_students<H: RunHooks>(
    spec: &StudentsSpec,
    sets: &Sets<'_>,
    teaching: &Teaching,
    hooks: &mut H,
) -> Result<StudentsRun<H::Fit, H::Cohort>, H::Error> {
    let ad = sets.device.clone().autodiff();
    let cfg = &spec.cfg;
    model::seed(&ad, cfg.seed);
    let init = StudentConfig::new(spec.classes).init(&ad);
    let baseline = match spec.baseline {
        true => {
            let n = sets.baseline_train.len();
            let t = Trainer::new(init.clone(), cfg.clone(), Objective::CrossEntropy, n, &ad);
            Some(hooks.start(Role::Baseline, t).await?)
        }
        false => None,
    };
    let side = match spec.method {
        None => None,
        Some(m) if m.is_mutual() => Some(cohort(spec, m, init, sets, hooks).await?),
        Some(m) => {
            let objective = teaching.objective(spec.distill, spec.labelled)?;
            let n = sets.train.len();
            let t = Trainer::new(init, cfg.clone(), objective, n, &ad);
            let student = hooks.start(Role::Distilled, t).await?;
            let epochs = spec.hint_epochs.max(1);
            let hints = match (m, teaching.targets.as_ref().and_then(|t| t.hints.clone())) {
                (Method::FitNets, Some((h, width))) if student.epoch() == 0 => {
                    HintPlan::Run(h, width, epochs)
                }
                // Started trained, or resumed in stage 2 (stage 1 is never checkpointed, so no
                // hint layer is cached for it).
                (Method::FitNets, _) => HintPlan::Done(epochs),
                _ => HintPlan::None,
            };
            Some(TaughtSide::Student { student, hints })
        }
    };
    Ok(beside(spec, baseline, side, sets, hooks).await)
}

/// FitNets' stage 1 as planned.
#[allow(clippy::large_enum_variant)] // One per run, moved a few times: not worth a box.
enum HintPlan {
    None,
    /// Fit the hinted student to these hints (the teacher's hint layer, `width` units wide)
    /// for `epochs` epochs.
    Run(Tensor<2>, usize, usize),
    /// Already run, `epochs` epochs (a resumed stage 2, or a student that starts trained).
    Done(usize),
}

/// The method's networks, built and started, before their fit.
#[allow(clippy::large_enum_variant)] // One per run, moved a few times: not worth a box.
enum TaughtSide {
    Student {
        student: Trainer<Student>,
        hints: HintPlan,
    },
    Cohort {
        cohort: Cohort,
        peer: Role,
    },
}

/// The deep-mutual-learning cohort: the student from `init` (the baseline's weights, data
/// order and masks) and a peer (a student, or a CNN for [`Method::MutualTeacher`]) from seeds of
/// its own.
async fn cohort<H: RunHooks>(
    spec: &StudentsSpec,
    method: Method,
    init: Student,
    sets: &Sets<'_>,
    hooks: &mut H,
) -> Result<TaughtSide, H::Error> {
    if spec.labelled.is_some() {
        hooks.event(Event::MutualUsesAllLabels);
    }
    let (ad, cfg, n) = (sets.device.clone().autodiff(), &spec.cfg, sets.train.len());
    let mutual = || Objective::Mutual {
        temperature: spec.mutual_t,
    };
    let peer_seed = cfg.seed.wrapping_add(PEER_SEED_OFFSET);
    model::seed(&ad, peer_seed);
    let (peer, role) = if method == Method::MutualTeacher {
        let cnn = TeacherConfig::new(spec.classes).init(&ad);
        let t = Trainer::new(cnn, cfg.clone(), mutual(), n, &ad).with_mask_seed(peer_seed);
        (
            Member::Teacher(hooks.start(Role::Teacher, t).await?),
            Role::Teacher,
        )
    } else {
        let mlp = StudentConfig::new(spec.classes).init(&ad);
        let t = Trainer::new(mlp, cfg.clone(), mutual(), n, &ad).with_mask_seed(peer_seed);
        (
            Member::Student(hooks.start(Role::Peer, t).await?),
            Role::Peer,
        )
    };
    let own = Trainer::new(init, cfg.clone(), mutual(), n, &ad);
    let own = Member::Student(hooks.start(Role::Distilled, own).await?);
    let cohort = Cohort::new(vec![own, peer], spec.mutual_t)?;
    Ok(TaughtSide::Cohort { cohort, peer: role })
}

/// Fit the baseline (if any) and the method's side together.
async fn beside<H: RunHooks>(
    spec: &StudentsSpec,
    baseline: Option<Trainer<Student>>,
    side: Option<TaughtSide>,
    sets: &Sets<'_>,
    hooks: &mut H,
) -> StudentsRun<H::Fit, H::Cohort> {
    // The baseline's hooks are made before the fits start, so the two futures share nothing.
    let base = baseline.map(|t| {
        let h = hooks.fit(Role::Baseline, &t, Stage::Whole);
        (t, h)
    });
    let base_fit = async {
        let (mut trainer, mut hooks) = base?;
        let end = fit_on(&mut trainer, sets.baseline_train, sets, &mut hooks).await;
        Some(Fitted {
            trainer,
            end,
            hooks,
        })
    };
    let (baseline, taught) = match side {
        None => (base_fit.await, None),
        Some(TaughtSide::Cohort { mut cohort, peer }) => {
            let steps = cohort.members().first().map_or(0, |m| m.steps_per_epoch());
            let mut h = hooks.cohort([Role::Distilled, peer], (spec.cfg.epochs, steps));
            let (baseline, end) = futures::join!(
                base_fit,
                fit_cohort(
                    &mut cohort,
                    sets.train,
                    sets.test,
                    sets.norm,
                    sets.device,
                    sets.opts,
                    &mut h,
                )
            );
            let taught = Taught::Cohort {
                cohort,
                end,
                hooks: h,
                peer,
            };
            (baseline, Some(taught))
        }
        Some(TaughtSide::Student { student, hints }) => {
            let (baseline, taught) =
                futures::join!(base_fit, distilled(spec, student, hints, sets, hooks));
            (baseline, Some(taught))
        }
    };
    StudentsRun { baseline, taught }
}

/// The method's student: FitNets' hint stage first where it is planned, then distillation
/// (from the hinted weights).
async fn distilled<H: RunHooks>(
    spec: &StudentsSpec,
    mut student: Trainer<Student>,
    hints: HintPlan,
    sets: &Sets<'_>,
    hooks: &mut H,
) -> Taught<H::Fit, H::Cohort> {
    let (mut stage, mut stage1) = (Stage::Whole, None);
    match hints {
        HintPlan::None => {}
        HintPlan::Done(epochs) => {
            let steps = epochs * student.steps_per_epoch();
            stage = Stage::AfterHints { epochs, steps };
        }
        HintPlan::Run(teacher_hints, width, epochs) => {
            let ad = sets.device.clone().autodiff();
            let cfg = TrainConfig {
                epochs,
                plateau: false,
                early_stopping: false,
                ..student.config().clone()
            };
            hooks.event(Event::HintStage { epochs });
            let hinted = HintedStudent::new(student.model().clone(), width, &ad);
            let objective = Objective::Hint { teacher_hints };
            let mut t = Trainer::new(hinted, cfg, objective, sets.train.len(), &ad);
            let mut h = hooks.fit(Role::Distilled, &t, Stage::Hints);
            let end = fit_on(&mut t, sets.train, sets, &mut h).await;
            if matches!(end, Ok(FitEnd::Stopped) | Err(_)) {
                // Stopped (or failed) in stage 1: the student as it was, with how stage 1
                // ended.
                let student = Fitted {
                    trainer: student,
                    end,
                    hooks: h,
                };
                return Taught::Student {
                    student,
                    hints: None,
                };
            }
            let steps = t.steps();
            stage1 = Some((end, h));
            student = student.with_model(t.into_model().into_student());
            stage = Stage::AfterHints { epochs, steps };
            let loss = spec.distill.describe();
            hooks.event(Event::SecondStage { loss });
        }
    }
    let mut h = hooks.fit(Role::Distilled, &student, stage);
    let end = fit_on(&mut student, sets.train, sets, &mut h).await;
    let student = Fitted {
        trainer: student,
        end,
        hooks: h,
    };
    Taught::Student {
        student,
        hints: stage1,
    }
}

/// [`fit`] `t` on `train`, validated as `sets` say.
async fn fit_on<M: Classifier, F: FitHooks<M>>(
    t: &mut Trainer<M>,
    train: &Split,
    sets: &Sets<'_>,
    hooks: &mut F,
) -> Result<FitEnd, FitError> {
    let (test, norm, device, opts) = (sets.test, sets.norm, sets.device, sets.opts);
    fit(t, train, test, norm, device, opts, hooks).await
}
