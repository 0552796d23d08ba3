//! One run of the experiment in the browser: device, data, teacher (trained, uploaded,
//! pretrained or restored), cached teacher logits, then the baseline and the distilled student
//! side by side from the same initial weights. A checkpoint after every epoch lets a reload or a
//! lost GPU resume from the last completed epoch.

use super::hooks::{self, WebHooks};
use super::methods::{self, Env};
use super::{Model, SharedRef, data, idb, send, web};
use crate::checkpoint::{Checkpoint, CheckpointHead, RoleState};
use crate::data::SplitKind;
use crate::data::batch::Norm;
use crate::device::{self, Adapter, Choice, DeviceInfo};
use crate::distill::Method;
use crate::gpu_probe;
use crate::model::snapshot::{self, Network};
use crate::model::{self, Arch, Classifier, HintedStudent, StudentConfig, Teacher, TeacherConfig};
use crate::protocol::{FromWorker, Phase, ResultRow, Role, Thumb};
use crate::settings::{self, DevicePref, Settings};
use crate::train::{self, FitEnd, FitError, FitOptions, Objective, TrainConfig, Trainer};
use burn::prelude::*;
use std::rc::Rc;

/// Thumbnails in the explorer's grid.
const THUMBS: usize = 48;

/// Start a run (fresh, or from `resume`).
pub async fn run(
    shared: SharedRef,
    settings: Settings,
    resume: Option<Checkpoint>,
    force_cpu: bool,
) {
    let mut outcome = run_inner(&shared, &settings, resume, force_cpu).await;
    // A device that fails mid-run: continue on the CPU from the last completed epoch.
    if let Err(Halt::Device(why)) = &outcome
        && !force_cpu
    {
        let ckpt = shared.borrow().ckpt.clone();
        send(
            &shared,
            FromWorker::Error {
                message: format!(
                    "The GPU device failed ({why}). Continuing on the CPU from the last completed epoch."
                ),
                fatal: false,
            },
        );
        outcome = run_inner(&shared, &settings, ckpt, true).await;
    }
    let mut s = shared.borrow_mut();
    s.running = false;
    match outcome {
        Ok(phase) => s.send(FromWorker::Phase(phase)),
        Err(Halt::Device(message) | Halt::Fail(message)) => {
            s.send(FromWorker::Error {
                message,
                fatal: true,
            });
            s.send(FromWorker::Phase(Phase::Failed));
        }
    }
}

/// Continue the run saved in IndexedDB.
pub async fn resume(shared: SharedRef, cpu: bool) {
    let ckpt = match idb::load().await.map(|b| Checkpoint::decode(&b)) {
        Some(Ok(c)) => c,
        found => {
            let message = match found {
                Some(Err(e)) => format!("The saved run cannot be resumed: {e}."),
                _ => "There is no saved run to resume.".into(),
            };
            let mut s = shared.borrow_mut();
            s.running = false;
            s.send(FromWorker::Error {
                message,
                fatal: false,
            });
            return;
        }
    };
    send(&shared, FromWorker::Restored);
    for msg in ckpt.head.log.clone() {
        send(&shared, msg);
    }
    let settings = ckpt.head.settings.clone();
    run(shared, settings, Some(ckpt), cpu).await;
}

/// Why a run could not go on (the message says what to do).
pub(super) enum Halt {
    /// The GPU device failed: the run can go on on the CPU.
    Device(String),
    Fail(String),
}

impl From<String> for Halt {
    fn from(s: String) -> Self {
        Halt::Fail(s)
    }
}

/// Start the device [`device::choose`] picks (the page made the same choice when it loaded
/// this worker bundle).
pub async fn pick_device(shared: &SharedRef, pref: DevicePref) -> (Device, DeviceInfo) {
    let (cpu, mut info) = device::cpu();
    let adapter = match pref {
        // No need to ask the browser.
        DevicePref::Cpu => Adapter::Missing(String::new()),
        _ => gpu_probe::adapter().await,
    };
    match device::choose(pref, &adapter) {
        Choice::Cpu { reason } => {
            info.reason = reason;
            (cpu, info)
        }
        Choice::WebGpu { adapter } => match start_webgpu(shared).await {
            Ok(d) => (
                d,
                DeviceInfo {
                    backend: "webgpu".into(),
                    name: adapter,
                    reason: String::new(),
                },
            ),
            Err(e) => {
                info.reason = format!("{e}; training on the CPU instead");
                (cpu, info)
            }
        },
    }
}

