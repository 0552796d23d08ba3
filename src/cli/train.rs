//! `distill train`: the study's `train.py`, natively (`eval.rs` and `sweep.rs` hold the other
//! two commands; `fit.rs` the progress and the fitting they share).

use super::common::{Common, pick_device, train_config};
use super::fit::FitPlan;
use super::methods;
use super::resume::{self, ResumeKeys};
use super::store::write_atomic;
use super::weights::{WEIGHTS_FILE, load_network};
use crate::data::Manifest;
use crate::device::DeviceInfo;
use crate::distill::{DistillConfig, LossForm, Method};
use crate::model::snapshot::{self, Network, WeightsMeta};
use crate::model::{Arch, StudentConfig, TeacherConfig};
use crate::train::{
    DataConfig, EpochRecord, Experiment, FitEnd, NetworkConfig, ObjectiveConfig, RunConfig,
    StudentsSpec, TeacherSpec,
};
use anyhow::{Context, Result, bail};
use burn::prelude::*;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    /// The teacher CNN.
    Cnn,
    /// The student MLP trained alone (the baseline).
    Mlp,
    /// The student MLP distilled from --teacher.
    Student,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, value_enum, default_value = "cnn")]
    pub model: ModelChoice,
    /// The teacher for `--model student`: a run directory of `distill train --model cnn`, or its weights file.
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Distillation temperature T.
    #[arg(long, default_value_t = 10.0)]
    pub temperature: f32,
    /// λ (keras form: weight of the hard term) or α (hinton form: weight of the soft term).
    #[arg(long = "lambda", default_value_t = 0.5)]
    pub lambda: f32,
    /// keras (the study's, no T²) or hinton (with T²).
    #[arg(long, default_value = "keras")]
    pub loss: LossForm,
    /// How `--model student` learns: distill (from --teacher), fitnets (hints from --teacher's
    /// dense layer, then distillation), dml (mutually with a second student, no teacher),
    /// dml-cnn (mutually with a teacher CNN trained alongside from scratch).
    #[arg(long, default_value = "distill")]
    pub method: Method,
    #[command(flatten)]
    pub knobs: methods::Knobs,
    /// The run directory to write: weights.dlw, history.json, summary.json, and after every
    /// epoch the network's checkpoint (checkpoints/): run the same command again and it goes on
    /// from its last finished epoch, ending exactly as without the interruption; with more
    /// --epochs, a finished network trains on.
    #[arg(long)]
    pub out: PathBuf,
    /// Also publish a trained teacher as DIR/teacher.dlw (e.g. data/emnist-letters), for the
    /// page's "use the pretrained teacher".
    #[arg(long)]
    pub publish: Option<PathBuf>,
}

pub fn train(args: TrainArgs) -> Result<()> {
    if args.publish.is_some() && args.model != ModelChoice::Cnn {
        bail!("--publish is for teachers: use it with --model cnn");
    }
    if args.method != Method::Distill && args.model != ModelChoice::Student {
        bail!("--method is how a student learns: use it with --model student");
    }
    let c = &args.common;
    let mut data = c.load()?;
    if let Some(m) = c.repeat_to {
        data.train = data.train.repeated(data.train.len(), m);
    }
    let (n, val_n) = (data.train.len(), data.test.len());
    let (device, info) = pick_device(c.device)?;
    let config = run_config(&args, data.manifest.num_classes(), n);
    let exp = experiment(&args, &config, &data.manifest, (n, val_n));
    let config = config.with_experiment(Some(exp.clone()));
    let (arch, role) = match args.model {
        ModelChoice::Cnn => (Arch::Cnn, "teacher"),
        ModelChoice::Mlp => (Arch::Mlp, "baseline"),
        ModelChoice::Student => (Arch::Mlp, "distilled"),
    };
    eprintln!(
        "training {role} ({arch}) on {} ({n} train / {val_n} val) with {} on {}; {}",
        data.manifest.dataset, config.train.optimizer, info.name, config.objective.loss
    );
    let plan = FitPlan {
        data: &data,
        n,
        val_n,
        device: &device,
        quiet: false,
    };
    let (network, history, end, seconds) = fit_network(&args, &config, &exp, &plan)?;
    let last = history
        .last()
        .context("no epoch completed; nothing to save")?;
    let params = network.num_params();
    let meta = WeightsMeta {
        format: snapshot::FORMAT,
        arch,
        role: role.into(),
        dataset: data.manifest.dataset.clone(),
        classes: data.manifest.classes.clone(),
        params,
        network: config.network.to_json(),
        training: config.to_json(),
        epochs: history.len(),
        val_acc: Some(last.val_accuracy),
        created_by: format!("distill {}", env!("CARGO_PKG_VERSION")),
    };
    let record = pollster::block_on(network.record_bytes()).map_err(anyhow::Error::msg)?;
    let summary = summary(
        &args,
        &config,
        &meta,
        &history,
        end,
        (&info, val_n, seconds),
    );
    let history = json!({ "training": config.to_json(), "epochs": history });
    write_run(&args, &snapshot::encode(&meta, &record), &history, &summary)?;
    println!("{summary}");
    Ok(())
}

