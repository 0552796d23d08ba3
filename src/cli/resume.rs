//! `distill sweep`'s checkpoints: after every epoch of a student (the baseline, a distilled or
//! FitNets student in its second stage), its weights, the optimizer's running averages, the
//! schedule and the curve so far go to `OUT/checkpoints/`. Run the same command again and each
//! network continues from its last finished epoch — and ends exactly as it would have without
//! the interruption: the data order, the views and the dropout masks are functions of the seed
//! and the epoch, and the optimizer's state comes back too. A finished network is not trained
//! again. (Deep mutual learning's cohorts and FitNets' hint stage are not checkpointed: they
//! start over.)
//!
//! One file per network, named for its role and a hash of everything that shapes it
//! ([`Resume`]'s keys), so another sweep's networks never overwrite each other's and one that
//! differs is never taken for this one. The number of epochs is not part of it: the first N
//! epochs of a run do not depend on how many follow, so the same command with more `--epochs`
//! trains the finished networks on from where they ended (a patient schedule made longer):
//!
//! ```text
//! magic "DLRESUME" | u32 LE head length | head JSON | weights record | optimizer record
//! ```

use crate::data::{MAX_WEIGHTS_BYTES, Manifest, sha256_hex};
use crate::distill::Method;
use crate::model::Classifier;
use crate::model::snapshot::{self, Network};
use crate::train::{EpochRecord, Experiment, Role, Schedule, StudentsSpec, TrainConfig, Trainer};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub const MAGIC: &[u8; 8] = b"DLRESUME";
pub const FORMAT: u32 = 1;
/// The folder under `--out` that holds them.
pub const DIR: &str = "checkpoints";
/// The largest head read: a 1,000-epoch curve is about 200 kB.
const MAX_HEAD: usize = 16 << 20;
/// The largest checkpoint read: the weights and twice as much optimizer state (Adam's two
/// moments), each at most a weights file's limit, and the head.
const MAX_BYTES: usize = 3 * MAX_WEIGHTS_BYTES + MAX_HEAD;

/// Where one network's training stands, but for its weights and optimizer state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub format: u32,
    /// Everything that shapes the network's training ([`Resume`]); the file is refused if it
    /// differs from this run's.
    pub key: serde_json::Value,
    /// Completed epochs.
    pub epoch: usize,
    /// The learning rate for the next epoch.
    pub lr: f64,
    pub schedule: Schedule,
    /// Early stopping ended it: no more epochs, however many are asked for. (A network that
    /// ran all it was asked to goes on when a later command asks for more.)
    pub stopped_early: bool,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Seconds spent on it so far, over every process that trained it.
    pub seconds: f64,
    pub weights_len: usize,
    pub optimizer_len: usize,
    /// sha256 of the weights and optimizer records as written: a damaged file is refused, not
    /// resumed into another run.
    pub records_sha256: String,
}

/// One network's checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub head: Head,
    pub weights: Vec<u8>,
    pub optimizer: Vec<u8>,
}

impl Saved {
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(&self.head).expect("a checkpoint's head serialises");
        let mut out =
            Vec::with_capacity(12 + json.len() + self.weights.len() + self.optimizer.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&self.weights);
        out.extend_from_slice(&self.optimizer);
        out
    }

    /// Read `bytes` (the file `name`), every length checked against the bytes there are. The
    /// records themselves are checked when they are loaded into the network.
    pub fn decode(name: &str, bytes: &[u8]) -> std::result::Result<Saved, String> {
        let bad = |why: &str| format!("{name}: not a checkpoint this build can read ({why})");
        if bytes.len() > MAX_BYTES {
            return Err(bad("larger than any checkpoint"));
        }
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| bad("no DLRESUME header"))?;
        let (len, rest) = rest.split_at_checked(4).ok_or_else(|| bad("cut short"))?;
        let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
        if len > MAX_HEAD {
            return Err(bad("its head is larger than any checkpoint's"));
        }
        let (json, rest) = rest.split_at_checked(len).ok_or_else(|| bad("cut short"))?;
        let head: Head =
            serde_json::from_slice(json).map_err(|e| bad(&format!("its head: {e}")))?;
        if head.format != FORMAT {
            return Err(bad(&format!(
                "format {}, this build reads {FORMAT}",
                head.format
            )));
        }
        if head.weights_len.checked_add(head.optimizer_len) != Some(rest.len()) {
            return Err(bad("its records are not the length its head gives"));
        }
        if head.history.len() != head.epoch {
            return Err(bad("its curve does not have one point per epoch"));
        }
        if sha256_hex(rest) != head.records_sha256 {
            return Err(bad(
                "its records are damaged: their sha256 differs from its head's",
            ));
        }
        let (weights, optimizer) = rest.split_at(head.weights_len);
        Ok(Saved {
            head,
            weights: weights.to_vec(),
            optimizer: optimizer.to_vec(),
        })
    }
}

