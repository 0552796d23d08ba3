//! The page: one reducer-held [`State`], small function components, and the bridge to the
//! training worker. Nothing here computes anything heavy; the worker does the training and the
//! page only re-softens logits (a few hundred floats) for the temperature slider.

mod callbacks;
mod charts;
mod confusion;
mod controls;
mod device_memory;
mod draw;
mod explorer;
mod headline;
mod lessons;
mod link;
mod loading;
mod messages;
mod models;
mod present;
mod renders;
mod results;
mod run_bar;
mod speed;
mod state;
mod sweep;

use crate::protocol::{Phase, Role};
use crate::settings::Settings;
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
    renders::panel("app");
    let state = use_reducer(|| State::from_query(&location_query()));
    let link = use_worker_link(&state);
    let datasets = use_datasets();
    use_effect_with(state.settings.clone(), set_location_query);
    let cb = callbacks::use_callbacks(&state, &link);
    let running = matches!(
        state.run.phase,
        Phase::Loading | Phase::Training(_) | Phase::Caching { .. } | Phase::Students
    );
    use_present_keys(&state, &cb);
    let panels = Panels::of(&state, &cb);
    if state.settings.present {
        present_view(&state, &cb, panels, running)
    } else {
        lab_view(&state, &cb, panels, running, &datasets)
    }
}

/// The link to the training worker, connected once the page is up (and the service worker
/// registered).
#[hook]
fn use_worker_link(state: &UseReducerHandle<State>) -> link::LinkRef {
    let link: link::LinkRef = {
        let dispatch = state.dispatcher();
        use_mut_ref(move || link::Link::new(dispatch))
    };
    let (l, pref) = (link.clone(), state.settings.device);
    use_effect_with((), move |_| {
        let bench = crate::settings::bench_request(&location_query());
        spawn_local(async move { link::connect(&l, pref, bench).await });
        register_service_worker();
    });
    link
}

/// The datasets on this server, for the dataset picker (a text field until known).
#[hook]
fn use_datasets() -> UseStateHandle<Option<Vec<String>>> {
    let datasets = use_state(|| None::<Vec<String>>);
    {
        let datasets = datasets.clone();
        use_effect_with((), move |_| {
            spawn_local(async move { datasets.set(lessons::datasets_here().await) });
        });
    }
    datasets
}

