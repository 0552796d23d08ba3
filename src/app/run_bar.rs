//! Start, Pause and Stop beside the run's headline: the one row a lesson needs, kept in view
//! above the folded settings (and, with a "back" button, the projector's header).

use super::headline::{Headline, Line};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RunBarProps {
    pub running: bool,
    pub paused: bool,
    pub on_start: Callback<()>,
    pub on_pause: Callback<bool>,
    pub on_stop: Callback<()>,
    /// The run's result in one line ([`super::headline::line`]).
    pub headline: Option<Line>,
    /// More buttons after Stop (the projector's "Back to the lab").
    #[prop_or_default]
    pub children: Html,
}

#[function_component(RunBar)]
pub fn run_bar(p: &RunBarProps) -> Html {
    super::renders::panel("run-bar");
    let (start, pause, stop) = (p.on_start.clone(), p.on_pause.clone(), p.on_stop.clone());
    let paused = p.paused;
    html! {
        <div class="run-bar">
            <div class="buttons">
                <button id="start" class="primary" disabled={p.running} onclick={Callback::from(move |_| start.emit(()))}>{ "Start" }</button>
                <button id="pause" disabled={!p.running} onclick={Callback::from(move |_| pause.emit(!paused))}>
                    { if paused { "Resume" } else { "Pause" } }
                </button>
                <button id="stop" disabled={!p.running} onclick={Callback::from(move |_| stop.emit(()))}>{ "Stop" }</button>
                { p.children.clone() }
            </div>
            <Headline line={p.headline.clone()} />
        </div>
    }
}
