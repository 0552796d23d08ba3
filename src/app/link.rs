//! The page's handle on the training worker: which of the two bundles runs, spawning and
//! respawning it, and the messages a respawned worker must hear again.
//!
//! trunk builds the worker twice (index.html): `worker` with WebGPU and the CPU backend, and
//! `worker_cpu` with the CPU backend only, a smaller download (docs/PERFORMANCE.md). The
//! page asks the browser for its adapter, makes the same [`device::choose`] the worker will,
//! and loads the bundle that has the chosen backend. A run whose Device setting needs the
//! other bundle respawns the worker first; nothing is lost, since a new run trains its
//! networks again and the weights files the user loaded are sent again.

use super::{Action, State, models};
use super::{device_memory, renders};
use crate::device::{self, Adapter, Choice, Measured};
use crate::gpu_probe;
use crate::protocol::{FromWorker, Phase, SILENCE_MS, SILENCE_WEBGPU_MS, ToWorker};
use crate::settings::DevicePref;
use gloo_worker::{HandlerId, Spawnable, Worker, WorkerBridge, WorkerScope};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use yew::UseReducerDispatcher;

/// The same message types as `worker::TrainingWorker`, none of its code, so the UI links no
/// burn. gloo-worker's wire format depends only on `Input` and `Output`. Never instantiated.
pub struct Remote;

impl Worker for Remote {
    type Message = ();
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        Remote
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, _scope: &WorkerScope<Self>, _msg: ToWorker, _id: HandlerId) {}
}

/// A build of the training worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    /// WebGPU, with the CPU backend as its fallback.
    WebGpu,
    /// The CPU backend only.
    Cpu,
}

impl Bundle {
    /// trunk's loader shim for the bundle, relative to the page (works under a sub-path), at
    /// this page's build (`<meta name="distill-build">`, stamped by `cargo xtask csp`): the
    /// shim then loads that build's worker, never a cached older one.
    fn url(self) -> String {
        let shim = match self {
            Bundle::WebGpu => "./worker_loader.js",
            Bundle::Cpu => "./worker_cpu_loader.js",
        };
        let build = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=distill-build]").ok().flatten())
            .and_then(|m| m.get_attribute("content"));
        match build {
            Some(b) => format!("{shim}?v={b}"),
            None => shim.to_string(),
        }
    }

    fn for_choice(choice: &Choice) -> Self {
        match choice {
            // Measuring needs both backends: the WebGPU bundle carries the CPU one too.
            Choice::WebGpu { .. } | Choice::Measure { .. } => Bundle::WebGpu,
            Choice::Cpu { .. } => Bundle::Cpu,
        }
    }
}

pub struct Link {
    dispatch: UseReducerDispatcher<State>,
    /// What the browser offered, asked once.
    adapter: Option<Adapter>,
    worker: Option<(Bundle, WorkerBridge<Remote>)>,
    /// A WebGPU worker for the speed test alone, while the page runs the CPU bundle (so the
    /// networks trained there stay); gone when its report arrives.
    side: Option<WorkerBridge<Remote>>,
    /// Weights files the user loaded and the worker has not refused: a respawned worker gets
    /// them again.
    imports: Vec<ToWorker>,
    /// The number the next import gets (`ToWorker::Import::id`).
    next_import: u32,
    /// Other messages sent before the first worker started (the page asks the browser for its
    /// adapter first): delivered when it does.
    early: Vec<ToWorker>,
    /// When the worker was last heard from (ms since the epoch), and whether it is running
    /// something (from its phases): the watchdog's inputs.
    last_heard: f64,
    busy: bool,
    /// The run trains on WebGPU (its `Device` message said so): a longer silence is normal.
    webgpu: bool,
}

