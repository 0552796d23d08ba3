//! The one place a device is chosen. Natively: flex (CPU) by default, wgpu on request. In the
//! browser: WebGPU, initialised asynchronously in the worker, with flex as the fallback.

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
/// 12–25× faster (docs/PERFORMANCE.md: teacher 6.4 vs 78.7, student 149 vs 3,670 samples/s).
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
    let device = Device::wgpu_options()
        .init()
        .map_err(|e| format!("no usable GPU adapter for wgpu: {e}"))?;
    Ok((
        device,
        DeviceInfo {
            backend: "wgpu".into(),
            name: "wgpu default adapter".into(),
            reason: String::new(),
        },
    ))
}

/// WebGPU in the browser, or the reason it is not available.
#[cfg(all(target_arch = "wasm32", feature = "train"))]
pub async fn webgpu() -> Result<Device, String> {
    use burn::tensor::wgpu::WgpuBackend;
    Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| format!("{e}"))
}
