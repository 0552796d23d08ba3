//! A valid, stride-1 convolution over many channels (the teacher's second, `[B, 64, 13, 13]` →
//! `[B, 128, 11, 11]`) in training on the CPU, with its weight gradient as matrix products.
//!
//! burn's autodiff takes a convolution's weight gradient from the backend's generic fallback: a
//! convolution of the input with the output gradient as its kernel and the batch as channels
//! (here an 11x11 kernel over 256 channels with a 3x3 output), which the CPU backend runs far
//! below its matrix kernel's speed. Here the forward pass and the input gradient stay burn's, and
//! the weight gradient is built from the patch matrix of a few images at a time:
//!
//!   P [C·k·k, n·OH·OW],  P[(c, i, j), (b, y, x)] = X[b, c, y + i, x + j]
//!   dW [O, C·k·k] += dY [O, n·OH·OW] × Pᵀ          (dY transposed once from [B, O, OH, OW])
//!
//! 4.6 GFLOP at batch 256, at the matrix kernel's speed; a row of `P` is runs of `OW` values
//! copied from `X`'s rows, so building it is cheap beside the products. The patches are rebuilt
//! in chunks of at most 32 MB rather than held whole from the forward pass (which would be
//! 568 MB at the page's largest batch): the browser's worker has little heap to spare
//! (`distill bench --layers` and the heap figures: docs/PERFORMANCE.md).
//!
//! Only under autodiff on burn's CPU backend (`Autodiff<Flex>`) and for layers [`applies`]
//! accepts; the same parameters as the `Conv2d` it stands in for, so saved weights are
//! unchanged. Anywhere else (inference, a GPU) the layer's own `forward` runs.

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ModuleOps;
use burn::backend::{Autodiff, TensorMetadata};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::ops::ConvOptions;

use crate::parallel;

/// The CPU backend with autodiff as the dispatch layer holds it for `Device::flex().autodiff()`
/// (no gradient checkpointing).
type FlexAd = Autodiff<Flex>;

/// Whether `conv` is a layer this handles: stride 1, no dilation, no padding, one group, a bias.
pub fn applies(conv: &Conv2d) -> bool {
    conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && conv.bias.is_some()
        && matches!(conv.padding, PaddingConfig2d::Valid)
}

/// `[B, C, H, W]` → `[B, O, H - k + 1, W - k + 1]`, the same as `conv.forward(x)`, recorded
/// with its own backward pass where `x` and the parameters live on `Autodiff<Flex>`; anywhere
/// else (inference, a GPU) it is `conv.forward(x)`.
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [_, channels, height, width] = x.dims();
    let [_, channels_in, kh, kw] = conv.weight.dims();
    if channels != channels_in || height < kh || width < kw || kh != kw {
        return conv.forward(x); // burn's layer checks the shapes and says what is wrong
    }
    let weight = conv.weight.val();
    let bias = conv
        .bias
        .as_ref()
        .expect("applies() checked the bias")
        .val();
    let parts = (
        x.clone().try_into_primitive::<FlexAd>(),
        weight.try_into_primitive::<FlexAd>(),
        bias.try_into_primitive::<FlexAd>(),
    );
    let (Ok(x_ad), Ok(weight), Ok(bias)) = parts else {
        return conv.forward(x);
    };
    let (x, x_node) = x_ad.into_parts();
    let (weight, weight_node) = weight.into_parts();
    let (bias, bias_node) = bias.into_parts();
    let y = Flex::conv2d(x.clone(), weight.clone(), Some(bias), options());
    let y = match ConvBackward
        .prepare::<NoCheckpointing>([x_node, weight_node, bias_node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(State { x, weight }, y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    Tensor::from_primitive::<FlexAd>(y)
}

fn options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [0, 0], [1, 1], 1)
}

/// What the backward pass needs: the layer's input and weights (what burn's own layer keeps).
#[derive(Clone, Debug)]
struct State {
    x: FlexTensor,
    weight: FlexTensor,
}

