//! The training worker without WebGPU (burn's CPU backend only): what the page loads where
//! `device::choose` picks the CPU, a fifth of the `worker` bundle's download.

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    distill_lab::worker::TrainingWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
