//! Hand-made hostile files against every parser: each is refused with an error naming the file,
//! without a panic, a stack overflow, or inflating or allocating past what its format declares.
//! Each case failed (panic, abort, or gigabytes inflated) before the parsers were bounded. The
//! bounded work is measured, not inferred from the error's text: the process's peak resident
//! memory during each refusal (common::mem), so a parser that inflates a bomb in full before
//! noticing fails here even when its error message is right.

mod common;

use common::fixtures;

use burn::prelude::*;
use common::mem::{exclusive, peak_growth};
use distill_lab::checkpoint::{Checkpoint, CheckpointHead, RoleState};
use distill_lab::data::{DataError, SplitKind, idx, inflate, mat, shard, zip};
use distill_lab::model::snapshot::{self, WeightsError, WeightsMeta};
use distill_lab::model::{Arch, StudentConfig, TeacherConfig};
use distill_lab::protocol::Role;
use distill_lab::settings::Settings;
use distill_lab::train::Schedule;
use std::path::Path;
use std::time::Instant;

/// At most what refusing a hostile file whose declared sizes are tiny may add to the peak
/// resident memory: working buffers and allocator slack, never the payload the file would
/// inflate to (64 to 256 MB below).
const SMALL: usize = 8 << 20;

/// A deflated zip of one member, its central directory entry's extra field replaced by `extra`
/// and its sizes set to the zip64 marker.
fn zip_with_extra(extra: &[u8]) -> Vec<u8> {
    let mut z = fixtures::zip(&[("a.bin", b"hello hello hello")], true);
    let cd = z
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    z[cd + 20..cd + 28].copy_from_slice(&[0xFF; 8]); // compressed and uncompressed size
    z[cd + 30..cd + 32].copy_from_slice(&(extra.len() as u16).to_le_bytes());
    let name_end = cd + 46 + 5;
    z.splice(name_end..name_end, extra.iter().copied());
    // The end record's directory size grows by the extra field.
    let eocd = z.len() - 22;
    let size = u32::from_le_bytes(z[eocd + 12..eocd + 16].try_into().unwrap()) + extra.len() as u32;
    z[eocd + 12..eocd + 16].copy_from_slice(&size.to_le_bytes());
    z
}

#[test]
fn a_zip64_extra_field_longer_than_its_entry_is_refused() {
    // Block 0x0001 claims 200 bytes; the entry holds 12 of them.
    let mut extra = vec![0x01, 0x00, 200, 0x00];
    extra.extend_from_slice(&[0xAB; 8]);
    let z = zip_with_extra(&extra);
    let err = zip::read_index("evil.zip", &mut &z[..]).unwrap_err();
    assert!(
        err.to_string().contains("evil.zip") && err.to_string().contains("runs past"),
        "{err}"
    );
}

#[test]
fn a_zip_listing_more_entries_than_its_directory_holds_is_refused() {
    let mut z = fixtures::zip(&[("a.bin", b"abc")], false);
    let eocd = z.len() - 22;
    z[eocd + 8..eocd + 12].copy_from_slice(&[0xFE, 0xFF, 0xFE, 0xFF]); // 65,534 entries
    let err = zip::read_index("many.zip", &mut &z[..]).unwrap_err();
    assert!(err.to_string().contains("65534 entries"), "{err}");
}

