//! The settings panel, folded behind "Settings" (a lesson needs none of it): every control is a
//! native, labelled input (keyboard-usable), hidden when the URL's `hide=` names it, disabled
//! while a run goes; the share link and the loss in use with them.

mod number_field;

use crate::data::augment::{Augment, TargetsFrom};
use crate::distill::LossForm;
use crate::settings::{self, DevicePref, Settings};
use crate::train::OptimizerKind;
use number_field::NumberField;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// A change to the settings, applied by the reducer to the settings it holds (so quick
/// successive edits never overwrite each other with a stale copy).
pub type Edit = Rc<dyn Fn(&mut Settings)>;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub settings: Settings,
    /// The datasets on this server (`data/index.json`), when known: the dataset is then picked
    /// from them rather than typed.
    pub datasets: Option<Vec<String>>,
    pub running: bool,
    pub on_change: Callback<Edit>,
}

/// A number field: `key` is the URL key (and the element id), `apply` writes the parsed value.
fn number(
    p: &ControlsProps,
    key: &'static str,
    label: &str,
    value: String,
    step: &str,
    (min, max): (f64, f64),
    apply: fn(&mut Settings, f64),
) -> Html {
    if p.settings.hidden(key) {
        return html! {};
    }
    let cb = p.on_change.clone();
    let on_commit =
        Callback::from(move |v: f64| cb.emit(Rc::new(move |s: &mut Settings| apply(s, v))));
    html! {
        <label class="control" for={format!("ctl-{key}")}>
            <span>{ label }</span>
            <NumberField id={format!("ctl-{key}")} {value} step={step.to_string()} {min} {max}
                disabled={p.running} {on_commit} />
        </label>
    }
}

fn select(
    p: &ControlsProps,
    key: &'static str,
    label: &str,
    value: &str,
    options: &[(&str, &str)],
    apply: fn(&mut Settings, &str),
) -> Html {
    if p.settings.hidden(key) {
        return html! {};
    }
    let cb = p.on_change.clone();
    let onchange = Callback::from(move |e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        cb.emit(Rc::new(move |s: &mut Settings| apply(s, &value)));
    });
    html! {
        <label class="control" for={format!("ctl-{key}")}>
            <span>{ label }</span>
            <select id={format!("ctl-{key}")} disabled={p.running} {onchange}>
                { for options.iter().map(|(v, text)| html! {
                    <option value={v.to_string()} selected={*v == value}>{ *text }</option>
                }) }
            </select>
        </label>
    }
}

