//! `distill prepare` end to end: every kind of source gives the same shards, re-runs are no-ops,
//! URLs are read with range requests (or downloaded whole when the server ignores them), and bad
//! input exits non-zero with a clear message and writes nothing.

mod common;

use common::fixtures;

use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::idx;
use std::path::Path;
use std::process::{Command, Output};

fn distill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_distill"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn prepare(dataset: &str, source: &str, out: &Path) -> Output {
    distill(&[
        "prepare",
        "--dataset",
        dataset,
        "--source",
        source,
        "--out",
        out.to_str().unwrap(),
        "--shard-size",
        "4096",
    ])
}

/// Every file of a prepared folder, name → bytes.
fn folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A small EMNIST-digits-like set built from real Fashion-MNIST images, stored the way EMNIST
/// stores them (transposed): (four gz files, and the same data as a MATLAB file).
fn emnist_like(dir: &Path) -> Vec<u8> {
    let f = common::fashion_dir();
    let read = |name: &str| common::gunzip(&std::fs::read(f.join(name)).unwrap());
    let k = DatasetKind::EmnistDigits;
    let mut mat_splits = Vec::new();
    for (split, n, img, lbl) in [
        (
            "train",
            600,
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
        ),
        (
            "test",
            200,
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ),
    ] {
        let mut pixels = read(img)[16..16 + n * 784].to_vec();
        idx::transpose_images(&mut pixels, 28);
        let labels = read(lbl)[8..8 + n].to_vec();
        let (ri, rl) = if split == "train" {
            (FileRole::TrainImages, FileRole::TrainLabels)
        } else {
            (FileRole::TestImages, FileRole::TestLabels)
        };
        std::fs::write(
            dir.join(k.file_name(ri)),
            common::gzip(&fixtures::idx_images(28, 28, &pixels)),
        )
        .unwrap();
        std::fs::write(
            dir.join(k.file_name(rl)),
            common::gzip(&fixtures::idx_labels(&labels)),
        )
        .unwrap();
        let mut col_major = vec![0u8; n * 784];
        for i in 0..n {
            for j in 0..784 {
                col_major[j * n + i] = pixels[i * 784 + j];
            }
        }
        let lf: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
        mat_splits.push((
            split,
            fixtures::struct_value(vec![
                ("images", fixtures::uint8_matrix(n, 784, col_major)),
                ("labels", fixtures::double_matrix(n, 1, &lf)),
            ]),
        ));
    }
    fixtures::mat(&[("dataset", fixtures::struct_value(mat_splits))], true)
}

fn gzip_zip(dir: &Path, kind: DatasetKind, prefix: &str) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = FileRole::ALL
        .iter()
        .map(|&r| {
            (
                format!("{prefix}{}", kind.file_name(r)),
                std::fs::read(dir.join(kind.file_name(r))).unwrap(),
            )
        })
        .collect();
    // Padding members, as in the real archive with its other splits.
    let pad: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 256) as u8).collect();
    let mut members: Vec<(&str, &[u8])> =
        vec![("gzip/emnist-byclass-train-images-idx3-ubyte.gz", &pad)];
    members.extend(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    fixtures::zip(&members, false)
}

