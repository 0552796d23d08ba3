//! The measuring itself (the page's UI build has no burn; it only shows the figures).

use super::{BenchCounts, BenchFigures, BenchSpec, GpuCounts, MemoryPoint, PhaseCounts, Probes};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::data::prepare::PIXELS;
use crate::distill::DistillConfig;
use crate::model::{Classifier, StudentConfig, TeacherConfig};
use crate::train::{self, Objective, OptimizerKind, TrainConfig, Trainer, read_steps};
use burn::prelude::*;
use burn::tensor::Transaction;

/// `n` samples of deterministic noise with cycling labels: speed does not depend on the pixels.
pub fn random_split(n: usize, classes: usize) -> Split {
    let mut s = Split::default();
    let mut x = 0x2545_f491u32;
    for i in 0..n {
        s.labels.push((i % classes) as u8);
        for _ in 0..PIXELS {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            s.pixels.push((x >> 24) as u8);
        }
    }
    s
}

const NORM: Norm = Norm {
    mean: 0.5,
    std: 0.3,
};

fn config(batch: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: batch,
        optimizer: OptimizerKind::Adadelta,
        lr: 1.0,
        seed: 0,
        plateau: false,
        early_stopping: false,
        augment: crate::data::augment::Augment::OFF,
    }
}

/// What one training phase measured.
struct Timed {
    samples_per_s: f64,
    first_step_s: f64,
    warmup_steps: usize,
    /// The first step's GPU counts and the timed phase's, where the shell counts them.
    counts: Option<(GpuCounts, PhaseCounts)>,
}

/// The counts between two readings of `gpu`, when there are both.
fn between(a: Option<GpuCounts>, b: Option<GpuCounts>) -> Option<GpuCounts> {
    Some(a?.until(b?))
}

/// Samples/s over `steps` steps after the warm-up (`spec.warmup`, `spec.warmup_s`), and the
/// first step's seconds. One device read per timed phase, as the worker reads metrics every
/// few steps; the warm-up reads each step, to know when to stop.
async fn time_training<M: Classifier>(
    mut t: Trainer<M>,
    data: &Split,
    spec: &BenchSpec,
    steps: usize,
    probes: &Probes<'_>,
) -> Result<Timed, String> {
    let (clock, gpu) = (probes.clock, probes.gpu);
    let step = |t: &mut Trainer<M>| t.step(data, NORM).ok_or("the bench ran out of data");
    let c0 = gpu();
    let t0 = clock();
    let h = step(&mut t)?;
    read_steps(&[h]).await?;
    let first = clock() - t0;
    let first_counts = between(c0, gpu());
    let t0 = clock();
    let mut warmup_steps = 0;
    while warmup_steps < spec.warmup {
        let h = step(&mut t)?;
        read_steps(&[h]).await?;
        warmup_steps += 1;
        if spec.warmup_s.is_some_and(|s| clock() - t0 >= s) {
            break;
        }
    }
    let c0 = gpu();
    let t0 = clock();
    let hs = (0..steps)
        .map(|_| step(&mut t))
        .collect::<Result<Vec<_>, _>>()?;
    let samples: usize = hs.iter().map(|h| h.samples).sum();
    let m = read_steps(&hs).await?;
    let samples_per_s = samples as f64 / (clock() - t0);
    if m.iter().any(|m| !m.loss.is_finite()) {
        return Err("the bench's loss is not finite".into());
    }
    let phase = between(c0, gpu()).map(|counts| PhaseCounts { steps, counts });
    Ok(Timed {
        samples_per_s,
        first_step_s: first,
        warmup_steps,
        counts: first_counts.zip(phase),
    })
}

async fn read(t: Tensor<1>) -> Result<f32, String> {
    let d = Transaction::default()
        .register(t)
        .execute_async()
        .await
        .map_err(|e| format!("reading from the device failed: {e:?}"))?;
    Ok(d[0].iter::<f32>().next().unwrap_or(f32::NAN))
}

/// Best GFLOP/s of a 1024² f32 matmul (8 in a row, one read), on the kernel the dense layers
/// run on this device (`model::dense::chosen_matmul`).
pub async fn matmul_peak(device: &Device, clock: &dyn Fn() -> f64) -> Result<f64, String> {
    let n: usize = 1024;
    let a = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
    let b = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
    let mm = || crate::model::dense::chosen_matmul(a.clone(), b.clone());
    read(mm().sum()).await?;
    let reps: usize = 8;
    let t0 = clock();
    let mut acc = Tensor::<1>::zeros([1], device);
    for _ in 0..reps {
        acc = acc + mm().sum();
    }
    read(acc).await?;
    // In f64: 1024³·8 overflows wasm32's usize.
    Ok(2.0 * (n as f64).powi(3) * reps as f64 / (clock() - t0) / 1e9)
}

