//! The forward loops of the teacher's first block on the CPU ([`super::conv_relu_pool`]): the
//! sizes of a call, and each pooled output computed from its window's four convolution values,
//! a few channels at a time in SIMD lanes, with one byte per output saying which value won.

use burn::backend::flex::FlexTensor;
use burn::backend::{Flex, TensorMetadata};
use burn::prelude::*;

use crate::parallel;

/// Channels computed together: two 4-lane (SSE, wasm SIMD) or one 8-lane (AVX) vector of
/// accumulators, which the compiler keeps in registers.
pub(super) const LANES: usize = 8;
/// The argmax byte of an output the ReLU zeroed: no gradient passes.
pub(super) const ZEROED: u8 = 4;

/// The sizes of one call: input `[batch, 1, height, width]`, kernel `k`x`k`, `out` channels,
/// pooled output `[batch, out, ph, pw]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    pub(super) batch: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) k: usize,
    pub(super) out: usize,
    pub(super) ph: usize,
    pub(super) pw: usize,
}

impl Dims {
    pub(super) fn of(x: &FlexTensor, weight: &FlexTensor) -> Dims {
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
    pub(super) fn window_taps(&self, image: &[f32], py: usize, px: usize, taps: &mut [f32]) {
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
pub(super) fn pooled(
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

/// A contiguous CPU tensor's values, in order.
pub(super) fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("the CPU backend computes in f32")
}

pub(super) fn flex<const D: usize>(data: TensorData) -> FlexTensor {
    Tensor::<D>::from_data(data, &Device::flex())
        .try_into_primitive::<Flex>()
        .expect("a tensor made on the CPU backend is a Flex tensor")
}