/// WebGPU, started once per worker (burn's wgpu runtime cannot be initialised twice).
#[cfg(feature = "webgpu")]
async fn start_webgpu(shared: &SharedRef) -> Result<Device, String> {
    let existing = shared.borrow().webgpu.clone();
    let d = match existing {
        Some(d) => d,
        None => device::webgpu()
            .await
            .map_err(|e| format!("WebGPU failed to start ({e})"))?,
    };
    shared.borrow_mut().webgpu = Some(d.clone());
    Ok(d)
}

/// The CPU-only bundle: the page loads it only where the choice is the CPU, so this is reached
/// only if the adapter changed between the page's look and the worker's.
#[cfg(not(feature = "webgpu"))]
async fn start_webgpu(_shared: &SharedRef) -> Result<Device, String> {
    Err("this page loaded the CPU-only training worker".into())
}

pub(super) fn stopped(shared: &SharedRef) -> bool {
    shared.borrow().stop
}

pub fn train_config(s: &Settings, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs: s.epochs,
        batch_size: s.batch,
        optimizer: s.optimizer,
        lr: s.lr(),
        seed,
        plateau: s.schedule,
        early_stopping: s.schedule,
    }
}

/// What a fit ending means for the run: go on, stop quietly, or fail.
pub(super) fn check(
    shared: &SharedRef,
    role: Role,
    end: Result<FitEnd, FitError>,
) -> Result<bool, Halt> {
    match end {
        Ok(FitEnd::Finished) => Ok(true),
        Ok(FitEnd::EarlyStopped(epoch)) => {
            send(
                shared,
                FromWorker::Notice(format!(
                    "{}: early stopping after epoch {epoch} (validation loss stopped improving)",
                    role.label()
                )),
            );
            Ok(true)
        }
        Ok(FitEnd::Stopped) => Ok(false),
        Err(e @ (FitError::NonFinite { .. } | FitError::NonFiniteValidation { .. })) => {
            // The weights of the last completed epoch stay loaded (explorer, download, resume).
            send(
                shared,
                FromWorker::Error {
                    message: format!("{}: {e}", role.label()),
                    fatal: false,
                },
            );
            Ok(false)
        }
        Err(FitError::Device(e)) => Err(Halt::Device(e)),
    }
}

/// Weights for `role` that the run should start from, and whether that network is finished:
/// the checkpoint's, an uploaded file's, or (teacher) the published pretrained one.
async fn starting_weights(
    shared: &SharedRef,
    s: &Settings,
    role: Role,
    resume: Option<&Checkpoint>,
) -> Result<Option<(Vec<u8>, Option<RoleState>)>, String> {
    if let Some((state, record)) = resume.and_then(|c| c.role(role)) {
        return Ok(Some((record.to_vec(), Some(state.clone()))));
    }
    if let Some((_, _, record)) = shared.borrow().imported.iter().find(|(r, _, _)| *r == role) {
        return Ok(Some((record.clone(), None)));
    }
    if role == Role::Teacher && s.pretrained {
        let url = format!("data/{}/teacher.dlw", s.dataset);
        let bytes = web::fetch_bytes(&url).await?.ok_or_else(|| {
            format!(
                "There is no pretrained teacher at {url}. Make one with\n  cargo run --release --bin distill -- train --data data/{0} --model cnn --out runs/teacher --publish data/{0}\nor untick \"use the pretrained teacher\".",
                s.dataset
            )
        })?;
        let (meta, record) = snapshot::decode(&url, &bytes).map_err(|e| e.to_string())?;
        let m = shared.borrow().manifest.clone().ok_or("no manifest")?;
        meta.check(&url, Arch::Cnn, &m.dataset, &m.classes)
            .map_err(|e| e.to_string())?;
        return Ok(Some((record, None)));
    }
    Ok(None)
}