/// Samples/s of [`SliceSpec`]'s slice on `device`: one untimed round (shader compilation,
/// allocation), then one timed round of a teacher step (if the run trains one) and a step of
/// each student, read once. A sample counts once however many networks it passes through:
/// the figure is how fast the run's epochs would go, comparable between backends.
pub async fn slice(
    device: &Device,
    spec: &super::SliceSpec,
    clock: &dyn Fn() -> f64,
) -> Result<f64, String> {
    let (c, b) = (spec.classes, spec.batch);
    let rounds = 2;
    let n = b * rounds * spec.students.max(1);
    let data = random_split(n, c);
    let ad = device.clone().autodiff();
    let mut teacher = spec.teacher.then(|| {
        Trainer::new(
            TeacherConfig::new(c).init(&ad),
            config(b, 1),
            Objective::CrossEntropy,
            n,
            &ad,
        )
    });
    let mut student = Trainer::new(
        StudentConfig::new(c).init(&ad),
        config(b, 1),
        kd(n, c, device),
        n,
        &ad,
    );
    let mut t0 = 0.0;
    for round in 0..rounds {
        if round == 1 {
            t0 = clock();
        }
        let mut hs = Vec::new();
        if let Some(t) = teacher.as_mut() {
            hs.push(t.step(&data, NORM).ok_or("the slice ran out of data")?);
        }
        for _ in 0..spec.students {
            hs.push(
                student
                    .step(&data, NORM)
                    .ok_or("the slice ran out of data")?,
            );
        }
        let m = read_steps(&hs).await?;
        if m.iter().any(|m| !m.loss.is_finite()) {
            return Err("the slice's loss is not finite".into());
        }
    }
    Ok(b as f64 / (clock() - t0).max(1e-9))
}

/// The student's KD objective against random cached teacher logits `[n, C]`.
fn kd(n: usize, classes: usize, device: &Device) -> Objective {
    Objective::Distill {
        config: DistillConfig::study(),
        teacher_logits: Tensor::<2>::random(
            [n, classes],
            burn::tensor::Distribution::Normal(0.0, 3.0),
            device,
        ),
        labelled: None,
        views: 0,
    }
}

/// Time the teacher's training step, the student's KD step and teacher inference on `device`,
/// then sample memory over a small student run; count each phase's GPU work where the shell
/// can (`probes.gpu`).
pub async fn run(
    device: &Device,
    spec: &BenchSpec,
    probes: &Probes<'_>,
) -> Result<BenchFigures, String> {
    let (clock, gpu) = (probes.clock, probes.gpu);
    let c = spec.classes;
    let ad = device.clone().autodiff();

    let tb = spec.teacher_batch;
    let n = tb * (1 + spec.warmup + spec.teacher_steps);
    let data = random_split(n, c);
    let teacher = Trainer::new(
        TeacherConfig::new(c).init(&ad),
        config(tb, 1),
        Objective::CrossEntropy,
        n,
        &ad,
    );
    let teacher = time_training(teacher, &data, spec, spec.teacher_steps, probes).await?;

    let sb = spec.student_batch;
    let n = sb * (1 + spec.warmup + spec.student_steps);
    let data = random_split(n, c);
    let student = Trainer::new(
        StudentConfig::new(c).init(&ad),
        config(sb, 1),
        kd(n, c, device),
        n,
        &ad,
    );
    let student = time_training(student, &data, spec, spec.student_steps, probes).await?;

    // Inference as the logit cache runs it: eval mode, no autodiff, batch `sb`.
    let t_eval = TeacherConfig::new(c).init(device);
    let idx: Vec<usize> = (0..sb.min(data.len())).collect();
    read(train::logits(&t_eval, &data, &idx, NORM, sb, device).sum()).await?;
    let reps = spec.teacher_steps.max(1);
    let c0 = gpu();
    let t0 = clock();
    let mut acc = Tensor::<1>::zeros([1], device);
    for _ in 0..reps {
        acc = acc + train::logits(&t_eval, &data, &idx, NORM, sb, device).sum();
    }
    read(acc).await?;
    let teacher_infer = (reps * idx.len()) as f64 / (clock() - t0);
    let infer_counts = between(c0, gpu()).map(|counts| PhaseCounts {
        steps: reps,
        counts,
    });

    let matmul_peak_gflops = matmul_peak(device, clock).await?;
    let memory = memory_run(device, spec, probes.heap).await?;
    let counts = match (teacher.counts, student.counts, infer_counts) {
        (Some((first_step, teacher_train)), Some((_, student_kd)), Some(teacher_infer)) => {
            Some(Box::new(BenchCounts {
                first_step,
                teacher_train,
                student_kd,
                teacher_infer,
            }))
        }
        _ => None,
    };
    Ok(BenchFigures {
        teacher_train: teacher.samples_per_s,
        student_kd: student.samples_per_s,
        teacher_infer,
        first_step_s: teacher.first_step_s,
        matmul_peak_gflops,
        memory,
        warmup_steps: [teacher.warmup_steps, student.warmup_steps],
        counts,
    })
}

/// A small distillation run (8 batches an epoch, `memory_epochs` epochs): memory after the
/// first epoch and after the last must match, or something leaks per step.
async fn memory_run(
    device: &Device,
    spec: &BenchSpec,
    heap: &dyn Fn() -> Option<u64>,
) -> Result<Vec<MemoryPoint>, String> {
    if spec.memory_epochs == 0 {
        return Ok(Vec::new());
    }
    let (c, b) = (spec.classes, spec.student_batch);
    let n = 8 * b;
    let data = random_split(n, c);
    let ad = device.clone().autodiff();
    let mut t = Trainer::new(
        StudentConfig::new(c).init(&ad),
        config(b, spec.memory_epochs),
        kd(n, c, device),
        n,
        &ad,
    );
    let mut points = Vec::new();
    while !t.finished() {
        let mut hs = Vec::new();
        while let Some(h) = t.step(&data, NORM) {
            hs.push(h);
        }
        let m = read_steps(&hs).await?;
        t.end_epoch(m.last().map_or(0.0, |m| m.loss));
        if t.epoch() == 1 || t.finished() {
            points.push(MemoryPoint {
                epoch: t.epoch(),
                device_bytes: device.memory_pool_usage().map(|u| u.bytes_reserved),
                heap_bytes: heap(),
            });
        }
    }
    Ok(points)
}
