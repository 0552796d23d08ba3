//! The training worker without WebGPU (burn's CPU backend only): what the page loads where
//! `device::choose` picks the CPU; smaller than the `worker` bundle (docs/PERFORMANCE.md).

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    distill_lab::worker::TrainingWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
