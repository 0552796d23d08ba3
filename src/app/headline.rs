//! The run's result in one line, live: "distilled 82.4 % · alone 80.9 % · +1.5 points" — the
//! method's student against the student alone, each at its latest validation (its final
//! accuracy once the run has one). The first thing the lab and the projector show of a run.

use super::state::Curve;
use crate::distill::Method;
use crate::protocol::{ResultRow, Role};
use yew::prelude::*;

/// `role`'s accuracy (a fraction): its final result, else its latest epoch's validation.
fn latest(curves: &[Curve; 4], results: &[ResultRow], role: Role) -> Option<f32> {
    let result = results.iter().find(|r| r.role == role);
    (result.map(|r| r.val_accuracy))
        .or_else(|| curves[role.index()].epochs.last().map(|e| e.val_accuracy))
        .filter(|a| a.is_finite())
}

/// The line, with the gain in points once both students have a figure. Made by the page on
/// every message, so the headline renders only when it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub gain: Option<f32>,
}

pub fn line(curves: &[Curve; 4], results: &[ResultRow], method: Method) -> Option<Line> {
    let student = latest(curves, results, Role::Distilled);
    let alone = latest(curves, results, Role::Baseline);
    // "distilled student" → "distilled", "FitNets student" → "FitNets".
    let name = Role::Distilled.label_for(method);
    let name = name.strip_suffix(" student").unwrap_or(name);
    let mut parts = Vec::new();
    if let Some(s) = student {
        parts.push(format!("{name} {:.1} %", s * 100.0));
    }
    if let Some(a) = alone {
        parts.push(format!("alone {:.1} %", a * 100.0));
    }
    let gain = student.zip(alone).map(|(s, a)| (s - a) * 100.0);
    if let Some(g) = gain {
        parts.push(format!("{g:+.1} points"));
    }
    (!parts.is_empty()).then(|| Line {
        text: parts.join(" · "),
        gain,
    })
}

#[derive(Properties, PartialEq)]
pub struct HeadlineProps {
    pub line: Option<Line>,
}

#[function_component(Headline)]
pub fn headline(p: &HeadlineProps) -> Html {
    super::renders::panel("headline");
    match &p.line {
        None => {
            html! { <p class="headline" id="headline" data-state="waiting" aria-live="polite"></p> }
        }
        Some(Line { text, gain }) => {
            let sign = gain.map(|g| if g >= 0.0 { "ahead" } else { "behind" });
            html! {
                <p class={classes!("headline", sign)} id="headline" aria-live="polite"
                    data-gain={gain.map(|g| format!("{g:.2}")).unwrap_or_default()}>{ text }</p>
            }
        }
    }
}
