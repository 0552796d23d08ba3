//! The teacher's outputs over the training samples, cached once per run or sweep as the study
//! does: its logits `[n, classes]` (classic distillation, FitNets' stage 2) and, for FitNets,
//! its hint layer `[n, 1024]` (stage 1). A stepper like [`super::Evaluation`], so that a shell
//! can yield between batches: on the CPU backend a batch runs as it is queued, and a whole
//! training set takes the browser a minute or more. Nothing here reads the device.

use super::eval;
use crate::data::Split;
use crate::data::batch::Norm;
use crate::model::Teacher;
use burn::prelude::*;

/// Samples per batch: the CLI's and the worker's batch, so both cache the same rows.
pub const CACHE_BATCH: usize = 512;

/// What a pretrained teacher gives its students.
#[derive(Clone)]
pub struct Targets {
    /// `[n, classes]`.
    pub logits: Tensor<2>,
    /// FitNets: the hint layer `[n, width]` and its width.
    pub hints: Option<(Tensor<2>, usize)>,
}

/// Builds [`Targets`] a batch at a time.
pub struct LogitCache<'a> {
    teacher: Teacher,
    data: &'a Split,
    norm: Norm,
    device: Device,
    /// The first `n` training samples are cached.
    n: usize,
    /// Also keep the hint layer (and derive the logits from it: one pass through the
    /// convolutions, not two).
    with_hints: bool,
    /// Samples queued so far.
    done: usize,
    parts: Vec<Tensor<2>>,
}

impl<'a> LogitCache<'a> {
    /// `teacher` in eval mode (`valid()`), on `device` without autodiff; the first `n` samples
    /// of `data` (all of them if fewer).
    pub fn new(
        teacher: Teacher,
        data: &'a Split,
        n: usize,
        norm: Norm,
        with_hints: bool,
        device: &Device,
    ) -> Self {
        LogitCache {
            teacher,
            data,
            norm,
            device: device.clone(),
            n: n.min(data.len()),
            with_hints,
            done: 0,
            parts: Vec::new(),
        }
    }

    /// Queue the next batch; false once every batch has been queued.
    pub fn step(&mut self) -> bool {
        if self.done >= self.n {
            return false;
        }
        let idx: Vec<usize> = (self.done..(self.done + CACHE_BATCH).min(self.n)).collect();
        self.done += idx.len();
        let (t, data, norm, device) = (&self.teacher, self.data, self.norm, &self.device);
        self.parts.push(if self.with_hints {
            eval::hints(t, data, &idx, norm, CACHE_BATCH, device)
        } else {
            eval::logits(t, data, &idx, norm, CACHE_BATCH, device)
        });
        true
    }

    /// Samples queued so far, and of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.n)
    }

    /// The cached targets once `step` has queued every batch (the rest are queued now).
    pub fn finish(mut self) -> Targets {
        while self.step() {}
        let rows = Tensor::cat(self.parts, 0);
        if self.with_hints {
            let width = self.teacher.hint_width();
            Targets {
                logits: eval::logits_from_hints(&self.teacher, &rows, CACHE_BATCH),
                hints: Some((rows, width)),
            }
        } else {
            Targets {
                logits: rows,
                hints: None,
            }
        }
    }
}
