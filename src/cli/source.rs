//! Where `distill prepare` reads a dataset from: a folder of official gzip IDX files, a zip
//! (EMNIST's `gzip.zip` or `matlab.zip`), a `.mat` file, or a URL (range-read zip, or a folder
//! URL holding the four files).

use super::http::{self, HttpRange, Probe};
use crate::data::dataset::{DatasetKind, EMNIST_GZIP_ZIP_SHA256, FileRole};
use crate::data::prepare::{self, NamedBytes, RawSet};
use crate::data::zip::{self, RangeRead};
use crate::data::{DataError, mat, sha256_hex};
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// A local file as a [`RangeRead`].
pub struct FileRange {
    file: File,
    len: u64,
}

impl FileRange {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let len = file.metadata()?.len();
        Ok(FileRange { file, len })
    }
}

impl RangeRead for FileRange {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_range(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, DataError> {
        let mut buf = vec![0u8; len as usize];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|e| {
                DataError::Source(format!("read of {len} bytes at {offset} failed: {e}"))
            })?;
        Ok(buf)
    }
}

fn mat_member(kind: DatasetKind) -> String {
    format!("matlab/{}.mat", kind.name())
}

/// Read the set from `source` (see the module docs). `cache` is where whole downloads go.
pub fn read(kind: DatasetKind, source: &str, cache: &Path) -> Result<RawSet> {
    if source.starts_with("http://") || source.starts_with("https://") {
        return read_url(kind, source, cache);
    }
    let path = Path::new(source);
    if path.is_dir() {
        return read_dir(kind, path);
    }
    if !path.exists() {
        bail!(
            "{source} does not exist. --source takes a folder of the official *-ubyte.gz files, \
             a zip (gzip.zip, matlab.zip), a .mat file, or a URL"
        );
    }
    let name = path.display().to_string();
    match path.extension().and_then(|e| e.to_str()) {
        Some("zip") => read_zip(kind, &name, &mut FileRange::open(path)?),
        Some("mat") => {
            let bytes = std::fs::read(path)?;
            Ok(mat::emnist_from_mat(kind, &name, &bytes)?)
        }
        _ => bail!("{name}: not a folder, .zip or .mat; cannot tell how to read it"),
    }
}

fn read_dir(kind: DatasetKind, dir: &Path) -> Result<RawSet> {
    let mut files = Vec::new();
    for role in FileRole::ALL {
        let name = kind.file_name(role);
        let path = dir.join(&name);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{} is missing; a folder source must hold the four official files ({}, ...)",
                path.display(),
                kind.file_name(FileRole::TrainImages)
            )
        })?;
        files.push(NamedBytes { name, bytes });
    }
    let files: [NamedBytes; 4] = files.try_into().expect("four files");
    Ok(prepare::from_gz_files(
        kind,
        &files,
        "official gzip IDX files",
    )?)
}

/// A zip: the four gzip members (EMNIST `gzip.zip`, or any zip holding them), or the `.mat`
/// member of `matlab.zip`. Only those members are read.
fn read_zip(kind: DatasetKind, name: &str, src: &mut impl RangeRead) -> Result<RawSet> {
    let entries = zip::read_index(name, src)?;
    if zip::find(&entries, &kind.zip_member(FileRole::TrainImages)).is_none()
        && let Some(entry) = zip::find(&entries, &mat_member(kind))
    {
        let bytes = zip::extract(name, src, entry)?;
        return Ok(mat::emnist_from_mat(
            kind,
            &format!("{name}:{}", entry.name),
            &bytes,
        )?);
    }
    let mut files = Vec::new();
    for role in FileRole::ALL {
        let member = kind.zip_member(role);
        let entry = zip::find(&entries, &member).ok_or_else(|| DataError::ZipMember {
            file: name.to_string(),
            member: member.clone(),
        })?;
        let bytes = zip::extract(name, src, entry)?;
        files.push(NamedBytes {
            name: kind.file_name(role),
            bytes,
        });
    }
    let files: [NamedBytes; 4] = files.try_into().expect("four files");
    Ok(prepare::from_gz_files(
        kind,
        &files,
        "official gzip IDX files (zip)",
    )?)
}

fn read_url(kind: DatasetKind, url: &str, cache: &Path) -> Result<RawSet> {
    let agent = http::agent();
    if url.ends_with(".zip") {
        match http::probe(&agent, url)? {
            Probe::Ranges(len) => {
                eprintln!(
                    "{url}: {len} bytes; reading only the {} members",
                    kind.name()
                );
                // Central directory plus the four members: about 36 MB of 562 MB for letters.
                let bar = http::bar(0, "range requests");
                let mut src = HttpRange::new(agent, url, len, bar);
                let set = read_zip(kind, url, &mut src);
                src.bar.finish_and_clear();
                eprintln!("read {} bytes over range requests", src.bar.position());
                return set;
            }
            Probe::NoRanges => {
                eprintln!(
                    "{url}: the server ignores range requests; downloading the whole archive (resumable)"
                );
                let file = url.rsplit('/').next().unwrap_or("download.zip");
                let path = http::download(&agent, url, &cache.join(file))?;
                if file == "gzip.zip" && url.contains("EMNIST") {
                    let actual = sha256_hex(&std::fs::read(&path)?);
                    if actual != EMNIST_GZIP_ZIP_SHA256 {
                        std::fs::remove_file(&path)?;
                        return Err(DataError::Checksum {
                            file: path.display().to_string(),
                            expected: EMNIST_GZIP_ZIP_SHA256.into(),
                            actual,
                        }
                        .into());
                    }
                }
                return read_zip(
                    kind,
                    &path.display().to_string(),
                    &mut FileRange::open(&path)?,
                );
            }
        }
    }
    // A folder URL: fetch the four files (they are small enough to fetch whole).
    let base = if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    };
    let mut files = Vec::new();
    for role in FileRole::ALL {
        let name = kind.file_name(role);
        let path = http::download(
            &agent,
            &format!("{base}{name}"),
            &cache.join(kind.name()).join(&name),
        )?;
        files.push(NamedBytes {
            name,
            bytes: std::fs::read(path)?,
        });
    }
    let files: [NamedBytes; 4] = files.try_into().expect("four files");
    Ok(prepare::from_gz_files(kind, &files, url)?)
}
