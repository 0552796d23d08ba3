//! `distill prepare`.

use super::{source, store};
use crate::data::DatasetKind;
use crate::data::prepare::{DEFAULT_SHARD_SIZE, build_shards};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct PrepareArgs {
    /// emnist-letters, emnist-digits, emnist-balanced, emnist-mnist, mnist or fashion-mnist.
    #[arg(long, default_value = "emnist-letters")]
    pub dataset: DatasetKind,
    /// A folder of the official *-ubyte.gz files, a zip, a .mat, or a URL [default: the official URL].
    #[arg(long)]
    pub source: Option<String>,
    /// The shards land in OUT/DATASET/.
    #[arg(long, default_value = "data")]
    pub out: PathBuf,
    /// Samples per shard.
    #[arg(long, default_value_t = DEFAULT_SHARD_SIZE)]
    pub shard_size: usize,
}

pub fn run(args: PrepareArgs) -> Result<()> {
    let started = Instant::now();
    let source = args
        .source
        .unwrap_or_else(|| args.dataset.official_url().to_string());
    let set = source::read(args.dataset, &source, &args.out.join(".download"))?;
    let read_s = started.elapsed().as_secs_f64();
    let prepared = build_shards(&set, args.shard_size.max(1));
    let dir = args.out.join(args.dataset.name());
    let written = store::write_prepared(&dir, &prepared)?;
    let m = &prepared.manifest;
    eprintln!(
        "{}: {} train / {} test samples, {} classes, {} shards, {:.1} MB; read {read_s:.1} s, total {:.1} s",
        m.dataset,
        m.splits.train,
        m.splits.test,
        m.num_classes(),
        m.shards.len(),
        m.total_bytes() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    match written {
        store::Written::Unchanged => {
            eprintln!("{} is already up to date; nothing written", dir.display())
        }
        store::Written::Files(n) => {
            eprintln!("wrote {n} shards and manifest.json to {}", dir.display())
        }
    }
    store::write_index(&args.out)?;
    Ok(())
}