#[test]
fn a_zip_member_inflating_past_its_declared_size_stops_there() {
    let _mem = exclusive();
    // 64 MB of zeros deflate to about 64 KB; the directory says 1,000 bytes.
    let big = vec![0u8; 64 << 20];
    let mut z = fixtures::zip(&[("bomb.bin", &big)], true);
    let cd = z
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    z[cd + 24..cd + 28].copy_from_slice(&1000u32.to_le_bytes());
    drop(big);
    let entries = zip::read_index("bomb.zip", &mut &z[..]).unwrap();
    let (err, bytes) =
        peak_growth(|| zip::extract("bomb.zip", &mut &z[..], &entries[0]).unwrap_err());
    assert!(
        err.to_string().contains("more than the 1000 bytes"),
        "{err}"
    );
    assert!(bytes < SMALL, "extracting the bomb allocated {bytes} bytes");
    // An entry declaring more than any dataset file is refused before inflating.
    let mut huge = entries[0].clone();
    huge.size = inflate::MAX_INFLATED as u64 + 1;
    let (err, bytes) = peak_growth(|| zip::extract("bomb.zip", &mut &z[..], &huge).unwrap_err());
    assert!(err.to_string().contains("declares"), "{err}");
    assert!(
        bytes < SMALL,
        "a refused declaration allocated {bytes} bytes"
    );
    // Offsets near u64::MAX do not wrap around.
    let mut far = entries[0].clone();
    far.local_header_offset = u64::MAX - 10;
    assert!(zip::extract("bomb.zip", &mut &z[..], &far).is_err());
}

