//! Weights files: a trained network downloaded with what it is and how it was trained, and a
//! file the user picked checked and loaded (a wrong or damaged file changes nothing).

use super::error::WorkerError;
use super::state::{Model, SharedRef, say_error, send};
use super::{data, explorer};
use crate::model::snapshot::{self, WeightsError, WeightsMeta};
use crate::model::{Arch, StudentConfig, TeacherConfig};
use crate::protocol::{FromWorker, Role};
use crate::settings::Settings;
use crate::train::{NetworkConfig, RunConfig};
use burn::prelude::*;

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
    let (model, manifest, config, accuracy, epochs) = {
        let s = shared.borrow();
        let acc = s.ckpt.as_ref().and_then(|c| {
            c.head.log.iter().rev().find_map(|m| match m {
                FromWorker::Result(r) if r.role == role => Some((r.val_accuracy, r.epochs)),
                _ => None,
            })
        });
        (
            s.model(role).cloned(),
            s.manifest().cloned(),
            s.loaded.as_ref().map(|l| l.run_config(role)),
            acc.map(|a| a.0),
            acc.map(|a| a.1).unwrap_or(0),
        )
    };
    let (Some(model), Some(manifest)) = (model, manifest) else {
        return say_error(
            &shared,
            format!(
                "There is no {} to download yet: train it or load it first.",
                role.label()
            ),
        );
    };
    let record = match model.net.record_bytes().await {
        Ok(r) => r,
        Err(e) => return say_error(&shared, e),
    };
    let classes = manifest.num_classes();
    // Without a run (a network loaded, not trained here) the lab's own config for the role.
    let network = match &config {
        Some(c) => c.network.to_json(),
        None if role == Role::Teacher => {
            NetworkConfig::Teacher(TeacherConfig::new(classes)).to_json()
        }
        None => NetworkConfig::Student(StudentConfig::new(classes)).to_json(),
    };
    let training = config.map(|c| c.to_json()).unwrap_or_default();
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
    if let Err(e) = try_import(&shared, &name, &bytes, &settings).await {
        let message = e.to_string();
        send(&shared, FromWorker::ImportRejected { id, message });
    }
}

async fn try_import(
    shared: &SharedRef,
    name: &str,
    bytes: &[u8],
    settings: &Settings,
) -> Result<(), WorkerError> {
    let known = (shared.borrow().manifest().cloned()).filter(|m| m.dataset == settings.dataset);
    let manifest = match known {
        Some(m) => m,
        None => data::manifest(&settings.dataset)
            .await
            .map_err(|e| WorkerError::NotReady(format!("{name} cannot be checked: {e}")))?,
    };
    let unchanged = |e: WeightsError| WorkerError::Other(format!("{e}. Nothing was changed."));
    let (meta, record) = snapshot::decode(name, bytes).map_err(unchanged)?;
    meta.check(name, meta.arch, &manifest.dataset, &manifest.classes)
        .map_err(unchanged)?;
    // Build it on the CPU to be sure it loads, and to use it at once (drawing, explorer).
    let cpu = Device::flex();
    let net = snapshot::network_from_meta(&meta, &cpu)
        .and_then(|n| n.load(name, record.clone()))
        .map_err(unchanged)?;
    let role = role_of(&meta);
    let description = format!(
        "{name}: {} trained on {}{}",
        role.label(),
        meta.dataset,
        meta.val_acc
            .map(|a| format!(", {:.2} % validation accuracy", a * 100.0))
            .unwrap_or_default()
    );
    // The run that trained it, to reopen: the page's share link, or the experiment's settings.
    let run = RunConfig::from_json(&meta.training).and_then(|c| {
        (c.settings).or_else(|| (c.experiment).map(|e| Settings::from_experiment(&e).to_query()))
    });
    {
        let mut s = shared.borrow_mut();
        s.imported.retain(|(r, _, _)| *r != role);
        s.imported.push((role, meta, record));
        s.set_model(Model {
            role,
            net,
            device: cpu,
        });
        if s.manifest().is_none() {
            s.import_dataset = Some(manifest);
        }
    }
    send(
        shared,
        FromWorker::Imported {
            role,
            description,
            run,
        },
    );
    explorer::send_logits(shared.clone(), false).await;
    Ok(())
}
