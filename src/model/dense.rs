//! The dense layers' matmuls on a GPU, through the matmul kernel measured fastest on the
//! adapter (issue 31, item 3). burn's `matmul` always launches cubek's `Strategy::Auto` ("simple
//! unit" on an adapter without tensor cores). The candidates: that, two other cubek kernels,
//! and our register-tiled one (`tiled_matmul`), which on both software adapters here does the
//! student's matmuls several times faster than any of cubek's (docs/PERFORMANCE.md,
//! docs/results/matmul-kernels.json); a real GPU may favour cubek's. So [`pick`] times them on
//! the adapter once, and [`forward`] runs a `Linear` through the winner — burn's own
//! `Linear::forward` where that is `Auto` or the device is the CPU, so the CPU path and any
//! adapter where burn's kernel wins are exactly what they were. Where the tiled kernel wins,
//! the teacher's convolutions run on it too (`patch_conv`).
//!
//! The operation is a backend extension (burn's `#[backend_extension]`): on the cubecl
//! backend it launches the chosen kernel; on flex it is `float_matmul`; under autodiff its
//! backward pass is the two matmuls of a matmul's gradient, through the same kernel.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, binary};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::nn::Linear;
use burn::prelude::*;
use std::sync::Mutex;

/// A matmul kernel that needs no tensor cores: cubek's or ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// What burn's `matmul` launches.
    Auto,
    /// One invocation per output element, reading global memory directly.
    Naive,
    /// The tiled routine cubek tuned for its CPU runtime.
    CpuGemm,
    /// Ours: an 8 × 8 block of the output per invocation, in registers (`tiled_matmul`).
    Tiled,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [Kernel::Auto, Kernel::Naive, Kernel::CpuGemm, Kernel::Tiled];

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Naive => "naive",
            Kernel::CpuGemm => "cpu gemm",
            Kernel::Tiled => "tiled 8×8",
        }
    }

    /// The extension passes a kernel as `Kernel as u8`; back on the cubecl side.
    #[cfg(any(feature = "wgpu", feature = "webgpu"))]
    fn from_u8(k: u8) -> Kernel {
        match k {
            1 => Kernel::Naive,
            2 => Kernel::CpuGemm,
            3 => Kernel::Tiled,
            _ => Kernel::Auto,
        }
    }
}

/// What [`pick`] measured on this process's GPU device (a worker or the CLI opens at most
/// one): each candidate's seconds, `None` where it was not timed. Empty until then, and so
/// `Auto`.
static MEASURED: Mutex<Vec<(Kernel, Option<f64>)>> = Mutex::new(Vec::new());

