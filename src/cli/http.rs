//! HTTP for `distill prepare`: random reads through range requests (so only the central
//! directory and four members of the 562 MB EMNIST zip travel) and a resumable whole download
//! for servers that ignore `Range`.

use crate::data::DataError;
use crate::data::zip::RangeRead;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ureq::Agent;

pub fn agent() -> Agent {
    Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into()
}

pub fn bar(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:24} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// What a probe learned about a URL.
pub enum Probe {
    /// The server honours `Range`; the resource has this many bytes.
    Ranges(u64),
    /// The server answers `Range` with the whole resource.
    NoRanges,
}

/// An explanation for a URL that cannot be reached, naming the local sources that work instead.
pub fn unreachable(url: &str, err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(
        "could not reach {url}: {err}\n\
         Without internet, point --source at a local copy instead:\n  \
         --source DIR        a folder with the four official *-ubyte.gz files\n  \
         --source gzip.zip   the official EMNIST binary archive\n  \
         --source emnist-letters.mat (or matlab.zip)   the official MATLAB file"
    )
}

pub fn probe(agent: &Agent, url: &str) -> Result<Probe> {
    let resp = agent
        .get(url)
        .header("Range", "bytes=0-0")
        .call()
        .map_err(|e| unreachable(url, e))?;
    match resp.status().as_u16() {
        206 => {
            let total = resp
                .headers()
                .get("Content-Range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit('/').next())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .context("the server answered a range request without a usable Content-Range")?;
            Ok(Probe::Ranges(total))
        }
        200 => Ok(Probe::NoRanges),
        s => Err(unreachable(url, format!("HTTP status {s}"))),
    }
}

/// Random reads over HTTP range requests, counted on a progress bar.
pub struct HttpRange {
    agent: Agent,
    url: String,
    len: u64,
    pub bar: ProgressBar,
}

impl HttpRange {
    pub fn new(agent: Agent, url: &str, len: u64, bar: ProgressBar) -> Self {
        HttpRange {
            agent,
            url: url.to_string(),
            len,
            bar,
        }
    }
}

impl RangeRead for HttpRange {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_range(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, DataError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let fail =
            |e: String| DataError::Source(format!("{}: range {offset}+{len}: {e}", self.url));
        let resp = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={offset}-{}", offset + len - 1))
            .call()
            .map_err(|e| fail(e.to_string()))?;
        if resp.status().as_u16() != 206 {
            return Err(fail(format!(
                "expected 206 Partial Content, got {}",
                resp.status()
            )));
        }
        let mut out = Vec::with_capacity(len as usize);
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).map_err(|e| fail(e.to_string()))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            self.bar.inc(n as u64);
        }
        if out.len() as u64 != len {
            return Err(fail(format!("got {} bytes, expected {len}", out.len())));
        }
        Ok(out)
    }
}

/// Download `url` to `dest`, resuming a `dest.part` left by an interrupted run when the server
/// allows it. Returns the final path.
pub fn download(agent: &Agent, url: &str, dest: &Path) -> Result<PathBuf> {
    if dest.exists() {
        return Ok(dest.to_path_buf());
    }
    let part = dest.with_extension("part");
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir)?;
    }
    let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    let mut req = agent.get(url);
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = req.call().map_err(|e| unreachable(url, e))?;
    let status = resp.status().as_u16();
    let (mut file, start) = match status {
        206 => (OpenOptions::new().append(true).open(&part)?, have),
        200 => (fs::File::create(&part)?, 0),
        416 if have > 0 => (OpenOptions::new().append(true).open(&part)?, have),
        s => return Err(unreachable(url, format!("HTTP status {s}"))),
    };
    let total = resp
        .headers()
        .get("Content-Length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| n + start)
        .unwrap_or(0);
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download");
    let pb = bar(total, name);
    pb.set_position(start);
    if status != 416 {
        let mut reader = resp.into_body().into_reader();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf).with_context(|| {
                format!("download of {url} broke off; run the same command again to resume")
            })?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n])?;
            pb.inc(n as u64);
        }
    }
    pb.finish_and_clear();
    file.sync_all()?;
    let got = fs::metadata(&part)?.len();
    if total > 0 && got != total {
        bail!(
            "download of {url} stopped at {got} of {total} bytes; run the same command again to resume"
        );
    }
    fs::rename(&part, dest)?;
    Ok(dest.to_path_buf())
}
