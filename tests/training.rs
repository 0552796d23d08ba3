//! Short real runs on Fashion-MNIST: loss falls, accuracy is far above chance, distillation
//! runs on cached teacher logits, a seed fixes the weights, weights round-trip, and weights of
//! another architecture or dataset are refused.

mod common;

use burn::prelude::*;
use distill_lab::data::augment::Augment;
use distill_lab::data::batch::Norm;
use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::prepare::{self, NamedBytes, RawSet};
use distill_lab::distill::{DistillConfig, LossForm};
use distill_lab::model::snapshot::{self, WeightsError, WeightsMeta};
use distill_lab::model::{self, Arch, Classifier, Student, StudentConfig, TeacherConfig};
use distill_lab::train::{
    self, EpochRecord, EvalResult, FitEnd, FitHooks, FitOptions, Objective, OptimizerKind,
    StepMetrics, TrainConfig, Trainer,
};
use std::sync::OnceLock;

fn fashion() -> &'static RawSet {
    static SET: OnceLock<RawSet> = OnceLock::new();
    SET.get_or_init(|| {
        let dir = common::fashion_dir();
        let files = FileRole::ALL.map(|r| {
            let name = DatasetKind::FashionMnist.file_name(r);
            NamedBytes {
                bytes: std::fs::read(dir.join(&name)).unwrap(),
                name,
            }
        });
        prepare::from_gz_files(DatasetKind::FashionMnist, &files, "debian").unwrap()
    })
}

const NORM: Norm = Norm {
    mean: 0.2860,
    std: 0.3530,
};

/// burn's CPU device has one random generator, which draws initial weights: tests that seed it
/// and build a network must not interleave, or a seed no longer fixes the weights. (Trainers'
/// dropout masks do not use it: see `a_trainers_dropout_masks_do_not_depend_on_other_trainers`.)
fn device_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Record {
    steps: Vec<StepMetrics>,
    epochs: Vec<EpochRecord>,
}

impl<M: Classifier> FitHooks<M> for Record {
    fn on_steps(&mut self, s: &[StepMetrics]) {
        self.steps.extend_from_slice(s);
    }
    fn on_epoch(&mut self, r: &EpochRecord, _: &EvalResult, _: &Trainer<M>) {
        self.epochs.push(r.clone());
    }
}

fn config(epochs: usize, batch: usize, optimizer: OptimizerKind, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: batch,
        optimizer,
        lr: optimizer.default_lr(),
        seed,
        plateau: false,
        early_stopping: false,
        augment: Augment::OFF,
    }
}

fn run<M: Classifier>(
    model: M,
    cfg: TrainConfig,
    objective: Objective,
    n: usize,
    val: usize,
) -> (M, Record, FitEnd) {
    let device = Device::flex();
    let mut trainer = Trainer::new(model, cfg, objective, n, &device.clone().autodiff());
    let mut rec = Record::default();
    let opts = FitOptions {
        read_every: 5,
        val_count: val,
        eval_batch: 500,
    };
    let set = fashion();
    let end = pollster::block_on(train::fit(
        &mut trainer,
        &set.train,
        &set.test,
        NORM,
        &device,
        opts,
        &mut rec,
    ))
    .unwrap();
    (trainer.into_model(), rec, end)
}

fn mean(v: &[StepMetrics]) -> f32 {
    v.iter().map(|s| s.loss).sum::<f32>() / v.len() as f32
}

fn student(seed: u64) -> Student {
    let d = Device::flex().autodiff();
    model::seed(&d, seed);
    StudentConfig::new(10).init(&d)
}

#[test]
fn teacher_baseline_and_distilled_student_learn() {
    let _lock = device_lock();
    // Teacher CNN: 2 epochs of 2,000 images, Adadelta as in the study.
    let d = Device::flex().autodiff();
    model::seed(&d, 1);
    let (teacher, rec, end) = run(
        TeacherConfig::new(10).init(&d),
        config(2, 64, OptimizerKind::Adadelta, 1),
        Objective::CrossEntropy,
        2000,
        1000,
    );
    assert_eq!(end, FitEnd::Finished);
    assert_eq!(rec.epochs.len(), 2);
    let first = mean(&rec.steps[..5]);
    let last = mean(&rec.steps[rec.steps.len() - 5..]);
    assert!(
        last < first * 0.8,
        "teacher loss should fall: {first} → {last}"
    );
    let teacher_acc = rec.epochs[1].val_accuracy;
    assert!(
        teacher_acc > 0.6,
        "teacher val accuracy {teacher_acc} (chance 0.1)"
    );

    // Baseline and distilled students from the same initial weights, on 4,000 images.
    let n = 4000;
    let (base, rec_b, _) = run(
        student(7),
        config(3, 128, OptimizerKind::Adadelta, 7),
        Objective::CrossEntropy,
        n,
        1000,
    );
    let base_acc = rec_b.epochs.last().unwrap().val_accuracy;
    assert!(base_acc > 0.7, "baseline {base_acc}");
    assert!(mean(&rec_b.steps[rec_b.steps.len() - 5..]) < mean(&rec_b.steps[..5]));

    let idx: Vec<usize> = (0..n).collect();
    let cached = train::logits(
        &teacher.valid(),
        &fashion().train,
        &idx,
        NORM,
        500,
        &Device::flex(),
    );
    assert_eq!(cached.dims(), [n, 10]);
    let objective = Objective::Distill {
        config: DistillConfig::study(),
        teacher_logits: cached,
        labelled: None,
        views: 0,
    };
    let (_, rec_d, _) = run(
        student(7),
        config(3, 128, OptimizerKind::Adadelta, 7),
        objective,
        n,
        1000,
    );
    let kd_acc = rec_d.epochs.last().unwrap().val_accuracy;
    assert!(kd_acc > 0.7, "distilled {kd_acc}");
    assert!(mean(&rec_d.steps[rec_d.steps.len() - 5..]) < mean(&rec_d.steps[..5]));

    // Weights round-trip: save → load → identical predictions.
    let record = pollster::block_on(snapshot::record_bytes(&base)).unwrap();
    let meta = meta_for(Arch::Mlp, "baseline", "fashion-mnist", 10);
    let file = snapshot::encode(&meta, &record);
    let (meta2, record2) = snapshot::decode("baseline.dlw", &file).unwrap();
    assert_eq!(meta2, meta);
    let fresh = student(99);
    let loaded = snapshot::load_record("baseline.dlw", fresh, record2).unwrap();
    let set = fashion();
    let x = distill_lab::data::batch::images(&set.test, &[0, 1, 2, 3], NORM, &Device::flex());
    let a: Vec<f32> = base
        .valid()
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b: Vec<f32> = loaded
        .valid()
        .forward(x)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(a, b);
}

