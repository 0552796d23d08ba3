//! Throughput of the study's networks on any device: the measuring half of `distill bench`
//! (native) and of the browser bench (`?bench=` in the page, run by the worker). No I/O and no
//! clock of its own: the shell passes `clock` (seconds), so the same code times wasm and native.
//! Every read is async and batched, as in training.

#[cfg(feature = "train")]
pub use measure::*;
use serde::{Deserialize, Serialize};

/// Forward FLOPs per sample (multiply-adds counted as 2): conv 26²·64·9, conv 11²·128·64·9,
/// dense 3200·1024, dense 1024·26. A training step costs about three forward passes.
pub const TEACHER_FWD_FLOPS: f64 = 2.0
    * (26.0 * 26.0 * 64.0 * 9.0
        + 11.0 * 11.0 * 128.0 * 64.0 * 9.0
        + 3200.0 * 1024.0
        + 1024.0 * 26.0);
/// Student MLP 784-512-26, forward, per sample.
pub const STUDENT_FWD_FLOPS: f64 = 2.0 * (784.0 * 512.0 + 512.0 * 26.0);

/// What to time. The browser default is small: WebGPU runs on SwiftShader (a CPU) here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchSpec {
    pub teacher_batch: usize,
    pub student_batch: usize,
    /// Untimed steps after the first (which is timed on its own: shader compilation)...
    pub warmup: usize,
    /// ...stopping early once they have taken this many seconds (`None`: all of them). In the
    /// browser a function's code runs unoptimised at first: V8 compiles a hot wasm function
    /// again, optimised, in the background ("dynamic tiering"). The student's step is short, so
    /// after one warm-up step its timed phase still ran partly unoptimised code and measured
    /// far below what a run reaches (docs/PERFORMANCE.md). What is timed is then what a
    /// training run does after its first second.
    pub warmup_s: Option<f64>,
    pub teacher_steps: usize,
    pub student_steps: usize,
    /// Epochs of the small student run whose memory is sampled (after 1 and after all).
    pub memory_epochs: usize,
    pub classes: usize,
}

impl BenchSpec {
    /// The browser bench (a few minutes on SwiftShader).
    pub fn browser() -> Self {
        BenchSpec {
            teacher_batch: 64,
            student_batch: 256,
            warmup: 32,
            warmup_s: Some(1.0),
            teacher_steps: 3,
            student_steps: 12,
            memory_epochs: 10,
            classes: 26,
        }
    }

    /// The native bench: the study's batch size.
    pub fn native(batch: usize, warmup: usize, steps: usize) -> Self {
        BenchSpec {
            teacher_batch: batch,
            student_batch: batch,
            warmup,
            warmup_s: None,
            teacher_steps: steps,
            student_steps: steps * 4,
            memory_epochs: 0,
            classes: 26,
        }
    }
}

/// Memory after an epoch of the small run: the device pool (GPU backends) and the process or
/// wasm heap (whatever the shell can see).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemoryPoint {
    pub epoch: usize,
    pub device_bytes: Option<u64>,
    pub heap_bytes: Option<u64>,
}

/// Samples/s, first-step seconds and memory, for one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchFigures {
    pub teacher_train: f64,
    pub student_kd: f64,
    pub teacher_infer: f64,
    /// The very first teacher step on a fresh device: shader compilation and allocation.
    pub first_step_s: f64,
    /// Best GFLOP/s of a 1024² f32 matmul on this device: the ceiling figures are compared to.
    pub matmul_peak_gflops: f64,
    pub memory: Vec<MemoryPoint>,
    /// Untimed steps run before the timed teacher and student phases (`BenchSpec::warmup_s` may
    /// stop them early).
    #[serde(default)]
    pub warmup_steps: [usize; 2],
}

impl BenchFigures {
    /// Fraction of the matmul peak a figure reaches (training counts 3 forward passes).
    pub fn peak_fraction(&self, samples_per_s: f64, fwd_flops: f64, passes: f64) -> f64 {
        samples_per_s * fwd_flops * passes / 1e9 / self.matmul_peak_gflops
    }
}

