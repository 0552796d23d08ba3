//! `distill eval`: accuracy, per-class accuracy and the confusion matrix of saved weights.

use super::common::{DeviceChoice, pick_device};
use super::store::{self};
use super::weights::load_network;
use crate::data::batch::Norm;
use crate::model::snapshot;
use crate::train::{self};
use anyhow::Result;
use burn::tensor::DType;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A weights file (or a run directory holding weights.dlw).
    #[arg(long)]
    pub weights: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    /// Evaluate on the first N test samples only (the page's `val=`; `--limit` is the older
    /// name).
    #[arg(long, alias = "limit")]
    pub val: Option<usize>,
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceChoice,
    /// Also write a copy of the weights with every parameter in half precision (half the
    /// size: how the repo ships its published teacher, teachers/), evaluated itself: its
    /// header's accuracy is the copy's on these test samples.
    #[arg(long)]
    pub write_half: Option<PathBuf>,
}

pub fn eval(args: EvalArgs) -> Result<()> {
    let data = store::load(&args.data, 0, args.val.unwrap_or(usize::MAX))?;
    let (device, _) = pick_device(args.device)?;
    let (mut meta, mut net) = load_network(&args.weights, None, &data, &device)?;
    let mut half = None;
    if let Some(out) = &args.write_half {
        let record =
            pollster::block_on(net.record_bytes_as(DType::F16)).map_err(anyhow::Error::msg)?;
        net = net.load(&out.display().to_string(), record.clone())?;
        half = Some((out, record));
    }
    let n = data.test.len();
    let r = pollster::block_on(train::evaluate(
        &net,
        &data.test,
        n,
        Norm::of(&data.manifest),
        1024,
        &device,
    ))
    .map_err(anyhow::Error::msg)?;
    let classes = &data.manifest.classes;
    let per_class = r.per_class_accuracy(&data.test.labels, classes.len());
    let confusion = r.confusion(&data.test.labels, classes.len());
    eprintln!(
        "{} ({}) on {} test samples: accuracy {:.4}, loss {:.4}",
        meta.role, meta.arch, n, r.accuracy, r.loss
    );
    eprintln!("per-class accuracy:");
    for (c, a) in classes.iter().zip(&per_class) {
        eprintln!("  {c:>12}  {a:.4}");
    }
    eprintln!("confusion matrix (rows: true, columns: predicted):");
    let w = 5;
    eprint!("{:>12} ", "");
    for c in classes {
        eprint!("{:>w$}", c.chars().take(w - 1).collect::<String>());
    }
    eprintln!();
    for (c, row) in classes.iter().zip(&confusion) {
        eprint!("{:>12} ", c.chars().take(12).collect::<String>());
        for v in row {
            eprint!("{v:>w$}");
        }
        eprintln!();
    }
    if let Some((out, record)) = half {
        meta.val_acc = Some(r.accuracy);
        store::write_atomic(out, &snapshot::encode(&meta, &record))?;
        eprintln!(
            "wrote {} (half precision, {:.1} MB): accuracy {:.4} on {n} test samples",
            out.display(),
            record.len() as f64 / 1e6,
            r.accuracy
        );
    }
    println!(
        "{}",
        json!({ "model": meta.arch, "role": meta.role, "dataset": meta.dataset, "samples": n,
                "val_acc": r.accuracy, "val_loss": r.loss, "per_class": per_class, "confusion": confusion })
    );
    Ok(())
}
