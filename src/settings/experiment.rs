//! The page's settings as the core's one experiment config, and back: a weights file or a
//! checkpoint from either shell reopens in the page as the run that made it.

use super::Settings;
use crate::train::{DataConfig, Experiment, TeacherSpec};

impl Settings {
    /// The whole run these settings describe on a dataset of `classes` classes that `has`
    /// (training, validation) samples: what the worker runs and every file of the run stores, as
    /// `distill sweep --preset` builds it for a lesson (`cli::sweep::experiment`).
    pub fn experiment(&self, classes: usize, has: (usize, usize)) -> Experiment {
        let data = DataConfig::first(&self.dataset, (self.subset, self.val), has);
        let teacher = self.method.needs_teacher().then(|| TeacherSpec {
            train: (!self.pretrained).then(|| self.teacher_train_config()),
            targets: self.targets,
        });
        let students = self.students_spec(classes, data.train);
        Experiment::new(data, students).with_teacher(teacher)
    }

    /// The settings that run `e` (the lab's own choices — device, view, hidden controls — at
    /// their defaults): the inverse of [`Settings::experiment`] for every run the page can make.
    /// A label-only experiment (`distill train --model mlp`) opens as the study's method with
    /// its loop. Deep mutual learning's temperature is the page's own ([`super::MUTUAL_T`]).
    pub fn from_experiment(e: &Experiment) -> Settings {
        let (st, cfg) = (&e.students, &e.students.cfg);
        let d = Settings::default();
        Settings {
            dataset: e.data.dataset.clone(),
            subset: e.data.train,
            val: e.data.val,
            epochs: cfg.epochs,
            batch: cfg.batch_size,
            optimizer: cfg.optimizer,
            lr: (cfg.lr != cfg.optimizer.default_lr()).then_some(cfg.lr),
            seed: cfg.seed,
            schedule: cfg.plateau && cfg.early_stopping,
            augment: cfg.augment,
            method: st.method.unwrap_or(d.method),
            temperature: st.distill.temperature,
            lambda: st.distill.weight,
            loss: st.distill.form,
            hint_epochs: st.hint_epochs,
            labels: st.labelled,
            pretrained: e.teacher.as_ref().is_some_and(|t| t.train.is_none()),
            targets: e.teacher.as_ref().map_or(d.targets, |t| t.targets),
            ..d
        }
    }
}