/// The fastest timed candidate; `Auto` when none was.
fn fastest(times: &[(Kernel, Option<f64>)]) -> Kernel {
    times
        .iter()
        .filter_map(|&(k, s)| s.map(|s| (k, s)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(Kernel::Auto, |(k, _)| k)
}

/// The kernel the dense layers run on a GPU device.
pub fn chosen() -> Kernel {
    MEASURED.lock().map_or(Kernel::Auto, |m| fastest(&m))
}

/// "dense layers' matmul: tiled 8×8 (auto … ms, naive … ms, cpu gemm … ms, tiled 8×8 … ms)",
/// once [`pick`] has run on this process's GPU device; empty before.
pub fn measured() -> String {
    let Ok(times) = MEASURED.lock() else {
        return String::new();
    };
    if times.is_empty() {
        return String::new();
    }
    let each: Vec<String> = times
        .iter()
        .map(|(k, s)| match s {
            Some(s) => format!("{} {:.0} ms", k.name(), 1e3 * s),
            None => format!(
                "{} not timed (its first launch was over 4× the fastest)",
                k.name()
            ),
        })
        .collect();
    format!(
        "dense layers' matmul: {} ({})",
        fastest(&times).name(),
        each.join(", ")
    )
}

/// The kernel to launch for a matmul on `device`: the [`chosen`] one on a GPU, `None` (burn's
/// own matmul) on the CPU or while that is `Auto`.
pub fn kernel_on(device: &Device) -> Option<Kernel> {
    Some(chosen()).filter(|&k| k != Kernel::Auto && !super::on_cpu(device))
}

#[backend_extension(Cube: cfg(any(feature = "wgpu", feature = "webgpu")), Flex, Autodiff)]
pub trait KernelMatmul: Backend {
    /// `lhs [m, k] · rhs [k, n]` through `kernel` (`Kernel as u8`).
    fn kernel_matmul(
        lhs: FloatTensor<Self>,
        rhs: FloatTensor<Self>,
        kernel: u8,
    ) -> FloatTensor<Self>;
}

impl KernelMatmul for Flex {
    fn kernel_matmul(
        lhs: FloatTensor<Self>,
        rhs: FloatTensor<Self>,
        _kernel: u8,
    ) -> FloatTensor<Self> {
        Self::float_matmul(lhs, rhs)
    }
}

#[cfg(any(feature = "wgpu", feature = "webgpu"))]
impl KernelMatmul for burn::backend::Cube {
    fn kernel_matmul(
        lhs: FloatTensor<Self>,
        rhs: FloatTensor<Self>,
        kernel: u8,
    ) -> FloatTensor<Self> {
        cube::matmul(lhs, rhs, Kernel::from_u8(kernel))
    }
}

/// The backward pass: `d lhs = grad · rhsᵀ`, `d rhs = lhsᵀ · grad`, as burn's matmul has them
/// (the same operands in the same order), each through the forward's kernel.
#[derive(Debug)]
struct KernelMatmulBackward;

impl<B: Backend + KernelMatmul> Backward<B, 2> for KernelMatmulBackward {
    /// The operands each gradient needs (`None` where the other side is not tracked), and the
    /// kernel.
    type State = (Option<FloatTensor<B>>, Option<FloatTensor<B>>, u8);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (lhs, rhs, kernel) = ops.state;
        binary::<B, _, _>(
            ops.parents,
            ops.node,
            grads,
            |grad| B::kernel_matmul(grad, B::float_transpose(rhs.expect("rhs kept")), kernel),
            |grad| B::kernel_matmul(B::float_transpose(lhs.expect("lhs kept")), grad, kernel),
        );
    }
}

impl<B: Backend + KernelMatmul, C: CheckpointStrategy> KernelMatmul for Autodiff<B, C> {
    fn kernel_matmul(
        lhs: FloatTensor<Self>,
        rhs: FloatTensor<Self>,
        kernel: u8,
    ) -> FloatTensor<Self> {
        let (lhs_tracked, rhs_tracked) = (lhs.is_tracked(), rhs.is_tracked());
        match KernelMatmulBackward
            .prepare::<C>([lhs.node(), rhs.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (l, r) = (lhs.into_primitive(), rhs.into_primitive());
                let state = (
                    rhs_tracked.then(|| l.clone()),
                    lhs_tracked.then(|| r.clone()),
                    kernel,
                );
                prep.finish(state, B::kernel_matmul(l, r, kernel))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::kernel_matmul(
                lhs.into_primitive(),
                rhs.into_primitive(),
                kernel,
            )),
        }
    }
}

/// `lhs [m, k] · rhs [k, n]` through `kernel`, differentiable.
pub fn matmul(lhs: Tensor<2>, rhs: Tensor<2>, kernel: Kernel) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as KernelMatmul>::kernel_matmul(
        lhs.into_dispatch(),
        rhs.into_dispatch(),
        kernel as u8,
    ))
}

/// `lhs · rhs` as the dense layers run it on this device ([`kernel_on`]).
pub fn chosen_matmul(lhs: Tensor<2>, rhs: Tensor<2>) -> Tensor<2> {
    match kernel_on(&lhs.device()) {
        Some(k) => matmul(lhs, rhs, k),
        None => lhs.matmul(rhs),
    }
}

/// `layer`'s forward pass, `x [batch, in] · W [in, out] + b`, with the matmul on the
/// [`chosen`] kernel on a GPU; burn's own `Linear::forward` on the CPU or while it is `Auto`.
pub fn forward(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    let Some(kernel) = kernel_on(&x.device()) else {
        return layer.forward(x);
    };
    let y = matmul(x, layer.weight.val(), kernel);
    match &layer.bias {
        Some(b) => y + b.val().unsqueeze_dim(0),
        None => y,
    }
}

/// Each candidate's seconds for `lhs [256, 784] · rhs [784, 512]` (the student's largest
/// matmul, at the study's batch) on `device`, after one untimed launch that compiles it; a
/// candidate whose first launch took over four times the fastest one's is not timed again
/// (`None`). Then the dense layers use the fastest ([`chosen`], returned). On the CPU: nothing
/// measured, nothing chosen. `clock`: seconds, from the shell.
pub async fn pick(device: &Device, clock: &dyn Fn() -> f64) -> Result<Kernel, String> {
    if super::on_cpu(device) {
        return Ok(Kernel::Auto);
    }
    let device = device.clone().without_autodiff();
    let lhs = Tensor::<2>::random([256, 784], burn::tensor::Distribution::Default, &device);
    let rhs = Tensor::<2>::random([784, 512], burn::tensor::Distribution::Default, &device);
    let (lhs, rhs) = (&lhs, &rhs);
    let run = |k| async move {
        let t0 = clock();
        let out = matmul(lhs.clone(), rhs.clone(), k).sum();
        let d = out.into_data_async().await.map_err(|e| format!("{e:?}"))?;
        // Natively the data's bytes may still be on their way: taking the value waits for them.
        match d.iter::<f32>().next() {
            Some(v) if v.is_finite() => Ok(clock() - t0),
            v => Err(format!("the {} matmul gave {v:?}", k.name())),
        }
    };
    let mut times = Vec::new();
    let mut fastest_first = f64::INFINITY;
    for k in Kernel::ALL {
        let first = run(k).await?;
        fastest_first = fastest_first.min(first);
        let timed = if first > 4.0 * fastest_first {
            None
        } else {
            Some(run(k).await?)
        };
        times.push((k, timed));
    }
    let best = fastest(&times);
    if let Ok(mut m) = MEASURED.lock() {
        *m = times;
    }
    Ok(best)
}

