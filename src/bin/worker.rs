//! The training worker with WebGPU (built with `--features webgpu`; wasm only).

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    distill_lab::worker::TrainingWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
