//! `distill sweep`: the baseline and, from its initial weights, data order and masks, every
//! method's students — classic distillation over a T × λ grid, FitNets, deep mutual learning.

use super::common::{Common, pick_device, train_config};
use super::fit::FitPlan;
use super::methods;
use super::resume::{self, ResumeKeys};
use super::store::{Loaded, write_atomic};
use super::weights::load_network;
use crate::data::batch::Norm;
use crate::distill::{DistillConfig, LossForm, Method};
use crate::model::Arch;
use crate::presets::{PRESETS, Preset};
use crate::settings;
use crate::train::{
    self, Cell, DataConfig, EpochRecord, Experiment, StudentsSpec, SweepHooks, SweepPlan, Swept,
    TeacherSpec,
};
use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

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
    #[command(flatten)]
    pub knobs: methods::Knobs,
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
    /// Where to write sweep.csv, and after every epoch each student's checkpoint
    /// (OUT/checkpoints/): run the same command again and the sweep goes on where it stopped,
    /// every network ending exactly as it would have without the interruption; one already
    /// finished is not trained again. (Deep mutual learning and FitNets' hint stage start over.)
    #[arg(long)]
    pub out: PathBuf,
    /// Keep the checkpoints in DIR rather than OUT/checkpoints: sweeps that share it take a
    /// network another of them trained (the same data, loop, seed, device, and for a taught
    /// student the same method, loss, teacher and targets) rather than train it again — e.g.
    /// one label-only baseline per seed for variants that differ only in the teacher's targets.
    #[arg(long, value_name = "DIR")]
    pub checkpoints: Option<PathBuf>,
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
    (c.subset, c.val) = (Some(s.subset), Some(s.val));
    (c.no_plateau, c.no_early_stopping) = (!s.schedule, !s.schedule);
    // As the page does with fewer labels than samples (worker/run.rs).
    if let Some(k) = s.labelled(s.subset) {
        (args.labelled, c.repeat_to) = (Some(k), Some(settings::LABELLED_EPOCH));
    }
    (args.loss, args.temperatures, args.lambdas) = (s.loss, vec![s.temperature], vec![s.lambda]);
    (c.augment, args.knobs.targets, args.knobs.hint_epochs) = (s.augment, s.targets, s.hint_epochs);
    Ok(args)
}

/// The students of this sweep over `n` training samples of `classes` classes, its first
/// method, T and λ in place (each cell replaces them): what the page's settings give for the same
/// run ([`crate::settings::Settings::students_spec`]; `args` after [`with_preset`]).
pub fn students_spec(args: &SweepArgs, classes: usize, n: usize) -> StudentsSpec {
    let k = &args.knobs;
    StudentsSpec {
        classes,
        cfg: train_config(&args.common),
        baseline: true,
        method: args.methods.first().copied(),
        distill: DistillConfig {
            form: args.loss,
            temperature: args.temperatures.first().copied().unwrap_or(1.0),
            weight: args.lambdas.first().copied().unwrap_or(0.5),
        },
        hint_epochs: k.hint_epochs,
        mutual_t: k.mutual_t,
        labelled: args.labelled.map(|k| k.min(n)),
    }
}

/// The run this sweep's first cell is, on `dataset` of `classes` classes that `has` (training,
/// validation) samples: what the page's settings give for the same run
/// ([`crate::settings::Settings::experiment`]). The sweep loads its teacher.
pub fn experiment(
    args: &SweepArgs,
    dataset: &str,
    classes: usize,
    has: (usize, usize),
) -> Experiment {
    let c = &args.common;
    let asked = (c.subset.unwrap_or(usize::MAX), c.val.unwrap_or(usize::MAX));
    let data = DataConfig::first(dataset, asked, has);
    let teacher = (args.methods.iter().any(|m| m.needs_teacher())).then_some(TeacherSpec {
        train: None,
        targets: args.knobs.targets,
    });
    let students = students_spec(args, classes, data.train);
    Experiment::new(data, students).with_teacher(teacher)
}

/// `distill sweep --preset KEY …`'s experiment, as [`sweep`] runs it (for the test that a
/// lesson's share link and its CLI flags mean the same run).
pub fn preset_experiment(
    args: SweepArgs,
    dataset: &str,
    classes: usize,
    has: (usize, usize),
) -> Result<Experiment> {
    Ok(experiment(&with_preset(args)?, dataset, classes, has))
}

