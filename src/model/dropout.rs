//! Dropout with a cheaper mask on the CPU backend, drawn from a stream its trainer owns.
//!
//! burn's `Dropout` draws its Bernoulli mask with `random_like`, which the CPU backend (flex)
//! fills one element at a time from a ChaCha generator, then multiplies twice (by the mask, then
//! by 1/keep). On the CPU the mask is drawn here instead — SplitMix64, four 16-bit draws per
//! call, already scaled by 1/keep — and applied with one multiply (`distill bench --layers`
//! times both; docs/PERFORMANCE.md). On a GPU the device's own random kernel stays: drawing the
//! mask on the host would mean uploading it every step.
//!
//! **Whose masks.** A trainer runs each forward pass inside [`with_stream`] with a key derived
//! from its seed and step ([`step_key`]); the n-th dropout layer of that pass draws from
//! `(key, n)`. So a mask depends on (seed, step, layer) only — not on which other trainer ran
//! in between, which is what the browser's worker does when it trains the baseline and the
//! distilled student side by side with time-sliced yields. A forward pass is synchronous, so the
//! scope cannot straddle a yield. Outside any scope (benchmarks, a test calling a network
//! directly) masks come from this thread's fallback stream, which [`super::seed`] restarts.
//!
//! Same semantics as burn's layer: identity in eval mode (`valid()`, a frozen layer, a device
//! without autodiff), otherwise keep each element with probability `1 - prob`, scaled by
//! `1 / (1 - prob)`.

use crate::rng::Rng;
use burn::nn::Dropout;
use burn::prelude::*;
use std::cell::Cell;

/// SplitMix64's increment: successive keys of a stream are this far apart.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

thread_local! {
    /// The scope's key and the number of masks drawn in it so far; `None` outside a scope.
    static SCOPE: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    /// The fallback stream's state, for masks drawn outside a scope.
    static FALLBACK: Cell<u64> = const { Cell::new(0) };
}

/// Restart this thread's fallback stream. Call it through [`super::seed`], which seeds burn as
/// well. Trainers do not depend on it: their masks come from [`with_stream`].
pub fn seed(seed: u64) {
    FALLBACK.with(|s| s.set(seed));
}

/// The key of a trainer's step: a function of the run's seed and the global step number only,
/// so a run resumed at an epoch boundary draws the masks it would have drawn. The baseline and
/// the distilled student of one seed get the same masks on purpose: paired runs then differ in
/// their objective alone.
pub fn step_key(seed: u64, step: usize) -> u64 {
    Rng::new(seed ^ (step as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// Run `f` (one forward pass) with its dropout masks drawn from `key`; nested scopes restore
/// the outer one.
pub fn with_stream<R>(key: u64, f: impl FnOnce() -> R) -> R {
    /// Restores the outer scope on the way out, a panic included.
    struct Restore(Option<(u64, u64)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPE.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SCOPE.with(|s| s.replace(Some((key, 0)))));
    f()
}

/// The seed of the next mask: the scope's `(key, layer)`, or the fallback stream's next value.
fn next_mask_seed() -> u64 {
    let scoped = SCOPE.with(|s| {
        s.get().map(|(key, layer)| {
            s.set(Some((key, layer + 1)));
            Rng::new(key ^ layer.wrapping_mul(GAMMA)).next_u64()
        })
    });
    scoped.unwrap_or_else(|| {
        FALLBACK.with(|s| {
            let key = s.get();
            s.set(key.wrapping_add(GAMMA));
            Rng::new(key).next_u64()
        })
    })
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
    let values = mask(shape.num_elements(), 1.0 - layer.prob, next_mask_seed());
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
