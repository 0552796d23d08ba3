//! What the worker does besides the run: offer a saved run, the explorer's logits, drawn
//! letters, weights downloads and uploads, and the in-browser T × λ sweep.

use super::hooks::{WebHooks, yield_and_check};
use super::run::{logits_of, pick_device, train_config};
use super::{Model, SharedRef, data, idb, send, web};
use crate::bench::BenchSpec;
use crate::checkpoint::Checkpoint;
use crate::data::batch::{self, Norm};
use crate::distill::DistillConfig;
use crate::model::snapshot::{self, WeightsMeta};
use crate::model::{self, Arch, Classifier, StudentConfig, TeacherConfig};
use crate::protocol::{BenchReport, CheckpointInfo, FromWorker, Logits, Role, SweepSpec, Thumb};
use crate::settings::{DevicePref, Settings};
use crate::train::{self, Control, FitOptions, Objective, Trainer};
use burn::prelude::*;
use wasm_bindgen::JsCast;

/// Tell the page about a run saved by an earlier visit.
pub async fn offer_checkpoint(shared: SharedRef) {
    let info = idb::load()
        .await
        .and_then(|b| {
            Checkpoint::decode(&b)
                .map_err(|e| {
                    // Said, not dropped: the bytes stay stored until a new run replaces them.
                    send(
                        &shared,
                        FromWorker::Notice(format!(
                            "A saved run was found but cannot be resumed: {e}. Starting a new run replaces it."
                        )),
                    )
                })
                .ok()
        })
        .map(|c| CheckpointInfo {
            summary: c.summary(),
            saved_at_ms: c.head.saved_at_ms,
            query: c.head.settings.to_query(),
        });
    send(&shared, FromWorker::Checkpoint(info));
}

/// Logits of the inspected samples for every network there is, in one read per device.
/// `with_thumbs`: also send the images of samples the page has not seen.
pub async fn send_logits(shared: SharedRef, with_thumbs: bool) {
    let (samples, models, test, norm) = {
        let s = shared.borrow();
        let (Some(test), Some(norm)) = (s.test.clone(), s.norm) else {
            return;
        };
        let samples: Vec<usize> = s
            .inspect
            .iter()
            .copied()
            .filter(|&i| i < test.len())
            .collect();
        (samples, s.models.clone(), test, norm)
    };
    if samples.is_empty() {
        return;
    }
    if with_thumbs {
        let thumbs = samples
            .iter()
            .map(|&index| Thumb {
                index,
                label: test.labels[index],
                pixels: test.image(index).to_vec(),
            })
            .collect();
        send(&shared, FromWorker::Thumbs(thumbs));
    }
    let mut out = Logits {
        samples: samples.clone(),
        ..Default::default()
    };
    for m in &models {
        let t = logits_of(&m.net, &test, &samples, norm, &m.device);
        let Ok(d) = t.into_data_async().await else {
            continue;
        };
        let flat: Vec<f32> = d.iter::<f32>().collect();
        let rows: Vec<Vec<f32>> = flat
            .chunks(flat.len() / samples.len())
            .map(|c| c.to_vec())
            .collect();
        match m.role {
            Role::Teacher => out.teacher = Some(rows),
            Role::Baseline => out.baseline = Some(rows),
            Role::Distilled => out.distilled = Some(rows),
            Role::Peer => out.peer = Some(rows),
        }
    }
    send(&shared, FromWorker::Logits(out));
}

fn error(shared: &SharedRef, message: String) {
    send(
        shared,
        FromWorker::Error {
            message,
            fatal: false,
        },
    );
}

/// Every network's logits for a drawn 28x28 image.
pub async fn classify(shared: SharedRef, pixels: Vec<u8>) {
    let (models, norm) = {
        let s = shared.borrow();
        (s.models.clone(), s.norm)
    };
    let Some(norm) = norm else {
        return error(
            &shared,
            "Train a model (or load one) before drawing: there is nothing to ask yet.".into(),
        );
    };
    if pixels.len() != 784 {
        return error(
            &shared,
            format!("a drawing must be 28x28, got {} pixels", pixels.len()),
        );
    }
    let mut out = [None, None, None, None];
    for m in &models {
        let x = Tensor::<2>::from_data(TensorData::new(norm.image(&pixels), [1, 784]), &m.device);
        if let Ok(d) = m.net.logits(x).into_data_async().await {
            out[m.role as usize] = Some(d.iter::<f32>().collect::<Vec<f32>>());
        }
    }
    let [teacher, baseline, distilled, peer] = out;
    send(
        &shared,
        FromWorker::Drawn {
            teacher,
            baseline,
            distilled,
            peer,
        },
    );
}

fn arch_of(role: Role) -> Arch {
    if role == Role::Teacher {
        Arch::Cnn
    } else {
        Arch::Mlp
    }
}

