//! Writes the fuzz targets' seed corpora under fuzz/corpus/TARGET/ from real files: Debian's
//! Fashion-MNIST (its label file whole, the first images cut to a small IDX) and the official
//! EMNIST-letters label files (tests/data/emnist), wrapped in each format the lab reads.
//!   seeds FASHION_DIR EMNIST_LABELS_DIR CORPUS_DIR

use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::prepare::{self, NamedBytes};
use distill_lab::data::{idx, shard};

#[path = "../tests/common/fixtures.rs"]
mod fixtures;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(raw).expect("in memory");
    e.finish().expect("in memory")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [fashion, emnist, corpus] = [&args[0], &args[1], &args[2]].map(Path::new);
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).expect("corpus folder");
        std::fs::write(dir.join(name), bytes).expect("seed written");
    };
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let images_gz = read(&fashion.join("t10k-images-idx3-ubyte.gz"));
    let labels_gz = read(&fashion.join("t10k-labels-idx1-ubyte.gz"));
    let images = idx::parse_images(
        "t10k-images",
        &idx::gunzip("t10k-images", &images_gz).unwrap(),
    )
    .unwrap();
    let labels = idx::gunzip("t10k-labels", &labels_gz).unwrap();
    let n = 12;
    let small_images = fixtures::idx_images(28, 28, &images.pixels[..n * 784]);
    let small_labels = fixtures::idx_labels(&labels[8..8 + n]);

    put("idx", "fashion-t10k-labels.gz", &labels_gz);
    put("idx", "fashion-12-images.gz", &gzip(&small_images));
    for s in ["train", "test"] {
        let name = format!("emnist-letters-{s}-labels-idx1-ubyte.gz");
        put("idx", &name, &read(&emnist.join(&name)));
    }
    let members: [(&str, &[u8]); 2] =
        [("images.idx", &small_images), ("labels.idx", &small_labels)];
    put("zip", "stored.zip", &fixtures::zip(&members, false));
    put("zip", "deflated.zip", &fixtures::zip(&members, true));
    let split = |k: usize| {
        fixtures::struct_value(vec![
            (
                "images",
                fixtures::uint8_matrix(k, 784, images.pixels[..k * 784].to_vec()),
            ),
            (
                "labels",
                fixtures::double_matrix(
                    k,
                    1,
                    &labels[8..8 + k]
                        .iter()
                        .map(|&l| l as f64 + 1.0)
                        .collect::<Vec<_>>(),
                ),
            ),
        ])
    };
    let dataset = fixtures::struct_value(vec![("train", split(8)), ("test", split(4))]);
    put(
        "mat",
        "plain.mat",
        &fixtures::mat(&[("dataset", dataset.clone())], false),
    );
    put(
        "mat",
        "compressed.mat",
        &fixtures::mat(&[("dataset", dataset)], true),
    );
    put(
        "shard",
        "train-000.shard",
        &shard::encode(28, 28, &labels[8..8 + n], &images.pixels[..n * 784]),
    );
    let files = FileRole::ALL.map(|r| NamedBytes {
        name: DatasetKind::FashionMnist.file_name(r),
        bytes: match r {
            FileRole::TrainImages | FileRole::TestImages => gzip(&small_images),
            FileRole::TrainLabels | FileRole::TestLabels => gzip(&small_labels),
        },
    });
    let set = prepare::from_gz_files(DatasetKind::FashionMnist, &files, "seeds").unwrap();
    put(
        "manifest",
        "manifest.json",
        prepare::build_shards(&set, 5).manifest.to_json().as_bytes(),
    );
    for (i, q) in [
        "dataset=fashion-mnist&teacher=pretrained&subset=10000&labels=500&val=2000&epochs=20&batch=256&opt=adadelta&loss=hinton&T=4&lambda=0.9&sched=on&seed=0",
        "T=500&epochs=abc&hide=seed,lr,bogus&device=webgpu&lr=0.001",
    ]
    .iter()
    .enumerate()
    {
        put("settings", &format!("query-{i}"), q.as_bytes());
    }
    println!("seeds written under {}", corpus.display());
}
