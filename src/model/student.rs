//! The student MLP of the Keras study: flatten → dense 512 relu → dropout .2 → dense C.
//! For C = 26: 415,258 parameters (401,920 + 13,338).

use super::teacher::GLOROT;
use super::{Classifier, dense, dropout};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;

#[derive(Config, Debug)]
pub struct StudentConfig {
    pub classes: usize,
    #[config(default = 512)]
    pub hidden: usize,
    #[config(default = 0.2)]
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct Student {
    fc1: Linear,
    dropout: Dropout,
    fc2: Linear,
    relu: Relu,
}

impl StudentConfig {
    pub fn init(&self, device: &Device) -> Student {
        Student {
            fc1: LinearConfig::new(28 * 28, self.hidden)
                .with_initializer(GLOROT)
                .init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc2: LinearConfig::new(self.hidden, self.classes)
                .with_initializer(GLOROT)
                .init(device),
            relu: Relu::new(),
        }
    }
}

impl Student {
    /// `[batch, 784]` → `[batch, classes]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        self.head(self.hidden(images))
    }

    /// `[batch, 784]` → `[batch, 512]`: the hidden layer after its ReLU (FitNets' guided layer).
    pub fn hidden(&self, images: Tensor<2>) -> Tensor<2> {
        self.relu.forward(dense::forward(&self.fc1, images))
    }

    /// `[batch, 512]` hidden units → `[batch, classes]`: dropout, then the output layer.
    pub fn head(&self, hidden: Tensor<2>) -> Tensor<2> {
        dense::forward(&self.fc2, dropout::forward(&self.dropout, hidden))
    }

    /// Hidden units.
    pub fn width(&self) -> usize {
        self.fc1.weight.dims()[1]
    }
}

impl Classifier for Student {
    fn logits(&self, images: Tensor<2>) -> Tensor<2> {
        self.forward(images)
    }
}
