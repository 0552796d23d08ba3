//! Distill Lab: watch knowledge distillation happen.
//!
//! The core ([`data`], [`model`], [`distill`], [`train`]) does no I/O and knows nothing of the
//! browser; the CLI ([`cli`], native) and the worker and UI (wasm) are shells around it.

// Outside tests an error is said (with the file and the fix), never unwrapped.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod bench;
pub mod checkpoint;
pub mod data;
pub mod device;
pub mod distill;
pub mod image;
pub mod measured;
#[cfg(feature = "train")]
pub mod model;
#[cfg(feature = "train")]
mod parallel;
pub mod presets;
pub mod protocol;
pub mod rng;
pub mod settings;
pub mod train;

#[cfg(all(not(target_arch = "wasm32"), feature = "train"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod gpu_probe;
#[cfg(target_arch = "wasm32")]
pub mod js_error;
#[cfg(all(target_arch = "wasm32", feature = "train"))]
pub mod worker;
