//! `distill train`, `distill eval` and `distill sweep`: the study's `train.py`, natively.

use super::store::{self, Loaded, write_atomic};
use crate::data::batch::Norm;
use crate::device::{self, DeviceInfo};
use crate::distill::{DistillConfig, LossForm};
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
    /// The teacher run directory or weights file.
    #[arg(long)]
    pub teacher: PathBuf,
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

fn norm(data: &Loaded) -> Norm {
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
struct CliHooks {
    bar: ProgressBar,
    label: String,
    history: Vec<EpochRecord>,
    started: Instant,
    quiet: bool,
}

impl CliHooks {
    fn new(label: &str, steps_per_epoch: usize, quiet: bool) -> Self {
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
struct Fitted<M> {
    model: M,
    history: Vec<EpochRecord>,
    end: FitEnd,
    seconds: f64,
}

#[allow(clippy::too_many_arguments)]
fn fit_model<M: Classifier>(
    model: M,
    cfg: TrainConfig,
    objective: Objective,
    data: &Loaded,
    n: usize,
    val_n: usize,
    device: &Device,
    label: &str,
    quiet: bool,
) -> Result<Fitted<M>> {
    let ad = device.clone().autodiff();
    let mut trainer = Trainer::new(model, cfg, objective, n, &ad);
    let mut hooks = CliHooks::new(label, trainer.steps_per_epoch(), quiet);
    let opts = FitOptions {
        read_every: 20,
        val_count: val_n,
        eval_batch: 1024,
    };
    let end = pollster::block_on(train::fit(
        &mut trainer,
        &data.train,
        &data.test,
        norm(data),
        device,
        opts,
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

/// Teacher logits `[n, classes]` over the first `n` training samples, computed once (eval mode).
fn teacher_logits(teacher: &Network, data: &Loaded, n: usize, device: &Device) -> Tensor<2> {
    let idx: Vec<usize> = (0..n).collect();
    train::logits(&teacher.valid(), &data.train, &idx, norm(data), 512, device)
}

pub fn train(args: TrainArgs) -> Result<()> {
    if args.publish.is_some() && args.model != ModelChoice::Cnn {
        bail!("--publish is for teachers: use it with --model cnn");
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
    let objective = if args.model == ModelChoice::Student {
        let teacher_path = args.teacher.as_ref().context(
            "--model student needs --teacher RUN_DIR (a run of `distill train --model cnn`)",
        )?;
        let (_, teacher) = load_network(teacher_path, Some(Arch::Cnn), &data, &device)?;
        eprintln!("caching teacher logits over {n} training samples...");
        Objective::Distill {
            config: distill,
            teacher_logits: teacher_logits(&teacher, &data, n, &device),
            labelled: None,
        }
    } else {
        Objective::CrossEntropy
    };
    eprintln!(
        "training {role} ({arch}) on {} ({n} train / {val_n} val) with {} on {}{}",
        data.manifest.dataset,
        cfg.optimizer,
        info.name,
        if args.model == ModelChoice::Student {
            format!("; loss {}", distill.describe())
        } else {
            String::new()
        }
    );
    let ad = device.clone().autodiff();
    model::seed(&ad, cfg.seed);
    let (network, net_json, fitted) = match arch {
        Arch::Cnn => {
            let nc = TeacherConfig::new(classes);
            let f = fit_model(
                nc.init(&ad),
                cfg.clone(),
                objective,
                &data,
                n,
                val_n,
                &device,
                role,
                false,
            )?;
            let json = serde_json::to_value(&nc)?;
            (
                Network::Teacher(f.model.clone()),
                json,
                (f.history, f.end, f.seconds),
            )
        }
        Arch::Mlp => {
            let nc = StudentConfig::new(classes);
            let f = fit_model(
                nc.init(&ad),
                cfg.clone(),
                objective,
                &data,
                n,
                val_n,
                &device,
                role,
                false,
            )?;
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
    let is_student = args.model == ModelChoice::Student;
    let training = json!({
        "optimizer": cfg.optimizer, "lr": cfg.lr, "batch": cfg.batch_size, "epochs": cfg.epochs,
        "seed": cfg.seed, "limit": n, "plateau": cfg.plateau, "early_stopping": cfg.early_stopping,
        "loss": if is_student { distill.describe() } else { "cross-entropy".into() },
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
    let (_, teacher) = load_network(&args.teacher, Some(Arch::Cnn), &data, &device)?;
    let classes = data.manifest.num_classes();
    let cfg = train_config(c);
    eprintln!("caching teacher logits over {n} training samples (once for the whole sweep)...");
    let cached = teacher_logits(&teacher, &data, n, &device);
    let ad = device.clone().autodiff();
    let student = |seed: u64| {
        model::seed(&ad, seed);
        StudentConfig::new(classes).init(&ad)
    };
    let base = fit_model(
        student(cfg.seed),
        cfg.clone(),
        Objective::CrossEntropy,
        base_data,
        base_n,
        val_n,
        &device,
        "baseline",
        true,
    )?;
    let base_acc = base.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
    eprintln!("baseline student ({labelled_n} labelled samples, {base_n} an epoch): {base_acc:.4}");
    let mut csv = String::from("loss,temperature,lambda,val_acc,gain,epochs\n");
    let mut table = Vec::new();
    for &t in &args.temperatures {
        for &l in &args.lambdas {
            let config = DistillConfig {
                form: args.loss,
                temperature: t,
                weight: l,
            };
            let objective = Objective::Distill {
                config,
                teacher_logits: cached.clone(),
                labelled,
            };
            let f = fit_model(
                student(cfg.seed),
                cfg.clone(),
                objective,
                &data,
                n,
                val_n,
                &device,
                "student",
                true,
            )?;
            let acc = f.history.last().map(|r| r.val_accuracy).unwrap_or(0.0);
            eprintln!(
                "T {t:>5} λ {l:>4}: {acc:.4} ({:+.2} points)",
                (acc - base_acc) * 100.0
            );
            csv.push_str(&format!(
                "{},{t},{l},{acc:.4},{:.4},{}\n",
                args.loss,
                acc - base_acc,
                f.history.len()
            ));
            table.push(json!({ "temperature": t, "lambda": l, "val_acc": acc }));
        }
    }
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
    std::fs::create_dir_all(&args.out)?;
    write_atomic(&args.out.join("sweep.csv"), csv.as_bytes())?;
    eprintln!("wrote {}", args.out.join("sweep.csv").display());
    println!(
        "{}",
        json!({
            "loss_form": args.loss.name(), "baseline_val_acc": base_acc, "grid": table,
            "labelled": labelled_n, "transfer": n, "epoch_samples": base_n, "seed": cfg.seed,
            "baseline_epochs": base.history.len(), "seconds": started.elapsed().as_secs()
        })
    );
    Ok(())
}
