//! A register-tiled matmul for the cubecl backend: each invocation keeps an 8 × 8 block of the
//! output in registers and, per step along `k`, reads two 4-wide vectors of `lhsᵀ` (its 8 rows)
//! and two of `rhs` (its 8 columns) for 64 multiply-adds — 4 vectors read per 64
//! multiply-adds, where cubek's naive kernel reads 2 per 4. No shared memory and no barriers.
//! On the software adapters here (SwiftShader, llvmpipe) it is several times faster than any of
//! cubek's kernels; whether it beats them on an adapter is measured there (`dense::pick`;
//! docs/results/matmul-kernels.json).
//!
//! Operands are laid out for it first: `lhsᵀ [k, m]` and `rhs [k, n]` contiguous (a copy only
//! where they are not already), zero-padded to multiples of 8 in `m` and `n`; the padding's
//! rows and columns of the output are sliced off.

use burn::backend::Cube;
use burn::backend::DType;
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::tensor::Slice;
use burn_cubecl::kernel::into_contiguous;
use cubecl::ir::{ElemType, FloatKind};
use cubecl::prelude::*;
use cubecl::std::tensor::TensorHandle;

/// Rows and columns of the output one invocation computes.
const TILE: usize = 8;
/// Invocations per workgroup along each axis (8 × 8 = 64).
const GROUP: u32 = 8;
/// The most workgroups a dispatch may have along one axis (WebGPU's default limit).
const MAX_GROUPS: usize = 65_535;

/// `out [m, n] = lhs_t [k, m]ᵀ · rhs [k, n]`, all contiguous, `m` and `n` multiples of 8, as
/// 4-wide vectors: `m4 = m / 4`, `n4 = n / 4`. Invocation (x, y) computes rows `8y..8y + 8`
/// and columns `8x..8x + 8`.
#[cube(launch)]
fn tiled_8x8<N: Size>(
    lhs_t: &[Vector<f32, N>],
    rhs: &[Vector<f32, N>],
    out: &mut [Vector<f32, N>],
    m4: usize,
    n4: usize,
    k: usize,
) {
    let col = ABSOLUTE_POS_X as usize * 2;
    let row = ABSOLUTE_POS_Y as usize * 2;
    if col >= n4 || row >= m4 {
        terminate!();
    }
    // acc[2i + j]: output row 4·row + i (i < 4) or 4·(row + 1) + i − 4, columns of vector
    // col + j.
    let mut acc = Array::<Vector<f32, N>>::new(16usize);
    #[unroll]
    for i in 0..16usize {
        acc[i] = Vector::<f32, N>::new(0.0);
    }
    for kk in 0..k {
        let a = lhs_t[kk * m4 + row];
        let a2 = lhs_t[kk * m4 + row + 1];
        let x = rhs[kk * n4 + col];
        let y = rhs[kk * n4 + col + 1];
        #[unroll]
        for i in 0..4usize {
            let s = Vector::new(a.extract(i));
            acc[i * 2] += s * x;
            acc[i * 2 + 1] += s * y;
            let t = Vector::new(a2.extract(i));
            acc[8 + i * 2] += t * x;
            acc[8 + i * 2 + 1] += t * y;
        }
    }
    let r = row * 4;
    #[unroll]
    for i in 0..8usize {
        out[(r + i) * n4 + col] = acc[i * 2];
        out[(r + i) * n4 + col + 1] = acc[i * 2 + 1];
    }
}

/// `t [rows, cols]` contiguous, widened with zeros to `[rows, cols8]`.
fn padded(t: FloatTensor<Cube>, cols8: usize) -> FloatTensor<Cube> {
    let [rows, cols] = [t.meta.shape[0], t.meta.shape[1]];
    if cols == cols8 {
        return t;
    }
    let zeros = Cube::float_zeros([rows, cols8].into(), &t.device, DType::F32.into());
    Cube::float_slice_assign(zeros, &[Slice::from(0..rows), Slice::from(0..cols)], t)
}

/// A contiguous f32 tensor as a kernel's buffer argument.
fn buffer(t: FloatTensor<Cube>) -> BufferArg {
    let len = t.meta.shape.num_elements();
    TensorHandle::new_contiguous([len], t.handle, ElemType::Float(FloatKind::F32))
        .binding()
        .into_buffer_arg()
}

/// `lhs [m, k] · rhs [k, n]` (f32, rank 2, any strides); burn's own matmul where the output
/// is too large for one dispatch or a dimension is 0.
pub fn matmul(lhs: FloatTensor<Cube>, rhs: FloatTensor<Cube>) -> FloatTensor<Cube> {
    let (m, k, n) = (lhs.meta.shape[0], lhs.meta.shape[1], rhs.meta.shape[1]);
    let (m8, n8) = (m.next_multiple_of(TILE), n.next_multiple_of(TILE));
    let groups = |len: usize| (len / TILE).div_ceil(GROUP as usize);
    if groups(m8) > MAX_GROUPS || groups(n8) > MAX_GROUPS || m == 0 || k == 0 || n == 0 {
        return Cube::float_matmul(lhs, rhs);
    }
    let lhs_t = padded(into_contiguous(Cube::float_transpose(lhs)), m8);
    let rhs = padded(into_contiguous(rhs), n8);
    let out = Cube::float_empty([m8, n8].into(), &rhs.device, DType::F32.into());
    let client = out.client.clone();
    tiled_8x8::launch(
        &client,
        CubeCount::Static(groups(n8) as u32, groups(m8) as u32, 1),
        CubeDim::new_2d(GROUP, GROUP),
        4,
        buffer(lhs_t),
        buffer(rhs),
        buffer(out.clone()),
        m8 / 4,
        n8 / 4,
        k,
    );
    if (m8, n8) == (m, n) {
        out
    } else {
        Cube::float_slice(out, &[Slice::from(0..m), Slice::from(0..n)])
    }
}
