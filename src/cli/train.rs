//! `distill train`, `distill eval` and `distill sweep`: the study's `train.py`, natively.

use super::methods;
use super::store::{self, Loaded, write_atomic};
use crate::data::batch::Norm;
use crate::device::{self, DeviceInfo};
use crate::distill::{DistillConfig, LossForm, Method};
use crate::model::snapshot::{self, Network, WeightsMeta};
use crate::model::{self, Arch, Classifier, StudentConfig, TeacherConfig};
use crate::presets::{PRESETS, Preset};
use crate::settings;
use crate::train::{
    self, EpochRecord, EvalResult, FitEnd, FitHooks, FitOptions, Objective, OptimizerKind,
    StepMetrics, TrainConfig, Trainer,
};
use anyhow::{Context, Result, bail};
use burn::prelude::*;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    /// The teacher CNN.
    Cnn,
    /// The student MLP trained alone (the baseline).
    Mlp,
    /// The student MLP distilled from --teacher.
    Student,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// burn's flex backend on the CPU.
    Cpu,
    /// A GPU through wgpu (build with `--features wgpu`).
    Wgpu,
}

/// Options shared by `train` and `sweep`.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// A prepared dataset folder (data/DATASET).
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    #[arg(long, default_value = "adadelta")]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 1.0 for adadelta, 0.001 for adam].
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train on the first N training samples only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Validate on the first N test samples only.
    #[arg(long)]
    pub val_limit: Option<usize>,
    /// Repeat a training set of fewer than M samples, whole, until an epoch holds at least M:
    /// a few hundred images then still make epochs of several steps, so the plateau schedule
    /// and early stopping work as on a full set. (With `sweep --labelled`, the baseline's
    /// labelled samples are repeated; the transfer set is not.)
    #[arg(long)]
    pub repeat_to: Option<usize>,
    /// Turn off ReduceLROnPlateau (patience 1, factor 0.1).
    #[arg(long)]
    pub no_plateau: bool,
    /// Turn off EarlyStopping (patience 3).
    #[arg(long)]
    pub no_early_stopping: bool,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
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
    /// FitNets' stage 1: epochs fitting the student's hidden layer to the teacher's.
    #[arg(long, default_value_t = 5)]
    pub hint_epochs: usize,
    /// Deep mutual learning's temperature (1: the paper's form).
    #[arg(long, default_value_t = 1.0)]
    pub mutual_t: f32,
    /// The run directory to write: weights.dlw, history.json, summary.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Also publish a trained teacher as DIR/teacher.dlw (e.g. data/emnist-letters), for the
    /// page's "use the pretrained teacher".
    #[arg(long)]
    pub publish: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A weights file (or a run directory holding weights.dlw).
    #[arg(long)]
    pub weights: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    /// Evaluate on the first N test samples only.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub common: Common,
    /// The teacher run directory or weights file (for the distill and fitnets methods).
    #[arg(long)]
    pub teacher: Option<PathBuf>,
    /// Which methods to run beside the baseline, each from the baseline's initial weights, data
    /// order and dropout masks: distill (the T × λ grid), fitnets (hint stage, then the same
    /// grid), dml (two students learning mutually), dml-cnn (the student and a teacher CNN
    /// learning mutually, both from scratch).
    #[arg(long, value_delimiter = ',', default_value = "distill")]
    pub methods: Vec<Method>,
    /// FitNets' stage 1: epochs fitting the student's hidden layer to the teacher's.
    #[arg(long, default_value_t = 5)]
    pub hint_epochs: usize,
    /// Deep mutual learning's temperature (1: the paper's form).
    #[arg(long, default_value_t = 1.0)]
    pub mutual_t: f32,
    #[arg(long, value_delimiter = ',', default_value = "1,2,5,10,20")]
    pub temperatures: Vec<f32>,
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.5,0.9")]
    pub lambdas: Vec<f32>,
    #[arg(long, default_value = "keras")]
    pub loss: LossForm,
    /// Only the first N training samples carry labels (Hinton et al. 2015, section 3): the
    /// baseline trains on those N alone; each distilled student on the same N labels plus the
    /// teacher's soft targets over every training sample (the unlabelled transfer set).
    /// Without it, every student sees the same samples, all labelled.
    #[arg(long)]
    pub labelled: Option<usize>,
    /// Run one of the page's lessons exactly (`quick`, `few-labels`, `why-t`, `study`): its
    /// samples, validation samples, epochs, batch, optimizer, schedule, loss, T and λ replace
    /// those options (the seed stays --seed), so the page's outcome can be measured natively.
    #[arg(long)]
    pub preset: Option<String>,
    /// Where to write sweep.csv.
    #[arg(long)]
    pub out: PathBuf,
}

