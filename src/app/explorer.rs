//! The temperature explorer: pick test samples, see the teacher's softmax at T = 1, 2, 5, 10, 20
//! with their entropies, slide T anywhere in [1, 50], and compare the baseline and distilled
//! students at T = 1 and at the chosen T. Classes beyond the top one that carry real mass — the
//! "dark knowledge" — are highlighted. Softening happens here from raw logits, so the slider
//! never waits for the worker.

use crate::distill::{Method, probs};
use crate::image as thumb;
use crate::protocol::{Logits, Role, Thumb};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

pub const MAX_SELECTED: usize = 3;
pub const FIXED_T: [f32; 5] = [1.0, 2.0, 5.0, 10.0, 20.0];
/// A wrong class is "dark knowledge" when it holds at least this many times the average share of
/// the wrong classes (see [`probs::dark_knowledge`]).
const DARK: f32 = 2.0;
const VERMILLION: &str = "#D55E00";
const SKY: &str = "#56B4E9";
const GREY: &str = "#999999";

#[derive(Properties, PartialEq)]
pub struct ExplorerProps {
    /// The grid's samples.
    pub thumbs: Rc<Vec<Thumb>>,
    /// Every test image the page has (the grid's and those picked from a confusion cell).
    pub images: Rc<Vec<Thumb>>,
    pub selected: Vec<usize>,
    pub classes: Rc<Vec<String>>,
    pub logits: Rc<Logits>,
    /// The slider's temperature.
    pub t: f32,
    pub method: Method,
    /// The projector's form: one sample, the teacher and the students at the chosen T in one
    /// row, no grid (the keys step the sample).
    #[prop_or_default]
    pub compact: bool,
    pub on_select: Callback<usize>,
    pub on_temperature: Callback<f32>,
    pub on_refresh: Callback<()>,
}

/// A bar chart of one distribution. `truth` is outlined; the top class is blue; dark-knowledge
/// classes are vermillion and labelled.
pub fn bars(id: String, title: String, p: &[f32], classes: &[String], truth: u8) -> Html {
    let (w, h, top_pad, bottom) = (300.0f32, 120.0f32, 14.0f32, 16.0f32);
    let n = p.len().max(1) as f32;
    let bw = w / n;
    let top = probs::argmax(p);
    let dark = probs::dark_knowledge(p, DARK);
    let y_max = p.iter().cloned().fold(0.0f32, f32::max).max(1e-6);
    let short = |c: &String| {
        c.chars()
            .take(if classes.len() > 12 { 1 } else { 3 })
            .collect::<String>()
    };
    html! {
        <figure class="bars" id={id} data-entropy={format!("{:.4}", probs::entropy_bits(p))}>
            <figcaption>{ title }</figcaption>
            <svg viewBox={format!("0 0 {w} {h}")} role="img"
                aria-label={format!("probabilities over {} classes; top {}", p.len(), classes.get(top).cloned().unwrap_or_default())}>
                { for p.iter().enumerate().map(|(i, &v)| {
                    let bh = v / y_max * (h - top_pad - bottom);
                    let x = i as f32 * bw;
                    let fill = if i == top { SKY } else if dark.iter().any(|d| d.0 == i) { VERMILLION } else { GREY };
                    html! {
                        <g class={classes!("bar", (i == top).then_some("top"), dark.iter().any(|d| d.0 == i).then_some("dark"))}>
                            <rect x={(x + 0.5).to_string()} y={(h - bottom - bh).to_string()} width={(bw - 1.0).max(0.5).to_string()}
                                height={bh.to_string()} fill={fill} stroke={if i == truth as usize { "#000" } else { "none" }}>
                                <title>{ format!("{}: {:.1} %", classes.get(i).cloned().unwrap_or_default(), v * 100.0) }</title>
                            </rect>
                            <text x={(x + bw / 2.0).to_string()} y={(h - 4.0).to_string()} text-anchor="middle"
                                class={if i == truth as usize { "truth" } else { "" }}>{ classes.get(i).map(short).unwrap_or_default() }</text>
                            // Dark knowledge marked on its bar: its share, above it.
                            if dark.iter().any(|d| d.0 == i) {
                                <text class="dark-mark" x={(x + bw / 2.0).to_string()} y={(h - bottom - bh - 2.0).max(9.0).to_string()}
                                    text-anchor="middle">{ format!("{:.0}%", v * 100.0) }</text>
                            }
                        </g>
                    }
                }) }
                <text x="2" y="10" class="ymax">{ format!("max {:.0} %", y_max * 100.0) }</text>
            </svg>
            // The same distribution as a table, for screen readers (the chart is its picture).
            <table class="sr-only">
                <caption>{ "Probability per class" }</caption>
                <tbody>
                    { for p.iter().enumerate().map(|(i, &v)| html! {
                        <tr><th scope="row">{ classes.get(i).cloned().unwrap_or_default() }</th><td>{ format!("{:.1} %", v * 100.0) }</td></tr>
                    }) }
                </tbody>
            </table>
        </figure>
    }
}

