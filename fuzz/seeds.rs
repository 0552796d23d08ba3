//! Writes the fuzz targets' seed corpora under fuzz/corpus/TARGET/ from real files: Debian's
//! Fashion-MNIST (its label file whole, the first images cut to a small IDX) and the official
//! EMNIST-letters label files (tests/data/emnist), wrapped in each format the lab reads; with
//! `--features train`, `.dlw` files of the lab's networks too.
//!   seeds FASHION_DIR EMNIST_LABELS_DIR CORPUS_DIR

use distill_lab::checkpoint::{Checkpoint, CheckpointHead, RoleState};
use distill_lab::data::dataset::{DatasetKind, FileRole};
use distill_lab::data::prepare::{self, NamedBytes};
use distill_lab::data::{idx, shard};
use distill_lab::protocol::{FromWorker, ResultRow, Role, StepPoint};
use distill_lab::settings::Settings;
use distill_lab::train::{EpochRecord, Schedule};

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
    put("checkpoint", "mid-run.ckpt", &checkpoint(&labels[8..8 + n]));
    #[cfg(feature = "train")]
    weights(&put);
    println!("seeds written under {}", corpus.display());
}

/// A checkpoint as the page stores it mid-run: the teacher done, a student one epoch in, the log
/// that drew the page so far (step points, epochs, a result). The weights records are opaque
/// to the checkpoint's own parser (the `.dlw` target reads records), so real label bytes
/// stand in for them.
fn checkpoint(bytes: &[u8]) -> Vec<u8> {
    let settings = Settings::default();
    let role = |role, epoch, done| RoleState {
        role,
        epoch,
        lr: 1.0,
        schedule: Schedule::new(true, true),
        done,
        record_len: bytes.len(),
        config: serde_json::json!({ "version": 1, "network": { "classes": 10 } }),
    };
    let epoch = |role, epoch| FromWorker::Epoch {
        role,
        record: EpochRecord {
            epoch,
            loss: 0.5,
            accuracy: 0.8,
            val_loss: 0.6,
            val_accuracy: 0.78,
            lr: 1.0,
            lr_reduced: false,
            steps: 32,
        },
    };
    let steps = FromWorker::Steps {
        role: Role::Teacher,
        points: (0..4)
            .map(|i| StepPoint {
                step: i * 8,
                epoch: 0,
                loss: 2.3 - i as f32 * 0.4,
                accuracy: 0.1 + i as f32 * 0.2,
            })
            .collect(),
        steps_per_epoch: 32,
        epochs: settings.epochs,
        samples_per_sec: 900.0,
    };
    let result = FromWorker::Result(ResultRow {
        role: Role::Teacher,
        params: 1_199_882,
        val_accuracy: 0.81,
        epochs: 2,
    });
    Checkpoint {
        head: CheckpointHead {
            saved_at_ms: 1_764_000_000_000.0,
            roles: vec![role(Role::Teacher, 2, true), role(Role::Baseline, 1, false)],
            log: vec![
                steps,
                epoch(Role::Teacher, 1),
                epoch(Role::Teacher, 2),
                result,
            ],
            settings,
        },
        records: vec![bytes.to_vec(), bytes.to_vec()],
    }
    .encode()
    .expect("a checkpoint of finite numbers encodes")
}

/// Weights files as the lab saves them: the student whole, and the teacher and the student with
/// their records cut (the teacher's whole record is 4.8 MB; cut, mutations reach its metadata
/// and its network config at a useful rate).
#[cfg(feature = "train")]
fn weights(put: &dyn Fn(&str, &str, &[u8])) {
    use burn::prelude::*;
    use distill_lab::model::snapshot::{self, WeightsMeta};
    use distill_lab::model::{Arch, StudentConfig, TeacherConfig};
    let d = Device::flex();
    let classes = DatasetKind::FashionMnist.classes();
    let meta = |arch, role: &str, params, network| WeightsMeta {
        format: snapshot::FORMAT,
        arch,
        role: role.into(),
        dataset: "fashion-mnist".into(),
        classes: classes.clone(),
        params,
        network,
        training: serde_json::json!({ "version": 1, "optimizer": "adadelta", "epochs": 2 }),
        epochs: 2,
        val_acc: Some(0.84),
        created_by: "distill-lab fuzz seeds".into(),
    };
    let student = StudentConfig::new(10).init(&d);
    let record = pollster::block_on(snapshot::record_bytes(&student)).expect("record");
    let network = serde_json::to_value(StudentConfig::new(10)).expect("config");
    let m = meta(Arch::Mlp, "baseline", student.num_params(), network);
    put("dlw", "student.dlw", &snapshot::encode(&m, &record));
    put(
        "dlw",
        "student-cut.dlw",
        &snapshot::encode(&m, &record[..4096]),
    );
    let teacher = TeacherConfig::new(10).init(&d);
    let record = pollster::block_on(snapshot::record_bytes(&teacher)).expect("record");
    let network = serde_json::to_value(TeacherConfig::new(10)).expect("config");
    let m = meta(Arch::Cnn, "teacher", teacher.num_params(), network);
    put(
        "dlw",
        "teacher-cut.dlw",
        &snapshot::encode(&m, &record[..4096]),
    );
    resume_records(put);
}

/// The `resume` target's input: where the weights end (u16 LE), then the weights and the
/// optimizer state of a 4-unit student after one step, as `distill sweep` checkpoints them; the
/// same with Adam's state; and a checkpoint file whole, for its container parser.
#[cfg(feature = "train")]
fn resume_records(put: &dyn Fn(&str, &str, &[u8])) {
    use burn::prelude::*;
    use distill_lab::cli::resume::{Head, Saved};
    use distill_lab::data::batch::Norm;
    use distill_lab::data::prepare::Split;
    use distill_lab::model::{StudentConfig, snapshot};
    use distill_lab::train::{Objective, OptimizerKind, TrainConfig, Trainer};
    let ad = Device::flex().autodiff();
    let split = Split {
        labels: vec![0, 3, 6, 9],
        pixels: (0..4 * 784).map(|i| (i * 7 % 251) as u8).collect(),
    };
    for (name, optimizer) in [
        ("adadelta", OptimizerKind::Adadelta),
        ("adam", OptimizerKind::Adam),
    ] {
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 4,
            optimizer,
            lr: optimizer.default_lr(),
            ..TrainConfig::study()
        };
        let model = StudentConfig::new(10).with_hidden(4).init(&ad);
        let mut t = Trainer::new(model, cfg, Objective::CrossEntropy, 4, &ad);
        t.step(
            &split,
            Norm {
                mean: 0.3,
                std: 0.4,
            },
        );
        let weights = pollster::block_on(snapshot::record_bytes(t.model())).expect("record");
        let state = t.optimizer_record().expect("optimizer state");
        let len = u16::try_from(weights.len()).expect("a 4-unit student's record is small");
        put(
            "resume",
            &format!("{name}.records"),
            &[&len.to_le_bytes()[..], &weights, &state].concat(),
        );
        let saved = Saved {
            head: Head {
                key: serde_json::json!({ "role": "baseline" }),
                epoch: 0,
                lr: 1.0,
                schedule: t.schedule().clone(),
                stopped_early: false,
                history: Vec::new(),
                seconds: 0.0,
            },
            weights,
            optimizer: state,
        };
        put("resume", &format!("{name}.ckpt"), &saved.encode());
    }
}
