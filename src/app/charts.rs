//! Training curves as SVG: loss per step and accuracy per epoch, the three networks overlaid,
//! in the Okabe–Ito colour-blind-safe palette, with labelled axes.

use super::state::Curve;
use crate::distill::Method;
use crate::protocol::{Phase, Role};
use std::rc::Rc;
use yew::prelude::*;

/// Okabe & Ito (2008) colours: blue, orange, bluish green, vermillion.
pub fn color(role: Role) -> &'static str {
    match role {
        Role::Teacher => "#0072B2",
        Role::Baseline => "#E69F00",
        Role::Distilled => "#009E73",
        Role::Peer => "#D55E00",
    }
}

/// Dash pattern per role, so the curves differ without colour too.
fn dash(role: Role) -> &'static str {
    match role {
        Role::Teacher => "",
        Role::Baseline => "6 3",
        Role::Distilled => "2 2",
        Role::Peer => "8 2 2 2",
    }
}

pub struct Series {
    pub role: Role,
    pub points: Vec<(f32, f32)>,
}

const W: f32 = 460.0;
const H: f32 = 220.0;
const L: f32 = 48.0;
const B: f32 = 34.0;
const T: f32 = 14.0;
const R: f32 = 10.0;

fn ticks(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..=n)
        .map(|i| lo + (hi - lo) * i as f32 / n as f32)
        .collect()
}

/// A line chart; `y_range` fixed or from the data.
pub fn line_chart(
    id: &str,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    y_range: Option<(f32, f32)>,
) -> Html {
    let all = series.iter().flat_map(|s| s.points.iter());
    let x_max = all.clone().map(|p| p.0).fold(1.0f32, f32::max);
    let (y_lo, y_hi) = y_range.unwrap_or_else(|| {
        let hi = all
            .clone()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(0.0f32, f32::max);
        (0.0, if hi > 0.0 { hi * 1.05 } else { 1.0 })
    });
    let sx = |x: f32| L + (x / x_max) * (W - L - R);
    let sy = |y: f32| T + (1.0 - (y - y_lo) / (y_hi - y_lo).max(1e-9)) * (H - T - B);
    html! {
        <figure class="chart" id={id.to_string()}>
            <figcaption>{ title }</figcaption>
            <svg viewBox={format!("0 0 {W} {H}")} role="img" aria-label={title.to_string()}>
                { for ticks(y_lo, y_hi, 4).into_iter().map(|y| html! {
                    <g class="tick">
                        <line x1={L.to_string()} x2={(W - R).to_string()} y1={sy(y).to_string()} y2={sy(y).to_string()} />
                        <text x={(L - 4.0).to_string()} y={(sy(y) + 4.0).to_string()} text-anchor="end">{ format!("{y:.2}") }</text>
                    </g>
                }) }
                { for ticks(0.0, x_max, 4).into_iter().map(|x| html! {
                    <text class="tick" x={sx(x).to_string()} y={(H - B + 14.0).to_string()} text-anchor="middle">{ format!("{x:.1}") }</text>
                }) }
                <text class="axis" x={((L + W - R) / 2.0).to_string()} y={(H - 4.0).to_string()} text-anchor="middle">{ x_label }</text>
                <text class="axis" transform={format!("translate(12 {}) rotate(-90)", (T + H - B) / 2.0)} text-anchor="middle">{ y_label }</text>
                { for series.iter().filter(|s| !s.points.is_empty()).map(|s| {
                    let d: String = s.points.iter().enumerate()
                        .map(|(i, (x, y))| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, sx(*x), sy(y.clamp(y_lo, y_hi))))
                        .collect();
                    html! {
                        <g class={classes!("series", s.role.key())}>
                            <path d={d} stroke={color(s.role)} stroke-dasharray={dash(s.role)} fill="none" stroke-width="2" />
                            // Markers where points are few (per-epoch series), so one epoch shows.
                            if s.points.len() <= 60 {
                                { for s.points.iter().map(|(x, y)| html! {
                                    <circle cx={format!("{:.1}", sx(*x))} cy={format!("{:.1}", sy(y.clamp(y_lo, y_hi)))} r="3" fill={color(s.role)} />
                                }) }
                            }
                        </g>
                    }
                }) }
            </svg>
        </figure>
    }
}

fn step_series(c: &Curve, role: Role, acc: bool) -> Series {
    let spe = c.steps_per_epoch.max(1) as f32;
    Series {
        role,
        points: c
            .steps
            .iter()
            .map(|p| (p.step as f32 / spe, if acc { p.accuracy } else { p.loss }))
            .collect(),
    }
}

