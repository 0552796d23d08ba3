//! `distill sweep`'s and `distill train`'s checkpoints: after every epoch of a network (the
//! teacher, the baseline, a distilled or FitNets student in its second stage), its weights, the
//! optimizer's running averages, the schedule and the curve so far go to `OUT/checkpoints/`.
//! Run the same command again and each network continues from its last finished epoch — and
//! ends exactly as it would have without the interruption: the data order, the views and the
//! dropout masks are functions of the seed and the epoch, and the optimizer's state comes back
//! too. A finished network is not trained again. (Deep mutual learning's cohorts and FitNets'
//! hint stage are not checkpointed: they start over.)
//!
//! One file per network (cli/resume_file.rs), named for its role and a hash of everything that
//! shapes it ([`ResumeKeys`]), so other runs' networks never overwrite each other and one that
//! differs is never taken for this one. The number of epochs is not part of it: the first N
//! epochs of a run do not depend on how many follow, so the same command with more `--epochs`
//! trains the finished networks on from where they ended (a patient schedule made longer).

use super::resume_file::MAX_BYTES;
pub use super::resume_file::{Head, MAGIC, Saved};
use crate::data::{Manifest, sha256_hex};
use crate::distill::Method;
use crate::model::Classifier;
use crate::model::snapshot::{self, Network};
use crate::train::{EpochRecord, Experiment, Role, StudentsSpec, TrainConfig, Trainer};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The folder under `--out` that holds them.
pub const DIR: &str = "checkpoints";

/// What a resumed network's checkpoint held beside its state: its curve and seconds so far.
pub type Restored = (Vec<EpochRecord>, f64);

/// A run's checkpoints: the folder and, per role, what shapes that role's network (the
/// run's settings as the core's config gives them, the data's and the teacher's identity).
#[derive(Debug, Clone)]
pub struct Resume {
    pub dir: PathBuf,
    pub baseline: serde_json::Value,
    /// `None` where the method's student is not checkpointed (deep mutual learning).
    pub distilled: Option<serde_json::Value>,
    /// `distill train --model cnn`'s teacher.
    pub teacher: Option<serde_json::Value>,
}

impl Resume {
    /// `role`'s key, if its network is checkpointed.
    pub fn key(&self, role: Role) -> Option<&serde_json::Value> {
        match role {
            Role::Baseline => Some(&self.baseline),
            Role::Distilled => self.distilled.as_ref(),
            Role::Teacher => self.teacher.as_ref(),
            Role::Peer => None,
        }
    }

    /// `role`'s file: its role and the first 16 hex digits of its key's sha256.
    pub fn path(&self, role: Role, key: &serde_json::Value) -> PathBuf {
        let hash = sha256_hex(key.to_string().as_bytes());
        let name = match role {
            Role::Teacher => "teacher",
            Role::Baseline => "baseline",
            Role::Distilled | Role::Peer => "student",
        };
        self.dir.join(format!("{name}-{}.ckpt", &hash[..16]))
    }

    /// `t` as `role`'s checkpoint left it, or unchanged where there is none. A file that cannot
    /// be read, or holds another network, stops the run with its name and the fix: it is the
    /// user's, so it is neither trained over nor removed.
    pub fn start<M: Classifier>(
        &self,
        role: Role,
        t: Trainer<M>,
    ) -> Result<(Trainer<M>, Option<Restored>)> {
        let Some(key) = self.key(role) else {
            return Ok((t, None));
        };
        let path = self.path(role, key);
        let Some(saved) = read(&path)? else {
            return Ok((t, None));
        };
        let (t, restored) = resume_from(&path.display().to_string(), saved, key, t)?;
        eprintln!(
            "{}: resumed from {} ({} of {} epochs{})",
            role.label(),
            path.display(),
            t.epoch(),
            t.config().epochs,
            if t.finished() { ", done" } else { "" }
        );
        Ok((t, Some(restored)))
    }
}

/// `t` as the checkpoint `saved` (the file `name`) left it, if it holds the network `key`
/// names: weights, optimizer state, epoch, rate and schedule. Refused, naming the file and the
/// fix, where it holds another network, more epochs than `t` is to train, or state that does not
/// fit `t`'s model.
pub fn resume_from<M: Classifier>(
    name: &str,
    saved: Saved,
    key: &serde_json::Value,
    mut t: Trainer<M>,
) -> Result<(Trainer<M>, Restored)> {
    let role = key
        .get("role")
        .and_then(|r| r.as_str())
        .unwrap_or("network");
    let fix = "move it away to train this network afresh";
    if &saved.head.key != key {
        bail!("{name} holds another network than this run's {role} (its settings differ); {fix}");
    }
    let (h, asked) = (&saved.head, t.config().epochs);
    if h.epoch > asked {
        bail!(
            "{name} has trained {} epochs, more than the {asked} asked for; ask for at least {} or {fix}",
            h.epoch,
            h.epoch
        );
    }
    if !(h.lr.is_finite() && h.lr > 0.0) {
        bail!(
            "{name}: its learning rate {} is not a positive number; {fix}",
            h.lr
        );
    }
    let model = snapshot::load_record(name, t.model().clone(), saved.weights)
        .map_err(|e| anyhow::anyhow!("{e}; {fix}"))?;
    t = t.with_model(model);
    t.restore_optimizer(saved.optimizer)
        .map_err(|e| anyhow::anyhow!("{name}: {e}; {fix}"))?;
    let h = saved.head;
    t.restore(h.epoch, h.lr, h.schedule);
    if h.stopped_early {
        t.stop_here();
    }
    Ok((t, (h.history, h.seconds)))
}

