//! The page: one reducer-held [`State`], small function components, and the bridge to the
//! training worker. Nothing here computes anything heavy; the worker does the training and the
//! page only re-softens logits (a few hundred floats) for the temperature slider.

mod charts;
mod confusion;
mod controls;
mod draw;
mod explorer;
mod lessons;
mod link;
mod loading;
mod models;
mod present;
mod results;
mod speed;
mod state;
mod sweep;

use crate::protocol::{Phase, Role, SweepSpec, ToWorker};
use crate::settings::{DevicePref, Settings};
pub use state::{Action, State};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

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

/// Offline after the first visit: a service worker keeps the app's files (the shards are in
/// the training worker's cache already).
fn register_service_worker() {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().service_worker().register("./sw.js");
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| State::from_query(&location_query()));
    let link: link::LinkRef = {
        let dispatch = state.dispatcher();
        use_mut_ref(move || link::Link::new(dispatch))
    };
    {
        let (link, pref) = (link.clone(), state.settings.device);
        use_effect_with((), move |_| {
            let bench = crate::settings::bench_request(&location_query());
            spawn_local(async move { link::connect(&link, pref, bench).await });
            register_service_worker();
        });
    }
    // The datasets on this server, for the dataset picker (a text field until known).
    let datasets = use_state(|| None::<Vec<String>>);
    {
        let datasets = datasets.clone();
        use_effect_with((), move |_| {
            spawn_local(async move { datasets.set(lessons::datasets_here().await) });
        });
    }
    let send = {
        let link = link.clone();
        Callback::from(move |m: ToWorker| link::send(&link, m))
    };
    {
        let settings = state.settings.clone();
        use_effect_with(settings, set_location_query);
    }
    let d = state.dispatcher();
    let on_settings = {
        let d = d.clone();
        Callback::from(move |e: controls::Edit| d.dispatch(Action::Edit(e)))
    };
    let on_start = {
        let (d, link, s) = (d.clone(), link.clone(), state.settings.clone());
        Callback::from(move |_| {
            d.dispatch(Action::Started);
            d.dispatch(Action::CheckpointHandled);
            let (link, s) = (link.clone(), s.clone());
            spawn_local(async move {
                link::send_with(&link, s.device, vec![ToWorker::Start(s.clone())]).await
            });
        })
    };
    let on_pause = {
        let (d, send) = (d.clone(), send.clone());
        Callback::from(move |pause: bool| {
            d.dispatch(Action::Paused(pause));
            send.emit(if pause {
                ToWorker::Pause
            } else {
                ToWorker::Unpause
            });
        })
    };
    let on_stop = {
        let send = send.clone();
        Callback::from(move |_| send.emit(ToWorker::Stop))
    };
    let select = {
        let (d, send) = (d.clone(), send.clone());
        Callback::from(move |next: Vec<usize>| {
            d.dispatch(Action::Select(next.clone()));
            send.emit(ToWorker::Inspect(next));
        })
    };
    let on_select = {
        let (select, selected) = (select.clone(), state.selected.clone());
        Callback::from(move |index: usize| {
            let mut next = selected.clone();
            if let Some(pos) = next.iter().position(|&i| i == index) {
                next.remove(pos);
            } else {
                next.insert(0, index);
                next.truncate(explorer::MAX_SELECTED);
            }
            select.emit(next);
        })
    };
    let on_refresh = {
        let (send, selected) = (send.clone(), state.selected.clone());
        Callback::from(move |_| send.emit(ToWorker::Inspect(selected.clone())))
    };
    let on_temperature = {
        let d = d.clone();
        Callback::from(move |t: f32| d.dispatch(Action::ExplorerT(t)))
    };
    let on_dismiss = {
        let d = d.clone();
        Callback::from(move |i: usize| d.dispatch(Action::Dismiss(i)))
    };
    let on_draw = {
        let (d, send) = (d.clone(), send.clone());
        Callback::from(move |input: Option<Vec<u8>>| {
            if let Some(px) = &input {
                send.emit(ToWorker::Classify(px.clone()));
            }
            d.dispatch(Action::Drew(input));
        })
    };
    let on_export = {
        let send = send.clone();
        Callback::from(move |role: Role| send.emit(ToWorker::Export(role)))
    };
    let on_import = {
        let (send, s) = (send.clone(), state.settings.clone());
        Callback::from(move |(name, bytes): (String, Vec<u8>)| {
            send.emit(ToWorker::Import {
                id: 0, // numbered by link::send
                name,
                bytes,
                settings: s.clone(),
            })
        })
    };
    // A student who only wants to draw: the teacher published on the server, loaded as if
    // picked from the disk (checked by the worker, listed with the loaded files).
    let on_published = {
        let (d, import, dataset) = (d.clone(), on_import.clone(), state.settings.dataset.clone());
        Callback::from(move |_| {
            let (d, import, dataset) = (d.clone(), import.clone(), dataset.clone());
            spawn_local(async move {
                match lessons::published_teacher(&dataset).await {
                    Some(bytes) => import.emit(("teacher.dlw".into(), bytes)),
                    None => d.dispatch(Action::Worker(crate::protocol::FromWorker::Error {
                        message: format!(
                            "There is no published teacher at data/{dataset}/teacher.dlw. Make one with\n  cargo run --release --bin distill -- train --data data/{dataset} --model cnn --out runs/teacher --publish data/{dataset}"
                        ),
                        fatal: false,
                    })),
                }
            });
        })
    };
    let on_sweep = {
        let (d, send) = (d.clone(), send.clone());
        Callback::from(move |spec: SweepSpec| {
            d.dispatch(Action::SweepStarted);
            send.emit(ToWorker::Sweep(spec));
        })
    };
    let on_bench = {
        let (d, link) = (d.clone(), link.clone());
        Callback::from(move |cpu: bool| {
            d.dispatch(Action::BenchStarted);
            link::bench(&link, cpu);
        })
    };
    let on_checkpoint = {
        let (d, send, link) = (d.clone(), send.clone(), link.clone());
        let saved = state.checkpoint.as_ref().map(|c| c.query.clone());
        Callback::from(move |resume: bool| {
            d.dispatch(Action::CheckpointHandled);
            if !resume {
                send.emit(ToWorker::DiscardCheckpoint);
                return;
            }
            // The saved run's own Device setting decides the bundle.
            let pref = saved
                .as_deref()
                .map_or(DevicePref::Auto, |q| Settings::from_query(q).0.device);
            let link = link.clone();
            spawn_local(async move {
                link::send_with(
                    &link,
                    pref,
                    vec![ToWorker::ResumeFromCheckpoint { cpu: false }],
                )
                .await
            });
        })
    };
    // The worker died (a lost GPU device ends in a panic): a CPU worker goes on from the
    // checkpoint of the last completed epoch.
    let on_restart = {
        let (d, link) = (d.clone(), link.clone());
        Callback::from(move |_| {
            d.dispatch(Action::WorkerRestarted);
            link::respawn(&link, link::Bundle::Cpu);
            link::send(&link, ToWorker::ResumeFromCheckpoint { cpu: true });
        })
    };

    let running = matches!(
        state.phase,
        Phase::Loading | Phase::Training(_) | Phase::Caching { .. } | Phase::Students
    );
    // The presentation view's keys: T through the explorer's temperatures, the sample through
    // the grid.
    let on_key = {
        let (d, select) = (d.clone(), select.clone());
        let (t, thumbs, selected) = (
            state.explorer_t,
            state.thumbs.clone(),
            state.selected.clone(),
        );
        Callback::from(move |k: present::Key| match k {
            present::Key::Temperature(up) => d.dispatch(Action::ExplorerT(present::step_t(t, up))),
            present::Key::Sample(forward) => {
                if let Some(i) = present::step_sample(&thumbs, &selected, forward) {
                    select.emit(vec![i]);
                }
            }
        })
    };
    present::use_keys(state.settings.present, on_key);
    let set_present = |on: bool| {
        let edit = on_settings.clone();
        Callback::from(move |_| edit.emit(std::rc::Rc::new(move |s: &mut Settings| s.present = on)))
    };
    if state.settings.present {
        let (start, pause) = (on_start.clone(), on_pause.clone());
        let paused = state.paused;
        return html! {
            <div class="page present">
                <header class="top">
                    <h1>{ "Distill Lab" }</h1>
                    <p class="keys" id="present-keys">{ "Keys: ↑ ↓ temperature (1, 2, 5, 10, 20) · ← → sample" }</p>
                    <div class="buttons">
                        <button id="start" class="primary" disabled={running} onclick={Callback::from(move |_| start.emit(()))}>{ "Start" }</button>
                        <button id="pause" disabled={!running} onclick={Callback::from(move |_| pause.emit(!paused))}>{ if paused { "Resume" } else { "Pause" } }</button>
                        <button id="leave-present" onclick={set_present(false)}>{ "Back to the lab" }</button>
                    </div>
                </header>
                <main>
                    <Messages state={state.clone()} on_dismiss={on_dismiss} on_checkpoint={on_checkpoint} on_restart={on_restart} />
                    <explorer::Explorer state={state.clone()} on_select={on_select} on_temperature={on_temperature} on_refresh={on_refresh} />
                    <charts::Curves state={state.clone()} />
                    <results::Results state={state.clone()} />
                </main>
            </div>
        };
    }
    let teacher_ready = state.has_model(Role::Teacher) && !running && state.phase != Phase::Idle;
    html! {
        <div class="page">
            <header class="top">
                <h1>{ "Distill Lab" }</h1>
                <p class="tagline">{ "Watch a teacher CNN's knowledge flow into a small student MLP, in your browser." }</p>
                <DeviceBadge state={state.clone()} />
                <button id="present" onclick={set_present(true)}>{ "Presentation view (for a projector)" }</button>
            </header>
            <main>
            <Messages state={state.clone()} on_dismiss={on_dismiss} on_checkpoint={on_checkpoint} on_restart={on_restart} />
            <lessons::Lessons settings={state.settings.clone()} running={running || state.sweep.running}
                on_change={on_settings.clone()} />
            <controls::Controls
                settings={state.settings.clone()}
                datasets={(*datasets).clone()}
                running={running || state.sweep.running}
                paused={state.paused}
                on_change={on_settings.clone()}
                on_start={on_start}
                on_pause={on_pause}
                on_stop={on_stop.clone()}
            />
            <loading::Loading state={state.clone()} />
            <charts::Curves state={state.clone()} />
            <results::Results state={state.clone()} />
            <explorer::Explorer state={state.clone()} on_select={on_select} on_temperature={on_temperature} on_refresh={on_refresh} />
            <draw::DrawPad state={state.clone()} on_input={on_draw} on_published={on_published} />
            <confusion::Confusion state={state.clone()} on_pick={select} />
            <sweep::SweepPanel state={state.clone()} can_run={teacher_ready} on_run={on_sweep} on_stop={on_stop} />
            <models::Models state={state.clone()} running={running} on_export={on_export} on_import={on_import} on_settings={on_settings} />
            <speed::Speed state={state.clone()} can_run={!running && !state.sweep.running} on_run={on_bench} />
            </main>
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
        None => html! { <p class="device" id="device">{ "Device: chosen when a run starts" }</p> },
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
    on_checkpoint: Callback<bool>,
    on_restart: Callback<()>,
}

#[function_component(Messages)]
fn messages(props: &MessagesProps) -> Html {
    let s = &props.state;
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

/// Mount the page (called by `src/bin/app.rs`).
pub fn start() {
    yew::Renderer::<App>::new().render();
}
