//! Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", algorithm 1), with
//! Keras' defaults and its learning-rate multiplier — burn has no Adadelta. Per parameter:
//!
//! ```text
//! E[g²] ← ρ·E[g²] + (1−ρ)·g²
//! Δ     ← sqrt(E[Δ²] + ε) / sqrt(E[g²] + ε) · g
//! E[Δ²] ← ρ·E[Δ²] + (1−ρ)·Δ²
//! w     ← w − lr·Δ
//! ```
//!
//! As tensor operations that is fifteen passes over each parameter (the teacher's dense layer
//! has 3.3 M). On the CPU backend the step is one loop instead ([`fused`]): the same arithmetic
//! in the same order, updating the three buffers in place, with no new allocation per step
//! (timings: docs/PERFORMANCE.md).

use crate::parallel;
use burn::backend::Flex;
use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::prelude::*;

#[derive(Config, Debug)]
pub struct AdadeltaConfig {
    /// Decay of the running averages (Keras: 0.95).
    #[config(default = 0.95)]
    pub rho: f32,
    /// Keras' epsilon (1e-7).
    #[config(default = 1e-7)]
    pub epsilon: f32,
}

#[derive(Clone)]
pub struct Adadelta {
    rho: f32,
    epsilon: f32,
}

/// Running averages of squared gradients and squared updates, one pair per parameter.
#[derive(Clone)]
pub struct AdadeltaState<const D: usize> {
    grad_sq: Tensor<D>,
    delta_sq: Tensor<D>,
}

impl<const D: usize> RecordState for AdadeltaState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "grad_sq", self.grad_sq.clone().into_data());
        out.push_tensor(prefix, "delta_sq", self.delta_sq.clone().into_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        Some(AdadeltaState {
            grad_sq: Tensor::from_data(src.take_tensor(prefix, "grad_sq")?, device),
            delta_sq: Tensor::from_data(src.take_tensor(prefix, "delta_sq")?, device),
        })
    }
}

impl Optimizer for Adadelta {
    type State<const D: usize> = AdadeltaState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let (rho, eps) = (self.rho, self.epsilon);
        let (grad_sq, delta_sq) = match state {
            Some(s) => (s.grad_sq, s.delta_sq),
            None => (grad.zeros_like(), grad.zeros_like()),
        };
        if fusable([&tensor, &grad, &grad_sq, &delta_sq]) {
            let (tensor, grad_sq, delta_sq) =
                fused(rho, eps, lr as f32, tensor, &grad, grad_sq, delta_sq);
            return (tensor, Some(AdadeltaState { grad_sq, delta_sq }));
        }
        let grad_sq = grad_sq.mul_scalar(rho) + grad.clone().square().mul_scalar(1.0 - rho);
        let delta =
            delta_sq.clone().add_scalar(eps).sqrt() / grad_sq.clone().add_scalar(eps).sqrt() * grad;
        let delta_sq = delta_sq.mul_scalar(rho) + delta.clone().square().mul_scalar(1.0 - rho);
        let tensor = tensor - delta.mul_scalar(lr);
        (tensor, Some(AdadeltaState { grad_sq, delta_sq }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        AdadeltaState {
            grad_sq: state.grad_sq.to_device(device),
            delta_sq: state.delta_sq.to_device(device),
        }
    }
}

/// Whether [`fused`] can take a step with these tensors: all four the CPU backend's, in f32,
/// the same number of values (not on a GPU, nor under autodiff).
pub fn fusable<const D: usize>(tensors: [&Tensor<D>; 4]) -> bool {
    let n = tensors[0].shape().num_elements();
    tensors.into_iter().all(|t| {
        t.dtype() == burn::tensor::DType::F32
            && t.shape().num_elements() == n
            && t.clone().try_into_primitive::<Flex>().is_ok()
    })
}

/// The step as one loop over the values, updating `w`, `E[g²]` and `E[Δ²]` where they lie
/// (their buffers are taken over when nothing else holds them): (`w`, `E[g²]`, `E[Δ²]`) after
/// the step. Only for tensors [`fusable`] accepts. Natively the values are split over the cores
/// in fixed blocks.
pub fn fused<const D: usize>(
    rho: f32,
    eps: f32,
    lr: f32,
    w: Tensor<D>,
    g: &Tensor<D>,
    grad_sq: Tensor<D>,
    delta_sq: Tensor<D>,
) -> (Tensor<D>, Tensor<D>, Tensor<D>) {
    let shape = w.shape();
    let owned = |t: Tensor<D>| {
        t.into_data()
            .try_into_vec::<f32>()
            .expect("fusable() checked for f32")
    };
    let (mut w, mut gs, mut ds) = (owned(w), owned(grad_sq), owned(delta_sq));
    let g = g
        .clone()
        .try_into_primitive::<Flex>()
        .expect("fusable() checked for the CPU backend")
        .to_contiguous();
    let g = g.as_slice::<f32>().expect("fusable() checked for f32");
    let blocks: Vec<_> = w
        .chunks_mut(BLOCK)
        .zip(g.chunks(BLOCK))
        .zip(gs.chunks_mut(BLOCK).zip(ds.chunks_mut(BLOCK)))
        .collect();
    parallel::map(blocks, |((w, g), (gs, ds))| {
        // Zipped iterators, not indices: no bounds checks, so the loop compiles to SIMD.
        let values = w.iter_mut().zip(g).zip(gs.iter_mut().zip(ds.iter_mut()));
        for ((w, &g), (gs, ds)) in values {
            // As the tensor operations below compute it, operation for operation.
            *gs = *gs * rho + g * g * (1.0 - rho);
            let delta = (*ds + eps).sqrt() / (*gs + eps).sqrt() * g;
            *ds = *ds * rho + delta * delta * (1.0 - rho);
            *w -= delta * lr;
        }
    });
    let device = Device::flex();
    let tensor = |v: Vec<f32>| Tensor::<D>::from_data(TensorData::new(v, shape.clone()), &device);
    (tensor(w), tensor(gs), tensor(ds))
}

/// Values per block of [`fused`]'s loop (1 MB of each input).
const BLOCK: usize = 1 << 18;

impl AdadeltaConfig {
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(Adadelta {
            rho: self.rho,
            epsilon: self.epsilon,
        })
    }
}
