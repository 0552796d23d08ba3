//! `distill bench`: training and inference throughput of the study's networks on this machine,
//! side by side with Keras/TensorFlow on the CPU (the study's own stack) in the same run, and
//! against the machine's measured matmul peak. Prints figures, never a pass/fail.

use super::train::DeviceChoice;
use crate::data::Split;
use crate::data::batch::Norm;
use crate::data::prepare::PIXELS;
use crate::distill::DistillConfig;
use crate::model::{Classifier, StudentConfig, TeacherConfig};
use crate::train::{self, Objective, OptimizerKind, TrainConfig, Trainer, read_steps};
use anyhow::{Context, Result};
use burn::prelude::*;
use clap::Args;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Timed steps (after the warm-up); the student runs four times as many.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// A Python with TensorFlow for the Keras side [default: .tools/venv/bin/python].
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Skip the Keras side.
    #[arg(long)]
    pub no_keras: bool,
}

/// Forward FLOPs per sample (multiply-adds counted as 2): conv 26²·64·9, conv 11²·128·64·9,
/// dense 3200·1024, dense 1024·26; training is about three times the forward pass.
const TEACHER_FWD: f64 = 2.0
    * (26.0 * 26.0 * 64.0 * 9.0
        + 11.0 * 11.0 * 128.0 * 64.0 * 9.0
        + 3200.0 * 1024.0
        + 1024.0 * 26.0);
const STUDENT_FWD: f64 = 2.0 * (784.0 * 512.0 + 512.0 * 26.0);

fn random_split(n: usize, classes: usize) -> Split {
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

fn config(batch: usize, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: batch,
        optimizer: OptimizerKind::Adadelta,
        lr: 1.0,
        seed: 0,
        plateau: false,
        early_stopping: false,
    }
}

/// Samples/s of `steps` training steps after `warmup`, and the first step's seconds.
fn time_training<M: Classifier>(
    mut t: Trainer<M>,
    data: &Split,
    warmup: usize,
    steps: usize,
    batch: usize,
) -> (f64, f64) {
    let norm = Norm {
        mean: 0.5,
        std: 0.3,
    };
    let t0 = Instant::now();
    let h = t.step(data, norm).expect("a step");
    pollster::block_on(read_steps(&[h])).expect("read");
    let first = t0.elapsed().as_secs_f64();
    let mut hs = Vec::new();
    for _ in 1..warmup {
        hs.push(t.step(data, norm).expect("a step"));
    }
    pollster::block_on(read_steps(&hs)).expect("read");
    let t0 = Instant::now();
    let hs: Vec<_> = (0..steps)
        .map(|_| t.step(data, norm).expect("a step"))
        .collect();
    pollster::block_on(read_steps(&hs)).expect("read");
    ((steps * batch) as f64 / t0.elapsed().as_secs_f64(), first)
}

/// The best GFLOP/s a square matmul reaches here: the ceiling the figures are compared with.
fn matmul_peak(device: &Device) -> f64 {
    let n: usize = 1024;
    let a = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
    let b = Tensor::<2>::random([n, n], burn::tensor::Distribution::Default, device);
    let _ = a.clone().matmul(b.clone()).sum().into_scalar::<f32>();
    let reps: usize = 8;
    let t0 = Instant::now();
    let mut acc = Tensor::<1>::zeros([1], device);
    for _ in 0..reps {
        acc = acc + a.clone().matmul(b.clone()).sum();
    }
    let _ = acc.into_scalar::<f32>();
    2.0 * (n * n * n * reps) as f64 / t0.elapsed().as_secs_f64() / 1e9
}

