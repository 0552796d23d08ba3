//! From bytes in memory to input tensors.

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
