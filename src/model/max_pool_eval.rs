//! 2x2, stride-2 max pooling for inference on the CPU, as a reshape and two max reductions.
//!
//! The CPU backend's `max_pool2d` walks every window with generic bounds and records the argmax
//! even when nothing will use it: 41.9 ms for the teacher's first pool at batch 256
//! (`[256, 64, 26, 26]`) against 23.3 ms this way (`distill bench --layers`). Only without
//! autodiff: in training burn's layer keeps the indices its
//! backward needs, and the max reductions' own backward is far slower.

use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;

/// Whether `pool` is a layer this computes: 2x2 windows, stride 2, no padding or dilation,
/// floor mode.
pub fn applies(pool: &MaxPool2d) -> bool {
    pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && matches!(pool.padding, PaddingConfig2d::Valid)
}

/// `[B, C, H, W]` → `[B, C, H / 2, W / 2]` (floor), the same as `pool.forward(x)`.
pub fn forward(x: Tensor<4>) -> Tensor<4> {
    let [batch, channels, height, width] = x.dims();
    let (oh, ow) = (height / 2, width / 2);
    // An odd last row or column belongs to no window (floor mode).
    let x = if height % 2 == 1 || width % 2 == 1 {
        x.slice([0..batch, 0..channels, 0..2 * oh, 0..2 * ow])
    } else {
        x
    };
    // [B·C·oh, 2 (row in window), ow, 2 (column in window)]
    x.reshape([batch * channels * oh, 2, ow, 2])
        .max_dim(3)
        .max_dim(1)
        .reshape([batch, channels, oh, ow])
}
