//! Dropout with a cheaper mask on the CPU backend.
//!
//! burn's `Dropout` draws its Bernoulli mask with `random_like`, which the CPU backend (flex)
//! fills one element at a time from a ChaCha generator, then multiplies twice (by the mask, then
//! by 1/keep). For the teacher's first dropout (`[256, 64, 13, 13]`), forward and backward:
//! 42.2 ms against 10.5 ms this way (`distill bench --layers`, docs/PERFORMANCE.md).
//! On the CPU the mask is drawn here instead — SplitMix64, four 16-bit draws per call, already
//! scaled by 1/keep — and applied with one multiply. On a GPU the device's own random kernel
//! stays: drawing the mask on the host would mean uploading it every step.
//!
//! Same semantics as burn's layer: identity in eval mode (`valid()`, a frozen layer, a device
//! without autodiff), otherwise keep each element with probability `1 - prob`, scaled by
//! `1 / (1 - prob)`.

use crate::train::rng::Rng;
use burn::nn::Dropout;
use burn::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// The state of the generator that seeds each mask (SplitMix64's own increment, advanced
/// atomically, so threads sharing the process draw distinct masks).
static STREAM: AtomicU64 = AtomicU64::new(0);
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Restart the masks' sequence. Call it through [`super::seed`], which seeds burn as well, so
/// the same seed gives the same run.
pub fn seed(seed: u64) {
    STREAM.store(seed, Ordering::Relaxed);
}

/// `x` with dropout applied as `layer` configures it; any shape.
pub fn forward<const D: usize>(layer: &Dropout, x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if !layer.training.is_enabled() || !device.is_autodiff() || layer.prob == 0.0 {
        return x;
    }
    if !super::on_cpu(&device) {
        return layer.forward(x);
    }
    let shape = x.shape();
    // Each mask gets a seed of its own drawn from the stream, so masks never share a sequence.
    let key = STREAM.fetch_add(GAMMA, Ordering::Relaxed);
    let values = mask(
        shape.num_elements(),
        1.0 - layer.prob,
        Rng::new(key).next_u64(),
    );
    x * Tensor::<D>::from_data(TensorData::new(values, shape), &device)
}

/// `n` values, each `1/keep` with probability `keep` (to 1/65,536) and 0 otherwise.
pub fn mask(n: usize, keep: f64, seed: u64) -> Vec<f32> {
    // A 16-bit draw is below `threshold` with probability threshold / 2^16.
    let threshold = (keep * 65_536.0).round() as u64;
    let scale = (1.0 / keep) as f32;
    let mut rng = Rng::new(seed);
    let mut out = vec![0.0f32; n];
    for chunk in out.chunks_mut(4) {
        let bits = rng.next_u64();
        for (k, v) in chunk.iter_mut().enumerate() {
            // A select, not a branch (a quarter of the draws would mispredict).
            *v = if (bits >> (16 * k)) & 0xFFFF < threshold {
                scale
            } else {
                0.0
            };
        }
    }
    out
}