pub const WEIGHTS_FILE: &str = "weights.dlw";

fn pick_device(choice: DeviceChoice) -> Result<(Device, DeviceInfo)> {
    match choice {
        DeviceChoice::Cpu => Ok(device::cpu()),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => device::native_wgpu().map_err(anyhow::Error::msg),
        #[cfg(not(feature = "wgpu"))]
        DeviceChoice::Wgpu => bail!(
            "this build has no GPU support; rebuild with `cargo build --release --features wgpu`"
        ),
    }
}

fn weights_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join(WEIGHTS_FILE)
    } else {
        p.to_path_buf()
    }
}

/// Read a weights file and check it is a `arch` for this dataset, before anything is written.
pub fn read_weights(
    path: &Path,
    arch: Option<Arch>,
    data: &Loaded,
) -> Result<(WeightsMeta, Vec<u8>)> {
    let path = weights_path(path);
    let name = path.display().to_string();
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read weights {name}"))?;
    let (meta, record) = snapshot::decode(&name, &bytes)?;
    let arch = arch.unwrap_or(meta.arch);
    meta.check(&name, arch, &data.manifest.dataset, &data.manifest.classes)?;
    Ok((meta, record))
}

fn load_network(
    path: &Path,
    arch: Option<Arch>,
    data: &Loaded,
    device: &Device,
) -> Result<(WeightsMeta, Network)> {
    let (meta, record) = read_weights(path, arch, data)?;
    let net = snapshot::network_from_meta(&meta, device)?;
    let net = net.load(&weights_path(path).display().to_string(), record)?;
    Ok((meta, net))
}

pub(super) fn norm(data: &Loaded) -> Norm {
    Norm {
        mean: data.manifest.mean,
        std: data.manifest.std,
    }
}

fn train_config(c: &Common) -> TrainConfig {
    TrainConfig {
        epochs: c.epochs,
        batch_size: c.batch.max(1),
        optimizer: c.optimizer,
        lr: c.lr.unwrap_or(c.optimizer.default_lr()),
        seed: c.seed,
        plateau: !c.no_plateau,
        early_stopping: !c.no_early_stopping,
    }
}

/// Progress bars and epoch lines for the CLI.
pub(super) struct CliHooks {
    pub(super) bar: ProgressBar,
    label: String,
    pub(super) history: Vec<EpochRecord>,
    pub(super) started: Instant,
    quiet: bool,
}

impl CliHooks {
    pub(super) fn new(label: &str, steps_per_epoch: usize, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(steps_per_epoch as u64)
        };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} steps {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(format!("{label} epoch 1"));
        CliHooks {
            bar,
            label: label.to_string(),
            history: Vec::new(),
            started: Instant::now(),
            quiet,
        }
    }
}

impl<M: Classifier> FitHooks<M> for CliHooks {
    fn on_steps(&mut self, steps: &[StepMetrics]) {
        self.bar.inc(steps.len() as u64);
    }

    fn on_epoch(&mut self, r: &EpochRecord, _eval: &EvalResult, _trainer: &Trainer<M>) {
        self.epoch(r);
    }
}

impl CliHooks {
    /// An epoch ended: its line (unless quiet) and its place in the history.
    pub(super) fn epoch(&mut self, r: &EpochRecord) {
        self.bar.reset();
        self.bar
            .set_message(format!("{} epoch {}", self.label, r.epoch + 1));
        if !self.quiet {
            let line = format!(
                "{} epoch {:>3}: loss {:.4} acc {:.4} | val_loss {:.4} val_acc {:.4} | lr {:.3e}{} | {:.0} s",
                self.label,
                r.epoch,
                r.loss,
                r.accuracy,
                r.val_loss,
                r.val_accuracy,
                r.lr,
                if r.lr_reduced { " (reduced)" } else { "" },
                self.started.elapsed().as_secs_f64()
            );
            // indicatif drops println on a hidden bar (stderr not a terminal: a log file).
            if self.bar.is_hidden() {
                eprintln!("{line}");
            } else {
                self.bar.println(line);
            }
        }
        self.history.push(r.clone());
    }
}

