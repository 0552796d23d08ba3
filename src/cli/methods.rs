//! The methods beyond classic distillation, natively: deep mutual learning (a cohort trained
//! from scratch) and FitNets (hint stage, then distillation). `distill sweep --methods` and
//! `distill train --method` run them from the same initial student weights, data order and
//! dropout masks as the baseline of the same seed.

use super::fit::{CliHooks, FitPlan, Fitted, norm};
use super::store::Loaded;
use crate::data::augment::TargetsFrom;
use crate::distill::{DistillConfig, Method};
use crate::model::snapshot::Network;
use crate::model::{self, HintedStudent, Student, StudentConfig, Teacher, TeacherConfig};
use crate::train::{
    self, Cohort, CohortHooks, EpochRecord, EvalResult, Member, Objective, StepMetrics, Teach,
    Teaching, TrainConfig, Trainer,
};
use anyhow::{Context, Result, anyhow, bail};
use burn::prelude::*;

/// The methods' own options, for `train` and `sweep` alike.
#[derive(clap::Args, Debug, Clone)]
pub struct Knobs {
    /// FitNets' stage 1: epochs fitting the student's hidden layer to the teacher's.
    #[arg(long, default_value_t = 5)]
    pub hint_epochs: usize,
    /// Deep mutual learning's temperature (1: the paper's form).
    #[arg(long, default_value_t = 1.0)]
    pub mutual_t: f32,
    /// With --augment, where a distilled student's soft targets come from: `clean` (the
    /// teacher on each image itself, cached once — inconsistent with the views the student
    /// sees), `views=K` (the teacher on K views of every image, cached once; epoch e shows
    /// view e mod K — consistent), or `live` (the teacher on each batch's own view at every
    /// step, a fresh view each epoch: Beyer et al.'s function matching).
    #[arg(long, default_value = "clean")]
    pub targets: TargetsFrom,
}

/// What a method needs besides the run's config.
pub(super) struct MethodSpec<'a> {
    pub(super) method: Method,
    pub(super) distill: DistillConfig,
    /// DML's temperature (1: the paper's).
    pub(super) mutual_t: f32,
    /// FitNets' stage-1 epochs.
    pub(super) hint_epochs: usize,
    /// What the pretrained teacher gives: its outputs cached once per run or sweep, or itself.
    pub(super) teaching: &'a Teaching,
    /// Classic distillation only: the first k samples carry labels (`sweep --labelled`).
    pub(super) labelled: Option<usize>,
}

/// What `methods` need from `teacher` over the first `n` samples, cached once for a run or a
/// sweep (nothing without a teacher, or for methods that need none); under augmentation
/// `from` says which targets ([`train::teach`]).
pub(super) fn cache_targets(
    teacher: Option<&Network>,
    methods: &[Method],
    from: TargetsFrom,
    cfg: &TrainConfig,
    data: &Loaded,
    n: usize,
    device: &Device,
) -> Result<Teaching> {
    let Some(net) = teacher.filter(|_| methods.iter().any(|m| m.needs_teacher())) else {
        return Ok(Teaching::default());
    };
    let teacher = as_teacher(net)?.valid();
    // FitNets needs the hint layer; the logits then follow from it (one teacher pass).
    let with_hints = methods.contains(&Method::FitNets);
    let how = train::teach(
        teacher,
        &data.train,
        n,
        norm(data),
        with_hints,
        from,
        cfg,
        device,
    )
    .map_err(|e| anyhow!(e))?;
    Ok(match how {
        Teach::Live(teacher) => {
            eprintln!(
                "function matching: the teacher runs on every batch's view ({})",
                cfg.augment
            );
            Teaching {
                targets: None,
                live: Some(teacher),
            }
        }
        Teach::Cache(cache) => {
            let (_, rows) = cache.progress();
            eprintln!("caching the teacher's outputs: {rows} rows over {n} training samples...");
            Teaching {
                targets: Some(cache.finish()),
                live: None,
            }
        }
    })
}

/// A method's student and what else the run learnt.
pub(super) struct MethodRun {
    pub(super) student: Fitted<Student>,
    /// DML: the peer's last validation accuracy.
    pub(super) peer_acc: Option<f32>,
    /// FitNets: the hint stage's epochs.
    pub(super) stage1: Vec<EpochRecord>,
}

/// The teacher inside a loaded network (methods need its hint layer, not just its logits).
pub fn as_teacher(net: &Network) -> Result<&Teacher> {
    match net {
        Network::Teacher(t) => Ok(t),
        Network::Student(_) => bail!("the teacher's weights file holds a student MLP, not a CNN"),
    }
}

