//! The methods beyond classic distillation, natively: deep mutual learning (a cohort trained
//! from scratch) and FitNets (hint stage, then distillation). `distill sweep --methods` and
//! `distill train --method` run them from the same initial student weights, data order and
//! dropout masks as the baseline of the same seed.

use super::fit::{CliHooks, FitPlan, Fitted, norm};
use super::store::Loaded;
use crate::distill::{DistillConfig, Method};
use crate::model::snapshot::Network;
use crate::model::{self, HintedStudent, Student, StudentConfig, Teacher, TeacherConfig};
use crate::train::{
    self, Cohort, CohortHooks, EpochRecord, EvalResult, LogitCache, Member, Objective, StepMetrics,
    Targets, TrainConfig, Trainer,
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
    pub targets: TargetsChoice,
}

/// Where distilled students' targets come from under augmentation (`--targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetsChoice {
    Clean,
    Views(usize),
    Live,
}

/// The most views `--targets views=K` caches (K × samples × classes logits in memory).
pub const MAX_VIEWS: usize = 64;

impl std::str::FromStr for TargetsChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "clean" => Ok(TargetsChoice::Clean),
            "live" => Ok(TargetsChoice::Live),
            _ => {
                let k = s
                    .strip_prefix("views=")
                    .and_then(|k| k.parse::<usize>().ok())
                    .filter(|k| (1..=MAX_VIEWS).contains(k))
                    .ok_or_else(|| {
                        format!("{s:?}: expected clean, live or views=K (K from 1 to {MAX_VIEWS})")
                    })?;
                Ok(TargetsChoice::Views(k))
            }
        }
    }
}

impl std::fmt::Display for TargetsChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetsChoice::Clean => f.write_str("clean"),
            TargetsChoice::Views(k) => write!(f, "views={k}"),
            TargetsChoice::Live => f.write_str("live"),
        }
    }
}

/// What a method needs besides the run's config.
pub(super) struct MethodSpec<'a> {
    pub(super) method: Method,
    pub(super) distill: DistillConfig,
    /// DML's temperature (1: the paper's).
    pub(super) mutual_t: f32,
    /// FitNets' stage-1 epochs.
    pub(super) hint_epochs: usize,
    /// The pretrained teacher's outputs, cached once per run or sweep.
    pub(super) targets: Option<&'a Targets>,
    /// Function matching: the teacher itself, run on every batch's view.
    pub(super) live: Option<&'a Teacher>,
    /// Classic distillation only: the first k samples carry labels (`sweep --labelled`).
    pub(super) labelled: Option<usize>,
}

/// What a run's students learn from a pretrained teacher: its outputs cached once for a run or
/// a sweep, or (function matching) the teacher itself.
#[derive(Default)]
pub(super) struct Teaching {
    pub(super) targets: Option<Targets>,
    pub(super) live: Option<Teacher>,
}

/// What `methods` need from `teacher` over the first `n` samples, cached once for a run or a
/// sweep (none of it without a teacher, or for methods that need none). Under augmentation
/// `choice` says which targets: the clean images' (also FitNets' hints), `views=K` under
/// `cfg`'s augmentation and seed, or none cached (`live`: the teacher comes back instead).
pub(super) fn cache_targets(
    teacher: Option<&Network>,
    methods: &[Method],
    choice: TargetsChoice,
    cfg: &TrainConfig,
    data: &Loaded,
    n: usize,
    device: &Device,
) -> Result<Teaching> {
    let Some(net) = teacher.filter(|_| methods.iter().any(|m| m.needs_teacher())) else {
        return Ok(Teaching::default());
    };
    let teacher = as_teacher(net)?.valid();
    let choice = if cfg.augment.is_off() {
        TargetsChoice::Clean
    } else {
        choice
    };
    // FitNets needs the hint layer; the logits then follow from it (one teacher pass).
    let with_hints = methods.contains(&Method::FitNets);
    if with_hints && choice != TargetsChoice::Clean {
        bail!("FitNets with --augment caches its hints on the clean images: use --targets clean");
    }
    match choice {
        TargetsChoice::Live => {
            eprintln!("function matching: the teacher runs on every batch's view");
            return Ok(Teaching {
                targets: None,
                live: Some(teacher),
            });
        }
        TargetsChoice::Views(k) => {
            eprintln!(
                "caching the teacher's logits on {k} views ({}) of {n} training samples...",
                cfg.augment
            );
            let cache = LogitCache::new(teacher, &data.train, n, norm(data), false, device)
                .with_views(cfg.augment, cfg.seed, k);
            return Ok(Teaching {
                targets: Some(cache.finish()),
                live: None,
            });
        }
        TargetsChoice::Clean => {}
    }
    eprintln!(
        "caching the teacher's {} over {n} training samples...",
        if with_hints {
            "hint layer and logits"
        } else {
            "logits"
        }
    );
    let cache = LogitCache::new(teacher, &data.train, n, norm(data), with_hints, device);
    Ok(Teaching {
        targets: Some(cache.finish()),
        live: None,
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
            let (hints, width) = (spec.targets.and_then(|t| t.hints.as_ref()))
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
    if let Some(teacher) = spec.live {
        if spec.labelled.is_some() {
            bail!("--labelled with function matching (--targets live) is not supported");
        }
        return Ok(Objective::Match {
            config: spec.distill,
            teacher: teacher.clone(),
        });
    }
    let targets = spec
        .targets
        .context("distillation needs a pretrained teacher's cached logits")?;
    Ok(Objective::Distill {
        config: spec.distill,
        teacher_logits: targets.logits.clone(),
        labelled: spec.labelled,
        views: targets.views,
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