async fn run_inner(
    shared: &SharedRef,
    s: &Settings,
    resume: Option<Checkpoint>,
    force_cpu: bool,
) -> Result<Phase, Halt> {
    send(shared, FromWorker::Phase(Phase::Loading));
    let pref = if force_cpu { DevicePref::Cpu } else { s.device };
    let (device, mut info) = pick_device(shared, pref).await;
    if force_cpu && s.device != DevicePref::Cpu {
        info.reason = "continuing on the CPU after the GPU device failed".into();
    }
    send(shared, FromWorker::Device(info));

    let manifest = data::manifest(&s.dataset).await?;
    let norm = Norm {
        mean: manifest.mean,
        std: manifest.std,
    };
    let classes = manifest.num_classes();
    let test_shards = manifest.shards_for(SplitKind::Test, s.val);
    let train_shards = manifest.shards_for(SplitKind::Train, s.subset);
    let total = test_shards.len() + train_shards.len();
    send(
        shared,
        FromWorker::Dataset {
            dataset: manifest.dataset.clone(),
            classes: manifest.classes.clone(),
            shards: total,
            bytes: test_shards
                .iter()
                .chain(&train_shards)
                .map(|s| s.bytes)
                .sum(),
        },
    );
    let mut progress = |p| send(shared, FromWorker::Shard(p));
    // Validation first: the explorer's samples come from it.
    let test = data::load_split(&manifest, SplitKind::Test, s.val, 0, total, &mut progress).await?;
    let thumbs: Vec<Thumb> = (0..THUMBS.min(test.len()))
        .map(|i| i * test.len() / THUMBS.min(test.len()))
        .map(|index| Thumb {
            index,
            label: test.labels[index],
            pixels: test.image(index).to_vec(),
        })
        .collect();
    {
        let mut sh = shared.borrow_mut();
        if sh.inspect.is_empty()
            && let Some(first) = thumbs.first()
        {
            sh.inspect = vec![first.index];
        }
        sh.send(FromWorker::Samples(thumbs));
        sh.send(FromWorker::ValLabels(test.labels.clone()));
    }
    let train_set = data::load_split(
        &manifest,
        SplitKind::Train,
        s.subset,
        test_shards.len(),
        total,
        &mut progress,
    )
    .await?;
    let (test, train_set) = (Rc::new(test), Rc::new(train_set));
    {
        let mut sh = shared.borrow_mut();
        sh.test = Some(test.clone());
        sh.train = Some(train_set.clone());
        sh.norm = Some(norm);
        sh.manifest = Some(manifest.clone());
        sh.settings = Some(s.clone());
        // The checkpoint of this run: a resumed one carries on with its log.
        let head = CheckpointHead {
            settings: s.clone(),
            saved_at_ms: js_sys::Date::now(),
            roles: Vec::new(),
            log: Vec::new(),
        };
        sh.ckpt = Some(resume.clone().unwrap_or(Checkpoint {
            head,
            records: Vec::new(),
        }));
    }
    let n = train_set.len();
    let opts = FitOptions {
        read_every: 10,
        val_count: test.len(),
        eval_batch: hooks::EVAL_BATCH,
    };
    let ad = device.clone().autodiff();
    let env = Env {
        shared,
        settings: s,
        resume: resume.as_ref(),
        device: device.clone(),
        ad: ad.clone(),
        train: train_set.clone(),
        test: test.clone(),
        norm,
        opts,
        classes,
    };
    if s.method.is_mutual() {
        return methods::mutual(&env).await;
    }

    // 1. The teacher.
    send(shared, FromWorker::Phase(Phase::Training(Role::Teacher)));
    model::seed(&ad, s.seed);
    let fresh = TeacherConfig::new(classes).init(&ad);
    let mut teacher = Trainer::new(
        fresh.clone(),
        train_config(s, s.seed),
        Objective::CrossEntropy,
        n,
        &ad,
    );
    let mut done = false;
    if let Some((record, state)) =
        starting_weights(shared, s, Role::Teacher, resume.as_ref()).await?
    {
        let loaded: Teacher =
            snapshot::load_record("teacher", fresh, record.clone()).map_err(|e| e.to_string())?;
        teacher = Trainer::new(
            loaded,
            train_config(s, s.seed),
            Objective::CrossEntropy,
            n,
            &ad,
        );
        match &state {
            Some(st) => {
                teacher.restore(st.epoch, st.lr, st.schedule.clone());
                done = st.done;
            }
            None => {
                done = true;
                let st = RoleState {
                    role: Role::Teacher,
                    epoch: 0,
                    lr: s.lr(),
                    schedule: teacher.schedule().clone(),
                    done: true,
                    record_len: 0,
                };
                if let Some(c) = shared.borrow_mut().ckpt.as_mut() {
                    c.set_role(st, record);
                }
                send(
                    shared,
                    FromWorker::Notice("Using the loaded teacher: its training is skipped.".into()),
                );
            }
        }
    }
    if !done {
        let mut hooks = WebHooks::new(shared.clone(), Role::Teacher, &teacher, &device, false);
        let end = train::fit(
            &mut teacher,
            &train_set,
            &test,
            norm,
            &device,
            opts,
            &mut hooks,
        )
        .await;
        if !check(shared, Role::Teacher, end)? || stopped(shared) {
            return Ok(Phase::Stopped);
        }
    }
    let teacher_eval: Network = teacher.model().valid().into();
    shared.borrow_mut().set_model(Model {
        role: Role::Teacher,
        net: teacher_eval.clone(),
        device: device.clone(),
    });
    publish_result(
        shared,
        Role::Teacher,
        &teacher_eval,
        teacher.epoch(),
        &device,
    )
    .await;
    wasm_bindgen_futures::spawn_local(super::tools::send_logits(shared.clone(), false));

    // 2. The teacher's logits over the training set, once (eval mode), as the study does: a
    //    batch at a time, letting messages in between. On the CPU backend a batch runs as it is
    //    queued, and the whole set takes a minute or two in the browser (EMNIST: 124,800
    //    samples at about 1,000 a second, docs/PERFORMANCE.md): Stop and Pause must work, and
    //    the page shows how far it got. On a GPU queueing is instant.
    let teacher_valid = teacher.model().valid();
    // FitNets needs the teacher's hint layer `[n, 1024]` (unless the checkpoint is past its
    // stage 1); the logits then follow from it without a second pass through the convolutions.
    let past_hints = resume
        .as_ref()
        .and_then(|c| c.role(Role::Distilled))
        .is_some();
    let (cached, hints) = if s.method == Method::FitNets && !past_hints {
        let rows = |idx: &[usize]| {
            let b = hooks::EVAL_BATCH;
            train::hints(&teacher_valid, &train_set, idx, norm, b, &device)
        };
        let Some(h) = methods::cache(shared, n, rows).await else {
            return Ok(Phase::Stopped);
        };
        let logits = train::logits_from_hints(&teacher_valid, &h, hooks::EVAL_BATCH);
        (logits, Some(h))
    } else {
        let rows = |idx: &[usize]| {
            let b = hooks::EVAL_BATCH;
            train::logits(&teacher_valid, &train_set, idx, norm, b, &device)
        };
        let Some(logits) = methods::cache(shared, n, rows).await else {
            return Ok(Phase::Stopped);
        };
        (logits, None)
    };

    // 3. Both students from the same initial weights, trained side by side. Seeded as the
    //    CLI seeds them (`distill train`/`sweep --seed`), so the page's seed N is its seed N.
    send(shared, FromWorker::Phase(Phase::Students));
    model::seed(&ad, s.seed);
    let student = StudentConfig::new(classes).init(&ad);
    let config = s.distill_config();
    let cfg = train_config(s, s.seed);
    // With fewer labels than samples the baseline learns from the labelled ones alone
    // (repeated to full-size epochs); the distilled student from all n, the rest unlabelled.
    let labelled = s.labelled(n);
    let base_set = match labelled {
        Some(k) => Rc::new(train_set.repeated(k, settings::LABELLED_EPOCH)),
        None => train_set.clone(),
    };
    let sizes = [(Role::Baseline, base_set.len()), (Role::Distilled, n)];
    let mut baseline = Trainer::new(
        student.clone(),
        cfg.clone(),
        Objective::CrossEntropy,
        sizes[0].1,
        &ad,
    );
    let mut distilled = Trainer::new(
        student.clone(),
        cfg.clone(),
        Objective::Distill {
            config,
            teacher_logits: cached,
            labelled,
        },
        n,
        &ad,
    );
    for (role, t) in [
        (Role::Baseline, &mut baseline),
        (Role::Distilled, &mut distilled),
    ] {
        if let Some((record, state)) = starting_weights(shared, s, role, resume.as_ref()).await? {
            let loaded = snapshot::load_record(role.key(), student.clone(), record)
                .map_err(|e| e.to_string())?;
            let objective = t.objective().clone();
            let size = sizes.iter().find(|(r, _)| *r == role).map_or(n, |s| s.1);
            *t = Trainer::new(loaded, cfg.clone(), objective, size, &ad);
            match state {
                Some(st) => t.restore(st.epoch, st.lr, st.schedule),
                None => t.restore(cfg.epochs, s.lr(), t.schedule().clone()),
            }
        }
    }
    let mut hb = WebHooks::new(shared.clone(), Role::Baseline, &baseline, &device, false);
    let mut hd = WebHooks::new(shared.clone(), Role::Distilled, &distilled, &device, false);
    if s.method == Method::FitNets && hints.is_none() {
        // Resumed in FitNets' stage 2: its curve goes on after the hint stage's epochs.
        let hint_steps = s.hint_epochs * distilled.steps_per_epoch();
        hd = hd.after(s.hint_epochs, hint_steps);
    }
    let width = teacher_valid.hint_width();
    let distilled_run = async {
        if let Some(h) = hints {
            let Some((hinted, steps)) =
                fitnets_hints(&env, student.clone(), width, h, &cfg).await?
            else {
                return Ok(FitEnd::Stopped);
            };
            let objective = distilled.objective().clone();
            distilled = Trainer::new(hinted, cfg.clone(), objective, n, &ad);
            hd = WebHooks::new(shared.clone(), Role::Distilled, &distilled, &device, false)
                .after(s.hint_epochs, steps);
            send(
                shared,
                FromWorker::Notice(format!(
                    "FitNets stage 2: classic distillation from the hinted weights ({}).",
                    s.distill_config().describe()
                )),
            );
        }
        train::fit(
            &mut distilled,
            &train_set,
            &test,
            norm,
            &device,
            opts,
            &mut hd,
        )
        .await
    };
    let (eb, ed) = futures::join!(
        train::fit(
            &mut baseline,
            &base_set,
            &test,
            norm,
            &device,
            opts,
            &mut hb
        ),
        distilled_run,
    );
    let ok_b = check(shared, Role::Baseline, eb)?;
    let ok_d = check(shared, Role::Distilled, ed)?;
    for (role, t, ok) in [
        (Role::Baseline, &baseline, ok_b),
        (Role::Distilled, &distilled, ok_d),
    ] {
        if ok {
            let net: Network = t.model().valid().into();
            shared.borrow_mut().set_model(Model {
                role,
                net: net.clone(),
                device: device.clone(),
            });
            publish_result(shared, role, &net, t.epoch(), &device).await;
        }
    }
    // The epoch hooks send logits without waiting for them; this read makes the explorer show
    // every final network by the time the page says the run is over.
    super::tools::send_logits(shared.clone(), false).await;
    Ok(if ok_b && ok_d && !stopped(shared) {
        Phase::Done
    } else {
        Phase::Stopped
    })
}