/// The network, loop and objective `args` ask for, over `samples` training samples.
fn run_config(args: &TrainArgs, classes: usize, samples: usize) -> RunConfig {
    let network = match args.model {
        ModelChoice::Cnn => NetworkConfig::Teacher(TeacherConfig::new(classes)),
        ModelChoice::Mlp | ModelChoice::Student => {
            NetworkConfig::Student(StudentConfig::new(classes))
        }
    };
    let objective = if args.model == ModelChoice::Student {
        let distill = DistillConfig {
            form: args.loss,
            temperature: args.temperature,
            weight: args.lambda,
        };
        let k = &args.knobs;
        ObjectiveConfig::method(args.method, distill, k.hint_epochs, k.mutual_t)
    } else {
        ObjectiveConfig::labels()
    };
    let by = format!("distill {} (CLI)", env!("CARGO_PKG_VERSION"));
    RunConfig::new(network, train_config(&args.common), objective, samples, by)
}

/// The experiment a `distill train` run is part of (`config` being its network's run): the
/// teacher it trains or loads, the student it fits.
fn experiment(
    args: &TrainArgs,
    config: &RunConfig,
    m: &Manifest,
    has: (usize, usize),
) -> Experiment {
    let k = &args.knobs;
    let teacher = match args.model {
        ModelChoice::Cnn => Some(Some(config.train.clone())),
        ModelChoice::Student if args.method.needs_teacher() => Some(None),
        _ => None,
    };
    let teacher = teacher.map(|train| TeacherSpec {
        train,
        targets: k.targets,
    });
    let students = StudentsSpec {
        classes: m.num_classes(),
        cfg: config.train.clone(),
        baseline: args.model == ModelChoice::Mlp,
        method: config.objective.method,
        distill: (config.objective.distill).unwrap_or_else(DistillConfig::study),
        hint_epochs: k.hint_epochs,
        mutual_t: k.mutual_t,
        labelled: None,
    };
    let data = DataConfig::new(m.dataset.clone(), has.0, has.1);
    Experiment::new(data, students).with_teacher(teacher)
}

