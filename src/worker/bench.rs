//! The page's speed test (`?bench=`): the study's networks timed in this worker with the core's
//! [`crate::bench`], beside the memory of a small run.

use super::state::{SharedRef, end, send};
use super::{backend, web};
use crate::bench::BenchSpec;
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
    let (device, info) = backend::pick(&shared, pref).await;
    let spec = BenchSpec::browser();
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
    let out = crate::bench::run(&device, &spec, &clock, &heap).await;
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