// Over 80 lines: the shell's steps in order (data, teacher, its cache, the core's sweep, the
// outputs); the networks are built and trained by the core.
pub fn sweep(args: SweepArgs) -> Result<()> {
    let started = Instant::now();
    let args = with_preset(args)?;
    let c = &args.common;
    let (data, own_base, labelled_n) = sweep_data(&args)?;
    let base_data = own_base.as_ref().unwrap_or(&data);
    let (n, val_n) = (data.train.len(), data.test.len());
    let base_n = base_data.train.len();
    let (device, _) = pick_device(c.device)?;
    let teacher = match (
        &args.teacher,
        args.methods.iter().any(|m| m.needs_teacher()),
    ) {
        (Some(path), true) => Some(load_network(path, Some(Arch::Cnn), &data, &device)?.1),
        (None, true) => bail!("the distill and fitnets methods need --teacher RUN_DIR"),
        (_, false) => None,
    };
    // The teacher's accuracy on the same validation images as the students'.
    let teacher_acc = match &teacher {
        Some(t) => Some(
            pollster::block_on(train::evaluate(
                t,
                &data.test,
                val_n,
                Norm::of(&data.manifest),
                1024,
                &device,
            ))
            .map_err(anyhow::Error::msg)?
            .accuracy,
        ),
        None => None,
    };
    let m = &data.manifest;
    let exp = experiment(&args, &m.dataset, m.num_classes(), (n, val_n));
    let (students, cfg) = (&exp.students, &exp.students.cfg);
    // Once for the whole sweep.
    let teaching = methods::cache_targets(
        teacher.as_ref(),
        &args.methods,
        args.knobs.targets,
        cfg,
        &data,
        n,
        &device,
    )?;
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
    let sweep_plan = SweepPlan {
        methods: args.methods.clone(),
        form: args.loss,
        temperatures: args.temperatures.clone(),
        lambdas: args.lambdas.clone(),
        mutual_t: args.knobs.mutual_t,
    };
    let keys = ResumeKeys::new(
        (args.checkpoints.clone()).unwrap_or_else(|| args.out.join(resume::DIR)),
        &data.manifest,
        (base_n, labelled_n),
        &exp,
        &format!("{:?}", c.device),
        resume::identity(teacher.as_ref())?,
    );
    let mut hooks = Cells {
        keys,
        args: &args,
        plan: &plan,
        base_plan: &base_plan,
        students,
        teaching: &teaching,
        labelled_n,
        baseline_curve: Vec::new(),
        resumed: 0.0,
        csv: String::from("loss,temperature,lambda,val_acc,gain,epochs,method\n"),
        rows: Vec::new(),
    };
    let swept = pollster::block_on(train::sweep(&sweep_plan, &mut hooks))?
        .context("the sweep stopped before its baseline finished")?;
    let base_acc = swept.baseline;
    let (table, others): (Vec<_>, Vec<_>) =
        (hooks.rows.iter().cloned()).partition(|r| r["method"] == json!(Method::Distill));
    if args.methods.contains(&Method::Distill) {
        print_grid(&args, &swept);
    }
    std::fs::create_dir_all(&args.out)?;
    write_atomic(&args.out.join("sweep.csv"), hooks.csv.as_bytes())?;
    eprintln!("wrote {}", args.out.join("sweep.csv").display());
    println!(
        "{}",
        json!({
            "loss_form": args.loss.name(), "baseline_val_acc": base_acc, "grid": table,
            "teacher_val_acc": teacher_acc,
            "methods": others,
            "labelled": labelled_n, "transfer": n, "epoch_samples": base_n, "seed": cfg.seed,
            "baseline_epochs": hooks.baseline_curve.len(),
            "baseline_curve": hooks.baseline_curve,
            "augment": cfg.augment.to_string(), "targets": args.knobs.targets.to_string(),
            "seconds": ((started.elapsed().as_secs_f64() + hooks.resumed) * 10.0).round() / 10.0,
            "resumed_seconds": (hooks.resumed * 10.0).round() / 10.0,
            "experiment": exp.to_json()
        })
    );
    Ok(())
}

