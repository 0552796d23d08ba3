//! Properties of every parser over mutated real files: on any bytes a parser returns (never
//! panics, never grows the process's resident memory by more than [`ALLOC_LIMIT`]), and what it accepts is consistent (sizes
//! agree with counts, settings hold no NaN and survive their own link, a decoded checkpoint
//! re-encodes). Seeds are real files (Fashion-MNIST, the official EMNIST label files) and files
//! the lab writes; each input is one to four random mutations of a seed (bit flips, interesting
//! values in 4-byte fields, cuts, repeats), on the raw bytes under the compression where a format
//! is compressed, so mutations reach the parser rather than die in the CRC.
//!
//! A bounded pass runs in `cargo test` (`DISTILL_PROPERTY_ITERS`, default 20,000 inputs per
//! parser); `cargo xtask fuzz --secs N` runs each parser for N seconds in release and prints
//! executions per second. Random mutation, not coverage-guided: see docs/RELIABILITY.md.
//! An input that breaks a property is written under the test's tmp dir and named in the failure.

mod common;

use common::fixtures;

use burn::prelude::*;
use common::mem::peak_growth;
use distill_lab::checkpoint::{Checkpoint, CheckpointHead, RoleState};
use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::mat::{self, MatValue};
use distill_lab::data::prepare::{self, NamedBytes};
use distill_lab::data::{Manifest, SplitKind, idx, shard, zip};
use distill_lab::model::snapshot::{self, WeightsMeta};
use distill_lab::model::{Arch, StudentConfig};
use distill_lab::protocol::Role;
use distill_lab::settings::Settings;
use distill_lab::train::Schedule;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// The most one parse may add to the process's peak resident memory (the bound).
const ALLOC_LIMIT: usize = 256 << 20;

/// xorshift64*: reproducible inputs from a fixed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break size arithmetic.
const INTERESTING: [u32; 9] = [
    0,
    1,
    0x7F,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

/// One to four mutations of `seed`.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            v.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(v.len());
        match rng.below(7) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = INTERESTING[rng.below(4)] as u8,
            2 => {
                let x = INTERESTING[rng.below(INTERESTING.len())];
                let b = if rng.below(2) == 0 {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                };
                for (i, byte) in b.iter().enumerate() {
                    if let Some(slot) = v.get_mut(at + i) {
                        *slot = *byte;
                    }
                }
            }
            3 => v.truncate(at),
            4 => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                let chunk = v[at..end].to_vec();
                let to = rng.below(v.len());
                v.splice(to..to, chunk);
            }
            5 => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            _ => v[at] = rng.next() as u8,
        }
    }
    v
}

/// How many inputs per parser, or for how long (`cargo xtask fuzz` sets the time).
enum Budget {
    Inputs(usize),
    Time(Duration),
}