fn meta_for(arch: Arch, role: &str, dataset: &str, classes: usize) -> WeightsMeta {
    WeightsMeta {
        format: snapshot::FORMAT,
        arch,
        role: role.into(),
        dataset: dataset.into(),
        classes: DatasetKind::FashionMnist
            .classes()
            .into_iter()
            .take(classes)
            .collect(),
        params: 0,
        network: serde_json::to_value(StudentConfig::new(classes)).unwrap(),
        training: serde_json::json!({}),
        epochs: 1,
        val_acc: None,
        created_by: "test".into(),
    }
}

#[test]
fn same_seed_same_weights() {
    let _lock = device_lock();
    // Every parameter value, in visiting order (parameter ids are fresh per model, values are not).
    struct Values(Vec<f32>);
    impl burn::module::ModuleVisitor for Values {
        fn visit_float<const D: usize>(&mut self, p: &burn::module::Param<Tensor<D>>) {
            self.0
                .extend(p.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let weights = |seed| {
        let (m, _, _) = run(
            student(seed),
            config(1, 100, OptimizerKind::Adam, seed),
            Objective::CrossEntropy,
            500,
            100,
        );
        let mut v = Values(Vec::new());
        m.visit(&mut v);
        v.0
    };
    let a = weights(3);
    assert_eq!(a.len(), 784 * 512 + 512 + 512 * 10 + 10);
    assert!(a == weights(3), "same seed must give the same weights");
    assert!(a != weights(4), "another seed must give other weights");
}

#[test]
fn mismatched_weights_are_refused() {
    let _lock = device_lock();
    let classes = DatasetKind::FashionMnist.classes();
    let student_meta = meta_for(Arch::Mlp, "baseline", "fashion-mnist", 10);
    // Another architecture.
    let err = student_meta
        .check("s.dlw", Arch::Cnn, "fashion-mnist", &classes)
        .unwrap_err();
    assert!(
        matches!(err, WeightsError::Mismatch(_)) && err.to_string().contains("holds a mlp"),
        "{err}"
    );
    // Another dataset.
    let letters = DatasetKind::EmnistLetters.classes();
    let err = student_meta
        .check("s.dlw", Arch::Mlp, "emnist-letters", &letters)
        .unwrap_err();
    assert!(
        err.to_string().contains("fashion-mnist (10 classes)")
            && err.to_string().contains("emnist-letters (26"),
        "{err}"
    );
    // A record of another shape: burn's validation refuses it and the model is untouched.
    let d = Device::flex();
    let small = StudentConfig::new(10).with_hidden(16).init(&d);
    let record = pollster::block_on(snapshot::record_bytes(&small)).unwrap();
    let err =
        snapshot::load_record("small.dlw", StudentConfig::new(10).init(&d), record).unwrap_err();
    assert!(matches!(err, WeightsError::Mismatch(_)), "{err}");
    let teacher_record =
        pollster::block_on(snapshot::record_bytes(&TeacherConfig::new(10).init(&d))).unwrap();
    assert!(
        snapshot::load_record("t.dlw", StudentConfig::new(10).init(&d), teacher_record).is_err()
    );
    // Not a weights file, and a damaged one.
    assert!(matches!(
        snapshot::decode("x.png", b"\x89PNG....").unwrap_err(),
        WeightsError::NotWeights(_)
    ));
    let file = snapshot::encode(&student_meta, &[1, 2, 3]);
    assert!(matches!(
        snapshot::decode("cut.dlw", &file[..30]).unwrap_err(),
        WeightsError::Damaged(_)
    ));
    let (_, rec) = snapshot::decode("junk.dlw", &file).unwrap();
    assert!(matches!(
        snapshot::load_record("junk.dlw", StudentConfig::new(10).init(&d), rec).unwrap_err(),
        WeightsError::Damaged(_)
    ));
}

#[test]
fn nan_loss_stops_with_the_step() {
    let _lock = device_lock();
    // A learning rate of 1e30 blows the weights up within a few steps.
    let mut cfg = config(1, 50, OptimizerKind::Adam, 0);
    cfg.lr = 1e30;
    let device = Device::flex();
    let mut trainer = Trainer::new(
        student(0),
        cfg,
        Objective::CrossEntropy,
        1000,
        &device.clone().autodiff(),
    );
    let set = fashion();
    let opts = FitOptions {
        read_every: 1,
        val_count: 100,
        eval_batch: 100,
    };
    let err = pollster::block_on(train::fit(
        &mut trainer,
        &set.train,
        &set.test,
        NORM,
        &device,
        opts,
        &mut Record::default(),
    ))
    .unwrap_err();
    match err {
        train::FitError::NonFinite { step, .. } => assert!((1..=20).contains(&step), "step {step}"),
        e => panic!("expected a NaN stop, got {e}"),
    }
}

/// Counts the hooks' calls between pieces of work, and says stop at call `stop_at`.
struct StopAt {
    calls: usize,
    stop_at: usize,
    epochs: usize,
}

impl<M: Classifier> FitHooks<M> for StopAt {
    async fn between_steps(&mut self) -> train::Control {
        self.calls += 1;
        if self.calls == self.stop_at {
            train::Control::Stop
        } else {
            train::Control::Continue
        }
    }
    fn on_epoch(&mut self, _: &EpochRecord, _: &EvalResult, _: &Trainer<M>) {
        self.epochs += 1;
    }
}

/// Validation runs a batch at a time with the hooks between batches, so a shell can yield
/// there and a stop asked during validation ends the fit before the epoch is recorded.
#[test]
fn validation_lets_the_hooks_in_between_batches() {
    let _lock = device_lock();
    let set = fashion();
    let device = Device::flex();
    let fit = |stop_at: usize| {
        // 200 samples in batches of 50: 4 steps, then 1,000 validation samples in 4 batches.
        let mut t = Trainer::new(
            student(0),
            config(1, 50, OptimizerKind::Adadelta, 0),
            Objective::CrossEntropy,
            200,
            &device.clone().autodiff(),
        );
        let opts = FitOptions {
            read_every: 2,
            val_count: 1000,
            eval_batch: 250,
        };
        let mut hooks = StopAt {
            calls: 0,
            stop_at,
            epochs: 0,
        };
        let end = pollster::block_on(train::fit(
            &mut t, &set.train, &set.test, NORM, &device, opts, &mut hooks,
        ))
        .unwrap();
        (end, hooks.calls, hooks.epochs, t.epoch())
    };
    assert_eq!(fit(0), (FitEnd::Finished, 4 + 4, 1, 1));
    assert_eq!(fit(5), (FitEnd::Stopped, 5, 0, 0), "stopped in validation");
    assert_eq!(
        fit(8),
        (FitEnd::Stopped, 8, 0, 0),
        "stopped after the last batch"
    );
}

#[test]
fn distillation_changes_what_the_student_learns() {
    let _lock = device_lock();
    // Same initial weights, same batches: only the objective differs, so the weights must too.
    let n = 512;
    let d = Device::flex().autodiff();
    model::seed(&d, 5);
    let (teacher, _, _) = run(
        TeacherConfig::new(10).with_hidden(64).init(&d),
        config(1, 64, OptimizerKind::Adam, 5),
        Objective::CrossEntropy,
        n,
        100,
    );
    let idx: Vec<usize> = (0..n).collect();
    let cached = train::logits(
        &teacher.valid(),
        &fashion().train,
        &idx,
        NORM,
        256,
        &Device::flex(),
    );
    let init = student(11);
    let cfg = config(1, 64, OptimizerKind::Adadelta, 11);
    let kd = Objective::Distill {
        config: DistillConfig::study(),
        teacher_logits: cached.clone(),
        labelled: None,
        views: 0,
    };
    // The trainer's loss on its first batch is each objective's formula, written out by hand:
    // CE(y, softmax(s)) alone, and the study's λ·CE(y, softmax(s)) + CE(softmax(t/T),
    // softmax(s/T)) with λ = 0.5, T = 10 over the teacher's cached logits of the same samples.
    let first_batch = |objective: Objective| {
        let mut t = Trainer::new(init.clone(), cfg.clone(), objective, n, &d);
        let fwd = t.forward_next(&fashion().train, NORM).unwrap();
        let loss = t.loss(&fwd).into_data().iter::<f64>().next().unwrap();
        let idx = fwd.indices().to_vec();
        let s: Vec<f64> = fwd.logits.into_data().iter::<f64>().collect(); // [B, C]
        let y: Vec<usize> = fwd
            .labels
            .into_data()
            .iter::<i64>()
            .map(|v| v as usize)
            .collect();
        (loss, idx, s, y)
    };
    let (ce_loss, idx, s, y) = first_batch(Objective::CrossEntropy);
    let (kd_loss, idx2, s2, _) = first_batch(kd.clone());
    assert_eq!(
        (&idx, &s),
        (&idx2, &s2),
        "both objectives see the same first batch"
    );
    let classes = 10;
    let all_t: Vec<f64> = cached.clone().into_data().iter::<f64>().collect(); // [n, C]
    let log_softmax = |z: &[f64], temp: f64| -> Vec<f64> {
        let m = z.iter().cloned().fold(f64::MIN, f64::max) / temp;
        let lse = z.iter().map(|v| (v / temp - m).exp()).sum::<f64>().ln() + m;
        z.iter().map(|v| v / temp - lse).collect()
    };
    let (mut ce, mut soft) = (0.0, 0.0);
    for (row, (&i, &label)) in idx.iter().zip(&y).enumerate() {
        let si = &s[row * classes..(row + 1) * classes];
        let ti = &all_t[i * classes..(i + 1) * classes];
        ce -= log_softmax(si, 1.0)[label];
        let (lp, lq) = (log_softmax(ti, 10.0), log_softmax(si, 10.0));
        soft -= lp.iter().zip(&lq).map(|(p, q)| p.exp() * q).sum::<f64>();
    }
    let b = idx.len() as f64;
    let (ce, soft) = (ce / b, soft / b);
    assert!(
        (ce_loss - ce).abs() < 1e-4 * ce.max(1.0),
        "cross-entropy: trainer {ce_loss}, by hand {ce}"
    );
    let study = 0.5 * ce + soft;
    assert!(
        (kd_loss - study).abs() < 1e-4 * study.max(1.0),
        "study's loss: trainer {kd_loss}, by hand {study}"
    );
    assert!(
        (kd_loss - ce_loss).abs() > 0.1,
        "the soft term counts ({kd_loss} vs {ce_loss})"
    );
    let (base, _, _) = run(init.clone(), cfg.clone(), Objective::CrossEntropy, n, 100);
    let (dist, _, _) = run(init, cfg, kd, n, 100);
    let x = distill_lab::data::batch::images(&fashion().test, &[0, 1, 2], NORM, &Device::flex());
    let a: Vec<f32> = base
        .valid()
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b: Vec<f32> = dist
        .valid()
        .forward(x)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let diff: f32 = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum();
    assert!(
        diff > 1e-3,
        "baseline and distilled students ended identical (diff {diff})"
    );
}

/// The speed test's core runs end to end on the CPU and reports sane figures (not a timing
/// test: only that every figure is measured, finite and positive, memory is sampled, and each
/// phase's GPU counts are the shell's readings around that phase).
#[test]
fn bench_measures_every_figure() {
    let _lock = device_lock();
    use distill_lab::bench::{self, BenchSpec};
    let spec = BenchSpec {
        teacher_batch: 4,
        student_batch: 16,
        warmup: 1,
        warmup_s: None,
        teacher_steps: 1,
        student_steps: 2,
        memory_epochs: 2,
        classes: 10,
    };
    let t0 = std::time::Instant::now();
    let clock = move || t0.elapsed().as_secs_f64();
    // A made-up GPU counter that ticks once per reading: each phase's counts are then the
    // readings between its two (one per phase).
    let ticks = std::cell::Cell::new(0u64);
    let gpu = || {
        ticks.set(ticks.get() + 1);
        Some(bench::GpuCounts {
            dispatches: 10 * ticks.get(),
            ..Default::default()
        })
    };
    let probes = bench::Probes {
        clock: &clock,
        heap: &|| Some(1),
        gpu: &gpu,
    };
    let f =
        pollster::block_on(bench::run(&Device::flex(), &spec, &probes)).expect("the bench runs");
    for (name, v) in [
        ("teacher_train", f.teacher_train),
        ("student_kd", f.student_kd),
        ("teacher_infer", f.teacher_infer),
        ("first_step_s", f.first_step_s),
        ("matmul_peak_gflops", f.matmul_peak_gflops),
    ] {
        assert!(v.is_finite() && v > 0.0, "{name} = {v}");
    }
    let epochs: Vec<usize> = f.memory.iter().map(|m| m.epoch).collect();
    assert_eq!(epochs, [1, 2]);
    assert!(f.memory.iter().all(|m| m.heap_bytes == Some(1)));
    assert_eq!(f.warmup_steps, [1, 1]);
    let counts = f.counts.expect("the shell counted");
    assert_eq!(counts.first_step.dispatches, 10);
    assert_eq!(
        (counts.teacher_train.steps, counts.student_kd.steps),
        (1, 2)
    );
    assert_eq!(counts.teacher_infer.steps, 1);
    assert_eq!(counts.student_kd.counts.dispatches, 10);
    // Without counts from the shell there are none.
    let none = bench::Probes {
        clock: &clock,
        heap: &|| None,
        gpu: &|| None,
    };
    let f = pollster::block_on(bench::run(&Device::flex(), &spec, &none)).expect("the bench runs");
    assert_eq!(f.counts, None);
}

/// The device choice's slice of a run times the run's networks and gives a finite speed, with
/// and without a teacher to train; a clock that does not move is no reason to fail.
#[test]
fn the_device_slice_times_the_runs_networks() {
    let _lock = device_lock();
    use distill_lab::bench::{self, SliceSpec};
    let t0 = std::time::Instant::now();
    let clock = move || t0.elapsed().as_secs_f64();
    for teacher in [false, true] {
        let spec = SliceSpec {
            batch: 8,
            teacher,
            students: 2,
            classes: 10,
        };
        let sps = pollster::block_on(bench::slice(&Device::flex(), &spec, &clock)).unwrap();
        assert!(sps.is_finite() && sps > 0.0, "teacher {teacher}: {sps}");
    }
    let still = || 1.0;
    let spec = SliceSpec {
        batch: 4,
        teacher: false,
        students: 1,
        classes: 10,
    };
    let sps = pollster::block_on(bench::slice(&Device::flex(), &spec, &still)).unwrap();
    assert!(sps.is_finite(), "{sps}");
}

/// The warm-up runs all its steps without a time limit and stops after the step that reaches
/// the limit with one (the browser's: V8 optimises hot wasm only after it has run a while).
#[test]
fn bench_warm_up_stops_at_its_time_limit() {
    let _lock = device_lock();
    use distill_lab::bench::{self, BenchSpec};
    let run = |warmup_s| {
        let spec = BenchSpec {
            teacher_batch: 2,
            student_batch: 8,
            warmup: 3,
            warmup_s,
            teacher_steps: 1,
            student_steps: 1,
            memory_epochs: 0,
            classes: 10,
        };
        let t0 = std::time::Instant::now();
        let clock = move || t0.elapsed().as_secs_f64();
        let probes = bench::Probes {
            clock: &clock,
            heap: &|| None,
            gpu: &|| None,
        };
        pollster::block_on(bench::run(&Device::flex(), &spec, &probes))
            .expect("the bench runs")
            .warmup_steps
    };
    assert_eq!(run(None), [3, 3]);
    assert_eq!(run(Some(0.0)), [1, 1]);
    assert_eq!(run(Some(1e9)), [3, 3]);
}

/// Losses of `steps` steps of each trainer, stepping them in the given order pattern.
fn step_losses(
    trainers: &mut [Trainer<Student>],
    pattern: &[usize],
    steps: usize,
) -> Vec<Vec<f32>> {
    let set = fashion();
    let mut handles = vec![Vec::new(); trainers.len()];
    let mut taken = vec![0; trainers.len()];
    for &k in pattern.iter().cycle() {
        if taken.iter().all(|&t| t >= steps) {
            break;
        }
        if taken[k] < steps {
            handles[k].push(trainers[k].step(&set.train, NORM).unwrap());
            taken[k] += 1;
        }
    }
    handles
        .iter()
        .map(|h| {
            pollster::block_on(train::read_steps(h))
                .unwrap()
                .iter()
                .map(|m| m.loss)
                .collect()
        })
        .collect()
}

#[test]
fn a_trainers_dropout_masks_do_not_depend_on_other_trainers() {
    let ad = Device::flex().autodiff();
    let cfg = |seed| config(1, 32, OptimizerKind::Adadelta, seed);
    // Initial weights come from burn's one generator: build them under the lock, once.
    let (a, b) = {
        let _lock = device_lock();
        (student(3), student(4))
    };
    let fresh =
        |m: &Student, seed| Trainer::new(m.clone(), cfg(seed), Objective::CrossEntropy, 640, &ad);
    // Seed 3 alone, then seed 3 time-sliced with seed 4 (one step of 3, two of 4, …) and with
    // model::seed reseeding the thread's fallback stream in between (as a second run would).
    let alone = step_losses(&mut [fresh(&a, 3)], &[0], 12).remove(0);
    model::seed(&ad, 99);
    let mixed = step_losses(&mut [fresh(&a, 3), fresh(&b, 4)], &[0, 1, 1], 12);
    assert_eq!(
        alone, mixed[0],
        "seed 3's losses changed when seed 4 ran in between"
    );
}

#[test]
fn a_transfer_sets_labels_are_never_used() {
    // Only samples 0..k carry labels: changing the labels of samples k.. must leave training
    // exactly as it was, and changing one of 0..k must not.
    let (n, k) = (256, 40);
    let ad = Device::flex().autodiff();
    let init = {
        let _lock = device_lock();
        student(5)
    };
    let teacher = Tensor::<2>::random(
        [n, 10],
        burn::tensor::Distribution::Normal(0.0, 3.0),
        &Device::flex(),
    );
    let losses = |split: &distill_lab::data::Split| -> Vec<f32> {
        let objective = Objective::Distill {
            config: DistillConfig::study(),
            teacher_logits: teacher.clone(),
            labelled: Some(k),
            views: 0,
        };
        let cfg = config(2, 32, OptimizerKind::Adadelta, 5);
        let mut t = Trainer::new(init.clone(), cfg, objective, n, &ad);
        let mut handles = Vec::new();
        while !t.finished() {
            while let Some(h) = t.step(split, NORM) {
                handles.push(h);
            }
            t.end_epoch(1.0);
        }
        pollster::block_on(train::read_steps(&handles))
            .unwrap()
            .iter()
            .map(|m| m.loss)
            .collect()
    };
    let original = fashion().train.clone();
    let reference = losses(&original);
    assert_eq!(reference.len(), 16);
    let mut unlabelled_changed = original.clone();
    for l in &mut unlabelled_changed.labels[k..n] {
        *l = (*l + 1) % 10;
    }
    assert_eq!(losses(&unlabelled_changed), reference);
    let mut labelled_changed = original.clone();
    labelled_changed.labels[0] = (labelled_changed.labels[0] + 1) % 10;
    assert_ne!(losses(&labelled_changed), reference);
}

/// Per-member steps and epochs of a cohort run.
#[derive(Default)]
struct CohortRecord {
    steps: [Vec<StepMetrics>; 2],
    epochs: [Vec<EpochRecord>; 2],
}

impl train::CohortHooks for CohortRecord {
    fn on_steps(&mut self, m: usize, s: &[StepMetrics]) {
        self.steps[m].extend_from_slice(s);
    }
    fn on_epoch(&mut self, m: usize, r: &EpochRecord, _: &EvalResult, _: &train::Cohort) {
        self.epochs[m].push(r.clone());
    }
}

fn cohort_run(peer: train::Member, n: usize, epochs: usize, seed: u64) -> CohortRecord {
    let device = Device::flex();
    let ad = device.clone().autodiff();
    let cfg = config(epochs, 128, OptimizerKind::Adadelta, seed);
    let own = Trainer::new(
        student(seed),
        cfg,
        Objective::Mutual { temperature: 1.0 },
        n,
        &ad,
    );
    let mut cohort = train::Cohort::new(vec![train::Member::Student(own), peer], 1.0).unwrap();
    let mut rec = CohortRecord::default();
    let opts = FitOptions {
        read_every: 5,
        val_count: 1000,
        eval_batch: 500,
    };
    let set = fashion();
    let end = pollster::block_on(train::fit_cohort(
        &mut cohort,
        &set.train,
        &set.test,
        NORM,
        &device,
        opts,
        &mut rec,
    ))
    .unwrap();
    assert_eq!(end, FitEnd::Finished);
    rec
}

#[test]
fn deep_mutual_learning_trains_both_members() {
    let _lock = device_lock();
    let ad = Device::flex().autodiff();
    let (n, seed) = (4000, 7);
    // Two students: the peer from its own initial weights and masks, the same data order.
    model::seed(&ad, seed + 1000);
    let peer = Trainer::new(
        StudentConfig::new(10).init(&ad),
        config(3, 128, OptimizerKind::Adadelta, seed),
        Objective::Mutual { temperature: 1.0 },
        n,
        &ad,
    )
    .with_mask_seed(seed + 1000);
    let rec = cohort_run(train::Member::Student(peer), n, 3, seed);
    for m in 0..2 {
        let (steps, epochs) = (&rec.steps[m], &rec.epochs[m]);
        assert_eq!(epochs.len(), 3);
        assert_eq!(steps.len(), 3 * n.div_ceil(128));
        assert!(mean(&steps[steps.len() - 5..]) < 0.7 * mean(&steps[..5]));
        let acc = epochs[2].val_accuracy;
        assert!(acc > 0.7, "member {m}: {acc} (chance 0.1)");
    }
    // The members differ (own weights and masks), so each one's first loss holds a KL term:
    // it is not the baseline's cross-entropy on the same batch.
    let (_, base, _) = run(
        student(seed),
        config(1, 128, OptimizerKind::Adadelta, seed),
        Objective::CrossEntropy,
        n,
        1000,
    );
    assert_ne!(rec.steps[0][0].loss, base.steps[0].loss);
    assert_eq!(rec.steps[0][0].accuracy, base.steps[0].accuracy);

    // Student + CNN, both from scratch: one short epoch, far above chance.
    model::seed(&ad, seed + 1000);
    let cnn = Trainer::new(
        TeacherConfig::new(10).init(&ad),
        config(1, 128, OptimizerKind::Adadelta, seed),
        Objective::Mutual { temperature: 1.0 },
        2000,
        &ad,
    )
    .with_mask_seed(seed + 1000);
    let rec = cohort_run(train::Member::Teacher(cnn), 2000, 1, seed);
    assert!(rec.epochs[0][0].val_accuracy > 0.5, "{:?}", rec.epochs[0]);
    assert!(rec.epochs[1][0].val_accuracy > 0.4, "{:?}", rec.epochs[1]);
}

#[test]
fn a_cohort_of_one_or_of_unlike_sizes_is_refused() {
    let _lock = device_lock();
    let ad = Device::flex().autodiff();
    let cfg = config(1, 128, OptimizerKind::Adadelta, 0);
    let mutual = || Objective::Mutual { temperature: 1.0 };
    let a = || train::Member::Student(Trainer::new(student(0), cfg.clone(), mutual(), 1000, &ad));
    assert!(train::Cohort::new(vec![a()], 1.0).is_err());
    let b = train::Member::Student(Trainer::new(student(1), cfg.clone(), mutual(), 500, &ad));
    assert!(train::Cohort::new(vec![a(), b], 1.0).is_err());
    assert!(train::Cohort::new(vec![a(), a()], f32::NAN).is_err());
}

#[test]
fn fitnets_hints_then_distillation_learn() {
    use distill_lab::model::HintedStudent;
    let _lock = device_lock();
    let d = Device::flex().autodiff();
    model::seed(&d, 1);
    let (teacher, _, _) = run(
        TeacherConfig::new(10).init(&d),
        config(1, 64, OptimizerKind::Adadelta, 1),
        Objective::CrossEntropy,
        2000,
        500,
    );
    let n = 3000;
    let idx: Vec<usize> = (0..n).collect();
    let flex = Device::flex();
    let hints = train::hints(&teacher.valid(), &fashion().train, &idx, NORM, 500, &flex);
    assert_eq!(hints.dims(), [n, 1024]);
    // Stage 1: the regressed hidden layer moves towards the teacher's.
    let hinted = HintedStudent::new(student(7), 1024, &d);
    let (hinted, rec1, _) = run(
        hinted,
        config(2, 128, OptimizerKind::Adadelta, 7),
        Objective::Hint {
            teacher_hints: hints.clone(),
        },
        n,
        500,
    );
    let (first, last) = (
        mean(&rec1.steps[..3]),
        mean(&rec1.steps[rec1.steps.len() - 3..]),
    );
    assert!(last < 0.5 * first, "hint loss {first} → {last}");
    // The logits from the cached hint layer are the teacher's own, bit for bit.
    let logits = train::logits(&teacher.valid(), &fashion().train, &idx, NORM, 500, &flex);
    let from_hints = train::logits_from_hints(&teacher.valid(), &hints, 500);
    assert_eq!(from_hints.into_data(), logits.clone().into_data());
    // Stage 2: the regressor dropped, classic distillation from the hinted weights.
    let (_, rec2, _) = run(
        hinted.into_student(),
        config(2, 128, OptimizerKind::Adadelta, 7),
        Objective::Distill {
            config: DistillConfig::study(),
            teacher_logits: logits,
            labelled: None,
            views: 0,
        },
        n,
        1000,
    );
    let acc = rec2.epochs.last().unwrap().val_accuracy;
    assert!(acc > 0.7, "FitNets student {acc} (chance 0.1)");
}

/// The core's logit cache, stepped a batch at a time as the worker steps it, caches the rows
/// one pass of `train::logits` gives (with and without FitNets' hint layer), and stops at the
/// training set's end.
#[test]
fn the_logit_cache_stepped_equals_one_pass() {
    use distill_lab::train::{CACHE_BATCH, LogitCache};
    let _lock = device_lock();
    let flex = Device::flex();
    model::seed(&flex, 5);
    let teacher = TeacherConfig::new(10).init(&flex);
    let data = &fashion().train;
    let n = 1100;
    let idx: Vec<usize> = (0..n).collect();
    let want = train::logits(&teacher, data, &idx, NORM, CACHE_BATCH, &flex);
    let mut cache = LogitCache::new(teacher.clone(), data, n, NORM, false, &flex);
    assert_eq!(cache.progress(), (0, n));
    assert!(cache.step());
    assert_eq!(cache.progress(), (CACHE_BATCH, n));
    let got = cache.finish();
    assert!(got.hints.is_none());
    assert_eq!(got.logits.into_data(), want.clone().into_data());
    let hinted = LogitCache::new(teacher, data, n, NORM, true, &flex).finish();
    let (hints, width) = hinted.hints.expect("FitNets' hints");
    assert_eq!((hints.dims(), width), ([n, 1024], 1024));
    assert_eq!(hinted.logits.into_data(), want.into_data());
    // More samples asked for than there are: the set's end.
    let all = LogitCache::new(
        TeacherConfig::new(10).init(&flex),
        data,
        usize::MAX,
        NORM,
        false,
        &flex,
    );
    assert_eq!(all.progress(), (0, data.len()));
}

/// One confusion count for the CLI and the page: `[true][predicted]`, out-of-range classes
/// left out instead of panicking.
#[test]
fn the_confusion_matrix_counts_pairs_and_skips_bad_classes() {
    let m = train::confusion(&[0, 1, 1, 2, 9], &[0, 1, 2, 2, 0], 3);
    assert_eq!(m, vec![vec![1, 0, 0], vec![0, 1, 1], vec![0, 0, 1]]);
    let r = EvalResult {
        loss: 0.0,
        accuracy: 0.0,
        predictions: vec![0, 1, 2, 2],
    };
    assert_eq!(r.per_class_accuracy(&[0, 1, 1, 2], 3), vec![1.0, 0.5, 1.0]);
}

/// Beyer et al.'s consistency, checked where it is built: the teacher's logits cached once for
/// K views are, row for row, what the teacher says live on the views the trainer shows, so a
/// student's loss is the same either way; targets for the clean images (inconsistent) differ.
#[test]
fn cached_views_are_the_views_the_student_sees() {
    let _lock = device_lock();
    let (n, k) = (192, 2);
    let d = Device::flex().autodiff();
    model::seed(&d, 3);
    let teacher = TeacherConfig::new(10)
        .with_hidden(64)
        .init(&Device::flex())
        .valid();
    let mut cfg = config(3, 64, OptimizerKind::Adadelta, 4);
    cfg.augment = Augment {
        mixup: 1.0,
        ..Augment::JITTER
    };
    let set = &fashion().train;
    let views = train::LogitCache::new(teacher.clone(), set, n, NORM, false, &Device::flex())
        .with_views(cfg.augment, cfg.seed, k)
        .finish();
    assert_eq!((views.views, views.logits.dims()), (k, [k * n, 10]));
    let clean =
        train::LogitCache::new(teacher.clone(), set, n, NORM, false, &Device::flex()).finish();
    let distill = DistillConfig {
        form: LossForm::Hinton,
        temperature: 2.0,
        weight: 0.9,
    };
    let init = student(8);
    // The first batch's loss in epoch `epoch` (earlier epochs' batches stepped through).
    let loss_at = |objective: Objective, epoch: usize| -> f64 {
        let mut t = Trainer::new(init.clone(), cfg.clone(), objective, n, &d);
        while t.epoch() < epoch {
            while let Some(f) = t.forward_next(set, NORM) {
                let l = t.loss(&f);
                let _ = t.finish_step(f, l);
            }
            t.end_epoch(1.0);
        }
        let f = t.forward_next(set, NORM).unwrap();
        t.loss(&f).into_data().iter::<f64>().next().unwrap()
    };
    let cached = |logits: &Tensor<2>, views| Objective::Distill {
        config: distill,
        teacher_logits: logits.clone(),
        labelled: None,
        views,
    };
    let live = || Objective::Match {
        config: distill,
        teacher: teacher.clone(),
    };
    for epoch in 0..k {
        let (c, l) = (
            loss_at(cached(&views.logits, k), epoch),
            loss_at(live(), epoch),
        );
        assert!(
            (c - l).abs() < 1e-4 * l.max(1.0),
            "epoch {epoch}: cached views {c}, live {l}"
        );
        let i = loss_at(cached(&clean.logits, 0), epoch);
        assert!(
            (i - l).abs() > 1e-3,
            "epoch {epoch}: clean-image targets {i} should differ from the view's {l}"
        );
    }
    // Epoch K shows view 0 again from the cache, a fresh view 2 live.
    let (c, l) = (loss_at(cached(&views.logits, k), k), loss_at(live(), k));
    assert!(
        (c - l).abs() > 1e-3,
        "epoch {k}: the cache cycles ({c}), live views are fresh ({l})"
    );
}

/// With mixup and a labelled subset, the label term counts only images that carry a label — the
/// view's own and the one mixed in — so with no sample labelled the loss is the soft term alone.
#[test]
fn mixup_never_uses_the_labels_of_unlabelled_samples() {
    let _lock = device_lock();
    let n = 128;
    let d = Device::flex().autodiff();
    let mut cfg = config(1, 64, OptimizerKind::Adadelta, 2);
    cfg.augment = Augment {
        mixup: 1.0,
        ..Augment::OFF
    };
    let teacher = Tensor::<2>::random(
        [n, 10],
        burn::tensor::Distribution::Normal(0.0, 3.0),
        &Device::flex(),
    );
    let init = student(6);
    let first_loss = |weight: f32, labelled: Option<usize>| -> f64 {
        let objective = Objective::Distill {
            config: DistillConfig {
                form: LossForm::Hinton,
                temperature: 2.0,
                weight,
            },
            teacher_logits: teacher.clone(),
            labelled,
            views: 0,
        };
        let mut t = Trainer::new(init.clone(), cfg.clone(), objective, n, &d);
        let f = t.forward_next(&fashion().train, NORM).unwrap();
        t.loss(&f).into_data().iter::<f64>().next().unwrap()
    };
    // Hinton's form: (1 − α)·hard + α·T²·KL. Unlabelled throughout: α 0.9's loss is 0.9 × the
    // soft term, which α 1 (no hard term) gives alone.
    let (none_labelled, soft_only) = (first_loss(0.9, Some(0)), first_loss(1.0, None));
    assert!(
        (none_labelled - 0.9 * soft_only).abs() < 1e-4 * soft_only,
        "{none_labelled} vs 0.9 × {soft_only}"
    );
    // All labelled: the label term is back.
    assert!((first_loss(0.9, Some(n)) - 0.9 * soft_only).abs() > 1e-2);
}

/// The core's runner ([`train::run_students`], what the CLI and the page both call) seeds its
/// networks as `model::seed` does; its baseline and a deep-mutual-learning student start from
/// the same weights, the peer from weights of its own.
#[test]
fn the_runner_starts_its_students_from_one_seed() {
    use distill_lab::distill::Method;
    use distill_lab::train::{Event, RunHooks, Sets, Stage, StudentsSpec, Taught, Teaching};
    struct Quiet;
    impl RunHooks for Quiet {
        type Error = String;
        type Fit = Record;
        type Cohort = NoCohort;
        async fn start<M: Classifier>(
            &mut self,
            _: train::Role,
            t: Trainer<M>,
        ) -> Result<Trainer<M>, String> {
            Ok(t)
        }
        fn fit<M: Classifier>(&mut self, _: train::Role, _: &Trainer<M>, _: Stage) -> Record {
            Record::default()
        }
        fn cohort(&mut self, _: [train::Role; 2], _: (usize, usize)) -> NoCohort {
            NoCohort
        }
        fn event(&mut self, _: Event) {}
    }
    struct NoCohort;
    impl train::CohortHooks for NoCohort {}
    let _lock = device_lock();
    let set = fashion();
    let device = Device::flex();
    let sets = Sets {
        train: &set.train,
        baseline_train: &set.train,
        test: &set.test,
        norm: NORM,
        device: &device,
        opts: FitOptions {
            read_every: 5,
            val_count: 200,
            eval_batch: 200,
        },
    };
    // No epochs: the networks as the runner built them. Fixed inputs, not drawn from the
    // generator the seeds reset (burn draws a parameter's initial values when first used).
    let pixels: Vec<f32> = (0..8 * 784)
        .map(|i| (i * 37 % 101) as f32 / 101.0)
        .collect();
    let images = Tensor::<2>::from_data(TensorData::new(pixels, [8, 784]), &device);
    let out = |m: &Student| m.valid().logits(images.clone()).into_data();
    let spec = |method| StudentsSpec {
        classes: 10,
        cfg: config(0, 64, OptimizerKind::Adadelta, 11),
        baseline: true,
        method,
        distill: DistillConfig::study(),
        hint_epochs: 1,
        mutual_t: 1.0,
        labelled: None,
    };
    let run = |method| {
        pollster::block_on(train::run_students(
            &spec(method),
            &sets,
            &Teaching::default(),
            &mut Quiet,
        ))
        .unwrap()
    };
    let alone = run(None);
    assert!(alone.taught.is_none());
    let alone = out(alone.baseline.unwrap().trainer.model());
    assert_eq!(
        alone,
        out(&student(11)),
        "the runner seeds as model::seed does"
    );
    assert_ne!(alone, out(&student(12)), "another seed, other weights");
    let dml = run(Some(Method::MutualStudents));
    let baseline = out(dml.baseline.unwrap().trainer.model());
    let Some(Taught::Cohort { cohort, .. }) = dml.taught else {
        panic!("deep mutual learning runs a cohort");
    };
    let [own, peer] = <[train::Member; 2]>::try_from(cohort.into_members())
        .ok()
        .unwrap();
    let (train::Member::Student(own), train::Member::Student(peer)) = (own, peer) else {
        panic!("a cohort of two students");
    };
    let (own, peer) = (out(own.model()), out(peer.model()));
    assert_eq!(
        own, baseline,
        "the method's student starts from the baseline's weights"
    );
    assert_ne!(peer, own, "the peer starts from weights of its own");
}
