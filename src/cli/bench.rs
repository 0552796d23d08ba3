//! `distill bench`: training and inference throughput of the study's networks on this machine,
//! side by side with Keras/TensorFlow on the CPU (the study's own stack) in the same run, and
//! against the machine's measured matmul peak. Prints figures, never a pass/fail.

mod device_layers;
mod layers;

use super::common::DeviceChoice;
use crate::bench::{self, BenchSpec, STUDENT_FWD_FLOPS, TEACHER_FWD_FLOPS};
use anyhow::{Context, Result};
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
    /// Then time the CPU backend's stand-in layers beside the burn layers they replace (on a GPU:
    /// each of burn's layers of the teacher's step, and its share of the step).
    #[arg(long)]
    pub layers: bool,
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

// Over 80 lines: the figures, then each printed beside Keras' in one table.
pub fn run(args: BenchArgs) -> Result<()> {
    let (device, info) = super::common::pick_device(args.device)?;
    let b = args.batch;
    eprintln!(
        "distill bench on {} ({}), batch {b}, {} timed steps",
        info.name,
        std::env::consts::ARCH,
        args.steps
    );
    let spec = BenchSpec::native(b, args.warmup, args.steps);
    let t0 = Instant::now();
    let clock = move || t0.elapsed().as_secs_f64();
    let probes = bench::Probes {
        clock: &clock,
        heap: &|| None,
        gpu: &|| None,
    };
    let f = pollster::block_on(bench::run(&device, &spec, &probes)).map_err(anyhow::Error::msg)?;
    let (teacher_train, student_kd, teacher_infer, first_step, peak) = (
        f.teacher_train,
        f.student_kd,
        f.teacher_infer,
        f.first_step_s,
        f.matmul_peak_gflops,
    );
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
            TEACHER_FWD_FLOPS,
            3.0,
            "teacher_train",
        ),
        (
            "student KD step",
            student_kd,
            STUDENT_FWD_FLOPS,
            3.0,
            "student_kd",
        ),
        (
            "teacher inference",
            teacher_infer,
            TEACHER_FWD_FLOPS,
            1.0,
            "teacher_infer",
        ),
    ];
    let (mut ratios, mut fractions) = (serde_json::Map::new(), serde_json::Map::new());
    for (name, ours_sps, fwd, passes, key) in rows {
        fractions.insert(key.into(), json!(f.peak_fraction(ours_sps, fwd, passes)));
        let theirs = kv(key);
        let ratio = theirs.map(|t| ours_sps / t);
        println!(
            "{name:<22} {ours_sps:>16.1} {:>8.1}% {:>16} {:>8}",
            100.0 * f.peak_fraction(ours_sps, fwd, passes),
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
    // The CPU's table goes into the JSON line (docs/PERFORMANCE.md is generated from it); a
    // GPU's is printed only (bench/gpu_report.py reads it from the output).
    let layer_rows = match (args.layers, info.backend.as_str()) {
        (true, "cpu") => layers::run(b, args.steps),
        (true, _) => {
            let step_ms = 1000.0 * b as f64 / teacher_train;
            device_layers::run(&device, b, args.steps, step_ms, spec.classes);
            Vec::new()
        }
        (false, _) => Vec::new(),
    };
    // Last, so the report's last line stays the JSON object.
    println!(
        "{}",
        json!({
            "ours": ours, "keras": k, "ratios": ratios, "native_vs_keras": native_vs_keras,
            "first_step_s": first_step, "peak_fraction": fractions, "batch": b, "steps": args.steps,
            "threads": rayon::current_num_threads(), "layers": layer_rows,
            "fwd_flops": { "teacher": TEACHER_FWD_FLOPS, "student": STUDENT_FWD_FLOPS },
        })
    );
    Ok(())
}
