//! The dataset readers on generated fixtures: every malformed case gives a clear error naming
//! the file; zips, MAT files, shards and manifests round-trip.

mod common;

use common::fixtures;

use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::idx::{self, IdxImages};
use distill_lab::data::mat::{self, MatValue};
use distill_lab::data::prepare::{self, NamedBytes, PIXELS, build_shards, to_split};
use distill_lab::data::{DataError, Manifest, SplitKind, shard, zip};

/// `n` images, each a distinct pattern, with labels cycling through `classes` from `offset`.
fn images(n: usize) -> Vec<u8> {
    (0..n * PIXELS)
        .map(|i| ((i * 7 + i / PIXELS * 13) % 256) as u8)
        .collect()
}

fn labels(n: usize, classes: u8, offset: u8) -> Vec<u8> {
    (0..n).map(|i| offset + (i as u8 % classes)).collect()
}

/// The four gz files of a small EMNIST-digits-like set, named as the official ones.
fn digits_files(n_train: usize, n_test: usize) -> [NamedBytes; 4] {
    let k = DatasetKind::EmnistDigits;
    let gz = common::gzip;
    [
        NamedBytes {
            name: k.file_name(FileRole::TrainImages),
            bytes: gz(&fixtures::idx_images(28, 28, &images(n_train))),
        },
        NamedBytes {
            name: k.file_name(FileRole::TrainLabels),
            bytes: gz(&fixtures::idx_labels(&labels(n_train, 10, 0))),
        },
        NamedBytes {
            name: k.file_name(FileRole::TestImages),
            bytes: gz(&fixtures::idx_images(28, 28, &images(n_test))),
        },
        NamedBytes {
            name: k.file_name(FileRole::TestLabels),
            bytes: gz(&fixtures::idx_labels(&labels(n_test, 10, 0))),
        },
    ]
}

#[test]
fn file_names_follow_the_official_releases() {
    assert_eq!(
        DatasetKind::EmnistLetters.file_name(FileRole::TrainImages),
        "emnist-letters-train-images-idx3-ubyte.gz"
    );
    assert_eq!(
        DatasetKind::EmnistLetters.zip_member(FileRole::TestLabels),
        "gzip/emnist-letters-test-labels-idx1-ubyte.gz"
    );
    assert_eq!(
        DatasetKind::FashionMnist.file_name(FileRole::TestImages),
        "t10k-images-idx3-ubyte.gz"
    );
    assert_eq!(
        DatasetKind::Mnist.file_name(FileRole::TrainLabels),
        "train-labels-idx1-ubyte.gz"
    );
    assert_eq!(DatasetKind::EmnistLetters.classes().len(), 26);
    assert_eq!(DatasetKind::EmnistLetters.classes()[0], "A");
    assert_eq!(DatasetKind::EmnistBalanced.classes().len(), 47);
    assert_eq!(
        "fashion-mnist".parse::<DatasetKind>().unwrap(),
        DatasetKind::FashionMnist
    );
    assert!(
        "emnist-bogus"
            .parse::<DatasetKind>()
            .unwrap_err()
            .contains("emnist-letters")
    );
}

#[test]
fn idx_round_trips() {
    let px = images(5);
    let parsed = idx::parse_images("x", &fixtures::idx_images(28, 28, &px)).unwrap();
    assert_eq!(
        parsed,
        IdxImages {
            count: 5,
            rows: 28,
            cols: 28,
            pixels: px
        }
    );
    assert_eq!(
        idx::parse_labels("y", &fixtures::idx_labels(&[3, 1, 4])).unwrap(),
        vec![3, 1, 4]
    );
}

#[test]
fn wrong_magic_names_the_file() {
    let labels_file = fixtures::idx_labels(&[1, 2]);
    let err = idx::parse_images("train-images.gz", &labels_file).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::IdxMagic {
                found: 0x801,
                expected: 0x803,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("train-images.gz"));
}

#[test]
fn truncated_files_are_refused() {
    let full = fixtures::idx_images(28, 28, &images(3));
    let err = idx::parse_images("imgs", &full[..full.len() - 10]).unwrap_err();
    assert!(matches!(err, DataError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("truncated"));
    let err = idx::parse_labels("lbls", &fixtures::idx_labels(&[1, 2, 3])[..9]).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 11,
                found: 9,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        idx::parse_labels("tiny", &[0, 0]).unwrap_err(),
        DataError::Truncated { .. }
    ));
}

