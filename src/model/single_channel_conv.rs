//! The teacher's first convolution (one input channel) as a batched matrix product, on the CPU.
//!
//! With a single input channel a 3x3 convolution's inner dimension is 9, which the CPU backend's
//! convolution handles badly, and its weight gradient goes through burn's generic fallback (a
//! convolution with the batch as channels and a 26x26 kernel); `distill bench --layers` times
//! both (docs/PERFORMANCE.md). The patches are small (9 × 676 values per image,
//! 6 MB per batch), so building them costs little. Same parameters as the `Conv2d` it stands in
//! for, so saved weights are unchanged; on a GPU the layer's own kernel runs.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

/// Whether `conv` is a layer this handles: one input channel, stride 1, no dilation, no padding,
/// one group.
pub fn applies(conv: &Conv2d) -> bool {
    let [_, channels_in, _, _] = conv.weight.dims();
    channels_in == 1
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(conv.padding, PaddingConfig2d::Valid)
}

/// `[B, 1, H, W]` → `[B, O, H - k + 1, W - k + 1]`, the same as `conv.forward(x)`.
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [batch, _, height, width] = x.dims();
    let [out, _, kh, kw] = conv.weight.dims();
    let (oh, ow) = (height - kh + 1, width - kw + 1);
    // patches[b, i·kw + j, y·ow + x] = x[b, 0, y + i, x + j]: [B, kh·kw, oh·ow], row order
    // matching the weight's [O, 1, kh, kw] flattened to [O, kh·kw].
    let shifted = (0..kh)
        .flat_map(|i| (0..kw).map(move |j| (i, j)))
        .map(|(i, j)| {
            x.clone()
                .slice([0..batch, 0..1, i..i + oh, j..j + ow])
                .reshape([batch, 1, oh * ow])
        })
        .collect();
    let patches = Tensor::cat(shifted, 1);
    let weight = conv.weight.val().reshape([1, out, kh * kw]); // [1, O, k²], broadcast over B
    let y = weight.matmul(patches); // [B, O, oh·ow]
    let y = match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, out, 1]),
        None => y,
    };
    y.reshape([batch, out, oh, ow])
}
