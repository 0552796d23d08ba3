//! Knowledge distillation: temperature softmax, entropy, and the two loss forms.
//!
//! - `keras` (the study's): `λ·CE(y, softmax(s)) + CE(softmax(t/T), softmax(s/T))`, no T².
//! - `hinton` (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network"):
//!   `(1−α)·CE(y, softmax(s)) + α·T²·KL(softmax(t/T) ‖ softmax(s/T))`. The soft term's gradient
//!   scales as 1/T², so T² keeps its weight roughly constant as T changes (section 2.1).
//!
//! The pure-`f32` helpers in [`probs`] carry no burn dependency: the UI uses them for the
//! temperature explorer, so it can re-soften logits at any T without asking the worker.

pub mod method;
pub mod probs;

pub use method::Method;

#[cfg(feature = "train")]
use burn::prelude::*;
#[cfg(feature = "train")]
use burn::tensor::activation::{log_softmax, softmax};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which distillation loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LossForm {
    /// The Keras study's: hard term weighted by λ, soft cross-entropy unweighted, no T².
    #[default]
    Keras,
    /// Hinton et al.: (1−α) hard + α·T² soft KL.
    Hinton,
}

impl LossForm {
    pub fn name(self) -> &'static str {
        match self {
            LossForm::Keras => "keras",
            LossForm::Hinton => "hinton",
        }
    }
}

impl fmt::Display for LossForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LossForm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "keras" => Ok(LossForm::Keras),
            "hinton" => Ok(LossForm::Hinton),
            _ => Err(format!("unknown loss '{s}'; expected keras or hinton")),
        }
    }
}

/// A distillation objective. `weight` is λ for `keras` and α for `hinton`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DistillConfig {
    pub form: LossForm,
    pub temperature: f32,
    pub weight: f32,
}

impl DistillConfig {
    /// The study's setting: keras form, T = 10, λ = 0.5.
    pub fn study() -> Self {
        DistillConfig {
            form: LossForm::Keras,
            temperature: 10.0,
            weight: 0.5,
        }
    }

    /// The loss written out with its numbers, for every printout and the page.
    pub fn describe(&self) -> String {
        let (t, w) = (short(self.temperature), short(self.weight));
        match self.form {
            LossForm::Keras => {
                format!("keras: {w}·CE(y, s) + CE(softmax(t/{t}), softmax(s/{t})) (no T²)")
            }
            LossForm::Hinton => format!(
                "hinton: {}·CE(y, s) + {w}·{t}²·KL(softmax(t/{t}) ‖ softmax(s/{t}))",
                short(1.0 - self.weight)
            ),
        }
    }
}

/// A setting as people write it: at most four decimals, no trailing zeros (`1 − 0.9` in f32 is
/// 0.100000024, shown as 0.1).
fn short(x: f32) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(feature = "train")]
/// `softmax(logits / t)` over classes. `[batch, classes]` → `[batch, classes]`.
pub fn softmax_t(logits: Tensor<2>, t: f32) -> Tensor<2> {
    softmax(logits.div_scalar(t), 1)
}

#[cfg(feature = "train")]
/// Mean cross-entropy of `logits` `[batch, classes]` against class indices `targets` `[batch]`.
/// Returns `[1]`.
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let logp = log_softmax(logits, 1);
    let picked = logp.gather(1, targets.reshape([batch, 1])); // [B, 1]
    picked.mean().neg()
}

#[cfg(feature = "train")]
/// mixup's label term: `−mean(w_own · log p_s(y) + w_other · log p_s(other))` for each image's
/// label `y` `[batch]` and the other image's `other` `[batch]`, weighted `[batch]` by their shares
/// of the view (`1 − share` and `share`, Zhang et al. 2018) — and by 0 for a sample without a
/// label. Returns `[1]`.
pub fn mixed_cross_entropy(
    logits: Tensor<2>,
    y: Tensor<1, Int>,
    other: Tensor<1, Int>,
    w_own: Tensor<1>,
    w_other: Tensor<1>,
) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let logp = log_softmax(logits, 1);
    let own = logp
        .clone()
        .gather(1, y.reshape([batch, 1]))
        .reshape([batch]); // [B]
    let theirs = logp.gather(1, other.reshape([batch, 1])).reshape([batch]); // [B]
    (own * w_own + theirs * w_other).mean().neg()
}

#[cfg(feature = "train")]
/// Mean soft cross-entropy `CE(softmax(t/T), softmax(s/T)) = −Σ p_t · log q_s`. Returns `[1]`.
pub fn soft_cross_entropy(student: Tensor<2>, teacher: Tensor<2>, t: f32) -> Tensor<1> {
    let [batch, _] = student.dims();
    let p = softmax_t(teacher, t);
    let logq = log_softmax(student.div_scalar(t), 1);
    (p * logq).sum().div_scalar(batch as f32).neg()
}