#[test]
fn wrong_image_size_is_refused() {
    let err =
        idx::parse_images("big", &fixtures::idx_images(32, 32, &vec![0; 2 * 32 * 32])).unwrap_err();
    assert_eq!(
        err,
        DataError::ImageSize {
            file: "big".into(),
            rows: 32,
            cols: 32
        }
    );
}

#[test]
fn corrupt_gzip_is_refused() {
    let mut gz = common::gzip(&fixtures::idx_labels(&[1; 1000]));
    let mid = gz.len() / 2;
    gz.truncate(mid);
    let err = idx::gunzip("labels.gz", &gz).unwrap_err();
    assert!(matches!(err, DataError::Gzip { .. }), "{err}");
    assert!(idx::gunzip("junk.gz", b"not gzip at all").is_err());
}

#[test]
fn count_mismatch_and_label_range_are_refused() {
    let imgs = IdxImages {
        count: 3,
        rows: 28,
        cols: 28,
        pixels: images(3),
    };
    let err = to_split(
        DatasetKind::EmnistDigits,
        "train",
        imgs.clone(),
        vec![1, 2],
        "l",
    )
    .unwrap_err();
    assert_eq!(
        err,
        DataError::CountMismatch {
            split: "train".into(),
            images: 3,
            labels: 2
        }
    );
    // Letters run 1..=26: 0 and 27 are both out of range.
    for bad in [0u8, 27] {
        let err = to_split(
            DatasetKind::EmnistLetters,
            "test",
            imgs.clone(),
            vec![1, bad, 26],
            "lbl.gz",
        )
        .unwrap_err();
        assert!(
            matches!(err, DataError::LabelRange { label, index: 1, min: 1, max: 26, .. } if label == bad),
            "{err}"
        );
        assert!(err.to_string().contains("lbl.gz"));
    }
}

#[test]
fn letters_labels_become_zero_based() {
    let imgs = IdxImages {
        count: 3,
        rows: 28,
        cols: 28,
        pixels: images(3),
    };
    let split = to_split(
        DatasetKind::EmnistLetters,
        "train",
        imgs,
        vec![1, 26, 13],
        "l",
    )
    .unwrap();
    assert_eq!(split.labels, vec![0, 25, 12]);
}

/// An upright "L": a vertical bar down the left and a foot along the bottom.
fn upright_l() -> Vec<u8> {
    let mut img = vec![0u8; PIXELS];
    for r in 4..24 {
        img[r * 28 + 6] = 255;
    }
    for c in 6..20 {
        img[23 * 28 + c] = 255;
    }
    img
}

#[test]
fn emnist_is_transposed_upright_and_mnist_is_not() {
    let upright = upright_l();
    let mut stored = upright.clone();
    idx::transpose_images(&mut stored, 28); // as EMNIST stores it
    assert_ne!(stored, upright);
    let as_emnist = to_split(
        DatasetKind::EmnistLetters,
        "t",
        IdxImages {
            count: 1,
            rows: 28,
            cols: 28,
            pixels: stored.clone(),
        },
        vec![12],
        "l",
    )
    .unwrap();
    assert_eq!(
        as_emnist.image(0),
        &upright[..],
        "EMNIST images must come out upright"
    );
    let as_mnist = to_split(
        DatasetKind::Mnist,
        "t",
        IdxImages {
            count: 1,
            rows: 28,
            cols: 28,
            pixels: upright.clone(),
        },
        vec![1],
        "l",
    )
    .unwrap();
    assert_eq!(
        as_mnist.image(0),
        &upright[..],
        "MNIST images are already upright"
    );
}

#[test]
fn official_checksums_are_enforced_and_named() {
    let files = digits_files(4, 2);
    // The same bytes offered as EMNIST letters: letters has official sums, so they fail.
    let fake = NamedBytes {
        name: "emnist-letters-train-images-idx3-ubyte.gz".into(),
        bytes: files[0].bytes.clone(),
    };
    let err = prepare::verify_official(DatasetKind::EmnistLetters, FileRole::TrainImages, &fake)
        .unwrap_err();
    match &err {
        DataError::Checksum {
            file,
            expected,
            actual,
        } => {
            assert_eq!(file, "emnist-letters-train-images-idx3-ubyte.gz");
            assert_eq!(
                expected,
                "6288f418a917e007bf5fddb823a2dc7a5c6a35031401b93292a539cb12bd881f"
            );
            assert_eq!(actual, &distill_lab::data::sha256_hex(&files[0].bytes));
        }
        e => panic!("expected a checksum error, got {e}"),
    }
    assert!(err.to_string().contains("6288f418"));
}

