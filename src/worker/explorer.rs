//! What the explorer and the drawing pad ask of the networks: the logits of inspected test
//! samples and of a drawn letter, read asynchronously, one read per network.

use super::state::{SharedRef, say_error, send};
use crate::data::augment;
use crate::data::batch::Norm;
use crate::data::prepare::PIXELS;
use crate::model::Classifier;
use crate::protocol::{AugmentedView, FromWorker, Logits, PerRole, Role, Thumb};
use crate::train;
use burn::prelude::*;

/// Samples per batch for the explorer's few samples.
const EXPLORER_BATCH: usize = 64;

/// Logits of the inspected samples for every network there is, in one read per device.
/// `with_thumbs`: also send the images of samples the page has not seen.
pub async fn send_logits(shared: SharedRef, with_thumbs: bool) {
    let (samples, models, test, norm, data) = {
        let s = shared.borrow();
        let Some(data) = s.loaded.clone() else {
            return;
        };
        let (test, norm) = (data.test.clone(), data.norm());
        let samples: Vec<usize> = s
            .inspect
            .iter()
            .copied()
            .filter(|&i| i < test.len())
            .collect();
        (samples, s.models.clone(), test, norm, data)
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
        let t = train::logits(&m.net, &test, &samples, norm, EXPLORER_BATCH, &m.device);
        let Ok(d) = t.into_data_async().await else {
            continue;
        };
        let flat: Vec<f32> = d.iter::<f32>().collect();
        let rows: Vec<Vec<f32>> = flat
            .chunks(flat.len() / samples.len())
            .map(|c| c.to_vec())
            .collect();
        out.nets.set(m.role, rows);
    }
    let (a, seed) = (&data.settings.augment, data.settings.seed);
    if let (false, Some(teacher)) = (a.is_off(), models.iter().find(|m| m.role == Role::Teacher)) {
        out.view = teacher_on_view(teacher, a, seed, &test, samples[0], norm).await;
    }
    send(&shared, FromWorker::Logits(out));
}

/// View 0 of test sample `index` under the run's augmentation, and the teacher's logits on it.
async fn teacher_on_view(
    teacher: &super::state::Model,
    a: &augment::Augment,
    seed: u64,
    test: &crate::data::Split,
    index: usize,
    norm: Norm,
) -> Option<AugmentedView> {
    let view = 0;
    let v = augment::view(a, seed, view, index, test.len());
    let mut f = vec![0.0f32; PIXELS];
    augment::render(test, index, &v, &mut f);
    let pixels: Vec<u8> = f
        .iter()
        .map(|&x| x.round().clamp(0.0, 255.0) as u8)
        .collect();
    let x = Tensor::<2>::from_data(
        TensorData::new(norm.image(&pixels), [1, PIXELS]),
        &teacher.device,
    );
    let d = teacher.net.logits(x).into_data_async().await.ok()?;
    Some(AugmentedView {
        index,
        view,
        pixels,
        teacher: d.iter::<f32>().collect(),
    })
}

/// Every network's logits for a drawn 28x28 image.
pub async fn classify(shared: SharedRef, pixels: Vec<u8>) {
    let (models, norm) = {
        let s = shared.borrow();
        (s.models.clone(), s.manifest().map(Norm::of))
    };
    let Some(norm) = norm else {
        return say_error(
            &shared,
            "Train a model (or load one) before drawing: there is nothing to ask yet.".into(),
        );
    };
    if pixels.len() != 784 {
        return say_error(
            &shared,
            format!("a drawing must be 28x28, got {} pixels", pixels.len()),
        );
    }
    let mut out = PerRole::default();
    for m in &models {
        let x = Tensor::<2>::from_data(TensorData::new(norm.image(&pixels), [1, 784]), &m.device);
        if let Ok(d) = m.net.logits(x).into_data_async().await {
            out.set(m.role, d.iter::<f32>().collect());
        }
    }
    send(&shared, FromWorker::Drawn(out));
}