/// The CLI's side of [`train::sweep`]: each student fitted with progress on stderr, a CSV line
/// and a JSON row per cell.
struct Cells<'a> {
    keys: ResumeKeys,
    args: &'a SweepArgs,
    plan: &'a FitPlan<'a>,
    base_plan: &'a FitPlan<'a>,
    /// Every cell's students, its method and loss replaced.
    students: &'a StudentsSpec,
    teaching: &'a train::Teaching,
    /// Samples that carry labels, before any repeat.
    labelled_n: usize,
    /// The baseline's validation accuracy after each epoch ([`curve`]); its length is the
    /// baseline's epochs.
    baseline_curve: Vec<f64>,
    /// Seconds its networks had trained before this process (their checkpoints'): part of the
    /// sweep's time.
    resumed: f64,
    csv: String,
    rows: Vec<serde_json::Value>,
}

impl SweepHooks for Cells<'_> {
    type Error = anyhow::Error;

    async fn baseline(&mut self) -> Result<Option<f32>> {
        let resume = self.keys.baseline();
        let base = methods::baseline(self.students, self.base_plan, Some(&resume))?;
        let acc = base.history.last().map_or(0.0, |r| r.val_accuracy);
        self.baseline_curve = curve(&base.history);
        self.resumed += base.resumed;
        let (labelled_n, base_n) = (self.labelled_n, self.base_plan.n);
        eprintln!("baseline student ({labelled_n} labelled samples, {base_n} an epoch): {acc:.4}");
        Ok(Some(acc))
    }

    async fn cell(&mut self, cell: &Cell, base_acc: f32) -> Result<Option<f32>> {
        let (method, distill) = (cell.method, cell.distill);
        let (t, l, knobs) = (distill.temperature, distill.weight, &self.args.knobs);
        let students = StudentsSpec {
            method: Some(method),
            distill,
            ..self.students.clone()
        };
        let resume = self.keys.cell(&students);
        let r = methods::run(&students, self.teaching, self.plan, Some(&resume))?;
        let f = &r.student;
        self.resumed += f.resumed;
        let acc = f.history.last().map_or(0.0, |r| r.val_accuracy);
        eprintln!(
            "{method} T {t:>5} λ {l:>4}: {acc:.4} ({:+.2} points, {} epochs, {:.0} s)",
            (acc - base_acc) * 100.0,
            f.history.len(),
            f.seconds
        );
        self.csv.push_str(&format!(
            "{},{t},{l},{acc:.4},{:.4},{},{method}\n",
            self.args.loss,
            acc - base_acc,
            f.history.len()
        ));
        self.rows.push(json!({
            "method": method, "describe": method.describe(&distill, knobs.mutual_t),
            "temperature": t, "lambda": l, "val_acc": acc, "epochs": f.history.len(),
            "seconds": (f.seconds * 10.0).round() / 10.0,
            "curve": curve(&f.history),
            "peer_val_acc": r.peer_acc,
            "hint_epochs": (!r.stage1.is_empty()).then_some(r.stage1.len()),
            "hint_loss": r.stage1.last().map(|e| e.loss),
        }));
        Ok(Some(acc))
    }
}

/// Validation accuracy after each epoch, to four places: whether a long run's curve has
/// flattened (bench/patient.py) is read from it.
fn curve(history: &[EpochRecord]) -> Vec<f64> {
    (history.iter())
        .map(|r| (f64::from(r.val_accuracy) * 1e4).round() / 1e4)
        .collect()
}

/// Classic distillation's accuracies as a T × λ table on stderr.
fn print_grid(args: &SweepArgs, swept: &Swept) {
    let head: String = args.lambdas.iter().map(|l| format!("{l:>7}")).collect();
    eprintln!("\n{:>8} | {head}", "T \\ λ");
    for &t in &args.temperatures {
        let row: String = (args.lambdas.iter())
            .map(|&l| swept.accuracy(Method::Distill, t, l).unwrap_or(0.0))
            .map(|acc| format!("{acc:>7.4}"))
            .collect();
        eprintln!("{t:>8} | {row}");
    }
}

/// The sweep's data: the set every student sees, the baseline's own set when only some samples
/// carry labels (`--labelled`: those samples, repeated), and how many samples carry labels
/// before any repeat.
fn sweep_data(args: &SweepArgs) -> Result<(Loaded, Option<Loaded>, usize)> {
    let c = &args.common;
    let mut data = c.load()?;
    if args.labelled == Some(0) {
        bail!("--labelled 0 leaves the baseline nothing to learn from: give at least 1");
    }
    if args.labelled.is_some() && args.methods.iter().any(|&m| m != Method::Distill) {
        bail!("--labelled is for classic distillation: run the other methods without it");
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
    Ok((data, own_base, labelled_n))
}