fn keras(args: &BenchArgs) -> Result<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = args
        .python
        .clone()
        .unwrap_or_else(|| root.join(".tools/venv/bin/python"));
    if !python.exists() {
        anyhow::bail!(
            "no Python with TensorFlow at {} (`cargo xtask bench` makes one)",
            python.display()
        );
    }
    let out = std::process::Command::new(&python)
        .arg(root.join("bench/keras_bench.py"))
        .args([
            "--batch",
            &args.batch.to_string(),
            "--steps",
            &args.steps.to_string(),
            "--warmup",
            &args.warmup.to_string(),
        ])
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .last()
        .context("the Keras bench printed nothing")?;
    serde_json::from_str(line).with_context(|| {
        format!(
            "the Keras bench said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn run(args: BenchArgs) -> Result<()> {
    let (device, info) = match args.device {
        DeviceChoice::Cpu => crate::device::cpu(),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => crate::device::native_wgpu().map_err(anyhow::Error::msg)?,
        #[cfg(not(feature = "wgpu"))]
        DeviceChoice::Wgpu => {
            anyhow::bail!("this build has no GPU support; rebuild with `--features wgpu`")
        }
    };
    let (b, classes) = (args.batch, 26);
    let n = b * (args.warmup + args.steps * 4 + 1);
    let data = random_split(n, classes);
    let ad = device.clone().autodiff();
    eprintln!(
        "distill bench on {} ({}), batch {b}, {} timed steps",
        info.name,
        std::env::consts::ARCH,
        args.steps
    );

    let teacher = Trainer::new(
        TeacherConfig::new(classes).init(&ad),
        config(b, 1),
        Objective::CrossEntropy,
        n,
        &ad,
    );
    let (teacher_train, first_step) = time_training(teacher, &data, args.warmup, args.steps, b);
    let logits = Tensor::<2>::random(
        [n, classes],
        burn::tensor::Distribution::Normal(0.0, 3.0),
        &device,
    );
    let kd = Objective::Distill {
        config: DistillConfig::study(),
        teacher_logits: logits,
    };
    let student = Trainer::new(
        StudentConfig::new(classes).init(&ad),
        config(b, 1),
        kd,
        n,
        &ad,
    );
    let (student_kd, _) = time_training(student, &data, args.warmup, args.steps * 4, b);
    let t_eval = TeacherConfig::new(classes).init(&device);
    let idx: Vec<usize> = (0..b).collect();
    let norm = Norm {
        mean: 0.5,
        std: 0.3,
    };
    let _ = train::logits(&t_eval, &data, &idx, norm, b, &device)
        .sum()
        .into_scalar::<f32>();
    let t0 = Instant::now();
    for _ in 0..args.steps {
        let _ = train::logits(&t_eval, &data, &idx, norm, b, &device)
            .sum()
            .into_scalar::<f32>();
    }
    let teacher_infer = (args.steps * b) as f64 / t0.elapsed().as_secs_f64();
    let peak = matmul_peak(&device);
    let gflops = |sps: f64, fwd: f64, factor: f64| sps * fwd * factor / 1e9;
    let ours = json!({
        "stack": format!("distill {} / burn 0.22 ({})", env!("CARGO_PKG_VERSION"), info.name),
        "teacher_train": teacher_train, "student_kd": student_kd, "teacher_infer": teacher_infer,
        "first_step_s": first_step, "matmul_peak_gflops": peak,
    });
    let k = if args.no_keras {
        None
    } else {
        match keras(&args) {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("(Keras side skipped: {e:#})");
                None
            }
        }
    };
    let kv = |key: &str| k.as_ref().and_then(|v| v[key].as_f64());
    println!(
        "\n{:<22} {:>16} {:>9} {:>16} {:>8}",
        "samples/s", "distill", "% peak", "Keras/TF CPU", "ratio"
    );
    let rows = [
        (
            "teacher train step",
            teacher_train,
            TEACHER_FWD,
            3.0,
            "teacher_train",
        ),
        (
            "student KD step",
            student_kd,
            STUDENT_FWD,
            3.0,
            "student_kd",
        ),
        (
            "teacher inference",
            teacher_infer,
            TEACHER_FWD,
            1.0,
            "teacher_infer",
        ),
    ];
    let mut ratios = serde_json::Map::new();
    for (name, ours_sps, fwd, f, key) in rows {
        let theirs = kv(key);
        let ratio = theirs.map(|t| ours_sps / t);
        println!(
            "{name:<22} {ours_sps:>16.1} {:>8.1}% {:>16} {:>8}",
            100.0 * gflops(ours_sps, fwd, f) / peak,
            theirs
                .map(|t| format!("{t:.1}"))
                .unwrap_or_else(|| "—".into()),
            ratio
                .map(|r| format!("{r:.2}x"))
                .unwrap_or_else(|| "—".into())
        );
        if let Some(r) = ratio {
            ratios.insert(format!("{key}_vs_keras"), json!(r));
        }
    }
    println!(
        "{:<22} {:>15.2}s {:>9} {:>15}s",
        "first step",
        first_step,
        "",
        kv("first_step_s")
            .map(|s| format!("{s:.2}"))
            .unwrap_or_else(|| "—".into())
    );
    println!(
        "matmul peak here: {peak:.1} GFLOP/s (1024² f32, burn); % peak counts 3x forward FLOPs for training"
    );
    if let Some(k) = &k {
        println!("Keras side: {}", k["stack"].as_str().unwrap_or("?"));
    }
    let native_vs_keras = ratios.get("teacher_train_vs_keras").and_then(|t| {
        let s = ratios.get("student_kd_vs_keras")?.as_f64()?;
        Some((t.as_f64()? * s).sqrt())
    });
    println!(
        "{}",
        json!({ "ours": ours, "keras": k, "ratios": ratios, "native_vs_keras": native_vs_keras, "first_step_s": first_step })
    );
    Ok(())
}
