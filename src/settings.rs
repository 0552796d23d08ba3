//! The experiment's settings and their URL form: every setting lives in the query string, so a
//! link reproduces the setup, and `hide=` hides controls for a classroom. Bad values are clamped
//! and reported, never fatal.

use crate::data::augment::{Augment, TargetsFrom};
use crate::distill::{DistillConfig, LossForm, Method};
use crate::train::OptimizerKind;
use serde::{Deserialize, Serialize};

#[cfg(feature = "train")]
mod experiment;
mod query;
pub use query::{bench_request, sets_no_lesson};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DevicePref {
    /// On a hardware adapter, the faster of WebGPU and the CPU as measured on it (now, or on an
    /// earlier visit); the CPU when WebGPU is missing or its only adapter is a software renderer
    /// (SwiftShader trains far slower than the CPU backend: docs/PERFORMANCE.md).
    Auto,
    /// WebGPU on whatever adapter the browser offers, software ones included (the CPU only
    /// when there is no WebGPU at all).
    WebGpu,
    /// The CPU backend even where WebGPU exists.
    Cpu,
    /// Time both backends on a slice of the run's own work, whatever the adapter, and use the
    /// faster (what `Auto` does on a hardware adapter it has not measured before).
    Measure,
}

impl DevicePref {
    /// The URL and `<select>` value.
    pub fn name(self) -> &'static str {
        match self {
            DevicePref::Auto => "auto",
            DevicePref::WebGpu => "webgpu",
            DevicePref::Cpu => "cpu",
            DevicePref::Measure => "measure",
        }
    }

    pub fn parse(v: &str) -> Option<Self> {
        match v {
            "auto" => Some(DevicePref::Auto),
            "webgpu" | "gpu" => Some(DevicePref::WebGpu),
            "cpu" => Some(DevicePref::Cpu),
            "measure" => Some(DevicePref::Measure),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Folder under `data/`.
    pub dataset: String,
    pub epochs: usize,
    pub batch: usize,
    /// `None`: the optimizer's Keras default.
    pub lr: Option<f64>,
    pub optimizer: OptimizerKind,
    pub temperature: f32,
    /// λ for the keras loss, α for hinton.
    pub lambda: f32,
    pub loss: LossForm,
    /// Training samples (a subset for a quick classroom run).
    pub subset: usize,
    /// How many of those carry labels (`None`: all). With fewer, the baseline learns from the
    /// first `labels` alone and the distilled student from their labels plus the teacher's soft
    /// targets over the whole subset (Hinton et al. 2015, section 3: a transfer set).
    #[serde(default)]
    pub labels: Option<usize>,
    /// Validation samples, from the test split.
    pub val: usize,
    pub seed: u64,
    /// ReduceLROnPlateau and EarlyStopping, as in the study.
    pub schedule: bool,
    pub device: DevicePref,
    /// Use `data/<dataset>/teacher.dlw` (made by `distill train --publish`) instead of training
    /// the teacher.
    pub pretrained: bool,
    /// How the student beside the baseline learns (`method=`): classic distillation, deep
    /// mutual learning (two students, or the student and a CNN from scratch), or FitNets.
    #[serde(default)]
    pub method: Method,
    /// FitNets' stage 1: epochs fitting the student's hidden layer to the teacher's (`hints=`).
    #[serde(default = "default_hint_epochs")]
    pub hint_epochs: usize,
    /// How every student's training images are varied (`augment=`, the CLI's `--augment`).
    #[serde(default)]
    pub augment: Augment,
    /// Under augmentation, where the distilled student's targets come from (`targets=`, the
    /// CLI's `--targets`).
    #[serde(default)]
    pub targets: TargetsFrom,
    /// The presentation view for a projector (`view=present`): only the explorer, the curves
    /// and the results, large, stepped from the keyboard.
    #[serde(default)]
    pub present: bool,
    /// Controls hidden from view (by their URL key).
    pub hide: Vec<String>,
}

fn default_hint_epochs() -> usize {
    5
}

/// The URL keys of the controls, in display order.
pub const KEYS: [&str; 19] = [
    "dataset", "method", "epochs", "batch", "lr", "opt", "T", "lambda", "loss", "hints", "augment",
    "targets", "subset", "labels", "val", "seed", "sched", "device", "teacher",
];

/// Parts of the page `hide=` can hide besides the controls (a class that should not switch
/// lessons: `hide=lessons`).
pub const SECTIONS: [&str; 1] = ["lessons"];

impl Default for Settings {
    /// The base values a link's keys override (the study's batch, T, λ and optimizer on a 10k
    /// subset for 5 epochs). A bare visit opens on the first lesson instead
    /// (`presets::opening_settings`).
    fn default() -> Self {
        Settings {
            dataset: "emnist-letters".into(),
            epochs: 5,
            batch: 256,
            lr: None,
            optimizer: OptimizerKind::Adadelta,
            temperature: 10.0,
            lambda: 0.5,
            loss: LossForm::Keras,
            subset: 10_000,
            labels: None,
            val: 2_000,
            seed: 0,
            schedule: true,
            device: DevicePref::Auto,
            pretrained: false,
            method: Method::Distill,
            hint_epochs: default_hint_epochs(),
            augment: Augment::OFF,
            targets: TargetsFrom::Clean,
            present: false,
            hide: Vec::new(),
        }
    }
}

/// Limits, shared by the URL parser and the controls.
pub const EPOCHS: (usize, usize) = (1, 100);
pub const BATCH: (usize, usize) = (8, 2048);
pub const TEMPERATURE: (f32, f32) = (1.0, 50.0);
pub const LAMBDA: (f32, f32) = (0.0, 1.0);
pub const SUBSET: (usize, usize) = (64, 1_000_000);
pub const LABELS: (usize, usize) = (10, 1_000_000);
/// A baseline on fewer labelled samples than this repeats them, whole, until an epoch holds
/// this many (40 steps at the study's batch of 256), so the plateau schedule and early
/// stopping see epochs of several steps, as on a full set (`distill sweep --repeat-to`).
pub const LABELLED_EPOCH: usize = 10_240;
pub const VAL: (usize, usize) = (32, 1_000_000);
pub const LR: (f64, f64) = (1e-6, 10.0);
pub const HINT_EPOCHS: (usize, usize) = (1, 50);
/// Deep mutual learning's temperature in the page: 1, Zhang et al.'s form.
pub const MUTUAL_T: f32 = 1.0;

impl Settings {
    /// These settings put through the same checks as a share link's (a checkpoint's stored
    /// settings are as untrusted as a URL): the checked settings and what was changed.
    pub fn checked(&self) -> (Settings, Vec<String>) {
        Settings::from_query(&self.to_query())
    }

    /// How many of the run's `n` training samples carry labels, when fewer than all.
    pub fn labelled(&self, n: usize) -> Option<usize> {
        self.labels.filter(|&k| k < n)
    }

    /// The classic-distillation loss these settings describe (FitNets' second stage too).
    pub fn distill_config(&self) -> DistillConfig {
        DistillConfig {
            form: self.loss,
            temperature: self.temperature,
            weight: self.lambda,
        }
    }

    /// The training loop's settings for every network of a run (the CLI's `--seed N` is the
    /// page's `seed=N`).
    #[cfg(feature = "train")]
    pub fn train_config(&self) -> crate::train::TrainConfig {
        crate::train::TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch,
            optimizer: self.optimizer,
            lr: self.lr(),
            seed: self.seed,
            plateau: self.schedule,
            early_stopping: self.schedule,
            augment: self.augment,
        }
    }

    /// The students of a run of these settings over `n` training samples of `classes` classes:
    /// the core runner's input ([`crate::train::run_students`]), as `distill sweep` with the
    /// same settings builds it.
    #[cfg(feature = "train")]
    pub fn students_spec(&self, classes: usize, n: usize) -> crate::train::StudentsSpec {
        crate::train::StudentsSpec {
            classes,
            cfg: self.train_config(),
            baseline: true,
            method: Some(self.method),
            distill: self.distill_config(),
            hint_epochs: self.hint_epochs,
            mutual_t: MUTUAL_T,
            labelled: self.labelled(n),
        }
    }

    /// The teacher CNN's training loop: the students' ([`Settings::train_config`]) with its
    /// images never varied — except in deep mutual learning with a CNN, where it trains in the
    /// students' cohort and sees what they see.
    #[cfg(feature = "train")]
    pub fn teacher_train_config(&self) -> crate::train::TrainConfig {
        let mut c = self.train_config();
        if !self.method.is_mutual() {
            c.augment = Augment::OFF;
        }
        c
    }

    /// The run configuration of `role`'s network in a run of these settings over `samples`
    /// training samples (what its weights file stores).
    #[cfg(feature = "train")]
    pub fn run_config(
        &self,
        role: crate::train::Role,
        classes: usize,
        samples: usize,
    ) -> crate::train::RunConfig {
        use crate::model::{StudentConfig, TeacherConfig};
        use crate::train::Role;
        use crate::train::{NetworkConfig, ObjectiveConfig, RunConfig};
        let network = match role {
            Role::Teacher => NetworkConfig::Teacher(TeacherConfig::new(classes)),
            _ => NetworkConfig::Student(StudentConfig::new(classes)),
        };
        let objective = if role.taught_by(self.method) {
            let mut o = ObjectiveConfig::method(
                self.method,
                self.distill_config(),
                self.hint_epochs,
                MUTUAL_T,
            );
            o.labelled = self
                .labelled(samples)
                .filter(|_| self.method.needs_teacher());
            o
        } else {
            ObjectiveConfig::labels()
        };
        let by = format!("Distill Lab {} (browser)", env!("CARGO_PKG_VERSION"));
        let train = match role {
            Role::Teacher => self.teacher_train_config(),
            _ => self.train_config(),
        };
        RunConfig::new(network, train, objective, samples, by).with_settings(Some(self.to_query()))
    }

    /// The method and its loss written out with these settings' numbers (DML at T = 1, the
    /// paper's form).
    pub fn describe_method(&self) -> String {
        self.method.describe(&self.distill_config(), MUTUAL_T)
    }

    /// The augmentation in words (`None` without it), with where the distilled student's
    /// targets come from when the method has a teacher.
    pub fn describe_augment(&self) -> Option<String> {
        if self.augment.is_off() {
            return None;
        }
        let a = &self.augment;
        let mut parts = Vec::new();
        if a.shift > 0.0 {
            parts.push(format!("shifted up to {} px", a.shift));
        }
        if a.rotate > 0.0 {
            parts.push(format!("rotated up to {}°", a.rotate));
        }
        if a.scale > 0.0 {
            parts.push(format!("resized up to ±{} %", (a.scale * 100.0).round()));
        }
        if a.mixup > 0.0 {
            parts.push(format!(
                "mixed with another image (mixup, Beta({0}, {0}))",
                a.mixup
            ));
        }
        let mut text = format!(
            "Every student's images are varied at each step: {}",
            parts.join(", ")
        );
        if self.method.needs_teacher() {
            text.push_str(&format!(
                "; the distilled student learns from {}",
                self.targets.describe()
            ));
        }
        Some(text)
    }

    /// The learning rate in use.
    pub fn lr(&self) -> f64 {
        self.lr.unwrap_or(self.optimizer.default_lr())
    }

    /// `run`'s settings opened on this page (a lesson, the run a weights file came from): the
    /// page's own choices kept — the device (a machine's, not the run's), the view, the hidden
    /// controls.
    pub fn on_this_page(&self, run: Settings) -> Settings {
        Settings {
            device: self.device,
            present: self.present,
            hide: self.hide.clone(),
            ..run
        }
    }

    pub fn hidden(&self, key: &str) -> bool {
        self.hide.iter().any(|h| h == key)
    }
}
