//! The results table, like the study's: parameters, validation accuracy, gain over the
//! baseline, next to the study's own numbers.

use super::state::{Curve, FinishedRun};
use crate::device::DeviceInfo;
use crate::distill::Method;
use crate::protocol::{ResultRow, Role};
use crate::settings::Settings;
use std::rc::Rc;
use yew::prelude::*;

/// The Keras study on EMNIST letters (validation accuracy, %); it ran classic distillation only.
fn study(role: Role, method: Method) -> Option<f32> {
    match role {
        Role::Teacher if method.needs_teacher() => Some(94.4),
        Role::Baseline => Some(91.6),
        Role::Distilled if method == Method::Distill => Some(92.2),
        _ => None,
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct ResultsProps {
    pub results: Rc<Vec<ResultRow>>,
    pub finished: Rc<Vec<FinishedRun>>,
    pub settings: Settings,
    /// For the run's history (the download) and whether there is one yet.
    pub curves: Rc<[Curve; 4]>,
    pub device: Option<DeviceInfo>,
    pub dataset: Option<String>,
    pub classes: Rc<Vec<String>>,
}

/// The run's history as JSON: settings, device, curves and results (the page's download),
/// made when asked for, not at every step.
fn history_json(p: &ResultsProps) -> String {
    let curves: serde_json::Map<String, serde_json::Value> = Role::ALL
        .iter()
        .map(|&r| {
            let c = serde_json::to_value(&p.curves[r.index()]).unwrap_or_default();
            (r.key().to_string(), c)
        })
        .collect();
    serde_json::json!({
        "settings": p.settings,
        "share_query": p.settings.to_query(),
        "device": p.device,
        "dataset": p.dataset,
        "classes": *p.classes,
        "curves": curves,
        "results": *p.results,
    })
    .to_string()
}

#[function_component(Results)]
pub fn results(p: &ResultsProps) -> Html {
    super::renders::panel("results");
    let s = p;
    // Nothing to show before a run (the first screen stays short).
    if s.results.is_empty() && s.curves.iter().all(|c| c.steps.is_empty()) {
        return html! {};
    }
    let acc = |r: Role| {
        s.results
            .iter()
            .find(|x| x.role == r)
            .map(|x| x.val_accuracy * 100.0)
    };
    let base = acc(Role::Baseline);
    let method = s.settings.method;
    let download = {
        let p = p.clone();
        Callback::from(move |_| {
            super::models::save_file("distill-lab-run.json", history_json(&p).as_bytes())
        })
    };
    html! {
        <section class="results" aria-label="Results">
            <h2>{ "Results" }</h2>
            <table id="results">
                <thead>
                    <tr><th scope="col">{ "Network" }</th><th scope="col">{ "Parameters" }</th><th scope="col">{ "Epochs" }</th>
                        <th scope="col">{ "Validation accuracy" }</th><th scope="col">{ "Gain over baseline" }</th>
                        <th scope="col">{ "The study (EMNIST letters)" }</th></tr>
                </thead>
                <tbody>
                    { for Role::ALL.iter().filter(|r| r.in_method(method)).map(|&role| {
                        let row = s.results.iter().find(|x| x.role == role);
                        let gain = match (role, acc(role), base) {
                            (Role::Distilled | Role::Peer, Some(a), Some(b)) => format!("{:+.2} points", a - b),
                            _ => String::new(),
                        };
                        let study_text = match study(role, method) {
                            Some(v) if role == Role::Distilled => format!("{v:.1} % (+0.6)"),
                            Some(v) => format!("{v:.1} %"),
                            None => "—".into(),
                        };
                        html! {
                            <tr data-role={role.key()}>
                                <th scope="row">{ role.label_for(method) }</th>
                                <td data-label="Parameters">{ row.map(|r| r.params.to_string()).unwrap_or_default() }</td>
                                <td data-label="Epochs">{ row.map(|r| r.epochs.to_string()).unwrap_or_default() }</td>
                                <td class="acc" data-label="Validation accuracy" data-acc={acc(role).map(|a| (a / 100.0).to_string()).unwrap_or_default()}>{ acc(role).map(|a| format!("{a:.2} %")).unwrap_or_else(|| "—".into()) }</td>
                                <td class="gain" data-label="Gain over baseline">{ gain }</td>
                                <td class="study" data-label="The study (EMNIST letters)">{ study_text }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
            <p class="method-in-use" id="method-in-use" data-method={method.name()}>
                { format!("{}: {}", method.label(), s.settings.describe_method()) }</p>
            { verdict(method, acc(Role::Teacher), base, acc(Role::Distilled)) }
            { spread(s) }
            if s.curves.iter().any(|c| !c.steps.is_empty()) || !s.results.is_empty() {
                <p><button id="download-history" onclick={download}>
                    { "Download this run's history (JSON)" }</button></p>
            }
        </section>
    }
}

/// How far ahead of the student alone a teacher must be to be called strong (points): the
/// smallest lead with which a measured lesson gained on every seed (`crate::measured`), or, with
/// no measured lesson, one point (a floor, not a promise: at full scale a teacher 2.4 points
/// ahead did not help, docs/RESULTS.md).
fn teaching_lead() -> f32 {
    crate::measured::teaching_lead().map_or(1.0, |l| (l * 10.0).floor() / 10.0)
}

/// One or two sentences under the table: the teacher's accuracy always named, a teacher with
/// less lead than the measured lessons' called weak, and the distilled student's gain in words
/// with how far seeds spread in the measured lessons (accuracies in %). Deep mutual learning has
/// no pretrained teacher to judge: its gain is in the table.
fn verdict(
    method: Method,
    teacher: Option<f32>,
    base: Option<f32>,
    distilled: Option<f32>,
) -> Html {
    let Some(t) = teacher.filter(|_| method.needs_teacher()) else {
        return html! {};
    };
    let need = teaching_lead();
    let lead = match base {
        Some(b) if t - b < need => (
            "weak",
            format!(
                "The teacher ({t:.2} %) is {} the student alone ({b:.2} %); in the measured \
                 lessons teachers gained with a lead of {need:.1} points or more. Train it \
                 longer, or use the published full-recipe teacher.",
                if t < b {
                    "behind".to_string()
                } else {
                    format!("{:.2} points ahead of", t - b)
                }
            ),
        ),
        Some(b) => (
            "strong",
            format!(
                "The teacher ({t:.2} %) leads the student alone ({b:.2} %) by {:.2} points.",
                t - b
            ),
        ),
        None => ("pending", format!("The teacher reached {t:.2} %.")),
    };
    let spread = crate::measured::seed_spread().map_or_else(
        || "compare several seeds before concluding".to_string(),
        |s| format!("in the measured lessons one seed's gain differs from another's by up to {s:.1} points, so compare several before concluding"),
    );
    let gain = match (base, distilled) {
        (Some(b), Some(d)) => format!(
            " {} {} {:.2} points on this run (one seed; {spread}).",
            if method == Method::FitNets {
                "FitNets"
            } else {
                "Distillation"
            },
            if d >= b { "gained" } else { "lost" },
            (d - b).abs()
        ),
        _ => String::new(),
    };
    html! {
        <p class={classes!("verdict", lead.0)} id="verdict" data-teacher={lead.0}>{ lead.1 }{ gain }</p>
    }
}

/// With runs of these settings finished for two seeds or more in this visit: each network's
/// accuracy and the gain as mean ± sd over the seeds (percentages).
fn spread(s: &ResultsProps) -> Html {
    let setup = super::state::setup_of(&s.settings);
    let runs: Vec<_> = s.finished.iter().filter(|f| f.setup == setup).collect();
    if runs.len() < 2 {
        return html! {};
    }
    let seeds: Vec<String> = runs.iter().map(|r| r.seed.to_string()).collect();
    let of = |i: usize| -> Vec<f32> {
        runs.iter()
            .filter_map(|r| r.accuracy[i].map(|a| a * 100.0))
            .collect()
    };
    let cell = |v: &[f32]| {
        if v.is_empty() {
            "—".to_string()
        } else {
            let (m, sd) = crate::measured::mean_sd(v);
            format!("{m:.2} ± {sd:.2} %")
        }
    };
    let gains: Vec<f32> = runs
        .iter()
        .filter_map(|r| Some((r.accuracy[2]? - r.accuracy[1]?) * 100.0))
        .collect();
    let (gm, gsd) = if gains.is_empty() {
        (0.0, 0.0)
    } else {
        crate::measured::mean_sd(&gains)
    };
    html! {
        <p class="seed-spread" id="seed-spread" data-seeds={runs.len().to_string()}>
            { format!(
                "Over {} seeds ({}) with these settings: teacher {}, baseline {}, distilled {}; gain {gm:+.2} ± {gsd:.2} points.",
                runs.len(), seeds.join(", "), cell(&of(0)), cell(&of(1)), cell(&of(2))
            ) }
        </p>
    }
}
