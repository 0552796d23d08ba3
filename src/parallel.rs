//! Work for the lab's own CPU kernels (the model's stand-ins, the optimizer's step), split over
//! the cores where there are threads: natively on rayon's pool (the one burn's CPU backend runs
//! its own kernels on), one item after another in the browser's worker, which has no threads.
//!
//! Results come back in the items' order, so sums of partial results do not depend on how the
//! work was scheduled: the same seed gives the same run.

/// `f` of each item, in the items' order.
#[cfg(not(target_arch = "wasm32"))]
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.into_par_iter().map(f).collect()
}

/// `f` of each item, in the items' order.
#[cfg(target_arch = "wasm32")]
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    items.into_iter().map(f).collect()
}
