//! The speed test: the study's networks timed in this browser on WebGPU and on the CPU backend,
//! with the fraction of the device's measured matmul peak each figure reaches. `?bench=webgpu`
//! or `?bench=cpu` in the URL runs it on load (that is how `cargo xtask bench` drives it).

use crate::bench::{BenchFigures, STUDENT_FWD_FLOPS, TEACHER_FWD_FLOPS};
use crate::protocol::BenchReport;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SpeedProps {
    pub bench: Rc<Vec<BenchReport>>,
    pub bench_running: bool,
    pub can_run: bool,
    /// `true`: on the CPU backend.
    pub on_run: Callback<bool>,
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("—".into(), |b| format!("{:.1} MB", b as f64 / 1e6))
}

fn rows(f: &BenchFigures) -> Html {
    let row = |name: &str, sps: f64, fwd: f64, passes: f64| {
        html! {
            <tr>
                <td>{ name }</td>
                <td class="num">{ format!("{sps:.0}") }</td>
                <td class="num">{ format!("{:.1} %", 100.0 * f.peak_fraction(sps, fwd, passes)) }</td>
            </tr>
        }
    };
    html! {
        <>
            { row("teacher CNN training step", f.teacher_train, TEACHER_FWD_FLOPS, 3.0) }
            { row("student KD step (cached teacher logits)", f.student_kd, STUDENT_FWD_FLOPS, 3.0) }
            { row("teacher inference (logit cache)", f.teacher_infer, TEACHER_FWD_FLOPS, 1.0) }
        </>
    }
}

#[function_component(Speed)]
pub fn speed(p: &SpeedProps) -> Html {
    super::renders::panel("speed");
    let s = p;
    let (gpu, cpu) = (p.on_run.clone(), p.on_run.clone());
    let busy = s.bench_running || !p.can_run;
    html! {
        <section class="panel" id="speed">
            <h2>{ "Speed test" }</h2>
            <p class="hint">{ "Times one teacher training step (batch 64), the student's distillation step and teacher inference (batch 256) on random data, then checks that memory stays flat over a 10-epoch run. Takes a few minutes on a software GPU." }</p>
            <div class="buttons">
                <button id="bench-webgpu" disabled={busy} onclick={Callback::from(move |_| gpu.emit(false))}>{ "Run on WebGPU" }</button>
                <button id="bench-cpu" disabled={busy} onclick={Callback::from(move |_| cpu.emit(true))}>{ "Run on the CPU backend" }</button>
                if s.bench_running { <span class="hint">{ " timing…" }</span> }
            </div>
            { for s.bench.iter().map(|r| {
                let f = &r.figures;
                let json = serde_json::to_string(r).unwrap_or_default();
                let mem = f.memory.iter().map(|m| format!("after epoch {}: GPU pool {}, wasm heap {}", m.epoch, mb(m.device_bytes), mb(m.heap_bytes))).collect::<Vec<_>>().join("; ");
                html! {
                    <div class="bench-result" data-backend={r.device.backend.clone()} data-json={json}>
                        <h3>{ format!("{} · {}", r.device.backend, r.device.name) }</h3>
                        <table>
                            <thead><tr><th>{ "samples/s" }</th><th>{ "" }</th><th>{ "of matmul peak" }</th></tr></thead>
                            <tbody>{ rows(f) }</tbody>
                        </table>
                        <p class="hint">{ format!("First step (compiling shaders or code, allocating): {:.2} s. Warm-up before timing: {} teacher, {} student steps. Matmul peak: {:.1} GFLOP/s. Memory {mem}.", f.first_step_s, f.warmup_steps[0], f.warmup_steps[1], f.matmul_peak_gflops) }</p>
                    </div>
                }
            }) }
        </section>
    }
}
