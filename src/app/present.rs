//! The presentation view for a projector (`view=present`): the explorer, the curves and the
//! results only, in large type, stepped from the keyboard — T through the explorer's fixed
//! temperatures (↑/↓ or t/T) and the sample through the grid (←/→ or n/p).

use super::explorer::FIXED_T;
use crate::protocol::Thumb;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// The next of [`FIXED_T`] above (`up`) or below `t`, staying at the ends.
pub fn step_t(t: f32, up: bool) -> f32 {
    if up {
        FIXED_T
            .iter()
            .copied()
            .find(|&x| x > t)
            .unwrap_or(FIXED_T[FIXED_T.len() - 1])
    } else {
        FIXED_T
            .iter()
            .rev()
            .copied()
            .find(|&x| x < t)
            .unwrap_or(FIXED_T[0])
    }
}

/// The grid's sample after (`forward`) or before the first selected one, wrapping around.
pub fn step_sample(thumbs: &[Thumb], selected: &[usize], forward: bool) -> Option<usize> {
    if thumbs.is_empty() {
        return None;
    }
    let n = thumbs.len();
    let at = selected
        .first()
        .and_then(|s| thumbs.iter().position(|t| t.index == *s));
    let next = match (at, forward) {
        (None, _) => 0,
        (Some(i), true) => (i + 1) % n,
        (Some(i), false) => (i + n - 1) % n,
    };
    Some(thumbs[next].index)
}

/// What a key asks for.
pub enum Key {
    Temperature(bool),
    Sample(bool),
}

fn key_of(e: &web_sys::KeyboardEvent) -> Option<Key> {
    match e.key().as_str() {
        "ArrowUp" | "t" => Some(Key::Temperature(true)),
        "ArrowDown" | "T" => Some(Key::Temperature(false)),
        "ArrowRight" | "n" => Some(Key::Sample(true)),
        "ArrowLeft" | "p" => Some(Key::Sample(false)),
        _ => None,
    }
}

/// Listen for the view's keys on the window while `on` (not while typing in a field), calling
/// `handler` with each; the listener goes when the view does.
#[hook]
pub fn use_keys(on: bool, handler: Callback<Key>) {
    let latest = use_mut_ref(|| handler.clone());
    *latest.borrow_mut() = handler;
    use_effect_with(on, move |&on| {
        let listener: Option<Closure<dyn Fn(web_sys::KeyboardEvent)>> = on.then(|| {
            let latest: Rc<RefCell<Callback<Key>>> = latest.clone();
            Closure::new(move |e: web_sys::KeyboardEvent| {
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    });
                if typing {
                    return;
                }
                if let Some(k) = key_of(&e) {
                    e.prevent_default();
                    latest.borrow().emit(k);
                }
            })
        });
        let window = web_sys::window();
        if let (Some(w), Some(l)) = (&window, &listener) {
            let _ = w.add_event_listener_with_callback("keydown", l.as_ref().unchecked_ref());
        }
        move || {
            if let (Some(w), Some(l)) = (window, listener) {
                let _ =
                    w.remove_event_listener_with_callback("keydown", l.as_ref().unchecked_ref());
            }
        }
    });
}
