//! The study's two networks. Both take flattened, normalised images `[batch, 784]` and return
//! class logits `[batch, classes]`, so trainers and the logit cache treat them alike.

pub mod conv_relu_pool;
mod conv_relu_pool_forward;
pub mod dense;
pub mod dropout;
pub mod hinted;
pub mod max_pool;
pub mod multi_channel_conv;
pub mod patch_conv;
pub mod single_channel_conv;
pub mod snapshot;
pub mod student;
pub mod teacher;
#[cfg(any(feature = "wgpu", feature = "webgpu"))]
mod tiled_matmul;

pub use hinted::HintedStudent;
pub use student::{Student, StudentConfig};
pub use teacher::{Teacher, TeacherConfig};

use burn::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A network that maps images to logits.
pub trait Classifier: Module {
    /// `[batch, 784]` normalised pixels → `[batch, classes]` logits.
    fn logits(&self, images: Tensor<2>) -> Tensor<2>;

    /// FitNets' stage 1: the regressed guided layer `[batch, hint]` and the logits
    /// `[batch, classes]` from one pass; `None` for networks without a hint regressor.
    fn guided(&self, _images: Tensor<2>) -> Option<(Tensor<2>, Tensor<2>)> {
        None
    }
}

/// Whether `device` is burn's CPU backend (with or without autodiff), where [`dropout`],
/// [`single_channel_conv`], [`multi_channel_conv`] and [`max_pool`] replace layers burn runs
/// slowly there.
pub fn on_cpu(device: &Device) -> bool {
    device.clone().without_autodiff() == Device::flex()
}

/// Seed what is random in building a network on `device`: burn's generator (initial weights,
/// dropout on a GPU) and this thread's fallback dropout stream ([`dropout::seed`]). A trainer's
/// CPU dropout masks come from its own stream (seed, step, layer), whatever else runs.
pub fn seed(device: &Device, seed: u64) {
    device.seed(seed);
    dropout::seed(seed);
}

/// Which network: the CLI's `--model` and the saved weights' `architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// The teacher CNN (`--model cnn`).
    Cnn,
    /// The student MLP, trained alone (`--model mlp`) or distilled (`--model student`).
    Mlp,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::Cnn => "cnn",
            Arch::Mlp => "mlp",
        }
    }

    /// Parameter count for `classes` outputs with the study's widths.
    pub fn params(self, classes: usize) -> usize {
        let device = Device::flex();
        match self {
            Arch::Cnn => TeacherConfig::new(classes).init(&device).num_params(),
            Arch::Mlp => StudentConfig::new(classes).init(&device).num_params(),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cnn" | "teacher" => Ok(Arch::Cnn),
            "mlp" | "student" => Ok(Arch::Mlp),
            _ => Err(format!("unknown model '{s}'; expected cnn, mlp or student")),
        }
    }
}
