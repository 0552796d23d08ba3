//! The one place a device is chosen. Natively: flex (CPU) by default, wgpu on request. In the
//! browser: [`choose`] picks WebGPU or the CPU from the Device setting and the adapter; the page
//! loads the worker bundle that has that backend, and the worker starts it (WebGPU
//! asynchronously, with flex as the fallback when it fails to start or is lost).

use crate::settings::DevicePref;
#[cfg(feature = "train")]
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// What runs the tensors, for the page and the printouts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// "webgpu", "wgpu" or "cpu".
    pub backend: String,
    /// Adapter or CPU description.
    pub name: String,
    /// Why this device (e.g. why WebGPU was not used).
    pub reason: String,
}

/// Names of software WebGPU/Vulkan/D3D renderers, lower-case. On these the CPU backend trains
/// far faster than WebGPU does (docs/PERFORMANCE.md has the figures).
const SOFTWARE_RENDERERS: [&str; 5] = [
    "swiftshader",
    "llvmpipe",
    "lavapipe",
    "softpipe",
    "basic render driver",
];

/// Whether a WebGPU adapter runs on the CPU: the browser flagged it as a fallback adapter, or
/// its name (vendor, architecture, description) is a known software renderer.
pub fn is_software_adapter(name: &str, fallback: bool) -> bool {
    let name = name.to_lowercase();
    fallback || SOFTWARE_RENDERERS.iter().any(|r| name.contains(r))
}

/// What `navigator.gpu.requestAdapter()` offered, as the page and the worker both see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Adapter {
    /// No WebGPU, or no adapter: why, in words.
    Missing(String),
    /// Vendor, architecture and description; `software`: see [`is_software_adapter`].
    Found { name: String, software: bool },
}

/// The backend a run uses. One decision, made twice with the same inputs: by the page, to
/// load the worker bundle that has it (the CPU-only worker is the smaller download), and by
/// that worker, to start the device.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    WebGpu {
        adapter: String,
    },
    /// The CPU backend, and why not WebGPU.
    Cpu {
        reason: String,
    },
}

pub fn choose(pref: DevicePref, adapter: &Adapter) -> Choice {
    match (pref, adapter) {
        (DevicePref::Cpu, _) => Choice::Cpu {
            reason: "the CPU was chosen in the settings (device=cpu)".into(),
        },
        (_, Adapter::Missing(why)) => Choice::Cpu {
            reason: format!("{why}; training on the CPU instead"),
        },
        (
            DevicePref::Auto,
            Adapter::Found {
                name,
                software: true,
            },
        ) => Choice::Cpu {
            reason: format!(
                "the only WebGPU adapter is a software renderer ({name}), which trains slower \
                 than the CPU backend; choose Device \"WebGPU\" (device=webgpu) to use it anyway"
            ),
        },
        (_, Adapter::Found { name, .. }) => Choice::WebGpu {
            adapter: name.clone(),
        },
    }
}

#[cfg(feature = "train")]
/// The CPU device (burn's flex backend), native or wasm.
pub fn cpu() -> (Device, DeviceInfo) {
    (
        Device::flex(),
        DeviceInfo {
            backend: "cpu".into(),
            name: "burn flex (CPU)".into(),
            reason: String::new(),
        },
    )
}

/// A native wgpu device (Vulkan, Metal, DX12 or GL, whichever the machine has).
#[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
pub fn native_wgpu() -> Result<(Device, DeviceInfo), String> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .map_err(|e| format!("no usable GPU adapter for wgpu: {e}"))?;
    // The adapter's own name and API, so a benchmark's figures say what they were measured on.
    let adapter = setup.adapter.get_info();
    Ok((
        device,
        DeviceInfo {
            backend: "wgpu".into(),
            name: format!("{} ({:?}, wgpu)", adapter.name, setup.backend),
            reason: String::new(),
        },
    ))
}

/// WebGPU in the browser, or the reason it is not available. Only the `webgpu` build of the
/// worker has it (`worker`, not `worker_cpu`). `on_lost` is called once if the browser ever
/// loses the device (`GPUDevice.lost`: a driver reset, the GPU unplugged or given to another
/// tab, `destroy()`), with "reason: message"; the runtime then fails every read on it.
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub async fn webgpu(on_lost: impl Fn(String) + Send + 'static) -> Result<Device, String> {
    use burn::tensor::wgpu::WgpuBackend;
    let (device, setup) = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        .map_err(|e| format!("{e}"))?;
    // wgpu's web backend adds a handler to the `lost` promise (cubecl's own, which makes every
    // later read fail, stays).
    setup
        .device
        .set_device_lost_callback(move |reason, message| {
            let reason = format!("{reason:?}").to_lowercase();
            on_lost(if message.is_empty() {
                reason
            } else {
                format!("{reason}: {message}")
            })
        });
    Ok(device)
}