impl Link {
    /// A message from the page's worker: it is alive; its phase says whether it works.
    fn heard(&mut self, msg: &FromWorker) {
        self.last_heard = js_sys::Date::now();
        match msg {
            FromWorker::Phase(p) => {
                self.busy = matches!(
                    p,
                    Phase::Loading | Phase::Training(_) | Phase::Caching { .. } | Phase::Students
                )
            }
            FromWorker::Crashed(_) => self.busy = false,
            // Measuring compiles WebGPU's shaders on this worker's thread first.
            FromWorker::Measuring { .. } => self.webgpu = true,
            FromWorker::Device(d) => {
                self.webgpu = d.backend == "webgpu";
                if let Some(m) = &d.measured {
                    device_memory::remember(m);
                }
            }
            _ => {}
        }
    }
}

/// Watch the worker's heartbeat: a worker that falls silent for [`SILENCE_MS`] (on WebGPU
/// [`SILENCE_WEBGPU_MS`]) while it runs
/// something has died without a word (out of memory, an abort, closed), and the page is told as
/// if its panic hook had spoken. Runs while the page lives.
pub async fn watch(link: Weak<RefCell<Link>>) {
    loop {
        sleep_ms(2_000).await;
        let Some(link) = link.upgrade() else { return };
        let mut l = link.borrow_mut();
        let silent = js_sys::Date::now() - l.last_heard;
        let limit = if l.webgpu {
            SILENCE_WEBGPU_MS
        } else {
            SILENCE_MS
        };
        if l.busy && l.worker.is_some() && silent > limit {
            l.busy = false;
            let message = format!(
                "the training worker stopped answering ({:.0} s without a word while it was training: out of memory, or stopped by the browser). Its last completed epoch is checkpointed.",
                silent / 1000.0
            );
            l.dispatch
                .dispatch(Action::Worker(FromWorker::Crashed(message)));
        }
    }
}

