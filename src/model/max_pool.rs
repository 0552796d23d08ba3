//! 2x2, stride-2 max pooling on the CPU, forward and backward, as two loops over the planes.
//!
//! The CPU backend's `max_pool2d` walks every window with generic bounds and strides and keeps
//! the argmax as integer tensor indices; its backward scatters through them the same way
//! (`distill bench --layers` times both on the teacher's first pool, `[256, 64, 26, 26]` →
//! `[256, 64, 13, 13]`: docs/PERFORMANCE.md).
//! A window is four values in two rows, so here each output row reads two input rows once, the
//! argmax is one byte (which of the four), and the backward writes each gradient back to its one
//! position.
//!
//! Only on burn's CPU backend (`Flex`, with or without autodiff) and for layers [`applies`]
//! accepts; on a GPU the layer's own `forward` runs. A window holding NaN pools to NaN, as
//! burn's does, so a diverging run still shows a NaN loss.

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, TensorMetadata};
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

/// `[B, C, H, W]` → `[B, C, H / 2, W / 2]` (floor), the same as `pool.forward(x)`, with its own
/// backward pass under autodiff; off the CPU backend it is `pool.forward(x)`.
pub fn forward(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    if height < 2 || width < 2 {
        return pool.forward(x); // no window: burn's layer says what is wrong
    }
    if x.device().is_autodiff() {
        if let Ok(x) = x.clone().try_into_primitive::<Autodiff<Flex>>() {
            let (x, node) = x.into_parts();
            let y = match PoolBackward
                .prepare::<NoCheckpointing>([node])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let (y, argmax) = pooled(&x, true);
                    let shape = x.shape().dims::<4>();
                    prep.finish(State { shape, argmax }, y)
                }
                // Nothing upstream needs a gradient: no argmax to keep.
                OpsKind::UnTracked(prep) => prep.finish(pooled(&x, false).0),
            };
            return Tensor::from_primitive::<Autodiff<Flex>>(y);
        }
    } else if let Ok(x) = x.clone().try_into_primitive::<Flex>() {
        return Tensor::from_primitive::<Flex>(pooled(&x, false).0);
    }
    pool.forward(x)
}

/// `x [B, C, H, W]` → (`[B, C, H / 2, W / 2]`, which of each window's four values was the
/// largest: 0 top left, 1 top right, 2 bottom left, 3 bottom right; empty unless `keep_argmax`).
fn pooled(x: &FlexTensor, keep_argmax: bool) -> (FlexTensor, Vec<u8>) {
    let [batch, channels, height, width] = x.shape().dims::<4>();
    let (oh, ow) = (height / 2, width / 2);
    let x = x.to_contiguous();
    let x = x
        .as_slice::<f32>()
        .expect("the CPU backend computes in f32");
    let outputs = batch * channels * oh * ow;
    let mut y = Vec::with_capacity(outputs);
    let mut argmax = Vec::with_capacity(if keep_argmax { outputs } else { 0 });
    for plane in x.chunks_exact(height * width) {
        // The selects below compile without branches (a branch per comparison mispredicts on
        // random activations, docs/PERFORMANCE.md); they would drop a NaN that shares its window with numbers, so a plane
        // holding one takes the careful path.
        let careful = plane.iter().fold(false, |nan, v| nan | v.is_nan());
        // An odd last row or column belongs to no window (floor mode).
        for rows in plane.chunks_exact(2 * width).take(oh) {
            let (top, bottom) = rows.split_at(width);
            for (t, b) in top.chunks_exact(2).zip(bottom.chunks_exact(2)).take(ow) {
                let (best, at) = if careful {
                    nan_wins([t[0], t[1], b[0], b[1]])
                } else {
                    let (m0, i0) = if t[1] > t[0] { (t[1], 1) } else { (t[0], 0) };
                    let (m1, i1) = if b[1] > b[0] { (b[1], 3) } else { (b[0], 2) };
                    if m1 > m0 { (m1, i1) } else { (m0, i0) }
                };
                y.push(best);
                if keep_argmax {
                    argmax.push(at);
                }
            }
        }
    }
    let y = TensorData::new(y, [batch, channels, oh, ow]);
    (
        primitive(Tensor::<4>::from_data(y, &Device::flex())),
        argmax,
    )
}

/// The largest of a window and where it is, a NaN winning over any number.
fn nan_wins(window: [f32; 4]) -> (f32, u8) {
    let (mut best, mut at) = (window[0], 0);
    for (k, &v) in window.iter().enumerate().skip(1) {
        if v > best || v.is_nan() && !best.is_nan() {
            (best, at) = (v, k as u8);
        }
    }
    (best, at)
}

/// What the backward pass needs: the input's shape and each window's argmax.
#[derive(Clone, Debug)]
struct State {
    shape: [usize; 4],
    argmax: Vec<u8>,
}

#[derive(Debug)]
struct PoolBackward;

impl Backward<Flex, 1> for PoolBackward {
    type State = State;

    fn backward(self, ops: Ops<State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let Some(node) = node else { return };
        let State { shape, argmax } = ops.state;
        let [batch, channels, height, width] = shape;
        let (oh, ow) = (height / 2, width / 2);
        let dy = dy.to_contiguous();
        let dy = dy
            .as_slice::<f32>()
            .expect("the CPU backend computes in f32");
        // dX is zero except where each window's maximum was.
        let mut dx = vec![0.0f32; batch * channels * height * width];
        let windows = dy.chunks_exact(oh * ow).zip(argmax.chunks_exact(oh * ow));
        for (plane, (dy, argmax)) in dx.chunks_exact_mut(height * width).zip(windows) {
            for (i, rows) in plane.chunks_exact_mut(2 * width).take(oh).enumerate() {
                let (dy, argmax) = (&dy[i * ow..][..ow], &argmax[i * ow..][..ow]);
                for (j, (&g, &at)) in dy.iter().zip(argmax).enumerate() {
                    let at = at as usize;
                    rows[(at / 2) * width + 2 * j + at % 2] = g;
                }
            }
        }
        let dx = Tensor::<4>::from_data(TensorData::new(dx, shape), &Device::flex());
        grads.register::<Flex>(node.id, primitive(dx));
    }
}

fn primitive(t: Tensor<4>) -> FlexTensor {
    t.try_into_primitive::<Flex>()
        .expect("a tensor made on the CPU backend is a Flex tensor")
}
