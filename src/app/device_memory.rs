//! Both backends as measured on an adapter (`device::Measured`), kept in the page's
//! `localStorage` per adapter, so that a second visit under `device=auto` goes by them instead of
//! measuring again. Storage may be missing or refused (a private window, a full quota): then
//! nothing is remembered, and the next run measures again.

use crate::device::Measured;

/// The key an adapter's measurement is kept under.
fn key(adapter: &str) -> String {
    format!("distill-lab.device.{adapter}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// What was measured on `adapter` before, if anything readable was kept. A stored value is
/// input like any other: one that does not parse, or names another adapter, is ignored.
pub fn recall(adapter: &str) -> Option<Measured> {
    let raw = storage()?.get_item(&key(adapter)).ok().flatten()?;
    // Bounded: a measurement is a few dozen bytes.
    if raw.len() > 4096 {
        return None;
    }
    let m: Measured = serde_json::from_str(&raw).ok()?;
    let sane = |v: f64| v.is_finite() && v >= 0.0;
    (m.adapter == adapter && sane(m.cpu) && m.webgpu.is_none_or(sane)).then_some(m)
}

/// Keep `m` for its adapter; false if the browser refused (the next run measures again).
pub fn remember(m: &Measured) -> bool {
    let Ok(json) = serde_json::to_string(m) else {
        return false;
    };
    storage().is_some_and(|s| s.set_item(&key(&m.adapter), &json).is_ok())
}
