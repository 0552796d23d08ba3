//! Deep mutual learning (Zhang, Xiang, Hospedales & Lu, CVPR 2018): a cohort of networks trained
//! together from scratch, each on its labels plus the KL divergence from its peers' predictions
//! on the same batch ([`crate::distill::mutual_loss`]). The epoch loop is [`super::fit`]'s
//! ([`super::epochs`]): one batch for every member per step, metrics read in batches, a
//! validation pass per member per epoch, each member's own plateau schedule.
//!
//! The members update together from one forward pass each, their peers' logits detached (the
//! paper's algorithm 1 updates them in turn, recomputing predictions in between; with two
//! members the difference is one step of staleness). Member 0 is the network the run is about:
//! its early stopping ends the cohort's run; the others' early-stopping signal is ignored so the
//! cohort stays whole, and their plateau rule still lowers their learning rates.

use super::EpochRecord;
use super::epochs::{self, LoopHooks, Stepped};
use super::epochs::{Control, FitEnd, FitError, FitOptions};
use super::eval::EvalResult;
use super::trainer::{Forward, StepHandle, StepMetrics, Trainer};
use crate::data::Split;
use crate::data::batch::Norm;
use crate::distill::mutual_loss;
use crate::model::snapshot::Network;
use crate::model::{Student, Teacher};
use burn::prelude::*;

/// A cohort peer's seed offset: its initial weights and dropout masks differ from member 0's
/// (which are the baseline's), its data order is the same.
pub const PEER_SEED_OFFSET: u64 = 1_000;

/// A cohort member: a student MLP or a teacher CNN, each with its own trainer. (A cohort holds
/// two or three: boxing the larger would buy nothing.)
#[allow(clippy::large_enum_variant)]
pub enum Member {
    Student(Trainer<Student>),
    Teacher(Trainer<Teacher>),
}

/// Forward a call to the trainer inside, whatever its network.
macro_rules! each {
    ($m:expr, $t:ident => $e:expr) => {
        match $m {
            Member::Student($t) => $e,
            Member::Teacher($t) => $e,
        }
    };
}

impl Member {
    fn forward_next(&mut self, data: &Split, norm: Norm) -> Option<Forward> {
        each!(self, t => t.forward_next(data, norm))
    }

    fn finish_step(&mut self, fwd: Forward, loss: Tensor<1>) -> StepHandle {
        each!(self, t => t.finish_step(fwd, loss))
    }

    pub fn finished(&self) -> bool {
        each!(self, t => t.finished())
    }

    pub fn epoch_done(&self) -> bool {
        each!(self, t => t.epoch_done())
    }

    pub fn epoch(&self) -> usize {
        each!(self, t => t.epoch())
    }

    pub fn lr(&self) -> f64 {
        each!(self, t => t.lr())
    }

    pub fn samples(&self) -> usize {
        each!(self, t => t.samples())
    }

    pub fn steps_per_epoch(&self) -> usize {
        each!(self, t => t.steps_per_epoch())
    }

    pub fn schedule(&self) -> &super::Schedule {
        each!(self, t => t.schedule())
    }

    /// Continue from a checkpoint (see [`Trainer::restore`]).
    pub fn restore(&mut self, epoch: usize, lr: f64, schedule: super::Schedule) {
        each!(self, t => t.restore(epoch, lr, schedule))
    }

    fn end_epoch(&mut self, val_loss: f32) -> super::EpochOutcome {
        each!(self, t => t.end_epoch(val_loss))
    }

    /// An eval-mode copy of the network, off the autodiff graph.
    pub fn network(&self) -> Network {
        match self {
            Member::Student(t) => Network::Student(t.model().valid()),
            Member::Teacher(t) => Network::Teacher(t.model().valid()),
        }
    }
}

/// Networks trained mutually on the same batches.
pub struct Cohort {
    members: Vec<Member>,
    temperature: f32,
}

impl Cohort {
    /// At least two members that step through the same samples at the same batch size (their
    /// trainers' seeds give them the same data order); `temperature` softens the mimicry term
    /// (1: the paper's).
    pub fn new(members: Vec<Member>, temperature: f32) -> Result<Self, String> {
        if members.len() < 2 {
            return Err("a mutual-learning cohort needs at least two networks".into());
        }
        let shape = |m: &Member| (m.samples(), m.steps_per_epoch());
        if members.iter().any(|m| shape(m) != shape(&members[0])) {
            return Err("a cohort's networks must train on the same samples and batches".into());
        }
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(format!(
                "the mutual temperature must be positive, not {temperature}"
            ));
        }
        Ok(Cohort {
            members,
            temperature,
        })
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn into_members(self) -> Vec<Member> {
        self.members
    }