#[test]
fn gz_files_become_a_set() {
    let set =
        prepare::from_gz_files(DatasetKind::EmnistDigits, &digits_files(30, 10), "test").unwrap();
    assert_eq!((set.train.len(), set.test.len()), (30, 10));
    assert_eq!(set.train.class_counts(10), vec![3; 10]);
}

#[test]
fn shards_round_trip_and_are_deterministic() {
    let set =
        prepare::from_gz_files(DatasetKind::EmnistDigits, &digits_files(50, 12), "test").unwrap();
    let a = build_shards(&set, 16);
    let b = build_shards(&set, 16);
    assert_eq!(a.manifest, b.manifest);
    for (x, y) in a.files.iter().zip(&b.files) {
        assert_eq!(x.bytes, y.bytes, "{} differs between runs", x.name);
    }
    let m = &a.manifest;
    assert_eq!(
        m.shards(SplitKind::Train)
            .map(|s| s.count)
            .collect::<Vec<_>>(),
        vec![16, 16, 16, 2]
    );
    assert_eq!(
        m.shards(SplitKind::Test)
            .map(|s| s.start)
            .collect::<Vec<_>>(),
        vec![0]
    );
    // Decoding every shard gives back the set, in order.
    let mut labels = Vec::new();
    let mut pixels = Vec::new();
    for (info, file) in m.shards(SplitKind::Train).zip(&a.files) {
        assert_eq!(info.file, file.name);
        assert_eq!(info.sha256, distill_lab::data::sha256_hex(&file.bytes));
        let d = shard::decode(&file.name, &file.bytes).unwrap();
        labels.extend(d.labels);
        pixels.extend(d.pixels);
    }
    assert_eq!(labels, set.train.labels);
    assert_eq!(pixels, set.train.pixels);
}

#[test]
fn damaged_shards_are_named() {
    let bytes = shard::encode(28, 28, &[1, 2], &images(2));
    let err = shard::decode("train-000.shard", &bytes[..bytes.len() / 2]).unwrap_err();
    assert!(err.to_string().contains("train-000.shard"), "{err}");
    let not_a_shard = common::gzip(b"hello world, not a shard");
    assert!(
        shard::decode("x.shard", &not_a_shard)
            .unwrap_err()
            .to_string()
            .contains("magic")
    );
}

#[test]
fn manifest_has_the_documented_fields() {
    let set =
        prepare::from_gz_files(DatasetKind::EmnistDigits, &digits_files(20, 5), "test").unwrap();
    let p = build_shards(&set, 8);
    let v: serde_json::Value = serde_json::from_str(&p.manifest.to_json()).unwrap();
    for key in [
        "format", "dataset", "classes", "image", "splits", "mean", "std", "shards",
    ] {
        assert!(v.get(key).is_some(), "manifest lacks {key}");
    }
    assert_eq!(v["image"], serde_json::json!([28, 28]));
    assert_eq!(v["splits"]["train"], 20);
    for key in ["file", "split", "start", "count", "bytes", "sha256"] {
        assert!(v["shards"][0].get(key).is_some(), "shard entry lacks {key}");
    }
    assert_eq!(v["shards"][0]["split"], "train");
    assert_eq!(
        Manifest::from_json(&p.manifest.to_json()).unwrap(),
        p.manifest
    );
    let mut bad = p.manifest.clone();
    bad.splits.train = 99;
    assert!(
        Manifest::from_json(&bad.to_json())
            .unwrap_err()
            .to_string()
            .contains("99")
    );
    assert!(Manifest::from_json("{ nope").is_err());
}

#[test]
fn zip_members_are_read_stored_and_deflated() {
    let a = b"first member".to_vec();
    let b: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    for deflate in [false, true] {
        let z = fixtures::zip(&[("gzip/a.gz", &a), ("gzip/b.gz", &b)], deflate);
        let mut src: &[u8] = &z;
        let entries = zip::read_index("t.zip", &mut src).unwrap();
        assert_eq!(entries.len(), 2);
        let e = zip::find(&entries, "gzip/b.gz").unwrap();
        assert_eq!(zip::extract("t.zip", &mut src, e).unwrap(), b);
        // Found by base name too.
        assert_eq!(
            zip::extract("t.zip", &mut src, zip::find(&entries, "a.gz").unwrap()).unwrap(),
            a
        );
    }
}