#[test]
fn gzip_idx_with_data_past_its_header_is_refused_without_inflating_it_all() {
    let _mem = exclusive();
    // A label file of 10 labels followed by 256 MB of zeros (about 250 KB compressed).
    let mut file = fixtures::idx_labels(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    file.resize(file.len() + (256 << 20), 0);
    let gz = common::gzip(&file);
    drop(file);
    let t0 = Instant::now();
    let (err, bytes) =
        peak_growth(|| idx::gunzip("emnist-letters-train-labels-idx1-ubyte.gz", &gz).unwrap_err());
    assert!(bytes < SMALL, "refusing the file allocated {bytes} bytes");
    let msg = err.to_string();
    assert!(
        msg.contains("emnist-letters-train-labels") && msg.contains("more than the 18 bytes"),
        "{msg}"
    );
    // Not a timing test: inflating all 256 MB takes seconds, stopping at byte 19 milliseconds.
    eprintln!("refused in {:?}", t0.elapsed());
    // An images header declaring more than any dataset is refused from its 16 bytes.
    let mut head = idx::IMAGES_MAGIC.to_be_bytes().to_vec();
    for v in [u32::MAX, 28, 28] {
        head.extend_from_slice(&v.to_be_bytes());
    }
    let head = common::gzip(&head);
    let (err, bytes) = peak_growth(|| idx::gunzip("big.gz", &head).unwrap_err());
    assert!(err.to_string().contains("declares"), "{err}");
    assert!(
        bytes < SMALL,
        "a header declaring 3 TB allocated {bytes} bytes"
    );
    // Well-formed files still read.
    let ok = fixtures::idx_labels(&[3; 100]);
    assert_eq!(idx::gunzip("ok.gz", &common::gzip(&ok)).unwrap(), ok);
}

/// A MAT v5 file whose one variable is `depth` cell arrays nested in each other, written
/// outside-in (each level's length is known from the levels inside it).
fn nested_cells(depth: usize) -> Vec<u8> {
    const PREFIX: usize = 16 + 16 + 8; // array flags, dims [1 1], empty name
    let innermost = 8; // a zero-length miMATRIX: an empty value
    let mut out = b"MATLAB 5.0 MAT-file, hostile".to_vec();
    out.resize(116, b' ');
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for level in 0..depth {
        let body = PREFIX * (depth - level) + 8 * (depth - level - 1) + innermost;
        out.extend_from_slice(&14u32.to_le_bytes()); // miMATRIX
        out.extend_from_slice(&(body as u32).to_le_bytes());
        out.extend_from_slice(&6u32.to_le_bytes()); // miUINT32 flags
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]); // mxCELL
        out.extend_from_slice(&5u32.to_le_bytes()); // miINT32 dims
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&1i32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // miINT8 name, empty
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out.extend_from_slice(&14u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

#[test]
fn deeply_nested_mat_cells_are_refused_not_a_stack_overflow() {
    let _mem = exclusive();
    let shallow = nested_cells(5);
    let vars = mat::parse("shallow.mat", &shallow).unwrap();
    assert_eq!(vars.len(), 1, "the fixture itself is a valid MAT file");
    let deep = nested_cells(200_000);
    let (err, bytes) = peak_growth(|| mat::parse("deep.mat", &deep).unwrap_err());
    assert!(
        bytes < 4 * SMALL,
        "refusing the nesting allocated {bytes} bytes"
    );
    assert!(
        err.to_string().contains("deep.mat") && err.to_string().contains("nest deeper"),
        "{err}"
    );
}

#[test]
fn mat_counts_from_headers_never_size_allocations() {
    let _mem = exclusive();
    // A 1x1 cell whose dims claim 2^31-1 x 2^31-1 elements.
    let mut m = nested_cells(1);
    let dims = 128 + 8 + 16 + 8;
    m[dims..dims + 4].copy_from_slice(&i32::MAX.to_le_bytes());
    m[dims + 4..dims + 8].copy_from_slice(&i32::MAX.to_le_bytes());
    let (err, bytes) = peak_growth(|| mat::parse("wide.mat", &m).unwrap_err());
    assert!(err.to_string().contains("declares"), "{err}");
    assert!(
        bytes < SMALL,
        "a header declaring 2^62 cells allocated {bytes} bytes"
    );
}

#[test]
fn a_shard_whose_header_claims_more_than_it_holds_is_refused() {
    let _mem = exclusive();
    let good = shard::encode(28, 28, &[1, 2], &[0; 2 * 784]);
    let mut raw = common::gunzip(&good);
    raw[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let gz = common::gzip(&raw);
    let (err, bytes) = peak_growth(|| shard::decode("train-000.bin.gz", &gz).unwrap_err());
    assert!(matches!(err, DataError::Shard { .. }), "{err}");
    assert!(
        bytes < SMALL,
        "a header claiming 4 billion images allocated {bytes} bytes"
    );
    // And one with more data than it declares stops one byte past the declaration.
    let mut raw = common::gunzip(&good);
    raw.resize(raw.len() + (64 << 20), 0);
    let gz = common::gzip(&raw);
    drop(raw);
    let (err, bytes) = peak_growth(|| shard::decode("train-001.bin.gz", &gz).unwrap_err());
    assert!(err.to_string().contains("more than"), "{err}");
    assert!(
        bytes < SMALL,
        "refusing 64 MB past the declaration allocated {bytes} bytes"
    );
}

fn meta(arch: Arch, network: serde_json::Value) -> WeightsMeta {
    WeightsMeta {
        format: snapshot::FORMAT,
        arch,
        role: "baseline".into(),
        dataset: "fashion-mnist".into(),
        classes: (0..10).map(|c| c.to_string()).collect(),
        params: 0,
        network,
        training: serde_json::json!({}),
        epochs: 1,
        val_acc: None,
        created_by: "a hostile test".into(),
    }
}

#[test]
fn a_weights_file_cannot_choose_the_network_it_builds() {
    let d = Device::flex();
    let lab = serde_json::to_value(StudentConfig::new(10)).unwrap();
    assert!(snapshot::network_from_meta(&meta(Arch::Mlp, lab.clone()), &d).is_ok());
    for (field, value) in [
        ("hidden", serde_json::json!(1usize << 40)),
        ("dropout", serde_json::json!(7.5)),
        ("classes", serde_json::json!(0)),
    ] {
        let mut net = lab.clone();
        net[field] = value;
        let err = snapshot::network_from_meta(&meta(Arch::Mlp, net), &d).unwrap_err();
        assert!(matches!(err, WeightsError::Mismatch(_)), "{field}: {err}");
    }
    let mut cnn = serde_json::to_value(TeacherConfig::new(10)).unwrap();
    cnn["hidden"] = serde_json::json!(1usize << 30);
    assert!(snapshot::network_from_meta(&meta(Arch::Cnn, cnn), &d).is_err());
    let mut none = meta(Arch::Mlp, lab);
    none.classes.clear();
    assert!(snapshot::network_from_meta(&none, &d).is_err());
    // A file over the size cap is refused before its header is read.
    let big = vec![0u8; snapshot::MAX_BYTES + 1];
    assert!(matches!(
        snapshot::decode("huge.dlw", &big),
        Err(WeightsError::NotWeights(_))
    ));
    // A metadata length near u32::MAX does not wrap around.
    let mut cut = snapshot::MAGIC.to_vec();
    cut.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(snapshot::decode("cut.dlw", &cut).is_err());
}

#[test]
fn weights_that_are_not_finite_numbers_are_refused_before_loading() {
    let d = Device::flex();
    let student = StudentConfig::new(10).init(&d);
    let f32_record = pollster::block_on(snapshot::record_bytes(&student)).unwrap();
    let half = pollster::block_on(snapshot::record_bytes_as(
        &student,
        burn::tensor::DType::F16,
    ))
    .unwrap();
    // Both precisions load (the half one cast to the network's own), and half is half the size.
    assert!(
        snapshot::load_record("s.dlw", StudentConfig::new(10).init(&d), f32_record.clone()).is_ok()
    );
    assert!(snapshot::load_record("h.dlw", StudentConfig::new(10).init(&d), half.clone()).is_ok());
    assert!(
        half.len() < f32_record.len() * 6 / 10,
        "{} vs {}",
        half.len(),
        f32_record.len()
    );
    // The last number of the record (the output layer's last bias) made NaN, then +∞.
    for (bits, shown) in [(0x7fc0_0000u32, "NaN"), (0x7f80_0000, "inf")] {
        let mut bad = f32_record.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&bits.to_le_bytes());
        let err =
            snapshot::load_record("nan.dlw", StudentConfig::new(10).init(&d), bad).unwrap_err();
        assert!(matches!(err, WeightsError::Damaged(_)), "{err}");
        assert!(err.to_string().starts_with("nan.dlw: "), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("holds {shown}, not a finite number")),
            "{err}"
        );
    }
    // A half-precision NaN (0x7e00) too.
    let mut bad = half;
    let n = bad.len();
    bad[n - 2..].copy_from_slice(&0x7e00u16.to_le_bytes());
    let err = snapshot::load_record("h.dlw", StudentConfig::new(10).init(&d), bad).unwrap_err();
    assert!(err.to_string().contains("not a finite number"), "{err}");
}

#[test]
fn nan_in_a_share_link_never_reaches_the_settings() {
    let (s, warnings) = Settings::from_query("T=NaN&lambda=nan&lr=NaN&alpha=inf");
    let d = Settings::default();
    assert_eq!(s.temperature, d.temperature);
    assert_eq!(s.lambda, 1.0, "inf is clamped to λ's upper bound");
    assert_eq!(s.lr, None);
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings[0].contains("not a number"), "{warnings:?}");
}