/// A `<select>` over `options` (value, text) whose current `value` is always offered, even when a
/// share link chose one the list does not name.
fn select_shown<T: std::fmt::Display>(
    p: &ControlsProps,
    (key, label): (&'static str, &str),
    value: &T,
    options: &[(T, &str)],
    apply: fn(&mut Settings, &str),
) -> Html {
    let value = value.to_string();
    let mut options: Vec<(String, String)> = options
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect();
    if !options.iter().any(|(v, _)| *v == value) {
        options.push((value.clone(), value.clone()));
    }
    let refs: Vec<(&str, &str)> = options
        .iter()
        .map(|(v, t)| (v.as_str(), t.as_str()))
        .collect();
    select(p, key, label, &value, &refs, apply)
}

/// How every student's images are varied (`augment=`).
fn augment_select(p: &ControlsProps) -> Html {
    let mixup = Augment {
        mixup: 1.0,
        ..Augment::JITTER
    };
    let options = [
        (Augment::OFF, "none (the study)"),
        (Augment::JITTER, "jitter: shift, rotate, resize"),
        (mixup, "jitter + mixup"),
    ];
    select_shown(
        p,
        ("augment", "Augmentation"),
        &p.settings.augment,
        &options,
        |s, v| s.augment = Augment::parse(v).unwrap_or_default(),
    )
}

/// Where the distilled student's targets come from under augmentation (`targets=`).
fn targets_select(p: &ControlsProps) -> Html {
    let options = [
        (
            TargetsFrom::Views(4),
            "teacher on 4 views, cached (consistent)",
        ),
        (
            TargetsFrom::Live,
            "teacher on every batch (function matching)",
        ),
        (
            TargetsFrom::Clean,
            "teacher on the unvaried images (inconsistent)",
        ),
    ];
    select_shown(
        p,
        ("targets", "Teacher's targets"),
        &p.settings.targets,
        &options,
        |s, v| s.targets = TargetsFrom::parse(v).unwrap_or_default(),
    )
}

// Over 80 lines: the form's markup, one control per setting.
#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
    super::renders::panel("controls");
    let s = &p.settings;
    let f = |v: (usize, usize)| (v.0 as f64, v.1 as f64);
    let share = {
        // From the settings, not the address bar: the bar is updated after this render.
        let url = web_sys::window()
            .map(|w| {
                let l = w.location();
                let q = s.to_query();
                let base = format!(
                    "{}{}",
                    l.origin().unwrap_or_default(),
                    l.pathname().unwrap_or_default()
                );
                if q.is_empty() {
                    base
                } else {
                    format!("{base}?{q}")
                }
            })
            .unwrap_or_default();
        html! {
            <label class="control share" for="share-link">
                <span>{ "Share link" }</span>
                <input id="share-link" type="text" readonly=true value={url}
                    onfocus={Callback::from(|e: FocusEvent| e.target_unchecked_into::<HtmlInputElement>().select())} />
            </label>
        }
    };
    html! {
        <section class="controls" aria-label="Settings">
            <details id="settings">
            <summary>{ "Settings" }</summary>
            <div class="grid">
                { if s.hidden("dataset") { html! {} } else if let Some(here) = &p.datasets {
                    let cb = p.on_change.clone();
                    let missing = !here.contains(&s.dataset);
                    html! {
                        <label class="control" for="ctl-dataset">
                            <span>{ "Dataset" }</span>
                            <select id="ctl-dataset" disabled={p.running}
                                onchange={Callback::from(move |e: Event| {
                                    let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                                    cb.emit(Rc::new(move |s: &mut Settings| s.dataset = v.clone()));
                                })}>
                                { for here.iter().map(|d| html! {
                                    <option value={d.clone()} selected={*d == s.dataset}>{ d.clone() }</option>
                                }) }
                                if missing {
                                    <option value={s.dataset.clone()} selected=true>{ format!("{} (not on this server)", s.dataset) }</option>
                                }
                            </select>
                        </label>
                    }
                } else {
                    let cb = p.on_change.clone();
                    html! {
                        <label class="control" for="ctl-dataset">
                            <span>{ "Dataset" }</span>
                            <input id="ctl-dataset" type="text" value={s.dataset.clone()} disabled={p.running}
                                onchange={Callback::from(move |e: Event| {
                                    let v = e.target_unchecked_into::<HtmlInputElement>().value();
                                    let (parsed, _) = Settings::from_query(&format!("dataset={v}"));
                                    cb.emit(Rc::new(move |s: &mut Settings| s.dataset = parsed.dataset.clone()));
                                })} />
                        </label>
                    }
                } }
                { select(p, "method", "Method", s.method.name(),
                    &[("distill", "classic distillation (the study)"), ("fitnets", "FitNets hints, then distillation"),
                      ("dml", "deep mutual learning: 2 students"), ("dml-cnn", "deep mutual learning: student + CNN")],
                    |s, v| s.method = v.parse().unwrap_or_default()) }
                { number(p, "epochs", "Epochs", s.epochs.to_string(), "1", f(settings::EPOCHS), |s, v| s.epochs = v as usize) }
                { number(p, "batch", "Batch size", s.batch.to_string(), "1", f(settings::BATCH), |s, v| s.batch = v as usize) }
                { number(p, "lr", "Learning rate", format!("{}", s.lr()), "any", settings::LR, |s, v| s.lr = Some(v)) }
                { select(p, "opt", "Optimizer", s.optimizer.name(), &[("adadelta", "Adadelta (the study)"), ("adam", "Adam")],
                    |s, v| { s.optimizer = v.parse().unwrap_or(OptimizerKind::Adadelta); s.lr = None; }) }
                { number(p, "T", "Temperature T", s.temperature.to_string(), "0.5",
                    (settings::TEMPERATURE.0 as f64, settings::TEMPERATURE.1 as f64), |s, v| s.temperature = v as f32) }
                { number(p, "lambda", if s.loss == LossForm::Keras { "λ (hard-label weight)" } else { "α (soft-target weight)" },
                    s.lambda.to_string(), "0.05", (0.0, 1.0), |s, v| s.lambda = v as f32) }
                { select(p, "loss", "Loss", s.loss.name(),
                    &[("keras", "keras: λ·CE + soft CE (the study, no T²)"), ("hinton", "hinton: (1−α)·CE + α·T²·KL")],
                    |s, v| s.loss = v.parse().unwrap_or(LossForm::Keras)) }
                if s.method == crate::distill::Method::FitNets {
                    { number(p, "hints", "FitNets hint epochs", s.hint_epochs.to_string(), "1", f(settings::HINT_EPOCHS), |s, v| s.hint_epochs = v as usize) }
                }
                { augment_select(p) }
                if !s.augment.is_off() && s.method.needs_teacher() {
                    { targets_select(p) }
                }
                { number(p, "subset", "Training samples", s.subset.to_string(), "1000", f(settings::SUBSET), |s, v| s.subset = v as usize) }
                { number(p, "labels", "…of them labelled (the rest: teacher only)", s.labels.unwrap_or(s.subset).min(s.subset).to_string(), "100",
                    f(settings::LABELS), |s, v| s.labels = ((v as usize) < s.subset).then_some(v as usize)) }
                { number(p, "val", "Validation samples", s.val.to_string(), "500", f(settings::VAL), |s, v| s.val = v as usize) }
                { number(p, "seed", "Seed", s.seed.to_string(), "1", (0.0, 1e15), |s, v| s.seed = v as u64) }
                { select(p, "sched", "LR schedule", if s.schedule { "on" } else { "off" },
                    &[("on", "plateau ×0.1 + early stop (study)"), ("off", "constant, all epochs")],
                    |s, v| s.schedule = v == "on") }
                { select(p, "device", "Device", s.device.name(),
                    &[("auto", "auto: the faster here (measured once)"), ("measure", "measure both again"), ("webgpu", "WebGPU, any adapter"), ("cpu", "CPU")],
                    |s, v| s.device = DevicePref::parse(v).unwrap_or(DevicePref::Auto)) }
                { share }
            </div>
            <p class="loss-in-use" id="loss-in-use">{ format!("Loss in use — {}", s.describe_method()) }
                { s.labelled(s.subset).map(|k| format!(". Only the first {k} of the {} samples are labelled: the baseline learns from those alone, the distilled student also from the teacher's soft targets on all {}.", s.subset, s.subset)).unwrap_or_default() }
                { s.describe_augment().map(|a| format!(". {a}.")).unwrap_or_default() }</p>
            </details>
        </section>
    }
}
