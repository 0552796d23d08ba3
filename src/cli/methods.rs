//! The methods beyond classic distillation, natively: deep mutual learning (a cohort trained
//! from scratch) and FitNets (hint stage, then distillation). `distill sweep --methods` and
//! `distill train --method` run them from the same initial student weights, data order and
//! dropout masks as the baseline of the same seed.

use super::fit::{CliHooks, FitPlan, Fitted};
use super::resume::{Resume, SaveTo};
use super::store::Loaded;
use crate::data::augment::TargetsFrom;
use crate::data::batch::Norm;
use crate::distill::Method;
use crate::model::snapshot::Network;
use crate::model::{Classifier, Student, Teacher};
use crate::train::{
    self, Cohort, CohortHooks, EpochRecord, EvalResult, Event, FitEnd, FitError, Member, Role,
    RunHooks, Stage, StepMetrics, StudentsSpec, Taught, Teach, Teaching, TrainConfig, Trainer,
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
        Norm::of(&data.manifest),
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

/// Train the student `students` asks for (its method; no baseline: `sweep` fits its baseline
/// once, `train` only the student) from `teaching`, as `plan` says ([`train::run_students`]).
pub(super) fn run(
    students: &StudentsSpec,
    teaching: &Teaching,
    plan: &FitPlan,
    resume: Option<&Resume>,
) -> Result<MethodRun> {
    let method = students.method.context("no method to run")?;
    let students = StudentsSpec {
        baseline: false,
        ..students.clone()
    };
    let mut hooks = CliRun::new(method.name(), plan.quiet, resume);
    let r = pollster::block_on(train::run_students(
        &students,
        &plan.sets(),
        teaching,
        &mut hooks,
    ))
    .map_err(|e| anyhow!(e))?;
    match r.taught.context("the method's student did not run")? {
        Taught::Student { student, hints } => {
            let stage1 = match hints {
                Some((end, h)) => {
                    end?;
                    h.bar.finish_and_clear();
                    h.history
                }
                None => Vec::new(),
            };
            Ok(MethodRun {
                student: fitted(student)?,
                peer_acc: None,
                stage1,
            })
        }
        Taught::Cohort {
            cohort, end, hooks, ..
        } => {
            let end = end?;
            let Some(Member::Student(own)) = cohort.into_members().into_iter().next() else {
                bail!("the cohort lost its members");
            };
            let [h0, h1] = <[CliHooks; 2]>::try_from(hooks.members)
                .map_err(|_| anyhow!("the cohort's hooks are not two"))?;
            h0.bar.finish_and_clear();
            let peer_acc = h1.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
            let student = Fitted {
                model: own.into_model(),
                history: h0.history,
                end,
                seconds: h0.started.elapsed().as_secs_f64(),
                resumed: 0.0,
            };
            Ok(MethodRun {
                student,
                peer_acc: Some(peer_acc),
                stage1: Vec::new(),
            })
        }
    }
}

/// The label-only baseline of `students` as `plan` says ([`train::run_students`], no method).
pub(super) fn baseline(
    students: &StudentsSpec,
    plan: &FitPlan,
    resume: Option<&Resume>,
) -> Result<Fitted<Student>> {
    let students = StudentsSpec {
        baseline: true,
        method: None,
        ..students.clone()
    };
    let mut hooks = CliRun::new("baseline", plan.quiet, resume);
    let none = Teaching::default();
    let r = pollster::block_on(train::run_students(
        &students,
        &plan.sets(),
        &none,
        &mut hooks,
    ))
    .map_err(|e| anyhow!(e))?;
    fitted(r.baseline.context("the baseline did not run")?)
}

/// The teacher CNN as `plan` says (the core's [`train::run_teacher`]).
pub(super) fn teacher(
    classes: usize,
    cfg: &TrainConfig,
    plan: &FitPlan,
    resume: Option<&Resume>,
) -> Result<Fitted<Teacher>> {
    let mut run = CliRun::new("teacher", plan.quiet, resume);
    let (trainer, fitted) =
        pollster::block_on(train::run_teacher(classes, cfg, &plan.sets(), &mut run))
            .map_err(|e| anyhow!(e))?;
    match fitted {
        Some((end, hooks)) => fitted_cli(trainer, end, hooks),
        // Its checkpoint says it is trained: its curve and seconds are the checkpoint's.
        None => {
            let (_, history, seconds) =
                (run.restored.pop()).context("the teacher did not train")?;
            Ok(Fitted {
                model: trainer.into_model(),
                history,
                end: FitEnd::Finished,
                seconds,
                resumed: seconds,
            })
        }
    }
}

/// A core fit as the CLI reports it.
pub(super) fn fitted<M: Classifier>(f: train::Fitted<M, CliHooks>) -> Result<Fitted<M>> {
    fitted_cli(f.trainer, f.end, f.hooks)
}

fn fitted_cli<M: Classifier>(
    trainer: Trainer<M>,
    end: std::result::Result<FitEnd, FitError>,
    hooks: CliHooks,
) -> Result<Fitted<M>> {
    let end = end?;
    hooks.bar.finish_and_clear();
    let seconds = hooks.seconds();
    Ok(Fitted {
        model: trainer.into_model(),
        history: hooks.history,
        end,
        seconds,
        resumed: hooks.before,
    })
}

/// The CLI's side of [`train::run_students`]: networks fresh or from their checkpoints
/// (`resume`), a progress bar and epoch lines per fit under `label` (the peer's hidden).
pub(super) struct CliRun<'a> {
    label: &'static str,
    quiet: bool,
    resume: Option<&'a Resume>,
    /// What each resumed network's checkpoint held: its curve and seconds so far.
    restored: Vec<(Role, Vec<EpochRecord>, f64)>,
}

