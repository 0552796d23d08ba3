//! The options `distill train` and `distill sweep` share (`Common`), the device they name, and
//! what they convert into: the data loaded and the training loop.

use super::store::{self, Loaded};
use crate::data::augment::Augment;
use crate::data::subset::subset_notes;
use crate::device::{self, DeviceInfo};
use crate::train::{OptimizerKind, TrainConfig};
use anyhow::Result;
#[cfg(not(feature = "wgpu"))]
use anyhow::bail;
use burn::prelude::*;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    /// burn's flex backend on the CPU.
    Cpu,
    /// A GPU through wgpu (build with `--features wgpu`).
    Wgpu,
}

/// Options shared by `train` and `sweep`.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// A prepared dataset folder (data/DATASET).
    #[arg(long)]
    pub data: PathBuf,
    #[arg(long, default_value_t = 50)]
    pub epochs: usize,
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    #[arg(long, default_value = "adadelta")]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 1.0 for adadelta, 0.001 for adam].
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train on the first N training samples only (the page's `subset=`; `--limit` is the
    /// older name).
    #[arg(long, alias = "limit")]
    pub subset: Option<usize>,
    /// Validate on the first N test samples only (the page's `val=`; `--val-limit` is the
    /// older name).
    #[arg(long, alias = "val-limit")]
    pub val: Option<usize>,
    /// Repeat a training set of fewer than M samples, whole, until an epoch holds at least M:
    /// a few hundred images then still make epochs of several steps, so the plateau schedule
    /// and early stopping work as on a full set. (With `sweep --labelled`, the baseline's
    /// labelled samples are repeated; the transfer set is not.)
    #[arg(long)]
    pub repeat_to: Option<usize>,
    /// Turn off ReduceLROnPlateau (patience 1, factor 0.1).
    #[arg(long)]
    pub no_plateau: bool,
    /// Turn off EarlyStopping (patience 3).
    #[arg(long)]
    pub no_early_stopping: bool,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Vary each training image at every step: `off`, `jitter` (2 pixels, 10 degrees, ±10 %
    /// size) or `shift=PX,rotate=DEG,scale=FRACTION,mixup=ALPHA` (any of them; mixup blends
    /// each image with another by a Beta(α, α) share, labels alike). A sweep's baseline and
    /// students all see it; `--targets` says what the teacher's targets are for.
    #[arg(long, default_value = "off", value_parser = Augment::parse)]
    pub augment: Augment,
}

pub(super) fn pick_device(choice: DeviceChoice) -> Result<(Device, DeviceInfo)> {
    match choice {
        DeviceChoice::Cpu => Ok(device::cpu()),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => {
            let (device, info) = device::native_wgpu().map_err(anyhow::Error::msg)?;
            eprintln!("{}: {}", info.name, info.reason);
            Ok((device, info))
        }
        #[cfg(not(feature = "wgpu"))]
        DeviceChoice::Wgpu => bail!(
            "this build has no GPU support; rebuild with `cargo build --release --features wgpu`"
        ),
    }
}

impl Common {
    /// The first `--subset` training and `--val` test samples of `--data`.
    /// Says (on stderr) where the samples taken are not what was asked for.
    pub(super) fn load(&self) -> Result<Loaded> {
        let (subset, val) = (self.subset, self.val);
        let (subset, val) = (subset.unwrap_or(usize::MAX), val.unwrap_or(usize::MAX));
        let data = store::load(&self.data, subset, val)?;
        let asked = (subset, val, None);
        let (train, test) = (&data.train.labels, &data.test.labels);
        for note in subset_notes(asked, train, test, &data.manifest.classes) {
            eprintln!("note: {note}");
        }
        Ok(data)
    }
}

pub(super) fn train_config(c: &Common) -> TrainConfig {
    TrainConfig {
        epochs: c.epochs,
        batch_size: c.batch.max(1),
        optimizer: c.optimizer,
        lr: c.lr.unwrap_or(c.optimizer.default_lr()),
        seed: c.seed,
        plateau: !c.no_plateau,
        early_stopping: !c.no_early_stopping,
        augment: c.augment,
    }
}
