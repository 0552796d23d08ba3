//! Where the models differ: a confusion matrix and per-class accuracy for each network on the
//! validation samples. Clicking a cell opens those samples in the temperature explorer.

use crate::protocol::Role;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfusionProps {
    pub classes: Rc<Vec<String>>,
    /// The latest validation predictions per network (by `Role::index`).
    pub predictions: Rc<[Option<Vec<u8>>; 4]>,
    pub val_labels: Rc<Vec<u8>>,
    /// Samples to open in the explorer.
    pub on_pick: Callback<Vec<usize>>,
}

#[function_component(Confusion)]
pub fn confusion(p: &ConfusionProps) -> Html {
    super::renders::panel("confusion");
    let role = use_state(|| Role::Teacher);
    let s = p;
    let c = s.classes.len();
    let Some(pred) = s.predictions[role.index()]
        .as_ref()
        .or_else(|| s.predictions.iter().flatten().next())
    else {
        return html! {};
    };
    if c == 0 || s.val_labels.len() < pred.len() {
        return html! {};
    }
    let labels = &s.val_labels[..pred.len()];
    let m = crate::train::confusion(labels, pred, c);
    let short = |x: &String| {
        x.chars()
            .take(if c > 12 { 1 } else { 4 })
            .collect::<String>()
    };
    html! {
        <section class="confusion" aria-label="Confusion matrix">
            <h2>{ "Where the models differ" }</h2>
            <div class="tabs" role="tablist">
                { for Role::ALL.iter().filter(|&&r| s.predictions[r.index()].is_some()).map(|&r| {
                    let set = role.clone();
                    html! {
                        <button role="tab" id={format!("cm-{}", r.key())} aria-selected={(*role == r).to_string()}
                            onclick={Callback::from(move |_| set.set(r))}>{ r.label() }</button>
                    }
                }) }
            </div>
            <p class="hint">{ "Rows: true class; columns: predicted. Click a cell to see those samples in the explorer." }</p>
            <div class="cm-scroll">
                <table class="cm" id="confusion-matrix" data-role={role.key()}>
                    <thead><tr><th scope="col"><span class="sr-only">{ "true class \\ predicted" }</span></th>{ for s.classes.iter().map(|x| html! { <th scope="col" title={x.clone()}>{ short(x) }</th> }) }<th>{ "acc." }</th></tr></thead>
                    <tbody>
                        { for m.iter().enumerate().map(|(i, row)| {
                            let total: u32 = row.iter().sum();
                            let acc = if total > 0 { row[i] as f32 / total as f32 } else { 0.0 };
                            html! {
                                <tr>
                                    <th scope="row" title={s.classes[i].clone()}>{ short(&s.classes[i]) }</th>
                                    { for row.iter().enumerate().map(|(j, &n)| {
                                        let share = if total > 0 { n as f32 / total as f32 } else { 0.0 };
                                        let picks: Vec<usize> = labels.iter().zip(pred).enumerate()
                                            .filter(|(_, (t, y))| **t as usize == i && **y as usize == j)
                                            .map(|(k, _)| k).take(3).collect();
                                        let cb = p.on_pick.clone();
                                        // Tenths of the row's share: classes in style.css (the CSP allows no inline styles).
                                        let shade = format!("shade-{}", (share * 10.0).round() as u8);
                                        html! {
                                            <td class={classes!((i == j).then_some("diag"), shade)}>
                                                if n > 0 {
                                                    <button class="cell" data-true={i.to_string()} data-pred={j.to_string()}
                                                        aria-label={format!("{} classified as {}: {n}", s.classes[i], s.classes[j])}
                                                        onclick={Callback::from(move |_| cb.emit(picks.clone()))}>{ n }</button>
                                                }
                                            </td>
                                        }
                                    }) }
                                    <td class="acc">{ format!("{:.0} %", acc * 100.0) }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}
