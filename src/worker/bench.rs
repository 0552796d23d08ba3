//! The page's speed test (`?bench=`): the study's networks timed in this worker with the core's
//! [`crate::bench`], beside the memory of a small run.

use super::state::{SharedRef, end, send};
use super::{backend, web};
use crate::bench::{BenchSpec, GpuCounts, Probes};
use crate::protocol::{BenchReport, FromWorker};
use crate::settings::DevicePref;
use wasm_bindgen::JsCast;

/// The speed test: the study's networks timed on WebGPU (or the CPU backend), and the memory of
/// a small run after its first and last epoch (GPU pool and wasm heap).
pub async fn bench(shared: SharedRef, cpu: bool) {
    // The speed test measures the backend it was asked for, software WebGPU included.
    let pref = if cpu {
        DevicePref::Cpu
    } else {
        DevicePref::WebGpu
    };
    // No `FromWorker::Device`: the page's device badge describes its runs, and the report below
    // says where the speed test ran.
    let spec = BenchSpec::browser();
    // (Never measured: the preference is WebGPU or the CPU, forced.)
    let slice = crate::bench::SliceSpec {
        batch: spec.student_batch,
        teacher: true,
        students: 1,
        classes: spec.classes,
    };
    let (device, info) = backend::pick(&shared, pref, slice).await;
    let clock = || web::now_ms() / 1e3;
    let heap = || {
        wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .ok()
            .map(|m| {
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length() as u64
            })
    };
    let probes = Probes {
        clock: &clock,
        heap: &heap,
        gpu: &gpu_counts,
    };
    let out = crate::bench::run(&device, &spec, &probes).await;
    end(&shared);
    send(
        &shared,
        FromWorker::Bench(
            out.map(|figures| BenchReport {
                device: info,
                spec,
                figures,
            })
            .map_err(|e| format!("The speed test failed: {e}")),
        ),
    );
}

/// The running totals `bench/browser/gpu-counts.js` keeps in this worker's global scope, when
/// the browser bench loaded it (nothing else does: the page's own runs count nothing).
fn gpu_counts() -> Option<GpuCounts> {
    let c = js_sys::Reflect::get(&js_sys::global(), &"__gpuCounts".into()).ok()?;
    if !c.is_object() {
        return None;
    }
    // Counts are whole numbers in JavaScript's doubles, exact far beyond any bench's totals.
    let n = |k: &str| {
        js_sys::Reflect::get(&c, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
            .map(|v| v as u64)
    };
    Some(GpuCounts {
        dispatches: n("dispatches")?,
        submits: n("submits")?,
        uploads: n("uploads")?,
        upload_bytes: n("upload_bytes")?,
        reads: n("reads")?,
        read_bytes: n("read_bytes")?,
        pipelines: n("pipelines")?,
        buffers: n("buffers")?,
    })
}