fn checkpoint(settings: Settings, lr: f64) -> Checkpoint {
    Checkpoint {
        head: CheckpointHead {
            settings,
            saved_at_ms: 1.0,
            roles: vec![RoleState {
                config: serde_json::Value::Null,
                role: Role::Teacher,
                epoch: 1,
                lr,
                schedule: Schedule::new(true, true),
                done: false,
                record_len: 0,
            }],
            log: Vec::new(),
        },
        records: vec![vec![1, 2, 3]],
    }
}

#[test]
fn a_checkpoint_that_would_not_resume_is_never_written_and_never_silently_dropped() {
    // A NaN learning rate: JSON writes null and the old code's checkpoint then failed to decode.
    let err = checkpoint(Settings::default(), f64::NAN)
        .encode()
        .unwrap_err();
    assert!(err.contains("not saved"), "{err}");
    // Stored settings are checked as a share link's are: batch 0 once divided by zero on resume.
    let bad = Settings {
        batch: 0,
        ..Settings::default()
    };
    let good = checkpoint(Settings::default(), 1.0).encode().unwrap();
    assert_eq!(Checkpoint::decode(&good).unwrap().records[0], vec![1, 2, 3]);
    let json = serde_json::to_vec(&checkpoint(bad, 1.0).head).unwrap();
    let mut bytes = distill_lab::checkpoint::MAGIC.to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    let err = Checkpoint::decode(&bytes).unwrap_err();
    assert!(err.contains("batch=0"), "{err}");
    // A record length that would wrap around is truncation, not a panic.
    let mut head = checkpoint(Settings::default(), 1.0).head;
    head.roles[0].record_len = usize::MAX;
    let json = serde_json::to_vec(&head).unwrap();
    let mut bytes = distill_lab::checkpoint::MAGIC.to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    assert_eq!(
        Checkpoint::decode(&bytes).unwrap_err(),
        "checkpoint truncated"
    );
}

