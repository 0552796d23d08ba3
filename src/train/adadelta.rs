//! Adadelta (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method", algorithm 1), with
//! Keras' defaults and its learning-rate multiplier — burn has no Adadelta. Per parameter:
//!
//! ```text
//! E[g²] ← ρ·E[g²] + (1−ρ)·g²
//! Δ     ← sqrt(E[Δ²] + ε) / sqrt(E[g²] + ε) · g
//! E[Δ²] ← ρ·E[Δ²] + (1−ρ)·Δ²
//! w     ← w − lr·Δ
//! ```

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

impl AdadeltaConfig {
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(Adadelta {
            rho: self.rho,
            epsilon: self.epsilon,
        })
    }
}
