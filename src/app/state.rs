//! The page's one state, changed only through [`Action`]s.

use crate::device::DeviceInfo;
use crate::protocol::{
    BenchReport, CheckpointInfo, FromWorker, Logits, PerRole, Phase, ResultRow, Role,
    ShardProgress, StepPoint, Thumb,
};
use crate::settings::Settings;
use crate::train::EpochRecord;
use std::rc::Rc;
use yew::Reducible;

/// Most step points kept per curve; older ones are thinned to every other point.
const MAX_POINTS: usize = 2000;

/// Everything known about one network's training.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Curve {
    pub steps: Vec<StepPoint>,
    pub epochs: Vec<EpochRecord>,
    pub samples_per_sec: f32,
    pub steps_per_epoch: usize,
    pub planned_epochs: usize,
    /// Steps taken (the newest point's step, kept exact when points are thinned).
    pub step: usize,
}

impl Curve {
    /// Seconds left at the current speed, if known.
    pub fn eta_secs(&self, batch: usize) -> Option<f32> {
        let total = self.steps_per_epoch * self.planned_epochs;
        if self.samples_per_sec <= 0.0 || total == 0 {
            return None;
        }
        let left = total.saturating_sub(self.step) as f32;
        Some(left * batch as f32 / self.samples_per_sec)
    }
}

/// The page's state by concern: the settings; what the current run produced (replaced whole
/// when a run starts or resumes); the explorer's choices and the files loaded (kept across runs);
/// and the runs finished in this visit.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub settings: Settings,
    pub run: Run,
    pub explorer: Explorer,
    /// Weights files loaded from disk, described.
    pub imported: Rc<Vec<Imported>>,
    /// Runs finished in this visit, for the results' spread over seeds.
    pub finished: Rc<Vec<FinishedRun>>,
}

/// Everything one run (or the page before its first) has produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    /// Adjusted URL values.
    pub warnings: Vec<String>,
    pub phase: Phase,
    pub paused: bool,
    pub device: Option<DeviceInfo>,
    pub dataset: Option<String>,
    pub classes: Rc<Vec<String>>,
    pub shards_total: usize,
    pub bytes_total: usize,
    pub shards: Rc<Vec<ShardProgress>>,
    pub curves: Rc<[Curve; 4]>,
    pub results: Rc<Vec<ResultRow>>,
    pub thumbs: Rc<Vec<Thumb>>,
    pub logits: Rc<Logits>,
    pub errors: Rc<Vec<String>>,
    pub notices: Rc<Vec<String>>,
    /// A run saved by an earlier visit, offered for resuming.
    pub checkpoint: Option<CheckpointInfo>,
    /// The worker died (a panic, e.g. a lost GPU device): the page offers a restart.
    pub crashed: bool,
    pub val_labels: Rc<Vec<u8>>,
    /// Latest validation predictions per network (indexed by `Role::index`).
    pub predictions: Rc<[Option<Vec<u8>>; 4]>,
    pub drawn: Rc<Drawn>,
    pub sweep: Rc<Sweep>,
    /// The speed test: running, and its figures per device.
    pub bench_running: bool,
    pub bench: Rc<Vec<BenchReport>>,
}

impl Run {
    /// A run just started (or resumed): nothing produced yet.
    fn loading() -> Self {
        Run {
            phase: Phase::Loading,
            ..Run::default()
        }
    }
}

/// The explorer's choices: every test image the page has (the grid's and those picked from a
/// confusion cell), the ones selected, and the slider's free temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct Explorer {
    pub images: Rc<Vec<Thumb>>,
    pub selected: Vec<usize>,
    pub t: f32,
}

/// A weights file the user loaded: what it is, and the run that trained it (a share link's
/// query) when the file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub role: Role,
    pub description: String,
    pub run: Option<String>,
}

/// A finished run: its settings less the seed (and what does not change the numbers), the
/// seed, and each network's validation accuracy.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub setup: Settings,
    pub seed: u64,
    pub accuracy: [Option<f32>; 4],
}

/// What a run's numbers depend on, less the seed: runs with equal setups differ only by seed.
pub fn setup_of(s: &Settings) -> Settings {
    Settings {
        seed: 0,
        hide: Vec::new(),
        present: false,
        device: crate::settings::DevicePref::Auto,
        ..s.clone()
    }
}