#[derive(Properties, PartialEq)]
pub struct CurvesProps {
    pub curves: Rc<[Curve; 4]>,
    pub phase: Phase,
    pub paused: bool,
    pub method: Method,
    /// For the time left.
    pub batch: usize,
}

impl CurvesProps {
    fn curve(&self, role: Role) -> &Curve {
        &self.curves[role.index()]
    }
}

fn fmt_secs(s: f32) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.0} min {:.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.0} s")
    }
}

#[function_component(Curves)]
pub fn curves(p: &CurvesProps) -> Html {
    super::renders::panel("curves");
    let s = p;
    // Before any curve only the status line shows: a loaded teacher goes from loading straight
    // to the logit cache, and a run can end before its first step (loading has its own panel).
    let has_curves = Role::ALL.iter().any(|&r| !s.curve(r).steps.is_empty());
    if !has_curves && matches!(s.phase, Phase::Idle | Phase::Loading) {
        return html! {};
    }
    let loss: Vec<Series> = Role::ALL
        .iter()
        .map(|&r| step_series(s.curve(r), r, false))
        .collect();
    let acc: Vec<Series> = Role::ALL
        .iter()
        .map(|&r| step_series(s.curve(r), r, true))
        .collect();
    let val: Vec<Series> = Role::ALL
        .iter()
        .map(|&r| Series {
            role: r,
            points: s
                .curve(r)
                .epochs
                .iter()
                .map(|e| (e.epoch as f32, e.val_accuracy))
                .collect(),
        })
        .collect();
    let method = s.method;
    let active: Vec<Role> = match s.phase {
        Phase::Training(r) => vec![r],
        Phase::Students => Role::ALL
            .into_iter()
            .filter(|r| r.in_method(method))
            .collect(),
        _ => vec![],
    };
    // (A speed once the role has steps to measure it by.)
    let active = active.into_iter().filter(|&r| !s.curve(r).steps.is_empty());
    html! {
        <section class="curves" aria-label="Training curves">
            <h2>{ "Training" }</h2>
            <p class="status" id="status">
                { status_text(s) }
                { for active.map(|r| {
                    let c = s.curve(r);
                    let eta = c.eta_secs(s.batch).map(|e| format!(", about {} left", fmt_secs(e))).unwrap_or_default();
                    html! { <span class="speed">{ format!(" · {}: {:.0} samples/s{eta}", r.label_for(method), c.samples_per_sec) }</span> }
                }) }
            </p>
            if has_curves {
                <ul class="legend">
                    { for Role::ALL.iter().filter(|r| r.in_method(method)).map(|&r| html! {
                        <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke={color(r)} stroke-width="3" stroke-dasharray={dash(r)} /></svg>{ r.label_for(method) }</li>
                    }) }
                </ul>
                <div class="chart-row">
                    { line_chart("chart-loss", loss_title(method), "epoch", "loss", &loss, None) }
                    { line_chart("chart-train-acc", "Training accuracy", "epoch", "accuracy", &acc, Some((0.0, 1.0))) }
                    { line_chart("chart-val-acc", "Validation accuracy (per epoch)", "epoch", "accuracy", &val, Some((0.0, 1.0))) }
                </div>
            }
        </section>
    }
}

/// What the loss curves show under `method`.
fn loss_title(method: Method) -> &'static str {
    match method {
        Method::Distill => "Training loss (the distilled student's includes the soft term)",
        Method::FitNets => {
            "Training loss (the FitNets student's: hint L2, then with the soft term)"
        }
        _ => "Training loss (the cohort's include the KL from their peer)",
    }
}

fn status_text(s: &CurvesProps) -> String {
    let p = match s.phase {
        Phase::Idle => "Ready".into(),
        Phase::Loading => "Loading the dataset".into(),
        Phase::Training(Role::Teacher) => "Training the teacher".into(),
        Phase::Training(_) | Phase::Students if s.method.is_mutual() => {
            "Training the baseline and the mutual-learning cohort side by side (the student from the baseline's initial weights)".into()
        }
        Phase::Training(_) | Phase::Students => {
            "Training both students side by side (same initial weights)".into()
        }
        Phase::Caching { done, of } => {
            format!("Caching the teacher's outputs over the training set ({done} of {of})")
        }
        Phase::Done => "Done".into(),
        Phase::Stopped => "Stopped".into(),
        Phase::Failed => "Failed".into(),
    };
    if s.paused { format!("{p} (paused)") } else { p }
}