fn budget() -> Budget {
    if let Some(secs) = std::env::var("DISTILL_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return Budget::Time(Duration::from_secs(secs));
    }
    Budget::Inputs(
        std::env::var("DISTILL_PROPERTY_ITERS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_000),
    )
}

/// Run `parse` on mutated seeds (each input made by `make` from the mutated bytes), checking it
/// never panics or allocates past the limit; `parse` itself asserts what it accepts.
fn check(name: &str, seeds: &[Vec<u8>], make: impl Fn(Vec<u8>) -> Vec<u8>, parse: impl Fn(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    let (limit, deadline) = match budget() {
        Budget::Inputs(n) => (n, None),
        Budget::Time(t) => (usize::MAX, Some(Instant::now() + t)),
    };
    let started = Instant::now();
    let mut n = 0;
    while n < limit && deadline.is_none_or(|d| Instant::now() < d) {
        let seed = &seeds[rng.below(seeds.len())];
        let input = make(mutate(&mut rng, seed));
        let (outcome, grew) = peak_growth(|| catch_unwind(AssertUnwindSafe(|| parse(&input))));
        if outcome.is_err() || grew > ALLOC_LIMIT {
            let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("{name}-failure-{n}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!(
                "{name}: input {n} {} (saved as {})",
                if outcome.is_err() {
                    "panicked".to_string()
                } else {
                    format!("allocated {grew} bytes")
                },
                path.display()
            );
        }
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{name:<12} {n:>10} inputs in {secs:>7.1} s ({:>8.0}/s), no panic, every parse under {} MB",
        n as f64 / secs,
        ALLOC_LIMIT >> 20
    );
}

fn fashion_file(role: FileRole) -> Vec<u8> {
    let name = DatasetKind::FashionMnist.file_name(role);
    std::fs::read(common::fashion_dir().join(name)).unwrap()
}

/// Real images and labels: the first `n` of Fashion-MNIST's test split, as raw IDX.
fn real_idx(n: usize) -> (Vec<u8>, Vec<u8>) {
    let images = idx::gunzip("t10k-images", &fashion_file(FileRole::TestImages)).unwrap();
    let labels = idx::gunzip("t10k-labels", &fashion_file(FileRole::TestLabels)).unwrap();
    let img = idx::parse_images("t10k-images", &images).unwrap();
    (
        fixtures::idx_images(28, 28, &img.pixels[..n * 784]),
        fixtures::idx_labels(&labels[8..8 + n]),
    )
}

fn gzip(raw: Vec<u8>) -> Vec<u8> {
    common::gzip(&raw)
}

#[test]
fn every_parser_is_total_and_bounded_on_mutated_real_files() {
    let (images, labels) = real_idx(12);
    let emnist_labels: Vec<Vec<u8>> = ["train", "test"]
        .iter()
        .map(|s| {
            let f = common::emnist_labels_dir()
                .join(format!("emnist-letters-{s}-labels-idx1-ubyte.gz"));
            let raw = idx::gunzip("emnist", &std::fs::read(f).unwrap()).unwrap();
            raw[..8 + 64].to_vec() // the header and 64 labels, the count set to match
        })
        .map(|mut raw| {
            raw[4..8].copy_from_slice(&64u32.to_be_bytes());
            raw
        })
        .collect();

    // IDX under gzip: the raw bytes mutated, then compressed; what parses is self-consistent.
    let mut idx_seeds = vec![images.clone(), labels.clone()];
    idx_seeds.extend(emnist_labels.iter().cloned());
    check("idx.gz", &idx_seeds, gzip, |gz| {
        let Ok(raw) = idx::gunzip("f.gz", gz) else {
            return;
        };
        if let Ok(img) = idx::parse_images("f", &raw) {
            assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
        }
        if let Ok(l) = idx::parse_labels("f", &raw) {
            assert!(l.len() + 8 <= raw.len());
        }
    });
    // The compressed stream itself mutated.
    let gz_seeds: Vec<Vec<u8>> = idx_seeds.iter().cloned().map(gzip).collect();
    check(
        "gzip",
        &gz_seeds,
        |v| v,
        |gz| {
            let _ = idx::gunzip("f.gz", gz);
        },
    );

    // Shards: raw mutated under gzip; an accepted shard's sizes agree.
    let shard_seeds: Vec<Vec<u8>> = vec![common::gunzip(&shard::encode(
        28,
        28,
        &labels[8..20],
        &images[16..16 + 12 * 784],
    ))];
    check("shard", &shard_seeds, gzip, |gz| {
        if let Ok(d) = shard::decode("s.shard", gz) {
            assert_eq!(d.pixels.len(), d.labels.len() * d.rows * d.cols);
        }
    });

    // Zip archives, stored and deflated: the directory, then every member it lists.
    let members: [(&str, &[u8]); 2] = [("images.idx", &images), ("labels.idx", &labels)];
    let zip_seeds = vec![
        fixtures::zip(&members, false),
        fixtures::zip(&members, true),
    ];
    check(
        "zip",
        &zip_seeds,
        |v| v,
        |z| {
            if let Ok(entries) = zip::read_index("a.zip", &mut &z[..]) {
                for e in &entries {
                    if let Ok(data) = zip::extract("a.zip", &mut &z[..], e) {
                        assert_eq!(data.len() as u64, e.size);
                    }
                }
            }
        },
    );

    // MAT v5, plain and compressed, in EMNIST's layout (a struct of train/test structs).
    let split = |n: usize| {
        fixtures::struct_value(vec![
            (
                "images",
                fixtures::uint8_matrix(n, 784, images[16..16 + n * 784].to_vec()),
            ),
            (
                "labels",
                fixtures::double_matrix(
                    n,
                    1,
                    &labels[8..8 + n]
                        .iter()
                        .map(|&l| l as f64 + 1.0)
                        .collect::<Vec<_>>(),
                ),
            ),
        ])
    };
    let dataset: MatValue = fixtures::struct_value(vec![("train", split(8)), ("test", split(4))]);
    let mat_seeds = vec![
        fixtures::mat(&[("dataset", dataset.clone())], false),
        fixtures::mat(&[("dataset", dataset)], true),
    ];
    check(
        "mat",
        &mat_seeds,
        |v| v,
        |m| {
            if mat::parse("e.mat", m).is_ok() {
                let _ = mat::emnist_from_mat(DatasetKind::EmnistLetters, "e.mat", m);
            }
        },
    );

    // The manifest, from a real prepared set.
    let files = FileRole::ALL.map(|r| NamedBytes {
        name: DatasetKind::FashionMnist.file_name(r),
        bytes: match r {
            FileRole::TrainImages | FileRole::TestImages => common::gzip(&images),
            FileRole::TrainLabels | FileRole::TestLabels => common::gzip(&labels),
        },
    });
    let set = prepare::from_gz_files(DatasetKind::FashionMnist, &files, "test").unwrap();
    let manifest = prepare::build_shards(&set, 5)
        .manifest
        .to_json()
        .into_bytes();
    check(
        "manifest",
        &[manifest],
        |v| v,
        |j| {
            if let Ok(m) = Manifest::from_json(&String::from_utf8_lossy(j)) {
                manifest_is_sound(&m);
            }
        },
    );

    // Weights files: metadata and record; whatever decodes may only build the lab's networks.
    let d = Device::flex();
    let student = StudentConfig::new(10).init(&d);
    let record = pollster::block_on(snapshot::record_bytes(&student)).unwrap();
    let meta = WeightsMeta {
        format: snapshot::FORMAT,
        arch: Arch::Mlp,
        role: "baseline".into(),
        dataset: "fashion-mnist".into(),
        classes: set.kind.classes(),
        params: 407_050,
        network: serde_json::to_value(StudentConfig::new(10)).unwrap(),
        training: serde_json::json!({ "optimizer": "adadelta" }),
        epochs: 1,
        val_acc: Some(0.8),
        created_by: "parser properties".into(),
    };
    // The record cut short keeps the seed small; mutations reach the header and the JSON.
    let dlw = snapshot::encode(&meta, &record[..record.len().min(4096)]);
    check(
        "dlw",
        &[dlw],
        |v| v,
        |b| {
            if let Ok((meta, _)) = snapshot::decode("w.dlw", b)
                && let Ok(net) = snapshot::network_from_meta(&meta, &d)
            {
                assert_eq!(net.num_params(), 407_050, "only the lab's own student");
            }
        },
    );

    // Checkpoints: whatever decodes holds checked settings and encodes again.
    let ckpt = Checkpoint {
        head: CheckpointHead {
            settings: Settings::default(),
            saved_at_ms: 1.0,
            roles: vec![RoleState {
                config: serde_json::Value::Null,
                role: Role::Teacher,
                epoch: 1,
                lr: 1.0,
                schedule: Schedule::new(true, true),
                done: false,
                record_len: 3,
            }],
            log: Vec::new(),
        },
        records: vec![vec![1, 2, 3]],
    }
    .encode()
    .unwrap();
    check(
        "checkpoint",
        &[ckpt],
        |v| v,
        |b| {
            if let Ok(c) = Checkpoint::decode(b) {
                let again = c.encode().expect("a decoded checkpoint encodes again");
                assert_eq!(Checkpoint::decode(&again).unwrap().records, c.records);
            }
        },
    );

    // Share links: no NaN gets in, and the settings survive their own link.
    let queries: Vec<Vec<u8>> = [
        "dataset=fashion-mnist&epochs=3&batch=64&T=4&lambda=0.9&loss=hinton&subset=2048&val=512",
        "seed=7&sched=off&device=webgpu&hide=seed,lr&teacher=pretrained&opt=adam&lr=0.001",
        "T=1e308&lambda=-0&epochs=99999999999999999999&subset=%00%ff",
    ]
    .iter()
    .map(|q| q.as_bytes().to_vec())
    .collect();
    check(
        "settings",
        &queries,
        |v| v,
        |q| {
            let (s, _) = Settings::from_query(&String::from_utf8_lossy(q));
            assert!(s.temperature.is_finite() && s.lambda.is_finite());
            assert!(s.lr.is_none_or(f64::is_finite));
            assert_eq!(Settings::from_query(&s.to_query()).0, s);
        },
    );
}

/// What an accepted manifest promises: it reads back as written, and its shards are plain
/// file names that tile each split from sample 0.
fn manifest_is_sound(m: &Manifest) {
    assert_eq!(Manifest::from_json(&m.to_json()).as_ref(), Ok(m));
    for split in [SplitKind::Train, SplitKind::Test] {
        let mut next = 0;
        for s in m.shards(split) {
            assert!(
                !s.file.contains(['/', '\\']) && !s.file.starts_with('.'),
                "{}",
                s.file
            );
            assert_eq!(s.start, next);
            next += s.count;
        }
    }
}