/// The measuring itself (the page's UI build has no burn; it only shows the figures).
#[cfg(feature = "train")]
mod measure {
    use super::{BenchFigures, BenchSpec, MemoryPoint};
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
    }

    /// Samples/s over `steps` steps after the warm-up (`spec.warmup`, `spec.warmup_s`), and the
    /// first step's seconds. One device read per timed phase, as the worker reads metrics every
    /// few steps; the warm-up reads each step, to know when to stop.
    async fn time_training<M: Classifier>(
        mut t: Trainer<M>,
        data: &Split,
        spec: &BenchSpec,
        steps: usize,
        clock: &dyn Fn() -> f64,
    ) -> Result<Timed, String> {
        let step = |t: &mut Trainer<M>| t.step(data, NORM).ok_or("the bench ran out of data");
        let t0 = clock();
        let h = step(&mut t)?;
        read_steps(&[h]).await?;
        let first = clock() - t0;
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
        let t0 = clock();
        let hs = (0..steps)
            .map(|_| step(&mut t))
            .collect::<Result<Vec<_>, _>>()?;
        let samples: usize = hs.iter().map(|h| h.samples).sum();
        let m = read_steps(&hs).await?;
        if m.iter().any(|m| !m.loss.is_finite()) {
            return Err("the bench's loss is not finite".into());
        }
        Ok(Timed {
            samples_per_s: samples as f64 / (clock() - t0),
            first_step_s: first,
            warmup_steps,
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

    /// Best GFLOP/s of a 1024² f32 matmul (8 in a row, one read).
    pub async fn matmul_peak(device: &Device, clock: &dyn Fn() -> f64) -> Result<f64, String> {
        let n: usize = 1024;
        let a = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
        let b = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
        read(a.clone().matmul(b.clone()).sum()).await?;
        let reps: usize = 8;
        let t0 = clock();
        let mut acc = Tensor::<1>::zeros([1], device);
        for _ in 0..reps {
            acc = acc + a.clone().matmul(b.clone()).sum();
        }
        read(acc).await?;
        // In f64: 1024³·8 overflows wasm32's usize.
        Ok(2.0 * (n as f64).powi(3) * reps as f64 / (clock() - t0) / 1e9)
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
    /// then sample memory over a small student run. `heap` reports the shell's heap size.
    pub async fn run(
        device: &Device,
        spec: &BenchSpec,
        clock: &dyn Fn() -> f64,
        heap: &dyn Fn() -> Option<u64>,
    ) -> Result<BenchFigures, String> {
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
        let teacher = time_training(teacher, &data, spec, spec.teacher_steps, clock).await?;

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
        let student = time_training(student, &data, spec, spec.student_steps, clock).await?;

        // Inference as the logit cache runs it: eval mode, no autodiff, batch `sb`.
        let t_eval = TeacherConfig::new(c).init(device);
        let idx: Vec<usize> = (0..sb.min(data.len())).collect();
        read(train::logits(&t_eval, &data, &idx, NORM, sb, device).sum()).await?;
        let reps = spec.teacher_steps.max(1);
        let t0 = clock();
        let mut acc = Tensor::<1>::zeros([1], device);
        for _ in 0..reps {
            acc = acc + train::logits(&t_eval, &data, &idx, NORM, sb, device).sum();
        }
        read(acc).await?;
        let teacher_infer = (reps * idx.len()) as f64 / (clock() - t0);

        let matmul_peak_gflops = matmul_peak(device, clock).await?;
        let memory = memory_run(device, spec, heap).await?;
        Ok(BenchFigures {
            teacher_train: teacher.samples_per_s,
            student_kd: student.samples_per_s,
            teacher_infer,
            first_step_s: teacher.first_step_s,
            matmul_peak_gflops,
            memory,
            warmup_steps: [teacher.warmup_steps, student.warmup_steps],
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
}