#[test]
fn a_dataset_index_names_only_plain_folders() {
    use distill_lab::data::DataIndex;
    let ok = DataIndex::new(vec!["fashion-mnist".into(), "emnist-letters".into()]);
    assert_eq!(
        DataIndex::from_json(&ok.to_json()).unwrap().datasets[0],
        "emnist-letters"
    );
    for bad in [
        r#"{"format":1,"datasets":["../secrets"]}"#,
        r#"{"format":1,"datasets":[""]}"#,
        r#"{"format":2,"datasets":[]}"#,
        r#"{"format":1}"#,
        r#"{"format":1,"datasets":["fashion-mnist","mnist","fashion-mnist"]}"#,
    ] {
        let err = DataIndex::from_json(bad).unwrap_err();
        assert!(err.to_string().contains("data/index.json"), "{err}");
    }
    let many: Vec<String> = (0..65).map(|i| format!("set{i}")).collect();
    assert!(DataIndex::from_json(&DataIndex::new(many).to_json()).is_err());
}

#[test]
fn a_checkpoint_with_a_number_beyond_f32_is_refused_on_reading() {
    // Found by tests/parser_properties.rs: a schedule's best loss of 3.5e38 reads as infinity,
    // which decoded, but could never be saved again (JSON writes it null).
    let mut head = serde_json::to_value(checkpoint(Settings::default(), 1.0).head).unwrap();
    head["roles"][0]["schedule"]["best_for_stop"] = serde_json::json!(3.5e38);
    let json = serde_json::to_vec(&head).unwrap();
    let mut bytes = distill_lab::checkpoint::MAGIC.to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&[1, 2, 3]);
    let err = Checkpoint::decode(&bytes).unwrap_err();
    assert!(err.contains("would not read back"), "{err}");
}

/// A small Fashion-MNIST-shaped preparation (30 training and 10 test samples, 10 a shard), as
/// `distill prepare` writes it.
fn small_manifest() -> distill_lab::data::prepare::Prepared {
    use distill_lab::data::{DatasetKind, RawSet, Split};
    let split = |n: usize| Split {
        labels: (0..n).map(|i| (i % 10) as u8).collect(),
        pixels: (0..n * 784).map(|i| (i * 37 % 256) as u8).collect(),
    };
    let set = RawSet {
        kind: DatasetKind::FashionMnist,
        source: "test".into(),
        train: split(30),
        test: split(10),
    };
    distill_lab::data::prepare::build_shards(&set, 10)
}

