//! The device a worker task runs on: the one [`device::choose`] picks (the page made the same
//! choice when it loaded this worker bundle), WebGPU started at most once per worker.

use super::error::WorkerError;
use super::state::SharedRef;
use crate::device::{self, Adapter, Choice, DeviceInfo};
use crate::gpu_probe;
use crate::settings::DevicePref;
use burn::prelude::*;

/// Start the device [`device::choose`] picks (the page made the same choice when it loaded
/// this worker bundle).
pub async fn pick(shared: &SharedRef, pref: DevicePref) -> (Device, DeviceInfo) {
    let (cpu, mut info) = device::cpu();
    let adapter = match pref {
        // No need to ask the browser.
        DevicePref::Cpu => Adapter::Missing(String::new()),
        _ => gpu_probe::adapter().await,
    };
    match device::choose(pref, &adapter) {
        Choice::Cpu { reason } => {
            info.reason = reason;
            (cpu, info)
        }
        Choice::WebGpu { adapter } => match start_webgpu(shared).await {
            Ok(d) => (
                d,
                DeviceInfo {
                    backend: "webgpu".into(),
                    name: adapter,
                    reason: String::new(),
                },
            ),
            Err(e) => {
                info.reason = format!("{e}; training on the CPU instead");
                (cpu, info)
            }
        },
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
    use super::state::send;
    use crate::protocol::FromWorker;
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