    /// One step of every member on the epoch's next batch (the same for all), each against its
    /// peers' detached logits; `None` once the epoch is done.
    pub fn step(&mut self, data: &Split, norm: Norm) -> Option<Vec<StepHandle>> {
        let fwds: Vec<Forward> = self
            .members
            .iter_mut()
            .map(|m| m.forward_next(data, norm))
            .collect::<Option<_>>()?;
        let detached: Vec<Tensor<2>> = fwds.iter().map(|f| f.logits.clone().detach()).collect();
        let t = self.temperature;
        Some(
            self.members
                .iter_mut()
                .zip(fwds)
                .enumerate()
                .map(|(k, (m, f))| {
                    let peers: Vec<Tensor<2>> = (detached.iter().enumerate())
                        .filter(|&(j, _)| j != k)
                        .map(|(_, p)| p.clone())
                        .collect();
                    let loss = mutual_loss(f.logits.clone(), &peers, f.labels.clone(), t);
                    m.finish_step(f, loss)
                })
                .collect(),
        )
    }
}

/// The shell's side of [`fit_cohort`], per member (0 is the run's network).
#[allow(async_fn_in_trait)] // Awaited where made, as `FitHooks`.
pub trait CohortHooks {
    /// After every cohort step and every validation batch: yield, pause, or stop.
    async fn between_steps(&mut self) -> Control {
        Control::Continue
    }
    fn on_steps(&mut self, _member: usize, _steps: &[StepMetrics]) {}
    fn on_epoch(
        &mut self,
        _member: usize,
        _record: &EpochRecord,
        _eval: &EvalResult,
        _cohort: &Cohort,
    ) {
    }
}

/// Train the cohort until member 0's epochs are done, its early stopping fires, or the hooks
/// say stop. `device` is the plain (non-autodiff) device, used for validation. The loop is
/// [`super::epochs::run`], shared with a single network's [`super::fit`].
pub async fn fit_cohort<H: CohortHooks>(
    cohort: &mut Cohort,
    train: &Split,
    val: &Split,
    norm: Norm,
    device: &Device,
    opts: FitOptions,
    hooks: &mut H,
) -> Result<FitEnd, FitError> {
    epochs::run(cohort, train, val, norm, device, opts, &mut Many(hooks)).await
}

/// Member 0 leads: its schedule and early stopping end the cohort's run.
impl Stepped for Cohort {
    type Net = Network;
    fn count(&self) -> usize {
        self.members.len()
    }
    fn finished(&self) -> bool {
        self.members[0].finished()
    }
    fn epoch_done(&self) -> bool {
        self.members[0].epoch_done()
    }
    fn lr(&self, m: usize) -> f64 {
        self.members[m].lr()
    }
    fn epoch(&self, m: usize) -> usize {
        self.members[m].epoch()
    }
    fn steps_per_epoch(&self, m: usize) -> usize {
        self.members[m].steps_per_epoch()
    }
    fn step(&mut self, train: &Split, norm: Norm) -> Option<Vec<StepHandle>> {
        Cohort::step(self, train, norm)
    }
    fn network(&self, m: usize) -> Network {
        self.members[m].network()
    }
    fn end_epoch(&mut self, m: usize, val_loss: f32) -> super::EpochOutcome {
        self.members[m].end_epoch(val_loss)
    }
}

/// [`CohortHooks`] as the shared loop's hooks.
struct Many<'a, H>(&'a mut H);

impl<H: CohortHooks> LoopHooks<Cohort> for Many<'_, H> {
    async fn between_steps(&mut self) -> Control {
        self.0.between_steps().await
    }
    fn on_steps(&mut self, m: usize, steps: &[StepMetrics]) {
        self.0.on_steps(m, steps)
    }
    fn on_epoch(&mut self, m: usize, record: &EpochRecord, eval: &EvalResult, c: &Cohort) {
        self.0.on_epoch(m, record, eval, c)
    }
}