#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    type State = State;

    fn backward(self, ops: Ops<State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let State { x, weight } = ops.state;
        let [out, _, k, _] = weight.shape().dims::<4>();
        if let Some(node) = node_x {
            let dx = Flex::conv2d_x_backward(x.clone(), weight, dy.clone(), options());
            grads.register::<Flex>(node.id, dx);
        }
        // dY [B, O, OH, OW] → [O, B·OH·OW]: the pixel order of P's columns, and the bias
        // gradient is its row sums.
        let [batch, _, oh, ow] = dy.shape().dims::<4>();
        let dy = Tensor::<4>::from_primitive::<Flex>(dy)
            .swap_dims(0, 1)
            .reshape([out, batch * oh * ow]);
        if let Some(node) = node_bias {
            let db = dy.clone().sum_dim(1).reshape([out]);
            grads.register::<Flex>(node.id, primitive(db));
        }
        if let Some(node) = node_weight {
            let dw = weight_grad(&x, dy, k);
            grads.register::<Flex>(node.id, primitive(dw));
        }
    }
}

/// `x [B, C, H, W]`, `dY [O, B·OH·OW]` → `dW [O, C, k, k]`, summing `dY Pᵀ` over chunks of
/// images whose patch matrix holds at most [`PATCH_VALUES`] (120 of the teacher's images: a
/// batch of 256 goes in three chunks of 86, 86 and 84).
fn weight_grad(x: &FlexTensor, dy: Tensor<2>, k: usize) -> Tensor<4> {
    let [batch, channels, height, width] = x.shape().dims::<4>();
    let [out, _] = dy.dims();
    let (oh, ow) = (height - k + 1, width - k + 1);
    let image = height * width * channels;
    let per_image = channels * k * k * oh * ow; // values of P per image
    let chunks = batch.div_ceil((PATCH_VALUES / per_image).max(1));
    let chunk = batch.div_ceil(chunks);
    let x = x.to_contiguous();
    let x = x
        .as_slice::<f32>()
        .expect("the CPU backend computes in f32");
    let mut dw = Tensor::<2>::zeros([out, channels * k * k], &Device::flex());
    for first in (0..batch).step_by(chunk) {
        let n = chunk.min(batch - first);
        let images = &x[first * image..(first + n) * image];
        let patches = patches(images, [n, channels, height, width], k);
        let patches = Tensor::<2>::from_data(
            TensorData::new(patches, [channels * k * k, n * oh * ow]),
            &Device::flex(),
        );
        let dy = dy.clone().narrow(1, first * oh * ow, n * oh * ow);
        dw = dw + dy.matmul(patches.transpose());
    }
    dw.reshape([out, channels, k, k])
}

/// How many values one patch matrix of [`weight_grad`] holds at most (32 MB of f32).
const PATCH_VALUES: usize = 8 << 20;

fn primitive<const D: usize>(t: Tensor<D>) -> FlexTensor {
    t.try_into_primitive::<Flex>()
        .expect("a tensor computed on the CPU backend is a Flex tensor")
}

/// `x [B, C, H, W]` (contiguous) → `P [C·k·k, B·OH·OW]` as in the module comment: row `(c, i, j)`
/// is, for each image and output row `y`, the `OW` values `x[b, c, y + i, j..j + OW]`. Each
/// channel's `k·k` rows are built on their own (on the cores natively).
fn patches(x: &[f32], [batch, channels, height, width]: [usize; 4], k: usize) -> Vec<f32> {
    let (oh, ow) = (height - k + 1, width - k + 1);
    let plane = height * width;
    let mut out = vec![0.0f32; channels * k * k * batch * oh * ow];
    let rows: Vec<_> = out
        .chunks_mut(k * k * batch * oh * ow)
        .enumerate()
        .collect();
    parallel::map(rows, |(c, rows)| {
        let mut runs = rows.chunks_exact_mut(ow);
        for i in 0..k {
            for j in 0..k {
                for b in 0..batch {
                    let plane = &x[(b * channels + c) * plane..][..plane];
                    for y in 0..oh {
                        let run = runs.next().expect("k·k·B·OH runs of OW");
                        run.copy_from_slice(&plane[(y + i) * width + j..][..ow]);
                    }
                }
            }
        }
    });
    out
}
