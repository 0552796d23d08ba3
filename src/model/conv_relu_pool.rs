//! The teacher's first block — conv 1 → 64 3x3, ReLU, 2x2 max pool — as one pass on the CPU.
//!
//! Run layer by layer, the block writes the convolution's output (`[B, 64, 26, 26]`), reads and
//! writes it again for the ReLU, and once more for the pool, which keeps a quarter of it; in
//! training each layer's backward pass does the same in reverse. Yet the arithmetic is small
//! (9 multiply-adds per output). Here each pooled output
//! is computed where it is needed: the four convolution values of its window (all channels at
//! once, a few at a time in SIMD lanes), their maximum, the bias and the ReLU, so only the
//! pooled `[B, 64, 13, 13]` is ever written, with one byte per output saying which of the four
//! won (or that the ReLU zeroed it). The backward pass then touches only those winners: the
//! weight and bias gradients are 9 multiply-adds per window value, kept where it won.
//! `distill bench --layers` times it against burn's three layers (docs/PERFORMANCE.md).
//!
//! `relu(pool(z))` is `pool(relu(z))` in values and gradients: both are increasing, so the
//! window's largest value is the same, and a window whose largest value is not positive passes
//! no gradient either way. A NaN wins its window and passes the ReLU, as in burn's layers, so a
//! diverging run still shows a NaN loss.
//!
//! Only on burn's CPU backend (`Flex`, with or without autodiff) and for the layers [`applies`]
//! accepts; the same parameters as the `Conv2d` it stands in for, so saved weights are
//! unchanged. Anywhere else the caller runs the three layers.

use burn::backend::Autodiff;
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;

use super::conv_relu_pool_forward::{Dims, LANES, ZEROED, flex, pooled, values};
use crate::parallel;

type FlexAd = Autodiff<Flex>;

/// Whether `conv` then `pool` is a block this computes: a single-input-channel convolution
/// ([`super::single_channel_conv::applies`]) with a bias, then a 2x2 stride-2 pool
/// ([`super::max_pool::applies`]).
pub fn applies(conv: &Conv2d, pool: &MaxPool2d) -> bool {
    super::single_channel_conv::applies(conv)
        && conv.bias.is_some()
        && super::max_pool::applies(pool)
}