#[test]
fn folder_zip_mat_and_urls_give_identical_shards() {
    let work = common::scratch("sources");
    let src = work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mat_bytes = emnist_like(&src);
    let kind = DatasetKind::EmnistDigits;

    let from_dir = work.join("out-dir");
    let o = prepare("emnist-digits", src.to_str().unwrap(), &from_dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = folder(&from_dir.join("emnist-digits"));
    assert!(reference.iter().any(|(n, _)| n == "manifest.json"));

    // Re-running is a no-op: says so and leaves the files as they were.
    let o = prepare("emnist-digits", src.to_str().unwrap(), &from_dir);
    assert!(
        o.status.success() && stderr(&o).contains("nothing written"),
        "{}",
        stderr(&o)
    );
    assert_eq!(folder(&from_dir.join("emnist-digits")), reference);

    let zip_path = work.join("gzip.zip");
    let zip_bytes = gzip_zip(&src, kind, "gzip/");
    std::fs::write(&zip_path, &zip_bytes).unwrap();
    let mat_path = work.join("emnist-digits.mat");
    std::fs::write(&mat_path, &mat_bytes).unwrap();
    let matlab_zip = work.join("matlab.zip");
    std::fs::write(
        &matlab_zip,
        fixtures::zip(&[("matlab/emnist-digits.mat", &mat_bytes)], true),
    )
    .unwrap();

    for (label, source) in [
        ("zip", zip_path.to_str().unwrap().to_string()),
        ("mat", mat_path.to_str().unwrap().to_string()),
        ("matlab.zip", matlab_zip.to_str().unwrap().to_string()),
    ] {
        let out = work.join(format!("out-{label}"));
        let o = prepare("emnist-digits", &source, &out);
        assert!(o.status.success(), "{label}: {}", stderr(&o));
        let got = folder(&out.join("emnist-digits"));
        // The manifest names its source; the shards themselves must be byte-identical.
        let shards = |v: &Vec<(String, Vec<u8>)>| {
            v.iter()
                .filter(|(n, _)| n.ends_with(".shard"))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shards(&got),
            shards(&reference),
            "{label} gave different shards"
        );
    }

    // A URL to the zip on a server that honours Range: only part of the archive travels.
    let server = common::serve("/EMNIST/gzip.zip", zip_bytes.clone(), true);
    let out = work.join("out-range");
    let o = prepare("emnist-digits", &server.url, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let sent = server.bytes_sent.load(std::sync::atomic::Ordering::SeqCst);
    // The four members and the directory travel; the 1 MB of other members does not.
    assert!(
        sent < zip_bytes.len() - 990_000,
        "range reads fetched {sent} of {} bytes",
        zip_bytes.len()
    );
    assert!(
        !out.join(".download").join("gzip.zip").exists(),
        "a range read must not download the whole zip"
    );
    let shards = |v: Vec<(String, Vec<u8>)>| {
        v.into_iter()
            .filter(|(n, _)| n.ends_with(".shard"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shards(folder(&out.join("emnist-digits"))),
        shards(reference.clone())
    );

    // A server that ignores Range: the whole archive is downloaded, then read locally.
    let server = common::serve("/files/gzip.zip", zip_bytes.clone(), false);
    let out = work.join("out-whole");
    let o = prepare("emnist-digits", &server.url, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ignores range requests"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(out.join(".download/gzip.zip")).unwrap(),
        zip_bytes
    );
    assert_eq!(
        shards(folder(&out.join("emnist-digits"))),
        shards(reference)
    );
}

#[test]
fn fashion_mnist_from_debian_prepares() {
    let out = common::scratch("fashion");
    let o = prepare("fashion-mnist", common::FASHION, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("fashion-mnist/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["splits"]["train"], 60_000);
    assert_eq!(m["classes"][9], "Ankle boot");
    // The index the page's dataset picker reads lists what out/ holds.
    let index = distill_lab::data::DataIndex::from_json(
        &std::fs::read_to_string(out.join("index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(index.datasets, vec!["fashion-mnist".to_string()]);
}

/// Runs `prepare` on a broken source and checks: non-zero exit, the message, nothing written.
fn refused(dataset: &str, source: &Path, expect: &str) {
    let out = source.parent().unwrap().join("out");
    let o = prepare(dataset, source.to_str().unwrap(), &out);
    assert!(
        !o.status.success(),
        "{} should have failed",
        source.display()
    );
    let msg = stderr(&o);
    assert!(msg.contains(expect), "expected '{expect}' in: {msg}");
    assert!(
        !out.join(dataset).exists(),
        "nothing may be written on failure ({})",
        source.display()
    );
}

#[test]
fn bad_sources_fail_cleanly_and_write_nothing() {
    let k = DatasetKind::EmnistDigits;
    let make = |name: &str, edit: &dyn Fn(&Path)| {
        let dir = common::scratch(name).join("src");
        std::fs::create_dir_all(&dir).unwrap();
        emnist_like(&dir);
        edit(&dir);
        dir
    };
    let file = |d: &Path, r| d.join(k.file_name(r));

    let d = make("magic", &|d| {
        std::fs::write(
            file(d, FileRole::TrainImages),
            common::gzip(&fixtures::idx_labels(&[1; 10])),
        )
        .unwrap()
    });
    refused("emnist-digits", &d, "wrong IDX magic");

    let d = make("trunc", &|d| {
        let raw = common::gunzip(&std::fs::read(file(d, FileRole::TestImages)).unwrap());
        std::fs::write(
            file(d, FileRole::TestImages),
            common::gzip(&raw[..raw.len() - 100]),
        )
        .unwrap();
    });
    refused("emnist-digits", &d, "truncated");

    let d = make("count", &|d| {
        std::fs::write(
            file(d, FileRole::TestLabels),
            common::gzip(&fixtures::idx_labels(&[1; 150])),
        )
        .unwrap()
    });
    refused("emnist-digits", &d, "200 images but 150 labels");

    let d = make("range", &|d| {
        std::fs::write(
            file(d, FileRole::TestLabels),
            common::gzip(&fixtures::idx_labels(&[12; 200])),
        )
        .unwrap()
    });
    refused("emnist-digits", &d, "label 12");

    let d = make("size", &|d| {
        std::fs::write(
            file(d, FileRole::TestImages),
            common::gzip(&fixtures::idx_images(32, 32, &vec![0; 200 * 1024])),
        )
        .unwrap()
    });
    refused("emnist-digits", &d, "32x32");

    let d = make("gzip", &|d| {
        let mut b = std::fs::read(file(d, FileRole::TrainImages)).unwrap();
        b.truncate(b.len() / 3);
        std::fs::write(file(d, FileRole::TrainImages), b).unwrap();
    });
    refused("emnist-digits", &d, "gzip");

    let d = make("missing", &|d| {
        std::fs::remove_file(file(d, FileRole::TrainLabels)).unwrap()
    });
    refused("emnist-digits", &d, "is missing");

    // EMNIST letters is checked against the official sums.
    let dir = common::scratch("checksum").join("src");
    std::fs::create_dir_all(&dir).unwrap();
    emnist_like(&dir);
    for r in FileRole::ALL {
        std::fs::rename(
            file(&dir, r),
            dir.join(DatasetKind::EmnistLetters.file_name(r)),
        )
        .unwrap();
    }
    refused("emnist-letters", &dir, "sha256 mismatch");

    // A corrupt zip and a .mat without the dataset struct.
    let dir = common::scratch("zip").join("src");
    std::fs::create_dir_all(&dir).unwrap();
    let z = dir.join("gzip.zip");
    std::fs::write(&z, vec![0x50u8; 5000]).unwrap();
    refused("emnist-digits", &z, "not a usable zip");
    let m = dir.join("emnist-digits.mat");
    std::fs::write(
        &m,
        fixtures::mat(&[("other", fixtures::double_matrix(1, 1, &[1.0]))], true),
    )
    .unwrap();
    refused("emnist-digits", &m, "no 'dataset' struct");
}

#[test]
fn a_failed_write_leaves_the_previous_preparation_whole() {
    let work = common::scratch("failed-write");
    let src = work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    emnist_like(&src);
    let out = work.join("out");
    let o = prepare("emnist-digits", src.to_str().unwrap(), &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = out.join("emnist-digits");
    let before = folder(&dir);
    // A new preparation (another shard size: every shard and the manifest change) whose last
    // write fails, as on a full disk: the manifest's temporary file cannot be created.
    let blocker = dir.join(".manifest.json.tmp");
    std::fs::create_dir(&blocker).unwrap();
    let o = distill(&[
        "prepare",
        "--dataset",
        "emnist-digits",
        "--source",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--shard-size",
        "100",
    ]);
    let msg = stderr(&o);
    assert!(!o.status.success(), "the write should have failed");
    assert!(
        msg.contains("was changed") && msg.contains("manifest.json.tmp"),
        "{msg}"
    );
    std::fs::remove_dir(&blocker).unwrap();
    assert_eq!(
        folder(&dir).iter().map(|(n, _)| n).collect::<Vec<_>>(),
        before.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "no temporary file or new shard may stay"
    );
    assert!(
        folder(&dir) == before,
        "the previous shards and manifest are unchanged"
    );
}

/// `distill prepare` of EMNIST letters from `url`: it must fail, saying `expect`.
fn url_refused(url: &str, expect: &str) {
    let out = common::scratch("hostile-url").join("out");
    let o = distill(&[
        "prepare",
        "--dataset",
        "emnist-letters",
        "--source",
        url,
        "--out",
        out.to_str().unwrap(),
    ]);
    let msg = stderr(&o);
    assert!(!o.status.success(), "{url} should have been refused");
    assert!(msg.contains(expect), "expected {expect:?} in: {msg}");
    assert!(
        !out.join("emnist-letters").exists(),
        "nothing may be written"
    );
}

#[test]
fn a_hostile_server_is_refused_before_its_bytes_are_kept() {
    // A file of 5,000 bytes, as the honest answer to the first probe says; then every range
    // after the probe answered wrongly.
    const TOTAL: u64 = 5_000;
    let probe = |range: Option<&str>| {
        (range == Some("0-0")).then(|| {
            format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-0/{TOTAL}\r\n\
                 Content-Length: 1\r\nConnection: close\r\n\r\nP"
            )
            .into_bytes()
        })
    };
    let asked = |range: Option<&str>| -> (u64, u64) {
        let (a, b) = range.unwrap().split_once('-').unwrap();
        (a.parse().unwrap(), b.parse().unwrap())
    };

    // A size from a header past any dataset file.
    let url = common::serve_raw("/gzip.zip", |_| {
        b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-0/99999999999999\r\n\
          Content-Length: 1\r\nConnection: close\r\n\r\nP"
            .to_vec()
    });
    url_refused(&url, "holds 99999999999999 bytes, more than the 1073741824");

    // Every range answered with the file's first bytes.
    let url = common::serve_raw("/gzip.zip", move |range| {
        probe(range).unwrap_or_else(|| {
            let (a, b) = asked(range);
            let n = b - a + 1;
            let mut r = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-{}/{TOTAL}\r\n\
                 Content-Length: {n}\r\nConnection: close\r\n\r\n",
                n - 1
            )
            .into_bytes();
            r.resize(r.len() + n as usize, 0);
            r
        })
    });
    url_refused(&url, "instead");

    // The right range, then more bytes than it holds (no Content-Length: until the close).
    let url = common::serve_raw("/gzip.zip", move |range| {
        probe(range).unwrap_or_else(|| {
            let (a, b) = asked(range);
            let mut r = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{b}/{TOTAL}\r\n\
                 Connection: close\r\n\r\n"
            )
            .into_bytes();
            r.resize(r.len() + (b - a + 1) as usize + (4 << 20), 0);
            r
        })
    });
    url_refused(&url, "or more bytes, expected");

    // A whole download whose length is past any dataset file: refused before a byte is kept.
    let url = common::serve_raw("/gzip.zip", |_| {
        b"HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\nConnection: close\r\n\r\nPK".to_vec()
    });
    url_refused(&url, "announces 1099511627776 bytes");
}

#[test]
fn unreachable_url_says_what_works_instead() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = common::scratch("unreachable");
    let o = prepare(
        "emnist-letters",
        &format!("http://127.0.0.1:{port}/gzip.zip"),
        &out,
    );
    assert!(!o.status.success());
    let msg = stderr(&o);
    assert!(
        msg.contains("could not reach") && msg.contains("--source DIR") && msg.contains("gzip.zip"),
        "{msg}"
    );
    assert!(!out.join("emnist-letters").exists());
}