/// The presentation view's keys: T through the explorer's temperatures, the sample through the
/// grid.
#[hook]
fn use_present_keys(state: &UseReducerHandle<State>, cb: &callbacks::Callbacks) {
    let on_key = {
        let (d, select) = (state.dispatcher(), cb.select.clone());
        let (t, thumbs, selected) = (
            state.explorer.t,
            state.run.thumbs.clone(),
            state.explorer.selected.clone(),
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
}

/// Into or out of the presentation view.
fn set_present(cb: &callbacks::Callbacks, on: bool) -> Callback<MouseEvent> {
    let edit = cb.on_settings.clone();
    Callback::from(move |_| edit.emit(std::rc::Rc::new(move |s: &mut Settings| s.present = on)))
}

/// The panels both views show. Each gets only what it shows (`Rc`'d where it is large), so a
/// step of training renders the curves and not the explorer, the confusion matrix or the
/// controls.
struct Panels {
    messages: Html,
    explorer: Html,
    curves: Html,
    results: Html,
}

impl Panels {
    fn of(s: &State, cb: &callbacks::Callbacks) -> Panels {
        let (run, ex) = (&s.run, &s.explorer);
        Panels {
            messages: html! {
                <messages::Messages warnings={run.warnings.clone()} checkpoint={run.checkpoint.clone()} crashed={run.crashed}
                    errors={run.errors.clone()} notices={run.notices.clone()}
                    on_dismiss={cb.on_dismiss.clone()} on_checkpoint={cb.on_checkpoint.clone()} on_restart={cb.on_restart.clone()} />
            },
            explorer: html! {
                <explorer::Explorer thumbs={run.thumbs.clone()} images={ex.images.clone()} selected={ex.selected.clone()}
                    classes={run.classes.clone()} logits={run.logits.clone()} t={ex.t} method={s.settings.method} compact={s.settings.present}
                    on_select={cb.on_select.clone()} on_temperature={cb.on_temperature.clone()} on_refresh={cb.on_refresh.clone()} />
            },
            curves: html! {
                <charts::Curves curves={run.curves.clone()} phase={run.phase} paused={run.paused} method={s.settings.method} batch={s.settings.batch} />
            },
            results: html! {
                <results::Results results={run.results.clone()} finished={s.finished.clone()} settings={s.settings.clone()}
                    curves={run.curves.clone()} device={run.device.clone()} dataset={run.dataset.clone()} classes={run.classes.clone()} />
            },
        }
    }
}

/// The run's buttons and its headline, for either view (`busy`: a run or a sweep goes).
fn run_row(s: &State, cb: &callbacks::Callbacks, busy: bool, extra: Html) -> Html {
    html! {
        <run_bar::RunBar running={busy} paused={s.run.paused} on_start={cb.on_start.clone()}
            on_pause={cb.on_pause.clone()} on_stop={cb.on_stop.clone()}
            headline={headline::line(&s.run.curves, &s.run.results, s.settings.method)}>{ extra }</run_bar::RunBar>
    }
}

/// The presentation view, one screen for a projector: the header with the run's buttons and its
/// headline; the sample's distributions at the chosen T in one row, large; the curves.
fn present_view(s: &State, cb: &callbacks::Callbacks, p: Panels, running: bool) -> Html {
    let back = html! { <button id="leave-present" onclick={set_present(cb, false)}>{ "Back to the lab" }</button> };
    html! {
        <div class="page present">
            <header class="top">
                <h1>{ "Distill Lab" }</h1>
                { run_row(s, cb, running, back) }
                <p class="keys" id="present-keys">{ "↑ ↓ temperature · ← → sample" }</p>
            </header>
            <main>{ p.messages }{ p.explorer }{ p.curves }</main>
        </div>
    }
}

/// The lab: the lessons, the controls and every panel, in page order.
fn lab_view(
    s: &State,
    cb: &callbacks::Callbacks,
    p: Panels,
    running: bool,
    datasets: &UseStateHandle<Option<Vec<String>>>,
) -> Html {
    let teacher_ready = s.has_model(Role::Teacher) && !running && s.run.phase != Phase::Idle;
    let busy = running || s.run.sweep.running;
    let has_model = Role::ALL.map(|r| s.has_model(r));
    let run = &s.run;
    html! {
        <div class="page">
            <header class="top">
                <h1>{ "Distill Lab" }</h1>
                <p class="tagline">{ "Knowledge distillation, live in your browser." }</p>
                <div class="top-row">
                    <messages::DeviceBadge device={run.device.clone()} />
                    <button id="present" onclick={set_present(cb, true)}>{ "Presentation view" }</button>
                </div>
            </header>
            <main>
            { p.messages }
            <lessons::Lessons settings={s.settings.clone()} running={busy} on_change={cb.on_settings.clone()} />
            { run_row(s, cb, busy, html! {}) }
            <controls::Controls settings={s.settings.clone()} datasets={(**datasets).clone()} running={busy}
                on_change={cb.on_settings.clone()} />
            <loading::Loading shards={run.shards.clone()} shards_total={run.shards_total} bytes_total={run.bytes_total}
                dataset={run.dataset.clone()} phase={run.phase} />
            { p.curves }
            { p.results }
            { p.explorer }
            <draw::DrawPad drawn={run.drawn.clone()} classes={run.classes.clone()} t={s.explorer.t}
                have_models={has_model.iter().any(|&h| h)} dataset={s.settings.dataset.clone()}
                on_input={cb.on_draw.clone()} on_published={cb.on_published.clone()} />
            <confusion::Confusion classes={run.classes.clone()} predictions={run.predictions.clone()}
                val_labels={run.val_labels.clone()} on_pick={cb.select.clone()} />
            <sweep::SweepPanel sweep={run.sweep.clone()} subset={s.settings.subset} loss={s.settings.loss}
                can_run={teacher_ready} on_run={cb.on_sweep.clone()} on_stop={cb.on_stop.clone()} />
            <models::Models settings={s.settings.clone()} has_model={has_model} imported={s.imported.clone()}
                running={running} on_export={cb.on_export.clone()} on_import={cb.on_import.clone()}
                on_settings={cb.on_settings.clone()} />
            <speed::Speed bench={run.bench.clone()} bench_running={run.bench_running} can_run={!busy} on_run={cb.on_bench.clone()} />
            </main>
            <footer>
                { "The study: Keras on EMNIST letters; teacher 94.4 %, student alone 91.6 %, distilled 92.2 % (T = 10, λ = 0.5). " }
                { "Distillation: Hinton, Vinyals & Dean (2015), \"Distilling the Knowledge in a Neural Network\"." }
            </footer>
        </div>
    }
}

/// Mount the page (called by `src/bin/app.rs`).
pub fn start() {
    yew::Renderer::<App>::new().render();
}
