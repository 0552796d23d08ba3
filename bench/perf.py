#!/usr/bin/env python3
"""docs/PERFORMANCE.md's tables, from docs/results/bench.json: what one `cargo xtask bench`
measured (the native `distill bench --layers` line beside Keras, the browser bench beside
TensorFlow.js, the downloads). bench/tables.py renders them between their markers.

    bench/perf.py collect target/bench/browser.json   # after `cargo xtask bench` (it runs this):
                                                      # writes docs/results/bench.json
    bench/perf.py counts REPORT.json                  # after `node bench/browser/run.mjs --only
                                                      # ours-webgpu,tfjs-webgpu --out REPORT.json`:
                                                      # writes docs/results/webgpu-counts.json

The counts table comes from the full bench when it counted, else from webgpu-counts.json (the two
WebGPU sides alone, a few minutes instead of the whole bench).
"""
import datetime
import json
import os
import pathlib
import platform
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIDES = [  # the browser table's rows, in order, and what each is called there
    ("ours-webgpu", "Distill Lab, WebGPU forced"),
    ("ours-cpu", "Distill Lab, CPU backend (flex in wasm, SIMD, 1 thread) — what `device=auto` runs on a software adapter"),
    ("tfjs-webgpu", "TensorFlow.js webgpu"),
    ("tfjs-webgl", "TensorFlow.js webgl"),
    ("tfjs-wasm", "TensorFlow.js wasm"),
    ("tfjs-cpu", "TensorFlow.js cpu"),
]
TFJS = ["tfjs-webgpu", "tfjs-webgl", "tfjs-wasm", "tfjs-cpu"]


def _n(v, d=1):
    return "—" if v is None else f"{v:,.{d}f}"


def _times(v):
    return "—" if v is None else f"{v:.2f}×"


def _pct(sps, fwd, passes, peak):
    return "" if not (sps and peak) else f" ({100 * sps * fwd * passes / 1e9 / peak:.2f} %)"


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores ({model})"


