//! A run's first phase: the device, the manifest and the shards (validation first: the
//! explorer's samples come from it), then what every later phase shares ([`Env`]).

use super::error::WorkerError;
use super::state::{Loaded, SharedRef, send};
use super::{backend, data, hooks};
use crate::bench::SliceSpec;
use crate::checkpoint::{Checkpoint, CheckpointHead};
use crate::data::manifest::Manifest;
use crate::data::subset::subset_notes;
use crate::data::{Split, SplitKind};
use crate::model::Teacher;
use crate::protocol::{FromWorker, Phase, Thumb};
use crate::settings::{DevicePref, Settings};
use crate::train::{self, FitOptions, Sets, Teach, TrainConfig};
use burn::prelude::*;
use std::rc::Rc;

/// Thumbnails in the explorer's grid.
const THUMBS: usize = 48;

/// What a run's training phases share.
pub struct Env<'a> {
    pub shared: &'a SharedRef,
    pub resume: Option<&'a Checkpoint>,
    /// The plain device (validation, the explorer; the core trains on its autodiff twin).
    pub device: Device,
    /// The run's data and settings; `Shared::loaded` holds the same.
    pub data: Rc<Loaded>,
    pub opts: FitOptions,
}

impl<'a> Env<'a> {
    pub fn settings(&self) -> &Settings {
        &self.data.settings
    }

    pub fn classes(&self) -> usize {
        self.data.classes()
    }

    /// The sets the core's runner fits on: the run's, the baseline on `baseline_train`.
    pub fn sets<'s>(&'s self, baseline_train: &'s Split) -> Sets<'s> {
        Sets {
            train: &self.data.train,
            baseline_train,
            test: &self.data.test,
            norm: self.data.norm(),
            device: &self.device,
            opts: self.opts,
        }
    }

    /// How `teacher` teaches this run's students under `cfg`: [`train::teach`] over the whole
    /// training set (FitNets' hint layer too when `with_hints`).
    pub fn teach(
        &self,
        teacher: Teacher,
        with_hints: bool,
        cfg: &TrainConfig,
    ) -> Result<Teach<'_>, String> {
        let (train, from) = (&self.data.train, self.settings().targets);
        let norm = self.data.norm();
        train::teach(
            teacher,
            train,
            train.len(),
            norm,
            with_hints,
            from,
            cfg,
            &self.device,
        )
    }
}

/// Pick the device (the CPU if `force_cpu`) while the shards load (validation first), and set
/// up the run's checkpoint (a resumed run carries on with its log). Where the device is chosen
/// by measuring, the measurement overlaps the loading: WebGPU compiles its shaders in the
/// browser's GPU process while this worker decodes shards.
pub async fn load<'a>(
    shared: &'a SharedRef,
    s: &'a Settings,
    resume: Option<&'a Checkpoint>,
    force_cpu: bool,
) -> Result<Env<'a>, WorkerError> {
    send(shared, FromWorker::Phase(Phase::Loading));
    let manifest = data::manifest(&s.dataset).await?;
    let pref = if force_cpu { DevicePref::Cpu } else { s.device };
    // At most 256 a batch: the CPU's round runs on this thread, and at the page's largest batch
    // (2,048) a teacher step alone takes seconds there, longer than the page waits for a sign of
    // life.
    let slice = SliceSpec {
        batch: s.batch.min(256),
        teacher: !s.pretrained && s.method.needs_teacher(),
        students: 2,
        classes: manifest.classes.len(),
    };
    let pick = async {
        let (device, mut info) = backend::pick(shared, pref, slice).await;
        if force_cpu && s.device != DevicePref::Cpu {
            info.reason = "continuing on the CPU after the GPU device failed".into();
        }
        send(shared, FromWorker::Device(info));
        device
    };
    let (device, sets) = futures::join!(pick, load_sets(shared, s, &manifest));
    let (test, train) = sets?;
    let asked = (s.subset, s.val, s.labels);
    for note in subset_notes(asked, &train.labels, &test.labels, &manifest.classes) {
        send(shared, FromWorker::Notice(note));
    }
    let opts = FitOptions {
        read_every: 10,
        val_count: test.len(),
        eval_batch: hooks::EVAL_BATCH,
    };
    let data = Rc::new(Loaded {
        settings: s.clone(),
        manifest,
        train: Rc::new(train),
        test: Rc::new(test),
    });
    keep(shared, &data, resume);
    Ok(Env {
        shared,
        resume,
        device,
        data,
        opts,
    })
}

/// The run's shards, validation first (the explorer's samples come from it): `(test, train)`.
async fn load_sets(
    shared: &SharedRef,
    s: &Settings,
    manifest: &Manifest,
) -> Result<(Split, Split), WorkerError> {
    let test_shards = manifest.shards_for(SplitKind::Test, s.val);
    let train_shards = manifest.shards_for(SplitKind::Train, s.subset);
    let total = test_shards.len() + train_shards.len();
    let bytes = test_shards
        .iter()
        .chain(&train_shards)
        .map(|s| s.bytes)
        .sum();
    send(
        shared,
        FromWorker::Dataset {
            dataset: manifest.dataset.clone(),
            classes: manifest.classes.clone(),
            shards: total,
            bytes,
        },
    );
    let mut progress = |p| send(shared, FromWorker::Shard(p));
    let test = data::load_split(manifest, SplitKind::Test, s.val, 0, total, &mut progress).await?;
    show_samples(shared, &test);
    let first = test_shards.len();
    let train = (data::load_split(
        manifest,
        SplitKind::Train,
        s.subset,
        first,
        total,
        &mut progress,
    ))
    .await?;
    Ok((test, train))
}

/// The explorer's grid: `THUMBS` validation images spread over the set, the first inspected.
fn show_samples(shared: &SharedRef, test: &Split) {
    let k = THUMBS.min(test.len());
    let thumbs: Vec<Thumb> = (0..k)
        .map(|i| i * test.len() / k)
        .map(|index| Thumb {
            index,
            label: test.labels[index],
            pixels: test.image(index).to_vec(),
        })
        .collect();
    let mut sh = shared.borrow_mut();
    if sh.inspect.is_empty()
        && let Some(first) = thumbs.first()
    {
        sh.inspect = vec![first.index];
    }
    sh.send(FromWorker::Samples(thumbs));
    sh.send(FromWorker::ValLabels(test.labels.clone()));
}

/// What the explorer, downloads and sweeps use after the run: its data and settings, and the
/// run's checkpoint (a resumed one carries on with its log).
fn keep(shared: &SharedRef, data: &Rc<Loaded>, resume: Option<&Checkpoint>) {
    let mut sh = shared.borrow_mut();
    sh.loaded = Some(data.clone());
    let head = CheckpointHead {
        settings: data.settings.clone(),
        saved_at_ms: js_sys::Date::now(),
        roles: Vec::new(),
        log: Vec::new(),
    };
    let fresh = Checkpoint {
        head,
        records: Vec::new(),
    };
    sh.ckpt = Some(resume.cloned().unwrap_or(fresh));
}
