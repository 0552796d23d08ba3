//! The messages between the page (UI thread) and the training worker: one enum per direction,
//! small payloads. The worker fetches the shards itself; megabytes never cross `postMessage`.

use crate::bench::{BenchFigures, BenchSpec};
use crate::device::DeviceInfo;
use crate::settings::Settings;
use crate::train::EpochRecord;
use serde::{Deserialize, Serialize};

/// The networks of the experiment: the teacher, the baseline student, the student taught by
/// the method (distilled, FitNets or a cohort's first member), and a deep-mutual-learning
/// cohort's second student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Teacher,
    Baseline,
    Distilled,
    Peer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Teacher, Role::Baseline, Role::Distilled, Role::Peer];

    /// Where the role's data sits in per-role arrays (`[T; Role::ALL.len()]`).
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Teacher => "teacher CNN",
            Role::Baseline => "baseline student",
            Role::Distilled => "distilled student",
            Role::Peer => "peer student",
        }
    }

    /// The role's name under `method`: what its network is in that run.
    pub fn label_for(self, method: crate::distill::Method) -> &'static str {
        use crate::distill::Method;
        match (self, method) {
            (Role::Teacher, Method::MutualTeacher) => "CNN (mutual, from scratch)",
            (Role::Distilled, Method::FitNets) => "FitNets student",
            (Role::Distilled, Method::MutualStudents | Method::MutualTeacher) => "mutual student",
            _ => self.label(),
        }
    }

    /// Whether a run by `method` has this network.
    pub fn in_method(self, method: crate::distill::Method) -> bool {
        use crate::distill::Method;
        match self {
            Role::Teacher => method != Method::MutualStudents,
            Role::Peer => method == Method::MutualStudents,
            Role::Baseline | Role::Distilled => true,
        }
    }

    /// Whether `method` taught this network (the rest learn from labels alone): its student,
    /// a DML peer, and the CNN of a student + CNN cohort.
    pub fn taught_by(self, method: crate::distill::Method) -> bool {
        use crate::distill::Method;
        match self {
            Role::Distilled => true,
            Role::Peer => method.is_mutual(),
            Role::Teacher => method == Method::MutualTeacher,
            Role::Baseline => false,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Baseline => "baseline",
            Role::Distilled => "distilled",
            Role::Peer => "peer",
        }
    }
}

/// One value per network of the experiment, addressed by [`Role`] (none to begin with).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerRole<T>([Option<T>; 4]);

impl<T> Default for PerRole<T> {
    fn default() -> Self {
        PerRole(std::array::from_fn(|_| None))
    }
}

impl<T> PerRole<T> {
    pub fn get(&self, role: Role) -> Option<&T> {
        self.0[role.index()].as_ref()
    }

    pub fn set(&mut self, role: Role, value: T) {
        self.0[role.index()] = Some(value);
    }

    /// The roles that have a value, in [`Role::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Role, &T)> {
        Role::ALL
            .into_iter()
            .filter_map(|r| Some((r, self.get(r)?)))
    }
}

/// UI → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// The page loaded: is there a checkpoint to offer?
    Hello,
    /// Load the data and run the experiment with these settings.
    Start(Settings),
    Pause,
    /// Go on after a `Pause`.
    Unpause,
    Stop,
    /// Continue the checkpointed run (on the CPU if `cpu`, e.g. after the GPU was lost).
    ResumeFromCheckpoint {
        cpu: bool,
    },
    DiscardCheckpoint,
    /// Test samples to show in the temperature explorer; their logits come back now and after
    /// every epoch.
    Inspect(Vec<usize>),
    /// A drawn 28x28 image: every trained network's logits come back.
    Classify(Vec<u8>),
    /// Send back a network's weights file.
    Export(Role),
    /// A weights file picked by the user, for the dataset in `settings`. `id` names it in an
    /// [`FromWorker::ImportRejected`] reply (the page numbers its imports).
    Import {
        id: u32,
        name: String,
        bytes: Vec<u8>,
        settings: Settings,
    },
    /// Distilled-student accuracy over a T × λ grid (student only, cached teacher logits).
    Sweep(SweepSpec),
    /// Time the study's networks on WebGPU (or on the CPU backend if `cpu`).
    Bench {
        cpu: bool,
    },
}

/// A small grid for the in-browser sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    pub temperatures: Vec<f32>,
    pub lambdas: Vec<f32>,
    pub epochs: usize,
    /// Training samples per cell (a subset keeps it quick).
    pub subset: usize,
}

impl Default for SweepSpec {
    fn default() -> Self {
        SweepSpec {
            temperatures: vec![1.0, 2.0, 5.0, 10.0, 20.0],
            lambdas: vec![0.1, 0.5, 0.9],
            epochs: 2,
            subset: 2000,
        }
    }
}

