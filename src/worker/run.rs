//! One run of the experiment in the browser: device, data, teacher, cached teacher logits, then
//! the baseline and the distilled student side by side from the same initial weights.

use super::hooks::WebHooks;
use super::{SharedRef, data, web};
use crate::data::batch::Norm;
use crate::data::{Split, SplitKind};
use crate::device::{self, DeviceInfo};
use crate::distill::DistillConfig;
use crate::model::{Classifier, StudentConfig, TeacherConfig};
use crate::protocol::{FromWorker, Logits, Phase, ResultRow, Role, Thumb};
use crate::settings::{DevicePref, Settings};
use crate::train::{self, FitEnd, FitError, FitOptions, Objective, TrainConfig, Trainer};
use burn::prelude::*;
use burn::tensor::Transaction;
use std::rc::Rc;

/// Thumbnails in the explorer's grid.
const THUMBS: usize = 48;

pub async fn run(shared: SharedRef, settings: Settings) {
    let outcome = run_inner(&shared, &settings).await;
    let mut s = shared.borrow_mut();
    s.running = false;
    match outcome {
        Ok(phase) => s.send(FromWorker::Phase(phase)),
        Err(message) => {
            s.send(FromWorker::Error {
                message,
                fatal: true,
            });
            s.send(FromWorker::Phase(Phase::Failed));
        }
    }
}

async fn pick_device(pref: DevicePref) -> (Device, DeviceInfo) {
    let (cpu, mut info) = device::cpu();
    if pref == DevicePref::Cpu {
        info.reason = "the CPU was chosen in the settings (device=cpu)".into();
        return (cpu, info);
    }
    match web::adapter_name().await {
        Err(why) => {
            info.reason = format!("{why}; training on the CPU instead");
            (cpu, info)
        }
        Ok(name) => match device::webgpu().await {
            Ok(d) => (
                d,
                DeviceInfo {
                    backend: "webgpu".into(),
                    name,
                    reason: String::new(),
                },
            ),
            Err(e) => {
                info.reason = format!("WebGPU failed to start ({e}); training on the CPU instead");
                (cpu, info)
            }
        },
    }
}

fn send(shared: &SharedRef, msg: FromWorker) {
    shared.borrow().send(msg);
}

fn stopped(shared: &SharedRef) -> bool {
    shared.borrow().stop
}

fn train_config(s: &Settings, seed: u64) -> TrainConfig {
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

/// What a fit ending means for the run.
fn check(shared: &SharedRef, role: Role, end: Result<FitEnd, FitError>) -> Result<bool, String> {
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
        Err(e @ FitError::NonFinite { .. }) => {
            send(
                shared,
                FromWorker::Error {
                    message: format!("{}: {e}", role.label()),
                    fatal: false,
                },
            );
            Ok(false)
        }
        Err(FitError::Device(e)) => Err(format!(
            "{}: the device failed: {e}. Reload the page to start again, or add device=cpu to the URL",
            role.label()
        )),
    }
}

