#!/usr/bin/env python3
"""bench/gpu.sh's report: gathers what the GPU check wrote into REPORT and prints the table for
docs/PERFORMANCE.md and, last, one JSON line (also written to REPORT/gpu.json). `table()` is also
what bench/tables.py renders docs/results/gpu-*.json with, so the docs' table and the script's
output are one piece of code.

  bench/gpu_report.py REPORT BROWSER_STATUS SECONDS
"""
import json
import os
import re
import sys

DEVICES = ("wgpu", "cpu")
ROWS = [
    ("teacher train step (samples/s)", "teacher_train"),
    ("student KD step (samples/s)", "student_kd"),
    ("teacher inference (samples/s)", "teacher_infer"),
    ("first step (s)", "first_step_s"),
]


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _bench_out(path):
    """The figures (the JSON line's `ours`) and the layers table of one `distill bench` output."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None, None
    figures = next((json.loads(l).get("ours") for l in reversed(lines) if l.startswith("{")), None)
    i = next((i for i, l in enumerate(lines) if l.startswith("teacher step's layers")), None)
    layers = None if i is None else [l for l in lines[i:] if l and not l.startswith("{")]
    return figures, layers


def collect(report, browser, seconds):
    out = {"machine": None, "bench": {}, "layers": None, "train": {}, "batches": {}}
    try:
        out["machine"] = open(os.path.join(report, "machine.txt")).read().strip()
    except OSError:
        pass
    for d in DEVICES:
        figures, layers = _bench_out(os.path.join(report, f"bench-{d}.out"))
        out["bench"][d] = figures
        if layers:
            out["layers"] = layers
        for m in ("cnn", "mlp"):
            out["train"][f"{m}-{d}"] = _load(os.path.join(report, f"train-{m}-{d}", "summary.json"))
    for name in sorted(os.listdir(report)):
        m = re.fullmatch(r"bench-(wgpu|cpu)-b(\d+)\.out", name)
        if m:
            figures, layers = _bench_out(os.path.join(report, name))
            b = out["batches"].setdefault(m[2], {})
            b[m[1]] = figures
            if layers:
                b["layers"] = layers
    out["auto"] = choice(out)
    out["browser"] = _load(os.path.join(report, "browser.json"))
    out["browser_status"] = browser
    out["seconds"] = seconds
    return out


def choice(r):
    """What a measured auto choice makes of these figures: the faster device for the student
    step (the step a lesson runs most)."""
    w, c = ((r["bench"].get(d) or {}).get("student_kd") for d in DEVICES)
    return None if not (w and c) else ("wgpu" if w > c else "cpu")


def _fig(v, k):
    if v is None:
        return "—"
    return f"{v:.2f}" if k == "first_step_s" else f"{v:,.0f}"


def _conv2_share(layers):
    """The second convolution's share of a teacher step, from a layers table."""
    for l in layers or []:
        if l.startswith("conv 64→128"):
            return l.split()[-1]
    return "—"


def table(r):
    bench = r["bench"]
    name = lambda d: (bench.get(d) or {}).get("stack", d).replace("distill 0.1.0 / ", "")
    lines = [f"| native, batch 256 | {name('wgpu')} | {name('cpu')} | wgpu / cpu |",
             "| --- | ---: | ---: | ---: |"]
    for label, k in ROWS:
        a, b = ((bench.get(d) or {}).get(k) for d in DEVICES)
        ratio = f"{a / b:.2f}×" if a and b and k != "first_step_s" else ""
        lines.append(f"| {label} | {_fig(a, k)} | {_fig(b, k)} | {ratio} |")
    for m, label in (("cnn", "teacher CNN"), ("mlp", "student MLP")):
        cells = []
        for d in DEVICES:
            s = r["train"].get(f"{m}-{d}")
            cells.append("failed" if not s else
                         f"{s['seconds']:.1f} s for {s['epochs']} epochs of {s['train_samples']:,}, "
                         f"val {100 * s['val_acc']:.2f} %")
        lines.append(f"| training: {label} | {cells[0]} | {cells[1]} | |")
    if r["batches"]:
        lines += ["", "| batch | teacher step, wgpu | on the CPU | student step, wgpu | on the CPU | "
                  "second conv's share of a wgpu teacher step |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for b in sorted(r["batches"], key=int):
            x = r["batches"][b]
            f = lambda d, k: _fig((x.get(d) or {}).get(k), k)
            lines.append(f"| {b} | {f('wgpu', 'teacher_train')} | {f('cpu', 'teacher_train')} | "
                         f"{f('wgpu', 'student_kd')} | {f('cpu', 'student_kd')} | {_conv2_share(x.get('layers'))} |")
    if r["auto"]:
        w, c = (bench[d]["student_kd"] for d in DEVICES)
        lines.append(f"\nA measured auto choice would pick **{r['auto']}** here (student step "
                     f"{w:,.0f} samples/s on wgpu, {c:,.0f} on the CPU).")
    if r["layers"]:
        lines += ["", "```", *r["layers"], "```"]
    lines.append(f"\nBrowser: {r['browser_status']}. The check took {r['seconds']} s.")
    return "\n".join(lines)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    report, browser, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    r = collect(report, browser, seconds)
    print(table(r))
    line = json.dumps(r, ensure_ascii=False)
    with open(os.path.join(report, "gpu.json"), "w") as f:
        f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
