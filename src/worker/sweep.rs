//! The page's T × λ heat map: [`train::sweep`] over the loaded data with the run's teacher,
//! students trained quietly (no curves, no checkpoints) on a subset, each cell posted as it
//! finishes. The teacher's logits are cached once, yielding as a run's cache does.

use super::error::WorkerError;
use super::hooks::{EVAL_BATCH, WebHooks, yield_and_check};
use super::load::Env;
use super::state::{SharedRef, end, say_error, send};
use super::teacher;
use crate::data::Split;
use crate::data::batch::Norm;
use crate::distill::Method;
use crate::model::snapshot::Network;
use crate::model::{self, Student, StudentConfig};
use crate::protocol::{FromWorker, Role, SweepSpec};
use crate::train::{
    self, Cell, Control, FitEnd, FitOptions, Objective, SweepHooks, SweepPlan, Teaching,
    TrainConfig, Trainer,
};
use burn::prelude::*;
use std::rc::Rc;

/// Distilled-student accuracy over a T × λ grid, then `SweepDone` however it ended.
pub async fn sweep(shared: SharedRef, spec: SweepSpec) {
    if let Err(e) = sweep_inner(&shared, &spec).await {
        say_error(&shared, e.to_string());
    }
    end(&shared);
    send(&shared, FromWorker::SweepDone);
}

async fn sweep_inner(shared: &SharedRef, spec: &SweepSpec) -> Result<(), WorkerError> {
    let (teacher, train_set, test, norm, settings, classes) = {
        let s = shared.borrow();
        let classes = s.manifest.as_ref().map(|m| m.num_classes());
        let teacher = s.model(Role::Teacher).cloned();
        (
            teacher,
            s.train.clone(),
            s.test.clone(),
            s.norm,
            s.settings.clone(),
            classes,
        )
    };
    let (Some(teacher), Some(train_set), Some(test), Some(norm), Some(settings), Some(classes)) =
        (teacher, train_set, test, norm, settings, classes)
    else {
        return Err(WorkerError::NotReady("The sweep needs a teacher and loaded data: run the experiment first (or load a teacher and start).".into()));
    };
    let Network::Teacher(net) = teacher.net else {
        return Err(WorkerError::NotReady(
            "The sweep needs the teacher CNN.".into(),
        ));
    };
    let n = spec.subset.min(train_set.len());
    let device = teacher.device;
    let env = Env {
        shared,
        settings: &settings,
        resume: None,
        ad: device.clone().autodiff(),
        device: device.clone(),
        train: Rc::new(train_set.repeated(n, n)),
        test: test.clone(),
        norm,
        opts: FitOptions {
            read_every: 50,
            val_count: test.len(),
            eval_batch: EVAL_BATCH,
        },
        classes,
    };
    let mut cfg = settings.train_config();
    (cfg.epochs, cfg.plateau, cfg.early_stopping) = (spec.epochs, false, false);
    let how = train::teach(
        net,
        &env.train,
        n,
        norm,
        false,
        settings.targets,
        &cfg,
        &device,
    )?;
    let Some(teaching) = teacher::teaching(shared, how, |_, _| {}).await else {
        return Ok(());
    };
    model::seed(&env.ad, settings.seed);
    let mut cells = Cells {
        init: StudentConfig::new(classes).init(&env.ad),
        cfg,
        teaching,
        env: &env,
    };
    let plan = SweepPlan {
        methods: vec![Method::Distill],
        form: settings.loss,
        temperatures: spec.temperatures.clone(),
        lambdas: spec.lambdas.clone(),
        mutual_t: crate::settings::MUTUAL_T,
    };
    train::sweep(&plan, &mut cells).await?;
    Ok(())
}

/// The page's side of [`train::sweep`]: every student from the same initial weights.
struct Cells<'a> {
    init: Student,
    cfg: TrainConfig,
    teaching: Teaching,
    env: &'a Env<'a>,
}

impl Cells<'_> {
    /// Train a student by `objective` quietly; its validation accuracy, `None` if stopped.
    async fn fit(&self, objective: Objective) -> Result<Option<f32>, WorkerError> {
        let env = self.env;
        let (train_set, test): (&Split, &Split) = (&env.train, &env.test);
        let (ad, device, norm): (&Device, &Device, Norm) = (&env.ad, &env.device, env.norm);
        let mut t = Trainer::new(
            self.init.clone(),
            self.cfg.clone(),
            objective,
            train_set.len(),
            ad,
        );
        let mut hooks = WebHooks::new(env.shared.clone(), Role::Distilled, &t, device, true);
        let end = train::fit(&mut t, train_set, test, norm, device, env.opts, &mut hooks).await?;
        if end == FitEnd::Stopped {
            return Ok(None);
        }
        let r = train::evaluate(
            &t.model().valid(),
            test,
            test.len(),
            norm,
            EVAL_BATCH,
            device,
        )
        .await?;
        Ok(Some(r.accuracy))
    }
}

impl SweepHooks for Cells<'_> {
    type Error = WorkerError;

    async fn baseline(&mut self) -> Result<Option<f32>, WorkerError> {
        let acc = self.fit(Objective::CrossEntropy).await?;
        if let Some(a) = acc {
            send(self.env.shared, FromWorker::SweepBaseline(a));
        }
        Ok(acc)
    }

    async fn cell(&mut self, cell: &Cell, _baseline: f32) -> Result<Option<f32>, WorkerError> {
        let objective = self.teaching.objective(cell.distill, None)?;
        let Some(accuracy) = self.fit(objective).await? else {
            return Ok(None);
        };
        let (temperature, lambda) = (cell.distill.temperature, cell.distill.weight);
        send(
            self.env.shared,
            FromWorker::SweepCell {
                temperature,
                lambda,
                accuracy,
            },
        );
        if yield_and_check(self.env.shared).await == Control::Stop {
            return Ok(None);
        }
        Ok(Some(accuracy))
    }
}