/// Progress of one shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardProgress {
    pub file: String,
    /// 0-based position among the shards this run needs.
    pub index: usize,
    pub of: usize,
    pub bytes: usize,
    pub samples: usize,
    /// Served from the browser cache, not the network.
    pub cached: bool,
    /// The sha256 check.
    pub verify_ms: f64,
    /// Inflating and checking the layout.
    pub decode_ms: f64,
}

/// A test sample for the explorer's grid: its label and 28x28 pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thumb {
    pub index: usize,
    pub label: u8,
    pub pixels: Vec<u8>,
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Idle,
    Loading,
    Training(Role),
    /// Computing the teacher's logits over the training set (once): `done` of `of` samples.
    Caching {
        done: usize,
        of: usize,
    },
    /// Baseline and distilled students, side by side.
    Students,
    Done,
    Stopped,
    Failed,
}

/// Training throughput, reported with each batch of steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepPoint {
    pub step: usize,
    pub epoch: usize,
    pub loss: f32,
    pub accuracy: f32,
}

/// Logits of the inspected samples, `[sample][class]`, for each network that exists yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Logits {
    pub samples: Vec<usize>,
    pub nets: PerRole<Vec<Vec<f32>>>,
}

/// A saved run the page can offer to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    pub summary: String,
    pub saved_at_ms: f64,
    pub query: String,
}

/// The speed test on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub device: DeviceInfo,
    pub spec: BenchSpec,
    pub figures: BenchFigures,
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub role: Role,
    pub params: usize,
    pub val_accuracy: f32,
    pub epochs: usize,
}

/// How often the worker says it is alive.
pub const HEARTBEAT_MS: i32 = 1_000;
/// Silence after which the page calls a working worker dead on the CPU backend: far above the
/// longest stretch its loop runs without yielding (a batch of the teacher, about a second),
/// short enough for a class to be told within seconds.
pub const SILENCE_MS: f64 = 10_000.0;
/// The same on WebGPU, where the browser's shader compilation holds the worker's thread (first
/// steps on a software adapter take seconds each: docs/PERFORMANCE.md).
pub const SILENCE_WEBGPU_MS: f64 = 60_000.0;

/// Worker → UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Which device runs the tensors, and why.
    Device(DeviceInfo),
    /// The manifest arrived: what will be loaded.
    Dataset {
        dataset: String,
        classes: Vec<String>,
        shards: usize,
        bytes: usize,
    },
    Shard(ShardProgress),
    /// Test samples for the explorer grid.
    Samples(Vec<Thumb>),
    Phase(Phase),
    Steps {
        role: Role,
        points: Vec<StepPoint>,
        steps_per_epoch: usize,
        epochs: usize,
        samples_per_sec: f32,
    },
    Epoch {
        role: Role,
        record: EpochRecord,
    },
    Logits(Logits),
    Result(ResultRow),
    /// The worker's heartbeat, every [`HEARTBEAT_MS`]: a worker that dies without a word (out
    /// of memory, an abort, closed by the browser) falls silent, and the page says so.
    Alive,
    /// The worker is gone: its panic hook's last word, or the page's verdict on its silence.
    Crashed(String),
    /// A checkpoint from an earlier visit (`None`: nothing to resume).
    Checkpoint(Option<CheckpointInfo>),
    /// The run was restored from a checkpoint: the page clears itself before the replay.
    Restored,
    /// Logits of a drawn image: `[class]` per network that exists.
    Drawn(PerRole<Vec<f32>>),
    /// A weights file to save.
    Exported {
        role: Role,
        name: String,
        bytes: Vec<u8>,
    },
    /// A weights file was accepted for `role`.
    Imported {
        role: Role,
        description: String,
    },
    /// The weights file of import `id` was refused, and why (what is wrong, what to do). The
    /// page shows the message and no longer re-sends that file to a respawned worker.
    ImportRejected {
        id: u32,
        message: String,
    },
    /// Labels of the validation samples (for confusion matrices).
    ValLabels(Vec<u8>),
    /// A network's predictions on the validation samples after an epoch.
    Predictions {
        role: Role,
        predictions: Vec<u8>,
    },
    /// Images of further test samples (picked from a confusion-matrix cell).
    Thumbs(Vec<Thumb>),
    SweepBaseline(f32),
    SweepCell {
        temperature: f32,
        lambda: f32,
        accuracy: f32,
    },
    SweepDone,
    /// The speed test's figures, or why it failed.
    Bench(Result<BenchReport, String>),
    /// Something went wrong: what, and what to do. `fatal` ends the run.
    Error {
        message: String,
        fatal: bool,
    },
    /// Information worth showing (e.g. "early stopping after epoch 7").
    Notice(String),
}
