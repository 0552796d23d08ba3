//! A valid, stride-1 convolution on a GPU as one matrix product through the dense layers'
//! measured kernel (issue 31): where that is the register-tiled one (`dense::Kernel::Tiled`),
//! burn's direct convolution and its transposed-convolution input gradient are several times
//! slower on the same adapter (docs/PERFORMANCE.md).
//!
//!   Pᵀ [C·k·k, B·OH·OW],  Pᵀ[(c, i, j), (b, y, x)] = X[b, c, y + i, x + j]
//!   Y [B·OH·OW, O] = P · Wᵀ,  W [O, C·k·k] (the weight, reshaped)
//!
//! built from tensor operations (k·k shifted slices of the input, stacked), so autodiff
//! differentiates it: the input gradient is the slices' gradients summed back, the weight
//! gradient `Pᵀ · dY` through the same kernel. The same parameters as the `Conv2d` it stands in
//! for; the CPU path never comes here.

use super::dense::{self, Kernel};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

/// Whether `conv` is one this computes: stride 1, no padding or dilation, one group, square.
pub fn applies(conv: &Conv2d) -> bool {
    let [_, _, kh, kw] = conv.weight.dims();
    conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && kh == kw
        && matches!(conv.padding, PaddingConfig2d::Valid)
}

/// Whether the convolutions on `device` go through [`forward`]: on a GPU whose dense layers
/// run the register-tiled kernel.
pub fn wanted(device: &Device) -> bool {
    dense::kernel_on(device) == Some(Kernel::Tiled)
}

/// The most bytes one patch matrix may take: a batch whose patches would need more is
/// convolved a slice of images at a time (at the page's largest batch the second layer's
/// patches would be 571 MB, beside a GPU's limit on one buffer and its memory).
pub const MAX_PATCH_BYTES: usize = 64 << 20;

/// `[B, C, H, W]` → `[B, O, H - k + 1, W - k + 1]`, the same as `conv.forward(x)` for a layer
/// [`applies`] accepts, through `kernel`; at most `max_bytes` of patches at a time
/// ([`MAX_PATCH_BYTES`] in the models).
pub fn forward(conv: &Conv2d, x: Tensor<4>, kernel: Kernel, max_bytes: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let [_, _, k, _] = conv.weight.dims();
    let per_image = c * k * k * (h + 1 - k) * (w + 1 - k) * size_of::<f32>();
    let chunk = (max_bytes / per_image.max(1)).clamp(1, b.max(1));
    if chunk >= b {
        return images(conv, x, kernel);
    }
    let parts = (0..b)
        .step_by(chunk)
        .map(|s| {
            images(
                conv,
                x.clone().slice([s..(s + chunk).min(b), 0..c, 0..h, 0..w]),
                kernel,
            )
        })
        .collect();
    Tensor::cat(parts, 0)
}

/// [`forward`] for images whose patches are built at once.
fn images(conv: &Conv2d, x: Tensor<4>, kernel: Kernel) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let [o, _, k, _] = conv.weight.dims();
    let (oh, ow) = (h + 1 - k, w + 1 - k);
    let taps = (0..k * k)
        .map(|t| {
            let (i, j) = (t / k, t % k);
            x.clone()
                .slice([0..b, 0..c, i..i + oh, j..j + ow])
                .unsqueeze_dim::<5>(2)
        })
        .collect();
    let patches_t = Tensor::cat(taps, 2) // [B, C, k·k, OH, OW]
        .permute([1, 2, 0, 3, 4]) // [C, k·k, B, OH, OW]
        .reshape([c * k * k, b * oh * ow]);
    let weight_t = conv.weight.val().reshape([o, c * k * k]).transpose(); // [C·k·k, O]
    let y = dense::matmul(patches_t.transpose(), weight_t, kernel) // [B·OH·OW, O]
        .reshape([b, oh, ow, o])
        .permute([0, 3, 1, 2]); // [B, O, OH, OW]
    match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, o, 1, 1]),
        None => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Distribution;

    /// On flex (the extension's matmul is burn's there): the values and every gradient of
    /// burn's own convolution, for the teacher's two layers' shapes.
    #[test]
    fn matches_burns_convolution_and_its_gradients() {
        let device = Device::flex().autodiff();
        for (channels_in, channels_out, side) in [(1, 8, 12), (6, 5, 9)] {
            let conv = Conv2dConfig::new([channels_in, channels_out], [3, 3]).init(&device);
            assert!(applies(&conv));
            let x =
                Tensor::<4>::random([3, channels_in, side, side], Distribution::Default, &device)
                    .require_grad();
            let theirs = conv.forward(x.clone());
            let g1 = (theirs.clone() * theirs.clone()).sum().backward();
            let weight = conv.weight.val();
            let bias = conv.bias.as_ref().unwrap().val();
            // Whole, then one image's patches at a time (three slices).
            for max_bytes in [MAX_PATCH_BYTES, 1] {
                let ours = forward(&conv, x.clone(), Kernel::Tiled, max_bytes);
                ours.clone()
                    .into_data()
                    .assert_approx_eq::<f32>(&theirs.clone().into_data(), Default::default());
                let g2 = (ours.clone() * ours).sum().backward();
                for t in [&x, &weight] {
                    let (a, b) = (t.grad(&g1).unwrap(), t.grad(&g2).unwrap());
                    b.into_data()
                        .assert_approx_eq::<f32>(&a.into_data(), Default::default());
                }
                let (a, b) = (bias.grad(&g1).unwrap(), bias.grad(&g2).unwrap());
                b.into_data()
                    .assert_approx_eq::<f32>(&a.into_data(), Default::default());
            }
        }
    }

    #[test]
    fn applies_to_valid_stride_one_convolutions_only() {
        let device = Device::flex();
        assert!(applies(&Conv2dConfig::new([2, 3], [3, 3]).init(&device)));
        let strided = Conv2dConfig::new([2, 3], [3, 3]).with_stride([2, 2]);
        assert!(!applies(&strided.init(&device)));
        let padded = Conv2dConfig::new([2, 3], [3, 3]).with_padding(PaddingConfig2d::Same);
        assert!(!applies(&padded.init(&device)));
    }
}
