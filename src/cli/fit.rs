//! What the CLI's commands share to fit a network: progress bars and epoch lines, the plan of
//! a fit (data, samples, device), its outcome.

use super::resume::SaveTo;
use super::store::Loaded;
use crate::data::batch::Norm;
use crate::model::Classifier;
use crate::train::{
    EpochRecord, EvalResult, FitEnd, FitHooks, FitOptions, Sets, StepMetrics, Trainer,
};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

/// Progress bars and epoch lines for the CLI.
pub(super) struct CliHooks {
    pub(super) bar: ProgressBar,
    label: String,
    pub(super) history: Vec<EpochRecord>,
    pub(super) started: Instant,
    /// Seconds spent on the network before this process (a resumed checkpoint's).
    pub(super) before: f64,
    quiet: bool,
    /// Where each epoch is checkpointed (`distill train`, `distill sweep`).
    pub(super) save: Option<SaveTo>,
}

impl CliHooks {
    pub(super) fn new(label: &str, steps_per_epoch: usize, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(steps_per_epoch as u64)
        };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} steps {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(format!("{label} epoch 1"));
        CliHooks {
            bar,
            label: label.to_string(),
            history: Vec::new(),
            started: Instant::now(),
            before: 0.0,
            quiet,
            save: None,
        }
    }

    /// Seconds spent on the network, over every process that trained it.
    pub(super) fn seconds(&self) -> f64 {
        self.before + self.started.elapsed().as_secs_f64()
    }
}

impl<M: Classifier> FitHooks<M> for CliHooks {
    fn on_steps(&mut self, steps: &[StepMetrics]) {
        self.bar.inc(steps.len() as u64);
    }

    fn on_epoch(&mut self, r: &EpochRecord, _eval: &EvalResult, trainer: &Trainer<M>) {
        self.epoch(r);
        let seconds = self.seconds();
        if let Some(save) = &mut self.save {
            save.save(trainer, &self.history, seconds);
        }
    }
}

impl CliHooks {
    /// An epoch ended: its line (unless quiet) and its place in the history.
    pub(super) fn epoch(&mut self, r: &EpochRecord) {
        self.bar.reset();
        self.bar
            .set_message(format!("{} epoch {}", self.label, r.epoch + 1));
        if !self.quiet {
            let line = format!(
                "{} epoch {:>3}: loss {:.4} acc {:.4} | val_loss {:.4} val_acc {:.4} | lr {:.3e}{} | {:.0} s",
                self.label,
                r.epoch,
                r.loss,
                r.accuracy,
                r.val_loss,
                r.val_accuracy,
                r.lr,
                if r.lr_reduced { " (reduced)" } else { "" },
                self.started.elapsed().as_secs_f64()
            );
            // indicatif drops println on a hidden bar (stderr not a terminal: a log file).
            if self.bar.is_hidden() {
                eprintln!("{line}");
            } else {
                self.bar.println(line);
            }
        }
        self.history.push(r.clone());
    }
}

/// The outcome of one fit.
pub(super) struct Fitted<M> {
    pub(super) model: M,
    pub(super) history: Vec<EpochRecord>,
    pub(super) end: FitEnd,
    /// Over every process that trained it.
    pub(super) seconds: f64,
    /// Of those, the seconds before this process (a checkpoint's).
    pub(super) resumed: f64,
}

/// Where and how the CLI fits a network: on the first `n` training samples of `data`,
/// validated on its first `val_n` test samples, on `device`; `quiet` hides the epoch lines.
pub(super) struct FitPlan<'a> {
    pub(super) data: &'a Loaded,
    pub(super) n: usize,
    pub(super) val_n: usize,
    pub(super) device: &'a Device,
    pub(super) quiet: bool,
}

impl FitPlan<'_> {
    /// The sets the core's runners fit on: the plan's data, all of it for every student.
    pub(super) fn sets(&self) -> Sets<'_> {
        Sets {
            train: &self.data.train,
            baseline_train: &self.data.train,
            test: &self.data.test,
            norm: Norm::of(&self.data.manifest),
            device: self.device,
            opts: self.opts(),
        }
    }

    pub(super) fn opts(&self) -> FitOptions {
        FitOptions {
            read_every: 20,
            val_count: self.val_n,
            eval_batch: 1024,
        }
    }
}
