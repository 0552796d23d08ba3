//! Throughput of the study's networks on any device: the measuring half of `distill bench`
//! (native) and of the browser bench (`?bench=` in the page, run by the worker). No I/O and no
//! clock of its own: the shell passes its [`Probes`] (clock in seconds, heap, GPU counts), so the
//! same code times wasm and native.
//! Every read is async and batched, as in training.

#[cfg(feature = "train")]
pub use measure::*;

mod counts;
pub use counts::{BenchCounts, GpuCounts, PhaseCounts, Probes};
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

/// A short, fixed slice of a run's own work, to time a backend on before the run picks one
/// (`device=auto` on a hardware adapter, `device=measure`): one batch of one epoch of each
/// network the run trains, at its batch size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SliceSpec {
    pub batch: usize,
    /// Whether the run trains the teacher CNN (not when it loads one).
    pub teacher: bool,
    /// Student MLPs trained per epoch (the baseline and the method's own).
    pub students: usize,
    pub classes: usize,
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
    /// What each phase asked of the GPU, where the shell counts it (the browser bench).
    #[serde(default)]
    pub counts: Option<Box<BenchCounts>>,
}

impl BenchFigures {
    /// Fraction of the matmul peak a figure reaches (training counts 3 forward passes).
    pub fn peak_fraction(&self, samples_per_s: f64, fwd_flops: f64, passes: f64) -> f64 {
        samples_per_s * fwd_flops * passes / 1e9 / self.matmul_peak_gflops
    }
}

#[cfg(feature = "train")]
mod measure;
