//! What a network is fit to: labels, a teacher's cached or live outputs, a hint layer, or a
//! cohort's peers.

use crate::distill::DistillConfig;
use crate::model::Teacher;
use burn::prelude::*;

/// What the model is fit to. (The tensor variant is a handle; boxing it would buy nothing.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Objective {
    /// Cross-entropy against the labels (teacher, baseline student).
    CrossEntropy,
    /// Distillation against cached teacher logits. `views` 0: `[n_train, classes]`, row i for
    /// sample i's own image (with augmentation on, the student sees views the teacher did not:
    /// the *inconsistent* teaching Beyer et al. 2022 compare against). `views` K ≥ 1: `[K ·
    /// n_train, classes]`, row k·n + i for view k of sample i ([`crate::data::augment::view`]
    /// under the trainer's seed), and epoch e shows the student view e mod K — the teacher's
    /// targets for exactly what the student sees, cached once (*consistent*).
    /// `labelled`: `None` when every sample's label is used; `Some(k)` when only samples
    /// `0..k` carry labels and the rest are an unlabelled transfer set (soft term only).
    Distill {
        config: DistillConfig,
        teacher_logits: Tensor<2>,
        labelled: Option<usize>,
        views: usize,
    },
    /// Function matching (Beyer et al. 2022): the teacher (in eval mode, on the device without
    /// autodiff) runs on each batch's own view, a fresh one every epoch, and the student
    /// matches its outputs under `config`'s loss. Consistent by construction; costs a teacher
    /// forward pass per step.
    Match {
        config: DistillConfig,
        teacher: Teacher,
    },
    /// FitNets' stage 1: the model's regressed guided layer ([`Classifier::guided`]) against
    /// cached teacher hint-layer outputs `[n_train, hint]`, row i for sample i.
    Hint { teacher_hints: Tensor<2> },
    /// Deep mutual learning at `temperature`: the loss needs the cohort's other members'
    /// logits for the same batch, so [`super::cohort`] drives these trainers; a lone trainer
    /// with this objective learns from the labels alone.
    Mutual { temperature: f32 },
}