#[cfg(any(feature = "wgpu", feature = "webgpu"))]
mod cube {
    //! The launch on the cubecl backend: cubek's `launch_ref` with the kernel's strategy, or
    //! the tiled kernel.
    use super::Kernel;
    use burn::backend::Cube;
    use burn::backend::DType;
    use burn::backend::ops::FloatTensorOps;
    use burn::backend::tensor::FloatTensor;
    use cubecl::ir::{ElemType, FloatKind};
    use cubek::matmul::definition::MatmulElems;
    use cubek::matmul::launch::launch_ref;
    use cubek::matmul::strategy::Strategy;
    use cubek::std::InputBinding;

    /// cubek's strategy for one of its kernels; `None` for ours.
    fn strategy(kernel: Kernel) -> Option<Strategy> {
        match kernel {
            Kernel::Auto => Some(Strategy::Auto),
            Kernel::Naive => Some(cubek::matmul::multi_level::Strategy::Naive.into()),
            Kernel::CpuGemm => {
                Some(cubek::matmul::tiled::Strategy::CpuGemm(Default::default()).into())
            }
            Kernel::Tiled => None,
        }
    }

    pub fn matmul(
        lhs: FloatTensor<Cube>,
        rhs: FloatTensor<Cube>,
        kernel: Kernel,
    ) -> FloatTensor<Cube> {
        let (l, r) = (lhs.meta.shape.clone(), rhs.meta.shape.clone());
        // Only f32 operands of rank 2 take the picked kernel; anything else is burn's matmul.
        if kernel == Kernel::Auto
            || lhs.dtype != DType::F32
            || rhs.dtype != DType::F32
            || l.num_dims() != 2
        {
            return Cube::float_matmul(lhs, rhs);
        }
        let Some(strategy) = strategy(kernel) else {
            return crate::model::tiled_matmul::matmul(lhs, rhs);
        };
        let out = Cube::float_empty([l[0], r[1]].into(), &lhs.device, DType::F32.into());
        let elem = ElemType::Float(FloatKind::F32);
        let client = out.client.clone();
        let launched = launch_ref(
            &strategy,
            &client,
            InputBinding::Normal(lhs.clone().binding(), elem),
            InputBinding::Normal(rhs.clone().binding(), elem),
            out.clone().binding(),
            &mut MatmulElems::from_single_dtype(elem),
        );
        match launched {
            Ok(()) => out,
            // A kernel this adapter cannot set up for these operands: burn's own.
            Err(_) => Cube::float_matmul(lhs, rhs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    /// The extension's forward and backward on flex (what CI can run): the same values and
    /// gradients as burn's matmul, whatever kernel is asked for.
    #[test]
    fn matches_burns_matmul_and_its_gradients() {
        let device = Device::flex().autodiff();
        let x = Tensor::<2>::random([8, 5], Distribution::Default, &device).require_grad();
        let w = Tensor::<2>::random([5, 3], Distribution::Default, &device).require_grad();
        let theirs = x.clone().matmul(w.clone());
        let g1 = (theirs.clone() * theirs.clone()).sum().backward();
        for k in Kernel::ALL {
            let ours = matmul(x.clone(), w.clone(), k);
            ours.clone()
                .into_data()
                .assert_eq(&theirs.clone().into_data(), true);
            let g2 = (ours.clone() * ours).sum().backward();
            for t in [&x, &w] {
                let (a, b) = (t.grad(&g1).unwrap(), t.grad(&g2).unwrap());
                a.into_data().assert_eq(&b.into_data(), true);
            }
        }
    }

    /// An untracked operand gets no gradient and the tracked one still does.
    #[test]
    fn gradient_flows_to_the_tracked_side_only() {
        let device = Device::flex().autodiff();
        let x = Tensor::<2>::random([4, 6], Distribution::Default, &device);
        let w = Tensor::<2>::random([6, 2], Distribution::Default, &device).require_grad();
        let g = matmul(x.clone(), w.clone(), Kernel::Naive).sum().backward();
        let expected = x
            .clone()
            .transpose()
            .matmul(Tensor::<2>::ones([4, 2], &device));
        w.grad(&g)
            .unwrap()
            .into_data()
            .assert_eq(&expected.inner().into_data(), true);
        assert!(x.grad(&g).is_none());
    }
}
