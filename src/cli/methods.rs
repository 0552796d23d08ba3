//! The methods beyond classic distillation, natively: deep mutual learning (a cohort trained
//! from scratch) and FitNets (hint stage, then distillation). `distill sweep --methods` and
//! `distill train --method` run them from the same initial student weights, data order and
//! dropout masks as the baseline of the same seed.

use super::store::Loaded;
use super::train::{CliHooks, Fitted, fit_model, norm};
use crate::distill::{DistillConfig, Method};
use crate::model::snapshot::Network;
use crate::model::{self, HintedStudent, Student, StudentConfig, Teacher, TeacherConfig};
use crate::train::{
    self, Cohort, CohortHooks, EpochRecord, EvalResult, FitOptions, Member, Objective, StepMetrics,
    TrainConfig, Trainer,
};
use anyhow::{Context, Result, anyhow, bail};
use burn::prelude::*;

/// What a method needs besides the run's config.
pub(super) struct MethodSpec<'a> {
    pub(super) method: Method,
    pub(super) distill: DistillConfig,
    /// DML's temperature (1: the paper's).
    pub(super) mutual_t: f32,
    /// FitNets' stage-1 epochs.
    pub(super) hint_epochs: usize,
    /// The pretrained teacher (classic distillation and FitNets).
    pub(super) teacher: Option<&'a Teacher>,
    /// The teacher's logits over the training samples, cached once per sweep.
    pub(super) logits: Option<&'a Tensor<2>>,
    /// The teacher's hint-layer outputs over the training samples (FitNets), cached once.
    pub(super) hints: Option<&'a Tensor<2>>,
    /// Classic distillation only: the first k samples carry labels (`sweep --labelled`).
    pub(super) labelled: Option<usize>,
}

/// A method's student and what else the run learnt.
pub(super) struct MethodRun {
    pub(super) student: Fitted<Student>,
    /// DML: the peer's last validation accuracy and its network (student or CNN).
    pub(super) peer: Option<(f32, Network)>,
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

/// The teacher's hint-layer outputs `[n, 1024]` over the first `n` training samples.
pub fn teacher_hints(teacher: &Teacher, data: &Loaded, n: usize, device: &Device) -> Tensor<2> {
    let idx: Vec<usize> = (0..n).collect();
    train::hints(&teacher.valid(), &data.train, &idx, norm(data), 512, device)
}

/// Train the student by `spec.method` on the first `n` training samples, validating on `val_n`.
pub(super) fn run(
    spec: &MethodSpec,
    cfg: &TrainConfig,
    data: &Loaded,
    (n, val_n): (usize, usize),
    device: &Device,
    quiet: bool,
) -> Result<MethodRun> {
    let ad = device.clone().autodiff();
    let classes = data.manifest.num_classes();
    model::seed(&ad, cfg.seed);
    let student = StudentConfig::new(classes).init(&ad);
    let label = spec.method.name();
    match spec.method {
        Method::Distill => {
            let objective = distill_objective(spec)?;
            let f = fit_model(
                student,
                cfg.clone(),
                objective,
                data,
                n,
                val_n,
                device,
                label,
                quiet,
            )?;
            Ok(MethodRun {
                student: f,
                peer: None,
                stage1: Vec::new(),
            })
        }
        Method::FitNets => {
            let teacher = spec.teacher.context("FitNets needs a pretrained teacher")?;
            let hints = spec
                .hints
                .context("FitNets needs the teacher's cached hints")?;
            let hinted = HintedStudent::new(student, teacher.hint_width(), &ad);
            let stage1_cfg = TrainConfig {
                epochs: spec.hint_epochs.max(1),
                plateau: false,
                early_stopping: false,
                ..cfg.clone()
            };
            let hint = Objective::Hint {
                teacher_hints: hints.clone(),
            };
            let s1 = fit_model(
                hinted,
                stage1_cfg,
                hint,
                data,
                n,
                val_n,
                device,
                "fitnets hints",
                quiet,
            )?;
            let student = s1.model.into_student();
            let objective = distill_objective(spec)?;
            let f = fit_model(
                student,
                cfg.clone(),
                objective,
                data,
                n,
                val_n,
                device,
                label,
                quiet,
            )?;
            Ok(MethodRun {
                student: f,
                peer: None,
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
                    CliHooks::new(label, spe, quiet),
                    CliHooks::new(&format!("{label} peer"), spe, true),
                ],
            };
            let opts = FitOptions {
                read_every: 20,
                val_count: val_n,
                eval_batch: 1024,
            };
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
            let (Some(Member::Student(own)), Some(peer)) = (members.next(), members.next()) else {
                bail!("the cohort lost its members");
            };
            let peer_net = peer.network();
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
                peer: Some((peer_acc, peer_net)),
                stage1: Vec::new(),
            })
        }
    }
}

fn distill_objective(spec: &MethodSpec) -> Result<Objective> {
    Ok(Objective::Distill {
        config: spec.distill,
        teacher_logits: spec
            .logits
            .context("distillation needs the teacher's cached logits")?
            .clone(),
        labelled: spec.labelled,
    })
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
