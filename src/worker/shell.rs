//! The page's side of the core's runner ([`train::run_teacher`], [`train::run_students`]):
//! where each network starts (a checkpoint, an uploaded file, the published teacher), its
//! curves and checkpoints ([`WebHooks`]), and the notices.

use super::error::WorkerError;
use super::hooks::{CohortWeb, WebHooks};
use super::load::Env;
use super::start;
use super::state::send;
use crate::checkpoint::RoleState;
use crate::model::Classifier;
use crate::model::snapshot;
use crate::protocol::{FromWorker, Role};
use crate::train::{Event, RunHooks, Stage, Trainer};

/// The page's side of the core's runner.
pub struct PageRun<'a, 'e> {
    env: &'a Env<'e>,
    /// A sweep cell: fresh networks, no curves, no checkpoints, no notices.
    quiet: bool,
}

impl<'a, 'e> PageRun<'a, 'e> {
    pub fn new(env: &'a Env<'e>) -> Self {
        PageRun { env, quiet: false }
    }

    /// For the T × λ sweep's cells.
    pub fn quiet(env: &'a Env<'e>) -> Self {
        PageRun { env, quiet: true }
    }
}

impl RunHooks for PageRun<'_, '_> {
    type Error = WorkerError;
    type Fit = WebHooks;
    type Cohort = CohortWeb;

    /// `t` from the weights the run starts `role` from, if any: a checkpoint's (its schedule
    /// goes on, or it stays stopped) or, but for deep mutual learning (trained from scratch), an
    /// uploaded file's or the published teacher's (it counts as trained).
    async fn start<M: Classifier>(
        &mut self,
        role: Role,
        t: Trainer<M>,
    ) -> Result<Trainer<M>, WorkerError> {
        let env = self.env;
        let weights = if self.quiet {
            None
        } else if env.settings().method.is_mutual() {
            let saved = env.resume.and_then(|c| c.role(role));
            saved.map(|(state, record)| (record.to_vec(), Some(state.clone())))
        } else {
            start::weights(env.shared, env.settings(), role, env.resume).await?
        };
        let Some((record, state)) = weights else {
            return Ok(t);
        };
        // A loaded teacher's record also goes into the checkpoint (below).
        let keep = (state.is_none() && role == Role::Teacher).then(|| record.clone());
        let loaded = snapshot::load_record(role.key(), t.model().clone(), record)?;
        let mut t = t.with_model(loaded);
        match state {
            Some(st) => {
                t.restore(st.epoch, st.lr, st.schedule);
                if st.done {
                    t.stop_here();
                }
            }
            None if let Some(record) = keep => {
                // A teacher loaded or published: trained already, and checkpointed as such so a
                // resumed run finds it.
                t.stop_here();
                self.keep_loaded_teacher(&t, record);
                let notice = "Using the loaded teacher: its training is skipped.";
                send(env.shared, FromWorker::Notice(notice.into()));
            }
            None => {
                let (epochs, schedule) = (t.config().epochs, t.schedule().clone());
                t.restore(epochs, env.settings().lr(), schedule);
            }
        }
        Ok(t)
    }

    fn fit<M: Classifier>(&mut self, role: Role, t: &Trainer<M>, stage: Stage) -> WebHooks {
        let (shared, device) = (self.env.shared.clone(), &self.env.device);
        if self.quiet {
            return WebHooks::new(shared, Role::Distilled, t, device, true);
        }
        let h = WebHooks::new(shared, role, t, device, false);
        match stage {
            Stage::Whole => h,
            // Stage 1's network is not a student: nothing to checkpoint.
            Stage::Hints => h.without_checkpoints(),
            Stage::AfterHints { epochs, steps } => h.after(epochs, steps),
        }
    }

    fn cohort(&mut self, roles: [Role; 2], plan: (usize, usize)) -> CohortWeb {
        let (shared, device) = (self.env.shared, &self.env.device);
        CohortWeb {
            members: roles
                .map(|r| WebHooks::with_plan(shared.clone(), r, plan, device, false))
                .into(),
        }
    }

    fn event(&mut self, event: Event) {
        if self.quiet {
            return;
        }
        let text = match event {
            Event::HintStage { epochs } => format!(
                "FitNets stage 1: {epochs} epochs fitting the student's 512 hidden units to the teacher's 1024 through a learned regressor (½‖h_t − W·h_s‖²; the curve is that loss, and the output layer is not trained yet, so accuracy stays near chance)."
            ),
            Event::SecondStage { loss } => {
                format!("FitNets stage 2: classic distillation from the hinted weights ({loss}).")
            }
            Event::MutualUsesAllLabels => "Deep mutual learning learns from labels only: every training sample is used labelled (labels= applies to classic distillation and FitNets).".into(),
        };
        send(self.env.shared, FromWorker::Notice(text));
    }
}

impl PageRun<'_, '_> {
    /// A teacher the run did not train, in the run's checkpoint as done.
    fn keep_loaded_teacher<M: Classifier>(&self, t: &Trainer<M>, record: Vec<u8>) {
        let env = self.env;
        let st = RoleState {
            role: Role::Teacher,
            epoch: 0,
            lr: env.settings().lr(),
            schedule: t.schedule().clone(),
            done: true,
            record_len: 0,
            config: env.data.run_config(Role::Teacher).to_json(),
        };
        if let Some(c) = env.shared.borrow_mut().ckpt.as_mut() {
            c.set_role(st, record);
        }
    }
}
