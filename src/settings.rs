//! The experiment's settings and their URL form: every setting lives in the query string, so a
//! link reproduces the setup, and `hide=` hides controls for a classroom. Bad values are clamped
//! and reported, never fatal.

use crate::distill::{DistillConfig, LossForm, Method};
use crate::train::OptimizerKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DevicePref {
    /// WebGPU on a hardware adapter; the CPU when WebGPU is missing or its only adapter is a
    /// software renderer (SwiftShader trains far slower than the CPU backend: docs/PERFORMANCE.md).
    Auto,
    /// WebGPU on whatever adapter the browser offers, software ones included (the CPU only
    /// when there is no WebGPU at all).
    WebGpu,
    /// The CPU backend even where WebGPU exists.
    Cpu,
}

impl DevicePref {
    /// The URL and `<select>` value.
    pub fn name(self) -> &'static str {
        match self {
            DevicePref::Auto => "auto",
            DevicePref::WebGpu => "webgpu",
            DevicePref::Cpu => "cpu",
        }
    }

    pub fn parse(v: &str) -> Option<Self> {
        match v {
            "auto" => Some(DevicePref::Auto),
            "webgpu" | "gpu" => Some(DevicePref::WebGpu),
            "cpu" => Some(DevicePref::Cpu),
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
pub const KEYS: [&str; 17] = [
    "dataset", "method", "epochs", "batch", "lr", "opt", "T", "lambda", "loss", "hints", "subset",
    "labels", "val", "seed", "sched", "device", "teacher",
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

/// The query's `key=value` pairs, percent-decoded.
fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
}

/// Whether `query` sets nothing a lesson sets (nothing, or only `hide=`, `device=`, `view=`
/// and `bench=`, which belong to the page and the machine): a bare visit.
pub fn sets_no_lesson(query: &str) -> bool {
    pairs(query).all(|(k, _)| matches!(k.as_str(), "hide" | "device" | "bench" | "view"))
}

/// `bench=webgpu` → `Some(false)`, `bench=cpu` → `Some(true)`: not a setting, but a request to
/// run the speed test on load (`app::speed`; `cargo xtask bench` drives the page this way).
pub fn bench_request(query: &str) -> Option<bool> {
    pairs(query).find_map(|(k, v)| (k == "bench").then(|| bench_backend(&v)).flatten())
}

fn bench_backend(v: &str) -> Option<bool> {
    match v {
        "webgpu" => Some(false),
        "cpu" => Some(true),
        _ => None,
    }
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("x"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn clamp_num<T: PartialOrd + Copy + std::str::FromStr + std::fmt::Display>(
    key: &str,
    raw: &str,
    (lo, hi): (T, T),
    default: T,
    warnings: &mut Vec<String>,
) -> T {
    match raw.trim().parse::<T>() {
        // NaN compares false with everything, so it would pass both bounds below.
        Ok(v) if v.partial_cmp(&v).is_none() => {
            warnings.push(format!("{key}={raw} is not a number; using {default}"));
            default
        }
        Ok(v) if v < lo => {
            warnings.push(format!("{key}={raw} is below {lo}; using {lo}"));
            lo
        }
        Ok(v) if v > hi => {
            warnings.push(format!("{key}={raw} is above {hi}; using {hi}"));
            hi
        }
        Ok(v) => v,
        Err(_) => {
            warnings.push(format!(
                "{key}={raw} is not a valid number; using {default}"
            ));
            default
        }
    }
}

impl Settings {
    /// Parse a query string (with or without the leading `?`). Unknown keys and bad values are
    /// reported in the returned warnings; the settings are always usable.
    pub fn from_query(query: &str) -> (Settings, Vec<String>) {
        let mut s = Settings::default();
        let d = Settings::default();
        let mut w = Vec::new();
        for (k, v) in pairs(query) {
            match k.as_str() {
                "dataset" => {
                    let ok = !v.is_empty()
                        && v.len() <= 64
                        && v.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if ok {
                        s.dataset = v;
                    } else {
                        w.push(format!(
                            "dataset={v} is not a dataset folder name; using {}",
                            d.dataset
                        ));
                    }
                }
                "epochs" => s.epochs = clamp_num("epochs", &v, EPOCHS, d.epochs, &mut w),
                "batch" => s.batch = clamp_num("batch", &v, BATCH, d.batch, &mut w),
                "lr" => {
                    s.lr = if v.is_empty() || v == "default" {
                        None
                    } else {
                        let lr = clamp_num("lr", &v, LR, f64::NAN, &mut w);
                        (!lr.is_nan()).then_some(lr)
                    }
                }
                "opt" => match v.parse() {
                    Ok(o) => s.optimizer = o,
                    Err(e) => w.push(format!("{e}; using {}", d.optimizer)),
                },
                "T" | "t" | "temperature" => {
                    s.temperature = clamp_num("T", &v, TEMPERATURE, d.temperature, &mut w)
                }
                "lambda" | "alpha" => s.lambda = clamp_num("lambda", &v, LAMBDA, d.lambda, &mut w),
                "loss" => match v.parse() {
                    Ok(l) => s.loss = l,
                    Err(e) => w.push(format!("{e}; using {}", d.loss)),
                },
                "method" => match v.parse() {
                    Ok(m) => s.method = m,
                    Err(e) => w.push(format!("{e}; using {}", d.method)),
                },
                "hints" => {
                    s.hint_epochs = clamp_num("hints", &v, HINT_EPOCHS, d.hint_epochs, &mut w)
                }
                "subset" => s.subset = clamp_num("subset", &v, SUBSET, d.subset, &mut w),
                "labels" => {
                    s.labels = if v.is_empty() || v == "all" {
                        None
                    } else {
                        Some(clamp_num("labels", &v, LABELS, LABELS.1, &mut w))
                    }
                }
                "val" => s.val = clamp_num("val", &v, VAL, d.val, &mut w),
                "seed" => s.seed = clamp_num("seed", &v, (0u64, u64::MAX), d.seed, &mut w),
                "sched" => match v.as_str() {
                    "on" | "1" | "true" => s.schedule = true,
                    "off" | "0" | "false" => s.schedule = false,
                    _ => w.push(format!("sched={v} should be on or off; using on")),
                },
                "device" => match DevicePref::parse(&v) {
                    Some(d) => s.device = d,
                    None => w.push(format!(
                        "device={v} should be auto, webgpu or cpu; using auto"
                    )),
                },
                "teacher" => match v.as_str() {
                    "train" => s.pretrained = false,
                    "pretrained" => s.pretrained = true,
                    _ => w.push(format!(
                        "teacher={v} should be train or pretrained; using train"
                    )),
                },
                "view" => match v.as_str() {
                    "present" => s.present = true,
                    "lab" => s.present = false,
                    _ => w.push(format!("view={v} should be present or lab; using lab")),
                },
                "hide" => {
                    for name in v.split(',').filter(|n| !n.is_empty()) {
                        if KEYS.contains(&name) || SECTIONS.contains(&name) {
                            if !s.hide.iter().any(|h| h == name) {
                                s.hide.push(name.to_string());
                            }
                        } else {
                            w.push(format!("hide: there is no control called {name}"));
                        }
                    }
                }
                // Not a setting: the page runs the speed test on load (see `app::speed`).
                "bench" => {
                    if bench_backend(&v).is_none() {
                        w.push(format!("bench={v} should be webgpu or cpu; no speed test"));
                    }
                }
                _ => w.push(format!("unknown setting {k} ignored")),
            }
        }
        (s, w)
    }

    /// The query string (without `?`) that reproduces these settings. Defaults are left out.
    pub fn to_query(&self) -> String {
        let d = Settings::default();
        let mut parts = Vec::new();
        let mut put = |k: &str, v: String| parts.push(format!("{k}={}", encode(&v)));
        if self.dataset != d.dataset {
            put("dataset", self.dataset.clone());
        }
        if self.epochs != d.epochs {
            put("epochs", self.epochs.to_string());
        }
        if self.batch != d.batch {
            put("batch", self.batch.to_string());
        }
        if let Some(lr) = self.lr {
            put("lr", lr.to_string());
        }
        if self.optimizer != d.optimizer {
            put("opt", self.optimizer.name().into());
        }
        if self.temperature != d.temperature {
            put("T", self.temperature.to_string());
        }
        if self.lambda != d.lambda {
            put("lambda", self.lambda.to_string());
        }
        if self.loss != d.loss {
            put("loss", self.loss.name().into());
        }
        if self.method != d.method {
            put("method", self.method.name().into());
        }
        if self.hint_epochs != d.hint_epochs {
            put("hints", self.hint_epochs.to_string());
        }
        if self.subset != d.subset {
            put("subset", self.subset.to_string());
        }
        if let Some(k) = self.labels {
            put("labels", k.to_string());
        }
        if self.val != d.val {
            put("val", self.val.to_string());
        }
        if self.seed != d.seed {
            put("seed", self.seed.to_string());
        }
        if self.schedule != d.schedule {
            put("sched", if self.schedule { "on" } else { "off" }.into());
        }
        if self.device != d.device {
            put("device", self.device.name().into());
        }
        if self.pretrained {
            put("teacher", "pretrained".into());
        }
        if self.present {
            put("view", "present".into());
        }
        if !self.hide.is_empty() {
            put("hide", self.hide.join(","));
        }
        parts.join("&")
    }

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

    /// The method and its loss written out with these settings' numbers (DML at T = 1, the
    /// paper's form).
    pub fn describe_method(&self) -> String {
        self.method.describe(&self.distill_config(), MUTUAL_T)
    }

    /// The learning rate in use.
    pub fn lr(&self) -> f64 {
        self.lr.unwrap_or(self.optimizer.default_lr())
    }

    pub fn hidden(&self, key: &str) -> bool {
        self.hide.iter().any(|h| h == key)
    }
}
