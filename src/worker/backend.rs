//! The device a worker task runs on: the one [`device::choose`] picks (the page made the same
//! choice when it loaded this worker bundle), by measuring both backends where it says so,
//! WebGPU started at most once per worker.

use super::error::WorkerError;
use super::state::{SharedRef, send};
use super::web;
use crate::bench::SliceSpec;
use crate::device::{self, Adapter, Choice, DeviceInfo, Measured};
use crate::gpu_probe;
use crate::protocol::FromWorker;
use crate::settings::DevicePref;
use burn::prelude::*;

/// Start the device [`device::choose`] picks (the page made the same choice when it loaded
/// this worker bundle, from the same remembered measurement: `Shared::remembered`). Where it
/// says to measure, `slice` is the run's work both backends are timed on.
pub async fn pick(shared: &SharedRef, pref: DevicePref, slice: SliceSpec) -> (Device, DeviceInfo) {
    let (cpu, mut info) = device::cpu();
    let adapter = match pref {
        // No need to ask the browser.
        DevicePref::Cpu => Adapter::Missing(String::new()),
        _ => gpu_probe::adapter().await,
    };
    let remembered = shared.borrow().remembered.clone();
    match device::choose(pref, &adapter, remembered.as_ref()) {
        Choice::Cpu { reason } => {
            info.reason = reason;
            (cpu, info)
        }
        Choice::WebGpu { adapter, reason } => match start_webgpu(shared).await {
            Ok(d) => (d, webgpu_info(adapter, reason, None)),
            Err(e) => {
                info.reason = format!("{e}; training on the CPU instead");
                (cpu, info)
            }
        },
        Choice::Measure { adapter } => match start_webgpu(shared).await {
            Ok(gpu) => {
                let measuring = FromWorker::Measuring {
                    adapter: adapter.clone(),
                };
                send(shared, measuring);
                measure(gpu, cpu, info, adapter, slice).await
            }
            Err(e) => {
                info.reason = format!("{e}; training on the CPU instead");
                (cpu, info)
            }
        },
    }
}

fn webgpu_info(adapter: String, reason: String, measured: Option<Box<Measured>>) -> DeviceInfo {
    // The matmul kernel start_webgpu measured for the dense layers, after why WebGPU.
    let kernel = crate::model::dense::measured();
    let reason = match (reason.is_empty(), kernel.is_empty()) {
        (_, true) => reason,
        (true, false) => kernel,
        (false, false) => format!("{reason}; {kernel}"),
    };
    DeviceInfo {
        backend: "webgpu".into(),
        name: adapter,
        reason,
        measured,
    }
}

/// Time `slice` on WebGPU and on the CPU and keep the faster. WebGPU's round goes first: its
/// first step hands the shaders to the browser's GPU process to compile, and the CPU's round
/// runs on this thread meanwhile. WebGPU gets [`Measured::WEBGPU_DEADLINE_S`] in all.
async fn measure(
    gpu: Device,
    cpu: Device,
    mut cpu_info: DeviceInfo,
    adapter: String,
    slice: SliceSpec,
) -> (Device, DeviceInfo) {
    use futures::FutureExt;
    let clock = || web::now_ms() / 1e3;
    let deadline_ms = (Measured::WEBGPU_DEADLINE_S * 1e3) as i32;
    let on_gpu = async {
        futures::select! {
            r = crate::bench::slice(&gpu, &slice, &clock).fuse() => r.ok(),
            _ = web::sleep_ms(deadline_ms).fuse() => None,
        }
    };
    let on_cpu = crate::bench::slice(&cpu, &slice, &clock);
    let (webgpu, cpu_sps) = futures::join!(on_gpu, on_cpu);
    let m = Measured {
        adapter,
        webgpu,
        cpu: cpu_sps.unwrap_or(0.0),
    };
    match m.choice("measured now") {
        Choice::WebGpu { adapter, reason } => {
            (gpu, webgpu_info(adapter, reason, Some(Box::new(m))))
        }
        other => {
            cpu_info.reason = other.reason().to_string();
            cpu_info.measured = Some(Box::new(m));
            (cpu, cpu_info)
        }
    }
}

/// WebGPU, started once per worker (burn's wgpu runtime cannot be initialised twice). Once the
/// browser loses the device it is never handed out again: every later run trains on the CPU.
#[cfg(feature = "webgpu")]
async fn start_webgpu(shared: &SharedRef) -> Result<Device, WorkerError> {
    if let Some(why) = shared.borrow().webgpu_lost.clone() {
        return Err(WorkerError::Other(format!(
            "the GPU device was lost ({why})"
        )));
    }
    let existing = shared.borrow().webgpu.clone();
    let d = match existing {
        Some(d) => d,
        None => {
            // `GPUDevice.lost` resolves on the browser's side; its handler must be `Send`, so
            // it only passes the reason on to a task of this worker's.
            let (tx, rx) = futures::channel::oneshot::channel::<String>();
            let tx = std::sync::Mutex::new(Some(tx));
            let d = device::webgpu(move |why| {
                if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                    let _ = tx.send(why);
                }
            })
            .await
            .map_err(|e| WorkerError::Other(format!("WebGPU failed to start ({e})")))?;
            // The dense layers' matmul kernel, measured once on this adapter (model/dense.rs).
            let clock = || super::web::now_ms() / 1e3;
            crate::model::dense::pick(&d, &clock).await.map_err(|e| {
                WorkerError::Other(format!("WebGPU failed its first matmuls ({e})"))
            })?;
            let shared = shared.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(why) = rx.await {
                    lost(&shared, why);
                }
            });
            d
        }
    };
    shared.borrow_mut().webgpu = Some(d.clone());
    Ok(d)
}

/// The browser lost the GPU device. A run on it fails at its next read and goes on on the CPU
/// from its checkpoint (`run::run`); an idle worker says so now.
#[cfg(feature = "webgpu")]
fn lost(shared: &SharedRef, why: String) {
    let busy = {
        let mut s = shared.borrow_mut();
        s.webgpu = None;
        s.webgpu_lost = Some(why.clone());
        s.run.busy()
    };
    if !busy {
        send(
            shared,
            FromWorker::Notice(format!(
                "The GPU device was lost ({why}). The next run trains on the CPU; networks trained on the GPU must be trained again or loaded from their files."
            )),
        );
    }
}

/// The CPU-only bundle: the page loads it only where the choice is the CPU, so this is reached
/// only if the adapter changed between the page's look and the worker's.
#[cfg(not(feature = "webgpu"))]
async fn start_webgpu(_shared: &SharedRef) -> Result<Device, WorkerError> {
    let why = "this page loaded the CPU-only training worker";
    Err(WorkerError::Other(why.into()))
}
