//! The first thing a newcomer sees: one line on what to do (the why behind a disclosure), and
//! the lessons ([`crate::presets`]) as the main way in. Each lesson is a share link; clicking it
//! applies its settings in place (no reload, so nothing running or trained is lost). The lesson
//! whose settings are in use is marked current and shows its card; the others stay one line.
//! Below them, whether the chosen dataset (and the published teacher, when the run uses it) is
//! on this server, checked before Start.

use super::controls::Edit;
use crate::data::MAX_WEIGHTS_BYTES;
use crate::data::{DataIndex, Manifest, manifest, prepare_command};
use crate::fetch::{Fetched, fetch_capped};
use crate::presets::{PRESETS, Preset};
use crate::settings::Settings;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonsProps {
    pub settings: Settings,
    pub running: bool,
    pub on_change: Callback<Edit>,
}

/// A lesson's settings on this page.
fn applied(preset: &Preset, page: &Settings) -> Settings {
    page.on_this_page(preset.settings())
}

/// The lesson whose settings are in use, if any.
fn current(s: &Settings) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| applied(p, s) == *s)
}

#[function_component(Lessons)]
pub fn lessons(p: &LessonsProps) -> Html {
    super::renders::panel("lessons");
    if p.settings.hidden("lessons") {
        return html! {};
    }
    let now = current(&p.settings);
    html! {
        <>
        <section class="lessons" aria-label="Lessons">
            <div class="what"><p>{ "Pick a lesson, press Start, and watch which student wins." }</p>
                <details class="why"><summary>{ "Why?" }</summary>
                    <p>{ "A teacher network (a CNN) is trained or loaded, then two small students (MLPs) \
                       learn side by side: one from the labels alone, one also from the teacher's \
                       softened answers, which say how alike the classes look to it." }</p>
                </details>
            </div>
            <ul>
                { for PRESETS.iter().map(|preset| {
                    let cb = p.on_change.clone();
                    let running = p.running;
                    let onclick = Callback::from(move |e: MouseEvent| {
                        e.prevent_default();
                        if running {
                            return;
                        }
                        cb.emit(Rc::new(move |s: &mut Settings| *s = applied(preset, s)) as Edit);
                    });
                    let is_current = now.map(|c| c.key) == Some(preset.key);
                    html! {
                        <li class={classes!("lesson", is_current.then_some("current"))}>
                            <a id={format!("preset-{}", preset.key)} href={format!("?{}", preset.query)}
                                aria-current={is_current.then_some("true")}
                                aria-disabled={running.then_some("true")} {onclick}>
                                { preset.title }
                            </a>
                            // The card while choosing; during a run the curves need the room.
                            if is_current && !running {
                                <p>{ preset.expect }
                                    { crate::measured::lesson(preset.key).map(|l| format!(" {}", l.promise())).unwrap_or_default() }</p>
                            }
                        </li>
                    }
                }) }
            </ul>
            if !p.running {
                <DataCheck dataset={p.settings.dataset.clone()} pretrained={p.settings.pretrained}
                    measured={now.is_some_and(|l| crate::measured::lesson(l.key).is_some())} />
            }
        </section>
        </>
    }
}

/// What a request for a file on this server found.
#[derive(Clone, PartialEq)]
enum Found {
    /// The response's body, when asked for.
    Yes(Option<Vec<u8>>),
    /// The server answered with this status.
    No(u16),
    /// No answer (offline): the worker falls back to the cached copy, so nothing is said.
    Unknown,
}

/// `GET` `url` (only its first `range` bytes, when given), its body bounded by `max` bytes
/// ([`crate::fetch`]). Never blocks: awaited in a task.
async fn probe(url: &str, max: usize, range: Option<usize>) -> Found {
    match fetch_capped(url, max, range).await {
        Ok(Fetched::Body(b)) => Found::Yes(Some(b)),
        Ok(Fetched::Status(s)) => Found::No(s),
        Err(e) => {
            web_sys::console::warn_1(&e.into());
            Found::Unknown
        }
    }
}

/// The most `data/index.json` may hold: 64 names of 64 characters, with room to spare.
const INDEX_BYTES: usize = 64 * 1024;

/// The datasets this server holds, from `data/index.json` (`distill prepare` writes it); `None`
/// when there is no readable index (an older preparation, or offline).
pub async fn datasets_here() -> Option<Vec<String>> {
    match probe("data/index.json", INDEX_BYTES, None).await {
        Found::Yes(Some(bytes)) => DataIndex::from_json(&String::from_utf8_lossy(&bytes))
            .ok()
            .map(|i| i.datasets),
        _ => None,
    }
}

/// The teacher published for `dataset` (`data/<dataset>/teacher.dlw`, `distill train
/// --publish`), whole; `None` when the server has none (or cannot be reached).
pub async fn published_teacher(dataset: &str) -> Option<Vec<u8>> {
    match probe(
        &format!("data/{dataset}/teacher.dlw"),
        MAX_WEIGHTS_BYTES,
        None,
    )
    .await
    {
        Found::Yes(bytes) => bytes,
        _ => None,
    }
}