#[test]
fn a_manifest_may_only_describe_a_set_the_lab_reads() {
    use distill_lab::data::Manifest;
    let good = small_manifest().manifest;
    assert_eq!(Manifest::from_json(&good.to_json()).unwrap(), good);
    type Edit = fn(&mut Manifest);
    let cases: [(&str, Edit, &str); 14] = [
        (
            "a path up",
            |m| m.shards[0].file = "../../.ssh/id_rsa".into(),
            "plain file name",
        ),
        (
            "an absolute path",
            |m| m.shards[1].file = "/etc/passwd".into(),
            "plain file name",
        ),
        (
            "a hidden file",
            |m| m.shards[1].file = ".env".into(),
            "plain file name",
        ),
        (
            "a dataset as a path",
            |m| m.dataset = "../other".into(),
            "unknown dataset",
        ),
        ("no classes", |m| m.classes.clear(), "classes"),
        (
            "other classes",
            |m| m.classes[3] = "Dragon".into(),
            "classes",
        ),
        ("32x32", |m| m.image = [32, 32], "28x28"),
        ("std 0", |m| m.std = 0.0, "std 0"),
        (
            "an empty split",
            |m| {
                m.shards.retain(|s| s.split == SplitKind::Train);
                m.splits.test = 0;
            },
            "test split is empty",
        ),
        (
            "overlapping shards",
            |m| m.shards[1].start = 0,
            "starts at sample 0",
        ),
        (
            "counts that overflow",
            |m| {
                m.shards[0].count = usize::MAX;
                m.shards[1].start = usize::MAX;
            },
            "counts past any size",
        ),
        (
            "a shard twice",
            |m| m.shards[2].file = m.shards[1].file.clone(),
            "listed twice",
        ),
        ("a shard of 2 GiB", |m| m.shards[0].bytes = 2 << 30, "bytes"),
        (
            "not a sha256",
            |m| m.shards[0].sha256 = "<script>".into(),
            "not a sha256",
        ),
    ];
    for (what, edit, expect) in cases {
        let mut m = good.clone();
        edit(&mut m);
        let err = Manifest::from_json(&m.to_json()).unwrap_err().to_string();
        assert!(err.contains(expect), "{what}: expected {expect:?} in {err}");
        assert!(err.contains("prepare the data again"), "{what}: {err}");
    }
}

#[test]
fn a_shard_must_hold_what_its_manifest_says() {
    let m = small_manifest().manifest;
    let info = &m.shards[0];
    let decoded = |labels: &[u8], side: usize| {
        shard::decode(
            &info.file,
            &shard::encode(side, side, labels, &vec![0; labels.len() * side * side]),
        )
        .unwrap()
    };
    m.check_shard(info, &decoded(&[1; 10], 28)).unwrap();
    for (data, expect) in [
        (
            decoded(&[1; 9], 28),
            "holds 9 samples, the manifest lists 10",
        ),
        (decoded(&[1; 10], 27), "images are 27x27"),
        (
            decoded(&[1, 1, 12, 1, 1, 1, 1, 1, 1, 1], 28),
            "label 12 at sample 2",
        ),
    ] {
        let err = m.check_shard(info, &data).unwrap_err().to_string();
        assert!(err.contains(expect) && err.contains(&info.file), "{err}");
    }
}

