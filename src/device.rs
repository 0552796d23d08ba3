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
    /// Both backends timed on this adapter (`device=auto` on a hardware adapter, or
    /// `device=measure`), when this choice was made by measuring: the page remembers it.
    #[serde(default)]
    pub measured: Option<Box<Measured>>,
}

/// Both backends timed on a short, fixed slice of a run's own work ([`crate::bench::slice`]:
/// its networks at its batch size), on one adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The adapter's name, as [`Adapter::Found`] has it: what the measurement is remembered by.
    pub adapter: String,
    /// Samples/s of the slice on WebGPU; `None` when its first steps (shader compilation
    /// included) did not finish within [`Measured::WEBGPU_DEADLINE_S`].
    pub webgpu: Option<f64>,
    /// Samples/s of the slice on the CPU backend.
    pub cpu: f64,
}

impl Measured {
    /// How long WebGPU's share of the measurement may take, compiling its shaders included: a
    /// backend whose first steps take longer than this would delay every run's start as much.
    pub const WEBGPU_DEADLINE_S: f64 = 8.0;

    pub fn webgpu_wins(&self) -> bool {
        self.webgpu.is_some_and(|w| w > self.cpu)
    }

    /// "WebGPU 1,840 samples/s, CPU 610: using WebGPU".
    pub fn describe(&self) -> String {
        let webgpu = match self.webgpu {
            Some(w) => format!("WebGPU {} samples/s", thousands(w)),
            None => format!(
                "WebGPU's first steps took over {} s",
                Self::WEBGPU_DEADLINE_S
            ),
        };
        let using = if self.webgpu_wins() {
            "WebGPU"
        } else {
            "the CPU"
        };
        format!(
            "{webgpu}, CPU {} samples/s: using {using}",
            thousands(self.cpu)
        )
    }

    /// The choice it makes, the reason saying what was measured (`when`: "measured now", "measured
    /// on an earlier visit").
    pub fn choice(&self, when: &str) -> Choice {
        let reason = format!("{} ({when})", self.describe());
        if self.webgpu_wins() {
            Choice::WebGpu {
                adapter: self.adapter.clone(),
                reason,
            }
        } else {
            Choice::Cpu { reason }
        }
    }
}

/// 1840.4 → "1,840".
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    /// WebGPU, and why (empty when it is simply what was asked for).
    WebGpu { adapter: String, reason: String },
    /// The CPU backend, and why not WebGPU.
    Cpu { reason: String },
    /// Time both on a slice of the run's work first, then use the faster (the WebGPU bundle,
    /// which carries the CPU backend too).
    Measure { adapter: String },
}

impl Choice {
    /// Why this choice, in words (empty when it is simply what was asked for).
    pub fn reason(&self) -> &str {
        match self {
            Choice::WebGpu { reason, .. } | Choice::Cpu { reason } => reason,
            Choice::Measure { .. } => "",
        }
    }
}

/// The choice for `pref` on `adapter`; `remembered`: both backends as measured on an earlier
/// visit (the page keeps them per adapter), which `device=auto` goes by on a hardware adapter.
pub fn choose(pref: DevicePref, adapter: &Adapter, remembered: Option<&Measured>) -> Choice {
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
        (DevicePref::Measure, Adapter::Found { name, .. }) => Choice::Measure {
            adapter: name.clone(),
        },
        (DevicePref::Auto, Adapter::Found { name, .. }) => match remembered {
            Some(m) if &m.adapter == name => m.choice("measured on an earlier visit"),
            _ => Choice::Measure {
                adapter: name.clone(),
            },
        },
        (DevicePref::WebGpu, Adapter::Found { name, .. }) => Choice::WebGpu {
            adapter: name.clone(),
            reason: String::new(),
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
            measured: None,
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
    // The dense layers' matmul kernel, measured on this adapter (model/dense.rs).
    let t0 = std::time::Instant::now();
    let clock = move || t0.elapsed().as_secs_f64();
    pollster::block_on(crate::model::dense::pick(&device, &clock))?;
    Ok((
        device,
        DeviceInfo {
            backend: "wgpu".into(),
            name: format!("{} ({:?}, wgpu)", adapter.name, setup.backend),
            reason: crate::model::dense::measured(),
            measured: None,
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
