//! The page's entry point (wasm only).

#[cfg(target_arch = "wasm32")]
fn main() {
    distill_lab::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
