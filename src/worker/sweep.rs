//! The page's T × λ heat map: [`train::sweep`] over the loaded data with the run's teacher,
//! students trained quietly (no curves, no checkpoints) on a subset, each cell posted as it
//! finishes. The teacher's logits are cached once, yielding as a run's cache does.

use super::error::WorkerError;
use super::hooks::{EVAL_BATCH, yield_and_check};
use super::load::Env;
use super::shell::PageRun;
use super::state::{Loaded, SharedRef, end, say_error, send};
use super::teacher;
use crate::distill::{DistillConfig, Method};
use crate::model::snapshot::Network;
use crate::protocol::{FromWorker, Role, SweepSpec};
use crate::train::{
    self, Cell, Control, FitEnd, FitOptions, StudentsSpec, SweepHooks, SweepPlan, Taught, Teaching,
};
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
    let (teacher, loaded) = {
        let s = shared.borrow();
        (s.model(Role::Teacher).cloned(), s.loaded.clone())
    };
    let (Some(teacher), Some(loaded)) = (teacher, loaded) else {
        return Err(WorkerError::NotReady("The sweep needs a teacher and loaded data: run the experiment first (or load a teacher and start).".into()));
    };
    let Network::Teacher(net) = teacher.net else {
        return Err(WorkerError::NotReady(
            "The sweep needs the teacher CNN.".into(),
        ));
    };
    let n = spec.subset.min(loaded.train.len());
    // The run's data with its training set cut to the sweep's subset.
    let data = Rc::new(Loaded {
        train: Rc::new(loaded.train.repeated(n, n)),
        ..(*loaded).clone()
    });
    let env = Env {
        shared,
        resume: None,
        device: teacher.device,
        opts: FitOptions {
            read_every: 50,
            val_count: data.test.len(),
            eval_batch: EVAL_BATCH,
        },
        data,
    };
    let settings = env.settings();
    let mut cfg = settings.train_config();
    (cfg.epochs, cfg.plateau, cfg.early_stopping) = (spec.epochs, false, false);
    let how = env.teach(net, false, &cfg)?;
    let Some(teaching) = teacher::teaching(shared, how, |_, _| {}).await else {
        return Ok(());
    };
    let mut cells = Cells {
        // The run's students on the sweep's subset, its loop shortened, every sample labelled
        // (each cell sets the method and loss, the baseline its own).
        spec: StudentsSpec {
            cfg,
            labelled: None,
            ..env.data.experiment().students
        },
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

/// The page's side of [`train::sweep`]: every student by [`train::run_students`], so from the
/// same seeded initial weights, data order and masks.
struct Cells<'a> {
    spec: StudentsSpec,
    teaching: Teaching,
    env: &'a Env<'a>,
}

impl Cells<'_> {
    /// The baseline (`distill: None`) or a distilled student under `distill`, trained quietly;
    /// its last epoch's validation accuracy, `None` if stopped.
    async fn fit(&self, distill: Option<DistillConfig>) -> Result<Option<f32>, WorkerError> {
        let env = self.env;
        let spec = StudentsSpec {
            baseline: distill.is_none(),
            method: distill.map(|_| Method::Distill),
            distill: distill.unwrap_or(self.spec.distill),
            ..self.spec.clone()
        };
        let (sets, mut hooks) = (env.sets(&env.data.train), PageRun::quiet(env));
        let run = train::run_students(&spec, &sets, &self.teaching, &mut hooks).await?;
        let fitted = match (run.baseline, run.taught) {
            (Some(b), _) => b,
            (None, Some(Taught::Student { student, .. })) => student,
            _ => return Ok(None),
        };
        if fitted.end? == FitEnd::Stopped {
            return Ok(None);
        }
        // Validated on the whole test split after its last epoch (`opts.val_count` above).
        Ok(fitted.hooks.last_val_accuracy)
    }
}

impl SweepHooks for Cells<'_> {
    type Error = WorkerError;

    async fn baseline(&mut self) -> Result<Option<f32>, WorkerError> {
        let acc = self.fit(None).await?;
        if let Some(a) = acc {
            send(self.env.shared, FromWorker::SweepBaseline(a));
        }
        Ok(acc)
    }

    async fn cell(&mut self, cell: &Cell, _baseline: f32) -> Result<Option<f32>, WorkerError> {
        let Some(accuracy) = self.fit(Some(cell.distill)).await? else {
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