/// A `distill sweep` checkpoint cut short or with a byte changed is refused by name (its
/// records' sha256 is in its head); one crafted to pass that check — a record changed and the
/// sha256 made to match — is refused or resumes, never panics (burn's record loaders would, on
/// optimizer state that does not fit the model). The unchanged file resumes. A student 4 units
/// wide keeps the records small enough to change every byte of their headers.
#[test]
fn a_sweep_checkpoint_damaged_anywhere_is_refused_or_resumes_never_panicking() {
    use distill_lab::cli::resume::{Head, Resume, Saved};
    use distill_lab::data::batch::Norm;
    use distill_lab::data::prepare::Split;
    use distill_lab::train::{EpochRecord, Objective, Role as TrainRole, TrainConfig, Trainer};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let ad = Device::flex().autodiff();
    let mut split = Split::default();
    for i in 0..64u32 {
        split.labels.push((i % 10) as u8);
        split
            .pixels
            .extend((0..784u32).map(|p| ((p * 7 + i * 13) % 251) as u8));
    }
    let norm = Norm {
        mean: 0.3,
        std: 0.4,
    };
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: 32,
        ..TrainConfig::study()
    };
    let fresh = || {
        distill_lab::model::seed(&ad, 1);
        let m = StudentConfig::new(10).with_hidden(4).init(&ad);
        Trainer::new(m, cfg.clone(), Objective::CrossEntropy, 64, &ad)
    };
    let mut t = fresh();
    while t.step(&split, norm).is_some() {}
    t.end_epoch(1.0);
    let weights = pollster::block_on(snapshot::record_bytes(t.model())).unwrap();
    let optimizer = t.optimizer_record().unwrap();
    let key = serde_json::json!({ "role": "baseline" });
    let record = EpochRecord {
        epoch: 1,
        loss: 2.0,
        accuracy: 0.1,
        val_loss: 1.0,
        val_accuracy: 0.1,
        lr: 1.0,
        lr_reduced: false,
        steps: 2,
    };
    let saved = Saved {
        head: Head {
            key: key.clone(),
            epoch: 1,
            lr: t.lr(),
            schedule: t.schedule().clone(),
            stopped_early: false,
            history: vec![record],
            seconds: 1.0,
        },
        weights,
        optimizer,
    };
    let good = saved.encode();
    let resume = Resume {
        dir: common::scratch("hostile-resume"),
        baseline: key.clone(),
        distilled: None,
        teacher: None,
    };
    let path = resume.path(TrainRole::Baseline, &key);
    std::fs::create_dir_all(&resume.dir).unwrap();
    // Whether `bytes` resumes (Ok) or is refused (Err, naming the file); a panic fails.
    let try_bytes = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            // Resumed, it must train on: burn panics at the step, on state that does not fit.
            resume
                .start(TrainRole::Baseline, fresh())
                .map(|(mut t, _)| t.step(&split, norm).map(|h| h.samples))
        }))
        .unwrap_or_else(|_| panic!("a damaged checkpoint panicked ({} bytes)", bytes.len()));
        if let Err(e) = &r {
            assert!(format!("{e:#}").contains(path.to_str().unwrap()), "{e:#}");
        }
        r.is_ok()
    };
    assert!(try_bytes(&good), "the checkpoint as written resumes");
    let head_end = good.len() - saved.weights.len() - saved.optimizer.len();
    for cut in (0..good.len()).step_by(151) {
        assert!(!try_bytes(&good[..cut]), "cut at {cut} of {}", good.len());
    }
    for i in (0..12).chain((0..good.len()).step_by(151)) {
        let mut bad = good.clone();
        bad[i] ^= 0xFF;
        assert!(
            !(try_bytes(&bad) && i >= head_end),
            "byte {i} changed, yet it resumed"
        );
    }
    // Crafted: a record changed, its lengths and sha256 made to match (as `encode` writes them).
    let sealed = |weights: Vec<u8>, optimizer: Vec<u8>| {
        let mut s = saved.clone();
        (s.weights, s.optimizer) = (weights, optimizer);
        s.encode()
    };
    let (w, o) = (&saved.weights, &saved.optimizer);
    for i in 0..320.min(o.len()) {
        let mut bad = o.clone();
        bad[i] ^= 0xFF;
        try_bytes(&sealed(w.clone(), bad));
    }
    for i in 0..320.min(w.len()) {
        let mut bad = w.clone();
        bad[i] ^= 0xFF;
        try_bytes(&sealed(bad, o.clone()));
    }
    for cut in (0..o.len()).step_by(97) {
        assert!(
            !try_bytes(&sealed(w.clone(), o[..cut].to_vec())),
            "optimizer cut at {cut}"
        );
    }
    // Another network's optimizer state (a wider student's) with these weights.
    let other = {
        distill_lab::model::seed(&ad, 1);
        let m = StudentConfig::new(10).with_hidden(5).init(&ad);
        let mut t = Trainer::new(m, cfg.clone(), Objective::CrossEntropy, 64, &ad);
        while t.step(&split, norm).is_some() {}
        t.optimizer_record().unwrap()
    };
    assert!(!try_bytes(&sealed(w.clone(), other)));
    // Found by the libFuzzer `resume` target: a state tensor whose `param_id` is one parameter's
    // and whose name begins with another's. burn filed it under the name and panicked at the
    // step ("incompatible shapes … [10] … [4]"); the check read the id. (The input: where the
    // weights end, u16 LE, then the two records.)
    let found = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/resume/state-named-for-another-parameter.records"),
    )
    .unwrap();
    let (len, records) = found.split_at(2);
    let (fw, fo) = records.split_at(usize::from(u16::from_le_bytes([len[0], len[1]])));
    assert!(!try_bytes(&sealed(fw.to_vec(), fo.to_vec())));
}
