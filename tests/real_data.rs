//! Real data: Debian's Fashion-MNIST (official IDX gz) and the official EMNIST-letters label
//! files.

mod common;

use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::idx;
use distill_lab::data::prepare::{
    self, DEFAULT_SHARD_SIZE, NamedBytes, PIXELS, Split, build_shards,
};

fn read_fashion() -> [NamedBytes; 4] {
    let dir = common::fashion_dir();
    FileRole::ALL.map(|role| {
        let name = DatasetKind::FashionMnist.file_name(role);
        NamedBytes {
            bytes: std::fs::read(dir.join(&name)).unwrap(),
            name,
        }
    })
}

/// Bounding box (rows, cols) of the pixels of the class mean image brighter than 1/3 of its max.
fn mean_extent(split: &Split, class: u8) -> (usize, usize) {
    let mut sum = vec![0f64; PIXELS];
    for i in (0..split.len()).filter(|&i| split.labels[i] == class) {
        for (s, &p) in sum.iter_mut().zip(split.image(i)) {
            *s += p as f64;
        }
    }
    let max = sum.iter().cloned().fold(0.0, f64::max);
    let on: Vec<(usize, usize)> = (0..PIXELS)
        .filter(|&k| sum[k] > max / 3.0)
        .map(|k| (k / 28, k % 28))
        .collect();
    let rows = on.iter().map(|p| p.0).max().unwrap() - on.iter().map(|p| p.0).min().unwrap() + 1;
    let cols = on.iter().map(|p| p.1).max().unwrap() - on.iter().map(|p| p.1).min().unwrap() + 1;
    (rows, cols)
}

#[test]
fn fashion_mnist_prepares_whole_balanced_and_upright() {
    let set = prepare::from_gz_files(DatasetKind::FashionMnist, &read_fashion(), "debian").unwrap();
    assert_eq!((set.train.len(), set.test.len()), (60_000, 10_000));
    assert_eq!(set.train.class_counts(10), vec![6_000; 10]);
    assert_eq!(set.test.class_counts(10), vec![1_000; 10]);

    // Orientation on real images: trousers (1) are tall and narrow, sneakers (7) wide and flat.
    // A transposed set would swap both.
    let (tr, tc) = mean_extent(&set.train, 1);
    assert!(
        tr > tc + 8,
        "trousers should be taller than wide, got {tr}x{tc}"
    );
    let (sr, sc) = mean_extent(&set.train, 7);
    assert!(
        sc > sr + 8,
        "sneakers should be wider than tall, got {sr}x{sc}"
    );
    // Sneaker toes point left in Fashion-MNIST: more ink in the left bottom than the right top.
    // (Rules out a 180-degree rotation, which keeps the extents.)
    let mut top = 0u64;
    let mut bottom = 0u64;
    for i in (0..set.train.len())
        .filter(|&i| set.train.labels[i] == 7)
        .take(500)
    {
        let img = set.train.image(i);
        top += img[..PIXELS / 2].iter().map(|&p| p as u64).sum::<u64>();
        bottom += img[PIXELS / 2..].iter().map(|&p| p as u64).sum::<u64>();
    }
    assert!(
        bottom > top,
        "sneakers sit on the bottom half: top {top} bottom {bottom}"
    );

    // Idempotent: a second preparation gives byte-identical shards.
    let a = build_shards(&set, DEFAULT_SHARD_SIZE);
    let b = build_shards(
        &prepare::from_gz_files(DatasetKind::FashionMnist, &read_fashion(), "debian").unwrap(),
        DEFAULT_SHARD_SIZE,
    );
    assert_eq!(a.manifest, b.manifest);
    assert!(
        a.files
            .iter()
            .zip(&b.files)
            .all(|(x, y)| x.bytes == y.bytes)
    );
    // 60,000 / 4,096 and 10,000 / 4,096, rounded up.
    assert_eq!(a.manifest.shards.len(), 15 + 3);
    // Shards no larger than the gz files they came from.
    let gz_total: usize = read_fashion().iter().map(|f| f.bytes.len()).sum();
    assert!(
        a.manifest.total_bytes() <= gz_total,
        "{} > {gz_total}",
        a.manifest.total_bytes()
    );
    assert!((a.manifest.mean - 0.2860).abs() < 1e-3 && (a.manifest.std - 0.3530).abs() < 1e-3);
}

#[test]
fn emnist_letters_label_files_are_official_and_balanced() {
    let dir = common::emnist_labels_dir();
    let k = DatasetKind::EmnistLetters;
    for (role, n, per_class) in [
        (FileRole::TrainLabels, 124_800, 4_800),
        (FileRole::TestLabels, 20_800, 800),
    ] {
        let name = k.file_name(role);
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        prepare::verify_official(
            k,
            role,
            &NamedBytes {
                name: name.clone(),
                bytes: bytes.clone(),
            },
        )
        .unwrap();
        let labels = idx::parse_labels(&name, &idx::gunzip(&name, &bytes).unwrap()).unwrap();
        assert_eq!(labels.len(), n);
        let mut counts = [0usize; 27];
        for &l in &labels {
            counts[l as usize] += 1;
        }
        assert_eq!(counts[0], 0, "label 0 never occurs in letters");
        assert!(
            counts[1..].iter().all(|&c| c == per_class),
            "{name}: {counts:?}"
        );
        if role == FileRole::TrainLabels {
            assert_eq!(&labels[..10], &[23, 7, 16, 15, 23, 17, 13, 11, 22, 24]);
        }
    }
    // A damaged copy fails the official checksum and says which file.
    let name = k.file_name(FileRole::TestLabels);
    let mut bytes = std::fs::read(dir.join(&name)).unwrap();
    bytes[20] ^= 1;
    let err = prepare::verify_official(
        k,
        FileRole::TestLabels,
        &NamedBytes {
            name: name.clone(),
            bytes,
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(&name) && err.to_string().contains("924955c3"),
        "{err}"
    );
}