/// Train the network `config` describes as `plan` says (a student by its method, from the
/// teacher in `args`), checkpointed after every epoch in OUT/checkpoints and resumed from
/// there (cli/resume.rs): the network, its epochs, how it ended and the seconds it took.
fn fit_network(
    args: &TrainArgs,
    config: &RunConfig,
    exp: &Experiment,
    plan: &FitPlan,
) -> Result<(Network, Vec<EpochRecord>, FitEnd, f64)> {
    let (cfg, device, students) = (&config.train, plan.device, &exp.students);
    let keys = |teacher| {
        let device = format!("{:?}", args.common.device);
        let dir = args.out.join(resume::DIR);
        ResumeKeys::new(
            dir,
            &plan.data.manifest,
            (plan.n, plan.n),
            exp,
            &device,
            teacher,
        )
    };
    if let Some(method) = config.objective.method {
        let teacher = match (&args.teacher, method.needs_teacher()) {
            (_, false) => None,
            (Some(path), true) => Some(load_network(path, Some(Arch::Cnn), plan.data, device)?.1),
            (None, true) => bail!(
                "--method {method} needs --teacher RUN_DIR (a run of `distill train --model cnn`)"
            ),
        };
        let targets = methods::cache_targets(
            teacher.as_ref(),
            &[method],
            args.knobs.targets,
            cfg,
            plan.data,
            plan.n,
            device,
        )?;
        let keys = keys(resume::identity(teacher.as_ref())?);
        let r = methods::run(students, &targets, plan, Some(&keys.cell(students)))?;
        if let Some(acc) = r.peer_acc {
            eprintln!("the cohort's peer reached {acc:.4}");
        }
        let f = r.student;
        return Ok((Network::Student(f.model), f.history, f.end, f.seconds));
    }
    Ok(match &config.network {
        NetworkConfig::Teacher(nc) => {
            let f = methods::teacher(nc.classes, cfg, plan, Some(&keys(None).teacher()))?;
            (Network::Teacher(f.model), f.history, f.end, f.seconds)
        }
        NetworkConfig::Student(_) => {
            let f = methods::baseline(students, plan, Some(&keys(None).baseline()))?;
            (Network::Student(f.model), f.history, f.end, f.seconds)
        }
    })
}

/// The run's files, each written whole or not at all: the weights (and the published teacher),
/// the epochs' history and the summary.
fn write_run(
    args: &TrainArgs,
    weights: &[u8],
    history: &serde_json::Value,
    summary: &serde_json::Value,
) -> Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_atomic(&args.out.join(WEIGHTS_FILE), weights)?;
    if let Some(dir) = &args.publish {
        write_atomic(&dir.join("teacher.dlw"), weights)?;
        eprintln!(
            "published the teacher as {}",
            dir.join("teacher.dlw").display()
        );
    }
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v);
    write_atomic(&args.out.join("history.json"), pretty(history)?.as_bytes())?;
    write_atomic(&args.out.join("summary.json"), pretty(summary)?.as_bytes())?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// The run's summary line (also summary.json): what was trained, how, and how well.
fn summary(
    args: &TrainArgs,
    config: &RunConfig,
    meta: &WeightsMeta,
    history: &[EpochRecord],
    end: FitEnd,
    (info, val_n, seconds): (&DeviceInfo, usize, f64),
) -> serde_json::Value {
    let last = history.last();
    let (cfg, objective) = (&config.train, &config.objective);
    let distill = objective.distill;
    json!({
        "model": match args.model { ModelChoice::Cnn => "cnn", ModelChoice::Mlp => "mlp", ModelChoice::Student => "student" },
        "role": meta.role,
        "dataset": meta.dataset,
        "epochs": history.len(),
        "early_stopped": matches!(end, FitEnd::EarlyStopped(_)),
        "params": meta.params,
        "val_acc": last.map(|l| l.val_accuracy),
        "val_loss": last.map(|l| l.val_loss),
        "loss": last.map(|l| l.loss),
        "acc": last.map(|l| l.accuracy),
        "loss_form": distill.map(|d| d.form.name()),
        "method": objective.method,
        "temperature": distill.map(|d| d.temperature),
        "lambda": distill.map(|d| d.weight),
        "optimizer": cfg.optimizer,
        "batch": cfg.batch_size,
        "plateau": cfg.plateau,
        "early_stopping": cfg.early_stopping,
        "augment": cfg.augment.to_string(),
        "seed": cfg.seed,
        "train_samples": config.samples,
        "val_samples": val_n,
        "device": info.backend,
        "seconds": (seconds * 10.0).round() / 10.0,
    })
}
