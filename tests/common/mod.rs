//! Shared by the integration tests: real-data paths, scratch folders, fixture writers and a
//! small HTTP server on 127.0.0.1.
#![allow(dead_code)]

pub mod fixtures;
pub mod mem;

use flate2::{Compression, write::GzEncoder};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Debian's `dataset-fashion-mnist` (real Fashion-MNIST, official IDX gz).
pub const FASHION: &str = "/usr/share/datasets/fashion-mnist";

pub fn fashion_dir() -> &'static Path {
    let p = Path::new(FASHION);
    assert!(
        p.join("train-images-idx3-ubyte.gz").exists(),
        "Fashion-MNIST is missing: `apt-get install dataset-fashion-mnist` (cargo xtask test installs it)"
    );
    p
}

/// The real EMNIST-letters label files, copied from the official archive.
pub fn emnist_labels_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/emnist")
}

/// A fresh, empty scratch folder under the target dir. A process's folders outlive it (a
/// failed test's files stay to be read); the first call of the next removes those of ended ones.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    static SWEEP: std::sync::Once = std::sync::Once::new();
    SWEEP.call_once(remove_ended_scratch);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes the scratch folders (`NAME-PID-N`) of test processes that have ended, so that runs
/// do not pile up hundreds of MB each under the target dir. Only where `/proc` tells which
/// processes live; a folder whose process still runs, or that cannot be removed, is left.
fn remove_ended_scratch() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let mut parts = name.to_str().unwrap_or("").rsplitn(3, '-');
        let (Some(n), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(_), Ok(pid)) = (n.parse::<usize>(), pid.parse::<u32>()) else {
            continue;
        };
        let dir = entry.path();
        if pid != std::process::id() && dir.is_dir() && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// An HTTP/1.1 server for one file on 127.0.0.1, honouring `Range` unless told not to.
pub struct Server {
    pub url: String,
    pub requests: Arc<AtomicUsize>,
    pub bytes_sent: Arc<AtomicUsize>,
}

pub fn serve(path: &str, body: Vec<u8>, ranges: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let bytes_sent = Arc::new(AtomicUsize::new(0));
    let (req_count, sent) = (requests.clone(), bytes_sent.clone());
    let path = path.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            req_count.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("range: bytes=") {
                    range = Some(v.trim().to_string());
                }
            }
            if !target.ends_with(&path) && target != path {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let len = body.len();
            let (status, start, end) = match (ranges, range) {
                (true, Some(r)) => {
                    let (a, b) = r.split_once('-').unwrap();
                    let (s, e) = if a.is_empty() {
                        let n: usize = b.parse().unwrap();
                        (len.saturating_sub(n), len - 1)
                    } else {
                        let s: usize = a.parse().unwrap();
                        let e = if b.is_empty() {
                            len - 1
                        } else {
                            b.parse::<usize>().unwrap().min(len - 1)
                        };
                        (s, e)
                    };
                    ("206 Partial Content", s, e + 1)
                }
                _ => ("200 OK", 0, len),
            };
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                end - start
            );
            if status.starts_with("206") {
                head.push_str(&format!(
                    "Content-Range: bytes {start}-{}/{len}\r\n",
                    end - 1
                ));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[start..end]);
            sent.fetch_add(end - start, Ordering::SeqCst);
        }
    });
    Server {
        url,
        requests,
        bytes_sent,
    }
}

/// A server on 127.0.0.1 that answers every request with the raw bytes `respond` makes from
/// the request's `Range` header (`None` without one): status line, headers and body, so a test
/// can send what no honest server would.
pub fn serve_raw(path: &str, respond: impl Fn(Option<&str>) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut range = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    range = Some(v.trim().to_string());
                }
            }
            let _ = stream.write_all(&respond(range.as_deref()));
        }
    });
    url
}
