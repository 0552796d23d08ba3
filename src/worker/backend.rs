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

/// WebGPU, started once per worker (burn's wgpu runtime cannot be initialised twice).
#[cfg(feature = "webgpu")]
async fn start_webgpu(shared: &SharedRef) -> Result<Device, WorkerError> {
    let existing = shared.borrow().webgpu.clone();
    let d = match existing {
        Some(d) => d,
        None => device::webgpu()
            .await
            .map_err(|e| WorkerError::Other(format!("WebGPU failed to start ({e})")))?,
    };
    shared.borrow_mut().webgpu = Some(d.clone());
    Ok(d)
}

/// The CPU-only bundle: the page loads it only where the choice is the CPU, so this is reached
/// only if the adapter changed between the page's look and the worker's.
#[cfg(not(feature = "webgpu"))]
async fn start_webgpu(_shared: &SharedRef) -> Result<Device, WorkerError> {
    let why = "this page loaded the CPU-only training worker";
    Err(WorkerError::Other(why.into()))
}
