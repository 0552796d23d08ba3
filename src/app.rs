//! The page: one reducer-held [`State`], small function components, and the bridge to the
//! training worker. Nothing here computes anything heavy; the worker does the training and the
//! page only re-softens logits (a few hundred floats) for the temperature slider.

mod charts;
mod controls;
mod explorer;
mod loading;
mod results;
mod state;
pub mod thumb;

use crate::protocol::{Phase, ToWorker};
use crate::settings::Settings;
use crate::worker::TrainingWorker;
use gloo_worker::{Spawnable, WorkerBridge};
pub use state::{Action, State};
use yew::prelude::*;

/// Where trunk puts the worker's loader shim, relative to the page (works under a sub-path).
const WORKER_URL: &str = "./worker_loader.js";

fn location_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Keep the address bar in step with the settings, so the URL is always a share link.
fn set_location_query(settings: &Settings) {
    let Some(w) = web_sys::window() else { return };
    let q = settings.to_query();
    let path = w.location().pathname().unwrap_or_default();
    let url = if q.is_empty() {
        path
    } else {
        format!("{path}?{q}")
    };
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| State::from_query(&location_query()));
    let bridge = use_mut_ref(|| None::<WorkerBridge<TrainingWorker>>);
    {
        let dispatch = state.dispatcher();
        let bridge = bridge.clone();
        use_effect_with((), move |_| {
            let b = TrainingWorker::spawner()
                .with_loader(true)
                .as_module(false)
                .callback(move |msg| dispatch.dispatch(Action::Worker(msg)))
                .spawn(WORKER_URL);
            *bridge.borrow_mut() = Some(b);
        });
    }
    let send = {
        let bridge = bridge.clone();
        Callback::from(move |m: ToWorker| {
            if let Some(b) = bridge.borrow().as_ref() {
                b.send(m);
            }
        })
    };
    {
        let settings = state.settings.clone();
        use_effect_with(settings, set_location_query);
    }

    let on_settings = {
        let d = state.dispatcher();
        Callback::from(move |s: Settings| d.dispatch(Action::SetSettings(s)))
    };
    let on_start = {
        let (d, send, s) = (state.dispatcher(), send.clone(), state.settings.clone());
        Callback::from(move |_| {
            d.dispatch(Action::Started);
            send.emit(ToWorker::Start(s.clone()));
        })
    };
    let on_pause = {
        let (d, send) = (state.dispatcher(), send.clone());
        Callback::from(move |pause: bool| {
            d.dispatch(Action::Paused(pause));
            send.emit(if pause {
                ToWorker::Pause
            } else {
                ToWorker::Resume
            });
        })
    };
    let on_stop = {
        let send = send.clone();
        Callback::from(move |_| send.emit(ToWorker::Stop))
    };
    let on_select = {
        let (d, send, selected) = (state.dispatcher(), send.clone(), state.selected.clone());
        Callback::from(move |index: usize| {
            let mut next = selected.clone();
            if let Some(pos) = next.iter().position(|&i| i == index) {
                next.remove(pos);
            } else {
                next.insert(0, index);
                next.truncate(explorer::MAX_SELECTED);
            }
            d.dispatch(Action::Select(next.clone()));
            send.emit(ToWorker::Inspect(next));
        })
    };
    let on_refresh = {
        let (send, selected) = (send.clone(), state.selected.clone());
        Callback::from(move |_| send.emit(ToWorker::Inspect(selected.clone())))
    };
    let on_temperature = {
        let d = state.dispatcher();
        Callback::from(move |t: f32| d.dispatch(Action::ExplorerT(t)))
    };
    let on_dismiss = {
        let d = state.dispatcher();
        Callback::from(move |i: usize| d.dispatch(Action::Dismiss(i)))
    };

    let running = matches!(
        state.phase,
        Phase::Loading | Phase::Training(_) | Phase::Caching | Phase::Students
    );
    html! {
        <div class="page">
            <header class="top">
                <h1>{ "Distill Lab" }</h1>
                <p class="tagline">{ "Watch a teacher CNN's knowledge flow into a small student MLP, in your browser." }</p>
                <DeviceBadge state={state.clone()} />
            </header>
            <Messages state={state.clone()} on_dismiss={on_dismiss} />
            <controls::Controls
                settings={state.settings.clone()}
                running={running}
                paused={state.paused}
                on_change={on_settings}
                on_start={on_start}
                on_pause={on_pause}
                on_stop={on_stop}
            />
            <loading::Loading state={state.clone()} />
            <charts::Curves state={state.clone()} />
            <results::Results state={state.clone()} />
            <explorer::Explorer
                state={state.clone()}
                on_select={on_select}
                on_temperature={on_temperature}
                on_refresh={on_refresh}
            />
            <footer>
                { "The study: Keras on EMNIST letters; teacher 94.4 %, student alone 91.6 %, distilled 92.2 % (T = 10, λ = 0.5). " }
                { "Distillation: Hinton, Vinyals & Dean (2015), \"Distilling the Knowledge in a Neural Network\"." }
            </footer>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct StateProps {
    state: UseReducerHandle<State>,
}

#[function_component(DeviceBadge)]
fn device_badge(props: &StateProps) -> Html {
    match &props.state.device {
        None => html! { <p class="device" id="device">{ "Device: starting…" }</p> },
        Some(d) => {
            let label = if d.backend == "webgpu" {
                "WebGPU"
            } else {
                "CPU"
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
struct MessagesProps {
    state: UseReducerHandle<State>,
    on_dismiss: Callback<usize>,
}

#[function_component(Messages)]
fn messages(props: &MessagesProps) -> Html {
    let s = &props.state;
    html! {
        <div class="messages" aria-live="polite">
            if !s.warnings.is_empty() {
                <div class="warning" id="url-warnings">
                    <strong>{ "Some settings in the link were adjusted:" }</strong>
                    <ul>{ for s.warnings.iter().map(|w| html! { <li>{ w }</li> }) }</ul>
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

/// Mount the page (called by `src/bin/app.rs`).
pub fn start() {
    yew::Renderer::<App>::new().render();
}
