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

use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, TensorMetadata};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;

use crate::parallel;

/// Channels computed together: two 4-lane (SSE, wasm SIMD) or one 8-lane (AVX) vector of
/// accumulators, which the compiler keeps in registers.
const LANES: usize = 8;
/// The argmax byte of an output the ReLU zeroed: no gradient passes.
const ZEROED: u8 = 4;

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

/// The sizes of one call: input `[batch, 1, height, width]`, kernel `k`x`k`, `out` channels,
/// pooled output `[batch, out, ph, pw]`.
#[derive(Clone, Copy, Debug)]
struct Dims {
    batch: usize,
    height: usize,
    width: usize,
    k: usize,
    out: usize,
    ph: usize,
    pw: usize,
}

impl Dims {
    fn of(x: &FlexTensor, weight: &FlexTensor) -> Dims {
        let [batch, _, height, width] = x.shape().dims::<4>();
        let [out, _, k, _] = weight.shape().dims::<4>();
        // The convolution's output, which the pool halves (floor).
        let (oh, ow) = (height - k + 1, width - k + 1);
        Dims {
            batch,
            height,
            width,
            k,
            out,
            ph: oh / 2,
            pw: ow / 2,
        }
    }

    /// The input pixels under pooled output `(py, px)`'s four convolution values, interleaved:
    /// `taps[t·4 + at]` is tap `t = i·k + j` of value `at` (0 top left, 1 top right, 2 bottom
    /// left, 3 bottom right), i.e. pixel `(2·py + at / 2 + i, 2·px + at % 2 + j)`. Element by
    /// element: a `copy_from_slice` of three values is a call to `memcpy` in wasm.
    fn window_taps(&self, image: &[f32], py: usize, px: usize, taps: &mut [f32]) {
        for at in 0..4 {
            let (y, x) = (2 * py + at / 2, 2 * px + at % 2);
            for i in 0..self.k {
                let row = &image[(y + i) * self.width + x..][..self.k];
                for (j, &v) in row.iter().enumerate() {
                    taps[(i * self.k + j) * 4 + at] = v;
                }
            }
        }
    }
}

/// Forward: (`y [B, O, PH, PW]`, per output which of its window's four convolution values won —
/// 0 top left, 1 top right, 2 bottom left, 3 bottom right — or [`ZEROED`]; empty unless
/// `keep_argmax`).
fn pooled(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    keep_argmax: bool,
) -> (FlexTensor, Vec<u8>) {
    let d = Dims::of(x, weight);
    let (x, weight, bias) = (
        x.to_contiguous(),
        weight.to_contiguous(),
        bias.to_contiguous(),
    );
    let (x, weight, bias) = (values(&x), values(&weight), values(&bias));
    let taps_n = d.k * d.k;
    // Weights as [k·k, O'] and the bias as [O'], O' = O rounded up to whole lanes (the extra
    // channels are zeros, computed and dropped): a tap's weights for a group of channels are
    // one contiguous run.
    let groups = d.out.div_ceil(LANES);
    let padded = groups * LANES;
    let mut w_t = vec![0.0f32; taps_n * padded];
    for (o, taps) in weight.chunks_exact(taps_n).enumerate() {
        for (t, &w) in taps.iter().enumerate() {
            w_t[t * padded + o] = w;
        }
    }
    let mut b = vec![0.0f32; padded];
    b[..d.out].copy_from_slice(bias);

    let per_image = d.out * d.ph * d.pw;
    let mut y = vec![0.0f32; d.batch * per_image];
    let mut argmax = vec![0u8; d.batch * per_image];
    let images: Vec<_> = x
        .chunks_exact(d.height * d.width)
        .zip(
            y.chunks_exact_mut(per_image)
                .zip(argmax.chunks_exact_mut(per_image)),
        )
        .collect();
    let lanes = Lanes { w_t, bias: b };
    parallel::map(images, |(image, (y, argmax))| {
        pool_image(&d, &lanes, image, y, argmax)
    });
    if !keep_argmax {
        argmax = Vec::new();
    }
    let shape = [d.batch, d.out, d.ph, d.pw];
    (flex::<4>(TensorData::new(y, shape)), argmax)
}

/// The weights as [`pooled`] lays them out: `w_t [k·k, O']`, `bias [O']`.
struct Lanes {
    w_t: Vec<f32>,
    bias: Vec<f32>,
}

/// One image `[H, W]` → its outputs `y [O, PH, PW]` and their winners (as [`pooled`]).
fn pool_image(d: &Dims, lanes: &Lanes, image: &[f32], y: &mut [f32], argmax: &mut [u8]) {
    let taps_n = d.k * d.k;
    let padded = lanes.bias.len();
    let plane = d.ph * d.pw;
    // taps[t·4 + at]: tap `t` of the window's value `at` (`Dims::window_taps`).
    let mut taps = vec![0.0f32; 4 * taps_n];
    for py in 0..d.ph {
        for px in 0..d.pw {
            d.window_taps(image, py, px, &mut taps);
            let pos = py * d.pw + px;
            for g in 0..padded / LANES {
                let (best, won) = window_max(
                    &taps,
                    &lanes.w_t[g * LANES..],
                    padded,
                    &lanes.bias[g * LANES..],
                );
                for l in 0..LANES.min(d.out - g * LANES) {
                    let o = g * LANES + l;
                    // ReLU, keeping a NaN (as burn's does: only `v < 0` becomes 0); burn's
                    // ReLU passes no gradient where its output is <= 0.
                    let v = best[l];
                    y[o * plane + pos] = if v < 0.0 { 0.0 } else { v };
                    argmax[o * plane + pos] = if v <= 0.0 { ZEROED } else { won[l] };
                }
            }
        }
    }
}

/// For one group of `LANES` channels: the largest of the four window values (`bias + Σ w·tap`)
/// and which of the four it was. `taps[t·4 + at]` is tap `t` of window value `at`; `w_t` starts
/// at the group's first channel, a tap's weights `stride` apart. A NaN wins and stays.
#[inline(always)] // a call per group returning arrays through memory is 3x slower in wasm
fn window_max(
    taps: &[f32],
    w_t: &[f32],
    stride: usize,
    bias: &[f32],
) -> ([f32; LANES], [u8; LANES]) {
    let bias: [f32; LANES] = bias[..LANES].try_into().expect("LANES values");
    // The four window values side by side: four independent chains of multiply-adds for the
    // CPU to overlap (one chain at a time would wait on each add's latency).
    let mut acc = [bias; 4];
    for (t, v) in taps.chunks_exact(4).enumerate() {
        let w = &w_t[t * stride..][..LANES];
        for (acc, &v) in acc.iter_mut().zip(v) {
            for l in 0..LANES {
                acc[l] += w[l] * v;
            }
        }
    }
    let mut best = [f32::NEG_INFINITY; LANES];
    let mut won = [0u8; LANES];
    for (at, acc) in acc.iter().enumerate() {
        for l in 0..LANES {
            // Selects, not branches; `acc != acc` is NaN, which then no number replaces
            // (`v > NaN` is false).
            #[allow(clippy::eq_op)]
            let take = acc[l] > best[l] || acc[l] != acc[l];
            best[l] = if take { acc[l] } else { best[l] };
            won[l] = if take { at as u8 } else { won[l] };
        }
    }
    (best, won)
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

/// A contiguous CPU tensor's values, in order.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("the CPU backend computes in f32")
}

fn flex<const D: usize>(data: TensorData) -> FlexTensor {
    Tensor::<D>::from_data(data, &Device::flex())
        .try_into_primitive::<Flex>()
        .expect("a tensor made on the CPU backend is a Flex tensor")
}