impl<'a> CliRun<'a> {
    pub(super) fn new(label: &'static str, quiet: bool, resume: Option<&'a Resume>) -> Self {
        CliRun {
            label,
            quiet,
            resume,
            restored: Vec::new(),
        }
    }
}

impl RunHooks for CliRun<'_> {
    type Error = String;
    type Fit = CliHooks;
    type Cohort = CohortCli;

    async fn start<M: Classifier>(
        &mut self,
        role: Role,
        t: Trainer<M>,
    ) -> Result<Trainer<M>, String> {
        let Some(resume) = self.resume else {
            return Ok(t);
        };
        let (t, restored) = resume.start(role, t).map_err(|e| format!("{e:#}"))?;
        if let Some((history, seconds)) = restored {
            self.restored.push((role, history, seconds));
        }
        Ok(t)
    }

    fn fit<M: Classifier>(&mut self, role: Role, t: &Trainer<M>, stage: Stage) -> CliHooks {
        let label = match (role, stage) {
            (Role::Baseline, _) => "baseline",
            (_, Stage::Hints) => "fitnets hints",
            _ => self.label,
        };
        let mut hooks = CliHooks::new(label, t.steps_per_epoch(), self.quiet);
        if stage == Stage::Hints {
            return hooks;
        }
        if let Some(i) = self.restored.iter().position(|(r, ..)| *r == role) {
            let (_, history, seconds) = self.restored.swap_remove(i);
            (hooks.history, hooks.before) = (history, seconds);
        }
        let key = self.resume.and_then(|r| r.key(role).map(|k| (r, k)));
        hooks.save = key.map(|(r, key)| SaveTo {
            path: r.path(role, key),
            key: key.clone(),
            asked: t.config().epochs,
            failed: false,
        });
        hooks
    }

    fn cohort(&mut self, _: [Role; 2], (_, steps): (usize, usize)) -> CohortCli {
        let label = self.label;
        CohortCli {
            members: vec![
                CliHooks::new(label, steps, self.quiet),
                CliHooks::new(&format!("{label} peer"), steps, true),
            ],
        }
    }

    fn event(&mut self, event: Event) {
        if self.quiet {
            return;
        }
        match event {
            Event::HintStage { epochs } => {
                eprintln!("FitNets stage 1: {epochs} epochs fitting the teacher's hint layer")
            }
            Event::SecondStage { loss } => {
                eprintln!("FitNets stage 2: distillation from the hinted weights ({loss})")
            }
            Event::MutualUsesAllLabels => {
                eprintln!("deep mutual learning uses every sample labelled")
            }
        }
    }
}

/// Progress and epoch lines per cohort member (the peer's bar hidden).
pub(super) struct CohortCli {
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