/// Validation accuracy of a finished network, as a results-table row.
pub(super) async fn publish_result(
    shared: &SharedRef,
    role: Role,
    net: &Network,
    epochs: usize,
    device: &Device,
) {
    let (test, norm) = {
        let s = shared.borrow();
        (s.test.clone(), s.norm)
    };
    let (Some(test), Some(norm)) = (test, norm) else {
        return;
    };
    let acc = match hooks::evaluate(shared, net, &test, norm, device).await {
        Ok(Some(r)) => r.accuracy,
        Ok(None) => return, // stopped
        Err(_) => f32::NAN,
    };
    send(
        shared,
        FromWorker::Result(ResultRow {
            role,
            params: net.num_params(),
            val_accuracy: acc,
            epochs,
        }),
    );
}

/// Logits `[samples, classes]` of `model` for test samples.
pub fn logits_of<M: Classifier>(
    m: &M,
    test: &crate::data::Split,
    samples: &[usize],
    norm: Norm,
    device: &Device,
) -> Tensor<2> {
    train::logits(m, test, samples, norm, 64, device)
}

/// FitNets' stage 1 in the page: `student` with a fresh regressor to the teacher's `width`-unit
/// hint layer, fit to the cached `hints` for the hint epochs (no schedule), posted as the
/// distilled student's first epochs but never checkpointed. Returns the student without its
/// regressor and the steps taken, or `None` if the page said stop.
async fn fitnets_hints(
    env: &Env<'_>,
    student: crate::model::Student,
    width: usize,
    hints: Tensor<2>,
    cfg: &TrainConfig,
) -> Result<Option<(crate::model::Student, usize)>, FitError> {
    let s = env.settings;
    let stage1 = TrainConfig {
        epochs: s.hint_epochs,
        plateau: false,
        early_stopping: false,
        ..cfg.clone()
    };
    let hinted = HintedStudent::new(student, width, &env.ad);
    let objective = Objective::Hint {
        teacher_hints: hints,
    };
    let mut t = Trainer::new(hinted, stage1, objective, env.train.len(), &env.ad);
    let mut h = WebHooks::new(env.shared.clone(), Role::Distilled, &t, &env.device, false)
        .without_checkpoints();
    send(
        env.shared,
        FromWorker::Notice(format!(
            "FitNets stage 1: {} epochs fitting the student's 512 hidden units to the teacher's 1024 through a learned regressor (½‖h_t − W·h_s‖²; the curve is that loss, and the output layer is not trained yet, so accuracy stays near chance).",
            s.hint_epochs
        )),
    );
    let (train_set, test) = (&*env.train, &*env.test);
    match train::fit(
        &mut t,
        train_set,
        test,
        env.norm,
        &env.device,
        env.opts,
        &mut h,
    )
    .await?
    {
        FitEnd::Stopped => Ok(None),
        _ => {
            let steps = t.steps();
            Ok(Some((t.into_model().into_student(), steps)))
        }
    }
}