/// Train the student by `spec.method` as `plan` says.
// Over 80 lines: one arm per method, each building and fitting its networks.
pub(super) fn run(spec: &MethodSpec, cfg: &TrainConfig, plan: &FitPlan) -> Result<MethodRun> {
    let (data, n, device) = (plan.data, plan.n, plan.device);
    let ad = device.clone().autodiff();
    let classes = data.manifest.num_classes();
    model::seed(&ad, cfg.seed);
    let student = StudentConfig::new(classes).init(&ad);
    let label = spec.method.name();
    match spec.method {
        Method::Distill => {
            let objective = distill_objective(spec)?;
            let f = plan.fit(student, cfg.clone(), objective, label)?;
            Ok(MethodRun {
                student: f,
                peer_acc: None,
                stage1: Vec::new(),
            })
        }
        Method::FitNets => {
            let (hints, width) = (spec
                .teaching
                .targets
                .as_ref()
                .and_then(|t| t.hints.as_ref()))
            .context("FitNets needs a pretrained teacher's cached hint layer")?;
            let hinted = HintedStudent::new(student, *width, &ad);
            let stage1_cfg = TrainConfig {
                epochs: spec.hint_epochs.max(1),
                plateau: false,
                early_stopping: false,
                ..cfg.clone()
            };
            let hint = Objective::Hint {
                teacher_hints: hints.clone(),
            };
            let s1 = plan.fit(hinted, stage1_cfg, hint, "fitnets hints")?;
            let student = s1.model.into_student();
            let objective = distill_objective(spec)?;
            let f = plan.fit(student, cfg.clone(), objective, label)?;
            Ok(MethodRun {
                student: f,
                peer_acc: None,
                stage1: s1.history,
            })
        }
        Method::MutualStudents | Method::MutualTeacher => {
            let peer_seed = cfg.seed.wrapping_add(train::cohort::PEER_SEED_OFFSET);
            model::seed(&ad, peer_seed);
            let own = Trainer::new(student, cfg.clone(), mutual(spec), n, &ad);
            let peer = if spec.method == Method::MutualTeacher {
                let cnn = TeacherConfig::new(classes).init(&ad);
                Member::Teacher(
                    Trainer::new(cnn, cfg.clone(), mutual(spec), n, &ad).with_mask_seed(peer_seed),
                )
            } else {
                let mlp = StudentConfig::new(classes).init(&ad);
                Member::Student(
                    Trainer::new(mlp, cfg.clone(), mutual(spec), n, &ad).with_mask_seed(peer_seed),
                )
            };
            let mut cohort = Cohort::new(vec![Member::Student(own), peer], spec.mutual_t)
                .map_err(|e| anyhow!(e))?;
            let spe = cohort.members()[0].steps_per_epoch();
            let mut hooks = CohortCli {
                members: vec![
                    CliHooks::new(label, spe, plan.quiet),
                    CliHooks::new(&format!("{label} peer"), spe, true),
                ],
            };
            let opts = plan.opts();
            let end = pollster::block_on(train::fit_cohort(
                &mut cohort,
                &data.train,
                &data.test,
                norm(data),
                device,
                opts,
                &mut hooks,
            ))?;
            let mut members = cohort.into_members().into_iter();
            let Some(Member::Student(own)) = members.next() else {
                bail!("the cohort lost its members");
            };
            let mut hooks = hooks.members.into_iter();
            let (h0, h1) = (
                hooks.next().context("member 0's hooks")?,
                hooks.next().context("member 1's hooks")?,
            );
            h0.bar.finish_and_clear();
            let peer_acc = h1.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
            let student = Fitted {
                model: own.into_model(),
                history: h0.history,
                end,
                seconds: h0.started.elapsed().as_secs_f64(),
            };
            Ok(MethodRun {
                student,
                peer_acc: Some(peer_acc),
                stage1: Vec::new(),
            })
        }
    }
}

fn distill_objective(spec: &MethodSpec) -> Result<Objective> {
    (spec.teaching)
        .objective(spec.distill, spec.labelled)
        .map_err(|e| anyhow!(e))
}

fn mutual(spec: &MethodSpec) -> Objective {
    Objective::Mutual {
        temperature: spec.mutual_t,
    }
}

/// Progress and epoch lines per cohort member (the peer's bar hidden).
struct CohortCli {
    members: Vec<CliHooks>,
}

impl CohortHooks for CohortCli {
    fn on_steps(&mut self, member: usize, steps: &[StepMetrics]) {
        if let Some(h) = self.members.get(member) {
            h.bar.inc(steps.len() as u64);
        }
    }

    fn on_epoch(&mut self, member: usize, r: &EpochRecord, _eval: &EvalResult, _c: &Cohort) {
        if let Some(h) = self.members.get_mut(member) {
            h.epoch(r);
        }
    }
}
