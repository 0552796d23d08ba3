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

/// The most one download or one range read may bring: the largest official file, EMNIST's
/// `gzip.zip`, is 562 MB.
pub const MAX_BYTES: u64 = 1 << 30;

/// The slowest average rate a transfer may keep (a server that drips a byte at a time stays
/// under the per-read timeout forever), after a grace for the connection and the first byte.
const MIN_BYTES_PER_SEC: u64 = 16 * 1024;
const GRACE: Duration = Duration::from_secs(60);

/// How long a transfer of `bytes` may take in all.
fn deadline(bytes: u64) -> Duration {
    GRACE + Duration::from_secs(bytes / MIN_BYTES_PER_SEC)
}

/// A header's value as text, if present and readable.
fn header<'a>(resp: &'a ureq::http::Response<ureq::Body>, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` (or `bytes */TOTAL`, `bytes FIRST-LAST/*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContentRange {
    /// The first and last byte sent, when a range was sent.
    range: Option<(u64, u64)>,
    /// The whole file's size, when the server knows it.
    total: Option<u64>,
}

fn content_range(v: &str) -> Option<ContentRange> {
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    let range = match range.trim() {
        "*" => None,
        r => {
            let (a, b) = r.split_once('-')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        }
    };
    Some(ContentRange { range, total })
}

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
        .config()
        .timeout_global(Some(deadline(0)))
        .build()
        .call()
        .map_err(|e| unreachable(url, e))?;
    match resp.status().as_u16() {
        206 => {
            let total = match header(&resp, "Content-Range").and_then(content_range) {
                Some(ContentRange {
                    range: Some((0, 0)),
                    total: Some(total),
                }) => total,
                _ => bail!(
                    "{url}: the server answered a range request without a usable Content-Range \
                     (got {:?}); download the file with another tool and pass it to --source",
                    header(&resp, "Content-Range").unwrap_or("none")
                ),
            };
            if total > MAX_BYTES {
                bail!(
                    "{url}: the server says the file holds {total} bytes, more than the {MAX_BYTES} \
                     any official dataset file has; check the URL"
                );
            }
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
        let last = offset
            .checked_add(len - 1)
            .ok_or_else(|| fail("the range lies past any file".into()))?;
        if len > MAX_BYTES || last >= self.len {
            return Err(fail(format!(
                "past the {} bytes the server reported",
                self.len
            )));
        }
        let resp = self
            .agent
            .get(&self.url)
            .header("Range", format!("bytes={offset}-{last}"))
            .config()
            .timeout_global(Some(deadline(len)))
            .build()
            .call()
            .map_err(|e| fail(e.to_string()))?;
        if resp.status().as_u16() != 206 {
            return Err(fail(format!(
                "expected 206 Partial Content, got {}",
                resp.status()
            )));
        }
        // The range sent must be the range asked for.
        let got = header(&resp, "Content-Range").and_then(content_range);
        if got.and_then(|c| c.range) != Some((offset, last)) {
            return Err(fail(format!(
                "the server sent {:?} instead",
                header(&resp, "Content-Range").unwrap_or("no Content-Range")
            )));
        }
        // Never more than asked: the buffer grows with what arrives, up to `len` + 1 bytes.
        let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
        let mut reader = resp.into_body().into_reader().take(len + 1);
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
            return Err(fail(format!(
                "got {}{} bytes, expected {len}",
                out.len(),
                if out.len() as u64 > len {
                    " or more"
                } else {
                    ""
                }
            )));
        }
        Ok(out)
    }
}

/// Download `url` to `dest`, resuming a `dest.part` left by an interrupted run when the server
/// allows it. Returns the final path.
// Over 80 lines: the request, each answer's checks (status, range, size) before a byte is
// written, and the bounded copy, in the order a download meets them.
pub fn download(agent: &Agent, url: &str, dest: &Path) -> Result<PathBuf> {
    if dest.exists() {
        return Ok(dest.to_path_buf());
    }
    let part = dest.with_extension("part");
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir)?;
    }
    let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    if have >= MAX_BYTES {
        bail!(
            "{} holds {have} bytes, more than any official dataset file; delete it and run the \
             same command again",
            part.display()
        );
    }
    let mut req = agent.get(url);
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = req.call().map_err(|e| unreachable(url, e))?;
    let status = resp.status().as_u16();
    let restart = |why: String| {
        anyhow::anyhow!(
            "{url}: {why}; delete {} and run the same command again",
            part.display()
        )
    };
    let sent = header(&resp, "Content-Range")
        .unwrap_or("no Content-Range")
        .to_string();
    let range = header(&resp, "Content-Range").and_then(content_range);
    let length = header(&resp, "Content-Length").and_then(|v| v.trim().parse::<u64>().ok());
    // The whole file's size, where the answer says it (checked before anything is written).
    let total = match status {
        416 => have,
        206 => length.map_or(0, |n| n.saturating_add(have)),
        _ => length.unwrap_or(0),
    };
    if total > MAX_BYTES {
        bail!(
            "{url}: the server announces {total} bytes, more than the {MAX_BYTES} any official \
             dataset file has; check the URL"
        );
    }
    let (mut file, start) = match status {
        206 => match range {
            Some(ContentRange {
                range: Some((first, _)),
                ..
            }) if first == have => (OpenOptions::new().append(true).open(&part)?, have),
            _ => {
                return Err(restart(format!(
                    "asked to resume at byte {have}, the server sent {sent}"
                )));
            }
        },
        200 => (fs::File::create(&part)?, 0),
        // Nothing left to send: only if the whole file is what we hold.
        416 if have > 0 => match range {
            Some(ContentRange {
                range: None,
                total: Some(total),
            }) if total == have => (OpenOptions::new().append(true).open(&part)?, have),
            _ => {
                return Err(restart(format!(
                    "the server refused to resume at byte {have} ({sent})"
                )));
            }
        },
        s => return Err(unreachable(url, format!("HTTP status {s}"))),
    };
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("download");
    let pb = bar(total, name);
    pb.set_position(start);
    if status != 416 {
        let began = std::time::Instant::now();
        let limit = deadline(if total > 0 { total - start } else { MAX_BYTES });
        // Never past MAX_BYTES in all, whatever the server says or leaves unsaid.
        let mut reader = resp.into_body().into_reader().take(MAX_BYTES - start + 1);
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = start;
        loop {
            let n = reader.read(&mut buf).with_context(|| {
                format!("download of {url} broke off; run the same command again to resume")
            })?;
            if n == 0 {
                break;
            }
            got += n as u64;
            if got > MAX_BYTES {
                drop(file);
                let _ = fs::remove_file(&part);
                bail!("{url}: the server sent more than {MAX_BYTES} bytes; check the URL");
            }
            file.write_all(&buf[..n])?;
            pb.inc(n as u64);
            if began.elapsed() > limit {
                bail!(
                    "download of {url} is slower than {} KB/s; run the same command again to \
                     resume, or download the file with another tool and pass it to --source",
                    MIN_BYTES_PER_SEC / 1024
                );
            }
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
