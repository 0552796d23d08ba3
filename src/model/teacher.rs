//! The teacher CNN, layer for layer the Keras study's:
//! conv 64 3x3 (valid) relu → maxpool 2 → dropout .25 → conv 128 3x3 relu → maxpool 2 →
//! dropout .25 → dense 1024 relu → dropout .5 → dense C. For C = 26: 3,378,970 parameters
//! (640 + 73,856 + 3,277,824 + 26,650).

use super::dense::Kernel;
use super::{
    Classifier, conv_relu_pool, dense, dropout, max_pool, multi_channel_conv, on_cpu, patch_conv,
    single_channel_conv,
};
use burn::nn::{
    Dropout, DropoutConfig, Initializer, Linear, LinearConfig, Relu,
    conv::{Conv2d, Conv2dConfig},
    pool::{MaxPool2d, MaxPool2dConfig},
};
use burn::prelude::*;

/// Keras' default kernel initialiser (glorot_uniform), which the study used.
pub(crate) const GLOROT: Initializer = Initializer::XavierUniform { gain: 1.0 };

#[derive(Config, Debug)]
pub struct TeacherConfig {
    pub classes: usize,
    #[config(default = 64)]
    pub conv1: usize,
    #[config(default = 128)]
    pub conv2: usize,
    #[config(default = 1024)]
    pub hidden: usize,
    #[config(default = 0.25)]
    pub dropout_conv: f64,
    #[config(default = 0.5)]
    pub dropout_hidden: f64,
}

#[derive(Module, Debug)]
pub struct Teacher {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    dropout_conv: Dropout,
    fc1: Linear,
    dropout_hidden: Dropout,
    fc2: Linear,
    relu: Relu,
}

impl TeacherConfig {
    pub fn init(&self, device: &Device) -> Teacher {
        // 28 → conv 3x3 valid → 26 → pool → 13 → conv → 11 → pool (floor) → 5.
        let flat = self.conv2 * 5 * 5;
        Teacher {
            conv1: Conv2dConfig::new([1, self.conv1], [3, 3])
                .with_initializer(GLOROT)
                .init(device),
            conv2: Conv2dConfig::new([self.conv1, self.conv2], [3, 3])
                .with_initializer(GLOROT)
                .init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout_conv: DropoutConfig::new(self.dropout_conv).init(),
            fc1: LinearConfig::new(flat, self.hidden)
                .with_initializer(GLOROT)
                .init(device),
            dropout_hidden: DropoutConfig::new(self.dropout_hidden).init(),
            fc2: LinearConfig::new(self.hidden, self.classes)
                .with_initializer(GLOROT)
                .init(device),
            relu: Relu::new(),
        }
    }
}

impl Teacher {
    /// `[batch, 784]` → `[batch, classes]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        self.head(self.hint(images))
    }

    /// `[batch, 1024]` hint-layer outputs → `[batch, classes]`: dropout, the output layer. With
    /// a cached hint layer the logits need no second pass through the convolutions.
    pub fn head(&self, hint: Tensor<2>) -> Tensor<2> {
        dense::forward(&self.fc2, dropout::forward(&self.dropout_hidden, hint))
    }

    /// `[batch, 784]` → `[batch, 1024]`: the dense layer after its ReLU, FitNets' hint layer.
    pub fn hint(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let x = images.reshape([batch, 1, 28, 28]);
        let x = dropout::forward(&self.dropout_conv, self.block1(x)); // [B, 64, 13, 13]
        let x = self.relu.forward(self.conv2(x)); // [B, 128, 11, 11]
        let x = dropout::forward(&self.dropout_conv, self.pool(x)); // [B, 128, 5, 5]
        let x = x.flatten(1, 3); // [B, 3200]
        self.relu.forward(dense::forward(&self.fc1, x)) // [B, 1024]
    }

    /// Units of the hint layer.
    pub fn hint_width(&self) -> usize {
        self.fc1.weight.dims()[1]
    }

    /// `[B, 1, 28, 28]` → `[B, 64, 13, 13]`: conv 3x3 (→ `[B, 64, 26, 26]`), ReLU, max pool;
    /// on the CPU in one pass that never writes the convolution's output (`conv_relu_pool`).
    fn block1(&self, x: Tensor<4>) -> Tensor<4> {
        if on_cpu(&x.device())
            && conv_relu_pool::applies(&self.conv1, &self.pool)
            && let Some(y) = conv_relu_pool::forward(&self.conv1, x.clone())
        {
            return y;
        }
        self.pool(self.relu.forward(self.conv1(x)))
    }

    /// `[B, 1, 28, 28]` → `[B, 64, 26, 26]`; on the CPU as a matrix product (`single_channel_conv`).
    fn conv1(&self, x: Tensor<4>) -> Tensor<4> {
        if on_cpu(&x.device()) && single_channel_conv::applies(&self.conv1) {
            single_channel_conv::forward(&self.conv1, x)
        } else if patch_conv::wanted(&x.device()) && patch_conv::applies(&self.conv1) {
            patch_conv::forward(&self.conv1, x, Kernel::Tiled, patch_conv::MAX_PATCH_BYTES)
        } else {
            self.conv1.forward(x)
        }
    }

    /// `[B, 64, 13, 13]` → `[B, 128, 11, 11]`; in training on the CPU with its weight gradient as
    /// matrix products (`multi_channel_conv`).
    fn conv2(&self, x: Tensor<4>) -> Tensor<4> {
        if on_cpu(&x.device()) && multi_channel_conv::applies(&self.conv2) {
            multi_channel_conv::forward(&self.conv2, x)
        } else if patch_conv::wanted(&x.device()) && patch_conv::applies(&self.conv2) {
            patch_conv::forward(&self.conv2, x, Kernel::Tiled, patch_conv::MAX_PATCH_BYTES)
        } else {
            self.conv2.forward(x)
        }
    }

    /// `[B, C, H, W]` → `[B, C, H / 2, W / 2]`; on the CPU as plain loops (`max_pool`).
    fn pool(&self, x: Tensor<4>) -> Tensor<4> {
        if on_cpu(&x.device()) && max_pool::applies(&self.pool) {
            max_pool::forward(&self.pool, x)
        } else {
            self.pool.forward(x)
        }
    }
}

impl Classifier for Teacher {
    fn logits(&self, images: Tensor<2>) -> Tensor<2> {
        self.forward(images)
    }
}
