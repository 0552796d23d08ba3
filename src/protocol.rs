//! The messages between the page (UI thread) and the training worker: one enum per direction,
//! small payloads. The worker fetches the shards itself; megabytes never cross `postMessage`.

use crate::bench::{BenchFigures, BenchSpec};
use crate::device::DeviceInfo;
use crate::settings::Settings;
use crate::train::EpochRecord;
use serde::{Deserialize, Serialize};

pub use crate::train::{PerRole, Role};

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
    /// Both backends as measured on this adapter on an earlier visit (the page keeps them; a
    /// worker has no `localStorage`): `device=auto` goes by them instead of measuring again.
    Remembered(Option<crate::device::Measured>),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Phase {
    #[default]
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
    /// When the run varies its images: the first sample seen through one of its views, and the
    /// teacher's logits on that view (what a consistent teacher gives the student for it).
    #[serde(default)]
    pub view: Option<AugmentedView>,
}

/// One augmented view of a test sample ([`crate::data::augment::view`] under the run's
/// augmentation and seed), with the teacher's logits on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentedView {
    pub index: usize,
    /// The view's number (students see view `e mod K` in epoch `e` with K cached views).
    pub view: u64,
    /// 28x28 grey levels, as the network sees them.
    pub pixels: Vec<u8>,
    pub teacher: Vec<f32>,
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
    /// Both backends are being timed on a slice of the run's work on this adapter (the
    /// `Device` message follows). Compiling WebGPU's shaders can keep the worker busy for
    /// seconds: the page then waits as long as it does for a WebGPU run.
    Measuring {
        adapter: String,
    },
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
    /// A weights file was accepted for `role`; `run`: the run that trained it as a share link's
    /// query, when the file says (its run config's experiment, or the page's settings).
    Imported {
        role: Role,
        description: String,
        run: Option<String>,
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
