//! The study's point that T and λ must be tuned, as a heat map: distilled-student validation
//! accuracy over a small T × λ grid (students only, cached teacher logits, a data subset),
//! against the baseline student trained the same way.

use super::state::Sweep;
use crate::distill::LossForm;
use crate::protocol::SweepSpec;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SweepProps {
    pub sweep: Rc<Sweep>,
    /// Training samples a cell may use at most.
    pub subset: usize,
    pub loss: LossForm,
    pub can_run: bool,
    pub on_run: Callback<SweepSpec>,
    pub on_stop: Callback<()>,
}

/// Blue for a gain over the baseline, orange for a loss (Okabe–Ito, colour-blind safe).
fn colour(gain: f32) -> String {
    // Tenths of full strength at a 5-point gain: classes in style.css (the page's CSP allows
    // no inline styles).
    let tenths = ((gain.abs() * 20.0).min(1.0) * 10.0).round() as u8;
    let sign = if gain >= 0.0 { "pos" } else { "neg" };
    format!("done gain-{sign}-{tenths}")
}

#[function_component(SweepPanel)]
pub fn sweep_panel(p: &SweepProps) -> Html {
    super::renders::panel("sweep");
    let s = p;
    let spec = SweepSpec {
        subset: SweepSpec::default().subset.min(s.subset),
        ..Default::default()
    };
    let run = {
        let (cb, spec) = (p.on_run.clone(), spec.clone());
        Callback::from(move |_| cb.emit(spec.clone()))
    };
    let stop = p.on_stop.clone();
    let cell = |t: f32, l: f32| {
        s.sweep
            .cells
            .iter()
            .find(|c| c.0 == t && c.1 == l)
            .map(|c| c.2)
    };
    html! {
        <section class="sweep" aria-label="Temperature and weight sweep">
            <h2>{ "Tuning T and λ" }</h2>
            <p class="hint">{ format!(
                "Each cell trains a fresh student for {} epochs on {} samples against the cached teacher logits ({} loss); the baseline student is trained the same way without the teacher.",
                spec.epochs, spec.subset, s.loss) }</p>
            <div class="buttons">
                <button id="run-sweep" disabled={!p.can_run || s.sweep.running} onclick={run}>{ "Run the sweep" }</button>
                if s.sweep.running { <button onclick={Callback::from(move |_| stop.emit(()))}>{ "Stop" }</button> }
            </div>
            if s.sweep.baseline.is_some() || !s.sweep.cells.is_empty() {
                <table class="heat" id="sweep-heatmap">
                    <caption>{ format!("Validation accuracy; baseline student {}", s.sweep.baseline.map(|b| format!("{:.1} %", b * 100.0)).unwrap_or_else(|| "…".into())) }</caption>
                    <thead><tr><th scope="col">{ "T \\ λ" }</th>{ for spec.lambdas.iter().map(|l| html! { <th scope="col">{ l }</th> }) }</tr></thead>
                    <tbody>
                        { for spec.temperatures.iter().map(|&t| html! {
                            <tr>
                                <th scope="row">{ t }</th>
                                { for spec.lambdas.iter().map(|&l| match (cell(t, l), s.sweep.baseline) {
                                    (Some(a), Some(b)) => html! {
                                        <td class={colour(a - b)} data-acc={a.to_string()}>
                                            { format!("{:.1} % ({:+.1})", a * 100.0, (a - b) * 100.0) }
                                        </td>
                                    },
                                    _ => html! { <td class="pending">{ "…" }</td> },
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}
