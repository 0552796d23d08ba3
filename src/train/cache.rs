//! The teacher's outputs over the training samples, cached once per run or sweep as the study
//! does: its logits `[n, classes]` (classic distillation, FitNets' stage 2) and, for FitNets,
//! its hint layer `[n, 1024]` (stage 1). A stepper like [`super::Evaluation`], so that a shell
//! can yield between batches: on the CPU backend a batch runs as it is queued, and a whole
//! training set takes the browser a minute or more. Nothing here reads the device.

use super::eval;
use super::{Objective, TrainConfig};
use crate::data::Split;
use crate::data::augment::{Augment, TargetsFrom};
use crate::data::batch::{self, Norm};
use crate::distill::DistillConfig;
use crate::model::{Classifier, Teacher};
use burn::prelude::*;

/// Samples per batch: the CLI's and the worker's batch, so both cache the same rows.
pub const CACHE_BATCH: usize = 512;

/// What a pretrained teacher gives its students.
#[derive(Clone)]
pub struct Targets {
    /// `[n, classes]`; with views, `[views · n, classes]` (row k·n + i: view k of sample i).
    pub logits: Tensor<2>,
    /// How many views of each sample `logits` holds (0: the samples' own images).
    pub views: usize,
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
    /// Cache views instead of the images themselves: the augmentation, its seed and how many
    /// views of each sample ([`LogitCache::with_views`]).
    views: Option<(Augment, u64, usize)>,
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
            views: None,
            done: 0,
            parts: Vec::new(),
        }
    }

    /// Cache the teacher's logits for views 0..k of every sample under `aug` and `seed`
    /// ([`crate::data::augment::view`]), the views a trainer with the same augmentation and
    /// seed shows (consistent teaching, cached once). No hint layer.
    pub fn with_views(mut self, aug: Augment, seed: u64, k: usize) -> Self {
        self.views = Some((aug, seed, k.max(1)));
        self.with_hints = false;
        self
    }

    /// Rows to cache: every sample, once per view.
    fn rows(&self) -> usize {
        self.n * self.views.map_or(1, |(_, _, k)| k)
    }

    /// Queue the next batch; false once every batch has been queued.
    pub fn step(&mut self) -> bool {
        if self.done >= self.rows() {
            return false;
        }
        // A batch never straddles two views.
        let (view, start) = (self.done / self.n.max(1), self.done % self.n.max(1));
        let idx: Vec<usize> = (start..(start + CACHE_BATCH).min(self.n)).collect();
        self.done += idx.len();
        let (t, data, norm, device) = (&self.teacher, self.data, self.norm, &self.device);
        if let Some((aug, seed, _)) = &self.views {
            let x = batch::views(data, &idx, norm, aug, *seed, view as u64, self.n, device);
            self.parts.push(t.logits(x.images));
            return true;
        }
        self.parts.push(if self.with_hints {
            eval::hints(t, data, &idx, norm, CACHE_BATCH, device)
        } else {
            eval::logits(t, data, &idx, norm, CACHE_BATCH, device)
        });
        true
    }

    /// Samples queued so far, and of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.rows())
    }

    /// The cached targets once `step` has queued every batch (the rest are queued now).
    pub fn finish(mut self) -> Targets {
        while self.step() {}
        let rows = Tensor::cat(self.parts, 0);
        if self.with_hints {
            let width = self.teacher.hint_width();
            Targets {
                logits: eval::logits_from_hints(&self.teacher, &rows, CACHE_BATCH),
                views: 0,
                hints: Some((rows, width)),
            }
        } else {
            Targets {
                logits: rows,
                views: self.views.map_or(0, |(_, _, k)| k),
                hints: None,
            }
        }
    }
}

/// What a pretrained teacher gives a run's students: its outputs cached once, or (function
/// matching) the teacher itself. The CLI and the worker build it with [`teach`].
#[derive(Clone, Default)]
pub struct Teaching {
    pub targets: Option<Targets>,
    pub live: Option<Teacher>,
}

impl Teaching {
    /// The distillation objective (classic distillation, FitNets' second stage) under `config`;
    /// `labelled` as in [`Objective::Distill`].
    pub fn objective(
        &self,
        config: DistillConfig,
        labelled: Option<usize>,
    ) -> Result<Objective, String> {
        if let Some(teacher) = &self.live {
            if labelled.is_some() {
                return Err("a labelled subset with function matching (live targets) is not supported: use views=K".into());
            }
            return Ok(Objective::Match {
                config,
                teacher: teacher.clone(),
            });
        }
        let t = (self.targets.as_ref())
            .ok_or("distillation needs a pretrained teacher's cached logits")?;
        Ok(Objective::Distill {
            config,
            teacher_logits: t.logits.clone(),
            labelled,
            views: t.views,
        })
    }
}

/// How a teacher teaches ([`teach`]): a cache to fill a batch at a time, or the teacher itself.
pub enum Teach<'a> {
    Cache(LogitCache<'a>),
    Live(Teacher),
}

/// How `teacher` (in eval mode, without autodiff) teaches the first `n` samples of `data`
/// under `cfg`'s augmentation, as `from` says: targets for the images themselves (with
/// FitNets' hint layer when `with_hints`), for K views under `cfg`'s seed, or live. Without
/// augmentation, always the images themselves.
#[allow(clippy::too_many_arguments)]
pub fn teach<'a>(
    teacher: Teacher,
    data: &'a Split,
    n: usize,
    norm: Norm,
    with_hints: bool,
    from: TargetsFrom,
    cfg: &TrainConfig,
    device: &Device,
) -> Result<Teach<'a>, String> {
    let from = if cfg.augment.is_off() {
        TargetsFrom::Clean
    } else {
        from
    };
    if with_hints && from != TargetsFrom::Clean {
        return Err("FitNets caches its hints on the unvaried images: use clean targets (or no augmentation)".into());
    }
    Ok(match from {
        TargetsFrom::Live => Teach::Live(teacher),
        TargetsFrom::Views(k) => Teach::Cache(
            LogitCache::new(teacher, data, n, norm, false, device).with_views(
                cfg.augment,
                cfg.seed,
                k,
            ),
        ),
        TargetsFrom::Clean => {
            Teach::Cache(LogitCache::new(teacher, data, n, norm, with_hints, device))
        }
    })
}