/// The drawing pad: the input as the model sees it, and each network's logits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Drawn {
    pub input: Option<Vec<u8>>,
    pub logits: PerRole<Vec<f32>>,
}

/// The in-browser T × λ sweep.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sweep {
    pub running: bool,
    pub baseline: Option<f32>,
    /// (T, λ, validation accuracy).
    pub cells: Vec<(f32, f32, f32)>,
}

pub enum Action {
    Worker(FromWorker),
    /// Change the settings (see [`super::controls::Edit`]).
    Edit(super::controls::Edit),
    Started,
    Paused(bool),
    Select(Vec<usize>),
    ExplorerT(f32),
    Dismiss(usize),
    Drew(Option<Vec<u8>>),
    SweepStarted,
    BenchStarted,
    CheckpointHandled,
    WorkerRestarted,
}

impl State {
    pub fn from_query(query: &str) -> State {
        let (settings, warnings) = crate::presets::opening_settings(query);
        State {
            explorer: Explorer {
                images: Default::default(),
                selected: Vec::new(),
                t: settings.temperature,
            },
            settings,
            run: Run {
                warnings,
                ..Run::default()
            },
            imported: Default::default(),
            finished: Default::default(),
        }
    }

    pub fn image(&self, index: usize) -> Option<&Thumb> {
        self.explorer.images.iter().find(|t| t.index == index)
    }

    fn add_images(&mut self, thumbs: &[Thumb]) {
        for t in thumbs {
            if self.image(t.index).is_none() {
                Rc::make_mut(&mut self.explorer.images).push(t.clone());
            }
        }
    }

    /// Whether a network exists to download (trained this run or loaded from a file).
    pub fn has_model(&self, role: Role) -> bool {
        self.run.results.iter().any(|r| r.role == role)
            || self.imported.iter().any(|i| i.role == role)
            || !self.curve(role).epochs.is_empty()
    }

    pub fn curve(&self, role: Role) -> &Curve {
        &self.run.curves[role.index()]
    }

