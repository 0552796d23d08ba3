//! Weights files on disk: a run's folder or the file itself, read and checked against the
//! dataset before a network is built from it.

use super::store::Loaded;
use crate::model::Arch;
use crate::model::snapshot::{self, Network, WeightsMeta};
use anyhow::{Context, Result};
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// What a run folder calls its weights (`distill train --out`).
pub const WEIGHTS_FILE: &str = "weights.dlw";

fn weights_path(p: &Path) -> PathBuf {
    if p.is_dir() {
        p.join(WEIGHTS_FILE)
    } else {
        p.to_path_buf()
    }
}

/// Read a weights file and check it is a `arch` for this dataset, before anything is written.
pub fn read_weights(
    path: &Path,
    arch: Option<Arch>,
    data: &Loaded,
) -> Result<(WeightsMeta, Vec<u8>)> {
    let path = weights_path(path);
    let name = path.display().to_string();
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read weights {name}"))?;
    let (meta, record) = snapshot::decode(&name, &bytes)?;
    let arch = arch.unwrap_or(meta.arch);
    meta.check(&name, arch, &data.manifest.dataset, &data.manifest.classes)?;
    Ok((meta, record))
}

pub(super) fn load_network(
    path: &Path,
    arch: Option<Arch>,
    data: &Loaded,
    device: &Device,
) -> Result<(WeightsMeta, Network)> {
    let (meta, record) = read_weights(path, arch, data)?;
    let net = snapshot::network_from_meta(&meta, device)?;
    let net = net.load(&weights_path(path).display().to_string(), record)?;
    Ok((meta, net))
}
