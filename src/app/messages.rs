//! The page's badges and messages: the device in use, the settings the link adjusted, a saved
//! run to resume, a worker that died, errors and notices.

use crate::device::DeviceInfo;
use crate::protocol::CheckpointInfo;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DeviceProps {
    pub device: Option<DeviceInfo>,
}

/// Which device runs, and why.
#[function_component(DeviceBadge)]
pub fn device_badge(props: &DeviceProps) -> Html {
    super::renders::panel("device_badge");
    match &props.device {
        None => html! { <p class="device" id="device">{ "Device: chosen at Start" }</p> },
        Some(d) => {
            let label = match d.backend.as_str() {
                "webgpu" => "WebGPU",
                "measuring" => "measuring…",
                _ => "CPU",
            };
            html! {
                <p class={classes!("device", d.backend.clone())} id="device" data-backend={d.backend.clone()}>
                    <strong>{ format!("Device: {label}") }</strong>{ format!(" · {}", d.name) }
                    if !d.reason.is_empty() { <span class="reason">{ format!(" — {}", d.reason) }</span> }
                </p>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct MessagesProps {
    /// Values of the link that were adjusted.
    pub warnings: Vec<String>,
    /// A run from an earlier visit, offered for resuming.
    pub checkpoint: Option<CheckpointInfo>,
    /// The worker died: offer a restart on the CPU.
    pub crashed: bool,
    pub errors: Rc<Vec<String>>,
    pub notices: Rc<Vec<String>>,
    pub on_dismiss: Callback<usize>,
    pub on_checkpoint: Callback<bool>,
    pub on_restart: Callback<()>,
}

/// What the page has to say: adjusted settings, a saved run, a dead worker, errors, notices.
#[function_component(Messages)]
pub fn messages(props: &MessagesProps) -> Html {
    super::renders::panel("messages");
    let s = props;
    let (resume, discard, restart) = (
        props.on_checkpoint.clone(),
        props.on_checkpoint.clone(),
        props.on_restart.clone(),
    );
    html! {
        <div class="messages" aria-live="polite">
            if !s.warnings.is_empty() {
                <div class="warning" id="url-warnings">
                    <strong>{ "Some settings in the link were adjusted:" }</strong>
                    <ul>{ for s.warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
                </div>
            }
            if let Some(c) = &s.checkpoint {
                <div class="notice" id="checkpoint">
                    { format!("A run from an earlier visit was saved ({}). ", c.summary) }
                    <button id="resume-run" onclick={Callback::from(move |_| resume.emit(true))}>{ "Resume it" }</button>
                    <button id="discard-run" onclick={Callback::from(move |_| discard.emit(false))}>{ "Discard" }</button>
                </div>
            }
            if s.crashed {
                <div class="error" role="alert">
                    <span>{ "The training worker stopped (if the GPU was lost, the CPU can take over)." }</span>
                    <button id="restart-cpu" onclick={Callback::from(move |_| restart.emit(()))}>{ "Restart and resume on the CPU" }</button>
                </div>
            }
            { for s.errors.iter().enumerate().map(|(i, e)| {
                let d = props.on_dismiss.clone();
                html! {
                    <div class="error" role="alert">
                        <pre>{ e }</pre>
                        <button onclick={Callback::from(move |_| d.emit(i))} aria-label="Dismiss">{ "×" }</button>
                    </div>
                }
            }) }
            { for s.notices.iter().map(|n| html! { <div class="notice">{ n }</div> }) }
        </div>
    }
}