/// `[B, 1, H, W]` → `[B, O, (H - k + 1) / 2, (W - k + 1) / 2]`: `relu(pool(conv(x)))`, the
/// same as the three layers, with its own backward pass under autodiff. `None` where the
/// tensors are not all on burn's CPU backend (with or without autodiff) or the shapes do not
/// fit, so the caller runs the layers (which say what is wrong with a shape).
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Option<Tensor<4>> {
    let [_, channels, height, width] = x.dims();
    let [_, _, kh, kw] = conv.weight.dims();
    if channels != 1 || kh != kw || height < kh + 1 || width < kw + 1 {
        return None;
    }
    let weight = conv.weight.val();
    let bias = conv.bias.as_ref()?.val();
    if x.device().is_autodiff() {
        let x = x.try_into_primitive::<FlexAd>().ok()?;
        let weight = weight.try_into_primitive::<FlexAd>().ok()?;
        let bias = bias.try_into_primitive::<FlexAd>().ok()?;
        let (x, x_node) = x.into_parts();
        let (weight, weight_node) = weight.into_parts();
        let (bias, bias_node) = bias.into_parts();
        let y = match BlockBackward
            .prepare::<NoCheckpointing>([x_node, weight_node, bias_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, argmax) = pooled(&x, &weight, &bias, true);
                prep.finish(State { x, weight, argmax }, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(pooled(&x, &weight, &bias, false).0),
        };
        Some(Tensor::from_primitive::<FlexAd>(y))
    } else {
        let x = x.try_into_primitive::<Flex>().ok()?;
        let weight = weight.try_into_primitive::<Flex>().ok()?;
        let bias = bias.try_into_primitive::<Flex>().ok()?;
        let y = pooled(&x, &weight, &bias, false).0;
        Some(Tensor::from_primitive::<Flex>(y))
    }
}

/// What the backward pass needs: the input, the weights (for the input's gradient) and each
/// output's winner.
#[derive(Clone, Debug)]
struct State {
    x: FlexTensor,
    weight: FlexTensor,
    argmax: Vec<u8>,
}

#[derive(Debug)]
struct BlockBackward;

impl Backward<Flex, 3> for BlockBackward {
    type State = State;

    fn backward(self, ops: Ops<State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let State { x, weight, argmax } = ops.state;
        let d = Dims::of(&x, &weight);
        let (dy, x, weight) = (
            dy.to_contiguous(),
            x.to_contiguous(),
            weight.to_contiguous(),
        );
        let (dy, x, weight) = (values(&dy), values(&x), values(&weight));
        // Images in a fixed number of parts, each part's gradient sums added in order after.
        let image = d.height * d.width;
        let per_part = d.batch.div_ceil(PARTS);
        let per_image = d.out * d.ph * d.pw;
        let mut dx = vec![0.0f32; if node_x.is_some() { x.len() } else { 0 }];
        let parts = d.batch.div_ceil(per_part);
        let dx_parts: Vec<&mut [f32]> = if dx.is_empty() {
            (0..parts).map(|_| <&mut [f32]>::default()).collect()
        } else {
            dx.chunks_mut(per_part * image).collect()
        };
        let parts: Vec<_> = x
            .chunks(per_part * image)
            .zip(dy.chunks(per_part * per_image))
            .zip(argmax.chunks(per_part * per_image))
            .zip(dx_parts)
            .collect();
        let sums = parallel::map(parts, |(((x, dy), argmax), dx)| {
            part_grads(&d, weight, x, dy, argmax, dx)
        });
        let (mut dw, mut db) = (vec![0.0f32; d.out * d.k * d.k], vec![0.0f32; d.out]);
        for (part_dw, part_db) in sums {
            dw.iter_mut().zip(part_dw).for_each(|(a, b)| *a += b);
            db.iter_mut().zip(part_db).for_each(|(a, b)| *a += b);
        }
        if let Some(node) = node_x {
            let shape = [d.batch, 1, d.height, d.width];
            grads.register::<Flex>(node.id, flex::<4>(TensorData::new(dx, shape)));
        }
        if let Some(node) = node_weight {
            let shape = [d.out, 1, d.k, d.k];
            grads.register::<Flex>(node.id, flex::<4>(TensorData::new(dw, shape)));
        }
        if let Some(node) = node_bias {
            grads.register::<Flex>(node.id, flex::<1>(TensorData::new(db, [d.out])));
        }
    }
}

/// How many parts the backward pass splits a batch into: enough for the cores to share, and
/// fixed, so the order of the sums is too.
const PARTS: usize = 8;

/// The gradients from some images: (`dW [O, k·k]`, `db [O]`) summed over them, and `dx` (their
/// input gradient, or empty when nothing needs it) written. Only the winners carry a gradient:
/// dZ at a window's winning position is dY there.
fn part_grads(
    d: &Dims,
    weight: &[f32],
    x: &[f32],
    dy: &[f32],
    argmax: &[u8],
    dx: &mut [f32],
) -> (Vec<f32>, Vec<f32>) {
    let taps_n = d.k * d.k;
    let plane = d.ph * d.pw;
    let image = d.height * d.width;
    let groups = d.out.div_ceil(LANES);
    let padded = groups * LANES;
    // Sums as [k·k, O'] (as the forward pass lays out the weights), the bias's as [O'].
    let mut dw_t = vec![0.0f32; taps_n * padded];
    let mut db = vec![0.0f32; padded];
    // One image's dY and winners transposed to [position, O'], a lost window's dY zero, so the
    // channels of a group are side by side as in the forward pass.
    let mut g_t = vec![0.0f32; plane * padded];
    let mut won_t = vec![0u8; plane * padded];
    let mut taps = vec![0.0f32; 4 * taps_n];
    for (n, pixels) in x.chunks_exact(image).enumerate() {
        let at = n * d.out * plane;
        let (dy, argmax) = (&dy[at..][..d.out * plane], &argmax[at..][..d.out * plane]);
        for (o, (dy, won)) in dy
            .chunks_exact(plane)
            .zip(argmax.chunks_exact(plane))
            .enumerate()
        {
            for (pos, (&g, &won)) in dy.iter().zip(won).enumerate() {
                g_t[pos * padded + o] = if won == ZEROED { 0.0 } else { g };
                won_t[pos * padded + o] = won;
            }
        }
        for py in 0..d.ph {
            for px in 0..d.pw {
                d.window_taps(pixels, py, px, &mut taps);
                let pos = py * d.pw + px;
                for group in 0..groups {
                    let lanes = pos * padded + group * LANES;
                    let g: &[f32; LANES] = g_t[lanes..][..LANES].try_into().expect("LANES");
                    let won: &[u8; LANES] = won_t[lanes..][..LANES].try_into().expect("LANES");
                    window_grads(&taps, g, won, &mut dw_t[group * LANES..], padded);
                    for l in 0..LANES {
                        db[group * LANES + l] += g[l];
                    }
                }
            }
        }
        if !dx.is_empty() {
            input_grad(
                d,
                weight,
                &g_t,
                &won_t,
                padded,
                &mut dx[n * image..][..image],
            );
        }
    }
    let mut dw = vec![0.0f32; d.out * taps_n];
    for (t, row) in dw_t.chunks_exact(padded).enumerate() {
        for o in 0..d.out {
            dw[o * taps_n + t] = row[o];
        }
    }
    db.truncate(d.out);
    (dw, db)
}

/// For one group of `LANES` channels at one pooled position: `dW` (from `dw_t`, a tap's sums
/// `stride` apart) += each channel's `g` times the taps of its winning window value. Selects
/// instead of branches, as in [`window_max`].
#[inline(always)]
fn window_grads(
    taps: &[f32],
    g: &[f32; LANES],
    won: &[u8; LANES],
    dw_t: &mut [f32],
    stride: usize,
) {
    let mut by = [[0.0f32; LANES]; 4];
    for (at, by) in by.iter_mut().enumerate() {
        for l in 0..LANES {
            by[l] = if won[l] == at as u8 { g[l] } else { 0.0 };
        }
    }
    for (t, v) in taps.chunks_exact(4).enumerate() {
        let dw = &mut dw_t[t * stride..][..LANES];
        for (by, &v) in by.iter().zip(v) {
            for l in 0..LANES {
                dw[l] += by[l] * v;
            }
        }
    }
}

/// One image's input gradient `dx [H, W]`: each winner's `g` spread over its window by the
/// weights `[O, k·k]`. Only when the input itself needs a gradient (never in the teacher: its
/// input is the data).
fn input_grad(d: &Dims, weight: &[f32], g_t: &[f32], won_t: &[u8], padded: usize, dx: &mut [f32]) {
    let taps_n = d.k * d.k;
    for pos in 0..d.ph * d.pw {
        for o in 0..d.out {
            let (g, won) = (g_t[pos * padded + o], won_t[pos * padded + o] as usize);
            if g == 0.0 {
                continue;
            }
            let y = 2 * (pos / d.pw) + won / 2;
            let x = 2 * (pos % d.pw) + won % 2;
            let w = &weight[o * taps_n..][..taps_n];
            for i in 0..d.k {
                for j in 0..d.k {
                    dx[(y + i) * d.width + x + j] += g * w[i * d.k + j];
                }
            }
        }
    }
}