def collect(browser_path, name="bench", command="cargo xtask bench"):
    r = json.loads(pathlib.Path(browser_path).read_text())
    r["date"] = datetime.date.today().isoformat()
    r["machine"] = machine()
    r["command"] = command
    out = ROOT / "docs" / "results" / f"{name}.json"
    out.write_text(json.dumps(r, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


def native(r):
    n = r["native"]
    o, k = n["ours"], n.get("keras") or {}
    frac = n.get("peak_fraction", {})
    rows = [("teacher train step", "teacher_train"), ("student KD step", "student_kd"),
            ("teacher inference", "teacher_infer")]
    lines = [f"Measured {r['date']} on {r['machine']} with `{r['command']}`; batch {n['batch']}, "
             f"{n['steps']} timed steps, {n['threads']} threads; the machine's 1024² matmul: "
             f"{o['matmul_peak_gflops']:.1f} GFLOP/s (in brackets: each figure's share of it).", "",
             f"| | {o['stack']} | {k.get('stack', 'Keras (not run)')} | ratio |", "| --- | ---: | ---: | ---: |"]
    for label, key in rows:
        ours, theirs = o[key], k.get(key)
        ratio = f"**{ours / theirs:.2f}×**" if theirs else "—"
        lines.append(f"| {label} | {_n(ours)} ({100 * frac.get(key, 0):.1f} %) | {_n(theirs)} | {ratio} |")
    lines.append(f"| first step | {o['first_step_s']:.2f} s | "
                 f"{'—' if k.get('first_step_s') is None else format(k['first_step_s'], '.2f') + ' s'} | |")
    return "\n".join(lines)


def layers(r):
    rows = r["native"].get("layers") or []
    lines = ["| CPU layer, ms per call | burn's layer | stand-in | speed-up |", "| --- | ---: | ---: | ---: |"]
    for x in rows:
        lines.append(f"| {x['layer']} | {x['burn_ms']:.2f} | {x['stand_in_ms']:.2f} | "
                     f"{x['burn_ms'] / x['stand_in_ms']:.1f}× |")
    return "\n".join(lines)


def browser(r):
    res, n = r["results"], r["native"]
    peak, fl = n["ours"]["matmul_peak_gflops"], n["fwd_flops"]
    mb = lambda v: "—" if v is None else f"{v / 1e6:.1f}"
    lines = ["| side (adapter it ran on) | teacher train | student KD | teacher inference | first step | "
             "warm-up | own matmul GFLOP/s | memory after epoch 1 → 10 (device / heap, MB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for key, label in SIDES:
        x = res.get(key)
        if not x:
            continue
        if x.get("error"):
            lines.append(f"| {label} | failed: {x['error'].splitlines()[0][:80]} | | | | | | |")
            continue
        t = x.get("teacher_train")
        teacher = "cannot train a CNN" if t is None and key == "tfjs-wasm" else _n(t) + _pct(t, fl["teacher"], 3, peak)
        m = x.get("memory") or []
        mem = "—" if not m else (f"{mb(m[0]['device_bytes'])} / {mb(m[0]['heap_bytes'])} → "
                                 f"{mb(m[-1]['device_bytes'])} / {mb(m[-1]['heap_bytes'])}")
        w = x.get("warmup_steps") or [None, None]
        first = "—" if x.get("first_step_s") is None else f"{x['first_step_s']:.2f} s"
        lines.append(
            f"| {label} ({x.get('adapter', '?')}) | {teacher} | "
            f"{_n(x.get('student_kd')) + _pct(x.get('student_kd'), fl['student'], 3, peak)} | "
            f"{_n(x.get('teacher_infer')) + _pct(x.get('teacher_infer'), fl['teacher'], 1, peak)} | {first} | "
            f"{w[0] or '—'} / {w[1] or '—'} | {_n(x.get('matmul_peak_gflops'))} | {mem} |")
    return "\n".join(lines)


def counts(r):
    """What each WebGPU side asked of the GPU per step (bench/browser/gpu-counts.js)."""
    alone = ROOT / "docs" / "results" / "webgpu-counts.json"
    if not r.get("counts") and alone.exists():
        r = json.loads(alone.read_text())
    rows = r.get("counts") or []
    if not rows:
        return "(no bench has counted yet)"
    s = r.get("summary") or {}
    phases = (("teacher_train", "teacher train step"), ("student_kd", "student KD step"),
              ("teacher_infer", "teacher inference batch"))
    lines = ["| side | work | dispatches | queue submits | uploads (kB) | GPU→CPU reads in the timed phase | pipelines compiled |",
             "| --- | --- | ---: | ---: | --- | --- | ---: |"]
    label = dict(SIDES)
    for row in rows:
        side = label.get(row["side"], row["side"])
        lines.append(f"| {side} | first teacher step | {row['first_step_dispatches']} | | | | "
                     f"{row['first_step_pipelines']} |")
        for key, what in phases:
            c = row[key]
            lines.append(f"| {side} | {what} (mean of {c['steps']}) | {c['dispatches']:.0f} | {c['submits']:.1f} | "
                         f"{c['uploads']:.1f} ({c['upload_kb']:,.0f}) | {c['reads_in_phase']} for {c['steps']} | "
                         f"{c['pipelines_in_phase']} |")
    lines += ["", f"Measured {r['date']} on {r['machine']} with `{r['command']}`; in the same run the "
                  f"WebGPU student step was {_times(s.get('webgpu_student_vs_tfjs_webgpu'))} and the teacher step "
                  f"{_times(s.get('webgpu_teacher_vs_tfjs_webgpu'))} TensorFlow.js's webgpu backend's on the same "
                  f"adapter ({s.get('webgpu_adapter') or '?'}), first step {_n(s.get('first_step_s'), 2)} s "
                  f"against {_n(s.get('tfjs_first_step_s'), 2)} s."]
    return "\n".join(lines)


def downloads(r):
    s = r["summary"]
    lines = ["| what a visitor downloads | gzip -9 |", "| --- | ---: |"]
    for key, label in (("ui_gz_mb", "the page (UI bundle)"), ("worker_cpu_gz_mb", "the CPU-only training worker"),
                       ("worker_webgpu_gz_mb", "the WebGPU training worker")):
        lines.append(f"| {label} | {_n(s.get(key), 2)} MB |")
    sh = r["results"].get("shards") or []
    if sh:
        dec = [x["decode_ms"] for x in sh]
        ver = [x["verify_ms"] for x in sh]
        ld = r["results"]["load"]
        lines += ["", f"Shard loading in the release worker ({len(sh)} shards of {sh[0]['bytes'] / 1e6:.1f} MB): "
                      f"inflate and checks {min(dec):.1f}–{max(dec):.1f} ms per shard (mean {sum(dec) / len(dec):.1f}), "
                      f"sha256 {min(ver):.1f}–{max(ver):.1f} ms (mean {sum(ver) / len(ver):.1f}); from Start to every "
                      f"image in the worker {ld['network_ms'] / 1e3:.2f} s from the local server, "
                      f"{ld['cache_ms'] / 1e3:.2f} s from the browser cache."]
    return "\n".join(lines)


def summary(r):
    return "```json\n" + json.dumps(r["summary"]) + "\n```"


def goals(r):
    """Each goal, what this run measured, and whether it is met — computed, not typed."""
    s, res = r["summary"], r["results"]
    ok = lambda k: res.get(k) if res.get(k) and not res[k].get("error") else {}
    best = lambda f: max((ok(k).get(f) or 0) for k in TFJS)
    cpu, gw = ok("ours-cpu"), ok("ours-webgpu")
    yes = lambda v, t: "—" if v is None else ("yes" if v >= t else "no")
    rows = [
        ("teacher step ≥ 1.5× tfjs's best backend", s.get("ours_best_teacher_vs_tfjs"), 1.5,
         f"the page's default {_n(max(cpu.get('teacher_train') or 0, gw.get('teacher_train') or 0))} vs "
         f"{_n(best('teacher_train'))}; WebGPU forced {_times(s.get('teacher_vs_tfjs'))}"),
        ("student KD step ≥ 1.5× tfjs's best", s.get("ours_best_student_vs_tfjs"), 1.5,
         f"default {_n(max(cpu.get('student_kd') or 0, gw.get('student_kd') or 0))} vs {_n(best('student_kd'))}; "
         f"WebGPU forced {_times(s.get('student_vs_tfjs'))}"),
        ("CPU fallback ≥ 1.0× tfjs-wasm (training)", s.get("cpu_vs_tfjs_wasm"), 1.0,
         "geometric mean of the student ratio to tfjs-wasm and the teacher ratio to tfjs-cpu (tfjs-wasm cannot train a convolution)"),
        ("native ≥ 1.0× Keras/TF CPU", r["native"].get("native_vs_keras"), 1.0,
         "geometric mean of the teacher and student ratios (native table)"),
    ]
    lines = ["| goal | measured | this run | met? |", "| --- | ---: | --- | --- |"]
    for goal, v, t, how in rows:
        lines.append(f"| {goal} | {_times(v)} | {how} | {yes(v, t)} |")
    fs = s.get("first_step_s")
    lines.append(f"| first step ≤ 5 s on SwiftShader (WebGPU) | {_n(fs, 2)} s | of which compiling "
                 f"{_n(s.get('first_step_compile_s'), 2)} s; the CPU backend's {_n(s.get('cpu_first_step_s'), 2)} s | "
                 f"{'—' if fs is None else ('yes' if fs <= 5 else 'no')} |")
    lines.append(f"| WebGPU student step ≥ 1.0× tfjs-webgpu on the same adapter | "
                 f"{_times(ratio(gw.get('student_kd'), ok('tfjs-webgpu').get('student_kd')))} | "
                 f"{_n(gw.get('student_kd'))} vs {_n(ok('tfjs-webgpu').get('student_kd'))} samples/s | "
                 f"{yes(ratio(gw.get('student_kd'), ok('tfjs-webgpu').get('student_kd')), 1.0)} |")
    return "\n".join(lines)


def headline(r):
    """The README's speed bullets, from the same run (and the GPU check's file, if any)."""
    s, n = r["summary"], r["native"]
    k = n.get("keras") or {}
    x = _times
    lines = [
        f"- In the browser on this 2-core machine (WebGPU only on SwiftShader), the page's default device "
        f"— the CPU backend, wasm with SIMD — trains the teacher {x(s.get('ours_best_teacher_vs_tfjs'))} and "
        f"the student {x(s.get('ours_best_student_vs_tfjs'))} as fast as TensorFlow.js's best backend, first "
        f"step {_n(s.get('cpu_first_step_s'), 2)} s; forced onto SwiftShader, its WebGPU path measures "
        f"teacher {x(s.get('teacher_vs_tfjs'))}, student {x(s.get('student_vs_tfjs'))}, first step "
        f"{_n(s.get('first_step_s'), 1)} s.",
        f"- Natively, beside Keras/TensorFlow on the same CPU: teacher step "
        f"{x(ratio(n['ours']['teacher_train'], k.get('teacher_train')))}, student step "
        f"{x(ratio(n['ours']['student_kd'], k.get('student_kd')))}.",
    ]
    gpu = ROOT / "docs" / "results" / "gpu-h200.json"
    if gpu.exists():
        g = json.loads(gpu.read_text())["bench"]
        lines.append(f"- On an NVIDIA H200 (native wgpu, bench/gpu.sh) against the same binary on 16 CPU cores: "
                     f"teacher step {x(ratio(g['wgpu']['teacher_train'], g['cpu']['teacher_train']))}, student "
                     f"{x(ratio(g['wgpu']['student_kd'], g['cpu']['student_kd']))}, inference "
                     f"{x(ratio(g['wgpu']['teacher_infer'], g['cpu']['teacher_infer']))}.")
    return "\n".join(lines)


def ratio(a, b):
    return a / b if a and b else None


TABLES = {"bench-native": native, "bench-layers": layers, "bench-browser": browser,
          "bench-downloads": downloads, "bench-counts": counts, "bench-summary": summary, "bench-goals": goals,
          "bench-headline": headline}

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "collect":
        collect(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "counts":
        collect(sys.argv[2], "webgpu-counts",
                "node bench/browser/run.mjs --only ours-webgpu,tfjs-webgpu (the release build, as hosted)")
    else:
        sys.exit(__doc__)
