//! What a WebGPU program asked of the GPU, as the browser bench counts it, and the probes a
//! shell lends the measuring.

use serde::{Deserialize, Serialize};

/// Running totals of what a WebGPU program asked of the GPU (`bench/browser/gpu-counts.js`
/// keeps them in the browser bench; a shell without them reports none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuCounts {
    /// Compute dispatches (direct and indirect).
    pub dispatches: u64,
    /// Queue submissions.
    pub submits: u64,
    /// CPU → GPU writes (`writeBuffer`, buffers mapped at creation or for writing) and bytes.
    pub uploads: u64,
    pub upload_bytes: u64,
    /// GPU → CPU reads (buffers mapped for reading) and bytes.
    pub reads: u64,
    pub read_bytes: u64,
    /// Compute pipelines created (each a shader compiled, unless the browser cached it).
    pub pipelines: u64,
    /// Buffers created.
    pub buffers: u64,
}

impl GpuCounts {
    /// What happened between `self` (earlier) and `later`.
    pub fn until(self, later: GpuCounts) -> GpuCounts {
        GpuCounts {
            dispatches: later.dispatches - self.dispatches,
            submits: later.submits - self.submits,
            uploads: later.uploads - self.uploads,
            upload_bytes: later.upload_bytes - self.upload_bytes,
            reads: later.reads - self.reads,
            read_bytes: later.read_bytes - self.read_bytes,
            pipelines: later.pipelines - self.pipelines,
            buffers: later.buffers - self.buffers,
        }
    }
}

/// The counts of one timed phase: `steps` steps (or inference batches) queued back to back and
/// their one read at the end, as timed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhaseCounts {
    pub steps: usize,
    pub counts: GpuCounts,
}

/// What each measured phase asked of the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BenchCounts {
    /// The very first teacher step: its pipelines are the shaders a run compiles first.
    pub first_step: GpuCounts,
    pub teacher_train: PhaseCounts,
    pub student_kd: PhaseCounts,
    pub teacher_infer: PhaseCounts,
}

/// What the shell lends the measuring: its clock (seconds), its heap size, and its GPU counts.
pub struct Probes<'a> {
    pub clock: &'a dyn Fn() -> f64,
    pub heap: &'a dyn Fn() -> Option<u64>,
    pub gpu: &'a dyn Fn() -> Option<GpuCounts>,
}