/// The most of a weights file read to show its metadata: the header and the JSON.
const META_BYTES: usize = 64 * 1024;

/// A weights file's accuracy (a fraction) and epochs, from its first bytes (magic "DLWEIGHT",
/// u32 LE JSON length, JSON: see `model::snapshot`), or `None` when they are not that. The page
/// links no burn, so it reads the JSON directly.
fn teacher_header(head: &[u8]) -> Option<(f64, u64)> {
    if head.len() < 12 || &head[..8] != b"DLWEIGHT" {
        return None;
    }
    let len = u32::from_le_bytes(head[8..12].try_into().ok()?) as usize;
    let json = head.get(12..12usize.checked_add(len)?)?;
    let meta: serde_json::Value = serde_json::from_slice(json).ok()?;
    let acc = meta.get("val_acc")?.as_f64()?;
    let epochs = meta.get("epochs").and_then(|e| e.as_u64()).unwrap_or(0);
    Some((acc, epochs))
}

/// "A published teacher is here: 91.6 % on the test set after 24 epochs.", and, for a lesson
/// whose figures were measured with another teacher (`measured`), that its figures may not hold.
fn teacher_line(head: &[u8], measured: bool) -> String {
    let Some((acc, epochs)) = teacher_header(head) else {
        return " A published teacher is here.".into();
    };
    let mut line = format!(
        " A published teacher is here: {:.1} % on the test set after {epochs} epoch{}.",
        acc * 100.0,
        if epochs == 1 { "" } else { "s" }
    );
    if measured
        && !crate::measured::is_measured_teacher(acc as f32)
        && let Some(m) = crate::measured::measured()
    {
        line.push_str(&format!(
            " It is not the teacher this lesson's figures were measured with ({:.2} %, {}), \
             so expect other numbers.",
            m.teacher.val_acc * 100.0,
            m.teacher.file
        ));
    }
    line
}

#[derive(Properties, PartialEq)]
struct DataCheckProps {
    dataset: String,
    pretrained: bool,
    /// The settings are a lesson with measured figures (its card states them).
    measured: bool,
}

/// Says, before Start, whether `data/<dataset>` and its published teacher are here, and which
/// command prepares what is missing.
#[function_component(DataCheck)]
fn data_check(p: &DataCheckProps) -> Html {
    // (dataset, manifest, teacher): the answers for the dataset they were asked about.
    let found = use_state(|| None::<(String, Found, Found)>);
    {
        let found = found.clone();
        use_effect_with(p.dataset.clone(), move |dataset| {
            let dataset = dataset.clone();
            spawn_local(async move {
                let manifest = probe(
                    &format!("data/{dataset}/manifest.json"),
                    manifest::MAX_BYTES,
                    None,
                )
                .await;
                let teacher = probe(
                    &format!("data/{dataset}/teacher.dlw"),
                    MAX_WEIGHTS_BYTES,
                    Some(META_BYTES),
                )
                .await;
                found.set(Some((dataset, manifest, teacher)));
            });
        });
    }
    let Some((dataset, manifest, teacher)) = (*found).clone() else {
        return html! { <p class="data-check" id="data-check" data-state="checking">{ format!("Looking for data/{} on this server…", p.dataset) }</p> };
    };
    if dataset != p.dataset {
        return html! { <p class="data-check" id="data-check" data-state="checking">{ format!("Looking for data/{} on this server…", p.dataset) }</p> };
    }
    let (state, text) = match &manifest {
        Found::No(status) => (
            "missing",
            format!(
                "data/{dataset} is not on this server (HTTP {status}), so Start would fail. Prepare it with\n  {}\nand reload this page (`cargo xtask serve --dataset {dataset}` does both).",
                prepare_command(&dataset)
            ),
        ),
        Found::Yes(Some(json)) => match Manifest::from_json(&String::from_utf8_lossy(json)) {
            Ok(m) => {
                let teacher_line = match (&teacher, p.pretrained) {
                    (Found::No(_), true) => format!(
                        " No published teacher is here (data/{dataset}/teacher.dlw), so the run will fail at the teacher: make one with `cargo run --release --bin distill -- train --data data/{dataset} --model cnn --out runs/teacher --publish data/{dataset}`, or untick \"use the pretrained teacher\"."
                    ),
                    (Found::Yes(head), _) => {
                        teacher_line(head.as_deref().unwrap_or_default(), p.measured)
                    }
                    _ => String::new(),
                };
                (
                    "ready",
                    format!(
                        "data/{dataset} is ready: {} training and {} test images, {} classes.{teacher_line}",
                        m.splits.train,
                        m.splits.test,
                        m.classes.len()
                    ),
                )
            }
            Err(e) => (
                "broken",
                format!(
                    "data/{dataset}/manifest.json is here but unreadable ({e}); prepare the data again:\n  {}",
                    prepare_command(&dataset)
                ),
            ),
        },
        _ => ("unknown", String::new()),
    };
    let bad = matches!(state, "missing" | "broken")
        || (p.pretrained && matches!(teacher, Found::No(_)) && state == "ready");
    html! {
        <p class={classes!("data-check", bad.then_some("warning"))} id="data-check" data-state={state}>{ text }</p>
    }
}