/// What a resumed network's checkpoint held beside its state: its curve and seconds so far.
pub type Restored = (Vec<EpochRecord>, f64);

/// A sweep's checkpoints: the folder and, per role, what shapes that role's network (the
/// sweep's settings as the core's config gives them, the data's and the teacher's identity).
#[derive(Debug, Clone)]
pub struct Resume {
    pub dir: PathBuf,
    pub baseline: serde_json::Value,
    /// `None` where the method's student is not checkpointed (deep mutual learning).
    pub distilled: Option<serde_json::Value>,
}

impl Resume {
    /// `role`'s key, if its network is checkpointed.
    pub fn key(&self, role: Role) -> Option<&serde_json::Value> {
        match role {
            Role::Baseline => Some(&self.baseline),
            Role::Distilled => self.distilled.as_ref(),
            Role::Teacher | Role::Peer => None,
        }
    }

    /// `role`'s file: its role and the first 16 hex digits of its key's sha256.
    pub fn path(&self, role: Role, key: &serde_json::Value) -> PathBuf {
        let hash = sha256_hex(key.to_string().as_bytes());
        let name = match role {
            Role::Baseline => "baseline",
            _ => "student",
        };
        self.dir.join(format!("{name}-{}.ckpt", &hash[..16]))
    }

    /// `t` as `role`'s checkpoint left it, or unchanged where there is none. A file that cannot
    /// be read, or holds another network, stops the sweep with its name and the fix: it is the
    /// user's, so it is neither trained over nor removed.
    pub fn start<M: Classifier>(
        &self,
        role: Role,
        mut t: Trainer<M>,
    ) -> Result<(Trainer<M>, Option<Restored>)> {
        let Some(key) = self.key(role) else {
            return Ok((t, None));
        };
        let path = self.path(role, key);
        let Some(saved) = read(&path)? else {
            return Ok((t, None));
        };
        let name = path.display().to_string();
        let fix = "move it away to train this network afresh";
        if &saved.head.key != key {
            bail!(
                "{name} holds another network than this sweep's {role:?} (its settings differ); {fix}"
            );
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
        let model = snapshot::load_record(&name, t.model().clone(), saved.weights)
            .map_err(|e| anyhow::anyhow!("{e}; {fix}"))?;
        t = t.with_model(model);
        t.restore_optimizer(saved.optimizer)
            .map_err(|e| anyhow::anyhow!("{name}: {e}; {fix}"))?;
        let h = saved.head;
        t.restore(h.epoch, h.lr, h.schedule);
        if h.stopped_early {
            t.stop_here();
        }
        eprintln!(
            "{}: resumed from {name} ({} of {} epochs{})",
            role.label(),
            h.epoch,
            t.config().epochs,
            if t.finished() { ", done" } else { "" }
        );
        Ok((t, Some((h.history, h.seconds))))
    }
}

/// What shapes each of the sweep's networks, for its checkpoint's name and check
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
        // either, which the sweep says).
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
                format: FORMAT,
                key: self.key.clone(),
                epoch: t.epoch(),
                lr: t.lr(),
                schedule: t.schedule().clone(),
                stopped_early: t.finished() && t.epoch() < self.asked,
                history: curve.to_vec(),
                seconds,
                weights_len: weights.len(),
                optimizer_len: optimizer.len(),
                records_sha256: sha256_hex(&[weights.as_slice(), &optimizer].concat()),
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