fn role_of(meta: &WeightsMeta) -> Role {
    match (meta.arch, meta.role.as_str()) {
        (Arch::Cnn, _) => Role::Teacher,
        (Arch::Mlp, "distilled") => Role::Distilled,
        _ => Role::Baseline,
    }
}

/// The weights file of a network, with what it is and how it was trained.
pub async fn export(shared: SharedRef, role: Role) {
    let (model, manifest, settings, accuracy, epochs) = {
        let s = shared.borrow();
        let acc = s.ckpt.as_ref().and_then(|c| {
            c.head.log.iter().rev().find_map(|m| match m {
                FromWorker::Result(r) if r.role == role => Some((r.val_accuracy, r.epochs)),
                _ => None,
            })
        });
        (
            s.model(role).cloned(),
            s.manifest.clone(),
            s.settings.clone(),
            acc.map(|a| a.0),
            acc.map(|a| a.1).unwrap_or(0),
        )
    };
    let (Some(model), Some(manifest)) = (model, manifest) else {
        return error(
            &shared,
            format!(
                "There is no {} to download yet: train it or load it first.",
                role.label()
            ),
        );
    };
    let record = match model.net.record_bytes().await {
        Ok(r) => r,
        Err(e) => return error(&shared, e),
    };
    let classes = manifest.num_classes();
    let network = match role {
        Role::Teacher => serde_json::to_value(TeacherConfig::new(classes)),
        _ => serde_json::to_value(StudentConfig::new(classes)),
    }
    .unwrap_or_default();
    let training = settings
        .map(|s| {
            serde_json::json!({
                "settings": s.to_query(),
                "loss": if role.taught_by(s.method) { s.describe_method() } else { "cross-entropy".into() },
                "method": role.taught_by(s.method).then_some(s.method),
                "trained_by": "Distill Lab (browser)",
            })
        })
        .unwrap_or_default();
    let meta = WeightsMeta {
        format: snapshot::FORMAT,
        arch: arch_of(role),
        role: role.key().into(),
        dataset: manifest.dataset.clone(),
        classes: manifest.classes.clone(),
        params: model.net.num_params(),
        network,
        training,
        epochs,
        val_acc: accuracy,
        created_by: format!("distill-lab {}", env!("CARGO_PKG_VERSION")),
    };
    let name = format!("{}-{}.dlw", manifest.dataset, role.key());
    send(
        &shared,
        FromWorker::Exported {
            role,
            name,
            bytes: snapshot::encode(&meta, &record),
        },
    );
}

/// Accept a weights file for this dataset; a wrong or damaged file changes nothing, and the
/// page hears which import it was (`id`) so that it stops re-sending it.
pub async fn import(shared: SharedRef, id: u32, name: String, bytes: Vec<u8>, settings: Settings) {
    if let Err(message) = try_import(&shared, &name, &bytes, &settings).await {
        send(&shared, FromWorker::ImportRejected { id, message });
    }
}

async fn try_import(
    shared: &SharedRef,
    name: &str,
    bytes: &[u8],
    settings: &Settings,
) -> Result<(), String> {
    let known = shared
        .borrow()
        .manifest
        .clone()
        .filter(|m| m.dataset == settings.dataset);
    let manifest = match known {
        Some(m) => m,
        None => data::manifest(&settings.dataset)
            .await
            .map_err(|e| format!("{name} cannot be checked: {e}"))?,
    };
    let unchanged = |e: String| format!("{e}. Nothing was changed.");
    let (meta, record) = snapshot::decode(name, bytes).map_err(|e| unchanged(e.to_string()))?;
    meta.check(name, meta.arch, &manifest.dataset, &manifest.classes)
        .map_err(|e| unchanged(e.to_string()))?;
    // Build it on the CPU to be sure it loads, and to use it at once (drawing, explorer).
    let cpu = Device::flex();
    let net = snapshot::network_from_meta(&meta, &cpu)
        .and_then(|n| n.load(name, record.clone()))
        .map_err(|e| unchanged(e.to_string()))?;
    let role = role_of(&meta);
    let description = format!(
        "{name}: {} trained on {}{}",
        role.label(),
        meta.dataset,
        meta.val_acc
            .map(|a| format!(", {:.2} % validation accuracy", a * 100.0))
            .unwrap_or_default()
    );
    {
        let mut s = shared.borrow_mut();
        s.imported.retain(|(r, _, _)| *r != role);
        s.imported.push((role, meta, record));
        s.set_model(Model {
            role,
            net,
            device: cpu,
        });
        if s.norm.is_none() {
            s.norm = Some(Norm {
                mean: manifest.mean,
                std: manifest.std,
            });
        }
        if s.manifest.is_none() {
            s.manifest = Some(manifest);
        }
    }
    send(shared, FromWorker::Imported { role, description });
    send_logits(shared.clone(), false).await;
    Ok(())
}