/// Resolve after `ms` milliseconds (the page's timer).
async fn sleep_ms(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

pub type LinkRef = Rc<RefCell<Link>>;

impl Link {
    pub fn new(dispatch: UseReducerDispatcher<State>) -> Self {
        Link {
            dispatch,
            adapter: None,
            worker: None,
            side: None,
            imports: Vec::new(),
            next_import: 0,
            early: Vec::new(),
            last_heard: js_sys::Date::now(),
            busy: false,
            webgpu: false,
        }
    }
}

/// Weights files go to the user's disk; everything else to the reducer. A refused import is
/// forgotten, so a respawned worker does not refuse it again. `side`: the message comes from the
/// speed-test worker, which ends with its report.
fn spawn(link: &LinkRef, bundle: Bundle, side: bool) -> WorkerBridge<Remote> {
    let dispatch = link.borrow().dispatch.clone();
    let weak: Weak<RefCell<Link>> = Rc::downgrade(link);
    Remote::spawner()
        .with_loader(true)
        .as_module(false)
        .callback(move |msg| match msg {
            FromWorker::Exported { name, bytes, .. } => models::save_file(&name, &bytes),
            msg => {
                // The speed-test worker dying (a panic) is that test failing, not the page's
                // worker stopping: it must not offer to restart the run.
                let msg = match msg {
                    FromWorker::Crashed(message) if side => FromWorker::Bench(Err(message)),
                    msg => msg,
                };
                if let Some(link) = weak.upgrade() {
                    if !side {
                        link.borrow_mut().heard(&msg);
                    }
                    match &msg {
                        // The heartbeat is for the watchdog alone: no re-render.
                        FromWorker::Alive => return,
                        // Dropping the bridge ends that worker.
                        FromWorker::Bench(_) if side => link.borrow_mut().side = None,
                        FromWorker::ImportRejected { id, .. } => link
                            .borrow_mut()
                            .imports
                            .retain(|m| !matches!(m, ToWorker::Import { id: i, .. } if i == id)),
                        _ => {}
                    }
                }
                let (steps, t0) = (matches!(msg, FromWorker::Steps { .. }), renders::now_ms());
                dispatch.dispatch(Action::Worker(msg));
                if steps {
                    // yew renders in a task it queues on dispatch; this one runs after it.
                    wasm_bindgen_futures::spawn_local(async move {
                        renders::steps(renders::now_ms() - t0);
                    });
                }
            }
        })
        .spawn(&bundle.url())
}

/// The bundle for `pref`, asking the browser for its adapter the first time, and what was
/// measured on that adapter before (the worker makes its choice from the same).
async fn bundle_for(link: &LinkRef, pref: DevicePref) -> (Bundle, Option<Measured>) {
    let known = link.borrow().adapter.clone();
    let adapter = match known {
        Some(a) => a,
        None if pref == DevicePref::Cpu => return (Bundle::Cpu, None),
        None => {
            let a = gpu_probe::adapter().await;
            link.borrow_mut().adapter = Some(a.clone());
            a
        }
    };
    let remembered = match &adapter {
        Adapter::Found { name, .. } => device_memory::recall(name),
        Adapter::Missing(_) => None,
    };
    let choice = device::choose(pref, &adapter, remembered.as_ref());
    (Bundle::for_choice(&choice), remembered)
}

/// Make sure the running worker is the bundle `pref` needs (spawning or respawning it), then
/// send `msgs`. A respawned worker first gets the loaded weights files again.
pub async fn send_with(link: &LinkRef, pref: DevicePref, msgs: Vec<ToWorker>) {
    let (bundle, remembered) = bundle_for(link, pref).await;
    let current = link.borrow().worker.as_ref().map(|(b, _)| *b);
    if current != Some(bundle) {
        respawn(link, bundle);
    }
    let l = link.borrow();
    if let Some((_, w)) = &l.worker {
        w.send(ToWorker::Remembered(remembered));
        for m in msgs {
            w.send(m);
        }
    }
}

/// Replace the worker with a fresh `bundle` one (the old one ends when its bridge drops).
pub fn respawn(link: &LinkRef, bundle: Bundle) {
    let bridge = spawn(link, bundle, false);
    let mut l = link.borrow_mut();
    (l.last_heard, l.busy) = (js_sys::Date::now(), false);
    for m in &l.imports {
        bridge.send(m.clone());
    }
    for m in std::mem::take(&mut l.early) {
        bridge.send(m);
    }
    l.worker = Some((bundle, bridge));
}

/// The page loaded: start the worker the URL's Device setting needs and ask it for a saved
/// run. `?bench=webgpu|cpu` (how `cargo xtask bench` drives the page) also runs the speed test.
pub async fn connect(link: &LinkRef, pref: DevicePref, bench: Option<bool>) {
    wasm_bindgen_futures::spawn_local(watch(Rc::downgrade(link)));
    let mut msgs = vec![ToWorker::Hello];
    let pref = match bench {
        Some(cpu) => {
            link.borrow().dispatch.dispatch(Action::BenchStarted);
            msgs.push(ToWorker::Bench { cpu });
            if cpu {
                DevicePref::Cpu
            } else {
                DevicePref::WebGpu
            }
        }
        None => pref,
    };
    send_with(link, pref, msgs).await;
}

/// A message for whatever worker runs now (pause, stop, inspect, export…).
pub fn send(link: &LinkRef, mut msg: ToWorker) {
    let mut l = link.borrow_mut();
    let import = if let ToWorker::Import { id, .. } = &mut msg {
        *id = l.next_import;
        l.next_import += 1;
        l.imports.push(msg.clone());
        true
    } else {
        false
    };
    match &l.worker {
        Some((_, w)) => w.send(msg),
        // (An import reaches the first worker with the others in `imports`.)
        None if !import => l.early.push(msg),
        None => {}
    }
}

/// The speed test on WebGPU (`cpu == false`) or on the CPU backend. The CPU bundle has no
/// WebGPU: then a WebGPU worker is started for the test alone.
pub fn bench(link: &LinkRef, cpu: bool) {
    let current = link.borrow().worker.as_ref().map(|(b, _)| *b);
    if cpu || current == Some(Bundle::WebGpu) {
        send(link, ToWorker::Bench { cpu });
        return;
    }
    let side = spawn(link, Bundle::WebGpu, true);
    side.send(ToWorker::Bench { cpu });
    link.borrow_mut().side = Some(side);
}