/// The outcome of one fit.
pub(super) struct Fitted<M> {
    pub(super) model: M,
    pub(super) history: Vec<EpochRecord>,
    pub(super) end: FitEnd,
    pub(super) seconds: f64,
}

/// Where and how the CLI fits a network: on the first `n` training samples of `data`,
/// validated on its first `val_n` test samples, on `device`; `quiet` hides the epoch lines.
pub(super) struct FitPlan<'a> {
    pub(super) data: &'a Loaded,
    pub(super) n: usize,
    pub(super) val_n: usize,
    pub(super) device: &'a Device,
    pub(super) quiet: bool,
}

impl FitPlan<'_> {
    pub(super) fn opts(&self) -> FitOptions {
        FitOptions {
            read_every: 20,
            val_count: self.val_n,
            eval_batch: 1024,
        }
    }

    /// Fit `model` (on the autodiff device) to `objective`, with progress under `label`.
    pub(super) fn fit<M: Classifier>(
        &self,
        model: M,
        cfg: TrainConfig,
        objective: Objective,
        label: &str,
    ) -> Result<Fitted<M>> {
        let ad = self.device.clone().autodiff();
        let mut trainer = Trainer::new(model, cfg, objective, self.n, &ad);
        let mut hooks = CliHooks::new(label, trainer.steps_per_epoch(), self.quiet);
        let end = pollster::block_on(train::fit(
            &mut trainer,
            &self.data.train,
            &self.data.test,
            norm(self.data),
            self.device,
            self.opts(),
            &mut hooks,
        ))?;
        hooks.bar.finish_and_clear();
        Ok(Fitted {
            model: trainer.into_model(),
            history: hooks.history,
            end,
            seconds: hooks.started.elapsed().as_secs_f64(),
        })
    }
}