/// What shapes each of a run's networks, for its checkpoint's name and check
/// ([`Resume`]): the data (its manifest, which names every shard's sha256, and the samples
/// drawn), the training loop, the device, and for a taught student its method, loss and the
/// teacher (its weights' sha256) and how its targets reach it.
pub struct ResumeKeys {
    dir: PathBuf,
    /// What the baseline and the students share.
    run: serde_json::Value,
    /// The teacher's weights' sha256, with a teacher.
    teacher: Option<String>,
    /// How the teacher's targets reach the students, with a teacher.
    targets: Option<String>,
    /// Samples in a taught student's epoch (the baseline's are in `run`).
    transfer: usize,
}

impl ResumeKeys {
    /// The keys of `exp`'s networks, their files in `dir`: the baseline's epochs hold
    /// `baseline.0` samples, `baseline.1` of them labelled before any repeat; `teacher` is the
    /// teacher's weights' sha256.
    pub fn new(
        dir: PathBuf,
        manifest: &Manifest,
        baseline: (usize, usize),
        exp: &Experiment,
        device: &str,
        teacher: Option<String>,
    ) -> Self {
        let (base_n, labelled_n) = baseline;
        let run = json!({
            "manifest_sha256": sha256_hex(manifest.to_json().as_bytes()),
            "val": exp.data.val, "classes": exp.students.classes,
            "baseline_samples": base_n, "labelled": labelled_n,
            // Without its epochs: the first N do not depend on how many follow (resume.rs).
            "train": TrainConfig { epochs: 0, ..exp.students.cfg.clone() },
            "device": device,
        });
        let targets = (exp.teacher.as_ref()).map(|t| t.targets.to_string());
        ResumeKeys {
            dir,
            run,
            teacher,
            targets,
            transfer: exp.data.train,
        }
    }

    pub fn baseline(&self) -> Resume {
        Resume {
            dir: self.dir.clone(),
            baseline: json!({ "role": "baseline", "run": self.run }),
            distilled: None,
            teacher: None,
        }
    }

    /// `distill train --model cnn`'s teacher, on the baseline's samples and loop.
    pub fn teacher(&self) -> Resume {
        Resume {
            teacher: Some(json!({ "role": "teacher", "run": self.run })),
            ..self.baseline()
        }
    }

    /// A cell's student (`students`: the cell's method and loss in place); deep mutual
    /// learning's cohort is not checkpointed.
    pub fn cell(&self, students: &StudentsSpec) -> Resume {
        let distilled = students.method.filter(|m| !m.is_mutual()).map(|method| {
            json!({
                "role": "student", "run": self.run, "method": method,
                "distill": students.distill, "labelled": students.labelled,
                "hint_epochs": (method == Method::FitNets).then_some(students.hint_epochs),
                "transfer_samples": self.transfer, "teacher_sha256": self.teacher,
                "targets": self.targets,
            })
        });
        Resume {
            distilled,
            ..self.baseline()
        }
    }
}

/// The sha256 of `teacher`'s weights (as its record serialises them), for the keys of the
/// students it teaches: a teacher trained again or replaced makes them other networks.
pub fn identity(teacher: Option<&Network>) -> Result<Option<String>> {
    let Some(t) = teacher else {
        return Ok(None);
    };
    let record = pollster::block_on(t.record_bytes()).map_err(anyhow::Error::msg)?;
    Ok(Some(sha256_hex(&record)))
}

/// The checkpoint at `path`, `None` if there is none; its size is checked before it is read.
fn read(path: &Path) -> Result<Option<Saved>> {
    let name = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // No checkpoint there (or `checkpoints` is not a folder: then nothing can be saved
        // either, which the run says).
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read the checkpoint {name}")),
    };
    if meta.len() > MAX_BYTES as u64 {
        bail!(
            "{name}: {} bytes, larger than any checkpoint; move it away to train this network afresh",
            meta.len()
        );
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the checkpoint {name}"))?;
    Saved::decode(&name, &bytes)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{e}; move it away to train this network afresh"))
}

/// Where a fit's epochs are saved: the file and the network's key.
pub(super) struct SaveTo {
    pub(super) path: PathBuf,
    pub(super) key: serde_json::Value,
    /// The epochs the command asked for (early stopping lowers the trainer's own).
    pub(super) asked: usize,
    /// A checkpoint could not be written (a full disk): said once; the run goes on.
    pub(super) failed: bool,
}

impl SaveTo {
    /// Save `t` after an epoch, with its curve so far and the seconds spent on it; a failure
    /// is said once, and training goes on (the last checkpoint written stays).
    pub(super) fn save<M: Classifier>(
        &mut self,
        t: &Trainer<M>,
        curve: &[EpochRecord],
        seconds: f64,
    ) {
        let result = self.write(t, curve, seconds);
        if let Err(e) = result
            && !self.failed
        {
            self.failed = true;
            eprintln!(
                "warning: could not save the checkpoint {}: {e:#}; training goes on, but a \
                 restart would go back to this network's last saved epoch",
                self.path.display()
            );
        }
    }

    fn write<M: Classifier>(
        &self,
        t: &Trainer<M>,
        curve: &[EpochRecord],
        seconds: f64,
    ) -> Result<()> {
        let weights =
            pollster::block_on(snapshot::record_bytes(t.model())).map_err(anyhow::Error::msg)?;
        let optimizer = t.optimizer_record().map_err(anyhow::Error::msg)?;
        let saved = Saved {
            head: Head {
                key: self.key.clone(),
                epoch: t.epoch(),
                lr: t.lr(),
                schedule: t.schedule().clone(),
                stopped_early: t.finished() && t.epoch() < self.asked,
                history: curve.to_vec(),
                seconds,
            },
            weights,
            optimizer,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        super::store::write_atomic(&self.path, &saved.encode())
    }
}
