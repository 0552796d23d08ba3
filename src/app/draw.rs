//! Draw what the dataset holds (a letter, a digit, a shoe): a pad for mouse, pen and touch
//! (pointer events), titled by `data::dataset::draw_prompt`. The stroke becomes a 28x28
//! input the way MNIST's were made ([`crate::image::stroke_to_input`]), shown as the model sees
//! it, and every trained network's distribution updates as you draw.

use super::explorer::bars;
use super::state::Drawn;
use crate::distill::probs;
use crate::image;
use std::rc::Rc;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};
use yew::prelude::*;

const SIZE: u32 = 280;
/// Pen width on the 280-pixel pad: about 2 pixels once scaled into MNIST's 20-pixel box, like
/// the strokes in the datasets.
const PEN: f64 = 22.0;
/// At most this often (ms) while drawing, the networks are asked again.
const THROTTLE_MS: f64 = 120.0;

#[derive(Properties, PartialEq)]
pub struct DrawProps {
    pub drawn: Rc<Drawn>,
    pub classes: Rc<Vec<String>>,
    /// The explorer's temperature, for the second row of bars.
    pub t: f32,
    /// Whether any network exists to ask (trained or loaded).
    pub have_models: bool,
    pub dataset: String,
    /// The 28x28 input after every stroke (`None`: cleared).
    pub on_input: Callback<Option<Vec<u8>>>,
    /// Load the published teacher, to draw without training anything.
    pub on_published: Callback<()>,
}

fn context(canvas: &NodeRef) -> Option<CanvasRenderingContext2d> {
    let c: HtmlCanvasElement = canvas.cast()?;
    c.get_context("2d").ok()??.dyn_into().ok()
}

use wasm_bindgen::JsCast;

/// The pad's ink (alpha channel), one byte per pixel.
fn ink(canvas: &NodeRef) -> Option<Vec<u8>> {
    let ctx = context(canvas)?;
    let data = ctx
        .get_image_data(0.0, 0.0, SIZE as f64, SIZE as f64)
        .ok()?
        .data();
    Some(data.0.chunks_exact(4).map(|p| p[3]).collect())
}

fn point(canvas: &NodeRef, e: &PointerEvent) -> Option<(f64, f64)> {
    let c: HtmlCanvasElement = canvas.cast()?;
    let r = c.get_bounding_client_rect();
    let sx = SIZE as f64 / r.width().max(1.0);
    Some((
        (e.client_x() as f64 - r.left()) * sx,
        (e.client_y() as f64 - r.top()) * sx,
    ))
}

// Over 80 lines: the pad's pointer and touch handlers, then its markup.
#[function_component(DrawPad)]
pub fn draw_pad(p: &DrawProps) -> Html {
    super::renders::panel("draw");
    let canvas = use_node_ref();
    let last = use_mut_ref(|| None::<(f64, f64)>);
    let sent = use_mut_ref(|| 0.0f64);
    let emit = {
        let (canvas, cb) = (canvas.clone(), p.on_input.clone());
        move || {
            if let Some(ink) = ink(&canvas) {
                cb.emit(image::stroke_to_input(&ink, SIZE as usize, SIZE as usize));
            }
        }
    };
    let down = {
        let (canvas, last) = (canvas.clone(), last.clone());
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let _ = c.set_pointer_capture(e.pointer_id());
            }
            *last.borrow_mut() = point(&canvas, &e);
        })
    };
    let mv = {
        let (canvas, last, sent, emit) = (canvas.clone(), last.clone(), sent.clone(), emit.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(from) = *last.borrow() else { return };
            let (Some(to), Some(ctx)) = (point(&canvas, &e), context(&canvas)) else {
                return;
            };
            ctx.set_line_width(PEN);
            ctx.set_line_cap("round");
            ctx.set_line_join("round");
            ctx.set_stroke_style_str("#000");
            ctx.begin_path();
            ctx.move_to(from.0, from.1);
            ctx.line_to(to.0, to.1);
            ctx.stroke();
            *last.borrow_mut() = Some(to);
            let now = js_sys::Date::now();
            if now - *sent.borrow() > THROTTLE_MS {
                *sent.borrow_mut() = now;
                emit();
            }
        })
    };
    let up = {
        let (last, emit) = (last.clone(), emit.clone());
        Callback::from(move |_: PointerEvent| {
            if last.borrow_mut().take().is_some() {
                emit();
            }
        })
    };
    let clear = {
        let (canvas, cb) = (canvas.clone(), p.on_input.clone());
        Callback::from(move |_| {
            if let Some(ctx) = context(&canvas) {
                ctx.clear_rect(0.0, 0.0, SIZE as f64, SIZE as f64);
            }
            cb.emit(None);
        })
    };
    let s = p;
    let (t, have_models) = (s.t, s.have_models);
    let prompt = crate::data::dataset::draw_prompt(&s.dataset);
    html! {
        <section class="draw" aria-label={prompt}>
            <h2>{ prompt }</h2>
            <div class="draw-row">
                <div class="pad">
                    <canvas id="pad" ref={canvas} width={SIZE.to_string()} height={SIZE.to_string()}
                        aria-label="Drawing pad: draw with the mouse, a pen or a finger"
                        onpointerdown={down} onpointermove={mv} onpointerup={up.clone()} onpointercancel={up} />
                    <div class="pad-buttons">
                        <button id="clear-pad" onclick={clear}>{ "Clear" }</button>
                        { match &s.drawn.input {
                            Some(px) => html! {
                                <figure class="as-seen">
                                    <img id="pad-input" src={image::data_url(px, 28)} width="56" height="56" alt="your drawing at 28x28, as the networks see it" />
                                    <figcaption>{ "as the networks see it" }</figcaption>
                                </figure>
                            },
                            None => html! {},
                        } }
                    </div>
                </div>
                <div class="dist-row drawn">
                    if !have_models {
                        <p class="waiting">{ "Draw once a model is trained, or now with the published teacher:" }</p>
                        <button id="draw-published" onclick={p.on_published.reform(|_| ())}>{ "Load the published teacher" }</button>
                    }
                    { for s.drawn.logits.iter().map(|(role, z)| {
                        let p1 = probs::softmax_t(z, 1.0);
                        let pt = probs::softmax_t(z, t);
                        let top = s.classes.get(probs::argmax(&p1)).cloned().unwrap_or_default();
                        html! {
                            <div class="dist" data-role={role.key()} data-top={top.clone()}>
                                { bars(format!("drawn-{}-t1", role.key()), format!("{}: {top} · T = 1", role.label()), &p1, &s.classes, u8::MAX) }
                                { bars(format!("drawn-{}-chosen", role.key()), format!("{} · T = {t}, H = {:.2} bits", role.label(), probs::entropy_bits(&pt)), &pt, &s.classes, u8::MAX) }
                            </div>
                        }
                    }) }
                </div>
            </div>
        </section>
    }
}