#[cfg(feature = "train")]
/// Mean `KL(softmax(t/T) ‖ softmax(s/T)) = Σ p_t · (log p_t − log q_s)`. Returns `[1]`.
pub fn kl_divergence(student: Tensor<2>, teacher: Tensor<2>, t: f32) -> Tensor<1> {
    let [batch, _] = student.dims();
    let logp = log_softmax(teacher.div_scalar(t), 1);
    let logq = log_softmax(student.div_scalar(t), 1);
    (logp.clone().exp() * (logp - logq))
        .sum()
        .div_scalar(batch as f32)
}

#[cfg(feature = "train")]
/// The distillation loss and its two terms (each `[1]`), as weighted in the total.
pub struct DistillLoss {
    pub total: Tensor<1>,
    pub hard: Tensor<1>,
    pub soft: Tensor<1>,
}

#[cfg(feature = "train")]
/// The distillation loss for `student` logits against cached `teacher` logits (both
/// `[batch, classes]`) and the true `targets` `[batch]`.
pub fn distill_loss(
    cfg: &DistillConfig,
    student: Tensor<2>,
    teacher: Tensor<2>,
    targets: Tensor<1, Int>,
) -> DistillLoss {
    let ce = cross_entropy(student.clone(), targets);
    weigh(cfg, ce, student, teacher)
}

#[cfg(feature = "train")]
/// [`distill_loss`] where only some samples carry labels: `labelled` `[batch]` is 1 for those
/// and 0 for the unlabelled transfer set (Hinton et al. 2015, section 3: soft targets on a
/// transfer set). The hard term is `Σ_i labelled_i · CE_i / batch`, so a labelled sample weighs
/// what it weighs in [`distill_loss`] and an unlabelled one adds only its soft term.
pub fn distill_loss_partly_labelled(
    cfg: &DistillConfig,
    student: Tensor<2>,
    teacher: Tensor<2>,
    targets: Tensor<1, Int>,
    labelled: Tensor<1>,
) -> DistillLoss {
    let [batch, _] = student.dims();
    let picked = log_softmax(student.clone(), 1)
        .gather(1, targets.reshape([batch, 1]))
        .reshape([batch]); // [B]
    let ce = (picked * labelled).sum().div_scalar(batch as f32).neg();
    weigh(cfg, ce, student, teacher)
}

#[cfg(feature = "train")]
/// Weigh the hard term `ce` `[1]` against the soft term of `student` against `teacher` logits
/// (both `[batch, classes]`), per the loss form.
pub fn weigh(
    cfg: &DistillConfig,
    ce: Tensor<1>,
    student: Tensor<2>,
    teacher: Tensor<2>,
) -> DistillLoss {
    let t = cfg.temperature;
    let (hard, soft) = match cfg.form {
        LossForm::Keras => (
            ce.mul_scalar(cfg.weight),
            soft_cross_entropy(student, teacher, t),
        ),
        LossForm::Hinton => (
            ce.mul_scalar(1.0 - cfg.weight),
            kl_divergence(student, teacher, t).mul_scalar(cfg.weight * t * t),
        ),
    };
    DistillLoss {
        total: hard.clone() + soft.clone(),
        hard,
        soft,
    }
}

#[cfg(feature = "train")]
/// Deep mutual learning's loss for one cohort member (Zhang et al. 2018, eq. 10 for K members):
/// `CE(y, p_k) + T²/(K−1) · Σ_j KL(softmax(z_j/T) ‖ softmax(z_k/T))`, where `own` are the
/// member's logits `[B, C]` and `peers` the others' `[B, C]` each, detached (a member learns
/// from its peers; it does not move them). T = 1 is the paper's form; T² keeps the mimicry
/// term's gradient scale at other temperatures, as in Hinton's loss. Returns `[1]`.
pub fn mutual_loss(
    own: Tensor<2>,
    peers: &[Tensor<2>],
    targets: Tensor<1, Int>,
    temperature: f32,
) -> Tensor<1> {
    let ce = cross_entropy(own.clone(), targets);
    if peers.is_empty() {
        return ce;
    }
    let scale = temperature * temperature / peers.len() as f32;
    let kl = peers
        .iter()
        .map(|p| kl_divergence(own.clone(), p.clone(), temperature))
        .reduce(|a, b| a + b)
        .expect("peers is not empty");
    ce + kl.mul_scalar(scale)
}

#[cfg(feature = "train")]
/// FitNets' hint loss (Romero et al. 2015, eq. 2): `½‖u_h − r(v_g)‖²` per sample, averaged over
/// the batch, for the teacher's hint-layer outputs `hint` and the regressed guided-layer outputs
/// `guess` (both `[B, H]`). Returns `[1]`.
pub fn hint_loss(guess: Tensor<2>, hint: Tensor<2>) -> Tensor<1> {
    let [batch, _] = guess.dims();
    (guess - hint)
        .powf_scalar(2.0)
        .sum()
        .div_scalar(2.0 * batch as f32)
}
