//! Dataset loading: one bar per shard, plus the totals.

use crate::protocol::{Phase, ShardProgress};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    pub shards: Rc<Vec<ShardProgress>>,
    pub shards_total: usize,
    pub bytes_total: usize,
    pub dataset: Option<String>,
    pub phase: Phase,
}

#[function_component(Loading)]
pub fn loading(p: &LoadingProps) -> Html {
    super::renders::panel("loading");
    let s = p;
    if s.shards_total == 0 {
        return html! {};
    }
    let bytes: usize = s.shards.iter().map(|x| x.bytes).sum();
    let samples: usize = s.shards.iter().map(|x| x.samples).sum();
    let cached = s.shards.iter().filter(|x| x.cached).count();
    let done = s.shards.len() >= s.shards_total;
    let open = !done || s.phase == Phase::Loading;
    html! {
        <section class="loading" aria-label="Dataset loading">
            <details open={open}>
                <summary id="load-summary" data-done={done.to_string()}>
                    { format!("{}: {} of {} shards, {:.1} of {:.1} MB, {} samples{}",
                        s.dataset.clone().unwrap_or_default(), s.shards.len(), s.shards_total,
                        bytes as f64 / 1e6, s.bytes_total as f64 / 1e6, samples,
                        if cached > 0 { format!(" ({cached} from the browser cache)") } else { String::new() }) }
                </summary>
                <progress max={s.shards_total.to_string()} value={s.shards.len().to_string()} aria-label="shards loaded"></progress>
                <ul class="shards">
                    { for (0..s.shards_total).map(|i| {
                        match s.shards.iter().find(|x| x.index == i) {
                            Some(x) => html! {
                                <li class="shard done" title={format!("{} bytes, checked in {:.1} ms, decoded in {:.1} ms", x.bytes, x.verify_ms, x.decode_ms)}>
                                    <span>{ &x.file }</span>
                                    <progress max="1" value="1"></progress>
                                    <span class="tag">{ if x.cached { "cache" } else { "network" } }</span>
                                </li>
                            },
                            None => html! { <li class="shard"><span>{ format!("shard {}", i + 1) }</span><progress max="1" value="0"></progress></li> },
                        }
                    }) }
                </ul>
            </details>
        </section>
    }
}
