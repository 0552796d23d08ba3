//! What the page's controls do, as callbacks that keep their identity across renders
//! (`use_callback`): a panel whose data did not change then compares equal to its last props
//! and does not render again. Each callback depends only on what it reads (its `deps`).

use super::controls::Edit;
use super::link::{self, LinkRef};
use super::state::{Action, State};
use super::{explorer, lessons};
use crate::protocol::{FromWorker, Role, SweepSpec, ToWorker};
use crate::settings::{DevicePref, Settings};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Every control's callback.
pub struct Callbacks {
    pub on_settings: Callback<Edit>,
    pub on_start: Callback<()>,
    pub on_pause: Callback<bool>,
    pub on_stop: Callback<()>,
    /// Replace the explorer's samples.
    pub select: Callback<Vec<usize>>,
    /// Toggle one sample in the explorer.
    pub on_select: Callback<usize>,
    pub on_refresh: Callback<()>,
    pub on_temperature: Callback<f32>,
    pub on_dismiss: Callback<usize>,
    pub on_draw: Callback<Option<Vec<u8>>>,
    pub on_export: Callback<Role>,
    pub on_import: Callback<(String, Vec<u8>)>,
    pub on_published: Callback<()>,
    pub on_sweep: Callback<SweepSpec>,
    pub on_bench: Callback<bool>,
    pub on_checkpoint: Callback<bool>,
    pub on_restart: Callback<()>,
}

/// Every callback of the page, made by a hook per concern (the run, the explorer, the files)
/// plus the few that only dispatch.
#[hook]
pub fn use_callbacks(state: &UseReducerHandle<State>, link: &LinkRef) -> Callbacks {
    let d = state.dispatcher();
    let on_settings = {
        let d = d.clone();
        use_callback((), move |e: Edit, _| d.dispatch(Action::Edit(e)))
    };
    let on_dismiss = {
        let d = d.clone();
        use_callback((), move |i: usize, _| d.dispatch(Action::Dismiss(i)))
    };
    let on_sweep = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |spec: SweepSpec, _| {
            d.dispatch(Action::SweepStarted);
            link::send(&link, ToWorker::Sweep(spec));
        })
    };
    let on_bench = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |cpu: bool, _| {
            d.dispatch(Action::BenchStarted);
            link::bench(&link, cpu);
        })
    };
    let run = use_run_callbacks(state, link);
    let ex = use_explorer_callbacks(state, link);
    let files = use_file_callbacks(state, link);
    Callbacks {
        on_settings,
        on_start: run.on_start,
        on_pause: run.on_pause,
        on_stop: run.on_stop,
        select: ex.select,
        on_select: ex.on_select,
        on_refresh: ex.on_refresh,
        on_temperature: ex.on_temperature,
        on_dismiss,
        on_draw: ex.on_draw,
        on_export: files.on_export,
        on_import: files.on_import,
        on_published: files.on_published,
        on_sweep,
        on_bench,
        on_checkpoint: run.on_checkpoint,
        on_restart: run.on_restart,
    }
}

/// Start, pause, stop, resume a saved run, restart a dead worker.
struct RunCallbacks {
    on_start: Callback<()>,
    on_pause: Callback<bool>,
    on_stop: Callback<()>,
    on_checkpoint: Callback<bool>,
    on_restart: Callback<()>,
}

#[hook]
fn use_run_callbacks(state: &UseReducerHandle<State>, link: &LinkRef) -> RunCallbacks {
    let d = state.dispatcher();
    let on_start = {
        let (d, link) = (d.clone(), link.clone());
        use_callback(state.settings.clone(), move |_: (), s: &Settings| {
            d.dispatch(Action::Started);
            d.dispatch(Action::CheckpointHandled);
            let (link, s) = (link.clone(), s.clone());
            spawn_local(async move {
                link::send_with(&link, s.device, vec![ToWorker::Start(s.clone())]).await
            });
        })
    };
    let on_pause = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |pause: bool, _| {
            d.dispatch(Action::Paused(pause));
            let msg = if pause {
                ToWorker::Pause
            } else {
                ToWorker::Unpause
            };
            link::send(&link, msg);
        })
    };
    let on_stop = {
        let link = link.clone();
        use_callback((), move |_: (), _| link::send(&link, ToWorker::Stop))
    };
    let on_checkpoint = {
        let (d, link) = (d.clone(), link.clone());
        let saved = state.run.checkpoint.as_ref().map(|c| c.query.clone());
        use_callback(saved, move |resume: bool, saved: &Option<String>| {
            d.dispatch(Action::CheckpointHandled);
            if !resume {
                link::send(&link, ToWorker::DiscardCheckpoint);
                return;
            }
            // The saved run's own Device setting decides the bundle.
            let pref =
                (saved.as_deref()).map_or(DevicePref::Auto, |q| Settings::from_query(q).0.device);
            let link = link.clone();
            let msgs = vec![ToWorker::ResumeFromCheckpoint { cpu: false }];
            spawn_local(async move { link::send_with(&link, pref, msgs).await });
        })
    };
    // The worker died (a lost GPU device ends in a panic): a CPU worker goes on from the
    // checkpoint of the last completed epoch.
    let on_restart = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |_: (), _| {
            d.dispatch(Action::WorkerRestarted);
            link::respawn(&link, link::Bundle::Cpu);
            link::send(&link, ToWorker::ResumeFromCheckpoint { cpu: true });
        })
    };
    RunCallbacks {
        on_start,
        on_pause,
        on_stop,
        on_checkpoint,
        on_restart,
    }
}

