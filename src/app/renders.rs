//! How much rendering the page does, for the e2e tests and the render benchmark: how often each
//! panel renders, and the main-thread time a `Steps` message costs: from its dispatch to the
//! end of the render yew queues for it (the reducer, every panel that renders, the DOM patch;
//! `link.rs` measures it in a task queued after yew's). Read from the page as `window.distillRenders` (`{panels: {name: count}, steps: n, steps_ms: total}`).

use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Default)]
struct Tally {
    panels: BTreeMap<&'static str, u64>,
    steps: u64,
    steps_ms: f64,
}

thread_local! {
    static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
}

/// A panel rendered (called first thing in each component).
pub fn panel(name: &'static str) {
    TALLY.with(|t| *t.borrow_mut().panels.entry(name).or_default() += 1);
}

/// A `Steps` message took `ms` from its dispatch to the patched DOM.
pub fn steps(ms: f64) {
    TALLY.with(|t| {
        let mut t = t.borrow_mut();
        t.steps += 1;
        t.steps_ms += ms;
    });
    publish();
}

/// Mirror the tally onto `window.distillRenders` (cheap: a few numbers).
fn publish() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let text = TALLY.with(|t| {
        let t = t.borrow();
        let panels: Vec<String> = t
            .panels
            .iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!(
            "{{\"panels\":{{{}}},\"steps\":{},\"steps_ms\":{:.3}}}",
            panels.join(","),
            t.steps,
            t.steps_ms
        )
    });
    if let Ok(v) = js_sys::JSON::parse(&text) {
        let _ = js_sys::Reflect::set(&window, &"distillRenders".into(), &v);
    }
}

/// Milliseconds, high resolution.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}