/// Distilled-student accuracy over a T × λ grid, reusing one cache of teacher logits.
pub async fn sweep(shared: SharedRef, spec: SweepSpec) {
    let result = sweep_inner(&shared, &spec).await;
    let mut s = shared.borrow_mut();
    s.running = false;
    if let Err(e) = result {
        s.send(FromWorker::Error {
            message: e,
            fatal: false,
        });
    }
    s.send(FromWorker::SweepDone);
}

async fn sweep_inner(shared: &SharedRef, spec: &SweepSpec) -> Result<(), String> {
    let (teacher, train_set, test, norm, settings) = {
        let s = shared.borrow();
        (
            s.model(Role::Teacher).cloned(),
            s.train.clone(),
            s.test.clone(),
            s.norm,
            s.settings.clone(),
        )
    };
    let (Some(teacher), Some(train_set), Some(test), Some(norm), Some(settings)) =
        (teacher, train_set, test, norm, settings)
    else {
        return Err("The sweep needs a teacher and loaded data: run the experiment first (or load a teacher and start).".into());
    };
    let device = teacher.device.clone();
    let ad = device.clone().autodiff();
    let n = spec.subset.min(train_set.len());
    let idx: Vec<usize> = (0..n).collect();
    let cached: Tensor<2> = train::logits(&teacher.net, &train_set, &idx, norm, 512, &device);
    let classes = teacher
        .net
        .logits(batch::images(&test, &[0], norm, &device))
        .dims()[1];
    let mut cfg = train_config(&settings, settings.seed);
    cfg.epochs = spec.epochs;
    cfg.plateau = false;
    cfg.early_stopping = false;
    let opts = FitOptions {
        read_every: 50,
        val_count: test.len(),
        eval_batch: 512,
    };
    model::seed(&ad, settings.seed);
    let init = StudentConfig::new(classes).init(&ad);
    let fit = |objective: Objective| {
        let (init, cfg, ad, device, shared, train_set, test) = (
            init.clone(),
            cfg.clone(),
            ad.clone(),
            device.clone(),
            shared.clone(),
            train_set.clone(),
            test.clone(),
        );
        async move {
            let mut t = Trainer::new(init, cfg, objective, n, &ad);
            let mut hooks = WebHooks::new(shared, Role::Distilled, &t, &device, true);
            let end = train::fit(&mut t, &train_set, &test, norm, &device, opts, &mut hooks).await;
            match end {
                Ok(train::FitEnd::Stopped) => Ok(None),
                Ok(_) => train::evaluate(&t.model().valid(), &test, test.len(), norm, 512, &device)
                    .await
                    .map(|r| Some(r.accuracy)),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let Some(base) = fit(Objective::CrossEntropy).await? else {
        return Ok(());
    };
    send(shared, FromWorker::SweepBaseline(base));
    for &t in &spec.temperatures {
        for &l in &spec.lambdas {
            let config = DistillConfig {
                form: settings.loss,
                temperature: t,
                weight: l,
            };
            let Some(acc) = fit(Objective::Distill {
                config,
                teacher_logits: cached.clone(),
                labelled: None,
            })
            .await?
            else {
                return Ok(());
            };
            send(
                shared,
                FromWorker::SweepCell {
                    temperature: t,
                    lambda: l,
                    accuracy: acc,
                },
            );
            if yield_and_check(shared).await == Control::Stop {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The speed test: the study's networks timed on WebGPU (or the CPU backend), and the memory of
/// a small run after its first and last epoch (GPU pool and wasm heap).
pub async fn bench(shared: SharedRef, cpu: bool) {
    // The speed test measures the backend it was asked for, software WebGPU included.
    let pref = if cpu {
        DevicePref::Cpu
    } else {
        DevicePref::WebGpu
    };
    // No `FromWorker::Device`: the page's device badge describes its runs, and the report below
    // says where the speed test ran.
    let (device, info) = pick_device(&shared, pref).await;
    let spec = BenchSpec::browser();
    let clock = || web::now_ms() / 1e3;
    let heap = || {
        wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .ok()
            .map(|m| {
                m.buffer()
                    .unchecked_into::<js_sys::ArrayBuffer>()
                    .byte_length() as u64
            })
    };
    let out = crate::bench::run(&device, &spec, &clock, &heap).await;
    let mut s = shared.borrow_mut();
    s.running = false;
    s.send(FromWorker::Bench(
        out.map(|figures| BenchReport {
            device: info,
            spec,
            figures,
        })
        .map_err(|e| format!("The speed test failed: {e}")),
    ));
}
