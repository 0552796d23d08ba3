//! The prepared folder on disk: written atomically, read back with checksums verified.

use crate::data::prepare::{Prepared, Split};
use crate::data::{DataError, DataIndex, Manifest, SplitKind, manifest, sha256_hex, shard};
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` through a temporary file and a rename, so a reader never sees half;
/// on failure the temporary file is removed and `path` is as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = stage(path, bytes)?;
    commit(&tmp, path)
}

/// The temporary file `write_atomic` writes `path` through, beside it.
fn tmp_path(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ))
}

/// Write `bytes` to `path`'s temporary file (removed again if the write fails).
fn stage(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let tmp = tmp_path(path);
    if let Err(e) = fs::write(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    Ok(tmp)
}

/// Rename a staged file onto `path` (the staged file is removed if that fails).
fn commit(tmp: &Path, path: &Path) -> Result<()> {
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::remove_file(tmp);
        return Err(e).with_context(|| format!("cannot rename to {}", path.display()));
    }
    Ok(())
}

/// What writing a prepared set did.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// The folder already held exactly these shards: nothing was touched.
    Unchanged,
    Files(usize),
}

/// Write the shards, then the manifest (last, so a folder with a manifest is complete).
/// Re-running on the same input changes nothing.
pub fn write_prepared(dir: &Path, prepared: &Prepared) -> Result<Written> {
    let json = prepared.manifest.to_json();
    let manifest_path = dir.join("manifest.json");
    let same_manifest = fs::read_to_string(&manifest_path).is_ok_and(|old| old == json);
    let same_files = prepared
        .files
        .iter()
        .all(|f| fs::read(dir.join(&f.name)).is_ok_and(|old| old == f.bytes));
    if same_manifest && same_files {
        return Ok(Written::Unchanged);
    }
    let created = !dir.exists();
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Every file is staged before any is renamed into place, so a failed write (a full disk)
    // leaves the previous preparation whole and no temporary file behind.
    let targets: Vec<PathBuf> = (prepared.files.iter().map(|f| dir.join(&f.name)))
        .chain([manifest_path])
        .collect();
    let contents = (prepared.files.iter().map(|f| f.bytes.as_slice())).chain([json.as_bytes()]);
    let mut staged = Vec::with_capacity(targets.len());
    for (path, bytes) in targets.iter().zip(contents) {
        match stage(path, bytes) {
            Ok(tmp) => staged.push(tmp),
            Err(e) => {
                for tmp in &staged {
                    let _ = fs::remove_file(tmp);
                }
                if created {
                    let _ = fs::remove_dir(dir);
                }
                return Err(e.context(format!(
                    "nothing in {} was changed; free some space or choose another --out",
                    dir.display()
                )));
            }
        }
    }
    // The manifest last, so a folder's manifest never lists shards not yet in place.
    for (i, (tmp, path)) in staged.iter().zip(&targets).enumerate() {
        if let Err(e) = commit(tmp, path) {
            for tmp in &staged[i + 1..] {
                let _ = fs::remove_file(tmp);
            }
            return Err(e);
        }
    }
    // Shards of an earlier preparation that the new manifest no longer lists.
    let keep: Vec<&str> = prepared.files.iter().map(|f| f.name.as_str()).collect();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".shard") && !keep.contains(&name.as_str()) {
            fs::remove_file(dir.join(&name))?;
        }
    }
    Ok(Written::Files(prepared.files.len()))
}

/// A prepared set read back into memory.
pub struct Loaded {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub train: Split,
    pub test: Split,
}

/// The exact command that prepares the set a missing folder was meant to hold.
pub fn prepare_hint(dir: &Path) -> String {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("emnist-letters");
    let out = dir
        .parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".into());
    let source = if name == "fashion-mnist" {
        " --source /usr/share/datasets/fashion-mnist"
    } else {
        ""
    };
    format!("cargo run --release --bin distill -- prepare --dataset {name}{source} --out {out}")
}

/// Read `dir/manifest.json` and the shards needed for the first `subset` training and `val`
/// test samples (the page's `subset=` and `val=`), verifying every shard's sha256.
pub fn load(dir: &Path, subset: usize, val: usize) -> Result<Loaded> {
    let manifest_path = dir.join("manifest.json");
    let Ok(meta) = fs::metadata(&manifest_path) else {
        bail!(
            "{} not found: the dataset is not prepared. Run:\n  {}",
            manifest_path.display(),
            prepare_hint(dir)
        );
    };
    if meta.len() > manifest::MAX_BYTES as u64 {
        bail!(
            "{}: {} bytes, more than a manifest's {} MiB; prepare the data again: {}",
            manifest_path.display(),
            meta.len(),
            manifest::MAX_BYTES >> 20,
            prepare_hint(dir)
        );
    }
    let text = fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest = Manifest::from_json(&text).map_err(|e| {
        anyhow::anyhow!("{}: {e}:\n  {}", manifest_path.display(), prepare_hint(dir))
    })?;
    let mut splits = [Split::default(), Split::default()];
    for (slot, (kind, limit)) in splits
        .iter_mut()
        .zip([(SplitKind::Train, subset), (SplitKind::Test, val)])
    {
        for info in manifest.shards_for(kind, limit) {
            let path = dir.join(&info.file);
            let bytes = fs::read(&path).with_context(|| {
                format!(
                    "{} is listed in the manifest but missing; prepare the data again: {}",
                    path.display(),
                    prepare_hint(dir)
                )
            })?;
            let actual = sha256_hex(&bytes);
            if actual != info.sha256 {
                return Err(DataError::Checksum {
                    file: path.display().to_string(),
                    expected: info.sha256.clone(),
                    actual,
                }
                .into());
            }
            let data = shard::decode(&info.file, &bytes)?;
            manifest.check_shard(info, &data)?;
            let take = data.len().min(limit - slot.len());
            slot.labels.extend_from_slice(&data.labels[..take]);
            slot.pixels
                .extend_from_slice(&data.pixels[..take * data.rows * data.cols]);
        }
    }
    let [train, test] = splits;
    Ok(Loaded {
        dir: dir.to_path_buf(),
        manifest,
        train,
        test,
    })
}

/// Rewrite `out/index.json` from the folders under `out` that hold a manifest.json.
pub fn write_index(out: &Path) -> Result<()> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))? {
        let path = entry?.path();
        if path.join("manifest.json").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            names.push(name.to_string());
        }
    }
    let index = DataIndex::new(names);
    write_atomic(&out.join("index.json"), index.to_json().as_bytes())
}