/// Pick samples, move the explorer's T, draw.
struct ExplorerCallbacks {
    select: Callback<Vec<usize>>,
    on_select: Callback<usize>,
    on_refresh: Callback<()>,
    on_temperature: Callback<f32>,
    on_draw: Callback<Option<Vec<u8>>>,
}

#[hook]
fn use_explorer_callbacks(state: &UseReducerHandle<State>, link: &LinkRef) -> ExplorerCallbacks {
    let d = state.dispatcher();
    let select = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |next: Vec<usize>, _| {
            d.dispatch(Action::Select(next.clone()));
            link::send(&link, ToWorker::Inspect(next));
        })
    };
    let on_select = use_callback(
        (select.clone(), state.explorer.selected.clone()),
        |index: usize, (select, selected)| {
            let mut next = selected.clone();
            if let Some(pos) = next.iter().position(|&i| i == index) {
                next.remove(pos);
            } else {
                next.insert(0, index);
                next.truncate(explorer::MAX_SELECTED);
            }
            select.emit(next);
        },
    );
    let on_refresh = {
        let link = link.clone();
        use_callback(
            state.explorer.selected.clone(),
            move |_: (), selected: &Vec<usize>| {
                link::send(&link, ToWorker::Inspect(selected.clone()))
            },
        )
    };
    let on_temperature = {
        let d = d.clone();
        use_callback((), move |t: f32, _| d.dispatch(Action::ExplorerT(t)))
    };
    let on_draw = {
        let (d, link) = (d.clone(), link.clone());
        use_callback((), move |input: Option<Vec<u8>>, _| {
            if let Some(px) = &input {
                link::send(&link, ToWorker::Classify(px.clone()));
            }
            d.dispatch(Action::Drew(input));
        })
    };
    ExplorerCallbacks {
        select,
        on_select,
        on_refresh,
        on_temperature,
        on_draw,
    }
}

/// Weights files: download, load, the published teacher.
struct FileCallbacks {
    on_export: Callback<Role>,
    on_import: Callback<(String, Vec<u8>)>,
    on_published: Callback<()>,
}

#[hook]
fn use_file_callbacks(state: &UseReducerHandle<State>, link: &LinkRef) -> FileCallbacks {
    let d = state.dispatcher();
    let on_export = {
        let link = link.clone();
        use_callback((), move |role: Role, _| {
            link::send(&link, ToWorker::Export(role))
        })
    };
    let on_import = {
        let link = link.clone();
        use_callback(
            state.settings.clone(),
            move |(name, bytes): (String, Vec<u8>), s: &Settings| {
                let id = 0; // numbered by link::send
                let settings = s.clone();
                link::send(
                    &link,
                    ToWorker::Import {
                        id,
                        name,
                        bytes,
                        settings,
                    },
                )
            },
        )
    };
    let on_published = use_published(&d, &on_import, &state.settings.dataset);
    FileCallbacks {
        on_export,
        on_import,
        on_published,
    }
}

/// A student who only wants to draw: the teacher published on the server, loaded as if picked
/// from the disk (checked by the worker, listed with the loaded files).
#[hook]
fn use_published(
    d: &UseReducerDispatcher<State>,
    import: &Callback<(String, Vec<u8>)>,
    dataset: &str,
) -> Callback<()> {
    let d = d.clone();
    use_callback(
        (import.clone(), dataset.to_string()),
        move |_: (), (import, dataset): &(Callback<(String, Vec<u8>)>, String)| {
            let (d, import, dataset) = (d.clone(), import.clone(), dataset.clone());
            spawn_local(async move {
                match lessons::published_teacher(&dataset).await {
                    Some(bytes) => import.emit(("teacher.dlw".into(), bytes)),
                    None => d.dispatch(Action::Worker(FromWorker::Error {
                        message: format!(
                            "There is no published teacher at data/{dataset}/teacher.dlw. Make one with\n  cargo run --release --bin distill -- train --data data/{dataset} --model cnn --out runs/teacher --publish data/{dataset}"
                        ),
                        fatal: false,
                    })),
                }
            });
        },
    )
}