async fn run_inner(shared: &SharedRef, s: &Settings) -> Result<Phase, String> {
    send(shared, FromWorker::Phase(Phase::Loading));
    let (device, info) = pick_device(s.device).await;
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
        // Show the first sample in the explorer until the page picks others.
        let mut sh = shared.borrow_mut();
        if sh.inspect.is_empty()
            && let Some(first) = thumbs.first()
        {
            sh.inspect = vec![first.index];
        }
        sh.send(FromWorker::Samples(thumbs));
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
    let test = Rc::new(test);
    {
        let mut sh = shared.borrow_mut();
        sh.test = Some(test.clone());
        sh.norm = Some(norm);
        sh.device = Some(device.clone());
    }
    let n = train_set.len();
    let opts = FitOptions {
        read_every: 10,
        val_count: test.len(),
        eval_batch: 512,
    };
    let ad = device.clone().autodiff();

    // 1. The teacher.
    send(shared, FromWorker::Phase(Phase::Training(Role::Teacher)));
    ad.seed(s.seed);
    let cfg = train_config(s, s.seed);
    let mut teacher = Trainer::new(
        TeacherConfig::new(classes).init(&ad),
        cfg,
        Objective::CrossEntropy,
        n,
        &ad,
    );
    let mut hooks = WebHooks::new(
        shared.clone(),
        Role::Teacher,
        teacher.steps_per_epoch(),
        s.epochs,
    );
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
    let teacher_acc = last_accuracy(shared, Role::Teacher).await;
    send(
        shared,
        result(
            Role::Teacher,
            teacher.model().num_params(),
            teacher_acc,
            teacher.epoch(),
        ),
    );

    // 2. The teacher's logits over the training set, once (eval mode), as the study does.
    send(shared, FromWorker::Phase(Phase::Caching));
    let idx: Vec<usize> = (0..n).collect();
    let cached = train::logits(
        &teacher.model().valid(),
        &train_set,
        &idx,
        norm,
        512,
        &device,
    );
    web::sleep_ms(0).await;

    // 3. Both students from the same initial weights, trained side by side.
    send(shared, FromWorker::Phase(Phase::Students));
    ad.seed(s.seed.wrapping_add(1));
    let student = StudentConfig::new(classes).init(&ad);
    let config = DistillConfig {
        form: s.loss,
        temperature: s.temperature,
        weight: s.lambda,
    };
    let cfg = train_config(s, s.seed.wrapping_add(1));
    let mut baseline = Trainer::new(
        student.clone(),
        cfg.clone(),
        Objective::CrossEntropy,
        n,
        &ad,
    );
    let mut distilled = Trainer::new(
        student,
        cfg,
        Objective::Distill {
            config,
            teacher_logits: cached,
        },
        n,
        &ad,
    );
    let mut hb = WebHooks::new(
        shared.clone(),
        Role::Baseline,
        baseline.steps_per_epoch(),
        s.epochs,
    );
    let mut hd = WebHooks::new(
        shared.clone(),
        Role::Distilled,
        distilled.steps_per_epoch(),
        s.epochs,
    );
    let (eb, ed) = futures::join!(
        train::fit(
            &mut baseline,
            &train_set,
            &test,
            norm,
            &device,
            opts,
            &mut hb
        ),
        train::fit(
            &mut distilled,
            &train_set,
            &test,
            norm,
            &device,
            opts,
            &mut hd
        ),
    );
    let ok_b = check(shared, Role::Baseline, eb)?;
    let ok_d = check(shared, Role::Distilled, ed)?;
    for (role, t, ok) in [
        (Role::Baseline, &baseline, ok_b),
        (Role::Distilled, &distilled, ok_d),
    ] {
        if ok {
            let acc = last_accuracy(shared, role).await;
            send(shared, result(role, t.model().num_params(), acc, t.epoch()));
        }
    }
    Ok(if ok_b && ok_d && !stopped(shared) {
        Phase::Done
    } else {
        Phase::Stopped
    })
}

fn result(role: Role, params: usize, val_accuracy: f32, epochs: usize) -> FromWorker {
    FromWorker::Result(ResultRow {
        role,
        params,
        val_accuracy,
        epochs,
    })
}

/// Validation accuracy of the stored eval copy of `role` (the last epoch's model).
async fn last_accuracy(shared: &SharedRef, role: Role) -> f32 {
    let (model, test, norm, device) = {
        let s = shared.borrow();
        match (
            s.model(role).cloned(),
            s.test.clone(),
            s.norm,
            s.device.clone(),
        ) {
            (Some(m), Some(t), Some(n), Some(d)) => (m, t, n, d),
            _ => return f32::NAN,
        }
    };
    train::evaluate(&model, &test, test.len(), norm, 512, &device)
        .await
        .map(|r| r.accuracy)
        .unwrap_or(f32::NAN)
}

/// Logits of the inspected samples for every network that exists yet, in one device read.
pub async fn send_logits(shared: SharedRef) {
    let (samples, models, test, norm, device) = {
        let s = shared.borrow();
        let (Some(test), Some(norm), Some(device)) = (s.test.clone(), s.norm, s.device.clone())
        else {
            return;
        };
        let samples: Vec<usize> = s
            .inspect
            .iter()
            .copied()
            .filter(|&i| i < test.len())
            .collect();
        if samples.is_empty() || s.models.is_empty() {
            return;
        }
        (samples, s.models.clone(), test, norm, device)
    };
    let mut tx = Transaction::default();
    for (_, m) in &models {
        tx = tx.register(logits_of(m, &test, &samples, norm, &device));
    }
    let Ok(data) = tx.execute_async().await else {
        return;
    };
    let mut out = Logits {
        samples: samples.clone(),
        ..Default::default()
    };
    for ((role, _), d) in models.iter().zip(data) {
        let flat: Vec<f32> = d.iter::<f32>().collect();
        let rows: Vec<Vec<f32>> = flat
            .chunks(flat.len() / samples.len())
            .map(|c| c.to_vec())
            .collect();
        match role {
            Role::Teacher => out.teacher = Some(rows),
            Role::Baseline => out.baseline = Some(rows),
            Role::Distilled => out.distilled = Some(rows),
        }
    }
    send(&shared, FromWorker::Logits(out));
}

fn logits_of<M: Classifier>(
    m: &M,
    test: &Split,
    samples: &[usize],
    norm: Norm,
    device: &Device,
) -> Tensor<2> {
    train::logits(m, test, samples, norm, 64, device)
}