fn dark_text(p: &[f32], classes: &[String]) -> String {
    let d = probs::dark_knowledge(p, DARK);
    if d.is_empty() {
        return "none: the other classes share the rest evenly".into();
    }
    d.iter()
        .take(5)
        .map(|(i, m)| {
            format!(
                "{} {:.0} %",
                classes.get(*i).cloned().unwrap_or_default(),
                m * 100.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[function_component(Explorer)]
pub fn explorer(props: &ExplorerProps) -> Html {
    super::renders::panel("explorer");
    let s = props;
    if s.thumbs.is_empty() {
        return html! {};
    }
    let t = s.t;
    let on_t = {
        let cb = props.on_temperature.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlInputElement>()
                .value()
                .parse::<f32>()
            {
                cb.emit(v.clamp(1.0, 50.0));
            }
        })
    };
    let refresh = props.on_refresh.clone();
    let slider = html! {
        <div class="slider">
            <label for="explorer-t">{ format!("Chosen temperature T = {t:.1}") }</label>
            <input id="explorer-t" type="range" min="1" max="50" step="0.5" value={t.to_string()} oninput={on_t} />
            if !s.compact {
                <button id="refresh" onclick={Callback::from(move |_| refresh.emit(()))}>{ "Refresh from the latest weights" }</button>
            }
        </div>
    };
    if s.compact {
        return html! {
            <section class="explorer compact" aria-label="Temperature explorer">
                <h2 class="sr-only">{ "Temperature explorer" }</h2>
                { slider }
                { for s.selected.first().map(|&index| sample_view(s, index, t)) }
            </section>
        };
    }
    html! {
        <section class="explorer" aria-label="Temperature explorer">
            <h2>{ "Temperature explorer" }</h2>
            <p class="hint">{ "Pick up to three test samples, then move T and watch the answers soften." }</p>
            <details class="why"><summary>{ "Why?" }</summary><p>
                { "Bars: probability per class. Blue: the top class; vermillion, with its share on the bar: \
                   the wrong classes the network finds most similar (at least twice the average of the \
                   rest) — the dark knowledge a student learns from; outlined: the true class." }
            </p></details>
            <div class="thumbs" role="group" aria-label="Test samples">
                { for s.thumbs.iter().map(|th| {
                    let sel = s.selected.contains(&th.index);
                    let cb = props.on_select.clone();
                    let index = th.index;
                    let label = s.classes.get(th.label as usize).cloned().unwrap_or_default();
                    html! {
                        <button class={classes!("thumb", sel.then_some("selected"))} aria-pressed={sel.to_string()}
                            data-index={index.to_string()} title={format!("test sample {index}: {label}")}
                            onclick={Callback::from(move |_| cb.emit(index))}>
                            <img src={thumb::data_url(&th.pixels, 28)} alt={format!("test sample {index}, a {label}")} width="42" height="42" />
                            <span>{ label }</span>
                        </button>
                    }
                }) }
            </div>
            { slider }
            { for s.selected.iter().map(|&index| sample_view(s, index, t)) }
        </section>
    }
}

/// One distribution's chart at `temp`, with its dark knowledge listed under it (not in the
/// compact form: the bars carry it).
fn dist_chart(
    s: &ExplorerProps,
    truth: u8,
    id: String,
    who: &str,
    logits: &[f32],
    temp: f32,
) -> Html {
    let p = probs::softmax_t(logits, temp);
    let title = format!("{who} T = {temp} · H = {:.2} bits", probs::entropy_bits(&p));
    html! {
        <div class="dist">
            { bars(id, title, &p, &s.classes, truth) }
            if !s.compact {
                <p class="dark-list">{ format!("dark knowledge: {}", dark_text(&p, &s.classes)) }</p>
            }
        </div>
    }
}

/// The networks' logits for sample `index`: the teacher's, and each student's of the method
/// (the baseline, the method's student, a DML peer), `None` until its first epoch.
#[allow(clippy::type_complexity)] // Read once, here and in the view below.
fn logits_of(s: &ExplorerProps, index: usize) -> (Option<Vec<f32>>, Vec<(Role, Option<Vec<f32>>)>) {
    let row = |role: Role| {
        let pos = s.logits.samples.iter().position(|&i| i == index)?;
        s.logits.nets.get(role)?.get(pos).cloned()
    };
    let students = [Role::Baseline, Role::Distilled, Role::Peer]
        .into_iter()
        .filter(|r| r.in_method(s.method))
        .map(|r| (r, row(r)))
        .collect();
    (row(Role::Teacher), students)
}

fn sample_view(s: &ExplorerProps, index: usize, t: f32) -> Html {
    let Some(th) = s.images.iter().find(|th| th.index == index) else {
        return html! {};
    };
    let label = s
        .classes
        .get(th.label as usize)
        .cloned()
        .unwrap_or_default();
    let method = s.method;
    let (teacher, students) = logits_of(s, index);
    let chart =
        |id: String, who: &str, z: &[f32], temp: f32| dist_chart(s, th.label, id, who, z, temp);
    // The teacher at the chosen T beside the students (in the lab also each student at T = 1).
    let row = html! {
        <div class="dist-row">
            { for teacher.iter().map(|z| chart(format!("teacher-{index}-chosen"), "teacher", z, t)) }
            { for students.iter().map(|(role, z)| {
                let (key, who) = (role.key(), role.label_for(method));
                match z {
                    None => html! { <div class="dist waiting">{ format!("{who}: after its first epoch") }</div> },
                    Some(z) => html! {
                        <>
                            if !s.compact { { chart(format!("{key}-{index}-t1"), who, z, 1.0) } }
                            { chart(format!("{key}-{index}-chosen"), who, z, t) }
                        </>
                    },
                }
            }) }
        </div>
    };
    let heading = |text: String| {
        html! {
            <h3><img src={thumb::data_url(&th.pixels, 28)} alt="" width="28" height="28" />{ text }</h3>
        }
    };
    if s.compact {
        return html! {
            <article class="sample" data-index={index.to_string()}>
                { heading(format!(" Test sample {index}: {label}, at T = {t}")) }
                { row }
            </article>
        };
    }
    html! {
        <article class="sample" data-index={index.to_string()}>
            { heading(format!(" Test sample {index} — true class {label}")) }
            { match &teacher {
                None if Role::Teacher.in_method(method) => html! { <p class="waiting">{ "The teacher's distributions appear after its first epoch." }</p> },
                None => html! {},
                Some(z) => html! {
                    <>
                        <h4>{ format!("{}, softened", capitalised(Role::Teacher.label_for(method))) }</h4>
                        <div class="dist-row teacher-row">
                            { for FIXED_T.iter().map(|&tt| chart(format!("teacher-{index}-t{tt}"), "teacher", z, tt)) }
                        </div>
                    </>
                },
            } }
            { augmented_view(s, index, th, teacher.as_deref(), t) }
            <h4>{ if teacher.is_some() { format!("At the chosen T = {t}, next to the students") } else { format!("The students at T = 1 and at the chosen T = {t}") } }</h4>
            { row }
        </article>
    }
}

/// When the run varies its images: the sample beside one of its views, and the teacher at the
/// chosen T on each — the targets a consistent teacher gives for the view the student sees.
fn augmented_view(
    s: &ExplorerProps,
    index: usize,
    th: &Thumb,
    clean: Option<&[f32]>,
    t: f32,
) -> Html {
    let (Some(v), Some(clean)) = (s.logits.view.as_ref().filter(|v| v.index == index), clean)
    else {
        return html! {};
    };
    let img = |pixels: &[u8], alt: String| {
        html! { <img src={thumb::data_url(pixels, 28)} alt={alt} width="56" height="56" /> }
    };
    html! {
        <>
            <h4>{ format!("The teacher on a view the students train on (view {}), at T = {t}", v.view) }</h4>
            <div class="dist-row view-row" id={format!("view-{index}")}>
                <div class="view-images">
                    { img(&th.pixels, format!("test sample {index} as stored")) }
                    { img(&v.pixels, format!("test sample {index}, view {}: varied as the run's augmentation varies training images", v.view)) }
                </div>
                { dist_chart(s, th.label, format!("teacher-{index}-clean"), "teacher, the image", clean, t) }
                { dist_chart(s, th.label, format!("teacher-{index}-view"), "teacher, the view", &v.teacher, t) }
            </div>
        </>
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