#[test]
fn corrupt_zips_are_refused() {
    let b: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let z = fixtures::zip(&[("gzip/b.gz", &b)], true);
    // Truncated: the end record is gone.
    let mut cut: &[u8] = &z[..z.len() - 30];
    let err = zip::read_index("cut.zip", &mut cut).unwrap_err();
    assert!(
        matches!(err, DataError::Zip { .. }) && err.to_string().contains("cut.zip"),
        "{err}"
    );
    // A flipped byte in the member data: the CRC or the deflate stream catches it.
    let mut flipped = z.clone();
    flipped[40] ^= 0xFF;
    let mut src: &[u8] = &flipped;
    let entries = zip::read_index("f.zip", &mut src).unwrap();
    let err = zip::extract("f.zip", &mut src, &entries[0]).unwrap_err();
    assert!(err.to_string().contains("gzip/b.gz"), "{err}");
    // Not a zip at all.
    let mut junk: &[u8] = &[7u8; 100];
    assert!(zip::read_index("junk.zip", &mut junk).is_err());
}

fn split_struct(images_row_major: &[u8], labels: &[u8]) -> MatValue {
    let n = labels.len();
    let mut col_major = vec![0u8; n * PIXELS];
    for i in 0..n {
        for j in 0..PIXELS {
            col_major[j * n + i] = images_row_major[i * PIXELS + j];
        }
    }
    let labels_f: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
    fixtures::struct_value(vec![
        ("images", fixtures::uint8_matrix(n, PIXELS, col_major)),
        ("labels", fixtures::double_matrix(n, 1, &labels_f)),
        ("writers", fixtures::double_matrix(n, 1, &vec![0.0; n])),
    ])
}

#[test]
fn mat_files_give_the_same_set_as_idx() {
    let files = digits_files(12, 6);
    let from_idx = prepare::from_gz_files(DatasetKind::EmnistDigits, &files, "idx").unwrap();
    let raw = |f: &NamedBytes| common::gunzip(&f.bytes);
    let dataset = fixtures::struct_value(vec![
        (
            "train",
            split_struct(&raw(&files[0])[16..], &raw(&files[1])[8..]),
        ),
        (
            "test",
            split_struct(&raw(&files[2])[16..], &raw(&files[3])[8..]),
        ),
        ("mapping", fixtures::double_matrix(10, 2, &[0.0; 20])),
    ]);
    for compress in [false, true] {
        let bytes = fixtures::mat(&[("dataset", dataset.clone())], compress);
        let from_mat =
            mat::emnist_from_mat(DatasetKind::EmnistDigits, "emnist-digits.mat", &bytes).unwrap();
        assert_eq!(from_mat.train, from_idx.train, "compress={compress}");
        assert_eq!(from_mat.test, from_idx.test);
    }
}

#[test]
fn mat_without_dataset_struct_is_refused() {
    let bytes = fixtures::mat(
        &[("data", fixtures::double_matrix(2, 2, &[1.0, 2.0, 3.0, 4.0]))],
        true,
    );
    let err = mat::emnist_from_mat(DatasetKind::EmnistLetters, "x.mat", &bytes).unwrap_err();
    assert!(
        err.to_string().contains("no 'dataset' struct") && err.to_string().contains("x.mat"),
        "{err}"
    );
    let missing_test = fixtures::mat(
        &[(
            "dataset",
            fixtures::struct_value(vec![("train", split_struct(&images(2), &[1, 2]))]),
        )],
        false,
    );
    let err = mat::emnist_from_mat(DatasetKind::EmnistLetters, "y.mat", &missing_test).unwrap_err();
    assert!(err.to_string().contains("'test'"), "{err}");
    let err = mat::emnist_from_mat(
        DatasetKind::EmnistLetters,
        "z.mat",
        b"MATLAB 7.3 MAT-file, HDF5 .........",
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("truncated") || err.to_string().contains("7.3"),
        "{err}"
    );
    let mut hdf5 = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".to_vec();
    hdf5.resize(512, 0);
    assert!(
        mat::emnist_from_mat(DatasetKind::EmnistLetters, "h.mat", &hdf5)
            .unwrap_err()
            .to_string()
            .contains("7.3")
    );
    let good = fixtures::mat(
        &[(
            "dataset",
            fixtures::struct_value(vec![("train", split_struct(&images(2), &[1, 2]))]),
        )],
        false,
    );
    let err = mat::parse("t.mat", &good[..good.len() - 40]).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}