pub fn train(args: TrainArgs) -> Result<()> {
    if args.publish.is_some() && args.model != ModelChoice::Cnn {
        bail!("--publish is for teachers: use it with --model cnn");
    }
    if args.method != Method::Distill && args.model != ModelChoice::Student {
        bail!("--method is how a student learns: use it with --model student");
    }
    let c = &args.common;
    let mut data = store::load(
        &c.data,
        c.limit.unwrap_or(usize::MAX),
        c.val_limit.unwrap_or(usize::MAX),
    )?;
    if let Some(m) = c.repeat_to {
        data.train = data.train.repeated(data.train.len(), m);
    }
    let n = data.train.len();
    let val_n = data.test.len();
    let (device, info) = pick_device(c.device)?;
    let classes = data.manifest.num_classes();
    let cfg = train_config(c);
    let distill = DistillConfig {
        form: args.loss,
        temperature: args.temperature,
        weight: args.lambda,
    };
    let (arch, role) = match args.model {
        ModelChoice::Cnn => (Arch::Cnn, "teacher"),
        ModelChoice::Mlp => (Arch::Mlp, "baseline"),
        ModelChoice::Student => (Arch::Mlp, "distilled"),
    };
    let is_student = args.model == ModelChoice::Student;
    let method = args.method;
    let teacher = if is_student && method.needs_teacher() {
        let teacher_path = args.teacher.as_ref().with_context(|| {
            format!(
                "--method {method} needs --teacher RUN_DIR (a run of `distill train --model cnn`)"
            )
        })?;
        Some(load_network(teacher_path, Some(Arch::Cnn), &data, &device)?.1)
    } else {
        None
    };
    let describe = method.describe(&distill, args.mutual_t);
    eprintln!(
        "training {role} ({arch}) on {} ({n} train / {val_n} val) with {} on {}{}",
        data.manifest.dataset,
        cfg.optimizer,
        info.name,
        if is_student {
            format!("; {describe}")
        } else {
            String::new()
        }
    );
    let ad = device.clone().autodiff();
    model::seed(&ad, cfg.seed);
    let plan = FitPlan {
        data: &data,
        n,
        val_n,
        device: &device,
        quiet: false,
    };
    let (network, net_json, fitted) = match arch {
        Arch::Mlp if is_student => {
            let targets = methods::Targets::cache(teacher.as_ref(), &[method], &data, n, &device)?;
            let spec = methods::MethodSpec {
                method,
                distill,
                mutual_t: args.mutual_t,
                hint_epochs: args.hint_epochs,
                targets: &targets,
                labelled: None,
            };
            let r = methods::run(&spec, &cfg, &plan)?;
            if let Some((acc, _)) = &r.peer {
                eprintln!("the cohort's peer reached {acc:.4}");
            }
            let f = r.student;
            let json = serde_json::to_value(StudentConfig::new(classes))?;
            (
                Network::Student(f.model.clone()),
                json,
                (f.history, f.end, f.seconds),
            )
        }
        Arch::Cnn => {
            let nc = TeacherConfig::new(classes);
            let f = plan.fit(nc.init(&ad), cfg.clone(), Objective::CrossEntropy, role)?;
            let json = serde_json::to_value(&nc)?;
            (
                Network::Teacher(f.model.clone()),
                json,
                (f.history, f.end, f.seconds),
            )
        }
        Arch::Mlp => {
            let nc = StudentConfig::new(classes);
            let f = plan.fit(nc.init(&ad), cfg.clone(), Objective::CrossEntropy, role)?;
            let json = serde_json::to_value(&nc)?;
            (
                Network::Student(f.model.clone()),
                json,
                (f.history, f.end, f.seconds),
            )
        }
    };
    let (history, end, seconds) = fitted;
    let last = history
        .last()
        .context("no epoch completed; nothing to save")?;
    let training = json!({
        "optimizer": cfg.optimizer, "lr": cfg.lr, "batch": cfg.batch_size, "epochs": cfg.epochs,
        "seed": cfg.seed, "limit": n, "plateau": cfg.plateau, "early_stopping": cfg.early_stopping,
        "loss": if is_student { describe.clone() } else { "cross-entropy".into() },
        "method": is_student.then_some(method),
        "hint_epochs": (is_student && method == Method::FitNets).then_some(args.hint_epochs),
        "mutual_t": (is_student && method.cohort().is_some()).then_some(args.mutual_t),
        "temperature": is_student.then_some(distill.temperature),
        "lambda": is_student.then_some(distill.weight),
    });
    let params = network.num_params();
    let meta = WeightsMeta {
        format: snapshot::FORMAT,
        arch,
        role: role.into(),
        dataset: data.manifest.dataset.clone(),
        classes: data.manifest.classes.clone(),
        params,
        network: net_json,
        training: training.clone(),
        epochs: history.len(),
        val_acc: Some(last.val_accuracy),
        created_by: format!("distill {}", env!("CARGO_PKG_VERSION")),
    };
    let record = pollster::block_on(network.record_bytes()).map_err(anyhow::Error::msg)?;
    let summary = json!({
        "model": match args.model { ModelChoice::Cnn => "cnn", ModelChoice::Mlp => "mlp", ModelChoice::Student => "student" },
        "role": role,
        "dataset": data.manifest.dataset,
        "epochs": history.len(),
        "early_stopped": matches!(end, FitEnd::EarlyStopped(_)),
        "params": params,
        "val_acc": last.val_accuracy,
        "val_loss": last.val_loss,
        "loss": last.loss,
        "acc": last.accuracy,
        "loss_form": is_student.then_some(distill.form.name()),
        "method": is_student.then_some(method),
        "temperature": is_student.then_some(distill.temperature),
        "lambda": is_student.then_some(distill.weight),
        "optimizer": cfg.optimizer,
        "batch": cfg.batch_size,
        "seed": cfg.seed,
        "train_samples": n,
        "val_samples": val_n,
        "device": info.backend,
        "seconds": (seconds * 10.0).round() / 10.0,
    });
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let file = snapshot::encode(&meta, &record);
    write_atomic(&args.out.join(WEIGHTS_FILE), &file)?;
    if let Some(dir) = &args.publish {
        write_atomic(&dir.join("teacher.dlw"), &file)?;
        eprintln!(
            "published the teacher as {}",
            dir.join("teacher.dlw").display()
        );
    }
    write_atomic(
        &args.out.join("history.json"),
        serde_json::to_string_pretty(&json!({ "training": training, "epochs": history }))?
            .as_bytes(),
    )?;
    write_atomic(
        &args.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    eprintln!("wrote {}", args.out.display());
    println!("{summary}");
    Ok(())
}

pub fn eval(args: EvalArgs) -> Result<()> {
    let data = store::load(&args.data, 0, args.limit.unwrap_or(usize::MAX))?;
    let (device, _) = pick_device(args.device)?;
    let (meta, net) = load_network(&args.weights, None, &data, &device)?;
    let n = data.test.len();
    let r = pollster::block_on(train::evaluate(
        &net,
        &data.test,
        n,
        norm(&data),
        1024,
        &device,
    ))
    .map_err(anyhow::Error::msg)?;
    let classes = &data.manifest.classes;
    let per_class = r.per_class_accuracy(&data.test.labels, classes.len());
    let confusion = r.confusion(&data.test.labels, classes.len());
    eprintln!(
        "{} ({}) on {} test samples: accuracy {:.4}, loss {:.4}",
        meta.role, meta.arch, n, r.accuracy, r.loss
    );
    eprintln!("per-class accuracy:");
    for (c, a) in classes.iter().zip(&per_class) {
        eprintln!("  {c:>12}  {a:.4}");
    }
    eprintln!("confusion matrix (rows: true, columns: predicted):");
    let w = 5;
    eprint!("{:>12} ", "");
    for c in classes {
        eprint!("{:>w$}", c.chars().take(w - 1).collect::<String>());
    }
    eprintln!();
    for (c, row) in classes.iter().zip(&confusion) {
        eprint!("{:>12} ", c.chars().take(12).collect::<String>());
        for v in row {
            eprint!("{v:>w$}");
        }
        eprintln!();
    }
    println!(
        "{}",
        json!({ "model": meta.arch, "role": meta.role, "dataset": meta.dataset, "samples": n,
                "val_acc": r.accuracy, "val_loss": r.loss, "per_class": per_class, "confusion": confusion })
    );
    Ok(())
}

/// `args` with a lesson's settings in place of its own (see `SweepArgs::preset`).
fn with_preset(mut args: SweepArgs) -> Result<SweepArgs> {
    let Some(key) = &args.preset else {
        return Ok(args);
    };
    let Some(preset) = Preset::find(key) else {
        let keys: Vec<_> = PRESETS.iter().map(|p| p.key).collect();
        bail!(
            "no lesson called {key}; the lessons are {}",
            keys.join(", ")
        );
    };
    let s = preset.settings();
    if !args.common.data.ends_with(&s.dataset) {
        eprintln!(
            "note: the lesson {key} is for data/{}; running it on {}",
            s.dataset,
            args.common.data.display()
        );
    }
    let c = &mut args.common;
    (c.epochs, c.batch, c.optimizer, c.lr) = (s.epochs, s.batch, s.optimizer, s.lr);
    (c.limit, c.val_limit) = (Some(s.subset), Some(s.val));
    (c.no_plateau, c.no_early_stopping) = (!s.schedule, !s.schedule);
    // As the page does with fewer labels than samples (worker/run.rs).
    if let Some(k) = s.labelled(s.subset) {
        (args.labelled, c.repeat_to) = (Some(k), Some(settings::LABELLED_EPOCH));
    }
    (args.loss, args.temperatures, args.lambdas) = (s.loss, vec![s.temperature], vec![s.lambda]);
    Ok(args)
}

pub fn sweep(args: SweepArgs) -> Result<()> {
    let started = Instant::now();
    let args = with_preset(args)?;
    let c = &args.common;
    let mut data = store::load(
        &c.data,
        c.limit.unwrap_or(usize::MAX),
        c.val_limit.unwrap_or(usize::MAX),
    )?;
    if args.labelled == Some(0) {
        bail!("--labelled 0 leaves the baseline nothing to learn from: give at least 1");
    }
    // The labelled samples (all, without --labelled), repeated for the baseline if asked; with
    // --labelled the distilled students see the whole set, the first k labelled, unrepeated.
    let labelled = args.labelled.map(|k| k.min(data.train.len()));
    let labelled_n = labelled.unwrap_or(data.train.len());
    let repeat_to = c.repeat_to.unwrap_or(0);
    // Without --labelled every student sees the same (perhaps repeated) set; with it the
    // baseline gets a set of its own: the labelled samples, repeated.
    if labelled.is_none() && repeat_to > labelled_n {
        data.train = data.train.repeated(labelled_n, repeat_to);
    }
    let own_base = labelled.map(|k| Loaded {
        train: data.train.repeated(k, repeat_to),
        test: data.test.clone(),
        dir: data.dir.clone(),
        manifest: data.manifest.clone(),
    });
    let base_data = own_base.as_ref().unwrap_or(&data);
    let (n, val_n) = (data.train.len(), data.test.len());
    let base_n = base_data.train.len();
    let (device, _) = pick_device(c.device)?;
    if labelled.is_some() && args.methods.iter().any(|&m| m != Method::Distill) {
        bail!("--labelled is for classic distillation: run the other methods without it");
    }
    let teacher = match (
        &args.teacher,
        args.methods.iter().any(|m| m.needs_teacher()),
    ) {
        (Some(path), true) => Some(load_network(path, Some(Arch::Cnn), &data, &device)?.1),
        (None, true) => bail!("the distill and fitnets methods need --teacher RUN_DIR"),
        (_, false) => None,
    };
    let classes = data.manifest.num_classes();
    let cfg = train_config(c);
    // Once for the whole sweep.
    let targets = methods::Targets::cache(teacher.as_ref(), &args.methods, &data, n, &device)?;
    let ad = device.clone().autodiff();
    model::seed(&ad, cfg.seed);
    let plan = FitPlan {
        data: &data,
        n,
        val_n,
        device: &device,
        quiet: true,
    };
    let base_plan = FitPlan {
        data: base_data,
        n: base_n,
        ..plan
    };
    let base = base_plan.fit(
        StudentConfig::new(classes).init(&ad),
        cfg.clone(),
        Objective::CrossEntropy,
        "baseline",
    )?;
    let base_acc = base.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
    eprintln!("baseline student ({labelled_n} labelled samples, {base_n} an epoch): {base_acc:.4}");
    let mut csv = String::from("loss,temperature,lambda,val_acc,gain,epochs,method\n");
    let (mut table, mut others) = (Vec::new(), Vec::new());
    for &method in &args.methods {
        // Classic distillation and FitNets' second stage run the T × λ grid; DML has no teacher.
        let cells: Vec<(f32, f32)> = if method.cohort().is_some() {
            vec![(args.mutual_t, 0.0)]
        } else {
            (args.temperatures.iter())
                .flat_map(|&t| args.lambdas.iter().map(move |&l| (t, l)))
                .collect()
        };
        for (t, l) in cells {
            let distill = DistillConfig {
                form: args.loss,
                temperature: t,
                weight: l,
            };
            let spec = methods::MethodSpec {
                method,
                distill,
                mutual_t: args.mutual_t,
                hint_epochs: args.hint_epochs,
                targets: &targets,
                labelled,
            };
            let r = methods::run(&spec, &cfg, &plan)?;
            let f = &r.student;
            let acc = f.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
            eprintln!(
                "{method} T {t:>5} λ {l:>4}: {acc:.4} ({:+.2} points, {} epochs, {:.0} s)",
                (acc - base_acc) * 100.0,
                f.history.len(),
                f.seconds
            );
            csv.push_str(&format!(
                "{},{t},{l},{acc:.4},{:.4},{},{method}\n",
                args.loss,
                acc - base_acc,
                f.history.len()
            ));
            let row = json!({
                "method": method, "describe": method.describe(&distill, args.mutual_t),
                "temperature": t, "lambda": l, "val_acc": acc, "epochs": f.history.len(),
                "seconds": (f.seconds * 10.0).round() / 10.0,
                "peer_val_acc": r.peer.as_ref().map(|p| p.0),
                "hint_epochs": (!r.stage1.is_empty()).then_some(r.stage1.len()),
                "hint_loss": r.stage1.last().map(|e| e.loss),
            });
            if method == Method::Distill {
                table.push(row);
            } else {
                others.push(row);
            }
        }
    }
    if !table.is_empty() {
        eprintln!(
            "\n{:>8} | {}",
            "T \\ λ",
            args.lambdas
                .iter()
                .map(|l| format!("{l:>7}"))
                .collect::<Vec<_>>()
                .join("")
        );
        for (i, t) in args.temperatures.iter().enumerate() {
            let row: String = (0..args.lambdas.len())
                .map(|j| {
                    format!(
                        "{:>7.4}",
                        table[i * args.lambdas.len() + j]["val_acc"]
                            .as_f64()
                            .unwrap_or(0.0)
                    )
                })
                .collect();
            eprintln!("{t:>8} | {row}");
        }
    }
    std::fs::create_dir_all(&args.out)?;
    write_atomic(&args.out.join("sweep.csv"), csv.as_bytes())?;
    eprintln!("wrote {}", args.out.join("sweep.csv").display());
    println!(
        "{}",
        json!({
            "loss_form": args.loss.name(), "baseline_val_acc": base_acc, "grid": table,
            "methods": others,
            "labelled": labelled_n, "transfer": n, "epoch_samples": base_n, "seed": cfg.seed,
            "baseline_epochs": base.history.len(), "seconds": started.elapsed().as_secs()
        })
    );
    Ok(())
}
