//! From bytes in memory to input tensors.

use super::augment::{self, Augment};
use super::manifest::Manifest;
use super::prepare::{PIXELS, Split};
use burn::prelude::*;

/// Input normalisation: `(pixel / 255 − mean) / std`, with the training set's statistics from
/// the manifest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Norm {
    pub mean: f32,
    pub std: f32,
}

impl Norm {
    /// The dataset's own normalisation, as its manifest records it.
    pub fn of(manifest: &Manifest) -> Norm {
        Norm {
            mean: manifest.mean,
            std: manifest.std,
        }
    }

    /// Normalised pixels of the samples at `indices`, flattened: `indices.len() * 784` values.
    pub fn pixels(&self, split: &Split, indices: &[usize]) -> Vec<f32> {
        let lut: Vec<f32> = (0..256)
            .map(|v| (v as f32 / 255.0 - self.mean) / self.std)
            .collect();
        let mut out = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            out.extend(split.image(i).iter().map(|&p| lut[p as usize]));
        }
        out
    }

    /// Normalise one raw 28x28 image (e.g. a drawn letter).
    pub fn image(&self, pixels: &[u8]) -> Vec<f32> {
        pixels
            .iter()
            .map(|&v| (v as f32 / 255.0 - self.mean) / self.std)
            .collect()
    }
}

/// `[batch, 784]` images for the samples at `indices`.
pub fn images(split: &Split, indices: &[usize], norm: Norm, device: &Device) -> Tensor<2> {
    let data = TensorData::new(norm.pixels(split, indices), [indices.len(), PIXELS]);
    Tensor::from_data(data, device)
}

/// A batch of views ([`views`]).
pub struct ViewBatch {
    /// `[batch, 784]`, normalised.
    pub images: Tensor<2>,
    pub mix: Option<Mix>,
}

/// mixup's other image in each view of a batch.
pub struct Mix {
    /// Its labels `[batch]`.
    pub labels: Tensor<1, Int>,
    /// Its sample indices and its share of each view (host-side: the label term's weights
    /// depend on which samples carry labels).
    pub partners: Vec<usize>,
    pub shares: Vec<f32>,
}

/// View `view` ([`augment::view`] under `seed`, the mixup partner among the first `n`
/// samples) of each sample at `indices`, normalised like [`images`].
#[allow(clippy::too_many_arguments)]
pub fn views(
    split: &Split,
    indices: &[usize],
    norm: Norm,
    aug: &Augment,
    seed: u64,
    view: u64,
    n: usize,
    device: &Device,
) -> ViewBatch {
    let b = indices.len();
    let mut pixels = vec![0.0f32; b * PIXELS];
    let (mut partners, mut shares) = (Vec::with_capacity(b), Vec::with_capacity(b));
    for (&i, out) in indices.iter().zip(pixels.chunks_mut(PIXELS)) {
        let v = augment::view(aug, seed, view, i, n);
        augment::render(split, i, &v, out);
        if let Some((other, share, _)) = v.mix {
            partners.push(other);
            shares.push(share);
        }
        for p in out.iter_mut() {
            *p = (*p / 255.0 - norm.mean) / norm.std;
        }
    }
    let images = Tensor::from_data(TensorData::new(pixels, [b, PIXELS]), device);
    let mix = (aug.mixup > 0.0).then(|| Mix {
        labels: labels(split, &partners, device),
        partners,
        shares,
    });
    ViewBatch { images, mix }
}

/// `[batch]` class indices for the samples at `indices`.
pub fn labels(split: &Split, indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i32> = indices.iter().map(|&i| split.labels[i] as i32).collect();
    Tensor::from_data(TensorData::new(v, [indices.len()]), device)
}

/// `[batch]` indices as an int tensor (to pick rows of the teacher-logit cache).
pub fn index_tensor(indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i32> = indices.iter().map(|&i| i as i32).collect();
    Tensor::from_data(TensorData::new(v, [indices.len()]), device)
}
