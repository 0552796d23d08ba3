//! `distill train`, `eval` and `sweep` end to end on real Fashion-MNIST: a teacher, a baseline
//! and a distilled student; the files they write load into the networks the browser builds;
//! wrong weights and missing data are refused with the command that fixes them.

mod common;

use burn::prelude::*;
use distill_lab::cli::resume::Saved;
use distill_lab::model::snapshot;
use distill_lab::model::{StudentConfig, TeacherConfig};
use distill_lab::train::RunConfig;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn distill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_distill"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: Output) -> serde_json::Value {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.lines().last().expect("a final JSON line")).unwrap()
}

/// Fashion-MNIST prepared once for this test binary.
fn data() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = common::scratch("cli-train-data");
        let o = distill(&[
            "prepare",
            "--dataset",
            "fashion-mnist",
            "--source",
            common::FASHION,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out.join("fashion-mnist")
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn teacher_student_eval_and_sweep() {
    let work = common::scratch("cli-train");
    let d = data();
    let small = [
        "--subset",
        "1000",
        "--val",
        "300",
        "--batch",
        "64",
        "--optimizer",
        "adam",
    ];
    let teacher = work.join("teacher");
    let publish = work.join("published");
    std::fs::create_dir_all(&publish).unwrap();
    let mut args = vec![
        "train",
        "--data",
        s(d),
        "--model",
        "cnn",
        "--epochs",
        "1",
        "--out",
        s(&teacher),
        "--publish",
        s(&publish),
    ];
    args.extend(small);
    let t = ok(distill(&args));
    for key in [
        "model",
        "dataset",
        "epochs",
        "params",
        "val_acc",
        "val_loss",
        "loss",
        "temperature",
        "lambda",
    ] {
        assert!(t.get(key).is_some(), "final line lacks {key}: {t}");
    }
    assert_eq!(t["params"], 3_362_570);
    assert_eq!(t["train_samples"], 1000);
    // How it was trained, so a results script can say it (bench/collect.py).
    assert_eq!(
        (&t["augment"], &t["plateau"], &t["early_stopping"]),
        (&json!("off"), &json!(true), &json!(true))
    );
    assert!(t["val_acc"].as_f64().unwrap() > 0.4, "{t}");
    assert!(teacher.join("history.json").exists() && teacher.join("summary.json").exists());

    // The teacher file loads into the browser's bare Teacher, and the published copy is identical.
    let bytes = std::fs::read(teacher.join("weights.dlw")).unwrap();
    assert_eq!(bytes, std::fs::read(publish.join("teacher.dlw")).unwrap());
    let (meta, record) = snapshot::decode("weights.dlw", &bytes).unwrap();
    assert_eq!(meta.dataset, "fashion-mnist");
    snapshot::load_record(
        "weights.dlw",
        TeacherConfig::new(10).init(&Device::flex()),
        record,
    )
    .unwrap();

    let mut args = vec![
        "train",
        "--data",
        s(d),
        "--model",
        "student",
        "--teacher",
        s(&teacher),
        "--epochs",
        "2",
    ];
    let dist = work.join("distilled");
    args.extend([
        "--loss",
        "hinton",
        "--temperature",
        "4",
        "--lambda",
        "0.7",
        "--out",
        s(&dist),
    ]);
    args.extend(small);
    let st = ok(distill(&args));
    assert_eq!(
        (st["model"].as_str(), st["loss_form"].as_str()),
        (Some("student"), Some("hinton"))
    );
    assert_eq!(st["temperature"], 4.0);
    assert!(st["val_acc"].as_f64().unwrap() > 0.5, "{st}");
    let (_, record) =
        snapshot::decode("s", &std::fs::read(dist.join("weights.dlw")).unwrap()).unwrap();
    snapshot::load_record("s", StudentConfig::new(10).init(&Device::flex()), record).unwrap();

    let e = ok(distill(&[
        "eval",
        "--weights",
        s(&dist),
        "--data",
        s(d),
        "--val",
        "300",
    ]));
    assert_eq!(e["samples"], 300);
    assert_eq!(e["confusion"].as_array().unwrap().len(), 10);
    assert!(
        (e["val_acc"].as_f64().unwrap() - st["val_acc"].as_f64().unwrap()).abs() < 1e-6,
        "eval agrees with training"
    );

    let sw = work.join("sweep");
    let mut args = vec![
        "sweep",
        "--data",
        s(d),
        "--teacher",
        s(&teacher),
        "--temperatures",
        "1,10",
        "--lambdas",
        "0.5",
        "--epochs",
        "1",
    ];
    args.extend(["--out", s(&sw)]);
    args.extend(small);
    let r = ok(distill(&args));
    assert_eq!(r["grid"].as_array().unwrap().len(), 2);
    // Every student's validation curve, one point per epoch, ending at its accuracy
    // (bench/patient.py reads whether a long run flattened from it).
    let ends = |curve: &serde_json::Value, epochs: &serde_json::Value, acc: &serde_json::Value| {
        let c = curve.as_array().unwrap();
        assert_eq!(c.len() as u64, epochs.as_u64().unwrap(), "{r}");
        assert!((c.last().unwrap().as_f64().unwrap() - acc.as_f64().unwrap()).abs() < 1e-4);
    };
    ends(
        &r["baseline_curve"],
        &r["baseline_epochs"],
        &r["baseline_val_acc"],
    );
    for cell in r["grid"].as_array().unwrap() {
        ends(&cell["curve"], &cell["epochs"], &cell["val_acc"]);
    }
    let csv = std::fs::read_to_string(sw.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // The methods beyond the study: a FitNets and a DML student save, load and evaluate like
    // any student, their weights files naming the method and its formula.
    for (method, needs_teacher) in [("fitnets", true), ("dml", false), ("dml-cnn", false)] {
        let out = work.join(method);
        let mut args = vec![
            "train",
            "--data",
            s(d),
            "--model",
            "student",
            "--method",
            method,
        ];
        if needs_teacher {
            args.extend(["--teacher", s(&teacher), "--hint-epochs", "1"]);
        }
        args.extend(["--epochs", "1", "--out", s(&out)]);
        args.extend(small);
        let r = ok(distill(&args));
        assert_eq!(r["method"], method, "{r}");
        assert!(r["val_acc"].as_f64().unwrap() > 0.3, "{method}: {r}");
        let (meta, record) =
            snapshot::decode("s", &std::fs::read(out.join("weights.dlw")).unwrap()).unwrap();
        let config = RunConfig::from_json(&meta.training).expect("a run config");
        assert_eq!(
            serde_json::to_value(config.objective.method).unwrap(),
            method
        );
        let formula = config.objective.loss.as_str();
        assert!(formula.contains(if needs_teacher {
            "½‖h_t − W·h_s‖²"
        } else {
            "KL(p₂ ‖ p₁)"
        }));
        snapshot::load_record("s", StudentConfig::new(10).init(&Device::flex()), record).unwrap();
        let e = ok(distill(&[
            "eval",
            "--weights",
            s(&out),
            "--data",
            s(d),
            "--val",
            "300",
        ]));
        assert!((e["val_acc"].as_f64().unwrap() - r["val_acc"].as_f64().unwrap()).abs() < 1e-6);
    }
    // FitNets without a teacher is refused, naming the option.
    let o = distill(&[
        "train",
        "--data",
        s(d),
        "--model",
        "student",
        "--method",
        "fitnets",
        "--out",
        s(&work.join("no-teacher")),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--method fitnets needs --teacher"));
    // The sweep runs every method beside the baseline.
    let mut args = vec!["sweep", "--data", s(d), "--teacher", s(&teacher)];
    args.extend([
        "--temperatures",
        "4",
        "--lambdas",
        "0.5",
        "--epochs",
        "1",
        "--hint-epochs",
        "1",
    ]);
    args.extend(["--methods", "distill,fitnets,dml", "--out", s(&sw)]);
    args.extend(small);
    let r = ok(distill(&args));
    let methods: Vec<_> = r["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["method"].clone())
        .collect();
    assert_eq!(methods, ["fitnets", "dml"]);
    assert!(r["methods"][1]["peer_val_acc"].as_f64().unwrap() > 0.3);

    // Wrong weights: a student given as the teacher. Nothing in --out is touched.
    let guard = work.join("guard");
    std::fs::create_dir_all(&guard).unwrap();
    std::fs::write(guard.join("weights.dlw"), b"keep me").unwrap();
    let o = distill(&[
        "train",
        "--data",
        s(d),
        "--model",
        "student",
        "--teacher",
        s(&dist),
        "--out",
        s(&guard),
        "--subset",
        "100",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds a mlp"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        std::fs::read(guard.join("weights.dlw")).unwrap(),
        b"keep me"
    );
}

#[test]
fn missing_data_prints_the_prepare_command() {
    let o = distill(&[
        "train",
        "--data",
        "nowhere/emnist-letters",
        "--model",
        "cnn",
        "--out",
        "x",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("distill -- prepare --dataset emnist-letters --out nowhere"),
        "{err}"
    );
}

/// A sweep killed mid-run and run again continues each network from its last finished epoch
/// and ends exactly as the uninterrupted sweep: the same curves and accuracies to the last bit
/// (the optimizer's running averages come back with the weights, the plateau schedule's state
/// with them, and the views, data order and masks are functions of the seed and the epoch).
/// Killed once in the baseline just before the epoch where its plateau cuts the rate, once in
/// the distilled student (live targets: a fresh view each epoch). A damaged checkpoint, or one
/// of another network under this one's name, stops the sweep with the file's name and the fix,
/// and stays where it is.
#[test]
fn a_killed_sweep_resumes_exactly() {
    let work = common::scratch("cli-resume");
    let teacher = Path::new(env!("CARGO_MANIFEST_DIR")).join("teachers/fashion-mnist.dlw");
    let sweep_with = |out: &Path, epochs: &str, targets: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_distill"));
        c.args(["sweep", "--data", s(data()), "--teacher", s(&teacher)]);
        c.args([
            "--subset", "512", "--val", "300", "--epochs", epochs, "--seed", "3",
        ]);
        c.args([
            "--loss",
            "hinton",
            "--temperatures",
            "4",
            "--lambdas",
            "0.5",
        ]);
        c.args([
            "--augment",
            "shift=1",
            "--targets",
            targets,
            "--out",
            s(out),
        ]);
        c
    };
    let sweep_for = |out: &Path, epochs: &str| sweep_with(out, epochs, "live");
    let sweep = |out: &Path| sweep_for(out, "4");
    let whole_out = work.join("whole");
    let whole = ok(sweep(&whole_out).output().unwrap());
    let ckpts_of = |out: &Path| out.join("checkpoints");
    // The checkpoint named `prefix`-… in `out` and what it holds.
    let ckpt = |out: &Path, prefix: &str| {
        let dir = std::fs::read_dir(out.join("checkpoints")).ok()?;
        let path = (dir.filter_map(|e| e.ok().map(|e| e.path())))
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))?;
        let saved = Saved::decode("c", &std::fs::read(&path).ok()?).ok()?;
        Some((path, saved))
    };
    // The baseline's plateau cuts its rate after epoch `cut` (this seed: 3).
    let (_, base) = ckpt(&whole_out, "baseline-").expect("the baseline's checkpoint");
    let cut = (base.head.history.iter())
        .find(|r| r.lr_reduced && r.epoch > 1)
        .expect("the baseline's rate is cut in this run")
        .epoch;

    let out = work.join("killed");
    // Run the sweep into `out` until `prefix`'s checkpoint holds `epoch` epochs, then kill it.
    let kill_at = |prefix: &str, epoch: usize| {
        let mut child = (sweep(&out).stdout(Stdio::null()).stderr(Stdio::null()))
            .spawn()
            .unwrap();
        loop {
            if let Some((_, saved)) = ckpt(&out, prefix)
                && saved.head.epoch >= epoch
            {
                child.kill().unwrap();
                child.wait().unwrap();
                assert_eq!(saved.head.epoch, epoch, "killed too late");
                return;
            }
            assert!(child.try_wait().unwrap().is_none(), "the sweep ended first");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    };
    kill_at("baseline-", cut - 1);
    kill_at("student-", 1);

    let o = sweep(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let resumed = ok(o);
    assert!(
        err.contains("baseline student: resumed from") && err.contains("(4 of 4 epochs, done)"),
        "{err}"
    );
    assert!(err.contains("distilled student: resumed from") && err.contains("(1 of 4 epochs)"));
    for key in ["baseline_curve", "baseline_val_acc"] {
        assert_eq!(resumed[key], whole[key], "{key}");
    }
    for key in ["curve", "val_acc", "epochs"] {
        assert_eq!(resumed["grid"][0][key], whole["grid"][0][key], "{key}");
    }
    assert!(resumed["resumed_seconds"].as_f64().unwrap() > 0.0);

    // The same command with more epochs trains the finished networks on: a longer schedule
    // from where the shorter one ended (its first 4 epochs are the same run).
    let o = sweep_for(&out, "5").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let longer = ok(o);
    assert!(err.contains("(4 of 5 epochs)"), "{err}");
    for (curve, short) in [
        (&longer["baseline_curve"], &whole["baseline_curve"]),
        (&longer["grid"][0]["curve"], &whole["grid"][0]["curve"]),
    ] {
        let (c, s) = (curve.as_array().unwrap(), short.as_array().unwrap());
        assert_eq!((c.len(), &c[..4]), (5, &s[..]));
    }

    // Another sweep sharing these checkpoints (`--checkpoints`) whose students differ only in
    // the teacher's targets takes the finished baseline rather than training it again.
    let mut other = sweep_with(&work.join("views"), "5", "views=2");
    other.args(["--checkpoints", s(&ckpts_of(&out))]);
    let o = other.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let views = ok(o);
    assert!(
        err.contains("baseline student: resumed from") && err.contains("(5 of 5 epochs, done)")
    );
    assert_eq!(views["baseline_curve"], longer["baseline_curve"]);

    // A checkpoint that cannot be written (here `checkpoints` is a file, not a folder) is said
    // once, and the sweep goes on to its end.
    let blocked = work.join("blocked");
    std::fs::create_dir_all(&blocked).unwrap();
    std::fs::write(blocked.join("checkpoints"), b"in the way").unwrap();
    let o = sweep_for(&blocked, "2").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    ok(o);
    assert_eq!(
        err.matches("could not save the checkpoint").count(),
        2,
        "{err}"
    );

    // `distill train` checkpoints too: the same command again finds its teacher trained, and
    // with more epochs trains its network on (the first epochs' history unchanged).
    let run = |model: &str, epochs: &str| {
        let dir = work.join(model);
        let o = distill(&[
            "train",
            "--data",
            s(data()),
            "--model",
            model,
            "--subset",
            "256",
            "--val",
            "100",
            "--epochs",
            epochs,
            "--out",
            s(&dir),
        ]);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        ok(o);
        let history = std::fs::read_to_string(dir.join("history.json")).unwrap();
        let history: serde_json::Value = serde_json::from_str(&history).unwrap();
        (err, history["epochs"].as_array().unwrap().clone())
    };
    let (_, cnn) = run("cnn", "1");
    let (err, again) = run("cnn", "1");
    assert!(err.contains("teacher CNN: resumed from") && err.contains("(1 of 1 epochs, done)"));
    assert_eq!(again, cnn);
    let (_, short) = run("mlp", "2");
    let (err, long) = run("mlp", "3");
    assert!(err.contains("baseline student: resumed from") && err.contains("(2 of 3 epochs)"));
    assert_eq!((long.len(), &long[..2]), (3, &short[..]));

    // Fewer epochs than a network has trained cannot be had from its checkpoint: refused.
    let o = sweep(&out).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("has trained 5 epochs, more than the 4"));

    // Damaged: cut short. Refused by name, kept.
    let (student_ckpt, _) = ckpt(&out, "student-").unwrap();
    let bytes = std::fs::read(&student_ckpt).unwrap();
    std::fs::write(&student_ckpt, &bytes[..bytes.len() / 2]).unwrap();
    let o = sweep_for(&out, "5").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains(s(&student_ckpt)) && err.contains("move it away"),
        "{err}"
    );
    assert_eq!(std::fs::read(&student_ckpt).unwrap().len(), bytes.len() / 2);
    // Another network's checkpoint (the baseline's) under the student's name.
    let (baseline, _) = ckpt(&out, "baseline-").unwrap();
    std::fs::copy(&baseline, &student_ckpt).unwrap();
    let o = sweep_for(&out, "5").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("holds another network"), "{err}");
}
