//! Settings ↔ a share link's query: percent-coding, every value checked and clamped to its
//! range (NaN included), unknown keys and bad values reported, never fatal.

use super::*;

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

/// `raw` as a number within `(lo, hi)` (clamped, with a warning), or `None` with a warning that
/// says what is used instead (`using`) when it is not a number (NaN included).
fn clamp_or<T: PartialOrd + Copy + std::str::FromStr + std::fmt::Display>(
    key: &str,
    raw: &str,
    (lo, hi): (T, T),
    using: &str,
    warnings: &mut Vec<String>,
) -> Option<T> {
    match raw.trim().parse::<T>() {
        // NaN compares false with everything, so it would pass both bounds below.
        Ok(v) if v.partial_cmp(&v).is_none() => {
            warnings.push(format!("{key}={raw} is not a number; using {using}"));
            None
        }
        Ok(v) if v < lo => {
            warnings.push(format!("{key}={raw} is below {lo}; using {lo}"));
            Some(lo)
        }
        Ok(v) if v > hi => {
            warnings.push(format!("{key}={raw} is above {hi}; using {hi}"));
            Some(hi)
        }
        Ok(v) => Some(v),
        Err(_) => {
            warnings.push(format!("{key}={raw} is not a valid number; using {using}"));
            None
        }
    }
}

/// [`clamp_or`] with `default` in place of what is not a number.
fn clamp_num<T: PartialOrd + Copy + std::str::FromStr + std::fmt::Display>(
    key: &str,
    raw: &str,
    range: (T, T),
    default: T,
    warnings: &mut Vec<String>,
) -> T {
    clamp_or(key, raw, range, &default.to_string(), warnings).unwrap_or(default)
}

impl Settings {
    /// Parse a query string (with or without the leading `?`). Unknown keys and bad values are
    /// reported in the returned warnings; the settings are always usable.
    // Over 80 lines: one arm per key of a share link, each value checked in its arm.
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
                        clamp_or("lr", &v, LR, "the optimizer's default", &mut w)
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
                "augment" => match Augment::parse(&v) {
                    Ok(a) => s.augment = a,
                    Err(e) => w.push(format!("augment: {e}; using off")),
                },
                "targets" => match TargetsFrom::parse(&v) {
                    Ok(t) => s.targets = t,
                    Err(e) => w.push(format!("targets: {e}; using clean")),
                },
                "subset" => s.subset = clamp_num("subset", &v, SUBSET, d.subset, &mut w),
                "labels" => {
                    s.labels = if v.is_empty() || v == "all" {
                        None
                    } else {
                        clamp_or("labels", &v, LABELS, "all", &mut w)
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
        if self.augment != d.augment {
            put("augment", self.augment.to_string());
        }
        if self.targets != d.targets {
            put("targets", self.targets.to_string());
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
}