    // Over 80 lines: one short arm per worker message, the reducer's whole protocol in view.
    fn worker(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Device(d) => self.run.device = Some(d),
            FromWorker::Measuring { adapter } => {
                self.run.device = Some(crate::device::DeviceInfo {
                    backend: "measuring".into(),
                    name: adapter,
                    reason: "timing WebGPU and the CPU on a slice of this run's work".into(),
                    measured: None,
                })
            }
            FromWorker::Dataset {
                dataset,
                classes,
                shards,
                bytes,
            } => {
                self.run.dataset = Some(dataset);
                self.run.classes = Rc::new(classes);
                self.run.shards_total = shards;
                self.run.bytes_total = bytes;
            }
            FromWorker::Shard(p) => Rc::make_mut(&mut self.run.shards).push(p),
            FromWorker::Samples(t) => {
                if self.explorer.selected.is_empty()
                    && let Some(first) = t.first()
                {
                    self.explorer.selected = vec![first.index];
                }
                self.add_images(&t);
                self.run.thumbs = Rc::new(t);
            }
            FromWorker::Thumbs(t) => self.add_images(&t),
            FromWorker::Phase(p) => {
                self.run.phase = p;
                if matches!(p, Phase::Done | Phase::Stopped | Phase::Failed) {
                    self.run.paused = false;
                }
                if p == Phase::Done {
                    let accuracy = Role::ALL.map(|r| {
                        self.run
                            .results
                            .iter()
                            .find(|x| x.role == r)
                            .map(|x| x.val_accuracy)
                    });
                    let (setup, seed) = (setup_of(&self.settings), self.settings.seed);
                    let finished = Rc::make_mut(&mut self.finished);
                    finished.retain(|f| !(f.setup == setup && f.seed == seed));
                    finished.push(FinishedRun {
                        setup,
                        seed,
                        accuracy,
                    });
                }
            }
            FromWorker::Steps {
                role,
                points,
                steps_per_epoch,
                epochs,
                samples_per_sec,
            } => {
                let c = &mut Rc::make_mut(&mut self.run.curves)[role.index()];
                if let Some(last) = points.last() {
                    c.step = last.step;
                }
                c.steps.extend(points);
                if c.steps.len() > MAX_POINTS {
                    c.steps = c.steps.iter().step_by(2).copied().collect();
                }
                c.steps_per_epoch = steps_per_epoch;
                c.planned_epochs = epochs;
                c.samples_per_sec = samples_per_sec;
            }
            FromWorker::Epoch { role, record } => Rc::make_mut(&mut self.run.curves)[role.index()]
                .epochs
                .push(record),
            FromWorker::Logits(l) => self.run.logits = Rc::new(l),
            FromWorker::Result(r) => {
                let results = Rc::make_mut(&mut self.run.results);
                results.retain(|x| x.role != r.role);
                results.push(r);
            }
            FromWorker::Error { message, .. } => Rc::make_mut(&mut self.run.errors).push(message),
            FromWorker::Crashed(message) => {
                self.run.crashed = true;
                Rc::make_mut(&mut self.run.errors).push(message);
            }
            FromWorker::Alive => {}
            FromWorker::Notice(n) => Rc::make_mut(&mut self.run.notices).push(n),
            FromWorker::Checkpoint(c) => self.run.checkpoint = c,
            FromWorker::Restored => self.run = Run::loading(),
            FromWorker::Drawn(logits) => Rc::make_mut(&mut self.run.drawn).logits = logits,
            FromWorker::Exported { .. } => {}
            FromWorker::Imported {
                role,
                description,
                run,
            } => {
                let imported = Rc::make_mut(&mut self.imported);
                imported.retain(|i| i.role != role);
                imported.push(Imported {
                    role,
                    description,
                    run,
                });
            }
            FromWorker::ImportRejected { message, .. } => {
                Rc::make_mut(&mut self.run.errors).push(message)
            }
            FromWorker::ValLabels(l) => self.run.val_labels = Rc::new(l),
            FromWorker::Predictions { role, predictions } => {
                Rc::make_mut(&mut self.run.predictions)[role.index()] = Some(predictions)
            }
            FromWorker::SweepBaseline(a) => Rc::make_mut(&mut self.run.sweep).baseline = Some(a),
            FromWorker::SweepCell {
                temperature,
                lambda,
                accuracy,
            } => Rc::make_mut(&mut self.run.sweep)
                .cells
                .push((temperature, lambda, accuracy)),
            FromWorker::SweepDone => Rc::make_mut(&mut self.run.sweep).running = false,
            FromWorker::Bench(out) => {
                self.run.bench_running = false;
                match out {
                    Ok(r) => {
                        let bench = Rc::make_mut(&mut self.run.bench);
                        bench.retain(|b| b.device.backend != r.device.backend);
                        bench.push(r);
                    }
                    Err(message) => Rc::make_mut(&mut self.run.errors).push(message),
                }
            }
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Worker(msg) => s.worker(msg),
            Action::Edit(edit) => {
                let t = s.settings.temperature;
                edit(&mut s.settings);
                if s.settings.temperature != t {
                    s.explorer.t = s.settings.temperature;
                }
            }
            Action::Started => s.run = Run::loading(),
            Action::Drew(input) => {
                if input.is_none() {
                    Rc::make_mut(&mut s.run.drawn).logits = Default::default();
                }
                Rc::make_mut(&mut s.run.drawn).input = input;
            }
            Action::SweepStarted => {
                s.run.sweep = Rc::new(Sweep {
                    running: true,
                    ..Default::default()
                })
            }
            Action::BenchStarted => s.run.bench_running = true,
            Action::CheckpointHandled => s.run.checkpoint = None,
            Action::WorkerRestarted => {
                s.run.crashed = false;
                Rc::make_mut(&mut s.run.errors).clear();
            }
            Action::Paused(p) => s.run.paused = p,
            Action::Select(sel) => s.explorer.selected = sel,
            Action::ExplorerT(t) => s.explorer.t = t,
            Action::Dismiss(i) => {
                if i < s.run.errors.len() {
                    Rc::make_mut(&mut s.run.errors).remove(i);
                }
            }
        }
        Rc::new(s)
    }
}
